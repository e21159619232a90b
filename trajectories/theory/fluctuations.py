"""Gaussian fluctuations about mean field: the linear-noise (system-size) expansion (docs/theory.md §10).

For product initial states the block averages m^b = S^b / N_b concentrate on the mean-field solution
m(t) with Gaussian fluctuations of order 1/sqrt(N). Their covariance Sigma = lim N Cov(m_a^b, m_c^g)
(symmetrised, indices (b, a) flattened to 3 b + a) obeys

    dSigma/dt = A(t) Sigma + Sigma A(t)^T + D(t),      Sigma^{bg}_{ac}(0) = delta_bg (delta_ac - r_a^b r_c^b) N/N_b,

with A = Df the Jacobian of the mean-field vector field (`fixed_points.jacobian`) at m(t) and D the noise
matrix: for the Lindblad adjoint, L*(XY) = L*(X) Y + X L*(Y) + sum_L [L^+, X][Y, L], and every jump
L = o^(k) Gamma(Delta) of channel l (block beta) gives, at leading order in 1/N,

    [L^+, m_a^g] = (1/N_g) (delta_{g beta} Gamma [o^+, sigma_a] + Gamma' u_a^g o^+),
    [m_c^h, L]   = (1/N_h) (delta_{h beta} Gamma [sigma_c, o] - Gamma' u_c^h o),
    u^g = 2i m^g x r_g     (from [Delta, m_a^g] = (2i/N_g) (m^g x r_g)_a),

hence, with w_b = N_b / N and the mean-field single-site state rho_beta,

    D^{gh}_{ac} = sum_l (w_beta / (w_g w_h)) Re tr(rho_beta l_a^g r_c^h),

l and r the brackets above times N_g and N_h. The Gamma' terms come from the operator-valued rate not
commuting with the average operators; they are of the same order as the local ones.

A collective channel, L = S_o Gamma / sqrt(N_beta) (one jump operator), gives at leading order
[m_c^h, L] = v_c^h / sqrt(N_beta) with the numbers v_c^h = delta_{h beta} Gamma k_c - (w_beta / w_h)
<o> Gamma' u_c^h, k_c = tr(rho_beta [sigma_c, o]), hence D^{gh}_{ac} += Re(conj(v_a^g) v_c^h) / w_beta.
"""
from __future__ import annotations

import numpy as np

from models.qudit import QuditModel
from ..base.checks import check_bool, check_model, check_times
from ..base.integration import integrate
from ..base.options import ODEOptions
from ..base.results import FluctuationResult, drops_block_axes
from ..sectors.states import CatState, DickeState
from .fixed_points import amplitudes_at, collective_terms, jacobian
from .meanfield import PAULI, bloch_density, initial_bloch, mean_field
from .qudit_fluctuations import qudit_fluctuations


def _block_bloch(model, m) -> np.ndarray:
    arr = np.asarray(m, dtype=float)
    if arr.shape == (3,) and model.B == 1:
        arr = arr[None]
    if arr.shape != (model.B, 3) or not np.all(np.isfinite(arr)):
        raise ValueError(f"m must be finite Bloch vectors of shape ({model.B}, 3), got shape {arr.shape}")
    return arr


def noise_matrix(model, m, *, rate_derivatives: bool = True, amplitudes: np.ndarray | None = None) -> np.ndarray:
    """The noise matrix D (3B, 3B) of the linear-noise expansion at Bloch vectors m (B, 3).

    Parameters
    ----------
    model : SpinModel or BlockModel
    m : (B, 3) (or (3,) for one block) mean-field Bloch vectors
    rate_derivatives : keep the Gamma' terms from [Gamma(Delta), m] (module docstring); False gives
        the noise of rates frozen at their mean-field values, for comparison only
    amplitudes : (L, 2) (Gamma_l, Gamma_l') at Delta_l(m), by default `fixed_points.amplitudes_at`

    Returns
    -------
    D (3B, 3B), symmetric, rows and columns 3 b + a.
    """
    m = _block_bloch(model, m)
    B = model.B
    w = np.asarray(model.sizes, dtype=float) / model.N
    rho = bloch_density(m)
    amplitudes = amplitudes_at(model, m) if amplitudes is None else amplitudes
    D = np.zeros((B, 3, B, 3))
    for l, ch in enumerate(model.channels):
        beta, r = ch.block, model.delta(l)
        G, dG = amplitudes[l]
        if not rate_derivatives:
            dG = 0.0
        if ch.collective:
            D += _collective_noise(ch.matrix, m, r, beta, G, dG, w)
            continue
        o = ch.matrix
        od = o.conj().T
        u = 2j * np.cross(m, r)                                             # (B, 3)
        left = dG * u[:, :, None, None] * od                                # (B, 3, 2, 2)
        right = -dG * u[:, :, None, None] * o
        left[beta] += G * (od @ PAULI - PAULI @ od)
        right[beta] += G * (PAULI @ o - o @ PAULI)
        left /= w[:, None, None, None]
        right /= w[:, None, None, None]
        D += w[beta] * np.einsum("gaij,hcjk,ki->gahc", left, right, rho[beta]).real
    D = D.reshape(3 * B, 3 * B)
    return 0.5 * (D + D.T)


