"""Fuzz: random whole configurations get a correct result or one clear error, never a traceback.

A configuration (model, initial state, times, ntraj, seed, options) is drawn with valid and
absurd values alike (NaN, inf, 1e300, wrong shapes and types, rates exp(beta x) with any beta)
and passed to run_ensemble, exact_evolution or mean_field at N <= 6. Allowed outcomes: finite
results of the documented shape, or an error the project raises itself (ValueError naming the
parameter, MemoryLimitError, IntegrationError, StiffnessWarning), never one raised inside
numpy, scipy or numba (IndexError, ZeroDivisionError, LinAlgError, numpy's own ValueError...).
Stiff draws stop at once: StiffnessWarning (an accepted outcome) is made an error and its
thresholds lowered (every solver, mean field included, estimates its work up front). The command line gets random TOML configs and must answer with one line (or run).
Damaged results files (metadata fields and arrays changed at random) load as a sound ensemble or
give one ResultsFileError naming the file, and `show` prints them or one error line. Outputs named
after each other, the config or a records file give one error line or a run whose results load,
and no file is lost.
The default runs replay a fixed sequence of examples in ~10 s; the slow ones draw new ones.
"""
import json
import math
import os
import signal
import traceback
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trajectories.engine.compiled as compiled
import trajectories.engine.ensemble as engine
import trajectories.base.integration as stiffness
from models import BlockModel, Channel, SpinModel
from trajectories import (IntegrationError, ResultsFileError, StiffnessWarning, classical_state, coherent_state,
                          exact_evolution, load_ensemble, mean_field, product_state, run_ensemble, save_ensemble)
from trajectories.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
PROJECT = (str(ROOT / "trajectories"), str(ROOT / "models"))
#: expected jumps or steps per trajectory above which the fuzzed runs stop (StiffnessWarning made an
#: error): the warning is an accepted outcome, and the runs stay short
FUZZ_STIFF = 1e4
#: seconds one fuzzed call may take
CALL_SECONDS = 20

#: the parts of a configuration the fuzzer may draw as invalid (at most two per example)
PARTS = ("size", "h", "J", "op", "rate", "delta", "offset", "block", "state", "times", "ntraj", "seed",
         "options", "execution")
#: finite values a model accepts, ordinary and extreme
FINITE = st.one_of(st.floats(-3, 3), st.floats(-3, 3), st.floats(-3, 3),
                   st.sampled_from([0.0, 1e300, -1e300, 1e30, -1e30, 1e-300, 1e8]))
NON_FINITE = st.sampled_from([np.nan, np.inf, -np.inf])
NOT_NUMBERS = st.sampled_from([None, "1", "abc", [], [[1, 2]], {"a": 1}, True, 1j, object()])
#: beta of exp(beta x): ordinary, absurd and not a number
BETAS = st.one_of(st.floats(-8, 8), st.floats(-8, 8),
                  st.sampled_from([60.0, 700.0, -700.0, 1e3, -1e4, 1e300, np.nan, np.inf]))


class Rate:
    """A named rate or amplitude function of Delta (its repr shows in a failing example)."""

    def __init__(self, kind, c):
        self.kind, self.c = kind, c
        self.__name__ = f"{kind}({c!r})"

    def __call__(self, x):
        c = self.c
        if self.kind == "constant":
            return c + 0 * x
        if self.kind == "scalar":
            return c
        if self.kind == "exp":
            return np.exp(c * x)
        if self.kind == "fermi":
            return np.exp(c * x / 2) / np.sqrt(2 * np.cosh(c * x))
        return float(x)  # "not vectorised"

    def __repr__(self):
        return self.__name__


def vectors(shape, broken=False):
    """Finite arrays of `shape` (mostly small, sometimes extreme); `broken`: NaN/inf, another shape or
    no array at all."""
    n = int(np.prod(shape))
    if broken:
        nonfinite = st.lists(st.one_of(FINITE, NON_FINITE), min_size=n, max_size=n).map(
            lambda v: np.array(v).reshape(shape))
        return st.one_of(nonfinite, st.lists(st.floats(-2, 2), min_size=0, max_size=4), NOT_NUMBERS)
    small = st.lists(st.floats(-2, 2), min_size=n, max_size=n).map(lambda v: np.array(v).reshape(shape))
    finite = st.lists(FINITE, min_size=n, max_size=n).map(lambda v: np.array(v).reshape(shape))
    return st.one_of(small, small, finite)


