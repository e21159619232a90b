"""Unit checks of the Numba kernels against the dense sector operators (sector_ops).

Every step kernel of a trajectory (engine/driver.py) is run on a random state of a sector tuple
and compared with the dense per-tuple operators of SectorOperators (docs/theory.md §2): H_eff,
Gamma_l, Q_l and the Kraus operators K_{s -> s'}. "banded" models have z-only Deltas (diagonal
Gamma, DIA H_eff); "dense" models have x/y parts in Delta (rich_block_model) and run with dense
per-tuple matrices; "poly" is the same model on the banded path, its channels with x/y parts in
Delta applied as Chebyshev series (engine/series.py).
"""
import math

import numpy as np
import pytest
from scipy.linalg import expm
from scipy.optimize import brentq

from models import BlockModel, Channel, SpinModel
from trajectories.base.grid import diagonal_spec
from trajectories.engine.batch import ladder_to_moments
from trajectories.engine.compiled import BandedPath, DensePath, SeriesPath, compile_model
from trajectories.engine.jumps import (Jump, apply_jump, apply_kraus, channel_weights,
                                       choose_channel, choose_sector, sector_weights)
from trajectories.engine.observables import moments, record
from trajectories.engine.propagate import heff_matvec, propagate
from trajectories.engine.series import apply_gamma
from trajectories.engine.workspace import Tolerances, load_state, workspace
from trajectories.reference.sectors import tuple_grid_index
from trajectories.sectors.dicke import JUMP_TARGETS
from trajectories.sectors.operators import SectorOperators, sector_tuples
from trajectories.sectors.states import embed_block, global_vector

from systems import rich_block_model

TOLS = Tolerances(1e-12, 1e-12, 1e-30)
PATHS = [("banded", (4,)), ("banded", (3, 2)), ("dense", (4,)), ("dense", (3, 2)), ("poly", (4,)),
         ("poly", (3, 2))]


def _z_only(model):
    """The same model with every Delta reduced to its z components (banded path)."""
    chans = []
    for l, c in enumerate(model.channels):
        d = model.delta(l).copy()
        d[:, :2] = 0
        fn = dict(gamma=c.gamma) if c.gamma is not None else dict(rate=c.rate)
        chans.append(Channel(c.matrix, delta=d, offset=c.offset, block=c.block, collective=c.collective, **fn))
    return BlockModel(model.sizes, h=model.h, J=model.J, channels=chans)


def _model(path, sizes):
    """rich_block_model(sizes) on the requested path, its compiled arrays and dense operators."""
    model = _z_only(rich_block_model(sizes)) if path == "banded" else rich_block_model(sizes)
    P = compile_model(model, "dense" if path == "dense" else "banded")
    assert isinstance(P, {"banded": BandedPath, "dense": DensePath, "poly": SeriesPath}[path])
    return model, P, SectorOperators(model)


def _random_state(sizes, s, rng):
    """A random normalised vector of sector tuple s, in the global layout and compact."""
    vecs = [rng.normal(size=t + 1) + 1j * rng.normal(size=t + 1) for t in s]
    compact = global_vector(vecs)
    glob = global_vector([embed_block(n, t / 2, v) for n, t, v in zip(sizes, s, vecs)])
    nrm = np.linalg.norm(compact)
    return compact / nrm, glob / nrm


