"""Checkpoint and resume: a run killed with SIGKILL and restarted ends with the same bits; a run owns
its outputs through a lock file beside the checkpoint."""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from trajectories import CheckpointMismatchError, coherent_state, load_ensemble, product_state, run_ensemble
from trajectories.cli.main import main

from systems import hopfield
from test_cli import one_line_error, write_config

ROOT = Path(__file__).resolve().parents[1]
SUMS = ("sum1", "sq1", "sum2", "sq2", "cross")
SCRIPT = """
import sys
import numpy as np
sys.path.insert(0, {tests!r})
from systems import hopfield
from trajectories import coherent_state, run_ensemble
run_ensemble(hopfield(60), coherent_state(0.4), np.linspace(0, 3, 4), ntraj={ntraj}, seed=11,
             execution=dict(batch_size=20, checkpoint={path!r}, checkpoint_every=0))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_run_resumes_with_identical_statistics(tmp_path):
    ntraj, path = 600, tmp_path / "run.checkpoint.npz"
    script = tmp_path / "run.py"
    script.write_text(textwrap.dedent(SCRIPT.format(tests=str(ROOT / "tests"), ntraj=ntraj, path=str(path))))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, str(script)], env=env, cwd=str(tmp_path))
    # the first run of a fresh machine compiles the kernels (about a minute, longer on a busy one)
    # before the first checkpoint; the loop ends as soon as 100 trajectories are checkpointed
    deadline = time.monotonic() + 300
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and (done := load_ensemble(path).ntraj) >= 100:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert 100 <= load_ensemble(path).ntraj < ntraj
    args = (hopfield(60), coherent_state(0.4), np.linspace(0, 3, 4))
    resumed = run_ensemble(*args, ntraj=ntraj, seed=11, execution=dict(batch_size=64, checkpoint=path))
    straight = run_ensemble(*args, ntraj=ntraj, seed=11, execution=dict(n_jobs=2))
    for name in SUMS:
        np.testing.assert_array_equal(getattr(resumed, name), getattr(straight, name), err_msg=name)
    assert (resumed.ntraj, resumed.njumps) == (straight.ntraj, straight.njumps)
    assert load_ensemble(path).ntraj == ntraj  # the finished checkpoint holds the whole ensemble


def test_resume_refuses_a_checkpoint_of_other_arguments(tmp_path):
    path = tmp_path / "ck.npz"
    base = dict(model=hopfield(6), state=coherent_state(0.4), times=[0, 0.5], ntraj=3, seed=2)
    ck = dict(execution=dict(checkpoint=path))
    run_ensemble(**base, **ck)
    for change, name in [(dict(model=hopfield(6, beta=1.0)), "model"),
                         (dict(state=product_state((0, 0, 0.5))), "state"),
                         (dict(times=[0, 0.6]), "times"), (dict(seed=3), "seed"), (dict(ntraj=4), "ntraj"),
                         (dict(options=dict(tol=1e-10)), "options")]:
        with pytest.raises(CheckpointMismatchError, match=rf"written for different arguments \({name} differ") \
                as err:
            run_ensemble(**{**base, **change}, **ck)
        assert err.value.fields == (name,)
    again = run_ensemble(**base, **ck)  # same arguments: the finished run is read back
    assert again.ntraj == 3


def test_checkpoint_needs_a_seed(tmp_path):
    with pytest.raises(ValueError, match="checkpoint needs an explicit seed"):
        run_ensemble(hopfield(4), coherent_state(), [0, 1], ntraj=2, execution=dict(checkpoint=tmp_path / "c.npz"))


def test_an_interrupted_run_writes_its_last_checkpoint_and_resumes_exactly(tmp_path, monkeypatch):
    """Ctrl-C (KeyboardInterrupt; the command line turns SIGTERM into it) after three batches: the
    checkpoint holds exactly those trajectories even with checkpoint_every far away, records the run
    time so far, and the resumed run ends with the bits of an uninterrupted one."""
    import trajectories.engine.ensemble as engine
    path = tmp_path / "ck.npz"
    args = (hopfield(12), product_state((0.2, 0.1, 0.6)), np.linspace(0, 1, 3))
    original = engine.map_batches

    def interrupted(*a, **k):
        for i, batch in enumerate(original(*a, **k)):
            if i == 3:
                raise KeyboardInterrupt
            yield batch

    monkeypatch.setattr(engine, "map_batches", interrupted)
    execution = dict(batch_size=5, checkpoint=path, checkpoint_every=3600)
    with pytest.raises(KeyboardInterrupt):
        run_ensemble(*args, ntraj=40, seed=9, execution=execution)
    saved = load_ensemble(path)
    assert saved.ntraj == 15 and saved.meta["seconds"] > 0
    monkeypatch.setattr(engine, "map_batches", original)
    resumed = run_ensemble(*args, ntraj=40, seed=9, execution=execution)
    straight = run_ensemble(*args, ntraj=40, seed=9)
    for name in SUMS:
        np.testing.assert_array_equal(getattr(resumed, name), getattr(straight, name), err_msg=name)
    assert resumed.meta["seconds"] > saved.meta["seconds"]


def _children(pid):
    """Process ids whose parent is `pid` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


