"""Estimators for any result (docs/theory.md §4): E_N(t) (paper eq. 24, Theorem 1), variances, covariances,
connected correlations, linear functionals (Hopfield pattern overlaps), paired differences, bootstrap
intervals and power-law fits.

Statistical comparisons use fixed seeds and |estimate - exact| < 4 stderr (+1e-10 for t = 0, where
pure initial states give stderr 0). Exact and mean-field results must give the direct formula with
zero error. The E_N ~ 1/N fit is checked on N = 20..400 (default run) and N = 50..2000 (slow),
paramagnetic Hopfield model, exponent within 0.15 of -1; N E_N of exact results at N = 20..80.
"""
import warnings

import numpy as np
import pytest

from models import HopfieldNetwork, hopfield_model
from trajectories import (ExactResult, MeanFieldResult, cat_state, coherent_state, exact_evolution, integrated_time,
                          mean_field, product_state, run_ensemble, stationary_average, time_average)
from trajectories.analysis import (InsufficientDataError, PowerLawFit, bootstrap, clustering, clustering_components,
                                   connected_correlations, covariance, fit_inverse_n, fit_power_law, linear_functional,
                                   paired_difference, pattern_overlaps, richardson, variance,
                                   weighted_mean)

from systems import hopfield, two_block_model

NSIGMA = 4.0
TIMES = np.linspace(0, 2, 5)
IDX = np.arange(3)


def zmax(est, err, exact):
    return np.max(np.abs(est - exact) / (err + 1e-10 / NSIGMA))


def run(model, state, times, ntraj, seed, keep=False):
    return run_ensemble(model, state, times, ntraj=ntraj, seed=seed, keep_trajectories=keep)


@pytest.fixture(scope="module")
def hop40():
    """Hopfield N = 40 (beta = 2, Omega = 0.5), 1500 trajectories kept, the exact reference, mean field."""
    model = hopfield(40)
    state = coherent_state(theta=0.4, phi=0.2)
    ens = run(model, state, TIMES, 1500, seed=2, keep=True)
    return model, state, ens, exact_evolution(model, state, TIMES), mean_field(model, state, TIMES)


@pytest.fixture(scope="module")
def two_blocks():
    """two_block_model (jxx = 0; blocks 8, 6), 600 trajectories kept, the exact reference, mean field."""
    model = two_block_model(jxx=0.0)
    state = coherent_state(theta=[0.3, 2.0], phi=[0.0, 1.0])
    ens = run(model, state, TIMES, 600, seed=6, keep=True)
    return model, state, ens, exact_evolution(model, state, TIMES), mean_field(model, state, TIMES)


# ------------------------------------------------------------------------------------------------
# direct formulas from a result's mean and second, (B, ...) with the block axis kept
# ------------------------------------------------------------------------------------------------

def blocked(result):
    """(mean (B, 3, T), within-block second (B, 3, 3, T)) of any result."""
    mean, second = np.asarray(result.mean), np.asarray(result.second)
    if result.single_block:
        return mean[None], second[None]
    return mean, np.stack([second[b, :, b] for b in range(len(result.sizes))])


def direct_covariance(result):
    mean, second = blocked(result)
    return second - np.einsum("bat,bct->bact", mean, mean)


def direct_components(result, mf_mean):
    mean, second = blocked(result)
    mmf = mf_mean[None] if result.single_block else mf_mean
    return 0.5 * (second[:, IDX, IDX] - 2 * mmf * mean + mmf ** 2)


def direct_clustering(result, mf_mean):
    w = np.array(result.sizes) / sum(result.sizes)
    return np.einsum("b,bat->t", w, direct_components(result, mf_mean))


def direct_correlations(result):
    mean, second = blocked(result)
    n = np.array(result.sizes, dtype=float)[:, None, None, None]
    return (n * second - np.eye(3)[None, :, :, None]) / (n - 1) - np.einsum("bat,bct->bact", mean, mean)


def unblock(result, a):
    return a[0] if result.single_block else a


# ------------------------------------------------------------------------------------------------
# ensembles against exact results
# ------------------------------------------------------------------------------------------------

def test_clustering_against_exact_and_per_trajectory(hop40):
    model, state, ens, exact, mf = hop40
    EN, err = clustering(ens, mf)
    assert EN.shape == err.shape == (len(TIMES),)
    assert EN[0] == pytest.approx(1 / 40, abs=1e-12)       # pure product state: E_N(0) = 1/N exactly
    assert zmax(EN, err, direct_clustering(exact, mf.mean)) < NSIGMA
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
    assert zmax(comp, comp_err, direct_components(exact, mf.mean)[0]) < NSIGMA


