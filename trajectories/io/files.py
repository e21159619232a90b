"""Results files: an Ensemble as a self-describing .npz (arrays plus one JSON metadata string, no
pickle), its run identity, and merging ensembles of the same model.

File layout (np.load(path, allow_pickle=False) reads it anywhere):
    metadata       0-d unicode array: JSON with "format", "format_version", ntraj, njumps, sizes,
                   single_block, seed, keep_trajectories, segments (the seeds of every trajectory),
                   meta (model, state, options, identity hashes, package and library versions)
    times (T,), sum1, sq1 (T, B, 3), sum2, sq2 (T, B, 3, B, 3), cross (T, B, 9, B, 9)
    traj_mean (ntraj, T, B, 3), traj_second (ntraj, T, B, 3, B, 3)   only with keep_trajectories
"""
from __future__ import annotations

import dataclasses
import datetime
import hashlib
import json
import os
import platform
import zipfile
import zlib
from importlib import metadata as importlib_metadata
from pathlib import Path

import numpy as np

from ..engine.ensemble import Ensemble

FORMAT = "collective-trajectories/ensemble"
FORMAT_VERSION = 1
#: identity entries that must agree for two ensembles to be merged
SAME_PHYSICS = ("model", "state", "times", "options")


class ResultsFileError(ValueError):
    """A file that is not a readable results file (foreign, corrupted or truncated)."""


def _json(obj) -> str:
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
    for name, value in zip(compiled._fields, compiled):
        a = np.ascontiguousarray(value)
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def state_description(state) -> dict:
    d = dataclasses.asdict(state) if dataclasses.is_dataclass(state) else {}
    return {"kind": type(state).__name__, **d}


def run_identity(compiled, state, times, options, root, start, ntraj, keep_trajectories) -> dict:
    """What a run's numbers depend on, as plain data (compared on resume and on merge)."""
    ident = {
        "model": model_hash(compiled),
        "state": state_description(state),
        "times": hashlib.sha256(np.ascontiguousarray(times, dtype=float).tobytes()).hexdigest(),
        "options": dataclasses.asdict(options),
        "seed": {"entropy": root.entropy, "spawn_key": list(root.spawn_key)},
        "start": int(start),
        "ntraj": int(ntraj),
        "keep_trajectories": bool(keep_trajectories),
    }
    return json.loads(_json(ident))


def versions() -> dict:
    out = {"python": platform.python_version()}
    for dist in ("collective-trajectories", "numpy", "scipy", "numba", "joblib", "dask", "distributed"):
        try:
            out[dist] = importlib_metadata.version(dist)
        except importlib_metadata.PackageNotFoundError:
            pass
    return out


def run_metadata(model, state, options, identity, describe=None) -> dict:
    return json.loads(_json({
        "identity": identity,
        "model": model.describe(),
        "state": state_description(state),
        "options": dataclasses.asdict(options),
        "describe": describe,
        "versions": versions(),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }))


def save_ensemble(ens: Ensemble, path) -> None:
    """Write `ens` to `path` atomically (a temporary file in the same folder, then os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "ntraj": ens.ntraj, "njumps": ens.njumps,
        "sizes": list(ens.sizes), "single_block": ens.single_block,
        "seed": ens.seed if ens.seed is None or isinstance(ens.seed, (int, list)) else repr(ens.seed),
        "keep_trajectories": ens.keep_trajectories, "segments": ens.segments, "meta": ens.meta,
    }
    arrays = {"times": ens.times, "sum1": ens.sum1, "sq1": ens.sq1, "sum2": ens.sum2, "sq2": ens.sq2,
              "cross": ens.cross}
    if ens.keep_trajectories:
        arrays["traj_mean"] = ens.trajectory_means()
        arrays["traj_second"] = ens.trajectory_seconds()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, metadata=np.array(_json(header)), **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _read(path: Path) -> tuple[dict, dict]:
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise ResultsFileError(f"{path} is not a results file of collective-trajectories (a single array)")
        with z:
            if "metadata" not in z.files:
                raise ResultsFileError(f"{path} is not a results file of collective-trajectories "
                                       "(no metadata entry)")
            header = json.loads(str(z["metadata"][()]))
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ResultsFileError(f"{path} is not a results file of collective-trajectories "
                                       f"(format {header.get('format') if isinstance(header, dict) else None!r})")
            arrays = {k: z[k] for k in z.files if k != "metadata"}
    except ResultsFileError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, AttributeError) as err:
        reason = " ".join(str(err).split()) or type(err).__name__
        raise ResultsFileError(f"{path} is corrupted or not a results file ({reason})") from None
    except Exception as err:  # a damaged zip can fail in many ways (e.g. struct.error)
        raise ResultsFileError(f"{path} is corrupted or not a results file ({type(err).__name__})") from None
    if not isinstance(header.get("format_version"), int) or header["format_version"] > FORMAT_VERSION:
        raise ResultsFileError(f"{path} has format version {header.get('format_version')}; this "
                               f"package reads up to {FORMAT_VERSION}: upgrade it")
    return header, arrays


def load_ensemble(path) -> Ensemble:
    """Read a results file; a missing, foreign or corrupted file raises one clear error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"results file {path} does not exist")
    header, arrays = _read(path)
    try:
        times, sizes = arrays["times"], tuple(int(n) for n in header["sizes"])
        T, B, n = len(times), len(sizes), int(header["ntraj"])
        shapes = {"sum1": (T, B, 3), "sq1": (T, B, 3), "sum2": (T, B, 3, B, 3), "sq2": (T, B, 3, B, 3),
                  "cross": (T, B, 9, B, 9)}
        keep = bool(header["keep_trajectories"])
        if keep:
            shapes.update(traj_mean=(n, T, B, 3), traj_second=(n, T, B, 3, B, 3))
        for name, shape in shapes.items():
            if arrays[name].shape != shape or arrays[name].dtype != np.float64:
                raise ResultsFileError(f"{path}: array {name} has shape {arrays[name].shape}, "
                                       f"expected {shape} (float64): the file is damaged")
        ens = Ensemble(times=times, sizes=sizes, single_block=bool(header["single_block"]), ntraj=n,
                       seed=header.get("seed"), njumps=int(header["njumps"]), keep_trajectories=keep,
                       segments=list(header.get("segments") or []), meta=dict(header.get("meta") or {}),
                       **{k: arrays[k].copy() for k in ("sum1", "sq1", "sum2", "sq2", "cross")})
    except KeyError as err:
        raise ResultsFileError(f"{path}: entry {err} is missing: the file is damaged") from None
    if keep:
        ens.traj_mean = list(arrays["traj_mean"])
        ens.traj_second = list(arrays["traj_second"])
    return ens


