"""Results files (save/load without pickle, clear errors) and merging ensembles."""
import json

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from trajectories import (ResultsFileError, coherent_state, load_ensemble, paired_difference, run_ensemble,
                          save_ensemble)

from systems import hopfield

SUMS = ("sum1", "sq1", "sum2", "sq2", "cross")
TIMES = np.linspace(0, 1, 4)


@pytest.fixture(scope="module")
def full():
    return run_ensemble(hopfield(10), coherent_state(0.4), TIMES, ntraj=40, seed=3, keep_trajectories=True)


def test_save_load_round_trip(full, tmp_path):
    path = tmp_path / "ens.npz"
    save_ensemble(full, path)
    back = load_ensemble(path)
    for name in SUMS + ("times", "mean", "stderr", "second", "second_stderr"):
        np.testing.assert_array_equal(getattr(back, name), getattr(full, name))
    np.testing.assert_array_equal(back.trajectory_means(), full.trajectory_means())
    np.testing.assert_array_equal(back.trajectory_seconds(), full.trajectory_seconds())
    assert (back.ntraj, back.njumps, back.sizes, back.single_block) == (full.ntraj, full.njumps, (10,), True)
    assert back.segments == full.segments
    with np.load(path, allow_pickle=False) as z:  # self-describing, no pickle
        meta = json.loads(str(z["metadata"][()]))
    assert meta["meta"]["versions"]["numpy"] == np.__version__
    assert meta["meta"]["identity"]["seed"]["entropy"] == 3
    assert meta["meta"]["model"]["kind"] == "SpinModel"
    assert meta["meta"]["state"] == {"kind": "CoherentState", "theta": 0.4, "phi": 0.0}


