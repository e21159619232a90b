"""Switching between the retrieval branches of the quantum Hopfield model: Arrhenius growth with N,
the exact spectral gap, and stationary averages from long trajectories.

Model (`hopfield_model`, docs/theory.md §7 and §13): one pattern, eq. 59 rates, beta = 1.8, Omega = 0.1, in
the retrieval phase (beta > 1 + 8 Omega^2 and beta sech^2(beta m*) < 3/2): mean field has the stable pair
m_z = +-m* (m* = 0.80) and never leaves it. At finite N a trajectory hops between the branches; the
trajectory is in branch + once <m_z> >= a, in branch - once <m_z> <= -a (a = 0.4 ~ m*/2, hysteresis), and
the switching rate is k = switches / time spent in a branch, error k / sqrt(switches). Start: coherent
theta = 0.2 (branch +).

Exact reference. The pi rotation about x maps the model onto itself (m_z -> -m_z), so the slowest mode of the
Lindbladian is the population difference of the branches: its rate, the spectral gap lambda_1 of the
sector-reduced Lindbladian, is 2k (`spectral_gap`), up to corrections of order lambda_1 / lambda_2 (the
next rate, intra-branch relaxation; 0.54 at N = 4, 0.04 at N = 16). The thresholds a = 0.2 and 0.6 bracket
the definition's dependence on a, which vanishes with that ratio.

Claims (full mode: N = 8 ... 40, 16-32 trajectories of 2 10^3 - 2 10^4 time units each):
(a) sample trajectories: a trajectory stays in a branch for a time that grows with N;
(b) the stationary distribution P(m_z) (time average of the quantum distribution after a burn-in) is bimodal
    and equals the exact stationary state's within 4 standard errors (autocorrelation-time errors);
(c) the mean switching time 1/k grows exponentially with N and agrees with the exact 2/lambda_1 within
    4 s.e. plus the lambda_1/lambda_2 correction; the exact ln(2/lambda_1) grows by Delta Phi per spin
    (the Arrhenius exponent, from the exact gaps at the largest N);
(d) stationary <m_z^2>: time averages (errors from the integrated autocorrelation time, emcee's estimator)
    against the exact stationary state.

    python experiments/switching.py [--fast] [--out plots/switching.png] [--data results/switching.npz]
                                    [--n-jobs 2]
"""
import time
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from models import hopfield_model  # noqa: E402
from trajectories import coherent_state  # noqa: E402
from trajectories.analysis.switching import switching_rate  # noqa: E402
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402
from trajectories.engine.stationary import stationary_average  # noqa: E402
from trajectories.reference.sectors import sector_populations  # noqa: E402
from trajectories.reference.spectrum import slowest_rates  # noqa: E402
from trajectories.reference.stationary import sector_stationary  # noqa: E402

THRESHOLDS = (0.2, 0.4, 0.6)   # the middle one defines k; the others bracket the definition


@dataclass(frozen=True)
class Params:
    """Physical and numerical parameters (defaults: the committed figure)."""
    beta: float = 1.8
    omega: float = 0.1
    theta: float = 0.2
    Ns: tuple = (8, 12, 16, 24, 32, 40)
    ntraj: tuple = (16, 16, 16, 16, 32, 32)
    switches: float = 400.0      # expected switches per N (sets the trajectory length)
    max_t: float = 25000.0
    dt: float = 1.0
    burn_in: float = 20.0
    distribution_max_N: int = 24
    gap_Ns: tuple = (8, 12, 16, 24, 32, 40, 48, 56, 64)
    seed: int = 2027


FAST = Params(Ns=(4, 8, 12), ntraj=(8, 8, 8), switches=150.0, max_t=4000.0, dt=0.5, distribution_max_N=12,
              gap_Ns=(4, 8, 12, 16, 20))


def model_for(p: Params, N: int):
    return hopfield_model(N, p.beta, p.omega)


def exact_gaps(p: Params) -> dict:
    """lambda_1 and lambda_2 (the two slowest non-zero rates) of the reduced Lindbladian per N."""
    lam1, lam2 = [], []
    for N in sorted(set(p.gap_Ns) | set(p.Ns)):
        rates = -slowest_rates(model_for(p, N), coherent_state(p.theta), k=4).real
        lam1.append(rates[1])
        lam2.append(rates[2])
    Ns = np.array(sorted(set(p.gap_Ns) | set(p.Ns)))
    slope = np.diff(np.log(2 / np.array(lam1)))[-1] / np.diff(Ns)[-1]
    return dict(gap_Ns=Ns, lambda1=np.array(lam1), lambda2=np.array(lam2), arrhenius_slope=np.asarray(slope))


