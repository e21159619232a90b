"""Theorem 1 in the quantum Hopfield model: E_N(t) ~ 1/N in the paramagnet, not near an instability.

E_N(t) = 1/2 sum_a omega_t((m_a - m_a^MF(t))^2) (paper eq. 24, docs/theory.md §4) for the single-pattern quantum
Hopfield model (docs/theory.md §7) from spin-coherent (product) states, N = 10 ... 10^4, in two regimes of the
mean-field phase structure. The paramagnet m = 0 has the Jacobian [[-1/2, -2 Omega], [2 Omega, beta - 1]] in
(m_y, m_z) (`hopfield_point`): stable for beta < 1 + 8 Omega^2 (pitchfork to the retrieval phase beyond) and
beta < 3/2 (Hopf bifurcation beyond, for Omega > 1/4).

* paramagnet: beta = 0.5, Omega = 0.5, coherent state at theta = 0.4. Jacobian eigenvalues -0.5 +- i: every
  fluctuation is damped and E_N(t) = c(t)/N + O(1/N^2) at all times. Measured (full mode): the exponent of
  E_N(t*) against N is -0.998 +- 0.005, -0.995 +- 0.006, -0.992 +- 0.007, -0.981 +- 0.014 at t* = 1, 2, 4, 8
  (theory -1; errors chi^2-scaled), and N E_N(t*) collapses onto c + d/N (chi^2/dof = 0.5 .. 3.6).
* unstable: beta = 1.6, Omega = 0.1, past the pitchfork at beta_c = 1 + 8 Omega^2 = 1.08, bistable retrieval
  phase (m_z* = 0.788). Started at theta = pi/2 (all spins along x) the mean-field solution sits on the
  unstable paramagnet (m_y = m_z = 0 is invariant), growth rate lambda = 0.562. Fluctuations grow like
  e^{2 lambda t}/N until they reach the retrieval branches (+-m*), where E_N saturates at O(1) (a mixture of
  the two branches while m^MF stays at 0). N E_N(t) agrees across N only while e^{2 lambda t} << N and fans
  out afterwards (ln(max/min) of N E_N(8) over N = 10..10^4 is 5.90 +- 0.08); no single power law describes
  E_N(t*) against N (fit chi^2/dof = 12 .. 24, against 0.6 .. 4 in the paramagnet) and its apparent exponent
  drifts from -0.86 +- 0.02 (t* = 1) to -0.12 +- 0.01 (t* = 8). Theorem 1's bound
  e^{C1 t} E_N(0) + C2 (e^{C1 t} - 1)/(C1 N) still holds, but the 1/N regime starts only at N >> e^{C1 t}.
  (This point is preferred to the limit-cycle region, where the spread grows only diffusively, E_N ~ t/N,
  and stays in the 1/N regime for N >= 100 on accessible times.)

Exact sector-reduced evolutions at N = 10 and 31 are drawn as lines (they include the O(1/N^2) corrections,
e.g. N E_N at N = 10 lies ~4% below the large-N curve in the paramagnet) and checked against the trajectories.

    python experiments/theorem1_scaling.py [--fast] [--out plots/theorem1_scaling.png]
                                           [--data results/theorem1_scaling.npz] [--n-jobs 2]
"""
import time
from dataclasses import asdict, dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from models import hopfield_model  # noqa: E402
from trajectories import (clustering, coherent_state, exact_evolution, fit_power_law, mean_field,  # noqa: E402
                          run_ensemble)
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402
from trajectories.theory.fixed_points import (hopfield_phase_boundaries, hopfield_point,  # noqa: E402
                                              hopfield_retrieval_mz)

#: the two regimes; result keys are prefixed by the case name
CASES = ("paramagnet", "unstable")


@dataclass(frozen=True)
class Params:
    """Physical and numerical parameters (defaults: the committed figure)."""
    paramagnet_beta: float = 0.5
    paramagnet_omega: float = 0.5
    paramagnet_theta: float = 0.4
    unstable_beta: float = 1.6
    unstable_omega: float = 0.1
    unstable_theta: float = float(np.pi / 2)
    Ns: tuple = (10, 31, 100, 316, 1000, 3162, 10000)
    ntraj: tuple = (1500, 1500, 1500, 800, 300, 120, 48)
    t_max: float = 8.0
    n_times: int = 33
    t_stars: tuple = (1.0, 2.0, 4.0, 8.0)
    exact_Ns: tuple = (10, 31)
    seed: int = 1000          # N index i of case c uses seed + 100 c + i


