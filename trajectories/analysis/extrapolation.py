"""The N -> oo limit of exact finite-N values: polynomials in 1/N (docs/theory.md §4).

Exact results carry no statistical error; their approach to the limit is an expansion
v(N) = c + d/N + e/N^2 + ... (Theorem 1 and the linear-noise expansion, docs/theory.md §10).

`extrapolate_limit` is the estimate to quote: a least-squares fit of c + d/N (+ e/N^2 ...) on the
largest N, whose error joins the fit's residuals and the change of c when the window loses its
smallest N (the terms the form leaves out), with a check that the increments v(N_{i+1}) - v(N_i)
already shrink at the rate of the leading 1/N term; where they do not, the error also spans the
limit of the observed (slower) approach. `richardson` is the polynomial through the k largest N
(the same fit with as many terms as points); its `.error` is only the change between two orders.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.optimize import brentq

from ..base.checks import real_values


def _sizes_and_values(Ns, values, least: int):
    """(Ns (K,) float, values (K, ...)) checked: positive, strictly increasing, finite, K >= least."""
    N = real_values("Ns", Ns)
    if N.ndim != 1 or N.size < 2 or np.any(N <= 0) or np.any(np.diff(N) <= 0):
        raise ValueError(f"Ns must be at least two positive, strictly increasing sizes, got {Ns!r}")
    v = np.asarray(values)
    if v.shape[:1] != N.shape or v.dtype.kind not in "iufc" or not np.all(np.isfinite(v)):
        raise ValueError(f"values must be finite numbers with first axis of length {N.size} (one per N), got "
                         f"shape {v.shape}")
    if N.size < least:
        raise ValueError(f"Ns: {least} sizes are needed, got {N.size}")
    return N, v


def _powers(Ns, terms: int) -> np.ndarray:
    """Design matrix (n, terms): 1, 1/N, ..., 1/N^(terms - 1) at the sizes Ns (n,)."""
    return np.vander(1.0 / np.atleast_1d(np.asarray(Ns, float)), terms, increasing=True)


def _polyfit(Ns, v, terms: int):
    """Least squares of v (n, ...) = sum_j c_j / N^j, j < terms: (coefficients (terms, ...), residual sum
    of squares (...), (X^T X)^-1 (terms, terms)); exact (zero residuals) when n == terms."""
    X = _powers(Ns, terms)
    flat = v.reshape(len(v), -1)
    coef = np.linalg.lstsq(X, flat, rcond=None)[0]
    rss = np.sum(np.abs(flat - X @ coef) ** 2, axis=0)
    return coef.reshape((terms,) + v.shape[1:]), rss.reshape(v.shape[1:]), np.linalg.inv(X.T @ X)


class RichardsonLimit(NamedTuple):
    """limit c0 and the change of order `error`, shaped like one value; coefficients (order, ...): c0, c1, ..."""
    limit: np.ndarray
    error: np.ndarray
    coefficients: np.ndarray

    def at(self, N) -> np.ndarray:
        """The polynomial c0 + c1/N + ... at one size N, shaped like one value."""
        return sum(c / float(N) ** k for k, c in enumerate(self.coefficients))


def richardson(Ns, values, order: int | None = None) -> RichardsonLimit:
    """The polynomial in 1/N through the `order` largest N and its value at 1/N = 0.

    `.error` is abs(c0(k) - c0(k - 1)), the change between two extrapolation orders: it is NOT an
    uncertainty (it is small whenever two orders agree, also before the data are asymptotic).
    Quote `extrapolate_limit` for a limit with an error.

    Parameters
    ----------
    Ns : (K,) strictly increasing sizes
    values : (K, ...) real or complex values at those sizes (first axis N)
    order : k, the number of largest N used (default all K, at least 2)

    Returns
    -------
    RichardsonLimit: limit (...) the c0 of the degree k - 1 polynomial through the k largest N; error
    (...) abs(limit - the c0 through the k - 1 largest N); coefficients (k, ...).
    """
    N, v = _sizes_and_values(Ns, values, 2)
    k = N.size if order is None else int(order)
    if not 2 <= k <= N.size:
        raise ValueError(f"order must be in 2..{N.size} (the number of sizes), got {order!r}")
    coef = _polyfit(N[-k:], v[-k:], k)[0]
    return RichardsonLimit(coef[0], np.abs(coef[0] - _polyfit(N[-k + 1:], v[-k + 1:], k - 1)[0][0]), coef)


def increment_ratios(Ns, values):
    """Successive increments' ratios and the ratios a pure c + d/N would give at the same sizes.

    Parameters
    ----------
    Ns : (K,) strictly increasing sizes, K >= 3
    values : (K, ...) real or complex values

    Returns
    -------
    observed : (K - 2, ...) [v(N_{i+2}) - v(N_{i+1})] / [v(N_{i+1}) - v(N_i)] (nan where an increment is 0)
    predicted : (K - 2,) the same for v = 1/N: (1/N_{i+2} - 1/N_{i+1}) / (1/N_{i+1} - 1/N_i)
        (0.5 when N doubles)
    """
    N, v = _sizes_and_values(Ns, values, 3)
    step, dx = np.diff(v, axis=0), np.diff(1.0 / N)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = np.where(step[:-1] != 0, step[1:] / np.where(step[:-1] != 0, step[:-1], 1), np.nan)
    return observed, dx[1:] / dx[:-1]


def _effective_tail(N3, v3, ratio):
    """The limit of v = c + d N^-a through the last three points (N3 (3,), v3 (3,)), a > 0 from the observed
    increment ratio; nan when the increments do not shrink fast enough for any a > 0."""
    ratio = abs(ratio)
    shape = lambda a: (N3[2] ** -a - N3[1] ** -a) / (N3[1] ** -a - N3[0] ** -a) - ratio   # noqa: E731
    if not (np.isfinite(ratio) and shape(50.0) < 0 < shape(1e-9)):
        return np.nan
    a = brentq(shape, 1e-9, 50.0)
    return v3[2] + (v3[2] - v3[1]) * N3[2] ** -a / (N3[1] ** -a - N3[2] ** -a)


def _truncation_factor(window, terms: int) -> float:
    """|a_w / (a_w - a_n)|: a_w, a_n the c that fits with `terms` terms of the data 1/N^terms (the first term
    the form leaves out) on the window and on the window without its smallest N. The window change times
    this factor is the miss of c when the left-out terms are that one (about 1.25 for doubling sizes,
    2.6 for N = 6, 8, ..., 14: the change alone would understate the miss)."""
    lead = np.asarray(window, float) ** -terms
    a_w, a_n = _polyfit(window, lead, terms)[0][0], _polyfit(window[1:], lead[1:], terms)[0][0]
    return float(abs(a_w / (a_w - a_n)))


class LimitEstimate(NamedTuple):
    """The N -> oo limit of `extrapolate_limit`; value-shaped fields have the shape (...) of one value."""
    limit: np.ndarray               # (...) c of the fit on the window
    error: np.ndarray               # (...) the reported uncertainty: fit_error, truncation (and tail_gap)
    fit_error: np.ndarray           # (...) sqrt of the residual-scaled variance of c (0 for an exact fit)
    window_change: np.ndarray       # (...) abs(c - c of the window without its smallest N)
    truncation: np.ndarray          # (...) window_change converted to the miss of c it implies (see below)
    rms: np.ndarray                 # (...) root-mean-square residual of the fit on the window
    converged: np.ndarray           # (...) bool: the last two increment ratios are those of the 1/N term
    ratios: np.ndarray              # (K - 2, ...) observed increment ratios (increment_ratios)
    predicted_ratios: np.ndarray    # (K - 2,) the pure-1/N ratios
    tail_limit: np.ndarray          # (...) limit of the observed approach c + d N^-a (nan: none)
    tail_gap: np.ndarray            # (...) abs(tail_limit - limit) where not converged, else 0 (inf: no limit)
    coefficients: np.ndarray        # (terms, ...) c, d, e, ... of the window fit
    covariance: np.ndarray          # (terms, terms, ...) their residual-scaled covariance
    narrow: np.ndarray              # (terms, ...) coefficients without the window's smallest N
    window: np.ndarray              # (w,) the sizes fitted

    def at(self, Ns):
        """(value, error), each (n, ...): the fit at sizes Ns (n,), its error joining the covariance and
        the change from the narrower window's fit at those sizes, converted as for the limit."""
        X = _powers(Ns, len(self.coefficients))
        value = np.tensordot(X, self.coefficients, axes=1)
        stat = np.sqrt(np.abs(np.einsum("ni,ij...,nj->n...", X, self.covariance, X)))
        change = np.abs(value - np.tensordot(X, self.narrow, axes=1)) * _truncation_factor(self.window, len(X.T))
        return value, np.hypot(stat, change)


