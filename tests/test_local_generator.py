"""The effective local generator L_t (paper eq. 50, Theorem 2; docs/theory.md §5).

* structure: one site prepared like the bulk follows the mean field exactly; product states stay product;
  an entangled k-site state stays a state and its one-site marginals follow the one-site generator
  (L_t is a sum of one-site generators, so tracing out the other sites commutes with it); linearity;
* Theorem 2 against the exact many-body dynamics (exact sectors): a tagged site (block of size 1)
  prepared differently from the bulk, and a tagged pair in the entangled singlet, follow L_t with a
  deviation N * deviation ~ constant (O(1/N));
* connected two-site correlations of a product initial state are O(1/N) (L_t predicts 0).
"""
import numpy as np
import pytest

from models import BlockModel, Channel
from trajectories import coherent_state, dicke_state, exact_evolution
from trajectories.analysis import connected_correlations
from trajectories import local_generator
from trajectories.theory.meanfield import PAULI, bloch_density, mean_field

from systems import hopfield
from test_mean_field import rich_spin_model, three_level_model, three_level_state, random_density

TIMES = np.linspace(0, 2, 9)


def bloch(rho):
    """Bloch vectors (3, T) of single-site states (2, 2, T)."""
    return np.einsum("ijt,aji->at", rho, PAULI).real


def evolve(model, state, X, **kw):
    """k-site states (T, d^k, d^k) under the local generator from X (time first, for the einsums here)."""
    return np.moveaxis(local_generator(model, state, TIMES, local_state=X, **kw).rho, -1, 0)


def partial_trace(rho, keep, k, d=2):
    """Reduced state of site `keep` of a k-site state (T, d^k, d^k)."""
    T = rho.reshape((-1,) + (d,) * (2 * k))
    letters = "abcdefghij"
    rows, cols = list(letters[:k]), list(letters[:k])
    cols[keep] = "z"
    rows_out = letters[keep] + "z"
    for i in range(k):
        if i != keep:
            cols[i] = rows[i]
    return np.einsum("t" + "".join(rows) + "".join(cols) + "->t" + rows_out, T)


def test_site_like_the_bulk_follows_the_mean_field():
    model, state = hopfield(100, beta=2.0, omega=0.5), coherent_state(theta=0.4, phi=0.2)
    mf = mean_field(model, state, TIMES)
    local = local_generator(model, state, TIMES, local_state=mf.rho[..., 0])
    assert local.rho.shape == (2, 2, len(TIMES)) and local.blocks == (0,)
    np.testing.assert_allclose(local.rho, mf.rho, rtol=0, atol=1e-10)
    np.testing.assert_allclose(local.mean_field.mean, mf.mean, rtol=0, atol=1e-12)


def test_sites_in_a_collective_channel_follow_the_mean_field():
    """A collective channel enters L_t as the Hamiltonian H_c on every site: two sites prepared like the
    bulk stay the product of the mean-field states (superradiance with local dephasing)."""
    from models import superradiance_model
    model, state = superradiance_model(100, gamma=1.0, kappa=0.2), coherent_state(theta=1.0, phi=0.3)
    mf = mean_field(model, state, TIMES)
    pair = np.kron(mf.rho[..., 0], mf.rho[..., 0])
    local = local_generator(model, state, TIMES, local_state=pair)
    expected = np.einsum("ijt,klt->ikjlt", mf.rho, mf.rho).reshape(4, 4, -1)
    np.testing.assert_allclose(local.rho, expected, rtol=0, atol=1e-9)
    assert np.abs(mf.mean[:, -1] - mf.mean[:, 0]).max() > 0.1


