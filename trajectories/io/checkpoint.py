"""Checkpoint and resume: the running sums after the trajectories folded so far (always a prefix
0..k-1 of the run, since results are folded in trajectory order), written atomically as a results
file. Resuming folds trajectories k.. onto them: the same order as an uninterrupted run, so the
final statistics have the same bits.
"""
from __future__ import annotations

import time
from pathlib import Path

from ..base.errors import CheckpointMismatchError, ResultsFileError
from .files import load_ensemble, save_ensemble
from .provenance import same_identity

#: identity entries a checkpoint must share with the run that resumes it
IDENTITY_FIELDS = ("model", "state", "times", "options", "seed", "start", "ntraj", "keep_trajectories",
                   "recorded")


class Checkpoint:
    """A checkpoint file of one run, identified by the run's identity (provenance.run_identity)."""

    def __init__(self, path, identity: dict, every: float = 10.0):
        if not isinstance(every, (int, float)) or every < 0:
            raise ValueError(f"checkpoint_every must be a number of seconds >= 0, got {every!r}")
        self.path, self.identity, self.every = Path(path), identity, float(every)
        self._last = time.monotonic()

    def resume(self):
        """The ensemble saved at the checkpoint, or None when there is none yet."""
        if not self.path.exists():
            return None
        ens = load_ensemble(self.path)
        saved = ens.meta.get("identity", {})
        differ = [key for key in IDENTITY_FIELDS if not same_identity(saved, self.identity, key)]
        if differ:
            raise CheckpointMismatchError(f"checkpoint {self.path} was written for different arguments "
                                          f"({', '.join(differ)} differ): pass the same arguments or "
                                          "delete it", differ)
        self._check_prefix(ens)
        return ens

    def _check_prefix(self, ens) -> None:
        """ResultsFileError unless the checkpoint holds trajectories start..start+k-1 of its run,
        k <= the run's ntraj (the only thing a run writes)."""
        start, ntraj = self.identity.get("start", 0), self.identity.get("ntraj")
        starts = [s["start"] for s in ens.segments]
        if (ntraj is not None and ens.ntraj > ntraj) or len(starts) > 1 or starts not in ([], [start]):
            held = ", ".join(f"{s['start']}..{s['stop'] - 1}" for s in ens.segments) or "not recorded"
            raise ResultsFileError(f"checkpoint {self.path}: metadata ntraj = {ens.ntraj}, segments {held} are "
                                   f"not a prefix of trajectories {start}..{start + (ntraj or 0) - 1} of its run: "
                                   "the file is damaged (delete it)")

    def maybe_write(self, ens) -> None:
        if time.monotonic() - self._last >= self.every:
            self.write(ens)

    def write(self, ens) -> None:
        """Save `ens` (atomically); an ensemble of no trajectories yet (a run interrupted before its
        first batch) has nothing to keep and writes no file."""
        if ens.ntraj == 0:
            return
        save_ensemble(ens, self.path)
        self._last = time.monotonic()
