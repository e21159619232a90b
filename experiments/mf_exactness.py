"""Mean field is exact as N -> oo: |omega_t(m) - m_MF(t)| against N, N = 10 ... 10^4.

Quantum Hopfield model (docs/theory.md §7) in its paramagnetic phase, beta = BETA, Omega = OMEGA (Jacobian of the
paramagnet [[-1/2, -2 Omega], [2 Omega, beta - 1]]: a stable focus), coherent start at theta = THETA.

What is measured, and what can be measured. The deviation D(t) = omega_t(m) - m_MF(t) of the exact
expectation from mean field is a deterministic *bias*: the drift of omega_t(m_z) contains
omega_t(tanh(beta m_z)), which differs from tanh(beta omega_t(m_z)) by (1/2) tanh'' Var(m_z) = O(1/N) for
a clustering state (Var = O(1/N), Theorem 1), so D(t) = b(t)/N + O(1/N^2): exponent -1.
A trajectory ensemble estimates omega_t(m) with a statistical error sigma ~ s/sqrt(ntraj N)
(each trajectory's <m> fluctuates by ~ 1/sqrt(N)), so the *measured* |D| = |b/N + noise| and
E|D_hat|^2 = |b|^2/N^2 + sum_a sigma_a^2: the bias is resolved only while |b|/N >> s/sqrt(ntraj N),
i.e. N << ntraj b^2/s^2. At N = 10^4 that would need ~10^6 trajectories; beyond N ~ 10^3 the
trajectory points are noise-dominated, and fitting |D_hat| against N there would return the noise
exponent -1/2, not the bias exponent. So this script:

* computes the bias exactly (no noise) from the sector-reduced master equation for N = 10 ... 80
  and fits its exponent (unweighted least squares in log-log, N >= 20 to limit the O(1/N^2) part).
  The O(1/N^2) part is not small here: the local slopes of |D| at t = 1 / 2 / 4 are
  -0.96 / -0.86 / -0.74 (N = 20..40) and -0.98 / -0.92 / -0.85 (N = 40..80), approaching -1 as N grows;
  the fitted exponent over N = 20..80 is ~-0.97 / -0.89 / -0.81;
* shows the trajectory estimates for N = 10 ... 10^4 with error bars next to their noise level
  sqrt(sum_a sigma_a^2) and the exact bias, and fits the signed components D_a(N) = b_a N^p
  (common p, weighted by the standard errors; signed values, so the noise averages out instead of
  biasing the fit) to all trajectory points: p with its standard error;
* checks the trajectory points against the exact bias where both exist (N <= 80, in standard errors).

    python experiments/mf_exactness.py [--fast] [--out plots/mf_exactness.png] [--data results/...npz]
"""
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import curve_fit  # noqa: E402

from trajectories.cli.registry import named_model  # noqa: E402
from trajectories import coherent_state, exact_evolution, mean_field, run_ensemble  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402

BETA, OMEGA, THETA = 1.0, 0.5, 0.4


def setup(fast):
    if fast:
        exact_Ns = np.array([10, 14, 20, 28, 40])
        Ns = np.array([10, 31, 100])
        ntraj = np.array([3000, 3000, 1000])
        times = np.linspace(0, 2, 9)
        t_stars = (1.0, 2.0)      # t = 2: |D| ~ N^-0.86 over N = 20..40 (O(1/N^2) part), see the docstring
    else:
        exact_Ns = np.array([10, 14, 20, 28, 40, 57, 80])
        Ns = np.array([10, 31, 100, 316, 1000, 3162, 10000])
        ntraj = np.array([10000, 8000, 6000, 4000, 3000, 600, 100])
        times = np.linspace(0, 4, 17)
        t_stars = (1.0, 2.0, 4.0)
    return exact_Ns, Ns, ntraj, times, t_stars


def fit_signed(Ns, D, s):
    """Weighted fit of D_a(N) = b_a N^p (a = x, y, z; common p) to signed deviations D (nN, 3) with
    standard errors s (nN, 3). Returns (p, p_err, b (3,), chi2, dof)."""
    N = np.repeat(Ns[:, None], 3, 1).ravel().astype(float)
    comp = np.tile(np.arange(3), len(Ns))
    y, sig = D.ravel(), s.ravel()
    ok = sig > 0
    N, comp, y, sig = N[ok], comp[ok], y[ok], sig[ok]

    def model(x, p, bx, by, bz):
        return np.array([bx, by, bz])[comp] * N ** p

    b0 = [np.sum(y[comp == a] * N[comp == a]) / max(np.sum(comp == a), 1) for a in range(3)]
    popt, pcov = curve_fit(model, None, y, p0=[-1.0] + b0, sigma=sig, absolute_sigma=True, maxfev=20000)
    chi2 = float(np.sum(((y - model(None, *popt)) / sig) ** 2))
    return float(popt[0]), float(np.sqrt(pcov[0, 0])), popt[1:], chi2, int(y.size - 4)