def _run_script(tmp_path, backend):
    """A script running a long 2-worker ensemble on `backend`, checkpointing every batch."""
    script = tmp_path / "run.py"
    text = textwrap.dedent(SCRIPT.format(tests=str(ROOT / "tests"), ntraj=200000, path=str(tmp_path / "ck.npz")))
    text = text.replace("execution=dict(", f"execution=dict(n_jobs=2, backend={backend!r}, ")
    script.write_text("if __name__ == '__main__':\n" + textwrap.indent(text, "    "))
    return script


def _start(tmp_path, backend, **popen):
    """(process, its child processes) once the run has written its first checkpoint."""
    script = _run_script(tmp_path, backend)
    proc = subprocess.Popen([sys.executable, str(script)], env=dict(os.environ, PYTHONPATH=str(ROOT)), **popen)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (tmp_path / "ck.npz").exists() and proc.poll() is None:
        time.sleep(0.1)
    children = _children(proc.pid)
    if not ((tmp_path / "ck.npz").exists() and children):
        proc.kill()
        pytest.fail("the run did not start its workers")
    return proc, children


def _shared_memory(pid):
    """Entries of /dev/shm that joblib or loky made for process `pid`."""
    return sorted(name for name in os.listdir("/dev/shm")
                  if re.match(rf"(sem\.loky-{pid}-|joblib_memmapping_folder_{pid}_)", name))


