"""Total-spin (Dicke) sector formulas for N spin-1/2 particles (docs/theory.md §2).

A permutation-invariant state is rho = (+)_j rho_j (x) 1_{d_j}/d_j with rho_j on the spin-j
space, basis |j, m>, m = j, j-1, ..., -j. The local jump map sum_k o^(k) X o^(k)+ sends
sector j to j+1, j, j-1 with one Kraus operator each (Wigner-Eckart); with

    a_j = (N - 2j) / (4 (j+1)(2j+1)),  b_j = (N + 2) / (4 j (j+1)),  c_j = (N + 2j + 2) / (4 j (2j+1)),

sigma_- (|j,m> -> |j',m-1>):  j+1: sqrt(a_j (j-m+1)(j-m+2)),  j: sqrt(b_j (j+m)(j-m+1)),
                             j-1: sqrt(c_j (j+m)(j+m-1));
sigma_+ (|j,m> -> |j',m+1>):  the same with m -> -m;
sigma_z (|j,m> -> |j',m>):    j+1: sqrt(4 a_j (j-m+1)(j+m+1)),  j: 2 sqrt(b_j) m,
                             j-1: sqrt(4 c_j (j-m)(j+m)).

The collective no-jump operators Q = sum_k o^(k)+ o^(k) are N/2 + J_z (sigma_-),
N/2 - J_z (sigma_+) and N (sigma_z).

Any single-site operator o = c_+ sigma_+ + c_- sigma_- + c_z sigma_z + c_1 1 (models.spin.
operator_components): its rank-1 parts combine through the phases KRAUS_SIGN (those of one vector
operator: the sigma_z and sigma_+ elements are [J_+, K^-] and -[J_+, K^z]/2), and its identity
part adds a second j -> j Kraus operator (docs/theory.md §2, general local operators):

    K_{j -> j +- 1} = sum_q c_q KRAUS_SIGN[q, dj] K^q,
    K_{j -> j}^(1) = sum_q c_q K^q + (c_1 / sqrt(b_j)) 1,    K_{j -> j}^(2) = |c_1| sqrt(N - 1/b_j) 1,
    Q = sum_k o^(k)+ o^(k) = q_0 N + q_z J_z + r J_+ + r^* J_-  (no_jump_components).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

#: integer codes of the local operators, used by the kernels
OP_CODES = {"minus": 0, "plus": 1, "z": 2}
#: change of m under each local operator
OP_SHIFT = {"minus": -1, "plus": +1, "z": 0}
#: the Kraus operators of a local channel on a block, in the order the kernels list their weights and
#: draw one: rows (dj, second) for j -> j + 1, j -> j (K^(1)), j -> j (K^(2), from an identity part),
#: j -> j - 1; a collective channel's one operator S_o / sqrt(N_b) takes the row (0, 0)
JUMP_TARGETS = np.array([[1, 0], [0, 0], [0, 1], [-1, 0]], dtype=np.int64)
#: KRAUS_SIGN[code, 1 - dj]: relative sign of the rank-1 Kraus elements of sigma_- (code 0),
#: sigma_+ (1), sigma_z (2) for dj = +1, 0, -1, so that they combine as one vector operator
KRAUS_SIGN = np.array([[1.0, 1.0, 1.0], [-1.0, 1.0, -1.0], [1.0, 1.0, -1.0]])


@njit(cache=True)
def kraus_coefficient(op: int, dj: int, n: float, j: float, m: float) -> float:
    """<j+dj, m'| K^{op}_{j->j+dj} |j, m> for a block of n spins (m' = m-1, m+1, m for op 0, 1, 2).

    Zero whenever the target does not exist (j + dj < 0, |m'| > j + dj, j = n/2 for dj = +1).
    """
    if op == 1:  # sigma_+ is sigma_- with m -> -m
        m = -m
    if dj == 1:
        a = (n - 2.0 * j) / (4.0 * (j + 1.0) * (2.0 * j + 1.0))
        if op == 2:
            v = 4.0 * a * (j - m + 1.0) * (j + m + 1.0)
        else:
            v = a * (j - m + 1.0) * (j - m + 2.0)
        return math.sqrt(v) if v > 0.0 else 0.0
    if j == 0.0:
        return 0.0
    if dj == 0:
        b = (n + 2.0) / (4.0 * j * (j + 1.0))
        if op == 2:
            return 2.0 * math.sqrt(b) * m
        v = b * (j + m) * (j - m + 1.0)
        return math.sqrt(v) if v > 0.0 else 0.0
    c = (n + 2.0 * j + 2.0) / (4.0 * j * (2.0 * j + 1.0))
    if op == 2:
        v = 4.0 * c * (j - m) * (j + m)
    else:
        v = c * (j + m) * (j + m - 1.0)
    return math.sqrt(v) if v > 0.0 else 0.0


@njit(cache=True)
def inverse_b(n: float, j: float) -> float:
    """1 / b_j = 4 j (j + 1) / (n + 2) (0 at j = 0, n at j = n/2)."""
    return 4.0 * j * (j + 1.0) / (n + 2.0)


@njit(cache=True)
def identity_kraus(c1: complex, n: float, j: float) -> tuple[complex, float]:
    """(added to K^(1), K^(2)) of the identity part c_1 of o on sector j: c_1 / sqrt(b_j) on the
    diagonal of K_{j -> j}^(1) (0 at j = 0), and |c_1| sqrt(n - 1/b_j) (K^(2) is that times 1)."""
    ib = inverse_b(n, j)
    second = abs(c1) * math.sqrt(max(n - ib, 0.0))
    return c1 * math.sqrt(ib), second


def log_degeneracy(n: int, j) -> np.ndarray:
    """log d_j, d_j = n! (2j+1) / ((n/2 - j)! (n/2 + j + 1)!): multiplicity of spin j in n spins-1/2."""
    j = np.asarray(j, dtype=float)
    lg = np.vectorize(math.lgamma, otypes=[float])
    return lg(n + 1.0) + np.log(2 * j + 1) - lg(n / 2 - j + 1) - lg(n / 2 + j + 2)


def dim_squares(spins) -> int:
    """sum of (2j + 1)^2 over the 2j values in `spins`; a range of step -2 (as sector_spins gives
    for a whole block) in closed form, so that a block of 10^9 spins costs nothing to estimate."""
    if isinstance(spins, range) and spins.step == -2:
        K = len(spins) - 1
        if K < 0:
            return 0
        b = spins[0] + 1  # sum_k (b - 2k)^2, k = 0..K
        return (K + 1) * b * b - 2 * b * K * (K + 1) + 2 * K * (K + 1) * (2 * K + 1) // 3
    return sum((t + 1) ** 2 for t in spins)


def spins(n: int) -> np.ndarray:
    """The allowed total spins j = n/2, n/2 - 1, ..., (0 or 1/2) of n spins-1/2."""
    return n / 2 - np.arange(n // 2 + 1)


def no_jump_components(matrix: np.ndarray) -> tuple[float, float, complex]:
    """(q_0, q_z, r) with sum_k o^(k)+ o^(k) = q_0 N + q_z J_z + r J_+ + r^* J_- for the 2x2 o."""
    p = np.asarray(matrix, dtype=complex).conj().T @ np.asarray(matrix, dtype=complex)
    return float((p[0, 0] + p[1, 1]).real / 2), float((p[0, 0] - p[1, 1]).real), complex(p[0, 1])


def kraus_matrices(components, dj: int, n: int, j: float) -> list[np.ndarray]:
    """The Kraus operators ((2j'+1) x (2j+1) each) of sum_k o^(k) X o^(k)+ from sector j to
    j' = j + dj for o with components (c_+, c_-, c_z, c_1) (module docstring): [K] for dj = +-1,
    [K^(1)] or, when c_1 != 0, [K^(1), K^(2)] for dj = 0 (some may be zero); [] when j' does not
    exist."""
    cp, cm, cz, c1 = (complex(c) for c in components)
    jt = j + dj
    if jt < 0 or jt > n / 2:
        return []
    K = np.zeros((int(round(2 * jt)) + 1, int(round(2 * j)) + 1), dtype=complex)
    for name, c in (("plus", cp), ("minus", cm), ("z", cz)):
        if c != 0:
            K += c * KRAUS_SIGN[OP_CODES[name], 1 - dj] * kraus_matrix(name, dj, n, j)
    out = [K]
    if dj == 0 and c1 != 0:
        diag, second = identity_kraus(c1, float(n), float(j))
        K += diag * np.eye(K.shape[0])
        out.append(second * np.eye(K.shape[0], dtype=complex))
    return out


def kraus_matrix(op: str, dj: int, n: int, j: float) -> np.ndarray:
    """Dense Kraus operator K_{j -> j+dj} ((2j'+1) x (2j+1), basis m = j..-j) of `op` for n spins."""
    code, shift = OP_CODES[op], OP_SHIFT[op]
    jt = j + dj
    K = np.zeros((max(int(round(2 * jt)) + 1, 0), int(round(2 * j)) + 1))
    if jt < 0 or jt > n / 2:
        return K
    for col in range(K.shape[1]):
        m = j - col
        mt = m + shift
        if abs(mt) <= jt:
            K[int(round(jt - mt)), col] = kraus_coefficient(code, dj, float(n), float(j), float(m))
    return K


def spin_matrices(j: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(J_z, J_+, J_-) of spin j in the basis m = j, j-1, ..., -j."""
    m = j - np.arange(int(round(2 * j)) + 1)
    jz = np.diag(m)
    jp = np.diag(np.sqrt(j * (j + 1) - m[1:] * (m[1:] + 1)), 1)
    return jz, jp, jp.T.copy()
