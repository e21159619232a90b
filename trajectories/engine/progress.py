"""A progress bar for long ensembles: trajectories done and an ETA (tqdm if installed, else plain)."""
from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Context manager; update(n) after n more trajectories. Does nothing when not enabled."""

    def __init__(self, total: int, done: int = 0, enabled: bool = True, stream=None):
        self.total, self.done, self.enabled = total, done, enabled
        self.stream = stream or sys.stderr
        self._bar = None
        self._start_done, self._t0, self._last = done, time.perf_counter(), 0.0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def __enter__(self):
        if self.enabled:
            try:
                from tqdm import tqdm
                self._bar = tqdm(total=self.total, initial=self.done, unit="traj", file=self.stream,
                                 dynamic_ncols=True, smoothing=0.1)
            except ImportError:
                self._bar = None
        return self

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            return
        now = time.perf_counter()
        if now - self._last >= (0.5 if self._tty else 10.0) or self.done >= self.total:
            self._last = now
            self._plain(now)

    def _plain(self, now: float) -> None:
        elapsed = now - self._t0
        rate = (self.done - self._start_done) / elapsed if elapsed > 0 else 0.0
        eta = _clock((self.total - self.done) / rate) if rate > 0 else "?"
        line = (f"{self.done}/{self.total} trajectories ({100 * self.done / self.total:.0f}%), "
                f"{_clock(elapsed)} elapsed, ETA {eta}")
        self.stream.write(("\r" + line) if self._tty else line + "\n")
        self.stream.flush()

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()
        elif self.enabled and self._tty:
            self.stream.write("\n")
        return False
