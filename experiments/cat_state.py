"""Where mean field fails: a non-clustering (cat) initial state keeps E_N(t) of order one.

Quantum Hopfield model (docs/theory.md §7) in the bistable retrieval (ferromagnetic) phase beta = BETA,
Omega = OMEGA (beta > 1 + 8 Omega^2; stable fixed points +-m*, m_z* = M_STAR). Two initial states:

* the product state |up...up> (spin-coherent, theta = 0): clustering, E_N(0) = 1/N, and E_N(t) ~ 1/N
  (Theorem 1) around its mean-field solution m_up(t), which relaxes to the + retrieval state;
* the cat state (|up...up> + |down...down>)/sqrt(2): its one-site marginal is 1/2, so the mean-field
  solution started from it is m = 0 at all times (the symmetric, unstable point), and E_N(0) = 1/2 + 1/N.
  Collective observables cannot distinguish the cat from the mixture of its two branches, and each branch
  follows its own mean field: omega_t(m) = 0 (= mean field, by the pi-rotation symmetry about x), but
  omega_t(m_a m_b) -> m_up,a(t) m_up,b(t), so E_N(t) -> 1/2 |m_up(t)|^2 = O(1) for all N
  (stationary value (1 + 16 Omega^2) m*^2 / 2). Mean field (a product-state ansatz) describes neither branch.

Shown: trajectories against the exact sector-reduced evolution and against mean field for the cat
state; E_N(t) of both states for several N; E_N(t*) against N with fitted exponents (product ~ -1,
cat ~ 0).

    python experiments/cat_state.py [--fast] [--out plots/cat_state.png] [--data results/cat_state.npz]
"""
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from scipy.optimize import brentq  # noqa: E402

from trajectories.cli.registry import named_model  # noqa: E402
from trajectories import (cat_state, clustering, coherent_state, exact_evolution, fit_power_law,  # noqa: E402
                          mean_field, run_ensemble)
from trajectories.cli.plotting import save_png  # noqa: E402

BETA, OMEGA = 2.0, 0.2
#: the product state's exponent is fitted over N >= FIT_NMIN: below, |up...up> also tunnels to the other
#: retrieval state within t (measured N E_N at t = 6: 3.3, 2.8, 1.7 at N = 10, 31, 100 against 1.41 for
#: N >= 316), adding (switching probability) x O(m*^2) to E_N, exponentially small in N
FIT_NMIN = 100
M_STAR = brentq(lambda m: np.tanh(BETA * m) - (1 + 8 * OMEGA ** 2) * m, 1e-6, 1.0)


def setup(fast):
    if fast:
        times = np.linspace(0, 3, 7)
        cat_Ns, cat_n = np.array([10, 100]), np.array([200, 100])
        prod_Ns, prod_n = np.array([10, 31, 100, 316, 1000]), np.array([300, 300, 300, 150, 40])
        exact_Ns = np.array([10, 20])
        t_stars = (1.0, 3.0)
    else:
        times = np.linspace(0, 6, 25)
        cat_Ns, cat_n = np.array([10, 100, 1000, 3162]), np.array([400, 200, 100, 40])
        prod_Ns, prod_n = np.array([10, 31, 100, 316, 1000, 3162]), np.array([800, 800, 600, 300, 150, 60])
        exact_Ns = np.array([10, 20, 40, 80])
        t_stars = (1.0, 3.0, 6.0)
    return times, cat_Ns, cat_n, prod_Ns, prod_n, exact_Ns, t_stars


def exact_E(res, mf):
    sq = np.array([res.second[a, a] for a in range(3)])
    return 0.5 * np.sum(sq - 2 * mf * res.mean + mf ** 2, axis=0)


