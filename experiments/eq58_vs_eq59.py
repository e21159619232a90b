"""Quantum Hopfield network: eq. 58 (self-interaction excluded) against eq. 59 differ by O(1/N).

One stored pattern (p = 1; by the gauge of docs/theory.md §7 any pattern gives this single-block model),
beta = BETA, Omega = OMEGA (paramagnetic phase: beta < 1 + 8 Omega^2 and beta < 3/2), the network started from a
spin-coherent state at theta = THETA from the pattern. Eq. 58 is eq. 59 with the rate arguments shifted by
+-p/N (Gamma_+(dE + p/N) for sigma_+, Gamma_-(dE - p/N) for sigma_-), so every observable differs by
D(t) = omega^58_t(m) - omega^59_t(m) = d(t)/N + O(1/N^2). The leading coefficient d(t) is the linear response
of mean field to the shift: d_MF(t) = lim_{N->oo} N (m_MF^{58, N}(t) - m_MF^{59}(t)) (mean field of the model
with the offsets p/N, evaluated at N = 10^6); excluding the self-interaction weakens the self-consistent field.

* Exact (deterministic, no noise): the sector-reduced master equation for both variants, N = 10 ... 80;
  exponent of |D(t*)| from an unweighted log-log fit over N >= 20.
* Trajectories with common seeds, N = 100 ... 10^4: trajectory i of eq. 58 and of eq. 59 use the same seed, so
  their jump records stay correlated and the per-pair difference has a standard deviation ~ 2.5/N (measured)
  instead of ~ 1/sqrt(N) for independent ensembles: a ~10x (N = 10^3) to ~30x (N = 10^4) smaller error.
  Exponent from a weighted fit of the signed components D_a(N) = b_a N^p (a = y, z; common p).

Why the paramagnet: in the retrieval phase (measured at beta = 2, Omega = 0.2, theta = 0.4) the exact difference
also contains the change of the rate of switching between the two retrieval states +-m*, exponentially
small in N but not negligible at N <~ 80: the local log-log slopes of |D| are -1.17 (N = 20..40) and -1.08
(N = 40..80) at t = 1, -1.34 and -1.16 at t = 4, converging to -1 from below, with N D(t) -> d_MF(t).
In the paramagnet N |D| is constant to 1% from N = 20 (slopes -0.99).

    python experiments/eq58_vs_eq59.py [--fast] [--out plots/eq58_vs_eq59.png] [--data results/...npz]
"""
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import curve_fit  # noqa: E402

from models.hopfield import HopfieldNetwork  # noqa: E402
from trajectories import coherent_state, exact_evolution, mean_field, run_ensemble  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402

BETA, OMEGA, THETA = 0.5, 0.5, 0.4


def network(N, variant):
    return HopfieldNetwork(np.ones((1, int(N)), dtype=int), BETA, OMEGA, variant=variant).model


def setup(fast):
    if fast:
        exact_Ns = np.array([10, 14, 20, 28, 40])
        Ns = np.array([100, 316])
        ntraj = np.array([300, 150])
        times = np.linspace(0, 2, 9)
        t_stars = (1.0, 2.0)
    else:
        exact_Ns = np.array([10, 14, 20, 28, 40, 57, 80])
        Ns = np.array([100, 316, 1000, 3162, 10000])
        ntraj = np.array([1000, 1000, 800, 150, 40])
        times = np.linspace(0, 4, 17)
        t_stars = (1.0, 2.0, 4.0)
    return exact_Ns, Ns, ntraj, times, t_stars


def fit_signed(Ns, D, s, comps=(1, 2)):
    """Weighted fit of D_a(N) = b_a N^p (common p) to signed values D (nN, 3), errors s (nN, 3)."""
    comps = list(comps)
    N = np.repeat(np.asarray(Ns, float)[:, None], len(comps), 1).ravel()
    comp = np.tile(np.arange(len(comps)), len(Ns))
    y, sig = D[:, comps].ravel(), s[:, comps].ravel()

    def model(x, p, *b):
        return np.array(b)[comp] * N ** p

    b0 = [np.mean(y[comp == a] * N[comp == a]) for a in range(len(comps))]
    popt, pcov = curve_fit(model, None, y, p0=[-1.0] + b0, sigma=sig, absolute_sigma=True, maxfev=20000)
    chi2 = float(np.sum(((y - model(None, *popt)) / sig) ** 2))
    return float(popt[0]), float(np.sqrt(pcov[0, 0])), popt[1:], chi2, int(y.size - len(popt))


