"""Rates of Delta's with m_x, m_y parts: the rotated banded path and the Chebyshev series against the
z-only run and the dense path.

Model: H = h_x S_x, sigma_+ and sigma_- with Hopfield amplitudes Gamma_pm(Delta) (beta = 2), coherent
start theta = 0.4, t = 0..5 (11 output times), one core, one `run_ensemble` call per trajectory
(set-up included). Rows:

    z-only     Delta = m_z
    rotated    Delta = 0.3 m_x + m_z (one axis: the quantisation axis is rotated onto it, banded path)
    two axes   Delta = 0.3 m_x + m_z for sigma_+, 0.3 m_y + m_z for sigma_- (no common axis: the first is
               turned to z, the second's Gamma is a Chebyshev series in Delta, engine/series.py)
    dense      the rotated row's Delta with options.method = "dense" (per-sector dense matrices), at N <= DENSE_MAX

    python benchmarks/bench_transverse.py [N ...]

Prints seconds per trajectory, jumps per trajectory, the ratios rotated / z-only, two axes / z-only and
dense / rotated, the Chebyshev degree of the series, and the fitted exponents time ~ N^alpha.
"""
import sys
import time

import numpy as np

from models import Channel, SpinModel
from models.hopfield import hopfield_rates
from trajectories import coherent_state, run_ensemble
from trajectories.engine.compiled import compile_model
from trajectories.sectors.frame import quantisation_frame, rotate_model

BETA, HX, T_END, THETA = 2.0, 0.5, 5.0, 0.4
DENSE_MAX = 200


def model(N, delta, delta_minus=None):
    gp, gm = hopfield_rates(BETA)
    delta_minus = delta if delta_minus is None else delta_minus
    return SpinModel(N, h=(HX, 0, 0), channels=[Channel("plus", gamma=gp, delta=delta),
                                                Channel("minus", gamma=gm, delta=delta_minus)])


def seconds_per_trajectory(m, method="auto", min_seconds=4.0, max_traj=100):
    times, opts = np.linspace(0, T_END, 11), {"method": method}
    run_ensemble(m, coherent_state(THETA), [0, 0.01], ntraj=1, seed=0, options=opts)  # compile / load cache
    ntraj, elapsed, jumps = 0, 0.0, 0
    while elapsed < min_seconds and ntraj < max_traj:
        start = time.perf_counter()
        ens = run_ensemble(m, coherent_state(THETA), times, ntraj=1, seed=ntraj + 1, options=opts)
        elapsed += time.perf_counter() - start
        ntraj += 1
        jumps += ens.njumps
    return elapsed / ntraj, jumps / ntraj


def main(sizes):
    two_axes = ((0.3, 0, 1), (0, 0.3, 1))
    rotated = rotate_model(model(10, *two_axes), quantisation_frame(model(10, *two_axes)))
    degree = compile_model(rotated).series.deg[0]
    print(f"h_x = {HX}, Gamma_pm beta = {BETA}, theta = {THETA}, t = 0..{T_END}, one core; "
          f"Chebyshev degree of the two-axes series: {degree}")
    print(f"{'N':>7} {'z-only s':>10} {'rotated s':>10} {'jumps':>8} {'rot/z':>7} {'two axes s':>11} "
          f"{'jumps':>8} {'two/z':>7} {'dense s':>9} {'dense/rot':>9}")
    rows = []
    for N in sizes:
        z, _ = seconds_per_trajectory(model(N, (0, 0, 1)))
        rot, jumps = seconds_per_trajectory(model(N, (0.3, 0, 1)))
        two, jumps2 = seconds_per_trajectory(model(N, *two_axes))
        dense = seconds_per_trajectory(model(N, (0.3, 0, 1)), "dense")[0] if N <= DENSE_MAX else np.nan
        rows.append((N, rot, two))
        print(f"{N:>7} {z:>10.4f} {rot:>10.4f} {jumps:>8.0f} {rot / z:>7.2f} {two:>11.4f} {jumps2:>8.0f} "
              f"{two / z:>7.1f} {dense:>9.4f} {dense / rot:>9.1f}", flush=True)
    if len(rows) > 1:
        n, rot, two = np.log(np.array(rows)).T
        print(f"fitted exponents: rotated N^{np.polyfit(n, rot, 1)[0]:.2f}, two axes N^{np.polyfit(n, two, 1)[0]:.2f}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100, 200, 1000, 10000])
