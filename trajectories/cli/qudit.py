"""N d-level particles in configs: [model] name = "qudit" and the states qudit_density, qudit_pure.

    [model]
    name = "qudit"
    N = 40
    d = 3
    hamiltonian = [[0, 1, 0], [1, 0, 0.7], [0, 0.7, 0]]        H = sum_k H1^(k)
    interaction = [[1.5, nr, nr]]                               (1.5/N) sum_{k,j} n_r^(k) n_r^(j)

    [[model.channels]]
    op = [[0, 0, 1], [0, 0, 0], [0, 0, 0]]                      |g><r| on every site
    rate = "0.5 * (1 + 2 * x)"                                  or a number; or gamma = ...
    delta = [[0, 0, 0], [0, 0, 0], [0, 0, 1]]                   x = Delta = (1/N) sum_k R^(k)
    collective = false

    [state]
    name = "qudit_pure"                                         amplitudes = [1, 0, 0]
    name = "qudit_density"                                      rho = [[1, 0, 0], [0, 0, 0], [0, 0, 0]]

Matrices are lists of d rows of d entries, each a number or an [re, im] pair. In the model's
Gell-Mann basis v_a (models.qudit.gell_mann) eps_a = tr(H1 v_a), r_a = tr(R v_a), and an
interaction [s, A, B] adds s (alpha_a beta_b + beta_a alpha_b) / 2 to h_ab (alpha_a = tr(A v_a),
beta_b = tr(B v_b)): the Hermitian part (s/2N) (A_tot B_tot + B_tot A_tot), the product itself when
A and B commute. A state is the single-site rho_1 of the product state rho_1^(x)N.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from models.qudit import QuditChannel, QuditModel, gell_mann
from ..base.checks import check_density
from .expressions import RateFormula

QUDIT_CHANNEL_FIELDS = ("op", "rate", "gamma", "delta", "collective")
#: the largest d a config may ask for (the basis alone holds d^4 numbers, the operators more)
MAX_D = 16
MATRIX_FORM = "rows of numbers or of [re, im] pairs"


def _number(x) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_)) and math.isfinite(x)


def _entry(x):
    """A matrix entry as a complex number (a real number or an [re, im] pair), or None."""
    if _number(x):
        return complex(x)
    if isinstance(x, (list, tuple)) and len(x) == 2 and all(_number(v) for v in x):
        return complex(x[0], x[1])
    return None


def matrix_entries(value) -> np.ndarray | None:
    """A list of equal rows of entries (numbers or [re, im] pairs) as a complex 2D array, or None."""
    if not isinstance(value, (list, tuple)) or not value or not all(isinstance(r, (list, tuple)) for r in value):
        return None
    rows = [[_entry(x) for x in row] for row in value]
    if len({len(r) for r in rows}) != 1 or any(x is None for r in rows for x in r):
        return None
    return np.array(rows, dtype=complex)


def config_matrix(value, where: str, d: int, hermitian: bool = False) -> np.ndarray:
    """A (d, d) complex matrix from config data; ValueError naming `where` otherwise."""
    arr = matrix_entries(value)
    kind = "Hermitian " if hermitian else ""
    if arr is None or arr.shape != (d, d):
        raise ValueError(f"{where} must be a {kind}{d} x {d} matrix ({d} rows of {d} entries, {MATRIX_FORM}), "
                         f"got {value!r}")
    if hermitian and not np.allclose(arr, arr.conj().T, rtol=0, atol=1e-12):
        raise ValueError(f"{where} must be a Hermitian {d} x {d} matrix (equal to its conjugate transpose), "
                         f"got {value!r}")
    return arr


def components(A: np.ndarray, basis: np.ndarray, where: str) -> np.ndarray:
    """tr(A v_a) of a Hermitian matrix A in the basis v (d^2, d, d): real (d^2,); ValueError naming
    `where` when they overflow."""
    with np.errstate(all="ignore"):
        out = np.einsum("aij,ji->a", basis, A).real
    return _finite(out, where)


def _finite(values: np.ndarray, where: str) -> np.ndarray:
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{where} is too large: its components in the Gell-Mann basis overflow")
    return values


def interaction_couplings(interaction, d: int, basis: np.ndarray) -> np.ndarray:
    """The symmetric h (d^2, d^2) of a list of [strength, A, B] entries."""
    where = "model.interaction"
    if not isinstance(interaction, list):
        raise ValueError(f"{where} must be a list of [strength, A, B] entries, got {interaction!r}")
    h = np.zeros((d * d, d * d))
    for i, term in enumerate(interaction):
        if not isinstance(term, list) or len(term) != 3:
            raise ValueError(f"{where}[{i}] must be [strength, A, B] (a number and two Hermitian {d} x {d} "
                             f"matrices), got {term!r}")
        if not _number(term[0]):
            raise ValueError(f"{where}[{i}][0] (the strength) must be a finite number, got {term[0]!r}")
        a, b = (components(config_matrix(term[k], f"{where}[{i}][{k}]", d, hermitian=True), basis,
                           f"{where}[{i}][{k}]") for k in (1, 2))
        with np.errstate(all="ignore"):
            h = _finite(h + term[0] * (np.outer(a, b) + np.outer(b, a)) / 2, f"{where}[{i}]")
    return h


def _rate(table: dict, where: str) -> dict:
    """The channel's rate or gamma: a number, or a formula of x (expressions.RateFormula)."""
    given = [k for k in ("rate", "gamma") if k in table]
    if len(given) != 1:
        raise ValueError(f"{where}: give exactly one of rate (a number or a formula of x = Delta) or gamma "
                         "(the amplitude, rate = gamma**2)")
    key, value = given[0], table[given[0]]
    if isinstance(value, str):
        return {key: RateFormula(f"{where}.{key}", value)}
    if not _number(value):
        raise ValueError(f"{where}.{key} must be a finite number or a formula string of x like "
                         f"\"0.5 * (1 + 2 * x)\", got {value!r}")
    return {key: value}


