"""Before / after: the package of the working tree against the same package at a git reference
(default 9becce8, the engine before its refactor), side by side in one run, on the same models
with the same seeds.

    python benchmarks/bench_before_after.py [--ref REF] [--after REF] [--cases name,name] [--fast]
                                            [--seconds S] [--parallel-compile] [--json out.json]

Trees: "before" is `git archive REF trajectories models` extracted to a temporary folder, "after"
a copy of the same packages of the working tree of the repository holding this script, taken at
the start (edits made during the run neither mix versions nor void the kernel cache, whose folder
is named by a hash of the source; a changed working tree is reported at the end), or with
--after REF that reference extracted like "before" (`--ref X --after X` measures the noise of
the comparison itself). Every
measurement runs in a fresh child process (this file with --child): PYTHONPATH = the tree's root,
cwd a temporary folder, one BLAS/OpenMP thread, and NUMBA_CACHE_DIR a fresh folder per tree, so
each tree compiles from an empty cache and the two never share machine code; the child checks
that `trajectories` and `models` come from its tree.

1. Compile (one child per tree, serial backend): the wall and CPU seconds (time.process_time) of
   `import models, trajectories` (Numba included), then of a first
   `run_ensemble(model, state, [0, 0.01], ntraj=1, seed=0)` for each case in turn. A case whose
   kernels an earlier case compiled costs little: the per-case increments and their total are
   printed. --parallel-compile (implied by --fast) runs the two trees' compile children at once.
   A case that raises in either tree (compile child or case child) gets a row saying so.
2. Per case, before then after, one child each, on one core: a warm-up trajectory (seed 0) loads
   the cached kernels; then single-trajectory `run_ensemble` calls of seeds 1, 2, ... (set-up
   included, as in bench_trajectory.py), at least MIN_TIMED and then until S seconds (default 6,
   --fast 0.5) or MAX_TIMED of them in the before tree, and the same number, hence the same
   trajectories, in the after tree: s/traj is their mean, and the ratio before / after (> 1: after
   is faster) compares identical work; "paired" is the median over seeds of t_before / t_after
   (robust to a trajectory slowed by load).
   Then a fixed-seed ensemble (ENSEMBLE_SEED, `Case.ntraj` trajectories, at most 4 with --fast)
   whose `ens.mean`, `ens.second` and `ens.njumps` go to an .npz; the parent prints the largest
   |difference| of mean and second, whether both are bit-identical (np.array_equal) and whether
   the jump counts (of the ensemble and of every timed trajectory) match. The path that ran
   (`ens.meta["path"]`, "+frame" when `ens.meta["frame"]` rotated the quantisation axis) is printed.

Cases (CASES; --fast takes the smaller N of each, the N column says which ran):
    piqs20, piqs40        bench_vs_piqs.py: sigma_- at rate 1, H = 0.5 S_x, Dicke start, t = 0..5
    hopfield1000, 10000   bench_trajectory.py: hopfield_model(N, 2, 0.5), coherent_state(0), t = 0..5
    multiblock_p2_N400    bench_multiblock.py: HopfieldNetwork(random_patterns(2, N, seed=1), 2, 0.5)
    transverse1000        bench_transverse.py two axes: Delta_+ = 0.3 m_x + m_z, Delta_- = 0.3 m_y + m_z
                          (rotated frame and a Chebyshev series)
    dense                 bench_transverse.py's rotated Delta = 0.3 m_x + m_z at N = 40, method "dense"
    collective            superradiance_model(N, 1, 0.1, gamma_local=0.05, omega=0.5), theta = 0.3
    general_op            local o = [[0.5, 0.2], [1, 0.1]] (identity part 0.3) with the Hopfield
                          amplitude Gamma_-(m_z), plus H = 0.5 S_x
    tagged                tagged_hopfield_model(N, 2, 0.5): blocks (N, 1), the tagged site apart

Prints the machine (cores, load average at start and end), one row per case (path, N or block
sizes, s/traj before and after with their ratios and count, max |d mean|, max |d second|,
bit-identical, jumps equal) and the compile table; --json writes all of it. Compiling takes 90 to
170 CPU seconds per tree, so a default run takes about 7 minutes on 2 cores and --fast about 4.5
(most of it the two compiles, run at once).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REF = "9becce8"
PACKAGES = ("trajectories", "models")
TREES = ("before", "after")
ONE_THREAD = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SERIAL = {"n_jobs": 1, "backend": "serial"}
ENSEMBLE_SEED, MIN_TIMED, MAX_TIMED = 3, 3, 100
BETA, OMEGA, THETA = 2.0, 0.5, 0.4
T5 = np.linspace(0.0, 5.0, 11)


# ---- the models (built in the child, from the tree's own packages) ---------------------------------

def piqs_model(N):
    from models import Channel, SpinModel
    from trajectories import dicke_state
    return SpinModel(N, h=(0.5, 0, 0), channels=[Channel("minus", rate=1.0)]), dicke_state(), T5


def hopfield(N):
    from models import hopfield_model
    from trajectories import coherent_state
    return hopfield_model(N, BETA, OMEGA), coherent_state(0.0), T5


def multiblock(N):
    from models import HopfieldNetwork, random_patterns
    from trajectories import coherent_state
    return HopfieldNetwork(random_patterns(2, N, seed=1), BETA, OMEGA).model, coherent_state(THETA), T5


def transverse(N, delta_plus, delta_minus):
    from models import Channel, SpinModel, hopfield_rates
    from trajectories import coherent_state
    gp, gm = hopfield_rates(BETA)
    model = SpinModel(N, h=(0.5, 0, 0), channels=[Channel("plus", gamma=gp, delta=delta_plus),
                                                  Channel("minus", gamma=gm, delta=delta_minus)])
    return model, coherent_state(THETA), T5


def two_axes(N):
    return transverse(N, (0.3, 0, 1), (0, 0.3, 1))


def rotated(N):
    return transverse(N, (0.3, 0, 1), (0.3, 0, 1))


def collective(N):
    from models import superradiance_model
    from trajectories import coherent_state
    return superradiance_model(N, 1.0, 0.1, gamma_local=0.05, omega=0.5), coherent_state(0.3), np.linspace(0, 6, 13)


def general_op(N):
    from models import Channel, SpinModel, hopfield_rates
    from trajectories import coherent_state
    matrix = [[0.5, 0.2], [1.0, 0.1]]  # c_+ = 0.2, c_- = 1, c_z = 0.2, identity part c_1 = 0.3
    channel = Channel(matrix, gamma=hopfield_rates(BETA)[1], delta=(0, 0, 1))
    return SpinModel(N, h=(0.5, 0, 0), channels=[channel]), coherent_state(THETA), T5


def tagged(N):
    from models import tagged_hopfield_model
    from trajectories import coherent_state
    return tagged_hopfield_model(N, BETA, OMEGA), coherent_state(theta=[THETA, 2.5], phi=[0.0, 1.0]), T5


@dataclass(frozen=True)
class Case:
    name: str
    build: Callable      # N -> (model, state, times), run in the child
    N: int
    fast_N: int
    ntraj: int = 12      # trajectories of the fixed-seed ensemble (--fast: at most 4)
    options: dict | None = None

    def instance(self, fast: bool):
        return self.build(self.fast_N if fast else self.N)


CASES = [
    Case("piqs20", piqs_model, 20, 20),
    Case("piqs40", piqs_model, 40, 40),
    Case("hopfield1000", hopfield, 1000, 1000),
    Case("hopfield10000", hopfield, 10000, 3000, ntraj=4),
    Case("multiblock_p2_N400", multiblock, 400, 100, ntraj=6),
    Case("transverse1000", two_axes, 1000, 200, ntraj=4),
    Case("dense", rotated, 40, 40, options={"method": "dense"}),
    Case("collective", collective, 200, 100),
    Case("general_op", general_op, 100, 50),
    Case("tagged", tagged, 200, 50),
]
BY_NAME = {case.name: case for case in CASES}


# ---- the child: one measurement in one tree -------------------------------------------------------

def import_package(root: str):
    """Import models and trajectories, checking that both come from the tree at `root`."""
    import models
    import trajectories
    for module in (models, trajectories):
        if not Path(module.__file__).resolve().is_relative_to(Path(root).resolve()):
            raise SystemExit(f"{module.__name__} imported from {module.__file__}, not from {root}")
    return trajectories


def child_compile(task: dict) -> dict:
    """Import time, then the wall and CPU seconds of each case's first tiny run (empty cache); a case
    that raises is recorded in "errors" (one line) and the next one runs."""
    wall, cpu = time.perf_counter(), time.process_time()
    run_ensemble = import_package(task["root"]).run_ensemble
    out = {"import": [time.perf_counter() - wall, time.process_time() - cpu], "cases": {}, "errors": {}}
    for name in task["cases"]:
        case = BY_NAME[name]
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            model, state, _ = case.instance(task["fast"])
            run_ensemble(model, state, [0, 0.01], ntraj=1, seed=0, options=case.options, execution=SERIAL)
        except Exception as err:  # noqa: BLE001  (a broken path in one tree is a result, not a crash)
            out["errors"][name] = f"{type(err).__name__}: {err}".splitlines()[0][:100]
            continue
        out["cases"][name] = [time.perf_counter() - wall, time.process_time() - cpu]
    return out


def timed_trajectories(run, times, count, budget):
    """(seconds, jumps) of single-trajectory runs of seeds 1, 2, ...: `count` of them if given,
    else at least MIN_TIMED and then until `budget` seconds or MAX_TIMED trajectories."""
    seconds, jumps = [], []
    while (len(seconds) < count) if count else (len(seconds) < MIN_TIMED or
                                                (sum(seconds) < budget and len(seconds) < MAX_TIMED)):
        start = time.perf_counter()
        ens = run(times, ntraj=1, seed=len(seconds) + 1)
        seconds.append(time.perf_counter() - start)
        jumps.append(int(ens.njumps))
    return seconds, jumps


def child_case(task: dict) -> dict:
    """Seconds per trajectory of one case and its fixed-seed ensemble (moments saved to task["npz"])."""
    run_ensemble = import_package(task["root"]).run_ensemble
    case = BY_NAME[task["case"]]
    model, state, times = case.instance(task["fast"])

    def run(t, **kw):
        return run_ensemble(model, state, t, options=case.options, execution=SERIAL, **kw)

    run(times, ntraj=1, seed=0)  # warm-up: load the kernels the compile child cached
    seconds, jumps = timed_trajectories(run, times, task["count"], task["budget"])
    ens = run(times, ntraj=task["ntraj"], seed=ENSEMBLE_SEED)
    np.savez(task["npz"], mean=ens.mean, second=ens.second, njumps=ens.njumps)
    frame = ens.meta.get("frame")
    return {"seconds": seconds, "jumps": jumps, "sizes": list(model.sizes), "npz": task["npz"],
            "path": ens.meta.get("path", "?"), "frame": None if frame is None else np.asarray(frame).tolist()}


def child_main(task: dict) -> None:
    result = child_compile(task) if task["kind"] == "compile" else child_case(task)
    Path(task["out"]).write_text(json.dumps(result))


# ---- the parent: trees, children, comparison ------------------------------------------------------

def git(*args) -> bytes:
    return subprocess.run(["git", "-C", str(REPO), *args], check=True, capture_output=True).stdout


def extract(ref: str, dest: Path) -> str:
    """Extract the packages at `ref` into `dest`; returns the full commit hash."""
    commit = git("rev-parse", "--verify", f"{ref}^{{commit}}").decode().strip()
    dest.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(dest)], input=git("archive", commit, *PACKAGES), check=True)
    return commit


def source_digest(root: Path) -> str:
    """SHA-256 (12 hex digits) of the .py files of both packages: equal digests, identical source."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + path.read_bytes())
    return digest.hexdigest()[:12]


