"""Results files (save/load without pickle, clear errors) and merging ensembles."""
import json

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from trajectories import (ResultsFileError, coherent_state, load_ensemble, paired_difference, run_ensemble,
                          save_ensemble)
from trajectories.cli.main import main

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


# ------------------------------------------------------------------------------------------------
# files whose metadata contradicts itself or the arrays
# ------------------------------------------------------------------------------------------------

def rewrite(src, dst, edit=None, **arrays):
    """Copy the results file src to dst with edit(header) applied to its metadata and the given
    arrays replaced (None: removed)."""
    with np.load(src, allow_pickle=False) as z:
        data = {k: z[k] for k in z.files}
    header = json.loads(str(data["metadata"][()]))
    if edit is not None:
        edit(header)
    data["metadata"] = np.array(json.dumps(header))
    for name, a in arrays.items():
        data.pop(name) if a is None else data.__setitem__(name, a)
    np.savez(dst, **data)
    return dst


def setter(path, value):
    """edit(header) setting the dotted `path` (list indices as numbers) to value."""
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]

    def edit(header):
        node = header
        for p in parents:
            node = node[p]
        node[last] = value
    return edit


BAD_METADATA = [
    ("ntraj", -3, "ntraj must be an integer >= 0, got -3"), ("ntraj", 2.5, "ntraj must be an integer"),
    ("ntraj", "40", "ntraj must be an integer"), ("ntraj", True, "ntraj must be an integer"),
    ("ntraj", 20, "ntraj = 20 does not match its segments, which hold 40"),
    ("sizes", "abc", "sizes must be a non-empty list of block sizes"), ("sizes", ["abc"], "sizes must be"),
    ("sizes", [], "sizes must be"), ("sizes", [0], "sizes must be"), ("sizes", [10.0], "sizes must be"),
    ("sizes", [5, 5], "single_block must be false for 2 blocks"),
    ("sizes", [12], "sizes = [12] does not match meta.model.sizes = [10]"),
    ("meta.model.sizes", [10, 1], "sizes = [10] does not match meta.model.sizes = [10, 1]"),
    ("single_block", "yes", "single_block must be true or false"),
    ("keep_trajectories", "false", "keep_trajectories must be true or false"),
    ("keep_trajectories", False, None), ("njumps", -1, "njumps must be an integer >= 0"),
    ("seed", {"entropy": 3}, "seed must be"), ("seed", [-1], "seed must be"),
    ("format_version", 0, "format_version must be an integer in 1..2"),
    ("format_version", "2", "format_version must be"), ("segments", "x", "segments must be a list"),
    ("segments", [{"entropy": 3}], "segments[0] must be a table of entropy, spawn_key, start and stop"),
    ("segments.0.start", -1, "segments[0].start must be an integer >= 0"),
    ("segments.0.stop", "40", "segments[0].stop must be an integer >= start = 0"),
    ("segments.0.entropy", "abc", "segments[0].entropy must be"),
    ("segments.0.spawn_key", [1.5], "segments[0].spawn_key must be"),
    ("segments.0.stop", 30, "ntraj = 40 does not match its segments, which hold 30"),
    ("meta", [], "meta must be a table"), ("meta.seconds", "abc", "meta.seconds must be a finite number"),
    ("meta.seconds", -1.0, "meta.seconds must be"), ("meta.versions", {"numpy": 2}, "meta.versions must be"),
    ("meta.identity", [], "meta.identity must be a table"), ("meta.created", 5, "meta.created must be a text"),
    ("meta.describe", 3, "meta.describe must be null or a table"),
    ("meta.describe", {"config": {"model": "x"}}, "meta.describe.config.model must be a table with a name"),
    ("diagonal", "x", "diagonal must be a table"), ("diagonal.observables", "o", "diagonal.observables must be"),
    ("diagonal.values", [[1.0, 0.0]], "diagonal.values[0] must be finite ascending bin values"),
    ("diagonal.weights", [[1.0], [2.0]], "diagonal.weights must be a list of 1 rows"),
    ("diagonal.values", [[0.0, 0.5, 1.0]], "array hist_sum"),
]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """A results file of 40 kept trajectories with a distribution and an observable recorded."""
    ens = run_ensemble(hopfield(10), coherent_state(0.4), TIMES, ntraj=40, seed=3, keep_trajectories=True,
                       distributions=True, observables={"mz2": lambda m: m ** 2})
    path = tmp_path_factory.mktemp("recorded") / "good.npz"
    save_ensemble(ens, path)
    return path


