"""The command line: python -m trajectories {run, show, plot, merge} (see --help)."""
from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import NamedTuple

import numpy as np

from .. import __version__
from ..base import kernel_cache
from ..base.errors import CheckpointMismatchError, ResultsFileError, WorkerLostError
from ..analysis import clustering
from ..engine.ensemble import run_ensemble
from ..theory.meanfield import mean_field
from ..io.files import load_ensemble, save_ensemble
from ..io.lock import OutputLock
from ..io.names import sibling
from .config import load_config
from .outputs import (Output, beside, check_distinct, check_figure_suffix, check_folder, check_output,
                      os_error_message)
from .plotting import (bias_for, clustering_for, distributions_path, exact_for, fluctuations_for,
                       mean_field_for, plot_distributions, plot_ensemble)
from .qudit import QUDIT_STATES
from .registry import MODELS, STATES
from .summary import (bias_line, clustering_line, diagonal_lines, exact_line, mean_field_line, populations_line,
                      stop_line)

DESCRIPTION = """\
Monte Carlo quantum-jump trajectories of spin systems (and of N d-level particles, [model]
name = "qudit") with collective operator-valued rates.

  run CONFIG.toml        run the ensemble a config describes; writes a results file (.npz),
                         a PNG plot and prints a summary; resumes an interrupted run
                         (Ctrl-C or SIGTERM); never overwrites an existing file without --force
  show RESULTS.npz       print what a results file holds
  plot RESULTS.npz       plot means with 2-standard-error bands against mean field, and E_N(t)
  merge A.npz B.npz -o C.npz
                         combine ensembles of the same model (e.g. more trajectories later)

Example: python -m trajectories run configs/hopfield.toml
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m trajectories", description=DESCRIPTION,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version",
                   version=f"%(prog)s {__version__}\ncompiled kernels cached in {kernel_cache.folder()}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    r = sub.add_parser("run", help="run the ensemble of a TOML config",
                       description="Run the ensemble a TOML config describes (see configs/ and "
                                   "trajectories/cli/config.py). Options given here override the config.")
    r.add_argument("config", help="TOML file: [model], [state], [times], [run], [options], [output]")
    r.add_argument("--ntraj", type=int, help="number of trajectories (run.ntraj)")
    r.add_argument("--seed", type=int, help="root seed (run.seed)")
    r.add_argument("--start", type=int, default=0,
                   help="first trajectory index: more trajectories of the same seed, to merge later")
    r.add_argument("--n-jobs", type=int, help="worker processes, -1 = all cores (run.n_jobs)")
    r.add_argument("--backend", help="auto, serial, joblib or dask (run.backend)")
    r.add_argument("--scheduler", help="dask scheduler address, e.g. tcp://10.0.0.5:8786 (run.scheduler)")
    r.add_argument("--output", help="results file (output.results); the plot then goes beside it "
                                    "(same name, .png) unless --plot is given")
    r.add_argument("--plot", help="figure to write, .png, .pdf, .svg, ... (output.plot)")
    r.add_argument("--force", action="store_true", help="overwrite an existing results file or plot")
    r.add_argument("--no-plot", action="store_true", help="do not write a PNG")
    r.add_argument("--fresh", action="store_true", help="discard a checkpoint of an earlier run")
    r.add_argument("--quiet", action="store_true", help="no progress bar")

    s = sub.add_parser("show", help="print what a results file holds")
    s.add_argument("results", help="a .npz written by run or save_ensemble")

    pl = sub.add_parser("plot", help="plot a results file")
    pl.add_argument("results", help="a .npz written by run or save_ensemble")
    pl.add_argument("--out", help="figure path, .png, .pdf, .svg, ... (default: beside the results, .png)")
    pl.add_argument("--force", action="store_true", help="overwrite an existing figure")

    m = sub.add_parser("merge", help="merge results files of the same model")
    m.add_argument("inputs", nargs="+", help="results files")
    m.add_argument("-o", "--output", required=True, help="merged results file")
    m.add_argument("--force", action="store_true", help="overwrite an existing file")
    return p


def _angle(value: float) -> str | None:
    """An angle as a multiple of pi when it is one (k pi / q, q <= 12): "pi/2", "3pi/4", "-pi"; else None."""
    for q in range(1, 13):
        k = round(value * q / math.pi)
        if k and abs(value - k * math.pi / q) < 1e-12 * max(1.0, abs(value)):
            g = math.gcd(k, q)
            k, q = k // g, q // g
            head = {1: "", -1: "-"}.get(k, str(k))
            return f"{head}pi" + (f"/{q}" if q > 1 else "")
    return None


def _param(key: str, value) -> str:
    """One config parameter for a label: tables and matrices summarised by their size, angles (theta,
    phi) that are multiples of pi written as such."""
    if key in ("theta", "phi") and isinstance(value, float) and _angle(value):
        return f"{key} = {_angle(value)}"
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return f"{len(value)} {key[:-1] if len(value) == 1 and key.endswith('s') else key}"  # tables
    if key == "interaction" and isinstance(value, list):
        return f"{len(value)} interaction term{'s' if len(value) != 1 else ''}"
    if isinstance(value, list) and value and all(isinstance(row, list) for row in value):
        return f"{key} {len(value)} x {len(value[0])}"                 # a matrix
    return f"{key} = {value}"


def _label(ens) -> str:
    cfg = (ens.meta.get("describe") or {}).get("config")
    if not cfg:
        return f"N = {sum(ens.sizes)}"

    def params(table: dict, known: dict) -> str:   # in the registry's order of the parameters
        order = list(known.get(table["name"], (None, {}))[1])
        keys = sorted((k for k in table if k != "name"), key=lambda k: order.index(k) if k in order else len(order))
        return ", ".join(_param(k, table[k]) for k in keys)
    model, state = cfg["model"], cfg["state"]
    return (f"{model['name']} ({params(model, MODELS)}), "
            f"{state['name']} ({params(state, {**STATES, **QUDIT_STATES})})")


def _at(ens, i) -> str:
    mean, err = ens.mean, ens.stderr
    pm = (lambda e: "") if ens.ntraj < 2 else (lambda e: f" ± {e:.4f}")  # one trajectory: no error
    if ens.kind == "qudit":   # components in the model's basis; m_0 = 1/sqrt(d) is constant
        return ", ".join(f"m_{a} = {mean[a, i]:.4f}{pm(err[a, i])}" for a in range(1, ens.components))
    if ens.single_block:
        return ", ".join(f"m_{'xyz'[a]} = {mean[a, i]:.4f}{pm(err[a, i])}" for a in range(3))
    return "; ".join(f"block {b}: " + ", ".join(f"m_{'xyz'[a]} = {mean[b, a, i]:.4f}{pm(err[b, a, i])}"
                                               for a in range(3)) for b in range(mean.shape[0]))


def _plot(ens, out) -> list[str]:
    fl, note = fluctuations_for(ens)
    mf, note1 = (fl.mean_field, None) if fl is not None else mean_field_for(ens)
    en, note2 = clustering_for(ens, mf)
    exact, note3 = exact_for(ens)
    en_exact = clustering(exact, mf) if exact is not None and mf is not None else None
    bias, note4 = bias_for(ens)
    plot_ensemble(ens, out, mf=mf, en=en, title=_label(ens),  # plot_ensemble adds ntraj and seed
                  en_limit=None if fl is None else fl.clustering, exact=exact, en_exact=en_exact, bias=bias)
    lines = [n for n in (note, note1, note2, note3, note4) if n]
    if ens.diagonal.get("distributions"):
        heat = distributions_path(out)
        plot_distributions(ens, heat, title=_label(ens), exact=exact)
        lines.append(f"distributions: {heat}")
    if mf is not None:
        lines.append(mean_field_line(ens, fl, np.asarray(mf.mean)))
        if bias is not None:
            lines.append(bias_line(ens, np.asarray(mf.mean), bias))
    if en is not None:
        lines.append(clustering_line(ens, en, fl))
    if exact is not None:
        lines.append(exact_line(ens, exact, en, en_exact))
    return lines


def _plot_option(args, cfg) -> str:
    """The option that sets the plot's path."""
    if args.plot:
        return "--plot"
    if args.output:
        return "beside --output"
    return "output.plot" if cfg.plot else "beside output.results"


