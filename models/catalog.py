"""Catalog of single-block spin models with plain-number parameters (Pauli units, S_a = sum_k sigma_a^(k)).

    kinetic_model(N, gamma_up, gamma_down, omega)   H = omega S_x; J_up = sqrt(gamma_up) sigma_+ n,
                                                    J_down = sqrt(gamma_down) sigma_- n, n = (1 + m_z)/2
                                                    (docs/theory.md §8; paper §2.1)
    decay_model(N, gamma, h)                        H = h S_x; sigma_- at the constant rate gamma
    ising_model(N, hx, J, gamma)                    H = hx S_x + (J/N) S_z^2; sigma_- at the constant rate
                                                    gamma (dissipative Lipkin-Meshkov-Glick / Ising model)
    transverse_rate_model(N, omega, chi, beta,      H = omega S_x + (chi/N) S_z^2; sigma_+- with the Hopfield
                          kappa, tagged=0)          amplitudes Gamma_+-(m_z + kappa m_x): an interacting
                                                    Hamiltonian and rates with a transverse part
    superradiance_model(N, gamma, kappa,            collective emission sqrt(gamma/N) S_-, local dephasing
                        gamma_local=0, omega=0)     sigma_z^(k) at the rate kappa (1 + m_z)/2, local emission
                                                    at gamma_local, H = omega S_x

The Hopfield models are in `models.hopfield`; every parameter is validated (models.spin.check_integer,
check_real) with an error that names it and its allowed range.
"""
from __future__ import annotations

import math

import numpy as np

from .hopfield import hopfield_rates
from .spin import BlockModel, Channel, SpinModel, check_integer, check_real


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


def transverse_rate_model(N: int, omega: float, chi: float, beta: float, kappa: float,
                          tagged: int = 0) -> BlockModel:
    """An interacting Hamiltonian with rates that depend on a transverse average.

    H = omega S_x + (chi / N_tot) S_z^2 on all N_tot = N + tagged sites; on every site the jumps
    sigma_+ Gamma_+(Delta) and sigma_- Gamma_-(Delta) with the Hopfield amplitudes
    Gamma_+-(x) = e^(+-beta x/2) / sqrt(2 cosh(beta x)) (`hopfield_rates`) and Delta = m_z + kappa m_x, the
    averages over all N_tot sites. Mean field therefore has the Hamiltonian terms of Lemma 3
    (H_mf = omega sigma_x + 2 chi m_z sigma_z) and rates that change with m_x.

    Parameters
    ----------
    N : int >= 1
        Bulk sites (block 0).
    omega, chi, kappa : float
        Transverse field, zz coupling, weight of m_x in Delta.
    beta : float
        Inverse temperature of the rates.
    tagged : int >= 0
        Tagged sites, each its own block of one site (blocks 1..tagged), for the effective local
        generator (paper eq. 50); 0 gives a SpinModel.

    Returns
    -------
    SpinModel (tagged = 0) or BlockModel with blocks (N, 1, ..., 1), channels [sigma_+, sigma_-] per block.
    """
    N, tagged = check_integer("N", N), check_integer("tagged", tagged, 0)
    omega, chi = check_real("omega", omega), check_real("chi", chi)
    beta, kappa = check_real("beta", beta), check_real("kappa", kappa)
    gp, gm = hopfield_rates(beta)
    if tagged == 0:
        return SpinModel(N, h=(omega, 0, 0), J=np.diag([0.0, 0.0, chi]),
                         channels=[Channel("plus", gamma=gp, delta=(kappa, 0, 1)),
                                   Channel("minus", gamma=gm, delta=(kappa, 0, 1))])
    sizes = (N,) + (1,) * tagged
    B = len(sizes)
    w = np.array(sizes, dtype=float) / (N + tagged)
    delta = np.outer(w, (kappa, 0.0, 1.0))
    J = np.zeros((B, B, 3, 3))
    J[:, :, 2, 2] = chi
    channels = [Channel(op, gamma=g, delta=delta, block=b) for b in range(B) for op, g in (("plus", gp), ("minus", gm))]
    return BlockModel(sizes, h=[(omega, 0, 0)] * B, J=J, channels=channels)


class ExcitedFractionRate:
    """The rate kappa (1 + x)/2: kappa times the fraction of up spins when x = m_z (picklable)."""

    def __init__(self, kappa: float):
        self.kappa = float(kappa)

    def __call__(self, x) -> np.ndarray:
        return self.kappa * np.clip((1 + np.asarray(x, dtype=float)) / 2, 0.0, None)

    def __repr__(self) -> str:
        return f"{self.kappa:g} (1 + m_z)/2"


def superradiance_model(N: int, gamma: float, kappa: float, gamma_local: float = 0.0,
                        omega: float = 0.0) -> SpinModel:
    """Superradiant decay with excitation-dependent local dephasing.

    Parameters
    ----------
    N : int >= 1
    gamma : float >= 0
        Collective emission J = sqrt(gamma / N) S_- (qutip.piqs collective_emission = gamma / N); its
        mean field is dm_z/dt = -gamma (m_x^2 + m_y^2)/2 (docs/theory.md §5, collective channels).
    kappa : float >= 0
        Local dephasing sigma_z^(k) Gamma(m_z) with the rate Gamma^2 = kappa (1 + m_z)/2: it destroys
        the collective coherence fastest while the spins are excited (piqs dephasing = 4 x the rate).
    gamma_local : float >= 0
        Local emission sigma_-^(k) at a constant rate (omitted when 0).
    omega : float
        H = omega S_x.

    Returns
    -------
    SpinModel with channels [collective sigma_-, sigma_z (Delta = m_z), (sigma_-)].
    """
    N = check_integer("N", N)
    gamma, kappa = check_real("gamma", gamma, 0.0), check_real("kappa", kappa, 0.0)
    gamma_local = check_real("gamma_local", gamma_local, 0.0)
    channels = [Channel("minus", rate=gamma, collective=True),
                Channel("z", rate=ExcitedFractionRate(kappa), delta=(0, 0, 1))]
    if gamma_local:
        channels.append(Channel("minus", rate=gamma_local))
    return SpinModel(N=N, h=(check_real("omega", omega), 0, 0), channels=channels)