def main(fast=False, out=None, data=None, n_jobs=2, seed=2000):
    t0 = time.perf_counter()
    out = out or ("plots/mf_exactness_fast.png" if fast else "plots/mf_exactness.png")
    data = data or ("results/mf_exactness_fast.npz" if fast else "results/mf_exactness.npz")
    exact_Ns, Ns, ntraj, times, t_stars = setup(fast)
    state = coherent_state(theta=THETA)
    kstar = [int(np.argmin(np.abs(times - ts))) for ts in t_stars]

    def model(N):
        return named_model("hopfield", N=int(N), beta=BETA, omega=OMEGA)

    mf = mean_field(model(10), state, times).mean             # N-independent
    t_ex = time.perf_counter()
    Dex = np.array([exact_evolution(model(N), state, times, method="sectors").mean - mf for N in exact_Ns])
    t_ex = time.perf_counter() - t_ex
    D, S, secs = [], [], []
    for i, (N, n) in enumerate(zip(Ns, ntraj)):
        t1 = time.perf_counter()
        ens = run_ensemble(model(N), state, times, ntraj=int(n), seed=seed + i, n_jobs=n_jobs)
        secs.append(time.perf_counter() - t1)
        D.append(ens.mean - mf)
        S.append(ens.stderr)
    D, S, secs = np.array(D), np.array(S), np.array(secs)     # (nN, 3, T)

    norm_ex = np.linalg.norm(Dex, axis=1)                      # (nNex, T)
    norm = np.linalg.norm(D, axis=1)
    norm_err = np.sqrt(np.sum((D * S) ** 2, axis=1)) / np.maximum(norm, 1e-300)
    noise = np.sqrt(np.sum(S ** 2, axis=1))
    big = exact_Ns >= 20
    exact_fit, traj_fit, zscores = {}, {}, {}
    for ts, k in zip(t_stars, kstar):
        slope, icpt = np.polyfit(np.log(exact_Ns[big]), np.log(norm_ex[big, k]), 1)
        local = np.log(norm_ex[-1, k] / norm_ex[-2, k]) / np.log(exact_Ns[-1] / exact_Ns[-2])
        i20 = int(np.argmax(big))
        first = np.log(norm_ex[i20 + 1, k] / norm_ex[i20, k]) / np.log(exact_Ns[i20 + 1] / exact_Ns[i20])
        exact_fit[ts] = dict(p=float(slope), c=float(np.exp(icpt)), local=float(local), first=float(first))
        traj_fit[ts] = fit_signed(Ns, D[:, :, k], S[:, :, k])
        common = [i for i, N in enumerate(Ns) if N in exact_Ns]
        zscores[ts] = np.array([(D[i, :, k] - Dex[list(exact_Ns).index(Ns[i]), :, k]) / S[i, :, k]
                                for i in common])

    # ---------------------------------------------------------------- figure
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.1), constrained_layout=True)
    ax = axes[0]
    for a, name in enumerate("xyz"):
        ax.plot(times, mf[a], "-", color=f"C{a}", lw=1.2, label=rf"$m_{name}^{{\rm MF}}(t)$")
        i = len(Ns) // 2
        ax.errorbar(times, D[i, a] + mf[a], S[i, a], fmt="o", ms=3, color=f"C{a}",
                    label=rf"$\omega_t(m_{name})$, $N={Ns[i]}$" if a == 0 else None)
        ax.plot(times, Dex[0, a] + mf[a], ":", color=f"C{a}", lw=1.2,
                label=f"exact, $N={exact_Ns[0]}$" if a == 0 else None)
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$\omega_t(m_a)$, $m_a^{\rm MF}(t)$")
    ax.legend(fontsize=7, frameon=False, ncol=2)
    ax.set_title(rf"Hopfield paramagnet $\beta={BETA}$, $\Omega={OMEGA}$, $\theta_0={THETA}$", fontsize=9)
    ax = axes[1]
    for a, name in enumerate("xyz"):
        ax.plot(times, exact_Ns[-1] * Dex[-1, a], "-", color=f"C{a}", lw=1.2,
                label=rf"$N\,(\omega_t(m_{name})-m_{name}^{{\rm MF}})$, exact $N={exact_Ns[-1]}$")
        ax.plot(times, exact_Ns[0] * Dex[0, a], ":", color=f"C{a}", lw=1.2)
        i = 1
        ax.errorbar(times, Ns[i] * D[i, a], Ns[i] * S[i, a], fmt="o", ms=2.5, color=f"C{a}",
                    label=f"trajectories $N={Ns[i]}$" if a == 0 else None)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$N\,(\omega_t(m_a)-m_a^{\rm MF}(t))$")
    ax.set_title(rf"the bias is $b(t)/N$ (dotted: exact $N={exact_Ns[0]}$)", fontsize=9)
    ax.legend(fontsize=7, frameon=False)
    ax = axes[2]
    for j, (ts, k) in enumerate(zip(t_stars, kstar)):
        c = f"C{j}"
        ef, (p, pe, b, chi2, dof) = exact_fit[ts], traj_fit[ts]
        ax.errorbar(Ns * (1 + 0.04 * j), norm[:, k], norm_err[:, k], fmt="o", color=c, ms=4,
                    label=rf"$t={ts:g}$ trajectories: fit $p={p:.2f}\pm{pe:.2f}$")
        ax.plot(Ns * (1 + 0.04 * j), noise[:, k], "x", color=c, ms=5)
        ax.plot(exact_Ns, norm_ex[:, k], "-", color=c, lw=1.5,
                label=rf"exact: $p={ef['p']:.2f}$")
        ax.plot(Ns, np.linalg.norm(b) * Ns ** p, "--", color=c, lw=0.8)
    ax.plot([], [], "kx", label=r"noise level $(\sum_a\sigma_a^2)^{1/2}$")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(r"$|\omega_t(\mathbf{m})-\mathbf{m}^{\rm MF}(t)|$")
    ax.set_title(r"bias $\propto N^{p}$ vs noise $\propto (n_{\rm traj}N)^{-1/2}$ (1 s.e.)", fontsize=9)
    ax.legend(fontsize=6.5, frameon=False)
    save_png(fig, out)

    Path(data).parent.mkdir(parents=True, exist_ok=True)
    np.savez(data, exact_Ns=exact_Ns, Ns=Ns, ntraj=ntraj, times=times, t_stars=np.array(t_stars), mf=mf,
             D_exact=Dex, D=D, stderr=S, seconds=secs,
             exact_exponent=np.array([exact_fit[ts]["p"] for ts in t_stars]),
             traj_exponent=np.array([traj_fit[ts][0] for ts in t_stars]),
             traj_exponent_err=np.array([traj_fit[ts][1] for ts in t_stars]))
    elapsed = time.perf_counter() - t0
    print(f"mean-field exactness, Hopfield beta = {BETA}, Omega = {OMEGA}, theta = {THETA}")
    print(f"  exact N = {exact_Ns.tolist()} ({t_ex:.0f} s); trajectories N = {Ns.tolist()}, "
          f"ntraj = {ntraj.tolist()} ({secs.sum():.0f} s)")
    for ts, k in zip(t_stars, kstar):
        ef, (p, pe, b, chi2, dof) = exact_fit[ts], traj_fit[ts]
        z = zscores[ts]
        print(f"  t = {ts:g}: exact bias |D| ~ N^{ef['p']:.3f} (N >= 20; local slopes {ef['first']:.3f} at N = 20 -> "
              f"{ef['local']:.3f} at N = {exact_Ns[-1]}), N |D| = {exact_Ns[-1] * norm_ex[-1, k]:.3f} at N = {exact_Ns[-1]}")
        print(f"          trajectories: p = {p:.3f} +- {pe:.3f}, b = {np.round(b, 3).tolist()}, "
              f"chi2/dof = {chi2:.1f}/{dof}; vs exact (N <= {exact_Ns[-1]}): max |z| = {np.abs(z).max():.2f}")
        print(f"          N = {Ns[-1]}: |D| = {norm[-1, k]:.2e}, noise level {noise[-1, k]:.2e}, "
              f"bias extrapolated {exact_fit[ts]['c'] * Ns[-1] ** exact_fit[ts]['p']:.2e}")
    print(f"wrote {out} and {data} in {elapsed:.0f} s")
    return dict(exact_Ns=exact_Ns, Ns=Ns, times=times, t_stars=t_stars, D_exact=Dex, D=D, stderr=S,
                exact_fit=exact_fit, traj_fit=traj_fit, zscores=zscores, noise=noise, elapsed=elapsed)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    ap.add_argument("--out", default=None, help="PNG path (default plots/mf_exactness[_fast].png)")
    ap.add_argument("--data", default=None, help="npz path (default results/mf_exactness[_fast].npz)")
    ap.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    args = ap.parse_args()
    main(args.fast, args.out, args.data, args.n_jobs)