def _wait_gone(pids, seconds=20):
    """The processes of `pids` still alive after `seconds` (killed then, not to leave them behind)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.2)
    survivors = [p for p in pids if _alive(p)]
    for p in survivors:
        os.kill(p, signal.SIGKILL)
    return survivors


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("backend", ["joblib", "dask"])
def test_workers_do_not_outlive_a_killed_run(tmp_path, backend):
    """SIGKILL the process running a 2-worker ensemble: its worker processes exit within seconds
    (joblib: the watchdog thread of each worker; dask: the LocalCluster's nannies, whose pipe to
    each worker closes), and joblib's memory-mapped folders and loky's semaphores in /dev/shm go
    with them."""
    if backend == "dask":
        _distributed()
    proc, workers = _start(tmp_path, backend)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    grand = [g for w in workers for g in _children(w)]
    survivors = _wait_gone(workers + grand)
    assert not survivors, f"worker processes {survivors} outlived the killed run"
    if backend == "joblib" and Path("/dev/shm").is_dir():
        assert not _shared_memory(proc.pid), "the killed run left files in /dev/shm"


@pytest.mark.skipif(not Path("/dev/shm").is_dir(), reason="needs /dev/shm")
def test_a_run_killed_with_all_its_processes_is_swept_by_the_next(tmp_path):
    """SIGKILL the whole process group (run, workers, loky's resource tracker) at once: the
    semaphores loky made in /dev/shm stay, and the next joblib run removes them."""
    from trajectories.engine.parallel import scratch_root
    proc, children = _start(tmp_path, "joblib", start_new_session=True)
    assert _shared_memory(proc.pid) and (scratch_root() / f"run-{proc.pid}").exists()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert not _wait_gone(children, 10)
    left = _shared_memory(proc.pid)
    assert left, "loky's semaphores were expected to outlive a process group killed at once"
    run_ensemble(hopfield(6), coherent_state(0.4), [0, 0.5], ntraj=2, seed=1, execution=dict(n_jobs=2))
    assert not _shared_memory(proc.pid), f"{left} were not swept"
    assert not (scratch_root() / f"run-{proc.pid}").exists()


def test_sweep_removes_only_what_dead_processes_left(tmp_path):
    """Marks and joblib folders of a dead process go, with its loky semaphores; a live one's stay."""
    from trajectories.engine.parallel import joblib_folder, sweep_residue
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    root, shm = tmp_path / "root", tmp_path / "shm"
    root.mkdir(), shm.mkdir()
    live = os.getpid()
    for pid in (dead, live):
        (root / f"run-{pid}").touch()
        (root / f"joblib_memmapping_folder_{pid}_ab_cd").mkdir()
        (root / f"joblib_memmapping_folder_{pid}_ab_cd" / "x.pkl").write_bytes(b"x")
        (shm / f"sem.loky-{pid}-abc").touch()
    (shm / "sem.other").touch()
    removed = sweep_residue(root, shm)
    assert sorted(p.name for p in removed) == sorted([f"run-{dead}", f"joblib_memmapping_folder_{dead}_ab_cd",
                                                       f"sem.loky-{dead}-abc"])
    assert sorted(p.name for p in root.iterdir()) == [f"joblib_memmapping_folder_{live}_ab_cd", f"run-{live}"]
    assert sorted(p.name for p in shm.iterdir()) == [f"sem.loky-{live}-abc", "sem.other"]
    assert joblib_folder(root) == root and (root / f"run-{live}").exists()
    (tmp_path / "file").write_text("")
    assert joblib_folder(tmp_path / "file") is None  # not writable as a folder: joblib's own choice


def _distributed():
    try:
        import distributed
        return distributed
    except ImportError:
        if os.environ.get("CI"):
            raise  # CI installs '.[test,dask]': there the test must run
        pytest.skip("dask.distributed is not installed (pip install -e '.[dask]')")


# ------------------------------------------------------------------------------------------------
# a run owns its outputs: the lock beside the checkpoint
# ------------------------------------------------------------------------------------------------

def _lock_text(pid, host=None, start=None, since="2026-01-01T00:00:00"):
    return json.dumps({"pid": pid, "host": host or socket.gethostname(), "start": start, "token": "theirs",
                       "since": since})


def _dead_pid():
    """The pid of a process that has exited (and been reaped)."""
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_run_holds_its_lock_while_it_runs_and_removes_it_on_exit(tmp_path, capsys, monkeypatch):
    """The lock <checkpoint>.lock exists while the run runs, holding its pid, host and start time;
    it is removed when the run ends, fails or is interrupted."""
    import trajectories.cli.main as cli
    config, lock = write_config(tmp_path, ntraj=2), tmp_path / "r.checkpoint.npz.lock"
    seen, real = [], cli.run_ensemble

    def spy(*args, **kwargs):
        seen.append(json.loads(lock.read_text()))
        return real(*args, **kwargs)
    monkeypatch.setattr(cli, "run_ensemble", spy)
    assert main(["run", str(config), "--quiet", "--no-plot"]) == 0
    assert seen[0]["pid"] == os.getpid() and seen[0]["host"] == socket.gethostname()
    assert seen[0]["start"] == int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
    assert not lock.exists()
    for error, code in ((KeyboardInterrupt(), 130), (OSError(28, "No space left on device"), 2),
                        (ValueError("bad"), 2), (RuntimeError("a bug"), None)):
        def fail(*args, error=error, **kwargs):
            assert lock.exists()
            raise error
        monkeypatch.setattr(cli, "run_ensemble", fail)
        if code is None:
            with pytest.raises(RuntimeError):
                main(["run", str(config), "--quiet", "--force"])
        else:
            assert main(["run", str(config), "--quiet", "--force"]) == code
        assert not lock.exists(), error
    capsys.readouterr()


def test_a_second_live_run_is_refused_and_changes_nothing(tmp_path, capsys):
    """A lock whose process lives (another process, this one, a process of another host, or one
    being written) refuses the run with one line naming the lock and the process; its checkpoint,
    even with --fresh, and the lock stay as they were."""
    from trajectories.io.lock import OutputLock
    config, lock = write_config(tmp_path, ntraj=2), tmp_path / "r.checkpoint.npz.lock"
    checkpoint = tmp_path / "r.checkpoint.npz"
    checkpoint.write_bytes(b"the other run's checkpoint")
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        for text, match in ((_lock_text(sleeper.pid), f"process {sleeper.pid} on this host holds the lock {lock}"),
                            (_lock_text(4242, host="elsewhere"), "process 4242 on host elsewhere holds the lock"),
                            ("{partial", f"the lock {lock} is being written by another run")):
            lock.write_text(text)
            err = one_line_error(capsys, ["run", config, "--quiet", "--fresh", "--force"], match)
            assert f"checkpoint {checkpoint} is in use" in err
            assert lock.read_text() == text and checkpoint.read_bytes() == b"the other run's checkpoint"
        lock.unlink()
        with OutputLock(lock, "a test"):
            one_line_error(capsys, ["run", config, "--quiet", "--fresh"], f"process {os.getpid()} on this host")
        assert not lock.exists() and not (tmp_path / "r.npz").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_outputs_are_checked_again_once_the_lock_is_taken(tmp_path, capsys, monkeypatch):
    """A run that finished between another's first check of its outputs and its lock: the second
    finds the results file under the lock and is refused (no --force), keeping the file."""
    import trajectories.cli.main as cli
    from trajectories.io.lock import OutputLock

    class Late(OutputLock):
        def acquire(self):
            (tmp_path / "r.npz").write_bytes(b"the other run's results")
            super().acquire()
    monkeypatch.setattr(cli, "OutputLock", Late)
    one_line_error(capsys, ["run", write_config(tmp_path, ntraj=2), "--quiet"],
                   f"results file {tmp_path / 'r.npz'} already exists")
    assert (tmp_path / "r.npz").read_bytes() == b"the other run's results"
    assert not (tmp_path / "r.checkpoint.npz.lock").exists()


def test_stale_locks_are_replaced_with_a_warning(tmp_path, capsys):
    """A lock of a process that has exited, of a recycled pid (another start time) or that cannot be
    read for longer than the grace time is removed with a one-line warning and the run goes on."""
    config, lock = write_config(tmp_path, ntraj=2), tmp_path / "r.checkpoint.npz.lock"
    for text, why in ((_lock_text(_dead_pid()), "is no longer running"),
                      (_lock_text(os.getpid(), start=1), f"its process {os.getpid()} is no longer running"),
                      (_lock_text(0), "it could not be read"), ("garbage", "it could not be read")):
        lock.write_text(text)
        os.utime(lock, (time.time() - 60, time.time() - 60))
        assert main(["run", str(config), "--quiet", "--no-plot", "--force"]) == 0
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and err[0].startswith(f"warning: removed the stale lock {lock}") and why in err[0], err
        assert not lock.exists()


def _contender(path, barrier, results):
    from trajectories.base.errors import LockedError
    from trajectories.io.lock import OutputLock
    barrier.wait()
    lock = OutputLock(path, "a test")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lock.acquire()
    except LockedError:
        results.put("refused")
        return
    results.put("took")
    time.sleep(0.5)
    lock.release()


@pytest.mark.parametrize("stale", [False, True])
def test_of_runs_started_together_exactly_one_takes_the_lock(tmp_path, stale):
    """Six processes released at once take one lock (free, or stale and replaced): one wins."""
    import multiprocessing
    path = tmp_path / "r.checkpoint.npz.lock"
    if stale:
        path.write_text(_lock_text(_dead_pid()))
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_contender, args=(path, barrier, results)) for _ in range(6)]
    for p in procs:
        p.start()
    outcomes = sorted(results.get(timeout=20) for _ in procs)
    for p in procs:
        p.join(timeout=20)
    assert outcomes == ["refused"] * 5 + ["took"], outcomes
    assert not path.exists() and not path.with_name(path.name + ".break").exists()


