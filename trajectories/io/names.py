"""Names of the files derived from an output (checkpoint, lock, temporary file, heat maps): they stay
within the file system's limit on a name's length, so any name the system accepts for an output
also works for the files derived from it."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

#: the usual limit on a file name, in bytes (NAME_MAX), when the file system does not say
NAME_MAX = 255
#: hex digits of the hash that replaces the end of a shortened name
HASH_DIGITS = 16


def name_limit(folder) -> int:
    """The longest file name (bytes) in `folder` (or its nearest existing ancestor)."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):
        return NAME_MAX


def sibling(path, stem: str, suffix: str) -> Path:
    """The path `stem + suffix` in the folder of `path`; when that name is longer than the file
    system allows, `stem` is cut and ends in a hash of the whole stem (the same name every time, so
    a resumed run finds its checkpoint)."""
    folder = Path(path).parent
    name = stem + suffix
    limit = name_limit(folder)
    if len(os.fsencode(name)) <= limit:
        return folder / name
    tag = hashlib.sha256(os.fsencode(stem)).hexdigest()[:HASH_DIGITS]
    room = limit - len(os.fsencode(suffix)) - HASH_DIGITS - 1
    if room < 1:
        raise ValueError(f"cannot derive a file name ending in {suffix!r} beside {path}: the file system "
                         f"allows {limit} bytes")
    head = os.fsencode(stem)[:room].decode(errors="ignore")
    return folder / f"{head}-{tag}{suffix}"