def _overlap(a: list, b: list):
    for s in a:
        for t in b:
            if (s["entropy"], s["spawn_key"]) == (t["entropy"], t["spawn_key"]) and \
                    max(s["start"], t["start"]) < min(s["stop"], t["stop"]):
                return max(s["start"], t["start"]), min(s["stop"], t["stop"])
    return None


def _coalesce(segments: list) -> list:
    out = []
    for s in segments:
        if out and (out[-1]["entropy"], out[-1]["spawn_key"]) == (s["entropy"], s["spawn_key"]) \
                and out[-1]["stop"] == s["start"]:
            out[-1] = {**out[-1], "stop": s["stop"]}
        else:
            out.append(dict(s))
    return out


def merge_ensembles(a: Ensemble, b: Ensemble) -> Ensemble:
    """One ensemble with the trajectories of a and b (same model, state, times and options).

    The two are ordered by their seeds' trajectory ranges. If the later one kept per-trajectory
    data, its trajectories are folded one at a time onto the earlier one's running sums: when the
    two are trajectories 0..k-1 and k..n-1 of one seed this is exactly the order of one run of n,
    so the merge is bit-identical to it. Otherwise the running sums are added, which equals one run
    to round-off (floating-point addition is not associative: ~1e-16 relative).
    """
    if a.sizes != b.sizes or a.single_block != b.single_block:
        raise ValueError(f"cannot merge ensembles of different models: sizes {a.sizes} and {b.sizes}")
    if a.times.shape != b.times.shape or not np.array_equal(a.times, b.times):
        raise ValueError("cannot merge ensembles recorded at different times")
    ia, ib = a.meta.get("identity", {}), b.meta.get("identity", {})
    differ = [k for k in SAME_PHYSICS if k in ia and k in ib and ia[k] != ib[k]]
    if differ:
        raise ValueError(f"cannot merge ensembles with different {', '.join(differ)}")
    shared = _overlap(a.segments, b.segments)
    if shared:
        raise ValueError(f"the ensembles share trajectories {shared[0]}..{shared[1] - 1} of the same seed: "
                         "merging would count them twice (run the second with start=...)")

    def order(e):
        s = e.segments[0] if e.segments else {"entropy": 0, "spawn_key": [], "start": 0}
        return (str(s["entropy"]), s["spawn_key"], s["start"])
    first, later = (a, b) if order(a) <= order(b) else (b, a)
    keep = first.keep_trajectories and later.keep_trajectories
    out = Ensemble(times=first.times.copy(), sizes=first.sizes, single_block=first.single_block,
                   ntraj=first.ntraj, seed=first.seed, njumps=first.njumps, keep_trajectories=keep,
                   **{k: getattr(first, k).copy() for k in ("sum1", "sq1", "sum2", "sq2", "cross")})
    if keep:
        out.traj_mean, out.traj_second = list(first.traj_mean), list(first.traj_second)
    if later.keep_trajectories:
        out.add_batch(later.trajectory_means(), later.trajectory_seconds(), [later.njumps])
    else:
        for k in ("sum1", "sq1", "sum2", "sq2", "cross"):
            setattr(out, k, getattr(out, k) + getattr(later, k))
        out.ntraj += later.ntraj
        out.njumps += later.njumps
    out.segments = _coalesce(list(first.segments) + list(later.segments))
    out.meta = dict(first.meta)
    if "identity" in out.meta:
        out.meta["identity"] = {k: v for k, v in out.meta["identity"].items() if k in SAME_PHYSICS}
    out.meta["seconds"] = first.meta.get("seconds", 0.0) + later.meta.get("seconds", 0.0)
    return out