class Children:
    """Starts the --child processes of one run: per tree its root and its own Numba cache folder."""

    def __init__(self, work: Path, roots: dict):
        self.work, self.roots, self.serial = work, roots, 0
        (work / "cwd").mkdir()
        self.env = {}
        for tree, root in roots.items():
            cache = work / f"numba-cache-{tree}"
            cache.mkdir()
            self.env[tree] = {**os.environ, **ONE_THREAD, "PYTHONPATH": str(root),
                              "NUMBA_CACHE_DIR": str(cache)}

    def start(self, tree: str, task: dict):
        """(process, task) of a child running `task` in `tree`; its output files are in the work folder."""
        self.serial += 1
        stem = self.work / f"{self.serial:02d}-{tree}-{task.get('case', task['kind'])}"
        task = {**task, "root": str(self.roots[tree]), "out": f"{stem}.json", "npz": f"{stem}.npz"}
        with open(f"{stem}.log", "w") as log:
            proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", json.dumps(task)],
                                    cwd=self.work / "cwd", env=self.env[tree], stdout=log, stderr=subprocess.STDOUT)
        return proc, task

    @staticmethod
    def finish(proc, task: dict) -> dict:
        """The child's result, or {"error": its last line} if it failed (the log's tail goes to stderr)."""
        if proc.wait() == 0:
            return json.loads(Path(task["out"]).read_text())
        tail = Path(task["out"]).with_suffix(".log").read_text().strip().splitlines()[-8:] or ["(no output)"]
        print(f"child {task.get('case', task['kind'])} in {task['root']} failed:\n  " + "\n  ".join(tail),
              file=sys.stderr)
        return {"error": tail[-1].strip()[:100]}

    def run(self, tree: str, task: dict) -> dict:
        return self.finish(*self.start(tree, task))


