"""The [record] section of a config: distributions, formula observables and records through the
command line; `show` and `plot` display them (docs/theory.md §13)."""
import numpy as np
import pytest

from trajectories import load_ensemble
from trajectories.cli.expressions import observable_function
from trajectories.cli.main import main
from trajectories.io.records import load_records

from test_cli import one_line_error, write_config

RECORD = """
[record]
distributions = true
observables = {{ m2 = "m**2", c = "cos(pi*m) + abs(m)" }}
records = "{folder}"
"""


def test_run_show_plot_with_distributions_observables_and_records(tmp_path, capsys):
    config = write_config(tmp_path, ntraj=10)
    config.write_text(config.read_text() + RECORD.format(folder=tmp_path / "rec"))
    assert main(["run", str(config), "--quiet"]) == 0
    out = capsys.readouterr().out
    heat = tmp_path / "r_distributions.png"
    assert f"distributions: {heat}" in out and heat.stat().st_size > 10_000
    ens = load_ensemble(tmp_path / "r.npz")
    values, P, _ = ens.distribution()
    np.testing.assert_allclose(P.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(ens.observable("m2")[0], ens.second[2, 2], atol=1e-12)
    rec = load_records(tmp_path / "rec")
    assert len(rec) == 10 and rec.jump_ptr[-1] == ens.njumps
    assert main(["show", str(tmp_path / "r.npz")]) == 0
    shown = capsys.readouterr().out
    assert "distribution block 0 (9 values in [-1, 1])" in shown and "observable m2:" in shown
    assert main(["plot", str(tmp_path / "r.npz"), "--out", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p_distributions.png").exists()


@pytest.mark.parametrize("record, match", [
    ('observables = { f = "__import__(1)" }', "record.observables.f: only the functions abs"),
    ('observables = { f = "m.real" }', "record.observables.f: Attribute is not allowed"),
    ('observables = { f = "m +" }', "record.observables.f: 'm +' is not a formula"),
    ('observables = { f = 3 }', "record.observables.f must be a formula string"),
    ('observables = { f = "m1" }', "unknown name 'm1' (the block magnetisations are m)"),
    ('observables = { f = "1/m" }', "observable 'f' is not finite at m_z = (0)"),
    ('distributions = "yes"', "record.distributions must be true, false or a table"),
    ('distributions = { q = [1, 2] }', "weights must be 1 finite numbers"),
    ('records = 5', "record.records must be a folder path string"),
    ('recods = "x"', "record.recods is not a known field"),
])
def test_bad_record_sections_give_one_line(tmp_path, capsys, record, match):
    config = write_config(tmp_path)
    config.write_text(config.read_text() + "\n[record]\n" + record + "\n")
    one_line_error(capsys, ["run", config], match)


def test_formulas_evaluate_like_numpy():
    f = observable_function("g", "sqrt(abs(m0 - m1)) + exp(-m0**2) * tanh(2*m1)", 2)
    a, b = np.linspace(-1, 1, 5), np.linspace(1, -1, 5)
    np.testing.assert_allclose(f(a, b), np.sqrt(np.abs(a - b)) + np.exp(-a ** 2) * np.tanh(2 * b))
    assert observable_function("h", "m", 1)(np.array([0.5]))[0] == 0.5