@pytest.mark.parametrize("field, value, match", BAD_METADATA, ids=lambda v: str(v)[:20])
def test_metadata_that_lies_is_one_error_naming_the_file_and_the_field(recorded, tmp_path, capsys, field,
                                                                        value, match):
    """Every metadata field is checked for its type and range and against the arrays: one
    ResultsFileError naming the file and the field (also from `show`), or a correct load."""
    path = rewrite(recorded, tmp_path / "lies.npz", setter(field, value))
    if match is None:                       # a consistent change: kept trajectories are simply not read
        assert load_ensemble(path).ntraj == 40
        return
    with pytest.raises(ResultsFileError) as err:
        load_ensemble(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and match in text and "damaged" in text and "\n" not in text, text
    assert main(["show", str(path)]) == 2
    assert capsys.readouterr().err == f"error: {text}\n"


def test_arrays_that_contradict_the_metadata_are_refused(recorded, tmp_path):
    """Non-finite numbers, sums impossible for ntraj trajectories, bad times and per-trajectory data
    that does not add up; ntraj edited in a file without segments or kept trajectories is found
    from the sums (|sum| <= ntraj, sum^2 <= ntraj x sum of squares)."""
    with np.load(recorded) as z:
        a = {k: z[k] for k in z.files if k != "metadata"}
    nan = a["sum2"].copy()
    nan[1, 0, 0, 0, 2] = np.nan
    bare = {"segments": [], "keep_trajectories": False}
    cases = [(dict(sum2=nan), None, "array sum2 holds NaN"), (dict(sum1=3 * a["sum1"]), None, "exceed ntraj"),
             (dict(sq1=-a["sq1"]), None, "arrays sum1, sq1"), (dict(hist_sum=a["hist_sum"] + 50), None, "hist_sum"),
             (dict(obs_cross=0 * a["obs_cross"]), None, "arrays obs_sum, obs_cross: sum^2 exceeds"),
             (dict(times=a["times"][::-1].copy()), None, "times must be finite, >= 0 and strictly increasing"),
             (dict(times=np.arange(4)), None, "array times must be a non-empty 1D float64"),
             (dict(times=None), None, "entry 'times' is missing"), (dict(sq2=None), None, "entry 'sq2' is missing"),
             (dict(traj_mean=a["traj_mean"][::-1] * 0.5), None, "arrays traj_mean and sum1 disagree"),
             (dict(traj_obs=a["traj_obs"] + 1), None, "arrays traj_obs and obs_sum disagree"),
             ({}, dict(bare, ntraj=20), "ntraj = 20 does not match arrays sum1, sq1"),
             ({}, dict(bare, ntraj=0), "ntraj = 0 does not match"),
             ({}, dict(ntraj=39, segments=[]), "array traj_mean has shape (40, 4, 1, 3) (float64), expected "
                                               "(39, 4, 1, 3) (float64) from metadata ntraj = 39")]
    for i, (arrays, fields, match) in enumerate(cases):
        path = rewrite(recorded, tmp_path / f"case{i}.npz", fields and (lambda h, f=fields: h.update(f)), **arrays)
        with pytest.raises(ResultsFileError) as err:
            load_ensemble(path)
        assert str(err.value).startswith(f"{path}: ") and match in str(err.value), str(err.value)
    # a version 1 file (no recorded diagonal quantities) still reads
    old = rewrite(recorded, tmp_path / "v1.npz", lambda h: (h.update(format_version=1), h.pop("diagonal")),
                  **{k: None for k in ("hist_sum", "hist_sq", "obs_sum", "obs_cross", "traj_hist", "traj_obs")})
    back = load_ensemble(old)
    assert back.ntraj == 40 and back.hist_sum.shape == (4, 0) and back.trajectory_diagonal()[0].shape == (40, 4, 0)


def test_an_empty_or_lying_checkpoint_is_never_shown_or_resumed(tmp_path, monkeypatch, capsys):
    """A run interrupted before its first batch writes no checkpoint; a file of no trajectories is
    refused by show and plot; a checkpoint holding more, or other, trajectories than its run's
    prefix is refused on resume."""
    import trajectories.engine.ensemble as engine
    model, state, path = hopfield(6), coherent_state(0.4), tmp_path / "ck.npz"

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(engine, "map_batches", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_ensemble(model, state, TIMES, ntraj=3, seed=2, execution=dict(checkpoint=path))
    assert not path.exists()
    monkeypatch.undo()
    empty = run_ensemble(model, state, TIMES, ntraj=3, seed=2)
    empty.ntraj, empty.segments = 0, [{**empty.segments[0], "stop": 0}]
    for name in SUMS:
        getattr(empty, name)[:] = 0.0
    save_ensemble(empty, tmp_path / "empty.npz")
    assert load_ensemble(tmp_path / "empty.npz").ntraj == 0
    for argv in (["show", tmp_path / "empty.npz"], ["plot", tmp_path / "empty.npz", "--out", tmp_path / "e.png"]):
        assert main([str(a) for a in argv]) == 2
        assert "empty.npz holds no trajectories" in capsys.readouterr().err
    assert not (tmp_path / "e.png").exists()
    run_ensemble(model, state, TIMES, ntraj=3, seed=2, execution=dict(checkpoint=path))
    for i, change in enumerate(({"ntraj": 5}, {"start": 1, "stop": 4}, {"start": 3, "stop": 6})):
        lie = rewrite(path, tmp_path / f"lie{i}.npz", lambda h, c=change: (
            h.update(ntraj=c.get("ntraj", 3)), h["segments"][0].update({"stop": 5, **c})))
        with pytest.raises(ResultsFileError, match=r"lie\d.npz: metadata ntraj = \d, segments .* are not a prefix "
                                                   r"of trajectories 0..2 of its run: the file is damaged"):
            run_ensemble(model, state, TIMES, ntraj=3, seed=2, execution=dict(checkpoint=lie))
