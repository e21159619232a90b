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


def outside_references(path, text):
    """What `text` (of the file at `path`) cites outside the repository: parent-directory paths and
    Markdown documents found neither beside it, nor from the root, nor in docs/."""
    found = []
    if re.search(r"(^|[\s'\"(`])\.\./", text):
        found.append("a path leading out of the repository")
    for doc in sorted(set(re.findall(r"[\w./-]*\w\.md\b", text))):
        if not any((base / doc).is_file() for base in (ROOT, ROOT / "docs", path.parent)):
            found.append(f"{doc}, which is not in the repository")
    return found


def test_cited_documents_are_in_the_repository():
    scanned = [p for p in SOURCES if p != Path(__file__).resolve()]       # this file plants examples below
    found = {str(p.relative_to(ROOT)): f for p in scanned if (f := outside_references(p, p.read_text()))}
    assert not found, found
    # the check can fail: a parent-directory path and a document the repository does not hold
    planted = ROOT / "trajectories" / "x.py"
    assert outside_references(planted, "see ../notes/x.txt") == ["a path leading out of the repository"]
    assert outside_references(planted, "see NOTES.md §2") == ["NOTES.md, which is not in the repository"]
    assert outside_references(planted, "see docs/theory.md §2 and README.md") == []