def test_a_killed_joblib_worker_is_a_worker_lost_error():
    """loky's TerminatedWorkerError (a traceback from joblib) becomes one WorkerLostError naming the signal."""
    from trajectories import ExecutionOptions, WorkerLostError
    from trajectories.engine.parallel import WORKER_DIED, map_batches
    task = lambda shared, batch: os.kill(os.getpid(), signal.SIGKILL) if batch == 1 else batch  # noqa: E731
    results = map_batches(task, None, [0, 1, 2, 3], ExecutionOptions(n_jobs=2, backend="joblib"))
    with pytest.raises(WorkerLostError, match=rf"{WORKER_DIED} \(killed by a signal .*SIGKILL") as err:
        list(results)
    assert err.value.__cause__ is None


@pytest.mark.parametrize("done, checkpoint, says", [
    (2, True, r"the checkpoint .*ck.npz keeps the 10 trajectories done: run the same command \(or call\) again"),
    (2, False, r"the 10 trajectories done are lost \(no checkpoint"),
    (0, True, r"no trajectory had finished: run the same command"),
])
def test_a_lost_worker_says_what_the_checkpoint_keeps_and_the_run_resumes(tmp_path, monkeypatch, done, checkpoint,
                                                                          says):
    import trajectories.engine.ensemble as engine
    from trajectories import WorkerLostError
    from trajectories.engine.parallel import WORKER_DIED
    path = tmp_path / "ck.npz"
    args = (hopfield(6), coherent_state(0.4), np.linspace(0, 0.5, 3))
    original = engine.map_batches

    def dying(*a, **k):
        for i, batch in enumerate(original(*a, **k)):
            if i == done:
                raise WorkerLostError(f"{WORKER_DIED} (killed by a signal)")
            yield batch

    monkeypatch.setattr(engine, "map_batches", dying)
    execution = dict(batch_size=5, checkpoint=path if checkpoint else None, checkpoint_every=3600)
    with pytest.raises(WorkerLostError, match=says):
        run_ensemble(*args, ntraj=20, seed=3, execution=execution)
    assert path.exists() == (checkpoint and done > 0)
    if path.exists():
        assert load_ensemble(path).ntraj == 5 * done
        monkeypatch.setattr(engine, "map_batches", original)
        assert run_ensemble(*args, ntraj=20, seed=3, execution=execution).ntraj == 20


