"""Percentile bootstrap intervals of any estimator of an ensemble (docs/theory.md §4).

A resample draws ntraj trajectories with replacement: multinomial counts c_i, and the resampled
Ensemble holds the count-weighted running sums sum_i c_i x_i of the kept per-trajectory data (the
sums of the means, seconds, their squares and the block-vector cross-products). The sums of a batch of
resamples are one matrix product counts @ per-trajectory terms; nothing is re-run.
"""
from __future__ import annotations

import numpy as np

from ..base.ensemble import Ensemble
from ..base.errors import InsufficientDataError
from ..base.results import block_vector
from .propagation import estimator_value

#: the running sums of an Ensemble, in the order of the per-trajectory terms
SUMS = ("sum1", "sq1", "sum2", "sq2", "cross")
#: bytes of resampled sums held at once
CHUNK_BYTES = 64 * 2 ** 20


def _trajectory_terms(ens) -> tuple[np.ndarray, list]:
    """Per-trajectory contributions to every running sum, flattened: (ntraj, D), and the shapes."""
    X, Y = ens.trajectory_means(), ens.trajectory_seconds()
    v = block_vector(X, Y)
    parts = [X, X * X, Y, Y * Y, v[..., :, :, None, None] * v[..., None, None, :, :]]
    n = len(X)
    return np.concatenate([p.reshape(n, -1) for p in parts], axis=1), [p.shape[1:] for p in parts]


def resampled_ensembles(ens, nboot: int, seed=0):
    """Yield `nboot` Ensembles of ntraj trajectories drawn with replacement from `ens`.

    Parameters
    ----------
    ens : Ensemble with keep_trajectories=True
    nboot : number of resamples
    seed : seed of np.random.default_rng (the same seed gives the same resamples)
    """
    n = ens.ntraj
    terms, shapes = _trajectory_terms(ens)
    bounds = np.cumsum([0] + [int(np.prod(s)) for s in shapes])
    rng = np.random.default_rng(seed)
    chunk = max(1, min(nboot, CHUNK_BYTES // (8 * terms.shape[1])))
    for start in range(0, nboot, chunk):
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=min(chunk, nboot - start))
        for row in counts.astype(float) @ terms:
            sums = {k: row[bounds[i]:bounds[i + 1]].reshape(shapes[i]) for i, k in enumerate(SUMS)}
            yield Ensemble(times=ens.times, sizes=ens.sizes, single_block=ens.single_block, ntraj=n, **sums)


def bootstrap(ens, estimator, nboot: int = 1000, level: float = 0.95, seed=0):
    """Percentile bootstrap interval of estimator(ens), resampling trajectories with replacement.

    Parameters
    ----------
    ens : Ensemble with keep_trajectories=True and ntraj >= 2
    estimator : callable Result -> array, or -> (value, stderr) of which the value is used;
        e.g. ``lambda r: clustering(r, mf)[0]`` or ``variance``
    nboot : int >= 10, number of resamples
    level : confidence level in (0, 1)
    seed : seed of the resampling (np.random.default_rng)

    Returns
    -------
    (lo, hi), each shaped like the estimator's value: the (1 - level)/2 and (1 + level)/2
    quantiles of its value over the resamples.
    """
    if not isinstance(ens, Ensemble) or not ens.keep_trajectories:
        raise ValueError("bootstrap needs per-trajectory data: an Ensemble run with keep_trajectories=True")
    if not callable(estimator):
        raise ValueError(f"estimator must be a callable taking a Result, got {estimator!r}")
    if not (0 < level < 1):
        raise ValueError(f"level must be in (0, 1), got {level}")
    if isinstance(nboot, bool) or not isinstance(nboot, (int, np.integer)) or nboot < 10:
        raise ValueError(f"nboot must be an integer >= 10, got {nboot!r}")
    if ens.ntraj < 2:
        raise InsufficientDataError(f"bootstrap needs ntraj >= 2, got {ens.ntraj}")
    values = np.array([estimator_value(estimator(r)) for r in resampled_ensembles(ens, nboot, seed)])
    q = (1 - level) / 2
    return np.quantile(values, q, axis=0), np.quantile(values, 1 - q, axis=0)
