"""trajectories/symmetry/unitary.py (U(d) irreps, GT bases, Pieri couplings, local-jump Kraus
operators, product states) against brute force on the full space (C^d)^(x)N.

Reference Schur basis (independent of the module's closed formulas): for every lam, the space of
intertwiners X: V_lam -> (C^d)^(x)N (E_ab X = X E^lam_ab for the collective E_ab built from
Kronecker products and the module's GT matrices E^lam_ab) is found as a null space. Its dimension
must be f_lam; an orthonormal basis of it gives W[:, i, alpha] = |lam, pattern i, alpha>, and the
W of all lam together must be orthonormal and complete. The generators are checked on their own
(commutation relations, Casimir, the Dicke spin matrices), so this fixes the Schur-Weyl
decomposition without using the Pieri or Kraus formulas.
"""
import ast
import itertools
import math
from functools import lru_cache, reduce
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from trajectories.sectors import dicke
from trajectories.sectors.states import spinor_amplitudes
from trajectories.symmetry import unitary as U

SMALL = [(2, 3), (2, 4), (2, 5), (3, 2), (3, 3), (3, 4), (4, 2), (4, 3)]  # (d, N) with a full-space reference


# ----------------------------------------------------------------------------- brute-force reference

def unit(d, a, b):
    e = np.zeros((d, d))
    e[a, b] = 1.0
    return e


def site(op, k, N):
    """op on site k of N (site 0 most significant in the product basis)."""
    d = op.shape[0]
    return reduce(np.kron, [op if i == k else np.eye(d) for i in range(N)])


def collective(op, N):
    return sum(site(op, k, N) for k in range(N))


@lru_cache(maxsize=None)
def full_generators(d, N):
    return {(a, b): collective(unit(d, a, b), N) for a in range(d) for b in range(d)}


@lru_cache(maxsize=None)
def occupations(d, N):
    """(d^N, d): occupation numbers of each product basis state."""
    digits = np.array(list(itertools.product(range(d), repeat=N))).reshape(d**N, N)
    return np.stack([(digits == a).sum(axis=1) for a in range(d)], axis=1)


def kernel(A, tol=1e-9):
    _, s, vh = np.linalg.svd(A, full_matrices=False)
    return vh[int((s > tol * max(1.0, s[0])).sum()):].T


@lru_cache(maxsize=None)
def schur_basis(d, N):
    """{lam: W (d^N, dim_lam, mult)}, W real with E_ab W[:, :, alpha] = W[:, :, alpha] E^lam_ab."""
    E, occ, basis = full_generators(d, N), occupations(d, N), {}
    n = d**N
    for lam in U.partitions(N, d):
        w = U.weights(lam)
        dim = len(w)
        allowed = (occ[:, None, :] == w[None, :, :]).all(axis=2)  # X[v, i] != 0 only at equal weight
        cols = np.flatnonzero(allowed.ravel(order="F"))
        rows = []
        for a in range(d - 1):
            for x, y in ((a, a + 1), (a + 1, a)):
                g = U.generator(lam, x, y).toarray()
                A = sp.kron(sp.identity(dim), sp.csr_matrix(E[x, y])) - sp.kron(sp.csr_matrix(g.T), sp.identity(n))
                rows.append(A.tocsc()[:, cols].toarray())
        K = kernel(np.vstack(rows)) if rows else np.eye(len(cols))
        W = np.zeros((n * dim, K.shape[1]))
        W[cols] = K
        basis[lam] = W.reshape(n, dim, K.shape[1], order="F") * math.sqrt(dim)
    return basis


def embed(blocks, basis):
    """(+)_lam rho_lam (x) 1/f_lam on the full space."""
    return sum(np.einsum("via,ij,uja->vu", W, blocks[lam], W.conj()) / W.shape[2]
               for lam, W in basis.items() if lam in blocks)


def reduce_blocks(Y, basis):
    """{lam: sum_alpha <lam, ., alpha| Y |lam, ., alpha>} (the reduced blocks of Y)."""
    return {lam: np.einsum("via,vu,uja->ij", W.conj(), Y, W) for lam, W in basis.items()}


def random_density(n, rng):
    A = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    rho = A @ A.conj().T
    return rho / np.trace(rho).real


def random_operator(d, rng):
    return rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)) + (0.7 - 0.4j) * np.eye(d)


