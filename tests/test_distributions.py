"""Distributions P(m_z, t), diagonal observables and per-trajectory records, against the exact
sector solver and the 2^N solver (docs/theory.md §13)."""
import numpy as np
import pytest

from models import HopfieldNetwork, hopfield_model
from trajectories import binder_cumulant, coherent_state, exact_evolution, load_ensemble, run_ensemble, save_ensemble
from trajectories.base.grid import diagonal_spec, grid_mz
from trajectories.base.errors import ResultsFileError
from trajectories.engine.batch import BatchResult
from trajectories.io.records import RecordsWriter, load_records

from systems import rich_block_model, two_block_model

OBS = {"m2": lambda m: m ** 2, "m4": lambda m: m ** 4}
TIMES = np.array([0.0, 0.5, 1.5, 3.0])


def _agree(est, err, exact, ntraj, floor=0.02):
    """|est - exact| < 4 s.e. on the bins with exact P >= floor (a rarely populated bin gets its
    weight from a few trajectories, where a standard error means nothing); returns the number of
    comparisons."""
    mask = exact >= floor
    assert np.all(err[mask] > 0)
    z = (est[mask] - exact[mask]) / err[mask]
    assert np.max(np.abs(z)) < 4, f"max |z| = {np.max(np.abs(z)):.2f}"
    return int(mask.sum())


@pytest.fixture(scope="module")
def hopfield_runs():
    model = hopfield_model(12, 2.0, 0.5)
    state = coherent_state(0.4)
    ens = run_ensemble(model, state, TIMES, ntraj=1500, seed=11, distributions=True, observables=OBS,
                       keep_trajectories=True)
    exact = exact_evolution(model, state, TIMES, distributions=True, observables=OBS)
    return model, state, ens, exact


def test_distribution_sums_to_one_and_matches_the_sector_solver(hopfield_runs):
    _, _, ens, exact = hopfield_runs
    values, P, err = ens.distribution()
    ev, EP, zero = exact.distribution(block=0)
    np.testing.assert_array_equal(values, ev)
    np.testing.assert_allclose(values, np.linspace(-1, 1, 13), atol=1e-12)
    np.testing.assert_allclose(P.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(EP.sum(axis=0), 1.0, atol=1e-9)
    assert not zero.any()
    np.testing.assert_allclose(P[:, 0], EP[:, 0], atol=1e-12)   # the coherent state at t = 0
    assert _agree(P[:, 1:], err[:, 1:], EP[:, 1:], ens.ntraj) > 20
    # the tail bins (P < 0.02) pooled, with the spread of the per-trajectory tail weights
    hist, _ = ens.trajectory_diagonal()
    tail = EP[:, 1:] < 0.02
    per_traj = np.einsum("nti,it->nt", hist[:, 1:], tail)
    z = (per_traj.mean(0) - (EP[:, 1:] * tail).sum(0)) / (per_traj.std(0, ddof=1) / np.sqrt(ens.ntraj))
    assert np.all(np.abs(z) < 4), z


def test_distribution_moments_are_the_recorded_moments(hopfield_runs):
    """sum_m P(m) m = <m_z> and sum_m P(m) m^2 = <m_z^2>, trajectory by trajectory."""
    _, _, ens, exact = hopfield_runs
    values, P, _ = ens.distribution()
    np.testing.assert_allclose(values @ P, ens.mean[2], atol=1e-12)
    np.testing.assert_allclose(values ** 2 @ P, ens.second[2, 2], atol=1e-12)
    np.testing.assert_allclose(ens.observable("m2")[0], ens.second[2, 2], atol=1e-12)
    ev, EP, _ = exact.distribution()
    np.testing.assert_allclose(ev @ EP, exact.mean[2], atol=1e-9)


def test_diagonal_observables_match_the_sector_solver(hopfield_runs):
    _, _, ens, exact = hopfield_runs
    for name in OBS:
        value, err = ens.observable(name)
        ref, zero = exact.observable(name)
        np.testing.assert_allclose(exact.observable(OBS[name])[0], ref, atol=1e-14)
        assert not zero.any()
        assert np.all(np.abs(value[1:] - ref[1:]) < 4 * err[1:])
    U, U_err = binder_cumulant(ens)
    U_exact, zero = binder_cumulant(exact)
    assert not zero.any() and np.all(U_err[1:] > 0)
    assert np.all(np.abs(U[1:] - U_exact[1:]) < 4 * U_err[1:]), (U, U_exact, U_err)
    cov = ens.observable_covariance()
    np.testing.assert_allclose(np.sqrt(cov[:, 1, 1]), ens.observable("m4")[1], rtol=1e-10)


def test_full_and_sector_populations_agree():
    """The 2^N solver's diagonal, mapped to the m_z grid, equals the sector solver's (rich model:
    every channel kind, x/y/z in Delta, two blocks)."""
    model = rich_block_model((3, 2))
    state = coherent_state([0.7, 2.0], [0.3, -1.0])
    times = np.linspace(0, 1.5, 4)
    full = exact_evolution(model, state, times, method="full")
    sect = exact_evolution(model, state, times, method="sectors")
    np.testing.assert_allclose(full.populations, sect.populations, atol=1e-9)
    np.testing.assert_allclose(full.populations.sum(axis=1), 1.0, atol=1e-10)
    for w in ([1.0, 0.0], [0.6, 0.4], [1.0, -1.0]):
        v1, p1, _ = full.distribution(weights=w)
        v2, p2, _ = sect.distribution(weights=w)
        np.testing.assert_array_equal(v1, v2)
        np.testing.assert_allclose(p1, p2, atol=1e-9)


def test_dense_path_and_combinations_match_the_sector_solver():
    """Two blocks on the dense path (x/y in Delta): the distribution of block 1 and of the sum
    m_z^0 + m_z^1, and a joint observable, within 4 s.e."""
    model = rich_block_model((3, 2))
    state = coherent_state([0.7, 2.0], [0.3, -1.0])
    times = np.array([0.0, 0.6, 1.5])
    combos = {"sum": [1.0, 1.0]}
    obs = {"corr": lambda a, b: a * b + np.cos(a)}
    ens = run_ensemble(model, state, times, ntraj=1500, seed=5, distributions=combos, observables=obs)
    exact = exact_evolution(model, state, times, distributions=combos, observables=obs)
    n = 0
    for kw in ({"block": 1}, {"name": "sum"}, {"weights": [1.0, 1.0]}):
        v, P, err = ens.distribution(**kw)
        ev, EP, _ = exact.distribution(**kw)
        np.testing.assert_array_equal(v, ev)
        np.testing.assert_allclose(P.sum(axis=0), 1.0, atol=1e-12)
        n += _agree(P[:, 1:], err[:, 1:], EP[:, 1:], ens.ntraj)
    assert n > 10
    value, err = ens.observable("corr")
    assert np.all(np.abs(value[1:] - exact.observable("corr")[0][1:]) < 4 * err[1:])


def test_recording_changes_no_trajectory_and_no_bit_across_workers(tmp_path):
    model = two_block_model()
    state = coherent_state([0.5, 2.5])
    times = np.linspace(0, 2, 3)
    plain = run_ensemble(model, state, times, ntraj=24, seed=2)
    rich = [run_ensemble(model, state, times, ntraj=24, seed=2, distributions={"q": [0.5, -0.5]},
                         observables={"p": lambda a, b: a * b},
                         records=tmp_path / f"rec{k}", execution={"n_jobs": k, "batch_size": 5})
            for k in (1, 2)]
    for e in rich:
        np.testing.assert_array_equal(e.sum1, plain.sum1)
        np.testing.assert_array_equal(e.cross, plain.cross)
        assert e.njumps == plain.njumps
    for k in ("hist_sum", "hist_sq", "obs_sum", "obs_cross"):
        np.testing.assert_array_equal(getattr(rich[0], k), getattr(rich[1], k))
    a, b = load_records(tmp_path / "rec1"), load_records(tmp_path / "rec2")
    for k in ("mean", "spins", "hist", "obs", "jump_time", "jump_channel", "jump_spins", "jump_ptr"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))


