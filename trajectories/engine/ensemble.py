"""Ensembles of trajectories: seeds, batches, running sums and the result object.

Bit-identity: every number a trajectory contributes is computed elementwise (no reduction whose
order could depend on how trajectories are grouped), and the running sums fold trajectories one
at a time in trajectory order. So the same seed gives the same bits for any n_jobs, batch size,
backend, or checkpoint/resume split.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ..base.checks import check_times
from .compiled import compile_model
from .driver import run_trajectory
from ..base.options import Options
from ..sectors.states import InitialState


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


#: the 6 distinct second moments of one block, (a, c) with a <= c, in block_vector order
PAIRS = ((0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2))


def block_vector(mean: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per block the 9 numbers (m_x, m_y, m_z, m_xm_x, m_xm_y, m_xm_z, m_ym_y, m_ym_z, m_zm_z).

    mean (..., B, 3), second (..., B, 3, B, 3) -> (..., B, 9). Their cross-products summed over
    trajectories give standard errors of nonlinear estimators (variances, E_N) by the delta method.
    """
    within = np.moveaxis(np.diagonal(second, axis1=-4, axis2=-2), -1, -3)  # (..., B, 3, 3)
    pairs = np.stack([within[..., a, c] for a, c in PAIRS], axis=-1)
    return np.concatenate([mean, pairs], axis=-1)


