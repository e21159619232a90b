"""Bad input gets a ValueError naming the parameter; reproducibility of seeds."""
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models import (BlockModel, Channel, HopfieldNetwork, QuditChannel, QuditModel, SpinModel, hopfield_model,
                    random_patterns)
from trajectories import (ExecutionOptions, MemoryLimitError, ODEOptions, StiffnessWarning, TrajectoryOptions,
                          WorkLimitError, classical_state, clustering, coherent_state, dicke_state,
                          exact_evolution, mean_field, product_state, run_ensemble)
from trajectories.base.options import TRAJECTORY_MAXIMA
from trajectories.engine.compiled import check_stiffness, compile_model, max_jump_rate
from trajectories.engine.work import STIFF_JUMPS

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
    (("sigma_w",), dict(gamma=ok), "op must be one of"),
    ((np.ones(3),), dict(gamma=ok), r"op must be one of .* got shape \(3,\)"),
    ((np.zeros((2, 2)),), dict(gamma=ok), "op must be one of .* got the zero matrix"),
    (([[1, np.nan], [0, 0]],), dict(gamma=ok), "op must be one of .* non-finite"),
    ((["a", "b"],), dict(gamma=ok), "op must be one of"),
    (("minus",), dict(gamma=ok, collective=1), "collective must be True or False"),
    (("minus",), dict(), "exactly one of gamma"),
    (("minus",), dict(gamma=ok, rate=ok), "exactly one of gamma"),
    (("minus",), dict(gamma="3"), "gamma must be a finite real number or a function"),
    (("minus",), dict(gamma=np.nan), "gamma must be a finite real number or a function"),
    (("minus",), dict(rate=True), "rate must be a finite real number or a function"),
    (("minus",), dict(rate=-1.0), r"rate must be >= 0 \(it is gamma\*\*2\)"),
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
    (dict(times=[-1, 0]), r"times must be >= 0, got times\[0\] = -1"),
    (dict(times=[0, 1, 2, np.nan]), r"times must be finite, got nan at times\[3\]"),
    (dict(times=[0, np.inf]), r"times must be finite, got inf at times\[1\]"),
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
    (dict(state=coherent_state(theta=[0.1, 0.2, 0.3])), "theta must be a scalar or one per block"),
    (dict(state=product_state((0, 0, 1.5))), r"r must have \|r\| <= 1"),
    (dict(state=dicke_state(j=1.5)), "j must be one of"),
    (dict(state=dicke_state(j=1, m=2)), "m must be one of"),
    (dict(options=dict(tol=0)), r"options.tol must be a number in \(0, 1e-05\]"),
    (dict(options=dict(tol=0.5)), r"options.tol must be in \(0, 1e-05\], got 0.5: larger values truncate"),
    (dict(options=dict(trim=1e-3)), r"options.trim must be in \(0, 1e-14\], got 0.001: larger values drop"),
    (dict(options=dict(trim=0.5)), r"options.trim must be in \(0, 1e-14\]"),
    (dict(options=dict(root_tol=1e-3)), r"options.root_tol must be in \(0, 1e-06\], got 0.001"),
    (dict(options=dict(root_tol="1e-9")), r"options.root_tol must be a number"),
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


def dense_model(N):
    """Deltas along x and along y: no common quantisation axis (sectors/frame.py); with
    options.method = "dense" the dense per-sector matrices, else a Chebyshev series (engine/series.py)."""
    return SpinModel(N=N, channels=[Channel("minus", gamma=ok, delta=(0.5, 0, 0)),
                                    Channel("plus", gamma=ok, delta=(0, 0.5, 0.2))])


def test_dense_path_refuses_above_its_memory_limit():
    model = dense_model(60)
    with pytest.raises(MemoryLimitError, match="options.memory_limit") as err:
        run_ensemble(model, coherent_state(), [0, 1], ntraj=1, options=dict(memory_limit=1e5, method="dense"))
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


def test_options_accept_their_documented_maxima_and_refuse_beyond():
    at_max = TrajectoryOptions(**{name: upper for name, (upper, _) in TRAJECTORY_MAXIMA.items()})
    assert (at_max.tol, at_max.root_tol, at_max.trim) == (1e-5, 1e-6, 1e-14)
    for name, (upper, why) in TRAJECTORY_MAXIMA.items():
        with pytest.raises(ValueError, match=rf"options.{name} must be in \(0, {upper:g}\], got .*: {why}"):
            TrajectoryOptions(**{name: upper * 1.01})


FIELD_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True),
                         st.text(max_size=8))


