"""Quantum-jump trajectories of the quantum Hopfield model against the exact evolution and mean field.

Single-block quantum Hopfield model, eq. 59 rates (docs/theory.md §7), beta = 2, Omega = 0.5 (the
paramagnet is unstable: beta > 3/2 with Omega > 1/4, a mean-field limit cycle), spin-coherent start at
theta = 0.4. Claims:

* N = 40, 1000 trajectories: every omega_t(m_a) and omega_t((m_a m_c + m_c m_a)/2) agrees with the exact
  sector-reduced evolution within 4 standard errors (measured worst deviations over the 25 times: 2.15 s.e.
  for the means, 2.32 s.e. for the second moments; entries without spread, t = 0, agree to 1e-13);
* N = 2000, 200 trajectories: omega_t(m) is on the mean-field solution, max |omega_t(m) - m_MF(t)| = 0.0039,
  at most 1.9 s.e.; the allowed bias is the exact N = 40 one, |omega_t(m) - m_MF(t)| <= 0.13, scaled by
  40/N (O(1/N), docs/theory.md §5).

Panels (a)-(c): m_x, m_y, m_z; exact N = 40 (line), trajectories N = 40 (points, 2 s.e.), trajectories
N = 2000 (band, 2 s.e.) and mean field (dashed).

    python experiments/validate_hopfield.py [--fast] [--out plots/validate_hopfield.png]
        [--data results/validate_hopfield.npz] [--n-jobs 2]
"""
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from models import hopfield_model  # noqa: E402
from trajectories import coherent_state, exact_evolution, mean_field, run_ensemble  # noqa: E402
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402


@dataclass(frozen=True)
class Params:
    beta: float = 2.0
    omega: float = 0.5
    theta: float = 0.4           # spin-coherent initial state, angle from +z
    t_max: float = 6.0
    n_times: int = 25
    n_small: int = 40            # exact evolution and trajectories
    n_large: int = 2000          # trajectories against mean field
    ntraj_small: int = 1000
    ntraj_large: int = 200
    seed_small: int = 1
    seed_large: int = 2


FAST = Params(n_times=7, n_small=12, n_large=200, ntraj_small=100, ntraj_large=20)


def z_scores(estimate, stderr, exact):
    """|estimate - exact| / stderr where stderr > 0, and the largest |estimate - exact| where it is 0
    (deterministic entries, e.g. t = 0 of a coherent state: round-off only)."""
    dev = np.abs(estimate - exact)
    spread = stderr > 0
    z = np.where(spread, dev / np.where(spread, stderr, 1.0), 0.0)
    return z, float(dev[~spread].max(initial=0.0))


def excess_z(dev, allowance, stderr):
    """Largest (dev - allowance) / stderr over the entries with stderr > 0 (<= 0: within the allowance)."""
    spread = stderr > 0
    return float(((dev - allowance)[spread] / stderr[spread]).max())


def compute(params: Params = Params(), n_jobs: int = 2) -> dict:
    p = params
    times = np.linspace(0, p.t_max, p.n_times)
    state = coherent_state(theta=p.theta)
    execution = dict(n_jobs=n_jobs)
    small, large = (hopfield_model(N, p.beta, p.omega) for N in (p.n_small, p.n_large))
    t0 = time.perf_counter()
    ref = exact_evolution(small, state, times, method="sectors")
    ens_small = run_ensemble(small, state, times, ntraj=p.ntraj_small, seed=p.seed_small, execution=execution)
    ens_large = run_ensemble(large, state, times, ntraj=p.ntraj_large, seed=p.seed_large, execution=execution)
    mf = mean_field(large, state, times).mean
    z_mean, flat_mean = z_scores(ens_small.mean, ens_small.stderr, ref.mean)
    z_second, flat_second = z_scores(ens_small.second, ens_small.second_stderr, ref.second)
    large_dev = np.abs(ens_large.mean - mf)
    # the exact finite-size bias at N = n_small, scaled to n_large as O(1/N)
    bias_scaled = np.abs(ref.mean - mf) * p.n_small / p.n_large
    return dict(times=times, n_small=p.n_small, n_large=p.n_large, ntraj_small=p.ntraj_small,
                ntraj_large=p.ntraj_large, beta=p.beta, omega=p.omega, theta=p.theta,
                exact_mean=ref.mean, small_mean=ens_small.mean, small_stderr=ens_small.stderr,
                large_mean=ens_large.mean, large_stderr=ens_large.stderr, mf_mean=mf,
                z_mean=z_mean, z_second=z_second, z_mean_max=float(z_mean.max()),
                z_second_max=float(z_second.max()), zero_spread_dev=max(flat_mean, flat_second),
                large_dev=large_dev, large_dev_max=float(large_dev.max()), bias_scaled=bias_scaled,
                large_z_excess=excess_z(large_dev, bias_scaled, ens_large.stderr),
                seconds=time.perf_counter() - t0)


