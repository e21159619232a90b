"""Ensembles of trajectories: seeds, batches, running sums and the result object."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .checks import check_times
from .compiled import LADDER, compile_model
from .kernels import run_trajectory
from .options import Options
from .states import InitialState


def ladder_to_moments(first: np.ndarray, second: np.ndarray, sizes) -> tuple[np.ndarray, np.ndarray]:
    """<T^b_q>, <T^b_q T^g_r> -> <m_a^b> (..., B, 3) and Re<m_a^b m_c^g> (..., B, 3, B, 3)."""
    n = np.asarray(sizes, dtype=float)
    B = n.size
    mean = np.einsum("aq,...bq->...ba", LADDER, first).real / n[:, None]
    sec = second.reshape(second.shape[:-2] + (B, 3, B, 3))
    sec = np.einsum("aq,cr,...bqgr->...bagc", LADDER, LADDER, sec).real
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
    cross[t, b, i, k]        sum over trajectories of v_i v_k with v = block_vector (streaming
                             statistics for the estimators)
    trajectory_means(), trajectory_seconds()   per-trajectory data, when keep_trajectories=True
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
    cross: np.ndarray = field(default=None, repr=False)  # (T, B, 9, 9): sums of v_i v_k, v = block_vector
    keep_trajectories: bool = False
    traj_mean: list = field(default_factory=list, repr=False)
    traj_second: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        T, B = len(self.times), len(self.sizes)
        for name, shape in (("sum1", (T, B, 3)), ("sq1", (T, B, 3)), ("sum2", (T, B, 3, B, 3)),
                            ("sq2", (T, B, 3, B, 3)), ("cross", (T, B, 9, 9))):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(shape))

    def add(self, mean: np.ndarray, second: np.ndarray, njumps: int = 0) -> None:
        """Fold one trajectory's <m_a^b> (T, B, 3) and <m m> (T, B, 3, B, 3) into the sums."""
        self.sum1 += mean
        self.sq1 += mean * mean
        self.sum2 += second
        self.sq2 += second * second
        v = block_vector(mean, second)
        self.cross += v[..., :, None] * v[..., None, :]
        self.ntraj += 1
        self.njumps += int(njumps)
        if self.keep_trajectories:
            self.traj_mean.append(mean)
            self.traj_second.append(second)

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
        """(E_N(t), standard error), E_N = 1/2 sum_a omega_t((m_a - m_a^MF(t))^2) (DESIGN §4, paper eq. 24)."""
        from .estimators import clustering
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

    def __str__(self) -> str:
        return (f"Ensemble(ntraj={self.ntraj}, sizes={self.sizes}, times {self.times[0]:g}..{self.times[-1]:g} "
                f"({len(self.times)}), jumps/trajectory={self.njumps / max(self.ntraj, 1):.1f})")


def trajectory_seeds(seed, ntraj: int) -> list[np.random.SeedSequence]:
    """One SeedSequence child per trajectory: trajectory i is the same whatever the batching."""
    return np.random.SeedSequence(seed).spawn(ntraj)


def run_batch(compiled, state: InitialState, sizes, times, seeds, options: Options):
    """Run the trajectories of `seeds`; returns per-trajectory (means, seconds, njumps)."""
    T, B = len(times), len(sizes)
    means = np.empty((len(seeds), T, B, 3))
    seconds = np.empty((len(seeds), T, B, 3, B, 3))
    njumps = np.empty(len(seeds), dtype=np.int64)
    first = np.empty((T, B, 3), complex)
    second = np.empty((T, 3 * B, 3 * B), complex)
    fixed = state.sample(sizes, None) if state.pure else None
    for n, ss in enumerate(seeds):
        rng = np.random.Generator(np.random.PCG64(ss))
        tj, psi = fixed if fixed is not None else state.sample(sizes, rng)
        njumps[n] = run_trajectory(compiled, psi, tj, times, rng, options.tol, options.root_tol,
                                   options.trim, options.max_terms, first, second)
        means[n], seconds[n] = ladder_to_moments(first, second, sizes)
    return means, seconds, njumps


def run_ensemble(model, state: InitialState, times, ntraj: int, seed=None, n_jobs: int = 1,
                 batch_size: int | None = None, options: Options | dict | None = None,
                 keep_trajectories: bool = False) -> Ensemble:
    """Run `ntraj` quantum-jump trajectories of `model` from `state`, recording at `times`.

    Trajectory i uses the i-th child of np.random.SeedSequence(seed), and the statistics are
    folded in trajectory order, so results do not depend on n_jobs or batch_size.
    """
    if isinstance(ntraj, (bool, np.bool_)) or not isinstance(ntraj, (int, np.integer)) or ntraj < 1:
        raise ValueError(f"ntraj must be an integer >= 1, got {ntraj!r}")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int, np.integer)) or n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {n_jobs!r}")
    if not isinstance(state, InitialState):
        raise ValueError(f"state must be an initial state (coherent_state(...), ...), got {type(state).__name__}")
    options = options if isinstance(options, Options) else Options.from_dict(options)
    times = check_times(times)
    sizes = model.sizes
    state.validate(sizes)
    compiled = compile_model(model, options.method)
    seeds = trajectory_seeds(seed, int(ntraj))
    workers = n_jobs if n_jobs > 0 else __import__("os").cpu_count()
    if batch_size is None:
        batch_size = max(1, min(256, math.ceil(ntraj / (4 * workers))))
    batches = [seeds[i:i + batch_size] for i in range(0, ntraj, batch_size)]
    ens = Ensemble(times=times, sizes=sizes, single_block=len(sizes) == 1 and type(model).__name__ == "SpinModel",
                   seed=seed, keep_trajectories=keep_trajectories)
    if workers == 1:
        results = (run_batch(compiled, state, sizes, times, b, options) for b in batches)
    else:
        from joblib import Parallel, delayed
        results = Parallel(n_jobs=workers, return_as="generator")(
            delayed(run_batch)(compiled, state, sizes, times, b, options) for b in batches)
    for means, seconds, njumps in results:
        for m, s2, nj in zip(means, seconds, njumps):
            ens.add(m, s2, nj)
    return ens
