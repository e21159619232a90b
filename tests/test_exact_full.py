"""The brute-force 2^N Lindblad reference against analytic facts and hand-built matrices."""
import math
from functools import reduce

import numpy as np
import pytest
from scipy.linalg import expm

from models.spin import BlockModel, Channel, SpinModel
from trajectories.reference.full import (full_evolve, full_initial_density, full_moments,
                                     full_operators)
from trajectories.sectors.states import cat_state, coherent_state, dicke_state, product_state

I2 = np.eye(2)
SX = np.array([[0, 1], [1, 0]], dtype=complex)
SY = np.array([[0, -1j], [1j, 0]])
SZ = np.diag([1.0, -1.0]).astype(complex)
SM = np.array([[0, 0], [1, 0]], dtype=complex)
PAULIS = (SX, SY, SZ)


def site(op, k, N):
    return reduce(np.kron, [op if i == k else I2 for i in range(N)])


def collective(op, sites, N):
    return sum(site(op, k, N) for k in sites)


def moments_of(rho, sizes):
    """(first, second) of one density matrix, from hand-built block averages."""
    N, edges = sum(sizes), np.concatenate([[0], np.cumsum(sizes)])
    m = [collective(P, range(edges[b], edges[b + 1]), N) / sizes[b] for b in range(len(sizes)) for P in PAULIS]
    first = np.array([np.trace(rho @ x).real for x in m]).reshape(len(sizes), 3)
    second = np.array([[np.trace(rho @ (x @ y + y @ x)).real / 2 for y in m] for x in m])
    return first, second.reshape(len(sizes), 3, len(sizes), 3)


def const(g):
    return lambda x: g


T = np.linspace(0.0, 2.0, 9)


# ---------------------------------------------------------------- analytic single spin
def test_single_spin_decay_population_and_coherence():
    g = 0.8
    model = SpinModel(1, channels=[Channel("minus", gamma=const(g))])
    first, _ = full_moments(model, coherent_state(0.0), T)
    np.testing.assert_allclose(first[:, 0, 2], 2 * np.exp(-g**2 * T) - 1, rtol=0, atol=1e-10)
    first, _ = full_moments(model, coherent_state(np.pi / 2, 0.3), T)
    np.testing.assert_allclose(first[:, 0, 0], np.cos(0.3) * np.exp(-g**2 * T / 2), rtol=0, atol=1e-10)
    np.testing.assert_allclose(first[:, 0, 1], np.sin(0.3) * np.exp(-g**2 * T / 2), rtol=0, atol=1e-10)
    np.testing.assert_allclose(first[:, 0, 2], np.exp(-g**2 * T) - 1, rtol=0, atol=1e-10)


def test_single_spin_operator_valued_rate_acts_before_the_jump():
    # J = sigma_- Gamma(Delta), Delta = c0 + m_z: from |up> the rate is Gamma(c0 + 1)^2.
    f = lambda x: 1.0 + 0.5 * x  # noqa: E731
    model = SpinModel(1, channels=[Channel("minus", gamma=f, delta=(0, 0, 1), offset=-0.2)])
    first, _ = full_moments(model, coherent_state(0.0), T)
    np.testing.assert_allclose(first[:, 0, 2], 2 * np.exp(-f(0.8) ** 2 * T) - 1, rtol=0, atol=1e-10)
    # the same through `rate`
    model = SpinModel(1, channels=[Channel("plus", rate=lambda x: f(x) ** 2, delta=(0, 0, 1), offset=-0.2)])
    first, _ = full_moments(model, coherent_state(np.pi), T)
    np.testing.assert_allclose(first[:, 0, 2], 1 - 2 * np.exp(-f(-1.2) ** 2 * T), rtol=0, atol=1e-10)


def test_rabi_precession():
    hx = 0.9
    model = SpinModel(1, h=(hx, 0, 0))
    first, second = full_moments(model, coherent_state(0.0), T)
    np.testing.assert_allclose(first[:, 0, 2], np.cos(2 * hx * T), rtol=0, atol=1e-10)
    np.testing.assert_allclose(first[:, 0, 1], -np.sin(2 * hx * T), rtol=0, atol=1e-10)
    np.testing.assert_allclose(first[:, 0, 0], 0.0, rtol=0, atol=1e-10)
    np.testing.assert_allclose(second[:, 0, :, 0, :], np.broadcast_to(np.eye(3), (len(T), 3, 3)), atol=1e-10)


