"""Parallel efficiency and per-trajectory overhead of run_ensemble.

    python benchmarks/bench_parallel.py [--N 100] [--ntraj 1000] [--workers 2]

1. Overhead: N = 10 quantum Hopfield trajectories (beta = 2, Omega = 0.5, t = 0..5, 11 times),
   1000 of them on one core, against the bare Numba kernel calls for the same seeds: the rest
   (seeds, generators, moments, folding into the running sums) per trajectory.
2. Efficiency: a 1000-trajectory ensemble at N (default 100) with 1 and with `workers` worker
   processes (joblib): efficiency = T_1 / (workers T_workers); the statistics are checked identical.
"""
import argparse
import time

import numpy as np

from trajectories.cli.registry import named_model
from trajectories import coherent_state, run_ensemble
from trajectories.engine.compiled import compile_model
from trajectories.engine.ensemble import SeedRange
from trajectories.engine.driver import run_trajectory
from trajectories.base.options import Options

TIMES = np.linspace(0, 5, 11)


def overhead(ntraj=1000, N=10):
    model, state, opt = named_model("hopfield", N=N), coherent_state(0.4), Options()
    run_ensemble(model, state, TIMES, ntraj=2, seed=0)  # compile / load the cache
    start = time.perf_counter()
    run_ensemble(model, state, TIMES, ntraj=ntraj, seed=0, batch_size=256)
    total = time.perf_counter() - start
    P = compile_model(model, opt.method)
    tj, psi = state.sample(model.sizes, None)
    first, second = np.empty((len(TIMES), 1, 3), complex), np.empty((len(TIMES), 3, 3), complex)
    gens = [np.random.Generator(np.random.PCG64(s)) for s in SeedRange(0, (), 0, ntraj)]
    start = time.perf_counter()
    for rng in gens:
        run_trajectory(P, psi, tj, TIMES, rng, opt.tol, opt.root_tol, opt.trim, opt.max_terms, first, second)
    kernel = time.perf_counter() - start
    per = (total - kernel) / ntraj
    print(f"overhead at N = {N}: {1e6 * total / ntraj:.0f} us per trajectory in run_ensemble, "
          f"{1e6 * kernel / ntraj:.0f} us in the kernel: {1e6 * per:.1f} us "
          f"({100 * per * ntraj / total:.1f}%) outside it")


def efficiency(N=100, ntraj=1000, workers=2):
    model, state = named_model("hopfield", N=N), coherent_state(0.4)
    run_ensemble(model, state, TIMES, ntraj=2 * workers, seed=0, n_jobs=workers)  # start the pool
    seconds = {}
    results = {}
    for n in (1, workers):
        start = time.perf_counter()
        results[n] = run_ensemble(model, state, TIMES, ntraj=ntraj, seed=1, n_jobs=n)
        seconds[n] = time.perf_counter() - start
    same = all(np.array_equal(getattr(results[1], k), getattr(results[workers], k))
               for k in ("sum1", "sq1", "sum2", "sq2", "cross"))
    eff = seconds[1] / (workers * seconds[workers])
    print(f"{ntraj} trajectories at N = {N}: {seconds[1]:.2f} s on 1 worker, {seconds[workers]:.2f} s on "
          f"{workers}: speed-up {seconds[1] / seconds[workers]:.2f}, parallel efficiency {eff:.2f} "
          f"(identical statistics: {same})")
    return eff


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--N", type=int, default=100, help="spins for the efficiency run")
    p.add_argument("--ntraj", type=int, default=1000, help="trajectories")
    p.add_argument("--workers", type=int, default=2, help="worker processes")
    a = p.parse_args()
    overhead()
    efficiency(a.N, a.ntraj, a.workers)
