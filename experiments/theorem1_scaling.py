"""Theorem 1 in the quantum Hopfield model: N E_N(t) -> the linear-noise constant, and where it holds late.

E_N(t) = 1/2 sum_a omega_t((m_a - m_a^MF(t))^2) (paper eq. 24, docs/theory.md §4) for the single-pattern quantum
Hopfield model (docs/theory.md §7, eq. 59 rates: t in units of the inverse single-site flip rate) from
spin-coherent (product) states, N = 10 ... 10^4 (trajectories) and N = 10 ... 80 (exact sector evolution). The
Gaussian-fluctuation expansion (`fluctuations`, docs/theory.md §10) predicts c(t) = lim N E_N(t) with no free
parameter. Error bars: 1 standard error.

* paramagnet: beta = 0.5, Omega = 0.5, theta = 0.4 (Jacobian eigenvalues of m = 0: -0.5 +- i). Claim: N E_N(t*)
  -> c(t*) at t* = 1, 2, 4, 8: the exact values' N -> oo limit (fit c + d/N + e/N^2 over N = 10 .. 80,
  `extrapolate_limit`, within 4 of its errors; exact part recomputed: 1.4855 +- 2e-5, 1.7815 +- 1e-4,
  1.9529 +- 2e-4, 1.9984 +- 3e-4 against 1.4855, 1.7816, 1.9530, 1.9987, converged, about 1.0 errors each;
  the committed figure is from the earlier run), the c of a c + d/N fit to the trajectories
  (chi^2-scaled error) and every trajectory point (4 s.e. plus the exact points' finite-N correction) agree with
  the prediction (numbers: summary(), plots/README.md).
* unstable: beta = 1.6, Omega = 0.1, theta = pi/2 (bistable retrieval phase, m_z* = 0.788; the mean field
  stays on the unstable paramagnet, growth rate lambda = 0.562). c(t) grows like e^{2 lambda t}: the Gaussian
  description holds while c(t)/N is small, i.e. up to the crossover t_x(N) = ln N / (2 lambda), after which E_N
  saturates at O(1) (the two retrieval branches; 1/2 |m*|^2 = 0.360 with m_y* = -4 Omega m_z*). Claims: N E_N(t)
  agrees with c(t) wherever x = c(t)/N < EPS_GAUSS = 0.01 (4 s.e. plus the exact points' 1/N and 1/N^2
  correction of the exact fit); beyond, N E_N / c tends to a function of x alone: for N >= 316, compared at equal x, within 4
  combined s.e. (full: 1.1); at the crossover t_x(N) it is 0.228, 0.157, 0.131 for N = 10, 31, 100 and
  0.114 +- 0.002, 0.114 +- 0.004, 0.115 +- 0.005 for N = 316, 1000, 3162 (an O(1/N) approach), below 1/2 for
  every N; d ln c/dt -> 2 lambda (1.1249 at t = 8 against 1.1247). The 1/N regime of Theorem 1 starts
  only at N >> e^{2 lambda t}, and no drifting exponent is needed to describe it.
* Gronwall's form of Theorem 1 (docs/theory.md §11): E_N(t) <= e^{C1 t} E_N(0) + C2 (e^{C1 t} - 1)/(C1 N) with
  the constants of the linear-noise inequality along the mean-field solution, C1 = 2 max_t mu(t) (mu the largest
  eigenvalue of the symmetric part of the Jacobian) and C2 = max_t tr D(t)/2 (D the noise matrix). At the
  unstable point every measured E_N(t) lies below it (within 2 s.e.).

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
from trajectories import (clustering, coherent_state, exact_evolution, fluctuations, mean_field,  # noqa: E402
                          extrapolate_limit, run_ensemble)
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402
from trajectories.theory.fixed_points import (amplitudes_at, hopfield_phase_boundaries, hopfield_point,  # noqa: E402
                                              hopfield_retrieval_mz, jacobian)
from trajectories.theory.fluctuations import noise_matrix  # noqa: E402

#: the two regimes; result keys are prefixed by the case name
CASES = ("paramagnet", "unstable")
#: the Gaussian description is compared where the predicted variance per spin x = c(t)/N is below this; beyond,
#: N E_N / c falls like 1 - 7 x (measured: 0.69 .. 0.76 at x = 0.045 for N = 316 .. 3162)
EPS_GAUSS = 0.01
TIME_UNIT = r"$t$ [1/$\gamma$, $\gamma = \Gamma_+^2 + \Gamma_-^2 = 1$]"


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
    exact_Ns: tuple = (10, 20, 40, 80)
    seed: int = 1000          # N index i of case c uses seed + 100 c + i


FAST = Params(Ns=(10, 31, 100, 316, 1000), ntraj=(300, 300, 300, 120, 60), t_max=4.0, n_times=9, t_stars=(1.0, 2.0, 4.0))


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


def theory(params, case, times):
    """Stability of m = 0 (docs/theory.md §7), lim N E_N(t) and the Gronwall constants (docs/theory.md §11)."""
    beta, omega, theta = case_parameters(params, case)
    model, state = hopfield_model(100, beta, omega), coherent_state(theta=theta)
    fl = fluctuations(model, state, times)
    mus, trD = [], []
    for m in fl.mean_field.mean.T:
        amp = amplitudes_at(model, m[None])
        A = jacobian(model, m[None], amp)
        mus.append(np.linalg.eigvalsh((A + A.T) / 2).max())
        trD.append(np.trace(noise_matrix(model, m[None], amplitudes=amp)))
    point = hopfield_point(beta, omega, 0.0)
    mz = hopfield_retrieval_mz(beta, omega)
    return dict(c=fl.clustering, C1=2 * max(mus), C2=max(trD) / 2, mu=np.array(mus),
                growth_rate=point.growth_rate, frequency=float(abs(point.eigenvalues[0].imag)),
                pitchfork=float(hopfield_phase_boundaries(omega)["pitchfork"]),
                mstar=float("nan") if mz is None else float(mz),
                saturation=float("nan") if mz is None else float(mz ** 2 * (1 + 16 * omega ** 2) / 2))


def gronwall(C1, C2, E0, N, times):
    """e^{C1 t} E_N(0) + C2 (e^{C1 t} - 1)/(C1 N) (Theorem 1's bound), shape (T,)."""
    g = np.exp(C1 * times)
    return g * E0 + C2 * (g - 1) / (C1 * N)


def collapse_fit(Ns, y, s):
    """Weighted fit y_N = c + d/N; (c, chi^2-scaled error of c, chi^2, dof)."""
    N = np.asarray(Ns, float)
    X = np.stack([np.ones(len(N)), 1.0 / N], 1)
    w = 1 / s ** 2
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    c, d = cov @ X.T @ (w * y)
    chi2, dof = float(np.sum(w * (y - c - d / N) ** 2)), len(y) - 2
    scale = np.sqrt(chi2 / dof) if chi2 > dof > 0 else 1.0
    return float(c), float(scale * np.sqrt(cov[0, 0])), chi2, dof


def exact_limit(exact_Ns, exact):
    """`extrapolate_limit` of the exact N E_N(t) (K, T): the fit c + d/N + e/N^2 over all exact N."""
    Nex = np.asarray(exact_Ns, float)
    return extrapolate_limit(Nex, Nex[:, None] * exact, order=2)


def allowance(r, Ns):
    """|d|/N + |e|/N^2 per (N, t) from the fit c + d/N + e/N^2 of the exact N E_N (the finite-N correction
    a trajectory point may carry), shape (len(Ns), T)."""
    coef = exact_limit(r["exact_Ns"], r["exact"]).coefficients          # (3, T)
    N = np.asarray(Ns, float)[:, None]
    return np.abs(coef[1]) / N + (np.abs(coef[2]) / N ** 2 if len(coef) > 2 else 0)


def collapse_in_x(Ns, c, NE, NEerr, n_min=316, x_lo=EPS_GAUSS, n_grid=25):
    """Largest |R_N(x) - R_N'(x)| / (combined s.e.) of R = N E_N / c over pairs N, N' >= n_min, compared at equal
    x = c(t)/N (linear interpolation in ln x; c increases with t) on their common range above x_lo; nan when no
    pair overlaps."""
    big = [i for i, N in enumerate(Ns) if N >= n_min]
    worst = np.nan
    for a, i in enumerate(big):
        for j in big[a + 1:]:
            xi, xj = c / Ns[i], c / Ns[j]
            lo, hi = max(x_lo, xi.min(), xj.min()), min(xi.max(), xj.max())
            if hi <= lo:
                continue
            grid = np.geomspace(lo, hi, n_grid)
            Ri, Rj = (np.interp(np.log(grid), np.log(x), NE[k] / c) for x, k in ((xi, i), (xj, j)))
            Ei, Ej = (np.interp(np.log(grid), np.log(x), NEerr[k] / c) for x, k in ((xi, i), (xj, j)))
            worst = np.nanmax([worst, np.max(np.abs(Ri - Rj) / np.hypot(Ei, Ej))])
    return worst


def analyse(params, r, times):
    """Per t*: the exact N -> oo limit, the c + d/N fit and the trajectory z-scores against c(t*); the
    Gaussian-regime comparison, the departure after t_x(N) and the Gronwall check of every N and t."""
    Ns, c = np.asarray(params.Ns, float), r["c"]
    NE, NEerr = Ns[:, None] * r["E"], Ns[:, None] * r["err"]
    rich = exact_limit(params.exact_Ns, r["exact"])
    allow = allowance(dict(r, exact_Ns=params.exact_Ns), Ns)
    z = np.abs(NE - c) / (NEerr + 1e-300)
    z_allow = np.zeros_like(NE)                                            # < 1: agrees; t = 0 is exact
    z_allow[:, 1:] = np.abs(NE - c)[:, 1:] / (4 * NEerr + allow)[:, 1:]
    ks = [int(np.argmin(np.abs(times - ts))) for ts in params.t_stars]
    fits = np.array([collapse_fit(Ns, NE[:, k], NEerr[:, k]) for k in ks])
    lam = max(r["growth_rate"], 1e-12)
    t_x = np.log(Ns) / (2 * lam)
    gauss = (c[None] / Ns[:, None] < EPS_GAUSS) & (times[None] > 0)
    bound = np.array([gronwall(r["C1"], r["C2"], r["E"][i, 0], N, times) for i, N in enumerate(Ns)])
    bound_ex = np.array([gronwall(r["C1"], r["C2"], r["exact"][j, 0], N, times)
                         for j, N in enumerate(params.exact_Ns)])
    ratio_tx = np.array([np.interp(tx, times, NE[i] / c) if tx <= times[-1] else np.nan for i, tx in enumerate(t_x)])
    ratio_tx_err = np.array([np.interp(tx, times, NEerr[i] / c) if tx <= times[-1] else np.nan
                             for i, tx in enumerate(t_x)])
    rate = np.gradient(np.log(c), times)
    collapse_z = collapse_in_x(Ns, c, NE, NEerr) if r["growth_rate"] > 0 else np.nan
    common = [(i, j) for j, M in enumerate(params.exact_Ns) for i, N in enumerate(params.Ns) if M == N]
    exact_z = [np.max(np.abs(r["E"][i, 1:] - r["exact"][j, 1:]) / r["err"][i, 1:]) for i, j in common]
    return dict(exact_zmax=np.array(exact_z), exact_z_Ns=np.array([params.Ns[i] for i, _ in common]),k_stars=np.array(ks), rich_limit=rich.limit, rich_err=rich.error, rich_rms=rich.rms, rich_converged=rich.converged, rich_ratios=rich.ratios, allow=allow, z=z,
                z_allow=z_allow, collapse=fits, t_x=t_x, gauss=gauss, bound=bound, ratio_tx=ratio_tx, ratio_tx_err=ratio_tx_err,
                collapse_z=collapse_z,
                growth=rate, bound_z=(r["E"] - bound) / r["err"].clip(1e-300),
                bound_exact_margin=(bound_ex - r["exact"])[:, 1:].min())


def compute(params: Params = Params(), n_jobs: int = 2) -> dict:
    """Run both cases; returns npz-ready arrays (keys <case>_<name>) and the parameters."""
    times = np.linspace(0, params.t_max, params.n_times)
    result = {k: np.asarray(v) for k, v in asdict(params).items()}
    result["times"] = times
    for case in CASES:
        r = run_case(params, case, times, n_jobs)
        r.update(theory(params, case, times))
        r.update(analyse(params, r, times))
        result.update({f"{case}_{k}": np.asarray(v) for k, v in r.items()})
    return result


def case_title(result, case, letter, what):
    b, o, t = (float(result[f"{case}_{n}"]) for n in ("beta", "omega", "theta"))
    theta = r"\pi/2" if abs(t - np.pi / 2) < 1e-12 else f"{t:g}"
    return rf"({letter}) {what}: $\beta={b:g}$, $\Omega={o:g}$, $\theta_0={theta}$"


def plot_NE(result, case, ax, letter):
    """N E_N(t) of trajectories and exact evolutions with the linear-noise limit c(t)."""
    Ns, times = result["Ns"], result["times"]
    NE, NEerr = Ns[:, None] * result[f"{case}_E"], Ns[:, None] * result[f"{case}_err"]
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(Ns)))
    for i, N in enumerate(Ns):
        ax.errorbar(times, NE[i], NEerr[i], fmt="o", ms=3, lw=0.8, color=colors[i], label=f"$N={N}$")
        if case == "unstable" and result[f"{case}_t_x"][i] < times[-1]:
            ax.axvline(result[f"{case}_t_x"][i], color=colors[i], lw=0.6, ls=":")
    for N, e, ls in zip(result["exact_Ns"], result[f"{case}_exact"], ("-", "--", "-.", ":")):
        ax.plot(times, N * e, "k" + ls, lw=0.8, label=f"exact $N={N}$")
    ax.plot(times, result[f"{case}_c"], "r-", lw=2, alpha=0.7, label=r"linear noise $\lim N E_N$")
    if case == "unstable":
        ax.set_yscale("log")
        ax.set_ylim(0.3, NE.max() * 3)
    ax.set_xlabel(TIME_UNIT)
    ax.set_ylabel(r"$N\,E_N(t)$")
    what = "N E_N(t) -> lim N E_N" if case == "paramagnet" else r"N E_N(t); dotted: $t_x = \ln N/(2\lambda)$"
    ax.set_title(case_title(result, case, letter, what), fontsize=8.5)
    ax.legend(fontsize=6, ncol=2, frameon=False)


