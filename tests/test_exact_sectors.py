"""Tests of the sector operators and of the exact sector-reduced Lindblad solver.

The references are (i) closed forms, (ii) a tiny brute-force 2^N Lindblad evolution written here
with Pauli matrices and scipy.linalg.expm (independent of the package's solvers) and (iii) the
package's brute-force reference trajectories.reference.full.full_moments.
"""
from functools import reduce

import numpy as np
import pytest
from scipy.linalg import expm

from models.spin import BlockModel, Channel, SpinModel
from trajectories import exact_evolution
from trajectories.base.options import ODEOptions
from trajectories.reference.sectors import sector_evolve, sector_moments
from trajectories.sectors.operators import SectorOperators, sector_tuples, tuple_dim
from trajectories.sectors.states import coherent_state, dicke_state, product_state

PAULI = [np.array([[0, 1], [1, 0]], complex), np.array([[0, -1j], [1j, 0]], complex),
         np.diag([1.0, -1.0]).astype(complex)]
LOCAL = {"minus": np.array([[0, 0], [1, 0]], complex), "plus": np.array([[0, 1], [0, 0]], complex),
         "z": PAULI[2]}


def sym_J(seed, B, scale=0.5):
    J = np.random.default_rng(seed).normal(scale=scale, size=(B, B, 3, 3))
    return (J + J.transpose(1, 0, 3, 2)) / 2


def mixed_model():
    """Two blocks (3 spins and a tagged site), all three local operators, x/y/z in Delta."""
    return BlockModel(
        [3, 1], h=[[0.6, 0.1, 0.3], [0.2, -0.4, 0.1]], J=sym_J(1, 2),
        channels=[Channel("minus", gamma=lambda x: 1 + 0.4 * x, delta=[[0.3, 0.2, 0.5], [0, 0, 0.4]]),
                  Channel("plus", rate=lambda x: np.exp(x) / 3, delta=[[0, 0, 0.3], [0.5, 0, 0]], block=1),
                  Channel("z", gamma=lambda x: 0.5 + 0.2 * x, delta=[[0, 0.6, 0], [0, 0, 0]], offset=0.2)])


# ---------------------------------------------------------------- brute force in this file

def brute_moments(model, rho0, times):
    """<m_a^b>, Re<m_a^b m_c^g> from expm of the 4^N x 4^N Liouvillian (row-major vec)."""
    N, B = model.N, model.B
    site_block = np.repeat(np.arange(B), model.sizes)

    def site(op, k):
        return reduce(np.kron, [op if i == k else np.eye(2) for i in range(N)])

    m = [[sum(site(PAULI[a], k) for k in range(N) if site_block[k] == b) / model.sizes[b]
          for a in range(3)] for b in range(B)]
    H = sum(model.h[b, a] * model.sizes[b] * m[b][a] for b in range(B) for a in range(3))
    H = H + sum(model.J[b, g, a, c] * model.sizes[b] * model.sizes[g] / N * m[b][a] @ m[g][c]
                for b in range(B) for g in range(B) for a in range(3) for c in range(3))
    I = np.eye(2 ** N)
    L = -1j * (np.kron(H, I) - np.kron(I, H.conj()))
    for l, ch in enumerate(model.channels):
        D = ch.offset * I + sum(model.delta(l)[g, a] * m[g][a] for g in range(B) for a in range(3))
        ev, U = np.linalg.eigh(D)
        G = (U * ch.amplitude(ev)) @ U.conj().T
        sites = np.flatnonzero(site_block == ch.block)
        jumps = ([sum(site(ch.matrix, k) for k in sites) / np.sqrt(len(sites)) @ G] if ch.collective
                 else [site(ch.matrix, k) @ G for k in sites])
        for Jk in jumps:
            JJ = Jk.conj().T @ Jk
            L += np.kron(Jk, Jk.conj()) - 0.5 * (np.kron(JJ, I) + np.kron(I, JJ.T))
    first = np.zeros((len(times), B, 3))
    second = np.zeros((len(times), B, 3, B, 3))
    for i, t in enumerate(times):
        rho = (expm(L * t) @ rho0.ravel()).reshape(rho0.shape)
        for b, a in np.ndindex(B, 3):
            first[i, b, a] = np.trace(rho @ m[b][a]).real
            for g, c in np.ndindex(B, 3):
                second[i, b, a, g, c] = np.trace(rho @ m[b][a] @ m[g][c]).real
    return first, second


