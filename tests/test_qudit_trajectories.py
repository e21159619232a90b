"""Quantum-jump trajectories of QuditModel on irreps of U(d) (engine/irrep_*.py, docs/theory.md §18).

* every component of omega_t(m_a) and omega_t((m_a m_b + m_b m_a)/2) at every output time within
  4 standard errors of the exact irrep solver (itself checked against the d^N space,
  test_exact_qudit.py): d = 3 with a mixed product state, local and collective channels, Deltas in a
  rotated frame; d = 4; (slow tier) the g-e-r ladder and Deltas no frame diagonalises;
* d = 2: a QuditModel.from_spin model through the same code, against the spin sector solver;
* the RSK sampling of the initial irrep and basis vector against the product state's blocks;
* seeds: the same bits for any number of workers and across a checkpoint resume; bad input.
"""
import math

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import brentq
from scipy.sparse.linalg import expm_multiply

from models import Channel, SpinModel
from models.qudit import QuditModel
from trajectories import MemoryLimitError, clustering, load_ensemble, save_ensemble, exact_evolution, mean_field, product_state, run_ensemble
from trajectories.analysis import covariance
from trajectories.cli.main import main
from trajectories.engine import irrep_kernels, irrep_trajectory
from trajectories.engine.irrep_trajectory import irrep_data
from trajectories.reference.sectors import sector_moments
from trajectories.sectors.irreps import IrrepModel
from trajectories.symmetry import unitary
from trajectories.symmetry.tableaux import insert_word, sample_product_pattern, tableau_pattern
from test_exact_qudit import TIGHT, ladder, random_density, random_model

TIMES = np.linspace(0, 1, 4)


def assert_within_errors(ens, exact, limit=4.0):
    """|ensemble - exact| < limit standard errors for every mean and second moment at every time
    (entries with zero error, e.g. the constant m_0, must agree to 1e-12)."""
    for got, err, want in ((ens.mean, ens.stderr, exact.mean), (ens.second, ens.second_stderr, exact.second)):
        diff = np.abs(got - want)
        zero = err < 1e-14
        assert np.all(diff[zero] < 1e-12), diff[zero].max()
        z = diff[~zero] / err[~zero]
        assert z.max() < limit, (z.max(), np.unravel_index(np.argmax(diff / np.where(zero, 1, err)), diff.shape))


@pytest.mark.parametrize("N, d, deltas, collective, seed", [(4, 3, "rotated", True, 3), (3, 4, "diagonal", False, 5)])
def test_trajectories_match_the_irrep_solver(N, d, deltas, collective, seed):
    model = random_model(N, d, deltas, collective=collective)
    rho1 = random_density(d, np.random.default_rng(11))
    ens = run_ensemble(model, rho1, TIMES, ntraj=300, seed=seed)
    assert ens.kind == "qudit" and ens.mean.shape == (d * d, 4) and ens.second.shape == (d * d, d * d, 4)
    assert ens.meta["path"] == "irreps" and ens.njumps > 300
    exact = exact_evolution(model, rho1, TIMES, options=TIGHT)
    assert_within_errors(ens, exact)
    # E_N(t) (paper eq. 24 in the model's basis) against the exact one, with its exact error
    mf = mean_field(model, rho1, TIMES)
    EN, err = clustering(ens, mf)
    EN_exact, zero = clustering(exact, mf)
    assert np.all(zero == 0) and np.all(err > 0)
    assert np.all(np.abs(EN - EN_exact) < 4 * err), (EN, EN_exact, err)


@pytest.mark.slow
@pytest.mark.parametrize("model, rho1, seed", [
    (ladder(8), np.diag([1.0, 0, 0]).astype(complex), 1),
    (random_model(4, 3, "dense", seed=3), random_density(3, np.random.default_rng(12)), 2),
    (random_model(5, 3, "diagonal", seed=4, collective=False), np.eye(3) / 3, 3)])
def test_trajectories_match_the_irrep_solver_slow(model, rho1, seed):
    """4000 trajectories: from all in g the early second moments are extremely skewed (at t = 0.5,
    91 % of the ladder's trajectories have not jumped and share one value; skewness -11), and with
    1000 trajectories a sample standard error can miss the rare tail (seed 1 gave 4.7 s.e. on one
    entry, while 16000 and 30000 trajectories agree within 2.7 s.e. everywhere)."""
    times = np.linspace(0, 2, 5)
    ens = run_ensemble(model, rho1, times, ntraj=4000, seed=seed)
    assert_within_errors(ens, exact_evolution(model, rho1, times, options=TIGHT))


