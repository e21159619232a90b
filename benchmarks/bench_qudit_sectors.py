"""The exact irrep solver of QuditModel (reference/qudit_sectors.py): time, size and memory against N.

Models (t = 0..2, 11 output times, DOP853 at rtol 1e-8, atol 1e-10, one core):

    ladder    d = 3, g-e-r: drives g-e (1.0) and e-r (0.7), V n_r n_r (1.5), r -> g at 0.5 (1 + 2 n_r),
              e -> g at 0.3; from all in g (Delta diagonal: Gamma is a vector per irrep)
    four      d = 4: the same with a fourth level s, drive r-s (0.5), s -> g at 0.4 (1 + n_s)

    python benchmarks/bench_qudit_sectors.py [--d3 N ...] [--d4 N ...]

Prints per N: irreps, n = sum_lam dim^2 (complex numbers per state), the memory estimate, the peak
resident memory of the process so far, seconds, right-hand-side evaluations and seconds per
evaluation; then the fitted exponents seconds ~ N^a and n ~ N^b over the rows.
"""
import argparse
import resource
import time

import numpy as np

from models.qudit import QuditChannel, QuditModel, gell_mann
from trajectories import ODEOptions, exact_evolution
from trajectories.reference import qudit_sectors
from trajectories.sectors.irreps import IrrepModel

OPTIONS = ODEOptions(rtol=1e-8, atol=1e-10)


def components(A):
    return np.einsum("aij,ji->a", gell_mann(A.shape[0]), A).real


def model(N, d):
    H1 = np.zeros((d, d))
    for a, w in zip(range(d - 1), (1.0, 0.7, 0.5)):
        H1[a, a + 1] = H1[a + 1, a] = w
    nr = np.diag(np.eye(d)[2])
    chans = [QuditChannel(np.outer(np.eye(d)[0], np.eye(d)[2]), rate=lambda x: 0.5 * (1 + 2 * x), r=components(nr)),
             QuditChannel(np.outer(np.eye(d)[0], np.eye(d)[1]), rate=0.3)]
    if d == 4:
        ns = np.diag(np.eye(4)[3])
        chans.append(QuditChannel(np.outer(np.eye(4)[0], np.eye(4)[3]), rate=lambda x: 0.4 * (1 + x),
                                  r=components(ns)))
    return QuditModel(N, d, eps=components(H1), h=1.5 * np.outer(components(nr), components(nr)), channels=chans)


def run(N, d):
    m = model(N, d)
    calls = [0]
    original = qudit_sectors.QuditSectorLindbladian.__call__

    def counted(self, t, y):
        calls[0] += 1
        return original(self, t, y)

    qudit_sectors.QuditSectorLindbladian.__call__ = counted
    try:
        start = time.perf_counter()
        exact_evolution(m, np.diag(np.eye(d)[0]).astype(complex), np.linspace(0, 2, 11), options=OPTIONS)
        seconds = time.perf_counter() - start
    finally:
        qudit_sectors.QuditSectorLindbladian.__call__ = original
    irreps = IrrepModel(m).reachable([(N,) + (0,) * (d - 1)])
    n = sum(qudit_sectors.unitary.weyl_dimension(lam) ** 2 for lam in irreps)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    print(f"{d:>3} {N:>4} {len(irreps):>7} {n:>11.3g} {qudit_sectors.memory_estimate(m) / 2**20:>10.0f} "
          f"{peak:>9.0f} {seconds:>9.2f} {calls[0]:>6} {1e3 * seconds / calls[0]:>10.2f}", flush=True)
    return seconds, n


def exponents(Ns, rows):
    if len(Ns) < 2:
        return ""
    logN = np.log(Ns)
    a = np.polyfit(logN, np.log([r[0] for r in rows]), 1)[0]
    b = np.polyfit(logN, np.log([r[1] for r in rows]), 1)[0]
    return f"seconds ~ N^{a:.2f}, n ~ N^{b:.2f} (N = {Ns[0]}..{Ns[-1]})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--d3", type=int, nargs="*", default=[6, 10, 14, 18])
    parser.add_argument("--d4", type=int, nargs="*", default=[4, 6, 8])
    args = parser.parse_args()
    print("ladder models, t = 0..2, rtol 1e-8, one core")
    print(f"{'d':>3} {'N':>4} {'irreps':>7} {'n':>11} {'est. MiB':>10} {'peak MiB':>9} {'seconds':>9} "
          f"{'RHS':>6} {'ms/RHS':>10}")
    for d, Ns in ((3, args.d3), (4, args.d4)):
        rows = [run(N, d) for N in Ns]
        if rows:
            print(f"    d = {d}: {exponents(Ns, rows)}")


if __name__ == "__main__":
    main()
