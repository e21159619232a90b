"""One quantum-jump trajectory in total-spin sectors (docs/theory.md §2), as a loop of step kernels.

A trajectory is a vector psi in one sector tuple 2j = (2j_1, ..., 2j_B) (workspace.py). Between
jumps it evolves with H_eff = H - (i/2) A, A = sum_l Gamma_l Q_l Gamma_l; its squared norm decays
and a jump happens when it crosses a uniform random number r (waiting-time method):

    propagate       one no-jump Taylor step, up to the jump time if r is crossed (propagate.py)
    record          the moments at an output time (observables.py)
    choose_channel  channel l with probability <Gamma_l Q_l Gamma_l> / <A>       (jumps.py)
    choose_sector   j_b -> j_b + dj with probability ~ ||K_{j_b -> j_b + dj} Gamma_l psi||^2
    apply_jump      psi -> K Gamma_l psi, normalised

The banded path (banded.py; a Delta with x or y parts as a Chebyshev series, series.py) and the
dense path (dense.py) differ only inside these.
Random numbers are drawn in the order r, then per jump: channel, target, next r. What is recorded
never changes the trajectory: the same seed gives the same path whatever is asked for.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from .jumps import apply_jump, channel_weights, choose_channel, choose_sector, sector_weights
from .observables import record
from .propagate import propagate
from .workspace import Tolerances, load_state


@njit(cache=True)
def draw_threshold(st, rng):
    """A fresh waiting time in the state record st: lognorm = 0, logr = log r with r uniform, and
    the step size re-estimated."""
    st.lognorm = 0.0
    st.logr = math.log(rng.random())
    st.dt_guess = 0.0


class Outputs(NamedTuple):
    """What a trajectory records at the T output times (B blocks, R distributions with nbins bins
    in all, K diagonal observables; base/grid.py)."""
    first: np.ndarray    # (T, B, 3) complex <T^b_q>
    second: np.ndarray   # (T, 3B, 3B) complex <T^b_q T^g_r>
    bin_of: np.ndarray   # (R, G) int64 bin of each grid point in each distribution (input)
    table: np.ndarray    # (K, G) float values of the diagonal observables (input)
    hist: np.ndarray     # (T, nbins) float distributions
    obs: np.ndarray      # (T, K) float diagonal observables
    tj: np.ndarray       # (T, B) int64 the sector tuple 2j_b


@njit(cache=True)
def log_jump(log_t, log_l, log_tj, n, t, l, tj):
    """Entry n of the jump log (time t, channel l, sector tuple tj after the jump), the arrays
    doubled when full; returns the (possibly new) arrays."""
    if n == log_t.size:
        cap = max(2 * n, 16)
        new_t, new_l = np.empty(cap), np.empty(cap, np.int64)
        new_tj = np.empty((cap, tj.size), np.int64)
        for k in range(n):   # element loops: a slice assignment compiles its shape-error message
            new_t[k], new_l[k] = log_t[k], log_l[k]
            copy_row(log_tj[k], new_tj[k])
        log_t, log_l, log_tj = new_t, new_l, new_tj
    log_t[n], log_l[n] = t, l
    copy_row(tj, log_tj[n])
    return log_t, log_l, log_tj


@njit(cache=True, inline="always")
def copy_row(src, dst):
    """dst[:] = src for int arrays of equal length, element by element."""
    for k in range(src.size):
        dst[k] = src[k]


@njit(cache=True)
def run_trajectory(P, ws, psi0, times, rng, tol, root_tol, trim, out, log_jumps):
    """One trajectory from the normalised psi0 (G,) (global layout) in the sector tuple of the fresh
    workspace ws (workspace.workspace).

    Writes into `out` (Outputs) at every output time (times (T,) strictly increasing, >= 0):
    first[t, b, q] = <T^b_q>, second[t, 3b+q, 3g+r] = <T^b_q T^g_r>, the distributions and
    diagonal observables, and the sector tuple. Returns (njumps, jump_t (n,), jump_l (n,),
    jump_tj (n, B)): the jump log, with n = njumps when log_jumps is True, else n = 0. A step that
    cannot be integrated stops the trajectory with ws.state[0].fail set (propagate.py); the caller
    raises IntegrationError."""
    tols = Tolerances(tol, root_tol, trim)
    load_state(P, ws, psi0, trim)
    draw_threshold(ws.state[0], rng)
    log_t, log_l = np.empty(0), np.empty(0, np.int64)
    log_tj = np.empty((0, ws.tj.size), np.int64)
    it = 0
    njumps = 0
    while it < times.size and not ws.state[0].fail:
        if ws.state[0].t >= times[it]:
            record(P, ws, out.first[it], out.second[it], out.bin_of, out.table, out.hist[it], out.obs[it])
            copy_row(ws.tj, out.tj[it])
            it += 1
        elif propagate(P, ws, times[it], tols):
            l = choose_channel(channel_weights(P, ws), rng)
            jump = choose_sector(l, ws.tw, sector_weights(P, ws, l), rng)
            apply_jump(P, ws, jump, trim)
            draw_threshold(ws.state[0], rng)
            if log_jumps:
                log_t, log_l, log_tj = log_jump(log_t, log_l, log_tj, njumps, ws.state[0].t, l, ws.tj)
            njumps += 1
    n = njumps if log_jumps else 0
    return njumps, log_t[:n], log_l[:n], log_tj[:n]


def kernels_ready(args: tuple | None = None) -> bool:
    """Whether run_trajectory runs without compiling first for the types of `args` (its arguments;
    None: for any types): compiled in this process, or found in Numba's on-disk cache (an index
    entry for this source, these types and this CPU; loading it takes about a second, compiling
    tens of seconds). It reads Numba's cache index (an internal of Numba): when that is not as
    expected the answer is False, so at worst a compile notice is shown needlessly.
    """
    try:
        sig = None if args is None else tuple(run_trajectory.typeof_pyval(a) for a in args)
        if any(sig is None or tuple(s) == sig for s in run_trajectory.signatures):
            return True
        index = run_trajectory._cache._cache_file._load_index()
        magic = run_trajectory.targetctx.codegen().magic_tuple()
        return any(key[1] == magic and (sig is None or tuple(key[0]) == sig) for key in index)
    except Exception:  # noqa: BLE001  (Numba internals changed)
        return False