@st.composite
def channels(draw, B, bad):
    """Keyword arguments of one Channel (the parts named in `bad` invalid)."""
    key = draw(st.sampled_from(["gamma", "rate"]))
    kind = "not vectorised" if "rate" in bad else draw(st.sampled_from(["constant", "scalar", "exp", "fermi"]))
    c = draw(st.one_of(BETAS, FINITE) if kind in ("exp", "fermi") else st.one_of(FINITE, NON_FINITE))
    op = st.sampled_from(["w", 3, None, "sigma_w", np.zeros((2, 2)), np.ones(3), [[np.nan, 0], [0, 1]]]) \
        if "op" in bad else st.sampled_from(["minus", "plus", "z", "x", "y", [[0.5, 1j], [0.2, -0.1]]])
    offset = st.one_of(NON_FINITE, NOT_NUMBERS) if "offset" in bad else st.one_of(st.floats(-2, 2), FINITE)
    block = st.sampled_from([-1, B, 1.5, "0"]) if "block" in bad else st.integers(0, B - 1)
    return {"op": draw(op), key: Rate(kind, c),
            "delta": draw(vectors(draw(st.sampled_from([(3,), (B, 3)])), "delta" in bad)),
            "offset": draw(offset), "block": draw(block), "collective": draw(st.booleans())}


class Build:
    """A SpinModel or BlockModel to build from drawn arguments (its repr shows them)."""

    def __init__(self, cls, first, h, J, chans):
        self.cls, self.first, self.h, self.J, self.chans = cls, first, h, J, chans

    def __call__(self):
        return self.cls(self.first, h=self.h, J=self.J, channels=[Channel(**c) for c in self.chans])

    def __repr__(self):
        return f"{self.cls.__name__}({self.first!r}, h={self.h!r}, J={self.J!r}, channels={self.chans!r})"


@st.composite
def models(draw, bad):
    """A SpinModel or BlockModel of at most 6 spins, to build (the parts named in `bad` invalid)."""
    if draw(st.booleans()):
        cls, B = SpinModel, 1
        first = draw(st.sampled_from([0, -2, 2.5, "3", None, 10 ** 9]) if "size" in bad else st.integers(1, 6))
    else:
        cls = BlockModel
        first = draw(st.sampled_from([[], [0, 2], [2.5], "ab", [10 ** 5, 10 ** 5], [200] * 4]) if "size" in bad
                     else st.lists(st.integers(1, 3), min_size=1, max_size=2))
        B = len(first) if isinstance(first, list) and first else 1
    h = draw(vectors((3,) if cls is SpinModel else (B, 3), "h" in bad))
    J = draw(st.one_of(st.none(), vectors((3, 3) if cls is SpinModel else (B, B, 3, 3), "J" in bad)))
    if isinstance(J, np.ndarray) and J.ndim >= 2 and J.shape[-2:] == (3, 3) and "J" not in bad:
        J = (J + np.swapaxes(J, -1, -2)) / 2  # J[b, b] must be symmetric
    chans = [draw(channels(B, bad)) for _ in range(draw(st.integers(1 if bad & {"op", "rate", "delta",
                                                                                "offset", "block"} else 0, 3)))]
    return Build(cls, first, h, J, chans)