class Outputs(NamedTuple):
    """The paths a run writes (plot and heat maps None when not drawn) and the lock that owns them."""
    results: Path
    plot: Path | None
    heat: Path | None
    checkpoint: Path
    lock: Path


def _outputs(args, cfg) -> Outputs:
    """The run's outputs, checked before the first trajectory (outputs.py): distinct from each
    other, from the records folder and the config, a figure format, writable, not existing
    (unless forced)."""
    if args.output:
        cfg.results = args.output
    results = Path(cfg.results)
    if args.no_plot:
        plot = None
    elif args.plot:
        plot = Path(args.plot)
    else:  # --output without --plot: beside the results, never over the config's figure
        plot = beside(results) if args.output or not cfg.plot else Path(cfg.plot)
    checkpoint = sibling(results, results.stem, ".checkpoint.npz")
    outs = Outputs(results, plot, distributions_path(plot) if plot is not None and cfg.distributions else None,
                   checkpoint, sibling(checkpoint, checkpoint.name, ".lock"))
    source, figure = ("--output" if args.output else "output.results"), _plot_option(args, cfg)
    records = None if cfg.records is None else Output("records folder (record.records)", Path(cfg.records), True)
    check_distinct([Output(f"results file ({source})", results), Output(f"checkpoint (of {source})", checkpoint),
                    Output(f"lock (of the checkpoint of {source})", outs.lock),
                    None if plot is None else Output(f"plot ({figure})", plot),
                    None if outs.heat is None else Output(f"distributions figure (of the plot, {figure})", outs.heat),
                    records], inputs=[("config file", args.config)])
    if plot is not None:
        check_figure_suffix(plot, f"plot ({figure})")
    if cfg.records is not None:
        check_folder(cfg.records, "records folder (record.records)")
    _check_existing(args, cfg, outs)
    return outs