def hook_length_dimension(lam):
    """f_lam by the hook-length formula (independent of the module's formula)."""
    cols = [sum(1 for x in lam if x > c) for c in range(lam[0] if lam else 0)]
    hooks = math.prod(lam[i] - c + cols[c] - i - 1 for i in range(len(lam)) for c in range(lam[i]))
    return math.factorial(sum(lam)) // hooks


def all_partitions(max_n, d):
    return [lam for n in range(max_n + 1) for lam in U.partitions(n, d)]


def shift(lam, r, by):
    return tuple(x + by * (i == r) for i, x in enumerate(lam))


def is_partition(lam):
    return list(lam) == sorted(lam, reverse=True) and min(lam) >= 0


def kraus_map(entries, rho):
    out = {}
    for target, K in entries:
        out[target] = out.get(target, 0) + K @ rho @ K.conj().T
    return out


# ----------------------------------------------------------------------------- combinatorics

@pytest.mark.parametrize("d, N", [(1, 4), (2, 7), (3, 6), (4, 5), (5, 4)])
def test_partitions_dimensions_and_branching(d, N):
    parts = U.partitions(N, d)
    assert parts == sorted(parts, reverse=True) and len(set(parts)) == len(parts)
    assert all(len(p) == d and sum(p) == N and list(p) == sorted(p, reverse=True) for p in parts)
    brute = {tuple(sorted(c, reverse=True)) for c in itertools.product(range(N + 1), repeat=d) if sum(c) == N}
    assert set(parts) == brute
    assert sum(U.weyl_dimension(p) * U.specht_dimension(p) for p in parts) == d**N
    for lam in parts:
        assert len(U.gt_patterns(lam)) == U.weyl_dimension(lam)
        f = U.specht_dimension(lam)
        assert f == hook_length_dimension(lam)
        assert U.log_specht_dimension(lam) == pytest.approx(math.log(f), abs=1e-12)
        removable = [r for r in range(d) if lam[r] > (lam[r + 1] if r + 1 < d else 0)]
        assert sum(U.specht_dimension(tuple(x - (i == r) for i, x in enumerate(lam))) for r in removable) == f
        for r in range(d):
            mu = tuple(x - (i == r) for i, x in enumerate(lam))
            want = U.specht_dimension(mu) / f if r in removable else 0.0
            assert U.specht_ratio(lam, r) == pytest.approx(want, rel=1e-12, abs=1e-15)
    if N:
        assert sum(U.specht_ratio(lam, r) for r in range(d)) == pytest.approx(1.0, rel=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=6))
def test_specht_branching_property(entries):
    lam = tuple(sorted(entries, reverse=True))
    if sum(lam) == 0:
        return
    f = U.specht_dimension(lam)
    assert sum(U.specht_ratio(lam, r) for r in range(len(lam))) == pytest.approx(1.0, rel=1e-10)
    assert U.log_specht_dimension(lam) == pytest.approx(math.log(f), rel=1e-12)
    assert f == hook_length_dimension(tuple(x for x in lam if x))


