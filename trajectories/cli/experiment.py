"""The command line every script in experiments/ shares.

    python experiments/NAME.py [--fast] [--out PNG] [--data NPZ] [--n-jobs J] [--replot]

An experiment provides compute(params, n_jobs) -> dict of plain arrays, plot(result, path) and
summary(result) (printed lines, returned as a string or printed itself). `run_experiment` runs
compute with the full or the fast parameters, saves the result as .npz, draws the figure from it
and prints the summary; --replot draws the figure from a saved .npz without computing. The fast
version writes beside the committed figure (NAME_fast.png), never over it.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def run_experiment(argv, *, name: str, description: str, compute, plot, summary, params, fast) -> dict:
    """Parse `argv`, run (or load) the experiment `name`, save, plot, summarise; returns the result."""
    ap = argparse.ArgumentParser(prog=f"python experiments/{name}.py", description=description)
    ap.add_argument("--fast", action="store_true", help="the seconds-scale version (used by the tests)")
    ap.add_argument("--out", help=f"PNG path (default plots/{name}[_fast].png)")
    ap.add_argument("--data", help=f"npz path (default results/{name}[_fast].npz)")
    ap.add_argument("--n-jobs", type=int, default=2, help="worker processes (-1: all cores)")
    ap.add_argument("--replot", action="store_true", help="draw the figure from --data without computing")
    args = ap.parse_args(argv)
    suffix = "_fast" if args.fast else ""
    out = Path(args.out or f"plots/{name}{suffix}.png")
    data = Path(args.data or f"results/{name}{suffix}.npz")
    t0 = time.perf_counter()
    if args.replot:
        if not data.is_file():
            raise SystemExit(f"error: --replot needs the data file {data} (run without --replot first)")
        with np.load(data, allow_pickle=False) as saved:
            result = dict(saved)
    else:
        result = compute(fast if args.fast else params, n_jobs=args.n_jobs)
        data.parent.mkdir(parents=True, exist_ok=True)
        np.savez(data, **result)
    out.parent.mkdir(parents=True, exist_ok=True)
    plot(result, out)
    text = summary(result)
    if text:
        print(text)
    print(f"wrote {out}" + ("" if args.replot else f" and {data}") + f" in {time.perf_counter() - t0:.0f} s")
    return result
