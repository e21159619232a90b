"""Trajectories of N d-level particles on irreps of U(d) (engine/irrep_*.py): cost against N.

Model (that of benchmarks/bench_qudit_sectors.py): d = 3, the g-e-r ladder with drives g-e 1.0 and e-r 0.7,
V n_r n_r = 1.5, r -> g at the collective rate 0.5 (1 + 2 n_r) and e -> g at 0.3; d = 4 adds a level s,
a drive r-s 0.5 and s -> g at 0.4 (1 + n_s). Initial state: the coherent product state
phi = (0.8, 0.5, 0.33 [, 0.2]) normalised, t = 0..2, 11 output times, one core, one process.

    python benchmarks/bench_qudit.py [--d3 N ...] [--d4 N ...] [--ntraj n]

Runs the same ntraj trajectories twice in one process. Prints per N: seconds per trajectory of the
second pass (every irrep's operators already built: the cost of the trajectories themselves), of
the first pass (building the operators of every irrep visited, the cost of a short run), the
seconds per irrep built, jumps per trajectory, irreps visited, the largest visited irrep's
dimension against the largest irrep's, the peak resident memory, and the fitted exponent of the
second pass's time against N.
"""
import argparse
import resource
import time

import numpy as np

from bench_qudit_sectors import model
from trajectories import run_ensemble
from trajectories.engine import irrep_trajectory
from trajectories.engine.irrep_ensemble import largest_irrep

TIMES = np.linspace(0, 2, 11)


def state(d):
    phi = np.array([0.8, 0.5, 0.33, 0.2][:d])
    phi /= np.linalg.norm(phi)
    return np.outer(phi, phi)


def run(N, d, ntraj):
    m, rho = model(N, d), state(d)
    start = time.perf_counter()
    run_ensemble(m, rho, TIMES, ntraj=ntraj, seed=0)
    cold = (time.perf_counter() - start) / ntraj
    start = time.perf_counter()
    ens = run_ensemble(m, rho, TIMES, ntraj=ntraj, seed=0)   # the same trajectories: every irrep built
    warm = (time.perf_counter() - start) / ntraj
    cache = next(iter(irrep_trajectory._CACHES.values()))
    visited = max(data.dim for data in cache.items.values())
    per_irrep = (cold - warm) * ntraj / len(cache.items)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"{d:>3} {N:>5} {warm:>10.3f} {cold:>9.2f} {per_irrep:>9.3f} {ens.njumps / ntraj:>7.1f} "
          f"{len(cache.items):>7} {visited:>9} {largest_irrep(N, d):>10} {peak:>9.0f}", flush=True)
    return warm


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--d3", type=int, nargs="*", default=[20, 50, 100])
    parser.add_argument("--d4", type=int, nargs="*", default=[10, 20, 40])
    parser.add_argument("--ntraj", type=int, default=8)
    args = parser.parse_args()
    run_ensemble(model(4, 3), state(3), TIMES, ntraj=1, seed=0)   # compile or load the kernels
    print(f"t = 0..2, {args.ntraj} trajectories per N, run twice, one core")
    print(f"{'d':>3} {'N':>5} {'s/traj':>10} {'1st pass':>9} {'s/irrep':>9} {'jumps':>7} {'irreps':>7} "
          f"{'max dim':>9} {'largest':>10} {'peak MiB':>9}")
    for d, Ns in ((3, args.d3), (4, args.d4)):
        times = [run(N, d, args.ntraj) for N in Ns]
        if len(Ns) > 1:
            slope = np.polyfit(np.log(Ns), np.log(times), 1)[0]
            print(f"    d = {d}: seconds per trajectory ~ N^{slope:.2f} (N = {Ns[0]}..{Ns[-1]})")


if __name__ == "__main__":
    main()
