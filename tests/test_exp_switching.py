"""experiments/switching.py: switching between the Hopfield retrieval branches, asserted on one fast run
(N = 4, 8, 12; 8 trajectories each) and, marked slow, on the full run (N = 8 ... 40)."""
import numpy as np
import pytest

from systems import assert_replots, load_experiment, run_fast


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    return run_fast("switching", tmp_path_factory)


def _times(r):
    k = np.array([float(r[f"N{N}_k0.4"]) for N in r["Ns"]])
    e = np.array([float(r[f"N{N}_k0.4_err"]) for N in r["Ns"]])
    return 1 / k, e / k ** 2


def check_growth(r):
    """The mean switching time grows with N: each step by more than 2 combined standard errors
    (fast: 23 +- 2, 39 +- 3, 64 +- 5), as the exact 2/lambda_1 does at every N (Arrhenius slope > 0)."""
    tau, err = _times(r)
    assert np.all(np.diff(tau) > 2 * np.hypot(err[1:], err[:-1])), (tau, err)
    assert np.all(np.diff(2 / r["lambda1"]) > 0) and float(r["arrhenius_slope"]) > 0.05


def check_exact_gap(r):
    """k = lambda_1/2 within 4 standard errors plus the lambda_1/lambda_2 correction of the threshold
    definition; the correction shrinks with N, and so does the spread over the thresholds 0.2 .. 0.6."""
    spreads = []
    for N in r["Ns"]:
        i = list(r["gap_Ns"]).index(N)
        lam1, lam2 = r["lambda1"][i], r["lambda2"][i]
        k, e = float(r[f"N{N}_k0.4"]), float(r[f"N{N}_k0.4_err"])
        assert abs(k - lam1 / 2) < 4 * e + (lam1 / lam2) * lam1 / 2, (N, k, lam1 / 2)
        spreads.append((float(r[f"N{N}_k0.2"]) - float(r[f"N{N}_k0.6"])) / k)
    assert spreads[-1] < spreads[0]


def check_stationary(r):
    """Stationary <m_z^2> (autocorrelation-time errors) and P(m_z) (bins with P >= 0.02) within 4
    standard errors of the exact stationary state; both distributions sum to 1."""
    for N in r["Ns"]:
        v, e, exact = (float(r[f"N{N}_{x}"]) for x in ("mz2", "mz2_err", "exact_mz2"))
        assert abs(v - exact) < 4 * e, (N, v, e, exact)
        if f"N{N}_P" in r:
            P, err, EP = r[f"N{N}_P"], r[f"N{N}_P_err"], r[f"N{N}_exact_P"]
            np.testing.assert_allclose([P.sum(), EP.sum()], 1.0, atol=1e-9)
            big = EP >= 0.02
            assert np.all(np.abs(P - EP)[big] < 4 * err[big]), N


def test_switching_time_grows_with_N(fast):
    check_growth(fast[0])


def test_switching_rate_is_half_the_spectral_gap(fast):
    check_exact_gap(fast[0])


def test_stationary_averages_match_the_exact_stationary_state(fast):
    check_stationary(fast[0])


def test_replots(fast):
    assert_replots("switching", *fast)


@pytest.mark.slow
def test_full_mode():
    module = load_experiment("switching")
    r = module.compute(module.Params())
    check_growth(r)
    check_exact_gap(r)
    check_stationary(r)
