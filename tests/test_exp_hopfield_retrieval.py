"""experiments/hopfield_retrieval.py: its claims, asserted on one fast run (module fixture).

Tolerances: trajectory ensembles against mean field allow 4 standard errors (the largest of ~30-60
compared numbers) plus 1/N for the finite-N bias; that bias was measured with the exact sector solver
(Hopfield, beta = 1, Omega = 0.5, N = 50: max_t |exact - MF| = 0.013 = 0.65/N for t <= 5), so 1/N
bounds it. Scaling claims compare N values with their errors. The phase diagram is checked against
the linear stability conditions of docs/theory.md §7, evaluated here independently (scipy brentq).
"""
import numpy as np
import pytest
from scipy.optimize import brentq

from systems import assert_replots, load_experiment, run_fast


@pytest.fixture(scope="module")
def hop():
    return load_experiment("hopfield_retrieval")


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    return run_fast("hopfield_retrieval", tmp_path_factory)


def retrieval_stable(omega, beta):
    """docs/theory.md §7: the pair exists iff beta > 1 + 8 Omega^2, stable iff beta sech^2(beta m*) < 3/2."""
    k = 1 + 8 * omega ** 2
    if beta <= k:
        return False
    z = brentq(lambda x: np.tanh(beta * x) - k * x, 1e-12, 1.0)
    return beta / np.cosh(beta * z) ** 2 < 1.5


def test_fixed_point_analysis(fast, hop):
    res = fast[0]
    # beta = 2, Omega = 0.5: the (m_y, m_z) Jacobian of m = 0 is [[-1/2, -1], [1, 1]]: trace 1/2, det 1/2 ->
    # 1/4 +- i sqrt(7)/4 (unstable focus), plus m_x's -1/2; no retrieval pair (beta = 2 < 1 + 8 Omega^2 = 3)
    np.testing.assert_allclose(res["eig0_limit_cycle"], [0.25 + 1j * np.sqrt(7) / 4, 0.25 - 1j * np.sqrt(7) / 4, -0.5],
                               atol=1e-12)
    assert np.isnan(res["mzr_limit_cycle"])
    assert res["point_limit_cycle"][2] == hop.CYCLE
    # beta = 4, Omega = 0.2: tanh(4 z) = 1.32 z, the pair is stable, m = 0 unstable
    z = res["mzr_retrieval"]
    assert abs(np.tanh(4 * z) - 1.32 * z) < 1e-12 and 0.7 < z < 0.8
    assert np.all(res["eigr_retrieval"].real < 0) and np.any(res["eig0_retrieval"].real > 0)
    assert res["point_retrieval"][2] == hop.RETRIEVAL
    # beta = 1, Omega = 0.5: paramagnet (m = 0 stable, no pair)
    np.testing.assert_array_equal(res["point_paramagnet"], [0.5, 1.0, hop.PARA, 1, 0, 0])


def test_phase_diagram(fast, hop):
    res = fast[0]
    W, T = np.meshgrid(res["pd_omegas"], res["pd_T"])
    B, phase = 1 / T, res["pd_phase"]
    fr = res["pd_fractions"]
    assert fr[hop.PARA] > 0.3 and fr[hop.RETRIEVAL] > 0.1 and fr[hop.CYCLE] > 0.1, fr
    # away from the lines (1e-6), the phases are the linear-stability ones of docs/theory.md §7
    k = 1 + 8 * W ** 2
    off = (np.abs(B - k) > 1e-6) & (np.abs(B - 1.5) > 1e-6)
    para = (B < 1.5) & (B < k)
    ret = np.vectorize(retrieval_stable)(W, B)
    assert np.all((phase == hop.PARA)[off] == para[off])
    assert np.all(np.isin(phase, (hop.RETRIEVAL, hop.COEXIST))[off] == ret[off])
    assert np.all((phase == hop.CYCLE)[off] == (~para & ~ret)[off])
    deep_cycle = (B > 1.7) & (B < 0.85 * k)          # m = 0 unstable, no retrieval pair
    assert deep_cycle.sum() > 20 and np.all(phase[deep_cycle] == hop.CYCLE)
    # a stable cycle coexists with stable retrieval in a band next to the retrieval Hopf line (Omega > 1/4):
    # measured 14 grid points, cycle amplitudes (peak-to-peak m_z) 1.17..1.62; integrating the flow from
    # three starts finds the same 14 points on this grid
    co = phase == hop.COEXIST
    assert 10 <= co.sum() <= 18 and np.all(W[co] > 0.25), co.sum()
    assert np.all(res["pd_amp"][co] > 1.0)
    hopf = np.interp(W[co], res["pd_line_omega"], 1 / res["pd_line_hopf_retrieval"])
    assert np.all((B[co] > hopf) & (B[co] < 1.6 * hopf))
    # every row's walk ends on a point whose orbit falls onto the retrieval fixed point
    for i in np.nonzero(co.any(axis=1))[0]:
        j = np.nonzero(res["pd_checked"][i])[0].min()
        assert res["pd_amp"][i, j] == 0 and phase[i, j] == hop.RETRIEVAL


