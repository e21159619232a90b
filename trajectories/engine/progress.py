"""A progress bar for long ensembles: trajectories done and an ETA (tqdm if installed, else plain).

The ETA leaves out each worker's first batch: that one also pays for starting the worker and
compiling (or loading) the Numba kernels, tens of seconds on a first run, which later batches
do not. It is measured from the moment the first `warmup` batches (one per worker) are in.
"""
from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    h, rest = divmod(seconds, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


class Progress:
    """Context manager; update(n) after a batch of n more trajectories. Does nothing when not enabled.

    Parameters
    ----------
    total, done : trajectories of the run, and those already done (a resumed checkpoint)
    enabled : show anything at all
    stream : where to write (default sys.stderr)
    warmup : batches whose time the ETA leaves out (one per worker: its start and kernel
        compilation); the ETA reads "?" until one batch after them is in
    clock : seconds as a float (time.perf_counter; a test passes a fake one)
    """

    def __init__(self, total: int, done: int = 0, enabled: bool = True, stream=None, warmup: int = 1,
                 clock=time.perf_counter):
        self.total, self.done, self.enabled = total, done, enabled
        self.stream = stream or sys.stderr
        self._bar = None
        self._now = clock
        self._t0, self._last = clock(), float("-inf")
        self._warmup = max(0, int(warmup))
        self._since = (self._t0, done) if self._warmup == 0 else None  # (time, done) the rate counts from
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

    def notice(self, text: str) -> None:
        """Write one line (e.g. that the kernels are being compiled), when enabled."""
        if self.enabled:
            self.stream.write(text + "\n")
            self.stream.flush()

    def update(self, n: int) -> None:
        self.done += n
        now = self._now()
        warmed = False
        if self._since is None:
            self._warmup -= 1
            warmed = self._warmup <= 0
            if warmed:
                self._since = (now, self.done)
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            if warmed:
                self._restart_bar()
            return
        if now - self._last >= (0.5 if self._tty else 10.0) or self.done >= self.total:
            self._last = now
            self._plain(now)

    def eta(self, now: float) -> float | None:
        """Seconds left at time `now` from the rate after the warm-up batches; None until known."""
        if self.done >= self.total:
            return 0.0
        if self._since is None:
            return None
        t, done = self._since
        if self.done <= done or now <= t:
            return None
        return (self.total - self.done) * (now - t) / (self.done - done)

    def _restart_bar(self) -> None:
        """Restart tqdm's clock and rate once the warm-up batches are in (its ETA starts then)."""
        bar = self._bar
        bar.reset(total=self.total)
        bar.initial = bar.n = bar.last_print_n = self.done
        bar.refresh()

    def _plain(self, now: float) -> None:
        left = self.eta(now)
        eta = "?" if left is None else _clock(left)
        line = (f"{self.done}/{self.total} trajectories ({100 * self.done / self.total:.0f}%), "
                f"{_clock(now - self._t0)} elapsed, ETA {eta}")
        self.stream.write(("\r" + line) if self._tty else line + "\n")
        self.stream.flush()

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.close()
        elif self.enabled and self._tty:
            self.stream.write("\n")
        return False