def product_density(blocks):
    """rho_1^(b) on every site of block b: blocks = [(N_b, 2x2 rho)]."""
    return reduce(np.kron, [r for n, r in blocks for _ in range(n)])


def bloch(r):
    return (np.eye(2) + sum(ra * p for ra, p in zip(r, PAULI))) / 2


def coherent_site(theta, phi):
    v = np.array([np.cos(theta / 2), np.exp(1j * phi) * np.sin(theta / 2)])
    return np.outer(v, v.conj())


# ---------------------------------------------------------------- sector operators

def test_sector_tuples():
    assert sector_tuples([3, 2]) == [(3, 2), (3, 0), (1, 2), (1, 0)]
    assert sector_tuples([1]) == [(1,)]
    assert len(sector_tuples([6, 5, 1])) == 4 * 3 * 1


@pytest.mark.parametrize("make", [mixed_model, lambda: SpinModel(
    5, h=(0.3, 0, 1), J=np.diag([0.2, 0, 0.7]),
    channels=[Channel("minus", rate=lambda x: 1 + x, delta=(0.5, 0.3, 0)),
              Channel("z", gamma=lambda x: 0.3 + x ** 2, delta=(0, 0, 1))])])
def test_kraus_completeness_and_hermiticity(make):
    """sum_l sum_dj M^+ M = sum_l Gamma Q Gamma on every tuple: the reduced generator is trace preserving."""
    model = make()
    ops = SectorOperators(model)
    for s in sector_tuples(model.sizes):
        lhs = np.zeros((tuple_dim(s),) * 2, complex)
        for l in range(len(model.channels)):
            g = ops.gamma(s, l)
            assert np.allclose(g, g.conj().T, atol=1e-13)
            for dj in (1, 0, -1):
                Ks = ops.kraus(s, l, dj)
                t = ops.target(s, l, dj)
                assert (not Ks) == (t is None)
                for K in Ks:
                    assert K.shape == (tuple_dim(t), tuple_dim(s))
                    M = K @ g
                    lhs += M.conj().T @ M
        assert np.allclose(lhs, ops.jump_part(s), atol=1e-12)
        H = ops.hamiltonian(s)
        assert np.allclose(H, H.conj().T, atol=1e-12)
        assert np.allclose(ops.effective_hamiltonian(s), H - 0.5j * lhs, atol=1e-12)


def test_gamma_diagonal_shortcut_matches_eigh():
    ch = Channel("minus", gamma=lambda x: np.exp(-x), delta=[[0, 0, 0.7], [0, 0, -0.4]], offset=0.3)
    model = BlockModel([4, 3], channels=[ch])
    ops = SectorOperators(model)
    for s in sector_tuples(model.sizes):
        ev, U = np.linalg.eigh(ops.delta(s, 0))
        assert np.allclose(ops.gamma(s, 0), (U * np.exp(-ev)) @ U.conj().T, atol=1e-13)
        assert np.allclose(np.diag(ops.gamma(s, 0)).imag, 0)


def test_collective_spectrum_and_kron_order():
    ops = SectorOperators(BlockModel([2, 3]))
    s = (2, 1)
    Sz0, Sz1 = ops.collective(s, 0, 2), ops.collective(s, 1, 2)
    assert np.allclose(np.diag(Sz0), np.repeat([2, 0, -2], 2))   # block 0 slowest
    assert np.allclose(np.diag(Sz1), np.tile([1, -1], 3))
    Sx, Sy = ops.collective(s, 0, 0), ops.collective(s, 0, 1)
    assert np.allclose(Sx @ Sy - Sy @ Sx, 2j * Sz0)   # [S_x, S_y] = 2i S_z in Pauli units


# ---------------------------------------------------------------- the solver

