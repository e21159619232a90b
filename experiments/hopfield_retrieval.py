"""Quantum Hopfield retrieval: mean-field phases, trajectories, dephasing of the limit cycle, p = 2 retrieval.

docs/theory.md §7 (Rotondo et al., J. Phys. A 51, 115301 (2018)). Single block (one pattern, gauge-reduced),
Pauli units, mean field

    dm_x/dt = -m_x/2,  dm_y/dt = -2 Omega m_z - m_y/2,  dm_z/dt = 2 Omega m_y + tanh(beta m_z) - m_z.

(a) Phase diagram in (Omega, T = 1/beta). m_x decouples; the (m_y, m_z) plane has the fixed point
    m = 0 (Jacobian [[-1/2, -2 Omega], [2 Omega, beta - 1]]: stable iff beta < 3/2 and beta < 1 + 8 Omega^2)
    and, for beta > 1 + 8 Omega^2, the retrieval (ferromagnetic) pair m_y = -4 Omega m_z,
    tanh(beta m_z) = (1 + 8 Omega^2) m_z, stable iff beta sech^2(beta m_z) < 3/2 (its determinant is
    always positive). Where no fixed point is stable (beta > 3/2 and no stable retrieval pair) the
    bounded flow ends on a limit cycle (Poincare-Bendixson). The script classifies a grid by
    integrating the flow from two initial conditions (near m = 0 and near the retrieval state) and
    reading the late-time orbit, and overlays the analytic boundaries.
(b) Trajectories at several N against mean field at one point of each region (coherent start theta = 0.4).
(c) Limit-cycle region (beta = 2, Omega = 0.5): the ensemble average omega_t(m_z) dephases at finite N.
    Per mean-field period P the first Fourier coefficient of omega_t(m_z) over the window, divided by
    that of the mean-field orbit, decays like exp(-t / tau_N); tau_N is fitted (errors from
    per-trajectory Fourier coefficients) and its scaling with N fitted as a power law (phase
    diffusion with a 1/N diffusion constant gives tau ~ N).
(d) p = 2 random patterns (HopfieldNetwork, eq59, gauge-reduced to 2 blocks), retrieval phase
    (beta = 4, Omega = 0.2), classical start with r_z = 0.3 xi^1 + 0.15 xi^2 (pattern 1 corrupted with
    an admixture of pattern 2): pattern overlaps m^1, m^2 from trajectories and mean field.

    python experiments/hopfield_retrieval.py [--fast] [--out plots/hopfield_retrieval.png]
"""
import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from scipy.optimize import brentq  # noqa: E402

from models.hopfield import HopfieldNetwork, random_patterns  # noqa: E402
from trajectories.cli.registry import named_model  # noqa: E402
from trajectories import coherent_state, mean_field, product_state, run_ensemble  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402
from trajectories.analysis.estimators import fit_power_law  # noqa: E402

PARA, RETRIEVAL, CYCLE, COEXIST = 0, 1, 2, 3
PHASE_NAMES = {PARA: "paramagnet", RETRIEVAL: "retrieval", CYCLE: "limit cycle", COEXIST: "coexistence"}
#: one (Omega, beta) point inside each region (used by (b) and the tests)
POINTS = {"paramagnet": (0.5, 1.0), "retrieval": (0.2, 4.0), "limit cycle": (0.5, 2.0)}
THETA = 0.4
LC_POINT = (0.5, 2.0)          # (Omega, beta) of the dephasing study (c)
P2 = dict(beta=4.0, omega=0.2, a1=0.3, a2=0.15, seed=3)


# ----------------------------------------------------------------------------------------------
# (a) mean-field phase diagram
# ----------------------------------------------------------------------------------------------

def mf_flow(omega, beta, y, z):
    """(dm_y/dt, dm_z/dt) of the single-block mean field (broadcasts)."""
    return -2 * omega * z - y / 2, 2 * omega * y + np.tanh(beta * z) - z


def retrieval_fixed_point(omega, beta):
    """m_z > 0 of the retrieval fixed point, or None when it does not exist (beta <= 1 + 8 Omega^2)."""
    k = 1 + 8 * omega ** 2
    if beta <= k * (1 + 1e-12):
        return None
    return brentq(lambda z: np.tanh(beta * z) - k * z, 1e-9, 1.0)


