"""Estimators built from recorded diagonal observables (docs/theory.md §13)."""
from __future__ import annotations

import numpy as np


def binder_cumulant(result, m2: str = "m2", m4: str = "m4"):
    """U(t) = 1 - <m^4> / (3 <m^2>^2) from the recorded diagonal observables named m2 and m4
    (e.g. observables={"m2": lambda m: m**2, "m4": lambda m: m**4}); U = 2/3 for a distribution
    concentrated at +-m*, 0 for a Gaussian one.

    Returns (U (T,), stderr (T,)): the delta-method error from the covariance of the two ensemble
    means (Ensemble.observable_covariance), zero for an exact result."""
    a, _ = result.observable(m2)
    b, _ = result.observable(m4)
    U = 1 - b / (3 * a ** 2)
    if result.exact:
        return U, np.zeros_like(U)
    names = result.diagonal["observables"]
    i, j = names.index(m2), names.index(m4)
    cov = result.observable_covariance()
    ga, gb = 2 * b / (3 * a ** 3), -1 / (3 * a ** 2)
    var = ga ** 2 * cov[:, i, i] + gb ** 2 * cov[:, j, j] + 2 * ga * gb * cov[:, i, j]
    return U, np.sqrt(np.maximum(var, 0.0))
