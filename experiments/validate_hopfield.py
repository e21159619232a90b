"""Main job: quantum-jump trajectories of the quantum Hopfield model against exact and mean-field.

Single-block quantum Hopfield network (docs/theory.md §7), beta = 2, Omega = 0.5, coherent start at
theta = 0.4. Left to right: m_x, m_y, m_z. Shown: the exact sector-reduced evolution at N = 40
(line) with the trajectory ensemble at N = 40 (points, 2 standard errors), trajectories at a
larger N (band) and the mean-field solution (dashed), which the large-N ensemble approaches.

    python experiments/validate_hopfield.py [--fast] [--out plots/validate_hopfield.png]
"""
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from trajectories.cli.registry import named_model  # noqa: E402
from trajectories import coherent_state, exact_evolution, mean_field, run_ensemble  # noqa: E402

BETA, OMEGA, THETA = 2.0, 0.5, 0.4


def hopfield(N):
    return named_model("hopfield", N=N, beta=BETA, omega=OMEGA)


def main(fast=False, out="plots/validate_hopfield.png", n_jobs=2):
    t0 = time.perf_counter()
    times = np.linspace(0, 6, 25 if not fast else 7)
    small, large = (40, 2000) if not fast else (12, 200)
    ntraj_small, ntraj_large = (1000, 200) if not fast else (100, 20)
    state = coherent_state(theta=THETA)
    ref = exact_evolution(hopfield(small), state, times, method="sectors")
    ens_small = run_ensemble(hopfield(small), state, times, ntraj=ntraj_small, seed=1, n_jobs=n_jobs)
    ens_large = run_ensemble(hopfield(large), state, times, ntraj=ntraj_large, seed=2, n_jobs=n_jobs)
    mf = mean_field(hopfield(large), state, times).mean
    z = np.abs(ens_small.mean - ref.mean) / (ens_small.stderr + 1e-12)

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), sharex=True, constrained_layout=True)
    for a, ax in enumerate(axes):
        ax.plot(times, ref.mean[a], "k-", lw=1.2, label=f"exact, N = {small}")
        ax.errorbar(times, ens_small.mean[a], 2 * ens_small.stderr[a], fmt="o", ms=3.5, color="C0",
                    label=f"trajectories, N = {small} ({ntraj_small})")
        ax.fill_between(times, ens_large.mean[a] - 2 * ens_large.stderr[a],
                        ens_large.mean[a] + 2 * ens_large.stderr[a], color="C1", alpha=0.35,
                        label=f"trajectories, N = {large} ({ntraj_large})")
        ax.plot(times, mf[a], "--", color="C3", label="mean field")
        ax.set_xlabel("t")
        ax.set_ylabel(rf"$\omega_t(m_{'xyz'[a]})$")
    axes[0].legend(fontsize=8, frameon=False)
    fig.suptitle(rf"quantum Hopfield model, $\beta$ = {BETA}, $\Omega$ = {OMEGA}, error bars: 2 s.e.")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    print(f"N = {small}: {ntraj_small} trajectories agree with the exact evolution, "
          f"largest deviation {z.max():.1f} standard errors")
    print(f"N = {large}: |omega_t(m) - m_MF(t)| <= {np.abs(ens_large.mean - mf).max():.3f} "
          f"(mean field is exact as N -> oo)")
    print(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    return z.max()


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    p.add_argument("--out", default="plots/validate_hopfield.png", help="where to write the PNG")
    p.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    args = p.parse_args()
    main(args.fast, args.out, args.n_jobs)