def extrapolate_limit(Ns, values, order: int = 2, window: int | None = None, ratio_tol: float = 0.2) -> LimitEstimate:
    """N -> oo limit c of values(N) = c + d/N + ... + (order-th)/N^order, with an error to quote.

    The fit is least squares on the `window` largest N. Its error joins in quadrature (a) the standard
    error of c from the residuals (RSS / dof times (X^T X)^-1; zero when the fit is exact) and (b) the
    change of c when the window loses its smallest N (the terms of higher order the form leaves out),
    converted to the miss of c it implies if those terms start with 1/N^(order + 1) (`truncation`: the
    change times a factor of the sizes alone, about 1.25 for doubling N, 2.6 for N = 6 ... 14).
    Convergence check: the last two ratios of successive increments (over all K sizes; the only one when
    K = 3) must be positive and at most (1 + ratio_tol) times those of a pure 1/N (0.5 when N doubles),
    unless the last increment is round-off (below 1e-12 of the largest abs(value) of the whole array).
    Otherwise the approach is not yet asymptotic: `converged` is False and the error also joins tail_gap,
    the distance to the limit of c + d N^-a through the last three points with the last observed ratio
    (infinite if no a > 0 fits: the increments do not shrink).

    Parameters
    ----------
    Ns : (K,) strictly increasing sizes
    values : (K, ...) real or complex exact values (first axis N); complex errors are moduli
    order : highest power of 1/N in the form (1: c + d/N, 2: c + d/N + e/N^2)
    window : number w of largest N fitted (default K); w >= order + 2, so that the window without its
        smallest N still determines the order + 1 parameters
    ratio_tol : accepted relative excess of the last two increment ratios over the pure-1/N ratios

    Returns
    -------
    LimitEstimate
    """
    terms = int(order) + 1
    if terms < 2:
        raise ValueError(f"order must be at least 1 (c + d/N), got {order!r}")
    N, v = _sizes_and_values(Ns, values, 3)
    if N.size < terms + 1:
        raise ValueError(f"Ns: order {order} has {terms} parameters and needs at least {terms + 1} sizes (one more "
                         f"than parameters, for the window change), got {N.size}")
    w = N.size if window is None else int(window)
    if not terms + 1 <= w <= N.size:
        raise ValueError(f"window must be in {terms + 1}..{N.size}: order {order} has {terms} parameters and the "
                         f"window without its smallest N must still determine them, got window = {window!r} "
                         f"of {N.size} sizes")
    coef, rss, inv = _polyfit(N[-w:], v[-w:], terms)
    narrow = _polyfit(N[-w + 1:], v[-w + 1:], terms)[0]
    covariance = inv.reshape(inv.shape + (1,) * (v.ndim - 1)) * (rss / (w - terms))
    fit_error, window_change = np.sqrt(covariance[0, 0]), np.abs(coef[0] - narrow[0])
    truncation = window_change * _truncation_factor(N[-w:], terms)
    ratios, predicted = increment_ratios(N, v)
    last, recent = ratios[-1], ratios[-2:]                            # recent (1 or 2, ...)
    settled = np.abs(v[-1] - v[-2]) <= 1e-12 * np.max(np.abs(v))      # constant to round-off of the largest value
    bound = (1 + ratio_tol) * predicted[-2:].reshape((-1,) + (1,) * (v.ndim - 1))
    with np.errstate(invalid="ignore"):
        converged = settled | np.all((np.real(recent) > 0) & (np.abs(recent) <= bound), axis=0)
    tail = np.array([_effective_tail(N[-3:], col, r) for col, r in
                     zip(v[-3:].reshape(3, -1).T, np.ravel(last))]).reshape(last.shape)
    gap = np.where(converged, 0.0, np.where(np.isfinite(tail), np.abs(tail - coef[0]), np.inf))
    return LimitEstimate(coef[0], np.sqrt(fit_error ** 2 + truncation ** 2 + gap ** 2), fit_error, window_change,
                         truncation, np.sqrt(rss / w), converged, ratios, predicted, tail, gap, coef, covariance,
                         narrow, N[-w:])
