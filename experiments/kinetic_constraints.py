"""Kinetically constrained collective rates: the absorbing state n = 0 and the field that competes with it.

docs/theory.md §8 (paper §2.1), named_model("kinetic", N, gamma_up, gamma_down, omega): H = Omega S_x,
J_up = sqrt(gamma_up) sigma_+ n, J_down = sqrt(gamma_down) sigma_- n, n = (1 + m_z)/2 (operator-valued:
every flip needs excitations elsewhere). Mean field (Pauli units, G = (gamma_up + gamma_down) n^2):

    dm_x/dt = -G m_x/2,  dm_y/dt = -2 Omega m_z - G m_y/2,
    dm_z/dt = 2 Omega m_y + n^2 [gamma_up (1 - m_z) - gamma_down (1 + m_z)].

Stationary points (m_x = 0, m_y = -4 Omega m_z / G) solve
    f(n) = 4 Omega^2 (1 - 2n) + (gamma_up + gamma_down) n^4 (gamma_up - (gamma_up + gamma_down) n) = 0,
one root n_st(Omega) in [n*, 1/2), n* = gamma_up / (gamma_up + gamma_down). At Omega = 0 the all-down state
n = 0 (m_z = -1) is absorbing (every rate vanishes and H = 0), exactly, at any N. For gamma_up = 0 it is
the only attractor: n(t) = n0 / sqrt(1 + 2 gamma_down n0^2 t) (algebraic, critical-like decay), and for
Omega > 0 the field makes the system active with n_st ~ (4 Omega^2 / gamma_down^2)^(1/5): an
active/absorbing transition at Omega_c = 0 with exponent 2/5 in mean field.

(a) mean-field n_st against Omega (root of f, checked by integrating the mean-field equations of the
    package to t = 2000) for gamma_up / gamma_down = 0, 0.1, 0.5;
(b) trajectories (N = 50, 200) against mean field at Omega = 0, 0.1, 0.5, 2 (gamma_up = 0), classical
    start with half the spins up;
(c) finite-N absorption at Omega = 0 (gamma_up = 0): omega_t(n) against the algebraic mean-field decay and
    the fraction of trajectories in the all-down state (mean absorption time sum_k N^2 / (gamma_down k^3)
    ~ 1.2 N^2 / gamma_down); with a small field (Omega = 0.05) the finite-N system is not absorbed.

    python experiments/kinetic_constraints.py [--fast] [--out plots/kinetic_constraints.png]
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
from trajectories import classical_state, mean_field, run_ensemble  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402

GAMMA_DOWN = 1.0
P_UP = 0.5


def n_stationary(omega, gamma_up, gamma_down=GAMMA_DOWN):
    """Mean-field stationary density: root of f(n) in [n*, 1/2] (n* = 0 for gamma_up = 0: then the root
    for Omega > 0, and 0 for Omega = 0)."""
    gs = gamma_up + gamma_down
    nstar = gamma_up / gs

    def f(n):
        return 4 * omega ** 2 * (1 - 2 * n) + gs * n ** 4 * (gamma_up - gs * n)
    if omega == 0:
        return nstar
    return brentq(f, nstar, 0.5, xtol=1e-14)


def density(mean):
    """n = (1 + m_z)/2 from means (3, T)."""
    return (1 + mean[2]) / 2


def main(fast=False, out="plots/kinetic_constraints.png", data="results/kinetic_constraints.npz", n_jobs=2):
    t_start = time.perf_counter()
    res = {}
    # (a) ------------------------------------------------------------------------------------------
    omegas = np.geomspace(1e-4, 10, 41 if fast else 121)
    gups = (0.0, 0.1, 0.5)
    for gu in gups:
        res[f"nst_gu{gu}"] = np.array([n_stationary(w, gu) for w in omegas])
    checks = (0.1,) if fast else (0.001, 0.01, 0.1, 0.3, 1.0, 3.0)
    check_rows = []
    for gu in gups:
        for w in checks:
            mf = mean_field(named_model("kinetic", N=10, gamma_up=gu, gamma_down=GAMMA_DOWN, omega=w),
                            classical_state(P_UP), np.array([0.0, 1000.0, 2000.0]))
            n_int = density(mf.mean)
            check_rows.append((gu, w, n_stationary(w, gu), n_int[-1], abs(n_int[-1] - n_int[-2])))
    check_rows = np.array(check_rows)
    res.update(a_omegas=omegas, a_gups=np.array(gups), a_checks=check_rows)
    worst = np.abs(check_rows[:, 2] - check_rows[:, 3]).max()
    print(f"(a) mean-field stationary n from the root of f vs integration to t = 2000: max difference {worst:.2e}")
    small = omegas < 1e-2
    slope = np.polyfit(np.log(omegas[small]), np.log(res["nst_gu0.0"][small]), 1)[0]
    res["a_slope_gu0"] = slope
    print(f"(a) gamma_up = 0: n_st ~ Omega^{slope:.4f} for Omega < 0.01 (mean-field exponent 2/5); "
          f"n_st(0.1) = {n_stationary(0.1, 0.0):.4f}, n_st(1) = {n_stationary(1.0, 0.0):.4f}")

    # (b) ------------------------------------------------------------------------------------------
    b_omegas = (0.0, 0.1, 0.5, 2.0)
    Ns = (50, 200) if fast else (50, 200, 800)
    ntraj = (100, 30) if fast else (600, 300, 100)
    t_b = np.linspace(0, 10 if fast else 30, 21 if fast else 61)
    state = classical_state(P_UP)
    b_summary = {}
    for w in b_omegas:
        mf = mean_field(named_model("kinetic", N=10, gamma_up=0.0, gamma_down=GAMMA_DOWN, omega=w), state, t_b)
        res[f"b_w{w}_mf"] = density(mf.mean)
        rows = []
        for N, nt in zip(Ns, ntraj):
            model = named_model("kinetic", N=N, gamma_up=0.0, gamma_down=GAMMA_DOWN, omega=w)
            ens = run_ensemble(model, state, t_b, ntraj=nt, seed=400 + N, n_jobs=n_jobs)
            n, se = density(ens.mean), ens.stderr[2] / 2
            res[f"b_w{w}_N{N}_n"], res[f"b_w{w}_N{N}_se"] = n, se
            dev = np.abs(n - res[f"b_w{w}_mf"])
            rows.append((N, float(dev.max()), float((dev[1:] / np.maximum(se[1:], 1e-12)).max()), float(n[-1]),
                         float(se[-1]), ens.meta["seconds"]))
        b_summary[w] = rows
        print(f"(b) Omega = {w}: MF n(t = {t_b[-1]:g}) = {res[f'b_w{w}_mf'][-1]:.4f} (stationary "
              f"{n_stationary(w, 0.0):.4f}); " + "; ".join(
                  f"N = {N}: n = {n:.4f} +- {s:.4f}, max |n - n_MF| = {d:.4f} ({z:.1f} s.e.), {sec:.0f} s"
                  for N, d, z, n, s, sec in rows))
    res.update(b_omegas=np.array(b_omegas), b_Ns=np.array(Ns), b_ntraj=np.array(ntraj), b_times=t_b)

    # (c) ------------------------------------------------------------------------------------------
    t_c = np.concatenate([[0.0], np.geomspace(0.1, 300 if fast else 3000, 40 if fast else 61)])
    c_Ns = (6, 12) if fast else (10, 20, 40)
    c_ntraj = (200, 200) if fast else (1000, 1000, 600)
    mf0 = mean_field(named_model("kinetic", N=10, gamma_up=0.0, gamma_down=GAMMA_DOWN, omega=0.0), state, t_c)
    res["c_mf"] = density(mf0.mean)
    n0 = P_UP
    res["c_mf_analytic"] = n0 / np.sqrt(1 + 2 * GAMMA_DOWN * n0 ** 2 * t_c)
    c_summary = []
    for N, nt in zip(c_Ns, c_ntraj):
        model = named_model("kinetic", N=N, gamma_up=0.0, gamma_down=GAMMA_DOWN, omega=0.0)
        ens = run_ensemble(model, state, t_c, ntraj=nt, seed=500 + N, n_jobs=n_jobs, keep_trajectories=True)
        mz = ens.trajectory_means()[:, :, 0, 2]
        absorbed = mz < -1 + 1e-9
        # absorbing: once there, a trajectory stays (checked)
        stays = bool(np.all(absorbed[:, 1:] >= absorbed[:, :-1]))
        frac = absorbed.mean(0)
        frac_se = np.sqrt(frac * (1 - frac) / nt)
        n, se = density(ens.mean), ens.stderr[2] / 2
        t_abs = np.sum(N ** 2 / (GAMMA_DOWN * np.arange(1, N + 1) ** 3))
        res[f"c_N{N}_n"], res[f"c_N{N}_se"] = n, se
        res[f"c_N{N}_abs"], res[f"c_N{N}_abs_se"] = frac, frac_se
        # the absorption time of one trajectory from k up spins is sum_{i<=k} N^2/(gamma i^3); the
        # empirical fraction absorbed at the time where the absorbed fraction crosses 1/2
        c_summary.append((N, t_abs, stays, float(frac[-1]), ens.meta["seconds"]))
        print(f"(c) Omega = 0, N = {N} ({nt} trajectories): absorbed fraction at t = {t_c[-1]:g}: {frac[-1]:.3f}; "
              f"absorption is permanent: {stays}; mean absorption time from all up (sum N^2/k^3) = {t_abs:.0f}; "
              f"omega_t(n)/n_MF at t = {t_c[-1]:g}: {n[-1] / res['c_mf'][-1]:.3f}, {ens.meta['seconds']:.0f} s")
    res.update(c_times=t_c, c_Ns=np.array(c_Ns), c_ntraj=np.array(c_ntraj))
    # small field at finite N: not absorbed
    w_small = 0.05
    N_s, nt_s = (12, 40) if fast else (20, 300)
    t_s = t_c[t_c <= (100 if fast else 1000)]
    model = named_model("kinetic", N=N_s, gamma_up=0.0, gamma_down=GAMMA_DOWN, omega=w_small)
    ens = run_ensemble(model, state, t_s, ntraj=nt_s, seed=600, n_jobs=n_jobs, keep_trajectories=True)
    mz = ens.trajectory_means()[:, :, 0, 2]
    res.update(s_times=t_s, s_N=N_s, s_omega=w_small, s_n=density(ens.mean), s_se=ens.stderr[2] / 2,
               s_abs=(mz < -1 + 1e-9).mean(0), s_mf=density(mean_field(model, state, t_s).mean),
               s_nst=n_stationary(w_small, 0.0))
    print(f"(c) Omega = {w_small}, N = {N_s}: fraction exactly all-down {res['s_abs'].max():.3f}; "
          f"omega_t(n) at t = {t_s[-1]:g}: {res['s_n'][-1]:.4f} +- {res['s_se'][-1]:.4f} "
          f"(mean-field stationary {res['s_nst']:.4f}), {ens.meta['seconds']:.0f} s")

    Path(data).parent.mkdir(parents=True, exist_ok=True)
    np.savez(data, **res)
    plot(res, out)
    print(f"wrote {data} and {out} in {time.perf_counter() - t_start:.0f} s")
    return dict(checks=check_rows, slope=slope, b=b_summary, c=c_summary, res=res)


def plot(res, out):
    plt.rcParams.update({"font.size": 9, "axes.labelsize": 10, "legend.fontsize": 7.5})
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.3), constrained_layout=True)
    # (a)
    ax = axes[0]
    om = res["a_omegas"]
    for j, gu in enumerate(res["a_gups"]):
        ax.loglog(om, res[f"nst_gu{gu}"], "-", color=f"C{j}",
                  label=rf"$\gamma_\uparrow/\gamma_\downarrow = {gu:g}$")
    ch = res["a_checks"]
    ax.loglog(ch[:, 1], ch[:, 3], "kx", ms=5, label="integrated to $t = 2000$")
    ax.loglog(om, (4 * om ** 2 / GAMMA_DOWN ** 2) ** 0.2, "k:", lw=0.8, label=r"$(4\Omega^2/\gamma_\downarrow^2)^{1/5}$")
    ax.set_xlabel(r"$\Omega / \gamma_\downarrow$")
    ax.set_ylabel(r"stationary density $n_{\rm st}$")
    ax.set_ylim(1e-2, 0.7)
    ax.set_title(r"(a) mean field: active for $\Omega > 0$, absorbing $n = 0$ at $\Omega = 0$", loc="left",
                 fontsize=8.5)
    ax.legend(frameon=False, loc="lower right")
    # (b)
    ax = axes[1]
    t = res["b_times"]
    for j, w in enumerate(res["b_omegas"]):
        ax.plot(t, res[f"b_w{w}_mf"], "-", color=f"C{j}", lw=1.2, label=rf"$\Omega = {w:g}$")
        for k, (N, nt) in enumerate(zip(res["b_Ns"], res["b_ntraj"])):
            ax.errorbar(t[1:], res[f"b_w{w}_N{N}_n"][1:], res[f"b_w{w}_N{N}_se"][1:], fmt="osd"[k], ms=2.5,
                        color=f"C{j}", mfc="w" if k == 0 else None, lw=0.6)
    for k, (N, nt) in enumerate(zip(res["b_Ns"], res["b_ntraj"])):
        ax.plot([], [], "osd"[k], color="gray", mfc="w" if k == 0 else None, ms=3, label=rf"$N = {N}$ ({nt})")
    ax.plot([], [], "-", color="gray", label="mean field")
    ax.set_xlabel(r"$\gamma_\downarrow t$")
    ax.set_ylabel(r"$\omega_t(n)$, $n = (1 + m_z)/2$")
    ax.set_title(r"(b) trajectories vs mean field, $\gamma_\uparrow = 0$, half the spins up at $t = 0$",
                 loc="left", fontsize=8.5)
    ax.legend(frameon=False, ncol=2, fontsize=7)
    # (c)
    ax = axes[2]
    t = res["c_times"]
    ax.loglog(t[1:], res["c_mf"][1:], "k-", lw=1.2, label=r"mean field, $\Omega = 0$")
    for j, (N, nt) in enumerate(zip(res["c_Ns"], res["c_ntraj"])):
        ax.errorbar(t[1:], res[f"c_N{N}_n"][1:], res[f"c_N{N}_se"][1:], fmt="o", ms=2.5, color=f"C{j}", lw=0.6,
                    label=rf"$\omega_t(n)$, $N = {N}$ ({nt})")
    ax.set_xlabel(r"$\gamma_\downarrow t$")
    ax.set_ylabel(r"$\omega_t(n)$")
    ax.set_ylim(1e-3, 1)
    ts = res["s_times"]
    ax.errorbar(ts[1:], res["s_n"][1:], res["s_se"][1:], fmt="s", ms=2.5, color="C3", lw=0.6,
                label=rf"$\Omega = {float(res['s_omega']):g}$, $N = {int(res['s_N'])}$")
    ax.axhline(float(res["s_nst"]), color="C3", ls=":", lw=0.8, label=rf"MF $n_{{\rm st}}(\Omega = {float(res['s_omega']):g})$")
    axr = ax.twinx()
    for j, N in enumerate(res["c_Ns"]):
        axr.plot(t[1:], res[f"c_N{N}_abs"][1:], "--", color=f"C{j}", lw=1.0)
    axr.set_ylabel("fraction absorbed (dashed)")
    axr.set_ylim(0, 1.05)
    ax.set_title(r"(c) $\Omega = 0$: finite-$N$ absorption ($\gamma_\uparrow = 0$, error bars 1 s.e.)", loc="left",
                 fontsize=8.5)
    ax.legend(frameon=False, loc="lower left", fontsize=7)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    save_png(fig, out)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    p.add_argument("--out", default="plots/kinetic_constraints.png", help="where to write the PNG")
    p.add_argument("--data", default="results/kinetic_constraints.npz", help="where to write the data")
    p.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    args = p.parse_args()
    main(args.fast, args.out, args.data, args.n_jobs)
