"""Cold build times and peak memory of the U(d) irrep operators of trajectories/symmetry/unitary.py.

    python benchmarks/bench_irreps.py [--lam 80,15,5 ...] [--module PATH] [--max-gb G]

Per irrep lam (default: d = 3 (30,6,2), (80,15,5), (200,40,10); d = 4 (40,10,5,1), (80,20,10,5))
the number of GT patterns and, for each build, the seconds and the peak resident memory: `gt_patterns`,
all d^2 `generator`s, `kraus_operators(lam, o, sparse=True)` for o = |0><2| and for a random
complex o (seed 0), and `no_jump_operator(lam, o)` for the random o. Every build runs in a child
process of its own (one BLAS thread, empty lru caches, so it includes the patterns it needs):
seconds are wall (CPU), memory is the child's peak resident set (resource.getrusage; about 100 MB
of it is the interpreter, numpy and scipy). A build whose address space would pass --max-gb
(default 8) prints MemoryError.

The module is loaded from its file (it imports nothing from the package): by default this
tree's trajectories/symmetry/unitary.py, with --module another copy, e.g. an older one from
`git show REF:trajectories/symmetry/unitary.py > /tmp/unitary_ref.py`.
"""
import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

DEFAULT = ["30,6,2", "80,15,5", "200,40,10", "40,10,5,1", "80,20,10,5"]
MODULE = Path(__file__).resolve().parents[1] / "trajectories" / "symmetry" / "unitary.py"
BUILDS = ["gt_patterns", "generators", "kraus |0><2|", "kraus random", "no_jump"]


def load(path):
    spec = importlib.util.spec_from_file_location("unitary_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child(lam, build, path, max_gb):
    """Print {"patterns", "seconds": [wall, cpu] or the exception's name, "peak_mb"} of one build."""
    resource.setrlimit(resource.RLIMIT_AS, (int(max_gb * 2**30),) * 2)
    U, d = load(path), len(lam)
    jump = np.zeros((d, d))
    jump[0, 2] = 1.0
    rng = np.random.default_rng(0)
    op = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    run = {"gt_patterns": lambda: U.gt_patterns(lam),
           "generators": lambda: [U.generator(lam, a, b) for a in range(d) for b in range(d)],
           "kraus |0><2|": lambda: U.kraus_operators(lam, jump, sparse=True),
           "kraus random": lambda: U.kraus_operators(lam, op, sparse=True),
           "no_jump": lambda: U.no_jump_operator(lam, op)}[build]
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        run()
        seconds = [time.perf_counter() - wall, time.process_time() - cpu]
    except MemoryError as exc:
        seconds = type(exc).__name__
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"patterns": U.weyl_dimension(lam), "seconds": seconds, "peak_mb": peak}))


def measure(lam, build, args, env):
    cmd = [sys.executable, __file__, "--child", lam, "--build", build, "--max-gb", str(args.max_gb)]
    run = subprocess.run(cmd + ["--module", args.module], capture_output=True, text=True, env=env)
    if run.returncode:
        return {"patterns": "?", "seconds": f"exit {run.returncode}", "peak_mb": float("nan")}
    return json.loads(run.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lam", nargs="+", default=DEFAULT, help="irreps as comma-separated rows")
    parser.add_argument("--module", default=str(MODULE), help="path of the unitary.py to time (default: this tree's)")
    parser.add_argument("--max-gb", type=float, default=8.0, help="address-space limit of each child in GB")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(tuple(int(x) for x in args.child.split(",")), args.build, args.module, args.max_gb)
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    print(f"module: {args.module}; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores; each build cold, in its own process: seconds wall (CPU), peak MB")
    print(f"{'lam':>14} {'patterns':>9} " + " ".join(f"{c:>22}" for c in BUILDS))
    for lam in args.lam:
        results = [measure(lam, build, args, env) for build in BUILDS]
        cells = [f"{r['seconds']:>16}" if isinstance(r["seconds"], str) else
                 f"{r['seconds'][0]:>7.3f} ({r['seconds'][1]:6.3f})" for r in results]
        cells = [f"{c} {r['peak_mb']:>5.0f}" for c, r in zip(cells, results)]
        print(f"{'(' + lam + ')':>14} {results[0]['patterns']:>9} " + " ".join(cells), flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
