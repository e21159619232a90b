"""experiments/theorem2_two_time.py: Theorem 2's weak form for two-time correlations of a tagged spin, asserted
on one fast run (exact sector solver, N = 10, 20, 40, 80 bulk sites; no statistical error).

The N -> oo limits are fits c + d/N + e/N^2 (`extrapolate_limit`) whose error joins the fit's residuals and the
change when the smallest N is dropped; two limits are called equal when they differ by less than 4 combined
errors (in quadrature); that criterion is checked to reject the difference at the largest N (a failure of
Theorem 2 would leave a difference of that size)."""
import numpy as np
import pytest

from systems import assert_replots, load_experiment, run_fast


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    return run_fast("theorem2_two_time", tmp_path_factory)


def check_limits_agree(r, resolved):
    """At s = 1 the N -> oo limits of the exact and the local generator's g agree within 4 combined errors, and
    for the t0 listed in `resolved` that criterion rejects the difference at the largest N (a failure of
    Theorem 2 would leave a difference of that size)."""
    gap, err = load_experiment("theorem2_two_time").gap_and_error(r)
    assert np.all(gap < 4 * err), (gap, err)
    k, N = int(r["k_star"]), r["Ns"][-1]
    finite = np.abs(r[f"N{N}_exact"][:, k] - r[f"N{N}_local"][:, k])
    assert np.all((finite > 4 * err)[list(resolved)]), (finite, err)


def test_exact_correlation_tends_to_the_local_generator(fast):
    """Fast (N = 10, 20, 40; c + d/N): the limits differ by 1.56 (t0 = 1) and 0.49 (t0 = 3) combined errors;
    |g_40 - g_L| = 1.8e-3 is 2.4 x the criterion at t0 = 1, while at t0 = 3 (3.5e-3 against 4 x 3.4e-3) these
    N do not resolve it."""
    check_limits_agree(fast[0], resolved=[0])


def check_order_1_over_N(r, converged, every_delay):
    """N (g_N - g_L) converges at every delay and both t0: the increments per doubling of N shrink, and its limit is
    resolved (more than twice its error) at s = 1 and, if every_delay, away from the zero crossings in s at every
    delay (N <= 40 leave some delays unresolved: there the error is up to 3.5 x the limit); at s = 1 the convergence check
    gives `converged` (per t0, as the figure states it) and, where it fails, the error spans the limit of the
    observed slower approach."""
    nd = np.abs(r["ndev"])                                           # (K, T0, S)
    steps = np.abs(np.diff(r["ndev"], axis=0))
    big = nd[-1] > 0.2 * nd[-1].max()                               # away from the zero crossings in s
    assert np.all((steps[1:] < steps[:-1])[:, big]), steps
    lim, err = np.abs(r["ndev_limit"]), r["ndev_limit_err"]
    k = int(r["k_star"])
    assert np.all(lim[:, k] > 2 * err[:, k]), (lim[:, k], err[:, k])
    if every_delay:
        assert np.all((lim > 2 * err)[big]), (lim, err)
    assert r["ndev_converged"][:, k].tolist() == list(converged), r["ndev_ratios"][:, :, k]
    tail = np.abs(r["ndev_tail"][:, k] - r["ndev_limit"][:, k])
    assert np.all((tail <= err[:, k])[~r["ndev_converged"][:, k]]), (tail, err[:, k])


def test_difference_is_order_1_over_N(fast):
    """Fast, s = 1: N |g_N - g_L| = 0.0636, 0.0676, 0.0712 -> 0.073 +- 0.03 (t0 = 1) and 0.0976, 0.1213, 0.1399
    -> 0.152 +- 0.06 (t0 = 3): the increments shrink by 0.88 and 0.78 per doubling, not 0.5, so neither
    passes the convergence check, and the errors include the distance to the slower approach's limit."""
    check_order_1_over_N(fast[0], converged=(False, False), every_delay=False)
    # the correlation is far from factorised values and from its N = 10 value: the comparison is not empty
    r = fast[0]
    assert np.abs(r[f"N{r['Ns'][0]}_exact"] - r[f"N{r['Ns'][-1]}_exact"]).max() > 3e-3


def test_at_zero_delay_the_correlation_is_the_excited_population(fast):
    """g(t0, 0) = <sigma_+ sigma_-> = (1 + <sigma_z>)/2 >= 0 is real; g decays with the delay."""
    r = fast[0]
    for N in r["Ns"]:
        g = r[f"N{N}_exact"]
        assert np.all(np.abs(g[:, 0].imag) < 1e-10) and np.all((g[:, 0].real > 0) & (g[:, 0].real < 1))
        assert np.all(np.abs(g[:, -1]) < 0.5 * np.abs(g[:, 0]))


def test_replots(fast):
    assert_replots("theorem2_two_time", *fast)


@pytest.mark.slow
def test_full_mode(tmp_path):
    """The committed figure's run (N = 10 .. 80, c + d/N + e/N^2; 11 minutes): at s = 1 the limits of exact and
    local g differ by 1.07 and 0.33 combined errors, |g_80 - g_L| is 3.6 x the criterion at t0 = 1 and 0.6 x at
    t0 = 3 (not resolved); N |g_N - g_L| -> 0.0764 +- 0.003 and 0.165 +- 0.01, increments shrinking by 0.88,
    0.68 and 0.78, 0.67 per doubling: not converged."""
    r = load_experiment("theorem2_two_time").main(["--out", str(tmp_path / "f.png"), "--data", str(tmp_path / "f.npz")])
    check_limits_agree(r, resolved=[0])
    check_order_1_over_N(r, converged=(False, False), every_delay=True)