FAST = Params(Ns=(10, 31, 100, 316), ntraj=(300, 300, 300, 120), t_max=4.0, n_times=9, t_stars=(1.0, 2.0, 4.0))


def case_parameters(params, case):
    """(beta, omega, theta) of one case."""
    return tuple(getattr(params, f"{case}_{name}") for name in ("beta", "omega", "theta"))


def run_case(params, case, times, n_jobs):
    """E_N(t) with standard errors from trajectories for every N, and exactly for exact_Ns."""
    beta, omega, theta = case_parameters(params, case)
    state = coherent_state(theta=theta)
    mf = mean_field(hopfield_model(10, beta, omega), state, times).mean     # (3, T), the same for every N
    seed = params.seed + 100 * CASES.index(case)
    E, err, secs = [], [], []
    for i, (N, n) in enumerate(zip(params.Ns, params.ntraj)):
        t0 = time.perf_counter()
        ens = run_ensemble(hopfield_model(int(N), beta, omega), state, times, ntraj=int(n), seed=seed + i,
                           execution=dict(n_jobs=n_jobs))
        secs.append(time.perf_counter() - t0)
        e, s = clustering(ens, mf)
        E.append(e)
        err.append(s)
    exact = [clustering(exact_evolution(hopfield_model(int(N), beta, omega), state, times, method="sectors"),
                        mf)[0] for N in params.exact_Ns]
    return dict(E=np.array(E), err=np.array(err), seconds=np.array(secs), mf=mf, exact=np.array(exact))


def theory(params, case):
    """Linear stability of the paramagnet m = 0 and the retrieval magnetisation (docs/theory.md §7)."""
    beta, omega, _ = case_parameters(params, case)
    point = hopfield_point(beta, omega, 0.0)
    mz = hopfield_retrieval_mz(beta, omega)
    return dict(growth_rate=point.growth_rate, frequency=float(abs(point.eigenvalues[0].imag)),
                pitchfork=float(hopfield_phase_boundaries(omega)["pitchfork"]),
                mstar=float("nan") if mz is None else float(mz))


def collapse_stats(Ns, y, s):
    """Collapse of y_N = N E_N(t*) (errors s). Theorem 1 gives y_N = c + d/N + O(1/N^2), so the weighted
    linear fit of c + d/N and its chi^2 (dof = len(N) - 2) test the collapse (a constant alone would be
    pulled by the O(1/N) part of y at N = 10, ~4% in the paramagnet); errors scaled by sqrt(chi2/dof) when
    that exceeds 1, as in fit_power_law. Also the log-spread ln(max y / min y) with the error from the two
    extreme points."""
    N = np.asarray(Ns, float)
    X = np.stack([np.ones(len(N)), 1.0 / N], 1)
    w = 1 / s ** 2
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    c, d = cov @ X.T @ (w * y)
    chi2 = float(np.sum(w * (y - c - d / N) ** 2))
    dof = len(y) - 2
    scale = np.sqrt(chi2 / dof) if chi2 > dof > 0 else 1.0
    i, j = np.argmax(y), np.argmin(y)
    return dict(c=float(c), c_err=float(scale * np.sqrt(cov[0, 0])), chi2=chi2, dof=dof,
                spread=float(np.log(y[i] / y[j])), spread_err=float(np.hypot(s[i] / y[i], s[j] / y[j])))


def analyse(params, r, times):
    """Per t*: power-law fit of E_N(t*) against N, collapse of N E_N(t*), exact local slope (N = exact_Ns[:2])
    and the largest |z| of trajectories against the exact E_N at the common N."""
    Ns = np.asarray(params.Ns, float)
    keys = ("exponent", "exponent_err", "exponent_err_unscaled", "prefactor", "fit_chi2", "fit_dof",
            "collapse_c", "collapse_c_err", "collapse_chi2", "collapse_dof", "spread", "spread_err",
            "exact_slope")
    out = {k: [] for k in keys}
    for ts in params.t_stars:
        k = int(np.argmin(np.abs(times - ts)))
        f = fit_power_law(Ns, r["E"][:, k], r["err"][:, k])
        c = collapse_stats(Ns, Ns * r["E"][:, k], Ns * r["err"][:, k])
        ex = r["exact"][:, k]
        Nex = np.asarray(params.exact_Ns, float)
        slope = np.log(ex[1] / ex[0]) / np.log(Nex[1] / Nex[0]) if len(Nex) > 1 else np.nan
        values = (f.exponent, f.exponent_err, f.exponent_err_unscaled, f.prefactor, f.chi2, f.dof, c["c"],
                  c["c_err"], c["chi2"], c["dof"], c["spread"], c["spread_err"], slope)
        for key, v in zip(keys, values):
            out[key].append(v)
    out = {k: np.array(v) for k, v in out.items()}
    common = [(i, j) for j, N in enumerate(params.exact_Ns) for i, M in enumerate(params.Ns) if M == N]
    out["exact_zmax"] = np.array([np.max(np.abs(r["E"][i, 1:] - r["exact"][j, 1:]) / r["err"][i, 1:])
                                  for i, j in common])
    out["exact_z_Ns"] = np.array([params.exact_Ns[j] for _, j in common])
    return out


