"""Mean field is exact as N -> oo: the bias omega_t(m) - m_MF(t) is b(t)/N, N = 10 ... 10^4.

Quantum Hopfield model (docs/theory.md §7, eq. 59 rates: t in units of the inverse single-site flip rate) in its
paramagnetic phase, beta = 1, Omega = 0.5 (the paramagnet's Jacobian [[-1/2, -2 Omega], [2 Omega, beta - 1]] is
a stable focus), coherent start at theta = 0.4. Error bars: 1 standard error.

What is measured, and what can be measured. The deviation D(t) = omega_t(m) - m_MF(t) of the exact expectation
from mean field is a deterministic *bias*: the drift of omega_t(m_z) contains omega_t(tanh(beta m_z)), which
differs from tanh(beta omega_t(m_z)) by (1/2) tanh'' Var(m_z) = O(1/N) for a clustering state (Var = O(1/N),
Theorem 1), so D(t) = b(t)/N + O(1/N^2). A trajectory ensemble estimates omega_t(m) with a statistical error
sigma ~ s/sqrt(ntraj N): the bias is resolved only while |b|/N >> sigma, i.e. N << ntraj |b|^2/s^2 (N = 10^4
would need ~10^6 trajectories); beyond N ~ 10^3 the trajectory points are noise-dominated, and a power law fitted
to |D_hat| there would return the noise exponent -1/2. So this script fits no exponent. It

(b) computes N D(t) exactly (no noise) from the sector-reduced master equation for N = 10, 14, ..., 80 and its
    N -> oo limit b(t) by Richardson extrapolation in 1/N through the four largest N (error: the change when one
    N fewer is used; docs/theory.md §4): the exact curves converge onto b(t);
(c) compares N D_a(t*) at t* = 1, 2, 4 of the trajectories (N = 10 ... 10^4) with b_a(t*), within 4 standard
    errors plus the exact points' finite-N correction |c1|/N + |c2|/N^2, and marks where the statistical error
    exceeds the bias (|b|/N < 2 sigma);
(a) shows omega_t(m) against mean field.

Numbers (full mode): summary() and plots/README.md.

    python experiments/mf_exactness.py [--fast] [--out plots/mf_exactness.png] [--data results/mf_exactness.npz]
                                       [--n-jobs 2]
"""
import time
from dataclasses import asdict, dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from models import hopfield_model  # noqa: E402
from trajectories import coherent_state, exact_evolution, mean_field, richardson, run_ensemble  # noqa: E402
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402

#: number of the largest exact N through which the Richardson polynomial in 1/N is taken
RICHARDSON_ORDER = 4
TIME_UNIT = r"$t$ [1/$\gamma$, $\gamma = \Gamma_+^2 + \Gamma_-^2 = 1$]"


@dataclass(frozen=True)
class Params:
    """Physical and numerical parameters (defaults: the committed figure)."""
    beta: float = 1.0
    omega: float = 0.5
    theta: float = 0.4
    exact_Ns: tuple = (10, 14, 20, 28, 40, 57, 80)
    Ns: tuple = (10, 31, 100, 316, 1000, 3162, 10000)
    ntraj: tuple = (10000, 8000, 6000, 4000, 3000, 600, 100)
    t_max: float = 4.0
    n_times: int = 17
    t_stars: tuple = (1.0, 2.0, 4.0)
    seed: int = 2000                  # N index i uses seed + i


FAST = Params(exact_Ns=(10, 14, 20, 28, 40), Ns=(10, 31, 100), ntraj=(3000, 3000, 1000), t_max=2.0, n_times=9,
              t_stars=(1.0, 2.0))


def deviations(params, times, n_jobs):
    """Mean field (3, T); exact D (nEx, 3, T); trajectory D and its standard errors (nN, 3, T); seconds."""
    state = coherent_state(theta=params.theta)

    def model(N):
        return hopfield_model(int(N), params.beta, params.omega)

    mf = mean_field(model(10), state, times).mean             # N-independent
    t0 = time.perf_counter()
    Dex = np.array([exact_evolution(model(N), state, times, method="sectors").mean - mf for N in params.exact_Ns])
    exact_seconds = time.perf_counter() - t0
    D, S, secs = [], [], []
    for i, (N, n) in enumerate(zip(params.Ns, params.ntraj)):
        t1 = time.perf_counter()
        ens = run_ensemble(model(N), state, times, ntraj=int(n), seed=params.seed + i,
                           execution=dict(n_jobs=n_jobs))
        secs.append(time.perf_counter() - t1)
        D.append(ens.mean - mf)
        S.append(ens.stderr)
    return dict(mf=mf, D_exact=Dex, D=np.array(D), stderr=np.array(S), seconds=np.array(secs),
                exact_seconds=exact_seconds)