@pytest.mark.parametrize("lam", [(3, 1, 0), (4, 2, 1), (2, 1, 1, 0), (5, 0), (2, 2, 1, 1, 0)])
def test_gt_patterns_interlace_in_descending_order(lam):
    d, pats = len(lam), U.gt_patterns(lam)
    assert pats.shape == (U.weyl_dimension(lam), d * (d + 1) // 2) and not pats.flags.writeable
    rows = [pats[:, d * (d + 1) // 2 - l * (l + 1) // 2:][:, :l] for l in range(d + 1)]
    assert np.array_equal(rows[d], np.broadcast_to(lam, (len(pats), d)))
    for l in range(1, d):
        assert np.all(rows[l + 1][:, :-1] >= rows[l]) and np.all(rows[l] >= rows[l + 1][:, 1:])
    assert [tuple(p) for p in pats.tolist()] == sorted(map(tuple, pats.tolist()), reverse=True)
    assert pats[0].tolist() == [x for l in range(d, 0, -1) for x in lam[:l]]  # highest weight first
    sums = np.stack([np.zeros(len(pats), int)] + [r.sum(axis=1) for r in rows[1:]], axis=1)
    assert np.array_equal(U.weights(lam), np.diff(sums, axis=1))
    assert all(U.pattern_index(lam)[tuple(p)] == i for i, p in enumerate(pats.tolist()))


# ----------------------------------------------------------------------------- generators

GENERATOR_CASES = all_partitions(6, 3) + [(10, 5, 2), (4, 3, 1, 0), (3, 2, 2, 1), (2, 1, 1, 0, 0), (7, 0), (1,)]


@pytest.mark.parametrize("lam", GENERATOR_CASES)
def test_generator_commutators_and_casimir(lam):
    d = len(lam)
    E = {(a, b): U.generator(lam, a, b).toarray() for a in range(d) for b in range(d)}
    for a, b, c, e in itertools.product(range(d), repeat=4):
        lhs = E[a, b] @ E[c, e] - E[c, e] @ E[a, b]
        np.testing.assert_allclose(lhs, (b == c) * E[a, e] - (a == e) * E[c, b], atol=1e-11)
    casimir = sum(E[a, b] @ E[b, a] for a in range(d) for b in range(d))
    value = sum(x * (x + d + 1 - 2 * i) for i, x in enumerate(lam, start=1))
    np.testing.assert_allclose(casimir, value * np.eye(len(casimir)), atol=1e-10)
    for a in range(d):
        np.testing.assert_array_equal(np.diag(E[a, a]), U.weights(lam)[:, a])
        for b in range(d):
            np.testing.assert_array_equal(E[b, a], E[a, b].T)
        if a + 1 < d:
            assert E[a, a + 1].min() >= 0  # the GT phase convention


@pytest.mark.parametrize("N", range(1, 8))
def test_d2_gt_basis_is_the_dicke_basis(N):
    for lam in U.partitions(N, 2):
        j = (lam[0] - lam[1]) / 2
        jz, jp, _ = dicke.spin_matrices(j)
        np.testing.assert_allclose(U.generator(lam, 0, 1).toarray(), jp, atol=1e-12)
        np.testing.assert_allclose((U.generator(lam, 0, 0) - U.generator(lam, 1, 1)).toarray(), 2 * jz, atol=0)
    assert [(p[0] - p[1]) / 2 for p in U.partitions(N, 2)] == list(dicke.spins(N))


@pytest.mark.parametrize("d, N", SMALL)
def test_schur_basis_from_the_generators(d, N):
    """The GT matrices intertwine the full space with multiplicity f_lam: W orthonormal, complete."""
    basis = schur_basis(d, N)
    for lam, W in basis.items():
        assert W.shape == (d**N, U.weyl_dimension(lam), U.specht_dimension(lam))
    Wall = np.concatenate([W.reshape(d**N, -1) for W in basis.values()], axis=1)
    np.testing.assert_allclose(Wall.T @ Wall, np.eye(d**N), atol=1e-10)
    E = full_generators(d, N)
    for lam, W in basis.items():
        for (a, b), Eab in E.items():
            g = U.generator(lam, a, b).toarray()
            np.testing.assert_allclose(np.einsum("vu,uia->via", Eab, W), np.einsum("via,ij->vja", W, g), atol=1e-10)


# ----------------------------------------------------------------------------- Pieri couplings

PIERI_CASES = [(mu, lam) for d, n in [(1, 3), (2, 6), (3, 5), (4, 4), (5, 3)] for lam in U.partitions(n, d)
               for mu in (tuple(x - (i == r) for i, x in enumerate(lam)) for r in range(d))
               if list(mu) == sorted(mu, reverse=True) and min(mu) >= 0]


@pytest.mark.parametrize("mu, lam", PIERI_CASES)
def test_pieri_closed_form_is_the_equivariant_isometry(mu, lam):
    d, r = len(lam), [x - y for x, y in zip(lam, mu)].index(1)
    C = U.pieri_coupling(mu, lam)
    assert C.shape == (U.weyl_dimension(mu) * d, U.weyl_dimension(lam))
    np.testing.assert_allclose(C.T @ C, np.eye(C.shape[1]), atol=1e-12)
    for a, b in itertools.product(range(d), repeat=2):
        lifted = np.kron(U.generator(mu, a, b).toarray(), np.eye(d)) + np.kron(np.eye(len(U.gt_patterns(mu))), unit(d, a, b))
        np.testing.assert_allclose(lifted @ C, C @ U.generator(lam, a, b).toarray(), atol=1e-11)
    assert C[r, 0] > 0  # the phase rule <hw_mu, e_r | hw_lam> > 0
    np.testing.assert_allclose(C, U.pieri_coupling_nullspace(mu, lam), atol=1e-10)  # (a) == (b), phases included


@pytest.mark.parametrize("mu", [(2, 1, 0), (3, 1, 1, 0), (4, 2, 0), (2, 0)])
def test_pieri_couplings_are_complete(mu):
    d = len(mu)
    targets = [tuple(x + (i == s) for i, x in enumerate(mu)) for s in range(d) if s == 0 or mu[s - 1] > mu[s]]
    total = sum(U.pieri_coupling(mu, lam) @ U.pieri_coupling(mu, lam).T for lam in targets)
    np.testing.assert_allclose(total, np.eye(U.weyl_dimension(mu) * d), atol=1e-12)


def test_pieri_d2_is_condon_shortley():
    """<j_mu m_mu; 1/2 +-1/2 | j m> for j = j_mu -+ 1/2, e.g. <1 0; 1/2 1/2 | 1/2 1/2> = -sqrt(1/3)."""
    C = U.pieri_coupling((2, 0), (2, 1))  # j_mu = 1 -> j = 1/2; column 0: m = 1/2; row i_mu*2 + a
    np.testing.assert_allclose(C[:, 0], [0, math.sqrt(2 / 3), -math.sqrt(1 / 3), 0, 0, 0], atol=1e-15)


def reduced_wigner_square(upper, result_lower):
    """Rows: upper + e_j; columns: (lower = result_lower - e_k, box k) and (lower = result_lower, stays)."""
    level = len(upper)

    def valid(top, bottom):
        return (list(top) == sorted(top, reverse=True) and
                all(top[i] >= bottom[i] >= top[i + 1] for i in range(len(bottom))))

    rows = [j for j in range(level) if valid(shift(upper, j, 1), result_lower)]
    cols = [k for k in range(level - 1) if valid(upper, shift(result_lower, k, -1))]
    cols += [None] if valid(upper, result_lower) else []
    return np.array([[U.reduced_wigner(upper, result_lower if k is None else shift(result_lower, k, -1), j, k)
                      for k in cols] for j in rows])


@pytest.mark.parametrize("upper", [(3, 1, 0), (4, 2, 2, 0), (5, 3, 1), (2, 0), (6, 4, 3, 1, 0)])
def test_reduced_wigner_coefficients_are_orthogonal(upper):
    """sum_j W^2 = 1 for each column and the whole table is an orthogonal matrix."""
    level = len(upper)
    lowers = {tuple(c) for c in itertools.product(*(range(upper[i + 1], upper[i] + 2) for i in range(level - 1)))}
    for lower in sorted(lowers):
        M = reduced_wigner_square(upper, lower)
        if M.size:
            assert M.shape[0] == M.shape[1]
            np.testing.assert_allclose(M.T @ M, np.eye(len(M)), atol=1e-12)


# ----------------------------------------------------------------------------- the builders against scalar loops

def _loop_patterns(lam):
    """GT patterns, depth first (rows top first, each row's entries descending, the last fastest)."""
    out = []

    def descend(prefix, above):
        if len(above) == 1:
            out.append(prefix)
            return
        for row in itertools.product(*(range(above[i], above[i + 1] - 1, -1) for i in range(len(above) - 1))):
            descend(prefix + row, row)

    descend(tuple(lam), tuple(lam))
    return out


def _loop_rows(lam, p):
    """{level: row} of a flattened pattern p (level 0: the empty row)."""
    d = len(lam)
    start = {level: d * (d + 1) // 2 - level * (level + 1) // 2 for level in range(d + 1)}
    return {level: tuple(p[start[level]:start[level] + level]) for level in range(d + 1)}


def _loop_wigner(upper, lower, j, k):
    """The reduced Wigner coefficient of the module docstring, in exact integer arithmetic."""
    level = len(upper)
    a = [x + level - 1 - i for i, x in enumerate(upper)]
    b = [x + level - 2 - i for i, x in enumerate(lower)]
    others = [i for i in range(level) if i != j]
    num = math.prod(a[j] - y for i, y in enumerate(b) if i != k)
    den = math.prod(a[j] - a[i] for i in others)
    if k is None:
        return math.sqrt(num / den)
    num *= math.prod(b[k] - a[i] + 1 for i in others)
    den *= math.prod(b[k] - y + 1 for i, y in enumerate(b) if i != k)
    return (-1 if k < j else 1) * math.sqrt(num / den)


def _loop_raising(lam, a):
    """E_{a,a+1} (dense), one pattern and one raised entry m_{k,l} (l = a + 1) at a time."""
    pats = _loop_patterns(lam)
    index, level, E = {p: i for i, p in enumerate(pats)}, a + 1, np.zeros((len(pats), len(pats)))
    for col, p in enumerate(pats):
        rows = _loop_rows(lam, p)
        row, up, down = rows[level], rows[level + 1], rows[level - 1]
        for k in range(level):
            raised = {**rows, level: shift(row, k, 1)}
            target = index.get(sum((raised[l] for l in range(len(lam), 0, -1)), ()))
            if target is None:
                continue
            x = row[k] - k
            num = -math.prod(u - i - x for i, u in enumerate(up)) * math.prod(v - i - x - 1 for i, v in enumerate(down))
            den = math.prod((m - i - x) * (m - i - x - 1) for i, m in enumerate(row) if i != k)
            E[target, col] = math.sqrt(num / den)
    return E


def _loop_pieri(mu, lam, r):
    """C_{mu lam} (dense), one pattern of lam and one path of the box down the chain at a time."""
    d, pats_mu = len(lam), {p: i for i, p in enumerate(_loop_patterns(mu))}
    pats = _loop_patterns(lam)
    C = np.zeros((len(pats_mu) * d, len(pats)))
    for col, p in enumerate(pats):
        for stop in range(d, 0, -1):  # the box leaves the chain at level `stop` (single-site state stop - 1)
            for js in itertools.product(*(range(level) for level in range(d - 1, stop - 1, -1))):
                js = (r,) + js  # js[d - level]: row of the box at that level
                rows = _loop_rows(lam, p)
                for level in range(d, stop - 1, -1):
                    rows[level] = shift(rows[level], js[d - level], -1)
                i_mu = pats_mu.get(sum((rows[level] for level in range(d, 0, -1)), ()))
                if i_mu is not None:
                    value = _loop_wigner(rows[stop], rows[stop - 1], js[d - stop], None)
                    for level in range(stop + 1, d + 1):
                        value *= _loop_wigner(rows[level], rows[level - 1], js[d - level], js[d - level + 1])
                    C[i_mu * d + stop - 1, col] = value
    return C


@pytest.fixture
def cold_caches():
    caches = [f for f in vars(U).values() if hasattr(f, "cache_clear")]
    for f in caches:
        f.cache_clear()
    yield
    for f in caches:
        f.cache_clear()


@pytest.mark.parametrize("keys", ["int64", "bytes"])
@pytest.mark.parametrize("lam", [(6, 3, 1), (5, 5, 2), (4, 0, 0), (3, 3, 3), (4, 2, 2, 0), (3, 3, 1, 1), (5, 2, 0, 0),
                                 (2, 1, 1, 0, 0), (2, 2, 1, 1, 0), (3, 1, 1, 1, 0)])
def test_builders_match_scalar_loops(lam, keys, cold_caches, monkeypatch):
    """Patterns, raising generators, Pieri couplings and Kraus operators against the loops above
    (equal and zero rows included), with the int64 pattern keys and with the byte-string ones."""
    if keys == "bytes":
        monkeypatch.setattr(U, "_KEY_LIMIT", 2)  # every radix is >= 3
    d, n = len(lam), sum(lam)
    assert U.gt_patterns(lam).tolist() == [list(p) for p in _loop_patterns(lam)]
    for a in range(d - 1):
        np.testing.assert_allclose(U.generator(lam, a, a + 1).toarray(), _loop_raising(lam, a), rtol=0, atol=1e-13)
    o = random_operator(d, np.random.default_rng(sum(lam) * d))
    entries = iter(U.kraus_operators(lam, o, sparse=True))
    for r in (r for r in range(d) if is_partition(shift(lam, r, -1))):
        mu = shift(lam, r, -1)
        C = _loop_pieri(mu, lam, r)
        np.testing.assert_allclose(U.pieri_coupling(mu, lam), C, rtol=0, atol=1e-13)
        left = math.sqrt(n * U.specht_ratio(lam, r)) * np.kron(np.eye(len(C) // d), o) @ C
        for s in (s for s in range(d) if is_partition(shift(mu, s, 1))):
            target, K = next(entries)
            want = _loop_pieri(mu, target, s).T @ left
            assert target == shift(mu, s, 1) and K.has_sorted_indices
            np.testing.assert_allclose(K.toarray(), want, rtol=0, atol=1e-13)
    assert next(entries, None) is None


# ----------------------------------------------------------------------------- Kraus operators

@pytest.mark.parametrize("d, N", SMALL)
def test_kraus_map_against_the_full_space(d, N):
    rng = np.random.default_rng(100 * d + N)
    basis = schur_basis(d, N)
    o = random_operator(d, rng)
    blocks = {lam: rng.uniform(0.5, 1) * random_density(U.weyl_dimension(lam), rng) for lam in basis}
    rho = embed(blocks, basis)
    image = sum(site(o, k, N) @ rho @ site(o, k, N).conj().T for k in range(N))
    want = reduce_blocks(image, basis)
    np.testing.assert_allclose(image, embed(want, basis), atol=1e-12)  # the image is permutation invariant
    got = {}
    for lam, block in blocks.items():
        entries = U.kraus_operators(lam, o)
        pairs = [(mu, shift(mu, s, 1)) for mu in (shift(lam, r, -1) for r in range(d)) if is_partition(mu)
                 for s in range(d) if is_partition(shift(mu, s, 1))]  # one entry per (mu, lam')
        assert [t for t, _ in entries] == [t for _, t in pairs]
        for target, Y in kraus_map(entries, block).items():
            got[target] = got.get(target, 0) + Y
        Q = U.no_jump_operator(lam, o).toarray()
        np.testing.assert_allclose(sum(K.conj().T @ K for _, K in entries), Q, atol=1e-11)
        np.testing.assert_allclose(Q, sum((o.conj().T @ o)[a, b] * U.generator(lam, a, b).toarray()
                                          for a in range(d) for b in range(d)), atol=1e-12)
        ones = U.kraus_operators(lam, np.eye(d))
        np.testing.assert_allclose(sum(K.conj().T @ K for _, K in ones), N * np.eye(len(Q)), atol=1e-11)
    for lam in basis:
        np.testing.assert_allclose(got.get(lam, 0 * want[lam]), want[lam], atol=1e-12)


def kraus_with_prefactor(lam, o, prefactor):
    """[(lam', K)] as kraus_operators, but K = sqrt(prefactor(N, f_mu, f_lam, f_lam')) C'^T (1 (x) o) C."""
    d, N, out = len(lam), sum(lam), []
    for r in range(d):
        mu = tuple(x - (i == r) for i, x in enumerate(lam))
        if list(mu) != sorted(mu, reverse=True) or min(mu) < 0:
            continue
        for s in range(d):
            target = tuple(x + (i == s) for i, x in enumerate(mu))
            if list(target) != sorted(target, reverse=True):
                continue
            core = U.pieri_coupling(mu, target).T @ np.kron(np.eye(U.weyl_dimension(mu)), o) @ U.pieri_coupling(mu, lam)
            f = U.specht_dimension
            out.append((target, math.sqrt(prefactor(N, f(mu), f(lam), f(target))) * core))
    return out


@pytest.mark.parametrize("d, N", [(3, 4), (2, 5)])
def test_a_wrong_prefactor_fails(d, N):
    rng = np.random.default_rng(7)
    basis = schur_basis(d, N)
    o = random_operator(d, rng)
    blocks = {lam: random_density(U.weyl_dimension(lam), rng) / len(basis) for lam in basis}
    rho = embed(blocks, basis)
    want = reduce_blocks(sum(site(o, k, N) @ rho @ site(o, k, N).conj().T for k in range(N)), basis)
    prefactors = {"N f_mu/f_lam": lambda n, fm, fl, ft: n * fm / fl, "f_mu/f_lam": lambda n, fm, fl, ft: fm / fl,
                  "N": lambda n, fm, fl, ft: n, "N f_mu/f_lam'": lambda n, fm, fl, ft: n * fm / ft,
                  "N f_lam'/f_lam": lambda n, fm, fl, ft: n * ft / fl}
    errors = {}
    for name, pref in prefactors.items():
        got = {}
        for lam, block in blocks.items():
            for target, Y in kraus_map(kraus_with_prefactor(lam, o, pref), block).items():
                got[target] = got.get(target, 0) + Y
        errors[name] = max(np.abs(got[lam] - want[lam]).max() for lam in basis)
    assert errors.pop("N f_mu/f_lam") < 1e-12
    assert min(errors.values()) > 1e-3, errors
    for lam in basis:  # and the module uses the right one
        for (t1, K1), (t2, K2) in zip(U.kraus_operators(lam, o), kraus_with_prefactor(lam, o, prefactors["N f_mu/f_lam"])):
            assert t1 == t2
            np.testing.assert_allclose(K1, K2, atol=1e-12)


@pytest.mark.parametrize("N", range(2, 8))
def test_d2_kraus_maps_match_the_dicke_formulas(N):
    rng = np.random.default_rng(N)
    for trial in range(3):
        cp, cm, cz, c1 = rng.normal(size=4) + 1j * rng.normal(size=4)
        if trial == 1:
            c1 = 0
        o = np.array([[cz + c1, cp], [cm, -cz + c1]])
        for lam in U.partitions(N, 2):
            j = (lam[0] - lam[1]) / 2
            X = rng.normal(size=(int(2 * j) + 1,) * 2) + 1j * rng.normal(size=(int(2 * j) + 1,) * 2)
            ours = kraus_map(U.kraus_operators(lam, o), X)
            for dj in (-1, 0, 1):
                target = (lam[0] + dj, lam[1] - dj)
                theirs = sum((K @ X @ K.conj().T for K in dicke.kraus_matrices((cp, cm, cz, c1), dj, N, j)), 0)
                if target in ours:
                    np.testing.assert_allclose(ours[target], theirs, atol=1e-11)
                else:
                    assert np.all(np.abs(theirs) < 1e-12)


# ----------------------------------------------------------------------------- product states

def symmetric_state(n_occ):
    """Normalised symmetrised product state with occupations n_occ (explicit, positive)."""
    d, N = len(n_occ), sum(n_occ)
    occ = occupations(d, N)
    v = (occ == np.asarray(n_occ)).all(axis=1).astype(float)
    return v / np.linalg.norm(v)


@pytest.mark.parametrize("d, N", [(2, 5), (3, 4), (4, 3), (3, 1)])
def test_coherent_amplitudes_against_the_product_state(d, N):
    rng = np.random.default_rng(d * N)
    phi = rng.normal(size=d) + 1j * rng.normal(size=d)
    phi[-1] = 0 if d > 2 else phi[-1]
    amps = U.coherent_amplitudes(N, 3.0 * phi)  # scaled: normalised inside
    phi = phi / np.linalg.norm(phi)
    product = reduce(np.kron, [phi] * N)
    lam = (N,) + (0,) * (d - 1)
    states = np.stack([symmetric_state(n) for n in U.weights(lam)], axis=1)
    assert np.linalg.norm(amps) == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(amps, states.T @ product, atol=1e-12)
    W = schur_basis(d, N)[lam][:, :, 0]  # the GT basis of (N, 0..) is the occupation basis with + signs
    np.testing.assert_allclose(W * np.sign(W[0, 0]), states, atol=1e-10)


def test_coherent_amplitudes_large_n():
    amps = U.coherent_amplitudes(3000, [0.6, 0.8j])
    assert np.all(np.isfinite(amps)) and np.linalg.norm(amps) == pytest.approx(1.0, abs=1e-10)
    np.testing.assert_allclose(amps, spinor_amplitudes(3000, [0.6, 0.8j]), atol=1e-12)
    amps = U.coherent_amplitudes(60, [1.0, 1.0, 1.0])
    assert np.linalg.norm(amps) == pytest.approx(1.0, abs=1e-12) and len(amps) == math.comb(62, 2)


@pytest.mark.parametrize("d, N", [(3, 4), (2, 5), (4, 3)])
def test_product_sector_probabilities_against_brute_force(d, N):
    rng = np.random.default_rng(3)
    rho1 = random_density(d, rng)
    full = reduce(np.kron, [rho1] * N)
    basis = schur_basis(d, N)
    want = [np.einsum("via,vu,uia->", W, full, W).real for W in basis.values()]
    got = U.product_sector_probabilities(N, np.linalg.eigvalsh(rho1))
    np.testing.assert_allclose(got, want, atol=1e-12)
    np.testing.assert_allclose(np.exp(U.product_sector_probabilities(N, np.linalg.eigvalsh(rho1), log=True)), got,
                               rtol=1e-12)


@pytest.mark.parametrize("d, N", [(3, 4), (2, 5), (4, 3)])
def test_product_state_blocks_against_brute_force(d, N):
    """rho_lam of rho1^(x)N (mixed, and pure: only the symmetric irrep) equals the reduced block of the
    full product state, and group_action is U^(x)N restricted to V_lam."""
    rng = np.random.default_rng(4)
    basis = schur_basis(d, N)
    psi = np.linalg.qr(random_operator(d, rng))[0][:, 0]
    for rho1 in (random_density(d, rng), np.outer(psi, psi.conj())):
        want = reduce_blocks(reduce(np.kron, [rho1] * N), basis)
        for lam in basis:
            np.testing.assert_allclose(U.product_state_block(lam, rho1), want[lam], rtol=0, atol=1e-12)
    u = np.linalg.qr(random_operator(d, rng))[0]
    full = reduce(np.kron, [u] * N)
    for lam, W in basis.items():
        # W[:, :, alpha] intertwines, so U^(x)N W[:, i, alpha] = sum_j W[:, j, alpha] pi(U)[j, i]
        got = U.group_action(lam, u)
        np.testing.assert_allclose(np.einsum("vu,uia->via", full, W), np.einsum("vja,ji->via", W, got),
                                   rtol=0, atol=1e-11)
        B = rng.normal(size=(len(U.gt_patterns(lam)), 2))
        np.testing.assert_allclose(U.group_action(lam, u, B), got @ B, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="U must be unitary"):
        U.group_action(lam, 2 * u)


def test_product_sector_probabilities_degenerate_and_large():
    np.testing.assert_allclose(U.product_sector_probabilities(5, [0, 1.0, 0]), [1, 0, 0, 0, 0], atol=0)
    for d, N in [(3, 6), (4, 5)]:
        mixed = [U.specht_dimension(l) * U.weyl_dimension(l) / d**N for l in U.partitions(N, d)]
        np.testing.assert_allclose(U.product_sector_probabilities(N, [1 / d] * d), mixed, rtol=1e-12)
    for N, p in [(150, [0.5, 0.3, 0.2]), (30, [0.4, 0.3, 0.2, 0.1]), (2000, [0.9, 0.1])]:
        P = U.product_sector_probabilities(N, p)
        assert np.all(P >= 0) and P.sum() == pytest.approx(1.0, abs=1e-10)
    # d = 2: P(j) from the Dicke degeneracies, sum_m p_up^(N/2+m) p_down^(N/2-m) d_j
    N, (pu, pd) = 9, (0.7, 0.3)
    want = [math.exp(dicke.log_degeneracy(N, j)) * sum(pu ** (N / 2 + m) * pd ** (N / 2 - m) for m in np.arange(-j, j + 1))
            for j in dicke.spins(N)]
    np.testing.assert_allclose(U.product_sector_probabilities(N, [pu, pd]), want, rtol=1e-12)


# ----------------------------------------------------------------------------- contracts

@pytest.mark.parametrize("call, name", [
    (lambda: U.weyl_dimension((1, 2)), "lam"), (lambda: U.gt_patterns((2, -1)), "lam"),
    (lambda: U.generator((2.0, 1), 0, 1), "lam"), (lambda: U.generator((2, 1), 0, 2), "b"),
    (lambda: U.generator((2, 1), -1, 0), "a"), (lambda: U.kraus_operators((2, 1, 0), np.eye(2)), "o"),
    (lambda: U.no_jump_operator((2, 1), [[1, 0], [0, np.nan]]), "o"), (lambda: U.pieri_coupling((2, 0), (2, 2)), "lam"),
    (lambda: U.pieri_coupling((2, 0, 0), (3, 0)), "lam"), (lambda: U.pieri_coupling((1, 2), (2, 2)), "mu"),
    (lambda: U.partitions(-1, 2), "n"), (lambda: U.partitions(3, 0), "d"), (lambda: U.specht_ratio((2, 1), 2), "r"),
    (lambda: U.coherent_amplitudes(3, [0, 0]), "phi"), (lambda: U.product_sector_probabilities(3, [0.5, 0.6]), "p"),
    (lambda: U.product_sector_probabilities(3, [1.5, -0.5]), "p"), (lambda: U.weights(()), "lam"),
])
def test_bad_arguments_name_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name} must"):
        call()


def test_cached_results_cannot_be_corrupted():
    lam = (2, 1, 0)
    with pytest.raises(ValueError):
        U.gt_patterns(lam)[0, 0] = 7
    with pytest.raises(ValueError):
        U.weights(lam)[0, 0] = 7
    with pytest.raises(TypeError):
        U.pattern_index(lam)[(0,)] = 1
    U.generator(lam, 0, 1).data[:] = 99
    assert U.generator(lam, 0, 1).max() < 2
    U.pieri_coupling((1, 1, 0), lam)[:] = 99
    assert np.abs(U.pieri_coupling((1, 1, 0), lam)).max() <= 1


def test_module_imports_nothing_from_the_package():
    tree = ast.parse(Path(U.__file__).read_text())
    modules = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    modules += [("." * n.level) + (n.module or "") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert all(m.split(".")[0] in {"__future__", "itertools", "math", "functools", "types", "numpy", "scipy"}
               for m in modules), modules
