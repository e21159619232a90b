"""The cost of recording distributions, diagonal observables and per-trajectory records.

    python benchmarks/bench_recording.py [--N 10000] [--ntraj 4] [--times 26]

Quantum Hopfield model (beta = 2, Omega = 0.5, coherent theta = 0.4, t = 0..5) on one core, the
same seeds four ways in one process: moments only; with distributions=True (N + 1 bins) and two
diagonal observables; the same plus records streamed to a temporary folder. Prints seconds per
trajectory and the ratio to the moments-only run; the moments are checked bit-identical.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from models import hopfield_model
from trajectories import coherent_state, run_ensemble

OBS = {"m2": lambda m: m ** 2, "m4": lambda m: m ** 4}


def timed(model, state, times, ntraj, **kw):
    t0 = time.perf_counter()
    ens = run_ensemble(model, state, times, ntraj=ntraj, seed=7, execution={"n_jobs": 1}, **kw)
    return ens, (time.perf_counter() - t0) / ntraj


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--N", type=int, default=10000)
    ap.add_argument("--ntraj", type=int, default=4)
    ap.add_argument("--times", type=int, default=26)
    args = ap.parse_args(argv)
    model, state = hopfield_model(args.N, 2.0, 0.5), coherent_state(0.4)
    times = np.linspace(0, 5, args.times)
    run_ensemble(model, state, times[:2], ntraj=1, seed=0, distributions=True, observables=OBS)  # compile
    base, t_base = timed(model, state, times, args.ntraj)
    rich, t_rich = timed(model, state, times, args.ntraj, distributions=True, observables=OBS)
    with tempfile.TemporaryDirectory() as tmp:
        rec, t_rec = timed(model, state, times, args.ntraj, distributions=True, observables=OBS,
                           records=Path(tmp) / "rec")
        size = sum(p.stat().st_size for p in (Path(tmp) / "rec").iterdir())
    _, t_again = timed(model, state, times, args.ntraj)    # the same again: the timing noise
    for e in (rich, rec):
        assert np.array_equal(e.sum1, base.sum1) and e.njumps == base.njumps
    jumps = base.njumps / args.ntraj
    print(f"N = {args.N}, {args.times} output times, {jumps:.0f} jumps per trajectory, one core")
    print(f"moments only                      {t_base:8.3f} s per trajectory, again at the end {t_again:.3f} s "
          f"({t_again / t_base:.3f}x: the timing noise)")
    print(f"+ distributions and 2 observables {t_rich:8.3f} s per trajectory ({t_rich / t_base:.3f}x)")
    print(f"+ records                         {t_rec:8.3f} s per trajectory ({t_rec / t_base:.3f}x), "
          f"{size / args.ntraj / 1e6:.2f} MB per trajectory on disk")


if __name__ == "__main__":
    main()
