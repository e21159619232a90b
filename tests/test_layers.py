"""The package's layer contract, read from the source (every import statement, at any depth).

Layers of `trajectories`, lowest first; a subpackage imports only from lower layers and from
itself, and subpackages of one layer are independent of each other:

    base                       errors, argument checks, options, result types
    symmetry                   representations of the symmetry group of a block: irreps, bases,
                               generators, Kraus tables (U(d) for d-level particles)
    sectors                    sector formulas, dense sector operators, initial states
    io | analysis              results files, provenance, checkpoints | estimators, fits
    engine | reference | theory  trajectories | exact solvers | mean field, local generator
    cli                        command line, configs, registry, plotting

`models` (model descriptions) sits below all of them and imports nothing from `trajectories`.
The package's `__init__.py` and `__main__.py` assemble the public API and may import anything.
Further rules: no import cycle between modules; project modules are imported at the top of a
module (an import inside a function hides a cycle); no private name (leading underscore) is
imported from another module.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"base": 0, "symmetry": 1, "sectors": 2, "io": 3, "analysis": 3, "engine": 4, "reference": 4,
          "theory": 4, "cli": 5}
PACKAGES = ("trajectories", "models")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module name of a (possibly relative) `from ... import` statement."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports(path: Path, text: str | None = None):
    """(target module, imported names, at top level?, line) for every import in the file."""
    module, is_package = module_name(path), path.name == "__init__.py"
    tree = ast.parse(path.read_text() if text is None else text, filename=str(path))
    top = {id(n) for n in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], id(node) in top, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = resolve(module, is_package, node)
            names = [a.name for a in node.names]
            # `from pkg import submodule` imports the submodule
            yield target, names, id(node) in top, node.lineno


def project_files():
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


def project_graph(overrides=None):
    """module -> {imported project module: line}, submodule imports resolved; `overrides` maps
    paths to replacement source text."""
    overrides = overrides or {}
    modules = {module_name(p): p for p in project_files()}
    graph = {}
    for name, path in modules.items():
        edges = {}
        for target, names, _, line in imports(path, overrides.get(path)):
            if target.split(".")[0] not in PACKAGES:
                continue
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            for t in subs or [target]:
                if t != name:
                    edges.setdefault(t, line)
        graph[name] = edges
    return graph, modules


def layer(module: str):
    parts = module.split(".")
    if parts[0] != "trajectories" or len(parts) < 2 or parts[1] in ("__main__",):
        return None
    return parts[1]


def violations(overrides=None):
    graph, modules = project_graph(overrides)
    found = []
    for src, edges in graph.items():
        where = modules[src].relative_to(ROOT)
        for dst, line in edges.items():
            if src.startswith("models") and dst.startswith("trajectories"):
                found.append(f"{where}:{line}: models imports {dst} (models must not import trajectories)")
            a, b = layer(src), layer(dst)
            if a is None or b is None or a == b or b not in LAYERS:
                continue
            if a not in LAYERS:
                found.append(f"{where}:{line}: {src} is in no layer (add it to the layer contract)")
            elif LAYERS[b] >= LAYERS[a]:
                kind = "upward" if LAYERS[b] > LAYERS[a] else "sideways"
                found.append(f"{where}:{line}: {kind} import {src} -> {dst} (layer {a} may only import "
                             f"from {sorted(k for k, v in LAYERS.items() if v < LAYERS[a])})")
    return found


def cycles(overrides=None):
    """The modules of every strongly connected component of more than one module (Tarjan)."""
    graph, _ = project_graph(overrides)
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_layers_point_downward():
    found = violations()
    assert not found, "layer contract broken:\n" + "\n".join(found)


def test_no_import_cycles():
    found = cycles()
    assert not found, "import cycles between modules:\n" + "\n".join(" <-> ".join(c) for c in found)


def test_project_modules_are_imported_at_the_top():
    found = []
    for path in project_files():
        for target, _, top, line in imports(path):
            if target.split(".")[0] in PACKAGES and not top:
                found.append(f"{path.relative_to(ROOT)}:{line}: import of {target} inside a function")
    assert not found, "\n".join(found)


def test_no_private_names_across_modules():
    found = []
    for path in project_files() + sorted((ROOT / "tests").glob("*.py")) + sorted((ROOT / "experiments").glob("*.py")) \
            + sorted((ROOT / "benchmarks").glob("*.py")):
        for target, names, _, line in imports(path):
            if target.split(".")[0] not in PACKAGES:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private:
                found.append(f"{path.relative_to(ROOT)}:{line}: private {private} from {target}")
    assert not found, "\n".join(found)


def test_every_subpackage_is_in_a_layer():
    subpackages = {p.parent.name for p in (ROOT / "trajectories").glob("*/__init__.py")}
    assert subpackages == set(LAYERS), f"subpackages {sorted(subpackages)} vs layers {sorted(LAYERS)}"


@pytest.mark.parametrize("planted, bad", [
    ("from ..engine.ensemble import run_ensemble\n", "upward import trajectories.io.files -> trajectories.engine.ensemble"),
    ("from ..analysis import estimators\n", "sideways import trajectories.io.files -> trajectories.analysis"),
])
def test_the_checker_catches_a_bad_import(planted, bad):
    """An upward or sideways import planted in io/files.py is reported (the checker can fail)."""
    path = ROOT / "trajectories" / "io" / "files.py"
    assert any(bad in v for v in violations({path: planted + path.read_text()}))


def test_the_checker_catches_a_cycle():
    """options imports checks; a planted checks -> options import closes a cycle."""
    a, b = ROOT / "trajectories" / "base" / "checks.py", ROOT / "trajectories" / "base" / "options.py"
    assert "from .checks import" in b.read_text()
    found = cycles({a: "from .options import TrajectoryOptions\n" + a.read_text()})
    assert any({"trajectories.base.checks", "trajectories.base.options"} <= set(c) for c in found), found
