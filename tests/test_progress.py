"""Progress display: a compile notice on a first run, and an ETA that leaves out the compilation."""
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import trajectories.engine.ensemble as engine
from trajectories.base.options import TrajectoryOptions
from trajectories.engine.batch import integration_failure, warm_up_arguments
from trajectories.engine.compiled import compile_model
from trajectories.engine.propagate import NORM_FAILED, TAYLOR_FAILED
from trajectories import coherent_state, run_ensemble
from trajectories.engine.driver import kernels_ready
from trajectories.engine.progress import Progress

from systems import hopfield

ROOT = Path(__file__).resolve().parents[1]


class Terminal(io.StringIO):
    """A stream that says it is a terminal (the plain bar then redraws every half second)."""

    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def plain(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm fails: the plain bar


def test_the_eta_leaves_out_the_first_batch_of_a_serial_run(plain):
    """40 s of compilation, then batches of 10 trajectories in 2 s: after the second batch the ETA
    is 80 trajectories at 5 per second, 16 s (counting the compilation it would say 176 s)."""
    clock, stream = Clock(), Terminal()
    with Progress(100, stream=stream, warmup=1, clock=clock) as bar:
        clock.now = 42.0
        bar.update(10)
        assert bar.eta(clock.now) is None
        assert stream.getvalue().endswith("10/100 trajectories (10%), 0:42 elapsed, ETA ?")
        clock.now = 44.0
        bar.update(10)
        assert bar.eta(clock.now) == pytest.approx(16.0)
        assert stream.getvalue().endswith("20/100 trajectories (20%), 0:44 elapsed, ETA 0:16")
        for _ in range(8):
            clock.now += 2.0
            bar.update(10)
        assert bar.eta(clock.now) == 0.0 and stream.getvalue().endswith("ETA 0:00")


def test_the_eta_of_two_workers_starts_once_both_have_compiled(plain):
    """Two workers each compile for 40 s; their first batches come in at 42 and 42.5 s. The rate is
    measured from the second one: 10 trajectories per second, so 6 s for the last 60."""
    clock = Clock()
    bar = Progress(100, stream=io.StringIO(), warmup=2, clock=clock)
    for t in (42.0, 42.5):
        clock.now = t
        bar.update(10)
        assert bar.eta(t) is None
    for t in (44.0, 44.5):
        clock.now = t
        bar.update(10)
    assert bar.eta(44.5) == pytest.approx(6.0)


def test_a_resumed_run_counts_only_its_own_trajectories(plain):
    clock = Clock()
    bar = Progress(100, done=50, stream=io.StringIO(), warmup=1, clock=clock)
    clock.now = 30.0
    bar.update(10)
    clock.now = 31.0
    bar.update(10)
    assert bar.eta(31.0) == pytest.approx(3.0)


def test_a_first_run_says_it_compiles_once_before_the_progress_line(plain, monkeypatch, capsys):
    args = (hopfield(6), coherent_state(0.4), [0, 0.5])
    monkeypatch.setattr(engine, "kernels_ready", lambda *args: False)
    monkeypatch.setattr(engine, "_WARMED", set())    # as in a new process
    run_ensemble(*args, ntraj=4, seed=1, execution=dict(progress=True, batch_size=2))
    err = capsys.readouterr().err
    assert err.startswith("compiling kernels (first run only) ...\n") and err.count("compiling") == 1
    assert "4/4 trajectories (100%)" in err
    monkeypatch.setattr(engine, "kernels_ready", lambda *args: True)
    run_ensemble(*args, ntraj=4, seed=1, execution=dict(progress=True))
    assert "compiling" not in capsys.readouterr().err
    monkeypatch.setattr(engine, "kernels_ready", lambda *args: False)
    monkeypatch.setattr(engine, "_WARMED", set())
    run_ensemble(*args, ntraj=4, seed=1)  # progress off: nothing at all
    assert capsys.readouterr().err == ""


def _ready_in_a_new_process(env_extra):
    code = "from trajectories.engine.driver import kernels_ready, run_trajectory; " \
           "print(kernels_ready(), len(run_trajectory.signatures))"
    env = dict(os.environ, PYTHONPATH=str(ROOT), **env_extra)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_kernels_ready_reads_the_cache_without_compiling(tmp_path):
    """After a run the kernels are ready here, and a new process finds them in the on-disk cache;
    with an empty cache folder it reports them missing. Neither check compiles anything."""
    run_ensemble(hopfield(4), coherent_state(0.4), [0, 0.1], ntraj=1, seed=1)
    assert kernels_ready()
    assert _ready_in_a_new_process({}) == ["True", "0"]
    assert _ready_in_a_new_process({"NUMBA_CACHE_DIR": str(tmp_path)}) == ["False", "0"]


def test_the_kernel_cache_folder_follows_the_source(tmp_path, monkeypatch):
    """Numba checks only a kernel's own file, so the package names its cache folder by a hash of all
    its sources: the compiled kernels live there, a user's NUMBA_CACHE_DIR is kept as the parent, and
    a changed source (here, a copy of the package with one file edited) gets another folder."""
    import shutil

    from numba.core import config

    from trajectories.base import kernel_cache
    from trajectories.engine.driver import run_trajectory
    folder = Path(config.CACHE_DIR)
    assert folder.name == f"kernels-{kernel_cache.source_hash()}" or \
        folder.name == f"collective-trajectories-{kernel_cache.source_hash()}"
    run_ensemble(hopfield(4), coherent_state(0.4), [0, 0.1], ntraj=1, seed=1)
    assert Path(run_trajectory._cache._cache_path).is_relative_to(folder)
    assert kernel_cache.cache_folder(str(tmp_path)).parent == tmp_path
    original = kernel_cache.source_hash()
    copy = tmp_path / "trajectories"
    shutil.copytree(kernel_cache.PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(kernel_cache, "PACKAGE", copy)
    same = kernel_cache.source_hash()
    assert same == original
    (copy / "engine" / "jumps.py").write_text((copy / "engine" / "jumps.py").read_text() + "\n# edited\n")
    assert kernel_cache.source_hash() != same


def test_the_parent_compiles_before_the_workers():
    """A parallel run compiles (or loads) the trajectory kernel for its types in the calling process
    before the workers start, so that they load it from the on-disk cache instead of compiling a copy
    each; kernels_ready then answers for those types."""
    model, state, times = hopfield(5), coherent_state(0.3), np.array([0.0, 0.2])
    run_ensemble(model, state, times, ntraj=4, seed=2, execution=dict(n_jobs=2, backend="joblib"))
    shared = (compile_model(model), state, model.sizes, times, TrajectoryOptions(), None, False, None)
    args = warm_up_arguments(shared)
    assert kernels_ready(args)
    sig = tuple(engine.run_trajectory.typeof_pyval(a) for a in args)
    assert sig in [tuple(s) for s in engine.run_trajectory.signatures]


def test_a_step_that_cannot_be_integrated_stops_with_a_reason():
    """A state that is not finite stops its trajectory at once with state.fail set (the step halved
    a bounded number of times, never forever), and run_batch turns it into an IntegrationError naming
    the seed, the time and the options to change."""
    model, state = hopfield(6), coherent_state(0.3)
    shared = (compile_model(model), state, model.sizes, np.array([0.0, 1.0]), TrajectoryOptions(), None, False, None)
    args = list(warm_up_arguments(shared))
    ws, psi = args[1], args[2].copy()
    psi[np.flatnonzero(psi)[0]] = np.nan
    args[2], args[3] = psi, np.array([0.5, 1.0])
    engine.run_trajectory(*args)
    assert ws.state["fail"][0] == TAYLOR_FAILED and ws.state["t"][0] == 0.0
    ws.state["t"] = 0.25
    message = integration_failure(ws.state[0], np.random.SeedSequence(7, spawn_key=(3,)), TrajectoryOptions())
    assert "SeedSequence(7, spawn_key=(3,))" in message and "t = 0.25" in message and "options.max_terms" in message
    ws.state["fail"] = NORM_FAILED
    assert "not finite" in integration_failure(ws.state[0], np.random.SeedSequence(7), TrajectoryOptions())


KERNEL_MODULE = """
from numba import njit


@njit(cache=True)
def add_one(x):
    return x + 1
"""


def _fresh_kernel(tmp_path):
    """The cached test kernel of a new import of its module (a new dispatcher reads the disk cache)."""
    import importlib
    sys.modules.pop("cache_probe_module", None)
    module = importlib.import_module("cache_probe_module")
    return module.add_one


@pytest.mark.parametrize("damage", [
    ("nbi", b""), ("nbi", b"not a pickle at all"), ("nbc", None), ("nbc", b"\x80\x04garbage"),
])
def test_a_damaged_kernel_cache_file_is_discarded_and_compiled_again(tmp_path, monkeypatch, damage):
    """A truncated or foreign index (.nbi) or kernel (.nbc) in the package's cache folder: one warning
    naming the file, the kernel compiles again, the next process loads it without a word."""
    import shutil
    import warnings

    from trajectories.base import kernel_cache
    (tmp_path / "cache_probe_module.py").write_text(KERNEL_MODULE)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.setattr(kernel_cache, "_WARNED", False)
    assert _fresh_kernel(tmp_path)(1) == 2
    kind, data = damage
    files = sorted(kernel_cache.folder().rglob(f"cache_probe_module*.{kind}"))
    try:
        assert len(files) == 1
        files[0].write_bytes(files[0].read_bytes()[: len(files[0].read_bytes()) // 2] if data is None else data)
        with pytest.warns(RuntimeWarning, match=r"damaged kernel cache file .*cache_probe_module.* discarded"):
            assert _fresh_kernel(tmp_path)(41) == 42
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            monkeypatch.setattr(kernel_cache, "_WARNED", False)
            assert _fresh_kernel(tmp_path)(2) == 3
    finally:
        sys.modules.pop("cache_probe_module", None)
        shutil.rmtree(files[0].parent, ignore_errors=True)


@pytest.mark.parametrize("variable", ["XDG_CACHE_HOME", "NUMBA_CACHE_DIR"])
def test_a_cache_folder_that_cannot_be_made_falls_back_with_a_warning(tmp_path, variable):
    """Under a regular file no folder can be made: Numba would silently cache in the package's own
    __pycache__ (stale code); the package caches under the temporary directory and says so."""
    (tmp_path / "file").write_text("")
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME")}
    env[variable] = str(tmp_path / "file" / "cache")
    code = "import trajectories.base.kernel_cache as k; from numba.core import config; print(k.folder(), config.CACHE_DIR)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60,
                          cwd=Path(__file__).resolve().parents[1])
    folder, numba_folder = proc.stdout.split()
    assert folder == numba_folder and not folder.startswith(str(tmp_path))
    assert "collective-trajectories-" in folder and Path(folder).is_dir()
    assert proc.stderr.count("cannot be used") == 1 and str(tmp_path / "file") in proc.stderr, proc.stderr
    assert f"caching compiled kernels in {folder} instead" in proc.stderr


def test_usable_folder_keeps_a_writable_folder(tmp_path):
    from trajectories.base.kernel_cache import usable_folder
    assert usable_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b" and (tmp_path / "a" / "b").is_dir()
