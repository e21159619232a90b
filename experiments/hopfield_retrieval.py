"""Quantum Hopfield retrieval: mean-field phases, trajectories against mean field, dephasing of the
limit cycle, p = 2 retrieval.

docs/theory.md §7 (Rotondo et al., J. Phys. A 51, 115301 (2018)); paper §5, eq. 59 rates. Single block
(one pattern, gauge-reduced), Pauli units, mean field

    dm_x/dt = -m_x/2,  dm_y/dt = -2 Omega m_z - m_y/2,  dm_z/dt = 2 Omega m_y + tanh(beta m_z) - m_z.

(a) Phase diagram in (Omega, T = 1/beta), from the closed-form fixed points and their Jacobians
    (`hopfield_fixed_points`): paramagnet where m = 0 is stable (beta < min(3/2, 1 + 8 Omega^2)),
    retrieval where the pair m_y = -4 Omega m_z, tanh(beta m_z) = (1 + 8 Omega^2) m_z is stable
    (beta sech^2(beta m_z) < 3/2), limit cycle where no fixed point is stable (Poincare-Bendixson).
    The retrieval pair loses stability in a subcritical Hopf bifurcation: along each row of the grid
    the mean field (`mean_field`) is integrated from outside the cycle (m = (0, 0, 0.95), t <= 100),
    starting at the Hopf line and stepping into the retrieval region until the orbit falls onto the
    fixed point; points where it still oscillates are coexistence (stable cycle and stable retrieval).
    On the 101 x 113 grid (Omega <= 1, 0.1 <= T <= 1.5): paramagnet 0.557, retrieval 0.196, limit cycle
    0.235, coexistence 0.012 (142 points, cycle amplitudes 0.8-1.6 in m_z), a band next to the Hopf line
    of the retrieval pair up to 0.13 wide in Omega (beta = 10). Its outer edge, the fold of cycles, is
    resolved only up to the integration time: just inside it the orbit can linger for t > 100.
(b)-(d) Trajectories at N = 50, 200, 1000 against mean field at one point of each region (coherent
    start theta = 0.4): paramagnet and retrieval agree within 4 standard errors + 1/N; at the
    limit-cycle point the finite-N deviation falls with N.
(e), (f) Limit cycle (beta = 2, Omega = 0.5): the ensemble average omega_t(m_z) dephases at finite N.
    Per mean-field period P the first Fourier coefficient of omega_t(m_z), divided by that of the
    mean-field orbit, decays like A exp(-t / tau_N); tau_N from a least-squares fit of its logarithm,
    with half the 68% percentile bootstrap interval over trajectories (`bootstrap`) as its error:
    tau = 10.9 +- 1.3, 15.6 +- 1.9, 25.5 +- 3.6, 61 +- 11 at N = 25, 50, 100, 200. `fit_power_law`:
    tau ~ N^(0.78 +- 0.12) (error scaled by sqrt(chi^2/dof), chi^2/dof = 3.3/2); phase diffusion with a
    1/N diffusion constant gives the exponent 1 as N -> oo.
(g) p = 2 random patterns (HopfieldNetwork, eq. 59, gauge-reduced to 2 blocks), retrieval phase
    (beta = 4, Omega = 0.2), classical start r_z = 0.3 xi^1 + 0.15 xi^2: the pattern overlaps
    m^1, m^2 (`pattern_overlaps`, exact standard errors) approach mean field as N grows, and m^1 is
    retrieved: 0.3 -> the stable retrieval fixed point m^1* = 0.75 of the network's mean field
    (`fixed_point_from`; the p = 1 value 0.754 up to the pattern imbalance).

    python experiments/hopfield_retrieval.py [--fast] [--out plots/hopfield_retrieval.png]
        [--data results/hopfield_retrieval.npz] [--n-jobs 2]
"""
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter  # noqa: E402

from models import HopfieldNetwork, hopfield_model, random_patterns  # noqa: E402
from trajectories import (bootstrap, coherent_state, fit_power_law, mean_field, pattern_overlaps,  # noqa: E402
                          product_state, run_ensemble)