def test_missing_corrupted_and_foreign_files(full, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_ensemble(tmp_path / "nope.npz")
    good = tmp_path / "good.npz"
    save_ensemble(full, good)
    data = good.read_bytes()
    cases = {"truncated.npz": data[: len(data) // 2], "garbage.npz": b"\x00not a results file" * 50,
             "flipped.npz": data[:200] + bytes(b ^ 0xFF for b in data[200:400]) + data[400:]}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ResultsFileError, match="not a results file|damaged") as err:
            load_ensemble(tmp_path / name)
        assert "\n" not in str(err.value)
    np.savez(tmp_path / "foreign.npz", x=np.arange(3))
    with pytest.raises(ResultsFileError, match="not a results file of collective-trajectories"):
        load_ensemble(tmp_path / "foreign.npz")


def test_merge_of_halves_is_bit_identical_when_the_later_half_kept_its_trajectories(full, tmp_path):
    model, state = hopfield(10), coherent_state(0.4)
    first = run_ensemble(model, state, TIMES, ntraj=20, seed=3)
    second = run_ensemble(model, state, TIMES, ntraj=20, seed=3, start=20, keep_trajectories=True)
    save_ensemble(second, tmp_path / "second.npz")
    merged = load_ensemble(tmp_path / "second.npz").merge(first)  # order of the operands is irrelevant
    for name in SUMS:
        np.testing.assert_array_equal(getattr(merged, name), getattr(full, name))
    assert (merged.ntraj, merged.njumps) == (40, full.njumps)
    assert merged.segments == [{"entropy": 3, "spawn_key": [], "start": 0, "stop": 40}]


def test_merge_of_running_sums_equals_one_run_to_round_off(full):
    model, state = hopfield(10), coherent_state(0.4)
    a = run_ensemble(model, state, TIMES, ntraj=20, seed=3)
    b = run_ensemble(model, state, TIMES, ntraj=20, seed=3, start=20)
    merged = a.merge(b)
    for name in SUMS:
        np.testing.assert_allclose(getattr(merged, name), getattr(full, name), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(merged.stderr, full.stderr, rtol=1e-10, atol=1e-7)  # var = 0 at t = 0: sqrt of round-off


def test_merge_refuses_other_models_and_shared_trajectories():
    state = coherent_state(0.4)
    a = run_ensemble(hopfield(10), state, TIMES, ntraj=4, seed=3)
    with pytest.raises(ValueError, match="share trajectories 2..3"):
        a.merge(run_ensemble(hopfield(10), state, TIMES, ntraj=4, seed=3, start=2))
    with pytest.raises(ValueError, match="different model"):
        a.merge(run_ensemble(hopfield(10, beta=1.0), state, TIMES, ntraj=4, seed=4))
    with pytest.raises(ValueError, match="different state"):
        a.merge(run_ensemble(hopfield(10), coherent_state(0.5), TIMES, ntraj=4, seed=4))
    with pytest.raises(ValueError, match="different times"):
        a.merge(run_ensemble(hopfield(10), state, TIMES[:3], ntraj=4, seed=4))
    merged = a.merge(run_ensemble(hopfield(10), state, TIMES, ntraj=4, seed=4))  # another seed: fine
    assert merged.ntraj == 8 and len(merged.segments) == 2


@pytest.mark.parametrize("spelling", [[3], [3, 0], np.uint32(3), np.random.SeedSequence(3)])
def test_one_seed_in_other_spellings_is_the_same_trajectories(spelling, tmp_path):
    """3, [3], [3, 0], np.uint32(3) and SeedSequence(3) give the same trajectories, bit for bit:
    merging them is refused as counting trajectories twice, a continuation (start=) merges into one
    run's numbers and one segment, a checkpoint resumes across spellings, and paired differences
    accept them; [3, 0, 0, 0, 0] is another seed (numpy pads a child's entropy to four words)."""
    state, model = coherent_state(0.4), hopfield(6)
    a = run_ensemble(model, state, TIMES, ntraj=3, seed=3, keep_trajectories=True)
    b = run_ensemble(model, state, TIMES, ntraj=3, seed=spelling, keep_trajectories=True)
    np.testing.assert_array_equal(a.sum1, b.sum1)
    with pytest.raises(ValueError, match="share trajectories 0..2"):
        a.merge(b)
    more = run_ensemble(model, state, TIMES, ntraj=2, seed=spelling, start=3, keep_trajectories=True)
    whole = run_ensemble(model, state, TIMES, ntraj=5, seed=3)
    merged = a.merge(more)
    assert merged.ntraj == 5 and len(merged.segments) == 1
    np.testing.assert_array_equal(merged.sum1, whole.sum1)
    diff, _ = paired_difference(a, b)
    assert not np.any(diff)
    check = tmp_path / "ck.npz"
    run_ensemble(model, state, TIMES, ntraj=3, seed=3, execution=dict(checkpoint=check, checkpoint_every=0))
    assert run_ensemble(model, state, TIMES, ntraj=3, seed=[3], execution=dict(checkpoint=check)).ntraj == 3
    other = run_ensemble(model, state, TIMES, ntraj=3, seed=[3, 0, 0, 0, 0])
    assert a.merge(other).ntraj == 6 and not np.array_equal(other.sum1, a.sum1)


def foreign_files(tmp_path):
    """Files that are not results files of this package: text, random bytes, object arrays, .npy."""
    files = {"notes.npz": b"time,m_x\n0,0.1\n", "random.npz": np.random.default_rng(0).bytes(3000),
             "empty.npz": b""}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    np.savez(tmp_path / "objects.npz", metadata=np.array([{"format": 1}], dtype=object))
    np.savez(tmp_path / "object_metadata.npz", metadata=np.array({"format": 1}, dtype=object))
    np.savez(tmp_path / "number_metadata.npz", metadata=np.array(3.0))
    np.savez(tmp_path / "bad_json.npz", metadata=np.array("{not json"))
    with open(tmp_path / "single.npz", "wb") as f:
        np.save(f, np.arange(3))
    return sorted(tmp_path.glob("*.npz"))


def test_foreign_files_say_they_are_not_results_files_without_mentioning_pickle(tmp_path):
    paths = foreign_files(tmp_path)
    assert len(paths) == 8
    for path in paths:
        with pytest.raises(ResultsFileError, match="not a results file of collective-trajectories") as err:
            load_ensemble(path)
        text = str(err.value)
        assert str(path) in text and "pickle" not in text.lower() and "\n" not in text, text


@settings(max_examples=50, deadline=None)
@given(content=st.one_of(st.binary(max_size=2000), st.binary(max_size=500).map(lambda b: b"PK\x03\x04" + b),
                         st.binary(max_size=500).map(lambda b: b"\x93NUMPY" + b)))
def test_random_bytes_are_always_a_results_file_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("random") / "random.npz"
    path.write_bytes(content)
    with pytest.raises(ResultsFileError) as err:
        load_ensemble(path)
    assert "pickle" not in str(err.value).lower()
