"""Jumps: which channel l, which target sector, and the Kraus map applied to psi.

A jump of channel l (operator o_l on block b) takes psi to K Gamma_l psi, normalised, with K one of
the Kraus operators K_{j_b -> j_b'} (docs/theory.md §2). Channel l is chosen with probability
<psi|Gamma_l Q_l Gamma_l|psi> / <A>, then K (j_b' in {j_b + 1, j_b, j_b - 1}, and for j_b' = j_b
K^(1) or K^(2)) with probability ||K Gamma_l psi||^2 over their sum. phi = Gamma_l psi is formed in
the global layout (layout.py) on both paths, in work, zero outside its box ws.wbox (box.py).
"""
from __future__ import annotations

import math
from typing import NamedTuple

from numba import njit

from .banded import trim_window
from .box import clear_box, copy_box, empty_box, flat_hull, nrows, row_base, sector_box, widen_block
from .dense import enter_sector, gamma_dense, scatter, sector_basis
from .layout import collective_entry, digit, ladder
from .paths import per_path
from .series import apply_gamma, series_box
from .workspace import refresh_block
from ..sectors.dicke import JUMP_TARGETS, KRAUS_SIGN, identity_kraus, kraus_coefficient


class Jump(NamedTuple):
    """A chosen jump: channel l through its Kraus operator `target` (a row of dicke.JUMP_TARGETS:
    j_b -> j_b + dj through K^(1), or K^(2) for dj = 0), with ||K Gamma_l psi||^2 = norm (phi =
    Gamma_l psi in work)."""
    l: int
    target: int
    norm: float


def gamma_psi(P, ws, l):
    """work = Gamma_l psi (G,) in the global layout, its box in ws.wbox (its old value cleared).
    Banded path: the table gtab; series path: the table, or the Chebyshev series of a polynomial
    channel (series.py, on the flat range of psi's box); dense path: the sector tuple's matrix,
    scattered on the tuple's box."""


