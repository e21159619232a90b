"""Switching between two branches of a bistable series (docs/theory.md §13).

A sample is in branch +1 once x >= high, in branch -1 once x <= low, and keeps its label in
between (hysteresis: noise about one branch is not a switch); before either threshold is reached
the label is 0. Switches are treated as a Poisson process of one rate k out of either branch:
k = switches / exposure (the time spent labelled), standard error k / sqrt(switches).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..base.checks import check_times


class SwitchingRate(NamedTuple):
    """rate, stderr, n_switches, exposure (labelled time over all chains), mean_time = 1/rate and
    its error, first_passage (M,) time from the first labelled sample to the first switch (NaN
    when none: censored) and censored (chains without a switch)."""
    rate: float
    stderr: float
    n_switches: int
    exposure: float
    mean_time: float
    mean_time_stderr: float
    first_passage: np.ndarray
    censored: int


def _check(x, low, high) -> np.ndarray:
    for name, v in (("low", low), ("high", high)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.floating, np.integer)) or not np.isfinite(v):
            raise ValueError(f"{name} must be a finite number, got {v!r}")
    if not low < high:
        raise ValueError(f"the thresholds need low < high, got low = {low}, high = {high}")
    a = np.asarray(x, dtype=float)
    if a.ndim not in (1, 2) or a.shape[-1] < 1 or not np.all(np.isfinite(a)):
        raise ValueError(f"x must be a finite array of shape (n,) or (chains, n), got shape {a.shape}")
    return a


def branches(x, low: float, high: float) -> np.ndarray:
    """Hysteresis labels (+1, -1, 0 before the first threshold) shaped like x, int8."""
    a = _check(x, low, high)
    chains = np.atleast_2d(a)
    marks = np.where(chains >= high, 1, np.where(chains <= low, -1, 0)).astype(np.int8)
    out = np.zeros_like(marks)
    for i, row in enumerate(marks):
        idx = np.where(row != 0, np.arange(row.size), -1)
        last = np.maximum.accumulate(idx)            # the last sample that crossed a threshold
        out[i] = np.where(last >= 0, row[np.maximum(last, 0)], 0)
    return out.reshape(a.shape)


def switch_events(times, x, low: float, high: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per chain (switch times (s,), direction (s,) +1 for - -> +, -1 for + -> -): the sample times
    at which the opposite threshold is first reached."""
    t, labels = _labelled(times, x, low, high)
    return _events(t, labels)


def _labelled(times, x, low, high) -> tuple[np.ndarray, np.ndarray]:
    """(times (n,), branch labels (M, n)), checked against each other."""
    t = check_times(times)
    labels = np.atleast_2d(branches(x, low, high))
    if labels.shape[1] != t.size:
        raise ValueError(f"x has {labels.shape[1]} samples per chain, times has {t.size}")
    return t, labels


def _events(t: np.ndarray, labels: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for row in labels:
        i = np.flatnonzero((row[1:] != row[:-1]) & (row[:-1] != 0)) + 1
        out.append((t[i], row[i].astype(int)))
    return out


def switching_rate(times, x, low: float, high: float) -> SwitchingRate:
    """The switching rate of the chains x (M, n) sampled at `times` (n,): maximum likelihood for
    a Poisson process. No switch gives rate 0, stderr NaN and mean_time inf."""
    t, labels = _labelled(times, x, low, high)
    events = _events(t, labels)
    exposure, first = 0.0, np.full(len(labels), np.nan)
    for k, (row, (when, _)) in enumerate(zip(labels, events)):
        start = np.flatnonzero(row != 0)
        if start.size:
            exposure += t[-1] - t[start[0]]
            if when.size:
                first[k] = when[0] - t[start[0]]
    n = int(sum(len(w) for w, _ in events))
    if n == 0:
        return SwitchingRate(0.0, float("nan"), 0, exposure, float("inf"), float("nan"), first, len(labels))
    rate = n / exposure
    return SwitchingRate(rate, rate / np.sqrt(n), n, exposure, 1 / rate, 1 / rate / np.sqrt(n), first,
                         int(np.isnan(first).sum()))
