"""The experiment scripts run (fast modes) so they never rot."""

from systems import load_experiment


def test_validate_hopfield_fast(tmp_path):
    out = tmp_path / "validate.png"
    worst = load_experiment("validate_hopfield").main(fast=True, out=str(out), n_jobs=1)
    assert out.stat().st_size > 10_000
    assert worst < 4.0  # trajectories within 4 standard errors of the exact evolution