def _check_existing(args, cfg, outs: Outputs) -> None:
    """Each output writable and, unless forced, not an existing file (outputs.check_output)."""
    # a config may declare its own outputs rewritable (output.overwrite); paths given here never are
    own = cfg.overwrite and not args.output
    check_output(outs.results, "results file", force=args.force or own)
    for path, role in ((outs.plot, "plot"), (outs.heat, "distributions figure")):
        if path is not None:
            check_output(path, role, force=args.force or (own and not args.plot))
    check_output(outs.checkpoint, "checkpoint", keep=True)
    check_output(outs.lock, "lock file", keep=True)


def _resumed(checkpoint: Path) -> tuple[int, float | None]:
    """(trajectories already in the checkpoint a run will resume, their recorded run time or None)."""
    if not checkpoint.exists():
        return 0, 0.0
    try:
        ens = load_ensemble(checkpoint)
        return ens.ntraj, ens.meta.get("seconds")
    except ResultsFileError as err:
        raise ValueError(f"{err} (or run with --fresh)") from None


def _raise_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def _run(cfg, args, execution):
    """run_ensemble of the config, with SIGTERM taken as Ctrl-C (the checkpoint is kept)."""
    model, state = cfg.build()
    target_mf = mean_field(model, state, cfg.times) if cfg.target == "clustering" else None
    previous = signal.signal(signal.SIGTERM, _raise_on_sigterm)
    try:
        return run_ensemble(model, state, cfg.times, ntraj=cfg.ntraj, seed=cfg.seed, start=args.start,
                            keep_trajectories=cfg.keep_trajectories, distributions=cfg.distributions,
                            observables=cfg.observable_functions(len(model.sizes)), records=cfg.records,
                            options=cfg.options, execution=execution, target_stderr=cfg.target_stderr,
                            target_mf=target_mf, timeout=cfg.timeout, describe={"config": cfg.describe()})
    except (CheckpointMismatchError, ResultsFileError) as err:
        raise ValueError(f"{err} (or run with --fresh)") from None
    except OSError as err:
        raise OSError(os_error_message(err, execution.checkpoint)) from None
    finally:
        signal.signal(signal.SIGTERM, previous)


def _save(ens, results: Path, checkpoint: Path) -> None:
    """Save the results; on an OS error name the path and the checkpoint that keeps the data."""
    try:
        save_ensemble(ens, results)
    except OSError as err:
        raise OSError(f"{os_error_message(err, results)}; the {ens.ntraj} finished trajectories are kept "
                      f"in {checkpoint}: free the space or fix the path and run the same command again "
                      "(it resumes from there)") from None
    checkpoint.unlink(missing_ok=True)


def _summary(ens, cfg, execution, resumed: tuple[int, float | None], seconds: float) -> None:
    workers = cfg.n_jobs if cfg.n_jobs > 0 else "all"
    total = ens.meta.get("seconds", seconds)
    print(f"{_label(ens)}: {ens.ntraj} trajector{'y' if ens.ntraj == 1 else 'ies'} (seed {cfg.seed}) "
          f"in {total:.1f} s, n_jobs = {workers}, backend {execution.resolved_backend}")
    done, before = resumed
    if done:
        unknown = "" if before else "; the checkpoint did not record the earlier sessions' time"
        print(f"resumed {done} trajectories from the checkpoint, computed {ens.ntraj - done} more "
              f"in {seconds:.1f} s (total run time {total:.1f} s{unknown})")
    stopped = ens.meta.get("stopped")
    if stopped:
        print(stop_line(stopped, cfg.ntraj))
    print(f"t = {ens.times[-1]:g}: {_at(ens, -1)}")
    populations = populations_line(ens)
    if populations:
        print(populations)
    if ens.ntraj < 2:
        print("one trajectory: no standard errors (run with --ntraj >= 2 for error bars)")
    print(f"jumps per trajectory: {ens.njumps / ens.ntraj:.1f}")


def cmd_run(args) -> None:
    cfg = load_config(args.config)
    for key in ("ntraj", "seed", "n_jobs", "backend", "scheduler"):
        if getattr(args, key) is not None:
            setattr(cfg, key, getattr(args, key))
    outs = _outputs(args, cfg)
    with OutputLock(outs.lock, f"checkpoint {outs.checkpoint}"):
        _check_existing(args, cfg, outs)  # again, now that no other run can write them
        _run_owned(cfg, args, outs)