def test_trace_and_positivity_along_evolution():
    model = SpinModel(8, h=(0.8, 0, 0.2), J=np.diag([0, 0.3, 0.5]),
                      channels=[Channel("minus", rate=lambda x: 1 + 0.8 * x, delta=(0.3, 0, 0.6)),
                                Channel("plus", gamma=lambda x: 0.4 + 0 * x),
                                Channel("z", gamma=lambda x: 0.3 * x, delta=(0, 0.5, 0.5))])
    times = np.linspace(0, 3, 13)
    lind, Y = sector_evolve(model, product_state([0.5, 0.2, 0.7]), times)
    assert len(lind.tuples) == 5
    populated = set()
    for k in range(len(times)):
        blocks = lind.blocks(Y[:, k])
        assert abs(sum(np.trace(r) for r in blocks) - 1) < 1e-10
        for s, r in zip(lind.tuples, blocks):
            assert np.allclose(r, r.conj().T, atol=1e-12)
            assert np.linalg.eigvalsh((r + r.conj().T) / 2).min() >= -1e-10
            if np.trace(r).real > 1e-3:
                populated.add(s)
    assert len(populated) == 5   # the jumps really connect the sectors


def test_rhs_is_the_sector_lindbladian_on_arbitrary_matrices():
    """The flat RHS equals the per-tuple formula with dense matrices, also on non-Hermitian input
    (it must be C-linear: a non-Hermitian round-off part must not be amplified)."""
    model = mixed_model()
    lind, _ = sector_evolve(model, dicke_state(), [0.0])
    ops = lind.ops
    rng = np.random.default_rng(2)
    y = rng.normal(size=lind.n) + 1j * rng.normal(size=lind.n)
    rho = dict(zip(lind.tuples, lind.blocks(y)))
    expected = {s: -1j * (ops.effective_hamiltonian(s) @ r - r @ ops.effective_hamiltonian(s).conj().T)
                for s, r in rho.items()}
    for s, r in rho.items():
        for l in range(len(model.channels)):
            for dj in (1, 0, -1):
                for K in ops.kraus(s, l, dj):
                    M = K @ ops.gamma(s, l)
                    expected[ops.target(s, l, dj)] += M @ r @ M.conj().T
    got = dict(zip(lind.tuples, lind.blocks(lind(0.0, y))))
    for s in lind.tuples:
        assert np.allclose(got[s], expected[s], atol=1e-12)


def test_single_spin_constant_decay():
    g2 = 0.7
    model = SpinModel(1, channels=[Channel("minus", rate=lambda x: g2)])
    times = np.linspace(0, 4, 9)
    first, second = sector_moments(model, dicke_state(), times)
    assert np.allclose(first[:, 0, 2], 2 * np.exp(-g2 * times) - 1, atol=1e-11)
    assert np.allclose(first[:, 0, :2], 0, atol=1e-13)
    assert np.allclose(second[:, 0, [0, 1, 2], 0, [0, 1, 2]], 1, atol=1e-11)   # sigma_a^2 = 1


def test_two_spins_with_field_against_4x4_expm():
    model = SpinModel(2, h=(0.9, 0.0, 0.4), J=np.diag([0.0, 0.0, 0.6]),
                      channels=[Channel("minus", rate=lambda x: 1 + 0.5 * x, delta=(0, 0, 1.0))])
    theta, phi = 1.1, 0.4
    times = np.linspace(0, 2.5, 6)
    first, second = sector_moments(model, coherent_state(theta, phi), times)
    f_ref, s_ref = brute_moments(model, product_density([(2, coherent_site(theta, phi))]), times)
    assert np.max(abs(first - f_ref)) < 1e-10
    assert np.max(abs(second - s_ref)) < 1e-10
    assert np.max(abs(first[-1] - first[0])) > 0.1   # something happened