def analytic_phase(omega, beta):
    """Stability analysis: (para stable, retrieval exists, retrieval stable)."""
    para = beta < 1.5 and beta < 1 + 8 * omega ** 2
    z = retrieval_fixed_point(omega, beta)
    if z is None:
        return para, False, False
    return para, True, beta / np.cosh(beta * z) ** 2 < 1.5


def jacobian_eigenvalues(omega, beta, z):
    """Eigenvalues of the (m_y, m_z) Jacobian at the fixed point with m_z = z."""
    J = np.array([[-0.5, -2 * omega], [2 * omega, beta / np.cosh(beta * z) ** 2 - 1]])
    return np.linalg.eigvals(J)


def classify_grid(omegas, betas, t_end=300.0, dt=0.02, window=40.0):
    """Integrate the flow (RK4, vectorised over the grid) from three starts: m = (y, z) = (0.02, 0.02),
    (0, 0.95) and the analytic retrieval fixed point displaced by 0.02 (where it exists; else the
    first start again). Per start the attractor is 'cycle' if the late orbit still oscillates
    (peak-to-peak m_z > 1e-2 over the last `window`, not shrinking by more than 20% against the
    window before), else 'para' (|m_z| < 1e-3) or 'retrieval'. Phase: the common attractor, or
    COEXIST when starts end on different attractors (multistability).
    Returns phase (len(betas), len(omegas)) and the largest late peak-to-peak amplitude."""
    W, Bt = np.meshgrid(omegas, betas)
    zfix = np.array([retrieval_fixed_point(w, b) or 0.0 for w, b in zip(W.ravel(), Bt.ravel())])
    yfix = -4 * W.ravel() * zfix
    starts_y = [np.full(W.size, 0.02), np.zeros(W.size), np.where(zfix > 0, yfix + 0.02, 0.02)]
    starts_z = [np.full(W.size, 0.02), np.full(W.size, 0.95), np.where(zfix > 0, zfix - 0.02, 0.02)]
    y, z = np.concatenate(starts_y), np.concatenate(starts_z)
    Wk, Bk = np.tile(W.ravel(), 3), np.tile(Bt.ravel(), 3)
    nsteps = int(round(t_end / dt))
    nwin = int(round(window / dt))
    ptp = np.zeros((2,) + y.shape)
    for step in range(nsteps):
        k1 = mf_flow(Wk, Bk, y, z)
        k2 = mf_flow(Wk, Bk, y + dt / 2 * k1[0], z + dt / 2 * k1[1])
        k3 = mf_flow(Wk, Bk, y + dt / 2 * k2[0], z + dt / 2 * k2[1])
        k4 = mf_flow(Wk, Bk, y + dt * k3[0], z + dt * k3[1])
        y = y + dt / 6 * (k1[0] + 2 * k2[0] + 2 * k3[0] + k4[0])
        z = z + dt / 6 * (k1[1] + 2 * k2[1] + 2 * k3[1] + k4[1])
        left = nsteps - step
        if left <= 2 * nwin:
            w = 0 if left > nwin else 1
            if left in (2 * nwin, nwin):
                zmax, zmin = z.copy(), z.copy()
            zmax, zmin = np.maximum(zmax, z), np.minimum(zmin, z)
            ptp[w] = zmax - zmin
    cyc = (ptp[1] > 1e-2) & (ptp[1] > 0.8 * ptp[0])
    per = np.where(cyc, CYCLE, np.where(np.abs(z) > 1e-3, RETRIEVAL, PARA)).reshape(3, -1)
    same = (per[0] == per[1]) & (per[1] == per[2])
    phase = np.where(same, per[0], COEXIST).reshape(W.shape)
    return phase, ptp[1].reshape(3, -1).max(0).reshape(W.shape)


