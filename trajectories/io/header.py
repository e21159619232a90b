"""Checks of a results file's metadata against its arrays (io/files.py load_ensemble).

Every metadata field the package reads must have its documented type and range, and the numbers
must agree with the arrays: ntraj with the trajectory ranges of the segments and with the running
sums (each trajectory's <m_a^b> and symmetrised <m_a^b m_c^g> lie in [-1, 1], its probabilities in
[0, 1], so |sum| <= ntraj and sum^2 <= ntraj * sum of squares). A field that fails raises
`Damaged` naming it and the allowed range; load_ensemble adds the file's name.
"""
from __future__ import annotations

import math

import numpy as np

#: relative slack of the bounds on the running sums (round-off of sums of up to ~1e9 terms)
SLACK = 1e-9
#: metadata "meta" entries the package reads, and the type each must have
META_TYPES = {"identity": dict, "model": dict, "state": dict, "options": dict, "versions": dict,
              "created": str, "path": str}


class Damaged(ValueError):
    """A metadata field or array that contradicts the format or the other fields."""


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _fail(field: str, allowed: str, value):
    raise Damaged(f"metadata {field} must be {allowed}, got {_show(value)}")


def _is_int(value, low: int = 0) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def _number(field: str, value, low: float = 0.0) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= low
    if not ok:
        _fail(field, f"a finite number >= {low:g}", value)
    return float(value)


def _strings(field: str, value) -> list:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value) or len(set(value)) != len(value):
        _fail(field, "a list of distinct names", value)
    return value


def _seed_words(value) -> bool:
    """Whether value spells SeedSequence entropy: an integer >= 0 or a non-empty list of them."""
    return _is_int(value) or (isinstance(value, list) and bool(value) and all(_is_int(v) for v in value))


def check_fields(header: dict) -> dict:
    """The top-level fields of a results file's metadata, checked: sizes (tuple), single_block,
    ntraj, njumps, keep_trajectories, seed, segments, meta, diagonal, components and kind (absent in
    files of spin runs written before them: 3, "spin") (Ensemble arguments)."""
    sizes = header.get("sizes")
    if not isinstance(sizes, list) or not sizes or not all(_is_int(n, 1) for n in sizes):
        _fail("sizes", "a non-empty list of block sizes (integers >= 1)", sizes)
    for key in ("single_block", "keep_trajectories"):
        if not isinstance(header.get(key), bool):
            _fail(key, "true or false", header.get(key))
    if header["single_block"] and len(sizes) != 1:
        _fail("single_block", f"false for {len(sizes)} blocks", True)
    for key in ("ntraj", "njumps"):
        if not _is_int(header.get(key)):
            _fail(key, "an integer >= 0", header.get(key))
    seed = header.get("seed")
    if not (seed is None or isinstance(seed, str) or _seed_words(seed)):
        _fail("seed", "null, an integer >= 0, a list of them or a text", seed)
    meta = check_meta(header.get("meta"))
    described = meta.get("model", {}).get("sizes", sizes)
    if described != sizes:
        raise Damaged(f"metadata sizes = {_show(sizes)} does not match meta.model.sizes = {_show(described)}")
    kind = header.get("kind", "spin")
    if kind not in ("spin", "qudit"):
        _fail("kind", "'spin' or 'qudit'", kind)
    components = header.get("components", 3)
    if kind == "spin" and components != 3:
        _fail("components", "3 for spin blocks", components)
    if kind == "qudit" and not (_is_int(components, 4) and math.isqrt(components) ** 2 == components
                                and len(sizes) == 1):
        _fail("components", "d^2 (d >= 2) for the one block of a QuditModel", components)
    return dict(sizes=tuple(sizes), single_block=header["single_block"], ntraj=header["ntraj"],
                njumps=header["njumps"], keep_trajectories=header["keep_trajectories"], seed=seed,
                segments=check_segments(header.get("segments"), header["ntraj"]),
                meta=meta, diagonal=check_diagonal(header.get("diagonal"), len(sizes)),
                components=components, kind=kind)


def check_segments(segments, ntraj: int) -> list:
    """The trajectory ranges [{"entropy", "spawn_key", "start", "stop"}], holding ntraj in all
    (an empty list: not recorded)."""
    if segments is None:
        return []
    if not isinstance(segments, list):
        _fail("segments", "a list of trajectory ranges", segments)
    for i, s in enumerate(segments):
        if not isinstance(s, dict) or not {"entropy", "spawn_key", "start", "stop"} <= set(s):
            _fail(f"segments[{i}]", "a table of entropy, spawn_key, start and stop", s)
        if not _seed_words(s["entropy"]):
            _fail(f"segments[{i}].entropy", "an integer >= 0 or a non-empty list of them", s["entropy"])
        if not isinstance(s["spawn_key"], list) or not all(_is_int(k) for k in s["spawn_key"]):
            _fail(f"segments[{i}].spawn_key", "a list of integers >= 0", s["spawn_key"])
        if not _is_int(s["start"]):
            _fail(f"segments[{i}].start", "an integer >= 0", s["start"])
        if not _is_int(s["stop"], s["start"]):
            _fail(f"segments[{i}].stop", f"an integer >= start = {s['start']}", s["stop"])
    held = sum(s["stop"] - s["start"] for s in segments)
    if segments and held != ntraj:
        raise Damaged(f"metadata ntraj = {ntraj} does not match its segments, which hold {held} trajectories")
    return [dict(s) for s in segments]


