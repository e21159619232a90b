"""Three-level atoms with a density-dependent decay: mean field, its 1/N corrections and E_N for qudits.

A Rydberg ladder of N atoms g-e-r (models.QuditModel, d = 3; docs/theory.md §17, §18): drives g-e
(Omega_1 = 1) and e-r (Omega_2 = 0.7), the all-to-all interaction (V/N) sum_{k,j} n_r^(k) n_r^(j) with
V = 1.5, the decay r -> g of every atom at the operator-valued rate gamma_r (1 + kappa Delta),
Delta = (1/N) sum_k n_r^(k) the Rydberg density (gamma_r = 0.5, kappa = 2), and e -> g at gamma_e = 0.3;
all atoms start in g. t in units of 1/Omega_1. Error bars: 1 standard error of the trajectory ensemble;
exact results have none.

Three references, as for spins: the exact irrep solver (the density matrix on the irreps of U(3),
N <= 14), trajectories on the irreps (N = 20 ... 80), mean field and the linear-noise theory
(`fluctuations`, docs/theory.md §18) whose lim N E_N(t) includes the terms of the rate's derivative
Gamma'(Delta); with the rate frozen at its mean-field value (rate_derivatives=False) the prediction
is another number.

Claims (full mode; printed by summary() and listed in plots/README.md):

(a) omega_t(n_a) of the trajectories follow mean field, with an O(1/N) bias resolved at N = 20.
(b) N E_N(t) of the exact solver converges to the linear-noise lim N E_N(t) from below, and the
    trajectories' N E_N(t) lie on the exact finite-N values.
(c) At t* = 2: the exact N E_N = 2.5291 (N = 4) ... 2.5536 (N = 14), with increments shrinking
    towards the 1/N rate (successive ratios 0.61, 0.67, 0.71, 0.75 against 0.50, 0.60, 0.67, 0.71
    for a pure 1/N: the convergence check passes), fitted by c + d/N + e/N^2 over N = 6 .. 14
    (`extrapolate_limit`): c = 2.56775 +- 3.6e-4 (the error joins the fit's residuals, rms 5e-6, and the
    change of c when N = 6 is dropped, 1.4e-4, times 2.58: the miss of c that change implies if the
    left-out terms start with 1/N^3 at these N) against the linear-noise 2.56809 (0.9 errors) and 2.4823
    with the rate frozen at mean field (236 errors).
    Trajectories: 2.579 +- 0.015, 2.567 +- 0.020, 2.600 +- 0.033 at N = 20, 40, 80 (4000, 2000,
    800 trajectories), within 1.4 combined errors of the fit at their N.
(d) The bias N (omega(n_r) - n_r^MF)(t*): exact -0.2030 ... -0.2102 -> -0.21409 +- 6e-6;
    trajectories -0.197 +- 0.014, -0.236 +- 0.029, -0.194 +- 0.067, within 1.0 combined errors.

    python experiments/qudit_ladder.py [--fast] [--out plots/qudit_ladder.png] [--data results/qudit_ladder.npz]
                                       [--n-jobs 2]
"""
import time
from dataclasses import asdict, dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from models import QuditChannel, QuditModel  # noqa: E402
from trajectories import (clustering, exact_evolution, extrapolate_limit, fluctuations, mean_field,  # noqa: E402
                          run_ensemble)
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402

#: trajectory points within Z_MAX standard errors (the fit's error added) of the exact fit
Z_MAX = 4.0
LEVELS = ("g", "e", "r")
EXACT_OPTIONS = dict(rtol=1e-10, atol=1e-12)
TIME_UNIT = r"$t$ [$1/\Omega_1$]"


@dataclass(frozen=True)
class Params:
    """Physical and numerical parameters (defaults: the committed figure)."""
    omega1: float = 1.0
    omega2: float = 0.7
    V: float = 1.5
    gamma_r: float = 0.5
    kappa: float = 2.0
    gamma_e: float = 0.3
    t_max: float = 3.0
    num_times: int = 13
    t_star: float = 2.0
    exact_Ns: tuple = (4, 6, 8, 10, 12, 14)
    Ns: tuple = (20, 40, 80)
    ntraj: tuple = (4000, 2000, 800)
    seed: int = 2026


FAST = Params(exact_Ns=(4, 5, 6, 7, 8), Ns=(10, 16), ntraj=(400, 300))


def projector(level: int) -> np.ndarray:
    return np.diag(np.eye(3)[level])


