"""The N -> oo limit of exact finite-N values: Richardson extrapolation in 1/N (docs/theory.md §4).

Exact results carry no statistical error; their approach to the limit is an expansion
v(N) = c0 + c1/N + c2/N^2 + ... (Theorem 1 and the linear-noise expansion, docs/theory.md §10). The
polynomial in 1/N through the k largest N estimates c0; the change of c0 when one point fewer (one
order lower) is used estimates its error.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base.checks import real_values


class RichardsonLimit(NamedTuple):
    """limit c0 and its error estimate, shaped like one value; coefficients (order, ...): c0, c1, ..."""
    limit: np.ndarray
    error: np.ndarray
    coefficients: np.ndarray

    def at(self, N) -> np.ndarray:
        """The polynomial c0 + c1/N + ... at one size N, shaped like one value."""
        return sum(c / float(N) ** k for k, c in enumerate(self.coefficients))


def richardson(Ns, values, order: int | None = None) -> RichardsonLimit:
    """N -> oo limit of values(N) = c0 + c1/N + ... + c_{k-1}/N^{k-1} + O(N^-k).

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
    N = real_values("Ns", Ns)
    if N.ndim != 1 or N.size < 2 or np.any(N <= 0) or np.any(np.diff(N) <= 0):
        raise ValueError(f"Ns must be at least two positive, strictly increasing sizes, got {Ns!r}")
    v = np.asarray(values)
    if v.shape[:1] != N.shape or not np.all(np.isfinite(v)):
        raise ValueError(f"values must be finite with first axis of length {N.size} (one per N), got shape "
                         f"{v.shape}")
    k = N.size if order is None else int(order)
    if not 2 <= k <= N.size:
        raise ValueError(f"order must be in 2..{N.size} (the number of sizes), got {order!r}")
    x = 1.0 / N

    def coefficients(n):
        return np.tensordot(np.linalg.inv(np.vander(x[-n:], n, increasing=True)), v[-n:], axes=1)

    coef = coefficients(k)
    return RichardsonLimit(coef[0], np.abs(coef[0] - coefficients(k - 1)[0]), coef)
