"""The paper's physics, reproduced: fast modes of experiments/hopfield_retrieval.py,
theorem2_tagged.py and kinetic_constraints.py, with their claims asserted numerically.

Tolerances: trajectory ensembles against mean field allow 4 standard errors (the largest of ~30-60
compared numbers) plus 1/N for the finite-N bias; that bias was measured with the exact sector solver
(Hopfield, beta = 1, Omega = 0.5, N = 50: max_t |exact - MF| = 0.013 = 0.65/N for t <= 5), so 1/N
bounds it. Scaling claims compare N values with their errors.
"""

import numpy as np
import pytest

from trajectories.cli.registry import named_model
from trajectories import coherent_state, mean_field, run_ensemble

from systems import load_experiment


@pytest.fixture(scope="module")
def hop():
    return load_experiment("hopfield_retrieval")


@pytest.fixture(scope="module")
def hop_fast(hop, tmp_path_factory):
    d = tmp_path_factory.mktemp("hop")
    return hop.main(fast=True, out=str(d / "h.png"), data=str(d / "h.npz"), n_jobs=2), d


# ------------------------------------------------------------------------------------------------
# quantum Hopfield network
# ------------------------------------------------------------------------------------------------

def test_hopfield_stability_analysis(hop):
    # docs/theory.md §7 mean field at beta = 2, Omega = 0.5: the Jacobian of m = 0 in the (m_y, m_z) plane is
    # [[-1/2, -1], [1, 1]]: trace 1/2, det 1/2 -> eigenvalues 1/4 +- i sqrt(7)/4 (unstable focus), and
    # no retrieval fixed point (beta = 2 < 1 + 8 Omega^2 = 3): a limit cycle (Poincare-Bendixson).
    eig = np.sort_complex(hop.jacobian_eigenvalues(0.5, 2.0, 0.0))
    np.testing.assert_allclose(eig, [0.25 - 1j * np.sqrt(7) / 4, 0.25 + 1j * np.sqrt(7) / 4], atol=1e-12)
    assert hop.retrieval_fixed_point(0.5, 2.0) is None
    # retrieval point beta = 4, Omega = 0.2: tanh(4 z) = 1.32 z, and the pair is stable
    z = hop.retrieval_fixed_point(0.2, 4.0)
    assert abs(np.tanh(4 * z) - 1.32 * z) < 1e-12 and 0.7 < z < 0.8
    assert np.all(hop.jacobian_eigenvalues(0.2, 4.0, z).real < 0)
    assert np.any(hop.jacobian_eigenvalues(0.2, 4.0, 0.0).real > 0)          # m = 0 unstable there
    assert hop.analytic_phase(0.5, 1.0) == (True, False, False)              # paramagnet


def test_hopfield_phase_diagram(hop_fast, hop):
    out, _ = hop_fast
    assert out["point_phase"] == {"paramagnet": hop.PARA, "retrieval": hop.RETRIEVAL, "limit cycle": hop.CYCLE}
    # all three regions occupy a sizeable part of the (Omega, T) grid
    fr = out["grid_fractions"]
    assert fr["paramagnet"] > 0.3 and fr["retrieval"] > 0.1 and fr["limit cycle"] > 0.1, fr
    # the integrated classification agrees with the linear stability analysis away from the boundaries
    res = out["res"]
    W, T = np.meshgrid(res["pd_omegas"], res["pd_T"])
    phase = res["pd_phase"]
    para_stable = (1 / T < 1.5) & (1 / T < 1 + 8 * W ** 2)
    deep_para = (1 / T < 1.35) & (1 / T < 0.9 * (1 + 8 * W ** 2))
    assert np.all(phase[deep_para] == hop.PARA)
    deep_cycle = (1 / T > 1.7) & (1 / T < 0.85 * (1 + 8 * W ** 2))        # m = 0 unstable, no retrieval pair
    assert deep_cycle.sum() > 20 and np.all(phase[deep_cycle] == hop.CYCLE)
    assert np.all(phase[~para_stable & (1 / T > 1.1 * (1 + 8 * W ** 2)) & (W < 0.2)] == hop.RETRIEVAL)


def test_hopfield_trajectories_follow_mean_field(hop_fast):
    out, _ = hop_fast
    res = out["res"]
    for name in ("paramagnet", "retrieval", "limit_cycle"):
        mf = res[f"b_{name}_mf"]
        devs = []
        for N in res["b_Ns"]:
            mean, se = res[f"b_{name}_N{N}_mean"], res[f"b_{name}_N{N}_stderr"]
            devs.append(np.abs(mean - mf).max())
            if name != "limit_cycle":
                assert np.all(np.abs(mean - mf) <= 4 * se + 1.0 / N), (name, N)
        # near the instability the finite-N bias is larger (C1 of Theorem 1), but it falls with N
        if name == "limit_cycle":
            assert devs[-1] < devs[0], devs


def test_limit_cycle_dephasing_time_grows_with_N(hop_fast):
    out, _ = hop_fast
    (n1, n2), (t1, t2), (e1, e2) = out["Ns_c"], out["tau"], out["tau_err"]
    # measured tau(16) = 10.1 +- 2.6, tau(64) = 21.9 +- 4.6 (bootstrap errors; phase diffusion ~ 1/N
    # predicts a factor ~4 at large N): longer at larger N by more than 2 combined standard errors
    assert t2 - t1 > 2 * np.hypot(e1, e2), (t1, e1, t2, e2)


