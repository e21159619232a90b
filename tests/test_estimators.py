"""Estimators: E_N(t) (paper eq. 24, Theorem 1), variances, covariances, connected correlations, their
standard errors, bootstrap intervals and power-law fits.

Statistical comparisons use fixed seeds and |estimate - exact| < 4 stderr (+1e-10 for t = 0, where
pure initial states give stderr 0). The E_N ~ 1/N fit is checked on N = 20..400 (default run) and
N = 50..2000 (slow), paramagnetic Hopfield model, exponent within 0.15 of -1.
"""
import numpy as np
import pytest

from trajectories import cat_state, coherent_state, exact_evolution, product_state, run_ensemble
from trajectories.analysis.estimators import (InsufficientDataError, bootstrap, clustering, clustering_components,
                                     connected_correlations, covariance, fit_power_law, variance)
from trajectories.theory.meanfield import mean_field

from systems import hopfield, two_block_model

NSIGMA = 4.0
TIMES = np.linspace(0, 2, 5)


def zmax(est, err, exact):
    return np.max(np.abs(est - exact) / (err + 1e-10 / NSIGMA))


@pytest.fixture(scope="module")
def hop40():
    """Hopfield N = 40 (beta = 2, Omega = 0.5), 1500 trajectories kept, the exact reference, mean field."""
    model = hopfield(40)
    state = coherent_state(theta=0.4, phi=0.2)
    ens = run_ensemble(model, state, TIMES, ntraj=1500, seed=2, n_jobs=2, keep_trajectories=True)
    return model, state, ens, exact_evolution(model, state, TIMES), mean_field(model, state, TIMES)


def exact_clustering(exact, mf):
    idx = np.arange(3)
    sq = exact.second[idx, idx]                             # (3, T)
    return 0.5 * np.sum(sq - 2 * mf.mean * exact.mean + mf.mean ** 2, axis=0)


def test_clustering_against_exact_and_per_trajectory(hop40):
    model, state, ens, exact, mf = hop40
    EN, err = ens.clustering(mf)
    assert EN.shape == err.shape == (len(TIMES),)
    assert EN[0] == pytest.approx(1 / 40, abs=1e-12)       # pure product state: E_N(0) = 1/N exactly
    assert zmax(EN, err, exact_clustering(exact, mf)) < NSIGMA
    # the standard error from the streaming cross-moments equals the per-trajectory one (linear estimator)
    X, Y = ens.trajectory_means()[:, :, 0], ens.trajectory_seconds()[:, :, 0, :, 0]
    e = 0.5 * np.sum(np.einsum("ntaa->nta", Y) - 2 * mf.mean.T * X + mf.mean.T ** 2, axis=2)
    np.testing.assert_allclose(EN, e.mean(0), rtol=1e-10, atol=1e-14)
    # (atol: sums-of-squares round-off floor, ~sqrt(eps) * |v| / sqrt(n) = 4e-9 at t = 0 where the spread is 0)
    np.testing.assert_allclose(err, e.std(0, ddof=1) / np.sqrt(ens.ntraj), rtol=1e-6, atol=1e-8)
    # components sum to E_N, and each is within 4 stderr of the exact component
    comp, comp_err = clustering_components(ens, mf)
    assert comp.shape == (3, len(TIMES))
    np.testing.assert_allclose(comp.sum(0), EN, rtol=1e-12)
    idx = np.arange(3)
    exact_comp = 0.5 * (exact.second[idx, idx] - 2 * mf.mean * exact.mean + mf.mean ** 2)
    assert zmax(comp, comp_err, exact_comp) < NSIGMA


def test_variance_covariance_correlations_against_exact(hop40):
    model, state, ens, exact, mf = hop40
    var, var_err = variance(ens)
    cov, cov_err = covariance(ens)
    idx = np.arange(3)
    exact_cov = exact.second - np.einsum("at,ct->act", exact.mean, exact.mean)
    assert var.shape == (3, len(TIMES)) and cov.shape == (3, 3, len(TIMES))
    np.testing.assert_allclose(cov[idx, idx], var, rtol=1e-12)
    assert zmax(var, var_err, exact_cov[idx, idx]) < NSIGMA
    assert zmax(cov, cov_err, exact_cov) < NSIGMA
    C, C_err = connected_correlations(ens)
    C_exact, _ = connected_correlations(exact, (40,))
    assert zmax(C, C_err, C_exact) < NSIGMA


