"""Results files: an Ensemble as a self-describing .npz (arrays plus one JSON metadata string, no
pickle), written atomically.

File layout (np.load(path, allow_pickle=False) reads it anywhere):
    metadata       0-d unicode array: JSON with "format", "format_version", ntraj, njumps, sizes,
                   single_block, seed, keep_trajectories, segments (the seeds of every trajectory),
                   meta (model, state, options, identity hashes, package and library versions)
    times (T,), sum1, sq1 (T, B, C), sum2, sq2 (T, B, C, B, C), cross (T, B, V, B, V), with C = 3
                   components per spin block, d^2 for a QuditModel (metadata "components", "kind"),
                   V = C + C (C + 1)/2
    hist_sum, hist_sq (T, nbins), obs_sum (T, K), obs_cross (T, K, K)   (version 2: the recorded
                   distributions and diagonal observables, described by metadata "diagonal")
    traj_mean (ntraj, T, B, 3), traj_second (ntraj, T, B, 3, B, 3), traj_hist (ntraj, T, nbins),
    traj_obs (ntraj, T, K)   only with keep_trajectories
Version 1 files (without the diagonal entries) are read as ensembles that recorded none.
"""
from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..base.ensemble import Ensemble
from ..base.errors import ResultsFileError
from ..base.results import vector_size
from .names import sibling
from .header import Damaged, check_fields, check_kept, check_sums, check_times
from .provenance import to_json

FORMAT = "collective-trajectories/ensemble"
FORMAT_VERSION = 2
#: the running sums of a results file, as in Ensemble (base/ensemble.py SUMS)
MOMENT_SUMS = ("sum1", "sq1", "sum2", "sq2", "cross")
DIAGONAL_SUMS = ("hist_sum", "hist_sq", "obs_sum", "obs_cross")


