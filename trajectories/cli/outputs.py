"""Output paths of the command line, checked before any work: a run must never be lost at the end
(an unwritable folder, a parent that is a file, a directory or device as output) nor clobber an
earlier result (existing files are kept unless --force).
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def _first_existing(path: Path) -> Path:
    """The nearest ancestor of `path` (itself excluded) that exists."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def check_output(path, role: str, *, force: bool = True, keep: bool = False) -> Path:
    """Check that `role` (e.g. "results file") can be written at `path`; create its folder.

    Refused (ValueError, naming the path): a directory or non-regular file (device, FIFO, socket)
    at `path`, an existing file unless `force` (`keep` = it is a file this run resumes, never
    refused), a parent that is a file, a folder that cannot be created or written."""
    path = Path(path)
    if path.is_symlink() or path.exists():
        try:
            mode = path.stat().st_mode
        except OSError as err:
            raise ValueError(f"{role} {path}: {err.strerror}") from None
        if stat.S_ISDIR(mode):
            raise ValueError(f"{role} {path} is a directory: give a file name")
        if not stat.S_ISREG(mode):
            raise ValueError(f"{role} {path} is not a regular file (a device, FIFO or socket): "
                             "refusing to replace it, give a file name")
        if not force and not keep:
            raise ValueError(f"{role} {path} already exists: pass --force to overwrite it, or choose "
                             "another path (--output, --plot)")
    folder = path.parent
    anc = _first_existing(path)
    if not anc.is_dir():
        raise ValueError(f"cannot create the folder of {role} {path}: {anc} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"cannot create the folder {folder} for {role} {path}: {err.strerror}") from None
    check_writable(folder, role, path)
    return path


def check_writable(folder: Path, role: str, path: Path) -> None:
    """Create and delete a temporary file in `folder` (os.access is wrong for root, ACLs, read-only
    mounts); a failure is a ValueError naming the folder."""
    try:
        fd, name = tempfile.mkstemp(prefix=".trajectories-write-test-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise ValueError(f"cannot write {role} {path}: folder {folder} is not writable "
                         f"({err.strerror})") from None


def os_error_message(err: OSError, path, action: str = "write") -> str:
    """One line for an OS error while writing `path`, naming the path (not a temporary file)."""
    reason = err.strerror or str(err)
    return f"could not {action} {path}: {reason}"


def beside(results, suffix: str = ".png") -> Path:
    """The default plot of a results file: same folder and stem."""
    results = Path(results)
    return results.with_suffix(suffix)
