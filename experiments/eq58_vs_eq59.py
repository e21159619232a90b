"""Quantum Hopfield network: eq. 58 (self-interaction excluded) against eq. 59 differ by O(1/N).

One stored pattern (p = 1; by the gauge of docs/theory.md §7 any pattern gives this single-block model),
hopfield_model(N, beta = 0.5, Omega = 0.5, variant = "eq58" | "eq59") (paramagnetic phase: beta < 1 + 8 Omega^2
and beta < 3/2), started from a spin-coherent state at theta = 0.4 from the pattern. Eq. 58 is eq. 59 with the
rate arguments shifted by +-p/N (Gamma_+(dE + p/N) for sigma_+, Gamma_-(dE - p/N) for sigma_-), so every
observable differs by D(t) = omega^58_t(m) - omega^59_t(m) = d(t)/N + O(1/N^2). The leading coefficient d(t)
is the linear response of mean field to the shift: d_MF(t) = lim_{N->oo} N (m_MF^{58, N}(t) - m_MF^{59}(t))
(mean field of the model with the offsets p/N, evaluated at N = 10^6).

* Exact (deterministic, no noise): the sector-reduced master equation for both variants, N = 10 ... 80.
  |D(t*)| ~ N^p fitted (fit_power_law) over N >= 20 with a uniform relative weight, so that the chi^2-scaled
  error is the least-squares error of the residuals: p = -0.991 +- 0.001, -0.988 +- 0.001, -0.971 +- 0.003
  at t* = 1, 2, 4 (theory -1; the O(1/N^2) part); N D_z(1) = -0.1496 at N = 80 against d_MF,z(1) = -0.1507.
* Trajectories with common seeds, N = 100 ... 10^4: trajectory i of eq. 58 and of eq. 59 use the same seed,
  so their jump records stay correlated and the per-pair difference (paired_difference) has a standard
  deviation ~ 2.5/N instead of ~ 1/sqrt(N) for independent ensembles: the error of D_z(4) is 6x (N = 100)
  to 43x (N = 10^4) smaller than unpaired. N D_z agrees with d_MF,z within 4 s.e. + the O(1/N^2) part at
  every time (measured excess at most 2.6 s.e.).
  Exponent: a weighted fit of the signed components D_a(N) = b_a N^p (a = y, z; common p). The differences
  are signed and, at the largest N, comparable to their errors, so the log-log fit_power_law (positive
  values) does not apply; fit_signed_power_law's error is scaled by sqrt(chi^2/dof) when chi^2/dof > 1: p = -1.11 +- 0.08 (chi^2/dof 5.8/7), -1.09 +- 0.12 (3.6/7), -1.35 +- 0.33 (9.9/7) at
  t* = 1, 2, 4 (theory -1).

Why the paramagnet: in the retrieval phase (measured at beta = 2, Omega = 0.2, theta = 0.4) the exact difference
also contains the change of the rate of switching between the two retrieval states +-m*, exponentially
small in N but not negligible at N <~ 80: the local log-log slopes of |D| are -1.17 (N = 20..40) and -1.08
(N = 40..80) at t = 1, -1.34 and -1.16 at t = 4, converging to -1 from below, with N D(t) -> d_MF(t).
In the paramagnet N |D| varies by at most 5% from N = 20 to 80 (slopes -0.99 at t = 1, 2; -0.97 at t = 4).

    python experiments/eq58_vs_eq59.py [--fast] [--out plots/eq58_vs_eq59.png] [--data results/eq58_vs_eq59.npz]
        [--n-jobs 2]
"""
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from models import hopfield_model  # noqa: E402
from trajectories import (  # noqa: E402
    coherent_state,
    exact_evolution,
    fit_power_law,
    mean_field,
    paired_difference,
    run_ensemble,
)
from trajectories.analysis import fit_signed_power_law  # noqa: E402
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402