@njit(cache=True)
def gamma_table(P, ws, l):
    gs = P.grid.gstride
    last = P.grid.nb.size - 1
    psi, box = ws.terms[0], ws.tbox[0]
    phi, pbox = ws.work, ws.wbox
    clear_box(gs, phi, pbox)
    copy_box(box, pbox)
    for r in range(nrows(box)):
        base = row_base(gs, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            phi[i] = P.rates.gtab[l, i] * psi[i]


@njit(cache=True)
def gamma_series(P, ws, l):
    p = P.series.of_channel[l]
    if p < 0:
        gamma_table(P, ws, l)
        return
    gs = P.grid.gstride
    psi, box = ws.terms[0], ws.tbox[0]
    clear_box(gs, ws.work, ws.wbox)
    lo, hi = flat_hull(gs, box)
    apply_gamma(P, ws.lad, ws.scratch[3:6], ws.real, l, psi, lo, hi, ws.work)
    series_box(P, p, box, 1, ws.wbox)


@njit(cache=True)
def gamma_sector(P, ws, l):
    phi, pbox = ws.work, ws.wbox
    clear_box(P.grid.gstride, phi, pbox)
    st = ws.state[0]
    sector_box(P.grid.nk, ws.tj, pbox)
    scatter(sector_basis(P, st.s), gamma_dense(P, l, st.s, ws.terms[0], ws.tbox[0, 1, P.grid.nb.size - 1]), phi)


per_path(gamma_psi, banded=gamma_table, series=gamma_series, dense=gamma_sector)


@njit(cache=True)
def no_jump_expect(P, l, j, phi, box):
    """<phi|Q_l|phi> for phi (G,) zero outside box in sector j of the channel's block, with
    Q_l = q_0 N_b + q_z J_z + r J_+ + r^* J_- (P.ch.noj[l] = (q_0, q_z, r))."""
    b = P.ch.block[l]
    last = P.grid.nb.size - 1
    n, stride = P.grid.nb[b], P.grid.gstride[b]
    q0, qz, r = P.ch.noj[l, 0].real, P.ch.noj[l, 1].real, P.ch.noj[l, 2]
    diag = 0.0
    off = 0.0j
    for row in range(nrows(box)):
        base = row_base(P.grid.gstride, box, row)
        for i in range(base + box[0, last], base + box[1, last]):
            k = digit(P.grid, i, b)
            m = 0.5 * n - k
            p = phi[i].real ** 2 + phi[i].imag ** 2
            diag += (q0 * n + qz * m) * p
            if r != 0 and k >= 1:  # <phi| J_+ |phi>: |m> -> |m + 1> at i - stride
                off += phi[i - stride].conjugate() * ladder(0, j, m) * phi[i]
    return diag + 2.0 * (r * off).real


@njit(cache=True)
def collective_norm(P, l, j, phi, box, wide):
    """||S_o phi||^2 / N_b of a collective channel l (phi (G,) zero outside box; wide (2, B) scratch)."""
    b = P.ch.block[l]
    last = P.grid.nb.size - 1
    c, n, nk, stride = P.ch.coef[l], P.grid.nb[b], P.grid.nk[b], P.grid.gstride[b]
    widen_block(box, b, 1, P.grid.nk, wide)
    acc = 0.0
    for row in range(nrows(wide)):
        base = row_base(P.grid.gstride, wide, row)
        for i in range(base + wide[0, last], base + wide[1, last]):
            acc += abs2(collective_element(c, n, nk, stride, j, phi, i, digit(P.grid, i, b)))
    return acc


@njit(cache=True)
def diagonal_weight(P, ws, l):
    """<psi|Gamma_l Q_l Gamma_l|psi> on the banded path when Q_l = q_0 N_b + q_z J_z is diagonal."""
    psi, box = ws.terms[0], ws.tbox[0]
    last = P.grid.nb.size - 1
    b = P.ch.block[l]
    n = P.grid.nb[b]
    q0, qz = P.ch.noj[l, 0].real, P.ch.noj[l, 1].real
    acc = 0.0
    for row in range(nrows(box)):
        base = row_base(P.grid.gstride, box, row)
        for i in range(base + box[0, last], base + box[1, last]):
            m = 0.5 * n - digit(P.grid, i, b)
            g = P.rates.gtab[l, i]
            acc += g * g * (q0 * n + qz * m) * (psi[i].real ** 2 + psi[i].imag ** 2)
    return acc


@njit(cache=True, inline="always")
def channel_weights(P, ws):
    """ws.w[l] = <psi|Gamma_l Q_l Gamma_l|psi> (L,) of the current psi; returns ws.w."""
    for l in range(P.ch.block.size):
        ws.w[l] = channel_weight(P, ws, l)
    return ws.w


def channel_weight(P, ws, l):
    """<psi|Gamma_l Q_l Gamma_l|psi>; on the banded paths a channel whose Gamma and Q are diagonal is
    summed without scratch (diagonal_weight), the others through Gamma_l psi (work)."""


@njit(cache=True)
def gamma_q_gamma(P, ws, l):
    """<psi|Gamma_l Q_l Gamma_l|psi> as ||S_o Gamma_l psi||^2 / N_b (collective) or
    <Gamma_l psi|Q_l|Gamma_l psi>, with Gamma_l psi left in work."""
    gamma_psi(P, ws, l)
    j = 0.5 * ws.tj[P.ch.block[l]]
    if P.ch.coll[l]:
        return collective_norm(P, l, j, ws.work, ws.wbox, ws.bx[0])
    return no_jump_expect(P, l, j, ws.work, ws.wbox)


@njit(cache=True)
def weight_banded(P, ws, l):
    if not P.ch.coll[l] and P.ch.noj[l, 2] == 0:
        return diagonal_weight(P, ws, l)
    return gamma_q_gamma(P, ws, l)


@njit(cache=True)
def weight_series(P, ws, l):
    if not P.ch.coll[l] and P.ch.noj[l, 2] == 0 and P.series.of_channel[l] < 0:
        return diagonal_weight(P, ws, l)
    return gamma_q_gamma(P, ws, l)


per_path(channel_weight, banded=weight_banded, series=weight_series, dense=gamma_q_gamma)


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
def collective_element(c, n, nk, stride, j, phi, i, k):
    """(S_o phi)[i] / sqrt(n) of a collective channel with coefficients c (4,) on a block of n spins
    (nk = n + 1 digits, global stride `stride`) in spin j, for phi (G,); k is the block's digit of
    index i."""
    if abs(0.5 * n - k) > j:
        return 0.0j
    v = 0.0j
    for dk in range(-1, 2):   # the source digit k + dk at index i + dk stride
        if k + dk < 0 or k + dk >= nk:
            continue
        v += collective_entry(c, n, j, k, k + dk) * phi[i + dk * stride]
    return v / math.sqrt(n)


@njit(cache=True)
def kraus_reach(P, l):
    """How far the Kraus operators of channel l move its block's digit: 1 when o has sigma_+ or
    sigma_- parts, else 0."""
    if P.ch.coef[l, 0] != 0 or P.ch.coef[l, 1] != 0 or P.ch.coll[l]:
        return 1
    return 0


@njit(cache=True)
def kraus_element(c, coll, n, nk, stride, dj, second, j, phi, i, k):
    """(K phi)[i] for phi (G,) in spin j of a block of n spins (nk = n + 1 digits, global
    stride `stride`, k the block's digit of index i): K = K_{j -> j + dj} of o = c_+ sigma_+ + c_- sigma_-
    + c_z sigma_z + c_1 1 (c (4,)), K^(2) if `second` (docs/theory.md §2, general local operators;
    sectors/dicke.py). A collective channel (coll) has the one operator S_o / sqrt(n), for dj = 0 and
    second = 0."""
    if coll:
        if dj != 0 or second:
            return 0.0j
        return collective_element(c, n, nk, stride, j, phi, i, k)
    m = 0.5 * n - k
    if abs(m) > j + dj:
        return 0.0j
    v = 0.0j
    if dj == 0 and c[3] != 0:
        diag, ident = identity_kraus(c[3], n, j)
        if second:
            return ident * phi[i]
        v = diag * phi[i]
    elif second:
        return 0.0j
    for q in range(3):  # c_+, c_-, c_z: source m_in = m - dm at index i + dm stride
        if c[q] == 0:
            continue
        dm = 1 if q == 0 else (-1 if q == 1 else 0)
        code = 1 if q == 0 else (0 if q == 1 else 2)   # dicke.OP_CODES
        if k + dm < 0 or k + dm >= nk or abs(m - dm) > j:
            continue
        v += c[q] * KRAUS_SIGN[code, 1 - dj] * kraus_coefficient(code, dj, n, j, m - dm) * phi[i + dm * stride]
    return v


@njit(cache=True, inline="always")
def sector_weights(P, ws, l):
    """The weights of the jumps of channel l: work = Gamma_l psi (G,) in the global layout and
    ws.tw[k] = ||K_k Gamma_l psi||^2 for the Kraus operators K_k of dicke.JUMP_TARGETS (zero for a
    target j_b + dj outside 0..N_b/2; a collective channel has its one operator in the j_b -> j_b
    slot); returns how many entries of ws.tw it wrote."""
    gamma_psi(P, ws, l)
    phi, box, tw = ws.work, ws.wbox, ws.tw
    b = P.ch.block[l]
    n, j = P.grid.nb[b], 0.5 * ws.tj[b]
    if P.ch.coll[l]:
        return set_weights(tw, 0.0, collective_norm(P, l, j, phi, box, ws.bx[0]), 0.0, 0.0)
    up, down = j + 1 <= 0.5 * n, j >= 1  # targets j_b + 1 and j_b - 1 exist
    if P.ch.single[l] >= 0:
        return single_weights(P, l, j, phi, box, up, down, tw)
    wide = ws.bx[0]
    widen_block(box, b, kraus_reach(P, l), P.grid.nk, wide)
    last = P.grid.nb.size - 1
    c, nk, stride = P.ch.coef[l], P.grid.nk[b], P.grid.gstride[b]
    n_up, n_eq, n_eq2, n_dn = 0.0, 0.0, 0.0, 0.0
    for row in range(nrows(wide)):
        base = row_base(P.grid.gstride, wide, row)
        for i in range(base + wide[0, last], base + wide[1, last]):
            k = digit(P.grid, i, b)
            if up:
                n_up += abs2(kraus_element(c, 0, n, nk, stride, 1, 0, j, phi, i, k))
            n_eq += abs2(kraus_element(c, 0, n, nk, stride, 0, 0, j, phi, i, k))
            if c[3] != 0:
                n_eq2 += abs2(kraus_element(c, 0, n, nk, stride, 0, 1, j, phi, i, k))
            if down:
                n_dn += abs2(kraus_element(c, 0, n, nk, stride, -1, 0, j, phi, i, k))
    return set_weights(tw, n_up, n_eq, n_eq2, n_dn)


@njit(cache=True, inline="always")
def set_weights(tw, up, stay, stay2, down):
    """tw[:4] = the weights of the four rows of dicke.JUMP_TARGETS; returns 4."""
    tw[0], tw[1], tw[2], tw[3] = up, stay, stay2, down
    return 4


@njit(cache=True)
def single_weights(P, l, j, phi, box, up, down, tw):
    """sector_weights of a channel whose operator is c sigma_-, c sigma_+ or c sigma_z: every Kraus
    operator has one element per column, so the norms are sums over the source entries."""
    b, code = P.ch.block[l], P.ch.single[l]
    last = P.grid.nb.size - 1
    n = P.grid.nb[b]
    n_up, n_eq, n_dn = 0.0, 0.0, 0.0
    for row in range(nrows(box)):
        base = row_base(P.grid.gstride, box, row)
        for i in range(base + box[0, last], base + box[1, last]):
            m = 0.5 * n - digit(P.grid, i, b)
            if abs(m) > j:
                continue
            p = phi[i].real ** 2 + phi[i].imag ** 2
            if up:
                cf = kraus_coefficient(code, 1, n, j, m)
                n_up += cf * cf * p
            cf = kraus_coefficient(code, 0, n, j, m)
            n_eq += cf * cf * p
            if down:
                cf = kraus_coefficient(code, -1, n, j, m)
                n_dn += cf * cf * p
    c2 = abs2(P.ch.coef[l, single_index(code)])
    return set_weights(tw, c2 * n_up, c2 * n_eq, 0.0, c2 * n_dn)


@njit(cache=True, inline="always")
def single_index(code):
    """The column of P.ch.coef (c_+, c_-, c_z, c_1) of the OP_CODES code (0 minus, 1 plus, 2 z)."""
    return 1 if code == 0 else (0 if code == 1 else 2)


@njit(cache=True, inline="always")
def abs2(z):
    """|z|^2."""
    return z.real ** 2 + z.imag ** 2


@njit(cache=True)
def choose_sector(l, tw, n, rng):
    """The Jump of channel l through Kraus operator k drawn with probability tw[k] / sum(tw[:n])
    (one uniform number; the last one when round-off leaves the draw past the sum)."""
    total = 0.0
    for k in range(n):
        total += tw[k]
    x = rng.random() * total
    cum = 0.0
    for k in range(n - 1):
        cum += tw[k]
        if x < cum:
            return Jump(l, k, tw[k])
    return Jump(l, n - 1, tw[n - 1])


@njit(cache=True)
def apply_kraus(P, l, dj, second, tj, phi, pbox, out, obox, scale):
    """out = scale K phi (G,) for phi zero outside pbox (K of channel l as in kraus_element); sets
    obox, the box of out, and clears it first (out must be zero outside it and must not be phi)."""
    b = P.ch.block[l]
    last = P.grid.nb.size - 1
    j = 0.5 * tj[b]
    widen_block(pbox, b, kraus_reach(P, l), P.grid.nk, obox)
    clear_box(P.grid.gstride, out, obox)
    code = P.ch.single[l]
    if code >= 0:   # one element per column: out[i + shift] = c (signed K^code) phi[i]
        shift = 0 if code == 2 else (P.grid.gstride[b] if code == 0 else -P.grid.gstride[b])
        c = scale * P.ch.coef[l, single_index(code)] * KRAUS_SIGN[code, 1 - dj]
        for row in range(nrows(pbox)):
            base = row_base(P.grid.gstride, pbox, row)
            for i in range(base + pbox[0, last], base + pbox[1, last]):
                m = 0.5 * P.grid.nb[b] - digit(P.grid, i, b)
                if abs(m) > j:
                    continue
                cf = kraus_coefficient(code, dj, P.grid.nb[b], j, m)
                if cf != 0.0:
                    out[i + shift] = c * cf * phi[i]
        return
    c, n, nk, stride, coll = P.ch.coef[l], P.grid.nb[b], P.grid.nk[b], P.grid.gstride[b], P.ch.coll[l]
    for row in range(nrows(obox)):
        base = row_base(P.grid.gstride, obox, row)
        for i in range(base + obox[0, last], base + obox[1, last]):
            out[i] = scale * kraus_element(c, coll, n, nk, stride, dj, second, j, phi, i, digit(P.grid, i, b))


@njit(cache=True, inline="always")
def apply_jump(P, ws, jump, trim):
    """psi = K Gamma_l psi / sqrt(jump.norm) (phi = Gamma_l psi in work) and tj_b += 2 dj."""
    kraus_update(P, ws, jump, trim)


def kraus_update(P, ws, jump, trim):
    """apply_jump on the compiled model's path: banded, psi's box and the tables of the block; dense,
    through the global layout into the new tuple's compact vector."""


@njit(cache=True)
def jump_banded(P, ws, jump, trim):
    scale = 1.0 / math.sqrt(jump.norm)
    b = P.ch.block[jump.l]
    dj, second = JUMP_TARGETS[jump.target, 0], JUMP_TARGETS[jump.target, 1]
    psi, box = ws.terms[0], ws.tbox[0]
    clear_box(P.grid.gstride, psi, box)
    apply_kraus(P, jump.l, dj, second, ws.tj, ws.work, ws.wbox, psi, box, scale)
    ws.tj[b] += 2 * dj
    trim_window(P.grid.gstride, psi, box, ws.bx[2], ws.bx[3], trim)
    if dj != 0:
        empty_box(ws.built)  # H_eff depends on j: rebuild the rate rows, refresh the tables
        refresh_block(P, ws, b)


@njit(cache=True)
def jump_dense(P, ws, jump, trim):
    scale = 1.0 / math.sqrt(jump.norm)
    b = P.ch.block[jump.l]
    dj, second = JUMP_TARGETS[jump.target, 0], JUMP_TARGETS[jump.target, 1]
    gbox = ws.bx[0]
    apply_kraus(P, jump.l, dj, second, ws.tj, ws.work, ws.wbox, ws.glob, gbox, scale)
    ws.tj[b] += 2 * dj
    enter_sector(P, ws, ws.glob)
    clear_box(P.grid.gstride, ws.glob, gbox)


per_path(kraus_update, banded=jump_banded, series=jump_banded, dense=jump_dense)
