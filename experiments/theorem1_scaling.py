"""Theorem 1: the clustering quantity E_N(t) decays like 1/N, except near an instability.

E_N(t) = 1/2 sum_a omega_t((m_a - m_a^MF(t))^2) (paper eq. 24, docs/theory.md §4) for the single-pattern quantum
Hopfield model (docs/theory.md §7) from spin-coherent (product) states, N = 10 ... 10^4, in two regimes chosen from
the mean-field phase structure. Linearising dm/dt = f(m) about the paramagnet m_y = m_z = 0 gives the
(m_y, m_z) Jacobian [[-1/2, -2 Omega], [2 Omega, beta - 1]]: the paramagnet is stable for beta < 1 + 8 Omega^2
(pitchfork to the ferromagnet / retrieval phase beyond) and beta < 3/2 (Hopf bifurcation to the limit
cycle beyond).

* paramagnet: beta = 0.5, Omega = 0.5, coherent state at theta = 0.4. The Jacobian eigenvalues are
  -0.5 +- i: every fluctuation is damped, the constant C1 of Theorem 1 is effectively negative, and
  E_N(t) = c(t)/N + O(1/N^2) at all times: N E_N(t) collapses onto one curve.
* unstable: beta = 1.6, Omega = 0.1, just past the pitchfork at beta_c = 1 + 8 Omega^2 = 1.08, bistable
  ferromagnet (m* = 0.788). Started at theta = pi/2 (all spins along x) the mean-field solution sits on the
  unstable paramagnetic point (m_y = m_z = 0 is invariant) whose unstable eigenvalue is lambda = 0.562.
  Fluctuations grow like e^{2 lambda t}/N until they reach the ferromagnetic branches (+-m*), where E_N
  saturates at O(1) (the state becomes a mixture of the two branches while m^MF stays at 0). So
  N E_N(t) agrees across N only while e^{2 lambda t} << N and fans out afterwards, and the apparent
  exponent of E_N(t*) in N drifts from -1 towards 0: Theorem 1's bound e^{C1 t} E_N(0) + C2 (e^{C1 t}-1)/(C1 N)
  still holds, but the 1/N regime starts only at N >> e^{C1 t}. This point was preferred to the limit-cycle
  region because there the spread grows only diffusively (phase diffusion along the cycle, E_N ~ t/N),
  which stays in the collapsing 1/N regime for N >= 100 on accessible times.

Exact sector-reduced evolutions at N = 10 and 31 are drawn as lines (they include the O(1/N^2)
corrections, e.g. N E_N at N = 10 lies ~4% below the large-N curve in the paramagnet).

    python experiments/theorem1_scaling.py [--fast] [--out plots/theorem1_scaling.png] [--data results/...npz]
"""
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from trajectories.cli.registry import named_model  # noqa: E402
from trajectories import (clustering, coherent_state, exact_evolution, fit_power_law, mean_field,  # noqa: E402
                          run_ensemble)
from trajectories.cli.plotting import save_png  # noqa: E402

CASES = {
    "paramagnet": dict(beta=0.5, omega=0.5, theta=0.4,
                       label=r"paramagnet $\beta=0.5,\ \Omega=0.5$, $\theta_0=0.4$"),
    "unstable": dict(beta=1.6, omega=0.1, theta=np.pi / 2,
                     label=r"unstable point $\beta=1.6,\ \Omega=0.1$, $\theta_0=\pi/2$"),
}


def setup(fast):
    """(Ns, ntraj per N, times, t_stars, exact Ns)."""
    if fast:
        Ns = np.array([10, 31, 100, 316])
        ntraj = np.array([300, 300, 300, 120])
        times = np.linspace(0, 4, 9)
        t_stars = (1.0, 2.0, 4.0)
        exact_Ns = (10,)
    else:
        Ns = np.array([10, 31, 100, 316, 1000, 3162, 10000])
        ntraj = np.array([1500, 1500, 1500, 800, 300, 120, 48])
        times = np.linspace(0, 8, 33)
        t_stars = (1.0, 2.0, 4.0, 8.0)
        exact_Ns = (10, 31)
    return Ns, ntraj, times, t_stars, exact_Ns


def exact_clustering(model, state, times, mf):
    """E_N(t) of the exact sector-reduced evolution."""
    ex = exact_evolution(model, state, times, method="sectors")
    sq = np.array([ex.second[a, a] for a in range(3)])
    return 0.5 * np.sum(sq - 2 * mf.mean * ex.mean + mf.mean ** 2, axis=0)