def components(A: np.ndarray) -> np.ndarray:
    """The components of a Hermitian 3x3 matrix in the Gell-Mann basis (QuditModel.components, the
    models' default basis)."""
    return QuditModel(1, 3).components(A)


def ladder(N: int, p: Params) -> QuditModel:
    """The g-e-r ladder of the module docstring."""
    H1 = np.zeros((3, 3))
    H1[0, 1] = H1[1, 0] = p.omega1
    H1[1, 2] = H1[2, 1] = p.omega2
    nr = components(projector(2))
    decay_r, decay_e = np.zeros((3, 3)), np.zeros((3, 3))
    decay_r[0, 2] = decay_e[0, 1] = 1.0
    rate = lambda x: p.gamma_r * (1 + p.kappa * x)   # noqa: E731
    return QuditModel(N, 3, eps=components(H1), h=p.V * np.outer(nr, nr),
                      channels=[QuditChannel(decay_r, rate=rate, r=nr), QuditChannel(decay_e, rate=p.gamma_e)])


def populations(mean: np.ndarray) -> np.ndarray:
    """omega(n_a) (3, T) from the components (9, T) (the basis is orthonormal)."""
    return np.array([components(projector(a)) @ mean for a in range(3)])


def exact_runs(p: Params, times, rho1, mf):
    """(N E_N (nEx, T), populations (nEx, 3, T), seconds) of the exact irrep solver."""
    NE, pops, t0 = [], [], time.perf_counter()
    for N in p.exact_Ns:
        ex = exact_evolution(ladder(N, p), rho1, times, options=EXACT_OPTIONS)
        NE.append(N * clustering(ex, mf)[0])
        pops.append(populations(ex.mean))
    return np.array(NE), np.array(pops), time.perf_counter() - t0


def trajectory_runs(p: Params, times, rho1, mf, n_jobs):
    """(N E_N, its s.e. (nN, T), populations, their s.e. (nN, 3, T), jumps per trajectory, seconds)."""
    NE, NE_se, pops, pops_se, jumps, t0 = [], [], [], [], [], time.perf_counter()
    for N, ntraj in zip(p.Ns, p.ntraj):
        ens = run_ensemble(ladder(N, p), rho1, times, ntraj=ntraj, seed=[p.seed, N],
                           execution=dict(n_jobs=n_jobs))
        EN, se = clustering(ens, mf)
        NE.append(N * EN)
        NE_se.append(N * se)
        pops.append(populations(ens.mean))
        pops_se.append(np.sqrt(np.array([components(projector(a)) ** 2 @ ens.stderr ** 2 for a in range(3)])))
        jumps.append(ens.njumps / ntraj)
    return (np.array(NE), np.array(NE_se), np.array(pops), np.array(pops_se), np.array(jumps),
            time.perf_counter() - t0)


def compare(p: Params, k: int, exact, traj, traj_se, Ns, name: str) -> dict:
    """The exact values at t_k against 1/N and the trajectories against them.

    The fit c + d/N + e/N^2 over every exact N but the smallest (`extrapolate_limit`) gives the limit c; its
    error joins the fit's residual error and the change of c when the smallest N of the window is dropped
    too, converted to the miss of c it implies if the left-out terms start with 1/N^3 (the fit's residuals
    alone, a few 1e-6, would hide them). The trajectory values are compared with the fit at their N, whose
    error is formed the same way, in units of the combined error (z)."""
    exact_Ns = np.asarray(p.exact_Ns)
    fit = extrapolate_limit(exact_Ns, exact[:, k], order=2, window=len(exact_Ns) - 1)
    pred, pred_err = fit.at(Ns)
    z = (traj[:, k] - pred) / np.sqrt(traj_se[:, k] ** 2 + pred_err ** 2)
    return {f"{name}_coef": fit.coefficients, f"{name}_lim": fit.limit, f"{name}_lim_err": fit.error,
            f"{name}_lim_window": fit.window_change, f"{name}_rms": fit.rms, f"{name}_pred": pred,
            f"{name}_pred_err": pred_err, f"{name}_z": z, f"{name}_converged": fit.converged,
            f"{name}_ratios": fit.ratios, f"{name}_pred_ratios": fit.predicted_ratios}


