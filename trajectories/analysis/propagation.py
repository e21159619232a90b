"""Standard errors of functions of the mean block vector, for any result (docs/theory.md §4).

Every result gives `statistics()`: mu (T, B, 9), the mean over trajectories of the per-block vector
v = (m_x, m_y, m_z, m_xm_x, m_xm_y, m_xm_z, m_ym_y, m_ym_z, m_zm_z) (`block_vector`), and the
covariance C (T, B, 9, B, 9) of its per-trajectory values across blocks. An estimator F(mu) with
gradient G = dF/dmu has the standard error sqrt(G^T C G / n): exact when F is linear in mu (then F
is the mean of per-trajectory values G . v), first order (delta method) otherwise. Exact and
mean-field results have C = 0 and n = None: their estimators are exact, with zero error. An
ensemble of fewer than two trajectories has no C: InsufficientDataError, carrying the estimate.
"""
from __future__ import annotations

import numpy as np

from ..base.errors import InsufficientDataError
from ..base.results import PAIRS, Statistics

#: position in the block vector of the symmetrised product m_a m_c, for (a, c) in either order
PAIR_INDEX = {**{(a, c): 3 + i for i, (a, c) in enumerate(PAIRS)},
              **{(c, a): 3 + i for i, (a, c) in enumerate(PAIRS)}}


def block_statistics(result, components: int = 3) -> Statistics:
    """`result.statistics()`, refusing an ensemble without trajectories, and a result whose blocks
    do not have `components` components (3: spin-1/2 blocks, Pauli units; d^2: a QuditModel's).

    Returns
    -------
    Statistics(mu (T, B, V), cov (T, B, V, B, V) or None, n), V = 9 for spin blocks
    """
    kind = getattr(result, "kind", "spin")
    if (kind == "spin") != (components == 3):
        raise ValueError(f"this estimator takes {'spin' if components == 3 else 'QuditModel'} results "
                         f"(components of the average operators), got a {kind} result; for a QuditModel "
                         "result use clustering(), or the mean and second arrays directly")
    stats = result.statistics()
    if stats.n is not None and stats.n < 1:
        raise InsufficientDataError("the ensemble holds no trajectories")
    return stats


def propagated_stderr(stats: Statistics, G: np.ndarray, estimate, what: str) -> np.ndarray:
    """sqrt(G^T C G / n) for gradients G (T, ..., B, 9); shape (T, ...).

    Zero for an exact result (n None). Raises InsufficientDataError carrying `estimate` (the
    estimate in its public shape) when the ensemble has fewer than two trajectories.
    """
    G = np.asarray(G, dtype=float)
    if stats.n is None:
        return np.zeros(G.shape[:-2])
    if stats.cov is None:
        raise InsufficientDataError(f"{what}: a standard error needs ntraj >= 2, got {stats.n} "
                                    f"(the estimate is attached as .estimate)", estimate)
    var = np.einsum("t...bi,tbicj,t...cj->t...", G, stats.cov, G)
    # tiny negative values are round-off of a zero variance
    return np.sqrt(np.maximum(var, 0.0) / stats.n)


def block_diagonal(g: np.ndarray) -> np.ndarray:
    """Per-block gradients g (T, B, ..., 9) -> gradients (T, B, ..., B, 9) that vanish outside
    their own block (an estimator of block b depends on block b's vector only)."""
    T, B = g.shape[:2]
    G = np.zeros(g.shape[:-1] + (B, 9))
    for b in range(B):
        G[:, b, ..., b, :] = g[:, b]
    return G


def estimator_value(output) -> np.ndarray:
    """The value of an estimator's output: `output[0]` of a (value, stderr) tuple, else `output`."""
    return np.asarray(output[0] if isinstance(output, tuple) else output, dtype=float)
