"""Configs of N d-level particles: [model] name = "qudit", the states qudit_density and qudit_pure.

* configs/rydberg_ladder.toml runs end to end (at a small N): results file, figure, a summary with
  the mean-field difference and N E_N, show and plot of the file;
* the config's model equals the QuditModel built by hand (eps, h, operators, r, rates at several x);
  complex entries as [re, im] pairs, non-commuting interactions symmetrised, pure and mixed states;
* every bad field gives one error line naming it.
"""
import pickle
from pathlib import Path

import numpy as np
import pytest

from models.qudit import QuditChannel, QuditModel, gell_mann
from trajectories import load_ensemble
from trajectories.cli.config import load_config
from trajectories.cli.main import main
from trajectories.cli.registry import model_state, named_model
from test_cli import _never_run, one_line_error, write_config

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "configs" / "rydberg_ladder.toml"

QUDIT = """
[model]
name = "qudit"
N = 5
d = 3
hamiltonian = [[0, 1, 0], [1, 0, 0.7], [0, 0.7, 0]]
interaction = [[1.5, [[0, 0, 0], [0, 0, 0], [0, 0, 1]], [[0, 0, 0], [0, 0, 0], [0, 0, 1]]]]
[[model.channels]]
op = [[0, 0, 1], [0, 0, 0], [0, 0, 0]]
rate = "0.5 * (1 + 2 * x)"
delta = [[0, 0, 0], [0, 0, 0], [0, 0, 1]]
[[model.channels]]
op = [[0, 1, 0], [0, 0, 0], [0, 0, 0]]
rate = 0.3
[state]
name = "qudit_pure"
amplitudes = [1, 0, 0]
[times]
stop = 1.0
num = 4
[run]
ntraj = 4
seed = 2
[output]
results = "{t}/r.npz"
plot = "{t}/r.png"
"""


def comp(A):
    """tr(A v_a) in the Gell-Mann basis of d = 3."""
    return np.einsum("aij,ji->a", gell_mann(3), np.asarray(A)).real


def ladder(N):
    """configs/rydberg_ladder.toml's model built by hand (docs/guide/qudits.md, the d-level example)."""
    drive, n_r, decay, decay_e = np.zeros((3, 3)), np.diag([0, 0, 1.0]), np.zeros((3, 3)), np.zeros((3, 3))
    drive[0, 1] = drive[1, 0] = 1.0
    drive[1, 2] = drive[2, 1] = 0.7
    decay[0, 2] = decay_e[0, 1] = 1
    return QuditModel(N, 3, eps=comp(drive), h=1.5 * np.outer(comp(n_r), comp(n_r)),
                      channels=[QuditChannel(decay, rate=lambda x: 0.5 * (1 + 2 * x), r=comp(n_r)),
                                QuditChannel(decay_e, rate=0.3)])


def test_the_shipped_config_runs_end_to_end(tmp_path, capsys):
    """configs/rydberg_ladder.toml at N = 6 with 12 trajectories: results, figure and summary."""
    text = SHIPPED.read_text()
    for old, new in (("N = 40", "N = 6"), ("ntraj = 200", "ntraj = 12"), ("num = 16", "num = 5"),
                     ("results/", f"{tmp_path}/"), ("plots/", f"{tmp_path}/")):
        assert old in text
        text = text.replace(old, new)
    config = tmp_path / "ladder.toml"
    config.write_text(text)
    assert main(["run", str(config), "--quiet"]) == 0
    out = capsys.readouterr().out
    ens = load_ensemble(tmp_path / "rydberg_ladder.npz")
    assert (ens.kind, ens.ntraj, ens.mean.shape) == ("qudit", 12, (9, 5))
    assert (tmp_path / "rydberg_ladder.png").stat().st_size > 10_000
    assert "qudit (N = 6, d = 3, hamiltonian 3 x 3, 1 interaction term, 2 channels), qudit_pure" in out
    assert "12 trajectories (seed 1)" in out and "m_8 = " in out and "level populations at t = 3: |0> " in out
    assert "mean field: max |omega_t(m_a) - m_a^MF(t)| = " in out and "in standard errors at most" in out
    assert "; N E_N = " in out and "predicted N -> oo: " in out and "skipped" not in out
    np.testing.assert_allclose(ens.mean[:, 0], comp(np.diag([1.0, 0, 0])), atol=1e-12)
    assert main(["show", str(tmp_path / "rydberg_ladder.npz")]) == 0
    assert "level populations" in capsys.readouterr().out
    assert main(["plot", str(tmp_path / "rydberg_ladder.npz"), "--out", str(tmp_path / "p.png")]) == 0
    assert (tmp_path / "p.png").stat().st_size > 10_000


