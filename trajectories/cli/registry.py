"""Models and initial states by name, with plain-number parameters (used by the TOML configs).

    named_model("hopfield", N=200, beta=2.0, omega=0.5)
    named_state("coherent", theta=0.4)

Models (single block of N spins, Pauli units, S_a = sum_k sigma_a^(k)), a table over the constructors
of `models`:
    hopfield  models.hopfield_model (eq. 59 rates): H = omega S_x; sigma_+ and sigma_- with
              Gamma_pm(m_z) = e^{pm beta m_z/2}/sqrt(2 cosh(beta m_z)) (docs/theory.md §7, one pattern)
    kinetic   models.kinetic_model: H = omega S_x; J_up = sqrt(gamma_up) sigma_+ n,
              J_down = sqrt(gamma_down) sigma_- n, n = (1 + m_z)/2 (docs/theory.md §8)
    decay     models.decay_model: H = h S_x; sigma_- at the constant rate gamma
    ising     models.ising_model: H = hx S_x + (J/N) S_z^2; sigma_- at the constant rate gamma
    superradiance  models.superradiance_model: collective emission sqrt(gamma/N) S_-, local dephasing
              at the rate kappa (1 + m_z)/2, local emission gamma_local, H = omega S_x
    transverse  models.transverse_rate_model: H = omega S_x + (chi/N) S_z^2; sigma_+ and sigma_- with
              Gamma_pm(m_z + kappa m_x) (the Hopfield amplitudes at beta; rates of a transverse average)
    spin      models.SpinModel(N, h, J, channels) with constant-rate channels given as tables:
              [[model.channels]] op = "minus" | "plus" | "z" | "x" | "y" or a 2x2 matrix (rows of
              numbers, or of [re, im] pairs), rate = ... (or gamma = ...), collective = false
    qudit     models.QuditModel of N d-level particles (cli/qudit.py): hamiltonian H1 (d x d),
              interaction [[strength, A, B], ...], [[model.channels]] op (d x d), rate or gamma
              (a number or a formula of x = Delta), delta R (d x d), collective
States: coherent (theta, phi), product (r), classical (p_up), dicke (j, m), cat; for a qudit model
qudit_density (rho, d x d) and qudit_pure (amplitudes, d of them), passed on as the (d, d) rho_1.
"""
from __future__ import annotations

import math

import numpy as np

from models import (Channel, SpinModel, decay_model, hopfield_model, ising_model, kinetic_model, superradiance_model,
                    transverse_rate_model)
from models.qudit import QuditModel
from ..sectors.states import cat_state, classical_state, coherent_state, dicke_state, product_state
from .qudit import QUDIT_STATES, check_channel_table, matrix_entries, qudit_model

CHANNEL_FIELDS = ("op", "rate", "gamma", "collective")


def _config_operator(op, name: str):
    """A channel's op from a config: a name, or a 2x2 matrix of numbers or of [re, im] pairs."""
    if isinstance(op, list):
        arr = matrix_entries(op)
        if arr is None:
            raise ValueError(f"{name} must be a name or a 2x2 matrix of numbers or [re, im] pairs, got {op!r}")
        return arr if np.any(arr.imag) else arr.real
    return op


def _config_channel(table, i: int) -> Channel:
    name = f"model.channels[{i}]"
    check_channel_table(table, name, CHANNEL_FIELDS)
    kw = {k: table[k] for k in ("rate", "gamma") if k in table}
    try:
        return Channel(_config_operator(table["op"], f"{name}.op"), collective=table.get("collective", False), **kw)
    except ValueError as err:
        raise ValueError(f"{name}.{err}") from None


def spin_model(N, h=(0.0, 0.0, 0.0), J=None, channels=()) -> SpinModel:
    """A SpinModel from plain config data: channels a list of tables (op, rate or gamma, collective)."""
    if not isinstance(channels, (list, tuple)):  # a tuple: the default, no channels
        raise ValueError(f"channels must be a list of tables ([[model.channels]]), got {channels!r}")
    return SpinModel(N, h=h, J=J, channels=[_config_channel(c, i) for i, c in enumerate(channels)])


