"""Output paths of the command line, checked before any work: a run must never be lost at the end
(an unwritable folder, a parent that is a file, a directory or device as output, two outputs that
are one file, a figure format matplotlib cannot write) nor clobber an earlier result or an input
(existing files are kept unless --force).
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import NamedTuple

from ..io.records import is_record_file


class Output(NamedTuple):
    """One output of a command: `role` names it and the option that sets it (e.g. "plot (--plot)");
    `folder` marks a records folder, inside which other outputs may lie."""
    role: str
    path: Path
    folder: bool = False


def _same(a: Path, b: Path) -> bool:
    """Whether two resolved paths are one file (also through a hard link)."""
    try:
        return a == b or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _clash(a: Output, pa: Path, b: Output, pb: Path) -> str | None:
    """Why `b` cannot be written beside output `a` (paths resolved), or None."""
    if _same(pa, pb):
        return f"{a.role} {a.path} and {b.role} {b.path} are the same path ({pa}): give them different paths"
    if pa in pb.parents and not a.folder:
        return f"{b.role} {b.path} would lie inside {a.role} {a.path}, a file: give them different paths"
    if pa == pb.parent and a.folder and is_record_file(pb.name):
        return f"{b.role} {b.path} is a file name of the records in {a.role} {a.path}: give another path"
    return None


def check_distinct(outputs, inputs=()) -> None:
    """ValueError naming both when two outputs (Output, None skipped) are one path, one lies inside
    another that is a file, or one takes the name of a records file; or when an output is one of
    the `inputs` ((role, path): a file the command reads). Paths are compared resolved (relative,
    `..` and symlinks followed; hard links of existing files too)."""
    items = [(o, Path(o.path).resolve()) for o in outputs if o is not None and o.path is not None]
    for i, (a, pa) in enumerate(items):
        for b, pb in items[i + 1:]:
            why = _clash(a, pa, b, pb) or _clash(b, pb, a, pa)
            if why:
                raise ValueError(why)
        for role, path in inputs:
            if _same(pa, Path(path).resolve()):
                raise ValueError(f"{a.role} {a.path} is the {role} {path}: refusing to replace it, give another path")


def figure_formats() -> list[str]:
    """The file suffixes (without the dot) matplotlib writes figures in."""
    from matplotlib.backend_bases import FigureCanvasBase
    return sorted(FigureCanvasBase.get_supported_filetypes())


def check_figure_suffix(path, role: str) -> None:
    """ValueError naming `role` and `path` unless its suffix is a format matplotlib writes (without
    one, matplotlib would add .png and write another file)."""
    suffix = Path(path).suffix.lower().lstrip(".")
    formats = figure_formats()
    if suffix not in formats:
        what = "has no file suffix" if not suffix else f"ends in .{suffix}, which matplotlib cannot write"
        raise ValueError(f"{role} {path} {what}: give a name ending in .png, .pdf or .svg "
                         f"(formats: {', '.join(formats)})")


def check_folder(path, role: str) -> Path:
    """Check that a folder `role` can be made at `path` (or is one); nothing is created."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{role} {path} is a file, not a folder: give a folder path")
    anc = path if path.is_dir() else _first_existing(path)
    if not anc.is_dir():
        raise ValueError(f"cannot create {role} {path}: {anc} is a file, not a folder")
    check_writable(anc, role, path)
    return path


def _first_existing(path: Path) -> Path:
    """The nearest ancestor of `path` (itself excluded) that exists."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return parent


def check_output(path, role: str, *, force: bool = True, keep: bool = False,
                 options: str = "--output, --plot") -> Path:
    """Check that `role` (e.g. "results file") can be written at `path`; create its folder.

    Refused (ValueError, naming the path): a directory or non-regular file (device, FIFO, socket)
    at `path`, an existing file unless `force` (`keep` = it is a file this run resumes, never
    refused; `options` choose another path), a parent that is a file, a folder that cannot be
    created or written."""
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
                             f"another path ({options})")
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