def compile_trees(children: Children, names: list, fast: bool, parallel: bool) -> dict:
    """{tree: compile result}, the trees one after the other or at once."""
    task = {"kind": "compile", "cases": names, "fast": fast}
    if not parallel:
        return {tree: children.run(tree, task) for tree in TREES}
    started = {tree: children.start(tree, task) for tree in TREES}
    return {tree: children.finish(*started[tree]) for tree in TREES}


def compare(before: dict, after: dict) -> dict:
    """max |difference| and bit-identity of the saved moments, and equality of the jump counts."""
    a, b = np.load(before["npz"]), np.load(after["npz"])
    out = {}
    for key in ("mean", "second"):
        same_shape = a[key].shape == b[key].shape
        out[f"max_abs_d_{key}"] = float(np.max(np.abs(a[key] - b[key]))) if same_shape else float("nan")
        out[f"equal_{key}"] = bool(same_shape and np.array_equal(a[key], b[key], equal_nan=True))
    out["bit_identical"] = out["equal_mean"] and out["equal_second"]
    out["ensemble_jumps"] = [int(a["njumps"]), int(b["njumps"])]
    out["jumps_equal"] = int(a["njumps"]) == int(b["njumps"]) and before["jumps"] == after["jumps"]
    return out


def compile_failures(compiled: dict, names: list) -> dict:
    """{case: why} for the cases that failed to compile in either tree (they are not timed)."""
    failed = {}
    for tree in TREES:
        result = compiled[tree]
        errors = {name: result["error"] for name in names} if "error" in result else result["errors"]
        for name, why in errors.items():
            failed.setdefault(name, f"failed in the {tree} tree: {why}")
    return failed


