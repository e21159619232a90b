"""Argument checks shared by the solvers; every error names the parameter and the allowed range."""
from __future__ import annotations

import numpy as np

from models.qudit import QuditModel
from models.spin import BlockModel

#: most output times a run or config may ask for: each costs ~1 KB of running sums per block (and a
#: results file grows with them), so 10^6 times are ~1 GB
MAX_TIMES = 10 ** 6


def check_times(times) -> np.ndarray:
    """Output times as a float array: 1D, finite, >= 0, strictly increasing."""
    t = np.atleast_1d(real_values("times", times))
    if t.ndim != 1 or t.size == 0:
        raise ValueError("times must be a non-empty 1D array")
    if t.size > MAX_TIMES:
        raise ValueError(f"times must have at most {MAX_TIMES:.0e} entries (each output time costs memory "
                         f"in every trajectory and in the results), got {t.size}")
    bad = ~np.isfinite(t)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(f"times must be finite, got {t[i]} at times[{i}]")
    if t[0] < 0:
        raise ValueError(f"times must be >= 0, got times[0] = {t[0]}")
    if np.any(np.diff(t) <= 0):
        i = int(np.argmax(np.diff(t) <= 0))
        raise ValueError(f"times must be strictly increasing: times[{i}] = {t[i]} >= times[{i + 1}] = {t[i + 1]}")
    return t


def check_bool(name: str, value) -> bool:
    """`value` if it is a real bool (True, False or a numpy bool); strings such as 'false' are refused."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_model(model, qudit: bool = True):
    """`model` if it is a SpinModel or BlockModel (or, with `qudit`, a QuditModel); else a ValueError
    saying what to pass (a model's name is a config's word: build the model object first)."""
    kinds = (BlockModel, QuditModel) if qudit else (BlockModel,)
    if isinstance(model, kinds):
        return model
    names = "a SpinModel, BlockModel or QuditModel" if qudit else "a SpinModel or BlockModel"
    hint = (": build the model object first, e.g. models.hopfield_model(N, beta, omega) or "
            "models.SpinModel(N, h, J, channels) (names like 'hopfield' are for the command line's configs)"
            if isinstance(model, str) else "")
    raise ValueError(f"model must be {names}, got {type(model).__name__} {model!r:.60}{hint}")


def check_int(name: str, value, low: int, allow_none: bool = False):
    """`value` as an int >= low (None passes when allow_none); bools and floats are refused."""
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def check_positive(name: str, value, upper: float | None = None) -> float:
    """`value` as a float in (0, upper) (or (0, inf) without upper)."""
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not ok or not np.isfinite(value) or value <= 0 or (upper is not None and value >= upper):
        rng = f"(0, {upper:g})" if upper is not None else "(0, inf)"
        raise ValueError(f"{name} must be a number in {rng}, got {value!r}")
    return float(value)


def check_real_option(name: str, value, upper: float, why: str) -> float:
    """`value` as a float in (0, upper]; beyond `upper` the ValueError says `why` it is unsafe."""
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not ok or not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a number in (0, {upper:g}], got {value!r}")
    if value > upper:
        raise ValueError(f"{name} must be in (0, {upper:g}], got {value!r}: {why}")
    return float(value)


def check_density(name: str, rho: np.ndarray, tol: float = 1e-10) -> None:
    """ValueError naming `name` unless rho (..., D, D) is Hermitian, of trace one and positive."""
    if not np.all(np.isfinite(rho)):
        raise ValueError(f"{name} must be finite")
    if not np.allclose(rho, np.conj(np.swapaxes(rho, -1, -2)), rtol=0, atol=tol):
        raise ValueError(f"{name} must be Hermitian")
    tr = np.trace(rho, axis1=-2, axis2=-1)
    if not np.allclose(tr, 1.0, rtol=0, atol=tol):
        raise ValueError(f"{name} must have trace 1, got {np.ravel(tr.real)[0]:.6g}")  # Hermitian: real
    smallest = float(np.min(np.linalg.eigvalsh(rho)))
    if smallest < -1e-9:
        raise ValueError(f"{name} must be positive semidefinite, smallest eigenvalue {smallest:.3g}")


def real_values(name: str, value) -> np.ndarray:
    """`value` (a real number or a nested sequence of them) as a float array; booleans, strings,
    complex numbers and ragged or other objects raise a ValueError naming `name`."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError):  # ragged nesting
        raw = None
    if raw is None or raw.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be a real number or a sequence of them, got {value!r}")
    return raw.astype(float)


def per_block(name: str, value, B: int, width: int | None = None) -> np.ndarray:
    """Broadcast a per-block parameter to shape (B,) or (B, width); the error names `name`."""
    arr = real_values(name, value)
    shape = (B,) if width is None else (B, width)
    if width is None and arr.ndim == 0:
        arr = np.full(B, float(arr))
    elif width is not None and arr.shape == (width,):
        arr = np.tile(arr, (B, 1))
    if arr.shape != shape:
        one = "a scalar" if width is None else f"a vector of {width} values"
        raise ValueError(f"{name} must be {one} or one per block {shape}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr


def check_lags(lags) -> np.ndarray:
    """Delays s of two-time correlations as a float array: 1D, finite, >= 0, strictly increasing."""
    try:
        return check_times(lags)
    except ValueError as err:
        raise ValueError(str(err).replace("times", "lags")) from None


def check_operator(name: str, op, dim: int) -> np.ndarray:
    """`op` as a finite complex (dim, dim) matrix; the error names `name` and the shape wanted."""
    try:
        arr = np.asarray(op, dtype=complex)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a ({dim}, {dim}) complex matrix, got {op!r}") from None
    if arr.shape != (dim, dim):
        raise ValueError(f"{name} must be a ({dim}, {dim}) matrix, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite")
    return arr
