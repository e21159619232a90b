"""Early stopping (engine/stopping.py): a target standard error on the means or on E_N, and a time limit.

The target is decided on the folded prefix after each batch of a size that does not depend on the
workers, so the stop and every bit of the result are the same serially, with joblib workers and
after a resume from a checkpoint; the prefix is the first one that meets the target.
"""
import numpy as np
import pytest

from models import hopfield_model
from models.qudit import QuditModel
from trajectories import coherent_state, clustering, mean_field, run_ensemble
from trajectories.cli.main import main
from trajectories.engine.stopping import MIN_TRAJECTORIES, STOP_BATCH
from test_cli import one_line_error, write_config

TIMES = np.linspace(0.0, 1.0, 3)
MODEL, STATE = hopfield_model(6, 1.0, 0.5), coherent_state(theta=0.4)


def test_a_target_on_the_means_stops_at_the_same_prefix_for_any_workers():
    serial = run_ensemble(MODEL, STATE, TIMES, ntraj=4000, seed=5, target_stderr=0.02)
    parallel = run_ensemble(MODEL, STATE, TIMES, ntraj=4000, seed=5, target_stderr=0.02,
                            execution=dict(n_jobs=2, backend="joblib"))
    stopped = serial.meta["stopped"]
    assert stopped["reason"] == "target_stderr" and stopped["on"] == "mean"
    assert serial.ntraj % STOP_BATCH == 0 and MIN_TRAJECTORIES <= serial.ntraj < 4000
    assert serial.stderr.max() <= 0.02 == stopped["target_stderr"]
    np.testing.assert_array_equal(parallel.mean, serial.mean)
    np.testing.assert_array_equal(parallel.second, serial.second)
    assert parallel.ntraj == serial.ntraj
    shorter = run_ensemble(MODEL, STATE, TIMES, ntraj=serial.ntraj - STOP_BATCH, seed=5)
    assert shorter.stderr.max() > 0.02                    # the first prefix that meets the target


def test_a_resumed_run_ends_with_the_same_bits(tmp_path):
    """A run cut short (here by a timeout reached at the first batch) and resumed from its checkpoint
    with the target gives the uninterrupted run's bits; a finished run resumed stops at once."""
    check = tmp_path / "run.npz"
    whole = run_ensemble(MODEL, STATE, TIMES, ntraj=4000, seed=6, target_stderr=0.02)
    cut = run_ensemble(MODEL, STATE, TIMES, ntraj=4000, seed=6, target_stderr=0.02, timeout=1e-9,
                       execution=dict(checkpoint=check))
    assert cut.meta["stopped"]["reason"] == "timeout" and cut.ntraj == STOP_BATCH < whole.ntraj
    for _ in range(2):
        resumed = run_ensemble(MODEL, STATE, TIMES, ntraj=4000, seed=6, target_stderr=0.02,
                               execution=dict(checkpoint=check))
        assert resumed.ntraj == whole.ntraj and resumed.meta["stopped"]["reason"] == "target_stderr"
        np.testing.assert_array_equal(resumed.second, whole.second)


def test_a_target_on_e_n_and_on_a_qudit_model():
    mf = mean_field(MODEL, STATE, TIMES)
    ens = run_ensemble(MODEL, STATE, TIMES, ntraj=4000, seed=7, target_stderr=0.01, target_mf=mf)
    assert ens.meta["stopped"]["on"] == "clustering" and clustering(ens, mf)[1].max() <= 0.01 < 4000
    qudit = QuditModel.from_spin(MODEL)
    rho1 = np.diag([1.0, 0.0]).astype(complex)
    q = run_ensemble(qudit, rho1, TIMES, ntraj=3000, seed=7, target_stderr=0.03)
    assert q.meta["stopped"]["reason"] == "target_stderr" and q.stderr.max() <= 0.03 and q.ntraj < 3000


def test_unreached_targets_and_bad_input():
    ens = run_ensemble(MODEL, STATE, TIMES, ntraj=40, seed=8, target_stderr=1e-6)
    assert ens.ntraj == 40 and ens.meta["stopped"]["reason"] == "ntraj" and ens.meta["stopped"]["stderr"] > 1e-6
    assert "stopped" not in run_ensemble(MODEL, STATE, TIMES, ntraj=3, seed=8).meta
    for kw, match in ((dict(target_stderr=0.0), "target_stderr must be a number in"),
                      (dict(target_stderr="small"), "target_stderr must be a number in"),
                      (dict(timeout=-1), "timeout must be a number in"),
                      (dict(target_mf=mean_field(MODEL, STATE, TIMES)), "give target_stderr too")):
        with pytest.raises(ValueError, match=match):
            run_ensemble(MODEL, STATE, TIMES, ntraj=3, seed=8, **kw)


def test_the_command_line_stops_and_says_why(tmp_path, capsys):
    cfg = write_config(tmp_path, ntraj=4000)
    text = cfg.read_text().replace("n_jobs = 1", "n_jobs = 1\ntarget_stderr = 0.03\ntarget = \"clustering\"")
    cfg.write_text(text)
    assert main(["run", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert "stopped after" in out and "standard error of E_N" in out
    for field, value, match in (("target", '"median"', "run.target must be"), ("timeout", "0", "run.timeout must be"),
                                ("target", '"mean"', "give run.target_stderr too")):
        bad = text.replace("target_stderr = 0.03\ntarget = \"clustering\"", f"{field} = {value}")
        cfg.write_text(bad)
        one_line_error(capsys, ["run", cfg, "--fresh"], match)