def test_records_hold_every_trajectory(tmp_path):
    model = hopfield_model(20, 2.0, 0.5)
    state = coherent_state(0.4)
    times = np.linspace(0, 2, 5)
    ens = run_ensemble(model, state, times, ntraj=30, seed=4, distributions=True, keep_trajectories=True,
                       records=tmp_path / "rec", execution={"batch_size": 7})
    rec = load_records(tmp_path / "rec")
    assert len(rec) == 30 and list(rec.index) == list(range(30))
    np.testing.assert_array_equal(rec.mean, ens.trajectory_means())
    np.testing.assert_array_equal(rec.hist, ens.trajectory_diagonal()[0])
    assert rec.jump_ptr[-1] == ens.njumps == len(rec.jump_time)
    np.testing.assert_allclose(rec.hist.sum(axis=-1), 1.0, atol=1e-12)
    for k in range(len(rec)):
        t, ch, spins = rec.jumps(k)
        assert np.all(np.diff(t) >= 0) and np.all((t > 0) & (t <= times[-1]))
        assert np.all(ch == 0) or np.all(np.isin(ch, (0, 1)))
        # the sector after the last jump before an output time is the recorded one
        for i, ti in enumerate(times):
            before = np.searchsorted(t, ti, side="right") - 1
            expected = 20 if before < 0 else spins[before, 0]
            assert rec.spins[k, i, 0] == expected
    # the sector at every output time bounds the distribution: P(m) = 0 for |m| > j
    values, _, _ = ens.distribution()
    hist = rec.hist
    for k in range(len(rec)):
        for i in range(len(times)):
            j = rec.spins[k, i, 0] / 20
            assert np.all(hist[k, i, np.abs(values) > j + 1e-12] == 0)
    with pytest.raises(ValueError, match="another run"):
        run_ensemble(model, state, times, ntraj=30, seed=5, records=tmp_path / "rec")