def exact_stationary(p: Params, N: int) -> dict:
    """The exact stationary P(m_z) (N + 1,) and <m_z^2>."""
    lind, y = sector_stationary(model_for(p, N), coherent_state(p.theta))
    pops = sector_populations(lind, y[:, None])[0]
    mz = 1 - 2 * np.arange(N + 1) / N             # grid order: m_z from +1 down
    return dict(P=pops[::-1], mz2=np.asarray(pops @ mz ** 2))


def trajectory_run(p: Params, i: int, N: int, tau_exact: float, n_jobs: int) -> dict:
    ntraj = p.ntraj[i]
    t_total = float(min(p.max_t, max(200.0, p.switches * tau_exact / ntraj)))
    dist = N <= p.distribution_max_N
    t0 = time.perf_counter()
    st = stationary_average(model_for(p, N), coherent_state(p.theta), burn_in=p.burn_in, t_total=t_total,
                            dt=p.dt, ntraj=ntraj, seed=p.seed + N, distributions=dist,
                            execution=dict(n_jobs=n_jobs))
    seconds = time.perf_counter() - t0
    ens = st.ensemble
    mz = ens.trajectory_means()[:, :, 0, 2]
    out = {f"N{N}_seconds": np.asarray(seconds), f"N{N}_t_total": np.asarray(t_total),
           f"N{N}_sample": mz[0, : int(min(t_total, 40 * tau_exact, 4000) / p.dt)],
           f"N{N}_mz2": np.asarray(st.second[2, 2]), f"N{N}_mz2_err": np.asarray(st.second_stderr[2, 2]),
           f"N{N}_mz2_tau": np.asarray(st.second_tau[2, 2])}
    for a in THRESHOLDS:
        r = switching_rate(ens.times, mz, -a, a)
        out[f"N{N}_k{a}"], out[f"N{N}_k{a}_err"] = np.asarray(r.rate), np.asarray(r.stderr)
        out[f"N{N}_switches{a}"] = np.asarray(r.n_switches)
    if dist:
        values, P, err = st.distribution()
        out[f"N{N}_P"], out[f"N{N}_P_err"] = P, err
    return out


def compute(p: Params = Params(), n_jobs: int = 2) -> dict:
    """Everything the figure and the summary show."""
    res = dict(Ns=np.array(p.Ns), ntraj=np.array(p.ntraj), params=np.array([p.beta, p.omega, p.theta, p.dt]))
    t0 = time.perf_counter()
    res.update(exact_gaps(p))
    for N in p.Ns:
        for k, v in exact_stationary(p, N).items():
            res[f"N{N}_exact_{k}"] = v
    res["exact_seconds"] = np.asarray(time.perf_counter() - t0)
    for i, N in enumerate(p.Ns):
        lam = res["lambda1"][list(res["gap_Ns"]).index(N)]
        res.update(trajectory_run(p, i, N, 2 / lam, n_jobs))
    return res


def gap_at(res, N, key="lambda1") -> float:
    return float(res[key][list(res["gap_Ns"]).index(N)])


def _colors(n):
    return plt.cm.viridis(np.linspace(0, 0.85, n))