def test_the_config_model_is_the_hand_built_model():
    model, rho1 = load_config(SHIPPED).build()
    want = ladder(40)
    assert (model.N, model.d) == (40, 3)
    np.testing.assert_allclose(model.eps, want.eps, atol=1e-14)
    np.testing.assert_allclose(model.h, want.h, atol=1e-14)
    x = np.array([0.0, 0.1, 0.5, 1.0])
    for got, ch in zip(model.channels, want.channels, strict=True):
        np.testing.assert_array_equal(got.op, ch.op)
        np.testing.assert_allclose(got.r, ch.r, atol=1e-14)
        np.testing.assert_allclose(got.amplitude(x), ch.amplitude(x), rtol=1e-14)
        assert got.collective is ch.collective is False
        again = pickle.loads(pickle.dumps(got))          # the workers receive the formula
        np.testing.assert_array_equal(again.amplitude(x), got.amplitude(x))
    assert repr(model.channels[0].rate) == "0.5 * (1 + 2 * x)"
    np.testing.assert_array_equal(rho1, np.diag([1.0, 0, 0]))


def test_complex_entries_states_and_symmetrised_interactions():
    """[re, im] pairs anywhere in a matrix; an interaction [s, A, B] gives the symmetric h of
    (s/2N)(A_tot B_tot + B_tot A_tot); gamma as a formula; collective channels; both states."""
    H1 = [[1, [0, -0.5], 0], [[0, 0.5], 0, 0], [0, 0, -1]]
    sx, sz = [[0, 1, 0], [1, 0, 0], [0, 0, 0]], [[1, 0, 0], [0, -1, 0], [0, 0, 0]]
    model = named_model("qudit", N=4, d=3, hamiltonian=H1, interaction=[[2.0, sx, sz], [0.5, sz, sz]],
                        channels=[{"op": [[0, [0, 1], 0], [0, 0, 0], [0, 0, 0]], "gamma": "exp(x)",
                                   "delta": sz, "collective": True}])
    a, b = comp(np.array(sx, float)), comp(np.array(sz, float))
    np.testing.assert_allclose(model.eps, comp(np.array([[1, -0.5j, 0], [0.5j, 0, 0], [0, 0, -1]])), atol=1e-15)
    np.testing.assert_allclose(model.h, np.outer(a, b) + np.outer(b, a) + 0.5 * np.outer(b, b), atol=1e-15)
    ch = model.channels[0]
    assert ch.collective and ch.op[0, 1] == 1j and ch.gamma is not None
    np.testing.assert_allclose(ch.amplitude(np.array([-1.0, 0.5])), np.exp([-1.0, 0.5]))
    np.testing.assert_allclose(ch.r, b)
    pure = model_state(model, "qudit_pure", amplitudes=[1, [0, 1], 0])
    np.testing.assert_allclose(pure, np.array([[1, -1j, 0], [1j, 1, 0], [0, 0, 0]]) / 2)
    mixed = model_state(model, "qudit_density", rho=[[0.5, [0, -0.1], 0], [[0, 0.1], 0.3, 0], [0, 0, 0.2]])
    np.testing.assert_allclose(mixed, [[0.5, -0.1j, 0], [0.1j, 0.3, 0], [0, 0, 0.2]])


def _channel(table):
    return QUDIT.replace('op = [[0, 1, 0], [0, 0, 0], [0, 0, 0]]\nrate = 0.3', table)