def compute(params: Params = Params(), n_jobs: int = 2) -> dict:
    """Run both cases; returns npz-ready arrays (keys <case>_<name>) and the parameters."""
    times = np.linspace(0, params.t_max, params.n_times)
    result = {k: np.asarray(v) for k, v in asdict(params).items()}
    result["times"] = times
    for case in CASES:
        r = run_case(params, case, times, n_jobs)
        r.update(analyse(params, r, times))
        r.update(theory(params, case))
        result.update({f"{case}_{k}": np.asarray(v) for k, v in r.items()})
    return result


def case_label(result, case):
    b, o, t = (float(result[f"{case}_{n}"]) for n in ("beta", "omega", "theta"))
    theta = r"\pi/2" if abs(t - np.pi / 2) < 1e-12 else f"{t:g}"
    return rf"{case} $\beta={b:g},\ \Omega={o:g}$, $\theta_0={theta}$"


def theory_text(result, case):
    lam, w = float(result[f"{case}_growth_rate"]), float(result[f"{case}_frequency"])
    if lam < 0:
        return rf"m=0 stable: eigenvalues ${lam:.2f}\pm{w:.2f}i$"
    return (rf"m=0 unstable, $\lambda={lam:.3f}$; $\beta_c={float(result[f'{case}_pitchfork']):.2f}$, "
            rf"$m_z^*={float(result[f'{case}_mstar']):.3f}$")


def plot_case(result, case, axE, axC, letters):
    Ns, times = result["Ns"], result["times"]
    E, err = result[f"{case}_E"], result[f"{case}_err"]
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(Ns)))
    for i, N in enumerate(Ns):
        kw = dict(color=colors[i], ms=3, lw=1, capsize=0, fmt="o-")
        axE.errorbar(times, E[i], err[i], label=f"$N={N}$", **kw)
        axC.errorbar(times, N * E[i], N * err[i], **kw)
    for N, e, ls in zip(result["exact_Ns"], result[f"{case}_exact"], ("--", ":", "-.")):
        axE.plot(times, e, "k" + ls, lw=0.9)
        axC.plot(times, N * e, "k" + ls, lw=0.9, label=f"exact, $N={N}$")
    axE.set_yscale("log")
    axE.set_ylim(top=np.max(E) * 12)
    axE.set_ylabel(r"$E_N(t)$")
    axC.set_ylabel(r"$N\,E_N(t)$")
    if case == "unstable":
        axC.set_yscale("log")
    for ax, letter in zip((axE, axC), letters):
        ax.set_xlabel(r"$t$")
        ax.set_title(f"({letter}) " + case_label(result, case) + "\n" + theory_text(result, case), fontsize=8.5)
    axE.legend(fontsize=7, ncol=4, frameon=False, loc="upper center", columnspacing=0.8, handlelength=1.5)
    k = -1
    axC.text(0.02, 0.97, rf"$t^*={result['t_stars'][k]:g}$: $N E_N\to c+d/N$, $\chi^2/$dof$="
             rf"{float(result[f'{case}_collapse_chi2'][k]):.3g}/{int(result[f'{case}_collapse_dof'][k])}$, "
             rf"$\ln\frac{{\max}}{{\min}}={float(result[f'{case}_spread'][k]):.2f}\pm"
             rf"{float(result[f'{case}_spread_err'][k]):.2f}$", transform=axC.transAxes, fontsize=7, va="top")
    axC.legend(fontsize=7, frameon=False, loc="lower right")


