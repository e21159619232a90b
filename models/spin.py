"""Spin-1/2 model descriptions: fields, all-to-all couplings and collective-rate channels.

Conventions (docs/theory.md §1): Pauli units, sigma_z|up> = +|up>, S_a = sum_k sigma_a^(k),
block averages m_a^b = S_a^b / N_b.

    H = sum_b h_b . S^b + (1/N) sum_{b,g} sum_{a,c} J^{bg}_{ac} S_a^b S_c^g
    J_lk = o_l^(k) Gamma_l(Delta_l),  k in block b_l,
    Delta_l = c0_l + sum_g sum_a r_{l,g a} m_a^g.
"""
from __future__ import annotations

import math
import numbers
from typing import Callable, Sequence

import numpy as np

AXES = ("x", "y", "z")
#: the 2x2 matrices of the local operators in the basis (up, down)
PAULI_OPS = {
    "x": np.array([[0, 1], [1, 0]], dtype=complex),
    "y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    "z": np.array([[1, 0], [0, -1]], dtype=complex),
    "minus": np.array([[0, 0], [1, 0]], dtype=complex),
    "plus": np.array([[0, 1], [0, 0]], dtype=complex),
}
_OPERATORS = {
    "minus": "minus", "sigma_-": "minus", "sm": "minus", "-": "minus",
    "plus": "plus", "sigma_+": "plus", "sp": "plus", "+": "plus",
    "z": "z", "sigma_z": "z", "sz": "z",
    "x": "x", "sigma_x": "x", "sx": "x",
    "y": "y", "sigma_y": "y", "sy": "y",
}
_OP_HELP = ("op must be one of 'minus', 'plus', 'z', 'x', 'y' (sigma_-, sigma_+, sigma_z, sigma_x, sigma_y) "
            "or a non-zero, finite 2x2 complex matrix (or qutip.Qobj) in the basis (up, down)")


def dense_matrix(op):
    """A qutip.Qobj (anything with a .full() method) as its dense matrix; anything else as it is."""
    full = getattr(op, "full", None)
    return full() if callable(full) else op


def local_operator(op) -> tuple[str, np.ndarray]:
    """(name, 2x2 complex matrix) of a single-site operator given by name or as a matrix in the
    basis (up, down); a named matrix gets its name back, any other matrix the name "matrix".
    One ValueError naming `op` for anything else (wrong shape, non-finite, zero)."""
    if isinstance(op, str):
        if op not in _OPERATORS:
            raise ValueError(f"{_OP_HELP}, got {op!r}")
        name = _OPERATORS[op]
        return name, PAULI_OPS[name].copy()
    try:
        arr = np.asarray(dense_matrix(op), dtype=complex)
    except (TypeError, ValueError):
        raise ValueError(f"{_OP_HELP}, got {op!r}") from None
    if arr.shape != (2, 2):
        raise ValueError(f"{_OP_HELP}, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{_OP_HELP}, got non-finite entries {arr.tolist()}")
    if not np.any(arr):
        raise ValueError(f"{_OP_HELP}, got the zero matrix (a channel that never jumps)")
    for name, matrix in PAULI_OPS.items():
        if np.array_equal(arr, matrix):
            return name, matrix.copy()
    return "matrix", arr


def operator_components(matrix: np.ndarray) -> np.ndarray:
    """(c_+, c_-, c_z, c_1) (4,) complex with o = c_+ sigma_+ + c_- sigma_- + c_z sigma_z + c_1 1 for
    the 2x2 matrix o in the basis (up, down) (docs/theory.md §2, general local operators)."""
    o = np.asarray(matrix, dtype=complex)
    return np.array([o[0, 1], o[1, 0], (o[0, 0] - o[1, 1]) / 2, (o[0, 0] + o[1, 1]) / 2])


