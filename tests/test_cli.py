"""The command line and its configs: run/show/plot/merge, and one-line errors for bad input."""
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trajectories.cli.registry import MODELS, named_model, named_state
from trajectories.cli.main import main
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
    (dict(model="hopfeld"), "model.name must be one of 'hopfield', 'kinetic', 'decay', 'ising', got 'hopfeld'"),
    (dict(ntraj=-5), "run.ntraj must be an integer >= 1, got -5"),
    (dict(stop=-1.0), "times: times must be strictly increasing"),
    (dict(extra="betta = 2.0"), "model.betta is not a parameter of model 'hopfield'"),
    (dict(extra='beta = "hot"'), "model.beta must be a finite number"),
    ({"theta = 0.5": "thetta = 0.5"}, "state.thetta is not a parameter of state 'coherent'"),
    ({"n_jobs = 1": "n_jobs = 0"}, "run.n_jobs must be a positive integer or -1"),
    ({"seed = 4": ""}, "run.seed is required"),
    ({"[run]": "[runn]"}, "unknown section [runn]"),
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
    state.validate(model.sizes)


def test_named_models_and_states():
    x = np.linspace(-1, 1, 5)
    kin = named_model("kinetic", N=6, gamma_up=4.0, gamma_down=1.0, omega=0.3)
    np.testing.assert_allclose(kin.channels[0].amplitude(x), 2.0 * (1 + x) / 2)
    np.testing.assert_allclose(kin.channels[1].amplitude(x), (1 + x) / 2)
    assert kin.h[0, 0] == 0.3 and (kin.channels[0].op, kin.channels[1].op) == ("plus", "minus")
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
