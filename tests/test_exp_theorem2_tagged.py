"""experiments/theorem2_tagged.py: its claims, asserted on one fast run (module fixture).

Theorem 2 (paper eq. 50; docs/theory.md §5): a tagged site follows the effective local generator L_t
up to O(1/N), and two-site connected correlations are O(1/N) with the constant lim N C_zz(t) of the
linear-noise expansion (docs/theory.md §10). Exact-sector numbers carry no statistical error: their N -> oo
limit is the fit c + d/N + e/N^2 of `extrapolate_limit`, whose error joins the fit's residuals, the change when
the smallest N is dropped and, where the increments do not yet shrink at the 1/N rate, the distance to the
limit of the observed approach; a limit agrees with the prediction within 4 of these errors. Trajectory
numbers: within 4 combined errors (theirs and the fit's at their N) of the exact fit.
"""
import numpy as np
import pytest

from systems import assert_replots, load_experiment, run_fast

#: lim N C_zz(3) of the single-block Hopfield model (Omega = 0.5, coherent start theta = 0.4) from the
#: Gaussian-fluctuation theory (verified against extrapolated exact results in tests/test_fluctuations.py)
PREDICTED = {"pm": 1.3210, "lc": 7.438}
#: the convergence check of the full mode (N = 10 .. 80 for (b), 10 .. 160 for (f)), as the figure states it
FULL_TAG_CONVERGED = (False, False)
FULL_LC_CONVERGED = False


@pytest.fixture(scope="module")
def t2():
    return load_experiment("theorem2_tagged")


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    return run_fast("theorem2_tagged", tmp_path_factory)


def test_tagged_site_follows_local_generator(fast):
    res = fast[0]
    # trajectories at N = 100 agree with L_t within 4 standard errors (measured 1.1), while the bulk mean
    # field, which the tagged site does not follow, is far from it (measured 1.72)
    assert res["tag_traj_z"] < 4.0
    assert res["bulk_vs_local"] > 0.5


def test_local_generator_at_t0_is_the_tag_state(fast):
    res = fast[0]
    th, ph = res["tag"]
    r0 = [np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)]
    for N in res["Ns_exact"]:
        np.testing.assert_allclose(res[f"tag_local_N{N}"][:, 0], r0, atol=1e-12)
        np.testing.assert_allclose(res[f"tag_exact_N{N}"][:, 0], r0, atol=1e-9)
    np.testing.assert_allclose(res["tag_traj_mean"][:, 0], r0, atol=1e-9)


def check_tagged_deviation(res, rel_err_max, converged):
    """N (r_exact - r_L)(t*) has a finite limit at fixed t*: for the largest component (z) at each t* the
    increments of N Delta r per doubling of N shrink (they would grow by 2^0.24 per doubling for the reading
    Delta r ~ N^-0.76), its limit has a relative error below rel_err_max (one per t*), the convergence check gives
    `converged` (one flag per t*, as the figure states it), and where it fails the error spans the limit of
    the observed slower approach."""
    nd, lim, err = res["tag_ndev"], res["tag_limit"], res["tag_err"]
    assert np.all(np.isfinite(lim)) and np.all(np.abs(lim) < 1), lim
    for j in range(nd.shape[1]):
        a = int(np.argmax(np.abs(nd[-1, j])))
        assert a == 2, nd[-1, j]
        steps = np.abs(np.diff(nd[:, j, a]))
        assert np.all(steps[1:] < steps[:-1]), (j, nd[:, j, a])
        assert err[j, a] < rel_err_max[j] * abs(lim[j, a]), (j, lim[j, a], err[j, a])
        assert bool(res["tag_converged"][j, a]) == converged[j], (j, res["tag_ratios"][:, j, a])
        if not converged[j]:
            assert abs(res["tag_tail"][j, a] - lim[j, a]) <= err[j, a], (j, res["tag_tail"][j, a], lim[j, a])


