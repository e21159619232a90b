"""Theorem 2: a tagged spin follows the effective local generator; two-site correlations are O(1/N).

Quantum Hopfield model (docs/theory.md §7, beta = 1, Omega = 0.5: paramagnet) of N bulk sites plus one tagged site, as a
BlockModel with sizes (N, 1) and the eq. 59 rates of all N + 1 sites: Delta = (N m_z^bulk + m_z^tag)/(N + 1)
on both blocks. The bulk starts in the coherent state theta = 0.4, the tagged site far from it
(theta = 2.5, phi = 1). Theorem 2 (paper eq. 50; docs/theory.md §5): as N -> oo the tagged site's state follows
the effective local generator L_t (the single-site mean-field generator with m(t) frozen to the bulk's
mean-field solution), `trajectories.local_generator`.

(a) The tagged site's Bloch vector: exact sector evolution at medium N, trajectories at a large N,
    L_t, and (for contrast) the bulk mean field, which the tag does NOT follow.
(b) max_t,a |r_tag^exact - r_tag^{L_t}| against N (exact), with a power-law fit (expected ~ 1/N).
(c) Connected two-site correlations C_ac(t) = <s_a^1 s_c^2> - <s_a><s_c> in the single-block model
    (coherent start theta = 0.4): N C_ac(t) for exact (N <= 80) and trajectory (N >= 100) ensembles,
    C from `estimators.connected_correlations` (delta-method errors); (d) |C_zz(t*)| against N with a
    power-law fit (expected exponent -1; L_t predicts 0 for a product initial state).
    Contrast (exact, N = 10..120): the same at the limit-cycle point beta = 2, where N C_zz(t = 3) has
    not converged at these N (it still grows by ~1 per doubling of N).

    python experiments/theorem2_tagged.py [--fast] [--out plots/theorem2_tagged.png]
"""
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from models import BlockModel, Channel  # noqa: E402
from models.hopfield import hopfield_rates  # noqa: E402
from trajectories.cli.registry import named_model  # noqa: E402
from trajectories import coherent_state, exact_evolution, local_generator, mean_field, run_ensemble  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402
from trajectories.analysis.estimators import connected_correlations, fit_power_law  # noqa: E402
from trajectories.theory.meanfield import PAULI, bloch_density  # noqa: E402

BETA, OMEGA = 1.0, 0.5          # paramagnetic phase (docs/theory.md §7); the limit-cycle point is the contrast
BETA_LC = 2.0
BULK, TAG = (0.4, 0.0), (2.5, 1.0)          # (theta, phi)


def tagged_model(N, beta=BETA, omega=OMEGA):
    """Hopfield model of N bulk sites (block 0) and one tagged site (block 1), eq. 59 rates."""
    gp, gm = hopfield_rates(beta)
    sizes = (N, 1)
    delta = np.zeros((2, 3))
    delta[:, 2] = np.array(sizes) / (N + 1)
    chans = [Channel(op, gamma=g, delta=delta, block=b) for b in range(2)
             for op, g in (("plus", gp), ("minus", gm))]
    return BlockModel(sizes, h=[(omega, 0, 0)] * 2, channels=chans)


def tagged_state():
    return coherent_state(theta=[BULK[0], TAG[0]], phi=[BULK[1], TAG[1]])


def tag_bloch0():
    th, ph = TAG
    return np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])


def local_prediction(N, times):
    """Bloch vector (3, T) of the tag under L_t of the (N, 1) model."""
    rho = local_generator(tagged_model(N), tagged_state(), times, bloch_density(tag_bloch0()), block=1)
    return np.einsum("tij,aji->at", rho, PAULI).real


