"""Claims of experiments/mf_exactness.py (the O(1/N) bias of mean field), on its fast mode (one run per
module, fixed seeds) and, with -m slow, on the full mode of the committed figure.

The exact bias is noise-free: N D(t) converges to its Richardson limit b(t) (docs/theory.md §4). Trajectory
points: within 4 standard errors plus the finite-N correction |c1|/N + |c2|/N^2 of the exact polynomial.
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


def check_exact_bias(r, rel_err_max):
    """N D_z(t*) converges: its increments between successive exact N shrink and the Richardson limit's
    error is below rel_err_max of it (fast: b_z(1) = -0.2042 +- 0.0003, b_z(2) = -0.3360 +- 0.002); the bias is
    O(1/N), not smaller: |b| is far from 0."""
    Nex = r["exact_Ns"]
    for k in r["k_stars"]:
        nd = Nex * r["D_exact"][:, 2, k]
        steps = np.abs(np.diff(nd))
        assert np.all(steps[1:] < steps[:-1]), (k, nd)                   # increments shrink
        b, e = r["b"][2, k], r["b_err"][2, k]
        assert e < rel_err_max * abs(b) and abs(b) > 0.1, (b, e)


def check_trajectories(r):
    """Every trajectory N D_a(t) agrees with b(t) within the allowance (fast: <= 0.40); at N = 10 the bias is
    resolved (|b|/N > 2 sigma) and the trajectories agree with the exact D at N = 10 (fast: 2.1 s.e.)."""
    assert np.all(r["z_allow"] < 1), r["z_allow"].max()
    assert np.all(r["resolved"][0, r["k_stars"]])
    assert float(r["exact_zmax"]) < 4


def test_fast_exact_bias(fast):
    check_exact_bias(fast["result"], rel_err_max=0.02)


def test_fast_trajectories(fast):
    check_trajectories(fast["result"])


def test_fast_outputs_and_replot(fast):
    assert_replots(NAME, fast["result"], fast["out"], fast["data"], fast["tmp"])


@pytest.mark.slow
def test_full_mode(experiment):
    r = experiment.compute(experiment.Params())
    check_exact_bias(r, rel_err_max=0.02)
    check_trajectories(r)
