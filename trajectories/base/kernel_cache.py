"""Where Numba keeps the compiled kernels: one folder per version of the package's source.

Numba's on-disk cache (`njit(cache=True)`) checks only the file of the function it loads: a kernel
that calls functions of other files (run_trajectory calls the step kernels of propagate.py, jumps.py,
banded.py, ...) keeps their old machine code when only those files change, and would silently run
the old physics. The package therefore points Numba's cache at a folder named by a hash of all its
source files, so any change of the source compiles afresh:

    $NUMBA_CACHE_DIR/collective-trajectories-<hash>          when the user sets NUMBA_CACHE_DIR,
    $XDG_CACHE_HOME (or ~/.cache)/collective-trajectories/kernels-<hash>   otherwise,
    <temp dir>/collective-trajectories-kernels-<uid>/<name>   when that folder cannot be created or
                                                              written (with one warning naming both).

Numba itself would fall back to the package's own __pycache__ (the stale-code cache above) when
its folder is not writable, so the folder is created and tested here first. A damaged cache file (a
truncated or foreign .nbi index or .nbc kernel: Numba raises an unpickling error on every run) is
deleted and its kernel compiled again, with one warning. `configure()` runs when `trajectories` is
imported, before any kernel is defined; `folder()` says where the kernels are cached.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
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


def fallback_folder(folder: Path) -> Path:
    """The folder used when `folder` is not writable: <temp dir>/collective-trajectories-kernels-<uid>/<its
    name> (not the folder of joblib's shared arrays, which runs sweep)."""
    uid = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"collective-trajectories-kernels-{uid}" / folder.name


def writable(folder: Path) -> str | None:
    """None when `folder` exists (created if needed) and a file can be written in it; else why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as err:
        return err.strerror or str(err)
    return None


def usable_folder(folder: Path) -> Path:
    """`folder` if it is writable, else fallback_folder(folder) with a warning naming both."""
    why = writable(folder)
    if why is None:
        return folder
    other = fallback_folder(folder)
    also = writable(other)
    warnings.warn(f"the kernel cache folder {folder} cannot be used ({why}): "
                  + (f"caching compiled kernels in {other} instead" if also is None else
                     f"nor can {other} ({also}): kernels may compile in every process")
                  + "; set NUMBA_CACHE_DIR (or XDG_CACHE_HOME) to a writable folder", RuntimeWarning, stacklevel=3)
    return other


_FOLDER: Path | None = None
_WARNED = False


def folder() -> Path:
    """The folder the compiled kernels are cached in (configure() sets it when trajectories is imported)."""
    return configure()


def configure() -> Path:
    """Point numba.config.CACHE_DIR at a usable `cache_folder` (once per process) and make Numba recover
    from damaged cache files in it; returns the folder."""
    global _FOLDER
    if _FOLDER is None:
        from numba.core import caching, config
        _FOLDER = usable_folder(cache_folder(getattr(config, "CACHE_DIR", "") or os.environ.get("NUMBA_CACHE_DIR")))
        config.CACHE_DIR = str(_FOLDER)
        _recover_damaged_files(caching.IndexDataCacheFile)
    return _FOLDER


def _recover_damaged_files(cls) -> None:
    """Wrap the index and data readers of Numba's cache files: in this package's folder a file that
    cannot be unpickled is deleted (the kernel compiles again and is saved afresh), with one warning
    per process. Other folders keep Numba's behaviour."""
    if getattr(cls, "_recovers_damaged_files", False):
        return
    load_index, load_data = cls._load_index, cls._load_data

    def _load_index(self):
        try:
            return load_index(self)
        except Exception as err:  # noqa: BLE001  (any unpickling failure: UnpicklingError, EOFError, ...)
            if not _ours(self._cache_path):
                raise
            _discard(Path(self._index_path), err)
            return {}

    def _load_data(self, name):
        try:
            return load_data(self, name)
        except OSError:
            raise
        except Exception as err:  # noqa: BLE001
            if not _ours(self._cache_path):
                raise
            _discard(Path(self._data_path(name)), err)
            raise OSError(f"damaged cache file {name}") from None  # load() then compiles the kernel

    cls._load_index, cls._load_data, cls._recovers_damaged_files = _load_index, _load_data, True


def _ours(path) -> bool:
    return _FOLDER is not None and Path(path).resolve().is_relative_to(_FOLDER.resolve())


def _discard(path: Path, err: BaseException) -> None:
    """Delete a damaged cache file; warn once per process."""
    global _WARNED
    try:
        path.unlink()
    except OSError:
        pass
    if not _WARNED:
        _WARNED = True
        warnings.warn(f"damaged kernel cache file {path} ({type(err).__name__}: {' '.join(str(err).split())[:80]}) "
                      f"discarded: the kernels it held compile again (cache folder {_FOLDER})",
                      RuntimeWarning, stacklevel=2)
