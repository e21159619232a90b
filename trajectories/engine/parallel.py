"""One map signature for the serial, joblib and dask.distributed backends.

map_batches(task, shared, batches, execution) yields task(shared, batch) for every batch, in batch
order (so the caller can fold results in trajectory order while later batches still run).
`shared` (the compiled model, state, times, options) is sent once per worker on dask.
"""
from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from ..base.errors import WorkerLostError
from ..base.options import ExecutionOptions


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS reports it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        return os.cpu_count() or 1


def local_workers(execution: ExecutionOptions) -> ExecutionOptions:
    """`execution` with n_jobs made concrete for processes on this machine: -1 becomes the
    available cores, and more than that is capped with a RuntimeWarning (extra processes only
    cost memory). A remote dask scheduler is left alone."""
    remote = execution.resolved_backend == "dask" and execution.scheduler is not None
    if execution.resolved_backend == "serial" or remote:
        return execution
    cores = available_cores()
    if execution.n_jobs == -1:
        return dataclasses.replace(execution, n_jobs=cores)
    if execution.n_jobs > cores:
        warnings.warn(f"n_jobs = {execution.n_jobs} exceeds the {cores} cores available: using {cores} "
                      "worker processes", RuntimeWarning, stacklevel=3)
        return dataclasses.replace(execution, n_jobs=cores)
    return execution


def worker_count(execution: ExecutionOptions) -> int:
    """How many tasks run at once (used to choose the batch size)."""
    backend, scheduler = execution.resolved_backend, execution.scheduler
    if backend == "serial":
        return 1
    if backend == "dask" and scheduler is not None and not isinstance(scheduler, str):
        return max(1, sum(scheduler.nthreads().values()))
    return execution.n_jobs if execution.n_jobs > 0 else available_cores()


def map_batches(task, shared, batches: list, execution: ExecutionOptions) -> Iterator:
    """Yield task(shared, batch) for each batch, in order."""
    backend = execution.resolved_backend
    if not batches:
        return iter(())
    if backend == "serial":
        return (task(shared, b) for b in batches)
    if backend == "joblib":
        from joblib import Parallel, delayed
        workers = worker_count(execution)
        parent = os.getpid()
        folder = joblib_folder()
        return _joblib_failures(Parallel(n_jobs=workers, return_as="generator", temp_folder=folder and str(folder))(
            delayed(orphan_safe)(task, parent, shared, b) for b in batches))
    return _dask_map(task, shared, batches, execution.n_jobs, execution.scheduler)


#: the start of a WorkerLostError message
WORKER_DIED = "a worker process died before its batch of trajectories finished"


def _joblib_failures(results) -> Iterator:
    """`results` of joblib, with a worker that died (loky's TerminatedWorkerError, a BrokenProcessPool)
    raised as WorkerLostError."""
    try:
        yield from results
    except BrokenProcessPool as err:
        codes = re.search(r"exit codes of the workers are \{([^}]*)\}", str(err))
        raise WorkerLostError(f"{WORKER_DIED} (killed by a signal or the out-of-memory killer"
                              + (f"; exit codes {codes.group(1)})" if codes else ")")) from None


def orphan_safe(task, parent: int, shared, batch):
    """task(shared, batch) in a worker process that exits when `parent` (the process that started the
    run) is gone: a daemon thread checks once a second (joblib's workers otherwise outlive a killed
    parent for minutes, holding memory)."""
    global _WATCHED
    if _WATCHED != parent and os.getpid() != parent:
        _WATCHED = parent
        threading.Thread(target=_exit_when_gone, args=(parent,), daemon=True).start()
    return task(shared, batch)


_WATCHED = None


def _exit_when_gone(parent: int) -> None:
    while True:
        time.sleep(1.0)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # the pid exists (another user's process would mean reuse: rare)
            pass


#: where loky (joblib's process pool) names its semaphores: /dev/shm/sem.loky-<pid>-<random>
SHARED_MEMORY = Path("/dev/shm")
_MEMMAP_FOLDER = re.compile(r"joblib_memmapping_folder_(\d+)_")
_RUN_MARKER = re.compile(r"run-(\d+)$")


