"""Diagonal quantities on the grid of m_z values: distributions and diagonal observables.

The global layout (sectors/states.py) indexes the amplitudes of |j_1, m_1> (x) ... (x) |j_B, m_B> by
i = sum_b k_b stride_b, k_b = N_b/2 - m_b, block 0 slowest. In a sector tuple the probability of
m_z^b = 2 m_b / N_b is the squared amplitude summed over the other blocks, so the quantum
distribution of any function of (m_z^1, ..., m_z^B) is a weighted sum over the grid of its G =
prod_b (N_b + 1) points (docs/theory.md §13). `DiagonalSpec` fixes, before a run, which
distributions (per block, or of linear combinations sum_b w_b m_z^b such as Hopfield pattern
overlaps) and which diagonal observables f(m_z^1, ..., m_z^B) are recorded.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

#: values of a combination closer than this (relative to its largest |value|) share a bin
VALUE_DECIMALS = 10


def grid_mz(sizes) -> np.ndarray:
    """m_z^b = 2 m_b / N_b on the global layout, shape (B, G)."""
    sizes = [int(n) for n in sizes]
    G = math.prod(n + 1 for n in sizes)
    out = np.empty((len(sizes), G))
    reps = 1
    for b, n in enumerate(sizes):
        inner = G // (reps * (n + 1))
        mz = 1.0 - 2.0 * np.arange(n + 1) / n
        out[b] = np.tile(np.repeat(mz, inner), reps)
        reps *= n + 1
    return out


def combination_bins(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bin_of (G,) int64, bin_values (nbins,) ascending) of the distinct values (G,) on the grid."""
    scale = max(float(np.max(np.abs(values))), 1.0)
    keys = np.round(values / scale, VALUE_DECIMALS)
    uniq, inverse = np.unique(keys, return_inverse=True)
    sums = np.bincount(inverse.ravel(), weights=values)
    return inverse.ravel().astype(np.int64), sums / np.bincount(inverse.ravel())


def tabulate(name: str, f, sizes) -> np.ndarray:
    """f(m_z^1, ..., m_z^B) on the grid (G,), from a vectorised callable of B arrays (one block:
    f(m_z)). ValueError naming the observable when f fails, is not vectorised or not finite real."""
    mz = grid_mz(sizes)
    if not callable(f):
        raise ValueError(f"observable {name!r} must be a function of the B = {len(mz)} block "
                         f"magnetisations m_z^b (arrays), got {type(f).__name__}")
    try:
        with np.errstate(all="ignore"):
            values = np.asarray(f(*mz))
    except Exception as err:
        reason = " ".join(f"{type(err).__name__}: {err}".split())
        raise ValueError(f"observable {name!r} must accept {len(mz)} numpy array(s) (m_z of each block) and "
                         f"return an array of their shape; calling it failed ({reason})") from err
    if values.dtype == object or not np.issubdtype(values.dtype, np.number):
        raise ValueError(f"observable {name!r} returned {values.dtype} values, expected real numbers")
    if np.iscomplexobj(values):
        if np.any(values.imag != 0):
            raise ValueError(f"observable {name!r} returned complex values: it must be real")
        values = values.real
    try:
        values = np.broadcast_to(values, mz.shape[1:]).astype(float)
    except ValueError:
        raise ValueError(f"observable {name!r} must be vectorised: returned shape {values.shape} for "
                         f"inputs of shape {mz.shape[1:]}") from None
    bad = ~np.isfinite(values)
    if np.any(bad):
        at = ", ".join(f"{x:.4g}" for x in mz[:, int(np.argmax(bad))])
        raise ValueError(f"observable {name!r} is not finite at m_z = ({at})")
    return values


@dataclass
class DiagonalSpec:
    """What a run records besides the moments: distributions and diagonal observables.

    names : distribution names ("block 0", ..., then the named combinations)
    weights : (R, B) the combination sum_b w_b m_z^b of each distribution
    values : list of R arrays, the ascending values of each distribution (its bins)
    bin_of : (R, G) int64, the bin (offset into the concatenated bins) of each grid point
    observables : names of the diagonal observables
    table : (K, G) their values on the grid
    """

    sizes: tuple
    names: list = field(default_factory=list)
    weights: np.ndarray = None
    values: list = field(default_factory=list)
    bin_of: np.ndarray = None
    observables: list = field(default_factory=list)
    table: np.ndarray = None

    @property
    def nbins(self) -> int:
        return int(sum(len(v) for v in self.values))

    @property
    def offsets(self) -> np.ndarray:
        """(R + 1,) start of each distribution's bins in the concatenated bins."""
        return np.concatenate([[0], np.cumsum([len(v) for v in self.values])]).astype(np.int64)

    @property
    def empty(self) -> bool:
        return not self.names and not self.observables

    def describe(self) -> dict:
        """Plain data for metadata and identity: names, weights and observable names."""
        return {"distributions": list(self.names), "weights": np.asarray(self.weights).tolist(),
                "observables": list(self.observables)}


