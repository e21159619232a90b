"""Parallel efficiency and per-trajectory overhead of run_ensemble.

    python benchmarks/bench_parallel.py [--N 100] [--ntraj 1000] [--workers 2]

1. Overhead: N = 10 quantum Hopfield trajectories (beta = 2, Omega = 0.5, t = 0..5, 11 times),
   1000 of them on one core: run_ensemble against run_batch (a worker's task: seeds, generators,
   kernel, moments) for the same seeds gives the cost of folding into the running sums; run_batch
   with the single output time t = 0 (the kernel records once and returns) gives the fixed cost of
   a trajectory outside the propagation.
2. Efficiency: a 1000-trajectory ensemble at N (default 100) with 1 and with `workers` worker
   processes (joblib): efficiency = T_1 / (workers T_workers); the statistics are checked identical.
"""
import argparse
import time

import numpy as np

from models import hopfield_model
from trajectories import TrajectoryOptions, coherent_state, run_ensemble
from trajectories.engine.batch import run_batch
from trajectories.engine.compiled import compile_model
from trajectories.engine.seeds import SeedRange

TIMES = np.linspace(0, 5, 11)


def overhead(ntraj=1000, N=10):
    model, state, opt = hopfield_model(N, 2.0, 0.5), coherent_state(0.4), TrajectoryOptions()
    run_ensemble(model, state, TIMES, ntraj=2, seed=0)  # compile / load the cache
    start = time.perf_counter()
    run_ensemble(model, state, TIMES, ntraj=ntraj, seed=0, execution=dict(batch_size=256))
    total = time.perf_counter() - start
    P, seeds = compile_model(model, opt.method), SeedRange(0, (), 0, ntraj)
    start = time.perf_counter()
    run_batch(P, state, model.sizes, TIMES, seeds, opt)
    batch = time.perf_counter() - start
    start = time.perf_counter()
    run_batch(P, state, model.sizes, TIMES[:1], seeds, opt)
    fixed = time.perf_counter() - start
    us = lambda x: 1e6 * x / ntraj  # noqa: E731
    print(f"overhead at N = {N}: {us(total):.0f} us per trajectory in run_ensemble, {us(batch):.0f} us in "
          f"run_batch: folding and orchestration {us(total - batch):.1f} us "
          f"({100 * (total - batch) / total:.1f}%); a trajectory with nothing to propagate costs "
          f"{us(fixed):.1f} us ({100 * fixed / total:.1f}%)")


def efficiency(N=100, ntraj=1000, workers=2):
    model, state = hopfield_model(N, 2.0, 0.5), coherent_state(0.4)
    run_ensemble(model, state, TIMES, ntraj=2 * workers, seed=0, execution=dict(n_jobs=workers))  # start the pool
    seconds = {}
    results = {}
    for n in (1, workers):
        start = time.perf_counter()
        results[n] = run_ensemble(model, state, TIMES, ntraj=ntraj, seed=1, execution=dict(n_jobs=n))
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
