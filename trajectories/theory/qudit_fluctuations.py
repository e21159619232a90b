"""Gaussian fluctuations about mean field for N d-level particles (docs/theory.md §10, §18).

The linear-noise expansion of §10 in the model's orthonormal basis v_a: Sigma = lim N Cov(m_a, m_c)
(symmetrised) obeys dSigma/dt = A Sigma + Sigma A^T + D, with A the Jacobian of the Lemma 3 vector
field f(m) at the mean-field m(t) and D the noise matrix. For a local jump L = j^(k) Gamma(Delta),
Delta = r . m, with rho = sum_a m_a v_a the mean-field single-site state and
u_a = tr(rho [R, v_a]), R = sum_a r_a v_a (from [Delta, m_a] = (1/N^2) sum_k [R, v_a]^(k)),

    [L^+, m_a] = (1/N) (Gamma [j^+, v_a] + Gamma' u_a j^+)^(k),   [m_c, L] = (1/N) (Gamma [v_c, j] - Gamma' u_c j)^(k),
    D_ac += Re tr(rho l_a r_c),    l_a = Gamma [j^+, v_a] + Gamma' u_a j^+,   r_c = Gamma [v_c, j] - Gamma' u_c j,

and a collective jump L = S_j Gamma / sqrt N gives [m_c, L] = w_c / sqrt N at leading order, with the
numbers w_c = Gamma tr(rho [v_c, j]) - tr(rho j) Gamma' u_c, and D_ac += Re(conj(w_a) w_c). At t = 0 a
product state has Sigma_ac = tr(rho (v_a v_c + v_c v_a)/2) - m_a m_c, and lim N E_N(t) = sum_a Sigma_aa.
"""
from __future__ import annotations

import numpy as np

from models.qudit import QuditModel
from ..base.checks import check_density, check_times
from ..base.integration import integrate
from ..base.options import ODEOptions
from ..base.results import FluctuationResult
from .fixed_points import amplitude_derivative, rate_derivative
from .meanfield import lemma3_matrices, mean_field


def qudit_jacobian(model: QuditModel, m: np.ndarray, matrices=None) -> np.ndarray:
    """A_gk = d f_g / d m_k (d^2, d^2) of the Lemma 3 vector field at the components m (d^2,)."""
    A, Bq, M = lemma3_matrices(model) if matrices is None else matrices
    J = A + np.einsum("gkc,c->gk", Bq, m) + np.einsum("gbk,b->gk", Bq, m)
    for ch, Ml in zip(model.channels, M):
        R, dR = rate_derivative(ch, float(ch.r @ m))
        if ch.collective:
            J = J + dR * np.outer(np.einsum("gbc,b,c->g", Ml, m, m), ch.r) \
                + R * (np.einsum("gkc,c->gk", Ml, m) + np.einsum("gbk,b->gk", Ml, m))
        else:
            J = J + dR * np.outer(Ml @ m, ch.r) + R * Ml
    return J


def qudit_noise_matrix(model: QuditModel, m: np.ndarray, rate_derivatives: bool = True) -> np.ndarray:
    """The noise matrix D (d^2, d^2) at the components m (module docstring); rate_derivatives=False
    drops the Gamma' terms (rates frozen at their mean-field values, for comparison only)."""
    v = model.basis
    rho = model.density(m)
    D = np.zeros((len(v), len(v)))
    for ch in model.channels:
        j = ch.op
        R = np.einsum("a,aij->ij", ch.r, v)
        G, dG = amplitude_derivative(ch, float(ch.r @ m))
        dG = dG if rate_derivatives else 0.0
        u = np.array([np.trace(rho @ (R @ va - va @ R)) for va in v])
        if ch.collective:
            w = np.array([G * np.trace(rho @ (vc @ j - j @ vc)) for vc in v]) - np.trace(rho @ j) * dG * u
            D += np.real(np.outer(np.conj(w), w))
            continue
        jd = j.conj().T
        left = [G * (jd @ va - va @ jd) + dG * u[a] * jd for a, va in enumerate(v)]
        right = [G * (vc @ j - j @ vc) - dG * u[c] * j for c, vc in enumerate(v)]
        D += np.real(np.einsum("ij,ajk,cki->ac", rho, np.array(left), np.array(right)))
    return D


def qudit_initial_sigma(model: QuditModel, rho1: np.ndarray) -> np.ndarray:
    """Sigma(0)_ac = tr(rho1 (v_a v_c + v_c v_a)/2) - m_a m_c of the product state rho1^(x)N."""
    v = model.basis
    m = model.components(rho1)
    second = np.einsum("ij,ajk,cki->ac", rho1, v, v).real
    return 0.5 * (second + second.T) - np.outer(m, m)


def qudit_fluctuations(model: QuditModel, rho1, times, *, options: ODEOptions | dict | None = None,
                       rate_derivatives: bool = True) -> FluctuationResult:
    """Linear-noise covariance Sigma(t) = lim N Cov(m_a, m_c) of a QuditModel about mean field.

    Parameters
    ----------
    model : QuditModel
    rho1 : (d, d) single-site density matrix (the product state rho1^(x)N)
    times : (T,) strictly increasing output times >= 0
    options : ODEOptions (for the mean field and for Sigma)
    rate_derivatives : see `qudit_noise_matrix`

    Returns
    -------
    FluctuationResult: sigma (d^2, d^2, T), clustering (T,) = lim N E_N(t) = sum_a Sigma_aa (paper
    eq. 24 in the model's basis), mean_field the qudit MeanFieldResult it expands about.
    """
    rho1 = np.asarray(rho1)
    if rho1.shape != (model.d, model.d):
        raise ValueError(f"state must be a ({model.d}, {model.d}) single-site density matrix, got shape {rho1.shape}")
    rho1 = rho1.astype(complex)
    check_density("state", rho1)
    times = check_times(times)
    options = ODEOptions.coerce(options)
    mf = mean_field(model, rho1, times, options=options, method="lemma3")
    matrices = lemma3_matrices(model)
    n = model.d ** 2

    def rhs(t, y):
        m = mf.m_at(t)
        S = y.reshape(n, n)
        A = qudit_jacobian(model, m, matrices)
        return (A @ S + S @ A.T + qudit_noise_matrix(model, m, rate_derivatives)).ravel()

    S = integrate(rhs, qudit_initial_sigma(model, rho1).ravel(), times, options, "fluctuation").reshape(n, n, -1)
    S = 0.5 * (S + S.transpose(1, 0, 2))
    return FluctuationResult(times=times, sizes=(model.N,), single_block=True, sigma=S,
                             clustering=np.einsum("aat->t", S), mean_field=mf)