def test_tagged_deviation_is_order_1_over_N(fast):
    # fast (N = 6, 12, 24; c + d/N): N Delta r_z(1.5) -> -0.313 +- 0.059 (increment ratio 0.68 per doubling, not
    # converged; the slower approach's limit -0.369 within the error), N Delta r_z(3) -> 0.34 +- 1.0 (ratio 0.93:
    # these N do not determine the limit, which the error says)
    check_tagged_deviation(fast[0], rel_err_max=(0.25, np.inf), converged=(False, False))


def check_correlation_limit(res, case):
    """The exact points' limit of N C_zz(3) agrees with the linear-noise prediction within 4 of its errors;
    trajectories within 4 combined errors of the exact fit at their N."""
    pred = res[f"{case}_theory"][-1]
    assert pred == pytest.approx(PREDICTED[case], rel=1e-3)
    lim, err = float(res[f"{case}_fit_limit"]), float(res[f"{case}_fit_err"])
    assert abs(lim - pred) < 4 * err, (case, lim, err, pred)
    assert abs(float(res[f"{case}_z_theory"]) - (lim - pred) / err) < 1e-12
    assert np.all(np.abs(res[f"{case}_z_t"]) < 4), (case, res[f"{case}_z_t"])


def test_connected_correlations_converge_to_linear_noise_constant(fast):
    res = fast[0]
    # beta = 1: exact N C_zz(3) = 1.028, 1.144, 1.223 (N = 10, 20, 40) rise towards the prediction 1.3210; fit
    # c + d/N 1.28 +- 0.12 (-0.3 errors; increment ratio 0.68, not converged); trajectories N = 100: 1.17 +- 0.17
    check_correlation_limit(res, "pm")
    assert not res["pm_fit_converged"] and float(res["pm_fit_err"]) < 0.1 * res["pm_theory"][-1]
    v = res["pm_last_e"]
    assert np.all(np.diff(v) > 0) and np.all(v < res["pm_theory"][-1]), v
    # the whole curve N C_zz(t) approaches the linear-noise curve: the largest N is closer at every t
    theory = res["pm_theory"]
    gap = [np.abs(res[f"pm_exact_N{N}"] - theory) for N in res["pm_Ns_e"]]
    assert np.all(gap[-1][1:] < gap[0][1:]), gap
    assert np.all(np.abs(res["pm_exact_N10"][0]) < 1e-9)            # product state: C(0) = 0


def test_limit_cycle_correlations_approach_the_larger_constant(fast):
    res = fast[0]
    # beta = 2 (limit cycle): lim N C_zz(3) = 7.438, 5.6 x the paramagnet's; exact N C_zz(3) = 2.25, 3.22, 4.35
    # at N = 10, 20, 40 rise towards it from below with shrinking gaps (a slow approach: the increments grow,
    # ratio 1.16, so these N give no limit: infinite error, flagged as not converged)
    pred = res["lc_theory"][-1]
    assert not res["lc_fit_converged"] and abs(float(res["lc_fit_limit"]) - pred) < 4 * float(res["lc_fit_err"])
    assert pred == pytest.approx(PREDICTED["lc"], rel=1e-3)
    v = res["lc_last_e"]
    gaps = pred - v
    assert np.all(gaps > 0) and np.all(np.diff(gaps) < 0), v
    assert np.all(gaps[1:] / gaps[:-1] > 0.5), gaps                    # slower than pure 1/N at these N


def test_replot_from_saved_data(fast):
    assert_replots("theorem2_tagged", *fast)


@pytest.mark.slow
def test_full_mode(t2):
    res = t2.compute(t2.Params())
    assert res["tag_traj_z"] < 4.0 and res["bulk_vs_local"] > 0.5
    check_tagged_deviation(res, rel_err_max=(0.25, 0.25), converged=FULL_TAG_CONVERGED)
    for case in ("pm", "lc"):
        check_correlation_limit(res, case)
    assert res["pm_fit_converged"] and float(res["pm_fit_err"]) < 0.005 * res["pm_theory"][-1]
    assert bool(res["lc_fit_converged"]) == FULL_LC_CONVERGED