def plot_limits(result, ax):
    """Paramagnet: N E_N(t*) against N with the prediction, the c of c + d/N and the exact N -> oo limit."""
    Ns, case = result["Ns"], "paramagnet"
    NE, NEerr = Ns[:, None] * result[f"{case}_E"], Ns[:, None] * result[f"{case}_err"]
    Nex = result["exact_Ns"]
    for j, (ts, k) in enumerate(zip(result["t_stars"], result[f"{case}_k_stars"])):
        col = plt.cm.plasma(0.1 + 0.75 * j / max(len(result["t_stars"]) - 1, 1))
        ax.errorbar(Ns, NE[:, k], NEerr[:, k], fmt="o", ms=4, color=col, capsize=2)
        ax.plot(Nex, Nex * result[f"{case}_exact"][:, k], "s", ms=4, mfc="w", color=col)
        c_fit, c_err = result[f"{case}_collapse"][j, :2]
        pred = result[f"{case}_c"][k]
        ax.axhline(pred, color=col, lw=1)
        ax.errorbar([Ns.max() * 2.5], [c_fit], [c_err], fmt="D", color=col, ms=5, capsize=2,
                    label=rf"$t^*={ts:g}$: fit $c = {c_fit:.4f}\pm{c_err:.4f}$, exact $\to "
                          rf"{result[f'{case}_rich_limit'][k]:.4f}$; predicted ${pred:.4f}$")
    ax.set_xscale("log")
    ax.set_xlabel(r"$N$ (circles: trajectories; squares: exact; diamonds: $c$ of $c + d/N$)")
    ax.set_ylabel(r"$N\,E_N(t^*)$")
    ax.set_title(r"(b) paramagnet: $N E_N(t^*) \to$ predicted constant (lines)", fontsize=8.5)
    ax.legend(fontsize=6, frameon=False, loc="upper left")


