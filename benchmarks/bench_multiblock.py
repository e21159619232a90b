"""Several blocks: quantum Hopfield networks with p patterns against one block of the same N.

Model: HopfieldNetwork(random_patterns(p, N, seed=1), beta = 2, Omega = 0.5) (2^(p-1) blocks after the
gauge reduction), coherent start theta = 0.4, t = 0..5 (11 output times), one core, one `run_ensemble`
call per trajectory (set-up included); the single block is hopfield_model(N, 2, 0.5) in the same
process.

    python benchmarks/bench_multiblock.py [p:N ...]        (default 2:200 2:400 2:1000 3:60 3:100)

Prints per configuration: the block sizes, G = prod(N_b + 1), seconds per trajectory, the ratio to one
block, jumps per trajectory, milliseconds per jump, the peak memory of the run (tracemalloc: the
numpy buffers, which dominate), and per p the fitted exponent of time ~ N^alpha.
"""
import sys
import time
import tracemalloc

import numpy as np

from models import HopfieldNetwork, hopfield_model
from models.hopfield import random_patterns
from trajectories import coherent_state, run_ensemble

BETA, OMEGA, THETA, T_END = 2.0, 0.5, 0.4, 5.0


def timed(model, min_seconds=3.0, max_traj=50):
    """(seconds per trajectory, jumps per trajectory, peak bytes) of single-trajectory runs."""
    times, state = np.linspace(0, T_END, 11), coherent_state(THETA)
    run_ensemble(model, state, [0, 0.01], ntraj=1, seed=0)  # compile / load the kernel cache
    ntraj, elapsed, jumps, peak = 0, 0.0, 0, 0
    while elapsed < min_seconds and ntraj < max_traj:
        tracemalloc.start()
        start = time.perf_counter()
        ens = run_ensemble(model, state, times, ntraj=1, seed=ntraj + 1)
        elapsed += time.perf_counter() - start
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        ntraj += 1
        jumps += ens.njumps
    return elapsed / ntraj, jumps / ntraj, peak


def main(configs):
    print(f"Hopfield networks beta = {BETA}, Omega = {OMEGA}, theta = {THETA}, t = 0..{T_END}, one core")
    print(f"{'p':>2} {'N':>6} {'blocks':>22} {'G':>9} {'s/traj':>9} {'1 block s':>10} {'ratio':>7} "
          f"{'jumps':>7} {'ms/jump':>8} {'peak MB':>8}")
    rows = {}
    for p, N in configs:
        net = HopfieldNetwork(random_patterns(p, N, seed=1), BETA, OMEGA)
        sizes = net.model.sizes
        G = int(np.prod([n + 1 for n in sizes]))
        sec, jumps, peak = timed(net.model)
        one, _, _ = timed(hopfield_model(N, BETA, OMEGA))
        rows.setdefault(p, []).append((N, sec))
        print(f"{p:>2} {N:>6} {str(sizes):>22} {G:>9} {sec:>9.3f} {one:>10.4f} {sec / one:>7.0f} "
              f"{jumps:>7.0f} {1e3 * sec / max(jumps, 1):>8.2f} {peak / 1e6:>8.1f}", flush=True)
    for p, r in rows.items():
        if len(r) > 1:
            n, s = np.log(np.array(r)).T
            print(f"p = {p}: time per trajectory ~ N^{np.polyfit(n, s, 1)[0]:.2f}")


if __name__ == "__main__":
    args = sys.argv[1:] or ["2:200", "2:400", "2:1000", "3:60", "3:100"]
    main([tuple(int(v) for v in a.split(":")) for a in args])