@dataclass(frozen=True)
class Params:
    beta: float = 0.5
    omega: float = 0.5
    theta: float = 0.4
    t_max: float = 4.0
    n_times: int = 17
    t_stars: tuple = (1.0, 2.0, 4.0)
    exact_Ns: tuple = (10, 14, 20, 28, 40, 57, 80)
    exact_fit_nmin: int = 20
    exact_rel_weight: float = 1e-9     # uniform relative "error" of the deterministic exact values in the fit
    Ns: tuple = (100, 316, 1000, 3162, 10000)
    ntraj: tuple = (1000, 1000, 800, 150, 40)     # pairs per N
    seed: int = 3000                               # seed + i for the i-th N, shared by both variants
    n_mf: int = 10 ** 6                            # N of the mean-field linear response


FAST = Params(t_max=2.0, n_times=9, t_stars=(1.0, 2.0), exact_Ns=(10, 14, 20, 28, 40), Ns=(100, 316),
              ntraj=(300, 150))


def variants(p: Params, N):
    """The eq. 58 and eq. 59 models at N."""
    return {v: hopfield_model(int(N), p.beta, p.omega, variant=v) for v in ("eq58", "eq59")}


def mean_field_response(p: Params, times, state) -> dict:
    """d_MF(t) = N (m_MF^58(t) - m_MF^59(t)) at N = n_mf, and the eq. 59 mean field."""
    mf = {v: mean_field(m, state, times).mean for v, m in variants(p, p.n_mf).items()}
    return dict(d_mf=p.n_mf * (mf["eq58"] - mf["eq59"]), mf59=mf["eq59"])


def exact_differences(p: Params, times, state) -> dict:
    """D(t) of the exact sector-reduced evolution for every exact N, and both variants at the largest."""
    D, t0 = [], time.perf_counter()
    for N in p.exact_Ns:
        ex = {v: exact_evolution(m, state, times, method="sectors").mean for v, m in variants(p, N).items()}
        D.append(ex["eq58"] - ex["eq59"])
    return dict(D_exact=np.array(D), exact58_last=ex["eq58"], exact59_last=ex["eq59"],
                exact_seconds=time.perf_counter() - t0)


def paired_differences(p: Params, times, state, n_jobs) -> dict:
    """D(t) from common-seed trajectory pairs (paired_difference) and the error of unpaired ensembles."""
    D, S, unpaired, secs = [], [], [], []
    for i, (N, n) in enumerate(zip(p.Ns, p.ntraj)):
        t0 = time.perf_counter()
        ens = {v: run_ensemble(m, state, times, ntraj=n, seed=p.seed + i, keep_trajectories=True,
                               execution=dict(n_jobs=n_jobs)) for v, m in variants(p, N).items()}
        secs.append(time.perf_counter() - t0)
        d, s = paired_difference(ens["eq58"], ens["eq59"])
        D.append(d)
        S.append(s)
        unpaired.append(np.hypot(ens["eq58"].stderr, ens["eq59"].stderr))
    return dict(D=np.array(D), stderr=np.array(S), unpaired_stderr=np.array(unpaired), seconds=np.array(secs))


def fits(p: Params, r: dict) -> dict:
    """Exponents at each t*: exact |D| (fit_power_law, N >= exact_fit_nmin) and the paired trajectories."""
    k_star = [int(np.argmin(np.abs(r["times"] - ts))) for ts in p.t_stars]
    Nex = np.array(p.exact_Ns)
    big = Nex >= p.exact_fit_nmin
    norm = np.linalg.norm(r["D_exact"], axis=1)                        # (K, T)
    out = {k: [] for k in ("exact_exponent", "exact_exponent_err", "exact_prefactor", "traj_exponent",
                           "traj_exponent_err", "traj_exponent_err_unscaled", "traj_b", "traj_chi2", "traj_dof")}
    for k in k_star:
        f = fit_power_law(Nex[big], norm[big, k], p.exact_rel_weight * norm[big, k])
        out["exact_exponent"].append(f.exponent)
        out["exact_exponent_err"].append(f.exponent_err)
        out["exact_prefactor"].append(f.prefactor)
        g = fit_signed_power_law(p.Ns, r["D"][:, 1:, k], r["stderr"][:, 1:, k])
        for key, value in zip(("traj_exponent", "traj_exponent_err", "traj_exponent_err_unscaled", "traj_b",
                               "traj_chi2", "traj_dof"),
                              (g.exponent, g.exponent_err, g.exponent_err_unscaled, g.prefactors, g.chi2, g.dof)):
            out[key].append(value)
    return dict({k: np.array(v) for k, v in out.items()}, k_star=np.array(k_star), exact_norm=norm)