def test_a_lost_worker_ends_the_command_with_one_line_and_the_resume_hint(tmp_path, capsys, monkeypatch):
    import trajectories.engine.ensemble as engine
    from trajectories import WorkerLostError
    original = engine.map_batches

    def dying(*a, **k):
        for i, batch in enumerate(original(*a, **k)):
            if i == 1:
                raise WorkerLostError("a worker process died")
            yield batch

    monkeypatch.setattr(engine, "map_batches", dying)
    config = write_config(tmp_path, ntraj=4, **{"n_jobs = 1": "n_jobs = 1\nbatch_size = 2"})
    one_line_error(capsys, ["run", config, "--quiet", "--no-plot"], "keeps the 2 trajectories done: run the same command")
    assert load_ensemble(tmp_path / "r.checkpoint.npz").ntraj == 2 and not (tmp_path / "r.checkpoint.npz.lock").exists()
    monkeypatch.setattr(engine, "map_batches", original)
    assert main(["run", str(config), "--quiet", "--no-plot"]) == 0
    assert "resumed 2 trajectories" in capsys.readouterr().out


def test_a_lock_created_since_it_was_judged_stale_is_kept(tmp_path):
    """A run that found the lock missing or unreadable never removes one that another run has created
    since (the race of runs started together): a fresh lock, complete or half written, stays; an
    unreadable one older than the grace period is removed; no private file is left behind."""
    import os
    import time
    from trajectories.io.lock import UNREADABLE_GRACE, OutputLock
    path = tmp_path / "r.checkpoint.npz.lock"
    first, second = OutputLock(path, "a test"), OutputLock(path, "a test")
    first.acquire()
    second._break(None)                     # judged while missing; first has created it since
    assert path.exists() and first.held
    first.release()
    path.write_text('{"pid": ')              # half written, fresh
    second._break(None)
    assert path.exists()
    old = time.time() - 2 * UNREADABLE_GRACE
    os.utime(path, (old, old))
    with pytest.warns(UserWarning, match="removed the stale lock"):
        second._break(None)
    assert not path.exists()
    second.acquire()
    second.release()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