def main(fast=False, out=None, data=None, n_jobs=2, seed=4000):
    t0 = time.perf_counter()
    out = out or ("plots/cat_state_fast.png" if fast else "plots/cat_state.png")
    data = data or ("results/cat_state_fast.npz" if fast else "results/cat_state.npz")
    times, cat_Ns, cat_n, prod_Ns, prod_n, exact_Ns, t_stars = setup(fast)
    kstar = [int(np.argmin(np.abs(times - ts))) for ts in t_stars]
    cat, up = cat_state(), coherent_state(theta=0.0)

    def model(N):
        return named_model("hopfield", N=int(N), beta=BETA, omega=OMEGA)

    mf_cat = mean_field(model(10), cat, times)                 # m = 0 throughout
    mf_up = mean_field(model(10), up, times).mean               # the + branch
    branch_E = 0.5 * np.sum(mf_up ** 2, axis=0)                 # E_N of the cat for N -> oo

    out_cat, out_prod = {}, {}
    secs = 0.0
    for label, state, Ns, ns, store, mf in (("cat", cat, cat_Ns, cat_n, out_cat, mf_cat),
                                             ("product", up, prod_Ns, prod_n, out_prod, None)):
        for i, (N, n) in enumerate(zip(Ns, ns)):
            t1 = time.perf_counter()
            ens = run_ensemble(model(N), state, times, ntraj=int(n), seed=seed + 50 * (label == "cat") + i,
                               n_jobs=n_jobs)
            secs += time.perf_counter() - t1
            E, err = clustering(ens, mf if mf is not None else mean_field(model(N), state, times))
            store[int(N)] = dict(E=E, err=err, mean=ens.mean, stderr=ens.stderr,
                                 zz=ens.second[2, 2], zz_err=ens.second_stderr[2, 2])
    exact = {}
    t_ex = time.perf_counter()
    for N in exact_Ns:
        r = exact_evolution(model(N), cat, times, method="sectors")
        exact[int(N)] = dict(E=exact_E(r, mf_cat.mean), mean=r.mean, zz=r.second[2, 2])
    t_ex = time.perf_counter() - t_ex

    # agreement of trajectories with the exact evolution (cat), in standard errors
    z = {}
    for N in set(exact) & set(out_cat):
        o, e = out_cat[N], exact[N]
        dm, sm = (o["mean"] - e["mean"])[:, 1:], o["stderr"][:, 1:]
        # m_x = 0 exactly in every trajectory (zero spread): those entries must agree to round-off
        assert np.all(np.abs(dm[sm == 0]) < 1e-8), "a zero-spread observable differs from the exact value"
        zm = np.abs(dm[sm > 0]) / sm[sm > 0]
        zz = (o["zz"] - e["zz"])[1:] / o["zz_err"][1:]
        z[N] = float(max(zm.max(), np.abs(zz).max()))
    fits = {}
    for label, store in (("cat", out_cat), ("product", out_prod)):
        Ns = np.array([N for N in sorted(store) if label == "cat" or N >= FIT_NMIN])
        fits[label] = {ts: fit_power_law(Ns, [store[N]["E"][k] for N in Ns], [store[N]["err"][k] for N in Ns])
                       for ts, k in zip(t_stars, kstar)}

    # ---------------------------------------------------------------- figure
    fig, axes = plt.subplots(1, 3, figsize=(13, 4.1), constrained_layout=True)
    ax = axes[0]
    Ne = int(max(set(exact) & set(out_cat)))
    Nl = int(max(out_cat))
    ax.plot(times, exact[Ne]["zz"], "k-", lw=1.2, label=rf"exact $\omega_t(m_z^2)$, $N={Ne}$")
    ax.plot(times, exact[Ne]["mean"][2], "k-.", lw=1, label=rf"exact $\omega_t(m_z)$, $N={Ne}$")
    for N, c in ((Ne, "C0"), (Nl, "C1")):
        o = out_cat[N]
        ax.errorbar(times, o["zz"], o["zz_err"], fmt="o", ms=3, color=c,
                    label=rf"trajectories $\omega_t(m_z^2)$, $N={N}$")
        ax.errorbar(times, o["mean"][2], o["stderr"][2], fmt="s", ms=3, mfc="none", color=c,
                    label=rf"trajectories $\omega_t(m_z)$, $N={N}$")
    ax.plot(times, mf_cat.mean[2], "--", color="C3", lw=1.5,
            label=r"mean field from the cat: $m_z^{\rm MF}=(m_z^{\rm MF})^2=0$")
    ax.plot(times, mf_up[2] ** 2, ":", color="C2", lw=2, label=r"branch mean field $m_{{\rm up},z}(t)^2$")
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$\omega_t(m_z^2)$, $\omega_t(m_z)$")
    ax.set_title(rf"cat state, $\beta={BETA}$, $\Omega={OMEGA}$ (retrieval phase, $m^*_z={M_STAR:.3f}$)",
                 fontsize=9)
    ax.legend(fontsize=6.3, frameon=False)
    ax = axes[1]
    cols = plt.cm.viridis(np.linspace(0, 0.85, max(len(cat_Ns), len(prod_Ns))))
    for i, N in enumerate(sorted(out_cat)):
        o = out_cat[N]
        ax.errorbar(times, o["E"], o["err"], fmt="o-", ms=2.5, lw=0.8, color=cols[i], label=f"cat $N={N}$")
    for i, N in enumerate(sorted(out_prod)):
        o = out_prod[N]
        ax.errorbar(times, o["E"], o["err"], fmt="s--", ms=2.5, lw=0.8, mfc="none", color=cols[i],
                    label=rf"$|{{\uparrow}}\rangle^{{\otimes N}}$ $N={N}$")
    ax.plot(times, branch_E, "-", color="C3", lw=1.5, label=r"$\frac{1}{2}|\mathbf{m}_{\rm up}(t)|^2$")
    ax.set_yscale("log")
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$E_N(t)$")
    ax.set_title("cat: $E_N=O(1)$; product state: $E_N\\sim 1/N$", fontsize=9)
    ax.legend(fontsize=6, frameon=False, ncol=2)
    ax = axes[2]
    for label, store, mk in (("cat", out_cat, "o"), ("product", out_prod, "s")):
        Ns = np.array(sorted(store))
        for j, (ts, k) in enumerate(zip(t_stars, kstar)):
            f = fits[label][ts]
            ax.errorbar(Ns, [store[N]["E"][k] for N in Ns], [store[N]["err"][k] for N in Ns], fmt=mk,
                        color=f"C{j}", ms=4, mfc="none" if label == "product" else f"C{j}",
                        label=f"{label} $t={ts:g}$: $p={f.exponent:.3f}\\pm{f.exponent_err:.3f}$")
            Nf = Ns if label == "cat" else Ns[Ns >= FIT_NMIN]
            ax.plot(Nf, f.prefactor * Nf ** f.exponent, "-", color=f"C{j}", lw=0.7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(r"$E_N(t^*)$")
    ax.set_title(rf"fits $E_N(t^*)\propto N^p$ (product: $N\geq{FIT_NMIN}$), 1 s.e.", fontsize=9)
    ax.legend(fontsize=6.5, frameon=False)
    save_png(fig, out)

    arrays = dict(times=times, t_stars=np.array(t_stars), mf_up=mf_up, branch_E=branch_E, m_star=M_STAR)
    for label, store in (("cat", out_cat), ("product", out_prod)):
        arrays[f"{label}_Ns"] = np.array(sorted(store))
        arrays[f"{label}_E"] = np.array([store[N]["E"] for N in sorted(store)])
        arrays[f"{label}_err"] = np.array([store[N]["err"] for N in sorted(store)])
        arrays[f"{label}_mean"] = np.array([store[N]["mean"] for N in sorted(store)])
        arrays[f"{label}_exponent"] = np.array([fits[label][ts].exponent for ts in t_stars])
        arrays[f"{label}_exponent_err"] = np.array([fits[label][ts].exponent_err for ts in t_stars])
    arrays["exact_Ns"] = exact_Ns
    arrays["exact_cat_E"] = np.array([exact[int(N)]["E"] for N in exact_Ns])
    Path(data).parent.mkdir(parents=True, exist_ok=True)
    np.savez(data, **arrays)
    elapsed = time.perf_counter() - t0
    print(f"cat vs product state, Hopfield beta = {BETA}, Omega = {OMEGA} (m*_z = {M_STAR:.4f}); "
          f"trajectories {secs:.0f} s, exact N = {exact_Ns.tolist()} {t_ex:.0f} s")
    print("  cat trajectories vs exact: max |z| = " + ", ".join(f"{v:.2f} (N = {N})" for N, v in sorted(z.items())))
    print(f"  cat: min_t E_N(t) = " + ", ".join(f"{out_cat[N]['E'].min():.3f} (N = {N})" for N in sorted(out_cat))
          + f"; N -> oo branch prediction min_t |m_up|^2/2 = {branch_E.min():.3f}, t = {times[-1]:g}: "
          f"{branch_E[-1]:.3f}")
    for ts in t_stars:
        fc, fp = fits["cat"][ts], fits["product"][ts]
        print(f"  t* = {ts:g}: E_N ~ N^p, cat p = {fc.exponent:.3f} +- {fc.exponent_err:.3f}, "
              f"product p = {fp.exponent:.3f} +- {fp.exponent_err:.3f} (N >= {FIT_NMIN}, chi2/dof {fp.chi2:.1f}/{fp.dof})")
    print(f"wrote {out} and {data} in {elapsed:.0f} s")
    return dict(times=times, t_stars=t_stars, cat=out_cat, product=out_prod, exact=exact, z=z, fits=fits,
                branch_E=branch_E, elapsed=elapsed)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    ap.add_argument("--out", default=None, help="PNG path (default plots/cat_state[_fast].png)")
    ap.add_argument("--data", default=None, help="npz path (default results/cat_state[_fast].npz)")
    ap.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    args = ap.parse_args()
    main(args.fast, args.out, args.data, args.n_jobs)