def test_two_spin_dephasing_rate():
    # D[sigma_z] on each site: a single-site coherence decays at 2 g^2
    g = 0.6
    model = SpinModel(2, channels=[Channel("z", gamma=const(g))])
    first, second = full_moments(model, coherent_state(np.pi / 2), T)
    np.testing.assert_allclose(first[:, 0, 0], np.exp(-2 * g**2 * T), rtol=0, atol=1e-10)
    # <m_x^2> = 1/2 + <sx sx>/2 with the two-site coherence also at e^{-4 g^2 t}
    np.testing.assert_allclose(second[:, 0, 0, 0, 0], 0.5 + 0.5 * np.exp(-4 * g**2 * T), rtol=0, atol=1e-10)


# ---------------------------------------------------------------- operators, by hand
def test_operators_by_hand_block_order():
    # blocks (1, 2): site 0 is block 0 and the most significant tensor factor
    rng = np.random.default_rng(1)
    h = rng.normal(size=(2, 3))
    J = rng.normal(size=(2, 2, 3, 3))
    J = J + J.transpose(1, 0, 3, 2)
    f = lambda x: np.exp(0.3 * x) + 0.1 * x**2  # noqa: E731
    r = np.array([[0.4, -0.3, 0.2], [0.1, 0.5, -0.7]])
    model = BlockModel([1, 2], h=h, J=J, channels=[Channel("plus", gamma=f, delta=r, offset=0.3, block=1),
                                                   Channel("z", gamma=const(0.7), delta=np.zeros((2, 3)))])
    H, jumps = full_operators(model)
    N = 3
    S = [[collective(P, [0], N) for P in PAULIS], [collective(P, [1, 2], N) for P in PAULIS]]
    Href = sum(h[b, a] * S[b][a] for b in range(2) for a in range(3))
    Href = Href + sum(J[b, g, a, c] * S[b][a] @ S[g][c] for b in range(2) for g in range(2)
                      for a in range(3) for c in range(3)) / N
    np.testing.assert_allclose(H, Href, rtol=0, atol=1e-13)
    Delta = 0.3 * np.eye(8) + sum(r[0, a] * S[0][a] + r[1, a] * S[1][a] / 2 for a in range(3))
    w, U = np.linalg.eigh(Delta)
    G = U @ np.diag(f(w)) @ U.conj().T
    expected = [site(SM.T, 1, N) @ G, site(SM.T, 2, N) @ G] + [0.7 * site(SZ, 0, N)]  # z acts on block 0
    assert len(jumps) == len(expected)
    for Jk, E in zip(jumps, expected):
        np.testing.assert_allclose(Jk, E, rtol=0, atol=1e-13)


def test_gamma_of_sigma_x_single_spin():
    f = lambda x: 2.0 + x  # noqa: E731
    _, (jump,) = full_operators(SpinModel(1, channels=[Channel("minus", gamma=f, delta=(1, 0, 0))]))
    plus, minus = np.array([1, 1]) / np.sqrt(2), np.array([1, -1]) / np.sqrt(2)
    G = 3.0 * np.outer(plus, plus) + 1.0 * np.outer(minus, minus)
    np.testing.assert_allclose(jump, SM @ G, rtol=0, atol=1e-14)


def _random_model():
    rng = np.random.default_rng(7)
    J = rng.normal(size=(2, 2, 3, 3))
    J = J + J.transpose(1, 0, 3, 2)
    return BlockModel([2, 2], h=rng.normal(size=(2, 3)), J=0.5 * J, channels=[
        Channel("minus", gamma=lambda x: 1 + 0.4 * np.tanh(x), delta=[[0.3, 0, 1], [0, -0.5, 0.2]], block=0),
        Channel("plus", rate=lambda x: 0.5 + 0.2 * x**2, delta=[[0, 0, 0.4], [0, 0, 1.0]], offset=0.1, block=1),
        Channel("z", gamma=lambda x: 0.3 * x, delta=[[1, 0, 0], [0, 0, 0]], block=1)])


