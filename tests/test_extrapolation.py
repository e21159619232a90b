"""extrapolate_limit and increment_ratios (trajectories/analysis/extrapolation.py): the N -> oo limit of
exact finite-N values with an error to quote and a check that the approach is already 1/N."""
import numpy as np
import pytest

from trajectories import extrapolate_limit, increment_ratios, richardson

DOUBLING = np.array([10.0, 20, 40, 80, 160])


def test_exact_form_is_recovered_exactly():
    """Data exactly c + d/N + e/N^2: c, d, e recovered to round-off, zero residuals and window change, converged;
    the same per element of a (K, 2) array of real and complex values."""
    N = np.array([6.0, 8, 10, 12, 14])
    v = 2.5 - 1.3 / N + 0.7 / N ** 2
    r = extrapolate_limit(N, v, order=2)
    np.testing.assert_allclose(r.coefficients, [2.5, -1.3, 0.7], atol=1e-9)
    assert abs(r.limit - 2.5) < 1e-12 and r.error < 1e-11 and r.rms < 1e-13 and r.converged
    assert r.window.tolist() == N.tolist() and r.tail_gap == 0
    values, errors = r.at([7.0, 1e15])
    np.testing.assert_allclose(values, [2.5 - 1.3 / 7 + 0.7 / 49, 2.5], atol=1e-12)
    assert np.all(errors < 1e-11)
    both = extrapolate_limit(N, np.stack([v, (1 + 2j) * v], axis=1), order=2)
    np.testing.assert_allclose(both.limit, [2.5, 2.5 + 5j], atol=1e-11)
    assert both.limit.shape == (2,) and both.covariance.shape == (3, 3, 2) and np.all(both.converged)


def test_error_covers_a_left_out_order_without_being_inflated():
    """With an f/N^3 term the form c + d/N + e/N^2 leaves out, the reported error covers the true c, is set by
    the window change (not by the residuals alone), and is not 100 times the actual miss."""
    f = -40.0
    v = 1.0 - 2.0 / DOUBLING + 3.0 / DOUBLING ** 2 + f / DOUBLING ** 3
    r = extrapolate_limit(DOUBLING, v, order=2)
    miss = abs(r.limit - 1.0)
    assert miss > 1e-6                                     # the left-out term does move c
    assert miss <= r.error < 100 * miss, (miss, r.error)
    assert r.truncation > r.window_change > r.fit_error and r.converged
    narrow = extrapolate_limit(DOUBLING, v, order=2, window=4)     # fewer points: a larger change
    assert abs(narrow.limit - 1.0) <= narrow.error and narrow.window.tolist() == [20, 40, 80, 160]


def test_convergence_check_flags_a_slow_approach():
    """Increments shrinking 0.82 then 0.69 per doubling (against 0.5 for a 1/N approach) are flagged; the error
    then spans the limit of the observed approach (~0.49), not only the fit's change (~0.01). A pure 1/N passes."""
    N = DOUBLING[:4]
    slow = np.array([0.203, 0.281, 0.345, 0.389])
    r = extrapolate_limit(N, slow, order=2)
    np.testing.assert_allclose(r.ratios, [0.8205, 0.6875], atol=1e-4)
    np.testing.assert_allclose(r.predicted_ratios, [0.5, 0.5])
    assert not r.converged
    assert 0.47 < r.tail_limit < 0.50 and r.limit < r.tail_limit
    assert r.error >= r.tail_gap > 0.03 and r.limit + r.error >= r.tail_limit
    assert r.window_change < 0.02                          # alone it would claim a far smaller error
    pure = extrapolate_limit(N, 0.5 - 1.2 / N, order=1)
    assert pure.converged and pure.tail_gap == 0 and abs(pure.limit - 0.5) < 1e-12
    np.testing.assert_allclose(pure.ratios, 0.5)


def test_increment_ratios_follow_the_sizes():
    """The pure-1/N ratio for uneven sizes: (1/N3 - 1/N2)/(1/N2 - 1/N1); oscillating increments are not converged
    and increments that do not shrink have no limit (infinite error)."""
    N = np.array([10.0, 20, 30, 40])
    observed, predicted = increment_ratios(N, 3 - 2 / N)
    np.testing.assert_allclose(predicted, [(1 / 30 - 1 / 20) / (1 / 20 - 1 / 10), (1 / 40 - 1 / 30) / (1 / 30 - 1 / 20)])
    np.testing.assert_allclose(observed, predicted)
    wiggle = extrapolate_limit(DOUBLING, [1.0, 1.1, 1.05, 1.08, 1.07], order=1)
    assert not wiggle.converged and np.any(wiggle.ratios < 0)
    growing = extrapolate_limit(DOUBLING[:4], [1.0, 2.0, 3.0, 4.0], order=1)       # log-like growth
    assert not growing.converged and np.isinf(growing.error)


def test_bad_input_is_refused():
    v = 1 + 1 / DOUBLING
    with pytest.raises(ValueError, match="Ns: order 2 has 3 parameters and needs at least 4 sizes"):
        extrapolate_limit(DOUBLING[:3], v[:3], order=2)
    with pytest.raises(ValueError, match="window must be in 4..5"):
        extrapolate_limit(DOUBLING, v, order=2, window=3)
    with pytest.raises(ValueError, match="order must be at least 1"):
        extrapolate_limit(DOUBLING, v, order=0)
    with pytest.raises(ValueError, match="strictly increasing"):
        extrapolate_limit(DOUBLING[::-1], v)
    with pytest.raises(ValueError, match="first axis of length 5"):
        extrapolate_limit(DOUBLING, v[:4])
    with pytest.raises(ValueError, match="finite"):
        extrapolate_limit(DOUBLING, np.r_[v[:4], np.nan])


def test_richardson_is_the_exact_polynomial_and_its_error_a_change_of_order():
    """richardson through k points is the fit with k terms (exact); its .error is the change of order, which for
    the slow sequence above is ~0.008 against extrapolate_limit's ~0.05."""
    slow = np.array([0.203, 0.281, 0.345, 0.389])
    rich = richardson(DOUBLING[:4], slow, 3)
    assert rich.error < 0.01 < extrapolate_limit(DOUBLING[:4], slow).error / 4