def _gather(P, s, glob):
    ks = [np.arange((n - t) // 2, (n + t) // 2 + 1) for n, t in zip(P.grid.nb.astype(int), s)]
    idx = np.zeros(1, dtype=int)
    for k, st in zip(ks, P.grid.gstride):
        idx = (idx[:, None] + k[None, :] * st).ravel()
    return glob[idx]


def _start(P, s, glob):
    """A workspace holding the state glob (global layout) of sector tuple s."""
    ws = workspace(P, np.array(s, np.int64), 30)
    load_state(P, ws, glob)
    return ws


def _full_box(P):
    """The box (2, B) of the whole grid."""
    return np.array([np.zeros(P.grid.nb.size, np.int64), P.grid.nk])


def _in_box(P, x, box):
    """x (G,) restricted to box (2, B), after checking that it vanishes outside."""
    ks = np.indices(tuple(P.grid.nk)).reshape(P.grid.nb.size, -1)   # the digits of every global index
    mask = np.all((ks >= box[0][:, None]) & (ks < box[1][:, None]), axis=0)
    assert not x[~mask].any()
    return np.where(mask, x, 0)


def _compact(P, ws):
    """The current state of ws as the compact vector of its sector tuple ws.tj."""
    if isinstance(P, DensePath):
        return ws.terms[0, :ws.tbox[0, 1, -1]].copy()
    return _gather(P, tuple(ws.tj), _in_box(P, ws.terms[0], ws.tbox[0]))


#: the jumps of a channel: (index in ws.tw, dj, second), dicke.JUMP_TARGETS
SLOTS = tuple((k, int(dj), int(second)) for k, (dj, second) in enumerate(JUMP_TARGETS))


def _kraus(ops, s, l, dj, second):
    """The dense Kraus operator of a slot, or None when it does not exist."""
    Ks = ops.kraus(s, l, dj)
    return Ks[second] if second < len(Ks) else None


def _same_ray(a, b, atol):
    """a and b (normalised) equal up to a global phase."""
    phase = np.vdot(a, b)
    assert abs(abs(phase) - 1) < atol
    np.testing.assert_allclose(a * phase / abs(phase), b, atol=atol)


# ---------------------------------------------------------------------------------------------
# primitives

@pytest.mark.parametrize("coupled", [True, False])
@pytest.mark.parametrize("sizes", [(5,), (4,), (3, 2), (2, 1, 2)])
def test_banded_heff_equals_dense(sizes, coupled):
    """f (H_eff - c) x equals the dense per-tuple operator on every sector tuple, and its box is x's
    widened by the Hamiltonian's reach: with couplings J the Hamiltonian is stored by diagonals with
    the rate rows (collective channels, J_+- parts of Q), without them applied matrix-free."""
    model = _z_only(rich_block_model(sizes))
    if not coupled:
        model = BlockModel(sizes, h=model.h, J=np.zeros_like(model.J), channels=model.channels)
    P = compile_model(model)
    assert P.rates.offsets.size and (P.terms.off.size == 0) == coupled and (P.terms.quad_d.size > 0) == coupled
    ops = SectorOperators(model)
    rng = np.random.default_rng(1)
    y = np.zeros(P.grid.G, complex)
    full, ybox = _full_box(P), np.zeros((2, len(sizes)), np.int64)
    c, f = 0.3 - 0.2j, 0.7 + 0.4j
    for s in sector_tuples(sizes):
        compact, glob = _random_state(sizes, s, rng)
        ws = _start(P, s, glob)
        heff_matvec(P, ws, glob, full, y, ybox, c, f)
        assert (ybox == full).all()
        expected = f * (ops.effective_hamiltonian(s) @ compact - c * compact)
        np.testing.assert_allclose(_gather(P, s, y), expected, atol=1e-12)


@pytest.mark.parametrize("sizes", [(5,), (4,), (3, 2), (2, 1, 2)])
def test_polynomial_heff_and_gamma_equal_dense(sizes):
    """With x/y parts in Delta (rich_block_model on the banded path; with several blocks also a
    Delta on two blocks): H_eff x (DIA rows plus the polynomial channels' Chebyshev series) and
    Gamma_l x equal the dense per-tuple operators, on every sector tuple, to 1e-12."""
    model = rich_block_model(sizes)
    if len(sizes) > 1:   # and a Delta with x/y parts on two blocks (the generic series)
        d = np.zeros((len(sizes), 3))
        d[0], d[-1] = (0.3, 0.2, 0.5), (0.4, 0.0, -0.3)
        model = BlockModel(sizes, h=model.h, J=model.J, channels=[
            *model.channels, Channel("plus", gamma=lambda x: np.exp(0.5 * x), delta=d, block=len(sizes) - 1)])
    P = compile_model(model, "banded")
    assert (P.series.nblk > 1).any() == (len(sizes) > 1)
    ops = SectorOperators(model)
    rng = np.random.default_rng(11)
    y = np.zeros(P.grid.G, complex)
    for s in sector_tuples(sizes):
        compact, glob = _random_state(sizes, s, rng)
        ws = _start(P, s, glob)
        ybox = np.zeros((2, len(sizes)), np.int64)
        heff_matvec(P, ws, glob, _full_box(P), y, ybox, 0j, 1 + 0j)
        full = _in_box(P, y, ybox)
        np.testing.assert_allclose(_gather(P, s, full), ops.effective_hamiltonian(s) @ compact, atol=1e-12)
        y[:] = 0
        for l in P.series.channel:
            lo, hi = apply_gamma(P, ws.lad, ws.scratch[3:6], ws.real, l, glob, 0, P.grid.G, y)
            full[:] = 0
            full[lo:hi] = y[lo:hi]
            np.testing.assert_allclose(_gather(P, s, full), ops.gamma(s, l) @ compact, atol=1e-12)


@pytest.mark.parametrize("sizes", [(6,), (3, 2)])
def test_jump_probabilities_and_kraus(sizes):
    """sum_dj ||K Gamma psi||^2 = <Gamma Q Gamma>, and K Gamma psi matches the dense Kraus map."""
    model = _z_only(rich_block_model(sizes))
    P = compile_model(model)
    ops = SectorOperators(model)
    rng = np.random.default_rng(2)
    out = np.zeros(P.grid.G, complex)
    for s in sector_tuples(sizes):
        tj = np.array(s, np.int64)
        compact, glob = _random_state(sizes, s, rng)
        ws = _start(P, s, glob)
        w = channel_weights(P, ws)
        for l in range(len(model.channels)):
            gam = ops.gamma(s, l)
            expected = np.vdot(compact, gam @ ops.no_jump(s, l) @ gam @ compact).real
            assert w[l] == pytest.approx(expected, rel=1e-12, abs=1e-14)
            assert sector_weights(P, ws, l) == len(SLOTS)
            norms = list(ws.tw)
            assert sum(norms) == pytest.approx(expected, rel=1e-12, abs=1e-14)
            phi = P.rates.gtab[l] * glob
            for (_, dj, second), nrm in zip(SLOTS, norms):
                K = _kraus(ops, s, l, dj, second)
                if K is None:
                    assert nrm == 0
                    continue
                apply_kraus(P, l, dj, second, tj, phi, _full_box(P), out, np.zeros((2, len(sizes)), np.int64), 1.0)
                target = list(s); target[model.channels[l].block] += 2 * dj
                np.testing.assert_allclose(_gather(P, target, out), K @ gam @ compact, atol=1e-12)


@pytest.mark.parametrize("sizes", [(5,), (3, 2)])
def test_moments_equal_dense_expectations(sizes):
    model = _z_only(rich_block_model(sizes))
    P = compile_model(model)
    ops = SectorOperators(model)
    rng = np.random.default_rng(3)
    B = len(sizes)
    u = np.zeros((3 * B, P.grid.G), complex)
    first = np.zeros((B, 3), complex)
    second = np.zeros((3 * B, 3 * B), complex)
    for s in sector_tuples(sizes):
        compact, glob = _random_state(sizes, s, rng)
        moments(P.grid, np.array(s, np.int64), glob, _full_box(P), u, np.zeros((2, B), np.int64), first, second)
        assert not u.any()   # left zero
        _check_moments(ops, s, compact, first, second)


def _check_moments(ops, s, compact, first, second):
    """first, second (ladder moments of the kernels) against dense <m_a^b>, <{m_a^b, m_c^g}>/2."""
    sizes = ops.sizes
    B = len(sizes)
    mean, sec = ladder_to_moments(first, second, sizes)
    m = [[ops.collective(s, b, a) / sizes[b] for a in range(3)] for b in range(B)]
    for b in range(B):
        for a in range(3):
            assert mean[b, a] == pytest.approx(np.vdot(compact, m[b][a] @ compact).real, abs=1e-12)
            for g in range(B):
                for c in range(3):
                    sym = (m[b][a] @ m[g][c] + m[g][c] @ m[b][a]) / 2
                    assert sec[b, a, g, c] == pytest.approx(np.vdot(compact, sym @ compact).real, abs=1e-12)


def test_banded_and_dense_paths_compile_the_same_model():
    model = hopfield_like = SpinModel(N=6, h=(0.5, 0, 0.1), J=np.diag([0.2, 0, 0.3]),
                                      channels=[Channel("minus", gamma=lambda x: 1 + 0.3 * x, delta=(0, 0, 1))])
    banded, dense = compile_model(hopfield_like, "banded"), compile_model(model, "dense")
    assert isinstance(banded, BandedPath) and isinstance(dense, DensePath)
    poly = compile_model(rich_block_model())     # channels 2 and 4 have x/y parts in Delta
    assert isinstance(poly, SeriesPath)
    assert poly.series.channel.tolist() == [2, 4] and poly.series.of_channel.tolist() == [-1, -1, 0, -1, 1]
    assert not poly.rates.gtab[2].any() and poly.rates.noj_l.tolist() == [3] and poly.rates.coll_l.size == 0


# ---------------------------------------------------------------------------------------------
# the step kernels of run_trajectory, on both paths

@pytest.mark.parametrize("path, sizes", PATHS)
def test_propagate_equals_expm(path, sizes):
    """Steps without a jump up to t_out: psi = exp(-i H_eff t) psi0 / norm (up to a global phase),
    lognorm = log ||exp(-i H_eff t) psi0||^2, t = t_out exactly."""
    model, P, ops = _model(path, sizes)
    rng = np.random.default_rng(4)
    t_out = 0.7
    steps = 0
    for s in sector_tuples(sizes)[:3]:
        compact, glob = _random_state(sizes, s, rng)
        ws = _start(P, s, glob)
        st = ws.state[0]
        st["logr"] = -np.inf
        while st["t"] < t_out:
            assert not propagate(P, ws, t_out, TOLS)
            steps += 1
        assert st["t"] == t_out
        exact = expm(-1j * ops.effective_hamiltonian(s) * t_out) @ compact
        norm2 = np.vdot(exact, exact).real
        assert norm2 < 0.99
        assert st["lognorm"] == pytest.approx(math.log(norm2), abs=1e-10)
        _same_ray(_compact(P, ws), exact / math.sqrt(norm2), 1e-10)
    assert steps > 6


@pytest.mark.parametrize("path, sizes", PATHS)
def test_jump_time_is_the_norm_crossing(path, sizes):
    """propagate stops at the time t* where ||exp(-i H_eff t) psi0||^2 = r, with psi(t*) there."""
    model, P, ops = _model(path, sizes)
    rng = np.random.default_rng(5)
    T = 4.0
    for s in sector_tuples(sizes)[:3]:
        compact, glob = _random_state(sizes, s, rng)
        Heff = ops.effective_hamiltonian(s)
        evolve = lambda t: expm(-1j * Heff * t) @ compact  # noqa: E731
        logn = lambda t: math.log(np.vdot(evolve(t), evolve(t)).real)  # noqa: E731
        assert logn(T) < -0.2
        logr = 0.6 * logn(T)
        t_star = brentq(lambda t: logn(t) - logr, 0.0, T, xtol=1e-14, rtol=1e-15)
        ws = _start(P, s, glob)
        st = ws.state[0]
        st["logr"] = logr
        while not propagate(P, ws, T, TOLS):
            assert st["t"] < T
        assert st["t"] == pytest.approx(t_star, abs=1e-10)
        exact = evolve(t_star)
        _same_ray(_compact(P, ws), exact / np.linalg.norm(exact), 1e-10)


@pytest.mark.parametrize("path, sizes", PATHS)
def test_channel_weights_equal_gamma_q_gamma(path, sizes):
    """w[l] = <psi| Gamma_l Q_l Gamma_l |psi> on every sector tuple."""
    model, P, ops = _model(path, sizes)
    rng = np.random.default_rng(6)
    for s in sector_tuples(sizes):
        compact, glob = _random_state(sizes, s, rng)
        w = channel_weights(P, _start(P, s, glob))
        for l in range(len(model.channels)):
            gam = ops.gamma(s, l)
            expected = np.vdot(compact, gam @ ops.no_jump(s, l) @ gam @ compact).real
            ch = model.channels[l]
            assert expected > 1e-3 or (ch.collective and s[ch.block] == 0)   # S_o vanishes on j = 0
            assert w[l] == pytest.approx(expected, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("path, sizes", PATHS)
def test_sector_weights_equal_kraus_norms(path, sizes):
    """The jump weights of channel l: ||K_{s -> s'} Gamma_l psi||^2 for j_b -> j_b + 1, j_b, j_b - 1, and
    Gamma_l psi left in work."""
    model, P, ops = _model(path, sizes)
    rng = np.random.default_rng(7)
    for s in sector_tuples(sizes):
        compact, glob = _random_state(sizes, s, rng)
        ws = _start(P, s, glob)
        for l in range(len(model.channels)):
            phi = ops.gamma(s, l) @ compact
            assert sector_weights(P, ws, l) == len(SLOTS)
            support = _in_box(P, ws.work, ws.wbox)
            np.testing.assert_allclose(_gather(P, s, support), phi, atol=1e-12)
            for k, dj, second in SLOTS:
                got = ws.tw[k]
                K = _kraus(ops, s, l, dj, second)
                expected = 0.0 if K is None else np.linalg.norm(K @ phi) ** 2
                assert got == pytest.approx(expected, rel=1e-10, abs=1e-14)


@pytest.mark.parametrize("path, sizes", PATHS)
def test_apply_jump_equals_kraus_of_gamma(path, sizes):
    """psi -> K_{s -> s'} Gamma_l psi / ||K Gamma_l psi|| in the target tuple s', for every channel
    and every reachable target; on the dense path the global scratch is left zero."""
    model, P, ops = _model(path, sizes)
    rng = np.random.default_rng(8)
    checked = 0
    for s in sector_tuples(sizes):
        compact, glob = _random_state(sizes, s, rng)
        for l in range(len(model.channels)):
            for k, dj, second in SLOTS:
                K = _kraus(ops, s, l, dj, second)
                ws = _start(P, s, glob)
                sector_weights(P, ws, l)
                norm = ws.tw[k]
                if K is None or norm < 1e-12:
                    continue
                apply_jump(P, ws, Jump(l, k, norm), TOLS.trim)
                target = ops.target(s, l, dj)
                assert tuple(ws.tj) == target
                expected = K @ ops.gamma(s, l) @ compact
                np.testing.assert_allclose(_compact(P, ws), expected / np.linalg.norm(expected), atol=1e-12)
                assert not ws.glob.any()
                checked += 1
    assert checked > 3 * len(model.channels)


@pytest.mark.parametrize("path, sizes", PATHS)
def test_record_equals_dense_expectations(path, sizes):
    """The recorded moments of the current state equal the dense expectations."""
    model, P, ops = _model(path, sizes)
    rng = np.random.default_rng(9)
    B = len(sizes)
    for s in sector_tuples(sizes):
        compact, glob = _random_state(sizes, s, rng)
        ws = _start(P, s, glob)
        first = np.zeros((B, 3), complex)
        second = np.zeros((3 * B, 3 * B), complex)
        spec = diagonal_spec(sizes, {"sum": np.ones(B)}, {"f": lambda *m: np.cos(sum(m)) + m[0] ** 3})
        hist, obs = np.full(spec.nbins, np.nan), np.full(1, np.nan)
        record(P, ws, first, second, spec.bin_of, spec.table, hist, obs)
        _check_moments(ops, s, compact, first, second)
        assert not ws.glob.any()
        # the diagonal quantities are |amplitude|^2 summed on the grid, from the compact vector
        p = np.zeros(P.grid.G)
        np.add.at(p, tuple_grid_index(sizes, s), np.abs(compact) ** 2)
        np.testing.assert_allclose(hist, np.bincount(spec.bin_of.ravel(), np.tile(p, len(spec.bin_of)),
                                                     spec.nbins), atol=1e-13)
        np.testing.assert_allclose(obs, spec.table @ p, atol=1e-13)


def test_choose_channel_follows_the_weights():
    """Channel l is the first whose cumulative weight exceeds x = u sum(w); zero weights never."""
    w = np.array([0.3, 0.0, 1.2, 0.5])
    picked = np.zeros(w.size, int)
    for seed in range(400):
        l = choose_channel(w, np.random.default_rng(seed))
        x = np.random.default_rng(seed).random() * w.sum()
        assert l == np.searchsorted(np.cumsum(w), x, side="right")
        picked[l] += 1
    assert picked[1] == 0
    np.testing.assert_allclose(picked / 400, w / w.sum(), atol=0.08)


def test_choose_sector_follows_the_weights():
    """The Kraus operators k = up, stay, stay2, down (dicke.JUMP_TARGETS) with probability
    proportional to their weights; the Jump carries k and its weight."""
    weights = np.array([0.2, 0.4, 0.1, 0.3])
    counts = np.zeros(4, int)
    edges = np.cumsum(weights)
    for seed in range(400):
        jump = choose_sector(2, weights, 4, np.random.default_rng(seed))
        x = np.random.default_rng(seed).random() * edges[-1]
        k = int(np.searchsorted(edges, x, side="right"))
        assert jump == Jump(2, k, weights[k])
        counts[k] += 1
    assert counts[0] > 50 and counts[1] > 120 and counts[2] > 20 and counts[3] > 80
    assert choose_sector(0, np.array([0.0, 0.0, 0.0, 1.0]), 4, np.random.default_rng(1)).target == 3
