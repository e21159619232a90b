"""Seconds per trajectory against N: single-block quantum Hopfield model, beta = 2, Omega = 0.5,
coherent start along +z, integrated to t = 5 on one core.

    python benchmarks/bench_trajectory.py [N ...]

Prints seconds per trajectory, jumps per trajectory and the fitted exponent of time ~ N^alpha.
"""
import sys
import time

import numpy as np

from models import hopfield_model
from trajectories import coherent_state, run_ensemble

BETA, OMEGA, T_END = 2.0, 0.5, 5.0


def seconds_per_trajectory(N, min_seconds=5.0, max_traj=200):
    model = hopfield_model(N, BETA, OMEGA)
    times = np.linspace(0, T_END, 11)
    run_ensemble(model, coherent_state(0.0), [0, 0.01], ntraj=1, seed=0)  # compile / load cache
    ntraj, elapsed, jumps = 0, 0.0, 0
    while elapsed < min_seconds and ntraj < max_traj:
        start = time.perf_counter()
        ens = run_ensemble(model, coherent_state(0.0), times, ntraj=1, seed=ntraj + 1)
        elapsed += time.perf_counter() - start
        ntraj += 1
        jumps += ens.njumps
    return elapsed / ntraj, jumps / ntraj, ntraj


def main(sizes):
    print(f"Hopfield beta={BETA}, Omega={OMEGA}, t = 0..{T_END}, one core")
    print(f"{'N':>8} {'s/trajectory':>13} {'jumps':>9} {'trajectories':>13}")
    rows = []
    for N in sizes:
        sec, jumps, n = seconds_per_trajectory(N)
        rows.append((N, sec))
        print(f"{N:>8} {sec:>13.4f} {jumps:>9.0f} {n:>13}", flush=True)
    if len(rows) > 1:
        n, s = np.log(np.array(rows)).T
        alpha = np.polyfit(n, s, 1)[0]
        print(f"fitted exponent: time per trajectory ~ N^{alpha:.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 1000, 10000])