def plot_samples(ax, res):
    dt = float(res["params"][3])
    shown = [res["Ns"][0], res["Ns"][len(res["Ns"]) // 2], res["Ns"][-1]]
    for c, N in zip(_colors(3), shown):
        x = res[f"N{N}_sample"]
        ax.plot(np.arange(len(x)) * dt, x, lw=0.6, color=c, label=f"N = {N}")
    for s in (-1, 1):
        ax.axhline(0.4 * s, color="0.6", lw=0.6, ls="--")
    ax.set(xlabel="t", ylabel=r"$\langle m_z\rangle_\psi(t)$", title="(a) one trajectory per N: residence grows")
    ax.legend(fontsize=7, frameon=False, loc="lower right")


def plot_distributions(ax, res):
    Ns = [N for N in res["Ns"] if f"N{N}_P" in res]
    for c, N in zip(_colors(len(Ns)), Ns):
        mz = np.linspace(-1, 1, N + 1)
        ax.plot(mz, res[f"N{N}_exact_P"] * N / 2, "-", color=c, lw=1, label=f"exact stationary N = {N}")
        ax.errorbar(mz, res[f"N{N}_P"] * N / 2, res[f"N{N}_P_err"] * N / 2, fmt="o", ms=3, color=c, capsize=1.5)
    ax.errorbar([], [], [], fmt="o", color="k", label="trajectories (time average, 1 s.e.)")
    ax.set(xlabel=r"$m_z$", ylabel=r"$P(m_z)\,N/2$", title="(b) the stationary state is bimodal")
    ax.legend(fontsize=7, frameon=False)


def plot_times(ax, res):
    gN = res["gap_Ns"]
    ax.semilogy(gN, 2 / res["lambda1"], "k-", lw=1.5, label=r"exact $2/\lambda_1$")
    for a, fmt in zip(THRESHOLDS, ("v", "o", "^")):
        k = np.array([float(res[f"N{N}_k{a}"]) for N in res["Ns"]])
        e = np.array([float(res[f"N{N}_k{a}_err"]) for N in res["Ns"]])
        ax.errorbar(res["Ns"], 1 / k, e / k ** 2, fmt=fmt, ms=4 if a == 0.4 else 3, capsize=2,
                    mfc="C1" if a == 0.4 else "none", color="C1", label=f"trajectories, a = {a}")
    ax.set(xlabel="N", ylabel="mean switching time 1/k",
           title=rf"(c) Arrhenius growth: d ln$\tau$/dN = {float(res['arrhenius_slope']):.4f} (exact)")
    ax.legend(fontsize=7, frameon=False)


def plot_stationary(ax, res):
    Ns = res["Ns"]
    exact = np.array([float(res[f"N{N}_exact_mz2"]) for N in Ns])
    v = np.array([float(res[f"N{N}_mz2"]) for N in Ns])
    e = np.array([float(res[f"N{N}_mz2_err"]) for N in Ns])
    ax.plot(Ns, exact, "ks-", ms=4, label="exact stationary state")
    ax.errorbar(Ns, v, e, fmt="o", color="C1", capsize=2, label="time average (autocorrelation errors)")
    ax.set(xlabel="N", ylabel=r"$\langle m_z^2\rangle_{ss}$", title="(d) stationary averages from trajectories")
    ax.legend(fontsize=7, frameon=False)


def plot(res: dict, out) -> None:
    fig, ax = plt.subplots(2, 2, figsize=(12, 8.4), constrained_layout=True)
    plot_samples(ax[0, 0], res)
    plot_distributions(ax[0, 1], res)
    plot_times(ax[1, 0], res)
    plot_stationary(ax[1, 1], res)
    beta, omega, theta, _ = res["params"]
    fig.suptitle(rf"Hopfield retrieval branches: $\beta$ = {beta:g}, $\Omega$ = {omega:g}, coherent start "
                 rf"$\theta$ = {theta:g}", fontsize=10)
    save_png(fig, out)


def summary(res: dict) -> str:
    lines = [f"exact Arrhenius slope d ln(2/lambda_1)/dN = {float(res['arrhenius_slope']):.4f} at N = "
             f"{res['gap_Ns'][-2]}..{res['gap_Ns'][-1]}"]
    for N, ntraj in zip(res["Ns"], res["ntraj"]):
        lam1, lam2 = gap_at(res, N), gap_at(res, N, "lambda2")
        k, e = float(res[f"N{N}_k0.4"]), float(res[f"N{N}_k0.4_err"])
        lo, hi = (float(res[f"N{N}_k{a}"]) for a in (0.6, 0.2))
        v, ve, exact = (float(res[f"N{N}_{x}"]) for x in ("mz2", "mz2_err", "exact_mz2"))
        lines.append(f"N = {N} ({ntraj} x t = {float(res[f'N{N}_t_total']):.0f}, "
                     f"{int(res[f'N{N}_switches0.4'])} switches, {float(res[f'N{N}_seconds']):.0f} s): "
                     f"1/k = {1 / k:.1f} +- {e / k ** 2:.1f} (a = 0.6 .. 0.2: {1 / lo:.1f} .. {1 / hi:.1f}) "
                     f"against exact 2/lambda_1 = {2 / lam1:.1f} (lambda_1/lambda_2 = {lam1 / lam2:.2f}); "
                     f"<m_z^2>_ss = {v:.4f} +- {ve:.4f} against {exact:.4f} (tau_int = "
                     f"{float(res[f'N{N}_mz2_tau']):.1f})")
    lines.append(f"exact references {float(res['exact_seconds']):.1f} s")
    return "\n".join(lines)


def main(argv=None):
    return run_experiment(argv, name="switching", description=__doc__.splitlines()[0], compute=compute,
                          plot=plot, summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
