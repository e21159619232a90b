"""The experiment scripts run (fast modes) so they never rot."""
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_validate_hopfield_fast(tmp_path):
    out = tmp_path / "validate.png"
    worst = _load("validate_hopfield").main(fast=True, out=str(out), n_jobs=1)
    assert out.stat().st_size > 10_000
    assert worst < 4.0  # trajectories within 4 standard errors of the exact evolution