from trajectories.analysis import trajectory_values  # noqa: E402
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402
from trajectories.theory.fixed_points import (fixed_point_from, hopfield_fixed_points,  # noqa: E402
                                              hopfield_phase_boundaries, hopfield_retrieval_mz)

PARA, RETRIEVAL, CYCLE, COEXIST = 0, 1, 2, 3
PHASE_NAMES = ("paramagnet", "retrieval", "limit cycle", "coexistence")
#: names of the three points of (b)-(d), in the order of Params.points
POINT_KEYS = ("paramagnet", "retrieval", "limit_cycle")
#: start of the coexistence check: outside every limit cycle of the (m_y, m_z) flow
OUTER_START = np.array([0.0, 0.0, 0.95])
#: the eq. 59 mean field does not depend on N; the models of mean-field runs use this nominal N
MF_N = 100
#: a mean-field orbit counts as a limit cycle when its peak-to-peak m_z over the last window exceeds
#: CYCLE_AMPLITUDE and is at least CYCLE_PERSISTENCE times that of the window before (not spiralling in)
CYCLE_AMPLITUDE = 0.1
CYCLE_PERSISTENCE = 0.9
#: a fixed point whose largest real part is below this is not unstable (bifurcation points on the grid)
MARGINAL = 1e-9


@dataclass(frozen=True)
class Params:
    # (a) phase diagram: grid, and the mean-field integration of the coexistence check
    pd_omega_max: float = 1.0
    pd_n_omega: int = 101
    pd_T_min: float = 0.1
    pd_T_max: float = 1.5
    pd_n_T: int = 113
    pd_t_check: float = 100.0           # integration time from OUTER_START
    pd_window: float = 30.0             # late window whose peak-to-peak m_z is read (> the cycle periods)
    pd_rtol: float = 1e-6
    # (b)-(d) one (Omega, beta) per region: paramagnet, retrieval, limit cycle
    points: tuple = ((0.5, 1.0), (0.2, 4.0), (0.5, 2.0))
    theta: float = 0.4                  # coherent start of (b)-(f)
    b_Ns: tuple = (50, 200, 1000)
    b_ntraj: tuple = (800, 300, 100)
    b_t_end: float = 15.0
    b_n_times: int = 61
    b_seed: int = 100                   # seed of N: b_seed + N
    # (e), (f) dephasing on the limit cycle
    c_omega: float = 0.5
    c_beta: float = 2.0
    c_Ns: tuple = (25, 50, 100, 200)
    c_ntraj: tuple = (800, 600, 400, 250)
    c_t_end: tuple = (50.0, 70.0, 110.0, 200.0)
    c_dt: float = 0.25
    c_seed: int = 200                   # seed of N: c_seed + N
    c_nboot: int = 200
    # (g) p = 2 retrieval
    d_beta: float = 4.0
    d_omega: float = 0.2
    d_a1: float = 0.3
    d_a2: float = 0.15
    d_pattern_seed: int = 3
    d_Ns: tuple = (50, 100, 200)
    d_ntraj: tuple = (400, 200, 60)
    d_t_end: float = 10.0
    d_n_times: int = 41
    d_seed: int = 300                   # seed of N: d_seed + N


FAST = Params(pd_n_omega=31, pd_n_T=29, pd_t_check=60.0, pd_window=20.0, b_Ns=(50, 200), b_ntraj=(150, 80), b_t_end=5.0,
              b_n_times=11, c_Ns=(16, 64), c_ntraj=(300, 200), c_t_end=(40.0, 60.0), c_nboot=100,
              d_Ns=(40, 80), d_ntraj=(80, 40), d_t_end=5.0, d_n_times=21)


# ----------------------------------------------------------------------------------------------
# (a) mean-field phase diagram
# ----------------------------------------------------------------------------------------------

