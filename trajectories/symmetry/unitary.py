"""Irreducible representations of U(d) on N d-level particles (Schur-Weyl sectors).

(C^d)^(x)N = (+)_lam V_lam (x) S_lam over partitions lam = (lam_1 >= ... >= lam_d >= 0) of N:
V_lam is the U(d) irrep (dim by Weyl's formula), S_lam the S_N irrep (dim f_lam). A
permutation-invariant state is rho = (+)_lam rho_lam (x) 1/f_lam with rho_lam on V_lam.

Conventions (all indices 0-based: single-site basis |0>, ..., |d-1>, generators E_ab with
E_ab = sum_k |a><b|^(k)):

* `partitions(n, d)`: reverse lexicographic order, (n, 0, ..., 0) first.
* Gelfand-Tsetlin (GT) basis of V_lam: one orthonormal real vector per pattern, flattened rows
  top first (row d = lam, then rows d-1, ..., 1), in descending lexicographic order of the
  flattened pattern, so the highest weight (every row = lam truncated) is index 0. E_aa is
  diagonal with the occupation w_a = sigma_{a+1} - sigma_a (sigma_l = sum of row l), and the
  raising generators E_{a,a+1} have non-negative matrix elements (the standard GT phase). For
  d = 2, lam = (N/2 + j, N/2 - j), index i is the Dicke state |j, m = j - i>, E_01 = J_+ and
  E_00 - E_11 = 2 J_z (|0> = spin up), with the Condon-Shortley phases.
* Pieri coupling C_{mu lam}: V_lam -> V_mu (x) C^d (row i_mu * d + a), the equivariant isometry
  for lam = mu + e_r; entries are products of reduced Wigner coefficients down the GT chain
  (Biedenharn-Louck), whose phase makes C[r, 0] = <hw_mu, e_r | hw_lam> > 0. For d = 2 they are
  the Condon-Shortley Clebsch-Gordan coefficients <j_mu m_mu; 1/2 m_s | j m>.
* Local jumps: (sum_k o^(k) rho o^(k)+)_lam' = sum_{lam, mu} K rho_lam K^+ with
  K = sqrt(N f_mu / f_lam) C_{mu lam'}^T (1_mu (x) o) C_{mu lam} (`kraus_operators`).
* The builders work on all patterns of an irrep at once (numpy arrays, memory linear in dim): a
  pattern is found by an order-preserving mixed-radix key of its rows below the top row
  (`_key_space`), and the matrix elements are the closed forms evaluated on arrays.

References: Gelfand-Tsetlin formulas as in A. Molev, arXiv:math/0211289; reduced Wigner
coefficients: Biedenharn and Louck, J. Math. Phys. 9, 2127 (1968); Bacon, Chuang and Harrow,
quant-ph/0601001. The model class: Fiorelli, Mueller, Lesanovsky, Carollo, arXiv:2302.04155 §3.
"""
from __future__ import annotations

import itertools
import math
from functools import lru_cache
from types import MappingProxyType

import numpy as np
import scipy.linalg
import scipy.sparse as sp
from scipy.sparse.linalg import expm_multiply
from scipy.special import gammaln, xlogy

__all__ = ["partitions", "weyl_dimension", "specht_dimension", "log_specht_dimension", "specht_ratio",
           "gt_patterns", "pattern_index", "weights", "generator", "reduced_wigner", "pieri_coupling",
           "pieri_coupling_nullspace", "kraus_operators", "no_jump_operator", "coherent_amplitudes",
           "group_action", "product_state_block", "product_sector_probabilities"]


# ----------------------------------------------------------------------------- argument checks

def _is_int(x) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _count(x, name: str, low: int = 0) -> int:
    if not _is_int(x) or x < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {x!r}")
    return int(x)


def _partition(lam, name: str = "lam") -> tuple[int, ...]:
    """lam as a tuple of Python ints, or ValueError (non-increasing, non-negative, length >= 1)."""
    try:
        entries = list(lam)
    except TypeError:
        entries = None
    if (not entries or not all(_is_int(x) for x in entries) or entries[-1] < 0
            or any(x < y for x, y in zip(entries, entries[1:]))):
        raise ValueError(f"{name} must be a non-empty non-increasing sequence of non-negative integers "
                         f"(a partition padded with zeros to d entries), got {lam!r}")
    return tuple(int(x) for x in entries)