def test_delta_method_agrees_with_bootstrap(hop40):
    """Nonlinear estimators: the delta-method standard error against the bootstrap spread (95% percentile
    interval half-width / 1.96), 2000 resamples; measured ratios within 0.9..1.1."""
    model, state, ens, exact, mf = hop40
    var, var_err = variance(ens)
    lo, hi = bootstrap(ens, "variance", nboot=2000, seed=1)
    half = (hi - lo)[:, 1:] / (2 * 1.96)
    ratio = half / var_err[:, 1:]
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio
    assert np.all((lo <= var + 1e-12) & (var <= hi + 1e-12))
    lo, hi = bootstrap(ens, "clustering", mf=mf, nboot=2000, seed=1)
    EN, err = clustering(ens, mf)
    ratio = (hi - lo)[1:] / (2 * 1.96) / err[1:]
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio
    lo2, hi2 = bootstrap(ens, "clustering", mf=mf, nboot=2000, seed=1)
    np.testing.assert_array_equal(lo, lo2)                  # seeded
    clo, chi = bootstrap(ens, "covariance", nboot=200, seed=0)
    assert clo.shape == (3, 3, len(TIMES))


def test_two_blocks_weights_and_exact_error():
    model = two_block_model(jxx=0.0)
    state = coherent_state(theta=[0.3, 2.0], phi=[0.0, 1.0])
    ens = run_ensemble(model, state, TIMES, ntraj=600, seed=6, keep_trajectories=True)
    mf = mean_field(model, state, TIMES)
    comp, _ = clustering_components(ens, mf)
    assert comp.shape == (2, 3, len(TIMES))
    EN, err_exact = clustering(ens, mf)
    np.testing.assert_allclose(EN, (8 * comp[0].sum(0) + 6 * comp[1].sum(0)) / 14, rtol=1e-12)
    # per-block E_N(0) of a pure product state is 1/N_b, so the weighted sum is B/N
    assert EN[0] == pytest.approx(2 / 14, abs=1e-12)
    # the streaming error (cross-block covariance of the block vectors) equals the per-trajectory one
    X, Y = ens.trajectory_means(), ens.trajectory_seconds()
    sq = np.stack([np.einsum("ntaa->nta", Y[:, :, b, :, b, :]) for b in range(2)], axis=2)
    mmf = np.moveaxis(mf.mean, -1, 0)
    e = np.einsum("b,ntba->nt", np.array([8, 6]) / 14, 0.5 * (sq - 2 * mmf * X + mmf ** 2))
    np.testing.assert_allclose(EN, e.mean(0), rtol=1e-10)
    np.testing.assert_allclose(err_exact, e.std(0, ddof=1) / np.sqrt(ens.ntraj), rtol=1e-6, atol=1e-8)
    ex = exact_evolution(model, state, TIMES)
    exact_EN = sum(n / 14 * 0.5 * np.sum(ex.second[b, [0, 1, 2], b, [0, 1, 2]]
                                         - 2 * mf.mean[b] * ex.mean[b] + mf.mean[b] ** 2, axis=0)
                   for b, n in enumerate((8, 6)))
    assert zmax(EN, err_exact, exact_EN) < NSIGMA


# ------------------------------------------------------------------------------------------------
# E_N ~ 1/N (Theorem 1) and the cat state
# ------------------------------------------------------------------------------------------------

PARA = dict(beta=0.5, omega=0.5)


def _scaling(Ns, ntraj, times):
    state = coherent_state(theta=0.5, phi=0.0)
    E, Err = [], []
    for N in Ns:
        model = hopfield(N, **PARA)
        ens = run_ensemble(model, state, times, ntraj=ntraj, seed=100 + N, n_jobs=2)
        EN, err = clustering(ens, mean_field(model, state, times))
        E.append(EN)
        Err.append(err)
    E, Err = np.array(E), np.array(Err)
    return [fit_power_law(Ns, E[:, k], Err[:, k]) for k in range(1, len(times))]


def test_clustering_falls_like_1_over_N():
    fits = _scaling([20, 50, 100, 200, 400], 200, np.array([0, 1.0, 3.0]))
    for fit in fits:
        # measured exponents -0.999 +- 0.016 (t = 1), -0.997 +- 0.023 (t = 3)
        assert abs(fit.exponent + 1) < 0.15, str(fit)
        assert fit.exponent_err < 0.05


