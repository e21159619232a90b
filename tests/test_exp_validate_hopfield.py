"""experiments/validate_hopfield.py: trajectories of the Hopfield model (beta = 2, Omega = 0.5) against the
exact evolution (small N) and mean field (large N), asserted on the fast mode (fixed seeds)."""
import numpy as np
import pytest
from systems import assert_replots, load_experiment, run_fast

NAME = "validate_hopfield"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_fast(NAME, tmp_path_factory)


def check_against_exact(r):
    # every mean and second moment within 4 standard errors of the exact evolution
    assert r["z_mean_max"] < 4.0, r["z_mean"]
    assert r["z_second_max"] < 4.0, r["z_second"]
    # entries without spread (t = 0 of a coherent state) equal the exact value to round-off
    assert r["zero_spread_dev"] < 1e-10


def check_against_mean_field(r):
    # large N: on mean field within 4 s.e. plus the exact small-N bias scaled as 1/N
    assert r["large_z_excess"] < 4.0
    np.testing.assert_allclose(r["bias_scaled"], np.abs(r["exact_mean"] - r["mf_mean"]) * r["n_small"] / r["n_large"])


def test_trajectories_match_exact_evolution(run):
    check_against_exact(run[0])


def test_large_n_follows_mean_field(run):
    r = run[0]
    check_against_mean_field(r)
    # the large-N ensemble is closer to mean field than the exact small-N evolution (finite-N bias)
    assert np.abs(r["exact_mean"] - r["mf_mean"]).max() > r["large_dev_max"]


def test_plot_from_saved_data(run):
    assert_replots(NAME, *run)


@pytest.mark.slow
def test_full_mode():
    module = load_experiment(NAME)
    r = module.compute(module.Params())
    check_against_exact(r)
    check_against_mean_field(r)
    assert r["large_dev_max"] < 0.01
