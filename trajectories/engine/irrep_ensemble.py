"""run_ensemble for a QuditModel: trajectories on whole irreps of U(d) (docs/theory.md §18).

The same contract as the spin engine (engine/ensemble.py): trajectory i uses the i-th child of the
root SeedSequence, batches are folded in trajectory order (the same seed gives the same bits for any
number of workers, batch size, backend or interruption), checkpoints resume. Results: an Ensemble
of kind "qudit" with mean (d^2, T) and second (d^2, d^2, T), the components m_a = tr(rho v_a) in the
model's basis, as exact_evolution returns them.
"""
from __future__ import annotations

import copy
import math
import time
from typing import NamedTuple

import numpy as np

from models.qudit import QuditModel
from models.spin import largest_rate
from ..base.checks import check_density
from ..base.ensemble import Ensemble
from ..base.errors import MemoryLimitError
from ..base.options import ExecutionOptions, TrajectoryOptions, memory_limit_advice
from ..io.checkpoint import Checkpoint
from ..io.provenance import run_identity, run_metadata
from ..sectors.irreps import IrrepModel
from ..symmetry import unitary
from .batch import BatchResult
from .irrep_trajectory import InitialSampler, ProductDensity, irrep_cache, model_key, run_irrep_trajectory
from .parallel import worker_count
from .seeds import SeedRange
from .work import check_work

#: partitions enumerated exactly for the size of the largest irrep; beyond, the staircase estimate
MAX_ENUMERATED = 300_000
#: seconds of one integration step per state of the largest irrep, counting the steps at the bounds of
#: `work_bounds`: measured 2.7e-8 to 4.1e-8 (experiments/qudit_ladder.py's model, N = 20 and 40, t = 2,
#: operators built, one core with the other busy), so estimated durations are upper estimates
SECONDS_PER_STATE_STEP = 5e-8


class QuditRun:
    """What every batch of a QuditModel run shares (sent once to each worker)."""

    def __init__(self, model: QuditModel, rho1: np.ndarray, times: np.ndarray, options: TrajectoryOptions,
                 cache_bytes: float):
        self.irrep_model = IrrepModel(model)
        self.state = ProductDensity.of(rho1)
        self.sampler = InitialSampler(model.N, self.irrep_model.rotate(rho1))
        self.times, self.options, self.cache_bytes = times, options, cache_bytes
        self.key = model_key(self.irrep_model, self.state)

    @property
    def fingerprint(self) -> "Fingerprint":
        """The run's model as a NamedTuple of arrays (io.provenance.model_hash)."""
        return Fingerprint(np.frombuffer(bytes.fromhex(self.key), dtype=np.uint8))


class Fingerprint(NamedTuple):
    """What identifies a QuditModel run's trajectories besides seeds and options (irrep_trajectory.model_key)."""
    key: np.ndarray


def qudit_batch(run: QuditRun, seeds) -> BatchResult:
    """The trajectories of `seeds` (a SeedRange): moments (n, T, 1, C) and (n, T, 1, C, 1, C)."""
    model = run.irrep_model.model
    N, C, T, n = model.N, model.d ** 2, len(run.times), len(seeds)
    first, second = np.empty((n, T, C)), np.empty((n, T, C, C))
    njumps = np.empty(n, dtype=np.int64)
    cache = irrep_cache(run.key, run.irrep_model, run.cache_bytes)
    for k, ss in enumerate(seeds):
        rng = np.random.Generator(np.random.PCG64(ss))
        lam, psi = run.sampler.sample(rng)
        njumps[k] = run_irrep_trajectory(cache, lam, psi, run.times, rng, run.options, first[k], second[k])
    empty = np.zeros((n, T, 0))
    return BatchResult(getattr(seeds, "start", 0), (first / N)[:, :, None], (second / N ** 2)[:, :, None, :, None],
                       njumps, empty, empty, np.zeros((n, T, 1), np.int64), None)


def largest_irrep(N: int, d: int) -> int:
    """dim V_lam of the largest irrep of U(d) on N particles (exact up to MAX_ENUMERATED partitions,
    else that of the staircase lam_i ~ 2 N (d - i) / (d (d - 1)), within a few per cent of it)."""
    if math.comb(N + d - 1, d - 1) <= MAX_ENUMERATED:
        return max(unitary.weyl_dimension(lam) for lam in unitary.partitions(N, d))
    step = 2 * N / (d * (d - 1))
    lam = [int(step * (d - 1 - i)) for i in range(d)]
    lam[0] += N - sum(lam)
    return unitary.weyl_dimension(tuple(lam))