def states(bad):
    """An initial state to build: coherent, product or classical (invalid parameters if "state" in bad)."""
    if "state" in bad:
        wrong = st.one_of(NON_FINITE, NOT_NUMBERS, st.sampled_from([1e300, -1e300]))
        return st.one_of(st.builds(partial, st.just(coherent_state), wrong, st.one_of(wrong, st.floats(-7, 7))),
                         st.builds(partial, st.just(product_state), st.one_of(vectors((3,), True),
                                   st.sampled_from([[1, 1, 1], [0, 0, -1.01]]))),
                         st.builds(partial, st.just(classical_state), st.one_of(st.floats(-0.5, -0.01),
                                   st.floats(1.01, 2), wrong)))
    return st.one_of(
        st.builds(partial, st.just(coherent_state), st.floats(-7, 7), st.floats(-7, 7)),
        st.builds(partial, st.just(product_state), st.lists(st.floats(-0.57, 0.57), min_size=3, max_size=3)),
        st.builds(partial, st.just(classical_state), st.floats(0, 1)))


def times(bad):
    """Output times: 1 to 4 up to t <= 1, or (bad) empty, NaN, negative, unsorted or not numbers."""
    if "times" in bad:
        value = st.one_of(st.floats(-1, 2), FINITE, NON_FINITE)
        return st.one_of(st.lists(value, min_size=0, max_size=4),
                         st.sampled_from([[], [0.5, 0.1], [0, 0], [np.nan], [-1.0, 0.0], [0, np.inf], "abc", None,
                                          [[0, 1]], [0, "1"], [0, 1e300]]))
    return st.builds(lambda stop, n: np.linspace(0, stop, n), st.floats(0.01, 1.0), st.integers(1, 4))


OPTION_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-5, 300), st.floats(allow_nan=True),
                          st.sampled_from([1e-12, 1e-8, 1e-30, 1e6, "auto", "dense", "banded", "rk4", "1e-9"]))


def options(names, bad):
    """None or valid options; (bad) a dict of option names (some unknown) to any values, or no dict."""
    if "options" in bad:
        keys = st.sampled_from(list(names) + ["tolerance", "", "method "])
        return st.one_of(st.dictionaries(keys, OPTION_VALUES, min_size=1, max_size=2),
                         st.sampled_from(["fast", 3, [("tol", 1e-9)]]))
    good = {"tol": [1e-12, 1e-8], "method": ["auto", "banded", "dense"], "rtol": [1e-8], "memory_limit": [1e9],
            "max_steps": [1e9, 1e4]}
    return st.one_of(st.none(), st.fixed_dictionaries({}, optional={k: st.sampled_from(v) for k, v in good.items()
                                                                    if k in names}))


TRAJECTORY_FIELDS = ("tol", "root_tol", "trim", "max_terms", "method", "memory_limit", "max_steps")
ODE_FIELDS = ("rtol", "atol", "memory_limit", "max_steps")


def run_arguments(bad):
    """ntraj, seed and execution of run_ensemble (invalid ones for the parts named in `bad`)."""
    ntraj = st.sampled_from([0, -1, 2.5, True, "2", None]) if "ntraj" in bad else st.integers(1, 3)
    seed = st.sampled_from([None, -1, 1.5, "7", [1, -2], 2 ** 200]) if "seed" in bad else \
        st.one_of(st.integers(0, 2 ** 63), st.none())
    execution = st.fixed_dictionaries({}, optional={
        "n_jobs": st.sampled_from([0, -3, 1.5, "2", True]), "batch_size": st.sampled_from([0, 2.5, "1"]),
        "backend": st.sampled_from(["spark", None]), "progress": st.sampled_from([1, "yes"]),
        "scheduler": st.sampled_from([5, "tcp://127.0.0.1:1", "tcp://nowhere"]),
        "workers": st.just(2)}).filter(bool) if "execution" in bad else \
        st.one_of(st.none(), st.fixed_dictionaries({}, optional={"batch_size": st.sampled_from([1, 2])}))
    keep = st.sampled_from(["false", "True", 0, 1, None]) if "execution" in bad else st.booleans()
    return st.fixed_dictionaries({"ntraj": ntraj, "seed": seed, "execution": execution,
                                  "options": options(TRAJECTORY_FIELDS, bad), "keep_trajectories": keep})


class Timeout(Exception):
    """A fuzzed call ran longer than CALL_SECONDS."""


def _compiling(frame) -> bool:
    """Whether Numba is compiling a kernel somewhere up the stack of `frame`."""
    while frame is not None:
        if f"numba{os.sep}core" in frame.f_code.co_filename:
            return True
        frame = frame.f_back
    return False