def run_case(case, Ns, ntraj, times, exact_Ns, n_jobs, seed):
    p = CASES[case]
    state = coherent_state(theta=p["theta"])
    E, err, secs = [], [], []
    mf = None
    for i, (N, n) in enumerate(zip(Ns, ntraj)):
        model = named_model("hopfield", N=int(N), beta=p["beta"], omega=p["omega"])
        mf = mean_field(model, state, times)
        t0 = time.perf_counter()
        ens = run_ensemble(model, state, times, ntraj=int(n), seed=seed + i, n_jobs=n_jobs)
        secs.append(time.perf_counter() - t0)
        e, s = clustering(ens, mf)
        E.append(e)
        err.append(s)
    exact = {}
    for N in exact_Ns:
        model = named_model("hopfield", N=int(N), beta=p["beta"], omega=p["omega"])
        exact[int(N)] = exact_clustering(model, state, times, mean_field(model, state, times))
    return dict(E=np.array(E), err=np.array(err), seconds=np.array(secs), mf=mf.mean, exact=exact)


def collapse_stats(Ns, y, s):
    """Collapse of y_N = N E_N(t*) (errors s): Theorem 1 gives y_N = c + d/N + ..., so the weighted fit of
    c + d/N and its chi^2 (dof = len(N) - 2) test the collapse (a constant alone would be pulled by the
    O(1/N) part of y at N = 10, ~4% in the paramagnet); also the log-spread ln(max y / min y) with the
    standard error from the two extreme points."""
    X = np.stack([np.ones(len(Ns)), 1.0 / np.asarray(Ns, float)], 1)
    w = 1 / s ** 2
    cov = np.linalg.inv(X.T @ (w[:, None] * X))
    c, d = cov @ X.T @ (w * y)
    chi2 = float(np.sum(w * (y - c - d / np.asarray(Ns, float)) ** 2))
    i, j = np.argmax(y), np.argmin(y)
    spread = float(np.log(y[i] / y[j]))
    spread_err = float(np.hypot(s[i] / y[i], s[j] / y[j]))
    return dict(mean=float(c), mean_err=float(np.sqrt(cov[0, 0])), d=float(d), chi2=chi2, dof=len(y) - 2,
                spread=spread, spread_err=spread_err)


def analyse(res, Ns, times, t_stars):
    out = {}
    for case, r in res.items():
        fits, coll = {}, {}
        for ts in t_stars:
            k = int(np.argmin(np.abs(times - ts)))
            fits[ts] = fit_power_law(Ns, r["E"][:, k], r["err"][:, k])
            coll[ts] = collapse_stats(Ns, Ns * r["E"][:, k], Ns * r["err"][:, k])
        out[case] = dict(fits=fits, collapse=coll)
    return out


