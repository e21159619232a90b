"""experiments/superradiance.py: collective emission with excitation-dependent local dephasing, asserted on one
fast run (exact sector solver N = 10, 20, 40, 80; 400 trajectories at N = 40) and, marked slow, on the full run
(exact N = 20..160, trajectories N = 160, 1000, 10^4)."""
import numpy as np
import pytest

from systems import assert_replots, load_experiment, run_fast


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    return run_fast("superradiance", tmp_path_factory)


def check_trajectories(r):
    """Means (and, where N was also solved exactly, intensity and N E_N) within 4 standard errors of the
    exact solution; at larger N the means within 4 standard errors of mean field, and N E_N(t*) within 4
    combined errors (theirs and the fit's at their N) of the exact values' fit c + d/N + e/N^2."""
    k = int(r["k_star"])
    for N, P, Pe in zip(r["traj_Ns"], r["exact_poly_at_traj"], r["exact_poly_err_at_traj"]):
        m, e = r[f"traj{N}_mean"], r[f"traj{N}_stderr"]
        exact = N in r["exact_Ns"]
        ref = r[f"exact{N}_mean"] if exact else r["mf_mean"]
        assert np.all(np.abs(m - ref) <= 4 * e + 1e-10), N
        if exact:
            assert np.all(np.abs(r[f"traj{N}_NE"] - r[f"exact{N}_NE"]) <= 4 * r[f"traj{N}_NE_err"] + 1e-10)
            assert np.all(np.abs(r[f"traj{N}_intensity"] - r[f"exact{N}_intensity"])
                          <= 4 * r[f"traj{N}_intensity_err"] + 1e-10)
        assert abs(r[f"traj{N}_NE"][k] - P) < 4 * np.hypot(r[f"traj{N}_NE_err"][k], Pe), N


def check_burst(r):
    """The intensity rises above its initial value before it decays (collective gain), in mean field and in
    the exact solution at the largest N; independent emission at the same rate would only decay."""
    intensity = r["mf_intensity"]
    k = int(np.argmax(intensity))
    assert 0 < k < len(intensity) - 1 and intensity[k] > 1.05 * intensity[0]
    exact = r[f"exact{r['exact_Ns'][-1]}_intensity"]
    assert exact.max() > 1.05 * exact[0] and exact[-1] < exact.max()


def check_clustering(r, full):
    """N E_N(t*) of the exact solution approaches the Gaussian theory's tr Sigma / 2 with a gap that closes
    like 1/N: N x gap changes by less than 10 % per doubling of N (measured 2.81, 2.79, 2.64 fast; 2.79 ..
    2.44 full) and is below 3 % of the constant at the largest N; the increments pass the convergence check
    and the fit's limit equals the prediction within 4 of its errors, which are below 1 % (fast) and 0.1 %
    (full) of the constant (fast: 2.6442 +- 0.005 against 2.6388, ratios 0.52, 0.47 per doubling; full: 2.6399 +- 0.0010, ratios 0.47,
    0.47). A wrong noise term would leave a gap that does not close."""
    k = int(r["k_star"])
    theory = r["theory_NE"][k]
    gaps = r["exact_Ns"] * (theory - r["exact_NE_star"])
    assert np.all(gaps > 0)
    assert np.all(np.abs(np.diff(gaps)) < 0.1 * gaps[1:]), gaps
    assert gaps[-1] / r["exact_Ns"][-1] < 0.03 * theory
    assert r["NE_converged"], (r["NE_ratios"], r["NE_pred_ratios"])
    lim, err = float(r["NE_limit"]), float(r["NE_limit_err"])
    assert abs(lim - theory) < 4 * err and err < (1e-3 if full else 1e-2) * theory, (lim, err, theory)


def test_trajectories_agree_with_the_exact_solution(fast):
    check_trajectories(fast[0])


def test_the_burst_is_superradiant(fast):
    check_burst(fast[0])


def test_clustering_tends_to_the_fluctuation_constant(fast):
    check_clustering(fast[0], full=False)


def test_replots(fast):
    assert_replots("superradiance", *fast)


@pytest.mark.slow
def test_full_mode():
    module = load_experiment("superradiance")
    r = module.compute(module.Params())
    check_trajectories(r)
    check_burst(r)
    check_clustering(r, full=True)