def main(fast=False, out="plots/theorem2_tagged.png", data="results/theorem2_tagged.npz", n_jobs=2):
    t_start = time.perf_counter()
    res = {}
    # (a, b) tagged site ---------------------------------------------------------------------------
    times = np.linspace(0, 2 if fast else 3, 3 if fast else 13)
    Ns_exact = (6, 12, 24) if fast else (10, 20, 40, 80)
    devs = []
    for N in Ns_exact:
        t0 = time.perf_counter()
        ex = exact_evolution(tagged_model(N), tagged_state(), times, rtol=1e-9, atol=1e-11).mean[1]
        loc = local_prediction(N, times)
        devs.append(float(np.abs(ex - loc).max()))
        res[f"tag_exact_N{N}"], res[f"tag_local_N{N}"] = ex, loc
        print(f"(b) N = {N}: exact tagged site vs L_t: max deviation {devs[-1]:.4f} "
              f"(N x deviation {N * devs[-1]:.3f}), {time.perf_counter() - t0:.0f} s")
    res.update(times=times, Ns_exact=np.array(Ns_exact), tag_dev=np.array(devs))
    # the slope between consecutive N (an O(1/N) deviation gives -1)
    slopes = np.diff(np.log(devs)) / np.diff(np.log(Ns_exact))
    res["tag_local_slopes"] = slopes
    print("(b) local slopes d ln(dev) / d ln N: " + ", ".join(f"{s:.2f}" for s in slopes))
    # large N: trajectories
    N_big, nt_big = (100, 300) if fast else (400, 3000)
    ens = run_ensemble(tagged_model(N_big), tagged_state(), times, ntraj=nt_big, seed=11, n_jobs=n_jobs)
    loc_big = local_prediction(N_big, times)
    mf_big = mean_field(tagged_model(N_big), tagged_state(), times).mean      # (2, 3, T)
    z_big = np.abs(ens.mean[1] - loc_big) / np.maximum(ens.stderr[1], 1e-12)
    z_big[:, 0] = 0.0                                                        # t = 0: both exact
    res.update(N_big=N_big, ntraj_big=nt_big, tag_traj_mean=ens.mean[1], tag_traj_stderr=ens.stderr[1],
               tag_local_big=loc_big, bulk_mf_big=mf_big[0], tag_traj_z=z_big)
    far = np.abs(mf_big[0] - loc_big).max()
    print(f"(a) N = {N_big} ({nt_big} trajectories): tagged site vs L_t within {z_big.max():.1f} standard errors "
          f"(largest |diff| {np.abs(ens.mean[1] - loc_big).max():.3f}); the bulk mean field differs from it by up "
          f"to {far:.2f}, {ens.meta['seconds']:.0f} s")

    # (c, d) connected correlations ------------------------------------------------------------------
    t_c = np.linspace(0, 3, 13)
    state = coherent_state(theta=BULK[0])
    Ns_ce = (10, 20, 40) if fast else (10, 20, 40, 80)
    Ns_ct = (100,) if fast else (100, 200, 400, 800)
    nt_ct = (300,) if fast else (2000, 1500, 1000, 600)
    it = len(t_c) - 1                                             # t* = 3
    Cz, Cz_err, kinds = [], [], []
    for N in Ns_ce:
        ex = exact_evolution(named_model("hopfield", N=N, beta=BETA, omega=OMEGA), state, t_c)
        C, _ = connected_correlations(ex, (N,))
        res[f"C_exact_N{N}"] = C
        Cz.append(C[2, 2, it])
        Cz_err.append(np.nan)
        kinds.append(0)
    for N, nt in zip(Ns_ct, nt_ct):
        e = run_ensemble(named_model("hopfield", N=N, beta=BETA, omega=OMEGA), state, t_c, ntraj=nt,
                         seed=20 + N, n_jobs=n_jobs)
        C, se = connected_correlations(e)
        res[f"C_traj_N{N}"], res[f"C_traj_se_N{N}"] = C, se
        Cz.append(C[2, 2, it])
        Cz_err.append(se[2, 2, it])
        kinds.append(1)
        print(f"(c) N = {N} ({nt} trajectories): N C_zz(t = {t_c[it]:g}) = {N * C[2, 2, it]:.3f} +- "
              f"{N * se[2, 2, it]:.3f}, {e.meta['seconds']:.0f} s")
    Ns_c = np.array(Ns_ce + Ns_ct)
    Cz, Cz_err = np.array(Cz), np.array(Cz_err)
    for N, c in zip(Ns_ce, Cz):
        print(f"(c) N = {N} (exact): N C_zz(t = {t_c[it]:g}) = {N * c:.4f}")
    # power law: exact points weighted with a 1% error (they are exact; the 1/N form has O(1/N^2)
    # corrections), trajectory points with their standard errors
    err = np.where(np.isnan(Cz_err), 0.01 * np.abs(Cz), Cz_err)
    Ns_lc = (10, 20) if fast else (10, 20, 40, 80, 120)
    Cz_lc = []
    for N in Ns_lc:
        ex = exact_evolution(named_model("hopfield", N=N, beta=BETA_LC, omega=OMEGA), state, t_c)
        Cz_lc.append(connected_correlations(ex, (N,))[0][2, 2, it])
    res.update(Ns_lc=np.array(Ns_lc), Cz_lc=np.array(Cz_lc))
    print(f"(d) contrast, limit-cycle point beta = {BETA_LC}: N C_zz(t = {t_c[it]:g}) = "
          + ", ".join(f"{N * c:.2f} (N = {N})" for N, c in zip(Ns_lc, Cz_lc)))
    fit = fit_power_law(Ns_c, np.abs(Cz), err)
    print(f"(d) |C_zz(t = {t_c[it]:g})| ~ N^p: {fit}")
    fit_tag = fit_power_law(Ns_exact[1:], devs[1:], 0.01 * np.array(devs[1:]))
    print(f"(b) tagged-site deviation ~ N^p (N >= {Ns_exact[1]}): exponent {fit_tag.exponent:.3f}")
    res.update(t_c=t_c, it=it, Ns_c=Ns_c, Cz=Cz, Cz_err=Cz_err, kinds=np.array(kinds),
               C_fit=np.array([fit.exponent, fit.exponent_err, fit.prefactor]),
               tag_fit=np.array([fit_tag.exponent, fit_tag.prefactor]), Ns_ce=np.array(Ns_ce),
               Ns_ct=np.array(Ns_ct), nt_ct=np.array(nt_ct))
    Path(data).parent.mkdir(parents=True, exist_ok=True)
    np.savez(data, **res)
    plot(res, out)
    print(f"wrote {data} and {out} in {time.perf_counter() - t_start:.0f} s")
    return dict(Ns_exact=Ns_exact, tag_dev=devs, slopes=slopes, z_big=float(z_big.max()), far=float(far),
                Ns_c=Ns_c, Cz=Cz, Cz_err=Cz_err, C_fit=fit, res=res)


