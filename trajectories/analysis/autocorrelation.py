"""Time averages of stationary series with errors from the integrated autocorrelation time.

The estimator of emcee (Foreman-Mackey et al. 2013): the autocorrelation function by FFT per
chain, averaged over independent chains, and tau = 1 + 2 sum_{k=1}^{W} rho(k) with Sokal's
automatic window, the smallest W with W >= c tau(W) (docs/theory.md §13). The mean of n samples
in each of M chains then has variance sigma^2 tau / (M n).

Each chain is centred on its own mean, so its autocovariances summed over all lags vanish
identically: tau(n - 1) = 0 for any series, and a window reaching far into the series estimates
that constraint rather than tau (for uncorrelated samples the expected tau(W) is about
1 - 2 W / n + W^2 / n^2). The window is therefore searched in the first half of the series,
W <= (n - 2) // 2, among the W with tau(W) > 0. An uncorrelated series (tau = 1) needs the
window W = ceil(c), hence at least `min_samples(c)` = 2 ceil(c) + 2 samples per chain (12 for
c = 5); fewer raise InsufficientDataError.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from ..base.checks import check_positive
from ..base.errors import InsufficientDataError

#: a series shorter than this many autocorrelation times gives an unreliable tau (emcee's tol)
MIN_LENGTH = 50


class TimeAverage(NamedTuple):
    """A time average: value, stderr, tau (time units), n_samples (per chain after the burn-in),
    n_chains and reliable (n_samples >= 50 tau in samples). stderr is 0 only for a series of zero
    variance; stderr and tau are NaN, and reliable False, when no autocorrelation window fits in
    the series (it is too short for its tau)."""
    value: float
    stderr: float
    tau: float
    n_samples: int
    n_chains: int
    reliable: bool


def min_samples(c: float = 5.0) -> int:
    """The fewest samples per chain the autocorrelation estimate accepts: 2 ceil(c) + 2.

    The window of an uncorrelated series (tau = 1) is W = ceil(c) lags, and the window must lie
    in the first half of the series (W <= (n - 2) // 2), where the centring of each chain on its
    own mean leaves the estimate of tau(W) meaningful.
    """
    c = check_positive("c", c)
    return 2 * math.ceil(c) + 2


def _chains(x, name: str = "x") -> np.ndarray:
    """x as a finite real (M, n) array; (n,) is one chain."""
    a = np.asarray(x)
    if a.dtype == object or not np.issubdtype(a.dtype, np.number) or np.iscomplexobj(a):
        raise ValueError(f"{name} must be an array of real numbers, got {a.dtype}")
    a = np.atleast_2d(a.astype(float))
    if a.ndim != 2 or a.shape[1] < 2:
        raise ValueError(f"{name} must have shape (n,) or (chains, n) with n >= 2 samples, got {np.shape(x)}")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} must be finite")
    return a


def _check_length(n: int, c: float, what: str, estimate=None) -> None:
    """InsufficientDataError saying `what` (e.g. "x has") n samples unless n >= min_samples(c)."""
    need = min_samples(c)
    if n < need:
        raise InsufficientDataError(f"{what} {n} sample(s) per chain: an autocorrelation time with "
                                    f"c = {c:g} needs at least {need} (2 ceil(c) + 2)", estimate)


def autocorrelation_function(x) -> np.ndarray:
    """Normalised autocorrelation rho(k), k = 0..n-1, of the chains x (M, n) or (n,), averaged
    over chains (each centred on its own mean); (n,), rho[0] = 1. A series of zero variance has
    rho = (1, 0, 0, ...)."""
    a = _chains(x)
    n = a.shape[1]
    size = 1 << int(np.ceil(np.log2(2 * n)))
    f = np.fft.rfft(a - a.mean(axis=1, keepdims=True), n=size, axis=1)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n].mean(axis=0)
    if acov[0] <= 0:
        out = np.zeros(n)
        out[0] = 1.0
        return out
    return acov / acov[0]


def _windowed_tau(a: np.ndarray, c: float) -> float:
    """tau(W) in samples at Sokal's window among W <= (n - 2) // 2 with tau(W) > 0; NaN when none
    has W >= c tau(W)."""
    rho = autocorrelation_function(a)
    taus = 2.0 * np.cumsum(rho[: (a.shape[1] - 2) // 2 + 1]) - 1.0
    closed = (taus > 0) & (np.arange(len(taus)) >= c * taus)
    return float(taus[np.argmax(closed)]) if np.any(closed) else math.nan


def integrated_time(x, c: float = 5.0) -> float:
    """The integrated autocorrelation time of x (M, n) or (n,) in samples.

    Sokal's window: the smallest W <= (n - 2) // 2 with tau(W) > 0 and W >= c tau(W). 1.0 for
    zero variance.

    Raises
    ------
    InsufficientDataError
        for fewer than min_samples(c) = 2 ceil(c) + 2 samples per chain, or when no window
        closes in the first half of the series (the series is shorter than about 2 c tau).
    """
    c = check_positive("c", c)
    a = _chains(x)
    _check_length(a.shape[1], c, "x has")
    tau = _windowed_tau(a, c)
    if math.isnan(tau):
        raise InsufficientDataError(f"x ({a.shape[1]} samples per chain) is too short for its autocorrelation: "
                                    f"no window W <= {(a.shape[1] - 2) // 2} has W >= {c:g} tau(W) > 0")
    return tau


def time_average(series, dt: float, burn_in: float = 0.0, c: float = 5.0) -> TimeAverage:
    """The mean of `series` (M, n) or (n,), sampled every dt from t = 0, after dropping t < burn_in,
    with the standard error sqrt(var tau / (M n)) (var: pooled sample variance).

    Raises InsufficientDataError (carrying the mean as `.estimate`) when fewer than
    min_samples(c) = 2 ceil(c) + 2 samples per chain remain after the burn-in. When no
    autocorrelation window fits in the series (shorter than about 2 c tau) stderr and tau are NaN
    and reliable is False: run longer.
    """
    dt = check_positive("dt", dt)
    c = check_positive("c", c)
    a = _chains(series, "series")
    total = dt * a.shape[1]
    if not isinstance(burn_in, (int, float, np.floating, np.integer)) or not 0 <= burn_in < total:
        raise ValueError(f"burn_in must be a number in [0, {total:g}) (the series' length in time), got {burn_in!r}")
    kept = a[:, int(np.ceil(burn_in / dt - 1e-9)):]
    what = f"burn_in = {burn_in:g} leaves" if burn_in > 0 else "series has"
    _check_length(kept.shape[1], c, what, float(kept.mean()))
    M, n = kept.shape
    tau = _windowed_tau(kept, c)
    var = float(np.var(kept, ddof=1))
    stderr = float(np.sqrt(max(var, 0.0) * tau / (M * n)))
    return TimeAverage(float(kept.mean()), stderr, tau * dt, n, M, bool(n >= MIN_LENGTH * tau))