def analyse(params, r, times):
    """The Richardson limit b(t) of the exact N D(t), the finite-N allowance of every trajectory N, the
    trajectories' z against b (with and without the allowance) and the noise-dominated points."""
    Nex = np.asarray(params.exact_Ns, float)
    lim = richardson(Nex, Nex[:, None, None] * r["D_exact"], order=RICHARDSON_ORDER)      # (3, T)
    Ns = np.asarray(params.Ns, float)[:, None, None]
    allow = np.abs(lim.coefficients[1])[None] / Ns + np.abs(lim.coefficients[2])[None] / Ns ** 2
    ND, NS = Ns * r["D"], Ns * r["stderr"]
    z_allow = np.zeros_like(ND)                                                            # t = 0 is exact
    z_allow[..., 1:] = np.abs(ND - lim.limit[None])[..., 1:] / (4 * NS + allow)[..., 1:]
    noise = np.sqrt(np.sum(r["stderr"] ** 2, axis=1))                                      # (nN, T)
    bias = np.linalg.norm(lim.limit, axis=0)[None] / Ns[:, :, 0]                           # |b|/N
    ks = np.array([int(np.argmin(np.abs(times - ts))) for ts in params.t_stars])
    common = [(i, list(params.exact_Ns).index(N)) for i, N in enumerate(params.Ns) if N in params.exact_Ns]
    zex = np.array([np.abs(r["D"][i] - r["D_exact"][j])[:, 1:] / r["stderr"][i][:, 1:] for i, j in common])
    return dict(b=lim.limit, b_err=lim.error, b_coef=lim.coefficients, allow=allow, z_allow=z_allow, noise=noise,
                resolved=bias > 2 * noise, k_stars=ks, common_Ns=np.array([params.Ns[i] for i, _ in common]),
                exact_zmax=zex.max() if len(common) else np.nan)


def compute(params: Params = Params(), n_jobs: int = 2) -> dict:
    """Exact and trajectory deviations from mean field and their fits; npz-ready arrays and the parameters."""
    times = np.linspace(0, params.t_max, params.n_times)
    result = {k: np.asarray(v) for k, v in asdict(params).items()}
    result["times"] = times
    r = deviations(params, times, n_jobs)
    r.update(analyse(params, r, times))
    result.update({k: np.asarray(v) for k, v in r.items()})
    return result


def plot_averages(result, ax):
    times, mf, D, S = (result[k] for k in ("times", "mf", "D", "stderr"))
    Ns = result["Ns"]
    i = len(Ns) // 2
    for a, name in enumerate("xyz"):
        ax.plot(times, mf[a], "-", color=f"C{a}", lw=1.2, label=rf"$m_{name}^{{\rm MF}}(t)$")
        ax.errorbar(times, D[i, a] + mf[a], S[i, a], fmt="o", ms=3, color=f"C{a}",
                    label=rf"$\omega_t(m_a)$, $N={Ns[i]}$" if a == 0 else None)
    ax.set_xlabel(TIME_UNIT)
    ax.set_ylabel(r"$\omega_t(m_a)$, $m_a^{\rm MF}(t)$")
    ax.legend(fontsize=7, frameon=False, ncol=2)
    ax.set_title(rf"(a) Hopfield paramagnet $\beta={float(result['beta']):g}$, $\Omega={float(result['omega']):g}$, "
                 rf"$\theta_0={float(result['theta']):g}$", fontsize=9)


def plot_exact_bias(result, ax):
    times, Dex, exact_Ns = result["times"], result["D_exact"], result["exact_Ns"]
    shades = np.linspace(0.25, 1.0, len(exact_Ns))
    for a, name in enumerate("xyz"):
        for j, N in enumerate(exact_Ns):
            ax.plot(times, N * Dex[j, a], "-", color=f"C{a}", lw=0.8, alpha=shades[j],
                    label=f"exact $N = {exact_Ns[0]}..{exact_Ns[-1]}$ (darker: larger)" if a == 0 and j == 0 else None)
        b, e = result["b"][a], result["b_err"][a]
        ax.plot(times, b, "k--", lw=1.2, label=r"$N\to\infty$ (Richardson)" if a == 0 else None)
        ax.fill_between(times, b - e, b + e, color="k", alpha=0.2, lw=0)
        ax.text(times[-1], b[-1], f" $b_{name}$", color=f"C{a}", va="center", fontsize=8)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel(TIME_UNIT)
    ax.set_ylabel(r"$N\,(\omega_t(m_a)-m_a^{\rm MF}(t))$")
    ax.set_title(r"(b) exact $N \times$ bias converges to $b(t)$", fontsize=9)
    ax.legend(fontsize=7, frameon=False)