def _alarm(signum, frame):
    """The call's time is up, unless Numba is compiling: a first-time compile (tens of seconds on
    a busy machine) is not the call's own work, so the clock starts again."""
    if _compiling(frame):
        signal.alarm(CALL_SECONDS)
        return
    raise Timeout(f"the call took more than {CALL_SECONDS} s")


def _stiffness_stops_early(monkeypatch):
    """StiffnessWarning above FUZZ_STIFF jumps, steps (trajectories) or integration steps (exact
    solvers), not 1e7 or 1e6: a stiff draw ends at once, as an accepted warning."""
    check = compiled.check_stiffness
    monkeypatch.setattr(engine, "check_stiffness", lambda c, t, *run: check(c, t, *run, limit=FUZZ_STIFF))
    monkeypatch.setattr(stiffness, "STIFF_STEPS", FUZZ_STIFF)


def raised_by_the_project(err: BaseException) -> bool:
    """Whether a `raise` statement of the project's own code raised the error (numpy's and scipy's
    C code raise without a frame of their own, from the project line that called them)."""
    frames = traceback.extract_tb(err.__traceback__)
    return bool(frames) and frames[-1].filename.startswith(PROJECT) and frames[-1].line.startswith("raise")


def outcome(call):
    """Run call() with StiffnessWarning as an error and a time limit; (result, error)."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(CALL_SECONDS)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", StiffnessWarning)
            return call(), None
    except Exception as err:  # noqa: BLE001  (classified by the caller)
        return None, err
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def check_error(err: BaseException) -> None:
    """An accepted error: the project's own, of an accepted type, with a message."""
    if isinstance(err, StiffnessWarning):
        return
    ok = isinstance(err, (ValueError, IntegrationError)) and raised_by_the_project(err) and str(err).strip()
    assert ok, "not a clear error:\n" + "".join(traceback.format_exception(err))


def check_result(res, model, times) -> None:
    """Finite moments of the documented shape, inside the Bloch ball."""
    T = len(np.atleast_1d(times))
    shape = (3, T) if isinstance(model, SpinModel) else (model.B, 3, T)
    mean = np.asarray(res.mean)
    assert mean.shape == shape, (mean.shape, shape)
    assert np.all(np.isfinite(mean)) and np.all(np.abs(mean) <= 1 + 1e-6), mean
    assert np.all(np.isfinite(np.asarray(res.second)))


SOLVERS = st.sampled_from(["run", "run", "sectors", "full", "mean_field"])


def run_one(solver, model, state, times, kwargs):
    """The solver of that name on the configuration."""
    if solver == "run":
        return run_ensemble(model, state, times, **kwargs)
    if solver == "mean_field":
        return mean_field(model, state, times, **kwargs)
    return exact_evolution(model, state, times, method=solver, **kwargs)


def fuzz_once(data, monkeypatch):
    """Draw one configuration (at most two parts invalid), run it, check the outcome."""
    _stiffness_stops_early(monkeypatch)
    solver = data.draw(SOLVERS, label="solver")
    bad = data.draw(st.sets(st.sampled_from(PARTS), max_size=2), label="invalid parts")
    build = data.draw(models(bad), label="model")
    make_state, at = data.draw(states(bad), label="state"), data.draw(times(bad), label="times")
    kwargs = data.draw(run_arguments(bad) if solver == "run" else
                       st.fixed_dictionaries({"options": options(ODE_FIELDS, bad)}), label="arguments")
    model = None

    def call():
        nonlocal model
        model = build()
        return run_one(solver, model, make_state(), at, kwargs)
    result, err = outcome(call)
    if err is not None:
        return check_error(err)
    check_result(result, model, at)


#: the default run: a fixed sequence of examples (a regression guard); the slow runs draw new ones
FUZZ = settings(deadline=None, max_examples=500, suppress_health_check=list(HealthCheck), database=None,
                derandomize=True)
EXPLORE = settings(FUZZ, derandomize=False)