def _operator(o, d: int, name: str = "o") -> np.ndarray:
    arr = np.asarray(o)
    if arr.shape != (d, d) or not np.issubdtype(arr.dtype, np.number) or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a finite numeric {d} x {d} matrix (d = len(lam)), got shape "
                         f"{arr.shape} and dtype {arr.dtype}")
    return arr.astype(complex)


def _index_arg(x, d: int, name: str) -> int:
    if not _is_int(x) or not 0 <= x < d:
        raise ValueError(f"{name} must be an integer in 0..{d - 1} (d = len(lam)), got {x!r}")
    return int(x)


# ----------------------------------------------------------------------------- sector combinatorics

def partitions(n: int, d: int) -> list[tuple[int, ...]]:
    """Partitions of n with at most d rows, as length-d tuples (trailing zeros).

    Reverse lexicographic order: (n, 0, ..., 0) first. For d = 2 the entry (n/2 + j, n/2 - j)
    is the total spin j, in the order j = n/2, n/2 - 1, ...
    """
    n, d = _count(n, "n"), _count(d, "d", 1)
    return _partitions(n, d, n)


def _partitions(n: int, d: int, top: int) -> list[tuple[int, ...]]:
    if d == 1:
        return [(n,)] if n <= top else []
    return [(first,) + rest for first in range(min(n, top), -1, -1)
            for rest in _partitions(n - first, d - 1, first)]


def weyl_dimension(lam) -> int:
    """dim V_lam = prod_{i<j} (lam_i - lam_j + j - i) / (j - i) (exact integer)."""
    lam = _partition(lam)
    pairs = list(itertools.combinations(range(len(lam)), 2))
    return math.prod(lam[i] - lam[j] + j - i for i, j in pairs) // math.prod(j - i for i, j in pairs)


def _hooks(lam: tuple[int, ...]) -> list[int]:
    """l_i = lam_i + d - i (0-based i: lam_i + d - 1 - i)."""
    d = len(lam)
    return [x + d - 1 - i for i, x in enumerate(lam)]


def specht_dimension(lam) -> int:
    """f_lam = dim S_lam = N! prod_{i<j} (l_i - l_j) / prod_i l_i!, l_i = lam_i + d - i (exact)."""
    lam = _partition(lam)
    ls = _hooks(lam)
    num = math.factorial(sum(lam)) * math.prod(a - b for a, b in itertools.combinations(ls, 2))
    return num // math.prod(math.factorial(x) for x in ls)


def log_specht_dimension(lam) -> float:
    """log f_lam, computed with log-gamma (finite for any N)."""
    lam = _partition(lam)
    ls = _hooks(lam)
    return (math.lgamma(sum(lam) + 1) + sum(math.log(a - b) for a, b in itertools.combinations(ls, 2))
            - sum(math.lgamma(x + 1) for x in ls))


def specht_ratio(lam, r: int) -> float:
    """f_mu / f_lam for mu = lam - e_r (0-based row r): (l_r / N) prod_{k != r} (l_r - l_k - 1)/(l_r - l_k).

    0.0 when row r has no removable box (mu not a partition). Over r these sum to 1 (branching).
    """
    lam = _partition(lam)
    r = _index_arg(r, len(lam), "r")
    n, ls = sum(lam), _hooks(lam)
    if n == 0:
        return 0.0
    ratio = ls[r] / n
    for k, lk in enumerate(ls):
        if k != r:
            ratio *= (ls[r] - lk - 1) / (ls[r] - lk)
    return max(ratio, 0.0)


def _removable(lam: tuple[int, ...]) -> list[int]:
    d = len(lam)
    return [r for r in range(d) if lam[r] > (lam[r + 1] if r + 1 < d else 0)]


def _addable(mu: tuple[int, ...]) -> list[int]:
    return [s for s in range(len(mu)) if s == 0 or mu[s - 1] > mu[s]]


def _shift(lam: tuple[int, ...], r: int, by: int) -> tuple[int, ...]:
    return lam[:r] + (lam[r] + by,) + lam[r + 1:]


# ----------------------------------------------------------------------------- Gelfand-Tsetlin basis

def _row_slice(d: int, level: int) -> slice:
    """Position of row `level` (1..d, length `level`) in a flattened pattern (top row first)."""
    start = d * (d + 1) // 2 - level * (level + 1) // 2
    return slice(start, start + level)


