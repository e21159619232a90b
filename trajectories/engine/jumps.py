"""Jumps: which channel l, which target sector, and the Kraus map applied to psi.

A jump of channel l (operator o_l on block b) takes psi to K_{j_b -> j_b'} Gamma_l psi, normalised
(docs/theory.md §2). Channel l is chosen with probability <psi|Gamma_l Q_l Gamma_l|psi> / <A>,
then the target j_b' in {j_b + 1, j_b, j_b - 1} with probability ||K_{j_b -> j_b'} Gamma_l psi||^2
over their sum. phi = Gamma_l psi is formed in the global layout (layout.py) on both paths.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from numba import njit

from .banded import trim_window
from .compiled import BANDED
from .dense import clear, enter_sector, gamma_dense, scatter, sector_basis
from .layout import digit
from ..sectors.dicke import kraus_coefficient, no_jump_weight


class Targets(NamedTuple):
    """The possible jumps of channel l: phi = Gamma_l psi in work on [lo, hi), and the weights
    ||K_{j_b -> j_b + dj} phi||^2 of dj = +1 (up), 0 (stay), -1 (down)."""
    l: int
    lo: int
    hi: int
    up: float
    stay: float
    down: float


class Jump(NamedTuple):
    """A chosen jump: channel l, j_b -> j_b + dj with ||K Gamma_l psi||^2 = norm, and the support
    [lo, hi) of phi = Gamma_l psi in work."""
    l: int
    dj: int
    norm: float
    lo: int
    hi: int


@njit(cache=True)
def channel_weights(P, ws):
    """ws.w[l] = <psi|Gamma_l Q_l Gamma_l|psi> (L,) of the current psi (Q_l diagonal); returns ws.w.

    Banded path: Gamma_l diagonal (gtab) on the window; dense path: Gamma_l psi per channel."""
    st = ws.state[0]
    psi = ws.terms[0]
    for l in range(P.ch_op.size):
        b = P.ch_block[l]
        acc = 0.0
        if P.mode == BANDED:
            for i in range(st.lo, st.hi):
                m = 0.5 * P.nb[b] - digit(P, i, b)
                g = P.gtab[l, i]
                acc += g * g * no_jump_weight(P.ch_op[l], P.nb[b], m) * (psi[i].real ** 2 + psi[i].imag ** 2)
        else:
            idx = sector_basis(P, st.s)
            phi = gamma_dense(P, l, st.s, psi, st.hi)
            for c in range(st.hi):
                m = 0.5 * P.nb[b] - digit(P, idx[c], b)
                acc += no_jump_weight(P.ch_op[l], P.nb[b], m) * (phi[c].real ** 2 + phi[c].imag ** 2)
        ws.w[l] = acc
    return ws.w


@njit(cache=True)
def choose_channel(w, rng):
    """Channel l drawn with probability w[l] / sum(w) from w (L,) (one uniform number)."""
    total = 0.0
    for l in range(w.size):
        total += w[l]
    x = rng.random() * total
    l = 0
    while l < w.size - 1 and x >= w[l]:
        x -= w[l]
        l += 1
    return l


@njit(cache=True)
def sector_weights(P, ws, l):
    """The Targets of channel l: work = Gamma_l psi (G,) in the global layout and its weights
    ||K_{j_b -> j_b + dj} Gamma_l psi||^2, zero for a target j_b + dj outside 0..N_b/2."""
    st = ws.state[0]
    phi = ws.work
    if P.mode == BANDED:
        lo, hi = st.lo, st.hi
        for i in range(lo, hi):
            phi[i] = P.gtab[l, i] * ws.terms[0, i]
    else:
        idx = sector_basis(P, st.s)
        clear(phi, idx[0], idx[idx.size - 1] + 1)
        lo, hi = scatter(idx, gamma_dense(P, l, st.s, ws.terms[0], st.hi), phi)
    b, op = P.ch_block[l], P.ch_op[l]
    n, j = P.nb[b], 0.5 * ws.tj[b]
    up, down = j + 1 <= 0.5 * n, j >= 1  # targets j_b + 1 and j_b - 1 exist
    n_up, n_eq, n_dn = 0.0, 0.0, 0.0
    for i in range(lo, hi):
        m = 0.5 * n - digit(P, i, b)
        if abs(m) > j:
            continue
        p = phi[i].real ** 2 + phi[i].imag ** 2
        if up:
            cf = kraus_coefficient(op, 1, n, j, m)
            n_up += cf * cf * p
        cf = kraus_coefficient(op, 0, n, j, m)
        n_eq += cf * cf * p
        if down:
            cf = kraus_coefficient(op, -1, n, j, m)
            n_dn += cf * cf * p
    return Targets(l, lo, hi, n_up, n_eq, n_dn)


@njit(cache=True)
def choose_sector(targets, rng):
    """The Jump to j_b + dj drawn with probability proportional to the targets' weights (one
    uniform number)."""
    x = rng.random() * (targets.up + targets.stay + targets.down)
    if x < targets.up:
        return Jump(targets.l, 1, targets.up, targets.lo, targets.hi)
    if x < targets.up + targets.stay:
        return Jump(targets.l, 0, targets.stay, targets.lo, targets.hi)
    return Jump(targets.l, -1, targets.down, targets.lo, targets.hi)


@njit(cache=True)
def apply_kraus(P, l, dj, tj, phi, lo, hi, out, scale):
    """out = scale K_{j_b -> j_b + dj} phi (G,) for phi on [lo, hi); returns the support of out."""
    b = P.ch_block[l]
    op = P.ch_op[l]
    j = 0.5 * tj[b]
    shift = 0 if op == 2 else (P.gstride[b] if op == 0 else -P.gstride[b])
    olo = max(lo + shift, 0)
    ohi = min(hi + shift, P.G)
    for i in range(olo, ohi):
        out[i] = 0.0
    for i in range(lo, hi):
        m = 0.5 * P.nb[b] - digit(P, i, b)
        if abs(m) > j:
            continue
        cf = kraus_coefficient(op, dj, P.nb[b], j, m)
        if cf != 0.0:
            out[i + shift] = scale * cf * phi[i]
    return olo, ohi


@njit(cache=True)
def apply_jump(P, ws, jump, trim):
    """psi = K Gamma_l psi / sqrt(jump.norm) (phi = Gamma_l psi in work) and tj_b += 2 dj."""
    st = ws.state[0]
    out = ws.terms[0] if P.mode == BANDED else ws.glob
    lo, hi = apply_kraus(P, jump.l, jump.dj, ws.tj, ws.work, jump.lo, jump.hi, out,
                         1.0 / math.sqrt(jump.norm))
    ws.tj[P.ch_block[jump.l]] += 2 * jump.dj
    if P.mode == BANDED:
        st.lo, st.hi = trim_window(out, lo, hi, trim)
        if jump.dj != 0:
            st.built_lo, st.built_hi = 0, 0  # H_eff depends on j: rebuild
    else:
        enter_sector(P, ws, out)
        clear(out, lo, hi)