def compute(params: Params = Params(), n_jobs: int = 2) -> dict:
    p, t0 = params, time.perf_counter()
    times = np.linspace(0, p.t_max, p.n_times)
    state = coherent_state(theta=p.theta)
    r = dict(times=times, t_stars=np.array(p.t_stars), beta=p.beta, omega=p.omega, theta=p.theta,
             exact_Ns=np.array(p.exact_Ns), exact_fit_nmin=p.exact_fit_nmin, Ns=np.array(p.Ns),
             ntraj=np.array(p.ntraj))
    r.update(mean_field_response(p, times, state))
    r.update(exact_differences(p, times, state))
    r.update(paired_differences(p, times, state, n_jobs))
    r.update(fits(p, r))
    # agreement of the pairs with d_MF/N: (|N D_z - d_z| - O(1/N^2) slack) / (N s.e.), slack = |N D_z - d_z| at
    # the largest exact N (the O(1/N) part of N D there, which is smaller at larger N)
    slack = np.abs(r["exact_Ns"][-1] * r["D_exact"][-1, 2] - r["d_mf"][2])
    Ncol = r["Ns"][:, None]
    dev = np.abs(Ncol * r["D"][:, 2] - r["d_mf"][2])[:, 1:]
    r["pair_slack"] = slack
    r["pair_z_excess"] = float(((dev - slack[1:]) / (Ncol * r["stderr"][:, 2, 1:])).max())
    r["error_gain"] = r["unpaired_stderr"][:, 2, -1] / r["stderr"][:, 2, -1]
    r["total_seconds"] = time.perf_counter() - t0
    return r


def plot_variants(ax, r):
    times, Nl = r["times"], int(r["exact_Ns"][-1])
    for a, name in enumerate("xyz"):
        ax.plot(times, r["exact59_last"][a], "-", color=f"C{a}", label=rf"$\omega_t(m_{name})$ eq. 59")
        ax.plot(times, r["exact58_last"][a], "--", color=f"C{a}", label="eq. 58")
        ax.plot(times, r["mf59"][a], ":", color="k", lw=0.8, label="mean field" if a == 0 else None)
    ax.set_xlabel(r"$t$ [1/$\gamma$]")
    ax.set_ylabel(r"$\omega_t(m_a)$")
    ax.set_title(rf"(a) exact, $N={Nl}$, $\beta={float(r['beta']):g}$, $\Omega={float(r['omega']):g}$, "
                 rf"$\theta_0={float(r['theta']):g}$", fontsize=9, loc="left")
    ax.legend(fontsize=7, frameon=False, ncol=2)


def plot_scaled(ax, r):
    times = r["times"]
    cols = plt.cm.viridis(np.linspace(0, 0.85, len(r["exact_Ns"])))
    for j, N in enumerate(r["exact_Ns"]):
        ax.plot(times, N * r["D_exact"][j, 2], "-", color=cols[j], lw=1, label=f"exact $N={N}$")
    for i, (N, n) in enumerate(zip(r["Ns"], r["ntraj"])):
        ax.errorbar(times + 0.03 * i, N * r["D"][i, 2], N * r["stderr"][i, 2], fmt="o", ms=3, color=f"C{i + 1}",
                    label=f"paired traj. $N={N}$ ({n})")
    ax.plot(times, r["d_mf"][2], "k--", lw=1.5, label=r"$N\to\infty$: MF response $d_z(t)$")
    ax.set_xlabel(r"$t$ [1/$\gamma$]")
    ax.set_ylabel(r"$N\,[\omega^{58}_t(m_z)-\omega^{59}_t(m_z)]$")
    ax.legend(fontsize=6.5, frameon=False, ncol=2)
    ax.set_title(f"(b) the difference is $d(t)/N$; pairs' error {float(r['error_gain'][0]):.0f}x to "
                 f"{float(r['error_gain'][-1]):.0f}x below unpaired", fontsize=8.5, loc="left")


