"""A rotated quantisation axis (trajectories/sectors/frame.py, docs/theory.md §14).

When every Delta of a block lies along one axis n_b, run_ensemble rotates n_b to z and runs the
banded path. Checked here: the rotations themselves; the rotated initial states against the spin-j
rotation matrices; the rotated model, evolved exactly and rotated back, against the exact evolution
of the model (to 1e-9); trajectories through the rotated frame against the exact solvers (4 standard
errors) and, at N = 4000 (far beyond the dense path's reach), against the mean-field ODE.
"""
import numpy as np
import pytest
from scipy.linalg import expm

from models import BlockModel, Channel, SpinModel
from models.hopfield import hopfield_rates
from trajectories import (cat_state, coherent_state, dicke_state, exact_evolution, mean_field, product_state,
                          run_ensemble)
from trajectories.sectors.dicke import spin_matrices
from trajectories.sectors.frame import (PAULI, delta_axes, quantisation_frame, rotate_model, rotation_to_z,
                                        spin_half_rotation)

from systems import GENERAL_OP
from test_trajectories_exact import assert_agrees

TIMES = np.linspace(0.0, 2.0, 5)
AXES = [(0.3, 0, 1), (1, 0, 0), (0, -1, 0), (0.2, -0.5, -0.7), (1e-9, 0, -1), (0, 0, 1), (-0.6, 0.8, 0)]


@pytest.mark.parametrize("n", AXES)
def test_rotation_to_z_is_proper_and_takes_n_to_z(n):
    R = rotation_to_z(n)
    assert np.allclose(R @ R.T, np.eye(3), atol=1e-12) and np.isclose(np.linalg.det(R), 1.0)
    u = np.asarray(n, float) / np.linalg.norm(n)
    image = R @ u
    assert np.allclose(image[:2], 0, atol=1e-12) and abs(abs(image[2]) - 1) < 1e-12


@pytest.mark.parametrize("axis, angle", [((1, 0, 0), 0.3), ((0.2, 0.5, -1), 2.0), ((0, 1, 1), np.pi - 1e-9),
                                         ((1, -2, 0.5), np.pi), ((0, 0, 1), 0.0)])
def test_spin_half_rotation_represents_the_rotation(axis, angle):
    """V sigma_c V^+ = sum_a R_ac sigma_a, including angles at and near pi."""
    u = np.asarray(axis, float) / np.linalg.norm(axis)
    K = np.array([[0, -u[2], u[1]], [u[2], 0, -u[0]], [-u[1], u[0], 0]])
    R = expm(angle * K)
    V = spin_half_rotation(R)
    assert np.allclose(V @ V.conj().T, np.eye(2), atol=1e-12)
    for c in range(3):
        assert np.allclose(V @ PAULI[c] @ V.conj().T, np.einsum("a,aij->ij", R[:, c], PAULI), atol=1e-9)


def spin_rotation(V, j):
    """The spin-j representation of the SU(2) matrix V (basis m = j..-j)."""
    jz, jp, jm = spin_matrices(j)
    J = [(jp + jm) / 2, (jp - jm) / 2j, jz]
    cos = np.clip(np.real(np.trace(V)) / 2, -1, 1)
    alpha = 2 * np.arccos(cos)
    if alpha < 1e-14:
        return np.eye(jz.shape[0], dtype=complex)
    u = np.array([np.real(1j * np.trace(V @ P)) / 2 for P in PAULI]) / np.sin(alpha / 2)
    return expm(-1j * alpha * sum(c * Ja for c, Ja in zip(u, J)))


def frame_of(sizes, axes):
    return np.stack([rotation_to_z(n) for n in axes])


@pytest.mark.parametrize("state", [coherent_state(theta=[0.4, 2.5], phi=[0.3, -1.0]), cat_state(),
                                   dicke_state(j=[2.5, 1], m=[0.5, -1]), dicke_state()],
                         ids=["coherent", "cat", "dicke-low-j", "dicke-top"])