def plot_ratio(result, ax):
    """Unstable: N E_N / c against t - t_x(N): 1 before the crossover, below after."""
    Ns, times, case = result["Ns"], result["times"], "unstable"
    NE, NEerr = Ns[:, None] * result[f"{case}_E"], Ns[:, None] * result[f"{case}_err"]
    c = result[f"{case}_c"]
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(Ns)))
    for i, N in enumerate(Ns):
        ax.errorbar(times[1:] - result[f"{case}_t_x"][i], NE[i, 1:] / c[1:], NEerr[i, 1:] / c[1:], fmt="o-",
                    ms=3, lw=0.8, color=colors[i], label=f"$N={N}$")
    ax.axhline(1, color="r", lw=1.5, alpha=0.7)
    ax.axvline(0, color="k", lw=0.6, ls=":")
    ax.set_ylim(0, 1.6)
    ax.set_xlabel(r"$t - t_x(N)$, $t_x = \ln N / (2\lambda)$")
    ax.set_ylabel(r"$N E_N(t) / \lim N E_N(t)$")
    lam = float(result[f"{case}_growth_rate"])
    ax.set_title(rf"(d) unstable: 1 while $c/N \ll 1$, then a function of $t - t_x$ ($\lambda = {lam:.3f}$)",
                 fontsize=8.5)
    ax.legend(fontsize=6, ncol=2, frameon=False)