def check_integer(name: str, value, minimum: int = 1) -> int:
    """`value` as an int, or a ValueError "<name> must be an integer >= <minimum>"."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_real(name: str, value, minimum: float | None = None) -> float:
    """`value` as a finite float (>= minimum if given), or a ValueError naming `name` and the range."""
    allowed = "a finite real number" + ("" if minimum is None else f" >= {minimum:g}")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


def real_array(name: str, value, shape: tuple[int, ...]) -> np.ndarray:
    """`value` as a finite real float array of the given shape, or a ValueError naming `name`."""
    arr = np.asarray(value)
    if np.iscomplexobj(arr):
        if np.any(np.imag(arr) != 0):
            raise ValueError(f"{name} must be real, got complex values")
        arr = np.real(arr)
    try:
        arr = arr.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real array of shape {shape}") from None
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    return arr


class Constant:
    """A rate function that is one number, Gamma(Delta) = value for every Delta (vectorised, picklable)."""

    def __init__(self, value: float):
        self.value = float(value)

    def __call__(self, x) -> np.ndarray:
        return np.full(np.shape(x), self.value)

    def __repr__(self) -> str:
        return f"{self.value:g}"


def rate_function(gamma, rate) -> tuple:
    """(gamma, rate) with exactly one given; a real number becomes a Constant. ValueError naming the field."""
    if (gamma is None) == (rate is None):
        raise ValueError("give exactly one of gamma (the amplitude) or rate (= gamma**2)")
    name, fn = ("gamma", gamma) if gamma is not None else ("rate", rate)
    if not callable(fn):
        if isinstance(fn, (bool, np.bool_)) or not isinstance(fn, numbers.Real) or not math.isfinite(fn):
            raise ValueError(f"{name} must be a finite real number or a function of the Delta values, got {fn!r}")
        if name == "rate" and fn < 0:
            raise ValueError(f"rate must be >= 0 (it is gamma**2), got {fn!r}")
        fn = Constant(fn)
    return (fn, None) if name == "gamma" else (None, fn)


#: points at which `largest_rate` evaluates a rate on the range of its Delta
RATE_POINTS = 257


def largest_rate(channel, lo: float, hi: float) -> float:
    """max Gamma^2 of `channel` (a Channel or QuditChannel) over RATE_POINTS points of [lo, hi], the
    range of its Delta: the rate bound of the work estimates (a peak narrower than the grid spacing
    can be missed; the estimate is not a guarantee)."""
    x = np.linspace(lo, hi, RATE_POINTS if hi > lo else 1)
    with np.errstate(over="ignore"):
        return float(np.max(np.abs(channel.amplitude(x)) ** 2))


def evaluate_amplitude(gamma: Callable | None, rate: Callable | None, x) -> np.ndarray:
    """Gamma(x) from the amplitude `gamma` or the rate `rate` (Gamma = sqrt(rate)) on real values x,
    checked: vectorised, real, finite, and rate >= 0; a ValueError names the function otherwise."""
    x = np.asarray(x, dtype=float)
    name = "gamma" if gamma is not None else "rate"
    fn = gamma if gamma is not None else rate
    try:
        with np.errstate(all="ignore"):
            values = np.asarray(fn(x))
        if values.dtype == object or not (np.issubdtype(values.dtype, np.number) or values.dtype == bool):
            raise TypeError(f"returned {values.dtype} values")
    except Exception as err:
        label = getattr(fn, "__name__", type(fn).__name__)
        reason = " ".join(f"{type(err).__name__}: {err}".split())
        raise ValueError(f"{name} ({label}) must accept a numpy array and return an array of the same "
                         f"shape; calling it on an array of {x.size} Delta values failed ({reason})") from err
    if values.shape == ():
        values = np.full(x.shape, values)
    if values.shape != x.shape:
        raise ValueError(f"{name} must be vectorised: returned shape {values.shape} for input {x.shape}")
    if np.iscomplexobj(values):
        if np.any(np.imag(values) != 0):
            raise ValueError(f"{name} returned complex values on the spectrum of Delta")
        values = np.real(values)
    values = values.astype(float)
    bad = ~np.isfinite(values)
    if np.any(bad):
        raise ValueError(f"{name} returned non-finite values on the spectrum of Delta, "
                         f"e.g. at Delta = {x[bad].flat[0]:.6g}")
    if rate is not None:
        if np.any(values < 0):
            raise ValueError(f"rate must be >= 0 on the spectrum of Delta, got {values.min():.6g} "
                             f"at Delta = {x[np.argmin(values)]:.6g}")
        values = np.sqrt(values)
    return values


class Channel:
    """One dissipative channel: J_k = o^(k) Gamma(Delta) on every site k of one block (local), or
    one collective jump operator J = S_o Gamma(Delta) / sqrt(N_b), S_o = sum_k o^(k) over the block.

    Parameters
    ----------
    op : "minus" | "plus" | "z" | "x" | "y" or array_like (2, 2) or qutip.Qobj
        The local operator o: sigma_- = |down><up|, sigma_+ = |up><down|, a Pauli matrix, or any
        non-zero complex 2x2 matrix in the basis (up, down) (qutip's: qutip.sigmam() is sigma_-) ([[0, 1], [0, 0]] is sigma_+,
        [[1, 0], [0, 0]] the projector n = |up><up|). `matrix` holds it, `op` its name ("matrix"
        for one that is not named).
    gamma : callable or float, optional
        The amplitude Gamma (any real, vectorised function; a number for a constant amplitude).
        Gamma(Delta)^2 is the operator-valued rate. Give either `gamma` or `rate`.
    rate : callable or float, optional
        The rate Gamma^2 (non-negative); Gamma = sqrt(rate).
    delta : array_like
        Coefficients r of Delta = offset + sum_a r_a m_a: shape (3,) for a single block,
        (B, 3) for a BlockModel (row g multiplies the block averages m^g).
    offset : float
        The constant c0 in Delta.
    block : int
        The block whose sites the channel acts on (0 for a SpinModel).
    collective : bool
        False (default): N_b jump operators o^(k) Gamma, one per site. True: the single jump operator
        S_o Gamma / sqrt(N_b), which keeps every total spin j (docs/theory.md §2, collective
        channels); the 1/sqrt(N_b) gives the mean-field limit. qutip.piqs writes collective rates
        for the spin-N/2 operators J_- = S_-, J_+ = S_+ and J_z = S_z / 2: its collective emission
        gamma_CE D[J_-] is Channel("minus", rate=N gamma_CE, collective=True), collective pumping
        rate=N gamma_CP with "plus", collective dephasing gamma_CD D[J_z] is "z" with
        rate=N gamma_CD / 4; its local rates are gamma_E (emission, "minus"), gamma_P (pumping,
        "plus") and gamma_D D[sigma_z / 2] (dephasing, "z" with rate=gamma_D / 4).
    """

    def __init__(self, op, gamma: Callable | float | None = None, delta=(0.0, 0.0, 0.0),
                 offset: float = 0.0, block: int = 0, rate: Callable | float | None = None,
                 collective: bool = False):
        self.op, self.matrix = local_operator(op)
        if not isinstance(collective, (bool, np.bool_)):
            raise ValueError(f"collective must be True or False, got {collective!r}")
        self.collective = bool(collective)
        gamma, rate = rate_function(gamma, rate)
        if not isinstance(block, (int, np.integer)) or block < 0:
            raise ValueError(f"block must be an integer >= 0, got {block!r}")
        self.gamma = gamma
        self.rate = rate
        delta = np.asarray(delta)
        self.delta = real_array("delta", delta, delta.shape)
        if self.delta.ndim not in (1, 2) or self.delta.shape[-1] != 3:
            raise ValueError(f"delta must have shape (3,) or (B, 3), got {self.delta.shape}")
        self.offset = float(real_array("offset", offset, ()))
        self.block = int(block)

    def amplitude(self, x) -> np.ndarray:
        """Gamma evaluated on the real values x (the spectrum of Delta), checked."""
        return evaluate_amplitude(self.gamma, self.rate, x)

    @property
    def components(self) -> np.ndarray:
        """(c_+, c_-, c_z, c_1) (4,) of o = c_+ sigma_+ + c_- sigma_- + c_z sigma_z + c_1 1."""
        return operator_components(self.matrix)

    @property
    def only_z(self) -> bool:
        """True when Delta involves only z components (Gamma diagonal in the Dicke basis)."""
        return bool(np.all(self.delta[..., :2] == 0))

    def __repr__(self) -> str:
        fn = self.gamma or self.rate
        op = self.op if self.op != "matrix" else self.matrix.tolist()
        return (f"Channel({op!r}, {'gamma' if self.gamma is not None else 'rate'}="
                f"{getattr(fn, '__name__', fn)}, delta={self.delta.tolist()}, offset={self.offset}, "
                f"block={self.block}" + (", collective=True)" if self.collective else ")"))


class BlockModel:
    """Spins split into B blocks of sizes N_b (docs/theory.md §1, multi-block models).

    Parameters
    ----------
    sizes : sequence of int
        Block sizes N_b >= 1; N = sum N_b.
    h : array_like (B, 3)
        Single-site fields: H contains sum_b h_b . S^b.
    J : array_like (B, B, 3, 3)
        Couplings (1/N) sum J^{bg}_{ac} S_a^b S_c^g; each J[b, b] must be symmetric (operators of
        different blocks commute, so J[b, g] with b != g is free).
    channels : sequence of Channel
        Each with delta of shape (B, 3) and block in 0..B-1.
    """

    def __init__(self, sizes: Sequence[int], h=None, J=None, channels: Sequence[Channel] = ()):
        given = sizes
        if isinstance(sizes, (str, bytes, bool, np.bool_, dict)) or (
                isinstance(sizes, (list, tuple)) and any(isinstance(v, (bool, np.bool_, str)) for v in sizes)):
            raise ValueError(f"sizes must be a sequence of integers >= 1, got {given!r}")
        try:
            sizes = np.atleast_1d(np.asarray(sizes))
        except (TypeError, ValueError):
            raise ValueError(f"sizes must be a sequence of integers >= 1, got {given!r}") from None
        if sizes.ndim != 1 or sizes.size == 0:
            raise ValueError("sizes must be a non-empty sequence of block sizes")
        if not np.issubdtype(sizes.dtype, np.integer):
            integral = np.issubdtype(sizes.dtype, np.floating) and np.all(np.isfinite(sizes)) and \
                np.all(sizes == np.round(sizes))
            if not integral:
                raise ValueError(f"sizes must be integers >= 1, got {given!r}")
        if np.any(sizes < 1):
            raise ValueError(f"every block size must be >= 1, got sizes = {sizes.tolist()}")
        self.sizes = tuple(int(n) for n in sizes)
        B = len(self.sizes)
        self.B = B
        self.N = int(sum(self.sizes))
        self.h = real_array("h", np.zeros((B, 3)) if h is None else h, (B, 3))
        self.J = real_array("J", np.zeros((B, B, 3, 3)) if J is None else J, (B, B, 3, 3))
        for b in range(B):
            if not np.allclose(self.J[b, b], self.J[b, b].T, rtol=0, atol=1e-12):
                raise ValueError(f"J[{b}, {b}] must be symmetric (J_ac S_a S_c is Hermitian only then)")
        self.channels = tuple(channels)
        self._deltas = []
        for i, ch in enumerate(self.channels):
            if not isinstance(ch, Channel):
                raise ValueError(f"channels[{i}] must be a Channel, got {type(ch).__name__}")
            if ch.block >= B:
                raise ValueError(f"channels[{i}].block must be in 0..{B - 1}, got {ch.block}")
            self._deltas.append(self._resolve_delta(ch.delta, f"channels[{i}].delta"))
        self._deltas = np.array(self._deltas).reshape(len(self.channels), B, 3)

    def _resolve_delta(self, delta: np.ndarray, name: str) -> np.ndarray:
        if delta.shape == (3,) and (self.B == 1 or not np.any(delta)):
            return np.zeros((self.B, 3)) + delta  # one block, or a constant rate
        if delta.shape != (self.B, 3):
            raise ValueError(f"{name} must have shape ({self.B}, 3) for a model of {self.B} blocks, "
                             f"got {delta.shape}")
        return delta

    def delta(self, l: int) -> np.ndarray:
        """Coefficients r_{g a} (B, 3) of Delta for channel l."""
        return self._deltas[l]

    def delta_range(self, l: int) -> tuple[float, float]:
        """(lo, hi): the values Delta_l = offset + sum_g r_g . m_g takes over Bloch vectors |m_g| <= 1."""
        reach = float(np.sum(np.linalg.norm(self._deltas[l], axis=1)))
        return self.channels[l].offset - reach, self.channels[l].offset + reach

    @property
    def only_z(self) -> bool:
        """True when every Delta involves only z components (the banded fast path)."""
        return bool(np.all(self._deltas[..., :2] == 0)) if len(self.channels) else True

    def describe(self) -> dict:
        """Plain-data description (for results metadata)."""
        return {
            "kind": type(self).__name__, "sizes": list(self.sizes), "h": self.h.tolist(),
            "J": self.J.tolist(),
            "channels": [{"op": c.op, "matrix": [[[z.real, z.imag] for z in row] for row in c.matrix],
                          "collective": c.collective, "delta": self.delta(i).tolist(), "offset": c.offset,
                          "block": c.block, "function": repr(c)} for i, c in enumerate(self.channels)],
        }

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(sizes={self.sizes}, channels={len(self.channels)}, "
                f"only_z={self.only_z})")


class SpinModel(BlockModel):
    """A single block of N spins: H = h . S + (1/N) sum_ab J_ab S_a S_b, channels with delta (3,).

    J must be symmetric (J_ab = J_ba) for H to be Hermitian.
    """

    def __init__(self, N: int, h=(0.0, 0.0, 0.0), J=None, channels: Sequence[Channel] = ()):
        N = check_integer("N", N)
        h = real_array("h", h, (3,))
        J = real_array("J", np.zeros((3, 3)) if J is None else J, (3, 3))
        for i, ch in enumerate(channels):
            if isinstance(ch, Channel) and ch.block != 0:
                raise ValueError(f"channels[{i}].block must be 0 for a SpinModel, got {ch.block}")
        super().__init__([int(N)], h[None, :], J[None, None], channels)

    def _resolve_delta(self, delta: np.ndarray, name: str) -> np.ndarray:
        if delta.shape == (3,):
            return delta[None, :]
        if delta.shape == (1, 3):
            return delta
        raise ValueError(f"{name} must have shape (3,) for a SpinModel, got {delta.shape}")
