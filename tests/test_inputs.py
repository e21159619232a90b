"""Bad input gets a ValueError naming the parameter; reproducibility of seeds."""
import numpy as np
import pytest

from models import BlockModel, Channel, SpinModel
from trajectories import (ExecutionOptions, MemoryLimitError, ODEOptions, TrajectoryOptions, coherent_state,
                          dicke_state, exact_evolution, mean_field, product_state, run_ensemble)

from systems import hopfield

ok = lambda x: 1.0 + 0 * x  # noqa: E731


@pytest.mark.parametrize("kwargs, match", [
    (dict(N=0), "N must be an integer >= 1"),
    (dict(N=-3), "N must be an integer >= 1"),
    (dict(N=2.5), "N must be an integer >= 1"),
    (dict(N=4, h=(1, 2)), r"h must have shape \(3,\)"),
    (dict(N=4, h=(1, np.nan, 0)), "h must be finite"),
    (dict(N=4, h=(1j, 0, 0)), "h must be real"),
    (dict(N=4, J=np.ones((2, 2))), r"J must have shape \(3, 3\)"),
    (dict(N=4, J=np.triu(np.ones((3, 3)))), r"J\[0, 0\] must be symmetric"),
    (dict(N=4, channels=[Channel("minus", gamma=ok, delta=(0, 0, 1), block=1)]), "channels\\[0\\].block must be 0"),
    (dict(N=4, channels=[Channel("minus", gamma=ok, delta=np.zeros((2, 3)))]), r"channels\[0\].delta must have shape \(3,\)"),
    (dict(N=4, channels=["minus"]), r"channels\[0\] must be a Channel"),
])
def test_spin_model_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpinModel(**kwargs)


@pytest.mark.parametrize("kwargs, match", [
    (dict(sizes=(3, 0)), "every block size must be >= 1"),
    (dict(sizes=()), "sizes must be a non-empty"),
    (dict(sizes=(3, 2), h=np.zeros((3, 3))), r"h must have shape \(2, 3\)"),
    (dict(sizes=(3, 2), J=np.zeros((2, 3, 3))), r"J must have shape \(2, 2, 3, 3\)"),
    (dict(sizes=(3, 2), channels=[Channel("plus", gamma=ok, delta=(0, 0, 1))]), r"delta must have shape \(2, 3\)"),
    (dict(sizes=(3, 2), J=np.ones((2, 2, 3, 3)) * np.triu(np.ones((3, 3)))), r"J\[0, 0\] must be symmetric"),
    (dict(sizes=(3, 2), channels=[Channel("plus", gamma=ok, delta=np.zeros((2, 3)), block=2)]), "block must be in 0..1"),
])
def test_block_model_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BlockModel(**kwargs)