def _collective_noise(o, m, r, beta, G, dG, w) -> np.ndarray:
    """Noise (B, 3, B, 3) of one collective jump L = S_o Gamma / sqrt(N_beta) (module docstring):
    N [L^+, m_a^g][m_c^h, L] -> conj(v_a^g) v_c^h / w_beta, v_c^h = delta_{h beta} Gamma k_c
    - (w_beta / w_h) <o> Gamma' u_c^h."""
    mean, k, _, _ = collective_terms(o, m[beta])
    v = -(w[beta] / w[:, None]) * mean * dG * 2j * np.cross(m, r)        # (B, 3)
    v[beta] += G * k
    return np.einsum("ga,hc->gahc", np.conj(v), v).real / w[beta]


def initial_sigma(model, r: np.ndarray) -> np.ndarray:
    """Sigma(0) (3B, 3B) of the product state with Bloch vectors r (B, 3): N/N_b (1 - r_b r_b^T) per block."""
    B = model.B
    S = np.zeros((B, 3, B, 3))
    for b in range(B):
        S[b, :, b] = (np.eye(3) - np.outer(r[b], r[b])) * model.N / model.sizes[b]
    return S.reshape(3 * B, 3 * B)


def _check_state(state) -> None:
    if isinstance(state, (DickeState, CatState)):
        raise ValueError(f"state must be a product state (coherent_state, product_state, classical_state, "
                         f"Bloch vectors) for the Gaussian expansion, got {type(state).__name__}: its average "
                         f"operators do not have fluctuations of order 1/sqrt(N)")


def fluctuations(model, state, times, *, options: ODEOptions | dict | None = None,
                 rate_derivatives: bool = True) -> FluctuationResult:
    """Linear-noise covariance Sigma(t) = lim N Cov(m_a^b, m_c^g) about mean field (docs/theory.md §10).

    Parameters
    ----------
    model : SpinModel or BlockModel (any h, J, channels, Delta with x, y, z parts), or QuditModel
        (theory/qudit_fluctuations.py)
    state : a product initial state (coherent_state, product_state, classical_state) or Bloch
        vectors (3,) / (B, 3); for a QuditModel a (d, d) single-site density matrix
    times : (T,) strictly increasing output times >= 0
    options : ODEOptions (DOP853 tolerances, for the mean field and for Sigma)
    rate_derivatives : see `noise_matrix` (False only to compare with rates frozen at mean field)

    Returns
    -------
    FluctuationResult: sigma (3, 3, T) for a SpinModel, (B, 3, B, 3, T) for a BlockModel, (d^2, d^2, T)
    for a QuditModel; clustering (T,) = lim N E_N(t); mean_field the MeanFieldResult it expands about.
    """
    check_model(model)
    rate_derivatives = check_bool("rate_derivatives", rate_derivatives)
    if isinstance(model, QuditModel):
        return qudit_fluctuations(model, state, times, options=options, rate_derivatives=rate_derivatives)
    _check_state(state)
    times = check_times(times)
    options = ODEOptions.coerce(options)
    mf = mean_field(model, state, times, options=options)
    B, n = model.B, 3 * model.B
    sigma0 = initial_sigma(model, initial_bloch(state, model.sizes))

    def rhs(t, y):
        m = mf.m_at(t).reshape(B, 3)
        S = y.reshape(n, n)
        amplitudes = amplitudes_at(model, m)
        A = jacobian(model, m, amplitudes)
        D = noise_matrix(model, m, rate_derivatives=rate_derivatives, amplitudes=amplitudes)
        return (A @ S + S @ A.T + D).ravel()

    ys = integrate(rhs, sigma0.ravel(), times, options, "fluctuation")
    S = ys.reshape(B, 3, B, 3, len(times))
    S = 0.5 * (S + S.transpose(2, 3, 0, 1, 4))
    w = np.asarray(model.sizes, dtype=float) / model.N
    clustering = 0.5 * np.einsum("b,babat->t", w, S)
    single = drops_block_axes(model)
    return FluctuationResult(times=times, sizes=model.sizes, single_block=single,
                             sigma=S[0, :, 0] if single else S, clustering=clustering, mean_field=mf)
