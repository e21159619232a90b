"""experiments/kinetic_constraints.py: kinetically constrained collective rates (docs/theory.md §8), the
claims of the script asserted on its fast mode (fixed seeds), plus the exact absorbing state."""
import numpy as np
import pytest
from systems import assert_replots, load_experiment, run_fast

from models import kinetic_model
from trajectories import (
    classical_state,
    coherent_state,
    exact_evolution,
    mean_field,
    run_ensemble,
)

NAME = "kinetic_constraints"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_fast(NAME, tmp_path_factory)


def check_stationary(r):
    checks = r["a_checks"]          # rows (gamma_up, Omega, kinetic_stationary_density, integrated, drift)
    np.testing.assert_allclose(checks[:, 3], checks[:, 2], atol=1e-7)
    assert np.all(checks[:, 4] < 1e-6)                                  # the integration is stationary
    # the one stable fixed point found by fixed_points is the closed-form root
    assert r["a_fp_stable"].sum() == 1
    assert abs(r["a_fp_n_stable"] - r["a_fp_n_root"]) < 1e-10
    # gamma_up = 0: n^5 = 4 Omega^2 (1 - 2n), so d ln n / d ln Omega = 2 / (5 + 2n/(1 - 2n)) -> 2/5 from below
    assert 0.37 < r["a_slope"] < 0.4
    # n_st increases with Omega and with gamma_up, below 1/2
    assert np.all(np.diff(r["a_nst"], axis=1) > 0) and np.all(np.diff(r["a_nst"], axis=0) >= 0)
    assert np.all(r["a_nst"] < 0.5)


def check_trajectories(r):
    # trajectories follow mean field at every Omega within 4 s.e. + 1/N (finite-N bias) at every t > 0
    assert r["b_excess_max"] < 4.0
    for i, w in enumerate(r["b_omegas"]):
        for k, N in enumerate(r["b_Ns"]):
            dev, se = np.abs(r["b_n"][i, k] - r["b_mf"][i]), r["b_se"][i, k]
            assert np.all(dev[1:] <= 4 * se[1:] + 1.0 / N), (w, N)
    # Omega = 2 is active: n -> 1/2 (mean field n_st = 0.499)
    assert r["b_n"][list(r["b_omegas"]).index(2.0), -1, -1] > 0.45


def check_absorption(r, module):
    # absorption is permanent, and the absorbed fraction and omega_t(n) are those of the death chain
    assert r["c_permanent"].all()
    # (binomial p-values of the all-down counts: the counts are small near P = 0 and 1)
    p_abs, z_n = module.chain_agreement(r)
    assert p_abs > 1e-4 and z_n < 4.0, (p_abs, z_n)
    # mean field decays algebraically: n0 / sqrt(1 + 2 gamma n0^2 t)
    np.testing.assert_allclose(r["c_mf"], r["c_mf_analytic"], rtol=1e-6, atol=1e-9)
    # a small field keeps every trajectory out of the all-down state
    assert r["s_abs"].max() == 0.0 and r["s_n"][-1] > 0.1


def test_stationary_density(run):
    check_stationary(run[0])


def test_trajectories_follow_mean_field(run):
    check_trajectories(run[0])


def test_absorption(run):
    r = run[0]
    check_absorption(r, load_experiment(NAME))
    # fast mode: complete at N = 6 by t = 300 (mean absorption time 43), slower at N = 12 (173)
    assert r["c_abs"][0, -1] == 1.0 and r["c_abs"][1, -1] < r["c_abs"][0, -1]


def test_death_chain_is_the_exact_evolution():
    # at Omega = 0 the dynamics is classical: the chain's omega_t(n) equals the exact evolution
    times = np.array([0.0, 1.0, 5.0, 20.0])
    module = load_experiment(NAME)
    _, n = module.death_chain(6, 1.0, 0.5, times)
    exact = exact_evolution(kinetic_model(6, 0.0, 1.0, 0.0), classical_state(0.5), times)
    np.testing.assert_allclose(n, (1 + exact.mean[2]) / 2, atol=1e-8)


def test_all_down_is_absorbing_at_zero_field():
    # all down at Omega = 0: every rate vanishes and H = 0, exactly, at any N (also with gamma_up > 0)
    model = kinetic_model(30, 1.0, 2.0, 0.0)
    times = np.linspace(0, 50, 6)
    ens = run_ensemble(model, coherent_state(theta=np.pi), times, ntraj=20, seed=1)
    np.testing.assert_allclose(ens.mean[2], -1.0, atol=1e-12)
    assert ens.njumps == 0
    mf0 = mean_field(kinetic_model(10, 0.0, 1.0, 0.0), coherent_state(theta=np.pi), times)
    np.testing.assert_allclose(mf0.mean[2], -1.0, atol=1e-12)


def check_clustering(r):
    """N E_N -> the linear-noise constant at every Omega of (b), Omega = 0 (absorbing) included: at t* = t_max/2
    and t_max the exact values' N -> oo limit (fit in 1/N, `extrapolate_limit`; fast: c + d/N over N = 10, 20, 40)
    agrees with lim N E_N within 4 of its errors, and every
    trajectory N E_N(t) within z_M s.e. plus the exact points' finite-N correction, z_M the two-sided 1 %
    family-wise (Bonferroni) threshold over the compared points (fast: 160 points, z_M = 4.00, largest ratio 0.64;
    full: 720 points, z_M = 4.34, largest 0.98)."""
    T = len(r["b_times"])
    for k in (T // 2, T - 1):
        gap = np.abs(r["d_limit"][:, k] - r["d_c"][:, k])
        assert np.all(gap < 4 * r["d_limit_err"][:, k]), (k, gap, r["d_limit_err"][:, k])
    # the prediction is not the trivial one (independent spins would keep (3 - |r|^2)/2 = 1.5 at all t)
    assert np.all(np.abs(r["d_c"] - 1.5).max(axis=1) > 0.3)
    assert np.all(r["d_z_allow"] < 1), r["d_z_allow"].max()
    assert 3.9 < float(r["d_zM"]) < 4.6


def test_clustering_scaling(run):
    check_clustering(run[0])


def test_plot_from_saved_data(run):
    assert_replots(NAME, *run)


@pytest.mark.slow
def test_full_mode():
    module = load_experiment(NAME)
    r = module.compute(module.Params())
    check_stationary(r)
    check_trajectories(r)
    check_absorption(r, module)
    check_clustering(r)