def test_variance_covariance_correlations_against_exact(hop40):
    model, state, ens, exact, mf = hop40
    var, var_err = variance(ens)
    cov, cov_err = covariance(ens)
    exact_cov = direct_covariance(exact)[0]
    assert var.shape == (3, len(TIMES)) and cov.shape == (3, 3, len(TIMES))
    np.testing.assert_allclose(cov[IDX, IDX], var, rtol=1e-12)
    assert zmax(var, var_err, exact_cov[IDX, IDX]) < NSIGMA
    assert zmax(cov, cov_err, exact_cov) < NSIGMA
    C, C_err = connected_correlations(ens)
    C_exact, C_exact_err = connected_correlations(exact)
    assert zmax(C, C_err, C_exact) < NSIGMA
    assert np.all(C_exact_err == 0)


def test_exact_and_mean_field_results_give_direct_formulas_with_zero_error(hop40, two_blocks):
    for exact, mf in (hop40[3:], two_blocks[3:]):
        checks = [(variance(exact), np.diagonal(direct_covariance(exact), axis1=1, axis2=2).transpose(0, 2, 1)),
                  (covariance(exact), direct_covariance(exact)),
                  (connected_correlations(exact), direct_correlations(exact)),
                  (clustering_components(exact, mf), direct_components(exact, mf.mean))]
        for (value, err), direct in checks:
            np.testing.assert_allclose(value, unblock(exact, direct), rtol=1e-12, atol=1e-15)
            assert value.shape == err.shape and np.all(err == 0)
        EN, err = clustering(exact, mf)
        np.testing.assert_allclose(EN, direct_clustering(exact, mf.mean), rtol=1e-12, atol=1e-15)
        assert np.all(err == 0)
        # a linear functional with weights on the means and on the block vector's m_z m_z entry
        w = np.zeros((len(exact.sizes), 9))
        w[:, 0], w[:, 8] = 0.3, -1.2
        value, err = linear_functional(exact, unblock(exact, w), constant=0.5)
        mean, second = blocked(exact)
        np.testing.assert_allclose(value, 0.5 + np.sum(0.3 * mean[:, 0] - 1.2 * second[:, 2, 2], axis=0), rtol=1e-12)
        assert value.shape == (len(TIMES),) and np.all(err == 0)
        # a mean-field result is exact too: its seconds are products of its means, so E_N(MF vs itself) = 0
        EN, err = clustering(mf, mf)
        np.testing.assert_allclose(EN, 0, atol=1e-15)
        assert np.all(err == 0)
        np.testing.assert_allclose(variance(mf)[0], 0, atol=1e-15)
        assert mf.exact and exact.exact


def test_two_blocks_weights_and_exact_error(two_blocks):
    model, state, ens, exact, mf = two_blocks
    comp, comp_err = clustering_components(ens, mf)
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
    assert zmax(EN, err_exact, direct_clustering(exact, mf.mean)) < NSIGMA
    assert zmax(comp, comp_err, direct_components(exact, mf.mean)) < NSIGMA


def test_every_estimator_on_two_blocks(two_blocks):
    model, state, ens, exact, mf = two_blocks
    T = len(TIMES)
    var, var_err = variance(ens)
    cov, cov_err = covariance(ens)
    C, C_err = connected_correlations(ens)
    assert var.shape == var_err.shape == (2, 3, T) and cov.shape == C.shape == C_err.shape == (2, 3, 3, T)
    assert zmax(var, var_err, variance(exact)[0]) < NSIGMA
    assert zmax(cov, cov_err, covariance(exact)[0]) < NSIGMA
    assert zmax(C, C_err, connected_correlations(exact)[0]) < NSIGMA
    # a cross-block linear functional: its error is the sample std of the per-trajectory values
    w = np.array([[0.0, 0.0, 8 / 14], [0.0, 0.0, -6 / 14]])
    value, err = linear_functional(ens, w)
    per = np.einsum("ba,ntba->nt", w, ens.trajectory_means())
    np.testing.assert_allclose(value, per.mean(0), rtol=1e-10)
    np.testing.assert_allclose(err[1:], per.std(0, ddof=1)[1:] / np.sqrt(ens.ntraj), rtol=1e-6)
    assert zmax(value, err, linear_functional(exact, w)[0]) < NSIGMA
    lo, hi = bootstrap(ens, lambda r: clustering(r, mf), nboot=200, seed=3)
    assert lo.shape == (T,) and np.all(lo <= hi)
    diff, diff_err = paired_difference(ens, ens)
    assert diff.shape == (2, 3, T) and np.all(diff == 0) and np.all(diff_err == 0)


