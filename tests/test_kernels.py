"""Unit checks of the Numba kernels against the dense sector operators (sector_ops)."""
import numpy as np
import pytest

from models import BlockModel, Channel, SpinModel
from trajectories.engine.compiled import compile_model
from trajectories.engine.ensemble import ladder_to_moments
from trajectories.engine.driver import (apply_kraus, build_banded, channel_weights, kraus_norm,
                                  matvec_banded, moments)
from trajectories.sectors.operators import SectorOperators, sector_tuples
from trajectories.sectors.states import _embed, _global

from systems import rich_block_model


def _z_only(model):
    """The same model with every Delta reduced to its z components (banded path)."""
    chans = []
    for l, c in enumerate(model.channels):
        d = model.delta(l).copy()
        d[:, :2] = 0
        fn = dict(gamma=c.gamma) if c.gamma is not None else dict(rate=c.rate)
        chans.append(Channel(c.op, delta=d, offset=c.offset, block=c.block, **fn))
    return BlockModel(model.sizes, h=model.h, J=model.J, channels=chans)


def _random_state(sizes, s, rng):
    """A random normalised vector of sector tuple s, in the global layout and compact."""
    vecs = [rng.normal(size=t + 1) + 1j * rng.normal(size=t + 1) for t in s]
    compact = _global(vecs)
    glob = _global([_embed(n, t / 2, v) for n, t, v in zip(sizes, s, vecs)])
    nrm = np.linalg.norm(compact)
    return compact / nrm, glob / nrm


def _gather(P, s, glob):
    ks = [np.arange((n - t) // 2, (n + t) // 2 + 1) for n, t in zip(P.nb.astype(int), s)]
    idx = np.zeros(1, dtype=int)
    for k, st in zip(ks, P.gstride):
        idx = (idx[:, None] + k[None, :] * st).ravel()
    return glob[idx]


@pytest.mark.parametrize("sizes", [(5,), (4,), (3, 2), (2, 1, 2)])
def test_banded_heff_equals_dense(sizes):
    model = _z_only(rich_block_model(sizes))
    P = compile_model(model)
    ops = SectorOperators(model)
    rng = np.random.default_rng(1)
    data = np.zeros((P.offsets.size, P.G), complex)
    y = np.zeros(P.G, complex)
    for s in sector_tuples(sizes):
        build_banded(P, np.array(s, np.int64), data, 0, P.G)
        compact, glob = _random_state(sizes, s, rng)
        lo, hi = matvec_banded(P, data, glob, 0, P.G, y)
        np.testing.assert_allclose(_gather(P, s, y), ops.effective_hamiltonian(s) @ compact, atol=1e-12)


@pytest.mark.parametrize("sizes", [(6,), (3, 2)])
def test_jump_probabilities_and_kraus(sizes):
    """sum_dj ||K Gamma psi||^2 = <Gamma Q Gamma>, and K Gamma psi matches the dense Kraus map."""
    model = _z_only(rich_block_model(sizes))
    P = compile_model(model)
    ops = SectorOperators(model)
    rng = np.random.default_rng(2)
    w = np.zeros(len(model.channels))
    out = np.zeros(P.G, complex)
    for s in sector_tuples(sizes):
        tj = np.array(s, np.int64)
        compact, glob = _random_state(sizes, s, rng)
        channel_weights(P, tj, glob, 0, P.G, w)
        for l in range(len(model.channels)):
            gam = ops.gamma(s, l)
            expected = np.vdot(compact, gam @ ops.no_jump(s, l) @ gam @ compact).real
            assert w[l] == pytest.approx(expected, rel=1e-12, abs=1e-14)
            phi = P.gtab[l] * glob
            norms = [kraus_norm(P, l, dj, tj, phi, 0, P.G) for dj in (1, 0, -1)]
            assert sum(norms) == pytest.approx(expected, rel=1e-12, abs=1e-14)
            for dj, nrm in zip((1, 0, -1), norms):
                K = ops.kraus(s, l, dj)
                if K is None:
                    assert nrm == 0
                    continue
                apply_kraus(P, l, dj, tj, phi, 0, P.G, out, 1.0)
                target = list(s); target[model.channels[l].block] += 2 * dj
                np.testing.assert_allclose(_gather(P, target, out), K @ gam @ compact, atol=1e-12)


@pytest.mark.parametrize("sizes", [(5,), (3, 2)])
def test_moments_equal_dense_expectations(sizes):
    model = _z_only(rich_block_model(sizes))
    P = compile_model(model)
    ops = SectorOperators(model)
    rng = np.random.default_rng(3)
    B = len(sizes)
    u = np.zeros((3 * B, P.G), complex)
    first = np.zeros((B, 3), complex)
    second = np.zeros((3 * B, 3 * B), complex)
    for s in sector_tuples(sizes):
        compact, glob = _random_state(sizes, s, rng)
        moments(P, np.array(s, np.int64), glob, 0, P.G, u, first, second)
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
    assert banded.mode == 0 and dense.mode == 1
    with pytest.raises(ValueError, match="method='banded'"):
        compile_model(rich_block_model(), "banded")