@settings(max_examples=50, deadline=None)
@given(name=st.sampled_from(["tol", "root_tol", "trim", "max_terms", "method", "memory_limit"]), value=FIELD_VALUES)
def test_any_option_value_gives_valid_options_or_a_value_error_naming_the_field(name, value):
    try:
        opts = TrajectoryOptions(**{name: value})
    except ValueError as err:
        assert f"options.{name}" in str(err)
        return
    assert getattr(opts, name) == value
    for field, (upper, _) in TRAJECTORY_MAXIMA.items():
        assert 0 < getattr(opts, field) <= upper
    assert 4 <= opts.max_terms <= 200 and opts.method in ("auto", "banded", "dense") and opts.memory_limit > 0


def stiff_model(N=10, rate=1e8, delta=(0, 0, 1)):
    return SpinModel(N, channels=[Channel("minus", rate=lambda x: rate + 0 * x, delta=delta)])


def test_stiffness_estimate_of_a_rate_of_1e8():
    """sum_l Gamma_l^2 Q_l <= rate * N: 1e9 jumps per unit time on N = 10, on both paths."""
    assert max_jump_rate(compile_model(stiff_model())) == pytest.approx(1e9)
    assert max_jump_rate(compile_model(stiff_model(), "dense")) == pytest.approx(1e9)
    assert max_jump_rate(compile_model(stiff_model(delta=(1, 0, 0)))) == pytest.approx(1e9)
    with pytest.warns(StiffnessWarning, match=r"up to 1e\+09 jumps .* per trajectory.*lower the rates"):
        assert check_stiffness(compile_model(stiff_model()), np.linspace(0, 1, 5), 1, 1e10) == pytest.approx(1e9)


def test_a_stiff_run_warns_before_it_starts():
    """rate 1e8 on N = 10 over t = 0.002 (2e6 > 1e6 expected jumps): a StiffnessWarning naming the estimate."""
    assert issubclass(StiffnessWarning, RuntimeWarning) and STIFF_JUMPS == 1e6
    with pytest.warns(StiffnessWarning, match=r"up to 2e\+06 jumps .* per trajectory, ~.* per trajectory"):
        run_ensemble(stiff_model(), coherent_state(0.4), [0, 0.002], ntraj=1, seed=1)


@pytest.mark.parametrize("model, stop, ntraj, lower", [
    (SpinModel(2, h=(1e6, 0, 0)), 10, 100, "fields and couplings"),                  # the Hamiltonian's scale
    (SpinModel(3, J=np.diag([0, 0, 1e7])), 10, 50, "fields and couplings"),           # a coupling
    (stiff_model(N=10, rate=1e3), 1, 10 ** 6, "rates"),                               # many trajectories
    (SpinModel(10, channels=[Channel("minus", gamma=lambda x: np.exp(30 * x), delta=(0, 0, 1))]), 1, 1, "rates"),
    (SpinModel(6, channels=[Channel("z", rate=lambda x: 1e9 + 0 * x, delta=(1, 0, 0))]), 2, 1, "rates"),
])
def test_a_run_that_would_take_hours_is_refused_with_the_estimate_and_the_option(model, stop, ntraj, lower):
    """Jumps and no-jump steps of every trajectory, counted together against options.max_steps: refused
    before anything runs (WorkLimitError, the estimate and options.max_steps named); raising the option
    turns the refusal into a warning."""
    with pytest.raises(WorkLimitError, match=rf"steps for {ntraj} trajectories, ~.* (hours|years) .*lower the "
                                             rf"{lower}.*raise options.max_steps") as err:
        run_ensemble(model, coherent_state(0.4), [0, stop], ntraj=ntraj, seed=1)
    assert err.value.steps > err.value.limit == TrajectoryOptions().max_steps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StiffnessWarning)
        assert check_stiffness(compile_model(model), [0, stop], ntraj, 2 * err.value.steps) >= 0


def test_qudit_work_bounds_hold_on_every_irrep():
    """The rate and Hamiltonian bounds of a QuditModel's run (irrep_ensemble.work_bounds) are upper bounds
    of the exact ones on every irrep of U(3) at N = 4, and the rate bound is reached by a constant-rate
    ladder channel (N ||a^+ a||)."""
    from trajectories.engine.irrep_ensemble import work_bounds
    from trajectories.sectors.irreps import IrrepModel
    from trajectories.symmetry import unitary
    rng = np.random.default_rng(3)
    a = np.diag(np.sqrt([1.0, 2.0]), 1)
    h = rng.normal(size=(9, 9))
    model = QuditModel(4, 3, eps=rng.normal(size=9), h=h + h.T, channels=[QuditChannel(a, rate=0.5)])
    rate, norm = work_bounds(model)
    assert rate == pytest.approx(4 * 0.5 * 2)
    irreps = IrrepModel(model)
    largest = max(np.linalg.norm(irreps.hamiltonian(lam).toarray(), 2) for lam in unitary.partitions(4, 3))
    assert largest <= norm - rate / 2 < 10 * largest


