"""The paper's scaling claims, asserted on the fast modes of the experiment scripts (seconds each):
Theorem 1 (E_N ~ 1/N and the collapse of N E_N in a paramagnet, no collapse at an unstable point),
the O(1/N) bias of mean field, eq. 58 vs eq. 59 = O(1/N), and E_N = O(1) for the cat state.

Tolerances come from the statistical errors of each run (fixed seeds) plus the stated systematic
O(1/N^2) corrections; `-m slow` runs the full modes (the committed figures, ~20 minutes) with tighter claims.
"""

import numpy as np
import pytest
from scipy.stats import chi2 as chi2_dist

from systems import load_experiment


def _run(name, tmp_path, fast=True):
    out, data = tmp_path / f"{name}.png", tmp_path / f"{name}.npz"
    res = load_experiment(name).main(fast=fast, out=str(out), data=str(data), n_jobs=2)
    assert 10_000 < out.stat().st_size < 200_000
    assert data.stat().st_size > 0
    return res


# ------------------------------------------------------------------------------------------ Theorem 1

def _check_theorem1(res, last_spread_min):
    para, unst = res["stats"]["paramagnet"], res["stats"]["unstable"]
    t_last = res["t_stars"][-1]
    for ts in res["t_stars"]:
        f = para["fits"][ts]
        # statistical error of the exponent ~0.015 (3 sigma ~ 0.05); the O(1/N^2) part of E_N shifts a fit that
        # starts at N = 10 by ~0.02 (exact N E_N at N = 10 is 4% below N = 100): 0.15 covers both with margin
        assert abs(f.exponent + 1) < 0.15, (ts, str(f))
        assert f.exponent_err < 0.05
        # collapse: N E_N(t*) is one number for all N within the errors (chi^2 p-value not tiny)
        c = para["collapse"][ts]
        assert chi2_dist.sf(c["chi2"], c["dof"]) > 1e-3, (ts, c)
    # near the instability N E_N fans out: spread far beyond its error and far beyond the paramagnet's
    cu, cp = unst["collapse"][t_last], para["collapse"][t_last]
    assert chi2_dist.sf(cu["chi2"], cu["dof"]) < 1e-10, cu
    assert cu["spread"] - cp["spread"] > 5 * np.hypot(cu["spread_err"], cp["spread_err"]), (cu, cp)
    assert cu["spread"] > last_spread_min
    # and the apparent exponent at late times is far from -1 (slow convergence in N)
    fu = unst["fits"][t_last]
    assert (fu.exponent + 1) / fu.exponent_err > 10, str(fu)
    # the exponent drifts towards 0 as t* grows (e^{2 lambda t} passes through the range of N)
    ex = [unst["fits"][ts].exponent for ts in res["t_stars"]]
    assert all(b > a for a, b in zip(ex, ex[1:])), ex
    # trajectories agree with the exact sector evolution where it is available (N = 10)
    for case in ("paramagnet", "unstable"):
        r = res["res"][case]
        i = list(res["Ns"]).index(10)
        z = (r["E"][i, 1:] - r["exact"][10][1:]) / r["err"][i, 1:]
        assert np.abs(z).max() < 4.0, (case, z)


def test_theorem1_fast(tmp_path):
    res = _run("theorem1_scaling", tmp_path)
    _check_theorem1(res, last_spread_min=1.5)


@pytest.mark.slow
def test_theorem1_full(tmp_path):
    res = _run("theorem1_scaling", tmp_path, fast=False)
    _check_theorem1(res, last_spread_min=3.0)


# ------------------------------------------------------------------------------ mean-field exactness

def _check_mf(res, traj_exponent, exact_tmax):
    for ts in res["t_stars"]:
        ef = res["exact_fit"][ts]
        # the exact (noise-free) bias falls like 1/N: fitted over N >= 20 within 0.15 while the O(1/N^2) part is
        # small (t <= exact_tmax: local slopes -0.96..-0.98 at t = 1, -0.86..-0.92 at t = 2), and at every t*
        # the local slope moves towards -1 as N grows
        if ts <= exact_tmax:
            assert abs(ef["p"] + 1) < 0.15, (ts, ef)
        assert abs(ef["local"] + 1) < abs(ef["first"] + 1), (ts, ef)
        assert -1.1 < ef["local"] < -0.8, (ts, ef)
        # trajectories reproduce the exact omega_t(m) at the common N within 4 standard errors
        assert np.abs(res["zscores"][ts]).max() < 4.0, (ts, res["zscores"][ts])
        p, pe, b, chi2, dof = res["traj_fit"][ts]
        assert chi2_dist.sf(chi2, dof) > 1e-4, (ts, chi2, dof)
        if traj_exponent:
            assert abs(p + 1) < max(3 * pe, 0.15), (ts, p, pe)
    # at the largest N the measured deviation is at the noise level (the bias is far below it)
    k = int(np.argmin(np.abs(res["times"] - res["t_stars"][-1])))
    dev = np.linalg.norm(res["D"][-1, :, k])
    assert dev < 4 * res["noise"][-1, k] + 2 * res["exact_fit"][res["t_stars"][-1]]["c"] / res["Ns"][-1]


