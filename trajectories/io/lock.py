"""A lock file that makes one run the owner of its outputs.

The lock is created atomically with its content (a private file hard-linked to the lock's name: of
two runs started together exactly one creates it, and no run sees it half written) and holds JSON: the pid, the host, the process's start time (Linux: field 22 of
/proc/<pid>/stat, so a recycled pid is not taken for the owner) and a random token. A second run
finds it and is refused while its owner lives. A lock whose owner is gone (on this host: no such
process, a zombie, or another process with that pid) is stale: one run at a time (a guard file
created with O_EXCL) checks that it still holds what was judged stale, removes it with a warning,
and every run tries to create the lock anew. A lock of another host cannot be checked and is never
broken. The owner removes its lock on exit, also on an error or KeyboardInterrupt (a SIGKILL
leaves it behind, stale).
"""
from __future__ import annotations

import datetime
import json
import os
import socket
import time
import uuid
import warnings
from pathlib import Path

from ..base.errors import LockedError
from .names import sibling

#: seconds a lock that cannot be read (being written, or damaged) counts as held
UNREADABLE_GRACE = 10.0
#: attempts at taking the lock before giving up (other runs replacing stale locks too)
ATTEMPTS = 50


def _process(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks) of process `pid` from /proc, or None when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], int(fields[19])
    except (OSError, IndexError, ValueError):
        return None


def _alive(pid: int, start) -> bool:
    """Whether process `pid` of this host runs and is the one that started at `start` (if known)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        pass
    except (OSError, OverflowError, ValueError):
        return False
    info = _process(pid)
    if info is None:
        return True
    return info[0] != "Z" and (start is None or info[1] == start)


def _read(path: Path) -> dict | None:
    """The lock's content, None when it cannot be read as a lock (missing, partial, damaged)."""
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    pid = info.get("pid") if isinstance(info, dict) else None
    ok = isinstance(pid, int) and not isinstance(pid, bool) and pid >= 1 and isinstance(info.get("host"), str)
    return info if ok else None


class OutputLock:
    """`with OutputLock(path, what):` owns `what` (e.g. "checkpoint r.checkpoint.npz") for the block.

    Raises LockedError naming the lock, the owner's pid and host when another live run holds it;
    replaces a stale lock with a warning."""

    def __init__(self, path, what: str):
        self.path, self.what = Path(path), what
        self.token = uuid.uuid4().hex
        self.held = False

    def __enter__(self) -> "OutputLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def _content(self) -> str:
        info = _process(os.getpid())
        return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "start": info and info[1],
                           "token": self.token,
                           "since": datetime.datetime.now().isoformat(timespec="seconds")})

    def _create(self) -> bool:
        """Create the lock atomically with its content (written to a private file, then hard-linked to
        the lock's name, which fails when the name exists: no run ever sees a partial lock); False
        when it exists. Where hard links are not supported, os.open with O_EXCL."""
        private = sibling(self.path, self.path.name, f".{self.token}")
        try:
            with open(private, "w") as f:
                f.write(self._content())
                f.flush()
                os.fsync(f.fileno())
            try:
                os.link(private, self.path)
                return True
            except FileExistsError:
                return False
            except OSError:
                return self._create_exclusive()
        finally:
            private.unlink(missing_ok=True)

    def _create_exclusive(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            with os.fdopen(fd, "w") as f:
                f.write(self._content())
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            self.path.unlink(missing_ok=True)
            raise
        return True

    def acquire(self) -> None:
        """Create the lock, replacing stale ones; LockedError while a live run holds it."""
        for _ in range(ATTEMPTS):
            if self._create():
                self.held = True
                return
            info = _read(self.path)
            if self._live(info):
                raise LockedError(self._refusal(info))
            self._break(info)
        raise LockedError(f"{self.what}: could not take the lock {self.path} (other runs keep replacing it)")

    def _live(self, info: dict | None) -> bool:
        if info is None:
            try:
                return time.time() - self.path.stat().st_mtime < UNREADABLE_GRACE
            except FileNotFoundError:
                return False
        return info["host"] != socket.gethostname() or _alive(info["pid"], info.get("start"))

    def _refusal(self, info: dict | None) -> str:
        if info is None:
            return (f"{self.what} is in use: the lock {self.path} is being written by another run "
                    "(try again in a few seconds)")
        here = info["host"] == socket.gethostname()
        where = "this host" if here else f"host {info['host']}"
        advice = ("wait for it to finish or stop it" if here else
                  "if that run is gone, delete the lock")
        return (f"{self.what} is in use by another run: process {info['pid']} on {where} holds the lock "
                f"{self.path} (since {info.get('since', '?')}): {advice}, or choose another --output")

    def _break(self, info: dict | None) -> None:
        """Remove the stale lock `info` (judged from its content). One run at a time breaks a lock
        (the guard file `<lock>.break`, created with O_EXCL), and only while it still holds `info`."""
        guard = sibling(self.path, self.path.name, ".break")
        try:
            os.close(os.open(guard, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        except FileExistsError:              # another run is breaking it: wait, unless that run died
            try:
                if time.time() - guard.stat().st_mtime > UNREADABLE_GRACE:
                    guard.unlink()
            except FileNotFoundError:
                pass
            time.sleep(0.02)
            return
        try:
            if not self._still_stale(info):
                return
            self.path.unlink()
        finally:
            guard.unlink(missing_ok=True)
        owner = "it could not be read" if info is None else f"its process {info['pid']} is no longer running"
        warnings.warn(f"removed the stale lock {self.path} of {self.what}: {owner}", stacklevel=3)

    def _still_stale(self, info: dict | None) -> bool:
        """Whether the lock still holds what was judged stale: the same content, or, judged
        unreadable, still unreadable and older than UNREADABLE_GRACE (never a lock that was missing
        when read and has been created since)."""
        try:
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return False
        current = _read(self.path)
        if info is None:
            return current is None and age >= UNREADABLE_GRACE
        return current == info

    def release(self) -> None:
        """Remove the lock if this run still owns it."""
        if self.held:
            info = _read(self.path)
            if info is not None and info.get("token") == self.token:
                self.path.unlink(missing_ok=True)
            self.held = False
