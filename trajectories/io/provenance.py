"""Provenance of a run as plain data: what its numbers depend on (compared on resume and merge)
and how it was made (model, state, options, package and library versions, time)."""
from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
import json
import platform
from importlib import metadata as importlib_metadata

import numpy as np

from ..base.ensemble import stream_key
from ..base.options import numerical_options


def to_json(obj) -> str:
    """JSON text of plain data; numpy scalars and arrays become numbers and lists."""
    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return repr(o)
    return json.dumps(obj, default=default, sort_keys=True)


def model_hash(compiled) -> str:
    """sha256 of the compiled model's arrays (the rate functions tabulated on their spectra, so two
    models with different parameters hash differently even when their Python code is the same)."""
    h = hashlib.sha256()
    h.update(type(compiled).__name__.encode())
    for name, value in _leaves(compiled):
        a = np.ascontiguousarray(value)
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _leaves(parts, prefix: str = ""):
    """(dotted name, value) of every array and scalar of a NamedTuple of NamedTuples, in field order."""
    for name, value in zip(parts._fields, parts):
        if hasattr(value, "_fields"):
            yield from _leaves(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def state_description(state) -> dict:
    """{"kind": class name, **fields} of an initial state."""
    d = dataclasses.asdict(state) if dataclasses.is_dataclass(state) else {}
    return {"kind": type(state).__name__, **d}


def same_identity(a: dict, b: dict, key: str) -> bool:
    """Whether two identities agree on `key`; options are compared without their resource fields
    (identities written before those were left out still match), seeds by the trajectories they give
    (base.ensemble.stream_key: 7 and [7] are one seed)."""
    x, y = a.get(key), b.get(key)
    if key == "options" and isinstance(x, dict) and isinstance(y, dict):
        return numerical_options(x) == numerical_options(y)
    if key == "seed" and isinstance(x, dict) and isinstance(y, dict) and x.keys() == y.keys() == {"entropy", "spawn_key"}:
        return stream_key(x["entropy"], x["spawn_key"]) == stream_key(y["entropy"], y["spawn_key"])
    return x == y


def run_identity(compiled, state, times, options, root, start, ntraj, keep_trajectories,
                 recorded: dict | None = None) -> dict:
    """What a run's numbers depend on, as plain data (compared on resume and on merge); the memory
    limit is left out, so a run resumes or merges across machines with different defaults.
    `recorded` (what is recorded besides the moments: diagonal_hash, records) is left out when
    nothing else is recorded."""
    ident = {
        "model": model_hash(compiled),
        "state": state_description(state),
        "times": hashlib.sha256(np.ascontiguousarray(times, dtype=float).tobytes()).hexdigest(),
        "options": numerical_options(dataclasses.asdict(options)),
        "seed": {"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        "start": int(start),
        "ntraj": int(ntraj),
        "keep_trajectories": bool(keep_trajectories),
    }
    if recorded:
        ident["recorded"] = recorded
    return json.loads(to_json(ident))


def diagonal_hash(spec) -> str:
    """sha256 of what a DiagonalSpec records: its bins and the tabulated observables."""
    h = hashlib.sha256(to_json(spec.describe()).encode())
    for a in (spec.bin_of, spec.table):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()


@functools.lru_cache(maxsize=1)
def installed_versions() -> tuple:
    """(name, version) of Python, this package and its libraries (read once per process: ~9 ms)."""
    out = [("python", platform.python_version())]
    for dist in ("collective-trajectories", "numpy", "scipy", "numba", "joblib", "dask", "distributed"):
        try:
            out.append((dist, importlib_metadata.version(dist)))
        except importlib_metadata.PackageNotFoundError:
            pass
    return tuple(out)


def versions() -> dict:
    """Python, package and library versions."""
    return dict(installed_versions())


def run_metadata(model, state, options, identity, describe=None) -> dict:
    """How a run was made, saved in Ensemble.meta."""
    return json.loads(to_json({
        "identity": identity,
        "model": model.describe(),
        "state": state_description(state),
        "options": dataclasses.asdict(options),
        "describe": describe,
        "versions": versions(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }))