def measure_case(children: Children, case: Case, fast: bool, budget: float) -> dict:
    """Before, then after with the same number of timed trajectories; the row of the table."""
    task = {"kind": "case", "case": case.name, "fast": fast, "budget": budget, "count": None,
            "ntraj": min(case.ntraj, 4) if fast else case.ntraj}
    before = children.run("before", task)
    if "error" in before:
        return {"case": case.name, "error": f"failed in the before tree: {before['error']}"}
    after = children.run("after", {**task, "count": len(before["seconds"])})
    if "error" in after:
        return {"case": case.name, "error": f"failed in the after tree: {after['error']}"}
    row = {"case": case.name, "ntraj_ensemble": task["ntraj"], "seed_ensemble": ENSEMBLE_SEED,
           "sizes": before["sizes"], "ntimed": len(before["seconds"])}
    for tree, result in zip(TREES, (before, after)):
        row[tree] = {key: result[key] for key in ("seconds", "jumps", "path", "frame")}
        row[tree]["s_per_traj"] = float(np.mean(result["seconds"]))
        row[tree]["median_s"] = float(np.median(result["seconds"]))
    row["ratio"] = row["before"]["s_per_traj"] / row["after"]["s_per_traj"]
    row["ratio_paired_median"] = float(np.median(np.divide(before["seconds"], after["seconds"])))
    return {**row, **compare(before, after)}


