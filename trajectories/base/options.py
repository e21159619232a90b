"""Numerical options of the trajectory engine."""
from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class Options:
    """How trajectories are integrated (not what is saved).

    tol : float
        Truncation of the Taylor series of each no-jump step: terms are added until
        ||w_K|| < tol ||psi||. The error per step is ~tol; a trajectory takes O(N t) steps, so
        the default 1e-12 keeps the accumulated error of observables below ~1e-7 at N t = 1e5,
        far under any statistical error (tests compare against exact references at 4 stderr).
        Measured (Hopfield N = 1000, t = 0..5, 8 seeded trajectories, against tol = 1e-15,
        trim = 1e-40): the same jump records, and |delta <m_a>| = 5e-15 (tol 1e-12), 4e-13
        (1e-10), 5e-11 (1e-8), 6e-9 (tol 1e-6, trim 1e-16), for a run time within 15%.
    root_tol : float
        Accuracy of the jump time, as the residual of log||psi||^2 = log r.
    trim : float
        Window truncation: edge amplitudes with |psi_i|^2 <= trim ||psi||^2 are dropped (banded
        path). 1e-30 keeps the state ~11 standard deviations around its support.
    max_terms : int
        Largest number of Taylor terms before the step is halved.
    method : "auto" | "banded" | "dense"
        "banded" needs z-only Deltas; "dense" works for every model (O(dim^2) per step).
    """

    tol: float = 1e-12
    root_tol: float = 1e-12
    trim: float = 1e-30
    max_terms: int = 30
    method: str = "auto"

    def __post_init__(self):
        for name in ("tol", "root_tol", "trim"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and 0 < v < 1):
                raise ValueError(f"options.{name} must be a number in (0, 1), got {v!r}")
        if not isinstance(self.max_terms, int) or not 4 <= self.max_terms <= 200:
            raise ValueError(f"options.max_terms must be an integer in 4..200, got {self.max_terms!r}")
        if self.method not in ("auto", "banded", "dense"):
            raise ValueError(f"options.method must be 'auto', 'banded' or 'dense', got {self.method!r}")

    @classmethod
    def from_dict(cls, d: dict | None) -> "Options":
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown options {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d)
