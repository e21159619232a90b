"""Fits of estimates with errors, with goodness of fit (docs/theory.md §4): values ~ prefactor * N^exponent
in log-log, several signed series sharing one exponent, a polynomial in 1/N (c + d/N + ...), and the
weighted mean of independent estimates. (Exact values, without errors: extrapolation.py.)"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import curve_fit

from ..base.errors import InsufficientDataError


@dataclass
class PowerLawFit:
    """values ~ prefactor * N^exponent, weighted least squares in log-log.

    exponent_err, prefactor_err : errors scaled by sqrt(chi2/dof) when chi2/dof > 1 (the model
        does not describe the data within its errors), else the propagated ones
    exponent_err_unscaled, prefactor_err_unscaled : the propagated errors (from the data errors)
    chi2, dof : chi^2 of the fit and its degrees of freedom (points - 2; 0 for two points)
    """

    exponent: float
    exponent_err: float
    prefactor: float
    prefactor_err: float
    exponent_err_unscaled: float
    prefactor_err_unscaled: float
    chi2: float
    dof: int

    @property
    def reduced_chi2(self) -> float:
        """chi2 / dof (NaN when dof = 0)."""
        return self.chi2 / self.dof if self.dof > 0 else float("nan")

    @property
    def scaled(self) -> bool:
        """True when the errors were scaled by sqrt(chi2/dof) > 1."""
        return self.dof > 0 and self.reduced_chi2 > 1

    def __str__(self) -> str:
        if self.dof == 0:
            quality = "chi2/dof undefined: dof = 0, two points determine the fit; errors propagated only"
        else:
            quality = (f"chi2/dof = {self.chi2:.2f}/{self.dof} = {self.reduced_chi2:.2f}"
                       + (", errors scaled by sqrt(chi2/dof)" if self.scaled else ""))
        return (f"exponent {self.exponent:.4f} +- {self.exponent_err:.4f}, prefactor {self.prefactor:.4g} "
                f"+- {self.prefactor_err:.2g} ({quality})")


def _checked(Ns, values, errors):
    N, v, e = (np.asarray(x, dtype=float).ravel() for x in (Ns, values, errors))
    if not (N.size == v.size == e.size):
        raise ValueError(f"Ns, values and errors must have equal lengths, got {N.size}, {v.size}, {e.size}")
    if np.unique(N).size < 2:
        raise InsufficientDataError(f"a power-law fit needs at least two distinct N, got {N.tolist()}")
    for name, x in (("Ns", N), ("values", v), ("errors", e)):
        if not np.all(np.isfinite(x)) or np.any(x <= 0):
            raise ValueError(f"{name} must be finite and > 0, got {x.tolist()}")
    return N, v, e


def _weighted_linear(X: np.ndarray, y: np.ndarray, sigma: np.ndarray):
    """Weighted least squares of y (K,) = X (K, P) beta with standard errors sigma (K,): (beta (P,),
    propagated covariance (X^T W X)^-1 (P, P), chi^2, dof = K - P)."""
    W = 1.0 / sigma ** 2
    cov = np.linalg.inv(X.T @ (W[:, None] * X))
    beta = cov @ X.T @ (W * y)
    return beta, cov, float(np.sum(W * (y - X @ beta) ** 2)), int(len(y) - X.shape[1])


def fit_power_law(Ns, values, errors) -> PowerLawFit:
    """Fit log(values) = log(prefactor) + exponent log(N) by weighted least squares.

    Parameters
    ----------
    Ns, values, errors : (K,) positive; sigma = errors / values is the error of log(values)
        (first-order propagation), the weights are 1 / sigma^2

    Returns
    -------
    PowerLawFit; the parameter errors are sqrt(diag((X^T W X)^{-1})), multiplied by sqrt(chi2/dof)
    when that exceeds 1. Raises InsufficientDataError for fewer than two distinct N.
    """
    N, v, e = _checked(Ns, values, errors)
    x, y, s = np.log(N), np.log(v), e / v
    beta, cov, chi2, dof = _weighted_linear(np.stack([np.ones_like(x), x], 1), y, s)
    factor = np.sqrt(chi2 / dof) if dof > 0 and chi2 > dof else 1.0
    c = float(np.exp(beta[0]))
    p_err, c_err = float(np.sqrt(cov[1, 1])), c * float(np.sqrt(cov[0, 0]))
    return PowerLawFit(exponent=float(beta[1]), exponent_err=p_err * factor, prefactor=c,
                       prefactor_err=c_err * factor, exponent_err_unscaled=p_err,
                       prefactor_err_unscaled=c_err, chi2=chi2, dof=dof)


@dataclass
class SignedPowerLawFit:
    """values_a(N) ~ prefactors[a] * N^exponent: one exponent shared by A signed series.

    exponent_err : scaled by sqrt(chi2/dof) when chi2/dof > 1; exponent_err_unscaled: propagated
    prefactors, prefactors_err : (A,) signed prefactors and their (scaled) errors
    chi2, dof : chi^2 of the fit and points - (A + 1)
    """

    exponent: float
    exponent_err: float
    exponent_err_unscaled: float
    prefactors: np.ndarray
    prefactors_err: np.ndarray
    chi2: float
    dof: int

    @property
    def reduced_chi2(self) -> float:
        """chi2 / dof (NaN when dof = 0)."""
        return self.chi2 / self.dof if self.dof > 0 else float("nan")

    def __str__(self) -> str:
        return (f"exponent {self.exponent:.4f} +- {self.exponent_err:.4f} (unscaled "
                f"{self.exponent_err_unscaled:.4f}), chi2/dof = {self.chi2:.2f}/{self.dof}")


def fit_signed_power_law(Ns, values, errors) -> SignedPowerLawFit:
    """Weighted least-squares fit of values[k, a] = b_a Ns[k]^p with one exponent p for all series.

    For signed quantities near the noise level (deviations from a limit, differences of two models),
    where a log-log fit cannot take the points that change sign. Points with zero error are left out.

    Parameters
    ----------
    Ns : (K,) positive
    values, errors : (K, A) signed values and their standard errors (>= 0)

    Returns
    -------
    SignedPowerLawFit; errors from the covariance of the weighted fit (scipy curve_fit with
    absolute sigma), multiplied by sqrt(chi2/dof) when that exceeds 1.
    """
    N = np.asarray(Ns, dtype=float)
    y, s = np.asarray(values, dtype=float), np.asarray(errors, dtype=float)
    if y.ndim != 2 or y.shape != s.shape or y.shape[0] != N.size:
        raise ValueError(f"values and errors must have shape (len(Ns), A) = ({N.size}, A), got {y.shape}, {s.shape}")
    if np.any(N <= 0) or np.any(s < 0) or not (np.all(np.isfinite(y)) and np.all(np.isfinite(s))):
        raise ValueError("Ns must be > 0, errors >= 0, values and errors finite")
    A = y.shape[1]
    NN, comp = np.repeat(N[:, None], A, 1).ravel(), np.tile(np.arange(A), N.size)
    keep = s.ravel() > 0
    NN, comp, yy, ss = NN[keep], comp[keep], y.ravel()[keep], s.ravel()[keep]
    if np.unique(NN).size < 2 or yy.size < A + 2:
        raise InsufficientDataError(f"a signed power-law fit of {A} series needs >= {A + 2} points at two or more N")

    def model(_, p, *b):
        return np.asarray(b)[comp] * NN ** p

    b0 = [float(np.mean(yy[comp == a] * NN[comp == a])) if np.any(comp == a) else 0.0 for a in range(A)]
    popt, pcov = curve_fit(model, None, yy, p0=[-1.0] + b0, sigma=ss, absolute_sigma=True, maxfev=20000)
    chi2 = float(np.sum(((yy - model(None, *popt)) / ss) ** 2))
    dof = int(yy.size - (A + 1))
    factor = np.sqrt(chi2 / dof) if dof > 0 and chi2 > dof else 1.0
    err = np.sqrt(np.diag(pcov))
    return SignedPowerLawFit(exponent=float(popt[0]), exponent_err=float(err[0] * factor),
                             exponent_err_unscaled=float(err[0]), prefactors=popt[1:],
                             prefactors_err=err[1:] * factor, chi2=chi2, dof=dof)


def weighted_mean(values, errors):
    """Inverse-variance weighted mean over the first axis, its error scaled by sqrt(chi^2/dof) when that
    exceeds 1, chi^2 and dof = K - 1.

    Parameters
    ----------
    values, errors : (K, ...) independent estimates of one quantity and their standard errors (> 0)

    Returns
    -------
    mean, err, chi2 : arrays shaped like one value (floats for K scalars); dof : int
    """
    v, e = np.asarray(values, dtype=float), np.asarray(errors, dtype=float)
    if v.shape != e.shape or v.ndim < 1 or not np.all(e > 0):
        raise ValueError(f"values and errors must have one shape (K, ...) with errors > 0, got {v.shape}, {e.shape}")
    w = 1.0 / e ** 2
    mean = np.sum(w * v, axis=0) / np.sum(w, axis=0)
    chi2, dof = np.sum(w * (v - mean) ** 2, axis=0), v.shape[0] - 1
    scale = np.sqrt(np.maximum(1.0, chi2 / dof)) if dof > 0 else 1.0
    err = np.sqrt(1.0 / np.sum(w, axis=0)) * scale
    if v.ndim == 1:
        return float(mean), float(err), float(chi2), dof
    return mean, err, chi2, dof


@dataclass
class InverseNFit:
    """values ~ c + d/N + ... (coefficients in powers of 1/N), weighted least squares.

    coefficients, errors : (order + 1,) c, d, ... and their errors, scaled by sqrt(chi2/dof) when
        chi2/dof > 1, else the propagated ones; covariance (order + 1, order + 1) likewise
    chi2, dof : chi^2 of the fit and its degrees of freedom (points - order - 1)
    """

    coefficients: np.ndarray
    errors: np.ndarray
    covariance: np.ndarray
    chi2: float
    dof: int

    @property
    def limit(self) -> float:
        """c, the N -> oo limit."""
        return float(self.coefficients[0])

    @property
    def limit_err(self) -> float:
        return float(self.errors[0])

    @property
    def reduced_chi2(self) -> float:
        """chi2 / dof (NaN when dof = 0)."""
        return self.chi2 / self.dof if self.dof > 0 else float("nan")

    def at(self, Ns) -> tuple[np.ndarray, np.ndarray]:
        """(value, error), each (n,): the fit at sizes Ns (n,) with its error from the covariance."""
        X = np.vander(1.0 / np.atleast_1d(np.asarray(Ns, dtype=float)), len(self.coefficients), increasing=True)
        return X @ self.coefficients, np.sqrt(np.einsum("ni,ij,nj->n", X, self.covariance, X))

    def __str__(self) -> str:
        quality = ("dof = 0: the points determine the fit, errors propagated only" if self.dof == 0 else
                   f"chi2/dof = {self.chi2:.2f}/{self.dof} = {self.reduced_chi2:.2f}"
                   + (", errors scaled by sqrt(chi2/dof)" if self.reduced_chi2 > 1 else ""))
        terms = " + ".join(f"({c:.4g} +- {e:.2g})/N^{k}" if k else f"{c:.4g} +- {e:.2g}"
                           for k, (c, e) in enumerate(zip(self.coefficients, self.errors)))
        return f"{terms} ({quality})"


def fit_inverse_n(Ns, values, errors, order: int = 1) -> InverseNFit:
    """Fit values = c + d/N + ... + (order-th)/N^order by weighted least squares (weights 1/errors^2).

    Parameters
    ----------
    Ns : (K,) positive sizes, at least order + 1 distinct
    values : (K,) finite estimates (any sign)
    errors : (K,) their standard errors, > 0
    order : highest power of 1/N (1: c + d/N)

    Returns
    -------
    InverseNFit; the covariance is (X^T W X)^{-1}, multiplied by chi2/dof when that exceeds 1.
    Raises InsufficientDataError for fewer than order + 1 distinct N.
    """
    N, v, e = (np.asarray(x, dtype=float).ravel() for x in (Ns, values, errors))
    if not (N.size == v.size == e.size):
        raise ValueError(f"Ns, values and errors must have equal lengths, got {N.size}, {v.size}, {e.size}")
    if isinstance(order, (bool, np.bool_)) or not isinstance(order, (int, np.integer)) or order < 1:
        raise ValueError(f"order must be an integer >= 1 (1: c + d/N), got {order!r}")
    for name, x, low in (("Ns", N, 0.0), ("errors", e, 0.0)):
        if not np.all(np.isfinite(x)) or np.any(x <= low):
            raise ValueError(f"{name} must be finite and > 0, got {x.tolist()}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"values must be finite, got {v.tolist()}")
    if np.unique(N).size < order + 1:
        raise InsufficientDataError(f"a fit of order {order} in 1/N needs at least {order + 1} distinct N, "
                                    f"got {N.tolist()}")
    coef, cov, chi2, dof = _weighted_linear(np.vander(1.0 / N, order + 1, increasing=True), v, e)
    if dof > 0 and chi2 > dof:
        cov = cov * (chi2 / dof)
    return InverseNFit(coefficients=coef, errors=np.sqrt(np.diag(cov)), covariance=cov, chi2=chi2, dof=dof)