@lru_cache(maxsize=256)
def _patterns(lam: tuple[int, ...]) -> np.ndarray:
    """GT patterns (dim, d (d+1)/2), read-only, built level by level: below each row, every row that
    interlaces it, entries descending and the last fastest (so in descending lexicographic order).
    Each level keeps its rows once per distinct part above them, with the index of the row above."""
    d = len(lam)
    levels = [(np.array([lam], dtype=np.int64), None)]  # (rows (n_level, length), index of the row above)
    for length in range(d - 1, 0, -1):
        above = levels[-1][0]
        counts = above[:, :-1] - above[:, 1:] + 1  # choices of each entry of the new row
        sizes = counts.prod(axis=1)
        parent = np.repeat(np.arange(len(above)), sizes)
        rank = np.arange(len(parent)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        row = np.empty((len(parent), length), dtype=np.int64)
        for k in range(length - 1, -1, -1):
            count = counts[parent, k]
            row[:, k] = above[parent, k] - rank % count
            rank //= count
        levels.append((row, parent))
    pats = np.empty((len(levels[-1][0]), d * (d + 1) // 2), dtype=np.int64)
    index = np.arange(len(pats))
    for depth in range(d - 1, -1, -1):  # gather the rows of each pattern, bottom row first
        row, parent = levels[depth]
        for k in range(d - depth):
            pats[:, _row_slice(d, d - depth).start + k] = row[index, k]
        if parent is not None:
            index = parent[index]
    pats.flags.writeable = False
    return pats


_KEY_LIMIT = 2**63  # int64 keys while the product of the radices is below this, byte strings above


@lru_cache(maxsize=256)
def _key_space(lam: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray | None]:
    """Mixed-radix keys of the m = d (d-1)/2 entries below the top row, for the patterns of lam and
    of lam - e_r with entries moved by one: entry k of row l lies in lam[k + d - l] - 1 .. lam[k] + 1.

    Returns lo (m,) and the place values (m,) int64, or None for byte-string keys."""
    d = len(lam)
    entries = [(lam[k + d - level] - 1, lam[k] + 1) for level in range(d - 1, 0, -1) for k in range(level)]
    lo = np.array([low for low, _ in entries], dtype=np.int64)
    radix = [high - low + 1 for low, high in entries]
    place = None
    if math.prod(radix) < _KEY_LIMIT:
        place = np.array([math.prod(radix[i + 1:]) for i in range(len(radix))], dtype=np.int64)
        place.flags.writeable = False
    lo.flags.writeable = False
    return lo, place


def _keys(below: np.ndarray, space: tuple[int, ...]) -> np.ndarray:
    """Keys (n,) of rows (n, m) of entries below the top row, in the key space of `space`; they
    order like the rows (lexicographically): int64, or big-endian byte strings."""
    lo, place = _key_space(space)
    if place is None:
        return np.ascontiguousarray(below - lo, dtype=">u8").view(f"S{8 * len(lo)}").ravel()
    return (below - lo) @ place


def _moved_keys(space: tuple[int, ...], base: np.ndarray, moves: list[tuple[int, int]]) -> np.ndarray:
    """Keys (dim,) of the patterns of `space` (keys `base`) with the entry at position pos below
    the top row moved by delta, for each (pos, delta) in moves."""
    place = _key_space(space)[1]
    if place is not None:
        return base + sum(delta * int(place[pos]) for pos, delta in moves)
    below = _patterns(space)[:, len(space):].copy()
    for pos, delta in moves:
        below[:, pos] += delta
    return _keys(below, space)


def _sorted_keys(space: tuple[int, ...], lam: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(sorted keys (dim,), pattern index of each (dim,)) of the patterns of lam (space or space
    - e_r) in the key space of `space`."""
    keys = _keys(_patterns(lam)[:, len(lam):], space)
    order = np.argsort(keys, kind="stable")
    return keys[order], order


def _find(sorted_keys: np.ndarray, order: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Pattern index (n,) of each key (n,) among (sorted_keys, order) of `_sorted_keys`, -1 if none."""
    pos = np.minimum(np.searchsorted(sorted_keys, key), len(order) - 1)
    return np.where(sorted_keys[pos] == key, order[pos], -1)


@lru_cache(maxsize=256)
def _index(lam: tuple[int, ...]) -> MappingProxyType:
    return MappingProxyType({tuple(p): i for i, p in enumerate(_patterns(lam).tolist())})


@lru_cache(maxsize=256)
def _weights(lam: tuple[int, ...]) -> np.ndarray:
    d, pats = len(lam), _patterns(lam)
    sigma = np.zeros((len(pats), d + 1), dtype=np.int64)
    for level in range(1, d + 1):
        sigma[:, level] = pats[:, _row_slice(d, level)].sum(axis=1)
    w = np.diff(sigma, axis=1)
    w.flags.writeable = False
    return w


def gt_patterns(lam) -> np.ndarray:
    """GT patterns of lam: (dim, d (d+1)/2) int64, read-only; rows of a pattern flattened top row
    first (row d = lam, ..., row 1), patterns in descending lexicographic order (index 0 is the
    highest weight). Row l = m_{1,l} >= ... >= m_{l,l} interlaces: m_{k,l+1} >= m_{k,l} >= m_{k+1,l+1}."""
    return _patterns(_partition(lam))


def pattern_index(lam) -> MappingProxyType:
    """Read-only mapping flattened pattern tuple -> basis index (the inverse of `gt_patterns`)."""
    return _index(_partition(lam))


def weights(lam) -> np.ndarray:
    """Occupations (dim, d) int64, read-only: w[i, a] = eigenvalue of E_aa on basis vector i."""
    return _weights(_partition(lam))


@lru_cache(maxsize=512)
def _raising(lam: tuple[int, ...], a: int) -> sp.csr_matrix:
    """E_{a,a+1} (0-based a; GT level l = a + 1): raises one entry m_{k,l} with coefficient sqrt(c)."""
    d, level, pats = len(lam), a + 1, _patterns(lam)
    sl, up_sl = _row_slice(d, level), _row_slice(d, level + 1)
    down_sl = _row_slice(d, level - 1) if level > 1 else slice(0, 0)
    # shifted entries l_i = m_i - i: the coefficient depends only on their differences
    row, up, down = ((pats[:, s] - np.arange(s.stop - s.start)).astype(float) for s in (sl, up_sl, down_sl))
    base = _keys(pats[:, d:], lam)
    sorted_keys, order = _sorted_keys(lam, lam)
    rows, cols, vals = [], [], []
    for k in range(level):
        target = _find(sorted_keys, order, _moved_keys(lam, base, [(sl.start + k - d, 1)]))
        col = np.flatnonzero(target >= 0)
        x = row[col, k:k + 1]
        num = -np.prod(up[col] - x, axis=1) * np.prod(down[col] - x - 1, axis=1)
        others = np.delete(row[col], k, axis=1) - x
        den = np.prod(others * (others - 1), axis=1)
        bad = np.flatnonzero(num * den < 0)
        if bad.size:
            raise ArithmeticError(f"negative GT coefficient for pattern {pats[col[bad[0]]].tolist()} of {lam}")
        rows.append(target[col])
        cols.append(col)
        vals.append(np.sqrt(num / den))
    rows, cols, vals = (np.concatenate(x) for x in (rows, cols, vals))
    return sp.csr_matrix((vals, (rows, cols)), shape=(len(pats), len(pats)))


@lru_cache(maxsize=1024)
def _generator(lam: tuple[int, ...], a: int, b: int) -> sp.csr_matrix:
    if a == b:
        return sp.diags(_weights(lam)[:, a].astype(float), format="csr")
    if a > b:
        return _generator(lam, b, a).T.tocsr()
    if b == a + 1:
        return _raising(lam, a)
    left, right = _raising(lam, a), _generator(lam, a + 1, b)  # [E_{a,a+1}, E_{a+1,b}] = E_{a,b}
    return (left @ right - right @ left).tocsr()


def generator(lam, a: int, b: int) -> sp.csr_matrix:
    """E_ab = sum_k |a><b|^(k) on V_lam in the GT basis: (dim, dim) real csr (a copy).

    E_{a,a+1} from the GT formula, E_ba = E_ab^T, E_ab (b > a + 1) from [E_{a,a+1}, E_{a+1,b}].
    """
    lam = _partition(lam)
    d = len(lam)
    return _generator(lam, _index_arg(a, d, "a"), _index_arg(b, d, "b")).copy()


# ----------------------------------------------------------------------------- Pieri couplings

def reduced_wigner(upper, lower, j: int, k: int | None) -> float:
    """Reduced Wigner coefficient of U(l) : U(l-1) for coupling the fundamental irrep to a row.

    upper: the row (length l) of the smaller irrep at level l; lower: its row (length l-1) at
    level l-1; the box goes into row j (0-based) at level l and, if k is not None, into row k at
    level l-1 (k None: the box stays at level l). With a_i = upper_i + l - 1 - i, b_i = lower_i +
    l - 2 - i (0-based i):
      k given: S(k-j) sqrt[prod_{i!=k}(a_j-b_i) prod_{i!=j}(b_k-a_i+1) / (prod_{i!=j}(a_j-a_i) prod_{i!=k}(b_k-b_i+1))],
      k None:  sqrt[prod_i (a_j - b_i) / prod_{i!=j} (a_j - a_i)],
    S(x) = sign(x), S(0) = +1. Rows must interlace with and without the box (not checked).
    """
    level = len(upper)
    if len(lower) != level - 1 or not _is_int(j) or not 0 <= j < level \
            or not (k is None or (_is_int(k) and 0 <= k < level - 1)):
        raise ValueError(f"reduced_wigner needs len(lower) = len(upper) - 1, j in 0..{level - 1} and k None "
                         f"or in 0..{level - 2}; got lower={lower!r}, j={j!r}, k={k!r}")
    upper_row, lower_row = np.array([upper], dtype=np.int64), np.array(lower, dtype=np.int64).reshape(1, level - 1)
    sign, num, den = _wigner_radicand(upper_row, lower_row, int(j), None if k is None else int(k))
    num, den = float(num[0]), float(den[0])
    if num * den < 0:
        raise ArithmeticError(f"negative reduced Wigner radicand for {upper}, {lower}, j={j}, k={k}")
    return sign * math.sqrt(num / den)


def _wigner_radicand(upper: np.ndarray, lower: np.ndarray, j: int,
                     k: int | None) -> tuple[float, np.ndarray, np.ndarray]:
    """The formula of `reduced_wigner` for many row pairs at once: upper (n, l), lower (n, l-1) int.

    Returns the sign S and the numerator and denominator (n,) float of the radicand."""
    level = upper.shape[1]
    a = [upper[:, i] + (level - 1 - i) for i in range(level)]
    b = [lower[:, i] + (level - 2 - i) for i in range(level - 1)]
    num, den = np.ones(len(upper)), np.ones(len(upper))
    for i in range(level):
        if i != j:
            den *= a[j] - a[i]
            if k is not None:
                num *= b[k] - a[i] + 1
    for i in range(level - 1):
        if i != k:
            num *= a[j] - b[i]
            if k is not None:
                den *= b[k] - b[i] + 1
    return (-1.0 if k is not None and k < j else 1.0), num, den


def _pieri_args(mu, lam) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    mu, lam = _partition(mu, "mu"), _partition(lam)
    diff = [x - y for x, y in zip(lam, mu)]
    if len(mu) != len(lam) or sorted(diff) != [0] * (len(lam) - 1) + [1]:
        raise ValueError(f"lam must be mu plus one box (same d), got mu={mu!r}, lam={lam!r}")
    return mu, lam, diff.index(1)


@lru_cache(maxsize=128)
def _pieri(mu: tuple[int, ...], lam: tuple[int, ...], r: int) -> sp.csr_matrix:
    """C_{mu lam} (dim_mu * d, dim_lam) csr, vectorised over the patterns of lam.

    The box goes down the chain through rows js (js[i] at level d - i, js[0] = r) and leaves it at
    level `stop` (single-site state stop - 1). For each path, every pattern of lam minus the box is
    a pattern of mu or not, and the entry is the product of reduced Wigner coefficients: one per
    (level, j, k), computed once over all patterns of lam (meaningless where the pattern is not one)."""
    d, pats = len(lam), _patterns(lam)
    base, entries = _keys(pats[:, d:], lam), np.ascontiguousarray(pats.T)  # entries (d (d+1)/2, dim_lam)
    sorted_keys, order = _sorted_keys(lam, mu)

    def row(level: int, j: int | None) -> np.ndarray:  # (dim_lam, level): row `level`, entry j lowered
        out = entries[_row_slice(d, level)].T
        if j is not None:
            out = out.copy(order="F")
            out[:, j] -= 1
        return out

    @lru_cache(maxsize=None)
    def factor(level: int, j: int, k: int | None) -> np.ndarray:  # (dim_lam,)
        sign, num, den = _wigner_radicand(row(level, j), row(level - 1, k), j, k)
        with np.errstate(divide="ignore", invalid="ignore"):
            return sign * np.sqrt(num / den)

    found, counts = [], np.zeros(len(pats) + 1, dtype=np.int64)  # (columns, rows, values) of each path
    paths = {(r,): 1.0}  # js down to level `stop` -> product of the factors of the levels above
    for stop in range(d, 0, -1):
        for js, chain in paths.items():
            moves = [(_row_slice(d, d - i).start + j - d, -1) for i, j in enumerate(js) if i]
            i_mu = _find(sorted_keys, order, _moved_keys(lam, base, moves))
            col = np.flatnonzero(i_mu >= 0)
            value = (chain * factor(stop, js[-1], None))[col]
            if not np.isfinite(value).all():
                bad = col[np.flatnonzero(~np.isfinite(value))[0]]
                raise ArithmeticError(f"reduced Wigner coefficient not real for pattern {pats[bad].tolist()} of {lam}")
            keep = value != 0.0
            found.append((col[keep], i_mu[col[keep]] * d + stop - 1, value[keep]))
            counts[col[keep] + 1] += 1
        paths = {js + (k,): chain * factor(stop, js[-1], k) for js, chain in paths.items() for k in range(stop - 1)}
    indptr = np.cumsum(counts)  # a path gives a column at most one entry: fill the columns path by path
    indices, data, fill = np.empty(indptr[-1], dtype=np.int64), np.empty(indptr[-1]), indptr[:-1].copy()
    while found:
        col, rows, values = found.pop()
        at = fill[col]
        indices[at], data[at] = rows, values
        fill[col] += 1
    return sp.csc_matrix((data, indices, indptr), shape=(len(_patterns(mu)) * d, len(pats))).tocsr()


def pieri_coupling(mu, lam) -> np.ndarray:
    """C_{mu lam}: V_lam -> V_mu (x) C^d, (dim_mu * d, dim_lam) real, row i_mu * d + a (a copy).

    Closed form (production): product of `reduced_wigner` coefficients down the GT chain. It is
    an isometry (C^T C = 1) and equivariant: (E^mu_ab (x) 1 + 1 (x) |a><b|) C = C E^lam_ab.
    """
    return _pieri(*_pieri_args(mu, lam)).toarray()


def pieri_coupling_nullspace(mu, lam) -> np.ndarray:
    """C_{mu lam} as the null space of the intertwining equations (small irreps; the reference).

    Unknowns restricted to matching weights; normalised to C^T C = 1; phase: C[r, 0] > 0
    (highest weight of mu times |r> against the highest weight of lam, lam = mu + e_r).
    Shape and layout as `pieri_coupling`.
    """
    mu, lam, r = _pieri_args(mu, lam)
    d, n_mu, n_lam = len(lam), len(_patterns(mu)), len(_patterns(lam))
    n_out = n_mu * d
    allowed = ((_weights(mu)[:, None, :] + np.eye(d, dtype=np.int64)[None, :, :]).reshape(n_out, 1, d)
               == _weights(lam)[None, :, :]).all(axis=2)
    unknowns = np.flatnonzero(allowed.ravel(order="F"))  # column-major vec(C)
    blocks = []
    for a in range(d - 1):
        for x, y in ((a, a + 1), (a + 1, a)):
            unit = sp.csr_matrix(([1.0], ([x], [y])), shape=(d, d))
            lifted = sp.kron(_generator(mu, x, y), sp.identity(d)) + sp.kron(sp.identity(n_mu), unit)
            blocks.append(sp.kron(sp.identity(n_lam), lifted) - sp.kron(_generator(lam, x, y).T, sp.identity(n_out)))
    system = sp.vstack(blocks).tocsc()[:, unknowns] if blocks else sp.csc_matrix((0, len(unknowns)))
    gram = (system.T @ system).toarray()  # same null space as the system, unknowns x unknowns
    values, vectors = np.linalg.eigh(gram)
    kernel = vectors[:, values < 1e-9 * max(1.0, values[-1] if values.size else 1.0)]
    if kernel.shape[1] != 1:
        raise ArithmeticError(f"intertwiner space of dimension {kernel.shape[1]} for mu={mu}, lam={lam}")
    vec = np.zeros(n_out * n_lam)
    vec[unknowns] = kernel[:, 0]
    C = vec.reshape((n_out, n_lam), order="F") * math.sqrt(n_lam)
    return C if C[r, 0] > 0 else -C


# ----------------------------------------------------------------------------- local jumps

def kraus_operators(lam, o, sparse: bool = False) -> list[tuple[tuple[int, ...], np.ndarray]]:
    """Kraus operators of X -> sum_k o^(k) X o^(k)+ from V_lam (N = sum(lam) particles).

    Returns [(lam', K)], one entry per (mu, lam'): mu = lam - e_r (r ascending), lam' = mu + e_s
    (s ascending), K = sqrt(N f_mu/f_lam) C_{mu lam'}^T (1_mu (x) o) C_{mu lam}, complex
    (dim lam', dim lam), dense or, with sparse=True, csr. For rho = (+) rho_lam (x) 1/f_lam, the image
    has reduced blocks sum over entries with target lam' of K rho_lam K^+. o: (d, d) single-site matrix.
    """
    lam = _partition(lam)
    d = len(lam)
    o = sp.csr_matrix(_operator(o, d))
    n, out = sum(lam), []
    for r in _removable(lam):
        mu = _shift(lam, r, -1)
        factor = math.sqrt(n * specht_ratio(lam, r))
        left = sp.kron(sp.identity(len(_patterns(mu)), format="csr"), factor * o, format="csr") @ _pieri(mu, lam, r)
        for s in _addable(mu):
            target = _shift(mu, s, +1)
            K = _pieri(mu, target, s).T.tocsr() @ left
            K.sort_indices()
            K.eliminate_zeros()
            out.append((target, K if sparse else K.toarray()))
    return out


def no_jump_operator(lam, o) -> sp.csr_matrix:
    """Q = sum_k o^(k)+ o^(k) = sum_ab (o^+ o)_ab E_ab on V_lam: (dim, dim) complex csr."""
    lam = _partition(lam)
    d = len(lam)
    o = _operator(o, d)
    p = o.conj().T @ o
    dim = len(_patterns(lam))
    q = sp.csr_matrix((dim, dim), dtype=complex)
    for a, b in itertools.product(range(d), repeat=2):
        if p[a, b] != 0:
            q = q + p[a, b] * _generator(lam, a, b)
    return q.tocsr()


# ----------------------------------------------------------------------------- product states

def coherent_amplitudes(n: int, phi) -> np.ndarray:
    """phi^(x)n on the GT basis of (n, 0, ..., 0): (dim,) complex, dim = C(n + d - 1, d - 1).

    A pattern there is an occupation vector w (`weights`), and the amplitude is
    sqrt(n! / prod_a w_a!) prod_a phi_a^(w_a) (moduli in log space). phi: (d,) nonzero, normalised
    here (phi / |phi|).
    """
    n = _count(n, "n")
    phi = np.asarray(phi)
    if phi.ndim != 1 or phi.size == 0 or not np.issubdtype(phi.dtype, np.number) or not np.all(np.isfinite(phi)) \
            or not np.any(phi != 0):
        raise ValueError(f"phi must be a nonzero finite 1-d vector of d amplitudes, got {phi!r}")
    phi = phi.astype(complex) / np.linalg.norm(phi)
    w = _weights((n,) + (0,) * (phi.size - 1))
    logmod = 0.5 * (math.lgamma(n + 1) - gammaln(w + 1.0).sum(axis=1)) + xlogy(w, np.abs(phi)[None, :]).sum(axis=1)
    return np.exp(logmod) * np.exp(1j * (w * np.angle(phi)[None, :]).sum(axis=1))


def group_action(lam, U, B=None) -> np.ndarray:
    """pi_lam(U) @ B for a unitary (d, d) matrix U: the operator U^(x)N restricted to V_lam, in the GT
    basis, applied to the columns of B (dim, k) (default: the identity, giving pi_lam(U) itself).

    pi_lam(U) = exp(sum_ab X_ab E_ab) with X = log U (anti-Hermitian), applied with
    scipy.sparse.linalg.expm_multiply; complex (dim, k).
    """
    lam = _partition(lam)
    d = len(lam)
    U = _operator(U, d, "U")
    if not np.allclose(U.conj().T @ U, np.eye(d), rtol=0, atol=1e-10):
        raise ValueError("U must be unitary (U^+ U = 1 to 1e-10)")
    dim = len(_patterns(lam))
    B = np.eye(dim, dtype=complex) if B is None else np.asarray(B, dtype=complex)
    if B.ndim != 2 or B.shape[0] != dim:
        raise ValueError(f"B must have shape ({dim}, k), got {B.shape}")
    X = scipy.linalg.logm(U)
    X = (X - X.conj().T) / 2
    A = sp.csr_matrix((dim, dim), dtype=complex)
    for a, b in itertools.product(range(d), repeat=2):
        if abs(X[a, b]) > 1e-15:
            A = A + X[a, b] * _generator(lam, a, b)
    return B.copy() if A.nnz == 0 else expm_multiply(A.tocsr(), B)


def product_state_block(lam, rho1) -> np.ndarray:
    """rho_lam of the product state rho1^(x)N (N = sum(lam)) in rho = (+) rho_lam (x) 1/f_lam:
    f_lam pi_lam(rho1), (dim, dim) complex, trace f_lam s_lam(p) (`product_sector_probabilities`).

    rho1 = U diag(p) U^+ gives f_lam pi_lam(U) diag(prod_a p_a^(w_a)) pi_lam(U)^+ (weights `weights`,
    computed in log space); rho1: (d, d) density matrix (Hermitian, positive, trace one).
    """
    lam = _partition(lam)
    d = len(lam)
    rho1 = _operator(rho1, d, "rho1")
    p, U = np.linalg.eigh((rho1 + rho1.conj().T) / 2)
    w = _weights(lam)
    with np.errstate(divide="ignore", invalid="ignore"):  # 0 log 0 = 0
        logdiag = log_specht_dimension(lam) + np.where(w == 0, 0.0, w * np.log(np.clip(p, 0.0, None))).sum(axis=1)
    keep = np.flatnonzero(logdiag > -np.inf)
    dim = len(w)
    if keep.size == 0:
        return np.zeros((dim, dim), dtype=complex)
    B = np.zeros((dim, keep.size), dtype=complex)
    B[keep, np.arange(keep.size)] = np.exp(0.5 * logdiag[keep])
    A = group_action(lam, U, B)
    return A @ A.conj().T


def _log_power(k: np.ndarray, logp: float) -> np.ndarray:
    """k * log p with 0 * log 0 = 0."""
    return np.where(k == 0, 0.0, k * logp) if np.isfinite(logp) else np.where(k == 0, 0.0, -np.inf)


def _logsumexp(x: np.ndarray) -> float:
    top = x.max()
    return top if top == -np.inf else top + math.log(np.exp(x - top).sum())


def _log_schur_sum(table: np.ndarray, lam: tuple[int, ...], logp_l: float) -> float:
    """log sum_{nu interlacing lam} exp(table[nu]) p_l^(|lam| - |nu|) (nu: len(lam) - 1 rows)."""
    box = table[tuple(slice(lam[i + 1], lam[i] + 1) for i in range(len(lam) - 1))]
    grids = np.meshgrid(*(np.arange(lam[i + 1], lam[i] + 1) for i in range(len(lam) - 1)), indexing="ij")
    return _logsumexp(box + _log_power(sum(lam) - sum(grids), logp_l))


def _log_schur(n: int, logp: np.ndarray) -> np.ndarray:
    """log s_lam(p_1..p_d) for lam in partitions(n, d), d = len(logp), by branching
    s_lam(p_1..p_l) = sum_{nu interlacing lam} s_nu(p_1..p_{l-1}) p_l^(|lam|-|nu|). The tables of
    levels l < d are dense arrays of shape (n+1,)*l over all |nu| <= n, -inf off the partitions."""
    d = len(logp)
    table = _log_power(np.arange(n + 1), logp[0])
    if d == 1:
        return table[n:]
    for level in range(2, d):
        new = np.full((n + 1,) * level, -np.inf)
        for size in range(n + 1):
            for lam in _partitions(size, level, size):
                new[lam] = _log_schur_sum(table, lam, logp[level - 1])
        table = new
    return np.array([_log_schur_sum(table, lam, logp[d - 1]) for lam in _partitions(n, d, n)])


def product_sector_probabilities(n: int, p, log: bool = False) -> np.ndarray:
    """P(lam) = f_lam s_lam(p) for rho_1^(x)n, rho_1 with eigenvalues p: (len(partitions(n, d)),)
    in the order of `partitions(n, d)`, d = len(p); sums to 1. Computed in log space (the Schur
    polynomials by branching over the number of variables, a sum of positive terms; memory
    ~ 8 (n+1)^(d-1) bytes); with log=True returns log P (-inf where P = 0).
    """
    n = _count(n, "n")
    p = np.asarray(p, dtype=float) if np.asarray(p).dtype.kind in "iuf" else None
    if p is None or p.ndim != 1 or p.size == 0 or not np.all(np.isfinite(p)) or p.min() < -1e-12 \
            or abs(p.sum() - 1) > 1e-9:
        raise ValueError("p must be a 1-d vector of d >= 1 non-negative eigenvalues summing to 1")
    with np.errstate(divide="ignore"):
        logp = np.log(np.clip(p, 0.0, None))
    out = _log_schur(n, logp) + np.array([log_specht_dimension(lam) for lam in _partitions(n, p.size, n)])
    return out if log else np.exp(out)
