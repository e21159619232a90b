"""Per-trajectory records streamed to disk: a folder of one .npz file per batch, written atomically.

A batch of trajectories i = start .. stop - 1 becomes `traj-<start>-<stop>.npz` (zero-padded) as
soon as it is folded, so memory holds one batch at a time and an interrupted run keeps every
batch written. Each file holds (n = stop - start, T output times, B blocks, m jumps in all):

    index (n,)                 trajectory indices start .. stop - 1
    mean (n, T, B, 3)          <m_a^b>(t) of each trajectory
    spins (n, T, B)            2 j_b(t), the sector tuple at the output times
    hist (n, T, nbins), obs (n, T, K)   distributions and diagonal observables, when recorded
    jump_ptr (n + 1,)          the jumps of trajectory start + k are entries jump_ptr[k]:jump_ptr[k+1] of
    jump_time (m,), jump_channel (m,), jump_spins (m, B)   (time, channel, 2j after the jump)

plus `run.json` naming the run (its identity and times). `load_records` concatenates the files in
trajectory order and checks that they cover a contiguous range without overlap.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..base.errors import ResultsFileError
from .files import write_npz
from .provenance import to_json

_BATCH = re.compile(r"traj-(\d+)-(\d+)\.npz$")
FIELDS = ("index", "mean", "spins", "hist", "obs", "jump_ptr", "jump_time", "jump_channel", "jump_spins")


class RecordsWriter:
    """Writes the per-trajectory records of a run into `folder` (created if missing).

    A folder holding the records of a different run (another identity) is refused; records of
    trajectories beyond `keep_until` (written after the checkpoint a run resumes from) are removed,
    since they will be written again."""

    def __init__(self, folder, identity: dict, times, keep_until: int = 0):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        run = self.folder / "run.json"
        described = json.loads(to_json({"identity": identity, "times": np.asarray(times).tolist()}))
        if run.exists():
            saved = json.loads(run.read_text())
            if saved != described:
                raise ValueError(f"records folder {self.folder} holds the records of another run: "
                                 "choose another folder or delete it")
        else:
            run.write_text(json.dumps(described))
        for path, start, stop in batch_files(self.folder):
            if stop > keep_until:
                path.unlink()

    def write(self, batch) -> None:
        """Write one BatchResult (engine/batch.py) that carries its jump log."""
        n = len(batch.means)
        jumps = batch.jumps or [(np.zeros(0), np.zeros(0, np.int64), np.zeros((0, batch.tj.shape[-1]), np.int64))] * n
        ptr = np.concatenate([[0], np.cumsum([len(t) for t, _, _ in jumps])]).astype(np.int64)
        arrays = {
            "index": np.arange(batch.start, batch.start + n), "mean": batch.means, "spins": batch.tj,
            "hist": batch.hist, "obs": batch.obs, "jump_ptr": ptr,
            "jump_time": np.concatenate([t for t, _, _ in jumps]),
            "jump_channel": np.concatenate([c for _, c, _ in jumps]),
            "jump_spins": np.concatenate([s for _, _, s in jumps]).reshape(-1, batch.tj.shape[-1]),
        }
        write_npz(self.folder / f"traj-{batch.start:09d}-{batch.start + n:09d}.npz", arrays)


def is_record_file(name: str) -> bool:
    """Whether a file of this name in a records folder is one of the records' own (run.json, a batch)."""
    return name == "run.json" or bool(_BATCH.match(name))


def batch_files(folder: Path) -> list[tuple[Path, int, int]]:
    """(path, start, stop) of the batch files in `folder`, by start."""
    out = []
    for path in Path(folder).iterdir():
        m = _BATCH.match(path.name)
        if m:
            out.append((path, int(m.group(1)), int(m.group(2))))
    return sorted(out, key=lambda x: x[1])


@dataclass
class Records:
    """Per-trajectory records of a run (module docstring for the fields; jumps(k) for one)."""

    times: np.ndarray
    identity: dict
    index: np.ndarray
    mean: np.ndarray
    spins: np.ndarray
    hist: np.ndarray
    obs: np.ndarray
    jump_ptr: np.ndarray
    jump_time: np.ndarray
    jump_channel: np.ndarray
    jump_spins: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def jumps(self, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times (m,), channels (m,), 2j after each jump (m, B)) of the k-th trajectory recorded."""
        if not 0 <= k < len(self):
            raise ValueError(f"k must be in 0..{len(self) - 1}, got {k!r}")
        a, b = self.jump_ptr[k], self.jump_ptr[k + 1]
        return self.jump_time[a:b], self.jump_channel[a:b], self.jump_spins[a:b]


def load_records(folder) -> Records:
    """Read a records folder: the batches in trajectory order; ResultsFileError when a batch is
    missing in the middle, overlaps another or is damaged."""
    folder = Path(folder)
    if not (folder / "run.json").is_file():
        raise FileNotFoundError(f"{folder} is not a records folder (no run.json)")
    run = json.loads((folder / "run.json").read_text())
    parts, expected = [], None
    for path, start, stop in batch_files(folder):
        if expected is not None and start != expected:
            raise ResultsFileError(f"records folder {folder}: trajectories {expected}..{start - 1} are missing "
                                   f"or overlap (next file {path.name})")
        try:
            with np.load(path, allow_pickle=False) as z:
                parts.append({k: z[k] for k in FIELDS})
        except Exception as err:  # noqa: BLE001  (a damaged zip fails in many ways)
            raise ResultsFileError(f"records file {path} is damaged ({type(err).__name__}: {err})") from None
        expected = stop
    times = np.asarray(run["times"], dtype=float)
    if not parts:
        raise ResultsFileError(f"records folder {folder} holds no trajectories yet")
    cat = {k: np.concatenate([p[k] for p in parts]) for k in FIELDS if k != "jump_ptr"}
    lengths = np.concatenate([np.diff(p["jump_ptr"]) for p in parts])
    ptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return Records(times=times, identity=run["identity"], jump_ptr=ptr, **cat)