def fixed_point_phase(beta, omega):
    """PARA (m = 0 stable, or marginal on a bifurcation line), RETRIEVAL (the pair +-m* stable) or
    CYCLE (no stable fixed point)."""
    fps = hopfield_fixed_points(beta, omega)
    if fps[len(fps) // 2].growth_rate < MARGINAL:
        return PARA
    if len(fps) == 3 and fps[0].stable:
        return RETRIEVAL
    return CYCLE


def late_amplitude(beta, omega, p: Params):
    """Peak-to-peak m_z of the mean-field orbit from OUTER_START over the last p.pd_window, or 0 when
    it is not a limit cycle (below CYCLE_AMPLITUDE, or shrinking against the window before)."""
    times = np.linspace(0.0, p.pd_t_check, int(round(10 * p.pd_t_check)) + 1)
    mf = mean_field(hopfield_model(MF_N, beta, omega), OUTER_START, times,
                    options=dict(rtol=p.pd_rtol, atol=1e-2 * p.pd_rtol))
    last = np.ptp(mf.mean[2, times >= p.pd_t_check - p.pd_window])
    before = np.ptp(mf.mean[2, (times >= p.pd_t_check - 2 * p.pd_window) & (times < p.pd_t_check - p.pd_window)])
    return float(last) if last > CYCLE_AMPLITUDE and last >= CYCLE_PERSISTENCE * before else 0.0


def phase_grid(p: Params):
    """Phases (n_T, n_omega), late cycle amplitudes (0: no cycle) and a mask of the checked points.

    Fixed-point classification everywhere; then, per row (fixed beta), every run of RETRIEVAL points
    that ends next to a CYCLE point is walked from the Hopf line into the retrieval region, each point
    integrated from OUTER_START; oscillating points become COEXIST, the walk stops at the first
    point whose orbit falls onto the fixed point."""
    omegas = np.linspace(0.0, p.pd_omega_max, p.pd_n_omega)
    Ts = np.linspace(p.pd_T_min, p.pd_T_max, p.pd_n_T)
    phase = np.array([[fixed_point_phase(1 / T, w) for w in omegas] for T in Ts])
    amp, checked = np.zeros(phase.shape), np.zeros(phase.shape, dtype=bool)
    for i, T in enumerate(Ts):
        for j in range(len(omegas) - 1):
            if not (phase[i, j] == RETRIEVAL and phase[i, j + 1] == CYCLE):
                continue
            for k in range(j, -1, -1):
                if phase[i, k] != RETRIEVAL:
                    break
                amp[i, k], checked[i, k] = late_amplitude(1 / T, omegas[k], p), True
                if amp[i, k] == 0:
                    break
                phase[i, k] = COEXIST
    return omegas, Ts, phase, amp, checked


def phase_lines(omega_max):
    """The bifurcation lines of docs/theory.md §7 as T = 1/beta on a fine Omega grid."""
    omf = np.linspace(0.0, omega_max, 400)
    lines = hopfield_phase_boundaries(omf)
    return {"pd_line_omega": omf, "pd_line_pitchfork": 1 / lines["pitchfork"],
            "pd_line_hopf_paramagnet": 1 / lines["hopf_paramagnet"],
            "pd_line_hopf_retrieval": 1 / lines["hopf_retrieval"]}


def point_analysis(p: Params):
    """Per point of (b)-(d): phase (grid rule), m = 0 and retrieval eigenvalues, m_z*."""
    out = {}
    for key, (w, b) in zip(POINT_KEYS, p.points):
        fps = hopfield_fixed_points(b, w)
        phase = fixed_point_phase(b, w)
        if phase == RETRIEVAL and late_amplitude(b, w, p) > 0:
            phase = COEXIST
        z = hopfield_retrieval_mz(b, w)
        out[f"point_{key}"] = np.array([w, b, phase, fps[len(fps) // 2].stable, len(fps) == 3,
                                        len(fps) == 3 and fps[0].stable], dtype=float)
        out[f"eig0_{key}"] = fps[len(fps) // 2].eigenvalues
        out[f"eigr_{key}"] = fps[0].eigenvalues if len(fps) == 3 else np.full(3, np.nan + 0j)
        out[f"mzr_{key}"] = np.nan if z is None else z
    return out


def phase_diagram(p: Params):
    omegas, Ts, phase, amp, checked = phase_grid(p)
    res = dict(pd_omegas=omegas, pd_T=Ts, pd_phase=phase, pd_amp=amp, pd_checked=checked,
               pd_fractions=np.array([np.mean(phase == k) for k in range(4)]))
    res.update(phase_lines(p.pd_omega_max))
    res.update(point_analysis(p))
    return res


# ----------------------------------------------------------------------------------------------
# (b)-(d) trajectories against mean field
# ----------------------------------------------------------------------------------------------

def trajectories_vs_mean_field(p: Params, n_jobs):
    times = np.linspace(0.0, p.b_t_end, p.b_n_times)
    state = coherent_state(theta=p.theta)
    res = dict(b_times=times, b_Ns=np.array(p.b_Ns), b_ntraj=np.array(p.b_ntraj))
    for key, (w, b) in zip(POINT_KEYS, p.points):
        mf = mean_field(hopfield_model(MF_N, b, w), state, times).mean
        res[f"b_{key}_mf"] = mf
        dev, dev_se = [], []
        for N, nt in zip(p.b_Ns, p.b_ntraj):
            ens = run_ensemble(hopfield_model(N, b, w), state, times, ntraj=nt, seed=p.b_seed + N,
                               execution=dict(n_jobs=n_jobs))
            res[f"b_{key}_N{N}_mean"], res[f"b_{key}_N{N}_stderr"] = ens.mean, ens.stderr
            d = np.abs(ens.mean - mf)
            dev.append(d.max())
            dev_se.append((d[:, 1:] / ens.stderr[:, 1:]).max())      # t = 0 is exact
        res[f"b_{key}_maxdev"], res[f"b_{key}_maxdev_se"] = np.array(dev), np.array(dev_se)
    return res


# ----------------------------------------------------------------------------------------------
# (e), (f) dephasing of the limit cycle
# ----------------------------------------------------------------------------------------------

def first_harmonic(times, values, period, starts):
    """Complex first Fourier coefficient (2/P) int_w v(t) e^{-2 pi i t / P} dt over the windows
    [s, s + P] (trapezoid on the output grid); values (..., T) -> (..., len(starts))."""
    out = []
    for s in starts:
        sel = (times >= s - 1e-9) & (times <= s + period + 1e-9)
        t = times[sel]
        out.append(2 / period * np.trapezoid(values[..., sel] * np.exp(-2j * np.pi * t / period), t, axis=-1))
    return np.stack(out, axis=-1)


def mf_period(times, mz, t_skip):
    """Period of the mean-field orbit from the upward crossings of m_z - mean after t_skip."""
    sel = times >= t_skip
    t, v = times[sel], mz[sel] - mz[sel].mean()
    idx = np.nonzero((v[:-1] < 0) & (v[1:] >= 0))[0]
    tc = t[idx] - v[idx] * (t[idx + 1] - t[idx]) / (v[idx + 1] - v[idx])
    return float(np.mean(np.diff(tc)))


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


def dephasing(N, ntraj, t_end, seed, p: Params, n_jobs):
    """Envelope of the ensemble oscillation on the limit cycle and its decay time tau.

    Windows [s, s + P] (P the mean-field period) slide by P/4; per window the first Fourier coefficient
    c of omega_t(m_z), r = |c| / |c_MF| (1 on the mean-field orbit). Error of r: the spread of the
    per-trajectory coefficients along c / sqrt(ntraj). tau from `fit_envelope`; its error is half the
    68% percentile bootstrap interval over trajectories, the fitted windows fixed (the sliding windows
    are correlated, so a weighted-fit error would be too small)."""
    times = np.arange(0.0, t_end + p.c_dt / 2, p.c_dt)
    model, state = hopfield_model(N, p.c_beta, p.c_omega), coherent_state(theta=p.theta)
    ens = run_ensemble(model, state, times, ntraj=ntraj, seed=seed, keep_trajectories=True,
                       execution=dict(n_jobs=n_jobs))
    mf = mean_field(model, state, times).mean[2]
    P = mf_period(times, mf, 20.0)
    starts = np.arange(0.0, t_end - P + 1e-9, P / 4)
    c_mf = np.abs(first_harmonic(times, mf, P, starts))
    c_traj = first_harmonic(times, trajectory_values(ens, lambda r: r.mean[2]), P, starts)      # (ntraj, K)
    c = c_traj.mean(0)
    se = (c_traj * np.exp(-1j * np.angle(c))).real.std(0, ddof=1) / np.sqrt(ntraj)
    centres = starts + P / 2
    ratio, err = np.abs(c) / c_mf, se / c_mf
    tau, A, use = fit_envelope(centres, ratio, err, P)

    def tau_of(result):
        r = np.abs(first_harmonic(times, result.mean[2], P, starts)) / c_mf
        return fit_envelope(centres, r, err, P, use=use)[0]
    lo, hi = bootstrap(ens, tau_of, nboot=p.c_nboot, level=0.6827, seed=seed)
    return dict(times=times, mean_z=ens.mean[2], stderr_z=ens.stderr[2], mf_z=mf, period=P, centres=centres,
                ratio=ratio, ratio_err=err, use=use, fit=np.array([tau, (hi - lo) / 2, A]),
                tau_interval=np.array([lo, hi]), seconds=ens.meta["seconds"])


def dephasing_scan(p: Params, n_jobs):
    res, taus, errs = {}, [], []
    for N, nt, te in zip(p.c_Ns, p.c_ntraj, p.c_t_end):
        d = dephasing(N, nt, te, p.c_seed + N, p, n_jobs)
        taus.append(d["fit"][0])
        errs.append(d["fit"][1])
        res.update({f"c_N{N}_{k}": v for k, v in d.items()})
    fit = fit_power_law(p.c_Ns, taus, errs)
    res.update(c_Ns=np.array(p.c_Ns), c_ntraj=np.array(p.c_ntraj), c_tau=np.array(taus), c_tau_err=np.array(errs),
               c_point=np.array([p.c_omega, p.c_beta]),
               c_powerlaw=np.array([fit.exponent, fit.exponent_err, fit.prefactor, fit.prefactor_err,
                                    fit.exponent_err_unscaled, fit.chi2, fit.dof]))
    return res


# ----------------------------------------------------------------------------------------------
# (g) p = 2 retrieval
# ----------------------------------------------------------------------------------------------

def p2_network(N, p: Params):
    """The p = 2 network and the per-block Bloch vectors of the start r_z = a1 xi^1 + a2 xi^2."""
    net = HopfieldNetwork(random_patterns(2, N, seed=p.d_pattern_seed), beta=p.d_beta, omega=p.d_omega)
    return net, net.block_bloch(lambda s: (0.0, 0.0, p.d_a1 * s[0] + p.d_a2 * s[1]))


def p2_retrieval(p: Params, n_jobs):
    times = np.linspace(0.0, p.d_t_end, p.d_n_times)
    res = dict(d_times=times, d_Ns=np.array(p.d_Ns), d_ntraj=np.array(p.d_ntraj),
               d_params=np.array([p.d_beta, p.d_omega, p.d_a1, p.d_a2]),
               d_retrieval_mz=hopfield_retrieval_mz(p.d_beta, p.d_omega))
    for N, nt in zip(p.d_Ns, p.d_ntraj):
        net, r = p2_network(N, p)
        ens = run_ensemble(net.model, product_state(r), times, ntraj=nt, seed=p.d_seed + N,
                           execution=dict(n_jobs=n_jobs))
        mf = mean_field(net.model, r, times)
        fp = fixed_point_from(net.model, mf.mean[..., -1])          # the attractor the mean field reaches
        if fp is None:
            raise RuntimeError(f"N = {N}: the mean field has not reached a fixed point by t = {p.d_t_end}")
        ov, se = pattern_overlaps(ens, net.signatures)
        res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"] = ov, se
        res[f"d_N{N}_overlap_mf"] = pattern_overlaps(mf, net.signatures)[0]
        res[f"d_N{N}_fixed_point"] = net.overlaps(fp.m[:, 2])
        res[f"d_N{N}_fixed_point_stable"] = fp.stable
        res[f"d_N{N}_sizes"] = np.array(net.sizes)
    return res


# ----------------------------------------------------------------------------------------------
# compute, plot, main
# ----------------------------------------------------------------------------------------------

def compute(params: Params = Params(), n_jobs: int = 2) -> dict:
    res = phase_diagram(params)
    res.update(trajectories_vs_mean_field(params, n_jobs))
    res.update(dephasing_scan(params, n_jobs))
    res.update(p2_retrieval(params, n_jobs))
    res["points"] = np.array(params.points)
    return res


def plot_phases(ax, res):
    cmap = ListedColormap(["#c6dbef", "#fdae6b", "#a1d99b", "#bcbddc"])
    ax.pcolormesh(res["pd_omegas"], res["pd_T"], res["pd_phase"], cmap=cmap, vmin=-0.5, vmax=3.5,
                  shading="nearest", rasterized=True)
    om = res["pd_line_omega"]
    ax.plot(om, res["pd_line_pitchfork"], "k-", lw=1, label=r"pitchfork $\beta = 1 + 8\Omega^2$")
    ax.plot(om, res["pd_line_hopf_paramagnet"], "k--", lw=1, label=r"Hopf of $m = 0$: $T = 2/3$")
    ax.plot(om, res["pd_line_hopf_retrieval"], "k:", lw=1.3,
            label=r"Hopf of retrieval: $\beta\,\mathrm{sech}^2(\beta m_z^*) = 3/2$")
    for (w, b), mk in zip(res["points"], "os^"):
        ax.plot(w, 1 / b, mk, color="k", mfc="w", ms=7)
    ax.set_xlabel(r"$\Omega$")
    ax.set_ylabel(r"$T = 1/\beta$")
    ax.set_ylim(res["pd_T"][0], res["pd_T"][-1])
    ax.set_title("(a) mean-field phases", loc="left")
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=cmap.colors[k], label=f"{PHASE_NAMES[k]} ({res['pd_fractions'][k]:.2f})")
                for k in range(4)]
    ax.legend(handles=handles, loc="upper left", frameon=True, fontsize=6.5)


def plot_point(ax, res, i, letter):
    key, (w, b) = POINT_KEYS[i], res["points"][i]
    t = res["b_times"]
    ax.plot(t, res[f"b_{key}_mf"][2], "k-", lw=1.2, label="mean field")
    ax.plot(t, res[f"b_{key}_mf"][1], "k--", lw=1.0)
    for j, (N, nt) in enumerate(zip(res["b_Ns"], res["b_ntraj"])):
        for a, fmt in ((2, "o"), (1, "s")):
            ax.errorbar(t, res[f"b_{key}_N{N}_mean"][a], res[f"b_{key}_N{N}_stderr"][a], fmt=fmt, ms=2.5,
                        color=f"C{j}", lw=0.8, label=(rf"$N = {N}$ ({nt})" if a == 2 else None))
    dev = ", ".join(f"{d:.3f}" for d in res[f"b_{key}_maxdev"])
    ax.set_title(rf"({letter}) {key.replace('_', ' ')}: $\Omega = {w:g}$, $\beta = {b:g}$", loc="left")
    ax.set_xlabel(rf"$t$   (max $|\omega_t - m_{{\rm MF}}|$: {dev})", fontsize=8)
    ax.set_ylabel(r"$\omega_t(m_z)$ (circles), $\omega_t(m_y)$ (squares)")
    if i == 0:
        ax.legend(frameon=False)


def plot_tau_inset(ax, res):
    axin = ax.inset_axes([0.78, 0.52, 0.2, 0.44])
    Ns, tau, te = res["c_Ns"], res["c_tau"], res["c_tau_err"]
    axin.errorbar(Ns, tau, te, fmt="ko", ms=3)
    p, pe, c0, _, _, chi2, dof = res["c_powerlaw"]
    NN = np.geomspace(Ns.min() * 0.8, Ns.max() * 1.25, 20)
    chi = rf", $\chi^2/{int(dof)} = {chi2 / dof:.2f}$" if dof > 0 else ""
    axin.plot(NN, c0 * NN ** p, "r-", lw=0.8, label=rf"$\tau \propto N^{{{p:.2f}\pm{pe:.2f}}}${chi}" + "\n(theory: 1)")
    axin.set_xscale("log")
    axin.set_yscale("log")
    for axis in (axin.xaxis, axin.yaxis):
        axis.set_major_locator(LogLocator(base=10, subs=(1, 2, 5)))
        axis.set_major_formatter(ScalarFormatter())
        axis.set_minor_formatter(NullFormatter())
    axin.set_xlabel(r"$N$", fontsize=7)
    axin.set_ylabel(r"$\tau$", fontsize=7)
    axin.tick_params(labelsize=6)
    axin.legend(fontsize=6, frameon=False, loc="upper left")


def plot_envelope(ax, res):
    for j, N in enumerate(res["c_Ns"]):
        c, r, e, use = (res[f"c_N{N}_{k}"] for k in ("centres", "ratio", "ratio_err", "use"))
        tau, tau_err, A = res[f"c_N{N}_fit"]
        ax.errorbar(c[use], r[use], e[use], fmt="o", ms=3, color=f"C{j}", lw=0.7,
                    label=rf"$N = {N}$: $\tau = {tau:.1f} \pm {tau_err:.1f}$")
        ax.errorbar(c[~use], r[~use], e[~use], fmt="o", ms=3, color=f"C{j}", mfc="w", lw=0.7)
        tt = np.linspace(0, c[use].max(), 50)
        ax.plot(tt, A * np.exp(-tt / tau), "-", color=f"C{j}", lw=0.8)
    w, b = res["c_point"]
    ax.set_yscale("log")
    ax.set_ylim(3e-3, 2)
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$|c_1^{\rm ens}| / |c_1^{\rm MF}|$ per period")
    ax.set_title(rf"(e) dephasing of $\omega_t(m_z)$ on the limit cycle ($\Omega = {w:g}$, $\beta = {b:g}$); "
                 r"filled: fitted", loc="left")
    ax.legend(frameon=False, ncol=2, loc="lower left")
    plot_tau_inset(ax, res)


def plot_oscillation(ax, res):
    Ns = res["c_Ns"]
    for j, N in zip((0, len(Ns) - 1), (Ns[0], Ns[-1])):
        tt, mz, se = res[f"c_N{N}_times"], res[f"c_N{N}_mean_z"], res[f"c_N{N}_stderr_z"]
        ax.fill_between(tt, mz - se, mz + se, color=f"C{j}", alpha=0.5, lw=0, label=rf"$N = {N}$ ($\pm$1 s.e.)")
    ax.plot(res[f"c_N{Ns[-1]}_times"], res[f"c_N{Ns[-1]}_mf_z"], "k-", lw=0.6, label="mean field")
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$\omega_t(m_z)$")
    ax.set_title("(f) limit cycle: the ensemble average dephases at finite N", loc="left")
    ax.legend(frameon=False, ncol=3, loc="upper right")
    ax.set_ylim(-1, 1.25)
    ax.set_xlim(-1, 80)


def plot_p2(ax, res):
    t = res["d_times"]
    for j, (N, nt) in enumerate(zip(res["d_Ns"], res["d_ntraj"])):
        ov, se, mf = res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"], res[f"d_N{N}_overlap_mf"]
        ax.errorbar(t, ov[0], se[0], fmt="o", ms=2.5, color=f"C{j}", lw=0.8,
                    label=rf"$N = {N}$ ({nt}): $m^1({t[-1]:g}) = {ov[0, -1]:.3f} \pm {se[0, -1]:.3f}$ "
                          rf"(MF fixed point ${res[f'd_N{N}_fixed_point'][0]:.3f}$)")
        ax.errorbar(t, ov[1], se[1], fmt="s", ms=2.5, color=f"C{j}", lw=0.8, mfc="w")
        ax.plot(t, mf[0], "-", color=f"C{j}", lw=0.8)
        ax.plot(t, mf[1], "--", color=f"C{j}", lw=0.8)
    ax.axhline(float(res["d_retrieval_mz"]), color="gray", lw=0.6, ls=":", label=r"$m_z^*$ of $p = 1$")
    beta, omega, a1, a2 = res["d_params"]
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"overlaps $m^1$ (filled), $m^2$ (open)")
    ax.set_title(rf"(g) $p = 2$: $\beta = {beta:g}$, $\Omega = {omega:g}$, start "
                 rf"$r_z = {a1:g}\xi^1 + {a2:g}\xi^2$; lines: MF", loc="left")
    ax.set_ylim(-0.75, 0.9)
    ax.legend(frameon=False, loc="lower right", fontsize=6.5)