def analytic_lines(omegas):
    """T on the boundaries: pitchfork T = 1/(1 + 8 Omega^2), Hopf of m = 0 at T = 2/3 (Omega > 1/4),
    Hopf of the retrieval pair (beta sech^2(beta m_z*) = 3/2), as (Omega, T) arrays."""
    pitch = 1 / (1 + 8 * omegas ** 2)
    hopf0 = np.where(omegas > 0.25, 2 / 3, np.nan)
    hopf_r = []
    for w in omegas:
        def g(beta):
            z = retrieval_fixed_point(w, beta)
            return (beta / np.cosh(beta * z) ** 2 - 1.5) if z is not None else np.nan
        b_lo = (1 + 8 * w ** 2) * 1.0001
        if w <= 0.25:
            hopf_r.append(np.nan)
            continue
        try:
            hopf_r.append(1 / brentq(g, b_lo, 200.0))
        except ValueError:
            hopf_r.append(np.nan)
    return pitch, hopf0, np.array(hopf_r)


# ----------------------------------------------------------------------------------------------
# helpers for trajectories
# ----------------------------------------------------------------------------------------------

def single_block(N, omega, beta):
    return named_model("hopfield", N=N, beta=beta, omega=omega)


def first_harmonic(times, values, period, starts):
    """Complex first Fourier coefficient (2/P) int_w v(t) e^{-2 pi i t / P} dt over windows
    [s, s + P] (trapezoid on the output grid); values (..., T) -> (..., len(starts))."""
    out = []
    for s in starts:
        sel = (times >= s - 1e-9) & (times <= s + period + 1e-9)
        t = times[sel]
        w = np.exp(-2j * np.pi * t / period)
        out.append(2 / period * np.trapezoid(values[..., sel] * w, t, axis=-1))
    return np.stack(out, axis=-1)


def mf_period(times, mz, t_skip):
    """Period of the mean-field orbit from upward zero crossings of m_z - mean after t_skip."""
    sel = times >= t_skip
    t, v = times[sel], mz[sel] - mz[sel].mean()
    idx = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    tc = t[idx] - v[idx] * (t[idx + 1] - t[idx]) / (v[idx + 1] - v[idx])
    return float(np.mean(np.diff(tc)))


def dephasing(N, ntraj, t_end, dt, seed, n_jobs, omega, beta, nboot=200):
    """Envelope of the ensemble oscillation on the limit cycle.

    Windows [s, s + P] (P the mean-field period) slide by P/4; per window the first Fourier coefficient
    of every trajectory's <m_z>(t) is computed, c = their mean, and the envelope ratio is
    r = |c| / |c_MF| (1 on the mean-field orbit). Its standard error is the spread of the
    per-trajectory coefficients along c. tau from `fit_envelope`; its error from a bootstrap over
    trajectories (the sliding windows are correlated, so the weighted-fit error would be too small)."""
    times = np.arange(0, t_end + dt / 2, dt)
    model = single_block(N, omega, beta)
    state = coherent_state(theta=THETA)
    ens = run_ensemble(model, state, times, ntraj=ntraj, seed=seed, n_jobs=n_jobs, keep_trajectories=True)
    mf = mean_field(model, state, times)
    P = mf_period(times, mf.mean[2], 20.0)
    starts = np.arange(0.0, t_end - P + 1e-9, P / 4)
    c_traj = first_harmonic(times, ens.trajectory_means()[:, :, 0, 2], P, starts)   # (ntraj, K)
    c_mf = np.abs(first_harmonic(times, mf.mean[2], P, starts))
    c = c_traj.mean(0)
    proj = (c_traj * np.exp(-1j * np.angle(c))).real
    se = proj.std(0, ddof=1) / np.sqrt(ntraj)
    ratio, err = np.abs(c) / c_mf, se / c_mf
    centres = starts + P / 2
    tau, A, use = fit_envelope(centres, ratio, err, P)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(nboot):
        idx = rng.integers(0, ntraj, ntraj)
        rb = np.abs(c_traj[idx].mean(0)) / c_mf
        boot.append(fit_envelope(centres, rb, err, P, use=use)[0])
    return dict(times=times, mean_z=ens.mean[2], stderr_z=ens.stderr[2], mf_z=mf.mean[2], period=P,
                centres=centres, ratio=ratio, ratio_err=err, use=use,
                fit=np.array([tau, np.std(boot, ddof=1), A]), seconds=ens.meta["seconds"])