# ---- output ---------------------------------------------------------------------------------------

def path_label(result: dict) -> str:
    return result["path"] + ("+frame" if result["frame"] is not None else "")


COLUMNS = [("case", "<19"), ("path", "<13"), ("N/sizes", ">9"), ("s/traj before", ">13"), ("s/traj after", ">12"),
           ("before/after", ">12"), ("paired", ">6"), ("n", ">4"), ("max|d mean|", ">11"),
           ("max|d second|", ">13"), ("bit-identical", ">13"), ("jumps equal", ">11")]


def case_cells(row: dict) -> list:
    """The table cells of one measured case, in the order of COLUMNS."""
    yes = {True: "yes", False: "no"}
    return [row["case"], " | ".join(sorted({path_label(row[tree]) for tree in TREES})),
            "+".join(map(str, row["sizes"])), f"{row['before']['s_per_traj']:.4g}",
            f"{row['after']['s_per_traj']:.4g}", f"{row['ratio']:.3f}", f"{row['ratio_paired_median']:.3f}",
            row["ntimed"], f"{row['max_abs_d_mean']:.3g}", f"{row['max_abs_d_second']:.3g}",
            yes[row["bit_identical"]], yes[row["jumps_equal"]]]


def print_cases(rows: list) -> None:
    print(" ".join(f"{title:{spec}}" for title, spec in COLUMNS))
    for row in rows:
        if "error" in row:
            print(f"{row['case']:<19} {row['error']}")
        else:
            print(" ".join(f"{cell:{spec}}" for cell, (_, spec) in zip(case_cells(row), COLUMNS)))


def print_compile(compiled: dict, names: list) -> None:
    """Import, per-case and total compile seconds; "-" where a case (or a whole child) failed."""
    print("compile from an empty cache, serial, per case in turn (wall s / CPU s):")
    print(f"{'':<19} {'before wall':>11} {'before CPU':>10} {'after wall':>10} {'after CPU':>9}")
    empty = {"import": [np.nan, np.nan], "cases": {}}
    results = [empty if "error" in compiled[tree] else compiled[tree] for tree in TREES]
    lines = {"import": [r["import"] for r in results]}
    lines.update({name: [r["cases"].get(name, [np.nan, np.nan]) for r in results] for name in names})
    lines["total compile"] = [np.sum(list(r["cases"].values()), axis=0) if r["cases"] else [np.nan, np.nan]
                              for r in results]
    for label, ((bw, bc), (aw, ac)) in lines.items():
        cells = [f"{'-' if np.isnan(x) else f'{x:.1f}':>{w}}" for x, w in zip((bw, bc, aw, ac), (11, 10, 10, 9))]
        print(f"{label:<19} " + " ".join(cells))


# ---- main -----------------------------------------------------------------------------------------