def test_d2_through_the_irreps_matches_the_spin_solver():
    spin = SpinModel(6, h=(0.5, 0, 0.2), J=np.diag([0.3, 0, -0.4]),
                     channels=[Channel("minus", gamma=lambda x: 1 + 0.5 * x, delta=(0, 0, 0.6)),
                               Channel("x", rate=0.3, collective=True)])
    r = np.array([0.2, 0.1, 0.6])
    rho1 = (np.eye(2) + r[0] * np.array([[0, 1], [1, 0]]) + r[1] * np.array([[0, -1j], [1j, 0]])
            + r[2] * np.diag([1, -1])) / 2
    ens = run_ensemble(QuditModel.from_spin(spin), rho1, TIMES, ntraj=300, seed=4)
    first, second = sector_moments(spin, product_state(r), TIMES, TIGHT)
    exact = type("Exact", (), {})()
    exact.mean = np.concatenate([np.full((1, 4), 1 / math.sqrt(2)), first[:, 0].T / math.sqrt(2)])
    exact.second = np.zeros((4, 4, 4))
    exact.second[0, 0] = 0.5
    exact.second[0, 1:] = exact.second[1:, 0] = exact.mean[1:] / math.sqrt(2)
    exact.second[1:, 1:] = np.moveaxis(second[:, 0, :, 0], 0, -1) / 2
    assert_within_errors(ens, exact)
    # E_N is the same number in both descriptions
    q = QuditModel.from_spin(spin)
    spin_EN = clustering(exact_evolution(spin, product_state(r), TIMES), mean_field(spin, product_state(r), TIMES))[0]
    qudit_EN = clustering(exact_evolution(q, rho1, TIMES), mean_field(q, rho1, TIMES))[0]
    np.testing.assert_allclose(qudit_EN, spin_EN, rtol=1e-8, atol=1e-12)
    with pytest.raises(ValueError, match="takes spin results .* got a qudit result"):
        covariance(ens)


def test_rsk_sampling_is_the_product_state():
    """P(lam, pattern) of the sampled words equals the diagonal of f_lam pi_lam(diag p)."""
    assert insert_word([1, 0, 2, 0, 1]) == [[0, 0, 1], [1, 2]]
    assert tableau_pattern([[0, 0, 1], [1, 2]], 3) == ((3, 2, 0), (3, 2, 0, 3, 1, 2))
    p, N, n = np.array([0.5, 0.3, 0.2]), 4, 40000
    rng = np.random.default_rng(0)
    counts = {}
    for _ in range(n):
        key = sample_product_pattern(N, p, rng)
        counts[key] = counts.get(key, 0) + 1
    worst = 0.0
    for lam in unitary.partitions(N, 3):
        want = np.diag(unitary.product_state_block(lam, np.diag(p))).real
        for pattern, i in unitary.pattern_index(lam).items():
            got = counts.get((lam, pattern), 0) / n
            worst = max(worst, abs(got - want[i]) / math.sqrt(want[i] * (1 - want[i]) / n))
    assert worst < 4, worst


def test_seeds_give_the_same_bits_for_any_workers(tmp_path):
    model = random_model(3, 3, "diagonal", seed=6)
    rho1 = random_density(3, np.random.default_rng(13))
    serial = run_ensemble(model, rho1, TIMES, ntraj=24, seed=9, keep_trajectories=True)
    parallel = run_ensemble(model, rho1, TIMES, ntraj=24, seed=9,
                            execution=dict(n_jobs=2, backend="joblib", batch_size=5))
    np.testing.assert_array_equal(parallel.mean, serial.mean)
    np.testing.assert_array_equal(parallel.second_stderr, serial.second_stderr)
    part = run_ensemble(model, rho1, TIMES, ntraj=10, seed=9, keep_trajectories=True)
    rest = run_ensemble(model, rho1, TIMES, ntraj=14, seed=9, start=10, keep_trajectories=True)
    np.testing.assert_array_equal(part.merge(rest).mean, serial.mean)
    assert serial.trajectory_means().shape == (24, 4, 1, 9)
    check = tmp_path / "run.npz"
    for _ in range(2):   # the second run finds the finished checkpoint and resumes from it
        again = run_ensemble(model, rho1, TIMES, ntraj=24, seed=9, execution=dict(checkpoint=check))
        np.testing.assert_array_equal(again.mean, serial.mean)
        np.testing.assert_array_equal(again.second, serial.second)
    save_ensemble(serial, tmp_path / "kept.npz")
    loaded = load_ensemble(tmp_path / "kept.npz")
    assert (loaded.kind, loaded.components) == ("qudit", 9)
    np.testing.assert_array_equal(loaded.second_stderr, serial.second_stderr)
    np.testing.assert_array_equal(loaded.trajectory_means(), serial.trajectory_means())