def plot_exponents(ax, r):
    Ns, Nex = r["Ns"], r["exact_Ns"]
    for j, (ts, k) in enumerate(zip(r["t_stars"], r["k_star"])):
        c = f"C{j}"
        pt, pe, chi2, dof = (float(r[key][j]) for key in ("traj_exponent", "traj_exponent_err", "traj_chi2",
                                                            "traj_dof"))
        ax.plot(Nex, r["exact_norm"][:, k], "-", color=c, lw=1.5,
                label=rf"$t={ts:g}$ exact: $p={float(r['exact_exponent'][j]):.3f}\pm{float(r['exact_exponent_err'][j]):.3f}$")
        ax.errorbar(Ns, np.abs(r["D"][:, 2, k]), r["stderr"][:, 2, k], fmt="o", color=c, ms=4,
                    label=rf"pairs ($m_y, m_z$): $p={pt:.2f}\pm{pe:.2f}$ ($\chi^2$/dof {chi2:.1f}/{dof:.0f})")
        ax.plot(Ns, np.hypot(*r["traj_b"][j]) * Ns.astype(float) ** pt, "--", color=c, lw=0.8)
        ax.plot(Ns, np.linalg.norm(r["d_mf"][:, k]) / Ns, ":", color=c, lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(r"$|\omega^{58}_t(\mathbf{m})-\omega^{59}_t(\mathbf{m})|$ (points: $m_z$)")
    ax.set_title(r"(c) fits $\propto N^p$, theory $p=-1$ (dotted: $|d_{\rm MF}(t)|/N$), 1 s.e.", fontsize=9,
                 loc="left")
    ax.legend(fontsize=6.3, frameon=False)


def plot(result: dict, path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(13.5, 4.2), constrained_layout=True)
    plot_variants(axes[0], result)
    plot_scaled(axes[1], result)
    plot_exponents(axes[2], result)
    fig.suptitle("eq. 58 against eq. 59 rates, quantum Hopfield network; error bars 1 standard error; t in units of the inverse single-site flip rate", fontsize=10)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_png(fig, path)


def summary(r: dict) -> None:
    print(f"eq. 58 vs eq. 59, Hopfield p = 1, beta = {r['beta']:g}, Omega = {r['omega']:g}, theta = {r['theta']:g}")
    print(f"  exact N = {r['exact_Ns'].tolist()} ({r['exact_seconds']:.0f} s); paired trajectories N = "
          f"{r['Ns'].tolist()}, pairs {r['ntraj'].tolist()} ({r['seconds'].sum():.0f} s); common seeds shrink the "
          "error of D_z(t_max) " + ", ".join(f"{g:.1f}x (N = {N})" for N, g in zip(r["Ns"], r["error_gain"])))
    for j, (ts, k) in enumerate(zip(r["t_stars"], r["k_star"])):
        Nl = r["exact_Ns"][-1]
        print(f"  t = {ts:g}: exact |D| ~ N^({r['exact_exponent'][j]:.3f} +- {r['exact_exponent_err'][j]:.3f}) "
              f"(N >= {r['exact_fit_nmin']}); N D_z: exact N = {Nl} {Nl * r['D_exact'][-1, 2, k]:.4f}, "
              f"mean-field response {r['d_mf'][2, k]:.4f}")
        print(f"          paired trajectories: p = {r['traj_exponent'][j]:.3f} +- {r['traj_exponent_err'][j]:.3f} "
              f"(chi2/dof = {r['traj_chi2'][j]:.1f}/{r['traj_dof'][j]}), N D_z = " + ", ".join(
                  f"{N * r['D'][i, 2, k]:.3f} +- {N * r['stderr'][i, 2, k]:.3f}" for i, N in enumerate(r["Ns"])))
    print(f"  pairs vs d_MF/N: largest (|N D_z - d_z| - slack) = {r['pair_z_excess']:.2f} s.e. (claim < 4)")


def main(argv=None) -> dict:
    return run_experiment(argv, name="eq58_vs_eq59", description=__doc__.splitlines()[0], compute=compute, plot=plot,
                          summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
