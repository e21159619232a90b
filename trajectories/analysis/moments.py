"""Moments of the average operators for any result: variances, covariances, two-site connected
correlations, linear functionals (pattern overlaps) and paired differences (docs/theory.md §4).

Each estimator returns (value, stderr) in the axis conventions of trajectories/base/results.py (time
last; the block axis dropped for a SpinModel). Linear functionals have exact standard errors, the
others delta-method ones (`propagation`); exact and mean-field results give zero errors.
"""
from __future__ import annotations

import numpy as np

from ..base.ensemble import Ensemble, stream_key
from ..base.errors import InsufficientDataError
from ..base.results import ExactResult
from .propagation import PAIR_INDEX, block_diagonal, block_statistics, estimator_value, propagated_stderr


def _covariance_from(mu: np.ndarray) -> np.ndarray:
    """Cov(m_a^b, m_c^b) (..., B, 3, 3) from block vectors mu (..., B, 9)."""
    m = mu[..., :3]
    pair = np.stack([np.stack([mu[..., PAIR_INDEX[(a, c)]] for c in range(3)], -1) for a in range(3)], -2)
    return pair - m[..., :, None] * m[..., None, :]


def _covariance_gradient(mu: np.ndarray) -> np.ndarray:
    """d Cov(m_a^b, m_c^b) / d mu^b, shape (T, B, 3, 3, 9)."""
    g = np.zeros(mu.shape[:2] + (3, 3, 9))
    for a in range(3):
        for c in range(3):
            g[..., a, c, PAIR_INDEX[(a, c)]] = 1.0
            g[..., a, c, a] -= mu[..., c]
            g[..., a, c, c] -= mu[..., a]
    return g


def covariance(result):
    """Within-block covariances Cov(m_a^b, m_c^b) = omega_t((m_a m_c + m_c m_a)/2) - omega_t(m_a) omega_t(m_c).

    Parameters
    ----------
    result : Result (Ensemble, ExactResult or spin MeanFieldResult)

    Returns
    -------
    (cov, stderr), each (B, 3, 3, T), or (3, 3, T) for a SpinModel; delta-method errors (zero when
    exact). Cross-block covariances are `result.second` minus products of `result.mean`.
    """
    stats = block_statistics(result)
    cov = result.public(_covariance_from(stats.mu))
    G = block_diagonal(_covariance_gradient(stats.mu))
    return cov, result.public(propagated_stderr(stats, G, cov, "covariance"))


def variance(result):
    """Var(m_a^b) = omega_t(m_a^2) - omega_t(m_a)^2.

    Returns
    -------
    (var, stderr), each shaped like result.mean: (B, 3, T), or (3, T) for a SpinModel; delta-method
    errors (zero when exact).
    """
    stats = block_statistics(result)
    idx = np.arange(3)
    var = result.public(_covariance_from(stats.mu)[..., idx, idx])
    G = block_diagonal(_covariance_gradient(stats.mu)[..., idx, idx, :])
    return var, result.public(propagated_stderr(stats, G, var, "variance"))


def connected_correlations(result):
    """Connected correlations of two sites 1 != 2 of one block, C_ac = <s_a^1 s_c^2> - <s_a><s_c>.

    With <s_a^1 s_c^2> = (N_b omega_t((m_a m_c + m_c m_a)/2) - delta_ac) / (N_b - 1) (exact for
    permutation-invariant states; Pauli units).

    Returns
    -------
    (C, stderr), each (B, 3, 3, T), or (3, 3, T) for a SpinModel; delta-method errors (zero when
    exact). Blocks of one site have no pair: NaN there (ValueError when no block has two sites).
    """
    n_b = np.asarray(result.sizes, dtype=float)
    if not np.any(n_b >= 2):
        raise ValueError(f"two-site correlations need a block of >= 2 sites, got sizes {list(result.sizes)}")
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(n_b >= 2, n_b / (n_b - 1), np.nan)
        eye = np.eye(3) * np.where(n_b >= 2, 1 / (n_b - 1), np.nan)[:, None, None]
    stats = block_statistics(result)
    mu = stats.mu.copy()
    mu[..., 3:] *= scale[:, None]
    corr = result.public(_covariance_from(mu) - eye)
    g = _covariance_gradient(stats.mu)
    g[..., 3:] *= scale[None, :, None, None, None]
    g[..., 3:][~np.isfinite(g[..., 3:])] = 0.0          # one-site blocks: error NaN via the mask below
    err = propagated_stderr(stats, block_diagonal(g), corr, "connected_correlations")
    err[:, n_b < 2] = np.nan
    return corr, result.public(err)


