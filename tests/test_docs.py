"""The documentation: every tutorial is executed by the docs build, every public name has an API
entry, and (slow tier) the build itself passes with warnings as errors."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

import models
import trajectories

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def test_every_tutorial_script_is_executed_by_the_build():
    scripts = {p.name for p in (DOCS / "tutorials").glob("*.py")}
    executed = set(re.findall(r"^```\{tutorial-script\} (\S+)", (DOCS / "tutorials" / "index.md").read_text(), flags=re.M))
    assert scripts and scripts == executed, (scripts, executed)
    for name in scripts:
        text = (DOCS / "tutorials" / name).read_text()
        if "n_jobs" in text or "dask" in text:
            assert 'if __name__ == "__main__":' in text, f"{name} starts worker processes without the main guard"


def test_every_public_name_has_an_api_entry():
    listed = set(re.findall(r"^\s+~?([\w.]+)\s*$", (DOCS / "api.rst").read_text(), flags=re.M))
    listed = {name.rsplit(".", 1)[-1] for name in listed}
    for package in (trajectories, models):
        assert not set(package.__all__) - listed, f"{package.__name__}: {sorted(set(package.__all__) - listed)}"


@pytest.mark.slow
def test_the_documentation_builds_without_warnings(tmp_path):
    """The CI command (.ci/run); it runs the tutorials, so it takes about a minute with compiled kernels."""
    for module in ("sphinx", "myst_parser", "numpydoc"):
        pytest.importorskip(module)
    done = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
                           "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html")],
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stderr[-5000:]
    assert (tmp_path / "html" / "generated" / "trajectories.run_ensemble.html").is_file()
    tutorial = (tmp_path / "html" / "tutorials" / "index.html").read_text()
    assert "dask, 2 workers   == serial: True" in tutorial