def test_a_qudit_run_that_would_take_hours_is_refused_or_warned_up_front():
    """An exponential rate: WorkLimitError with the estimate and options.max_steps, before anything runs;
    fields of 1e4 over t = 100 on N = 60: a StiffnessWarning naming the fields."""
    a, rho = np.diag(np.sqrt([1.0, 2.0]), 1), np.diag([1.0, 0, 0]).astype(complex)
    steep = QuditModel(20, 3, channels=[QuditChannel(a, gamma=lambda x: np.exp(30 * x), r=np.eye(9)[2])])
    with pytest.raises(WorkLimitError, match=r"steps for 100 trajectories, ~.* years .*lower the rates.*"
                                             r"raise options.max_steps"):
        run_ensemble(steep, rho, [0, 5], ntraj=100, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StiffnessWarning)
        with pytest.raises(StiffnessWarning, match=r"no-jump steps .* hours per trajectory.*lower the fields"):
            run_ensemble(QuditModel(60, 3, eps=1e4 * np.eye(9)[3]), rho, [0, 100], ntraj=1, seed=1)


def test_mean_field_estimates_its_work_up_front():
    """mean_field bounds its generator's norm (fields, couplings, the largest rate over the range of each
    Delta): a field of 1e300 is refused, a rate of 1e9 over t = 1 exceeds ODEOptions.max_steps, a rate of
    1e7 warns; the bound is above the Jacobian's norm of the vector field where it is evaluated."""
    from trajectories.theory.fixed_points import jacobian
    from trajectories.theory.meanfield import generator_norm
    with pytest.raises(ValueError, match=r"mean field: the generator's norm \(inf, 1/time\) exceeds 1e\+100"):
        mean_field(SpinModel(2, h=(0, 1, 1e300)), coherent_state(0.3), [0, 1])
    fast = SpinModel(3, channels=[Channel("minus", rate=lambda x: 1e9 * np.exp(x), delta=(0, 0, 1))])
    with pytest.raises(WorkLimitError, match="mean field: about .* integration steps .*raise options.max_steps"):
        mean_field(fast, coherent_state(0.3), [0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error", StiffnessWarning)
        with pytest.raises(StiffnessWarning, match=r"mean field: about 2e\+07 integration steps"):
            mean_field(SpinModel(3, channels=[Channel("minus", rate=1e7)]), coherent_state(0.3), [0, 1])
    model = hopfield(10)
    for m in ([0.3, -0.2, 0.5], [0, 0, 1], [0.6, 0.6, -0.5]):
        assert np.linalg.norm(jacobian(model, np.array([m])), 2) <= generator_norm(model)


def test_max_steps_is_a_resource_option_outside_a_runs_identity():
    from trajectories.base.options import numerical_options
    assert "max_steps" not in numerical_options({"max_steps": 1.0, "tol": 1e-12})
    for bad in (0, -1, float("nan"), "1e9", True):
        with pytest.raises(ValueError, match="options.max_steps must be a number"):
            TrajectoryOptions(max_steps=bad)


def test_a_normal_model_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error", StiffnessWarning)
        run_ensemble(hopfield_model(100, 2.0, 0.5), coherent_state(0.4), np.linspace(0, 5, 3), ntraj=1, seed=1)
        assert check_stiffness(compile_model(hopfield_model(1000, 2.0, 0.5)), [0, 5]) == pytest.approx(2500)


def not_vectorised(x):
    return float(x)


@pytest.mark.parametrize("channel, match", [
    (Channel("minus", gamma=not_vectorised, delta=(0, 0, 1)),
     r"gamma \(not_vectorised\) must accept a numpy array and return an array of the same shape"),
    (Channel("minus", rate=lambda x: "fast", delta=(0, 0, 1)),
     r"rate \(<lambda>\) must accept a numpy array and return an array of the same shape"),
    (Channel("plus", gamma=lambda x: 1 / 0, delta=(0, 0, 1)), r"gamma .*\(ZeroDivisionError"),
])
def test_a_failing_rate_function_is_one_value_error_naming_it(channel, match):
    with pytest.raises(ValueError, match=match):
        run_ensemble(SpinModel(N=4, channels=[channel]), coherent_state(), [0, 1], ntraj=1)


@pytest.mark.parametrize("sizes", ["ab", ["a", 2], [2.5], None, [True, 3], [[1, 2]], {"a": 1}])
def test_block_sizes_that_are_not_integers(sizes):
    with pytest.raises(ValueError, match="sizes must"):
        BlockModel(sizes)


@pytest.mark.parametrize("N", ["3", 3.0, None, True, [3]])
def test_spin_model_size_that_is_not_an_integer(N):
    with pytest.raises(ValueError, match="N must be an integer >= 1"):
        SpinModel(N)


@pytest.mark.parametrize("name, beta, omega", [("beta", "2", 0.5), ("omega", 2.0, "0.5"), ("beta", np.nan, 0.5),
                                               ("omega", 2.0, np.inf), ("beta", None, 0.5), ("beta", 1j, 0.5)])
def test_hopfield_beta_and_omega_must_be_real_numbers(name, beta, omega):
    value = beta if name == "beta" else omega
    match = rf"{name} must be a finite real number, got {re_escape(repr(value))}"
    with pytest.raises(ValueError, match=match):
        hopfield_model(10, beta, omega)
    with pytest.raises(ValueError, match=match):
        HopfieldNetwork(np.ones((2, 6)), beta, omega)


def re_escape(text):
    import re
    return re.escape(text)


def test_pattern_index_out_of_range():
    net = HopfieldNetwork(np.array([[1, 1, -1, -1], [1, -1, 1, -1]]), 2.0, 0.5)
    for mu in (5, -1, 2, 1.0, "0"):
        with pytest.raises(ValueError, match=r"mu must be a pattern index in 0..1 \(p = 2 patterns\)"):
            net.pattern_bloch(mu=mu)
    with pytest.raises(ValueError, match="corruption must be a number in"):
        net.pattern_bloch(mu=1, corruption="0.1")
    with pytest.raises(ValueError, match=r"bloch_of_signature failed on the signature .* indices 0..1.*IndexError"):
        net.block_bloch(lambda s: (0, 0, s[5]))
    with pytest.raises(ValueError, match=r"bloch_of_signature must return a finite Bloch vector \(3,\)"):
        net.block_bloch(lambda s: (0, 0))
    assert net.pattern_bloch(mu=1).shape == (2, 3)


@pytest.mark.parametrize("make", [
    lambda: BlockModel((200,) * 4, channels=[Channel("minus", gamma=ok, delta=np.zeros((4, 3)), block=b)
                                             for b in range(4)]),
    lambda: SpinModel(N=10 ** 7, h=(1, 0, 0), channels=[Channel("minus", gamma=ok)]),
    lambda: HopfieldNetwork(random_patterns(3, 400, seed=1), 1.0, 0.5).model,     # 4 blocks, G ~ 1e8
    lambda: (dense_model(1000), "dense"),
])
def test_a_too_large_run_is_refused_at_once_without_allocating(make):
    """The estimate comes before any allocation: well under a second and a few MB of Python memory.
    The limit is given (2 GiB): the default depends on the machine's memory."""
    import time
    import tracemalloc
    model, method = make(), "auto"
    if isinstance(model, tuple):
        model, method = model
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(MemoryLimitError, match="options.memory_limit") as err:
        run_ensemble(model, coherent_state(), [0, 1], ntraj=1, execution=dict(n_jobs=2),
                     options=dict(memory_limit=2 * 2 ** 30, method=method))
    seconds, peak = time.perf_counter() - t0, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert seconds < 1.0 and peak < 20e6, (seconds, peak)
    assert err.value.needed > err.value.limit


def test_the_sector_solver_refuses_before_building_the_state():
    import time
    model = BlockModel((200,) * 4, channels=[Channel("minus", gamma=ok, delta=np.zeros((4, 3)), block=b)
                                             for b in range(4)])
    t0 = time.perf_counter()
    with pytest.raises(MemoryLimitError, match="sector solver would need"):
        exact_evolution(model, product_state((0.1, 0, 0.3)), [0, 1], options=dict(memory_limit=2 * 2 ** 30))
    assert time.perf_counter() - t0 < 1.0


def test_the_default_memory_limit_is_half_of_this_machines_memory():
    from trajectories.base.options import (FALLBACK_MEMORY_LIMIT, MEMORY_LIMIT, default_memory_limit,
                                           machine_memory)
    total = machine_memory()
    assert MEMORY_LIMIT == (total // 2 if total else FALLBACK_MEMORY_LIMIT)
    assert TrajectoryOptions().memory_limit == ODEOptions().memory_limit == MEMORY_LIMIT
    assert default_memory_limit(16 * 2 ** 30) == 8 * 2 ** 30
    assert default_memory_limit(0) == FALLBACK_MEMORY_LIMIT == 2 * 2 ** 30
    if Path("/proc/meminfo").exists():  # the physical memory (or a lower container limit)
        kb = int(re_search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text()))
        assert 0 < total <= kb * 1024


def test_the_memory_error_names_the_option_and_how_to_raise_it():
    """A refused run says which option refused it and how to raise it; raised per run, it runs."""
    model = dense_model(60)
    with pytest.raises(MemoryLimitError) as err:
        run_ensemble(model, coherent_state(), [0, 0.1], ntraj=1, seed=1, options=dict(memory_limit=1e6, method="dense"))
    message = str(err.value)
    assert "above options.memory_limit = 0.000931 GiB" in message
    assert "raise the limit: options=dict(memory_limit=" in message and "[options] memory_limit" in message
    raised = float(re_search(r"memory_limit=([0-9.e+]+)\)", message))
    assert raised > err.value.needed
    assert run_ensemble(model, coherent_state(), [0, 0.1], ntraj=1, seed=1,
                        options=dict(memory_limit=raised, method="dense")).ntraj == 1
    # "auto" runs a larger one (dense matrices above DENSE_AUTO_BYTES) on the banded path (in a turned frame:
    # "rotated") in a few MB
    assert run_ensemble(dense_model(200), coherent_state(), [0, 0.1], ntraj=1, seed=1,
                        options=dict(memory_limit=1e6)).meta["path"] == "rotated"
    with pytest.raises(MemoryLimitError, match=r"sector solver.*above options.memory_limit.*memory_limit="):
        exact_evolution(hopfield(40), coherent_state(), [0, 1], options=dict(memory_limit=1e6))


def test_the_memory_limit_is_not_part_of_a_runs_identity(tmp_path):
    """It changes no number: a checkpoint resumes, and ensembles merge, under another limit."""
    args = (hopfield(6), coherent_state(0.4), [0, 0.5])
    path = tmp_path / "ck.npz"
    first = run_ensemble(*args, ntraj=3, seed=2, execution=dict(checkpoint=path), options=dict(memory_limit=1e8))
    again = run_ensemble(*args, ntraj=3, seed=2, execution=dict(checkpoint=path), options=dict(memory_limit=2e8))
    assert again.ntraj == 3 and np.array_equal(first.sum1, again.sum1)
    more = run_ensemble(*args, ntraj=2, seed=2, start=3)
    assert first.merge(more).ntraj == 5


def re_search(pattern, text):
    import re
    return re.search(pattern, text).group(1)


def test_the_memory_estimate_bounds_what_a_trajectory_allocates():
    """trajectory_memory is an upper bound of the arrays a banded and a dense trajectory allocate."""
    import tracemalloc
    from trajectories.engine.compiled import trajectory_memory
    for model in (hopfield(3000), dense_model(60)):
        run_ensemble(model, coherent_state(0.3), [0, 0.05], ntraj=1, seed=1)        # compile the kernels
        tracemalloc.start()
        path = run_ensemble(model, coherent_state(0.3), [0, 0.05], ntraj=1, seed=1).meta["path"]
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        per_worker, shared = trajectory_memory(model, path)
        # plus ~4 MB of Python objects and recorded moments, which the estimate leaves out
        assert peak < per_worker + 5 * shared + 4e6, (peak, per_worker, shared)


def test_n_jobs_beyond_the_cores_is_capped_with_a_warning():
    from trajectories.engine.parallel import available_cores
    model, state, times = hopfield(8), coherent_state(0.4), [0, 0.5]
    with pytest.warns(RuntimeWarning, match=f"exceeds the {available_cores()} cores available"):
        many = run_ensemble(model, state, times, ntraj=6, seed=2, execution=dict(n_jobs=1000))
    few = run_ensemble(model, state, times, ntraj=6, seed=2, execution=dict(n_jobs=available_cores()))
    np.testing.assert_array_equal(many.sum1, few.sum1)


def test_a_huge_hamiltonian_warns_of_the_steps_and_an_absurd_one_is_refused():
    """The no-jump step is ~1/||H||: a field of 1e8 on N = 10 over t = 0.01 means ~1e7 steps (a warning
    before the run); 1e200 could never be integrated (a ValueError naming the parameters)."""
    from trajectories.engine.compiled import hamiltonian_norm
    big = SpinModel(10, h=(1e8, 0, 0))
    assert hamiltonian_norm(compile_model(big)) == pytest.approx(1.1e9)  # ||h S_x|| = 1e9 <= h (N + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", StiffnessWarning)
        with pytest.raises(StiffnessWarning, match=r"1.1e\+07 no-jump steps .* lower the fields and couplings"):
            run_ensemble(big, coherent_state(0.4), [0, 0.01], ntraj=1, seed=1)
    for model in (SpinModel(10, h=(1e200, 0, 0)), stiff_model(rate=1e300),
                  SpinModel(4, channels=[Channel("minus", gamma=lambda x: -1e300 + 0 * x, delta=(0, 1, 0))])):
        with pytest.raises(ValueError, match=r"largest total jump rate .* or Hamiltonian norm .* exceeds 1e\+100"):
            run_ensemble(model, coherent_state(0.4), [0, 1], ntraj=1, seed=1)


@pytest.mark.parametrize("method", ["sectors", "full"])
def test_the_exact_solvers_know_their_steps_before_integrating(method):
    """A generator of norm ~1e9 over t = 0.01 warns (StiffnessWarning); over t = 1 (~1e9 steps, hours)
    it is refused with the estimate and options.max_steps; one that overflows is a ValueError."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", StiffnessWarning)
        with pytest.raises(StiffnessWarning, match=r"integration steps expected"):
            exact_evolution(SpinModel(4, h=(1e8, 0, 0)), coherent_state(0.4), [0, 0.01], method=method)
    for model, stop in ((SpinModel(4, h=(1e8, 0, 0)), 1), (stiff_model(N=4, rate=1e6), 100), (hopfield(4), 1e9)):
        with pytest.raises(WorkLimitError, match=r"integration steps expected .* above options.max_steps = 1e\+08"
                                                 r".*raise options.max_steps"):
            exact_evolution(model, coherent_state(0.4), [0, stop], method=method)
    with pytest.raises(ValueError, match=r"generator's norm .* exceeds 1e\+100"):
        exact_evolution(stiff_model(N=4, rate=1e300), coherent_state(0.4), [0, 1], method=method)
    assert exact_evolution(hopfield(4), coherent_state(0.4), [0, 1], method=method).mean.shape == (3, 2)


@pytest.mark.parametrize("method", ["sectors", "full"])
def test_huge_delta_coefficients_are_diagonalised(method):
    """Delta = 1e200 m_x: Gamma(Delta) of a constant gamma is the constant, as for Delta = m_x."""
    def model(r):
        return SpinModel(3, h=(0.3, 0, 0), channels=[Channel("minus", gamma=lambda x: 0.7 + 0 * x, delta=(r, 0, 0))])
    a = exact_evolution(model(1e200), coherent_state(0.4), [0, 0.5], method=method)
    b = exact_evolution(model(1.0), coherent_state(0.4), [0, 0.5], method=method)
    np.testing.assert_allclose(a.mean, b.mean, atol=1e-10)


@pytest.mark.parametrize("make, match", [
    (lambda: coherent_state({"a": 1}), r"theta must be a real number or a sequence of them, got \{'a': 1\}"),
    (lambda: coherent_state(0.1, 1j), "phi must be a real number"),
    (lambda: product_state("abc"), "r must be a real number"),
    (lambda: product_state([[1], [1, 2]]), "r must be a real number"),
    (lambda: classical_state(None), "p_up must be a real number"),
    (lambda: dicke_state(j="1"), "j must be a real number"),
    (lambda: run_ensemble(hopfield(3), coherent_state(), "abc", ntraj=1), "times must be a real number"),
    (lambda: run_ensemble(hopfield(3), coherent_state(), [0, 1j], ntraj=1), "times must be a real number"),
    (lambda: run_ensemble(hopfield(3), product_state(0.2), [0, 1], ntraj=1),
     r"r must be a vector of 3 values or one per block \(1, 3\), got shape \(\)"),
    (lambda: exact_evolution(hopfield(10 ** 9), coherent_state(), [0, 1], method="full"),
     r"N <= 10 .* got N = 1000000000"),
])
def test_values_that_are_no_numbers_get_one_error_naming_them(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_a_number_is_a_constant_rate():
    """gamma=0.7 (or rate=0.49) is the constant function: the same trajectories, bit for bit, as
    gamma=lambda x: np.full_like(x, 0.7), and the same exact evolution; the repr shows the number."""
    times = np.linspace(0, 1, 5)

    def model(gamma=None, rate=None):
        return SpinModel(12, h=(1.0, 0, 0), channels=[Channel("minus", gamma=gamma, rate=rate, delta=(0, 0, 1))])

    ref = model(gamma=lambda x: np.full_like(x, 0.7))
    a, g, r = (run_ensemble(m, coherent_state(0.4), times, ntraj=20, seed=5)
               for m in (ref, model(gamma=0.7), model(rate=0.49)))
    np.testing.assert_array_equal(g.mean, a.mean)
    np.testing.assert_allclose(r.mean, a.mean, rtol=0, atol=1e-14)        # sqrt(0.49) may differ from 0.7 in one ulp
    np.testing.assert_allclose(exact_evolution(model(gamma=0.7), coherent_state(0.4), times).mean,
                               exact_evolution(ref, coherent_state(0.4), times).mean, atol=1e-12)
    assert "gamma=0.7" in repr(model(gamma=0.7).channels[0])


def test_small_frictions_of_a_new_user():
    """qutip operators are accepted as they are; angles in degrees are refused; a mean field of
    another N (the same block fractions) serves for E_N; the rotated path is named."""
    qutip = pytest.importorskip("qutip")
    assert Channel(qutip.sigmam(), gamma=1.0).op == "minus"
    np.testing.assert_array_equal(QuditChannel(qutip.destroy(3), rate=0.5).op, qutip.destroy(3).full())
    with pytest.raises(ValueError, match=r"theta is in radians within \[-2 pi, 2 pi\], got 90.0"):
        coherent_state(90)
    with pytest.raises(ValueError, match="phi is in radians"):
        coherent_state(0.3, phi=[0.1, 180])
    model, state, times = hopfield_model(6, 1.0, 0.5), coherent_state(0.4), np.linspace(0, 1, 3)
    ens = run_ensemble(model, state, times, ntraj=4, seed=1)
    a, b = clustering(ens, mean_field(hopfield_model(60, 1.0, 0.5), state, times)), clustering(
        ens, mean_field(model, state, times))
    np.testing.assert_allclose(a[0], b[0], rtol=1e-12)
    two = BlockModel([4, 2], channels=[Channel("minus", gamma=1.0)])
    other = BlockModel([3, 3], channels=[Channel("minus", gamma=1.0)])
    two_ens = run_ensemble(two, coherent_state(0.4), times, ntraj=3, seed=1)
    with pytest.raises(ValueError, match="block fractions N_b / N, which differ"):
        clustering(two_ens, mean_field(other, coherent_state(0.4), times))
    clustering(two_ens, mean_field(BlockModel([8, 4], channels=[Channel("minus", gamma=1.0)]),
                                   coherent_state(0.4), times))
    shared = SpinModel(8, h=(0.5, 0, 0), channels=[Channel("minus", rate=lambda x: 1 + 0.5 * x, delta=(0.3, 0, 1))])
    rotated = run_ensemble(shared, coherent_state(0.4), times, ntraj=1, seed=1)
    assert rotated.meta["path"] == "rotated" and "frame" in rotated.meta


@pytest.mark.parametrize("call, name", [
    (lambda v: run_ensemble(hopfield(4), coherent_state(0.4), [0, 0.1], ntraj=1, seed=1, keep_trajectories=v),
     "keep_trajectories"),
    (lambda v: ExecutionOptions(progress=v), "progress"),
    (lambda v: __import__("trajectories").fluctuations(hopfield(4), coherent_state(0.4), [0, 0.1],
                                                       rate_derivatives=v), "rate_derivatives"),
    (lambda v: __import__("trajectories").exact_correlation(hopfield(3), coherent_state(0.4), [0.1], lags=[0, 0.1],
                                                            a=np.eye(2), b=np.eye(2), block=0, connected=v),
     "connected"),
])
@pytest.mark.parametrize("value", ["false", "True", 0, 1, None, [False]])
def test_a_flag_must_be_a_real_bool(call, name, value):
    """'false' is truthy: a flag that is not a bool is a ValueError naming it, never read as True."""
    with pytest.raises(ValueError, match=rf"{name} must be True or False, got {value!r}".replace("[", r"\[")):
        call(value)


@pytest.mark.parametrize("call", [
    lambda m: run_ensemble(m, coherent_state(0.4), [0, 1], ntraj=2, seed=1),
    lambda m: exact_evolution(m, coherent_state(0.4), [0, 1]),
    lambda m: mean_field(m, coherent_state(0.4), [0, 1]),
    lambda m: __import__("trajectories").fluctuations(m, coherent_state(0.4), [0, 1]),
    lambda m: __import__("trajectories").exact_stationary(m, coherent_state(0.4)),
    lambda m: __import__("trajectories").spectral_gap(m, coherent_state(0.4)),
    lambda m: __import__("trajectories").exact_correlation(m, coherent_state(0.4), [0.1], lags=[0, 0.1], a=np.eye(2),
                                                           b=np.eye(2), block=0),
    lambda m: __import__("trajectories").stationary_average(m, coherent_state(0.4), burn_in=1, t_total=2, dt=0.5,
                                                            ntraj=1, seed=1),
])
@pytest.mark.parametrize("model", ["hopfield", None, {"name": "hopfield", "N": 4}, 4])
def test_a_model_that_is_not_a_model_object_names_what_to_pass(call, model):
    """A model's name (a config's word) or any other object: one ValueError saying what a model is."""
    with pytest.raises(ValueError, match=r"model must be a SpinModel.*, got " + type(model).__name__) as err:
        call(model)
    assert ("build the model object first" in str(err.value)) == isinstance(model, str)


@pytest.mark.parametrize("backend", ["auto", "dask"])
def test_a_scheduler_selects_dask_with_the_default_backend(backend):
    assert ExecutionOptions(scheduler="tcp://127.0.0.1:1", backend=backend).resolved_backend == "dask"
    assert ExecutionOptions(backend=backend).resolved_backend == ("dask" if backend == "dask" else "serial")


@pytest.mark.parametrize("backend", ["serial", "joblib", "loky"])
def test_a_scheduler_with_another_backend_is_refused(backend):
    """A scheduler address is never silently ignored."""
    with pytest.raises(ValueError, match=rf"scheduler is used by backend 'dask' only, got backend '{backend}'"):
        ExecutionOptions(scheduler="tcp://127.0.0.1:8786", backend=backend, n_jobs=2)


def test_too_many_output_times_are_refused_up_front():
    from trajectories.base.checks import MAX_TIMES
    with pytest.raises(ValueError, match=r"times must have at most 1e\+06 entries.*got 1000001"):
        run_ensemble(hopfield(4), coherent_state(0.4), np.arange(MAX_TIMES + 1.0), ntraj=1, seed=1)
    with pytest.raises(ValueError, match=r"times must have at most"):
        exact_evolution(hopfield(4), coherent_state(0.4), np.arange(MAX_TIMES + 1.0))


@pytest.mark.parametrize("T, kwargs, limit", [
    (300000, dict(ntraj=4), 100e6),                                            # the running sums at many times
    (1000, dict(ntraj=10 ** 6, keep_trajectories=True), None),                 # every trajectory kept
    (100000, dict(ntraj=4, distributions=True), 1e9),                          # N + 1 bins at every time
    (100000, dict(ntraj=4, observables={f"o{k}": (lambda m, k=k: m ** k) for k in range(50)}), 1e9),
    (100000, dict(ntraj=4096, execution=dict(n_jobs=2, batch_size=256)), 5e9),  # batches in flight
])
def test_the_memory_estimate_counts_what_a_run_records(T, kwargs, limit):
    """Recorded moments, sums, distributions, observables, kept trajectories and batches in flight are
    part of the estimate: refused before the first trajectory, the message naming them."""
    options = {} if limit is None else dict(memory_limit=limit)
    model = hopfield(2000) if kwargs.get("distributions") else hopfield(4)
    with pytest.raises(MemoryLimitError, match=r"GiB of recorded moments and sums.*fewer output times") as err:
        run_ensemble(model, coherent_state(0.4), np.linspace(0, 1, T), seed=1, options=options, **kwargs)
    assert err.value.needed > err.value.limit


def test_the_recorded_memory_estimate_bounds_what_a_run_allocates():
    """tracemalloc's peak of a run at 20000 output times that keeps its trajectories, two per batch, is
    below trajectory_memory + recorded_memory."""
    import tracemalloc
    from trajectories.engine.compiled import recorded_memory, trajectory_memory
    model, times = hopfield(4), np.linspace(0, 2, 20000)
    run_ensemble(model, coherent_state(0.3), [0, 0.05], ntraj=1, seed=1)        # compile the kernels
    tracemalloc.start()
    run_ensemble(model, coherent_state(0.3), times, ntraj=4, seed=1, keep_trajectories=True,
                 execution=dict(batch_size=2))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    per_worker, shared = trajectory_memory(model)
    recorded = recorded_memory(len(times), 1, 0, 0, 2, 1, 4, True)
    assert 0.3 * recorded < peak < per_worker + recorded + 4e6, (peak, recorded)