def _run_owned(cfg, args, outs: Outputs) -> None:
    """The run, its results, summary and plot, with the outputs locked by this process."""
    results, plot, checkpoint = outs.results, outs.plot, outs.checkpoint
    if args.fresh and checkpoint.exists():
        checkpoint.unlink()
    resumed = _resumed(checkpoint)
    execution = cfg.execution(checkpoint=checkpoint, progress=not args.quiet)
    t0 = time.perf_counter()
    ens = _run(cfg, args, execution)
    seconds = time.perf_counter() - t0
    _save(ens, results, checkpoint)
    _summary(ens, cfg, execution, resumed, seconds)
    if plot is not None:
        try:
            lines = _plot(ens, plot)
        except OSError as err:
            raise OSError(f"{os_error_message(err, plot)}; the results are saved in {results} "
                          f"(python -m trajectories plot {results} --out OTHER.png)") from None
        for line in lines:
            print(line)
    print(f"wrote {results}" + (f" and {plot}" if plot is not None else ""))


def _trajectories_of(path):
    """The ensemble of a results file that holds at least one trajectory."""
    ens = load_ensemble(path)
    if ens.ntraj == 0:
        raise ValueError(f"{path} holds no trajectories (a checkpoint written before its first batch "
                         "finished?): nothing to show or plot")
    return ens


def cmd_show(args) -> None:
    ens = _trajectories_of(args.results)
    meta = ens.meta
    print(f"{args.results}: {ens}")
    print(f"model: {_label(ens)}")
    segs = ", ".join(f"seed {s['entropy']} trajectories {s['start']}..{s['stop'] - 1}" for s in ens.segments
                     if s["stop"] > s["start"])
    print(f"seeds: {segs or 'not recorded'}")
    if "seconds" in meta:
        print(f"run time: {meta['seconds']:.1f} s; created {meta.get('created', '?')}")
    if meta.get("versions"):
        print("versions: " + ", ".join(f"{k} {v}" for k, v in meta["versions"].items()))
    T = len(ens.times)
    shown = sorted({0, T // 4, T // 2, (3 * T) // 4, T - 1})
    for i in shown:
        print(f"  t = {ens.times[i]:7.3f}: {_at(ens, i)}")
    populations = populations_line(ens)
    if populations:
        print(populations)
    for line in diagonal_lines(ens, shown):
        print(line)


def cmd_plot(args) -> None:
    ens = _trajectories_of(args.results)
    out = Path(args.out or beside(args.results))
    option = "--out" if args.out else "beside the results file"
    heat = distributions_path(out) if ens.diagonal.get("distributions") else None
    outputs = [Output(f"plot ({option})", out),
               None if heat is None else Output(f"distributions figure (of the plot, {option})", heat)]
    check_distinct(outputs, inputs=[("results file", args.results)])
    check_figure_suffix(out, f"plot ({option})")
    for figure in (out, heat):
        if figure is not None:
            check_output(figure, "plot" if figure == out else "distributions figure", force=args.force,
                         options="--out")
    for line in _plot(ens, out):
        print(line)
    print(f"wrote {out}")


def cmd_merge(args) -> None:
    merged = load_ensemble(args.inputs[0])
    for path in args.inputs[1:]:
        merged = merged.merge(load_ensemble(path))
    check_output(args.output, "merged results file", force=args.force, options="-o")
    save_ensemble(merged, args.output)
    print(f"wrote {args.output}: {merged}")


COMMANDS = {"run": cmd_run, "show": cmd_show, "plot": cmd_plot, "merge": cmd_merge}


def _warning_line(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a warning as one line "warning: ..." on stderr (not Python's file:line and source)."""
    print(f"warning: {' '.join(str(message).split())}", file=sys.stderr if file is None else file)


def main(argv=None) -> int:
    """Run the command line; a bad input prints one line on stderr and returns 2, a warning one line."""
    args = _parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _warning_line
        return _main(args)


def _main(args) -> int:
    """Run the command of `args`: exit status 0, 2 after one error line, 130 when interrupted."""
    try:
        COMMANDS[args.command](args)
        sys.stdout.flush()  # a closed pipe shows here, inside the try, not at interpreter exit
    except BrokenPipeError:  # show ... | head: the reader has what it wanted (Python docs, signal module)
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # no real stdout (captured): nothing left to flush
            pass
        return 0
    except (ValueError, OSError, WorkerLostError) as err:
        msg = " ".join(str(err).split())
        print(f"error: {msg}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: run the same command again to resume from the checkpoint", file=sys.stderr)
        return 130
    return 0