@FUZZ
@given(data=st.data())
def test_random_configurations_give_a_result_or_one_clear_error(data, monkeypatch):
    fuzz_once(data, monkeypatch)


@pytest.mark.slow
@settings(EXPLORE, max_examples=5000)
@given(data=st.data())
def test_random_configurations_many(data, monkeypatch):
    fuzz_once(data, monkeypatch)


# ---------------------------------------------------------------------------------- command line

#: parameters of the named models and states (trajectories/cli/registry.py), plus a misspelt one
CLI_MODELS = {"hopfield": ("N", "beta", "omega"), "kinetic": ("N", "gamma_up", "gamma_down", "omega"),
              "decay": ("N", "gamma", "h"), "ising": ("N", "hx", "J", "gamma"),
              "transverse": ("N", "omega", "chi", "beta", "kappa"), "hopfeld": ("N",)}
CLI_STATES = {"coherent": ("theta", "phi"), "product": ("r",), "classical": ("p_up",), "dicke": ("j", "m"),
              "cat": (), "up": ()}
TOML_SCALARS = st.one_of(st.integers(-3, 8), st.floats(-5, 5), st.sampled_from([1e300, -1e300, 1e30, 1e-300, 10 ** 8]),
                         st.sampled_from([math.nan, math.inf, -math.inf]), st.booleans(),
                         st.text("abc1 .-\\\"'", max_size=6))
TOML_VALUES = st.one_of(TOML_SCALARS, TOML_SCALARS, st.lists(TOML_SCALARS, max_size=4))