def plot_trajectory_bias(result, ax):
    Ns, times = result["Ns"], result["times"]
    ND, NS = Ns[:, None, None] * result["D"], Ns[:, None, None] * result["stderr"]
    for j, (ts, k) in enumerate(zip(result["t_stars"], result["k_stars"])):
        for a, mk in zip((1, 2), "os"):
            x = Ns * (1 + 0.05 * j)
            res = result["resolved"][:, k]
            col = plt.cm.tab10(2 * j + a - 1)
            ax.errorbar(x[res], ND[res, a, k], NS[res, a, k], fmt=mk, color=col, ms=4, capsize=2,
                        label=rf"$N D_{'xyz'[a]}(t^*={ts:g})$; $b = {result['b'][a, k]:.3f}$")
            ax.errorbar(x[~res], ND[~res, a, k], NS[~res, a, k], fmt=mk, color=col, ms=4, mfc="w", capsize=2,
                        alpha=0.6)
            ax.axhline(result["b"][a, k], color=col, lw=1)
    bmax = np.abs(result["b"][1:, result["k_stars"]]).max()
    ax.set_ylim(-3 * bmax, 3 * bmax)                 # the largest N's error bars leave the frame
    ax.set_xscale("log")
    ax.set_xlabel(r"$N$ (open: statistical error above the bias, $|b|/N < 2\sigma$)")
    ax.set_ylabel(r"$N\,(\omega_{t^*}(m_a) - m_a^{\rm MF}(t^*))$")
    ax.set_title(r"(c) trajectories: $N \times$ bias against the limit $b(t^*)$ (lines)", fontsize=9)
    ax.legend(fontsize=6, frameon=False, ncol=2)


def plot(result: dict, path) -> None:
    """The figure, drawn from the result of compute (or dict(np.load(data)))."""
    fig, axes = plt.subplots(1, 3, figsize=(14.5, 4.5), constrained_layout=True)
    plot_averages(result, axes[0])
    plot_exact_bias(result, axes[1])
    plot_trajectory_bias(result, axes[2])
    fig.suptitle("Mean-field bias in the Hopfield paramagnet; error bars 1 standard error, exact results have none",
                 fontsize=10)
    save_png(fig, path)


def summary(result):
    Ns, exact_Ns, times = result["Ns"], result["exact_Ns"], result["times"]
    lines = [f"mean-field exactness, Hopfield beta = {float(result['beta']):g}, Omega = {float(result['omega']):g}, "
             f"theta = {float(result['theta']):g}",
             f"  exact N = {exact_Ns.tolist()} ({float(result['exact_seconds']):.0f} s); trajectories N = "
             f"{Ns.tolist()}, ntraj = {result['ntraj'].tolist()} ({result['seconds'].sum():.0f} s)"]
    for ts, k in zip(result["t_stars"], result["k_stars"]):
        nd = exact_Ns[:, None] * result["D_exact"][:, :, k]
        b, e = result["b"][:, k], result["b_err"][:, k]
        lines.append(f"  t* = {ts:g}: exact N D_z = " + ", ".join(f"{v:+.4f}" for v in nd[:, 2])
                     + f" -> b = (" + ", ".join(f"{x:+.4f} +- {y:.1g}" for x, y in zip(b, e)) + ")")
        za = result["z_allow"][:, :, k]
        res = result["resolved"][:, k]
        lines.append(f"          trajectories: largest |N D - b| / (4 s.e. + finite-N correction) = {za.max():.2f}; "
                     f"bias resolved (|b|/N > 2 sigma) for N = {Ns[res].tolist()}")
    lines.append(f"  trajectories against the exact D at N = {result['common_Ns'].tolist()}: largest |z| = "
                 f"{float(result['exact_zmax']):.2f}")
    return "\n".join(lines)


def main(argv=None) -> dict:
    return run_experiment(argv, name="mf_exactness", description=__doc__.splitlines()[0], compute=compute, plot=plot,
                          summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