def plot(result: dict, path) -> None:
    r = result
    times, Ns, Nl = r["times"], int(r["n_small"]), int(r["n_large"])
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.7), sharex=True, constrained_layout=True)
    for a, ax in enumerate(axes):
        ax.plot(times, r["exact_mean"][a], "k-", lw=1.2, label=f"exact, N = {Ns}")
        ax.errorbar(times, r["small_mean"][a], 2 * r["small_stderr"][a], fmt="o", ms=3.5, color="C0",
                    label=f"trajectories, N = {Ns} ({int(r['ntraj_small'])})")
        lo, hi = (r["large_mean"][a] + s * 2 * r["large_stderr"][a] for s in (-1, 1))
        ax.fill_between(times, lo, hi, color="C1", alpha=0.35,
                        label=f"trajectories, N = {Nl} ({int(r['ntraj_large'])})")
        ax.plot(times, r["mf_mean"][a], "--", color="C3", label="mean field")
        ax.set_xlabel(r"$t$ [1/$\gamma$, $\gamma = \Gamma_+^2 + \Gamma_-^2 = 1$]")
        ax.set_ylabel(rf"$\omega_t(m_{'xyz'[a]})$")
        ax.set_title(f"({'abc'[a]})", loc="left", fontsize=10)
    axes[0].legend(fontsize=8, frameon=False)
    fig.suptitle(rf"quantum Hopfield model, $\beta$ = {float(r['beta']):g}, $\Omega$ = {float(r['omega']):g}, "
                 rf"coherent start $\theta_0$ = {float(r['theta']):g}; error bars and bands: 2 s.e." "\n"
                 f"N = {Ns} vs exact: worst {float(r['z_mean_max']):.1f} s.e. (means), "
                 f"{float(r['z_second_max']):.1f} s.e. (second moments); N = {Nl} vs mean field: "
                 rf"max $|\omega_t(\mathbf{{m}}) - \mathbf{{m}}_{{\rm MF}}|$ = {float(r['large_dev_max']):.4f}",
                 fontsize=10)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_png(fig, path)


def summary(result: dict) -> None:
    """Print the claims with their uncertainties."""
    print(f"N = {result['n_small']}: {result['ntraj_small']} trajectories against the exact evolution: worst "
          f"deviation {result['z_mean_max']:.2f} s.e. (means), {result['z_second_max']:.2f} s.e. (second "
          f"moments); zero-spread entries differ by {result['zero_spread_dev']:.1e}")
    print(f"N = {result['n_large']}: max |omega_t(m) - m_MF(t)| = {result['large_dev_max']:.4f} "
          f"(largest excess over the scaled N = {result['n_small']} bias: {result['large_z_excess']:.2f} s.e.)")


def main(argv=None) -> dict:
    return run_experiment(argv, name="validate_hopfield", description=__doc__.splitlines()[0], compute=compute, plot=plot,
                          summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