@pytest.mark.parametrize("args, kwargs, match", [
    (("sigma_x",), dict(gamma=ok), "op must be one of"),
    (("minus",), dict(), "exactly one of gamma"),
    (("minus",), dict(gamma=ok, rate=ok), "exactly one of gamma"),
    (("minus",), dict(gamma=3.0), "gamma must be callable"),
    (("minus",), dict(gamma=ok, delta=(0, 0, np.inf)), "delta must be finite"),
    (("minus",), dict(gamma=ok, delta=(0, 1j, 0)), "delta must be real"),
    (("minus",), dict(gamma=ok, delta=(0, 1)), r"delta must have shape \(3,\) or \(B, 3\)"),
    (("minus",), dict(gamma=ok, offset=np.nan), "offset must be finite"),
    (("minus",), dict(gamma=ok, block=-1), "block must be an integer >= 0"),
])
def test_channel_errors(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        Channel(*args, **kwargs)


@pytest.mark.parametrize("channel, match", [
    (Channel("minus", gamma=lambda x: np.log(x), delta=(0, 0, 1)), "gamma returned non-finite values"),
    (Channel("minus", gamma=lambda x: np.sqrt(x + 0j), delta=(0, 0, 1)), "gamma returned complex values"),
    (Channel("minus", rate=lambda x: x, delta=(0, 0, 1)), "rate must be >= 0"),
    (Channel("minus", rate=lambda x: np.full(3, 1.0), delta=(0, 0, 1)), "rate must be vectorised"),
    (Channel("minus", gamma=lambda x: x / 0.0, delta=(1, 0, 0)), "gamma returned non-finite values"),
])
def test_bad_rate_functions_are_caught_on_the_spectrum(channel, match):
    model = SpinModel(N=4, channels=[channel])
    with pytest.raises(ValueError, match=match):
        run_ensemble(model, coherent_state(), [0, 1], ntraj=1)
    with pytest.raises(ValueError, match=match):
        exact_evolution(model, coherent_state(), [0, 1], method="sectors")


@pytest.mark.parametrize("kwargs, match", [
    (dict(times=[0, 1, 1]), "times must be strictly increasing"),
    (dict(times=[1, 0.5]), "times must be strictly increasing"),
    (dict(times=[-1, 0]), "times must be finite and >= 0"),
    (dict(times=[]), "times must be a non-empty"),
    (dict(ntraj=0), "ntraj must be an integer >= 1"),
    (dict(ntraj=2.0), "ntraj must be an integer >= 1"),
    (dict(execution=dict(n_jobs=0)), "n_jobs must be"),
    (dict(execution=dict(backend="mpi")), "backend must be one of"),
    (dict(execution=dict(batch_size=0)), "batch_size must be an integer >= 1"),
    (dict(execution=dict(checkpoint_every=-1)), "checkpoint_every must be"),
    (dict(execution=dict(workers=2)), "unknown options"),
    (dict(execution=TrajectoryOptions()), "execution must be a ExecutionOptions or a dict"),
    (dict(state="up"), "state must be an initial state"),
    (dict(state=coherent_state(theta=[0.1, 0.2, 0.3])), "theta must be a scalar or one value per block"),
    (dict(state=product_state((0, 0, 1.5))), r"r must have \|r\| <= 1"),
    (dict(state=dicke_state(j=1.5)), "j must be one of"),
    (dict(state=dicke_state(j=1, m=2)), "m must be one of"),
    (dict(options=dict(tol=0)), r"options.tol must be a number in \(0, 1\)"),
    (dict(options=dict(tolerance=1e-9)), "unknown options"),
    (dict(options=dict(method="rk4")), "options.method must be"),
    (dict(options=dict(max_terms=2)), "options.max_terms must be an integer"),
    (dict(options=dict(memory_limit=0)), "options.memory_limit must be"),
])
def test_run_ensemble_errors(kwargs, match):
    args = dict(model=hopfield(4), state=coherent_state(), times=[0, 1], ntraj=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        run_ensemble(**args)


def test_exact_evolution_errors():
    with pytest.raises(ValueError, match="method must be 'sectors' or 'full'"):
        exact_evolution(hopfield(3), coherent_state(), [0, 1], method="exact")
    with pytest.raises(MemoryLimitError, match="N <= 10"):
        exact_evolution(hopfield(12), coherent_state(), [0, 1], method="full")
    with pytest.raises(MemoryLimitError, match="options.memory_limit") as err:
        exact_evolution(hopfield(40), coherent_state(), [0, 1], options=dict(memory_limit=1e6))
    assert err.value.needed > err.value.limit == 1e6
    with pytest.raises(ValueError, match=r"options.rtol must be a number in \(0, 1\)"):
        exact_evolution(hopfield(3), coherent_state(), [0, 1], options=ODEOptions(rtol=2.0))
    with pytest.raises(ValueError, match="options.atol must be"):
        mean_field(hopfield(3), coherent_state(), [0, 1], options=dict(atol=-1))


def test_dense_path_refuses_above_its_memory_limit():
    model = SpinModel(N=60, channels=[Channel("minus", gamma=ok, delta=(0.5, 0, 0))])
    with pytest.raises(MemoryLimitError, match="options.memory_limit") as err:
        run_ensemble(model, coherent_state(), [0, 1], ntraj=1, options=dict(memory_limit=1e5))
    assert err.value.needed > 1e5


def test_options_are_frozen_and_reject_unknown_keys():
    with pytest.raises(ValueError, match="unknown options"):
        ODEOptions.from_dict({"rtol": 1e-8, "method": "rk4"})
    opts = ExecutionOptions(n_jobs=2)
    assert opts.resolved_backend == "joblib" and ExecutionOptions().resolved_backend == "serial"
    with pytest.raises(AttributeError):
        opts.n_jobs = 3


def test_same_seed_same_numbers_for_any_n_jobs_and_batch_size():
    model, state, times = hopfield(16), product_state((0.2, 0.1, 0.6)), np.linspace(0, 1, 3)
    a = run_ensemble(model, state, times, ntraj=24, seed=42, execution=dict(n_jobs=1, batch_size=24))
    b = run_ensemble(model, state, times, ntraj=24, seed=42, execution=ExecutionOptions(n_jobs=2, batch_size=5))
    c = run_ensemble(model, state, times, ntraj=24, seed=43)
    for name in ("mean", "stderr", "second", "second_stderr"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert a.njumps == b.njumps
    assert not np.array_equal(a.mean, c.mean)


def test_banded_and_dense_paths_give_identical_trajectories():
    """Same seed, same model: the two propagators agree to the integration tolerance."""
    model, state, times = hopfield(8), coherent_state(0.5, 0.1), np.linspace(0, 1.5, 4)
    a = run_ensemble(model, state, times, ntraj=20, seed=3, options=TrajectoryOptions(method="banded"))
    b = run_ensemble(model, state, times, ntraj=20, seed=3, options=TrajectoryOptions(method="dense"))
    assert a.njumps == b.njumps
    np.testing.assert_allclose(a.mean, b.mean, atol=1e-8)
    np.testing.assert_allclose(a.second, b.second, atol=1e-8)
