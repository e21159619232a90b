"""Same seed, same bits: any n_jobs, batch size, backend (joblib, dask.distributed LocalCluster)."""
import os

import numpy as np
import pytest

from trajectories import product_state, run_ensemble
from trajectories.engine.seeds import SeedRange, root_seed

from systems import hopfield

SUMS = ("sum1", "sq1", "sum2", "sq2", "cross")


def assert_same(a, b):
    for name in SUMS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.ntraj, a.njumps) == (b.ntraj, b.njumps)


@pytest.fixture(scope="module")
def system():
    return hopfield(12), product_state((0.2, 0.1, 0.6)), np.linspace(0, 1, 3)


@pytest.fixture(scope="module")
def reference(system):
    model, state, times = system
    return run_ensemble(model, state, times, ntraj=70, seed=5, execution=dict(n_jobs=1, batch_size=1))


@pytest.mark.parametrize("n_jobs, batch_size", [(1, 64), (2, 1), (2, 64), (2, None), (-1, 7)])
def test_identical_statistics_for_any_n_jobs_and_batch_size(system, reference, n_jobs, batch_size):
    model, state, times = system
    assert_same(reference, run_ensemble(model, state, times, ntraj=70, seed=5,
                                        execution=dict(n_jobs=n_jobs, batch_size=batch_size)))


def test_seed_range_is_spawn():
    root = root_seed(123)
    children = root.spawn(6)
    for a, b in zip(SeedRange(root.entropy, (), 0, 6), children):
        assert np.array_equal(a.generate_state(4), b.generate_state(4))
    assert [len(r) for r in SeedRange(1, (), 3, 10).split(3)] == [3, 3, 1]


def test_start_continues_the_same_seed(system, reference):
    model, state, times = system
    rest = run_ensemble(model, state, times, ntraj=30, seed=5, start=40, keep_trajectories=True)
    full = run_ensemble(model, state, times, ntraj=70, seed=5, keep_trajectories=True)
    np.testing.assert_array_equal(rest.trajectory_means(), full.trajectory_means()[40:])
    assert rest.segments == [{"entropy": 5, "spawn_key": [], "start": 40, "stop": 70}]


@pytest.mark.parametrize("kwargs, match", [
    (dict(execution=dict(backend="spark")), "backend must be one of"),
    (dict(execution=dict(batch_size=0)), "batch_size must be an integer >= 1"),
    (dict(start=-1), "start must be an integer >= 0"),
    (dict(seed=-3), "seed must be None, an integer >= 0"),
    (dict(seed=1.5), "seed must be None, an integer >= 0"),
    (dict(ntraj=-5), "ntraj must be an integer >= 1"),
])
def test_run_arguments_are_checked(system, kwargs, match):
    model, state, times = system
    args = dict(ntraj=2, seed=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        run_ensemble(model, state, times, **args)


def _distributed():
    try:
        import distributed
        return distributed
    except ImportError:
        if os.environ.get("CI"):
            raise  # CI installs '.[test,dask]': there the test must run
        pytest.skip("dask.distributed is not installed (pip install -e '.[dask]')")


def test_dask_local_cluster_gives_the_local_numbers(system, reference):
    distributed = _distributed()
    model, state, times = system
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            by_client = run_ensemble(model, state, times, ntraj=70, seed=5,
                                     execution=dict(backend="dask", scheduler=client, batch_size=9))
        by_address = run_ensemble(model, state, times, ntraj=70, seed=5,
                                  execution=dict(backend="dask", scheduler=cluster.scheduler_address,
                                                 batch_size=64))
    assert_same(reference, by_client)
    assert_same(reference, by_address)


def _foreign_server(reply):
    """A local TCP server that answers every connection with `reply` (None: accepts and stays silent)."""
    import socket
    import threading
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            if reply is not None:
                conn.sendall(reply)
    threading.Thread(target=serve, daemon=True).start()
    return server, held


@pytest.mark.parametrize("reply, says", [
    (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", r"not a dask scheduler \(it sent b'HTTP/1.1'\)"),
    (b"SSH-2.0-OpenSSH_8.9\r\n", r"not a dask scheduler \(it sent b'SSH-2.0-'\)"),
    (b"\xff" * 16, "not a dask scheduler"),                        # a length no handshake has (the 3 EiB array)
    (None, r"sends no dask handshake within 0.5 s"),                # silent: dask would wait forever
    (b"\x01", r"sends no dask handshake within 0.5 s"),
])
def test_a_scheduler_address_where_something_else_answers_is_one_clear_error(monkeypatch, reply, says):
    _distributed()
    import trajectories.engine.parallel as parallel
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 0.5)
    server, held = _foreign_server(reply)
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    try:
        with pytest.raises(ValueError, match=rf"scheduler '{address}': .*{says}.*check the address and port"):
            run_ensemble(hopfield(4), product_state((0.2, 0.1, 0.6)), [0, 0.1], ntraj=2, seed=1,
                         execution=dict(scheduler=address))
    finally:
        server.close()
        for conn in held:
            conn.close()


@pytest.mark.parametrize("address, says", [
    ("tcp://127.0.0.1", "is not an address like 'tcp://HOST:8786'"),
    ("tcp://127.0.0.1:notaport", "is not an address like"),
    ("tcp://127.0.0.1:{free}", r"cannot connect \(Connection refused\)"),
])
def test_a_scheduler_address_without_a_scheduler_is_one_clear_error(address, says):
    import socket
    from trajectories.engine.parallel import probe_scheduler
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with pytest.raises(ValueError, match=says):
        probe_scheduler(address.format(free=free), 0.5)