def compute(params: Params = Params(), n_jobs: int = 2) -> dict:
    p = params
    times = np.linspace(0.0, p.t_max, p.num_times)
    k = int(np.argmin(np.abs(times - p.t_star)))
    rho1 = projector(0).astype(complex)
    model = ladder(p.exact_Ns[0], p)
    mf = mean_field(model, rho1, times, options=dict(rtol=1e-11, atol=1e-13))     # N-independent
    theory = fluctuations(model, rho1, times).clustering
    frozen = fluctuations(model, rho1, times, rate_derivatives=False).clustering
    NE_ex, pops_ex, t_exact = exact_runs(p, times, rho1, mf)
    NE, NE_se, pops, pops_se, jumps, t_traj = trajectory_runs(p, times, rho1, mf, n_jobs)
    mf_pops = populations(mf.mean)
    exact_Ns, Ns = np.array(p.exact_Ns), np.array(p.Ns)
    bias_ex = exact_Ns[:, None] * (pops_ex[:, 2] - mf_pops[2])
    bias, bias_se = Ns[:, None] * (pops[:, 2] - mf_pops[2]), Ns[:, None] * pops_se[:, 2]
    result = {key: np.asarray(v) for key, v in asdict(p).items()}
    result.update(times=times, k_star=k, mf_pops=mf_pops, theory=theory, frozen=frozen, NE_exact=NE_ex,
                  pops_exact=pops_ex, NE=NE, NE_se=NE_se, pops=pops, pops_se=pops_se, bias_exact=bias_ex,
                  bias=bias, bias_se=bias_se, jumps=jumps, seconds=np.array([t_exact, t_traj]))
    result.update(compare(p, k, NE_ex, NE, NE_se, Ns, "NE"))
    result.update(compare(p, k, bias_ex, bias, bias_se, Ns, "bias"))
    return {key: np.asarray(v) for key, v in result.items()}


def plot_populations(r, ax):
    times, i, j = r["times"], len(r["Ns"]) - 1, len(r["exact_Ns"]) - 1
    for a, name in enumerate(LEVELS):
        ax.plot(times, r["mf_pops"][a], "-", color=f"C{a}", lw=1.2, label=rf"$n_{name}^{{\rm MF}}(t)$")
        ax.plot(times, r["pops_exact"][j, a], ":", color=f"C{a}", lw=1.0,
                label=rf"exact $N={int(r['exact_Ns'][j])}$" if a == 0 else None)
        ax.errorbar(times, r["pops"][i, a], r["pops_se"][i, a], fmt="o", ms=3, color=f"C{a}",
                    label=rf"trajectories $N={int(r['Ns'][i])}$" if a == 0 else None)
    ax.set_xlabel(TIME_UNIT)
    ax.set_ylabel(r"$\omega_t(n_a)$, $n_a = |a\rangle\langle a|$ averaged")
    ax.set_title(r"(a) g-e-r ladder, decay $r\to g$ at $\gamma_r(1+\kappa\,\Delta)$, $\Delta = n_r$", fontsize=9)
    ax.legend(fontsize=7, frameon=False, ncol=2)


def plot_clustering(r, ax):
    times = r["times"]
    ax.plot(times, r["theory"], "k-", lw=2, alpha=0.5, label=r"linear noise $\lim N E_N$")
    ax.plot(times, r["frozen"], "k--", lw=1, label=r"rate frozen at mean field ($\Gamma' = 0$)")
    shades = np.linspace(0.3, 1.0, len(r["exact_Ns"]))
    for j, N in enumerate(r["exact_Ns"]):
        ax.plot(times, r["NE_exact"][j], "-", color="C0", lw=0.8, alpha=shades[j],
                label=f"exact $N = {int(r['exact_Ns'][0])}..{int(r['exact_Ns'][-1])}$" if j == 0 else None)
    for i, N in enumerate(r["Ns"]):
        ax.errorbar(times, r["NE"][i], r["NE_se"][i], fmt="os^"[i % 3], ms=3, color=f"C{i + 1}",
                    label=f"trajectories $N = {int(N)}$")
    ax.set_xlabel(TIME_UNIT)
    ax.set_ylabel(r"$N\,E_N(t)$ (paper eq. 24)")
    ax.set_title(r"(b) $N E_N(t)$ converges to the linear-noise limit", fontsize=9)
    ax.legend(fontsize=6.5, frameon=False)