def test_two_blocks_with_tagged_site_against_expm():
    model = BlockModel([2, 1], h=[[0.7, 0, 0.1], [0, 0.5, 0.3]], J=sym_J(3, 2),
                       channels=[Channel("minus", gamma=lambda x: 1 + 0.3 * x, delta=[[0, 0, 0.5], [0, 0, 0.8]]),
                                 Channel("plus", rate=lambda x: 0.5 + 0.4 * x, delta=[[0, 0, 0.6], [0, 0, 0]],
                                         block=1)])
    r0, r1 = np.array([0.4, -0.3, 0.5]), np.array([0.0, 0.6, -0.7])
    times = np.linspace(0, 2, 5)
    first, second = sector_moments(model, product_state([r0, r1]), times)
    f_ref, s_ref = brute_moments(model, product_density([(2, bloch(r0)), (1, bloch(r1))]), times)
    assert np.max(abs(first - f_ref)) < 1e-10
    assert np.max(abs(second - s_ref)) < 1e-10
    assert np.allclose(first[0], [r0, r1])


def test_mx_component_in_delta_against_expm():
    model = SpinModel(3, h=(0.2, 0, 0.5),
                      channels=[Channel("minus", gamma=lambda x: np.exp(x), delta=(0.9, 0, 0.2)),
                                Channel("z", gamma=lambda x: 0.5 * x, delta=(0, -0.7, 0), offset=0.1)])
    times = np.linspace(0, 2, 5)
    first, second = sector_moments(model, coherent_state(0.8, -0.5), times)
    f_ref, s_ref = brute_moments(model, product_density([(3, coherent_site(0.8, -0.5))]), times)
    assert np.max(abs(first - f_ref)) < 1e-10
    assert np.max(abs(second - s_ref)) < 1e-10
    # Gamma(Delta) is not diagonal: dropping the x part must change the result
    diag_model = SpinModel(3, h=(0.2, 0, 0.5),
                           channels=[Channel("minus", gamma=lambda x: np.exp(x), delta=(0, 0, 0.2)),
                                     model.channels[1]])
    f_diag, _ = sector_moments(diag_model, coherent_state(0.8, -0.5), times)
    assert np.max(abs(f_diag - first)) > 1e-3


def test_times_handling_and_limits():
    model = SpinModel(4, h=(1, 0, 0), channels=[Channel("minus", rate=lambda x: 1 + 0 * x)])
    state = coherent_state(0.9, 0.1)
    f0, s0 = sector_moments(model, state, [0.0])
    assert f0.shape == (1, 1, 3) and s0.shape == (1, 1, 3, 1, 3)
    assert np.allclose(f0[0, 0], [np.sin(0.9) * np.cos(0.1), np.sin(0.9) * np.sin(0.1), np.cos(0.9)])
    full, _ = sector_moments(model, state, [0.0, 0.5, 1.0])
    late, _ = sector_moments(model, state, [0.5, 1.0])
    assert np.allclose(full[1:], late, atol=1e-11)
    for bad in ([1.0, 0.5], [-0.1, 1.0], [], [[0.0, 1.0]]):
        with pytest.raises(ValueError):
            sector_moments(model, state, bad)
    big = SpinModel(400, channels=[Channel("minus", rate=lambda x: 1 + 0 * x)])
    with pytest.raises(ValueError, match="GiB.*above options.memory_limit"):  # the default depends on the machine
        sector_moments(big, state, [0.0, 1.0], ODEOptions(memory_limit=2 * 2 ** 30))


# ---------------------------------------------------------------- against the 2^N reference

exact_full = pytest.importorskip("trajectories.reference.full")


def full_models():
    return [
        SpinModel(5, h=(0.5, 0.2, 0.3), J=sym_J(5, 1)[0, 0],
                  channels=[Channel("minus", gamma=lambda x: 1 + 0.4 * x, delta=(0.3, 0.2, 0.5), offset=0.1),
                            Channel("plus", rate=lambda x: np.exp(x) / 3, delta=(0, 0, 0.8)),
                            Channel("z", gamma=lambda x: 0.5 - 0.3 * x, delta=(0.4, -0.5, 0))]),
        mixed_model(),
        BlockModel([2, 2, 2], h=[[0.3, 0, 0.5], [0, 0.4, 0], [0.6, 0, 0]], J=sym_J(7, 3, 0.3),
                   channels=[Channel("minus", rate=lambda x: 1 + 0.5 * x,
                                     delta=[[0, 0, 0.4], [0.3, 0, 0], [0, 0, -0.5]], block=b) for b in range(3)]
                   + [Channel("plus", gamma=lambda x: 0.5 + 0 * x, delta=np.zeros((3, 3)), block=2)]),
    ]