def test_mf_exactness_fast(tmp_path):
    _check_mf(_run("mf_exactness", tmp_path), traj_exponent=False, exact_tmax=1.0)


@pytest.mark.slow
def test_mf_exactness_full(tmp_path):
    _check_mf(_run("mf_exactness", tmp_path, fast=False), traj_exponent=True, exact_tmax=2.0)


# ------------------------------------------------------------------------------------- eq. 58 vs 59

def _check_eq58(res, traj_exponent):
    k1 = int(np.argmin(np.abs(res["times"] - 1.0)))
    for ts in res["t_stars"]:
        # exact difference ~ 1/N: deterministic, and in this paramagnet N |D| varies by ~1% over N = 20..80
        # (O(1/N^2) part), i.e. a slope shift < 0.01; 0.05 leaves room without admitting e.g. -1/2 or -3/2
        assert abs(res["exact_fit"][ts]["p"] + 1) < 0.05, (ts, res["exact_fit"][ts])
        p, pe, b, chi2, dof = res["traj_fit"][ts]
        assert chi2_dist.sf(chi2, dof) > 1e-4, (ts, chi2, dof)
        if traj_exponent:
            assert abs(p + 1) < max(3 * pe, 0.15), (ts, p, pe)
    # N D(t) converges to the mean-field linear response d_MF(t): closer at the largest exact N than at N = 10
    Nex, Dex, d = res["exact_Ns"], res["D_exact"], res["d_mf"]
    assert abs(Nex[-1] * Dex[-1, 2, k1] - d[2, k1]) < 0.3 * abs(Nex[0] * Dex[0, 2, k1] - d[2, k1])
    assert abs(Nex[-1] * Dex[-1, 2, k1] - d[2, k1]) < 0.1 * abs(d[2, k1])
    # paired trajectories agree with d_MF/N within 4 standard errors + the O(1/N^2) part (|N D - d| at N_ex)
    slack = abs(Nex[-1] * Dex[-1, 2] - d[2])
    for i, N in enumerate(res["Ns"]):
        z = np.abs(N * res["D"][i, 2] - d[2]) / (N * res["stderr"][i, 2] + 1e-300)
        ok = np.abs(N * res["D"][i, 2] - d[2]) < 4 * N * res["stderr"][i, 2] + slack
        assert ok[1:].all(), (N, z)


def test_eq58_vs_eq59_fast(tmp_path):
    _check_eq58(_run("eq58_vs_eq59", tmp_path), traj_exponent=False)


@pytest.mark.slow
def test_eq58_vs_eq59_full(tmp_path):
    _check_eq58(_run("eq58_vs_eq59", tmp_path, fast=False), traj_exponent=True)


# ---------------------------------------------------------------------------------------- cat state

def _check_cat(res):
    bound = 0.25     # stated O(1) bound; N -> oo prediction min_t |m_up(t)|^2 / 2 = 0.35 (retrieval state)
    assert res["branch_E"].min() > bound + 0.05
    for N, o in res["cat"].items():
        assert np.all(o["E"] - 3 * o["err"] > bound), (N, o["E"].min())
    for N, zmax in res["z"].items():
        assert zmax < 4.0, (N, zmax)                      # cat trajectories = exact evolution
    for ts in res["t_stars"]:
        fp = res["fits"]["product"][ts]
        assert abs(fp.exponent + 1) < 0.15, (ts, str(fp))  # product state: E_N ~ 1/N (Theorem 1)
    # the cat's E_N is the N-independent two-branch value plus the branch's own clustering: with MF = 0,
    # E_cat = 1/2 sum_a omega_up(m_a^2) = |m_up|^2/2 + E_prod + sum_a m_up,a (omega_up(m_a) - m_up,a); the last
    # term is the O(1/N) mean-field bias (|N D| < 1, mf_exactness), hence the 1/N allowance. Only for N >= 100
    # (cat_state.FIT_NMIN): at N = 10 the up branch tunnels to the other retrieval state within t <= 6, the bias
    # term becomes O(1) and the identity's split fails (measured |residual| 0.20 at N = 10, t = 6; < 0.018 for N >= 100)
    for N, o in res["cat"].items():
        if N < 100:
            continue
        pr = res["product"][N]
        resid = o["E"] - pr["E"] - res["branch_E"]
        assert np.all(np.abs(resid) < 4 * np.hypot(o["err"], pr["err"]) + 1.0 / N), (N, resid)
    # at the largest N the cat's E_N is the two-branch value |m_up(t)|^2/2 (within 4 s.e. + 3/N)
    Nl = max(res["cat"])
    o = res["cat"][Nl]
    assert np.all(np.abs(o["E"] - res["branch_E"]) < 4 * o["err"] + 3.0 / Nl)


def test_cat_state_fast(tmp_path):
    _check_cat(_run("cat_state", tmp_path))


@pytest.mark.slow
def test_cat_state_full(tmp_path):
    _check_cat(_run("cat_state", tmp_path, fast=False))
