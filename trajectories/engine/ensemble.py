"""run_ensemble: many trajectories of a model, folded in trajectory order into an Ensemble.

Trajectory i (i = start .. start + ntraj - 1) uses the i-th child of np.random.SeedSequence(seed);
batches go to workers as seed ranges and their results are folded in trajectory order, so the same
seed gives the same bits for any number of workers, batch size, backend or interruption
(docs/theory.md §4).
"""
from __future__ import annotations

import math
import time
import warnings

from models.qudit import QuditModel
from ..base.checks import check_bool, check_int, check_model, check_times
from ..base.ensemble import Ensemble
from ..base.errors import WorkerLostError
from ..base.options import ExecutionOptions, TrajectoryOptions
from ..base.results import drops_block_axes
from ..base.grid import diagonal_spec
from ..io.checkpoint import Checkpoint
from ..io.provenance import diagonal_hash, run_identity, run_metadata
from ..io.records import RecordsWriter
from ..sectors.frame import quantisation_frame, rotate_model
from ..sectors.states import InitialState
from .batch import batch_task, warm_up_arguments
from .compiled import (DENSE_AUTO_BYTES, check_memory, check_stiffness, compile_model, dense_matrix_bytes,
                       polynomial_channels, recorded_memory)
from .driver import kernels_ready, run_trajectory
from .irrep_ensemble import prepare_qudit_run
from .parallel import local_workers, map_batches, worker_count
from .progress import Progress
from .seeds import SeedRange, root_seed
from .stopping import STOP_BATCH, StopRule


#: shown (with progress on) before a run whose kernels are neither compiled nor cached for its types
#: (driver.kernels_ready; not for a remote dask scheduler, whose workers have their own cache)
COMPILE_NOTICE = "compiling kernels (first run only) ..."
#: the kinds of spin runs (_prepare_spin_run) whose kernels this process has compiled or loaded
_WARMED: set = set()


def run_ensemble(model, state: InitialState, times, *, ntraj: int, seed=None, start: int = 0,
                 keep_trajectories: bool = False, distributions=False, observables: dict | None = None,
                 records=None, options: TrajectoryOptions | dict | None = None,
                 execution: ExecutionOptions | dict | None = None,
                 target_stderr: float | None = None, target_mf=None, timeout: float | None = None,
                 describe: dict | None = None) -> Ensemble:
    """Run `ntraj` quantum-jump trajectories of `model` from `state`, recording at `times`.

    Parameters
    ----------
    model : SpinModel, BlockModel or QuditModel
    state : InitialState (coherent_state(...), product_state(...), ...); for a QuditModel a (d, d)
        single-site density matrix rho_1 (the product state rho_1^(x)N, pure or mixed)
    times : (T,) strictly increasing output times >= 0
    ntraj : number of trajectories (>= 1)
    seed : int >= 0, a sequence of them, a SeedSequence, or None (fresh entropy)
    start : index of the first trajectory: start = n continues an ensemble of n trajectories of
        the same seed with new ones (combine them with Ensemble.merge)
    keep_trajectories : keep per-trajectory data (bootstrap, paired differences)
    distributions : True records the quantum distribution P(m_z^b, t) = E|<m|psi(t)>|^2 of every
        block (ens.distribution(block)); a dict name -> weights (B,) adds the distributions of
        sum_b w_b m_z^b (e.g. Hopfield pattern overlaps; ens.distribution(name=...))
    observables : dict name -> f(m_z^1, ..., m_z^B), vectorised functions of the block
        magnetisations, tabulated on the grid before the run; ens.observable(name) gives
        E<psi|f|psi>(t) with its standard error
    records : a folder: every trajectory's <m_a^b>(t), 2j_b(t), distributions and observables and
        its jumps (times, channels, sectors) are streamed there batch by batch
        (trajectories/io/records.py; read with load_records)
    options : TrajectoryOptions (how a trajectory is integrated)
    execution : ExecutionOptions (workers, backend, batches, progress, checkpoint)
    target_stderr : stop before `ntraj` (then a maximum) once the largest standard error of the
        means over components and times, or of E_N(t) over times when `target_mf` is given, is at
        most this (checked after each batch of 64 trajectories, or execution.batch_size, on at
        least 32; the same bits for any number of workers and after a resume: engine/stopping.py)
    target_mf : the mean field (MeanFieldResult or array) E_N is taken against for target_stderr
    timeout : seconds after which the run stops at the end of the running batch (the prefix then
        depends on the machine)
    describe : plain data saved in ens.meta["describe"] (e.g. the named model of a config)

    Returns
    -------
    Ensemble (with a target or timeout, ens.meta["stopped"] says why and after how many
    trajectories it stopped) with mean, stderr (B, 3, T) and second, second_stderr (B, 3, B, 3, T) (block axes
    dropped for a SpinModel; trajectories/base/results.py); for a QuditModel mean (d^2, T) and
    second (d^2, d^2, T), the components in the model's basis (engine/irrep_ensemble.py). What is
    recorded never changes a trajectory: the same seed gives the same moments with or without
    distributions or records.
    """
    check_model(model)
    ntraj = check_int("ntraj", ntraj, 1)
    start = check_int("start", start, 0)
    stop = StopRule.of(target_stderr, target_mf, timeout)
    keep_trajectories = check_bool("keep_trajectories", keep_trajectories)
    options = TrajectoryOptions.coerce(options, "options")
    execution = ExecutionOptions.coerce(execution, "execution")
    times = check_times(times)
    root = root_seed(seed)
    if execution.checkpoint is not None and seed is None:
        raise ValueError("a checkpoint needs an explicit seed (an integer), or a resumed run would differ")
    execution = local_workers(execution)
    if isinstance(model, QuditModel):
        _refuse_diagonal_quantities(distributions, observables, records)
        ens, saver, task, shared, warm_up = prepare_qudit_run(model, state, times, ntraj, root, start,
                                                              keep_trajectories, options, execution, describe)
        ens.seed, writer = seed, None
    else:
        ens, saver, writer, shared, warm_up = _prepare_spin_run(
            model, state, times, ntraj, seed, root, start, keep_trajectories, distributions, observables,
            records, options, execution, describe)
        task = batch_task
    segment = {"entropy": root.entropy, "spawn_key": list(root.spawn_key), "start": start,
               "stop": start + ens.ntraj}
    ens.segments = [segment]
    todo = SeedRange(root.entropy, tuple(root.spawn_key), start + ens.ntraj, start + ntraj)
    batches = todo.split(batch_length(execution, ntraj, stop.has_target)) if len(todo) else []
    if ens.ntraj and stop.reason(ens, 0.0) == "target_stderr":   # a resumed run that had met its target
        batches = []
    bar = Progress(ntraj, done=ens.ntraj, enabled=execution.progress, warmup=worker_count(execution))
    if batches and execution.scheduler is None:
        warm_up(ens, bar, execution.progress)
    _fold(ens, map_batches(task, shared, batches, execution), segment, saver, bar, writer, stop)
    return ens


