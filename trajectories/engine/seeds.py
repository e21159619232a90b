"""Seeds of an ensemble: trajectory i uses the i-th child of the root SeedSequence, so results do
not depend on how trajectories are grouped into batches or workers (docs/theory.md §4)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SeedRange:
    """Trajectories start..stop-1 of the root SeedSequence(entropy, spawn_key): trajectory i uses
    the child SeedSequence(entropy, spawn_key + (i,)), the same as root.spawn(n)[i]. Cheap to send
    to a worker (three numbers, whatever the number of trajectories)."""

    entropy: object
    spawn_key: tuple
    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start

    def __iter__(self):
        for i in range(self.start, self.stop):
            yield np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key + (i,))

    def split(self, size: int) -> list["SeedRange"]:
        return [SeedRange(self.entropy, self.spawn_key, a, min(a + size, self.stop))
                for a in range(self.start, self.stop, size)]


def root_seed(seed) -> np.random.SeedSequence:
    """The ensemble's root SeedSequence from an int >= 0, a sequence of them, a SeedSequence or None."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (bool, np.bool_, float)):
        raise ValueError(f"seed must be None, an integer >= 0 or a sequence of them, got {seed!r}")
    try:
        return np.random.SeedSequence(seed)
    except (TypeError, ValueError):
        raise ValueError(f"seed must be None, an integer >= 0 or a sequence of them, got {seed!r}") from None