def plot_fits(result, ax):
    """E_N(t*) against N with the fitted power laws (legend: exponent, scaled error, chi^2/dof)."""
    Ns, times = result["Ns"], result["times"]
    markers = {"paramagnet": "o", "unstable": "s"}
    for case in CASES:
        for j, ts in enumerate(result["t_stars"]):
            k = int(np.argmin(np.abs(times - ts)))
            p, pe = result[f"{case}_exponent"][j], result[f"{case}_exponent_err"][j]
            rc = result[f"{case}_fit_chi2"][j] / max(result[f"{case}_fit_dof"][j], 1)
            c = plt.cm.plasma(0.15 + 0.7 * j / max(len(result["t_stars"]) - 1, 1))
            ax.errorbar(Ns, result[f"{case}_E"][:, k], result[f"{case}_err"][:, k], fmt=markers[case], color=c,
                        ms=4, mfc="none" if case == "unstable" else c,
                        label=rf"{case[:5]}., $t^*={ts:g}$: ${p:.3f}\pm{pe:.3f}$, $\chi^2/$dof$={rc:.3g}$")
            ax.plot(Ns, result[f"{case}_prefactor"][j] * Ns.astype(float) ** p, "-", color=c, lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_ylim(bottom=min(np.min(result[f"{case}_E"][:, 1:]) for case in CASES) / 30)   # room for the legend
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(r"$E_N(t^*)$")
    ax.set_title(r"(c) fits $E_N(t^*) = c\,N^{p}$ (legend: $p$, $\chi^2$-scaled 1 s.e.)", fontsize=9)
    ax.legend(fontsize=6, frameon=False)


def plot(result: dict, path) -> None:
    """The figure, drawn from the result of compute (or dict(np.load(data)))."""
    fig, axes = plt.subplots(2, 3, figsize=(12.5, 7.2), constrained_layout=True)
    plot_case(result, "paramagnet", axes[0, 0], axes[0, 1], "ab")
    plot_case(result, "unstable", axes[1, 0], axes[1, 1], "de")
    plot_fits(result, axes[0, 2])
    ax = axes[1, 2]
    for case, m in zip(CASES, "os"):
        ax.errorbar(result["t_stars"], result[f"{case}_exponent"], result[f"{case}_exponent_err"],
                    fmt=m + "-", capsize=3, label=case)
    ax.axhline(-1, color="k", ls=":", lw=1, label=r"$p=-1$ (Theorem 1)")
    ax.set_xlabel(r"$t^*$")
    ax.set_ylabel(r"fitted exponent $p$ of $E_N(t^*)\propto N^{p}$")
    ax.set_title("(f) exponent against $t^*$ (unstable: no single power law)", fontsize=9)
    ax.legend(fontsize=8, frameon=False)
    fig.suptitle(r"Theorem 1 in the quantum Hopfield model: $E_N(t)=\frac{1}{2}\sum_a\omega_t"
                 r"((m_a-m_a^{\rm MF})^2)$, error bars 1 s.e.", fontsize=11)
    save_png(fig, path)


def summary(result):
    lines = [f"Theorem 1, quantum Hopfield model, N = {result['Ns'].min()}..{result['Ns'].max()}, "
             f"trajectories per N: {result['ntraj'].tolist()}"]
    for case in CASES:
        lines.append(f"  {case} (beta = {float(result[f'{case}_beta']):g}, Omega = "
                     f"{float(result[f'{case}_omega']):g}): growth rate of m = 0 "
                     f"{float(result[f'{case}_growth_rate']):.4f}; trajectories "
                     f"{result[f'{case}_seconds'].sum():.0f} s; max |z| vs exact "
                     f"{np.round(result[f'{case}_exact_zmax'], 2).tolist()} at N = "
                     f"{result[f'{case}_exact_z_Ns'].tolist()}")
        for j, ts in enumerate(result["t_stars"]):
            g = {k: float(result[f"{case}_{k}"][j]) for k in
                 ("exponent", "exponent_err", "fit_chi2", "fit_dof", "collapse_c", "collapse_c_err",
                  "collapse_chi2", "collapse_dof", "spread", "spread_err", "exact_slope")}
            lines.append(f"    t* = {ts:g}: E_N ~ N^({g['exponent']:.3f} +- {g['exponent_err']:.3f}) (theory -1), "
                         f"chi2/dof = {g['fit_chi2']:.1f}/{g['fit_dof']:.0f}; exact slope N = 10..31 "
                         f"{g['exact_slope']:.3f}; N E_N = c + d/N: c = {g['collapse_c']:.3g} +- "
                         f"{g['collapse_c_err']:.2g}, chi2/dof = {g['collapse_chi2']:.1f}/{g['collapse_dof']:.0f}, "
                         f"ln(max/min) = {g['spread']:.3f} +- {g['spread_err']:.3f}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    return run_experiment(argv, name="theorem1_scaling", description=__doc__.splitlines()[0], compute=compute, plot=plot,
                          summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
