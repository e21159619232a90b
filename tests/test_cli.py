"""The command line and its configs: run/show/plot/merge, and one-line errors for bad input."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from models import hopfield_model
from trajectories import coherent_state, fluctuations
from trajectories.cli.registry import MODELS, check_state, named_model, named_state
from trajectories.cli.main import main
from trajectories.cli.summary import mean_field_line
from trajectories.cli.config import load_config
from trajectories import load_ensemble

ROOT = Path(__file__).resolve().parents[1]

TINY = """
[model]
name = "{model}"
N = 8
{extra}
[state]
name = "coherent"
theta = 0.5
[times]
stop = {stop}
num = 4
[run]
ntraj = {ntraj}
seed = 4
n_jobs = 1
[output]
results = "{results}"
plot = "{plot}"
"""


def write_config(tmp_path, name="tiny.toml", model="hopfield", extra="", stop=1.0, ntraj=12, **kw):
    text = TINY.format(model=model, extra=extra, stop=stop, ntraj=ntraj, results=tmp_path / "r.npz",
                       plot=tmp_path / "r.png")
    for old, new in kw.items():
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text)
    return path


def one_line_error(capsys, argv, match):
    assert main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert match in err, err
    return err


def test_run_show_plot_merge(tmp_path, capsys):
    config = write_config(tmp_path)
    assert main(["run", str(config), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "12 trajectories (seed 4)" in out and "wrote" in out
    ens = load_ensemble(tmp_path / "r.npz")
    assert ens.ntraj == 12 and (tmp_path / "r.png").stat().st_size > 10_000
    assert ens.meta["describe"]["config"]["model"] == {"name": "hopfield", "N": 8}
    assert not (tmp_path / "r.checkpoint.npz").exists()
    assert main(["show", str(tmp_path / "r.npz")]) == 0
    assert "seed 4 trajectories 0..11" in capsys.readouterr().out
    assert main(["plot", str(tmp_path / "r.npz"), "--out", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").exists()
    more = tmp_path / "more.npz"
    assert main(["run", str(config), "--quiet", "--start", "12", "--ntraj", "8", "--output", str(more),
                 "--no-plot"]) == 0
    assert main(["merge", str(tmp_path / "r.npz"), str(more), "-o", str(tmp_path / "all.npz")]) == 0
    assert load_ensemble(tmp_path / "all.npz").ntraj == 20


@pytest.mark.parametrize("change, match", [
    (dict(model="hopfeld"), "model.name must be one of 'hopfield', 'kinetic', 'decay', 'ising', 'superradiance', 'transverse', 'spin', 'qudit', got 'hopfeld'"),
    (dict(ntraj=-5), "run.ntraj must be an integer >= 1, got -5"),
    (dict(stop=-1.0), "times: times must be strictly increasing"),
    (dict(extra="betta = 2.0"), "model.betta is not a parameter of model 'hopfield'"),
    (dict(extra='beta = "hot"'), "model.beta must be a finite number"),
    ({"theta = 0.5": "thetta = 0.5"}, "state.thetta is not a parameter of state 'coherent'"),
    ({"n_jobs = 1": "n_jobs = 0"}, "run.n_jobs must be a positive integer or -1"),
    ({"seed = 4": ""}, "run.seed is required"),
    ({"[run]": "[runn]"}, "unknown section [runn]"),
    # work and sizes bounded up front
    ({"num = 4": "num = 100000000"}, "times.num must be an integer in 1..1000000"),
    ({"num = 4": "num = 1000001"}, "times.num must be an integer in 1..1000000"),
    (dict(extra='[record]\nobservables = { o = "m + 9**9**9" }'), "observable 'o' is not finite"),
    (dict(extra='[record]\nobservables = { o = "' + "m + " * 300 + 'm" }'), "at most 1000 characters"),
    (dict(extra='[record]\nobservables = { o = "' + "-" * 900 + 'm" }'), "nested too deeply"),
    ({"n_jobs = 1": "n_jobs = 1\nkeep_trajectories = \"false\""}, "run.keep_trajectories must be True or False"),
    ({"n_jobs = 1": "n_jobs = 1\nbackend = \"serial\"\nscheduler = \"tcp://127.0.0.1:1\""},
     "run.scheduler is used by backend 'dask' only"),
    ({"n_jobs = 1": "n_jobs = 1\n[options]\nmax_steps = -1"}, "options.max_steps must be a number in (0, inf)"),
])
def test_bad_configs_give_one_line_naming_the_field(tmp_path, capsys, change, match):
    kw = {k: v for k, v in change.items() if k in ("model", "extra", "stop", "ntraj")}
    rest = {k: v for k, v in change.items() if k not in kw}
    one_line_error(capsys, ["run", write_config(tmp_path, **kw, **rest)], match)


def test_missing_and_corrupted_files_give_one_line(tmp_path, capsys):
    one_line_error(capsys, ["run", tmp_path / "none.toml"], "config file")
    one_line_error(capsys, ["show", tmp_path / "none.npz"], "does not exist")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 300)
    one_line_error(capsys, ["show", tmp_path / "bad.npz"], "corrupted or not a results file")
    (tmp_path / "bad.toml").write_text("[model\nname=")
    one_line_error(capsys, ["run", tmp_path / "bad.toml"], "is not valid TOML")


def test_help_reads_well():
    out = subprocess.run([sys.executable, "-m", "trajectories", "--help"], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    for word in ("run CONFIG.toml", "show RESULTS.npz", "plot RESULTS.npz", "merge"):
        assert word in out


@pytest.mark.parametrize("path", sorted((ROOT / "configs").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_configs_are_valid(path):
    cfg = load_config(path)
    model, state = cfg.build()
    check_state(model, state)


def test_named_models_and_states():
    x = np.linspace(-1, 1, 5)
    kin = named_model("kinetic", N=6, gamma_up=4.0, gamma_down=1.0, omega=0.3)
    np.testing.assert_allclose(kin.channels[0].amplitude(x), 2.0 * (1 + x) / 2)
    np.testing.assert_allclose(kin.channels[1].amplitude(x), (1 + x) / 2)
    assert kin.h[0, 0] == 0.3 and (kin.channels[0].op, kin.channels[1].op) == ("plus", "minus")
    tr = named_model("transverse", N=6, omega=0.3, chi=1.5, beta=2.0, kappa=0.4)
    assert np.allclose(tr.delta(0), [[0.4, 0, 1]]) and tr.J[0, 0, 2, 2] == 1.5 and tr.h[0, 0] == 0.3
    hop = named_model("hopfield", N=6, beta=2.0)
    gp, gm = hop.channels[0].amplitude(x), hop.channels[1].amplitude(x)
    np.testing.assert_allclose(gp, np.exp(x) / np.sqrt(2 * np.cosh(2 * x)))
    np.testing.assert_allclose(gp ** 2 + gm ** 2, 1.0)
    ising = named_model("ising", N=6, hx=0.7, J=1.5, gamma=0.2)
    assert ising.J[0, 0, 2, 2] == 1.5 and ising.h[0, 0] == 0.7
    np.testing.assert_allclose(ising.channels[0].amplitude(x), np.sqrt(0.2))
    decay = named_model("decay", N=6, gamma=0.5, h=0.1)
    np.testing.assert_allclose(decay.channels[0].amplitude(x), np.sqrt(0.5))
    assert set(MODELS) >= {"hopfield", "kinetic", "decay", "ising"}
    for name, params in [("coherent", dict(theta=0.3)), ("product", dict(r=[0, 0, 0.5])),
                         ("classical", dict(p_up=0.7)), ("dicke", dict(j=2, m=1)), ("cat", {})]:
        named_state(name, **params).validate((6,))
    with pytest.raises(ValueError, match="model.N is required"):
        named_model("decay")


def test_spin_model_from_channel_tables():
    """[model] name = "spin" with [[model.channels]] tables: names, complex matrices as [re, im]
    pairs, collective channels; a bad field is named with its channel index."""
    model = named_model("spin", N=6, h=[0.5, 0, 0], channels=[
        {"op": "minus", "rate": 1.0, "collective": True},
        {"op": [[[0, 0], [1, 0]], [[0, 1], [0, 0]]], "rate": 0.2},
        {"op": [[1, 0], [0, 0]], "gamma": 0.3}])
    assert [c.collective for c in model.channels] == [True, False, False]
    np.testing.assert_array_equal(model.channels[1].matrix, [[0, 1], [1j, 0]])
    assert model.channels[2].op == "matrix" and model.h[0, 0] == 0.5
    for channels, match in [([{"op": "w", "rate": 1}], r"model.channels\[0\].op must be one of"),
                            ([{"rate": 1}], r"model.channels\[0\].op is required"),
                            ([{"op": "x", "rate": 1}, {"op": "x", "rate": 1, "foo": 2}],
                             r"model.channels\[1\].foo is not a channel field"),
                            ([{"op": [[1, 2, 3]], "rate": 1}], r"op must be one of .* shape \(1, 3\)"),
                            ([{"op": "x", "rate": -1}], r"model.channels\[0\].rate must be >= 0"),
                            ([{"op": "x"}], "exactly one of gamma")]:
        with pytest.raises(ValueError, match=match):
            named_model("spin", N=4, channels=channels)


def test_plain_progress_line_without_tqdm(monkeypatch):
    import io

    from trajectories.engine.progress import Progress
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm fails: the plain fallback
    stream = io.StringIO()
    with Progress(10, done=2, stream=stream) as bar:
        bar.update(8)
    assert "10/10 trajectories (100%)" in stream.getvalue() and "ETA" in stream.getvalue()


def test_run_refuses_a_checkpoint_of_another_config(tmp_path, capsys):
    from trajectories import coherent_state, run_ensemble
    run_ensemble(named_model("hopfield", N=8), coherent_state(0.5), [0, 1], ntraj=2, seed=4,
                 execution=dict(checkpoint=tmp_path / "r.checkpoint.npz"))
    one_line_error(capsys, ["run", write_config(tmp_path), "--quiet"], "or run with --fresh")
    assert main(["run", str(write_config(tmp_path)), "--quiet", "--fresh", "--no-plot"]) == 0


def test_run_experiment_saves_plots_and_replots(tmp_path, monkeypatch, capsys):
    """The shared experiment command line: fast parameters, npz written and read back by --replot,
    the fast figure beside (never over) the committed one."""
    from trajectories.cli.experiment import run_experiment
    monkeypatch.chdir(tmp_path)
    calls = []

    def compute(params, n_jobs):
        calls.append((params, n_jobs))
        return {"x": np.arange(3.0) * params, "n": np.asarray(n_jobs)}

    def plot(result, path):
        Path(path).write_bytes(b"png" + result["x"].tobytes())

    kw = dict(name="demo", description="demo", compute=compute, plot=plot,
              summary=lambda r: f"x = {r['x'].tolist()}", params=1.0, fast=0.5)
    result = run_experiment(["--fast", "--n-jobs", "1"], **kw)
    assert calls == [(0.5, 1)] and (tmp_path / "plots/demo_fast.png").is_file()
    np.testing.assert_array_equal(np.load(tmp_path / "results/demo_fast.npz")["x"], result["x"])
    assert "x = [0.0, 0.5, 1.0]" in capsys.readouterr().out
    again = run_experiment(["--fast", "--replot", "--out", "re.png"], **kw)
    assert len(calls) == 1 and (tmp_path / "re.png").read_bytes() == (tmp_path / "plots/demo_fast.png").read_bytes()
    np.testing.assert_array_equal(again["x"], result["x"])
    with pytest.raises(SystemExit, match="--replot needs the data file"):
        run_experiment(["--replot"], **kw)


# --- outputs: never lose or clobber work ------------------------------------------------------------

def run_quiet(config, *extra):
    return main(["run", str(config), "--quiet", *map(str, extra)])


def test_output_puts_the_plot_beside_the_results_and_titles_carry_ntraj_and_seed(tmp_path, capsys, monkeypatch):
    config = write_config(tmp_path, ntraj=5)
    sub = tmp_path / "quick"
    assert run_quiet(config, "--output", sub / "q.npz") == 0
    assert (sub / "q.npz").is_file() and (sub / "q.png").stat().st_size > 10_000
    assert not (tmp_path / "r.png").exists()  # the config's figure is untouched
    assert f"wrote {sub / 'q.npz'} and {sub / 'q.png'}" in capsys.readouterr().out
    import matplotlib.pyplot as plt
    seen = []
    monkeypatch.setattr(plt.Figure, "suptitle", lambda self, t, **kw: seen.append(t))
    assert main(["plot", str(sub / "q.npz"), "--out", str(tmp_path / "p.png")]) == 0
    assert "5 trajectories, seed 4, N = 8" in seen[0] and "hopfield" in seen[0]


def test_existing_outputs_are_kept_unless_force(tmp_path, capsys):
    config = write_config(tmp_path, ntraj=4)
    assert run_quiet(config) == 0
    before = (tmp_path / "r.npz").read_bytes()
    err = one_line_error(capsys, ["run", config, "--quiet", "--seed", "5"], "--force")
    assert str(tmp_path / "r.npz") in err and "already exists" in err
    assert (tmp_path / "r.npz").read_bytes() == before
    (tmp_path / "r.npz").unlink()  # the figure alone is protected too
    one_line_error(capsys, ["run", config, "--quiet", "--seed", "5"], f"plot {tmp_path / 'r.png'} already exists")
    assert run_quiet(config, "--seed", "5", "--force") == 0
    assert load_ensemble(tmp_path / "r.npz").segments[0]["entropy"] == 5


def _never_run(*args, **kwargs):
    raise AssertionError("a trajectory ran although the outputs were refused")


@pytest.mark.parametrize("argv, record, match", [
    (["--output", "r.png", "--plot", "r.png"], "", "results file (--output) {t}/r.png and plot (--plot) {t}/r.png"),
    (["--output", "r.png", "--plot", "r.png", "--force"], "", "are the same path ({t}/r.png)"),
    (["--output", "r.png"], "", "results file (--output) {t}/r.png and plot (beside --output) {t}/r.png"),
    (["--output", "r.npz", "--plot", "r.npz"], "", "and plot (--plot) {t}/r.npz are the same path"),
    (["--plot", "r.checkpoint.npz"], "", "checkpoint (of output.results) {t}/r.checkpoint.npz and plot (--plot)"),
    (["--output", "sub/../q.npz", "--plot", "q.npz"], "", "are the same path ({t}/q.npz)"),
    (["--plot", "link.png"], "", "results file (output.results) {t}/r.npz and plot (--plot) {t}/link.png"),
    (["--plot", "r.npz/p.png"], "", "plot (--plot) {t}/r.npz/p.png would lie inside results file"),
    (["--output", "tiny.toml", "--force"], "", "results file (--output) {t}/tiny.toml is the config file"),
    (["--no-plot"], 'records = "{t}/r.npz"', "and records folder (record.records) {t}/r.npz are the same path"),
    ([], 'records = "{t}/r.checkpoint.npz"', "checkpoint (of output.results) {t}/r.checkpoint.npz and records"),
    (["--plot", "rec/run.json"], 'records = "{t}/rec"', "plot (--plot) {t}/rec/run.json is a file name of the records"),
    ([], 'records = "{t}/r_distributions.png"\ndistributions = true',
     "distributions figure (of the plot, output.plot) {t}/r_distributions.png and records folder"),
    (["--plot", "p.png"], 'records = "{t}/p_distributions.png"\ndistributions = true',
     "distributions figure (of the plot, --plot) {t}/p_distributions.png"),
])
def test_outputs_that_are_one_path_are_refused_before_running(tmp_path, capsys, monkeypatch, argv, record, match):
    """Results, checkpoint, plot, distributions figure and records folder are compared as resolved
    paths (relative, .., symlinks) with each other and with the config before the first trajectory:
    one line naming both and the options that set them, nothing written (also with --force)."""
    monkeypatch.setattr("trajectories.cli.main.run_ensemble", _never_run)
    config = write_config(tmp_path)
    if record:
        config.write_text(config.read_text() + "[record]\n" + record.format(t=tmp_path) + "\n")
    (tmp_path / "link.png").symlink_to(tmp_path / "r.npz")
    text, before = config.read_text(), sorted(tmp_path.iterdir())
    argv = [a if a.startswith("--") else tmp_path / a for a in argv]
    one_line_error(capsys, ["run", config, "--quiet", *argv], match.format(t=tmp_path))
    assert config.read_text() == text and sorted(tmp_path.iterdir()) == before


def test_a_figure_format_matplotlib_cannot_write_is_refused_before_running(tmp_path, capsys, monkeypatch):
    config = write_config(tmp_path, ntraj=2)
    with monkeypatch.context() as m:
        m.setattr("trajectories.cli.main.run_ensemble", _never_run)
        for name, match in (("x.npz", "ends in .npz, which matplotlib cannot write"), ("x", "has no file suffix"),
                            ("x.txt", "ends in .txt"), ("x.png.gz", "ends in .gz")):
            err = one_line_error(capsys, ["run", config, "--quiet", "--plot", tmp_path / name], match)
            assert f"plot (--plot) {tmp_path / name}" in err and ".png, .pdf or .svg" in err
    assert run_quiet(config, "--plot", tmp_path / "R.PDF") == 0
    assert (tmp_path / "R.PDF").read_bytes().startswith(b"%PDF")
    one_line_error(capsys, ["plot", tmp_path / "r.npz", "--out", tmp_path / "p.npz"], "plot (--out)")


def test_plot_and_merge_keep_existing_files_unless_force(tmp_path, capsys):
    """plot and merge refuse an existing output as run does (--force to replace it); plot never
    replaces the results file it reads, nor merge an existing file without --force."""
    assert run_quiet(write_config(tmp_path, ntraj=3), "--no-plot") == 0
    results = tmp_path / "r.npz"
    data = results.read_bytes()
    assert main(["plot", str(results), "--out", str(tmp_path / "p.png")]) == 0
    (tmp_path / "p.png").write_bytes(b"mine")
    for argv, match in ((["--out", tmp_path / "p.png"], f"plot {tmp_path / 'p.png'} already exists: pass --force"),
                        (["--out", tmp_path / "p.png"], "choose another path (--out)"),
                        ([], f"plot {tmp_path / 'r.png'} already exists"),
                        (["--out", results, "--force"], f"plot (--out) {results} is the results file")):
        if not argv:
            (tmp_path / "r.png").write_bytes(b"mine")
        one_line_error(capsys, ["plot", results, *argv], match)
    assert (tmp_path / "p.png").read_bytes() == (tmp_path / "r.png").read_bytes() == b"mine"
    assert results.read_bytes() == data
    assert main(["plot", str(results), "--out", str(tmp_path / "p.png"), "--force"]) == 0
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    for out in (tmp_path / "p.png", results):
        before = out.read_bytes()
        one_line_error(capsys, ["merge", results, "-o", out], "already exists: pass --force to overwrite it, or "
                                                              "choose another path (-o)")
        assert out.read_bytes() == before
    assert main(["merge", str(results), "-o", str(tmp_path / "p.png"), "--force"]) == 0
    assert load_ensemble(tmp_path / "p.png").ntraj == 3


def test_a_records_folder_that_cannot_be_made_is_refused_before_running(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("trajectories.cli.main.run_ensemble", _never_run)
    (tmp_path / "file").write_text("x")
    for folder, match in (("file", "records folder (record.records) {t}/file is a file, not a folder"),
                          ("file/rec", "cannot create records folder (record.records) {t}/file/rec: {t}/file is a "
                                       "file")):
        config = write_config(tmp_path)
        config.write_text(config.read_text() + f'[record]\nrecords = "{tmp_path / folder}"\n')
        one_line_error(capsys, ["run", config, "--quiet"], match.format(t=tmp_path))


def test_parent_that_is_a_file_is_refused_before_running(tmp_path, capsys):
    (tmp_path / "f").write_text("x")
    err = one_line_error(capsys, ["run", write_config(tmp_path), "--quiet", "--output", tmp_path / "f/sub/x.npz"],
                         "is a file, not a folder")
    assert str(tmp_path / "f") in err
    assert not list(tmp_path.glob("**/*.checkpoint.npz"))


def test_output_that_is_a_directory_is_refused(tmp_path, capsys):
    (tmp_path / "d.npz").mkdir()
    one_line_error(capsys, ["run", write_config(tmp_path), "--quiet", "--output", tmp_path / "d.npz"],
                   f"results file {tmp_path / 'd.npz'} is a directory")
    (tmp_path / "pic.png").mkdir()
    one_line_error(capsys, ["run", write_config(tmp_path), "--quiet", "--plot", tmp_path / "pic.png"],
                   "is a directory")


def test_read_only_folder_is_refused_before_running(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("chmod does not stop this user (root) from writing")
        one_line_error(capsys, ["run", write_config(tmp_path), "--quiet", "--output", ro / "x.npz"],
                       f"folder {ro} is not writable")
    finally:
        ro.chmod(0o755)


def test_device_file_as_output_is_refused(tmp_path, capsys):
    one_line_error(capsys, ["run", write_config(tmp_path), "--quiet", "--output", "/dev/null"],
                   "/dev/null is not a regular file")
    assert Path("/dev/null").is_char_device()


def test_os_error_while_saving_names_the_path_and_keeps_the_checkpoint(tmp_path, capsys, monkeypatch):
    config = write_config(tmp_path)

    def full(ens, path):
        raise OSError(28, "No space left on device", str(tmp_path / ".r.npz.123.tmp"))
    monkeypatch.setattr("trajectories.cli.main.save_ensemble", full)
    checkpoint = tmp_path / "r.checkpoint.npz"
    err = one_line_error(capsys, ["run", config, "--quiet"], "No space left on device")
    assert f"could not write {tmp_path / 'r.npz'}" in err and str(checkpoint) in err
    assert load_ensemble(checkpoint).ntraj == 12
    monkeypatch.undo()
    assert run_quiet(config) == 0
    assert "resumed 12 trajectories" in capsys.readouterr().out
    assert load_ensemble(tmp_path / "r.npz").ntraj == 12 and not checkpoint.exists()


def test_corrupted_checkpoint_suggests_fresh(tmp_path, capsys):
    (tmp_path / "r.checkpoint.npz").write_bytes(b"PK\x03\x04" + b"\x00" * 300)
    one_line_error(capsys, ["run", write_config(tmp_path), "--quiet"], "(or run with --fresh)")
    assert run_quiet(write_config(tmp_path), "--fresh") == 0


def test_one_trajectory_runs_and_plots_without_bands(tmp_path, capsys):
    assert run_quiet(write_config(tmp_path), "--ntraj", "1") == 0
    out = capsys.readouterr().out
    assert "1 trajectory (seed 4)" in out and "no standard errors" in out and "nan" not in out
    assert (tmp_path / "r.png").stat().st_size > 10_000
    assert main(["show", str(tmp_path / "r.npz")]) == 0


def test_version():
    from trajectories import __version__
    out = subprocess.run([sys.executable, "-m", "trajectories", "--version"], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    from trajectories.base.kernel_cache import folder
    assert out.strip() == f"python -m trajectories {__version__}\ncompiled kernels cached in {folder()}"


def test_show_into_a_closed_pipe_exits_quietly(tmp_path):
    assert run_quiet(write_config(tmp_path), "--no-plot") == 0
    for command in (["show", str(tmp_path / "r.npz")],
                    ["plot", str(tmp_path / "r.npz"), "--out", str(tmp_path / "p.png")]):
        proc = subprocess.Popen([sys.executable, "-m", "trajectories", *command], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.close()  # the reader is gone before the first line
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=60) == 0, err
        assert "Broken pipe" not in err and "Traceback" not in err, err
    shell = subprocess.run(f"'{sys.executable}' -m trajectories show '{tmp_path / 'r.npz'}' | head -1",
                           shell=True, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert shell.returncode == 0 and shell.stdout.count("\n") == 1 and "Broken pipe" not in shell.stderr


def test_sigterm_stops_a_run_like_ctrl_c_and_the_run_resumes(tmp_path, capsys):
    config = write_config(tmp_path, ntraj=600, extra="",
                          **{"n_jobs = 1": "n_jobs = 1\nbatch_size = 1\ncheckpoint_every = 0"})
    checkpoint = tmp_path / "r.checkpoint.npz"
    proc = subprocess.Popen([sys.executable, "-m", "trajectories", "run", str(config), "--quiet", "--no-plot"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not checkpoint.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "run the same command again to resume" in err
    done = load_ensemble(checkpoint).ntraj
    assert 0 < done < 600 and not (tmp_path / "r.npz").exists()
    assert run_quiet(config, "--no-plot") == 0
    assert f"resumed {done} trajectories" in capsys.readouterr().out
    assert load_ensemble(tmp_path / "r.npz").ntraj == 600 and not checkpoint.exists()


def test_a_config_may_declare_its_own_outputs_rewritable(tmp_path):
    """output.overwrite = true (the main job regenerates its committed figure): the config's own
    results and plot are rewritten; an --output or --plot path given on the command line is not."""
    cfg = write_config(tmp_path)
    text = cfg.read_text()
    assert "[output]" in text
    cfg.write_text(text.replace("[output]", "[output]\noverwrite = true"))
    assert main(["run", str(cfg), "--quiet"]) == 0
    assert main(["run", str(cfg), "--quiet"]) == 0          # its own outputs: rewritten
    assert main(["run", str(cfg), "--quiet", "--output", str(tmp_path / "o.npz")]) == 0
    assert main(["run", str(cfg), "--quiet", "--output", str(tmp_path / "o.npz")]) == 2
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[output]", "[output]\noverwrite = 1"))
    assert main(["run", str(bad), "--quiet"]) == 2


def test_a_warning_is_one_line(tmp_path, capsys):
    """A warning (here n_jobs above the cores) shows as one line "warning: ...", not Python's
    file:line and source."""
    config = write_config(tmp_path, ntraj=4)
    assert main(["run", str(config), "--quiet", "--no-plot", "--n-jobs", "1000"]) == 0
    err = capsys.readouterr().err
    assert err.startswith("warning: n_jobs = 1000 exceeds the") and err.count("\n") == 1, err


def test_summary_compares_the_run_with_the_finite_N_prediction(tmp_path, capsys):
    """The summary states the predicted scatter, 1/N bias scale and lim N E_N (linear-noise theory) and
    says whether the run is consistent; a state without Gaussian fluctuations (cat) is skipped with a note."""
    assert main(["run", str(write_config(tmp_path)), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "predicted at N = 8: scatter sqrt(Sigma_aa/N)" in out and "predicted N -> oo" in out
    assert "a finite-N effect of the predicted size" in out
    cat = write_config(tmp_path, name="cat.toml", **{'name = "coherent"\ntheta = 0.5': 'name = "cat"'})
    assert main(["run", str(cat), "--quiet", "--output", str(tmp_path / "cat.npz")]) == 0
    assert "finite-N prediction skipped: state must be a product state" in capsys.readouterr().out


def test_summary_flags_a_deviation_beyond_the_finite_N_scale():
    times = np.linspace(0, 1, 3)
    fl = fluctuations(hopfield_model(400, 1.0, 0.5), coherent_state(0.4), times)
    mf = fl.mean_field.mean
    ens = SimpleNamespace(times=times, sizes=(400,), ntraj=100, stderr=np.full(mf.shape, 1e-4), mean=mf.copy())
    ens.mean[2, -1] += 3 * fl.spread(400)[2, -1] ** 2
    assert "a finite-N effect of the predicted size" in mean_field_line(ens, fl, mf)
    ens.mean[2, -1] += 0.1
    assert "LARGER than the predicted finite-N scale" in mean_field_line(ens, fl, mf)


@pytest.mark.parametrize("model, extra, stop, ntraj", [
    ("decay", "h = 1e6", 10.0, 100),                       # the Hamiltonian's scale
    ("spin", "h = [0.0, 0.0, 3e6]", 10.0, 100),
    ("decay", "gamma = 1e9", 1.0, 12),                      # the rates
    ("hopfield", "beta = 2.0", 1e9, 12),                    # the final time
])
def test_a_run_that_would_take_hours_is_refused_before_anything_is_written(tmp_path, capsys, model, extra, stop, ntraj):
    """One line with the estimate and the option that overrides it; no output, no checkpoint, no lock."""
    err = one_line_error(capsys, ["run", write_config(tmp_path, model=model, extra=extra, stop=stop, ntraj=ntraj),
                                  "--quiet"], "raise options.max_steps")
    assert "steps for" in err and "(a config's [options] max_steps)" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]


def test_a_config_path_that_is_not_a_file_says_what_it_is(tmp_path, capsys):
    one_line_error(capsys, ["run", tmp_path], "is a directory, not a TOML file")
    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)
    one_line_error(capsys, ["run", fifo], "is not a regular file")   # never opened: reading would wait forever
    one_line_error(capsys, ["run", tmp_path / "none.toml"], "does not exist")


def test_a_scheduler_given_on_the_command_line_is_used_not_ignored(tmp_path, capsys, monkeypatch):
    """--scheduler with the default backend runs on dask (here: a port where nothing answers)."""
    import trajectories.engine.parallel as parallel

    def reached(task, shared, batches, n_jobs, scheduler):
        raise ValueError(f"reached dask with {scheduler}")
    monkeypatch.setattr(parallel, "_dask_map", reached)
    one_line_error(capsys, ["run", write_config(tmp_path), "--quiet", "--scheduler", "tcp://127.0.0.1:9", "--no-plot"],
                   "reached dask with tcp://127.0.0.1:9")


@pytest.mark.parametrize("length", [200, 240, 251])
def test_a_long_legal_output_name_works_with_its_derived_files(tmp_path, capsys, length):
    """The checkpoint, its lock and the temporary files add to the results file's name; a name the file
    system accepts for the results works, the derived names shortened with a hash (the same every time)."""
    from trajectories.io.names import sibling
    name = "r" * (length - 4) + ".npz"
    out = tmp_path / name
    assert main(["run", str(write_config(tmp_path, ntraj=2)), "--quiet", "--output", str(out), "--no-plot"]) == 0
    assert load_ensemble(out).ntraj == 2 and sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "tiny.toml"])
    ckpt = sibling(out, out.stem, ".checkpoint.npz")
    assert len(ckpt.name) <= 255 and ckpt == sibling(out, out.stem, ".checkpoint.npz")
    assert (ckpt.name == out.stem + ".checkpoint.npz") == (length + 11 <= 255)
    assert len(sibling(ckpt, ckpt.name, ".lock").name) <= 255


@pytest.mark.parametrize("z, ntraj, says", [
    (1.3, 400, "within 1.3 standard errors of c(t)/N"),
    (3.99, 400, "within 4.0 standard errors"),
    (4.2, 400, "DIFFERS from c(t)/N by 4.2 standard errors"),
    (214572.3, 10, "DIFFERS from c(t)/N by 214572.3 standard errors (only 10 trajectories: the standard errors are rough"),
    (0.5, 10, "within 0.5 standard errors of c(t)/N (only 10 trajectories"),
    (np.inf, 400, "no standard error to compare with c(t)/N"),
])
def test_a_summary_says_whether_a_difference_in_standard_errors_is_agreement(z, ntraj, says):
    from trajectories.cli.summary import standard_errors_phrase
    text = standard_errors_phrase(z, ntraj, "c(t)/N")
    assert says in text
    assert ("within" in text) == (z <= 4) and ("rough" in text) == (ntraj < 30)
