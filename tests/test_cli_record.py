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


def test_compare_exact_adds_the_exact_evolution_to_figures_and_summary(tmp_path, capsys):
    """[compare] exact = true: the sector solver's evolution is drawn in both figures and the summary
    gives the largest deviation of every recorded quantity in standard errors; the same from `plot`.
    A run of 300 trajectories at N = 8 agrees within 4 standard errors."""
    from PIL import Image
    config = write_config(tmp_path, ntraj=300, **{"theta = 0.5": "theta = 1.5707963267948966"})
    config.write_text(config.read_text() + '\n[record]\ndistributions = true\nobservables = { m2 = "m**2" }\n'
                      + "\n[compare]\nexact = true\n")
    assert main(["run", str(config), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "coherent (theta = pi/2)" in out and "mean field + b/N (the O(1/N) bias" in out   # a Hopfield model
    line = next(x for x in out.splitlines() if x.startswith("exact (sector solver): "))
    assert "within" in line and "P(block 0) where P >= 10/ntraj" in line and "m2 " in line and "E_N " in line, line
    worst = float(line.split("within ")[1].split()[0])
    assert worst < 4.0
    with Image.open(tmp_path / "r_distributions.png") as figure:
        assert figure.size[1] > 1.5 * 4.0 * 110        # two rows of 4 inches at 110 dpi: heat maps, last P
    assert main(["plot", str(tmp_path / "r.npz"), "--out", str(tmp_path / "p.png")]) == 0
    assert line in capsys.readouterr().out


@pytest.mark.parametrize("compare, model, match", [
    ("exact = 1", "hopfield", "compare.exact must be True or False"),
    ("exactly = true", "hopfield", "compare.exactly is not a known field"),
])
def test_bad_compare_sections_give_one_line(tmp_path, capsys, compare, model, match):
    config = write_config(tmp_path, model=model)
    config.write_text(config.read_text() + "\n[compare]\n" + compare + "\n")
    one_line_error(capsys, ["run", config], match)


@pytest.mark.slow
def test_the_shipped_distribution_config_agrees_with_the_exact_evolution(tmp_path, capsys):
    """configs/retrieval_distribution.toml (N = 40, 2000 trajectories): moments, P(m_z, t) where
    P >= 10/ntraj, m^2, m^4 and E_N within 4 standard errors of the sector solver (measured 3.8 at
    worst, in P over 1271 bins)."""
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    args = ["run", str(root / "configs" / "retrieval_distribution.toml"), "--quiet", "--no-plot",
            "--output", str(tmp_path / "r.npz")]
    text = (root / "configs" / "retrieval_distribution.toml").read_text()
    config = tmp_path / "c.toml"
    config.write_text(text.replace('records = "results/retrieval_distribution.records"',
                                   f'records = "{tmp_path / "rec"}"'))
    args[1] = str(config)
    assert main(args) == 0
    capsys.readouterr()
    assert main(["plot", str(tmp_path / "r.npz"), "--out", str(tmp_path / "p.png")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("exact (sector solver): "))
    assert float(line.split("within ")[1].split()[0]) < 4.0, line


def test_compare_exact_is_refused_for_a_qudit_model(tmp_path, capsys):
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    config = tmp_path / "q.toml"
    config.write_text((root / "configs" / "rydberg_ladder.toml").read_text() + "\n[compare]\nexact = true\n")
    one_line_error(capsys, ["run", config], "compare.exact is drawn for spin models only")


@pytest.mark.slow
def test_the_main_job_follows_mean_field_plus_its_predicted_bias(tmp_path, capsys):
    """configs/hopfield.toml (N = 400, 1600 trajectories): omega_t(m) is within 4 standard errors of
    m_MF + b/N at every time and component (measured 1.7), while it differs from mean field alone by more
    (measured 7.8, the O(1/N) bias resolved)."""
    from pathlib import Path
    config = Path(__file__).resolve().parents[1] / "configs" / "hopfield.toml"
    assert main(["run", str(config), "--quiet", "--output", str(tmp_path / "h.npz")]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("mean field + b/N"))
    within = float(line.split("within ")[1].split()[0])
    alone = float(line.split("from mean field alone ")[1].split()[0])
    assert within < 4.0 < alone, line
