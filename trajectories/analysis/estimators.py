"""Estimators on trajectory ensembles: variances, covariances, the clustering quantity E_N(t),
two-site correlations, bootstrap intervals and power-law fits (docs/theory.md §4; paper eq. 24, Theorem 1).

Statistics come from the ensemble's streaming sums: per trajectory i and time t the block vector
v = (m_x, m_y, m_z, m_xm_x, m_xm_y, m_xm_z, m_ym_y, m_ym_z, m_zm_z) (expectations in the trajectory's
state) is summed (sum1, sum2) and its cross-products are summed (cross). With n trajectories,
mu = sum v / n and C = (cross - n mu mu^T) / (n - 1) is the sample covariance of v (across blocks
too: cross[t, b, i, g, k] sums v^b_i v^g_k), so

* an estimator linear in mu, g . mu + const (E_N and its components), has standard error
  sqrt(g^T C g / n) exactly;
* a nonlinear one F(mu) (variances, covariances, connected correlations) gets the delta-method
  standard error sqrt(grad F^T C grad F / n); bootstrap intervals (percentile, seeded) need
  keep_trajectories=True.

Clustering quantity (paper eq. 24 in the orthonormal basis v_a = sigma_a/sqrt2, hence the 1/2 in
Pauli units): E_N(t) = 1/2 sum_a omega_t((m_a - m_a^MF(t))^2). For B blocks this module reports
E_N(t) = sum_b (N_b / N) 1/2 sum_a omega_t((m_a^b - m_a^{b,MF}(t))^2) (size-weighted, the paper's for
B = 1; a tagged block of one site contributes O(1/N)), with an exact standard error for any B.
Theorem 1: E_N(0) -> 0 implies E_N(t) <= e^{C1 t} E_N(0) + C2 (e^{C1 t} - 1)/(C1 N), so
E_N ~ 1/N for product initial states; a non-clustering state (cat) keeps E_N = O(1).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.results import PAIRS

#: index of the pair (a, c) (either order) in the block vector
PAIR_INDEX = {}
for _i, (_a, _c) in enumerate(PAIRS):
    PAIR_INDEX[(_a, _c)] = PAIR_INDEX[(_c, _a)] = 3 + _i


class InsufficientDataError(ValueError):
    """Too little data for an uncertainty; `.estimate` carries the point estimate (when defined)."""

    def __init__(self, message: str, estimate=None):
        super().__init__(message)
        self.estimate = estimate


# ----------------------------------------------------------------------------------------------
# ensemble sums
# ----------------------------------------------------------------------------------------------

def _vector_sums(ens) -> np.ndarray:
    """sum over trajectories of the block vector, (T, B, 9)."""
    B = len(ens.sizes)
    within = np.stack([ens.sum2[:, b, :, b, :] for b in range(B)], axis=1)  # (T, B, 3, 3)
    pairs = np.stack([within[..., a, c] for a, c in PAIRS], axis=-1)
    return np.concatenate([ens.sum1, pairs], axis=-1)


def _moments(ens, across=False):
    """(mu (T, B, 9), C): the covariance of the block vectors within each block, (T, B, 9, 9), or
    across blocks, (T, B, 9, B, 9) when `across`; C is None when ntraj < 2."""
    n = ens.ntraj
    if n < 1:
        raise InsufficientDataError("the ensemble holds no trajectories")
    s = _vector_sums(ens)
    mu = s / n
    if n < 2:
        return mu, None
    C = (ens.cross - s[..., :, :, None, None] * s[..., None, None, :, :] / n) / (n - 1)
    if not across:
        C = np.moveaxis(np.diagonal(C, axis1=1, axis2=3), -1, 1)  # (T, B, 9, 9)
    return mu, C


def _stderr(C, g, n):
    """sqrt(g^T C g / n) with g (T, B, ..., 9) and C (T, B, 9, 9)."""
    extra = g.ndim - 3
    Cx = C.reshape(C.shape[:2] + (1,) * extra + (9, 9))
    var = np.einsum("...i,...ij,...j->...", g, Cx, g)
    return np.sqrt(np.maximum(var, 0.0) / n)


def _shape(ens, a: np.ndarray) -> np.ndarray:
    """(T, B, ...) -> (B, ..., T), block axis dropped for a single-block SpinModel ensemble."""
    a = np.moveaxis(a, 0, -1)
    return a[0] if ens.single_block else a


def _need_two(ens, estimate, what: str):
    if ens.ntraj < 2:
        raise InsufficientDataError(f"{what}: a standard error needs ntraj >= 2, got {ens.ntraj} "
                                    f"(the estimate is attached as .estimate)", estimate)


# ----------------------------------------------------------------------------------------------
# variances and covariances of the average operators
# ----------------------------------------------------------------------------------------------

def _covariance_from(mu):
    """Cov(m_a^b, m_c^b) (..., B, 3, 3) from mu (..., B, 9)."""
    m = mu[..., :3]
    pair = np.stack([np.stack([mu[..., PAIR_INDEX[(a, c)]] for c in range(3)], -1) for a in range(3)], -2)
    return pair - m[..., :, None] * m[..., None, :]


def _covariance_gradient(mu):
    """d Cov_ac / d v  -> (T, B, 3, 3, 9)."""
    g = np.zeros(mu.shape[:2] + (3, 3, 9))
    for a in range(3):
        for c in range(3):
            g[..., a, c, PAIR_INDEX[(a, c)]] = 1.0
            g[..., a, c, a] -= mu[..., c]
            g[..., a, c, c] -= mu[..., a]
    return g


def covariance(ens):
    """(Cov, stderr): Cov(m_a^b, m_c^b) = omega_t((m_a m_c + m_c m_a)/2) - omega_t(m_a) omega_t(m_c)
    within each block, shape (3, 3, T) (single block) or (B, 3, 3, T); delta-method standard errors.
    (Cross-block covariances: ens.second - products of ens.mean, without standard errors.)"""
    mu, C = _moments(ens)
    cov = _covariance_from(mu)
    _need_two(ens, _shape(ens, cov), "covariance")
    return _shape(ens, cov), _shape(ens, _stderr(C, _covariance_gradient(mu), ens.ntraj))


def variance(ens):
    """(Var, stderr): Var(m_a^b) = omega_t(m_a^2) - omega_t(m_a)^2, shape like ens.mean (delta method)."""
    mu, C = _moments(ens)
    idx = np.arange(3)
    var = _covariance_from(mu)[..., idx, idx]
    _need_two(ens, _shape(ens, var), "variance")
    g = _covariance_gradient(mu)[..., idx, idx, :]
    return _shape(ens, var), _shape(ens, _stderr(C, g, ens.ntraj))


def connected_correlations(result, sizes=None):
    """Two-site connected correlations of sites 1 != 2 of the same block,
    C_ac = <s_a^1 s_c^2> - <s_a><s_c>,  <s_a^1 s_c^2> = (N_b <(m_a m_c + m_c m_a)/2> - delta_ac)/(N_b - 1)
    (exact for permutation-invariant states, Pauli units). Returns (C, stderr) shaped (3, 3, T) or
    (B, 3, 3, T); stderr by the delta method for an Ensemble, None for an ExactResult (pass `sizes`)."""
    if hasattr(result, "cross"):
        sizes = result.sizes
        mu, C = _moments(result)
    else:
        if sizes is None:
            raise ValueError("sizes must be given for a result without block sizes (e.g. an ExactResult)")
        mean, second = np.asarray(result.mean), np.asarray(result.second)
        if mean.ndim == 2:
            mean, second = mean[None], second[None, :, None]
        B = mean.shape[0]
        within = np.stack([second[b, :, b] for b in range(B)], 0)        # (B, 3, 3, T)
        mu = np.concatenate([np.moveaxis(mean, -1, 0),
                             np.moveaxis(np.stack([within[:, a, c] for a, c in PAIRS], 1), -1, 0)], -1)
        C = None
    n_b = np.asarray(sizes, dtype=float)
    if np.any(n_b < 2):
        raise ValueError(f"two-site correlations need blocks of >= 2 sites, got sizes {list(sizes)}")
    scale = n_b / (n_b - 1)
    mu2 = mu.copy()
    mu2[..., 3:] = mu[..., 3:] * scale[:, None]
    eye = np.eye(3) / (n_b - 1)[:, None, None]
    corr = _covariance_from(mu2) - eye
    if C is None:
        out = np.moveaxis(corr, 0, -1)
        return (out[0] if mean.shape[0] == 1 and np.asarray(result.mean).ndim == 2 else out), None
    g = _covariance_gradient(mu)
    g[..., 3:] *= scale[None, :, None, None, None]
    _need_two(result, _shape(result, corr), "connected_correlations")
    return _shape(result, corr), _shape(result, _stderr(C, g, result.ntraj))


# ----------------------------------------------------------------------------------------------
# the clustering quantity E_N(t)
# ----------------------------------------------------------------------------------------------

def _mf_array(ens, mf) -> np.ndarray:
    """Mean-field Bloch vectors at ens.times as (T, B, 3)."""
    B = len(ens.sizes)
    if not isinstance(mf, (np.ndarray, list, tuple)) and hasattr(mf, "mean"):   # ndarray has .mean() too
        if getattr(mf, "kind", "spin") != "spin":
            raise ValueError("mf must be a spin mean-field result (Pauli units), got a qudit one")
        times = getattr(mf, "times", None)
        if times is not None and len(times) == len(ens.times) and np.allclose(times, ens.times, rtol=0, atol=1e-12):
            arr = np.asarray(mf.mean, dtype=float)
        elif hasattr(mf, "m_at"):
            arr = np.asarray(mf.m_at(ens.times), dtype=float)
        else:
            raise ValueError("mf.times differ from the ensemble's times and mf has no m_at interpolant")
    else:
        arr = np.asarray(mf, dtype=float)
    T = len(ens.times)
    if arr.shape == (3, T) and B == 1:
        arr = arr[None]
    if arr.shape != (B, 3, T):
        raise ValueError(f"mf.mean must have shape {(3, T) if B == 1 else (B, 3, T)} at the ensemble's times, "
                         f"got {arr.shape}")
    return np.moveaxis(arr, -1, 0)


def _clustering_terms(mu, mmf):
    """per (T, B, 3): 1/2 (omega(m_a^2) - 2 mMF_a omega(m_a) + mMF_a^2) and its gradient (T, B, 3, 9)."""
    sq = np.stack([mu[..., PAIR_INDEX[(a, a)]] for a in range(3)], -1)
    terms = 0.5 * (sq - 2 * mmf * mu[..., :3] + mmf ** 2)
    g = np.zeros(mu.shape[:-1] + (3, 9))
    for a in range(3):
        g[..., a, PAIR_INDEX[(a, a)]] = 0.5
        g[..., a, a] = -mmf[..., a]
    return terms, g


def _weights(ens) -> np.ndarray:
    n = np.asarray(ens.sizes, dtype=float)
    return n / n.sum()


def clustering_components(ens, mf):
    """Per-block, per-component contributions 1/2 omega_t((m_a^b - m_a^{b,MF})^2) (unweighted) and their
    exact standard errors: shapes (3, T) single block, (B, 3, T) otherwise."""
    mu, C = _moments(ens)
    terms, g = _clustering_terms(mu, _mf_array(ens, mf))
    _need_two(ens, _shape(ens, terms), "clustering_components")
    return _shape(ens, terms), _shape(ens, _stderr(C, g, ens.ntraj))


def clustering(ens, mf):
    """(E_N (T,), stderr (T,)), E_N(t) = sum_b (N_b/N) 1/2 sum_a omega_t((m_a^b - m_a^{b,MF}(t))^2)
    (paper eq. 24; B = 1: 1/2 sum_a omega_t((m_a - m_a^MF)^2)). The per-trajectory quantity is linear in
    the block vectors, G . v, so its standard error is exact: sqrt(G^T C G / n) with C the covariance
    of the block vectors across blocks. Raises InsufficientDataError (with .estimate) when ntraj < 2."""
    mu, C = _moments(ens, across=True)
    mmf = _mf_array(ens, mf)
    terms, g = _clustering_terms(mu, mmf)
    w = _weights(ens)
    EN = np.einsum("b,tba->t", w, terms)
    _need_two(ens, EN, "clustering")
    G = w[None, :, None] * g.sum(axis=2)                          # (T, B, 9)
    var = np.einsum("tbi,tbigj,tgj->t", G, C, G)
    return EN, np.sqrt(np.maximum(var, 0.0) / ens.ntraj)


# ----------------------------------------------------------------------------------------------
# bootstrap
# ----------------------------------------------------------------------------------------------

def _vector_of(X, Y):
    """Per-trajectory block vectors (..., T, B, 9) from means (..., T, B, 3) and seconds (..., T, B, 3, B, 3)."""
    B = X.shape[-2]
    within = np.stack([Y[..., b, :, b, :] for b in range(B)], axis=-3)
    return np.concatenate([X, np.stack([within[..., a, c] for a, c in PAIRS], -1)], -1)


def bootstrap(ens, estimator: str = "clustering", mf=None, nboot: int = 1000, level: float = 0.95, seed=0):
    """Percentile bootstrap interval (lo, hi) of "clustering" (needs mf; shape (T,)), "variance"
    (shape like ens.mean) or "covariance" (like `covariance`), resampling trajectories with replacement
    (np.random.default_rng(seed)). Needs keep_trajectories=True."""
    if not ens.keep_trajectories:
        raise ValueError("bootstrap needs per-trajectory data: run_ensemble(..., keep_trajectories=True)")
    if estimator not in ("clustering", "variance", "covariance"):
        raise ValueError(f"estimator must be 'clustering', 'variance' or 'covariance', got {estimator!r}")
    if not (0 < level < 1):
        raise ValueError(f"level must be in (0, 1), got {level}")
    if isinstance(nboot, bool) or not isinstance(nboot, (int, np.integer)) or nboot < 10:
        raise ValueError(f"nboot must be an integer >= 10, got {nboot!r}")
    if estimator == "clustering" and mf is None:
        raise ValueError("mf must be given for the clustering estimator")
    n = ens.ntraj
    if n < 2:
        raise InsufficientDataError(f"bootstrap needs ntraj >= 2, got {n}")
    V = _vector_of(ens.trajectory_means(), ens.trajectory_seconds())      # (n, T, B, 9)
    flat = V.reshape(n, -1)
    rng = np.random.default_rng(seed)
    stats = []
    for start in range(0, nboot, 100):
        k = min(100, nboot - start)
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=k)           # (k, n)
        mu = (counts @ flat / n).reshape((k,) + V.shape[1:])                # (k, T, B, 9)
        if estimator == "clustering":
            terms, _ = _clustering_terms(mu, _mf_array(ens, mf)[None])
            stats.append(np.einsum("b,ktba->kt", _weights(ens), terms))
        else:
            cov = _covariance_from(mu)
            if estimator == "variance":
                cov = cov[..., np.arange(3), np.arange(3)]
            stats.append(np.stack([_shape(ens, c) for c in cov]))
    stats = np.concatenate(stats)
    q = (1 - level) / 2
    return np.quantile(stats, q, axis=0), np.quantile(stats, 1 - q, axis=0)


# ----------------------------------------------------------------------------------------------
# power-law fits
# ----------------------------------------------------------------------------------------------

@dataclass
class PowerLawFit:
    """values ~ prefactor * N^exponent (weighted least squares in log-log)."""

    exponent: float
    exponent_err: float
    prefactor: float
    prefactor_err: float
    chi2: float
    dof: int

    def __str__(self) -> str:
        return (f"exponent {self.exponent:.4f} +- {self.exponent_err:.4f}, prefactor {self.prefactor:.4g} "
                f"+- {self.prefactor_err:.2g} (chi2/dof = {self.chi2:.2f}/{self.dof})")


def fit_power_law(Ns, values, errors) -> PowerLawFit:
    """Fit log(values) = log(c) + p log(N) by weighted least squares, weights 1/sigma^2 with
    sigma = errors/values (first-order propagation to log space); the parameter errors are the square
    roots of the diagonal of (X^T W X)^{-1} (propagated, not rescaled by chi2)."""
    N = np.asarray(Ns, dtype=float).ravel()
    v = np.asarray(values, dtype=float).ravel()
    e = np.asarray(errors, dtype=float).ravel()
    if not (N.size == v.size == e.size):
        raise ValueError(f"Ns, values and errors must have equal lengths, got {N.size}, {v.size}, {e.size}")
    if N.size < 2 or np.unique(N).size < 2:
        raise InsufficientDataError(f"a power-law fit needs at least two distinct N, got {N.tolist()}")
    for name, x in (("Ns", N), ("values", v), ("errors", e)):
        if not np.all(np.isfinite(x)) or np.any(x <= 0):
            raise ValueError(f"{name} must be finite and > 0, got {x.tolist()}")
    x, y, s = np.log(N), np.log(v), e / v
    X = np.stack([np.ones_like(x), x], 1)
    W = 1 / s ** 2
    cov = np.linalg.inv(X.T @ (W[:, None] * X))
    beta = cov @ X.T @ (W * y)
    chi2 = float(np.sum(W * (y - X @ beta) ** 2))
    c = float(np.exp(beta[0]))
    return PowerLawFit(exponent=float(beta[1]), exponent_err=float(np.sqrt(cov[1, 1])), prefactor=c,
                       prefactor_err=c * float(np.sqrt(cov[0, 0])), chi2=chi2, dof=int(N.size - 2))