def plot_gronwall(result, ax):
    """Unstable: E_N(t) against Theorem 1's Gronwall form with the linear-noise constants."""
    Ns, times, case = result["Ns"], result["times"], "unstable"
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(Ns)))
    for i, N in enumerate(Ns):
        ax.errorbar(times, result[f"{case}_E"][i], result[f"{case}_err"][i], fmt="o", ms=2.5, lw=0.6,
                    color=colors[i], label=f"$N={N}$")
        ax.plot(times, result[f"{case}_bound"][i], "-", color=colors[i], lw=1)
    ax.axhline(float(result[f"{case}_saturation"]), color="k", ls="--", lw=0.8,
               label=rf"$|m^*|^2/2 = {float(result[f'{case}_saturation']):.3f}$ (two branches)")
    C1, C2 = float(result[f"{case}_C1"]), float(result[f"{case}_C2"])
    ax.set_yscale("log")
    ax.set_ylim(np.min(result[f"{case}_E"][:, 0]) / 3, 30)
    ax.set_xlabel(TIME_UNIT)
    ax.set_ylabel(r"$E_N(t)$ (points), bound (lines)")
    ax.set_title(rf"(e) unstable: $E_N \leq e^{{C_1 t}}E_N(0) + C_2(e^{{C_1 t}}-1)/(C_1 N)$, "
                 rf"$C_1 = {C1:.3f}$, $C_2 = {C2:.3f}$", fontsize=8.5)
    ax.legend(fontsize=6, ncol=2, frameon=False, loc="lower right")


