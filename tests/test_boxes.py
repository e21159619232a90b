"""Per-block boxes (trajectories/engine/box.py): the support of every vector as one digit range per
block. The box helpers against numpy on small grids, and a Hopfield network of two blocks (p = 2,
N = 400) whose trimmed boxes are much smaller than the grid, run with and without trimming from
the same seed: the same jumps, and the same moments to round-off."""
import numpy as np
import pytest

from models import HopfieldNetwork
from models.hopfield import random_patterns
from trajectories import coherent_state
from trajectories.base.grid import diagonal_spec
from trajectories.base.options import TrajectoryOptions
from trajectories.engine.box import box_size, clear_box, flat_hull, norm2, trim_faces, unbounded
from trajectories.engine.compiled import compile_model
from trajectories.engine.driver import Outputs, run_trajectory
from trajectories.engine.propagate import propagate
from trajectories.engine.workspace import Tolerances, load_state, workspace

DIMS = np.array([4, 5, 3])
STRIDES = np.array([15, 3, 1])


def _mask(box):
    """Boolean (G,) of the indices of the 4 x 5 x 3 grid inside box."""
    ks = np.indices(tuple(DIMS)).reshape(3, -1)
    return np.all((ks >= box[0][:, None]) & (ks < box[1][:, None]), axis=0)


def test_box_loops_visit_exactly_the_box():
    rng = np.random.default_rng(0)
    box = np.array([[1, 2, 0], [3, 5, 2]])
    x = rng.normal(size=DIMS.prod()) + 1j * rng.normal(size=DIMS.prod())
    assert box_size(box) == 2 * 3 * 2
    assert norm2(STRIDES, x, box) == pytest.approx(np.sum(np.abs(x[_mask(box)]) ** 2), rel=1e-14)
    lo, hi = flat_hull(STRIDES, box)
    assert (lo, hi) == (np.flatnonzero(_mask(box))[0], np.flatnonzero(_mask(box))[-1] + 1)
    y = x.copy()
    clear_box(STRIDES, y, box)
    assert not y[_mask(box)].any() and np.array_equal(y[~_mask(box)], x[~_mask(box)])


def test_trim_faces_drops_small_faces_only_outside_keep():
    """Faces with every |x|^2 <= cut go (and are zeroed), one at a time from each side; a face inside
    keep, or the last digit of a block, stays."""
    x = np.zeros(DIMS.prod(), complex)
    x[_mask(np.array([[1, 1, 0], [3, 4, 3]]))] = 1.0
    x[_mask(np.array([[0, 0, 0], [4, 5, 3]])) & ~_mask(np.array([[1, 1, 0], [3, 4, 3]]))] = 1e-20
    box, keep, face = np.array([[0, 0, 0], [4, 5, 3]]), np.zeros((2, 3), np.int64), np.zeros((2, 3), np.int64)
    unbounded(keep)
    trim_faces(STRIDES, x, box, keep, 1e-45, face)                   # |1e-20|^2 = 1e-40 > cut: kept
    np.testing.assert_array_equal(box, [[0, 0, 0], [4, 5, 3]])
    trim_faces(STRIDES, x, box, keep, 1e-39, face)
    np.testing.assert_array_equal(box, [[1, 1, 0], [3, 4, 3]])
    assert not x[~_mask(box)].any()
    inner = np.array([[2, 2, 1], [3, 3, 2]])
    x[:] = 1e-30
    box = np.array([[0, 0, 0], [4, 5, 3]])
    trim_faces(STRIDES, x, box, inner, 1.0, face)
    np.testing.assert_array_equal(box, inner)


def _hopfield_run(P, sizes, trim, times, seed):
    """run_trajectory of the coherent start theta = 0.4 with window truncation `trim`: (jumps,
    jump times, channels, first moments (T, B, 3))."""
    opt = TrajectoryOptions()
    tj0, psi0 = coherent_state(0.4).sample(sizes, None)
    B, T = len(sizes), len(times)
    spec = diagonal_spec(sizes)
    out = Outputs(np.zeros((T, B, 3), complex), np.zeros((T, 3 * B, 3 * B), complex), spec.bin_of, spec.table,
                  np.zeros((T, spec.nbins)), np.zeros((T, 0)), np.zeros((T, B), np.int64))
    rng = np.random.Generator(np.random.PCG64(seed))
    ws = workspace(P, tj0, opt.max_terms)
    n, jt, jl, _ = run_trajectory(P, ws, psi0, times, rng, opt.tol, opt.root_tol, trim, out, True)
    return n, jt, jl, out.first, out.second


def test_boxes_equal_an_untrimmed_run_of_the_same_seed():
    """p = 2, N = 400 (blocks 197 and 203): with the default trimming the state's box stays a small
    part of the grid; without trimming (trim = 0: only exact zeros dropped) it is the whole grid. The
    two runs make the same jumps at the same times (to 1e-9) with the same moments (to 1e-9)."""
    net = HopfieldNetwork(random_patterns(2, 400, seed=1), 2.0, 0.5)
    sizes = net.model.sizes
    P = compile_model(net.model)
    opt = TrajectoryOptions()
    tj0, psi0 = coherent_state(0.4).sample(sizes, None)
    ws = workspace(P, tj0, opt.max_terms)
    load_state(P, ws, psi0)
    ws.state[0]["logr"] = -np.inf
    for _ in range(3):
        propagate(P, ws, 1.0, Tolerances(opt.tol, opt.root_tol, opt.trim))
    assert box_size(ws.tbox[0]) < 0.1 * P.grid.G       # measured 7.1 % of G
    times = np.linspace(0, 1.5, 4)
    n, jt, jl, first, second = _hopfield_run(P, sizes, opt.trim, times, seed=5)
    n0, jt0, jl0, first0, second0 = _hopfield_run(P, sizes, 0.0, times, seed=5)
    assert n == n0 > 50
    np.testing.assert_array_equal(jl, jl0)
    np.testing.assert_allclose(jt, jt0, rtol=0, atol=1e-9)
    np.testing.assert_allclose(first, first0, rtol=0, atol=1e-9 * np.max(sizes))
    np.testing.assert_allclose(second, second0, rtol=0, atol=1e-9 * np.max(sizes) ** 2)