def test_p2_retrieval(hop_fast):
    out, _ = hop_fast
    res = out["res"]
    Ns = res["d_Ns"]
    devs = []
    for N in Ns:
        ov, se, mf = res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"], res[f"d_N{N}_overlap_mf"]
        devs.append(np.abs(ov - mf).max())
        # the mean field retrieves pattern 1 from the corrupted start (overlap 0.3 -> retrieval m_z*)
        assert mf[0, 0] < 0.4 and abs(mf[0, -1] - res["d_retrieval_mz"]) < 0.1
    N = Ns[-1]
    ov, se = res[f"d_N{N}_overlap"], res[f"d_N{N}_overlap_se"]
    assert ov[0, -1] - ov[0, 0] > 4 * se[0, -1] and ov[0, -1] > 0.5          # trajectories retrieve too
    assert devs[-1] < devs[0], devs                                        # and approach mean field with N


@pytest.mark.slow
def test_dephasing_time_scaling(hop):
    taus, errs = [], []
    for N, nt, te in ((25, 600, 50.0), (100, 300, 110.0)):
        d = hop.dephasing(N, nt, te, 0.25, seed=200 + N, n_jobs=2, omega=0.5, beta=2.0)
        taus.append(d["fit"][0])
        errs.append(d["fit"][1])
    p = np.log(taus[1] / taus[0]) / np.log(4)
    pe = np.hypot(errs[0] / taus[0], errs[1] / taus[1]) / np.log(4)
    # measured tau = 10.9 (N = 25), 25.5 (N = 100), 61 (N = 200): exponent 0.6-0.8 here, tending to 1
    assert 0.3 < p < 1.3 and p > 3 * pe, (taus, errs)


# ------------------------------------------------------------------------------------------------
# Theorem 2
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def t2_fast(tmp_path_factory):
    d = tmp_path_factory.mktemp("t2")
    return load_experiment("theorem2_tagged").main(fast=True, out=str(d / "t.png"), data=str(d / "t.npz"), n_jobs=2)


def test_tagged_site_follows_local_generator(t2_fast):
    dev = t2_fast["tag_dev"]
    # exact sectors, N = 6, 12, 24: the deviation from L_t falls by > 25% per doubling of N
    assert all(dev[i + 1] < 0.75 * dev[i] for i in range(len(dev) - 1)), dev
    # trajectories at N = 100 agree with L_t within errors, while the bulk mean field is far away
    assert t2_fast["z_big"] < 4.0
    assert t2_fast["far"] > 0.5


def test_connected_correlations_are_order_1_over_N(t2_fast):
    res = t2_fast["res"]
    Ns, Cz, err, kinds = res["Ns_c"], res["Cz"], res["Cz_err"], res["kinds"]
    exact = kinds == 0
    scaled = Ns[exact] * Cz[exact]
    # N C_zz(t = 3) converges (1.03, 1.14, 1.22 at N = 10, 20, 40): an O(1/N) correlation
    assert np.all(scaled > 0.5) and np.all(np.abs(scaled[1:] / scaled[:-1] - 1) < 0.15), scaled
    assert np.all(np.diff(np.diff(scaled)) < 0)                        # increments shrink
    # trajectories (delta-method errors) continue the same N C_zz
    N, c, e = Ns[~exact][0], Cz[~exact][0], err[~exact][0]
    assert abs(N * c - scaled[-1]) < 3 * N * e + 0.1, (N * c, N * e, scaled)


# ------------------------------------------------------------------------------------------------
# kinetically constrained rates
# ------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kin_fast(tmp_path_factory):
    d = tmp_path_factory.mktemp("kin")
    return load_experiment("kinetic_constraints").main(fast=True, out=str(d / "k.png"), data=str(d / "k.npz"), n_jobs=2)


def test_kinetic_mean_field_stationary_density(kin_fast):
    checks = kin_fast["checks"]          # (gamma_up, Omega, root, integrated, drift)
    np.testing.assert_allclose(checks[:, 3], checks[:, 2], atol=1e-7)
    # gamma_up = 0: n_st^5 = 4 Omega^2 (1 - 2 n_st), so d ln n / d ln Omega = 2 / (5 + 2n/(1 - 2n)) -> 2/5
    assert 0.37 < kin_fast["slope"] < 0.4


def test_kinetic_absorbing_at_zero_field_and_active_at_large_field(kin_fast):
    # all down at Omega = 0 is absorbing, exactly, at any N: no jump ever happens
    model = named_model("kinetic", N=30, gamma_up=1.0, gamma_down=2.0, omega=0.0)
    times = np.linspace(0, 50, 6)
    ens = run_ensemble(model, coherent_state(theta=np.pi), times, ntraj=20, seed=1)
    np.testing.assert_allclose(ens.mean[2], -1.0, atol=1e-12)
    assert ens.njumps == 0
    # the script: absorption is permanent, complete at N = 6 by t = 300 (mean time 43), slower at N = 12
    c = kin_fast["c"]
    assert all(row[2] for row in c)
    assert c[0][3] == 1.0 and c[1][3] < c[0][3]
    # a small field (Omega = 0.05) keeps the finite-N system out of the all-down state
    res = kin_fast["res"]
    assert res["s_abs"].max() == 0.0 and res["s_n"][-1] > 0.1
    # trajectories follow mean field at every Omega; Omega = 2 is active (n -> 1/2)
    for w in res["b_omegas"]:
        mf = res[f"b_w{w}_mf"]
        for N in res["b_Ns"]:
            n, se = res[f"b_w{w}_N{N}_n"], res[f"b_w{w}_N{N}_se"]
            assert np.all(np.abs(n - mf)[1:] <= 4 * se[1:] + 1.0 / N), (w, N)
    N = res["b_Ns"][-1]
    assert res[f"b_w2.0_N{N}_n"][-1] > 0.45
    mf0 = mean_field(named_model("kinetic", N=10, gamma_up=0.0, gamma_down=1.0, omega=0.0),
                     coherent_state(theta=np.pi), times)
    np.testing.assert_allclose(mf0.mean[2], -1.0, atol=1e-12)