@pytest.mark.parametrize("change, match", [
    (("op = [[0, 0, 1], [0, 0, 0], [0, 0, 0]]", "op = [[0, 1], [0, 0]]"),
     "model.channels[0].op must be a 3 x 3 matrix (3 rows of 3 entries, rows of numbers or of [re, im] pairs)"),
    (("op = [[0, 0, 1], [0, 0, 0], [0, 0, 0]]", 'op = [[0, 0, "one"], [0, 0, 0], [0, 0, 0]]'),
     "model.channels[0].op must be a 3 x 3 matrix"),
    (("op = [[0, 0, 1], [0, 0, 0], [0, 0, 0]]", "op = [[0, 0, [1, 2, 3]], [0, 0, 0], [0, 0, 0]]"),
     "model.channels[0].op must be a 3 x 3 matrix"),
    (("op = [[0, 0, 1], [0, 0, 0], [0, 0, 0]]", "op = [[0, 0, 0], [0, 0, 0], [0, 0, 0]]"),
     "model.channels[0].op must be a non-zero matrix"),
    (("hamiltonian = [[0, 1, 0]", "hamiltonian = [[0, 2, 0]"),
     "model.hamiltonian must be a Hermitian 3 x 3 matrix (equal to its conjugate transpose)"),
    (("hamiltonian = [[0, 1, 0], [1, 0, 0.7], [0, 0.7, 0]]", "hamiltonian = [[0, 1], [1, 0]]"),
     "model.hamiltonian must be a Hermitian 3 x 3 matrix (3 rows of 3 entries"),
    (("delta = [[0, 0, 0], [0, 0, 0], [0, 0, 1]]", "delta = [[0, 0, [0, 1]], [0, 0, 0], [0, 0, 1]]"),
     "model.channels[0].delta must be a Hermitian 3 x 3 matrix"),
    (("interaction = [[1.5, ", "interaction = [["), "model.interaction[0] must be [strength, A, B]"),
    (("interaction = [[1.5, ", 'interaction = [["strong", '), "model.interaction[0][0] (the strength) must be a finite"),
    (("[0, 0, 0], [0, 0, 1]]]]", "[0, 0, 1]]]]"), "model.interaction[0][2] must be a Hermitian 3 x 3 matrix"),
    (("interaction = [[1.5, ", "interaction = [[1.5, [[0, 1, 0], [0, 0, 0], [0, 0, 0]], [[1, 0, 0], [0, 0, 0], "
                               "[0, 0, 0]]], [1.5, "), "model.interaction[0][1] must be a Hermitian 3 x 3 matrix"),
    (('rate = "0.5 * (1 + 2 * x)"', 'rate = "0.5 * (1 + 2 * y)"'),
     "model.channels[0].rate: unknown name 'y' (the variable is x = Delta)"),
    (('rate = "0.5 * (1 + 2 * x)"', 'rate = "0.5 *"'), "model.channels[0].rate: '0.5 *' is not a formula"),
    (('rate = "0.5 * (1 + 2 * x)"', 'rate = "x.real"'), "model.channels[0].rate: Attribute is not allowed"),
    (('rate = "0.5 * (1 + 2 * x)"', 'rate = "0.5 - x"'),
     "model.channels[0].rate must be >= 0 on the spectrum of Delta, got -0.5 at Delta = 1 (Delta ranges over [0, 1])"),
    (('rate = "0.5 * (1 + 2 * x)"', 'rate = "log(x)"'), "model.channels[0].rate returned non-finite values"),
    (('rate = "0.5 * (1 + 2 * x)"', "rate = -1.0"), "model.channels[0].rate must be >= 0"),
    (('rate = "0.5 * (1 + 2 * x)"', "rate = true"), "model.channels[0].rate must be a finite number or a formula"),
    (('rate = "0.5 * (1 + 2 * x)"', 'rate = "x"\ngamma = 1.0'), "model.channels[0]: give exactly one of rate"),
    (('rate = "0.5 * (1 + 2 * x)"', 'rate = "x"\nfoo = 1'), "model.channels[0].foo is not a channel field"),
    (('rate = "0.5 * (1 + 2 * x)"', 'rate = "x"\ncollective = 1'), "model.channels[0].collective must be true or false"),
    (("rate = 0.3", "rate = 0.3\nwhat = 1"), "model.channels[1].what is not a channel field"),
    (("d = 3", "d = 1"), "model.d must be an integer >= 2, got 1"),
    (("d = 3", "d = 3000"), "model.d must be at most 16, got 3000"),
    (("d = 3", ""), "model.d is required for model 'qudit'"),
    (("d = 3", "d = 3\nJ = 1.0"), "model.J is not a parameter of model 'qudit'"),
    (('name = "qudit_pure"\namplitudes = [1, 0, 0]', 'name = "coherent"'),
     "state.name 'coherent' is a spin state: a qudit model takes 'qudit_density' or 'qudit_pure'"),
    (('name = "qudit_pure"\namplitudes = [1, 0, 0]', 'name = "qudit"'), "state.name must be one of 'coherent'"),
    (("amplitudes = [1, 0, 0]", "amplitudes = [1, 0]"), "state.amplitudes must be a list of 3 amplitudes"),
    (("amplitudes = [1, 0, 0]", "amplitudes = [0, [0, 0], 0]"), "state.amplitudes must be finite and not all zero"),
    (("amplitudes = [1, 0, 0]", "rho = [1, 0, 0]"), "state.rho is not a parameter of state 'qudit_pure'"),
    (('name = "qudit_pure"\namplitudes = [1, 0, 0]', 'name = "qudit_density"\nrho = [[1, 0, 0], [0, 1, 0], [0, 0, 0]]'),
     "state.rho must have trace 1, got 2 (a single-site density matrix of the 3-level model)"),
    (('name = "qudit_pure"\namplitudes = [1, 0, 0]', 'name = "qudit_density"\nrho = [[1.5, 0, 0], [0, -0.5, 0], [0, 0, 0]]'),
     "state.rho must be positive semidefinite"),
    (('name = "qudit_pure"\namplitudes = [1, 0, 0]', 'name = "qudit_density"\nrho = [[1, 0], [0, 0]]'),
     "state.rho must be a Hermitian 3 x 3 matrix"),
    (("[output]", "[record]\ndistributions = true\n[output]"), "record.distributions is not available for model 'qudit'"),
    (("[output]", '[record]\nobservables = { m2 = "m**2" }\n[output]'), "record.observables is not available"),
    (("[output]", '[record]\nrecords = "rec"\n[output]'), "record.records is not available for model 'qudit'"),
    (("[output]", '[record]\nrecords = ""\n[output]'), "record.records is not available for model 'qudit'"),
])
def test_bad_qudit_fields_give_one_line_naming_the_field(tmp_path, capsys, monkeypatch, change, match):
    monkeypatch.setattr("trajectories.cli.main.run_ensemble", _never_run)
    text = QUDIT.format(t=tmp_path)
    assert change[0] in text
    config = tmp_path / "bad.toml"
    config.write_text(text.replace(change[0], change[1], 1))
    one_line_error(capsys, ["run", config, "--quiet"], match)


def test_a_qudit_state_needs_the_qudit_model(tmp_path, capsys):
    config = write_config(tmp_path, **{'name = "coherent"\ntheta = 0.5': 'name = "qudit_pure"\namplitudes = [1, 0]'})
    one_line_error(capsys, ["run", config, "--quiet"],
                   "state.name 'qudit_pure' is a state of d-level particles: it needs [model] name = \"qudit\"")


def test_the_docs_describe_the_qudit_config():
    guide, config_doc = (ROOT / "docs/guide/cli.md").read_text(), (ROOT / "trajectories/cli/config.py").read_text()
    for word in ('`qudit`', "`qudit_density`", "`qudit_pure`", "configs/rydberg_ladder.toml", "interaction"):
        assert word in guide, word
    for word in ('name = "qudit"', "qudit_pure", "qudit_density", "spin models only"):
        assert word in config_doc, word