def _check_rate(channel: QuditChannel, R: np.ndarray, where: str, key: str) -> None:
    """The rate real, finite and >= 0 on the range of Delta (its values lie between R's eigenvalues)."""
    w = np.linalg.eigvalsh(R)
    try:
        channel.amplitude(np.linspace(w[0], w[-1], 1025))
    except ValueError as err:
        message = str(err).split(" ", 1)[1] if str(err).startswith(key) else str(err)
        raise ValueError(f"{where}.{key} {message} (Delta ranges over [{w[0]:.6g}, {w[-1]:.6g}])") from None


def check_channel_table(table, where: str, fields, op_hint: str = "") -> None:
    """ValueError naming `where` unless `table` is a config table with only `fields` and an op."""
    if not isinstance(table, dict):
        raise ValueError(f"{where} must be a table with fields {', '.join(fields)}")
    unknown = sorted(set(table) - set(fields))
    if unknown:
        raise ValueError(f"{where}.{unknown[0]} is not a channel field (fields: {', '.join(fields)})")
    if "op" not in table:
        raise ValueError(f"{where}.op is required{op_hint}")


def qudit_channel(table, i: int, d: int, basis: np.ndarray) -> QuditChannel:
    """The QuditChannel of the table [[model.channels]] number i."""
    where = f"model.channels[{i}]"
    check_channel_table(table, where, QUDIT_CHANNEL_FIELDS, f" (a {d} x {d} matrix)")
    op = config_matrix(table["op"], f"{where}.op", d)
    R = (config_matrix(table["delta"], f"{where}.delta", d, hermitian=True) if "delta" in table
         else np.zeros((d, d), dtype=complex))
    collective = table.get("collective", False)
    if not isinstance(collective, bool):
        raise ValueError(f"{where}.collective must be true or false, got {collective!r}")
    rate = _rate(table, where)
    try:
        channel = QuditChannel(op, r=components(R, basis, f"{where}.delta"), collective=collective, **rate)
    except ValueError as err:
        raise ValueError(f"{where}.{err}") from None
    _check_rate(channel, R, where, next(iter(rate)))
    return channel


def qudit_model(N, d, hamiltonian=None, interaction=None, channels=()) -> QuditModel:
    """A QuditModel from plain config data (the module docstring), in the Gell-Mann basis of d."""
    if d > MAX_D:
        raise ValueError(f"model.d must be at most {MAX_D}, got {d} (the basis and the operators of a d-level "
                         "model grow like d^4)")
    basis = gell_mann(d)
    eps = None if hamiltonian is None else components(
        config_matrix(hamiltonian, "model.hamiltonian", d, hermitian=True), basis, "model.hamiltonian")
    h = None if interaction is None else interaction_couplings(interaction, d, basis)
    if not isinstance(channels, (list, tuple)):
        raise ValueError(f"model.channels must be a list of tables ([[model.channels]]), got {channels!r}")
    return QuditModel(N, d, eps=eps, h=h, channels=[qudit_channel(c, i, d, basis) for i, c in enumerate(channels)])


def qudit_density(d: int, rho) -> np.ndarray:
    """The single-site density matrix rho (d, d): Hermitian, trace one, positive."""
    arr = config_matrix(rho, "state.rho", d, hermitian=True)
    try:
        check_density("state.rho", arr)
    except ValueError as err:
        raise ValueError(f"{err} (a single-site density matrix of the {d}-level model)") from None
    return arr


def qudit_pure(d: int, amplitudes) -> np.ndarray:
    """|phi><phi| of d amplitudes (numbers or [re, im] pairs), normalised."""
    phi = matrix_entries([amplitudes]) if isinstance(amplitudes, list) else None
    if phi is None or phi.shape != (1, d):
        raise ValueError(f"state.amplitudes must be a list of {d} amplitudes (numbers or [re, im] pairs), "
                         f"got {amplitudes!r}")
    largest = np.abs(phi[0]).max()
    if largest == 0 or not np.isfinite(largest):
        raise ValueError(f"state.amplitudes must be finite and not all zero, got {amplitudes!r}")
    phi = phi[0] / largest
    phi /= np.linalg.norm(phi)
    return np.outer(phi, phi.conj())


#: name -> (builder of a (d, d) rho_1 given d, parameters; None = required)
QUDIT_STATES = {
    "qudit_density": (qudit_density, {"rho": None}),
    "qudit_pure": (qudit_pure, {"amplitudes": None}),
}
