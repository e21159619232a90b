"""Rates of Deltas that point in different directions: Chebyshev series on the banded path
(trajectories/engine/series.py, docs/theory.md §15).

Checked here: the series itself (accuracy against the function, exact for polynomials, refusal of a
rate that is not smooth); trajectories against the dense per-sector path with the same seed (the
same jumps and moments to round-off); against the exact sector solver within 4 standard errors
(one block, and two blocks whose Deltas mix the blocks) and of the 2^N Lindblad evolution at N = 6;
and at N = 2000, far beyond the dense path's reach, against the mean-field ODE. The kernel-level
checks against the dense operators are the "poly" cases of tests/test_kernels.py.
"""
import numpy as np
import pytest

from models import BlockModel, Channel, SpinModel
from models.hopfield import hopfield_rates
from trajectories import coherent_state, exact_evolution, mean_field, product_state, run_ensemble
from trajectories.engine.compiled import DENSE_AUTO_BYTES, compile_model, dense_matrix_bytes, polynomial_channels
from trajectories.engine.series import MAX_DEGREE, chebyshev_series
from trajectories.sectors.frame import quantisation_frame, rotate_model

from systems import GENERAL_OP, rich_block_model
from test_trajectories_exact import assert_agrees

TIMES = np.linspace(0.0, 2.0, 5)


def two_axes_model(N, beta=2.0):
    """Hopfield amplitudes with Deltas along different axes (0.3 m_x + m_z for sigma_+, 0.3 m_y + m_z
    for sigma_-), a general local operator (Q with J_+- parts) whose rate depends on m_x, and a
    collective channel driven by m_y: no frame makes more than two of them diagonal."""
    gp, gm = hopfield_rates(beta)
    return SpinModel(N, h=(0.5, 0, 0.2), J=np.diag([0.3, 0.0, -0.2]), channels=[
        Channel("plus", gamma=gp, delta=(0.3, 0, 1)),
        Channel("minus", gamma=gm, delta=(0, 0.3, 1)),
        Channel(GENERAL_OP, rate=lambda x: 0.2 * (1 + 0.5 * np.tanh(x)), delta=(0.8, 0, 0)),
        Channel("minus", rate=lambda x: 0.3 + 0.1 * x, delta=(0, 0.5, 0.5), collective=True)])


@pytest.mark.parametrize("tol", [1e-12, 1e-8])
def test_series_is_accurate_to_tol_on_the_whole_interval(tol):
    gp, gm = hopfield_rates(2.0)
    R = np.hypot(0.3, 1.0)
    for f, c0 in ((gp, 0.0), (gm, 0.25)):
        c, bound = chebyshev_series(f, c0, R, tol)
        u = np.linspace(-1, 1, 4001)
        err = np.max(np.abs(np.polynomial.chebyshev.chebval(u, c) - f(c0 + R * u)))
        scale = np.max(np.abs(f(c0 + R * u)))
        assert err <= tol * scale
        assert err > 1e-4 * tol * scale          # cut where the tolerance asks, not far beyond
        assert bound >= np.max(np.abs(np.polynomial.chebyshev.chebval(u, c)))
        assert c.size - 1 < 60


def test_series_of_a_polynomial_is_the_polynomial():
    c, _ = chebyshev_series(lambda x: 0.3 + 0.2 * x ** 2, 0.1, 0.7, 1e-12)
    assert c.size == 3
    u = np.linspace(-1, 1, 11)
    np.testing.assert_allclose(np.polynomial.chebyshev.chebval(u, c), 0.3 + 0.2 * (0.1 + 0.7 * u) ** 2,
                               atol=1e-15)


def test_a_rate_that_is_not_smooth_is_refused():
    with pytest.raises(ValueError, match=rf"channel 0's Gamma is not smooth enough.*{MAX_DEGREE} terms"):
        compile_model(SpinModel(4, channels=[Channel("minus", gamma=np.abs, delta=(1, 0, 0))]))


def test_frame_and_polynomial_channels():
    """The frame turns the axis of the first channel (majority ties go to the first) to z; the other
    three channels keep x/y parts and become polynomial channels."""
    model = two_axes_model(6)
    frame = quantisation_frame(model)
    rotated = rotate_model(model, frame)
    assert polynomial_channels(rotated) == [1, 2, 3]
    P = compile_model(rotated)
    assert P.series.channel.tolist() == [1, 2, 3] and P.series.of_channel.tolist() == [-1, 0, 1, 2]
    deg = P.series.deg
    assert deg[0] > 20 and 0 < deg[1] < deg[0] and 0 < deg[2] < deg[0]