def test_runs_of_other_sizes_in_one_process_do_not_share_operators():
    """The process keeps the operators of the irreps of one model (engine/irrep_trajectory.irrep_cache):
    a run at N = 5 after one at N = 4 of the same single-site model gives the bits of a run in a
    fresh cache (the operators depend on N through the 1/N of the average operators)."""
    rho1, times = np.diag([1.0, 0, 0]).astype(complex), np.linspace(0, 1, 3)
    irrep_trajectory._CACHES.clear()
    fresh = run_ensemble(ladder(5), rho1, times, ntraj=6, seed=2)
    irrep_trajectory._CACHES.clear()
    run_ensemble(ladder(4), rho1, times, ntraj=6, seed=2)
    again = run_ensemble(ladder(5), rho1, times, ntraj=6, seed=2)
    np.testing.assert_array_equal(again.second, fresh.second)


def _irrep_heff(N, lam):
    data = irrep_data(IrrepModel(ladder(N)), lam)
    H = data.heff
    return H, sp.csr_matrix((H.data, H.indices, H.indptr))


@pytest.mark.parametrize("lam", [(12, 0, 0), (7, 3, 2)])
def test_the_no_jump_step_against_the_matrix_exponential(lam):
    """irrep_kernels.evolve (Taylor steps about <H_eff>, adaptive) against expm(-i H_eff t) psi of the
    ladder at N = 12: the normalised state and log ||psi(t)||^2 to 1e-10, over several output times
    with the step carried from one call to the next; and the jump time where ||psi(t)||^2 = r
    against a root of the exact norm, to 1e-10."""
    H, A = _irrep_heff(sum(lam), lam)
    rng = np.random.default_rng(4)
    psi0 = rng.normal(size=A.shape[0]) + 1j * rng.normal(size=A.shape[0])
    psi0 /= np.linalg.norm(psi0)
    terms, coef, work = np.empty((30, psi0.size), dtype=complex), np.empty(60), np.empty(psi0.size, dtype=complex)
    psi, t, lognorm, step = psi0.copy(), 0.0, 0.0, 0.0
    for t_out in (0.05, 0.3, 0.8):
        t, lognorm, step, outcome = irrep_kernels.evolve(H.indptr, H.indices, H.data, psi, t, t_out, lognorm,
                                                         -math.inf, step, 1e-12, 1e-12, terms, coef, work)
        exact = expm_multiply(-1j * t_out * A, psi0)
        assert outcome == irrep_kernels.REACHED and t == t_out
        assert abs(lognorm - math.log(np.vdot(exact, exact).real)) < 1e-10
        assert 1 - abs(np.vdot(exact, psi)) / np.linalg.norm(exact) < 1e-10
    for r in (0.9, 0.3):
        psi = psi0.copy()
        t, lognorm, _, outcome = irrep_kernels.evolve(H.indptr, H.indices, H.data, psi, 0.0, 5.0, 0.0, math.log(r),
                                                      0.0, 1e-12, 1e-12, terms, coef, work)
        norm2 = lambda s: np.linalg.norm(expm_multiply(-1j * s * A, psi0)) ** 2   # noqa: E731
        t_jump = brentq(lambda s: math.log(norm2(s) / r), 0.0, 5.0, xtol=1e-13)
        assert outcome == irrep_kernels.JUMP and abs(t - t_jump) < 1e-10 and lognorm == math.log(r)


def test_the_command_line_shows_and_plots_a_qudit_results_file(tmp_path, capsys):
    ens = run_ensemble(random_model(3, 3, "diagonal", seed=6), np.eye(3) / 3, TIMES, ntraj=4, seed=1)
    save_ensemble(ens, tmp_path / "q.npz")
    assert main(["show", str(tmp_path / "q.npz")]) in (0, None)
    shown = capsys.readouterr().out
    assert "m_8 = " in shown and "m_x" not in shown
    assert main(["plot", str(tmp_path / "q.npz"), "--out", str(tmp_path / "q.png")]) in (0, None)
    assert (tmp_path / "q.png").stat().st_size > 10_000


def test_bad_input_names_the_parameter():
    model = random_model(3, 3, "diagonal")
    with pytest.raises(ValueError, match=r"state must be a \(3, 3\) single-site density matrix"):
        run_ensemble(model, product_state((0, 0, 1)), TIMES, ntraj=2, seed=0)
    with pytest.raises(ValueError, match="trace 1"):
        run_ensemble(model, np.eye(3), TIMES, ntraj=2, seed=0)
    with pytest.raises(ValueError, match="distributions, observables and records"):
        run_ensemble(model, np.eye(3) / 3, TIMES, ntraj=2, seed=0, distributions=True)
    with pytest.raises(MemoryLimitError, match="whole irreps of U\\(d\\), the largest with .* options.memory_limit"):
        run_ensemble(QuditModel(3000, 4), np.eye(4) / 4, TIMES, ntraj=2, seed=0)