#: name -> (builder, default parameters; None = required)
MODELS = {
    "hopfield": (hopfield_model, {"N": None, "beta": 2.0, "omega": 0.5}),
    "kinetic": (kinetic_model, {"N": None, "gamma_up": 1.0, "gamma_down": 1.0, "omega": 1.0}),
    "decay": (decay_model, {"N": None, "gamma": 1.0, "h": 0.0}),
    "ising": (ising_model, {"N": None, "hx": 1.0, "J": 1.0, "gamma": 1.0}),
    "superradiance": (superradiance_model, {"N": None, "gamma": 1.0, "kappa": 0.1, "gamma_local": 0.0,
                                            "omega": 0.0}),
    "transverse": (transverse_rate_model, {"N": None, "omega": 0.5, "chi": 1.0, "beta": 2.0, "kappa": 0.6}),
    "spin": (spin_model, {"N": None, "h": [0.0, 0.0, 0.0], "J": "default", "channels": "default"}),
    "qudit": (qudit_model, {"N": None, "d": None, "hamiltonian": "default", "interaction": "default",
                            "channels": "default"}),
}

#: parameters checked field by field by their builder (matrices, tables, lists of terms)
STRUCTURED = {"channels", "hamiltonian", "interaction", "rho", "amplitudes"}
#: integer parameters and their smallest value
INTEGERS = {"N": 1, "d": 2}


#: name -> (builder, default parameters; None = required, "default" = the builder's default)
STATES = {
    "coherent": (coherent_state, {"theta": 0.0, "phi": 0.0}),
    "product": (product_state, {"r": None}),
    "classical": (classical_state, {"p_up": None}),
    "dicke": (dicke_state, {"j": "default", "m": "default"}),
    "cat": (cat_state, {}),
}


def _params(kind: str, name: str, table: dict, params: dict) -> dict:
    if name not in table:
        raise ValueError(f"{kind}.name must be one of {', '.join(map(repr, table))}, got {name!r}")
    defaults = table[name][1]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(f"{kind}.{unknown[0]} is not a parameter of {kind} {name!r} "
                         f"(parameters: {', '.join(defaults) or 'none'})")
    out = {}
    for key, default in defaults.items():
        value = params.get(key, default)
        if value is None:
            raise ValueError(f"{kind}.{key} is required for {kind} {name!r}")
        if value == "default":
            continue
        if key in INTEGERS:
            if isinstance(value, bool) or not isinstance(value, int) or value < INTEGERS[key]:
                raise ValueError(f"{kind}.{key} must be an integer >= {INTEGERS[key]}, got {value!r}")
        elif key in STRUCTURED:
            pass   # checked field by field by the builder
        else:
            arr = np.asarray(value, dtype=object)
            flat = arr.ravel().tolist() if arr.ndim else [value]
            if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in flat):
                raise ValueError(f"{kind}.{key} must be a finite number (or a list of them), got {value!r}")
        out[key] = value
    return out


def named_model(name: str, **params) -> SpinModel | QuditModel:
    """The model `name` (see MODELS) with the given parameters (defaults for the others).

    A constructor's error about one of its parameters is reported as "model.<parameter> ...".
    """
    params = _params("model", name, MODELS, params)
    builder, defaults = MODELS[name]
    try:
        return builder(**params)
    except ValueError as err:
        message = str(err)
        if message.split(" ", 1)[0] in defaults:
            raise ValueError(f"model.{message}") from None
        raise


def named_state(name: str, **params):
    """The initial state `name` (coherent, product, classical, dicke, cat) with its parameters."""
    params = _params("state", name, STATES, params)
    return STATES[name][0](**params)


def model_state(model, name: str, **params):
    """The initial state `name` for `model`: a spin state (named_state), or for a QuditModel the
    (d, d) single-site density matrix rho_1 of qudit_density or qudit_pure."""
    qudit, every = isinstance(model, QuditModel), {**STATES, **QUDIT_STATES}
    if name not in every:
        raise ValueError(f"state.name must be one of {', '.join(map(repr, every))}, got {name!r}")
    if name in QUDIT_STATES and not qudit:
        raise ValueError(f"state.name {name!r} is a state of d-level particles: it needs [model] name = \"qudit\"")
    if name in STATES and qudit:
        raise ValueError(f"state.name {name!r} is a spin state: a qudit model takes "
                         f"{' or '.join(map(repr, QUDIT_STATES))}")
    if not qudit:
        return named_state(name, **params)
    params = _params("state", name, QUDIT_STATES, params)
    return QUDIT_STATES[name][0](model.d, **params)


def check_state(model, state) -> None:
    """ValueError "state. ..." unless `state` fits `model` (a spin state's blocks; rho_1's size)."""
    if isinstance(model, QuditModel):
        if np.shape(state) != (model.d, model.d):
            raise ValueError(f"state must be a {model.d} x {model.d} density matrix for the model's d = {model.d}")
        return
    try:
        state.validate(model.sizes)
    except ValueError as err:
        raise ValueError(f"state.{err}") from None