def test_auto_takes_the_faster_exact_path():
    """"auto": the dense matrices while they are small (at most DENSE_AUTO_BYTES; faster there), the
    series beyond (here in a turned frame: meta["path"] "rotated"); a model whose Deltas share an
    axis always the rotated banded path."""
    small, large = two_axes_model(20), two_axes_model(120)
    assert dense_matrix_bytes(small) <= DENSE_AUTO_BYTES < dense_matrix_bytes(large)
    path = lambda m: run_ensemble(m, coherent_state(0.4), [0, 0.01], ntraj=1, seed=1).meta["path"]  # noqa: E731
    assert path(small) == "dense" and path(large) == "rotated"
    gp, gm = hopfield_rates(2.0)
    shared = SpinModel(20, h=(0.5, 0, 0), channels=[Channel("plus", gamma=gp, delta=(0.3, 0, 1)),
                                                   Channel("minus", gamma=gm, delta=(0.3, 0, 1))])
    assert path(shared) == "rotated"


@pytest.mark.parametrize("model, state", [
    (two_axes_model(7), coherent_state(theta=0.7, phi=0.3)),
    (rich_block_model((3, 2)), coherent_state(theta=[0.7, 2.0], phi=[0.2, 1.1])),
], ids=["one-block", "two-blocks"])
def test_same_seed_as_the_dense_path(model, state):
    """The Chebyshev path (in the rotated frame) and the dense per-sector matrices draw the same
    jumps from the same seed: equal jump counts and moments to round-off."""
    a = run_ensemble(model, state, TIMES, ntraj=12, seed=4, options={"method": "banded"})
    b = run_ensemble(model, state, TIMES, ntraj=12, seed=4, options={"method": "dense"})
    assert a.meta["path"] in ("banded", "rotated") and b.meta["path"] == "dense"
    assert a.njumps == b.njumps
    np.testing.assert_allclose(a.mean, b.mean, atol=1e-8)
    np.testing.assert_allclose(a.second, b.second, atol=1e-8)


@pytest.mark.parametrize("state", [
    coherent_state(theta=0.7, phi=0.3),
    pytest.param(product_state([0.3, -0.2, 0.6]), marks=pytest.mark.slow),   # mixed states: test_trajectories_exact
], ids=["coherent", "mixed"])
def test_trajectories_match_the_exact_solver_one_block(state):
    model = two_axes_model(10)
    ens = run_ensemble(model, state, TIMES, ntraj=800, seed=31, options={"method": "banded"})
    assert ens.meta.get("frame") is not None
    assert_agrees(ens, exact_evolution(model, state, TIMES))


@pytest.mark.slow  # the fast check of the series path: test_trajectories_match_the_exact_solver_one_block
def test_trajectories_match_the_full_2N_evolution():
    """The brute-force 2^N Lindblad evolution (N = 6, no sector reduction) as the reference."""
    model, state = two_axes_model(6), coherent_state(theta=1.1, phi=-0.4)
    ens = run_ensemble(model, state, TIMES, ntraj=800, seed=34, options={"method": "banded"})
    assert_agrees(ens, exact_evolution(model, state, TIMES, method="full"))


def test_trajectories_match_the_exact_solver_two_blocks():
    """Two blocks, Deltas that mix the blocks with x, y and z parts in different directions
    (rich_block_model): the generic (multi-block) series."""
    model, state = rich_block_model((3, 2)), coherent_state(theta=[0.7, 2.0], phi=[0.2, 1.1])
    ens = run_ensemble(model, state, TIMES, ntraj=600, seed=32, options={"method": "banded"})
    assert_agrees(ens, exact_evolution(model, state, TIMES))


@pytest.mark.slow
def test_large_N_follows_mean_field():
    """N = 2000 (the dense path would need ~10^2 GiB): the ensemble mean is the mean-field solution
    within 4 standard errors plus the O(1/N) finite-size bias."""
    N = 2000
    model, state, times = two_axes_model(N), coherent_state(theta=0.4), np.linspace(0, 1.5, 4)
    ens = run_ensemble(model, state, times, ntraj=4, seed=5)
    assert ens.meta["path"] == "rotated"
    mf = mean_field(model, state, times)
    assert np.all(np.abs(ens.mean - mf.mean) < 4 * ens.stderr + 5.0 / N)
    assert np.max(np.abs(mf.mean[:, -1] - mf.mean[:, 0])) > 0.1  # the magnetisation moves


def test_two_block_model_with_mixed_axes_runs_banded():
    """Deltas of one block in three directions with blocks of unequal size: a frame per block."""
    gp, gm = hopfield_rates(1.5)
    d0, d1 = np.array([[0.2, 0, 1], [0, 0, 0.5]]), np.array([[0, 0.4, 0.2], [0.3, 0, 1]])
    model = BlockModel((4, 2), h=[(0.5, 0, 0), (0.2, 0.1, 0)], channels=[
        Channel("plus", gamma=gp, delta=d0, block=0), Channel("minus", gamma=gm, delta=d1, block=0),
        Channel("z", rate=0.1, block=1), Channel("minus", gamma=gm, delta=d1, block=1)])
    state = coherent_state(theta=[0.5, 1.0])
    ens = run_ensemble(model, state, TIMES, ntraj=600, seed=33, options={"method": "banded"})
    assert_agrees(ens, exact_evolution(model, state, TIMES))