def plot_growth(result, ax):
    """Unstable: the linear-noise c(t) and its growth rate d ln c/dt -> 2 lambda."""
    times, case = result["times"], "unstable"
    rate = result[f"{case}_growth"]
    lam = float(result[f"{case}_growth_rate"])
    ax.plot(times, rate, "r-", lw=1.5, label=r"$d \ln(\lim N E_N)/dt$")
    ax.axhline(2 * lam, color="k", ls="--", lw=1, label=rf"$2\lambda = {2 * lam:.3f}$")
    ax.plot(times, 2 * result[f"{case}_mu"], "b:", lw=1, label=r"$2\mu(t)$ (Gronwall rate)")
    ax.set_xlabel(TIME_UNIT)
    ax.set_ylabel("growth rate")
    ax.set_title(r"(f) unstable: $\lim N E_N \propto e^{2\lambda t}$", fontsize=8.5)
    ax.legend(fontsize=7, frameon=False)


def plot(result: dict, path) -> None:
    """The figure, drawn from the result of compute (or dict(np.load(data)))."""
    fig, axes = plt.subplots(2, 3, figsize=(15, 8), constrained_layout=True)
    plot_NE(result, "paramagnet", axes[0, 0], "a")
    plot_limits(result, axes[0, 1])
    plot_NE(result, "unstable", axes[0, 2], "c")
    plot_ratio(result, axes[1, 0])
    plot_gronwall(result, axes[1, 1])
    plot_growth(result, axes[1, 2])
    fig.suptitle(r"Theorem 1 in the quantum Hopfield model: $E_N(t)=\frac{1}{2}\sum_a\omega_t"
                 r"((m_a-m_a^{\rm MF})^2)$; error bars 1 standard error; red: linear-noise prediction", fontsize=11)
    save_png(fig, path)


