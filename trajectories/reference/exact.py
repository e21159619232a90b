"""Exact references: the full 2^N Lindblad evolution and the exact sector-reduced evolution."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.checks import check_times
from ..sectors.states import InitialState


@dataclass
class ExactResult:
    """Exact omega_t(m_a^b) and omega_t((m_a^b m_c^g + m_c^g m_a^b)/2).

    Shapes as Ensemble: mean (3, T) and second (3, 3, T) for a SpinModel, (B, 3, T) and
    (B, 3, B, 3, T) for a BlockModel.
    """

    times: np.ndarray
    mean: np.ndarray
    second: np.ndarray
    method: str

    def __str__(self) -> str:
        return f"ExactResult(method={self.method!r}, times {self.times[0]:g}..{self.times[-1]:g} ({len(self.times)}))"


def exact_evolution(model, state: InitialState, times, method: str = "sectors",
                    rtol: float = 1e-12, atol: float = 1e-13) -> ExactResult:
    """Evolve the master equation exactly and return the first and second moments.

    method "full": the density matrix on the 2^N space (N <= 10), built from Pauli matrices.
    method "sectors": the sector-reduced density matrix (+)_j rho_j (docs/theory.md §2), O(N^3) memory
    for one block: practical up to N ~ 120 (z-only Deltas) or ~ 80 (x/y parts in Delta), two
    blocks of ~ 15 each; above ~2 GB of memory it refuses (see exact_sectors).
    """
    if method not in ("full", "sectors"):
        raise ValueError(f"method must be 'full' or 'sectors', got {method!r}")
    if not isinstance(state, InitialState):
        raise ValueError(f"state must be an initial state (coherent_state(...), ...), got {type(state).__name__}")
    times = check_times(times)
    state.validate(model.sizes)
    if method == "full":
        from .full import full_moments as solve
    else:
        from .sectors import sector_moments as solve
    first, second = solve(model, state, times, rtol=rtol, atol=atol)
    mean, sec = np.moveaxis(first, 0, -1), np.moveaxis(second, 0, -1)
    if len(model.sizes) == 1 and type(model).__name__ == "SpinModel":
        mean, sec = mean[0], sec[0, :, 0]
    return ExactResult(times=times, mean=mean, second=sec, method=method)
