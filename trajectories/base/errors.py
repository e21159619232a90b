"""Exception classes a caller may need to tell apart (catch these, never match message text).

All derive from ValueError or RuntimeError, so code that catches those keeps working.
"""
from __future__ import annotations


class ResultsFileError(ValueError):
    """A file that is not a readable results file (foreign, corrupted or truncated)."""


class CheckpointMismatchError(ValueError):
    """A checkpoint file written by a run with other arguments; `.fields` names those that differ."""

    def __init__(self, message: str, fields=()):
        super().__init__(message)
        self.fields = tuple(fields)


class LockedError(ValueError):
    """An output another live run owns (its lock file names the process)."""


class InsufficientDataError(ValueError):
    """Too little data for an uncertainty; `.estimate` carries the point estimate (when defined)."""

    def __init__(self, message: str, estimate=None):
        super().__init__(message)
        self.estimate = estimate


class MemoryLimitError(ValueError):
    """A run refused up front because its memory estimate exceeds the limit.

    `.needed` and `.limit` are in bytes."""

    def __init__(self, message: str, needed: float, limit: float):
        super().__init__(message)
        self.needed, self.limit = needed, limit


class WorkLimitError(ValueError):
    """A run refused up front because its estimated integration steps exceed options.max_steps.

    `.steps` is the estimate, `.limit` the option's value."""

    def __init__(self, message: str, steps: float, limit: float):
        super().__init__(message)
        self.steps, self.limit = steps, limit


class IntegrationError(RuntimeError):
    """An ODE integration (exact reference, mean field, local generator) did not succeed."""


class WorkerLostError(RuntimeError):
    """A worker process died while running trajectories (killed by a signal or the out-of-memory
    killer); the message says what the checkpoint keeps and how to resume."""


class StiffnessWarning(RuntimeWarning):
    """A run whose jump rates make each trajectory so long (too many jumps) that it may never finish."""
