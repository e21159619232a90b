"""The irrep solver of QuditModel (trajectories/reference/qudit_sectors.py) against exact references.

* the d^N Lindblad evolution (reference/qudit.py, no representation theory) for d = 3 and 4, local and
  collective channels, Deltas diagonal, diagonal in a rotated frame, and not simultaneously diagonal
  (dense Gamma), mixed and pure product states: equal to 1e-9;
* d = 2: a QuditModel.from_spin model equals the spin sector solver (sectors/dicke.py formulas) to 1e-9;
* irrep probabilities: those of the product state at t = 0 (Schur polynomials), conserved by collective
  channels alone, summing to one; dict states; errors naming the parameter; memory refusal;
* N -> oo (slow tier; test_mean_field.py checks the approach at N = 2..4 by default): the distance to the
  mean field falls like 1/N (N = 4, 7, 10, and 10, 13, 16).
"""
import math

import numpy as np
import pytest

from models import Channel, SpinModel
from models.qudit import QuditChannel, QuditModel, gell_mann
from trajectories import MemoryLimitError, ODEOptions, exact_evolution, mean_field, product_state
from trajectories.reference.qudit import qudit_moments
from trajectories.reference.qudit_sectors import qudit_sector_moments
from trajectories.sectors.irreps import diagonal_frame
from trajectories.reference.sectors import sector_moments
from trajectories.symmetry import unitary

TIGHT = ODEOptions(rtol=1e-11, atol=1e-13)


def components(A, d):
    """Components of a Hermitian (d, d) matrix in the Gell-Mann basis."""
    return np.einsum("aij,ji->a", gell_mann(d), A).real


def hermitian(d, rng):
    A = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    return (A + A.conj().T) / 2


def random_density(d, rng):
    A = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    rho = A @ A.conj().T
    return rho / np.trace(rho)


def random_model(N, d, deltas, seed=0, collective=True):
    """Fields, couplings, one local channel with a general operator and one collective (or local) channel;
    deltas: "diagonal", "rotated" (commuting, not diagonal) or "dense" (not simultaneously diagonal)."""
    rng = np.random.default_rng(seed)
    n = d * d
    h = rng.normal(size=(n, n)) * 0.3
    if deltas == "diagonal":
        A, B = np.diag(rng.normal(size=d)), np.diag(rng.normal(size=d))
    elif deltas == "rotated":
        A = hermitian(d, rng)
        B = A @ A / 2 - 0.3 * A
    else:
        A, B = hermitian(d, rng), hermitian(d, rng)
    op = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    chans = [QuditChannel(op, gamma=lambda x: 1 + 0.5 * np.tanh(x), r=components(A, d)),
             QuditChannel(np.diag(np.linspace(1, -1, d)), rate=lambda x: 0.5 + 0.2 * x ** 2, r=components(B, d),
                          collective=collective)]
    return QuditModel(N, d, eps=rng.normal(size=n) * 0.5, h=(h + h.T) / 2, channels=chans)


@pytest.mark.parametrize("N, d, deltas, collective", [
    (3, 3, "diagonal", True), (4, 3, "rotated", False), (4, 3, "dense", True), (3, 4, "diagonal", False),
    (2, 3, "dense", False)])
def test_irrep_solver_equals_the_full_space(N, d, deltas, collective):
    model = random_model(N, d, deltas, collective=collective)
    rotated = not np.allclose(diagonal_frame(model), np.eye(d))
    assert rotated == (deltas == "rotated")
    rng = np.random.default_rng(N + d)
    times = np.linspace(0, 1, 5)
    pure = np.diag(np.eye(d)[1]).astype(complex)
    for rho1 in [random_density(d, rng)] + ([pure] if d ** N < 60 else []):
        full = qudit_moments(model, rho1, times, TIGHT)
        got = exact_evolution(model, rho1, times, options=TIGHT)
        assert got.method == "sectors" and got.kind == "qudit" and got.mean.shape == (d * d, 5)
        np.testing.assert_allclose(got.mean, full[0], rtol=0, atol=1e-9)
        np.testing.assert_allclose(got.second, full[1], rtol=0, atol=1e-9)


def test_d2_is_the_spin_sector_solver():
    """A d = 2 QuditModel runs through the irrep code and equals the Dicke-sector solver."""
    model = SpinModel(8, h=(0.3, 0.1, 0.2), J=np.array([[0.4, 0.1, 0], [0.1, 0, 0.2], [0, 0.2, -0.3]]),
                      channels=[Channel("minus", gamma=lambda x: 1 + 0.6 * x, delta=(0, 0, 0.3), offset=0.1),
                                Channel([[0.2 + 0.1j, 0.4], [-0.3j, 0.1]], gamma=lambda x: 0.5 + 0.2 * x,
                                        delta=(0, 0, 0.4)),
                                Channel("x", rate=0.3, collective=True)])
    r = np.array([0.3, -0.4, 0.5])
    times = np.linspace(0, 1.5, 4)
    first, second = sector_moments(model, product_state(r), times, TIGHT)
    rho1 = (np.eye(2) + r[0] * np.array([[0, 1], [1, 0]]) + r[1] * np.array([[0, -1j], [1j, 0]])
            + r[2] * np.diag([1, -1])) / 2
    q = exact_evolution(QuditModel.from_spin(model), rho1, times, options=TIGHT)
    np.testing.assert_allclose(q.mean[0], 1 / math.sqrt(2), atol=1e-12)
    np.testing.assert_allclose(math.sqrt(2) * q.mean[1:].T, first[:, 0], rtol=0, atol=1e-9)
    np.testing.assert_allclose(2 * np.moveaxis(q.second[1:, 1:], -1, 0), second[:, 0, :, 0], rtol=0, atol=1e-9)