def batch_length(execution: ExecutionOptions, ntraj: int, stopping: bool = False) -> int:
    """Trajectories per batch: execution.batch_size, else STOP_BATCH for a run with a stopping target
    (`stopping`), else ~8 batches per worker, at most 256."""
    default = STOP_BATCH if stopping else max(1, min(256, math.ceil(ntraj / (8 * worker_count(execution)))))
    return execution.batch_size or default


def _prepare_spin_run(model, state, times, ntraj, seed, root, start, keep_trajectories, distributions,
                      observables, records, options, execution, describe):
    """(ens, saver, writer, shared, warm_up) of a spin model's run (run_ensemble)."""
    if not isinstance(state, InitialState):
        raise ValueError(f"state must be an initial state (coherent_state(...), ...), got {type(state).__name__}")
    state.validate(model.sizes)
    spec = diagonal_spec(model.sizes, distributions, observables)
    frame, run_model, run_state, method = rotated_frame(model, state, options.method, spec)
    workers = worker_count(execution)
    batch = max(batch_length(execution, ntraj), batch_length(execution, ntraj, True))  # with or without a target
    recorded = recorded_memory(len(times), len(model.sizes), spec.nbins, len(spec.observables), batch, workers,
                               ntraj, keep_trajectories)
    check_memory(run_model, method, options.max_terms, workers, options.memory_limit, recorded)
    compiled = compile_model(run_model, method, options.memory_limit, options.tol)
    check_stiffness(compiled, times, ntraj, options.max_steps)
    recorded = {} if spec.empty else {"diagonal": diagonal_hash(spec)}
    if records is not None:
        recorded["records"] = True
    identity = run_identity(compiled, state, times, options, root, start, ntraj, keep_trajectories, recorded)
    saver = None if execution.checkpoint is None else Checkpoint(
        execution.checkpoint, identity, execution.checkpoint_every)
    ens = saver.resume() if saver is not None else None
    if ens is None:
        ens = Ensemble(times=times, sizes=model.sizes, single_block=drops_block_axes(model), seed=seed,
                       keep_trajectories=keep_trajectories,
                       diagonal={**spec.describe(), "values": [v.tolist() for v in spec.values]})
        ens.meta = run_metadata(model, state, options, identity, describe)
        ens.meta["path"] = method if frame is None else "rotated"   # the banded kernels in a turned frame
        if frame is not None:
            ens.meta["frame"] = frame.tolist()
    writer = None if records is None else RecordsWriter(records, identity, times, start + ens.ntraj)
    shared = (compiled, run_state, model.sizes, times, options, spec, records is not None, frame)

    # the kernels' argument types follow from these (the path's tuple type, blocks, what is recorded)
    kind = (type(compiled), len(model.sizes), spec.empty, records is not None)

    def warm_up(ens, bar, progress):
        # compile (or load) the kernel here, once, before the workers start: they then load it from
        # the on-disk cache instead of compiling a copy each; a serial run of a kind this process
        # has warmed up already needs none (its first trajectory would find the kernel loaded, and
        # typing the arguments to check that costs ~1 ms, as much as a small run)
        if execution.resolved_backend == "serial" and kind in _WARMED:
            return
        args = warm_up_arguments(shared)
        ready = kernels_ready(args)
        if progress and not ready:
            bar.notice(COMPILE_NOTICE)
        wall, cpu = time.perf_counter(), time.process_time()
        run_trajectory(*args)
        if not ready:
            ens.meta["compile_seconds"] = [time.perf_counter() - wall, time.process_time() - cpu]
            if progress:
                bar.notice(f"kernels compiled in {ens.meta['compile_seconds'][0]:.0f} s "
                           f"({ens.meta['compile_seconds'][1]:.0f} CPU-s)")
        _WARMED.add(kind)
    return ens, saver, writer, shared, warm_up


