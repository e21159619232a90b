"""experiments/eq58_vs_eq59.py: the Hopfield eq. 58 / eq. 59 difference is d(t)/N + O(1/N^2), asserted on
the fast mode (fixed seeds; common-seed pairs); tolerances from the statistical errors."""
import numpy as np
import pytest
from scipy.stats import chi2 as chi2_dist
from systems import assert_replots, load_experiment, run_fast

NAME = "eq58_vs_eq59"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return run_fast(NAME, tmp_path_factory)


def check_exact(r):
    # exact difference ~ 1/N: deterministic, and in this paramagnet N |D| varies by <= 5% over N = 20..80
    # (O(1/N^2) part), a slope shift <= 0.03 (measured -0.991, -0.988, -0.971 at t = 1, 2, 4); 0.05 leaves
    # room without admitting e.g. -1/2 or -3/2
    assert np.all(np.abs(r["exact_exponent"] + 1) < 0.05), r["exact_exponent"]
    assert np.all(r["exact_exponent_err"] < 0.01)                       # residuals of the log-log fit
    # N D(t) converges to the mean-field linear response d_MF(t): closer at the largest exact N than at N = 10
    k1 = int(np.argmin(np.abs(r["times"] - 1.0)))
    Nex, Dex, d = r["exact_Ns"], r["D_exact"], r["d_mf"]
    assert abs(Nex[-1] * Dex[-1, 2, k1] - d[2, k1]) < 0.3 * abs(Nex[0] * Dex[0, 2, k1] - d[2, k1])
    assert abs(Nex[-1] * Dex[-1, 2, k1] - d[2, k1]) < 0.1 * abs(d[2, k1])
    np.testing.assert_allclose(d[:, 0], 0.0, atol=1e-9)                 # same initial state
    np.testing.assert_allclose(Dex[:, :, 0], 0.0, atol=1e-12)


def check_pairs(r):
    # paired trajectories agree with d_MF/N within 4 s.e. + the O(1/N^2) part (|N D - d| at the largest exact N)
    assert r["pair_z_excess"] < 4.0, r["pair_z_excess"]
    for i, N in enumerate(r["Ns"]):
        ok = np.abs(N * r["D"][i, 2] - r["d_mf"][2]) < 4 * N * r["stderr"][i, 2] + r["pair_slack"]
        assert ok[1:].all(), N
    # common seeds: the paired error is several times below the unpaired one (measured ~9x at N = 100)
    assert np.all(r["error_gain"] > 4.0), r["error_gain"]
    # the signed power-law fit describes the pairs (chi^2 p-value not tiny)
    for chi2, dof in zip(r["traj_chi2"], r["traj_dof"]):
        assert chi2_dist.sf(chi2, dof) > 1e-4, (chi2, dof)


def test_exact_difference_is_order_one_over_n(run):
    check_exact(run[0])


def test_paired_trajectories(run):
    check_pairs(run[0])


def test_plot_from_saved_data(run):
    assert_replots(NAME, *run)


@pytest.mark.slow
def test_full_mode():
    module = load_experiment(NAME)
    r = module.compute(module.Params())
    check_exact(r)
    check_pairs(r)
    # the pairs' exponent is -1 within 3 chi^2-scaled errors where the trajectories resolve it (error below
    # 0.15: t = 1, 2, measured -1.11 +- 0.08, -1.09 +- 0.12); at t = 4 (-1.35 +- 0.33) they do not, and the
    # exact exponent (check_exact) carries the claim
    p, pe = r["traj_exponent"], r["traj_exponent_err"]
    resolved = pe < 0.15
    assert resolved[:2].all() and np.all(np.abs(p[resolved] + 1) < 3 * pe[resolved]), (p, pe)