def test_products_stay_products_and_entangled_states_stay_states():
    model, state = rich_spin_model(50), coherent_state(theta=0.9, phi=0.4)
    a, b = bloch_density([0, 0, -1]), bloch_density([0.6, 0, 0.8])
    three = evolve(model, state, np.kron(np.kron(a, b), a))
    sa, sb = (evolve(model, state, x) for x in (a, b))
    product = np.einsum("tij,tkl,tmn->tikmjln", sa, sb, sa).reshape(-1, 8, 8)
    np.testing.assert_allclose(three, product, rtol=0, atol=1e-9)
    # entangled two-site state (random mixed, then a Bell state)
    rng = np.random.default_rng(3)
    for rho0 in (random_density(rng, 4), np.outer([1, 0, 0, 1], [1, 0, 0, 1]) / 2):
        rho = evolve(model, state, rho0)
        np.testing.assert_allclose(np.trace(rho, axis1=1, axis2=2), 1, atol=1e-10)
        np.testing.assert_allclose(rho, np.conj(np.swapaxes(rho, 1, 2)), atol=1e-10)
        assert np.linalg.eigvalsh(rho).min() > -1e-9
        for site in (0, 1):
            marginal = partial_trace(rho, site, 2)
            single = evolve(model, state, partial_trace(rho0[None], site, 2)[0])
            np.testing.assert_allclose(marginal, single, rtol=0, atol=1e-9)
    # linearity
    x, y = random_density(rng, 4), random_density(rng, 4)
    lin = evolve(model, state, 0.3 * x + 0.7 * y)
    np.testing.assert_allclose(lin, 0.3 * evolve(model, state, x) + 0.7 * evolve(model, state, y),
                               rtol=0, atol=1e-9)


def test_local_expectations_and_qudits():
    model, state = three_level_model(100), three_level_state()
    rng = np.random.default_rng(4)
    rho0 = random_density(rng, 9)
    local = local_generator(model, state, TIMES, local_state=rho0)
    O = model.basis[4]
    for A in (np.kron(O, np.eye(3)), np.kron(model.basis[2], model.basis[7])):
        values = local.expect(A)
        np.testing.assert_allclose(values, np.einsum("ij,jit->t", A, local.rho), atol=1e-12)
        assert np.isrealobj(values)  # Hermitian observables give real values
    # site prepared like the bulk: the mean field of the Lemma 3 form
    mf = mean_field(model, state, TIMES)
    one = evolve(model, state, state)
    np.testing.assert_allclose(model.components(one), mf.mean.T, rtol=0, atol=1e-9)


def test_bad_inputs():
    model, state = hopfield(10), coherent_state()
    with pytest.raises(ValueError, match="local_state"):
        evolve(model, state, np.eye(3) / 3)
    with pytest.raises(ValueError, match="local_state"):
        evolve(model, state, np.eye(2))      # trace 2
    with pytest.raises(ValueError, match="block"):
        evolve(model, state, np.eye(2) / 2, block=1)
    with pytest.raises(ValueError, match="block"):
        evolve(model, state, np.eye(4) / 4, block=[0])
    with pytest.raises(ValueError, match="observable must have shape"):
        local_generator(model, state, TIMES, local_state=np.eye(2) / 2).expect(np.eye(4))


# ------------------------------------------------------------------------------------------------
# Theorem 2 against the exact dynamics
# ------------------------------------------------------------------------------------------------

def tagged_model(sizes):
    """Bulk block 0 and a tagged block 1; rates depend on the bulk only (z-only Deltas: banded sectors),
    couplings between bulk and tag in both orders."""
    B = len(sizes)
    J = np.zeros((B, B, 3, 3))
    J[0, 1] = [[0.5, 0, 0], [0, 0, 0.3], [0, 0, 0.6]]
    J[1, 0] = [[0, 0, 0], [0, 0.2, 0], [0.3, 0, 0]]
    J[0, 0] = np.diag([0.2, 0, 0.3])
    gp = lambda x: np.exp(x) / np.sqrt(2 * np.cosh(2 * x))  # noqa: E731
    d = np.zeros((B, 3))
    d[0] = (0, 0, 0.8)
    return BlockModel(sizes, h=[(0.5, 0, 0.1)] * B, J=J,
                      channels=[Channel(op, gamma=(gp if op == "plus" else lambda x: gp(-x)), delta=d, block=b)
                                for b in range(B) for op in ("plus", "minus")])