def _refuse_diagonal_quantities(distributions, observables, records) -> None:
    if distributions or observables or records is not None:
        raise ValueError("distributions, observables and records are not recorded for a QuditModel yet "
                         "(its mean and second moments are): leave them out")


def rotated_frame(model, state: InitialState, method: str, spec):
    """(frame, model, state, method) the kernels run.

    "dense" runs the model as it is. Otherwise the rotations of sectors/frame.py, with the rotated
    model and state, when a Delta has x or y parts and turning some block's axis helps
    (docs/theory.md §14), else (None, model, state). "auto" takes the dense path instead when
    channels would remain Chebyshev series (§15) and the dense matrices are small
    (compiled.DENSE_AUTO_BYTES: there the dense matvec is the faster exact one)."""
    if method == "dense":
        return None, model, state, "dense"
    frame = quantisation_frame(model)
    run_model = model if frame is None else rotate_model(model, frame)
    if (method == "auto" and polynomial_channels(run_model)
            and dense_matrix_bytes(model) <= DENSE_AUTO_BYTES):
        return None, model, state, "dense"
    if frame is None:
        return None, model, state, "banded"
    if not spec.empty:
        raise ValueError("distributions and diagonal observables are functions of m_z, which is not diagonal "
                         "in the rotated quantisation frame of this model's Deltas (x or y parts): record them "
                         "with options.method = 'dense', or leave them out")
    return frame, run_model, state.rotated(model.sizes, frame), "banded"


def _what_is_kept(ens: Ensemble, saver) -> str:
    """After a lost worker: what the checkpoint keeps and how to resume."""
    if ens.ntraj == 0:
        return "no trajectory had finished: run the same command (or call) again"
    if saver is None:
        return (f"the {ens.ntraj} trajectories done are lost (no checkpoint: give execution.checkpoint to keep "
                "them)")
    return (f"the checkpoint {saver.path} keeps the {ens.ntraj} trajectories done: run the same command (or "
            "call) again to resume from it")


def _fold(ens: Ensemble, results, segment: dict, saver, bar, writer=None, stop: StopRule = StopRule()) -> None:
    """Fold batch results into `ens` in order, writing their records (before the checkpoint that
    counts them) and checkpointing as they arrive; after each batch, `stop` may end the run (the
    batches not yet folded are cancelled).

    ens.meta["seconds"] accumulates the run time over every session of a resumed run. An
    interruption (Ctrl-C, or SIGTERM turned into KeyboardInterrupt by the command line) writes a
    last checkpoint of the trajectories folded so far, unless it struck inside a fold.
    """
    before, t0 = ens.meta.get("seconds", 0.0), time.perf_counter()
    folding = False
    ens.meta.pop("stopped", None)   # decided again by this session (a resumed run's rule may differ)

    def stamp():
        ens.meta["seconds"] = before + time.perf_counter() - t0

    try:
        with bar:
            for batch in results:
                folding = True
                ens.add_batch(batch.means, batch.seconds, batch.njumps, batch.hist, batch.obs)
                folding = False
                if writer is not None:
                    writer.write(batch)
                segment["stop"] += len(batch.means)
                bar.update(len(batch.means))
                if saver is not None:
                    stamp()
                    saver.maybe_write(ens)
                reason = stop.reason(ens, time.perf_counter() - t0)
                if reason is not None:
                    stop.record(ens, reason)
                    break
    except KeyboardInterrupt:
        if saver is not None and not folding:
            stamp()
            saver.write(ens)
        raise
    except WorkerLostError as err:
        if saver is not None:
            stamp()
            saver.write(ens)
        raise WorkerLostError(f"{err}; {_what_is_kept(ens, saver)}") from None
    finally:
        with warnings.catch_warnings():   # joblib warns that the batches a stop makes unneeded were cancelled
            warnings.filterwarnings("ignore", message=".*have been cancelled", category=UserWarning)
            if hasattr(results, "close"):
                results.close()
    if (stop.has_target or stop.timeout is not None) and "stopped" not in ens.meta:
        stop.record(ens, stop.reason(ens, time.perf_counter() - t0) or "ntraj")
    stamp()
    if saver is not None:
        saver.write(ens)
