"""Two directives of the collective-trajectories documentation.

``experiment-gallery``  one section per figure listed in plots/README.md (its table: files, what the
                        figure shows, the command that makes it), with the figures themselves; a
                        new row of that table is a new gallery entry.
``tutorial-script``     the source of a script in docs/tutorials/, run in a fresh process and in a
                        temporary folder while the documentation builds, followed by what it printed;
                        a script that fails, or runs longer than ``:timeout:`` seconds, is a build error.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

LOG = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parents[2]


def rst_text(text: str) -> str:
    """Markdown-ish table text as reStructuredText: `code` spans kept, markup characters escaped."""
    parts = text.split("`")
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f"``{part}``" if part else "")
        else:
            out.append(re.sub(r"([\\*_|\[\]<>])", r"\\\1", part))
    return "".join(out)


def gallery_rows(readme: Path) -> list[tuple[list[str], str, str]]:
    """The rows of the figure table of plots/README.md: (figure files, what it shows, command)."""
    rows = []
    for line in readme.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not line.lstrip().startswith("|"):
            continue
        files = re.findall(r"`([^`]+\.png)`", cells[0])
        if files:
            rows.append((files, " | ".join(cells[1:-1]), cells[-1].strip("` ")))
    return rows


class ExperimentGallery(SphinxDirective):
    """One section per row of the figure table of plots/README.md."""

    has_content = False

    def run(self):
        readme = ROOT / "plots" / "README.md"
        self.env.note_dependency(str(readme))
        here = Path(self.env.doc2path(self.env.docname)).parent
        lines = []
        for files, shows, command in gallery_rows(readme):
            title = ", ".join(Path(f).stem for f in files)
            lines += [title, "-" * len(title), ""]
            for f in files:
                path = ROOT / "plots" / f
                if not path.is_file():
                    LOG.warning("gallery: plots/%s is listed in plots/README.md but missing", f,
                                location=(self.env.docname, self.lineno))
                    continue
                self.env.note_dependency(str(path))
                lines += [f".. image:: {os.path.relpath(path, here)}", f"   :alt: {title}",
                          "   :width: 100%", ""]
            lines += [rst_text(shows), "", "Made by:", "", ".. code-block:: bash", "", f"   {command}", ""]
        container = nodes.section()
        container.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=str(readme)), container)
        return container.children


class TutorialScript(SphinxDirective):
    """Show a tutorial script, run it, and show its output."""

    required_arguments = 1
    option_spec = {"timeout": directives.positive_int}

    def run(self):
        script = (ROOT / "docs" / "tutorials" / self.arguments[0]).resolve()
        self.env.note_dependency(str(script))
        if not script.is_file():
            raise self.error(f"tutorial script {script} not found")
        source = script.read_text()
        timeout = self.options.get("timeout", 600)
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MPLBACKEND="Agg",
                   PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
        env.pop("PYTHONSTARTUP", None)
        with tempfile.TemporaryDirectory(prefix="ct-tutorial-") as work:
            start = time.perf_counter()
            try:
                done = subprocess.run([sys.executable, str(script)], cwd=work, env=env, capture_output=True,
                                      text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise self.error(f"tutorial {script.name} ran longer than {timeout} s") from None
            seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise self.error(f"tutorial {script.name} failed (exit code {done.returncode}):\n{done.stderr[-3000:]}")
        LOG.info("tutorial %s ran in %.1f s", script.name, seconds)
        title = nodes.paragraph()
        title += nodes.literal(text=f"docs/tutorials/{script.name}", classes=["tutorial-file"])
        code = nodes.literal_block(source, source, language="python")
        output = nodes.literal_block(done.stdout, done.stdout, language="text")
        caption = nodes.paragraph(text=f"Output of python {script.name} (executed when this page was built):")
        return [title, code, caption, output]


def check_api_page(app):
    """Every name a public package exports has an entry in api.rst (a warning names the others)."""
    import models
    import trajectories
    listed = set(re.findall(r"^\s+~?([\w.]+)\s*$", (Path(app.srcdir) / "api.rst").read_text(), flags=re.M))
    listed = {name.rsplit(".", 1)[-1] for name in listed}
    for package in (trajectories, models):
        missing = sorted(set(package.__all__) - listed)
        if missing:
            LOG.warning("api.rst lists no entry for %s.%s", package.__name__, ", ".join(missing))


def machine_independent_signature(app, what, name, obj, options, signature, return_annotation):
    """Option classes default memory_limit to half of the building machine's memory: show the name."""
    if signature and "memory_limit=" in signature:
        signature = re.sub(r"memory_limit=[0-9.e+]+", "memory_limit=MEMORY_LIMIT", signature)
    return signature, return_annotation


def setup(app):
    app.add_directive("experiment-gallery", ExperimentGallery)
    app.add_directive("tutorial-script", TutorialScript)
    app.connect("autodoc-process-docstring", process_docstring, priority=400)
    app.connect("builder-inited", check_api_page)
    app.connect("autodoc-process-signature", machine_independent_signature)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}


# --- plain-text docstrings -------------------------------------------------------------------------
# The package's docstrings write formulas in plain text (|j, m>, sigma_-, Gamma_+-(x), a*b) and lay
# out attribute tables as indented plain text. Before numpydoc reads them, markup characters outside
# `code` spans are escaped, and an indented block that is not part of a numpydoc section is shown as
# preformatted text, so the docstrings render as written.

SECTION = re.compile(r"^\s*(Parameters|Returns|Yields|Raises|Warns|Attributes|Methods|Notes|Examples|"
                     r"See Also|References|Other Parameters|Receives|Warnings)\s*$")
SPAN = re.compile(r"(``.+?``|`[^`]+`)")


def escape_markup(line: str) -> str:
    parts = SPAN.split(line)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"([\\_|*])", r"\\\1", parts[i])
    return "".join(parts)


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip())


def plain_docstring(lines: list[str]) -> list[str]:
    """Docstring lines (dedented) as reStructuredText that renders them as written."""
    out, in_section, literal_indent = [], False, None
    for k, line in enumerate(lines):
        if k + 1 < len(lines) and SECTION.match(line) and re.fullmatch(r"\s*-{3,}\s*", lines[k + 1]):
            in_section, literal_indent = True, None
        if not line.strip():
            out.append(line)
            continue
        if literal_indent is not None and indent_of(line) >= literal_indent:
            out.append(line)                          # inside a preformatted block: as it is
            continue
        literal_indent = None
        if line.lstrip().startswith(">>>"):
            out.append(line)
            continue
        if not in_section and indent_of(line) > 0:
            literal_indent = indent_of(line)
            if out and out[-1].strip():
                out.append("")
            out += ["::", "", line]
            continue
        if out and out[-1].strip() and out[-1].startswith(" ") and literal_indent is None and not in_section \
                and indent_of(line) == 0 and out[-1] != "::":
            out.append("")
        out.append(escape_markup(line))
    return out


def process_docstring(app, what, name, obj, options, lines):
    if not (name.startswith("trajectories") or name.startswith("models")):
        return
    # a line that follows a preformatted block at the base indentation needs a blank line before it
    new = plain_docstring(list(lines))
    fixed = []
    for line in new:
        if fixed and line.strip() and indent_of(line) == 0 and fixed[-1].startswith(" ") and fixed[-1].strip():
            fixed.append("")
        fixed.append(line)
    lines[:] = fixed