def diagonal_spec(sizes, distributions=False, observables=None) -> DiagonalSpec:
    """The DiagonalSpec of a run.

    Parameters
    ----------
    sizes : block sizes (B,)
    distributions : False, True (P(m_z^b) of every block), or a dict name -> weights (B,) adding the
        distributions of sum_b w_b m_z^b to the per-block ones (e.g. pattern overlaps, w_b =
        (N_b/N) s_b)
    observables : dict name -> callable f(m_z^1, ..., m_z^B), vectorised (tabulated here)
    """
    sizes = tuple(int(n) for n in sizes)
    B = len(sizes)
    combos = {}
    if isinstance(distributions, dict):
        combos, distributions = distributions, True
    elif not isinstance(distributions, (bool, np.bool_)):
        raise ValueError("distributions must be True, False or a dict name -> weights (one per block), "
                         f"got {type(distributions).__name__}")
    observables = {} if observables is None else observables
    if not isinstance(observables, dict):
        raise ValueError("observables must be a dict name -> function of the block magnetisations, "
                         f"got {type(observables).__name__}")
    names, weights = [], []
    if distributions:
        for b in range(B):
            names.append(f"block {b}")
            weights.append(np.eye(B)[b])
    for name, w in combos.items():
        w = np.asarray(w, dtype=float) if np.ndim(w) else np.full(1, w, dtype=float)
        if not isinstance(name, str) or name in names:
            raise ValueError(f"distribution names must be distinct strings other than 'block b', got {name!r}")
        if w.shape != (B,) or not np.all(np.isfinite(w)) or not np.any(w):
            raise ValueError(f"distribution {name!r}: weights must be {B} finite numbers (one per block), "
                             f"not all zero, got {w.tolist()}")
        names.append(name)
        weights.append(w)
    mz = grid_mz(sizes) if names else None
    values, bins, start = [], [], 0
    for w in weights:
        bin_of, v = combination_bins(w @ mz)
        bins.append(bin_of + start)
        values.append(v)
        start += len(v)
    for name in observables:
        if not isinstance(name, str) or not name:
            raise ValueError(f"observable names must be non-empty strings, got {name!r}")
    G = math.prod(n + 1 for n in sizes)
    table = np.array([tabulate(k, f, sizes) for k, f in observables.items()]).reshape(-1, G)
    return DiagonalSpec(sizes=sizes, names=names, weights=np.array(weights).reshape(-1, B), values=values,
                        bin_of=np.array(bins, dtype=np.int64).reshape(-1, G), observables=list(observables),
                        table=table)


def find_distribution(names: list, weights: np.ndarray, block=None, name=None, weights_of=None) -> int:
    """Index of the requested distribution: by block (default 0), by name, or by its weights."""
    given = sum(x is not None for x in (block, name, weights_of))
    if given > 1:
        raise ValueError("give one of block, name or weights")
    if name is not None:
        if name not in names:
            raise ValueError(f"no distribution {name!r} was recorded; recorded: {names}")
        return names.index(name)
    if weights_of is not None:
        w = np.asarray(weights_of, dtype=float)
        for r, v in enumerate(weights):
            if v.shape == w.shape and np.allclose(v, w, rtol=1e-12, atol=0):
                return r
        raise ValueError(f"no distribution with weights {w.tolist()} was recorded; recorded: {names}")
    block = 0 if block is None else block
    B = weights.shape[1] if len(weights) else None
    key = f"block {block}"
    if not isinstance(block, (int, np.integer)) or key not in names:
        rng = f"0..{B - 1}" if B else "none (run with distributions=True)"
        raise ValueError(f"block must be a recorded block index ({rng}), got {block!r}")
    return names.index(key)
