"""The result of a trajectory ensemble: running sums in trajectory order, and merging.

Bit-identity: every number a trajectory contributes is computed elementwise, and the running sums
fold trajectories one at a time in trajectory order (docs/theory.md §4), so the same seed gives the
same bits for any number of workers, batch size, backend, or checkpoint/resume split. Axis
conventions: trajectories/base/results.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .grid import find_distribution
from .options import numerical_options
from .results import DiagonalResults, Result, Statistics, block_vector, vector_size

#: the running sums of an ensemble
SUMS = ("sum1", "sq1", "sum2", "sq2", "cross", "hist_sum", "hist_sq", "obs_sum", "obs_cross")
#: identity entries that must agree for two ensembles to be merged
SAME_PHYSICS = ("model", "state", "times", "options")


@dataclass
class Ensemble(DiagonalResults, Result):
    """Statistics of an ensemble of trajectories (axes: trajectories/base/results.py).

    mean[b, a, t]            omega_t(m_a^b), the ensemble average of <m_a^b>; a QuditModel's ensemble
                             (kind "qudit", components d^2, one block, axes dropped) has mean[a, t],
                             the components in the model's basis, and second[a, c, t]
    stderr                   its standard error (sample std of the trajectory values / sqrt(ntraj))
    second[b, a, g, c, t]    omega_t((m_a^b m_c^g + m_c^g m_a^b) / 2)
    second_stderr            its standard error
    cross[t, b, i, g, k]     sum over trajectories of v^b_i v^g_k with v = block_vector (streaming
                             statistics for the estimators)
    diagonal                 what was recorded besides the moments (names of the distributions,
                             their weights and bins, names of the diagonal observables;
                             base/grid.py DiagonalSpec.describe plus "values")
    distribution(...), observable(name)   P(value, t) and <f>(t) with standard errors
    trajectory_means(), trajectory_seconds()   per-trajectory data, when keep_trajectories=True
    segments                 which trajectories were run: [{"entropy", "spawn_key", "start",
                             "stop"}], trajectory i of a segment used SeedSequence(entropy,
                             spawn_key + (i,)), i in start..stop-1 (replayable)
    meta                     plain-data description of the run (model, state, options, identity
                             hashes, versions); saved with the results (trajectories/io/files.py)
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
    diagonal: dict = field(default_factory=dict, repr=False)
    hist_sum: np.ndarray = field(default=None, repr=False)   # (T, nbins)
    hist_sq: np.ndarray = field(default=None, repr=False)
    obs_sum: np.ndarray = field(default=None, repr=False)    # (T, K)
    obs_cross: np.ndarray = field(default=None, repr=False)  # (T, K, K) sums of o_k o_l
    traj_mean: list = field(default_factory=list, repr=False)
    traj_second: list = field(default_factory=list, repr=False)
    traj_hist: list = field(default_factory=list, repr=False)
    traj_obs: list = field(default_factory=list, repr=False)
    segments: list = field(default_factory=list, repr=False)
    meta: dict = field(default_factory=dict, repr=False)
    components: int = 3     # C: 3 per spin block, d^2 for a QuditModel
    kind: str = "spin"      # "spin" or "qudit"

    def __post_init__(self):
        self.times = np.asarray(self.times, dtype=float)
        self.sizes = tuple(int(n) for n in self.sizes)
        T, B, C = len(self.times), len(self.sizes), self.components
        V = vector_size(C)
        for name, shape in (("sum1", (T, B, C)), ("sq1", (T, B, C)), ("sum2", (T, B, C, B, C)),
                            ("sq2", (T, B, C, B, C)), ("cross", (T, B, V, B, V))):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(shape))
        nbins = sum(len(v) for v in self.diagonal.get("values", []))
        K = len(self.diagonal.get("observables", []))
        for name, shape in (("hist_sum", (T, nbins)), ("hist_sq", (T, nbins)), ("obs_sum", (T, K)),
                            ("obs_cross", (T, K, K))):
            if getattr(self, name) is None:
                setattr(self, name, np.zeros(shape))

    def add(self, mean: np.ndarray, second: np.ndarray, njumps: int = 0, hist=None, obs=None) -> None:
        """Fold one trajectory's <m_a^b> (T, B, 3) and <m m> (T, B, 3, B, 3) into the sums."""
        hist = None if hist is None else np.asarray(hist)[None]
        obs = None if obs is None else np.asarray(obs)[None]
        self.add_batch(np.asarray(mean)[None], np.asarray(second)[None], [njumps], hist, obs)

    def add_batch(self, means: np.ndarray, seconds: np.ndarray, njumps, hist=None, obs=None) -> None:
        """Fold trajectories (leading axis, in trajectory order) one at a time into the sums;
        hist (n, T, nbins) and obs (n, T, K) are their diagonal quantities (None: none recorded)."""
        n, T = len(means), len(self.times)
        hist = np.zeros((n, T, 0)) if hist is None else hist
        obs = np.zeros((n, T, 0)) if obs is None else obs
        if hist.shape[1:] != self.hist_sum.shape or obs.shape[1:] != self.obs_sum.shape:
            raise ValueError(f"diagonal quantities of shape {hist.shape[1:]}, {obs.shape[1:]} do not match "
                             f"this ensemble's {self.hist_sum.shape}, {self.obs_sum.shape}")
        for i in range(n):  # products per trajectory: the batch's outer products would need (V B)^2 T n floats
            v = block_vector(means[i], seconds[i])
            self.sum1 += means[i]
            self.sq1 += means[i] * means[i]
            self.sum2 += seconds[i]
            self.sq2 += seconds[i] * seconds[i]
            self.cross += v[..., :, :, None, None] * v[..., None, None, :, :]
            self.hist_sum += hist[i]
            self.hist_sq += hist[i] * hist[i]
            self.obs_sum += obs[i]
            self.obs_cross += obs[i][..., :, None] * obs[i][..., None, :]
            if self.keep_trajectories:
                self.traj_mean.append(means[i])
                self.traj_second.append(seconds[i])
                self.traj_hist.append(hist[i])
                self.traj_obs.append(obs[i])
        self.ntraj += n
        self.njumps += int(np.sum(njumps))

    exact = False

    def _stderr(self, s, sq):
        n = self.ntraj
        if n < 2:
            return np.full(s.shape, np.nan)
        var = (sq - s * s / n) / (n - 1)
        return np.sqrt(np.maximum(var, 0.0) / n)  # tiny negative values are round-off of var = 0

    @property
    def mean(self) -> np.ndarray:
        return self.public(self.sum1 / self.ntraj)

    @property
    def stderr(self) -> np.ndarray:
        return self.public(self._stderr(self.sum1, self.sq1))

    @property
    def second(self) -> np.ndarray:
        return self.public(self.sum2 / self.ntraj, blocks=2)

    @property
    def second_stderr(self) -> np.ndarray:
        return self.public(self._stderr(self.sum2, self.sq2), blocks=2)

    def moment_arrays(self):
        return self.sum1 / self.ntraj, self.sum2 / self.ntraj

    def statistics(self) -> Statistics:
        """Mean block vector, covariance of the per-trajectory block vectors across blocks
        (T, B, 9, B, 9) from the streamed cross-products (None for ntraj < 2), and ntraj."""
        n = self.ntraj
        s = block_vector(self.sum1, self.sum2)
        mu = s / max(n, 1)
        if n < 2:
            return Statistics(mu, None, n)
        cov = (self.cross - s[..., :, :, None, None] * s[..., None, None, :, :] / n) / (n - 1)
        return Statistics(mu, cov, n)

    def distribution(self, block=None, *, name=None, weights=None):
        """The quantum distribution P(value, t) = E|<value|psi(t)>|^2 over trajectories.

        One of: block (P(m_z^b), the default block 0), name (a recorded combination) or weights
        (B,) (a recorded combination sum_b w_b m_z^b). Returns (values (nb,) ascending,
        P (nb, T), stderr (nb, T)); sum over values of P is 1 at every time."""
        r = find_distribution(self.diagonal.get("distributions", []), self._weights(), block, name, weights)
        lo, hi = self._bins(r)
        P = self.hist_sum[:, lo:hi] / self.ntraj
        return self._values(r), P.T, self._stderr(self.hist_sum[:, lo:hi], self.hist_sq[:, lo:hi]).T

    def observable(self, name: str):
        """(<f>(t) (T,), stderr (T,)) of the recorded diagonal observable `name`."""
        k = self._observable_index(name)
        s, sq = self.obs_sum[:, k], self.obs_cross[:, k, k]
        return s / self.ntraj, self._stderr(s, sq)

    def observable_covariance(self) -> np.ndarray:
        """(T, K, K) covariance of the ensemble means of the diagonal observables (their standard
        errors squared on the diagonal; NaN for ntraj < 2)."""
        n, s = self.ntraj, self.obs_sum
        if n < 2:
            return np.full(self.obs_cross.shape, np.nan)
        cov = (self.obs_cross - s[..., :, None] * s[..., None, :] / n) / (n - 1) / n
        diag = np.einsum("...kk->...k", cov)      # a view: round-off of a zero variance can be < 0
        np.maximum(diag, 0.0, out=diag)
        return cov

    def trajectory_diagonal(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-trajectory (hist (ntraj, T, nbins), obs (ntraj, T, K)) (keep_trajectories=True)."""
        if not self.keep_trajectories:
            raise ValueError("per-trajectory data was not kept: run with keep_trajectories=True")
        shape = (len(self.traj_hist), len(self.times))
        return (np.array(self.traj_hist).reshape(shape + self.hist_sum.shape[1:]),
                np.array(self.traj_obs).reshape(shape + self.obs_sum.shape[1:]))

    def trajectory_means(self) -> np.ndarray:
        """Per-trajectory <m_a^b>, shape (ntraj, T, B, 3) (needs keep_trajectories=True)."""
        if not self.keep_trajectories:
            raise ValueError("per-trajectory data was not kept: run with keep_trajectories=True")
        return np.array(self.traj_mean).reshape(-1, len(self.times), len(self.sizes), self.components)

    def trajectory_seconds(self) -> np.ndarray:
        """Per-trajectory symmetrised <m_a^b m_c^g>, shape (ntraj, T, B, 3, B, 3)."""
        if not self.keep_trajectories:
            raise ValueError("per-trajectory data was not kept: run with keep_trajectories=True")
        B, C = len(self.sizes), self.components
        return np.array(self.traj_second).reshape(-1, len(self.times), B, C, B, C)

    def merge(self, other: "Ensemble") -> "Ensemble":
        """A new ensemble with the trajectories of both (same model, state, times and options).

        The two are ordered by their seeds' trajectory ranges. If the later one kept per-trajectory
        data, its trajectories are folded one at a time onto the earlier one's running sums: when
        the two are trajectories 0..k-1 and k..n-1 of one seed this is exactly the order of one run
        of n, so the merge is bit-identical to it. Otherwise the running sums are added, which
        equals one run to round-off (floating-point addition is not associative: ~1e-16 relative).
        """
        return _merge(self, other)

    def __str__(self) -> str:
        return (f"Ensemble(ntraj={self.ntraj}, sizes={self.sizes}, times {self.times[0]:g}..{self.times[-1]:g} "
                f"({len(self.times)}), jumps/trajectory={self.njumps / max(self.ntraj, 1):.1f})")


def stream_key(entropy, spawn_key) -> tuple:
    """What decides the trajectories of the seeds SeedSequence(entropy, spawn_key + (i,)): the pool
    of the first one (numpy mixes a child's entropy padded with zeros to the pool size, so 7, [7],
    [7, 0] and np.uint32(7) spell one seed, while [7, 0, 0, 0, 0] is another). Seed spellings with
    equal keys give the same trajectories, bit for bit."""
    child = np.random.SeedSequence(entropy, spawn_key=tuple(spawn_key) + (0,))
    return tuple(int(w) for w in child.pool)


def _same_stream(s: dict, t: dict) -> bool:
    return stream_key(s["entropy"], s["spawn_key"]) == stream_key(t["entropy"], t["spawn_key"])


def _overlap(a: list, b: list):
    for s in a:
        for t in b:
            if _same_stream(s, t) and max(s["start"], t["start"]) < min(s["stop"], t["stop"]):
                return max(s["start"], t["start"]), min(s["stop"], t["stop"])
    return None


def _coalesce(segments: list) -> list:
    out = []
    for s in segments:
        if out and _same_stream(out[-1], s) and out[-1]["stop"] == s["start"]:
            out[-1] = {**out[-1], "stop": s["stop"]}
        else:
            out.append(dict(s))
    return out


def _physics(identity: dict, key: str):
    """identity[key]; options without their resource fields (a memory limit changes no number)."""
    value = identity[key]
    return numerical_options(value) if key == "options" and isinstance(value, dict) else value


def _merge(a: Ensemble, b: Ensemble) -> Ensemble:
    """Ensemble.merge."""
    if a.sizes != b.sizes or a.single_block != b.single_block or (a.kind, a.components) != (b.kind, b.components):
        raise ValueError(f"cannot merge ensembles of different models: sizes {a.sizes} and {b.sizes}")
    if a.times.shape != b.times.shape or not np.array_equal(a.times, b.times):
        raise ValueError("cannot merge ensembles recorded at different times")
    if a.diagonal != b.diagonal:
        raise ValueError("cannot merge ensembles that recorded different distributions or observables")
    ia, ib = a.meta.get("identity", {}), b.meta.get("identity", {})
    differ = [k for k in SAME_PHYSICS if k in ia and k in ib and _physics(ia, k) != _physics(ib, k)]
    if differ:
        raise ValueError(f"cannot merge ensembles with different {', '.join(differ)}")
    shared = _overlap(a.segments, b.segments)
    if shared:
        raise ValueError(f"the ensembles share trajectories {shared[0]}..{shared[1] - 1} of the same seed: "
                         "merging would count them twice (run the second with start=...)")

    def order(e):
        s = e.segments[0] if e.segments else {"entropy": 0, "spawn_key": [], "start": 0}
        return (str(s["entropy"]), s["spawn_key"], s["start"])
    first, later = (a, b) if order(a) <= order(b) else (b, a)
    keep = first.keep_trajectories and later.keep_trajectories
    out = Ensemble(times=first.times.copy(), sizes=first.sizes, single_block=first.single_block,
                   ntraj=first.ntraj, seed=first.seed, njumps=first.njumps, keep_trajectories=keep,
                   diagonal=first.diagonal, components=first.components, kind=first.kind,
                   **{k: getattr(first, k).copy() for k in SUMS})
    if keep:
        out.traj_mean, out.traj_second = list(first.traj_mean), list(first.traj_second)
        out.traj_hist, out.traj_obs = list(first.traj_hist), list(first.traj_obs)
    if later.keep_trajectories:
        out.add_batch(later.trajectory_means(), later.trajectory_seconds(), [later.njumps],
                      *later.trajectory_diagonal())
    else:
        for k in SUMS:
            setattr(out, k, getattr(out, k) + getattr(later, k))
        out.ntraj += later.ntraj
        out.njumps += later.njumps
    out.segments = _coalesce(list(first.segments) + list(later.segments))
    out.meta = dict(first.meta)
    if "identity" in out.meta:
        out.meta["identity"] = {k: v for k, v in out.meta["identity"].items() if k in SAME_PHYSICS}
    out.meta["seconds"] = first.meta.get("seconds", 0.0) + later.meta.get("seconds", 0.0)
    return out