def toml_value(v) -> str:
    """TOML text of a scalar or list (strings as JSON strings, which TOML reads the same way)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v == math.inf else "-inf" if v == -math.inf else repr(v))
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(map(toml_value, v)) + "]"
    return str(v)


#: what a config may get wrong (at most two per example)
CONFIG_FAULTS = ("model", "state", "times", "run", "options", "missing", "extra", "section", "syntax", "record")
#: observable formulas: pieces drawn at random, and ones that would never finish or overflow
FORMULAS = st.one_of(st.text("m0123456789+-*/(). e", min_size=1, max_size=20),
                     st.sampled_from(["m + 9**9**9", "9**9**9**9", "m**-1", "exp(exp(exp(m*1000)))", "-" * 900 + "m",
                                      "(" * 300 + "m" + ")" * 300, "m" * 2000, "1" * 5000, "log(m)", "m**2"]))
CONFIG_VALID = {
    "N": st.integers(1, 6), "beta": st.floats(-3, 3), "omega": st.floats(0, 2), "gamma": st.floats(0, 2),
    "gamma_up": st.floats(0, 2), "gamma_down": st.floats(0, 2), "h": st.floats(-1, 1), "hx": st.floats(-1, 1),
    "J": st.floats(-1, 1), "chi": st.floats(-1, 1), "kappa": st.floats(-1, 1), "theta": st.floats(-3, 3),
    "phi": st.floats(-3, 3),
    "r": st.lists(st.floats(-0.5, 0.5), min_size=3, max_size=3), "p_up": st.floats(0, 1), "j": st.just(1),
    "m": st.just(0), "stop": st.floats(0.1, 1), "num": st.integers(1, 4), "ntraj": st.integers(1, 3),
    "seed": st.integers(0, 10 ** 6), "n_jobs": st.just(1), "batch_size": st.integers(1, 3), "tol": st.just(1e-10),
    "keep_trajectories": st.booleans(), "max_steps": st.sampled_from([1e9, 1e3]),
    "method": st.sampled_from(["auto", "banded", "dense"])}


def section(draw, name, keys, faults):
    """The key = value lines of one section: valid values, or (name in faults) one value of any
    TOML type, a missing required field ("missing") or an unknown one ("extra")."""
    values = {key: draw(CONFIG_VALID[key]) for key in keys}
    if name in faults and keys:
        values[draw(st.sampled_from(keys))] = draw(TOML_VALUES)
    if "missing" in faults and keys and draw(st.booleans()):
        del values[draw(st.sampled_from(keys))]
    if "extra" in faults and draw(st.booleans()):
        values[draw(st.sampled_from(["extra", "ntraj", "N ", "stop", "name"]))] = draw(TOML_VALUES)
    return [f"{key} = {toml_value(v)}" for key, v in values.items()]


@st.composite
def configs(draw):
    """The text of a TOML run config: sound, or with wrong values, fields, sections or syntax."""
    faults = draw(st.sets(st.sampled_from(CONFIG_FAULTS), max_size=2))
    name = draw(st.sampled_from(sorted(CLI_MODELS) if "model" in faults else ["hopfield", "kinetic", "decay",
                                                                              "ising", "transverse"]))
    state = draw(st.sampled_from(sorted(CLI_STATES) if "state" in faults else ["coherent", "product",
                                                                              "classical", "cat"]))
    parts = {"model": [f'name = "{name}"'] + section(draw, "model", CLI_MODELS[name], faults),
             "state": [f'name = "{state}"'] + section(draw, "state", CLI_STATES[state], faults),
             "times": section(draw, "times", ("stop", "num"), faults),
             "run": section(draw, "run", ("ntraj", "seed", "n_jobs", "batch_size", "keep_trajectories"), faults)}
    if draw(st.booleans()) or "options" in faults:
        parts["options"] = section(draw, "options", ("tol", "method", "max_steps"), faults)
    if "record" in faults:
        parts["record"] = [f"observables = {{ o = {json.dumps(draw(FORMULAS))} }}"]
    if "section" in faults:
        parts[draw(st.sampled_from(["output", "runn", "model"]))] = [f"results = {toml_value(draw(TOML_VALUES))}"]
        if draw(st.booleans()):
            del parts[draw(st.sampled_from(sorted(parts)))]
    text = "".join(f"[{k}]\n" + "".join(line + "\n" for line in v) for k, v in parts.items())
    if "syntax" in faults:
        i = draw(st.integers(0, len(text)))
        text = draw(st.sampled_from([text[:i], text[:i] + draw(st.sampled_from(["[", "=", '"', "\x00", "é", "\n[",
                                                                                  "]]", "= ="])) + text[i:]]))
    return text


def cli_once(text: str, folder: Path, monkeypatch, capsys) -> None:
    """Run the config text; exit 0 with nothing but warning lines on stderr, or 2 with one error line."""
    _stiffness_stops_early(monkeypatch)
    config = folder / "fuzz.toml"
    config.write_text(text, encoding="utf-8")
    argv = ["run", str(config), "--quiet", "--no-plot", "--fresh", "--force", "--output", str(folder / "r.npz")]
    capsys.readouterr()
    code, err = outcome(lambda: main(argv))
    lines = capsys.readouterr().err.splitlines()
    if err is not None:
        assert isinstance(err, StiffnessWarning), "".join(traceback.format_exception(err))
        return
    assert code in (0, 2), code
    warns = [line for line in lines if line.startswith("warning: ")]
    assert len(lines) == len(warns) + (code == 2), lines
    if code == 2:
        assert lines[-1].startswith("error: ") and len(lines[-1]) > len("error: ") + 10, lines


@settings(FUZZ, max_examples=150)
@given(text=configs())
def test_random_configs_on_the_command_line_give_one_line_or_a_run(text, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    cli_once(text, tmp_path, monkeypatch, capsys)


@pytest.mark.slow
@settings(EXPLORE, max_examples=2000)
@given(text=configs())
def test_random_configs_on_the_command_line_many(text, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    cli_once(text, tmp_path, monkeypatch, capsys)


# ---------------------------------------------------------------------------------- results files

#: metadata fields (dotted paths; list indices as numbers) a damaged or hand-edited file may change
METADATA_FIELDS = ("ntraj", "njumps", "sizes", "single_block", "keep_trajectories", "seed", "segments",
                   "format_version", "meta", "diagonal", "segments.0", "segments.0.start", "segments.0.stop",
                   "segments.0.entropy", "segments.0.spawn_key", "meta.seconds", "meta.versions", "meta.created",
                   "meta.describe", "meta.identity", "meta.model", "meta.model.sizes", "diagonal.values",
                   "diagonal.values.0", "diagonal.weights", "diagonal.observables", "diagonal.distributions")
JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-3, 60), st.sampled_from([2 ** 70, -(2 ** 70)]),
                        st.floats(allow_nan=True, allow_infinity=True), st.text("abc1-", max_size=4),
                        st.lists(st.one_of(st.integers(-2, 12), st.floats(-2, 2), st.text("ab", max_size=2)),
                                 max_size=4),
                        st.dictionaries(st.sampled_from(["entropy", "spawn_key", "start", "stop", "name", "x"]),
                                        st.one_of(st.integers(-1, 50), st.lists(st.integers(0, 3), max_size=2)),
                                        max_size=4))
ARRAY_EDITS = ("scale", "nan", "drop", "shape", "integers", "reverse")


def _base_results(folder: Path) -> Path:
    """A results file of 4 kept trajectories with a distribution and an observable recorded."""
    model = SpinModel(3, h=[0.5, 0, 0], channels=[Channel("minus", rate=0.5)])
    ens = run_ensemble(model, coherent_state(0.4), [0.0, 0.5, 1.0], ntraj=4, seed=1, keep_trajectories=True,
                       distributions=True, observables={"o": lambda m: m})
    save_ensemble(ens, folder / "base.npz")
    return folder / "base.npz"


@st.composite
def damaged_results(draw, base: Path) -> dict:
    """The entries of `base` with up to two metadata fields and one array changed."""
    with np.load(base, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    header = json.loads(str(data["metadata"][()]))
    for field in draw(st.lists(st.sampled_from(METADATA_FIELDS), max_size=2)):
        *parents, last = [int(p) if p.isdigit() else p for p in field.split(".")]
        node = header
        for p in parents:   # a path through a field an earlier edit replaced may lead nowhere
            found = p in node if isinstance(node, dict) else \
                isinstance(node, list) and isinstance(p, int) and p < len(node)
            node = node[p] if found else None
        if isinstance(node, dict) or (isinstance(node, list) and isinstance(last, int) and last < len(node)):
            node[last] = draw(JSON_VALUES)
    data["metadata"] = np.array(json.dumps(header))
    name, edit = draw(st.sampled_from(sorted(data))), draw(st.sampled_from(ARRAY_EDITS + ("none",) * 3))
    if name != "metadata" and edit != "none":
        a = data[name]
        data[name] = {"scale": lambda: a * draw(st.sampled_from([-1.0, 0.5, 3.0])),
                      "nan": lambda: np.where(np.arange(a.size).reshape(a.shape) == 0, np.nan, a),
                      "drop": lambda: None, "shape": lambda: a.reshape(-1), "integers": lambda: a.astype(int),
                      "reverse": lambda: a[::-1].copy()}[edit]()
    return {k: v for k, v in data.items() if v is not None}


def results_once(data, folder: Path, capsys) -> None:
    """A damaged results file loads as a sound ensemble or raises one ResultsFileError naming it;
    `show` prints it or one error line."""
    base = folder / "base.npz" if (folder / "base.npz").exists() else _base_results(folder)
    path = folder / "damaged.npz"
    np.savez(path, **data.draw(damaged_results(base), label="entries"))
    try:
        ens = load_ensemble(path)
    except ResultsFileError as err:
        assert str(err).startswith(str(path)) and "\n" not in str(err), str(err)
    else:
        assert ens.ntraj >= 0 and len(ens.segments) <= 1
        if ens.ntraj:
            assert np.all(np.abs(ens.mean) <= 1 + 1e-9) and np.all(np.isfinite(ens.second))
    capsys.readouterr()
    code = main(["show", str(path)])
    err = capsys.readouterr().err.splitlines()
    assert (code == 0 and not err) or (code == 2 and len(err) == 1 and str(path) in err[0]), (code, err)


@settings(FUZZ, max_examples=200)
@given(data=st.data())
def test_damaged_results_files_load_soundly_or_give_one_error(data, tmp_path_factory, capsys):
    results_once(data, tmp_path_factory.getbasetemp(), capsys)


@pytest.mark.slow
@settings(EXPLORE, max_examples=3000)
@given(data=st.data())
def test_damaged_results_files_many(data, tmp_path_factory, capsys):
    results_once(data, tmp_path_factory.getbasetemp(), capsys)


# ---------------------------------------------------------------------------------- output paths

PATHS_CONFIG = """[model]
name = "hopfield"
N = 3
[state]
name = "coherent"
theta = 0.5
[times]
stop = 0.5
num = 2
[run]
ntraj = 2
seed = 1
[output]
results = "r.npz"
plot = "r.png"
"""
#: names an output may be given: each other's, the config's, a records file's, odd spellings
PATH_NAMES = st.sampled_from(["r.npz", "r.png", "r.pdf", "p.PNG", "x", "x.npz", "r.checkpoint.npz",
                              "r_distributions.png", "r.checkpoint.npz.lock", "paths.toml", "rec", "rec/run.json",
                              "rec/traj-000000000-000000002.npz", "r.npz/x.png", "sub/../r.npz", "./r.png"])


@st.composite
def output_choices(draw) -> dict:
    """Command-line options and [record] settings naming outputs, and files that exist before."""
    argv = []
    for option in ("--output", "--plot"):
        if draw(st.booleans()):
            argv += [option, draw(PATH_NAMES)]
    argv += [flag for flag in ("--force", "--no-plot") if draw(st.integers(0, 3)) == 0]
    return dict(argv=argv, records=draw(st.one_of(st.none(), PATH_NAMES)), distributions=draw(st.booleans()),
                existing=draw(st.lists(PATH_NAMES, max_size=2)))


def _figure(ens, out):
    """A stand-in for the figures (the paths matter here, not the drawing)."""
    Path(out).write_bytes(b"figure")
    return []


def paths_once(choice: dict, monkeypatch, capsys) -> None:
    """Outputs named in any way: one error line before the run, or a run whose results load; the
    config and, without --force, every existing file are kept; no lock stays behind."""
    import tempfile
    monkeypatch.setattr("trajectories.cli.main._plot", _figure)
    with tempfile.TemporaryDirectory() as folder:
        monkeypatch.chdir(folder)
        text = PATHS_CONFIG + "[record]\n" + (f'records = "{choice["records"]}"\n' if choice["records"] else "") \
            + f"distributions = {'true' if choice['distributions'] else 'false'}\n"
        Path("paths.toml").write_text(text)
        before = {}
        for name in choice["existing"]:
            if not Path(name).exists() and Path(name).parent.is_dir():
                Path(name).write_bytes(b"earlier")
                before[name] = b"earlier"
        capsys.readouterr()
        code = main(["run", "paths.toml", "--quiet", *choice["argv"]])
        err = capsys.readouterr().err.splitlines()
        assert Path("paths.toml").read_text() == text
        argv = choice["argv"]
        results = Path(argv[argv.index("--output") + 1] if "--output" in argv else "r.npz")
        lock = results.with_name(results.stem + ".checkpoint.npz.lock")
        earlier = {Path(k).resolve(): v for k, v in before.items()}
        assert not lock.exists() or lock.read_bytes() == earlier.get(lock.resolve()), "a lock outlived its run"
        if code == 2:
            assert len(err) == 1 and err[0].startswith("error: "), err
            assert all(Path(k).is_file() and Path(k).read_bytes() == v for k, v in before.items()), before
            return
        assert code == 0 and not err, (code, err)
        assert load_ensemble(results).ntraj == 2
        if "--force" not in argv:
            assert all(Path(k).read_bytes() == v for k, v in before.items()), before


@settings(FUZZ, max_examples=100)
@given(choice=output_choices())
def test_outputs_named_in_any_way_never_lose_a_file(choice, monkeypatch, capsys):
    paths_once(choice, monkeypatch, capsys)


@pytest.mark.slow
@settings(EXPLORE, max_examples=2000)
@given(choice=output_choices())
def test_outputs_named_in_any_way_many(choice, monkeypatch, capsys):
    paths_once(choice, monkeypatch, capsys)