def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ref", default=DEFAULT_REF, help=f"git reference of 'before' (default {DEFAULT_REF})")
    parser.add_argument("--after", help="git reference of 'after' (default: the working tree)")
    parser.add_argument("--cases", help=f"comma-separated subset of: {', '.join(BY_NAME)}")
    parser.add_argument("--fast", action="store_true", help="smaller N, fewer trajectories (smoke run)")
    parser.add_argument("--seconds", type=float,
                        help="timing budget per case in the before tree (default 6, --fast 0.5)")
    parser.add_argument("--parallel-compile", action="store_true", help="compile both trees at once (--fast does)")
    parser.add_argument("--json", help="write every number to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = args.cases.split(",") if args.cases else list(BY_NAME)
    unknown = [name for name in names if name not in BY_NAME]
    if unknown:
        parser.error(f"unknown case(s) {', '.join(unknown)}; choose from {', '.join(BY_NAME)}")
    args.names = names
    args.seconds = args.seconds if args.seconds is not None else (0.5 if args.fast else 6.0)
    return args


def snapshot(dest: Path) -> None:
    """Copy the working tree's packages to `dest`."""
    for package in PACKAGES:
        shutil.copytree(REPO / package, dest / package, ignore=shutil.ignore_patterns("__pycache__"))


def extract_trees(args, work: Path) -> tuple[dict, dict]:
    """({tree: root}, {tree: label}) of the two trees, extracted or copied under `work`."""
    roots, labels = {}, {}
    for tree, ref in (("before", args.ref), ("after", args.after)):
        roots[tree] = work / tree
        if ref is None:
            snapshot(roots[tree])
            labels[tree] = f"working tree {REPO}, copied at the start"
        else:
            labels[tree] = f"{ref} = {extract(ref, roots[tree])}"
    return roots, labels


def header(args, labels: dict, digests: dict) -> dict:
    machine = {"cores": os.cpu_count(), "load_start": list(os.getloadavg()), "python": sys.version.split()[0]}
    same = "identical source" if digests["before"] == digests["after"] else "source differs"
    print(f"before: {labels['before']} (digest {digests['before']})\n"
          f"after:  {labels['after']} (digest {digests['after']}): {same}")
    print(f"{machine['cores']} cores, load average {' '.join(f'{x:.2f}' for x in machine['load_start'])}; "
          f"one core per child, BLAS 1 thread; {'--fast, ' if args.fast else ''}timing budget {args.seconds:g} s "
          f"per case; ensembles of seed {ENSEMBLE_SEED}", flush=True)
    return machine


def main() -> None:
    args = parse_args()
    if args.child:
        child_main(json.loads(args.child))
        return
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="bench-before-after-") as tmp:
        work = Path(tmp)
        roots, labels = extract_trees(args, work)
        digests = {tree: source_digest(root) for tree, root in roots.items()}
        machine = header(args, labels, digests)
        children = Children(work, roots)
        print("compiling both trees from empty caches ...", file=sys.stderr, flush=True)
        compiled = compile_trees(children, args.names, args.fast, args.parallel_compile or args.fast)
        failed = compile_failures(compiled, args.names)
        rows = []
        for name in args.names:
            print(f"timing {name} ...", file=sys.stderr, flush=True)
            rows.append({"case": name, "error": failed[name]} if name in failed
                        else measure_case(children, BY_NAME[name], args.fast, args.seconds))
        changed = args.after is None and source_digest(REPO) != digests["after"]
    machine["load_end"] = list(os.getloadavg())
    print()
    print_cases(rows)
    print()
    print_compile(compiled, args.names)
    print(f"\nload average at the end {' '.join(f'{x:.2f}' for x in machine['load_end'])}; "
          f"total {time.perf_counter() - start:.0f} s")
    if changed:
        print(f"note: the working tree changed during the run; 'after' is its copy from the start "
              f"(digest {digests['after']})")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "trees": labels, "digests": digests, "fast": args.fast,
            "budget_s": args.seconds, "machine": machine, "source_changed_during_run": changed,
            "compile": compiled, "cases": rows}, indent=1))


if __name__ == "__main__":
    main()
