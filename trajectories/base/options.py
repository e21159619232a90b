"""Options of the solvers: how trajectories are integrated, ODE tolerances, and how a run executes.

Each is a frozen dataclass that validates its fields and rejects unknown keys (`from_dict`).
They say how to compute, never what to compute: the solver's own keywords (ntraj, seed, method)
say that.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields

from .checks import check_bool, check_int, check_positive, check_real_option

#: ways to run batches of trajectories (engine/parallel.py)
BACKENDS = ("auto", "serial", "joblib", "dask")
#: default largest number of integration steps (no-jump steps and jumps of all trajectories, estimated up
#: front) of a run: at the measured 20-45 us a step (engine/work.py SECONDS_PER_STEP), 1e9 steps
#: are 6 to 12 hours on one core
MAX_STEPS = 1e9
#: default largest number of integration steps of an exact solver (DOP853, 12 evaluations of the
#: generator a step; estimated up front from the generator's norm, base/integration.py)
MAX_ODE_STEPS = 1e8
#: memory limit (bytes) when the machine's memory cannot be read
FALLBACK_MEMORY_LIMIT = 2 * 1024 ** 3
#: container memory limits (cgroup v2, v1), read when lower than the physical memory
CGROUP_LIMITS = ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
#: option fields that say how much a run may use, not what it computes (left out of a run's identity)
RESOURCE_FIELDS = ("memory_limit", "max_steps")


def machine_memory() -> int | None:
    """Bytes of memory this process can have: the physical memory, or the container's (cgroup)
    limit when that is lower; None when the operating system does not say."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not a POSIX system
        total = 0
    if total <= 0:
        return None
    for path in CGROUP_LIMITS:
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < total:
            total = int(text)
    return int(total)