def summary(result):
    Ns = result["Ns"]
    lines = [f"Theorem 1, quantum Hopfield model, N = {Ns.min()}..{Ns.max()}, trajectories per N: "
             f"{result['ntraj'].tolist()}; exact N = {result['exact_Ns'].tolist()}"]
    case = "paramagnet"
    for j, (ts, k) in enumerate(zip(result["t_stars"], result[f"{case}_k_stars"])):
        c_fit, c_err, chi2, dof = result[f"{case}_collapse"][j]
        conv = "converged" if result[f"{case}_rich_converged"][k] else "NOT converged"
        lines.append(f"  paramagnet t* = {ts:g}: predicted lim N E_N = {result[f'{case}_c'][k]:.4f}; exact fit -> "
                     f"{result[f'{case}_rich_limit'][k]:.4f} +- {result[f'{case}_rich_err'][k]:.1g} (rms "
                     f"{result[f'{case}_rich_rms'][k]:.1e}, {conv}: increment ratios "
                     + ", ".join(f"{x:.2f}" for x in result[f"{case}_rich_ratios"][:, k]) + "); trajectories "
                     f"c + d/N: c = {c_fit:.4f} +- {c_err:.4f} (chi2/dof = {chi2:.1f}/{dof:.0f}); largest "
                     f"|N E_N - c| / (4 s.e. + finite-N correction) = {result[f'{case}_z_allow'][:, k].max():.2f}")
    case = "unstable"
    g, za = result[f"{case}_gauss"], result[f"{case}_z_allow"]
    lines.append(f"  unstable: lambda = {float(result[f'{case}_growth_rate']):.4f}; where c(t)/N < {EPS_GAUSS}: "
                 f"{int(g.sum())} points, largest |N E_N - c| / (4 s.e. + finite-N correction) = "
                 f"{za[g].max():.2f}")
    ratio = ", ".join(f"{v:.3f} +- {e:.3f} (N = {N})" for N, v, e in
                      zip(Ns, result[f"{case}_ratio_tx"], result[f"{case}_ratio_tx_err"]) if np.isfinite(v))
    lines.append(f"    N E_N / c at equal x = c/N, N >= 316: largest difference {float(result[f'{case}_collapse_z']):.2f} "
                 "combined s.e.")
    lines.append(f"    N E_N / c at t = t_x(N) = ln N / (2 lambda): {ratio}; d ln c/dt at t = "
                 f"{result['times'][-1]:g}: {result[f'{case}_growth'][-1]:.4f} (2 lambda = "
                 f"{2 * float(result[f'{case}_growth_rate']):.4f})")
    for c_ in CASES:
        lines.append(f"  {c_}: trajectories against the exact E_N at N = {result[f'{c_}_exact_z_Ns'].tolist()}: "
                     f"largest |z| {np.round(result[f'{c_}_exact_zmax'], 2).tolist()}")
    lines.append(f"  Gronwall (C1 = {float(result[f'{case}_C1']):.4f}, C2 = {float(result[f'{case}_C2']):.4f}): largest "
                 f"(E_N - bound)/s.e. = {result[f'{case}_bound_z'][:, 1:].max():.2f}; exact: smallest bound - E_N = "
                 f"{float(result[f'{case}_bound_exact_margin']):.3g}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    return run_experiment(argv, name="theorem1_scaling", description=__doc__.splitlines()[0], compute=compute, plot=plot,
                          summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