def plot(res, stats, Ns, times, t_stars, out):
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.9), constrained_layout=True)
    colors = plt.cm.viridis(np.linspace(0, 0.9, len(Ns)))
    for row, case in enumerate(("paramagnet", "unstable")):
        r = res[case]
        axE, axC = axes[row, 0], axes[row, 1]
        for i, N in enumerate(Ns):
            kw = dict(color=colors[i], ms=3, lw=1, capsize=0, fmt="o-")
            axE.errorbar(times, r["E"][i], r["err"][i], label=f"$N={N}$", **kw)
            axC.errorbar(times, N * r["E"][i], N * r["err"][i], **kw)
        for (N, e), ls in zip(r["exact"].items(), ("--", ":")):
            axE.plot(times, e, "k" + ls, lw=0.9)
            axC.plot(times, N * e, "k" + ls, lw=0.9, label=f"exact, $N={N}$")
        axE.set_yscale("log")
        axE.set_ylabel(r"$E_N(t)$")
        axC.set_ylabel(r"$N\,E_N(t)$")
        if case == "unstable":
            axC.set_yscale("log")
        for ax in (axE, axC):
            ax.set_xlabel(r"$t$")
            ax.set_title(CASES[case]["label"], fontsize=9)
        axE.set_ylim(top=np.max(r["E"]) * 12)
        axE.legend(fontsize=7, ncol=4, frameon=False, loc="upper center", columnspacing=0.8, handlelength=1.5)
        axC.legend(fontsize=7, frameon=False)
    ax = axes[0, 2]
    markers = {"paramagnet": "o", "unstable": "s"}
    for case in ("paramagnet", "unstable"):
        r = res[case]
        for j, ts in enumerate(t_stars):
            k = int(np.argmin(np.abs(times - ts)))
            f = stats[case]["fits"][ts]
            c = plt.cm.plasma(0.15 + 0.7 * j / max(len(t_stars) - 1, 1))
            ax.errorbar(Ns, r["E"][:, k], r["err"][:, k], fmt=markers[case], color=c, ms=4,
                        mfc="none" if case == "unstable" else c,
                        label=f"{case[:5]}., $t^*={ts:g}$: ${f.exponent:.2f}\\pm{f.exponent_err:.2f}$")
            ax.plot(Ns, f.prefactor * Ns ** f.exponent, "-", color=c, lw=0.8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(r"$E_N(t^*)$")
    ax.set_title(r"fits $E_N(t^*) = c\,N^{p}$ (legend: $p$)", fontsize=9)
    ax.legend(fontsize=6.5, frameon=False)
    ax = axes[1, 2]
    for case in ("paramagnet", "unstable"):
        p = [stats[case]["fits"][ts].exponent for ts in t_stars]
        pe = [stats[case]["fits"][ts].exponent_err for ts in t_stars]
        ax.errorbar(t_stars, p, pe, fmt=markers[case] + "-", capsize=3, label=case)
    ax.axhline(-1, color="k", ls=":", lw=1, label=r"$p=-1$ (Theorem 1)")
    ax.set_xlabel(r"$t^*$")
    ax.set_ylabel(r"fitted exponent $p$ of $E_N(t^*)\propto N^{p}$")
    ax.legend(fontsize=8, frameon=False)
    fig.suptitle(r"Theorem 1 in the quantum Hopfield model: $E_N(t)=\frac{1}{2}\sum_a\omega_t"
                 r"((m_a-m_a^{\rm MF})^2)$, error bars 1 s.e.", fontsize=11)
    save_png(fig, out)


def main(fast=False, out=None, data=None, n_jobs=2, seed=1000):
    t0 = time.perf_counter()
    out = out or ("plots/theorem1_scaling_fast.png" if fast else "plots/theorem1_scaling.png")
    data = data or ("results/theorem1_scaling_fast.npz" if fast else "results/theorem1_scaling.npz")
    Ns, ntraj, times, t_stars, exact_Ns = setup(fast)
    res = {case: run_case(case, Ns, ntraj, times, exact_Ns, n_jobs, seed + 100 * c)
           for c, case in enumerate(CASES)}
    stats = analyse(res, Ns, times, t_stars)
    plot(res, stats, Ns, times, t_stars, out)
    Path(data).parent.mkdir(parents=True, exist_ok=True)
    arrays = dict(Ns=Ns, ntraj=ntraj, times=times, t_stars=np.array(t_stars))
    for case, r in res.items():
        arrays.update({f"{case}_E": r["E"], f"{case}_err": r["err"], f"{case}_seconds": r["seconds"],
                       f"{case}_mf": r["mf"]})
        for N, e in r["exact"].items():
            arrays[f"{case}_exact_N{N}"] = e
        arrays[f"{case}_exponent"] = np.array([stats[case]["fits"][ts].exponent for ts in t_stars])
        arrays[f"{case}_exponent_err"] = np.array([stats[case]["fits"][ts].exponent_err for ts in t_stars])
    np.savez(data, **arrays)
    elapsed = time.perf_counter() - t0
    print(f"Theorem 1, quantum Hopfield model, N = {Ns.min()}..{Ns.max()}, trajectories per N: {ntraj.tolist()}")
    for case in CASES:
        print(f"  {case} (beta = {CASES[case]['beta']}, Omega = {CASES[case]['omega']}); "
              f"trajectory time {res[case]['seconds'].sum():.0f} s")
        for ts in t_stars:
            f, c = stats[case]["fits"][ts], stats[case]["collapse"][ts]
            print(f"    t* = {ts:g}: E_N ~ N^({f.exponent:.3f} +- {f.exponent_err:.3f}), chi2/dof = "
                  f"{f.chi2:.1f}/{f.dof};  N E_N = c + d/N: c = {c['mean']:.3g} +- {c['mean_err']:.2g}, chi2/dof = {c['chi2']:.1f}/{c['dof']}, "
                  f"ln(max/min) = {c['spread']:.3f} +- {c['spread_err']:.3f}")
    print(f"wrote {out} and {data} in {elapsed:.0f} s")
    return dict(Ns=Ns, times=times, t_stars=t_stars, res=res, stats=stats, elapsed=elapsed)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    ap.add_argument("--out", default=None, help="PNG path (default plots/theorem1_scaling[_fast].png)")
    ap.add_argument("--data", default=None, help="npz path (default results/theorem1_scaling[_fast].npz)")
    ap.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    args = ap.parse_args()
    main(args.fast, args.out, args.data, args.n_jobs)