# ------------------------------------------------------------------------------------------------
# linear functionals: Hopfield pattern overlaps
# ------------------------------------------------------------------------------------------------

def test_pattern_overlaps():
    patterns = np.array([[1, 1, 1, -1, -1, 1, 1], [1, -1, 1, 1, -1, -1, 1]])
    net = HopfieldNetwork(patterns, beta=2.0, omega=0.4)
    assert len(net.sizes) == 2
    state = product_state(net.pattern_bloch(0, corruption=0.2))
    times = np.linspace(0, 1.5, 4)
    exact = exact_evolution(net.model, state, times)
    m, err = pattern_overlaps(exact, net.signatures)
    np.testing.assert_allclose(m, net.overlaps(exact.mean[:, 2]), rtol=1e-12, atol=1e-15)
    assert m.shape == (2, len(times)) and np.all(err == 0)
    ens = run(net.model, state, times, 400, seed=8, keep=True)
    m, err = pattern_overlaps(ens, net.signatures)
    per = np.stack([net.overlaps(x[:, :, 2].T) for x in ens.trajectory_means()])     # (n, p, T)
    np.testing.assert_allclose(m, per.mean(0), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(err, per.std(0, ddof=1) / np.sqrt(ens.ntraj), rtol=1e-6, atol=1e-8)
    assert zmax(m, err, net.overlaps(exact.mean[:, 2])) < NSIGMA
    with pytest.raises(ValueError, match="signatures"):
        pattern_overlaps(ens, net.signatures[:1])


# ------------------------------------------------------------------------------------------------
# paired differences (common random numbers): Hopfield eq. 58 against eq. 59
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def eq58_eq59():
    state = coherent_state(theta=0.4, phi=0.2)
    return tuple(run(hopfield_model(30, 2.0, 0.5, variant=v), state, TIMES, 400, seed=11, keep=True)
                 for v in ("eq58", "eq59"))


def test_paired_difference(eq58_eq59):
    a, b = eq58_eq59
    diff, err = paired_difference(a, b)
    per = a.trajectory_means() - b.trajectory_means()          # (n, T, 1, 3)
    np.testing.assert_allclose(diff, per.mean(0)[:, 0].T, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(err, per.std(0, ddof=1)[:, 0].T / np.sqrt(a.ntraj), rtol=1e-10)
    np.testing.assert_allclose(diff, a.mean - b.mean, atol=1e-12)
    unpaired = np.hypot(a.stderr, b.stderr)
    # common random numbers: the pairs are strongly correlated (measured ratios <= 0.35 after t = 0)
    assert np.all(err[:, 1:] < 0.5 * unpaired[:, 1:]), err / unpaired
    # a linear estimator (E_N against one mean field) through the per-trajectory values
    mf = mean_field(hopfield_model(30, 2.0, 0.5), coherent_state(theta=0.4, phi=0.2), TIMES)
    dEN, dEN_err = paired_difference(a, b, lambda r: clustering(r, mf))
    Ea, Eb = clustering(a, mf), clustering(b, mf)
    np.testing.assert_allclose(dEN, Ea[0] - Eb[0], rtol=1e-9, atol=1e-14)
    assert np.all(dEN_err[1:] < 0.5 * np.hypot(Ea[1], Eb[1])[1:])      # measured 0.22..0.40
    with pytest.raises(ValueError, match="not linear"):
        paired_difference(a, b, variance)


def test_paired_difference_refuses_unpaired_ensembles(eq58_eq59):
    a, b = eq58_eq59
    model, state = hopfield_model(30, 2.0, 0.5), coherent_state(theta=0.4, phi=0.2)
    with pytest.raises(ValueError, match="same seed"):
        paired_difference(a, run(model, state, TIMES, 400, seed=12, keep=True))
    with pytest.raises(ValueError, match="same seed"):
        paired_difference(a, run(model, state, TIMES, 50, seed=11, keep=True))
    with pytest.raises(ValueError, match="keep_trajectories"):
        paired_difference(a, run(model, state, TIMES, 400, seed=11))
    with pytest.raises(ValueError, match="Ensembles"):
        paired_difference(a, exact_evolution(hopfield_model(8, 2.0, 0.5), state, TIMES))


# ------------------------------------------------------------------------------------------------
# bootstrap
# ------------------------------------------------------------------------------------------------

def test_bootstrap_interval_of_the_mean(hop40):
    """The percentile interval of the (linear) mean contains it, its width is 2 * 1.96 stderr for
    large n (measured ratios 0.92..1.07 over seeds 4..6), and the same seed gives the same interval."""
    ens = hop40[2]
    lo, hi = bootstrap(ens, lambda r: r.mean, nboot=1000, seed=4)
    assert lo.shape == ens.mean.shape
    assert np.all((lo <= ens.mean + 1e-12) & (ens.mean <= hi + 1e-12))
    ratio = (hi - lo)[:, 1:] / (2 * 1.96 * ens.stderr[:, 1:])
    assert np.all((ratio > 0.88) & (ratio < 1.12)), ratio
    lo2, hi2 = bootstrap(ens, lambda r: r.mean, nboot=1000, seed=4)
    np.testing.assert_array_equal(lo, lo2)
    np.testing.assert_array_equal(hi, hi2)
    assert not np.array_equal(lo, bootstrap(ens, lambda r: r.mean, nboot=1000, seed=5)[0])


def test_delta_method_agrees_with_bootstrap(hop40):
    """Nonlinear estimators: the delta-method standard error against the bootstrap spread (95% percentile
    interval half-width / 1.96); measured ratios within 0.95..1.05."""
    model, state, ens, exact, mf = hop40
    var, var_err = variance(ens)
    lo, hi = bootstrap(ens, variance, nboot=1000, seed=1)   # (value, stderr): the value is used
    ratio = (hi - lo)[:, 1:] / (2 * 1.96) / var_err[:, 1:]
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio
    assert np.all((lo <= var + 1e-12) & (var <= hi + 1e-12))
    EN, err = clustering(ens, mf)
    lo, hi = bootstrap(ens, lambda r: clustering(r, mf)[0], nboot=1000, seed=1)
    ratio = (hi - lo)[1:] / (2 * 1.96) / err[1:]
    assert np.all((ratio > 0.8) & (ratio < 1.25)), ratio
    clo, chi = bootstrap(ens, covariance, nboot=50, seed=0)
    assert clo.shape == (3, 3, len(TIMES))


# ------------------------------------------------------------------------------------------------
# E_N ~ 1/N (Theorem 1) and the cat state
# ------------------------------------------------------------------------------------------------

PARA = dict(beta=0.5, omega=0.5)


def _scaling(Ns, ntraj, times):
    state = coherent_state(theta=0.5, phi=0.0)
    E, Err = [], []
    for N in Ns:
        model = hopfield(N, **PARA)
        EN, err = clustering(run(model, state, times, ntraj, seed=100 + N), mean_field(model, state, times))
        E.append(EN)
        Err.append(err)
    E, Err = np.array(E), np.array(Err)
    return [fit_power_law(Ns, E[:, k], Err[:, k]) for k in range(1, len(times))]


@pytest.mark.slow  # the fast checks of 1/N: test_exact_clustering_times_N_approaches_a_constant, tests/test_fluctuations.py
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


def test_exact_clustering_times_N_approaches_a_constant():
    """N E_N(t) of the exact dynamics at N = 20, 40, 80 (Hopfield, beta = 2, Omega = 0.5) converges:
    N E_N = c(t) + O(1/N), so doubling N roughly halves the change (measured ratio ~0.5)."""
    times = np.array([0.0, 0.5, 1.0])
    state = coherent_state(theta=0.4, phi=0.2)
    NE = []
    for N in (20, 40, 80):
        model = hopfield(N)
        EN, err = clustering(exact_evolution(model, state, times), mean_field(model, state, times))
        assert np.all(err == 0)
        NE.append(N * EN)
    NE = np.array(NE)
    np.testing.assert_allclose(NE[:, 0], 1.0, rtol=1e-10)  # E_N(0) = 1/N for a product state
    d1, d2 = NE[1, 1:] - NE[0, 1:], NE[2, 1:] - NE[1, 1:]
    assert np.all(np.abs(d2) < 0.7 * np.abs(d1)), (d1, d2)
    assert np.all(np.abs(d2) < 0.1 * NE[2, 1:]), NE


def test_cat_state_keeps_clustering_order_one():
    """The cat state is not clustering: E_N stays ~1/2 (the two branches +-z seen from the mean field of
    its one-site marginal, m = 0) instead of falling like 1/N; the product state at the same N is O(1/N)."""
    times = np.linspace(0, 2, 5)
    E = {}
    for N in (50, 200):
        model = hopfield(N, beta=2.0, omega=0.3)
        EN, err = clustering(run(model, cat_state(), times, 100, seed=N), mean_field(model, cat_state(), times))
        assert np.all(EN - 4 * err > 0.3), (EN, err)        # measured 0.50 .. 0.43
        E[N] = EN
    assert np.all(E[200] / E[50] > 0.8)                     # 1/N would give 0.25
    model = hopfield(200, beta=2.0, omega=0.3)
    ens = run(model, coherent_state(0.3), times, 100, seed=3)
    EN, err = clustering(ens, mean_field(model, coherent_state(0.3), times))
    assert np.all(EN + 4 * err < 0.05)


# ------------------------------------------------------------------------------------------------
# fits
# ------------------------------------------------------------------------------------------------

def test_fit_power_law():
    Ns = np.array([10, 20, 40, 80, 160])
    fit = fit_power_law(Ns, 3.0 * Ns ** -0.8, 0.01 * 3.0 * Ns ** -0.8)
    assert isinstance(fit, PowerLawFit)
    assert fit.exponent == pytest.approx(-0.8, abs=1e-12) and fit.prefactor == pytest.approx(3.0, rel=1e-12)
    assert fit.chi2 == pytest.approx(0, abs=1e-18) and fit.dof == 3 and not fit.scaled
    assert "chi2/dof" in str(fit)
    # two points: dof = 0, exponent error = sqrt(s1^2 + s2^2) / ln(N2 / N1) with s = relative errors
    fit2 = fit_power_law([10, 40], [1.0, 0.25], [0.03, 0.01])
    assert fit2.exponent == pytest.approx(-1.0) and fit2.dof == 0 and not fit2.scaled
    assert fit2.exponent_err == pytest.approx(np.hypot(0.03, 0.04) / np.log(4), rel=1e-12)
    assert "dof = 0" in str(fit2) and np.isnan(fit2.reduced_chi2)
    # noisy data with known exponent: pulls of 400 synthetic fits have unit spread with the propagated
    # errors; the scaled errors are never smaller, so their pulls spread less
    rng = np.random.default_rng(0)
    rel = 0.05
    pulls, scaled_pulls = [], []
    for _ in range(400):
        v = 2.0 * Ns ** -1.0 * (1 + rel * rng.normal(size=Ns.size))
        f = fit_power_law(Ns, v, rel * 2.0 * Ns ** -1.0)
        assert f.exponent_err >= f.exponent_err_unscaled
        pulls.append((f.exponent + 1) / f.exponent_err_unscaled)
        scaled_pulls.append((f.exponent + 1) / f.exponent_err)
    assert 0.85 < np.std(pulls) < 1.15 and abs(np.mean(pulls)) < 0.2
    assert np.std(scaled_pulls) < np.std(pulls)


def test_fit_power_law_scales_errors_when_the_model_does_not_fit():
    Ns = np.array([10, 20, 40, 80, 160, 320])
    values = 2.0 / Ns + 0.01                                 # not a power law
    errors = 0.01 * values
    fit = fit_power_law(Ns, values, errors)
    assert fit.reduced_chi2 > 10 and fit.scaled and "scaled" in str(fit)
    factor = np.sqrt(fit.chi2 / fit.dof)
    assert fit.exponent_err == pytest.approx(factor * fit.exponent_err_unscaled, rel=1e-12)
    assert fit.prefactor_err == pytest.approx(factor * fit.prefactor_err_unscaled, rel=1e-12)


def test_fit_inverse_n_covers_the_limit_at_its_stated_rate():
    """Noisy c + d/N data (errors sigma): over 400 draws the fitted c lies within 1 stated error in
    68 +- 4 % of them (the errors are honest), chi2 follows its dof; data that are not c + d/N get a
    chi^2-scaled error; too few sizes and bad input are refused."""
    Ns, c, d = np.array([10, 30, 100, 300, 1000]), 0.35, -1.2
    sigma = np.array([0.01, 0.008, 0.006, 0.006, 0.01])
    rng = np.random.default_rng(12)
    hits, chi2 = 0, []
    for _ in range(400):
        fit = fit_inverse_n(Ns, c + d / Ns + sigma * rng.normal(size=5), sigma)
        hits += abs(fit.limit - c) < fit.limit_err
        chi2.append(fit.chi2)
        assert fit.dof == 3
    assert abs(hits / 400 - 0.683) < 4 * np.sqrt(0.683 * 0.317 / 400), hits
    assert abs(np.mean(chi2) - 3) < 4 * np.sqrt(6 / 400)
    exact = fit_inverse_n(Ns, c + d / Ns + 0.5 / Ns ** 2, sigma, order=2)
    np.testing.assert_allclose(exact.coefficients, [c, d, 0.5], atol=1e-12)
    value, err = exact.at([50, 500])
    np.testing.assert_allclose(value, c + d / np.array([50, 500]) + 0.5 / np.array([50, 500]) ** 2, atol=1e-12)
    assert np.all(err > 0)
    curved = fit_inverse_n(Ns, c + 3 / np.sqrt(Ns), sigma)         # not c + d/N
    assert curved.reduced_chi2 > 10 and "scaled" in str(curved)
    unscaled = np.sqrt(np.linalg.inv((np.vander(1 / Ns, 2, increasing=True).T / sigma ** 2)
                                     @ np.vander(1 / Ns, 2, increasing=True))[0, 0])
    assert curved.limit_err == pytest.approx(unscaled * np.sqrt(curved.reduced_chi2), rel=1e-10)
    with pytest.raises(InsufficientDataError, match="at least 3 distinct N"):
        fit_inverse_n([10, 10, 20], [1, 1, 1], [1, 1, 1], order=2)
    for bad in (dict(errors=[0.1, 0, 0.1]), dict(Ns=[10, -20, 30]), dict(values=[1, np.nan, 1])):
        args = dict(Ns=[10, 20, 30], values=[1.0, 1.0, 1.0], errors=[0.1, 0.1, 0.1]) | bad
        with pytest.raises(ValueError, match=next(iter(bad))):
            fit_inverse_n(**args)
    with pytest.raises(ValueError, match="order must be an integer >= 1"):
        fit_inverse_n([10, 20, 30], [1, 1, 1], [1, 1, 1], order=0)

# ------------------------------------------------------------------------------------------------
# errors and inputs
# ------------------------------------------------------------------------------------------------

def test_insufficient_data_and_bad_inputs(hop40):
    model, state, ens, exact, mf = hop40
    one = run(model, state, TIMES, 1, seed=0, keep=True)
    with pytest.raises(InsufficientDataError, match="ntraj >= 2") as info:
        clustering(one, mf)
    assert info.value.estimate.shape == (len(TIMES),) and info.value.estimate[0] == pytest.approx(1 / 40)
    for estimator, shape in ((variance, (3,)), (covariance, (3, 3)), (connected_correlations, (3, 3)),
                             (lambda r: clustering_components(r, mf), (3,)),
                             (lambda r: linear_functional(r, [0, 0, 1]), ()),
                             (lambda r: paired_difference(r, r), (3,))):
        with pytest.raises(InsufficientDataError) as info:
            estimator(one)
        assert info.value.estimate.shape == shape + (len(TIMES),)
    with pytest.raises(InsufficientDataError, match="two distinct"):
        fit_power_law([10], [0.1], [0.01])
    with pytest.raises(InsufficientDataError, match="two distinct"):
        fit_power_law([10, 10], [0.1, 0.2], [0.01, 0.01])
    with pytest.raises(ValueError, match="values"):
        fit_power_law([10, 20], [0.1, -0.1], [0.01, 0.01])
    with pytest.raises(InsufficientDataError, match="ntraj >= 2"):
        bootstrap(one, variance)
    with pytest.raises(ValueError, match="keep_trajectories"):
        bootstrap(run(model, state, TIMES, 3, seed=0), variance)
    with pytest.raises(ValueError, match="keep_trajectories"):
        bootstrap(exact, variance)
    with pytest.raises(ValueError, match="callable"):
        bootstrap(ens, "variance")
    with pytest.raises(ValueError, match="level"):
        bootstrap(ens, variance, level=1.5)
    with pytest.raises(ValueError, match="mf.mean must have shape"):
        clustering(ens, np.zeros((2, 3, len(TIMES))))
    with pytest.raises(ValueError, match="blocks"):    # another N serves (test_inputs.py), other blocks do not
        clustering(ens, mean_field(two_block_model(), coherent_state(theta=0.4), TIMES))
    with pytest.raises(ValueError, match="weights"):
        linear_functional(ens, np.zeros((2, 4)))
    with pytest.raises(ValueError, match="2 sites"):
        connected_correlations(ExactResult(times=TIMES, sizes=(1,), single_block=True, mean=exact.mean,
                                           second=exact.second, method="sectors"))
    # a mean-field solution on a finer grid is interpolated onto the result's times; an array works too
    fine = mean_field(model, state, np.linspace(0, 2, 41))
    assert isinstance(fine, MeanFieldResult)
    np.testing.assert_allclose(clustering(ens, fine)[0], clustering(ens, mf)[0], rtol=1e-7)
    np.testing.assert_array_equal(clustering(ens, mf.mean)[0], clustering(ens, mf)[0])


def test_time_averages_refuse_series_too_short_for_an_autocorrelation_time():
    """Fewer than 2 ceil(c) + 2 samples per chain (12 at c = 5) raise InsufficientDataError
    saying how many are needed and carrying the mean; stationary_average refuses before running."""
    cases = [(([1.0, 2.0], 1.0), {}, "has 2 sample", 1.5), ((np.arange(5.0), 1.0), {}, "has 5 sample", 2.0),
             ((np.ones(11), 0.5), {}, "has 11 sample", 1.0), ((np.ones((3, 11)), 1.0), {}, "has 11 sample", 1.0),
             ((np.arange(20.0), 1.0), dict(burn_in=9.0), "burn_in = 9 leaves 11", 14.0),
             ((np.zeros(21), 1.0), dict(c=10.0), "at least 22", 0.0),
             ((np.zeros(13), 1.0), dict(c=5.5), "at least 14", 0.0)]
    for args, kwargs, message, mean in cases:
        with pytest.raises(InsufficientDataError, match=message) as info:
            time_average(*args, **kwargs)
        assert "needs at least" in str(info.value) and info.value.estimate == pytest.approx(mean)
    for x, c, message in (([1.0, 2.0], 5.0, "x has 2 sample"), (np.ones((4, 11)), 5.0, "at least 12"),
                          (np.arange(7.0), 2.5, "at least 8"), (np.ones(3), 0.5, "at least 4")):
        with pytest.raises(InsufficientDataError, match=message):
            integrated_time(x, c)
    model, state = hopfield(4), coherent_state(0.3)
    for t_total, dt, burn_in, left in ((10.0, 9.99, 0.0, 2), (10.0, 1.0, 0.0, 11), (10.0, 0.5, 5.0, 11),
                                       (1e-3, 1e-4, 9.5e-4, 1)):
        with pytest.raises(InsufficientDataError, match=rf"leave {left} sample.*at least 12.*take dt <= ") as info:
            stationary_average(model, state, burn_in=burn_in, t_total=t_total, dt=dt, ntraj=2)
        suggested = float(str(info.value).split("take dt <= ")[1].split(",")[0])
        n = len(np.arange(0.0, t_total + suggested / 2, suggested)) - int(np.ceil(burn_in / suggested - 1e-9))
        assert n >= 12


def test_time_average_never_reports_a_zero_or_negative_autocorrelation_time():
    """Short, anticorrelated, trending and constant series: tau > 0 and stderr > 0 (0 only for a
    constant series), or NaN with reliable False when no window fits; never a numpy warning."""
    rng = np.random.default_rng(26)
    series = [rng.normal(size=(m, n)) for n in (12, 13, 17, 25, 40) for m in (1, 3) for _ in range(60)]
    series += [(-1.0) ** np.arange(30) + 0.1 * rng.normal(size=30), np.arange(40.0), np.cumsum(rng.normal(size=60)),
               np.r_[np.zeros(20), np.ones(20)], np.ones(12), np.ones((2, 60))]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        averages = [time_average(x, dt=0.5) for x in series]
    for x, avg in zip(series, averages):
        if np.isnan(avg.tau):
            assert np.isnan(avg.stderr) and not avg.reliable
            with pytest.raises(InsufficientDataError, match="too short for its autocorrelation"):
                integrated_time(x)
        else:
            assert avg.tau > 0 and (avg.stderr > 0 or np.ptp(x) == 0)
            assert avg.tau == pytest.approx(0.5 * integrated_time(x))
    assert np.isnan(averages[-5].stderr) and not averages[-5].reliable            # a linear trend
    assert averages[-2] == (1.0, 0.0, 0.5, 12, 1, False) and averages[-1].reliable


def test_fit_signed_power_law_recovers_a_shared_exponent_and_scales_errors():
    """Three signed series b_a N^p + noise, some points at the noise level: pulls of p are standard
    normal with the unscaled error; underestimated errors (true noise 3x the stated) are scaled."""
    from trajectories.analysis import fit_signed_power_law
    Ns = np.array([100, 200, 400, 800, 1600, 3200, 6400])
    b = np.array([0.8, -0.5, 0.05])
    rng = np.random.default_rng(11)
    pulls, scaled = [], []
    for _ in range(200):
        err = 0.002 * np.ones((Ns.size, 3))
        y = b * Ns[:, None] ** -1.0 * 100 + rng.normal(0, err)
        f = fit_signed_power_law(Ns, y, err)
        pulls.append((f.exponent + 1.0) / f.exponent_err_unscaled)
        g = fit_signed_power_law(Ns, b * Ns[:, None] ** -1.0 * 100 + rng.normal(0, 3 * err), err)
        scaled.append(g.exponent_err / g.exponent_err_unscaled)
    assert abs(np.mean(pulls)) < 4 * 1 / np.sqrt(200) and 0.8 < np.std(pulls) < 1.2, (np.mean(pulls), np.std(pulls))
    assert 2.5 < np.median(scaled) < 3.5                      # sqrt(chi2/dof) ~ 3
    assert f.dof == Ns.size * 3 - 4 and f.prefactors.shape == (3,)
    with pytest.raises(ValueError, match="shape"):
        fit_signed_power_law(Ns, np.zeros((3, 3)), np.ones((3, 3)))


def test_richardson_limit():
    """An exact polynomial in 1/N of degree k - 1 is extrapolated exactly; with one more order in the data
    the error estimate is the c0 change of the lower order; arrays and complex values per N."""
    N = np.array([10.0, 20, 40, 80])
    v = 1.5 - 2.0 / N + 3.0 / N ** 2
    r = richardson(N, v)
    assert abs(r.limit - 1.5) < 1e-10 and r.error < 1e-10
    np.testing.assert_allclose(r.coefficients[:3], [1.5, -2.0, 3.0], atol=1e-7)
    two = richardson(N, v, order=2)                      # a line through N = 40, 80 misses the 1/N^2 term
    line = np.polyfit(1 / N[-2:], v[-2:], 1)[1]
    assert abs(two.limit - line) < 1e-12 and abs(two.error - abs(line - v[-1])) < 1e-12
    w = np.stack([v, 1j * v, 2 * v], axis=1)             # (K, 3)
    np.testing.assert_allclose(richardson(N, w).limit, [1.5, 1.5j, 3.0], atol=1e-9)
    for bad, kw, match in (([10], {}, "at least two"), ([20, 10], {}, "strictly increasing"),
                           ([10, 20, 40, 80], dict(order=5), "order must be in 2..4")):
        with pytest.raises(ValueError, match=match):
            richardson(bad, v[:len(bad)], **kw)
    with pytest.raises(ValueError, match="first axis of length 4"):
        richardson(N, v[:3])


def test_richardson_polynomial_at_a_size():
    """RichardsonLimit.at(N) is the fitted polynomial: it returns the data at the fitted N."""
    N = np.array([10.0, 20, 40])
    v = np.stack([1.5 - 2.0 / N + 3.0 / N ** 2, np.cos(N)], axis=1)          # (K, 2)
    r = richardson(N, v)
    for n, row in zip(N, v):
        np.testing.assert_allclose(r.at(n), row, atol=1e-10)
    np.testing.assert_allclose(r.at(1e12), r.limit, atol=1e-9)


def test_weighted_mean():
    """Inverse-variance mean; the error is 1/sqrt(sum w), scaled by sqrt(chi^2/dof) only when that exceeds 1;
    arrays of estimates per column; errors <= 0 refused."""
    mean, err, chi2, dof = weighted_mean([1.0, 3.0], [1.0, 1.0])
    assert (mean, dof, chi2) == (2.0, 1, 2.0) and abs(err - np.sqrt(0.5) * np.sqrt(2.0)) < 1e-15
    mean, err, chi2, dof = weighted_mean([1.0, 1.2], [1.0, 2.0])       # chi2/dof < 1: no scaling
    assert abs(mean - (1.0 + 1.2 / 4) / 1.25) < 1e-15 and abs(err - np.sqrt(1 / 1.25)) < 1e-15
    cols = weighted_mean(np.array([[1.0, 1.0], [3.0, 1.2]]), np.array([[1.0, 1.0], [1.0, 2.0]]))
    np.testing.assert_allclose(cols[0], [2.0, (1.0 + 1.2 / 4) / 1.25])
    with pytest.raises(ValueError, match="errors > 0"):
        weighted_mean([1.0, 2.0], [1.0, 0.0])
