"""Catalog of single-block spin models with plain-number parameters (Pauli units, S_a = sum_k sigma_a^(k)).

    kinetic_model(N, gamma_up, gamma_down, omega)   H = omega S_x; J_up = sqrt(gamma_up) sigma_+ n,
                                                    J_down = sqrt(gamma_down) sigma_- n, n = (1 + m_z)/2
                                                    (docs/theory.md §8; paper §2.1)
    decay_model(N, gamma, h)                        H = h S_x; sigma_- at the constant rate gamma
    ising_model(N, hx, J, gamma)                    H = hx S_x + (J/N) S_z^2; sigma_- at the constant rate
                                                    gamma (dissipative Lipkin-Meshkov-Glick / Ising model)

The Hopfield models are in `models.hopfield`; every parameter is validated (models.spin.check_integer,
check_real) with an error that names it and its allowed range.
"""
from __future__ import annotations

import math

import numpy as np

from .spin import Channel, SpinModel, check_integer, check_real


def kinetic_model(N: int, gamma_up: float, gamma_down: float, omega: float) -> SpinModel:
    """Kinetically constrained collective flips (docs/theory.md §8).

    Parameters
    ----------
    N : int >= 1
    gamma_up, gamma_down : float >= 0
        Rates of sigma_+ and sigma_-, each multiplied by the density of up spins: the amplitudes are
        Gamma(m_z) = sqrt(gamma) (1 + m_z)/2, so every flip needs excitations elsewhere.
    omega : float
        Transverse field, H = omega S_x.

    Returns
    -------
    SpinModel with channels [sigma_+, sigma_-] and Delta = m_z.
    """
    N = check_integer("N", N)
    up = math.sqrt(check_real("gamma_up", gamma_up, 0.0))
    down = math.sqrt(check_real("gamma_down", gamma_down, 0.0))
    omega = check_real("omega", omega)

    def gamma_up_fn(x):
        return up * (1 + x) / 2

    def gamma_down_fn(x):
        return down * (1 + x) / 2
    return SpinModel(N=N, h=(omega, 0, 0), channels=[Channel("plus", gamma=gamma_up_fn, delta=(0, 0, 1)),
                                                       Channel("minus", gamma=gamma_down_fn, delta=(0, 0, 1))])


def constant_decay(gamma: float) -> Channel:
    """The channel sigma_- at the constant rate gamma >= 0 (Gamma^2 = gamma)."""
    gamma = check_real("gamma", gamma, 0.0)

    def rate(x):
        return gamma + 0 * np.asarray(x, dtype=float)
    return Channel("minus", rate=rate)


def decay_model(N: int, gamma: float, h: float) -> SpinModel:
    """Independent decay in a transverse field: H = h S_x, sigma_- at the constant rate gamma >= 0.

    Parameters
    ----------
    N : int >= 1
    gamma : float >= 0
    h : float

    Returns
    -------
    SpinModel with one channel [sigma_-].
    """
    N = check_integer("N", N)
    channel = constant_decay(gamma)
    return SpinModel(N=N, h=(check_real("h", h), 0, 0), channels=[channel])


def ising_model(N: int, hx: float, J: float, gamma: float) -> SpinModel:
    """Dissipative Ising (LMG) model: H = hx S_x + (J/N) S_z^2, sigma_- at the constant rate gamma >= 0.

    Parameters
    ----------
    N : int >= 1
    hx, J : float
        Transverse field and all-to-all zz coupling (J_zz = J in the `SpinModel` convention).
    gamma : float >= 0

    Returns
    -------
    SpinModel with one channel [sigma_-].
    """
    N = check_integer("N", N)
    hx = check_real("hx", hx)
    Jm = np.zeros((3, 3))
    Jm[2, 2] = check_real("J", J)
    return SpinModel(N=N, h=(hx, 0, 0), J=Jm, channels=[constant_decay(gamma)])