def linear_functional(result, weights, constant=0.0):
    """sum_{b,i} w[..., b, i] omega_t(v_i^b) + constant, v^b the block vector of block b.

    Parameters
    ----------
    result : Result
    weights : (..., B, 3) on the means m_a^b, or (..., B, 9) on the whole block vector
        (m_x, m_y, m_z, m_xm_x, m_xm_y, m_xm_z, m_ym_y, m_ym_z, m_zm_z) (products symmetrised);
        the block axis is dropped for a SpinModel result: (..., 3) or (..., 9)
    constant : float or array broadcastable to (..., T)

    Returns
    -------
    (value, stderr), each (..., T); the error is exact (the functional is the mean of the
    per-trajectory functionals), from the cross-block covariance of the block vectors.
    """
    W = np.asarray(weights, dtype=float)
    if result.single_block:
        W = W[..., None, :]
    B = len(result.sizes)
    if W.ndim < 2 or W.shape[-2] != B or W.shape[-1] not in (3, 9):
        want = "(..., 3) or (..., 9)" if result.single_block else f"(..., {B}, 3) or (..., {B}, 9)"
        raise ValueError(f"weights must have shape {want}, got {np.shape(weights)}")
    if W.shape[-1] == 3:
        W = np.concatenate([W, np.zeros(W.shape[:-1] + (6,))], axis=-1)
    stats = block_statistics(result)
    value = np.einsum("...bi,tbi->...t", W, stats.mu)
    value = value + np.broadcast_to(np.asarray(constant, dtype=float), value.shape)
    G = np.broadcast_to(W, (len(result.times),) + W.shape)
    err = propagated_stderr(stats, G, value, "linear_functional")
    return value, np.moveaxis(err, 0, -1)


def pattern_overlaps(result, signatures):
    """Hopfield pattern overlaps m^mu = sum_g (N_g/N) s^mu_g m_z^g (docs/theory.md §7).

    Parameters
    ----------
    result : Result of a Hopfield block model
    signatures : (B, p) block signatures s_g in the model's frame (HopfieldNetwork.signatures)

    Returns
    -------
    (overlaps, stderr), each (p, T), exact errors (`linear_functional`).
    """
    s = np.asarray(signatures, dtype=float)
    B = len(result.sizes)
    if s.ndim != 2 or s.shape[0] != B:
        raise ValueError(f"signatures must have shape ({B}, p), got {s.shape}")
    w = np.asarray(result.sizes, dtype=float) / sum(result.sizes)
    W = np.zeros((s.shape[1], B, 3))
    W[..., 2] = s.T * w
    return linear_functional(result, W[:, 0] if result.single_block else W)


def _segment_key(segments) -> list:
    return [(stream_key(s["entropy"], s["spawn_key"]), int(s["start"]), int(s["stop"])) for s in segments]


def _check_pair(a, b) -> None:
    """Two ensembles of the same trajectory seeds, with per-trajectory data."""
    for name, e in (("a", a), ("b", b)):
        if not isinstance(e, Ensemble):
            raise ValueError(f"paired_difference needs two Ensembles, {name} is a {type(e).__name__}")
        if not e.keep_trajectories:
            raise ValueError(f"paired_difference needs per-trajectory data: run {name} with keep_trajectories=True")
    if not a.segments or _segment_key(a.segments) != _segment_key(b.segments):
        raise ValueError("paired_difference needs ensembles run with the same seed and trajectory range "
                         f"(common random numbers); segments differ: {a.segments} and {b.segments}")
    if a.times.shape != b.times.shape or not np.array_equal(a.times, b.times):
        raise ValueError("paired_difference needs ensembles recorded at the same times")


def trajectory_values(ens, estimator) -> np.ndarray:
    """estimator evaluated on each trajectory of `ens` alone (an exact result of its moments).

    Returns (ntraj, ...) with ... the shape of the estimator's value (needs keep_trajectories).
    """
    X, Y = ens.trajectory_means(), ens.trajectory_seconds()
    return np.array([estimator_value(estimator(ExactResult(
        times=ens.times, sizes=ens.sizes, single_block=ens.single_block, mean=ens.public(x),
        second=ens.public(y, blocks=2), method="trajectory"))) for x, y in zip(X, Y)])


def paired_difference(a, b, estimator=None):
    """Difference estimator(a) - estimator(b) of two ensembles run with common random numbers.

    Parameters
    ----------
    a, b : Ensembles (e.g. of two models) with the same seed and trajectory range (equal
        `segments`) and keep_trajectories=True, so that trajectory i of both used the same draws
    estimator : callable Result -> array or (value, stderr), LINEAR in the trajectories (the
        ensemble value is the mean of per-trajectory values: means, `linear_functional`,
        `clustering`); None: the means

    Returns
    -------
    (diff, stderr) shaped like the estimator's value (like `a.mean` by default); the error is
    the sample standard deviation of the per-trajectory differences / sqrt(ntraj).
    """
    _check_pair(a, b)
    if estimator is None:
        per = a.trajectory_means() - b.trajectory_means()          # (n, T, B, 3)
        shape = a.public
    else:
        values = [trajectory_values(e, estimator) for e in (a, b)]
        if values[0].shape != values[1].shape:
            raise ValueError(f"the estimator gives shapes {values[0].shape[1:]} and {values[1].shape[1:]}")
        for e, v in zip((a, b), values):
            if e.ntraj >= 2 and not np.allclose(v.mean(0), estimator_value(estimator(e)), rtol=1e-8,
                                                atol=1e-12 * (1 + np.abs(v).max())):
                raise ValueError("the estimator is not linear in the trajectories (its ensemble value is not "
                                 "the mean of per-trajectory values): paired_difference needs a linear one")
        per = values[0] - values[1]
        shape = np.asarray
    diff = shape(per.mean(0))
    if a.ntraj < 2:
        raise InsufficientDataError(f"paired_difference: a standard error needs ntraj >= 2, got {a.ntraj} "
                                    "(the estimate is attached as .estimate)", diff)
    return diff, shape(per.std(0, ddof=1) / np.sqrt(a.ntraj))
