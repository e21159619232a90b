"""Argument checks shared by the solvers."""
from __future__ import annotations

import numpy as np


def check_times(times) -> np.ndarray:
    """Output times as a float array: 1D, finite, >= 0, strictly increasing."""
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if t.ndim != 1 or t.size == 0:
        raise ValueError("times must be a non-empty 1D array")
    if not np.all(np.isfinite(t)) or t[0] < 0:
        raise ValueError(f"times must be finite and >= 0, got first time {t[0]}")
    if np.any(np.diff(t) <= 0):
        i = int(np.argmax(np.diff(t) <= 0))
        raise ValueError(f"times must be strictly increasing: times[{i}] = {t[i]} >= times[{i + 1}] = {t[i + 1]}")
    return t
