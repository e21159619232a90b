"""When an ensemble stops before `ntraj`: a target standard error, or a time limit (docs/theory.md §4).

The rule is checked on the folded prefix, after each batch, in trajectory order. With a target the
batches have a size that does not depend on the workers (`STOP_BATCH` unless execution.batch_size
says otherwise), so the prefix at which the target is first met, and with it every bit of the
result, is the same for any number of workers, backend, or interruption and resume. A time limit
stops after the batch that crosses it: the result then depends on the machine, and says so.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis.clustering import clustering
from ..base.checks import check_positive
from ..base.ensemble import Ensemble

#: trajectories per batch (and per check of the target) when a target is set and no batch_size given
STOP_BATCH = 64
#: no target is declared met on fewer trajectories: a standard error of a few is itself too uncertain
MIN_TRAJECTORIES = 32
#: ens.meta["stopped"]["reason"] values
REASONS = ("ntraj", "target_stderr", "timeout")


@dataclass(frozen=True)
class StopRule:
    """target_stderr: stop once the largest standard error of the means over components and times
    (or of E_N(t) over times, when `mf` is given) is at most this; mf: the mean field E_N is taken
    against (analysis.clustering); timeout: seconds after which the run stops at the next batch."""
    target_stderr: float | None = None
    mf: object = None
    timeout: float | None = None

    @classmethod
    def of(cls, target_stderr, target_mf, timeout) -> "StopRule":
        if target_stderr is not None:
            target_stderr = check_positive("target_stderr", target_stderr)
        elif target_mf is not None:
            raise ValueError("target_mf is the mean field for a target on E_N: give target_stderr too")
        if timeout is not None:
            timeout = check_positive("timeout", timeout)
        return cls(target_stderr, target_mf, timeout)

    @property
    def has_target(self) -> bool:
        return self.target_stderr is not None

    def measure(self, ens: Ensemble) -> float:
        """The standard error compared with the target: max over (components, times) of ens.stderr,
        or over times of E_N's."""
        if self.mf is None:
            return float(np.max(ens.stderr))
        return float(np.max(clustering(ens, self.mf)[1]))

    def reason(self, ens: Ensemble, elapsed: float) -> str | None:
        """Why the run stops with the trajectories of `ens`, or None to go on."""
        if self.has_target and ens.ntraj >= MIN_TRAJECTORIES and self.measure(ens) <= self.target_stderr:
            return "target_stderr"
        if self.timeout is not None and elapsed >= self.timeout:
            return "timeout"
        return None

    def record(self, ens: Ensemble, reason: str) -> None:
        """ens.meta["stopped"]: the reason, the trajectories, the target and the reached error."""
        stopped = {"reason": reason, "ntraj": ens.ntraj}
        if self.has_target:
            stopped.update(target_stderr=self.target_stderr, on="clustering" if self.mf is not None else "mean",
                           stderr=self.measure(ens) if ens.ntraj >= 2 else None)
        if self.timeout is not None:
            stopped["timeout"] = self.timeout
        ens.meta["stopped"] = stopped