@dataclass
class Ensemble:
    """Statistics of an ensemble of trajectories.

    Axes: B blocks, a, c in (x, y, z), T output times. For a SpinModel the block axes are dropped:
    mean (3, T), second (3, 3, T); for a BlockModel mean (B, 3, T), second (B, 3, B, 3, T).

    mean[b, a, t]            omega_t(m_a^b), the ensemble average of <m_a^b>
    stderr                   its standard error (sample std of the trajectory values / sqrt(ntraj))
    second[b, a, g, c, t]    omega_t((m_a^b m_c^g + m_c^g m_a^b) / 2)
    second_stderr            its standard error
    cross[t, b, i, g, k]     sum over trajectories of v^b_i v^g_k with v = block_vector (streaming
                             statistics for the estimators)
    trajectory_means(), trajectory_seconds()   per-trajectory data, when keep_trajectories=True
    segments                 which trajectories were run: [{"entropy", "spawn_key", "start",
                             "stop"}], trajectory i of a segment used SeedSequence(entropy,
                             spawn_key + (i,)), i in start..stop-1 (replayable)
    meta                     plain-data description of the run (model, state, options, identity
                             hashes, versions); saved with the results (results.py)
    """

    times: np.ndarray
    sizes: tuple
    single_block: bool
    ntraj: int = 0
    seed: object = None
    njumps: int = 0
    sum1: np.ndarray = field(default=None, repr=False)   # (T, B, 3)
    sq1: np.ndarray = field(default=None, repr=False)
    sum2: np.ndarray = field(default=None, repr=False)   # (T, B, 3, B, 3)
    sq2: np.ndarray = field(default=None, repr=False)
    cross: np.ndarray = field(default=None, repr=False)  # (T, B, 9, B, 9): sums of v^b_i v^g_k (block_vector)
    keep_trajectories: bool = False
    traj_mean: list = field(default_factory=list, repr=False)
    traj_second: list = field(default_factory=list, repr=False)
    segments: list = field(default_factory=list, repr=False)
    meta: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.times = np.asarray(self.times, dtype=float)
        self.sizes = tuple(int(n) for n in self.sizes)
        T, B = len(self.times), len(self.sizes)
        for name, shape in (("sum1", (T, B, 3)), ("sq1", (T, B, 3)), ("sum2", (T, B, 3, B, 3)),
                            ("sq2", (T, B, 3, B, 3)), ("cross", (T, B, 9, B, 9))):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(shape))

    def add(self, mean: np.ndarray, second: np.ndarray, njumps: int = 0) -> None:
        """Fold one trajectory's <m_a^b> (T, B, 3) and <m m> (T, B, 3, B, 3) into the sums."""
        self.add_batch(np.asarray(mean)[None], np.asarray(second)[None], [njumps])

    def add_batch(self, means: np.ndarray, seconds: np.ndarray, njumps) -> None:
        """Fold trajectories (leading axis, in trajectory order) one at a time into the sums."""
        sq_m, sq_s = means * means, seconds * seconds
        v = block_vector(means, seconds)
        vv = v[..., :, :, None, None] * v[..., None, None, :, :]
        for i in range(len(means)):
            self.sum1 += means[i]
            self.sq1 += sq_m[i]
            self.sum2 += seconds[i]
            self.sq2 += sq_s[i]
            self.cross += vv[i]
            if self.keep_trajectories:
                self.traj_mean.append(means[i])
                self.traj_second.append(seconds[i])
        self.ntraj += len(means)
        self.njumps += int(np.sum(njumps))

    def _axes(self, a: np.ndarray) -> np.ndarray:
        a = np.moveaxis(a, 0, -1)
        if self.single_block:
            a = a[0, :, 0] if a.ndim == 5 else a[0]
        return a

    def _stderr(self, s, sq):
        n = self.ntraj
        if n < 2:
            return np.full(s.shape, np.nan)
        var = (sq - s * s / n) / (n - 1)
        return np.sqrt(np.maximum(var, 0.0) / n)  # tiny negative values are round-off of var = 0

    @property
    def mean(self) -> np.ndarray:
        return self._axes(self.sum1 / self.ntraj)

    @property
    def stderr(self) -> np.ndarray:
        return self._axes(self._stderr(self.sum1, self.sq1))

    @property
    def second(self) -> np.ndarray:
        return self._axes(self.sum2 / self.ntraj)

    @property
    def second_stderr(self) -> np.ndarray:
        return self._axes(self._stderr(self.sum2, self.sq2))

    def clustering(self, mf):
        """(E_N(t), standard error), E_N = 1/2 sum_a omega_t((m_a - m_a^MF(t))^2) (docs/theory.md §4, paper eq. 24)."""
        from ..analysis.estimators import clustering
        return clustering(self, mf)

    def trajectory_means(self) -> np.ndarray:
        """Per-trajectory <m_a^b>, shape (ntraj, T, B, 3) (needs keep_trajectories=True)."""
        if not self.keep_trajectories:
            raise ValueError("per-trajectory data was not kept: run with keep_trajectories=True")
        return np.array(self.traj_mean).reshape(-1, len(self.times), len(self.sizes), 3)

    def trajectory_seconds(self) -> np.ndarray:
        """Per-trajectory symmetrised <m_a^b m_c^g>, shape (ntraj, T, B, 3, B, 3)."""
        if not self.keep_trajectories:
            raise ValueError("per-trajectory data was not kept: run with keep_trajectories=True")
        B = len(self.sizes)
        return np.array(self.traj_second).reshape(-1, len(self.times), B, 3, B, 3)

    def save(self, path) -> None:
        """Write a self-describing .npz results file (see results.save_ensemble)."""
        from ..io.files import save_ensemble
        save_ensemble(self, path)

    @classmethod
    def load(cls, path) -> "Ensemble":
        """Read a results file written by save (see results.load_ensemble)."""
        from ..io.files import load_ensemble
        return load_ensemble(path)

    def merge(self, other: "Ensemble") -> "Ensemble":
        """A new ensemble with the trajectories of both (same model, state, times; see results.merge)."""
        from ..io.files import merge_ensembles
        return merge_ensembles(self, other)

    def __str__(self) -> str:
        return (f"Ensemble(ntraj={self.ntraj}, sizes={self.sizes}, times {self.times[0]:g}..{self.times[-1]:g} "
                f"({len(self.times)}), jumps/trajectory={self.njumps / max(self.ntraj, 1):.1f})")


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


def run_batch(compiled, state: InitialState, sizes, times, seeds, options: Options):
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


def _batch_task(shared, seeds):
    """run_batch with the arguments every batch shares packed in one tuple (sent once to dask)."""
    compiled, state, sizes, times, options = shared
    return run_batch(compiled, state, sizes, times, seeds, options)


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    return int(value)