def test_rotated_states_are_U_psi(state):
    """InitialState.rotated = the spin-j rotation of each block's part, up to one global phase
    (for the cat state the relative phase of its two branches is part of the check)."""
    sizes, axes = (5, 2), [(0.3, 0, 1), (0.2, -0.5, -0.7)]
    frame = frame_of(sizes, axes)
    tj, psi = state.sample(sizes, None)
    tj2, rotated = state.rotated(sizes, frame).sample(sizes, None)
    assert np.array_equal(tj, tj2)
    box = tuple(slice((n - t) // 2, (n + t) // 2 + 1) for n, t in zip(sizes, tj))
    D = np.kron(*[spin_rotation(spin_half_rotation(R), t / 2) for R, t in zip(frame, tj)])
    expect = D @ psi.reshape([n + 1 for n in sizes])[box].ravel()
    got = rotated.reshape([n + 1 for n in sizes])[box].ravel()
    assert np.linalg.norm(rotated) == pytest.approx(np.linalg.norm(got))  # nothing outside |m_b| <= j_b
    assert abs(np.vdot(expect, got)) == pytest.approx(1.0, abs=1e-10)


def test_rotated_product_state_has_rotated_bloch_vectors():
    frame = frame_of((4, 3), [(1, 0, 0), (0.3, 0.4, 0.5)])
    state = product_state([[0.2, 0.3, 0.5], [0.0, -0.6, 0.1]])
    r = state.rotated((4, 3), frame).bloch((4, 3))
    assert np.allclose(r, np.einsum("bac,bc->ba", frame, state.bloch((4, 3))))


def axes_model():
    """Two blocks (4, 3) with Deltas along (0.3, 0, 1) in block 0 and (0.4, -0.5, 0.2) in block 1
    (each Delta mixes both blocks), every field and coupling component, sigma_-, sigma_+, a general
    local operator and a collective channel."""
    rng = np.random.default_rng(11)
    J = rng.normal(size=(2, 2, 3, 3))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    n0, n1 = np.array([0.3, 0, 1.0]), np.array([0.4, -0.5, 0.2])
    d1, d2 = np.stack([0.8 * n0, -0.5 * n1]), np.stack([-0.4 * n0, 1.2 * n1])
    gp, gm = hopfield_rates(2.0)
    chans = [Channel("plus", gamma=gp, delta=d1, block=0), Channel("minus", gamma=gm, delta=d1, block=0),
             Channel(GENERAL_OP, gamma=lambda x: 0.5 + 0.2 * x, delta=d2, block=1, offset=0.1),
             Channel([[0.3, 0], [1, -0.3]], rate=lambda x: 0.6 + 0.3 * np.tanh(x), delta=d2, block=1,
                     collective=True)]
    return BlockModel((4, 3), h=rng.normal(size=(2, 3)), J=J, channels=chans)


def test_delta_axes_and_fallback():
    model = axes_model()
    axes = delta_axes(model)
    assert np.allclose(np.cross(axes[0], (0.3, 0, 1)), 0) and np.allclose(np.cross(axes[1], (0.4, -0.5, 0.2)), 0)
    assert quantisation_frame(SpinModel(3, channels=[Channel("minus", gamma=1.0, delta=(0, 0, 1))])) is None
    two_axes = SpinModel(3, channels=[Channel("minus", gamma=1.0, delta=(0.3, 0, 1)),
                                      Channel("plus", gamma=1.0, delta=(0, 0.3, 1))])
    assert delta_axes(two_axes) is None  # no common axis: the majority axis (here the first) is turned to z
    frame = quantisation_frame(two_axes)
    assert np.allclose(frame[0] @ np.array([0.3, 0, 1]) / np.linalg.norm([0.3, 0, 1]), (0, 0, 1))
    mixed = rotate_model(two_axes, frame)
    assert mixed.channels[0].only_z and not mixed.channels[1].only_z    # the second: a Chebyshev series
    rotated = rotate_model(model, quantisation_frame(model))
    assert rotated.only_z


def test_rotated_model_evolves_exactly_as_the_model():
    """The exact evolution of the rotated model from the rotated state, rotated back, is the exact
    evolution of the model (sector solver, every first and second moment)."""
    model, state = axes_model(), coherent_state(theta=[0.7, 2.0], phi=[0.2, 1.1])
    frame = quantisation_frame(model)
    ref = exact_evolution(model, state, TIMES)
    rot = exact_evolution(rotate_model(model, frame), state.rotated(model.sizes, frame), TIMES)
    mean = np.einsum("bca,bct->bat", frame, rot.mean)
    second = np.einsum("bca,bcgdt,gde->baget", frame, rot.second, frame)
    assert np.max(np.abs(mean - ref.mean)) < 1e-9 and np.max(np.abs(second - ref.second)) < 1e-9
    assert np.max(np.abs(rot.mean - ref.mean)) > 0.05  # the frames differ


@pytest.mark.parametrize("state", [coherent_state(theta=[0.7, 2.0], phi=[0.2, 1.1]), cat_state(),
                                   product_state([[0.3, 0.2, 0.6], [-0.5, 0, 0.4]]), dicke_state(m=[1, 0.5])],
                         ids=["coherent", "cat", "product", "dicke"])
def test_trajectories_in_the_rotated_frame_match_the_exact_solver(state):
    model = axes_model()
    ens = run_ensemble(model, state, TIMES, ntraj=600, seed=21)
    assert np.allclose(ens.meta["frame"], quantisation_frame(model))  # the rotated banded path ran
    assert_agrees(ens, exact_evolution(model, state, TIMES))


def test_large_N_follows_mean_field():
    """N = 4000 with Gamma_pm(0.3 m_x + m_z) (the dense path would need ~10^3 GiB): the ensemble mean
    is the mean-field solution within 4 standard errors plus the O(1/N) finite-size bias."""
    N, gp, gm = 4000, *hopfield_rates(2.0)
    model = SpinModel(N, h=(0.5, 0, 0), channels=[Channel("plus", gamma=gp, delta=(0.3, 0, 1)),
                                                  Channel("minus", gamma=gm, delta=(0.3, 0, 1))])
    state, times = coherent_state(theta=0.4), np.linspace(0, 2, 5)
    ens = run_ensemble(model, state, times, ntraj=6, seed=5)
    mf = mean_field(model, state, times)
    assert np.all(np.abs(ens.mean - mf.mean) < 4 * ens.stderr + 5.0 / N)
    assert np.max(np.abs(mf.mean[0, :] - mf.mean[0, 0])) > 0.1  # m_x moves: the comparison is not trivial


def test_banded_and_refusals():
    model = axes_model()
    ens = run_ensemble(model, coherent_state(), TIMES[:2], ntraj=2, seed=1, options={"method": "banded"})
    assert ens.ntraj == 2
    with pytest.raises(ValueError, match="not diagonal in the rotated quantisation frame"):
        run_ensemble(model, coherent_state(), TIMES, ntraj=2, seed=1, distributions=True)