def test_results_file_round_trip_and_merge(tmp_path):
    model = hopfield_model(10, 2.0, 0.5)
    state = coherent_state(0.4)
    times = np.linspace(0, 1, 3)
    kw = dict(distributions=True, observables={"m2": OBS["m2"]}, seed=8)
    a = run_ensemble(model, state, times, ntraj=10, keep_trajectories=True, **kw)
    b = run_ensemble(model, state, times, ntraj=10, start=10, keep_trajectories=True, **kw)
    whole = run_ensemble(model, state, times, ntraj=20, **kw)
    save_ensemble(a, tmp_path / "a.npz")
    back = load_ensemble(tmp_path / "a.npz")
    for k in ("hist_sum", "hist_sq", "obs_sum", "obs_cross"):
        np.testing.assert_array_equal(getattr(back, k), getattr(a, k))
    assert back.diagonal == a.diagonal
    np.testing.assert_array_equal(back.distribution()[1], a.distribution()[1])
    merged = back.merge(b)
    np.testing.assert_array_equal(merged.hist_sum, whole.hist_sum)
    np.testing.assert_array_equal(merged.obs_cross, whole.obs_cross)
    plain = run_ensemble(model, state, times, ntraj=10, seed=8, start=20)
    with pytest.raises(ValueError, match="different distributions"):
        a.merge(plain)


def test_bad_requests_get_one_clear_error():
    sizes = (4, 3)
    with pytest.raises(ValueError, match="weights must be 2 finite numbers"):
        diagonal_spec(sizes, {"q": [1.0]})
    with pytest.raises(ValueError, match="observable 'f' must accept 2"):
        diagonal_spec(sizes, observables={"f": lambda m: m})
    with pytest.raises(ValueError, match="must be a function"):
        diagonal_spec(sizes, observables={"f": 3.0})
    with pytest.raises(ValueError, match="not finite"):
        diagonal_spec(sizes, observables={"f": lambda a, b: 1 / (a - b)})
    with pytest.raises(ValueError, match="distributions must be True"):
        diagonal_spec(sizes, "yes")
    model = hopfield_model(6, 2.0, 0.5)
    ens = run_ensemble(model, coherent_state(0.4), [0.0, 0.5], ntraj=3, seed=1)
    with pytest.raises(ValueError, match="run with distributions=True"):
        ens.distribution()
    with pytest.raises(ValueError, match="no diagonal observable 'm2'"):
        ens.observable("m2")


def test_grid_follows_the_global_layout():
    mz = grid_mz((2, 3))
    assert mz.shape == (2, 12)
    np.testing.assert_allclose(mz[0], np.repeat([1.0, 0.0, -1.0], 4))
    np.testing.assert_allclose(mz[1], np.tile([1.0, 1 / 3, -1 / 3, -1.0], 3))


def test_pattern_overlap_distributions_of_a_hopfield_network():
    """p = 2 patterns (gauge-reduced to two blocks): the distribution of each overlap from the
    trajectories against the sector solver, and its mean equals the overlap of the block means."""
    patterns = np.array([[1] * 8, [1] * 4 + [-1] * 4])
    net = HopfieldNetwork(patterns, beta=2.0, omega=0.3)
    combos = net.overlap_distributions()
    assert set(combos) == {"overlap 1", "overlap 2"}
    state = coherent_state([0.5, 1.2])
    times = np.array([0.0, 1.0, 2.5])
    ens = run_ensemble(net.model, state, times, ntraj=1500, seed=9, distributions=combos)
    exact = exact_evolution(net.model, state, times, distributions=combos)
    for mu, name in enumerate(combos):
        v, P, err = ens.distribution(name=name)
        ev, EP, _ = exact.distribution(name=name)
        np.testing.assert_array_equal(v, ev)
        _agree(P[:, 1:], err[:, 1:], EP[:, 1:], ens.ntraj)
        np.testing.assert_allclose(v @ P, net.overlaps(ens.mean[:, 2])[mu], atol=1e-12)


def test_a_resumed_run_rewrites_the_records_beyond_its_checkpoint(tmp_path):
    """RecordsWriter keeps the batch files a checkpoint counts and removes later ones (they are
    written again by the resumed run); load_records refuses a gap."""
    def batch(start, n):
        T, B = 2, 1
        return BatchResult(start, np.zeros((n, T, B, 3)), np.zeros((n, T, B, 3, B, 3)), np.zeros(n, int),
                           np.zeros((n, T, 0)), np.zeros((n, T, 0)), np.zeros((n, T, B), int), None)
    folder, ident = tmp_path / "rec", {"model": "x"}
    w = RecordsWriter(folder, ident, [0.0, 1.0])
    for start in (0, 4, 8):
        w.write(batch(start, 4))
    assert len(load_records(folder)) == 12
    RecordsWriter(folder, ident, [0.0, 1.0], keep_until=8)
    assert list(load_records(folder).index) == list(range(8))
    (folder / "traj-000000004-000000008.npz").unlink()
    RecordsWriter(folder, ident, [0.0, 1.0], keep_until=8).write(batch(8, 4))
    with pytest.raises(ResultsFileError, match="missing"):
        load_records(folder)