def test_evolution_matches_superoperator_exponential():
    # independent propagation: expm of the Liouvillian built from the explicit jump list
    model = _random_model()
    state = product_state([[0.3, -0.2, 0.8], [0.0, 0.6, -0.5]])
    H, jumps = full_operators(model)
    d = H.shape[0]
    Id = np.eye(d)
    L = -1j * (np.kron(H, Id) - np.kron(Id, H.T))
    for Jk in jumps:
        JdJ = Jk.conj().T @ Jk
        L += np.kron(Jk, Jk.conj()) - 0.5 * (np.kron(JdJ, Id) + np.kron(Id, JdJ.T))
    rho0 = full_initial_density(state, model.sizes)
    times = np.array([0.0, 0.3, 1.1])
    rhos = full_evolve(model, state, times)
    first, second = full_moments(model, state, times)
    for i, t in enumerate(times):
        ref = (expm(L * t) @ rho0.ravel()).reshape(d, d)
        np.testing.assert_allclose(rhos[i], ref, rtol=0, atol=1e-10)
        f_ref, s_ref = moments_of(ref, model.sizes)
        np.testing.assert_allclose(first[i], f_ref, rtol=0, atol=1e-10)
        np.testing.assert_allclose(second[i], s_ref, rtol=0, atol=1e-10)


def test_trace_hermiticity_positivity():
    model = _random_model()
    rhos = full_evolve(model, cat_state(), np.linspace(0, 3, 7))
    np.testing.assert_allclose(np.trace(rhos, axis1=1, axis2=2), 1.0, rtol=0, atol=1e-11)
    np.testing.assert_allclose(rhos, rhos.conj().transpose(0, 2, 1), rtol=0, atol=1e-12)
    assert min(np.linalg.eigvalsh(r).min() for r in rhos) > -1e-10
    assert np.abs(rhos[-1] - rhos[0]).max() > 0.1  # it did evolve


def test_uncoupled_blocks_stay_uncorrelated():
    # intra-block couplings and own-block rates only: blocks never correlate
    J = np.zeros((2, 2, 3, 3))
    J[0, 0] = [[0.5, 0.2, 0], [0.2, 0, 0], [0, 0, 1.0]]
    J[1, 1] = [[0, 0, 0.3], [0, -0.4, 0], [0.3, 0, 0]]
    model = BlockModel([2, 3], h=[[0.4, 0, 0.1], [0, 0.3, -0.2]], J=J, channels=[
        Channel("minus", gamma=lambda x: 1 + 0.5 * x, delta=[[0.2, 0, 1], [0, 0, 0]], block=0),
        Channel("plus", gamma=const(0.4), delta=np.zeros((2, 3)), block=1)])
    first, second = full_moments(model, coherent_state([0.4, 2.0], [0.0, 1.0]), np.linspace(0, 2, 5))
    np.testing.assert_allclose(second[:, 0, :, 1, :], np.einsum("ta,tc->tac", first[:, 0], first[:, 1]),
                               rtol=0, atol=1e-10)
    assert np.abs(first[-1] - first[0]).max() > 0.1


def test_product_state_stays_product_without_collective_terms():
    # field + constant rates only: sites independent, <m_a m_c> = (1 - 1/N) <m_a><m_c> + delta_ac / N
    N = 4
    model = SpinModel(N, h=(0.3, -0.2, 0.5), channels=[Channel("minus", gamma=const(0.6)),
                                                       Channel("z", gamma=const(0.3))])
    first, second = full_moments(model, product_state([0.5, 0.1, -0.6]), np.linspace(0, 2, 5))
    f = first[:, 0]
    expected = (1 - 1 / N) * np.einsum("ta,tc->tac", f, f) + np.eye(3) / N
    np.testing.assert_allclose(second[:, 0, :, 0, :], expected, rtol=0, atol=1e-10)
    np.testing.assert_allclose(f[0], [0.5, 0.1, -0.6], rtol=0, atol=1e-14)


