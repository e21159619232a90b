"""Every formula of trajectories/dicke.py against brute force in an explicit Schur basis of 2^N.

Schur basis: for each total spin j, an orthonormal basis h_alpha of highest-weight vectors
(J_+ h = 0, J_z h = j h), and |j, m, alpha> = (J_-)^{j-m} h_alpha normalised (Condon-Shortley
phases, the convention of dicke.spin_matrices). A reduced operator X of sector j embeds as
X (x) 1/d_j = (1/d_j) sum_alpha sum_{m m'} X_{m m'} |j, m, alpha><j, m', alpha|.
"""
import math
from functools import lru_cache, reduce

import numpy as np
import pytest
from scipy.linalg import null_space

from trajectories.sectors import dicke

I2 = np.eye(2)
LOCAL = {"minus": np.array([[0.0, 0], [1, 0]]), "plus": np.array([[0.0, 1], [0, 0]]),
         "z": np.diag([1.0, -1.0])}
NS = range(3, 8)


def site(op, k, N):
    return reduce(np.kron, [op if i == k else I2 for i in range(N)])


@lru_cache(maxsize=None)
def collective(N):
    """(J_z, J_+, J_-) = S/2 on 2^N (site 0 most significant, basis up = 0)."""
    Jz = sum(site(LOCAL["z"], k, N) for k in range(N)) / 2
    Jp = sum(site(LOCAL["plus"], k, N) for k in range(N))
    return Jz, Jp, Jp.T.copy()


@lru_cache(maxsize=None)
def schur_basis(N):
    """{j: V} with V[:, i, alpha] = |j, m = j - i, alpha> (2^N, 2j+1, d_j), real orthonormal."""
    Jz, Jp, Jm = collective(N)
    basis = {}
    for twoj in range(N, -1, -2):
        j = twoj / 2
        cols = np.flatnonzero(np.isclose(np.diag(Jz), j))  # J_z is diagonal in the product basis
        ker = null_space(Jp[:, cols], rcond=1e-10)  # highest weights, in the J_z = j coordinates
        h = np.zeros((2**N, ker.shape[1]))
        h[cols] = ker
        vecs = [h]
        for _ in range(twoj):
            v = Jm @ vecs[-1]
            vecs.append(v / np.linalg.norm(v, axis=0))
        basis[j] = np.stack(vecs, axis=1)
    return basis


def embed(V, X):
    d = V.shape[2]
    return sum(V[:, :, a] @ X @ V[:, :, a].T for a in range(d)) / d


def random_hermitian(n, rng):
    A = rng.normal(size=(n, n)) + 1j * rng.normal(size=(n, n))
    return A + A.conj().T


def reduced_blocks(Y, basis):
    """{j: (Y_j, residual)}: Y_j = d_j * mean_alpha <j,.,alpha|Y|j,.,alpha>."""
    return {j: V.shape[2] * np.mean([V[:, :, a].T @ Y @ V[:, :, a] for a in range(V.shape[2])], axis=0)
            for j, V in basis.items()}


@pytest.mark.parametrize("N", NS)
def test_schur_basis_multiplicities_and_spin_matrices(N):
    basis = schur_basis(N)
    Jz, Jp, Jm = collective(N)
    np.testing.assert_allclose(sorted(basis), sorted(dicke.spins(N)), rtol=0, atol=0)
    total = 0
    for j, V in basis.items():
        d = V.shape[2]
        assert d >= 1
        # (e) log_degeneracy against the multiplicity found, and an independent count
        assert abs(math.exp(dicke.log_degeneracy(N, j)) - d) < 1e-9
        k = int(round(N / 2 - j))
        assert d == math.comb(N, k) - (math.comb(N, k - 1) if k else 0)
        total += d * (2 * j + 1)
        # spin_matrices: <j,m,alpha| J |j,m',beta> = delta_ab (J_j)_{m m'}
        for J, ref in zip((Jz, Jp, Jm), dicke.spin_matrices(j)):
            for a in range(d):
                for b in range(d):
                    np.testing.assert_allclose(V[:, :, a].T @ J @ V[:, :, b], ref if a == b else 0 * ref,
                                               rtol=0, atol=1e-12)
    assert total == 2**N
    W = np.concatenate([V.reshape(2**N, -1) for V in basis.values()], axis=1)
    np.testing.assert_allclose(W.T @ W, np.eye(2**N), rtol=0, atol=1e-12)  # complete, orthonormal