def default_memory_limit(total: int | None = None) -> int:
    """Half of `total` bytes (default: machine_memory()), or FALLBACK_MEMORY_LIMIT when unknown."""
    total = machine_memory() if total is None else total
    return FALLBACK_MEMORY_LIMIT if not total or total <= 0 else int(total // 2)


def numerical_options(options: dict) -> dict:
    """Options as a dict without the fields that only limit resources (RESOURCE_FIELDS): the ones
    that change a run's numbers."""
    return {k: v for k, v in options.items() if k not in RESOURCE_FIELDS}


#: default memory limit (bytes) of a trajectory run and of the exact solvers: half of this machine's
#: memory (computed once, at import), 2 GiB when unknown
MEMORY_LIMIT = default_memory_limit()


def memory_limit_advice(needed: float) -> str:
    """The end of a MemoryLimitError message: how to raise options.memory_limit to `needed` bytes."""
    suggest = f"{float(f'{needed * 1.1:.2g}'):.2g}"
    return (f"or, if the machine has the memory, raise the limit: options=dict(memory_limit={suggest}) "
            f"(bytes; a config's [options] memory_limit; the default is half of this machine's memory, "
            f"{MEMORY_LIMIT / 2**30:.3g} GiB)")


#: largest accepted value of each accuracy option of TrajectoryOptions, and why it is a maximum; measured
#: against tol = root_tol = 1e-15, trim = 1e-40 (see the TrajectoryOptions docstring)
TRAJECTORY_MAXIMA = {
    "tol": (1e-5, "larger values truncate the Taylor series of each step too early"),
    "root_tol": (1e-6, "larger values misplace the jump times"),
    "trim": (1e-14, "larger values drop amplitude that carries probability"),
}


class _FromDict:
    @classmethod
    def from_dict(cls, d: dict | None):
        """Build from a plain dict; unknown keys raise ValueError naming them."""
        d = dict(d or {})
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ValueError(f"unknown options {sorted(unknown)}; known: {sorted(known)}")
        return cls(**d)

    @classmethod
    def coerce(cls, value, name: str = "options"):
        """`value` if it is already an instance, else from_dict(value) (None gives the defaults)."""
        if isinstance(value, cls):
            return value
        if value is None or isinstance(value, dict):
            return cls.from_dict(value)
        raise ValueError(f"{name} must be a {cls.__name__} or a dict, got {type(value).__name__}")


@dataclass(frozen=True)
class TrajectoryOptions(_FromDict):
    """How one trajectory is integrated (docs/theory.md §2).

    tol : float in (0, 1e-5]
        Truncation of the Taylor series of each no-jump step: terms are added until
        ||w_K|| < tol ||psi||. The error per step is ~tol; a trajectory takes O(N t) steps, so
        1e-12 keeps the accumulated error of observables below ~1e-7 at N t = 1e5, far under
        any statistical error. Measured (Hopfield N = 1000, t = 0..5, 8 seeded trajectories,
        against tol = 1e-15, trim = 1e-40): the same jump records, and |delta <m_a>| = 5e-15
        (tol 1e-12), 4e-13 (1e-10), 5e-11 (1e-8), 6e-9 (tol 1e-6, trim 1e-16).
        It is also the truncation of the Chebyshev series of a Gamma whose Delta has x or y
        parts: sum of the dropped |c_k| <= tol max|Gamma| (docs/theory.md §15).
    root_tol : float in (0, 1e-6]
        Accuracy of the jump time, as the residual of log||psi||^2 = log r.
    trim : float in (0, 1e-14]
        Window truncation of the banded path: edge amplitudes with |psi_i|^2 <= trim ||psi||^2
        are dropped; 1e-30 keeps the state ~11 standard deviations around its support.
    The maxima of tol, root_tol and trim are measured, not guessed: Hopfield model beta = 2,
    omega = 0.5 from coherent_state(0.4), 8 trajectories of seed 1, max |delta <m_a>| over all
    times against tol = root_tol = 1e-15, trim = 1e-40, varying one option at a time, in the
    runs (a) N = 100, (b) N = 1000, (c) N = 3000 on t = 0..5, (d) N = 1000 on t = 0..20 and
    (e) tagged_hopfield_model(200, ...) (two blocks) on t = 0..5 (statistical errors ~1e-2):
        tol       1e-5: (a) 2e-7 (b) 9e-8 (c) 2e-7 (d) 3e-7 (e) 2e-7   1e-4: (a) 2e-6 (b) 2e-6
        root_tol  1e-6: (a) 3e-8 (b) 6e-8 (c) 1e-7 (d) 3e-7 (e) 2e-8   1e-5: (a) 3e-7 (b) 1e-6
        trim      1e-14: (a) 1e-9 (b) 1e-9 (c) 2e-9 (d) 1e-9 (e) 4e-8  1e-12: (e) 9e-7, 1e-10: (a) 8e-7 (e) 1e-5
    so the maxima are the largest decades below ~1e-6 in every run: tol 1e-5, root_tol 1e-6,
    trim 1e-14. All three at their maxima at once: (a) 1e-7 (b) 1e-7 (d) 6e-7 (e) 2e-7, same jump counts.
    Beyond them the error grows fast (tol 1e-3: 1e-3; root_tol 1e-4: 1e-3; trim 1e-8: 5e-4;
    tol 0.5 was off by 18.5 standard errors, trim 1e-3 by 8.8, trim 0.5 returned m_x = 0 +- 0).
    Larger values raise ValueError naming the option and the safe range.
    max_terms : int in 4..200
        Largest number of Taylor terms before the step is halved.
    method : "auto" | "banded" | "dense"
        "banded" runs every model in the Dicke basis on a window of the state: run_ensemble
        turns the quantisation axis of each block onto the axis most of its Deltas share
        (docs/theory.md §14), and a Delta that still has x or y parts has its Gamma applied as a
        Chebyshev series accurate to tol max|Gamma| (§15). "dense" uses dense per-sector matrices
        (O(dim^2) per step, N up to a few hundred). "auto" is "banded", except that a model that
        would keep Chebyshev series runs "dense" while its dense matrices are small
        (engine.compiled.DENSE_AUTO_BYTES, 4 MiB, about N = 75 spins: measured faster there).
    memory_limit : float > 0
        Bytes the run may use (trajectory buffers of every worker and the dense path's per-sector
        matrices, trajectories.engine.compiled.trajectory_memory); a larger run is refused up
        front (MemoryLimitError) with the estimate. Default MEMORY_LIMIT: half of this machine's
        memory (the physical memory, or a lower container limit), read once at import; 2 GiB
        when the system does not report it. It does not change the numbers, so it is not part
        of a run's identity (checkpoints and merges ignore it).
    max_steps : float > 0
        Integration steps (no-jump steps and jumps, over all trajectories) a run may take, as
        estimated up front from the largest jump rate and Hamiltonian norm
        (trajectories.engine.compiled.check_stiffness); a larger run is refused (WorkLimitError)
        with the estimate. Default MAX_STEPS = 1e9: several hours at the measured 20-45 us a step.
        Like memory_limit it is not part of a run's identity.
    """

    tol: float = 1e-12
    root_tol: float = 1e-12
    trim: float = 1e-30
    max_terms: int = 30
    method: str = "auto"
    memory_limit: float = MEMORY_LIMIT
    max_steps: float = MAX_STEPS

    def __post_init__(self):
        for name, (upper, why) in TRAJECTORY_MAXIMA.items():
            check_real_option(f"options.{name}", getattr(self, name), upper, why)
        if check_int("options.max_terms", self.max_terms, 4) > 200:
            raise ValueError(f"options.max_terms must be an integer in 4..200, got {self.max_terms!r}")
        if self.method not in ("auto", "banded", "dense"):
            raise ValueError(f"options.method must be 'auto', 'banded' or 'dense', got {self.method!r}")
        check_positive("options.memory_limit", self.memory_limit)
        check_positive("options.max_steps", self.max_steps)


@dataclass(frozen=True)
class ODEOptions(_FromDict):
    """Tolerances of the deterministic solvers (exact references, mean field, local generator).

    rtol, atol : float > 0
        Relative and absolute tolerances of scipy's DOP853 integrator.
    memory_limit : float > 0
        Bytes an exact solver may use; a larger problem is refused up front (MemoryLimitError).
        Default MEMORY_LIMIT: half of this machine's memory, 2 GiB when unknown (as for
        TrajectoryOptions).
    max_steps : float > 0
        Integration steps an exact solver may take, estimated up front (generator norm times the
        final time); more are refused (WorkLimitError) with the estimate. Default MAX_ODE_STEPS = 1e8.
    """

    rtol: float = 1e-12
    atol: float = 1e-13
    memory_limit: float = MEMORY_LIMIT
    max_steps: float = MAX_ODE_STEPS

    def __post_init__(self):
        check_positive("options.rtol", self.rtol, upper=1)
        check_positive("options.atol", self.atol)
        check_positive("options.memory_limit", self.memory_limit)
        check_positive("options.max_steps", self.max_steps)


@dataclass(frozen=True)
class ExecutionOptions(_FromDict):
    """How an ensemble runs: workers, batches, progress and checkpoints (not what it computes).

    n_jobs : int >= 1 or -1
        Worker processes (-1: all cores).
    backend : "auto" | "serial" | "joblib" | "dask"
        "auto" is serial for n_jobs = 1, else joblib; "dask" runs on dask.distributed.
    scheduler : str, distributed.Client or None
        For "dask": an address such as "tcp://10.0.0.5:8786", a Client, or None (the current
        client, else a LocalCluster of n_jobs processes). With backend "auto" a scheduler selects
        "dask"; with "serial" or "joblib" it is a ValueError.
    batch_size : int >= 1 or None
        Trajectories per task (default ~8 tasks per worker, at most 256).
    progress : bool
        Show trajectories done and an ETA on stderr. Before a run whose Numba kernels are neither
        compiled nor in the on-disk cache, one line says "compiling kernels (first run only) ...";
        the ETA leaves out each worker's first batch, which pays for that compilation.
    checkpoint : path or None
        Results file holding the running sums of the trajectories done so far; a run with the
        same arguments resumes from it and ends with the same bits.
    checkpoint_every : float >= 0
        Seconds between checkpoint writes (and one at the end).
    """

    n_jobs: int = 1
    backend: str = "auto"
    scheduler: object = None
    batch_size: int | None = None
    progress: bool = False
    checkpoint: object = None
    checkpoint_every: float = 10.0

    def __post_init__(self):
        n = self.n_jobs
        if isinstance(n, bool) or not isinstance(n, int) or n == 0 or n < -1:
            raise ValueError(f"n_jobs must be a positive integer or -1 (all cores), got {n!r}")
        backend = "joblib" if self.backend == "loky" else self.backend
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(map(repr, BACKENDS))}, got {self.backend!r}")
        if self.scheduler is not None and backend == "auto":
            backend = "dask"   # a scheduler is dask's: with the default backend it means dask
        if self.scheduler is not None and backend != "dask":
            raise ValueError(f"scheduler is used by backend 'dask' only, got backend {self.backend!r} with "
                             f"scheduler {self.scheduler!r}: set backend='dask' (a config's [run] backend) or "
                             "leave the scheduler out")
        object.__setattr__(self, "backend", backend)
        check_int("batch_size", self.batch_size, 1, allow_none=True)
        check_bool("progress", self.progress)
        every = self.checkpoint_every
        if isinstance(every, bool) or not isinstance(every, (int, float)) or every < 0:
            raise ValueError(f"checkpoint_every must be a number of seconds >= 0, got {every!r}")

    @property
    def resolved_backend(self) -> str:
        """The backend that runs: "auto" resolved to "serial" (n_jobs = 1) or "joblib"."""
        if self.backend == "auto":
            return "serial" if self.n_jobs == 1 else "joblib"
        return self.backend