def fit_envelope(centres, ratio, err, period, min_ratio=0.15, min_snr=4.0, use=None):
    """Least-squares fit ln r = ln A - t / tau over the windows from t = P (after the transient onto
    the cycle) up to the first window with r < max(min_ratio, min_snr * err) (the modulus of a
    noise-dominated mean is biased upwards, so the tail is dropped). Returns (tau, A, used mask)."""
    if use is None:
        ok = (ratio > np.maximum(min_ratio, min_snr * err)) | (centres < period)
        last = int(np.argmin(ok)) if not ok.all() else len(ok)
        use = np.zeros(len(ok), dtype=bool)
        use[:last] = True
        use &= centres >= period
    if use.sum() < 3:
        raise RuntimeError(f"envelope fit: only {int(use.sum())} usable windows")
    slope, icpt = np.polyfit(centres[use], np.log(np.maximum(ratio[use], 1e-12)), 1)
    return float(-1 / slope), float(np.exp(icpt)), use


def p2_network(N):
    net = HopfieldNetwork(random_patterns(2, N, seed=P2["seed"]), beta=P2["beta"], omega=P2["omega"])
    r = net.block_bloch(lambda s: (0.0, 0.0, P2["a1"] * s[0] + P2["a2"] * s[1]))
    return net, r


# ----------------------------------------------------------------------------------------------
# main
# ----------------------------------------------------------------------------------------------

