"""One batch of trajectories: sample the initial state, run the kernel, convert ladder moments.

The kernel records <T^b_q> and <T^b_q T^g_r> with the ladder operators T = (J_+, J_-, J_z) of each
block; they are converted to the average operators m_a^b = S_a^b / N_b (S = 2 J) elementwise, so
a trajectory's numbers do not depend on how many trajectories are converted together.
"""
from __future__ import annotations

import numpy as np

from ..base.options import TrajectoryOptions
from ..sectors.states import InitialState
from .driver import run_trajectory


def _ladder(x: np.ndarray, axis: int) -> np.ndarray:
    """sum_q LADDER[a, q] x[.., q, ..] along `axis` (q = +, -, z -> a = x, y, z), elementwise."""
    p, m, z = (np.take(x, i, axis=axis) for i in range(3))
    return np.stack([p + m, 1j * (m - p), 2 * z], axis=axis)


def ladder_to_moments(first: np.ndarray, second: np.ndarray, sizes) -> tuple[np.ndarray, np.ndarray]:
    """<T^b_q>, <T^b_q T^g_r> -> <m_a^b> (..., B, 3) and Re<m_a^b m_c^g> (..., B, 3, B, 3).

    first (..., B, 3), second (..., 3B, 3B). Elementwise formulas, so a trajectory's numbers do
    not depend on how many trajectories are converted together."""
    n = np.asarray(sizes, dtype=float)
    B = n.size
    mean = _ladder(first, -1).real / n[:, None]
    sec = second.reshape(second.shape[:-2] + (B, 3, B, 3))
    sec = _ladder(_ladder(sec, -1), -3).real
    return mean, sec / (n[:, None, None, None] * n[None, None, :, None])


def run_batch(compiled, state: InitialState, sizes, times, seeds, options: TrajectoryOptions):
    """Run the trajectories of `seeds` (a SeedRange or SeedSequences); returns per-trajectory
    (means (n, T, B, 3), seconds (n, T, B, 3, B, 3), njumps (n,))."""
    T, B, n = len(times), len(sizes), len(seeds)
    first = np.empty((n, T, B, 3), complex)
    second = np.empty((n, T, 3 * B, 3 * B), complex)
    njumps = np.empty(n, dtype=np.int64)
    fixed = state.sample(sizes, None) if state.pure else None
    for k, ss in enumerate(seeds):
        rng = np.random.Generator(np.random.PCG64(ss))
        tj, psi = fixed if fixed is not None else state.sample(sizes, rng)
        njumps[k] = run_trajectory(compiled, psi, tj, times, rng, options.tol, options.root_tol,
                                   options.trim, options.max_terms, first[k], second[k])
    means, seconds = ladder_to_moments(first, second, sizes)
    return means, seconds, njumps


def batch_task(shared, seeds):
    """run_batch with the arguments every batch shares packed in one tuple (sent once to dask)."""
    compiled, state, sizes, times, options = shared
    return run_batch(compiled, state, sizes, times, seeds, options)