def plot_against_n(r, ax, name: str, exact, traj, traj_se, theory, label: str, title: str):
    k = int(r["k_star"])
    exact_Ns, Ns = r["exact_Ns"], r["Ns"]
    x = np.linspace(0, 1.05 / exact_Ns[1], 60)
    coef = r[f"{name}_coef"]
    ax.plot(1 / exact_Ns, exact[:, k], "o", color="C0", ms=4, label="exact")
    ax.plot(x, coef[0] + coef[1] * x + coef[2] * x ** 2, "-", color="C0", lw=0.8,
            label=r"fit $c + d/N + e/N^2$ ($N \geq %d$)" % exact_Ns[1])
    ax.errorbar(1 / Ns, traj[:, k], traj_se[:, k], fmt="s", color="C3", ms=4, label="trajectories")
    ax.errorbar([0], [r[f"{name}_lim"]], [r[f"{name}_lim_err"]], fmt="o", color="C0", mfc="w", ms=6,
                label=rf"$N\to\infty$: {float(r[f'{name}_lim']):.5f} $\pm$ {float(r[f'{name}_lim_err']):.1e}")
    for value, mark, what in theory:
        ax.plot([0], [value], mark, ms=9, label=f"{what}: {value:.5f}")
    ax.axvline(0, color="k", lw=0.5)
    ax.set_xlabel(r"$1/N$")
    ax.set_ylabel(label)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6.5, frameon=False)


def plot(result: dict, path) -> None:
    r = result
    k = int(r["k_star"])
    ts = float(r["times"][k])
    fig, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    plot_populations(r, axes[0, 0])
    plot_clustering(r, axes[0, 1])
    plot_against_n(r, axes[1, 0], "NE", r["NE_exact"], r["NE"], r["NE_se"],
                   [(float(r["theory"][k]), "k+", "linear noise"), (float(r["frozen"][k]), "kx", r"$\Gamma' = 0$")],
                   rf"$N E_N(t^* = {ts:g})$", r"(c) $N E_N(t^*)$ against $1/N$")
    plot_against_n(r, axes[1, 1], "bias", r["bias_exact"], r["bias"], r["bias_se"], [],
                   r"$N(\omega_{t^*}(n_r) - n_r^{\rm MF}(t^*))$", r"(d) the $O(1/N)$ bias of $n_r$ at $t^*$")
    fig.tight_layout()
    save_png(fig, path)
    plt.close(fig)


def summary(result):
    r = result
    k = int(r["k_star"])
    ints = lambda a: ", ".join(str(int(x)) for x in a)   # noqa: E731
    lines = [f"t* = {float(r['times'][k]):g}: exact N = {ints(r['exact_Ns'])} in {float(r['seconds'][0]):.0f} s, "
             f"trajectories N = {ints(r['Ns'])} ({ints(r['ntraj'])} trajectories; jumps per trajectory "
             f"{', '.join(f'{j:.1f}' for j in r['jumps'])}) in {float(r['seconds'][1]):.0f} s"]
    for name, what in (("NE", "N E_N(t*)"), ("bias", "N (n_r - n_r^MF)(t*)")):
        lim, err = float(r[f"{name}_lim"]), float(r[f"{name}_lim_err"])
        lines.append(f"{what}: exact {', '.join(f'{v:.4f}' for v in r[name + '_exact' if name == 'bias' else 'NE_exact'][:, k])}"
                     f" -> {lim:.5f} +- {err:.1e} (window change {float(r[name + '_lim_window']):.1e}, fit rms "
                     f"residual {float(r[name + '_rms']):.1e}; increment ratios "
                     + ", ".join(f"{x:.2f}" for x in r[name + "_ratios"]) + " against "
                     + ", ".join(f"{x:.2f}" for x in r[name + "_pred_ratios"]) + " for 1/N: "
                     + ("converged" if r[name + "_converged"] else "NOT converged") + ")")
        traj = r["NE" if name == "NE" else "bias"][:, k]
        se = r["NE_se" if name == "NE" else "bias_se"][:, k]
        lines.append("    trajectories " + ", ".join(f"{v:.3f} +- {s:.3f}" for v, s in zip(traj, se))
                     + f"; |z| against the fit's prediction <= {np.abs(r[name + '_z']).max():.2f}")
    th, fr = float(r["theory"][k]), float(r["frozen"][k])
    lines.append(f"linear noise lim N E_N(t*) = {th:.4f} ({(float(r['NE_lim']) - th) / float(r['NE_lim_err']):+.1f} "
                 f"errors from the exact limit); with the rate frozen {fr:.4f} "
                 f"({(float(r['NE_lim']) - fr) / float(r['NE_lim_err']):+.0f} errors)")
    return "\n".join(lines)


def main(argv=None) -> dict:
    return run_experiment(argv, name="qudit_ladder", description=__doc__.splitlines()[0], compute=compute, plot=plot,
                          summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