def test_trajectories_follow_mean_field(fast):
    res = fast[0]
    for name in ("paramagnet", "retrieval", "limit_cycle"):
        mf = res[f"b_{name}_mf"]
        for N in res["b_Ns"]:
            mean, se = res[f"b_{name}_N{N}_mean"], res[f"b_{name}_N{N}_stderr"]
            if name != "limit_cycle":
                assert np.all(np.abs(mean - mf) <= 4 * se + 1.0 / N), (name, N)
        # near the instability the finite-N bias is larger (C1 of Theorem 1), but it falls with N:
        # measured 0.089 (N = 50) -> 0.043 (N = 200)
        if name == "limit_cycle":
            devs = res[f"b_{name}_maxdev"]
            assert devs[-1] < devs[0], devs


def test_limit_cycle_dephasing_time_grows_with_N(fast):
    res = fast[0]
    (n1, n2), (t1, t2), (e1, e2) = res["c_Ns"], res["c_tau"], res["c_tau_err"]
    # measured tau(16) = 10.05 +- 2.58, tau(64) = 21.89 +- 4.61 (68% bootstrap half-widths): longer at
    # larger N by more than 2 combined errors (phase diffusion ~ 1/N predicts a factor ~4 at large N)
    assert t2 - t1 > 2 * np.hypot(e1, e2), (t1, e1, t2, e2)
    for N, tau in zip(res["c_Ns"], res["c_tau"]):
        lo, hi = res[f"c_N{N}_tau_interval"]
        assert lo < tau < hi
        # the envelope starts on the mean-field orbit: A = 1 within the noise of the first windows
        assert 0.6 < res[f"c_N{N}_fit"][2] < 1.5
    # two points: the power-law exponent is their slope, with the propagated error
    p, pe = res["c_powerlaw"][:2]
    np.testing.assert_allclose(p, np.log(t2 / t1) / np.log(n2 / n1), rtol=1e-10)
    assert p > 2 * pe


def test_p2_retrieval(fast):
    res = fast[0]
    Ns = res["d_Ns"]
    devs = []
    for N in Ns:
        ov, se, mf = res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"], res[f"d_N{N}_overlap_mf"]
        fp = res[f"d_N{N}_fixed_point"]
        devs.append(np.abs(ov - mf).max())
        # the start is the corrupted pattern (t = 0 within the sampling error of the classical start)
        assert np.all(np.abs(ov[:, 0] - mf[:, 0]) <= 4 * se[:, 0] + 1e-12)
        # the mean field retrieves pattern 1 (overlap 0.3 -> the network's stable retrieval fixed point,
        # which is the p = 1 value m_z* = 0.754 up to the pattern imbalance)
        assert res[f"d_N{N}_fixed_point_stable"]
        assert mf[0, 0] < 0.4 and abs(mf[0, -1] - fp[0]) < 0.05 and abs(fp[0] - res["d_retrieval_mz"]) < 0.02
    N = Ns[-1]
    ov, se = res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"]
    assert ov[0, -1] - ov[0, 0] > 4 * se[0, -1] and ov[0, -1] > 0.5          # trajectories retrieve too
    assert devs[-1] < devs[0], devs                                        # and approach mean field with N


def test_replot_from_saved_data(fast):
    assert_replots("hopfield_retrieval", *fast)


@pytest.mark.slow
def test_full_mode(hop):
    res = hop.compute(hop.Params())
    fr = res["pd_fractions"]
    assert fr[hop.PARA] > 0.5 and fr[hop.RETRIEVAL] > 0.15 and fr[hop.CYCLE] > 0.2 and 0.005 < fr[hop.COEXIST] < 0.03
    for name in ("paramagnet", "retrieval"):
        for N in res["b_Ns"]:
            mean, se, mf = res[f"b_{name}_N{N}_mean"], res[f"b_{name}_N{N}_stderr"], res[f"b_{name}_mf"]
            assert np.all(np.abs(mean - mf) <= 4 * se + 1.0 / N), (name, N)
    assert np.all(np.diff(res["b_limit_cycle_maxdev"]) < 0)
    # measured tau = 10.9 +- 1.3, 15.6 +- 1.9, 25.5 +- 3.6, 61 +- 11 at N = 25..200: exponent 0.78 +- 0.12
    # (chi^2-scaled, chi^2/dof = 3.3/2), below the asymptotic 1 of phase diffusion at these N
    p, pe = res["c_powerlaw"][:2]
    assert np.all(np.diff(res["c_tau"]) > 0)
    assert 0.3 < p < 1.3 and p > 3 * pe, (res["c_tau"], res["c_tau_err"], p, pe)
    N = res["d_Ns"][-1]
    ov, se, fp = res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"], res[f"d_N{N}_fixed_point"]
    assert abs(ov[0, -1] - fp[0]) < 4 * se[0, -1] + 1 / N