@pytest.mark.slow
def test_clustering_falls_like_1_over_N_large():
    fits = _scaling([50, 100, 200, 500, 1000, 2000], 300, np.array([0, 1.0, 3.0]))
    for fit in fits:
        assert abs(fit.exponent + 1) < 0.15, str(fit)


def test_cat_state_keeps_clustering_order_one():
    """The cat state is not clustering: E_N stays ~1/2 (the two branches +-z seen from the mean field of
    its one-site marginal, m = 0) instead of falling like 1/N; the product state at the same N is O(1/N)."""
    times = np.linspace(0, 2, 5)
    E = {}
    for N in (50, 200):
        model = hopfield(N, beta=2.0, omega=0.3)
        ens = run_ensemble(model, cat_state(), times, ntraj=100, seed=N, n_jobs=2)
        EN, err = clustering(ens, mean_field(model, cat_state(), times))
        assert np.all(EN - 4 * err > 0.3), (EN, err)        # measured 0.50 .. 0.43
        E[N] = EN
    assert np.all(E[200] / E[50] > 0.8)                     # 1/N would give 0.25
    model = hopfield(200, beta=2.0, omega=0.3)
    ens = run_ensemble(model, coherent_state(0.3), times, ntraj=100, seed=3, n_jobs=2)
    EN, err = clustering(ens, mean_field(model, coherent_state(0.3), times))
    assert np.all(EN + 4 * err < 0.05)


# ------------------------------------------------------------------------------------------------
# fits, errors, inputs
# ------------------------------------------------------------------------------------------------

def test_fit_power_law():
    Ns = np.array([10, 20, 40, 80, 160])
    fit = fit_power_law(Ns, 3.0 * Ns ** -0.8, 0.01 * 3.0 * Ns ** -0.8)
    assert fit.exponent == pytest.approx(-0.8, abs=1e-12) and fit.prefactor == pytest.approx(3.0, rel=1e-12)
    assert fit.chi2 == pytest.approx(0, abs=1e-18) and fit.dof == 3
    # two points: exponent error = sqrt(s1^2 + s2^2) / ln(N2 / N1) with s = relative errors
    fit2 = fit_power_law([10, 40], [1.0, 0.25], [0.03, 0.01])
    assert fit2.exponent == pytest.approx(-1.0)
    assert fit2.exponent_err == pytest.approx(np.hypot(0.03, 0.04) / np.log(4), rel=1e-12)
    # noisy data: pulls of 400 synthetic fits have unit spread (the propagated error is right)
    rng = np.random.default_rng(0)
    rel = 0.05
    pulls = []
    for _ in range(400):
        v = 2.0 * Ns ** -1.0 * (1 + rel * rng.normal(size=Ns.size))
        f = fit_power_law(Ns, v, rel * 2.0 * Ns ** -1.0)
        pulls.append((f.exponent + 1) / f.exponent_err)
    assert 0.85 < np.std(pulls) < 1.15 and abs(np.mean(pulls)) < 0.2


def test_insufficient_data_and_bad_inputs(hop40):
    model, state, ens, exact, mf = hop40
    one = run_ensemble(model, state, TIMES, ntraj=1, seed=0)
    with pytest.raises(InsufficientDataError, match="ntraj >= 2") as info:
        one.clustering(mf)
    assert info.value.estimate.shape == (len(TIMES),) and info.value.estimate[0] == pytest.approx(1 / 40)
    with pytest.raises(InsufficientDataError) as info:
        variance(one)
    assert info.value.estimate.shape == (3, len(TIMES))
    with pytest.raises(InsufficientDataError, match="two distinct"):
        fit_power_law([10], [0.1], [0.01])
    with pytest.raises(ValueError, match="values"):
        fit_power_law([10, 20], [0.1, -0.1], [0.01, 0.01])
    with pytest.raises(ValueError, match="keep_trajectories"):
        bootstrap(one, "variance")
    with pytest.raises(ValueError, match="mf"):
        bootstrap(ens, "clustering")
    with pytest.raises(ValueError, match="estimator"):
        bootstrap(ens, "mean")
    with pytest.raises(ValueError, match="mf.mean must have shape"):
        clustering(ens, np.zeros((2, 3, len(TIMES))))
    with pytest.raises(ValueError, match="sizes"):
        connected_correlations(exact)
    # a mean-field solution on a finer grid is interpolated onto the ensemble's times
    fine = mean_field(model, state, np.linspace(0, 2, 41))
    np.testing.assert_allclose(clustering(ens, fine)[0], clustering(ens, mf)[0], rtol=1e-7)
