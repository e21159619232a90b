"""Time averages of stationary series with errors from the integrated autocorrelation time.

The estimator of emcee (Foreman-Mackey et al. 2013): the autocorrelation function by FFT per
chain, averaged over independent chains, and tau = 1 + 2 sum_{k=1}^{W} rho(k) with Sokal's
automatic window, the smallest W with W >= c tau(W) (docs/theory.md §13). The mean of n samples
in each of M chains then has variance sigma^2 tau / (M n).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base.checks import check_positive

#: a series shorter than this many autocorrelation times gives an unreliable tau (emcee's tol)
MIN_LENGTH = 50


class TimeAverage(NamedTuple):
    """A time average: value, stderr, tau (time units), n_samples (per chain after the burn-in),
    n_chains and reliable (n_samples >= 50 tau in samples)."""
    value: float
    stderr: float
    tau: float
    n_samples: int
    n_chains: int
    reliable: bool


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


def integrated_time(x, c: float = 5.0) -> float:
    """The integrated autocorrelation time of x (M, n) or (n,) in samples, with Sokal's window
    (the smallest W >= c tau(W); the whole series when none is). 1.0 for zero variance."""
    c = check_positive("c", c)
    rho = autocorrelation_function(x)
    taus = 2.0 * np.cumsum(rho) - 1.0
    window = np.arange(len(taus)) < c * taus
    W = int(np.argmin(window)) if not np.all(window) else len(taus) - 1
    return float(taus[W])


def time_average(series, dt: float, burn_in: float = 0.0, c: float = 5.0) -> TimeAverage:
    """The mean of `series` (M, n) or (n,), sampled every dt from t = 0, after dropping t < burn_in,
    with the standard error sqrt(var tau / (M n)) (var: pooled sample variance)."""
    dt = check_positive("dt", dt)
    a = _chains(series, "series")
    total = dt * a.shape[1]
    if not isinstance(burn_in, (int, float, np.floating, np.integer)) or not 0 <= burn_in < total:
        raise ValueError(f"burn_in must be a number in [0, {total:g}) (the series' length in time), got {burn_in!r}")
    kept = a[:, int(np.ceil(burn_in / dt - 1e-9)):]
    if kept.shape[1] < 2:
        raise ValueError(f"burn_in = {burn_in:g} leaves {kept.shape[1]} sample(s) per chain: at least 2 are needed")
    M, n = kept.shape
    tau = integrated_time(kept, c)
    var = float(np.var(kept, ddof=1)) if kept.size > 1 else 0.0
    stderr = float(np.sqrt(max(var, 0.0) * tau / (M * n)))
    return TimeAverage(float(kept.mean()), stderr, tau * dt, n, M, bool(n >= MIN_LENGTH * tau))