def check_meta(meta) -> dict:
    """The description of the run: each entry the package reads of its documented type."""
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        _fail("meta", "a table", meta)
    for key, kind in META_TYPES.items():
        if key in meta and not isinstance(meta[key], kind):
            _fail(f"meta.{key}", "a table" if kind is dict else "a text", meta[key])
    if "seconds" in meta:
        _number("meta.seconds", meta["seconds"])
    if not all(isinstance(v, str) for v in meta.get("versions", {}).values()):
        _fail("meta.versions", "a table of version texts", meta["versions"])
    describe = meta.get("describe")
    if describe is not None and not isinstance(describe, dict):
        _fail("meta.describe", "null or a table", describe)
    config = (describe or {}).get("config")
    if config is not None and not isinstance(config, dict):
        _fail("meta.describe.config", "null or a table", config)
    for part in ("model", "state") if config is not None else ():
        if not isinstance(config.get(part), dict) or not isinstance(config[part].get("name"), str):
            _fail(f"meta.describe.config.{part}", "a table with a name", config.get(part))
    return dict(meta)


def check_diagonal(diagonal, B: int) -> dict:
    """What was recorded besides the moments: distributions (names), their weights (R, B) and bin
    values (R ascending lists), observables (names)."""
    if diagonal is None:
        return {}
    if not isinstance(diagonal, dict):
        _fail("diagonal", "a table", diagonal)
    names = _strings("diagonal.distributions", diagonal.get("distributions", []))
    _strings("diagonal.observables", diagonal.get("observables", []))
    weights, values = diagonal.get("weights", []), diagonal.get("values", [])
    for key, rows, width in (("weights", weights, B), ("values", values, None)):
        if not isinstance(rows, list) or len(rows) != len(names):
            _fail(f"diagonal.{key}", f"a list of {len(names)} rows (one per distribution)", rows)
        for r, row in enumerate(rows):
            ok = isinstance(row, list) and row and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in row)
            if not ok or (width is not None and len(row) != width) or (width is None and np.any(np.diff(row) <= 0)):
                allowed = f"{width} finite weights" if width else "finite ascending bin values"
                _fail(f"diagonal.{key}[{r}]", allowed, row)
    return dict(diagonal)


def check_times(times: np.ndarray) -> None:
    """Output times: a non-empty 1D float64 array, finite, >= 0 and strictly increasing."""
    if times.ndim != 1 or times.size == 0 or times.dtype != np.float64:
        raise Damaged(f"array times must be a non-empty 1D float64 array, got shape {times.shape} ({times.dtype})")
    if not np.all(np.isfinite(times)) or times[0] < 0 or np.any(np.diff(times) <= 0):
        raise Damaged("array times must be finite, >= 0 and strictly increasing")


def check_sums(arrays: dict, ntraj: int) -> None:
    """The arrays are finite and the running sums possible for ntraj trajectories."""
    for name, a in arrays.items():
        if not np.all(np.isfinite(a)):
            raise Damaged(f"array {name} holds NaN or infinite numbers")
    n, bound = ntraj, ntraj * (1 + SLACK) + SLACK
    pairs = [("sum1", "sq1", 1), ("sum2", "sq2", 1), ("hist_sum", "hist_sq", 0)]
    for s, sq, signed in pairs:
        low = -bound if signed else -SLACK
        if np.any(arrays[s] < low) or np.any(arrays[s] > bound) or np.any(arrays[sq] < -SLACK) \
                or np.any(arrays[sq] > bound):
            raise Damaged(f"metadata ntraj = {n} does not match arrays {s}, {sq}: their entries exceed "
                          f"ntraj (every trajectory's value is in [{-signed}, 1])")
    diag = np.einsum("...kk->...k", arrays["obs_cross"])
    pairs.append(("obs_sum", "obs_cross", 1))
    for s, sq, _ in pairs:
        squares = diag if sq == "obs_cross" else arrays[sq]
        if np.any(arrays[s] ** 2 > n * squares * (1 + SLACK) + SLACK):
            raise Damaged(f"metadata ntraj = {n} does not match arrays {s}, {sq}: sum^2 exceeds ntraj x "
                          "the sum of squares")


def check_kept(arrays: dict) -> None:
    """Per-trajectory arrays in range and adding up to the running sums."""
    for name, total in (("traj_mean", "sum1"), ("traj_second", "sum2"), ("traj_hist", "hist_sum"),
                        ("traj_obs", "obs_sum")):
        if name not in arrays:
            continue
        a = arrays[name]
        if name != "traj_obs" and np.any(np.abs(a) > 1 + SLACK):
            raise Damaged(f"array {name} holds values outside [-1, 1]")
        scale = SLACK * max(len(a), 1) * (1 + np.abs(arrays[total]))
        if np.any(np.abs(a.sum(axis=0) - arrays[total]) > scale):
            raise Damaged(f"arrays {name} and {total} disagree: the per-trajectory values do not add up to the sums")