def plot(res, out):
    plt.rcParams.update({"font.size": 9, "axes.labelsize": 10, "legend.fontsize": 7.5})
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.4), constrained_layout=True)
    t = res["times"]
    # (a)
    ax = axes[0, 0]
    N = int(res["N_big"])
    Ne = int(res["Ns_exact"][-1])
    for a, name in enumerate("xyz"):
        col = f"C{a}"
        ax.plot(t, res["tag_local_big"][a], "-", color=col, lw=1.3, label=(r"$\mathcal{L}_t$ (eq. 50)" if a == 0 else None))
        ax.plot(t, res[f"tag_exact_N{Ne}"][a], "x", color=col, ms=6, label=(rf"exact, $N = {Ne}$" if a == 0 else None))
        ax.errorbar(t, res["tag_traj_mean"][a], 2 * res["tag_traj_stderr"][a], fmt="o", ms=3, color=col, mfc="w",
                    label=(rf"trajectories, $N = {N}$ ({int(res['ntraj_big'])}), 2 s.e." if a == 0 else None))
        ax.plot(t, res["bulk_mf_big"][a], ":", color=col, lw=1.0, label=("bulk mean field" if a == 0 else None))
        ax.text(t[-1] + 0.05, res["tag_local_big"][a, -1], rf"$\langle\sigma_{name}\rangle$", color=col, va="center")
    ax.set_xlabel(r"$t$")
    ax.set_ylabel("tagged-site Bloch vector")
    ax.set_xlim(t[0] - 0.1, t[-1] + 0.4)
    ax.set_title(rf"(a) tagged spin ($\theta = {TAG[0]}$) in a Hopfield bulk ($\theta = {BULK[0]}$), "
                 rf"$\beta = {BETA}$, $\Omega = {OMEGA}$", loc="left", fontsize=8.5)
    ax.legend(frameon=False, fontsize=7)
    # (b)
    ax = axes[0, 1]
    Ns, dev = res["Ns_exact"], res["tag_dev"]
    ax.loglog(Ns, dev, "ko", label=r"$\max_{t,a}|r_a^{\rm exact} - r_a^{\mathcal{L}_t}|$")
    p, c = res["tag_fit"]
    NN = np.geomspace(Ns.min() * 0.8, Ns.max() * 1.3, 20)
    ax.loglog(NN, c * NN ** p, "r-", lw=0.8, label=rf"fit $N \geq {Ns[1]}$: $\propto N^{{{p:.2f}}}$")
    ax.loglog(NN, dev[-1] * Ns[-1] / NN, "k:", lw=0.8, label=r"$\propto 1/N$")
    ax.set_xlabel(r"$N$ (bulk sites)")
    ax.set_ylabel("tagged-site deviation from $\\mathcal{L}_t$")
    ax.set_title(rf"(b) Theorem 2: deviation from $\mathcal{{L}}_t$ falls with $N$ ($t \leq {t[-1]:g}$, exact)", loc="left",
                 fontsize=8.5)
    ax.legend(frameon=False)
    # (c)
    ax = axes[1, 0]
    tc = res["t_c"]
    for j, N in enumerate(res["Ns_ce"]):
        ax.plot(tc, N * res[f"C_exact_N{N}"][2, 2], "-", color=f"C{j}", label=rf"exact $N = {N}$")
    off = len(res["Ns_ce"])
    for j, (N, nt) in enumerate(zip(res["Ns_ct"], res["nt_ct"])):
        ax.errorbar(tc, N * res[f"C_traj_N{N}"][2, 2], N * res[f"C_traj_se_N{N}"][2, 2], fmt="o", ms=3,
                    color=f"C{off + j}", label=rf"trajectories $N = {N}$ ({nt})")
    ax.axhline(0, color="gray", lw=0.5)
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$N\,C_{zz}(t)$, $C_{zz} = \langle\sigma_z^1\sigma_z^2\rangle - \langle\sigma_z\rangle^2$")
    ax.set_title(rf"(c) collapse of $N\,C_{{zz}}(t)$, $\beta = {BETA}$, $\Omega = {OMEGA}$, coherent start", loc="left",
                 fontsize=8.5)
    ax.legend(frameon=False, ncol=2, fontsize=7)
    # (d)
    ax = axes[1, 1]
    Ns_c, Cz, Ce, k = res["Ns_c"], np.abs(res["Cz"]), res["Cz_err"], res["kinds"]
    ax.loglog(Ns_c[k == 0], Cz[k == 0], "ks", label="exact sectors")
    ax.errorbar(Ns_c[k == 1], Cz[k == 1], Ce[k == 1], fmt="o", color="C3", label="trajectories (1 s.e.)")
    p, pe, c = res["C_fit"]
    NN = np.geomspace(Ns_c.min() * 0.8, Ns_c.max() * 1.25, 20)
    ax.loglog(NN, c * NN ** p, "k-", lw=0.8, label=rf"fit: $\propto N^{{{p:.3f} \pm {pe:.3f}}}$")
    ax.loglog(res["Ns_lc"], np.abs(res["Cz_lc"]), "^--", color="gray", lw=0.8,
              label=rf"exact, limit-cycle point $\beta = {BETA_LC}$ (not yet $1/N$)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(rf"$|C_{{zz}}(t = {tc[int(res['it'])]:g})|$")
    ax.set_title(rf"(d) two-site correlations are $O(1/N)$ ($\beta = {BETA}$, $\Omega = {OMEGA}$)", loc="left",
                 fontsize=8.5)
    ax.legend(frameon=False)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    save_png(fig, out)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    p.add_argument("--out", default="plots/theorem2_tagged.png", help="where to write the PNG")
    p.add_argument("--data", default="results/theorem2_tagged.npz", help="where to write the data")
    p.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    args = p.parse_args()
    main(args.fast, args.out, args.data, args.n_jobs)
