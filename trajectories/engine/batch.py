"""One batch of trajectories: sample the initial state, run the kernel, convert ladder moments.

Besides the moments a batch returns what `DiagonalSpec` asks for and, on request, the jump log.

The kernel records <T^b_q> and <T^b_q T^g_r> with the ladder operators T = (J_+, J_-, J_z) of each
block; they are converted to the average operators m_a^b = S_a^b / N_b (S = 2 J) elementwise, so
a trajectory's numbers do not depend on how many trajectories are converted together.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base.errors import IntegrationError
from ..base.options import TrajectoryOptions
from ..base.grid import DiagonalSpec, diagonal_spec
from ..sectors.frame import rotate_moments
from ..sectors.states import InitialState
from .driver import Outputs, run_trajectory
from .propagate import MAX_HALVINGS, TAYLOR_FAILED
from .workspace import workspace


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


class BatchResult(NamedTuple):
    """Per-trajectory results of one batch (n trajectories, T output times, B blocks)."""
    start: int             # index of the batch's first trajectory
    means: np.ndarray      # (n, T, B, 3) <m_a^b>
    seconds: np.ndarray    # (n, T, B, 3, B, 3) Re <m_a^b m_c^g>
    njumps: np.ndarray     # (n,)
    hist: np.ndarray       # (n, T, nbins) distributions (base/grid.py DiagonalSpec)
    obs: np.ndarray        # (n, T, K) diagonal observables
    tj: np.ndarray         # (n, T, B) sector tuples 2j_b
    jumps: list | None     # per trajectory (times (m,), channels (m,), tuples after (m, B)), on request


def run_batch(compiled, state: InitialState, sizes, times, seeds, options: TrajectoryOptions,
              spec: DiagonalSpec | None = None, log_jumps: bool = False, frame=None) -> BatchResult:
    """Run the trajectories of `seeds` (a SeedRange or SeedSequences) recording the moments, the
    diagonal quantities of `spec` and, with log_jumps, every jump. With `frame` (B, 3, 3) the
    compiled model and `state` are in that rotated frame (sectors/frame.py) and the moments are
    rotated back, trajectory by trajectory."""
    T, B, n = len(times), len(sizes), len(seeds)
    spec = diagonal_spec(sizes) if spec is None else spec
    first = np.empty((n, T, B, 3), complex)
    second = np.empty((n, T, 3 * B, 3 * B), complex)
    hist = np.zeros((n, T, spec.nbins))
    obs = np.zeros((n, T, len(spec.observables)))
    tj = np.zeros((n, T, B), np.int64)
    njumps = np.empty(n, dtype=np.int64)
    jumps = [] if log_jumps else None
    fixed = state.sample(sizes, None) if state.pure else None
    for k, ss in enumerate(seeds):
        rng = np.random.Generator(np.random.PCG64(ss))
        tj0, psi = fixed if fixed is not None else state.sample(sizes, rng)
        out = Outputs(first[k], second[k], spec.bin_of, spec.table, hist[k], obs[k], tj[k])
        ws = workspace(compiled, tj0, options.max_terms)
        njumps[k], *log = _run_interruptibly(compiled, ws, psi, times, rng, options, out, log_jumps)
        if ws.state["fail"][0]:
            raise IntegrationError(integration_failure(ws.state[0], ss, options))
        if log_jumps:
            jumps.append(tuple(log))
    means, seconds = ladder_to_moments(first, second, sizes)
    if frame is not None:
        means, seconds = rotate_moments(means, seconds, frame)
    start = getattr(seeds, "start", 0)
    return BatchResult(start, means, seconds, njumps, hist, obs, tj, jumps)


def integration_failure(st, seed: np.random.SeedSequence, options: TrajectoryOptions) -> str:
    """The message of a trajectory stopped with st["fail"] set (st: its workspace.STATE record;
    propagate.TAYLOR_FAILED, NORM_FAILED)."""
    where = (f"the trajectory of seed SeedSequence({seed.entropy}, spawn_key={tuple(seed.spawn_key)}) stopped "
             f"at t = {st['t']:.6g}: ")
    if st["fail"] == TAYLOR_FAILED:
        return where + (f"the Taylor series of a no-jump step did not reach options.tol = {options.tol:g} within "
                        f"options.max_terms = {options.max_terms} terms although the step was halved "
                        f"{MAX_HALVINGS} times; raise options.max_terms (<= 200), or check the model's "
                        "fields, couplings and rates for values that are not finite")
    return where + ("the norm of the state is no longer finite and positive (NaN or inf): the model's "
                    "fields, couplings or rates are too large or not finite somewhere on the state's "
                    "support; rescale them, or time")


def _run_interruptibly(compiled, ws, psi, times, rng, options, out, log_jumps):
    """run_trajectory; a Ctrl-C or SIGTERM (a KeyboardInterrupt from the command line's handler)
    that lands while the kernel calls back into Python (Numba unpickles some constants at run
    time) surfaces as a SystemError caused by it: it is raised as the KeyboardInterrupt again,
    so the run stops and keeps its checkpoint as for any other interruption."""
    try:
        return run_trajectory(compiled, ws, psi, times, rng, options.tol, options.root_tol, options.trim,
                              out, log_jumps)
    except SystemError as err:
        cause = err
        while cause is not None and not isinstance(cause, KeyboardInterrupt):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            raise
        raise KeyboardInterrupt from err


def warm_up_arguments(shared) -> tuple:
    """The arguments of run_trajectory for a run of `shared` (as batch_task takes it) that record the
    initial state of one trajectory and stop: calling it with them compiles the kernel for this
    run's types, or loads it from the on-disk cache, at the cost of one output time."""
    compiled, state, sizes, times, options, spec, log_jumps, frame = shared
    spec = diagonal_spec(sizes) if spec is None else spec
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(0)))
    tj0, psi = state.sample(sizes, rng)
    B = len(sizes)
    out = Outputs(np.empty((1, B, 3), complex), np.empty((1, 3 * B, 3 * B), complex), spec.bin_of, spec.table,
                  np.zeros((1, spec.nbins)), np.zeros((1, len(spec.observables))), np.zeros((1, B), np.int64))
    ws = workspace(compiled, tj0, options.max_terms)
    return (compiled, ws, psi, np.zeros(1), rng, options.tol, options.root_tol, options.trim, out, log_jumps)


def batch_task(shared, seeds):
    """run_batch with the arguments every batch shares packed in one tuple (sent once to dask)."""
    compiled, state, sizes, times, options, spec, log_jumps, frame = shared
    return run_batch(compiled, state, sizes, times, seeds, options, spec, log_jumps, frame)
