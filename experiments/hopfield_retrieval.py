"""Quantum Hopfield retrieval: mean-field phases, trajectories against mean field, dephasing of the
limit cycle, p = 2 retrieval and misretrieval.

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
(e)-(g) Limit cycle (beta = 2, Omega = 0.5): the ensemble average omega_t(m_z) dephases at finite N. Per
    mean-field period P the first Fourier coefficient of omega_t(m_z), divided by that of the mean-field
    orbit, decays like A exp(-t / tau_N); tau_N from a weighted least-squares fit of its logarithm, with half
    the 68% percentile bootstrap interval over trajectories (`bootstrap`) as its error. Phase diffusion on the
    attracting cycle (`limit_cycle`, docs/theory.md §10; period P = 7.392, D_phi = 10.554) predicts
    tau/N = P^2/(2 pi^2 D_phi) = 0.2623 with no free parameter. Measured tau/N = 0.435 +- 0.043, 0.298 +- 0.023,
    0.257 +- 0.013, 0.261 +- 0.015, 0.233 +- 0.015, 0.260 +- 0.019 at N = 25, 50, 100, 200, 400, 800; for
    N >= 200 the weighted mean is 0.250 +- 0.010 (chi^2/dof = 2.2/2) against 0.2623. The excess at N = 25, 50
    is the regime where the fluctuations are not small against the cycle.
(h), (i) p = 2 patterns with balanced signatures (N/4 sites each; gauge-reduced to 2 blocks of N/2 sites with
    orthogonal signatures, which decouple: each runs as its own single-pattern model), retrieval phase
    (beta = 4, Omega = 0.2), classical start r_z = 0.3 xi^1 + 0.15 xi^2, so the blocks start at m_z = 0.45 and
    0.15 and the mean-field target (m^1, m^2) = (m*, 0), m* = 0.7539, does not move with N. A trajectory
    misretrieves when exactly one block ends in the other basin; the block at 0.15 sits near the unstable
    paramagnet, and the linear-noise escape from that saddle predicts a flip probability Phi(-z sqrt(N/2)) per
    block (z = 0.419, 0.130). (h) the distribution of the final overlaps; (i) q(N) = 1190/4000 = 0.298,
    745/4000 = 0.186, 370/4000 = 0.093, 134/4000 = 0.034, 7/4000 = 0.0018 at N = 40, 100, 200, 400, 1000 against
    the predicted 0.294, 0.180, 0.097, 0.033, 0.0018; the 2-block network engine at N = 100 gives
    92/500 = 0.184. The retrieved trajectories end at m^1 = 0.755 - 0.763 (median) against m* = 0.7539.

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
from matplotlib.ticker import NullFormatter, ScalarFormatter  # noqa: E402
from scipy.stats import norm  # noqa: E402

from models import HopfieldNetwork, hopfield_model  # noqa: E402
from trajectories import (coherent_state, mean_field, pattern_overlaps, product_state,  # noqa: E402
                          run_ensemble, weighted_mean)
from trajectories.analysis import trajectory_values  # noqa: E402
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402
from trajectories.theory.fixed_points import (fixed_point_from, hopfield_fixed_points,  # noqa: E402
                                              hopfield_phase_boundaries, hopfield_retrieval_mz, jacobian)
from trajectories.theory.fluctuations import initial_sigma, noise_matrix  # noqa: E402
from trajectories.theory.limit_cycle import limit_cycle  # noqa: E402
from trajectories.theory.meanfield import initial_bloch  # noqa: E402

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
    theta: float = 0.4                  # coherent start of (b)-(g)
    b_Ns: tuple = (50, 200, 1000)
    b_ntraj: tuple = (800, 300, 100)
    b_t_end: float = 15.0
    b_n_times: int = 61
    b_seed: int = 100                   # seed of N: b_seed + N
    # (e)-(g) dephasing on the limit cycle; t_end grows like the predicted tau = 0.26 N
    c_omega: float = 0.5
    c_beta: float = 2.0
    c_Ns: tuple = (25, 50, 100, 200, 400, 800)
    c_ntraj: tuple = (800, 800, 1200, 800, 500, 300)
    c_t_end: tuple = (30.0, 40.0, 60.0, 100.0, 180.0, 340.0)     # 20 + 0.4 N: the envelope reaches ~0.2
    c_dt: float = 0.25
    c_r_min: float = 0.2                # the envelope fit stops at the first window below this
    c_large_N: int = 200                # tau/N of N >= c_large_N averaged for the claim
    c_seed: int = 200                   # seed of N: c_seed + N
    c_nboot: int = 1000
    # (h), (i) p = 2 retrieval, balanced patterns (N/4 sites per signature)
    d_beta: float = 4.0
    d_omega: float = 0.2
    d_a1: float = 0.3
    d_a2: float = 0.15
    d_Ns: tuple = (40, 100, 200, 400, 1000)
    d_ntraj: tuple = (4000, 4000, 4000, 4000, 4000)
    d_t_end: float = 10.0
    d_n_times: int = 41
    d_seed: int = 300                   # seeds of N: d_seed + N + block
    d_check_N: int = 100                # the 2-block network engine against the factorised runs
    d_check_ntraj: int = 500
    d_check_seed: int = 7


FAST = Params(pd_n_omega=31, pd_n_T=29, pd_t_check=60.0, pd_window=20.0, b_Ns=(50, 200), b_ntraj=(150, 80), b_t_end=5.0,
              b_n_times=11, c_Ns=(16, 64), c_ntraj=(300, 300), c_t_end=(30.0, 46.0), c_nboot=300,
              d_Ns=(40, 100), d_ntraj=(800, 800), d_t_end=5.0, d_n_times=21, d_check_N=40, d_check_ntraj=200)


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
# (e)-(g) dephasing of the limit cycle
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


def cycle_prediction(p: Params):
    """The attracting mean-field cycle reached from the coherent start and its phase diffusion:
    [P, D_phi, tau/N = P^2 / (2 pi^2 D_phi), |second multiplier|] (`limit_cycle`)."""
    model = hopfield_model(MF_N, p.c_beta, p.c_omega)
    lc = limit_cycle(model, initial_bloch(coherent_state(theta=p.theta), model.sizes))
    return np.array([lc.period, lc.phase_diffusion, lc.dephasing_time_per_spin, np.abs(lc.multipliers[1])])


def envelope(c):
    """Ensemble first harmonic from per-trajectory ones c (ntraj, K), each divided by the mean-field
    orbit's: r = |mean c| (1 on the mean-field orbit) and its standard error, the spread of the
    per-trajectory coefficients along the mean / sqrt(ntraj)."""
    mean = c.mean(0)
    se = (c * np.exp(-1j * np.angle(mean))).real.std(0, ddof=1) / np.sqrt(len(c))
    return np.abs(mean), se


def fit_envelope(centres, ratio, err, period, r_min, use=None):
    """Weighted least squares ln r = ln A - t / tau (weights r / err, the inverse error of ln r) over
    the windows from t = P (after the transient onto the cycle) up to the first window with
    r < max(r_min, 4 err) (the tail carries little information and the modulus of a noise-dominated
    mean is biased upwards). Returns (tau, A, used mask)."""
    if use is None:
        ok = (ratio > np.maximum(r_min, 4 * err)) | (centres < period)
        last = int(np.argmin(ok)) if not ok.all() else len(ok)
        use = np.zeros(len(ok), dtype=bool)
        use[:last] = True
        use &= centres >= period
    if use.sum() < 3:
        raise RuntimeError(f"envelope fit: only {int(use.sum())} usable windows")
    slope, icpt = np.polyfit(centres[use], np.log(np.maximum(ratio[use], 1e-12)), 1,
                             w=ratio[use] / np.maximum(err[use], 1e-12))
    return float(-1 / slope), float(np.exp(icpt)), use


def dephasing(N, ntraj, t_end, seed, p: Params, period, n_jobs):
    """Envelope of the ensemble oscillation on the limit cycle and its decay time tau.

    Windows [s, s + P] (P the mean-field period of `limit_cycle`) slide by P/4; per window and
    trajectory the first Fourier coefficient of the trajectory's m_z(t), divided by that of the mean-field
    orbit; r = |mean over trajectories| (`envelope`), tau from `fit_envelope`. Error of tau: half the
    68% percentile interval of p.c_nboot bootstrap resamples of the trajectories (the fitted windows
    fixed; the windows share trajectories, so a weighted-fit error would be too small). Also the
    variance of the per-trajectory phase arg(c) (unwrapped along the windows), whose slope is
    2 / tau for Gaussian phase diffusion."""
    times = np.arange(0.0, t_end + p.c_dt / 2, p.c_dt)
    model, state = hopfield_model(N, p.c_beta, p.c_omega), coherent_state(theta=p.theta)
    ens = run_ensemble(model, state, times, ntraj=ntraj, seed=seed, keep_trajectories=True,
                       execution=dict(n_jobs=n_jobs))
    mf = mean_field(model, state, times).mean[2]
    starts = np.arange(0.0, t_end - period + 1e-9, period / 4)
    centres = starts + period / 2
    c_mf = np.abs(first_harmonic(times, mf, period, starts))
    c = first_harmonic(times, trajectory_values(ens, lambda r: r.mean[2]), period, starts) / c_mf   # (ntraj, K)
    ratio, err = envelope(c)
    tau, A, use = fit_envelope(centres, ratio, err, period, p.c_r_min)
    phase_var = np.unwrap(np.angle(c), axis=1).var(0, ddof=1)
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(p.c_nboot):
        r_b, e_b = envelope(c[rng.integers(0, ntraj, ntraj)])
        boot.append(fit_envelope(centres, r_b, e_b, period, p.c_r_min, use=use)[0])
    lo, hi = np.percentile(boot, [15.865, 84.135])
    return dict(times=times, mean_z=ens.mean[2], stderr_z=ens.stderr[2], mf_z=mf, centres=centres,
                ratio=ratio, ratio_err=err, use=use, phase_var=phase_var, fit=np.array([tau, (hi - lo) / 2, A]),
                tau_interval=np.array([lo, hi]), seconds=ens.meta["seconds"])


def dephasing_scan(p: Params, n_jobs):
    pred = cycle_prediction(p)
    res, taus, errs = {"c_prediction": pred}, [], []
    for N, nt, te in zip(p.c_Ns, p.c_ntraj, p.c_t_end):
        d = dephasing(N, nt, te, p.c_seed + N, p, pred[0], n_jobs)
        taus.append(d["fit"][0])
        errs.append(d["fit"][1])
        res.update({f"c_N{N}_{k}": v for k, v in d.items()})
    Ns, per, per_err = np.array(p.c_Ns), np.array(taus) / p.c_Ns, np.array(errs) / p.c_Ns
    large = Ns >= p.c_large_N
    res.update(c_Ns=Ns, c_ntraj=np.array(p.c_ntraj), c_tau=np.array(taus), c_tau_err=np.array(errs),
               c_tau_per_N=per, c_tau_per_N_err=per_err, c_point=np.array([p.c_omega, p.c_beta]), c_large_N=p.c_large_N,
               c_large_mean=np.array(weighted_mean(per[large], per_err[large]) if large.any()
                                     else [np.nan] * 4))
    return res


# ----------------------------------------------------------------------------------------------
# (h), (i) p = 2 retrieval
# ----------------------------------------------------------------------------------------------

def balanced_patterns(N):
    """Two patterns with N/4 sites of each signature (++, +-, -+, --): after the gauge reduction two
    blocks of N/2 sites with orthogonal signatures."""
    if N % 4:
        raise ValueError(f"balanced p = 2 patterns need N divisible by 4, got {N}")
    q = N // 4
    return np.array([[1] * (2 * q) + [-1] * (2 * q), ([1] * q + [-1] * q) * 2])


def p2_network(N, p: Params):
    """The balanced p = 2 network and the per-block Bloch vectors of the start r_z = a1 xi^1 + a2 xi^2."""
    net = HopfieldNetwork(balanced_patterns(N), beta=p.d_beta, omega=p.d_omega)
    return net, net.block_bloch(lambda s: (0.0, 0.0, p.d_a1 * s[0] + p.d_a2 * s[1]))


def block_models(net):
    """The blocks of `net` as independent single-block models, after checking that they decouple:
    every channel of block b has Delta = m_z^b (orthogonal signatures: s_b . s_g = 0 for g != b, and
    (N_b / N) s_b . s_b = 1), no couplings, the field (Omega, 0, 0). Then the Lindbladian is a sum of
    commuting single-block ones, the product initial state factorises, and the jumps of the blocks are
    independent processes: a network trajectory is a pair of independent `hopfield_model(N_b)`
    trajectories, exactly."""
    model = net.model
    for l, ch in enumerate(model.channels):
        want = np.zeros((model.B, 3))
        want[ch.block, 2] = 1.0
        if not np.allclose(model.delta(l), want, rtol=0, atol=1e-12) or ch.offset != 0:
            raise ValueError(f"block {ch.block} is coupled to the others (Delta of channel {l}: {model.delta(l).tolist()})")
    if np.any(model.J) or not np.allclose(model.h, [(net.omega, 0, 0)] * model.B):
        raise ValueError("the blocks are coupled (J) or have other fields")
    return [hopfield_model(n, net.beta, net.omega) for n in net.sizes]


def saddle_escape(beta, omega, r):
    """Linear-noise probability scale of ending in the other basin, for one block started at Bloch
    vector r near the saddle m = 0 of the single-block flow (retrieval phase).

    Near m = 0 the flow is linear, dm/dt = A m, with one unstable eigenvalue lambda and left
    eigenvector l (unit length, orthogonal to the stable eigenspace, i.e. the normal of the basin
    boundary there). The block's fate is the sign of l . m once the state has left the saddle:
    l . m(0) = l . r + Gaussian fluctuation of variance l Sigma(0) l / N_b (product state,
    Sigma(0) = 1 - r r^T), plus the noise received while escaping, int_0^oo e^{-2 lambda s} l D l ds / N_b
    = l D(0) l / (2 lambda N_b) (`noise_matrix` at m = 0). Hence P(other basin) = Phi(-sqrt(N_b) z),
    z = |l . r| / sqrt(l Sigma(0) l + l D(0) l / (2 lambda)). Returns (z, lambda)."""
    model = hopfield_model(MF_N, beta, omega)
    m0 = np.zeros((1, 3))
    ev, L = np.linalg.eig(jacobian(model, m0).T)
    k = int(np.argmax(ev.real))
    if abs(ev[k].imag) > 1e-12 or ev[k].real <= 0 or np.sum(ev.real > 0) != 1:
        raise ValueError(f"m = 0 is not a saddle with one unstable direction: eigenvalues {ev}")
    lam, l = float(ev[k].real), np.real(L[:, k])
    l /= np.linalg.norm(l)
    var = l @ initial_sigma(model, np.asarray(r, dtype=float)[None]) @ l + l @ noise_matrix(model, m0) @ l / (2 * lam)
    return float(abs(l @ r) / np.sqrt(var)), lam


def misretrieval_prediction(Ns, z, frac):
    """q(N) = sum over blocks b of p_b prod_{g != b} (1 - p_g) (exactly one block flipped; two blocks),
    p_b = Phi(-sqrt(frac_b N) z_b)."""
    pb = np.array([norm.sf(np.sqrt(f * np.asarray(Ns, dtype=float)) * zb) for zb, f in zip(z, frac)])
    return pb[0] * (1 - pb[1]) + pb[1] * (1 - pb[0]), pb


def wilson(k, n, z=1.0):
    """Binomial proportion k/n and its Wilson score interval (z = 1: 68%)."""
    q = k / n
    centre = (q + z ** 2 / (2 * n)) / (1 + z ** 2 / n)
    half = z * np.sqrt(q * (1 - q) / n + z ** 2 / (4 * n ** 2)) / (1 + z ** 2 / n)
    return q, centre - half, centre + half


def outcome_counts(ov):
    """From final overlaps (p = 2, ntraj): [misretrieved (|m^2| > |m^1|), retrieved -xi^1 (m^1 < 0,
    |m^1| > |m^2|), ntraj]."""
    mis = np.abs(ov[1]) > np.abs(ov[0])
    return np.array([mis.sum(), ((ov[0] < 0) & ~mis).sum(), ov.shape[1]])


def p2_retrieval(p: Params, n_jobs):
    times = np.linspace(0.0, p.d_t_end, p.d_n_times)
    mid = int(np.argmin(np.abs(times - p.d_t_end / 2)))
    res = dict(d_times=times, d_Ns=np.array(p.d_Ns), d_ntraj=np.array(p.d_ntraj),
               d_params=np.array([p.d_beta, p.d_omega, p.d_a1, p.d_a2]),
               d_retrieval_mz=hopfield_retrieval_mz(p.d_beta, p.d_omega))
    for N, nt in zip(p.d_Ns, p.d_ntraj):
        net, r = p2_network(N, p)
        mf = mean_field(net.model, r, times)
        fp = fixed_point_from(net.model, mf.mean[..., -1])          # the attractor the mean field reaches
        if fp is None:
            raise RuntimeError(f"N = {N}: the mean field has not reached a fixed point by t = {p.d_t_end}")
        mz = []
        for b, (model, rb) in enumerate(zip(block_models(net), r)):
            ens = run_ensemble(model, product_state(rb), times, ntraj=nt, seed=p.d_seed + N + b,
                               keep_trajectories=True, execution=dict(n_jobs=n_jobs))
            mz.append(trajectory_values(ens, lambda res_: res_.mean[2]))               # (ntraj, T)
        ov = net.overlaps(np.array(mz))                                                # (p, ntraj, T)
        res[f"d_N{N}_final"] = ov[:, :, -1]
        res[f"d_N{N}_counts"] = outcome_counts(ov[:, :, -1])
        res[f"d_N{N}_counts_mid"] = outcome_counts(ov[:, :, mid])
        res[f"d_N{N}_block_flips"] = (np.array(mz)[:, :, -1] < 0).sum(1)
        res[f"d_N{N}_overlap_mf"] = pattern_overlaps(mf, net.signatures)[0]
        res[f"d_N{N}_fixed_point"] = net.overlaps(fp.m[:, 2])
        res[f"d_N{N}_fixed_point_stable"] = fp.stable
        res[f"d_N{N}_sizes"] = np.array(net.sizes)
        res[f"d_N{N}_start"] = r
    # the 2-block network engine at one N, against the factorised runs
    net, r = p2_network(p.d_check_N, p)
    ens = run_ensemble(net.model, product_state(r), times, ntraj=p.d_check_ntraj, seed=p.d_check_seed,
                       keep_trajectories=True, execution=dict(n_jobs=n_jobs))
    ov = trajectory_values(ens, lambda res_: pattern_overlaps(res_, net.signatures)[0][:, -1]).T   # (p, ntraj)
    res.update(d_check=np.array([p.d_check_N, p.d_check_ntraj]), d_check_counts=outcome_counts(ov),
               d_check_final=ov)
    # linear-noise escape from the saddle, per block
    frac = np.array(net.sizes) / net.N
    z = np.array([saddle_escape(p.d_beta, p.d_omega, rb)[0] for rb in r])
    NN = np.geomspace(min(p.d_Ns) / 1.5, max(p.d_Ns) * 1.5, 60)
    res.update(d_escape_z=z, d_block_fraction=frac, d_escape_lambda=saddle_escape(p.d_beta, p.d_omega, r[0])[1],
               d_q_pred=misretrieval_prediction(p.d_Ns, z, frac)[0], d_pred_N=NN,
               d_pred_q=misretrieval_prediction(NN, z, frac)[0])
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
    ax.set_title("(a) mean-field phases (grid cells centred on the points)", loc="left", fontsize=8.5)
    handles, _ = ax.get_legend_handles_labels()
    handles += [Patch(color=cmap.colors[k], label=f"{PHASE_NAMES[k]} ({res['pd_fractions'][k]:.3f})")
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


def plot_tau_per_spin(ax, res):
    Ns, per, err = res["c_Ns"], res["c_tau_per_N"], res["c_tau_per_N_err"]
    pred = res["c_prediction"][2]
    ax.errorbar(Ns, per, err, fmt="ko", ms=4, capsize=2, label="trajectories (68% bootstrap)")
    ax.axhline(pred, color="r", lw=1, label=rf"phase diffusion $P^2/(2\pi^2 D_\phi) = {pred:.4f}$")
    m, me, chi2, dof = res["c_large_mean"]
    big = Ns[Ns >= res["c_large_N"]]
    if np.isfinite(m):
        ax.fill_between([big.min() / 1.15, big.max() * 1.15], m - me, m + me, color="0.6", alpha=0.5, lw=0,
                        label=rf"$N \geq {big.min()}$: ${m:.3f} \pm {me:.3f}$" + (rf" ($\chi^2/{dof} = {chi2 / dof:.2f}$)"
                                                                               if dof > 0 else ""))
    ax.set_xscale("log")
    ax.set_xticks(Ns)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(r"$\tau / N$")
    ax.set_ylim(0, max(0.5, float(np.max(per + err)) * 1.1))
    ax.set_title(r"(e) decay time per spin, $\tau / N$", loc="left")
    ax.legend(frameon=False, fontsize=6.5, loc="upper right")


def plot_envelope(ax, res):
    pred = res["c_prediction"][2]
    xmax = 0.0
    for j, N in enumerate(res["c_Ns"]):
        c, r, e, use = (res[f"c_N{N}_{k}"] for k in ("centres", "ratio", "ratio_err", "use"))
        tau, tau_err, A = res[f"c_N{N}_fit"]
        ax.errorbar(c[use] / N, r[use], e[use], fmt="o", ms=2.5, color=f"C{j}", lw=0.7,
                    label=rf"$N = {N}$: $\tau/N = {tau / N:.3f} \pm {tau_err / N:.3f}$")
        ax.errorbar(c[~use] / N, r[~use], e[~use], fmt="o", ms=2.5, color=f"C{j}", mfc="w", lw=0.5)
        tt = np.linspace(0, c[use].max(), 50)
        ax.plot(tt / N, A * np.exp(-tt / tau), "-", color=f"C{j}", lw=0.8)
        xmax = max(xmax, c[use].max() / N)
    x = np.linspace(0, 1.3 * xmax, 50)
    ax.plot(x, np.exp(-x / pred), "k--", lw=1, label=rf"$e^{{-t/(N\,{pred:.4f})}}$ (phase diffusion)")
    w, b = res["c_point"]
    ax.set_yscale("log")
    ax.set_ylim(0.05, 1.5)
    ax.set_xlim(0, 1.3 * xmax)
    ax.set_xlabel(r"$t / N$   (filled: fitted windows; error bars 1 s.e.)")
    ax.set_ylabel(r"$|c_1^{\rm ens}| / |c_1^{\rm MF}|$ per period")
    ax.set_title(rf"(f) dephasing of $\omega_t(m_z)$ on the limit cycle ($\Omega = {w:g}$, $\beta = {b:g}$)",
                 loc="left")
    ax.legend(frameon=False, ncol=2, loc="lower left", fontsize=6.5)


def plot_oscillation(ax, res):
    Ns = res["c_Ns"]
    for j, N in zip((0, len(Ns) - 1), (Ns[0], Ns[-1])):
        tt, mz, se = res[f"c_N{N}_times"], res[f"c_N{N}_mean_z"], res[f"c_N{N}_stderr_z"]
        ax.fill_between(tt, mz - se, mz + se, color=f"C{j}", alpha=0.5, lw=0, label=rf"$N = {N}$ ($\pm$1 s.e.)")
    ax.plot(res[f"c_N{Ns[-1]}_times"], res[f"c_N{Ns[-1]}_mf_z"], "k-", lw=0.6, label="mean field")
    ax.set_xlabel(r"$t$")
    ax.set_ylabel(r"$\omega_t(m_z)$")
    ax.set_title("(g) limit cycle: the ensemble average dephases at finite N", loc="left")
    ax.legend(frameon=False, ncol=3, loc="upper right")
    ax.set_ylim(-1, 1.25)
    ax.set_xlim(-1, min(120, res[f"c_N{Ns[-1]}_times"][-1]))


def plot_p2_histograms(ax, res):
    Ns = res["d_Ns"]
    show = sorted({0, len(Ns) // 2, len(Ns) - 1})
    bins = np.linspace(-1, 1, 81)
    for j in show:
        N = Ns[j]
        ov = res[f"d_N{N}_final"]
        ax.hist(ov[0], bins=bins, density=True, histtype="stepfilled", alpha=0.35, color=f"C{j}",
                label=rf"$N = {N}$ ({ov.shape[1]})")
        ax.hist(ov[1], bins=bins, density=True, histtype="step", lw=1.0, color=f"C{j}", ls="--")
    fp, mf = res[f"d_N{Ns[-1]}_fixed_point"], res[f"d_N{Ns[-1]}_overlap_mf"][:, -1]
    ax.axvline(mf[0], color="k", lw=0.8, label=rf"MF at $t_{{\rm end}}$: $m^1 = {mf[0]:.3f}$ (fixed point {fp[0]:.3f})")
    ax.axvline(0, color="k", lw=0.5, ls=":")
    beta, omega, a1, a2 = res["d_params"]
    ax.set_yscale("log")
    ax.set_ylim(1e-2, 200)
    ax.set_xlabel(rf"$m^1$ (filled), $m^2$ (dashed) at $t_{{\rm end}} = {res['d_times'][-1]:g}$, one per trajectory",
                  fontsize=8)
    ax.set_ylabel("density")
    ax.set_title(rf"(h) $p = 2$ balanced: $\beta = {beta:g}$, $\Omega = {omega:g}$", loc="left")
    ax.text(0.02, 0.03, rf"start $r_z = {a1:g}\,\xi^1 + {a2:g}\,\xi^2$", transform=ax.transAxes, fontsize=6.5)
    ax.legend(frameon=False, fontsize=6, loc="upper left")


def plot_misretrieval(ax, res):
    Ns = res["d_Ns"]
    q = np.array([wilson(*res[f"d_N{N}_counts"][[0, 2]]) for N in Ns])
    seen = q[:, 0] > 0
    ax.errorbar(Ns[seen], q[seen, 0], [q[seen, 0] - q[seen, 1], q[seen, 2] - q[seen, 0]], fmt="ko", ms=4, capsize=2,
                label="independent block trajectories")
    if (~seen).any():
        ax.plot(Ns[~seen], q[~seen, 2], "kv", ms=5, label="none seen: upper end of the interval")
    Nc, ntc = res["d_check"]
    qc = wilson(*res["d_check_counts"][[0, 2]])
    ax.errorbar([Nc * 1.08], [qc[0]], [[qc[0] - qc[1]], [qc[2] - qc[0]]], fmt="s", color="C3", mfc="w", ms=5,
                capsize=2, label=f"2-block network engine ({ntc})")
    z = res["d_escape_z"]
    ax.plot(res["d_pred_N"], res["d_pred_q"], "r-", lw=1,
            label="\n".join([r"linear noise at the saddle $m = 0$:",
                             rf"$\Phi(-z\sqrt{{N/2}})$, $z = {z[1]:.3f}$ (and ${z[0]:.3f}$)"]))
    for N, (qq, lo, hi) in zip(Ns, q):
        k, _, n = res[f"d_N{N}_counts"]
        ax.annotate(f"{k}/{n}", (N, lo if k else hi), textcoords="offset points", xytext=(0, -11), ha="center",
                    fontsize=6)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(Ns)
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(1e-4, 1)
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(r"misretrieval $q$: $|m^2| > |m^1|$ at $t_{\rm end}$")
    ax.set_title(r"(i) $q(N)$ (68% Wilson intervals)", loc="left")
    ax.legend(frameon=False, fontsize=6, loc="lower left")


def plot(result: dict, path) -> None:
    plt.rcParams.update({"font.size": 9, "axes.labelsize": 10, "legend.fontsize": 7.5})
    fig = plt.figure(figsize=(14, 9.5), constrained_layout=True)
    gs = fig.add_gridspec(3, 4)
    plot_phases(fig.add_subplot(gs[0:2, 0]), result)
    for i, letter in enumerate("bcd"):
        plot_point(fig.add_subplot(gs[0, 1 + i]), result, i, letter)
    plot_tau_per_spin(fig.add_subplot(gs[1, 1]), result)
    plot_envelope(fig.add_subplot(gs[1, 2:4]), result)
    plot_oscillation(fig.add_subplot(gs[2, 0:2]), result)
    plot_p2_histograms(fig.add_subplot(gs[2, 2]), result)
    plot_misretrieval(fig.add_subplot(gs[2, 3]), result)
    fig.suptitle("Quantum Hopfield network: mean-field phases and exact trajectories "
                 "(t in units of the inverse single-site flip rate, $\\Gamma_+^2 + \\Gamma_-^2 = 1$, $\\hbar = 1$; error bars 1 s.e. unless stated)")
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
    P, D, pred, mult = res["c_prediction"]
    print(f"(e) limit cycle: P = {P:.4f}, D_phi = {D:.4f}, |second multiplier| = {mult:.4f}, "
          f"predicted tau/N = {pred:.4f}")
    for N, nt, tau, err in zip(res["c_Ns"], res["c_ntraj"], res["c_tau"], res["c_tau_err"]):
        c, use, v = res[f"c_N{N}_centres"], res[f"c_N{N}_use"], res[f"c_N{N}_phase_var"]
        sel = use & (c >= 2 * P)
        slope = np.polyfit(c[sel], v[sel], 1)[0] if sel.sum() >= 2 else np.nan
        print(f"(e) N = {N} ({nt} traj, t_end = {res[f'c_N{N}_times'][-1]:g}, {res[f'c_N{N}_seconds']:.0f} s): "
              f"tau = {tau:.2f} +- {err:.2f}, tau/N = {tau / N:.4f} +- {err / N:.4f} (68% bootstrap; "
              f"{(tau / N - pred) / (err / N):+.1f} sigma from {pred:.4f}), A = {res[f'c_N{N}_fit'][2]:.3f}, "
              f"windows to t = {c[use].max():.1f}; phase variance: 2/(N dVar/dt) = {2 / (N * slope):.4f}")
    m, me, chi2, dof = res["c_large_mean"]
    if np.isfinite(m):
        print(f"(e) N >= {res['c_large_N']}: tau/N = {m:.4f} +- {me:.4f} (chi2/dof = {chi2:.2f}/{int(dof)}) "
              f"against {pred:.4f}")
    z = res["d_escape_z"]
    print(f"(h) saddle escape: lambda = {res['d_escape_lambda']:.4f}, z per block = {np.round(z, 4)}, "
          f"block fractions {res['d_block_fraction']}")
    for N, qp in zip(res["d_Ns"], res["d_q_pred"]):
        k, neg, n = res[f"d_N{N}_counts"]
        q, lo, hi = wilson(k, n)
        km = res[f"d_N{N}_counts_mid"][0]
        fl = res[f"d_N{N}_block_flips"]
        ov, fp = res[f"d_N{N}_final"], res[f"d_N{N}_fixed_point"]
        ok = np.abs(ov[1]) <= np.abs(ov[0])
        print(f"(h) N = {N}: q = {k}/{n} = {q:.4f} [{lo:.4f}, {hi:.4f}] (at t_end/2: {km}), predicted {qp:.4f}; "
              f"-xi^1 retrieved {neg}; block flips {fl.tolist()}; retrieved m^1 median {np.median(np.abs(ov[0][ok])):.3f} "
              f"(MF fixed point {fp[0]:.4f}, {fp[1]:.4f})")
    Nc = res["d_check"][0]
    k, _, n = res["d_check_counts"]
    q, lo, hi = wilson(k, n)
    print(f"(h) network engine N = {Nc}: q = {k}/{n} = {q:.4f} [{lo:.4f}, {hi:.4f}]")


def main(argv=None) -> dict:
    return run_experiment(argv, name="hopfield_retrieval", description=__doc__.splitlines()[0], compute=compute, plot=plot,
                          summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