def plot(result: dict, path) -> None:
    plt.rcParams.update({"font.size": 9, "axes.labelsize": 10, "legend.fontsize": 7.5})
    fig = plt.figure(figsize=(13, 8.2), constrained_layout=True)
    gs = fig.add_gridspec(3, 4)
    plot_phases(fig.add_subplot(gs[0:2, 0]), result)
    for i, letter in enumerate("bcd"):
        plot_point(fig.add_subplot(gs[0, 1 + i]), result, i, letter)
    plot_envelope(fig.add_subplot(gs[1, 1:4]), result)
    plot_oscillation(fig.add_subplot(gs[2, 0:2]), result)
    plot_p2(fig.add_subplot(gs[2, 2:4]), result)
    fig.suptitle("Quantum Hopfield network: mean-field phases and exact trajectories (error bars: 1 s.e.)")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_png(fig, path)


def summary(res) -> None:
    fr = ", ".join(f"{n} {f:.3f}" for n, f in zip(PHASE_NAMES, res["pd_fractions"]))
    print(f"(a) grid fractions: {fr} ({res['pd_checked'].sum()} mean-field integrations)")
    for key in POINT_KEYS:
        w, b, ph = res[f"point_{key}"][:3]
        print(f"(a) Omega = {w:g}, beta = {b:g}: {PHASE_NAMES[int(ph)]}; m = 0 eigenvalues "
              f"{np.round(res[f'eig0_{key}'], 3)}, retrieval m_z* = {res[f'mzr_{key}']:.4f}, eigenvalues "
              f"{np.round(res[f'eigr_{key}'], 3)}")
        devs = ", ".join(f"N = {N}: {d:.3f} ({z:.1f} s.e.)" for N, d, z in
                         zip(res["b_Ns"], res[f"b_{key}_maxdev"], res[f"b_{key}_maxdev_se"]))
        print(f"(b-d) {key}: max |omega_t(m) - m_MF| {devs}")
    for N, tau, err in zip(res["c_Ns"], res["c_tau"], res["c_tau_err"]):
        print(f"(e) N = {N}: period {res[f'c_N{N}_period']:.3f}, tau = {tau:.2f} +- {err:.2f} (68% bootstrap)")
    p, pe, _, _, pu, chi2, dof = res["c_powerlaw"]
    chi = f"chi2/dof = {chi2:.2f}/{int(dof)}" if dof > 0 else "dof = 0"
    print(f"(e) tau ~ N^p: p = {p:.3f} +- {pe:.3f} (unscaled {pu:.3f}; {chi}); phase diffusion: p -> 1")
    for N in res["d_Ns"]:
        ov, se, fp = res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"], res[f"d_N{N}_fixed_point"]
        print(f"(g) N = {N}: m^1 {ov[0, 0]:.3f} -> {ov[0, -1]:.3f} +- {se[0, -1]:.3f}, m^2 -> {ov[1, -1]:.3f} +- "
              f"{se[1, -1]:.3f}; mean-field fixed point ({fp[0]:.3f}, {fp[1]:.3f}), max |m^mu - MF| = "
              f"{np.abs(ov - res[f'd_N{N}_overlap_mf']).max():.3f}")


def main(argv=None) -> dict:
    return run_experiment(argv, name="hopfield_retrieval", description=__doc__.splitlines()[0], compute=compute, plot=plot,
                          summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