def _tagged_site_deviation(N):
    state = coherent_state(theta=[0.3, 2.5], phi=[0.0, 1.0])       # tag far from the bulk
    model = tagged_model((N, 1))
    exact = exact_evolution(model, state, TIMES).mean[1]
    tag = local_generator(model, state, TIMES, local_state=bloch_density(exact[:, 0]), block=1)
    return np.abs(bloch(tag.rho) - exact).max()


def test_tagged_site_follows_the_local_generator():
    dev = [_tagged_site_deviation(N) for N in (10, 20, 40)]
    # measured deviations 0.108, 0.064, 0.036 (0.0196 at N = 80): per doubling of N the ratio is
    # 0.60, 0.56 (0.55), tending to the 1/2 of an O(1/N) deviation (O(1) would give 1)
    assert all(dev[i + 1] / dev[i] < 0.65 for i in range(2)), dev


def _singlet_deviation(N):
    """Tagged pair (block of 2) in the singlet, bulk all up (Dicke |N/2, N/2>): block-1 first and
    symmetrised second moments of the exact dynamics against L_t on the 4 x 4 singlet."""
    state = dicke_state(j=[N / 2, 0], m=[N / 2, 0])
    model = tagged_model((N, 2))
    exact = exact_evolution(model, state, TIMES)
    s = np.array([0, 1, -1, 0]) / np.sqrt(2)
    local = local_generator(model, state, TIMES, local_state=np.outer(s, s), block=1)
    m1 = [(np.kron(P, np.eye(2)) + np.kron(np.eye(2), P)) / 2 for P in PAULI]
    first = np.array([local.expect(A) for A in m1])
    second = np.array([[local.expect((A @ B + B @ A) / 2) for B in m1] for A in m1])
    # the singlet's correlations are O(1): second moments (up to 0.6) are not products of the means
    assert np.abs(second - np.einsum("at,ct->act", first, first)).max() > 0.2
    return max(np.abs(first - exact.mean[1]).max(), np.abs(second - exact.second[1, :, 1]).max())


def test_tagged_entangled_pair_follows_the_local_generator():
    dev = [_singlet_deviation(N) for N in (8, 16, 32)]
    # measured 0.0733, 0.0495, 0.0305 (0.103 at N = 4, 0.0221 at N = 48): ratios per doubling 0.675, 0.616,
    # approaching the 1/2 of an O(1/N) deviation
    assert all(dev[i + 1] / dev[i] < 0.72 for i in range(2)) and dev[2] / dev[1] < dev[1] / dev[0], dev


@pytest.mark.slow
def test_tagged_site_and_pair_larger_N():
    # measured 0.0196 / 0.0361 = 0.545
    assert _tagged_site_deviation(80) < 0.6 * _tagged_site_deviation(40)
    # measured N * deviation 0.98 (N = 32), 1.06 (N = 48): bounded, O(1/N)
    assert 48 * _singlet_deviation(48) < 1.2 * 32 * _singlet_deviation(32)


def test_connected_two_site_correlations_are_order_1_over_N():
    state = coherent_state(theta=0.9, phi=0.4)
    scaled = []
    for N in (10, 20, 40):
        exact = exact_evolution(rich_spin_model(N), state, TIMES)
        C, err = connected_correlations(exact)
        assert np.all(err == 0) and C.shape == (3, 3, len(TIMES))
        np.testing.assert_allclose(C[..., 0], 0, atol=1e-12)     # product state at t = 0
        scaled.append(N * np.abs(C).max())
    # measured N * max|C| = 0.228, 0.246, 0.259
    assert all(0.85 < scaled[i + 1] / scaled[i] < 1.2 for i in range(2)), scaled