def scratch_root() -> Path:
    """This user's folder for joblib's shared arrays and the marks of running processes
    (<temp dir>/collective-trajectories-<uid>)."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"collective-trajectories-{uid}"


def joblib_folder(root: Path | None = None) -> Path | None:
    """The temp_folder given to joblib, first cleared of what killed runs left (sweep_residue).

    joblib would otherwise write the arrays it shares with workers (those over 1 MB: large
    dense-path tables) to /dev/shm, in memory, where a run killed together with its workers
    and loky's resource tracker (a process group killed at once, an out-of-memory kill) leaves
    them for good. Here they are files on disk, and this process is marked (run-<pid>) so that
    a later run removes loky's semaphores in /dev/shm once the process is gone. None (joblib's
    own choice) when the folder cannot be written."""
    root = scratch_root() if root is None else root
    try:
        sweep_residue(root)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        (root / f"run-{os.getpid()}").touch()
    except OSError:
        return None
    return root


def pid_alive(pid: int) -> bool:
    """Whether a process of this id exists (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def sweep_residue(root: Path, shm: Path = SHARED_MEMORY) -> list[Path]:
    """Remove what runs of processes that are gone left behind: joblib folders in `root`, and
    the loky semaphores (shm/sem.loky-<pid>-*) of the processes marked run-<pid> in `root`.

    A run ends normally or loses only its parent process: loky's resource tracker removes both.
    When the tracker is killed too, they stay until this sweep. Returns the removed paths."""
    removed = []
    if not root.is_dir():
        return removed
    for entry in root.iterdir():
        folder, marker = _MEMMAP_FOLDER.match(entry.name), _RUN_MARKER.match(entry.name)
        pid = int((folder or marker).group(1)) if folder or marker else None
        if pid is None or pid_alive(pid):
            continue
        if marker:
            sems = sorted(shm.glob(f"sem.loky-{pid}-*")) if shm.is_dir() else []
            removed += [sem for sem in sems if _unlink(sem)]
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            _unlink(entry)
        if not entry.exists():
            removed.append(entry)
    return removed


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
        return True
    except OSError:
        return False


def dask_client(scheduler=None, n_jobs: int = 1):
    """(client, owned): the given Client, a Client of the scheduler address, the current client,
    or a new LocalCluster of n_jobs single-threaded worker processes. `owned` objects are closed
    by the caller.

    The LocalCluster's worker processes do not outlive this process: distributed's nannies (here,
    in this process) hold a pipe to each worker, whose end closes when this process dies, and a
    worker exits at once when it does (tests/test_checkpoint.py kills a run to check it). The
    workers of a scheduler given by address or Client are not this run's and stay."""
    try:
        from distributed import Client, LocalCluster, get_client
    except ImportError:
        raise ValueError("backend 'dask' needs dask.distributed: pip install "
                         "'collective-trajectories[dask]'") from None
    if scheduler is None:
        try:
            return get_client(), []
        except ValueError:
            workers = n_jobs if n_jobs > 0 else available_cores()
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            client = Client(cluster)
            return client, [client, cluster]
    if isinstance(scheduler, str):
        probe_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout=f"{CONNECT_SECONDS}s")
        except (OSError, MemoryError, TimeoutError) as err:  # MemoryError: a foreign reply read as a length
            raise ValueError(f"scheduler {scheduler!r}: cannot connect ({' '.join(str(err).split())[:160]}); "
                             f"{SCHEDULER_ADVICE}") from None
        return client, [client]
    if not hasattr(scheduler, "scatter"):
        raise ValueError(f"scheduler must be an address like 'tcp://host:8786' or a distributed.Client, "
                         f"got {type(scheduler).__name__}")
    return scheduler, []


#: seconds to connect to a dask scheduler, and to wait for its first bytes (probe_scheduler)
CONNECT_SECONDS = 20
#: largest first message (bytes) of a dask scheduler: its handshake is a few hundred bytes
HANDSHAKE_BYTES = 2 ** 20
SCHEDULER_ADVICE = ("check the address and port (`dask scheduler` prints them: 'Scheduler at: tcp://HOST:8786') "
                    "and that a scheduler runs there")


def probe_scheduler(address: str, seconds: float | None = None) -> None:
    """ValueError when a tcp:// `address` is not a dask scheduler: nothing listens, or what answers does
    not send a dask handshake (8 bytes: the length of a small message) within `seconds` (default
    CONNECT_SECONDS). A dask scheduler speaks first, so this reads without writing; other schemes
    (tls://, ...) are left to dask."""
    if not address.startswith("tcp://"):
        return
    seconds = CONNECT_SECONDS if seconds is None else seconds
    hostport = address[len("tcp://"):].split("/", 1)[0]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"scheduler {address!r} is not an address like 'tcp://HOST:8786'")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=seconds) as sock:
            first = _read(sock, 8)
    except socket.timeout:
        raise ValueError(f"scheduler {address!r}: something accepts connections there but sends no dask handshake within "
                         f"{seconds:g} s, as a dask scheduler would at once: {SCHEDULER_ADVICE}") from None
    except OSError as err:
        raise ValueError(f"scheduler {address!r}: cannot connect ({err.strerror or err}); {SCHEDULER_ADVICE}") from None
    size = int.from_bytes(first, "little") if len(first) == 8 else 0
    if not 0 < size <= HANDSHAKE_BYTES:
        raise ValueError(f"scheduler {address!r}: what answers there is not a dask scheduler (it sent "
                         f"{first[:8]!r}): {SCHEDULER_ADVICE}")


def _read(sock, n: int) -> bytes:
    """Up to `n` bytes from `sock` (fewer when it closes first)."""
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _dask_map(task, shared, batches, n_jobs, scheduler):
    from distributed.scheduler import KilledWorker
    client, owned = dask_client(scheduler, n_jobs)
    futures = []
    try:
        [shared_future] = client.scatter([shared], broadcast=True)
        futures = client.map(task, [shared_future] * len(batches), batches, pure=False)
        for f in futures:
            try:
                result = f.result()
            except KilledWorker as err:
                raise WorkerLostError(f"{WORKER_DIED} (dask gave up on it: {' '.join(str(err).split())[:120]})") from None
            yield result
            f.release()
    finally:
        for f in futures:
            if not f.done():
                f.cancel()
        for obj in owned:
            obj.close()