# ---------------------------------------------------------------- initial states
def test_coherent_and_product_densities():
    th, ph = [0.3, 2.1], [1.0, -0.4]
    rho = full_initial_density(coherent_state(th, ph), (2, 1))
    assert abs(np.trace(rho @ rho) - 1) < 1e-13
    first, _ = moments_of(rho, (2, 1))
    bloch = np.array([[np.sin(t) * np.cos(p), np.sin(t) * np.sin(p), np.cos(t)] for t, p in zip(th, ph)])
    np.testing.assert_allclose(first, bloch, rtol=0, atol=1e-13)
    # site 0 is the most significant factor: blocks (1, 2) with block 0 up, block 1 down -> |011> = 3
    rho = full_initial_density(coherent_state([0.0, np.pi]), (1, 2))
    assert abs(rho[3, 3] - 1) < 1e-13
    r = np.array([[0.2, -0.5, 0.3], [0.0, 0.0, -0.9]])
    rho = full_initial_density(product_state(r), (3, 2))
    first, second = moments_of(rho, (3, 2))
    np.testing.assert_allclose(first, r, rtol=0, atol=1e-13)
    np.testing.assert_allclose(second[0, :, 0, :], (2 / 3) * np.outer(r[0], r[0]) + np.eye(3) / 3, atol=1e-13)
    np.testing.assert_allclose(second[0, :, 1, :], np.outer(r[0], r[1]), atol=1e-13)


@pytest.mark.parametrize("n, j, m", [(4, 2, 1), (4, 1, 0), (5, 1.5, -0.5), (5, 0.5, 0.5), (6, 0, 0)])
def test_dicke_density(n, j, m):
    rho = full_initial_density(dicke_state(j, m), (n,))
    Jz = collective(SZ, range(n), n) / 2
    J2 = sum((collective(P, range(n), n) / 2) @ (collective(P, range(n), n) / 2) for P in PAULIS)
    k = int(round(n / 2 - j))
    d = math.comb(n, k) - (math.comb(n, k - 1) if k > 0 else 0)  # multiplicity of spin j
    assert abs(np.trace(rho) - 1) < 1e-12
    assert abs(np.trace(rho @ J2) - j * (j + 1)) < 1e-12
    assert abs(np.trace(rho @ Jz) - m) < 1e-12
    np.testing.assert_allclose(rho @ J2, j * (j + 1) * rho, atol=1e-12)
    np.testing.assert_allclose(rho @ Jz, m * rho, atol=1e-12)
    assert abs(np.trace(rho @ rho) - 1 / d) < 1e-12  # the maximally mixed state on a d_j-dim space


def test_symmetric_dicke_state_and_cat():
    n, k = 5, 2  # |5/2, 1/2>: two of five spins down, equal weights
    v = np.zeros(2**n)
    for i in range(2**n):
        if bin(i).count("1") == k:
            v[i] = 1
    v /= np.linalg.norm(v)
    np.testing.assert_allclose(full_initial_density(dicke_state(), (n,)), np.diag(np.eye(2**n)[0]), atol=1e-13)
    np.testing.assert_allclose(full_initial_density(dicke_state(2.5, 0.5), (n,)), np.outer(v, v), atol=1e-12)
    rho = full_initial_density(cat_state(), (2, 1))
    first, second = moments_of(rho, (2, 1))
    np.testing.assert_allclose(first, 0, atol=1e-14)
    assert abs(second[0, 2, 1, 2] - 1) < 1e-14 and abs(second[0, 0, 1, 0]) < 1e-14
    assert abs(rho[0, 7] - 0.5) < 1e-14


def test_errors():
    with pytest.raises(ValueError, match="N <= 10"):
        full_moments(SpinModel(11), coherent_state(), [0, 1])
    with pytest.raises(ValueError, match="increasing"):
        full_moments(SpinModel(1), coherent_state(), [1.0, 0.5])
    with pytest.raises(ValueError):
        full_initial_density(dicke_state(1.2, 0.2), (4,))
    first, second = full_moments(SpinModel(2, h=(1, 0, 0)), coherent_state(0.7), [0.0])
    assert first.shape == (1, 1, 3) and second.shape == (1, 1, 3, 1, 3)
    assert abs(first[0, 0, 2] - np.cos(0.7)) < 1e-14