def save_ensemble(ens: Ensemble, path) -> None:
    """Write `ens` to `path` atomically (a temporary file in the same folder, then os.replace)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "ntraj": ens.ntraj, "njumps": ens.njumps,
        "sizes": list(ens.sizes), "single_block": ens.single_block,
        "seed": ens.seed if ens.seed is None or isinstance(ens.seed, (int, list)) else repr(ens.seed),
        "keep_trajectories": ens.keep_trajectories, "segments": ens.segments, "meta": ens.meta,
        "diagonal": ens.diagonal, "components": ens.components, "kind": ens.kind,
    }
    arrays = {"times": ens.times, **{k: getattr(ens, k) for k in MOMENT_SUMS + DIAGONAL_SUMS}}
    if ens.keep_trajectories:
        arrays["traj_mean"] = ens.trajectory_means()
        arrays["traj_second"] = ens.trajectory_seconds()
        arrays["traj_hist"], arrays["traj_obs"] = ens.trajectory_diagonal()
    write_npz(path, {"metadata": np.array(to_json(header)), **arrays})


def write_npz(path: Path, arrays: dict) -> None:
    """np.savez of `arrays` to `path` atomically: a temporary file in the same folder, synced, then
    os.replace (a reader never sees a half-written file; a crash leaves the old one)."""
    tmp = sibling(path, f".{path.name}", f".{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


_NOT_OURS = "is not a results file of collective-trajectories"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _reason(err: BaseException) -> str:
    """A short reason for a failed read that never suggests loading untrusted objects."""
    text = " ".join(str(err).split())
    if "pickle" in text.lower() or "object array" in text.lower():
        return "it holds Python objects, which results files never do"
    return text or type(err).__name__


def _read(path: Path) -> tuple[dict, dict]:
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as err:
        raise ResultsFileError(f"{path} cannot be read ({_reason(err)})") from None
    if head.startswith(b"\x93NUMPY"):
        raise ResultsFileError(f"{path} {_NOT_OURS} (a single .npy array, not an .npz archive)")
    if not head.startswith(_ZIP_MAGIC):
        what = "an empty file" if not head else f"starts with {head[:8]!r}, not an .npz archive"
        raise ResultsFileError(f"{path} {_NOT_OURS} ({what})")
    try:
        z = np.load(path, allow_pickle=False)
        if not isinstance(z, np.lib.npyio.NpzFile):
            raise ResultsFileError(f"{path} {_NOT_OURS} (a single array)")
        with z:
            if "metadata" not in z.files:
                raise ResultsFileError(f"{path} {_NOT_OURS} (no metadata entry)")
            meta = z["metadata"]
            if meta.shape != () or meta.dtype.kind != "U":
                raise ResultsFileError(f"{path} {_NOT_OURS} (its metadata entry is not a JSON text)")
            try:
                header = json.loads(str(meta[()]))
            except ValueError:
                raise ResultsFileError(f"{path} {_NOT_OURS} (its metadata entry is not valid JSON)") from None
            if not isinstance(header, dict) or header.get("format") != FORMAT:
                raise ResultsFileError(f"{path} {_NOT_OURS} "
                                       f"(format {header.get('format') if isinstance(header, dict) else None!r})")
            arrays = {k: z[k] for k in z.files if k != "metadata"}
    except ResultsFileError:
        raise
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, AttributeError) as err:
        raise ResultsFileError(f"{path} is corrupted or not a results file of collective-trajectories "
                               f"({_reason(err)})") from None
    except Exception as err:  # a damaged zip can fail in many ways (e.g. struct.error)
        raise ResultsFileError(f"{path} is corrupted or not a results file of collective-trajectories "
                               f"({type(err).__name__})") from None
    version = header.get("format_version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        raise ResultsFileError(f"{path} has format version {version}; this package reads up to "
                               f"{FORMAT_VERSION}: upgrade it")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ResultsFileError(f"{path}: metadata format_version must be an integer in 1..{FORMAT_VERSION}, "
                               f"got {version!r}: the file is damaged")
    return header, arrays


def _shapes(version: int, fields: dict, T: int) -> dict:
    """The shape of every array a results file of this version and these fields holds."""
    B, n, diagonal, C = len(fields["sizes"]), fields["ntraj"], fields["diagonal"], fields["components"]
    nbins, K = sum(len(v) for v in diagonal.get("values", [])), len(diagonal.get("observables", []))
    V = vector_size(C)
    shapes = {"sum1": (T, B, C), "sq1": (T, B, C), "sum2": (T, B, C, B, C), "sq2": (T, B, C, B, C),
              "cross": (T, B, V, B, V)}
    if version >= 2:
        shapes.update(hist_sum=(T, nbins), hist_sq=(T, nbins), obs_sum=(T, K), obs_cross=(T, K, K))
    if fields["keep_trajectories"]:
        shapes.update(traj_mean=(n, T, B, C), traj_second=(n, T, B, C, B, C))
        if version >= 2:
            shapes.update(traj_hist=(n, T, nbins), traj_obs=(n, T, K))
    return shapes


def _checked(path: Path, header: dict, arrays: dict) -> tuple[dict, dict]:
    """(Ensemble fields, arrays) of a results file whose metadata and arrays agree (io/header.py);
    ResultsFileError naming the file and the field otherwise."""
    try:
        fields = check_fields(header)
        check_times(arrays["times"])
        T = len(arrays["times"])
        shapes = _shapes(header["format_version"], fields, T)
        for name, shape in shapes.items():
            if arrays[name].shape != shape or arrays[name].dtype != np.float64:
                source = (f"ntraj = {fields['ntraj']}, " if name.startswith("traj_") else "") + (
                    "diagonal" if "hist" in name or "obs" in name else f"sizes = {list(fields['sizes'])}")
                raise Damaged(f"array {name} has shape {arrays[name].shape} ({arrays[name].dtype}), expected "
                              f"{shape} (float64) from metadata {source} and the {T} times")
        empty = {"hist_sum": (T, 0), "hist_sq": (T, 0), "obs_sum": (T, 0), "obs_cross": (T, 0, 0)}
        data = {**{k: np.zeros(shape) for k, shape in empty.items()}, **{k: arrays[k] for k in shapes}}
        check_sums(data, fields["ntraj"])
        check_kept(data)
    except Damaged as err:
        raise ResultsFileError(f"{path}: {err}: the file is damaged") from None
    except KeyError as err:
        raise ResultsFileError(f"{path}: entry {err} is missing: the file is damaged") from None
    return fields, {"times": arrays["times"], **{k: arrays[k] for k in shapes}}


def load_ensemble(path) -> Ensemble:
    """Read a results file; a missing, foreign, corrupted or inconsistent file (metadata that
    contradicts the arrays, io/header.py) raises one clear error naming the file and the field."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"results file {path} does not exist")
    fields, arrays = _checked(path, *_read(path))
    ens = Ensemble(times=arrays["times"], **fields,
                   **{k: arrays[k].copy() for k in arrays if k in MOMENT_SUMS + DIAGONAL_SUMS})
    if fields["keep_trajectories"]:
        n, T = fields["ntraj"], len(ens.times)
        ens.traj_mean = list(arrays["traj_mean"])
        ens.traj_second = list(arrays["traj_second"])
        ens.traj_hist = list(arrays.get("traj_hist", np.zeros((n, T, 0))))
        ens.traj_obs = list(arrays.get("traj_obs", np.zeros((n, T, 0))))
    return ens