def check_qudit_memory(model: QuditModel, options: TrajectoryOptions, workers: int) -> float:
    """Bytes per worker for the largest irrep (Taylor terms, work vectors, its operators), times the
    workers; MemoryLimitError above options.memory_limit. Returns the per-worker operator cache budget."""
    d, C = model.d, model.d ** 2
    dim = largest_irrep(model.N, d)
    vectors = 16 * dim * (options.max_terms + 3 + C)
    # operators: H_eff (<= d^4 entries per row), the V_a (<= d^2 each), the jumps (<= d^4 per target)
    operators = 24 * dim * (d ** 4 + C * d * d + len(model.channels) * d * d * d ** 4)
    total = workers * (vectors + operators)
    if total > options.memory_limit:
        raise MemoryLimitError(
            f"trajectories of N = {model.N} {d}-level particles run on whole irreps of U(d), the largest with "
            f"{dim:.3g} states: ~{total / 2**30:.3g} GiB for {workers} worker(s), above options.memory_limit = "
            f"{options.memory_limit / 2**30:.3g} GiB: use fewer particles or workers (execution.n_jobs), "
            f"{memory_limit_advice(total)}", total, options.memory_limit)
    return max(options.memory_limit / workers - vectors, operators) / 2


def work_bounds(model: QuditModel) -> tuple[float, float]:
    """(rate, norm): upper bounds on the total jump rate and on ||H_eff - c|| in every irrep (1/time).

    ||V_a|| <= N ||v_a||, so ||H|| <= N (sum_a |eps_a| ||v_a|| + sum_ab |h_ab| ||v_a|| ||v_b||); a channel
    jumps at most at N ||j||^2 max Gamma^2, the maximum taken on the range of its Delta, [min eig R,
    max eig R] (R = sum_a r_a v_a; QuditModel.delta_range, models.spin.largest_rate). norm = ||H|| + rate / 2.
    """
    N = model.N
    size = np.array([np.linalg.norm(v, 2) for v in model.basis])
    with np.errstate(over="ignore", invalid="ignore"):
        hamiltonian = N * (np.abs(model.eps) @ size + size @ np.abs(model.h) @ size)
        rate = 0.0
        for l, ch in enumerate(model.channels):
            rate += N * np.linalg.norm(ch.op, 2) ** 2 * largest_rate(ch, *model.delta_range(l))
        return float(rate), float(hamiltonian + rate / 2)


def check_qudit_work(model: QuditModel, times: np.ndarray, ntraj: int, options: TrajectoryOptions) -> float:
    """work.check_work with the bounds of `work_bounds`, each step costing SECONDS_PER_STATE_STEP per
    state of the largest irrep: StiffnessWarning above a minute per trajectory, WorkLimitError above
    options.max_steps."""
    rate, norm = work_bounds(model)
    seconds = SECONDS_PER_STATE_STEP * largest_irrep(model.N, model.d)
    span = float(np.max(times)) if len(times) else 0.0
    return check_work(rate, norm, span, ntraj, options.max_steps, max(60 / seconds, 1.0), seconds,
                      f"the QuditModel of N = {model.N}")


def prepare_qudit_run(model: QuditModel, state, times, ntraj: int, root, start: int, keep_trajectories: bool,
                      options: TrajectoryOptions, execution: ExecutionOptions, describe):
    """(ens, saver, task, shared, warm_up) of a QuditModel's run (engine/ensemble.py run_ensemble);
    state: a (d, d) density matrix rho_1."""
    rho1 = np.asarray(state) if not hasattr(state, "sector_density") else np.zeros(0)
    if rho1.shape != (model.d, model.d) or not np.issubdtype(rho1.dtype, np.number):
        raise ValueError(f"state must be a ({model.d}, {model.d}) single-site density matrix rho_1 (the product "
                         f"state rho_1^(x)N) for a QuditModel of d = {model.d}, got {type(state).__name__} "
                         f"of shape {rho1.shape}")
    rho1 = rho1.astype(complex)
    check_density("state", rho1)
    cache_bytes = check_qudit_memory(model, options, worker_count(execution))
    check_qudit_work(model, times, ntraj, options)
    run = QuditRun(model, rho1, times, options, cache_bytes)
    identity = run_identity(run.fingerprint, run.state, times, options, root, start, ntraj, keep_trajectories)
    saver = None if execution.checkpoint is None else Checkpoint(execution.checkpoint, identity,
                                                                 execution.checkpoint_every)
    ens = saver.resume() if saver is not None else None
    if ens is None:
        ens = Ensemble(times=times, sizes=(model.N,), single_block=True, keep_trajectories=keep_trajectories,
                       components=model.d ** 2, kind="qudit")
        ens.meta = run_metadata(model, run.state, options, identity, describe)
        ens.meta["path"] = "irreps"

    def warm_up(ens, bar, progress):
        # compile (or load) the kernels and build the initial irrep here, before the workers start
        wall, cpu = time.perf_counter(), time.process_time()
        probe = copy.copy(run)
        probe.times = np.zeros(1)
        qudit_batch(probe, SeedRange(0, (), 0, 1))
        ens.meta["warm_up_seconds"] = [time.perf_counter() - wall, time.process_time() - cpu]
    return ens, saver, qudit_batch, run, warm_up
