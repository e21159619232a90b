"""Sphinx configuration of the collective-trajectories documentation.

Build: python -m sphinx -W --keep-going -b html docs docs/_build/html
(after pip install -e '.[docs]'). The gallery is generated from plots/README.md and the tutorial
scripts in docs/tutorials/ are executed during the build (docs/_ext/ct_docs.py).
"""
import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))                 # models/ and trajectories/ from this source tree
sys.path.insert(0, str(DOCS / "_ext"))
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import trajectories  # noqa: E402

project = "collective-trajectories"
author = "the collective-trajectories authors"
copyright = "the collective-trajectories authors, BSD-3-Clause"
release = trajectories.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "ct_docs",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
root_doc = "index"

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
myst_dmath_double_inline = True

autosummary_generate = True
templates_path = ["_templates"]
nitpicky = True                           # a reference that resolves nowhere fails the build
autosummary_imported_members = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"
autodoc_preserve_defaults = True          # MEMORY_LIMIT, not the bytes of the machine that built the page
autodoc_member_order = "bysource"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "alabaster"
html_title = "collective-trajectories"
html_theme_options = {"description": "Quantum-jump trajectories with collective operator-valued rates",
                      "fixed_sidebar": True, "page_width": "1100px", "sidebar_width": "240px"}
html_static_path = []
default_role = "literal"