def main(fast=False, out=None, data=None, n_jobs=2, seed=3000):
    t0 = time.perf_counter()
    out = out or ("plots/eq58_vs_eq59_fast.png" if fast else "plots/eq58_vs_eq59.png")
    data = data or ("results/eq58_vs_eq59_fast.npz" if fast else "results/eq58_vs_eq59.npz")
    exact_Ns, Ns, ntraj, times, t_stars = setup(fast)
    state = coherent_state(theta=THETA)
    kstar = [int(np.argmin(np.abs(times - ts))) for ts in t_stars]

    # linear response of mean field to the shift p/N
    Nbig = 10 ** 6
    mf59 = mean_field(network(Nbig, "eq59"), state, times).mean[0]
    d_mf = Nbig * (mean_field(network(Nbig, "eq58"), state, times).mean[0] - mf59)      # (3, T)

    t_ex = time.perf_counter()
    Dex = np.array([exact_evolution(network(N, "eq58"), state, times).mean[0]
                    - exact_evolution(network(N, "eq59"), state, times).mean[0] for N in exact_Ns])
    t_ex = time.perf_counter() - t_ex

    D, S, secs = [], [], []
    for i, (N, n) in enumerate(zip(Ns, ntraj)):
        t1 = time.perf_counter()
        X = {v: run_ensemble(network(N, v), state, times, ntraj=int(n), seed=seed + i, n_jobs=n_jobs,
                             keep_trajectories=True).trajectory_means()[:, :, 0, :] for v in ("eq58", "eq59")}
        secs.append(time.perf_counter() - t1)
        d = X["eq58"] - X["eq59"]                                   # (n, T, 3) paired differences
        D.append(d.mean(0).T)
        S.append(d.std(0, ddof=1).T / np.sqrt(n))
        if i == 0:
            unpaired = np.sqrt(X["eq58"].var(0, ddof=1) + X["eq59"].var(0, ddof=1)).T / np.sqrt(n)
    D, S, secs = np.array(D), np.array(S), np.array(secs)             # (nN, 3, T)

    norm_ex = np.linalg.norm(Dex, axis=1)
    big = exact_Ns >= 20
    exact_fit, traj_fit = {}, {}
    for ts, k in zip(t_stars, kstar):
        slope, icpt = np.polyfit(np.log(exact_Ns[big]), np.log(norm_ex[big, k]), 1)
        exact_fit[ts] = dict(p=float(slope), c=float(np.exp(icpt)))
        traj_fit[ts] = fit_signed(Ns, D[:, :, k], S[:, :, k])

    # ---------------------------------------------------------------- figure
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.1), constrained_layout=True)
    ax = axes[0]
    ex58 = exact_evolution(network(exact_Ns[-1], "eq58"), state, times).mean[0]
    ex59 = ex58 - Dex[-1]
    for a, name in ((0, "x"), (1, "y"), (2, "z")):
        ax.plot(times, ex59[a], "-", color=f"C{a}", label=rf"$\omega_t(m_{name})$ eq. 59")
        ax.plot(times, ex58[a], "--", color=f"C{a}", label=rf"eq. 58")
        ax.plot(times, mf59[a], ":", color="k", lw=0.8, label="mean field" if a == 0 else None)
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$\omega_t(m_a)$")
    ax.set_title(rf"exact, $N={exact_Ns[-1]}$, $\beta={BETA}$, $\Omega={OMEGA}$, $\theta_0={THETA}$",
                 fontsize=9)
    ax.legend(fontsize=7, frameon=False, ncol=2)
    ax = axes[1]
    cols = plt.cm.viridis(np.linspace(0, 0.85, len(exact_Ns)))
    for j, N in enumerate(exact_Ns):
        ax.plot(times, N * Dex[j, 2], "-", color=cols[j], lw=1, label=f"exact $N={N}$")
    for i, N in enumerate(Ns):
        ax.errorbar(times + 0.03 * i, N * D[i, 2], N * S[i, 2], fmt="o", ms=3, color=f"C{i + 1}",
                    label=f"paired traj. $N={N}$ ({ntraj[i]})")
    ax.plot(times, d_mf[2], "k--", lw=1.5, label=r"$N\to\infty$: MF response $d_z(t)$")
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$N\,[\omega^{58}_t(m_z)-\omega^{59}_t(m_z)]$")
    ax.legend(fontsize=6.5, frameon=False, ncol=2)
    ax.set_title("the difference is $d(t)/N$", fontsize=9)
    ax = axes[2]
    for j, (ts, k) in enumerate(zip(t_stars, kstar)):
        c = f"C{j}"
        ef, (p, pe, b, chi2, dof) = exact_fit[ts], traj_fit[ts]
        ax.plot(exact_Ns, norm_ex[:, k], "-", color=c, lw=1.5, label=rf"$t={ts:g}$ exact: $p={ef['p']:.2f}$")
        ax.errorbar(Ns, np.abs(D[:, 2, k]), S[:, 2, k], fmt="o", color=c, ms=4,
                    label=rf"paired traj. ($m_z$): $p={p:.2f}\pm{pe:.2f}$")
        ax.plot(Ns, np.hypot(*b) * Ns ** p, "--", color=c, lw=0.8)
        ax.plot(Ns, np.linalg.norm(d_mf[:, k]) / Ns, ":", color=c, lw=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(r"$|\omega^{58}_t(\mathbf{m})-\omega^{59}_t(\mathbf{m})|$")
    ax.set_title(r"fits $\propto N^p$ (dotted: $|d_{\rm MF}(t)|/N$), 1 s.e.", fontsize=9)
    ax.legend(fontsize=6.5, frameon=False)
    save_png(fig, out)

    Path(data).parent.mkdir(parents=True, exist_ok=True)
    np.savez(data, exact_Ns=exact_Ns, Ns=Ns, ntraj=ntraj, times=times, t_stars=np.array(t_stars),
             D_exact=Dex, D=D, stderr=S, d_mf=d_mf, mf59=mf59, seconds=secs,
             exact_exponent=np.array([exact_fit[ts]["p"] for ts in t_stars]),
             traj_exponent=np.array([traj_fit[ts][0] for ts in t_stars]),
             traj_exponent_err=np.array([traj_fit[ts][1] for ts in t_stars]))
    elapsed = time.perf_counter() - t0
    gain = unpaired[2, kstar[-1]] / S[0, 2, kstar[-1]]
    print(f"eq. 58 vs eq. 59, Hopfield p = 1, beta = {BETA}, Omega = {OMEGA}, theta = {THETA}")
    print(f"  exact N = {exact_Ns.tolist()} ({t_ex:.0f} s); paired trajectories N = {Ns.tolist()}, "
          f"pairs {ntraj.tolist()} ({secs.sum():.0f} s); common seeds shrink the error at N = {Ns[0]} "
          f"{gain:.1f}x")
    for ts, k in zip(t_stars, kstar):
        ef, (p, pe, b, chi2, dof) = exact_fit[ts], traj_fit[ts]
        print(f"  t = {ts:g}: exact |D| ~ N^{ef['p']:.3f} (N >= 20); N D_z: exact N = {exact_Ns[-1]} "
              f"{exact_Ns[-1] * Dex[-1, 2, k]:.3f}, mean-field response {d_mf[2, k]:.3f}")
        print(f"          paired trajectories: p = {p:.3f} +- {pe:.3f} (chi2/dof = {chi2:.1f}/{dof}), "
              f"N D_z = " + ", ".join(f"{N * D[i, 2, k]:.2f}+-{N * S[i, 2, k]:.2f}" for i, N in enumerate(Ns)))
    print(f"wrote {out} and {data} in {elapsed:.0f} s")
    return dict(exact_Ns=exact_Ns, Ns=Ns, times=times, t_stars=t_stars, D_exact=Dex, D=D, stderr=S,
                d_mf=d_mf, exact_fit=exact_fit, traj_fit=traj_fit, elapsed=elapsed)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    ap.add_argument("--out", default=None, help="PNG path (default plots/eq58_vs_eq59[_fast].png)")
    ap.add_argument("--data", default=None, help="npz path (default results/eq58_vs_eq59[_fast].npz)")
    ap.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    args = ap.parse_args()
    main(args.fast, args.out, args.data, args.n_jobs)