@pytest.mark.parametrize("k", range(3))
@pytest.mark.parametrize("kind", ["product", "coherent", "dicke"])
def test_against_full_reference(k, kind):
    model = full_models()[k]
    state = {"product": product_state([0.3, -0.4, 0.6]), "coherent": coherent_state(1.2, 0.7),
             "dicke": dicke_state(m=[n / 2 - 1 for n in model.sizes])}[kind]
    times = np.linspace(0, 1.5, 4)
    first, second = sector_moments(model, state, times)
    f_ref, s_ref = exact_full.full_moments(model, state, times)
    assert np.max(abs(first - f_ref)) < 1e-10
    assert np.max(abs(second - s_ref)) < 1e-10


def random_local_operator(rng):
    """A complex 2x2 operator with every component (sigma_+, sigma_-, sigma_z and identity)."""
    return rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))


@pytest.mark.parametrize("kind", ["z-only", "x in Delta", "two blocks"])
def test_general_and_collective_channels_against_expm(kind):
    """Random complex local operators (identity part included), named x, y and projector jumps, and
    collective channels (random operator, sigma_-) mixed: the sector solver and the 2^N solver
    against expm of the 4^N Liouvillian to 1e-8."""
    rng = np.random.default_rng({"z-only": 1, "x in Delta": 2, "two blocks": 3}[kind])
    sizes = (3, 2) if kind == "two blocks" else (4,)
    B = len(sizes)
    d = np.zeros((B, 3))
    d[0] = (0.6, -0.3, 0.4) if kind == "x in Delta" else (0, 0, 0.7)
    d[-1, 2] -= 0.3
    chans = [Channel(random_local_operator(rng), gamma=lambda x: 0.6 + 0.3 * x, delta=d, block=0),
             Channel("x", rate=0.3, block=B - 1),
             Channel("y", gamma=lambda x: 0.4 * np.cos(x), delta=d, block=0),
             Channel([[1, 0], [0, 0]], rate=lambda x: 0.5 * np.exp(x), delta=d, block=B - 1),
             Channel(random_local_operator(rng), rate=lambda x: 0.4 + 0.2 * np.tanh(x), delta=d, block=0,
                     collective=True),
             Channel("minus", rate=0.7, block=B - 1, collective=True)]
    h = rng.normal(size=(B, 3))
    J = rng.normal(size=(B, B, 3, 3))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    model = BlockModel(sizes, h=h, J=J, channels=chans)
    r = [np.array([0.3, -0.5, 0.6]), np.array([-0.2, 0.4, 0.7])][:B]
    times = np.linspace(0, 1.5, 4)
    f_ref, s_ref = brute_moments(model, product_density([(n, bloch(rb)) for n, rb in zip(sizes, r)]), times)
    for method in ("sectors", "full"):
        ex = exact_evolution(model, product_state(r), times, method=method)
        first, second = ex.moment_arrays()
        assert np.max(abs(first - f_ref)) < 1e-8, method
        assert np.max(abs(second - s_ref)) < 1e-8, method
    assert np.max(abs(f_ref[-1] - f_ref[0])) > 0.1


def test_collective_channel_keeps_the_total_spin():
    """Collective decay from the fully polarised state never leaves j = N/2 (superradiance): the
    exact state's <S^2> stays N/2 (N/2 + 1), while the same rate as local decay lowers it."""
    N, times = 6, np.linspace(0, 2, 5)
    for collective, stays in ((True, True), (False, False)):
        model = SpinModel(N, h=(0.4, 0, 0), channels=[Channel("minus", rate=1.0, collective=collective)])
        ex = exact_evolution(model, dicke_state(), times)
        s2 = N ** 2 / 4 * np.einsum("aat->t", ex.second)   # <J^2> = (N/2)^2 sum_a <m_a^2>
        assert np.allclose(s2, N / 2 * (N / 2 + 1), atol=1e-8) == stays
