"""Claims of experiments/mf_exactness.py (the O(1/N) bias of mean field), on its fast mode (one run per
module, fixed seeds) and, with -m slow, on the full mode of the committed figure.

The exact bias is noise-free: N D(t) converges to its N -> oo limit (the fit of `extrapolate_limit`,
docs/theory.md §4), which agrees with b(t) of the second-order system-size expansion (the module docstring)
within 4 of its errors; the ordering terms of that expansion are resolved. Trajectory points: within 4
combined errors of the exact finite-N value (their s.e. and, beyond the exact N, the fit's error there); the
trajectories' own estimate of b within 4 of its (chi^2-scaled) errors.
"""
import numpy as np
import pytest

from systems import assert_replots, load_experiment, run_fast

NAME = "mf_exactness"


@pytest.fixture(scope="module")
def experiment():
    return load_experiment(NAME)


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    result, out, data, tmp = run_fast(NAME, tmp_path_factory)
    return dict(result=result, out=out, data=data, tmp=tmp)


def check_exact_bias(r, rel_err_max, converged):
    """N D_z(t*) converges: its increments between successive exact N shrink, the convergence check gives
    `converged` (per t*, as the summary states it), and the limit's error is below rel_err_max (per t*) of it;
    the bias is O(1/N), not smaller: |b| is far from 0."""
    Nex = r["exact_Ns"]
    for j, k in enumerate(r["k_stars"]):
        nd = Nex * r["D_exact"][:, 2, k]
        steps = np.abs(np.diff(nd))
        assert np.all(steps[1:] < steps[:-1]), (k, nd)                   # increments shrink
        b, e = r["b"][2, k], r["b_err"][2, k]
        assert e < rel_err_max[j] * abs(b) and abs(b) > 0.1, (b, e)
        assert r["b_converged"][2, k] == converged[j], r["b_ratios"][:, 2, k]


def check_theory(r, resolved):
    """The derived b(t) against the fit's limit: at every t within 4 of the component's largest error over t, and
    at each t* within 4 of the error there; without the ordering terms the prediction misses by > 20 of the
    largest errors for the components listed in `resolved` (fast, N <= 40: x, y; b_z's error, 0.028 at t = 2 where
    the increments do not yet shrink at the 1/N rate, leaves the z miss, 0.067, at 2.4 errors)."""
    z = load_experiment(NAME).z_theory(r)
    assert np.all(z < 4), z.max(axis=1)
    ks = r["k_stars"]
    diff = np.abs(r["b"] - r["b_theory"])[:, ks]
    assert np.all(diff < 4 * r["b_err"][:, ks]), (diff, r["b_err"][:, ks])
    err = np.where(np.isfinite(r["b_err"]), r["b_err"], 0.0)
    miss = np.abs(r["b"] - r["b_theory_local"]).max(axis=1)
    assert np.all((miss > 20 * err.max(axis=1))[list(resolved)]), (miss, err.max(axis=1))


def check_trajectories(r):
    """Every trajectory N D_a(t) agrees with the exact finite-N value within 4 combined errors (s.e. and, beyond
    the exact N, the fit's error at N) (fast: largest ratio 0.57); the trajectories' estimate of b(t*) is within 4 of its
    errors of the derived b (fast, z: -0.217 +- 0.044 against -0.204, -0.390 +- 0.064 against -0.338); at
    N = 10 the bias is resolved (|b|/N > 2 s.e.)."""
    assert np.all(r["z_allow"] < 1), r["z_allow"].max()
    ks = r["k_stars"]
    gap = np.abs(r["b_traj"] - r["b_theory"][:, ks])
    assert np.all(gap < 4 * r["b_traj_err"]), (gap, r["b_traj_err"])
    assert np.all(r["resolved"][0, ks])


def test_fast_exact_bias(fast):
    # fast (N = 10 .. 40): b_z(1) = -0.2043 +- 0.0002 (converged), b_z(2) = -0.335 +- 0.028 (increment ratios
    # 0.98, 0.83, 0.89 against 0.75, 0.67, 0.75 for 1/N: not converged)
    check_exact_bias(fast["result"], rel_err_max=(0.02, 0.1), converged=(True, False))


def test_fast_theory(fast):
    check_theory(fast["result"], resolved=(0, 1))


def test_fast_trajectories(fast):
    check_trajectories(fast["result"])


def test_fast_outputs_and_replot(fast):
    assert_replots(NAME, fast["result"], fast["out"], fast["data"], fast["tmp"])


def test_ordering_rate_small_field():
    """g(0) = beta/2 - beta^2/4 (the paramagnet's ordering rate), and g is even in m."""
    from trajectories.theory.bias import ordering_rate
    assert abs(ordering_rate(1.0, 0.0) - 0.25) < 1e-15
    assert abs(ordering_rate(2.0, 0.3) - ordering_rate(2.0, -0.3)) < 1e-15


@pytest.mark.slow
def test_full_mode(experiment):
    r = experiment.compute(experiment.Params())
    check_exact_bias(r, rel_err_max=(0.02, 0.02, 0.02), converged=(True, True, True))
    check_theory(r, resolved=(0, 1, 2))
    check_trajectories(r)