def main(fast=False, out="plots/hopfield_retrieval.png", data="results/hopfield_retrieval.npz", n_jobs=2):
    t_start = time.perf_counter()
    res = {}

    # (a) phase diagram --------------------------------------------------------------------------
    omegas = np.linspace(0.0, 1.0, 31 if fast else 101)
    Ts = np.linspace(0.1, 1.5, 29 if fast else 113)
    phase, amp = classify_grid(omegas, 1 / Ts, t_end=200.0 if fast else 400.0)
    res.update(pd_omegas=omegas, pd_T=Ts, pd_phase=phase, pd_amp=amp)
    point_phase = {}
    for name, (w, b) in POINTS.items():
        ph, _ = classify_grid(np.array([w]), np.array([b]), t_end=400.0)
        para, exists, stable = analytic_phase(w, b)
        point_phase[name] = int(ph[0, 0])
        z = retrieval_fixed_point(w, b)
        eig0 = jacobian_eigenvalues(w, b, 0.0)
        eigr = jacobian_eigenvalues(w, b, z) if z is not None else np.full(2, np.nan)
        res[f"point_{name.replace(' ', '_')}"] = np.array([w, b, ph[0, 0], para, exists, stable])
        res[f"eig0_{name.replace(' ', '_')}"] = eig0
        res[f"eigr_{name.replace(' ', '_')}"] = eigr
        print(f"(a) Omega = {w}, beta = {b}: integration says {PHASE_NAMES[int(ph[0, 0])]}; "
              f"m = 0 eigenvalues {np.round(eig0, 3)}, retrieval m_z* = "
              f"{'none' if z is None else f'{z:.4f}'} eigenvalues {np.round(eigr, 3)}")
    frac = {PHASE_NAMES[k]: float(np.mean(phase == k)) for k in PHASE_NAMES}
    print("(a) grid fractions: " + ", ".join(f"{k} {v:.2f}" for k, v in frac.items()))

    # (b) trajectories vs mean field, one point per region ---------------------------------------
    Ns = (50, 200) if fast else (50, 200, 1000)
    ntrajs = (150, 80) if fast else (800, 300, 100)
    t_b = np.linspace(0, 5 if fast else 15, 11 if fast else 61)
    state = coherent_state(theta=THETA)
    worst_b = {}
    for name, (w, b) in POINTS.items():
        key = name.replace(" ", "_")
        mf = mean_field(single_block(10, w, b), state, t_b)
        res[f"b_{key}_mf"] = mf.mean
        worst_b[name] = []
        for N, nt in zip(Ns, ntrajs):
            ens = run_ensemble(single_block(N, w, b), state, t_b, ntraj=nt, seed=100 + N, n_jobs=n_jobs)
            res[f"b_{key}_N{N}_mean"], res[f"b_{key}_N{N}_stderr"] = ens.mean, ens.stderr
            dev = np.abs(ens.mean - mf.mean)
            worst_b[name].append((N, float(dev.max()), float((dev / (ens.stderr + 1e-12)).max())))
        print(f"(b) {name}: max |omega_t(m) - m_MF| (and in standard errors) "
              + ", ".join(f"N = {N}: {d:.3f} ({z:.1f})" for N, d, z in worst_b[name]))
    res.update(b_times=t_b, b_Ns=np.array(Ns), b_ntraj=np.array(ntrajs))

    # (c) dephasing of the limit cycle -----------------------------------------------------------
    w, b = LC_POINT
    if fast:
        c_Ns, c_ntraj, c_tend = (16, 64), (300, 200), (40.0, 60.0)
    else:
        c_Ns, c_ntraj, c_tend = (25, 50, 100, 200), (800, 600, 400, 250), (50.0, 70.0, 110.0, 200.0)
    taus, tau_errs = [], []
    for N, nt, te in zip(c_Ns, c_ntraj, c_tend):
        d = dephasing(N, nt, te, 0.25, seed=200 + N, n_jobs=n_jobs, omega=w, beta=b)
        tau, tau_err, A = d["fit"]
        taus.append(tau)
        tau_errs.append(tau_err)
        for k, v in d.items():
            res[f"c_N{N}_{k}"] = v
        print(f"(c) N = {N} ({nt} trajectories): mean-field period {d['period']:.3f}, dephasing time "
              f"tau = {tau:.2f} +- {tau_err:.2f} (A = {A:.3f}, fitted t = {d['centres'][d['use']].min():.1f}.."
              f"{d['centres'][d['use']].max():.1f}), {d['seconds']:.0f} s")
    res.update(c_Ns=np.array(c_Ns), c_tau=np.array(taus), c_tau_err=np.array(tau_errs))
    fit = fit_power_law(c_Ns, taus, tau_errs)
    res["c_powerlaw"] = np.array([fit.exponent, fit.exponent_err, fit.prefactor, fit.prefactor_err])
    print(f"(c) tau ~ N^p: {fit}")

    # (d) p = 2 retrieval -------------------------------------------------------------------------
    d_Ns = (40, 80) if fast else (50, 100, 200)
    d_ntraj = (80, 40) if fast else (400, 200, 60)
    t_d = np.linspace(0, 5 if fast else 10, 21 if fast else 41)
    for N, nt in zip(d_Ns, d_ntraj):
        net, r = p2_network(N)
        st = product_state(r)
        ens = run_ensemble(net.model, st, t_d, ntraj=nt, seed=300 + N, n_jobs=n_jobs, keep_trajectories=True)
        mf = mean_field(net.model, r, t_d)
        ov_traj = net.overlaps(np.moveaxis(ens.trajectory_means()[..., 2], 2, 0))   # (p, ntraj, T)
        ov = ov_traj.mean(axis=1)
        ov_se = ov_traj.std(axis=1, ddof=1) / np.sqrt(nt)
        ov_mf = net.overlaps(mf.mean[:, 2])
        res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"], res[f"d_N{N}_overlap_mf"] = ov, ov_se, ov_mf
        res[f"d_N{N}_sizes"] = np.array(net.sizes)
        print(f"(d) N = {N} (blocks {net.sizes}): m^1(0) = {ov[0, 0]:.3f}, m^2(0) = {ov[1, 0]:.3f}; "
              f"t = {t_d[-1]:g}: m^1 = {ov[0, -1]:.3f} +- {ov_se[0, -1]:.3f} (MF {ov_mf[0, -1]:.3f}), "
              f"m^2 = {ov[1, -1]:.3f} +- {ov_se[1, -1]:.3f} (MF {ov_mf[1, -1]:.3f}); "
              f"max |m^mu - MF| = {np.abs(ov - ov_mf).max():.3f}, {ens.meta['seconds']:.0f} s")
    res.update(d_times=t_d, d_Ns=np.array(d_Ns), d_ntraj=np.array(d_ntraj))
    z1 = retrieval_fixed_point(P2["omega"], P2["beta"])
    res["d_retrieval_mz"] = np.array(z1)

    Path(data).parent.mkdir(parents=True, exist_ok=True)
    np.savez(data, **res)
    plot(res, out)
    print(f"wrote {data} and {out} in {time.perf_counter() - t_start:.0f} s")
    return dict(point_phase=point_phase, grid_fractions=frac, worst_b=worst_b, Ns_c=c_Ns, tau=taus,
                tau_err=tau_errs, powerlaw=fit, res=res)