@pytest.mark.parametrize("N", NS)
@pytest.mark.parametrize("op", ["minus", "plus", "z"])
def test_local_jump_map_kraus_operators(N, op):
    rng = np.random.default_rng(100 * N + len(op))
    basis = schur_basis(N)
    o = LOCAL[op]
    sites = [site(o, k, N) for k in range(N)]
    Jz = collective(N)[0]
    # (d) sum_k o^(k)+ o^(k) is the collective Q
    Q = {"minus": N / 2 * np.eye(2**N) + Jz, "plus": N / 2 * np.eye(2**N) - Jz, "z": N * np.eye(2**N)}[op]
    np.testing.assert_allclose(sum(s.T @ s for s in sites), Q, rtol=0, atol=1e-12)
    for j, V in basis.items():
        X = random_hermitian(V.shape[1], rng)
        Y = sum(s @ embed(V, X) @ s.T for s in sites)  # brute-force jump map
        blocks = reduced_blocks(Y, basis)
        # (a) Y = (+)_{j'} Y_{j'} (x) 1/d_{j'}: no coherence between sectors or between alphas
        np.testing.assert_allclose(sum(embed(basis[jt], Yt) for jt, Yt in blocks.items()), Y, rtol=0, atol=1e-12)
        # (b) Y_{j'} = K X K^+ for j' = j-1, j, j+1; nothing elsewhere
        for jt, Yt in blocks.items():
            dj = int(round(jt - j))
            if abs(dj) <= 1:
                K = dicke.kraus_matrix(op, dj, N, j)
                np.testing.assert_allclose(Yt, K @ X @ K.T, rtol=0, atol=1e-12)
            else:
                np.testing.assert_allclose(Yt, 0, rtol=0, atol=1e-12)
        # a target j + 1 > N/2 gives an empty Kraus operator (j - 1 < 0: see the test below)
        if j == N / 2:
            assert not np.any(dicke.kraus_matrix(op, 1, N, j))
        # (c) sum_{j'} K^+ K = Q on sector j
        Ks = [dicke.kraus_matrix(op, dj, N, j) for dj in (-1, 0, 1) if j + dj >= 0]
        KK = sum(K.T @ K for K in Ks)
        m = j - np.arange(V.shape[1])
        q0, qz, _ = dicke.no_jump_components(o)
        q = q0 * N + qz * m
        np.testing.assert_allclose(KK, np.diag(q), rtol=0, atol=1e-12)
        np.testing.assert_allclose(np.diag(q), V[:, :, 0].T @ Q @ V[:, :, 0], rtol=0, atol=1e-12)


def test_kraus_coefficient_matches_dense_matrix():
    # the scalar kernel and the dense builder agree (including m-shift bookkeeping)
    for op, code in dicke.OP_CODES.items():
        for j in dicke.spins(6):
            for dj in [d for d in (-1, 0, 1) if j + d >= 0]:
                K = dicke.kraus_matrix(op, dj, 6, j)
                for col in range(K.shape[1]):
                    m = j - col
                    mt = m + dicke.OP_SHIFT[op]
                    row = int(round(j + dj - mt))
                    value = dicke.kraus_coefficient(code, dj, 6.0, float(j), float(m))
                    if 0 <= row < K.shape[0]:
                        assert K[row, col] == value
                    assert np.count_nonzero(K[:, col]) <= 1


@pytest.mark.parametrize("op", ["minus", "plus", "z"])
def test_kraus_matrix_to_missing_sector_below_zero(op):
    # j = 0 has only the j -> 1 channel; the j -> -1 operator should be empty, not an error
    K = dicke.kraus_matrix(op, -1, 4, 0.0)
    assert not np.any(K)
    assert dicke.kraus_coefficient(dicke.OP_CODES[op], -1, 4.0, 0.0, 0.0) == 0.0


def random_operator(rng, kind):
    """A random complex 2x2 operator: all four components, or one with a zero identity part."""
    o = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
    if kind == "traceless":
        o -= np.trace(o) / 2 * I2
    return o


@pytest.mark.parametrize("N", NS)
@pytest.mark.parametrize("kind", ["general", "traceless", "projector", "x_plus_phase"])
def test_general_operator_kraus_operators(N, kind):
    """For any o = c_+ sigma_+ + c_- sigma_- + c_z sigma_z + c_1 1 the jump map sum_k o X o^+ of a
    sector-j state is (+)_{j'} (sum_i K_i X K_i^+) (x) 1/d_{j'} with the signed, combined Kraus
    operators of dicke.kraus_matrices (two for j -> j), and sum K^+ K is the collective Q."""
    rng = np.random.default_rng(7 * N + len(kind))
    o = {"projector": np.diag([1.0, 0.0]).astype(complex),
         "x_plus_phase": LOCAL["minus"] + np.exp(0.7j) * LOCAL["plus"]}.get(kind)
    if o is None:
        o = random_operator(rng, kind)
    comps = np.array([o[0, 1], o[1, 0], (o[0, 0] - o[1, 1]) / 2, (o[0, 0] + o[1, 1]) / 2])
    basis = schur_basis(N)
    sites = [site(o, k, N) for k in range(N)]
    Jz, Jp, Jm = collective(N)
    q0, qz, r = dicke.no_jump_components(o)
    Q = q0 * N * np.eye(2**N) + qz * Jz + r * Jp + np.conj(r) * Jm
    np.testing.assert_allclose(sum(s.conj().T @ s for s in sites), Q, rtol=0, atol=1e-12)
    for j, V in basis.items():
        X = random_hermitian(V.shape[1], rng)
        Y = sum(s @ embed(V, X) @ s.conj().T for s in sites)
        blocks = reduced_blocks(Y, basis)
        np.testing.assert_allclose(sum(embed(basis[jt], Yt) for jt, Yt in blocks.items()), Y, rtol=0, atol=1e-11)
        KK = np.zeros((V.shape[1],) * 2, dtype=complex)
        for jt, Yt in blocks.items():
            dj = int(round(jt - j))
            Ks = dicke.kraus_matrices(comps, dj, N, j) if abs(dj) <= 1 else []
            assert len(Ks) == (0 if abs(dj) > 1 else 2 if dj == 0 and comps[3] != 0 else 1)
            np.testing.assert_allclose(Yt, sum((K @ X @ K.conj().T for K in Ks), 0 * Yt), rtol=0, atol=1e-11)
            KK += sum((K.conj().T @ K for K in Ks), 0 * KK)
        jz, jp, jm = dicke.spin_matrices(j)
        np.testing.assert_allclose(KK, q0 * N * np.eye(len(KK)) + qz * jz + r * jp + np.conj(r) * jm,
                                   rtol=0, atol=1e-11)
