"""Claims of experiments/qudit_ladder.py (three-level atoms with a density-dependent decay), on its fast
mode (one run per module, fixed seeds) and, with -m slow, on the full mode of the committed figure.

The exact N E_N(t*) rises to its limit with shrinking increments; the fit c + d/N + e/N^2 removes
most of the finite-size gap and lands on the linear-noise lim N E_N (with the Gamma' terms), far from
the frozen-rate prediction; the trajectories' N E_N(t*) and N (n_r - n_r^MF)(t*) lie within 4
standard errors of the fit's prediction at their N.
"""
import numpy as np
import pytest

from systems import assert_replots, load_experiment, run_fast

NAME = "qudit_ladder"


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    result, out, data, tmp = run_fast(NAME, tmp_path_factory)
    return dict(result=result, out=out, data=data, tmp=tmp)


def check_exact(r):
    """N E_N(t*) of the exact solver grows with N by shrinking increments (it approaches its limit from
    below); the fit's limit is within 4 of its errors of the linear-noise value and removes at least
    90% of the gap between the largest exact N and it (full: 2.56775 +- 3.6e-4 against 2.56809, 0.9
    errors, gap 0.015), whose frozen-rate variant is more than three gaps away."""
    k = int(r["k_star"])
    ne = r["NE_exact"][:, k]
    steps = np.diff(ne)
    assert np.all(steps > 0) and np.all(steps[1:] < steps[:-1]), ne
    theory, frozen, lim = float(r["theory"][k]), float(r["frozen"][k]), float(r["NE_lim"])
    gap = theory - ne[-1]
    assert abs(lim - theory) < 0.1 * gap and abs(lim - theory) < 4 * float(r["NE_lim_err"]), (lim, theory, gap)
    assert abs(frozen - theory) > 3 * gap, (frozen, theory, gap)
    assert np.allclose(r["NE_exact"][:, 0], 2.0, atol=1e-8)     # a product state: N E_N(0) = d - 1


def check_trajectories(r):
    """The trajectories' N E_N(t*) and N (n_r - n_r^MF)(t*) within Z_MAX = 4 combined errors of the exact
    fit at their N (fast: largest |z| 2.1 and 0.2; full 1.4 and 1.0); their populations follow mean field within
    4 s.e. plus the exact O(1/N) bias (its fit) at every time."""
    assert np.all(np.abs(r["NE_z"]) < 4), r["NE_z"]
    assert np.all(np.abs(r["bias_z"]) < 4), r["bias_z"]
    k = int(r["k_star"])
    for i, N in enumerate(r["Ns"]):
        z = (r["pops"][i, 2, k] - r["mf_pops"][2, k] - r["bias_pred"][i] / N) / r["pops_se"][i, 2, k]
        assert abs(z) < 4, (N, z)


def test_fast_claims(fast):
    check_exact(fast["result"])
    check_trajectories(fast["result"])


def test_fast_figure_and_data(fast):
    assert_replots(NAME, fast["result"], fast["out"], fast["data"], fast["tmp"])


def test_compare_fits_every_exact_N_but_the_smallest():
    """compare(): the fit c + d/N + e/N^2 over exact N >= the second smallest recovers exact data of that form
    (limit, prediction at the trajectories' N, zero errors) and refuses too few exact N."""
    experiment = load_experiment(NAME)
    p = experiment.Params(exact_Ns=(4, 6, 8, 10, 12), Ns=(20, 40))
    exact = np.array([[2 + 3 / N - 1 / N ** 2] for N in p.exact_Ns])             # (nEx, T = 1)
    traj, se = np.array([[2 + 3 / 20 - 1 / 400], [2.1]]), np.array([[0.01], [0.01]])
    out = experiment.compare(p, 0, exact, traj, se, np.array(p.Ns), "NE")
    np.testing.assert_allclose(out["NE_coef"], [2, 3, -1], atol=1e-10)
    assert abs(out["NE_lim"] - 2) < 1e-12 and out["NE_lim_err"] < 1e-11 and out["NE_rms"] < 1e-13
    np.testing.assert_allclose(out["NE_pred"], [2 + 3 / 20 - 1 / 400, 2 + 3 / 40 - 1 / 1600], atol=1e-12)
    assert abs(out["NE_z"][0]) < 1e-8 and out["NE_z"][1] > 2
    with pytest.raises(ValueError, match="window must be in 4"):
        experiment.compare(experiment.Params(exact_Ns=(4, 6, 8, 10)), 0, exact[:4], traj, se, np.array(p.Ns), "NE")


@pytest.mark.slow
def test_full_claims(tmp_path):
    """The committed figure's run (about 25 minutes on two busy cores): the same claims."""
    r = load_experiment(NAME).main(["--out", str(tmp_path / "f.png"), "--data", str(tmp_path / "f.npz")])
    check_exact(r)
    check_trajectories(r)