def plot(res, out):
    plt.rcParams.update({"font.size": 9, "axes.labelsize": 10, "legend.fontsize": 7.5})
    fig = plt.figure(figsize=(13, 8.2), constrained_layout=True)
    gs = fig.add_gridspec(3, 4)
    # (a)
    ax = fig.add_subplot(gs[0:2, 0])
    om, T = res["pd_omegas"], res["pd_T"]
    cmap = ListedColormap(["#c6dbef", "#fdae6b", "#a1d99b", "#bcbddc"])
    ax.pcolormesh(om, T, res["pd_phase"], cmap=cmap, vmin=-0.5, vmax=3.5, shading="nearest", rasterized=True)
    omf = np.linspace(0.0, 1.0, 400)
    pitch, hopf0, hopf_r = analytic_lines(omf)
    ax.plot(omf, pitch, "k-", lw=1, label=r"$\beta = 1 + 8\Omega^2$ (pitchfork)")
    ax.plot(omf, hopf0, "k--", lw=1, label=r"Hopf of $m = 0$: $T = 2/3$")
    ax.plot(omf, hopf_r, "k:", lw=1.3, label=r"Hopf of retrieval: $\beta\,\mathrm{sech}^2(\beta m_z^*) = 3/2$")
    markers = {"paramagnet": "o", "retrieval": "s", "limit cycle": "^"}
    for name, (w, b) in POINTS.items():
        ax.plot(w, 1 / b, markers[name], color="k", mfc="w", ms=7)
    ax.set_xlabel(r"$\Omega$")
    ax.set_ylabel(r"$T = 1/\beta$")
    ax.set_ylim(T[0], T[-1])
    ax.set_title("(a) mean-field phases", loc="left")
    from matplotlib.patches import Patch
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=cmap.colors[k], label=PHASE_NAMES[k]) for k in PHASE_NAMES]
    ax.legend(handles=handles, loc="upper left", frameon=True, fontsize=6.5)
    # (b)
    t = res["b_times"]
    for i, name in enumerate(POINTS):
        key = name.replace(" ", "_")
        ax = fig.add_subplot(gs[0, 1 + i])
        ax.plot(t, res[f"b_{key}_mf"][2], "k-", lw=1.2, label="mean field")
        ax.plot(t, res[f"b_{key}_mf"][1], "k--", lw=1.0)
        for j, (N, nt) in enumerate(zip(res["b_Ns"], res["b_ntraj"])):
            for a, fmt in ((2, "o"), (1, "s")):
                ax.errorbar(t, res[f"b_{key}_N{N}_mean"][a], res[f"b_{key}_N{N}_stderr"][a], fmt=fmt, ms=2.5,
                            color=f"C{j}", lw=0.8, label=(rf"$N = {N}$ ({nt})" if a == 2 else None))
        w, b = POINTS[name]
        ax.set_title(rf"(b) {name}: $\Omega = {w}$, $\beta = {b}$", loc="left")
        ax.set_xlabel(r"$t$")
        ax.set_ylabel(r"$\omega_t(m_z)$ (circles), $\omega_t(m_y)$ (squares)")
        if i == 0:
            ax.legend(frameon=False)
    # (c) envelope and tau(N)
    ax = fig.add_subplot(gs[1, 1:4])
    for j, N in enumerate(res["c_Ns"]):
        c, r, e = res[f"c_N{N}_centres"], res[f"c_N{N}_ratio"], res[f"c_N{N}_ratio_err"]
        tau, _, A = res[f"c_N{N}_fit"]
        use = res[f"c_N{N}_use"]
        ax.errorbar(c[use], r[use], e[use], fmt="o", ms=3, color=f"C{j}", lw=0.7,
                    label=rf"$N = {N}$, $\tau = {tau:.1f}$")
        ax.errorbar(c[~use], r[~use], e[~use], fmt="o", ms=3, color=f"C{j}", mfc="w", lw=0.7)
        tt = np.linspace(0, c[use].max(), 50)
        ax.plot(tt, A * np.exp(-tt / tau), "-", color=f"C{j}", lw=0.8)
    ax.set_yscale("log")
    ax.set_ylim(3e-3, 2)
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$|c_1^{\rm ens}| / |c_1^{\rm MF}|$ per period")
    ax.set_title(r"(c) dephasing of $\omega_t(m_z)$ on the limit cycle ($\Omega = 0.5$, $\beta = 2$); "
                 r"filled: fitted", loc="left")
    ax.legend(frameon=False, ncol=2, loc="lower left")
    axin = ax.inset_axes([0.78, 0.52, 0.2, 0.44])
    Ns, tau, te = res["c_Ns"], res["c_tau"], res["c_tau_err"]
    axin.errorbar(Ns, tau, te, fmt="ko", ms=3)
    p, pe, c0, _ = res["c_powerlaw"]
    NN = np.geomspace(Ns.min() * 0.8, Ns.max() * 1.25, 20)
    axin.plot(NN, c0 * NN ** p, "r-", lw=0.8, label=rf"$\tau \propto N^{{{p:.2f}\pm{pe:.2f}}}$")
    axin.set_xscale("log")
    axin.set_yscale("log")
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter
    for axis in (axin.xaxis, axin.yaxis):
        axis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
        axis.set_major_formatter(ScalarFormatter())
        axis.set_minor_formatter(NullFormatter())
    axin.set_xlabel(r"$N$", fontsize=7)
    axin.set_ylabel(r"$\tau$", fontsize=7)
    axin.tick_params(labelsize=6)
    axin.legend(fontsize=6.5, frameon=False)
    # (c') the oscillation itself at the largest N
    ax = fig.add_subplot(gs[2, 0:2])
    for j, N in enumerate(res["c_Ns"][[0, -1]] if len(res["c_Ns"]) > 1 else res["c_Ns"]):
        tt, mz, se = res[f"c_N{N}_times"], res[f"c_N{N}_mean_z"], res[f"c_N{N}_stderr_z"]
        col = "C0" if j == 0 else f"C{len(res['c_Ns']) - 1}"
        ax.fill_between(tt, mz - se, mz + se, color=col, alpha=0.5, lw=0, label=rf"$N = {N}$ ($\pm$1 s.e.)")
    N = res["c_Ns"][-1]
    ax.plot(res[f"c_N{N}_times"], res[f"c_N{N}_mf_z"], "k-", lw=0.6, label="mean field")
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$\omega_t(m_z)$")
    ax.set_title("(c) limit cycle: ensemble average dephases at finite N", loc="left")
    ax.legend(frameon=False, ncol=3, loc="upper right")
    ax.set_ylim(-1, 1.25)
    ax.set_xlim(-1, 80)
    # (d)
    ax = fig.add_subplot(gs[2, 2:4])
    t = res["d_times"]
    for j, (N, nt) in enumerate(zip(res["d_Ns"], res["d_ntraj"])):
        ov, se = res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"]
        ax.errorbar(t, ov[0], se[0], fmt="o", ms=2.5, color=f"C{j}", lw=0.8, label=rf"$N = {N}$ ({nt})")
        ax.errorbar(t, ov[1], se[1], fmt="s", ms=2.5, color=f"C{j}", lw=0.8, mfc="w")
        ax.plot(t, res[f"d_N{N}_overlap_mf"][0], "-", color=f"C{j}", lw=0.8)
        ax.plot(t, res[f"d_N{N}_overlap_mf"][1], "--", color=f"C{j}", lw=0.8)
    ax.axhline(float(res["d_retrieval_mz"]), color="gray", lw=0.6, ls=":")
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"overlaps $m^1$ (filled), $m^2$ (open)")
    ax.set_title(rf"(d) $p = 2$: $\beta = {P2['beta']}$, $\Omega = {P2['omega']}$, start "
                 rf"$r_z = {P2['a1']}\xi^1 + {P2['a2']}\xi^2$; lines: MF", loc="left")
    ax.legend(frameon=False, loc="center right")
    fig.suptitle("Quantum Hopfield network: mean-field phases and exact trajectories (error bars: 1 s.e.)")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    save_png(fig, out)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="a few-second run (used by the tests)")
    p.add_argument("--out", default="plots/hopfield_retrieval.png", help="where to write the PNG")
    p.add_argument("--data", default="results/hopfield_retrieval.npz", help="where to write the data")
    p.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    args = p.parse_args()
    main(args.fast, args.out, args.data, args.n_jobs)
