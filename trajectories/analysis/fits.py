"""Power-law fits values ~ prefactor * N^exponent with goodness of fit (docs/theory.md §4)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

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
    X = np.stack([np.ones_like(x), x], 1)
    W = 1 / s ** 2
    cov = np.linalg.inv(X.T @ (W[:, None] * X))
    beta = cov @ X.T @ (W * y)
    chi2 = float(np.sum(W * (y - X @ beta) ** 2))
    dof = int(N.size - 2)
    factor = np.sqrt(chi2 / dof) if dof > 0 and chi2 > dof else 1.0
    c = float(np.exp(beta[0]))
    p_err, c_err = float(np.sqrt(cov[1, 1])), c * float(np.sqrt(cov[0, 0]))
    return PowerLawFit(exponent=float(beta[1]), exponent_err=p_err * factor, prefactor=c,
                       prefactor_err=c_err * factor, exponent_err_unscaled=p_err,
                       prefactor_err_unscaled=c_err, chi2=chi2, dof=dof)
