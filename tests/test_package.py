"""Package facts a user relies on: the public API, the version, and citations that resolve."""
import re
import tomllib
from importlib import metadata
from pathlib import Path

import trajectories

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [p for folder in ("trajectories", "models", "experiments", "benchmarks", "tests", "configs", "docs")
           for p in sorted((ROOT / folder).rglob("*")) if p.suffix in (".py", ".md", ".toml")] + [ROOT / "README.md"]


def test_public_api_is_importable():
    for name in trajectories.__all__:
        assert hasattr(trajectories, name), name
    assert len(set(trajectories.__all__)) == len(trajectories.__all__)


def test_version_is_defined_once_in_pyproject():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert trajectories.__version__ == metadata.version("collective-trajectories") == declared


def test_theory_citations_resolve():
    """Every `docs/theory.md §n` cited in the repository is a section of docs/theory.md."""
    sections = set(re.findall(r"^## §(\d+)", (ROOT / "docs" / "theory.md").read_text(), flags=re.M))
    cited = {}
    for path in SOURCES:
        for n in re.findall(r"docs/theory\.md §(\d+)", path.read_text()):
            cited.setdefault(n, str(path.relative_to(ROOT)))
    assert cited, "no citation found"
    missing = {n: where for n, where in cited.items() if n not in sections}
    assert not missing, f"cited sections missing from docs/theory.md: {missing}"


def test_no_reference_outside_the_repository():
    pattern = re.compile(r"\.\./shared|DESIGN\.md|DESIGN §")
    found = [str(p.relative_to(ROOT)) for p in SOURCES if p.name != "test_package.py" and pattern.search(p.read_text())]
    assert not found, found