def test_irrep_probabilities():
    rng = np.random.default_rng(7)
    rho1 = random_density(3, rng)
    times = np.linspace(0, 1, 3)
    p = np.linalg.eigvalsh(rho1)
    start = unitary.product_sector_probabilities(6, p)
    # collective channels only: every irrep keeps its probability
    model = random_model(6, 3, "dense", seed=1)
    model.channels = model.channels[1:]
    _, _, (irreps, P) = qudit_sector_moments(model, rho1, times, TIGHT, irreps=True)
    assert irreps == unitary.partitions(6, 3)
    np.testing.assert_allclose(P, np.repeat(start[:, None], 3, axis=1), rtol=0, atol=1e-10)
    # a local channel moves probability between irreps and keeps the total
    _, _, (irreps, P) = qudit_sector_moments(random_model(6, 3, "diagonal"), rho1, times, TIGHT, irreps=True)
    np.testing.assert_allclose(P[:, 0], start, rtol=0, atol=1e-12)
    np.testing.assert_allclose(P.sum(axis=0), 1, rtol=0, atol=1e-10)
    assert np.abs(P[:, -1] - start).max() > 0.01


def test_dict_states_and_bad_input():
    model = random_model(4, 3, "rotated", seed=2)
    rng = np.random.default_rng(8)
    rho1 = random_density(3, rng)
    times = [0.0, 0.5]
    blocks = {lam: unitary.product_state_block(lam, rho1) for lam in unitary.partitions(4, 3)}
    a = exact_evolution(model, rho1, times, options=TIGHT)
    b = exact_evolution(model, blocks, times, options=TIGHT)
    np.testing.assert_allclose(b.mean, a.mean, rtol=0, atol=1e-11)
    np.testing.assert_allclose(b.second, a.second, rtol=0, atol=1e-11)
    with pytest.raises(ValueError, match=r"state has key \(4, 1, 0\)"):
        exact_evolution(model, {(4, 1, 0): np.eye(1)}, times)
    with pytest.raises(ValueError, match=r"state\[\(4, 0, 0\)\] must be 15 x 15"):
        exact_evolution(model, {(4, 0, 0): np.eye(3)}, times)
    with pytest.raises(ValueError, match="trace 1"):
        exact_evolution(model, {(4, 0, 0): np.eye(15)}, times)
    with pytest.raises(ValueError, match=r"state must be a \(3, 3\) single-site"):
        exact_evolution(model, np.eye(2) / 2, times)
    with pytest.raises(ValueError, match="method must be 'sectors', 'full' or 'qudit'"):
        exact_evolution(model, rho1, times, method="dense")
    with pytest.raises(MemoryLimitError, match="qudit sector solver would need .* memory_limit"):
        exact_evolution(QuditModel(40, 3), rho1, times)
    with pytest.raises(MemoryLimitError, match="d\\^N reference would need .* method='sectors'"):
        exact_evolution(QuditModel(8, 3), rho1, times, method="full", options=dict(memory_limit=2**28))
    assert exact_evolution(model, rho1, times, method="qudit", options=TIGHT).method == "full"


def ladder(N):
    """Three levels g, e, r: drives g-e and e-r, a Rydberg interaction V n_r n_r and r -> g decay at the
    rate 0.5 (1 + 2 n_r) (the Rydberg density of the whole system), e -> g at 0.3."""
    H1 = np.zeros((3, 3))
    H1[0, 1] = H1[1, 0] = 1.0
    H1[1, 2] = H1[2, 1] = 0.7
    nr = np.diag([0, 0, 1.0])
    decay, decay2 = np.zeros((3, 3)), np.zeros((3, 3))
    decay[0, 2] = decay2[0, 1] = 1
    return QuditModel(N, 3, eps=components(H1, 3), h=1.5 * np.outer(components(nr, 3), components(nr, 3)),
                      channels=[QuditChannel(decay, rate=lambda x: 0.5 * (1 + 2 * x), r=components(nr, 3)),
                                QuditChannel(decay2, rate=0.3)])


def _distance_to_mean_field(Ns):
    times = np.linspace(0, 2, 9)
    rho1 = np.diag([1.0, 0, 0]).astype(complex)
    mf = mean_field(ladder(2), rho1, times, options=TIGHT).mean
    opts = ODEOptions(rtol=1e-9, atol=1e-11)
    return np.array([np.abs(exact_evolution(ladder(N), rho1, times, options=opts).mean - mf).max() for N in Ns])


@pytest.mark.slow
def test_mean_field_is_approached_like_one_over_n():
    Ns = np.array([4, 7, 10])
    err = _distance_to_mean_field(Ns)
    # measured N * error 0.137, 0.149, 0.152: the 1/N law of the paper's Theorem 1
    assert np.all(np.diff(err) < 0), err
    np.testing.assert_allclose(Ns * err, (Ns * err)[-1], rtol=0.15)


@pytest.mark.slow
def test_mean_field_is_approached_like_one_over_n_to_16():
    Ns = np.array([10, 13, 16])
    err = _distance_to_mean_field(Ns)
    assert np.all(np.diff(err) < 0), err
    np.testing.assert_allclose(Ns * err, (Ns * err)[-1], rtol=0.05)