def run_ensemble(model, state: InitialState, times, ntraj: int, seed=None, n_jobs: int = 1,
                 batch_size: int | None = None, options: Options | dict | None = None,
                 keep_trajectories: bool = False, *, start: int = 0, backend: str = "auto",
                 scheduler=None, checkpoint=None, checkpoint_every: float = 10.0,
                 progress: bool = False, describe: dict | None = None) -> Ensemble:
    """Run `ntraj` quantum-jump trajectories of `model` from `state`, recording at `times`.

    Trajectory i (i = start .. start + ntraj - 1) uses the i-th child of
    np.random.SeedSequence(seed), and the statistics are folded in trajectory order, so results do
    not depend on n_jobs, batch_size, backend or interruptions: the same seed gives the same bits.

    n_jobs : worker processes (-1: all cores); backend : "auto" (serial for n_jobs = 1, else
        joblib), "serial", "joblib", or "dask" (dask.distributed; `scheduler` is an address such as
        "tcp://10.0.0.5:8786", a distributed.Client, or None for the current client or else a new
        LocalCluster of n_jobs processes).
    batch_size : trajectories per task (default: ~8 tasks per worker, at most 256).
    start : index of the first trajectory: run_ensemble(..., start=n) continues an ensemble of n
        trajectories with new ones (merge them with Ensemble.merge).
    checkpoint : path of a results file holding the running sums after the trajectories done so
        far, rewritten atomically at most every `checkpoint_every` seconds and at the end. If it
        exists the run resumes from it (it must have been written for the same model, state, times,
        options, seed, start and ntraj) and ends with the same bits as an uninterrupted run.
    progress : show trajectories done and an ETA on stderr.
    describe : plain data saved in ens.meta["describe"] (e.g. the named model of a config).
    """
    from ..io.checkpoint import Checkpoint
    from .parallel import map_batches, worker_count
    from .progress import Progress
    from ..io.files import run_identity, run_metadata

    ntraj = _check_int("ntraj", ntraj, 1)
    start = _check_int("start", start, 0)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")
    if batch_size is not None:
        batch_size = _check_int("batch_size", batch_size, 1)
    if not isinstance(state, InitialState):
        raise ValueError(f"state must be an initial state (coherent_state(...), ...), got {type(state).__name__}")
    options = options if isinstance(options, Options) else Options.from_dict(options)
    times = check_times(times)
    sizes = model.sizes
    state.validate(sizes)
    root = root_seed(seed)
    if checkpoint is not None and seed is None:
        raise ValueError("checkpoint needs an explicit seed (an integer), or a resumed run would differ")
    compiled = compile_model(model, options.method)
    identity = run_identity(compiled, state, times, options, root, start, ntraj, keep_trajectories)
    single = len(sizes) == 1 and type(model).__name__ == "SpinModel"
    ens = None
    saver = Checkpoint(checkpoint, identity, checkpoint_every) if checkpoint is not None else None
    if saver is not None:
        ens = saver.resume()
    if ens is None:
        ens = Ensemble(times=times, sizes=sizes, single_block=single, seed=seed,
                       keep_trajectories=keep_trajectories)
        ens.meta = run_metadata(model, state, options, identity, describe)
    segment = {"entropy": root.entropy, "spawn_key": list(root.spawn_key), "start": start, "stop": start + ens.ntraj}
    ens.segments = [segment]
    todo = SeedRange(root.entropy, tuple(root.spawn_key), start + ens.ntraj, start + ntraj)
    workers = worker_count(n_jobs, backend, scheduler)
    if batch_size is None:
        batch_size = max(1, min(256, math.ceil(ntraj / (8 * workers))))
    batches = todo.split(batch_size) if len(todo) else []
    t0 = time.perf_counter()
    with Progress(ntraj, done=ens.ntraj, enabled=progress) as bar:
        for means, seconds, njumps in map_batches(_batch_task, (compiled, state, sizes, times, options),
                                                  batches, n_jobs, backend, scheduler):
            ens.add_batch(means, seconds, njumps)
            segment["stop"] = start + ens.ntraj
            bar.update(len(means))
            if saver is not None:
                saver.maybe_write(ens)
    ens.meta["seconds"] = ens.meta.get("seconds", 0.0) + time.perf_counter() - t0
    if saver is not None:
        saver.write(ens)
    return ens
