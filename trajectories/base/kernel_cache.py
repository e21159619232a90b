"""Where Numba keeps the compiled kernels: one folder per version of the package's source.

Numba's on-disk cache (`njit(cache=True)`) checks only the file of the function it loads: a kernel
that calls functions of other files (run_trajectory calls the step kernels of propagate.py, jumps.py,
banded.py, ...) keeps their old machine code when only those files change, and would silently run
the old physics. The package therefore points Numba's cache at a folder named by a hash of all its
source files, so any change of the source compiles afresh:

    $NUMBA_CACHE_DIR/collective-trajectories-<hash>          when the user sets NUMBA_CACHE_DIR,
    $XDG_CACHE_HOME (or ~/.cache)/collective-trajectories/kernels-<hash>   otherwise.

`configure()` runs when `trajectories` is imported, before any kernel is defined.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]


def source_hash() -> str:
    """The first 16 hex digits of the SHA-256 of every .py file of the package (paths and contents)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_folder(user_dir: str | None = None) -> Path:
    """The kernel cache folder for this source (see the module docstring)."""
    tag = source_hash()
    if user_dir:
        return Path(user_dir) / f"collective-trajectories-{tag}"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "collective-trajectories" / f"kernels-{tag}"


_FOLDER: Path | None = None


def configure() -> Path:
    """Point numba.config.CACHE_DIR at `cache_folder` (once per process); returns the folder."""
    global _FOLDER
    if _FOLDER is None:
        from numba.core import config
        _FOLDER = cache_folder(getattr(config, "CACHE_DIR", "") or os.environ.get("NUMBA_CACHE_DIR"))
        config.CACHE_DIR = str(_FOLDER)
    return _FOLDER
