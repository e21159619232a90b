"""Jumps: which channel l, which target sector, and the Kraus map applied to psi.

A jump of channel l (operator o_l on block b) takes psi to K Gamma_l psi, normalised, with K one of
the Kraus operators K_{j_b -> j_b'} (docs/theory.md §2). Channel l is chosen with probability
<psi|Gamma_l Q_l Gamma_l|psi> / <A>, then K (j_b' in {j_b + 1, j_b, j_b - 1}, and for j_b' = j_b
K^(1) or K^(2)) with probability ||K Gamma_l psi||^2 over their sum. phi = Gamma_l psi is formed in the global layout (layout.py) on both paths.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from numba import njit

from .banded import trim_window
from .compiled import BANDED
from .dense import clear, enter_sector, gamma_dense, scatter, sector_basis
from .layout import collective_entry, digit, ladder
from .series import apply_gamma, refresh_ladder
from ..sectors.dicke import KRAUS_SIGN, identity_kraus, kraus_coefficient


class Targets(NamedTuple):
    """The possible jumps of channel l: phi = Gamma_l psi in work on [lo, hi), and the weights
    ||K phi||^2 of dj = +1 (up), 0 (stay: K^(1); stay2: K^(2), non-zero only when the local
    operator has an identity part) and -1 (down)."""
    l: int
    lo: int
    hi: int
    up: float
    stay: float
    stay2: float
    down: float


class Jump(NamedTuple):
    """A chosen jump: channel l, j_b -> j_b + dj through K^(1) (second = 0) or, for dj = 0, K^(2)
    (second = 1), with ||K Gamma_l psi||^2 = norm, and the support [lo, hi) of phi = Gamma_l psi
    in work."""
    l: int
    dj: int
    second: int
    norm: float
    lo: int
    hi: int


@njit(cache=True)
def gamma_psi(P, ws, l):
    """work = Gamma_l psi (G,) in the global layout; returns its support [lo, hi). Banded path: the
    table gtab, or the Chebyshev series of a polynomial channel (series.py); on the dense path the
    caller clears it (dense.clear) when done."""
    st = ws.state[0]
    phi = ws.work
    if P.mode == BANDED and P.ch_poly[l] >= 0:
        return apply_gamma(P, ws.lad, ws.scratch[3:6], ws.real, l, ws.terms[0], st.lo, st.hi, phi)
    if P.mode == BANDED:
        for i in range(st.lo, st.hi):
            phi[i] = P.gtab[l, i] * ws.terms[0, i]
        return st.lo, st.hi
    idx = sector_basis(P, st.s)
    clear(phi, idx[0], idx[idx.size - 1] + 1)
    return scatter(idx, gamma_dense(P, l, st.s, ws.terms[0], st.hi), phi)


@njit(cache=True)
def no_jump_expect(P, l, j, phi, lo, hi):
    """<phi|Q_l|phi> for phi (G,) on [lo, hi) in sector j of the channel's block, with
    Q_l = q_0 N_b + q_z J_z + r J_+ + r^* J_- (P.ch_noj[l] = (q_0, q_z, r))."""
    b = P.ch_block[l]
    n, stride = P.nb[b], P.gstride[b]
    q0, qz, r = P.ch_noj[l, 0].real, P.ch_noj[l, 1].real, P.ch_noj[l, 2]
    diag = 0.0
    off = 0.0j
    for i in range(lo, hi):
        k = digit(P, i, b)
        m = 0.5 * n - k
        p = phi[i].real ** 2 + phi[i].imag ** 2
        diag += (q0 * n + qz * m) * p
        if r != 0 and k >= 1 and i - stride >= lo:  # <phi| J_+ |phi>: |m> -> |m + 1> at i - stride
            off += phi[i - stride].conjugate() * ladder(0, j, m) * phi[i]
    return diag + 2.0 * (r * off).real


@njit(cache=True)
def collective_norm(P, l, j, phi, lo, hi):
    """||S_o phi||^2 / N_b of a collective channel l (phi (G,) on [lo, hi))."""
    b = P.ch_block[l]
    c, n, nk, stride = P.ch_coef[l], P.nb[b], P.nk[b], P.gstride[b]
    acc = 0.0
    for i in range(max(lo - stride, 0), min(hi + stride, P.G)):
        acc += abs2(collective_element(c, n, nk, stride, j, phi, lo, hi, i, digit(P, i, b)))
    return acc


@njit(cache=True)
def diagonal_weight(P, ws, l):
    """<psi|Gamma_l Q_l Gamma_l|psi> on the banded path when Q_l = q_0 N_b + q_z J_z is diagonal."""
    st = ws.state[0]
    psi = ws.terms[0]
    b = P.ch_block[l]
    n = P.nb[b]
    q0, qz = P.ch_noj[l, 0].real, P.ch_noj[l, 1].real
    acc = 0.0
    for i in range(st.lo, st.hi):
        m = 0.5 * n - digit(P, i, b)
        g = P.gtab[l, i]
        acc += g * g * (q0 * n + qz * m) * (psi[i].real ** 2 + psi[i].imag ** 2)
    return acc


@njit(cache=True)
def channel_weights(P, ws):
    """ws.w[l] = <psi|Gamma_l Q_l Gamma_l|psi> (L,) of the current psi; returns ws.w."""
    for l in range(P.ch_block.size):
        if P.mode == BANDED and not P.ch_coll[l] and P.ch_noj[l, 2] == 0 and P.ch_poly[l] < 0:
            ws.w[l] = diagonal_weight(P, ws, l)   # Gamma and Q diagonal: no scratch needed
            continue
        lo, hi = gamma_psi(P, ws, l)
        j = 0.5 * ws.tj[P.ch_block[l]]
        if P.ch_coll[l]:
            ws.w[l] = collective_norm(P, l, j, ws.work, lo, hi)
        else:
            ws.w[l] = no_jump_expect(P, l, j, ws.work, lo, hi)
        if P.mode != BANDED:
            clear(ws.work, lo, hi)
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
def collective_element(c, n, nk, stride, j, phi, lo, hi, i, k):
    """(S_o phi)[i] / sqrt(n) of a collective channel with coefficients c (4,) on a block of n spins
    (nk = n + 1 digits, global stride `stride`) in spin j, for phi (G,) on [lo, hi); k is the
    block's digit of index i."""
    if abs(0.5 * n - k) > j:
        return 0.0j
    v = 0.0j
    for dk in range(-1, 2):   # the source digit k + dk at index i + dk stride
        src = i + dk * stride
        if k + dk < 0 or k + dk >= nk or src < lo or src >= hi:
            continue
        v += collective_entry(c, n, j, k, k + dk) * phi[src]
    return v / math.sqrt(n)


@njit(cache=True)
def kraus_reach(P, l):
    """How far (in global index) the Kraus operators of channel l move amplitude: the block's
    stride when o has sigma_+ or sigma_- parts, else 0."""
    if P.ch_coef[l, 0] != 0 or P.ch_coef[l, 1] != 0 or P.ch_coll[l]:
        return P.gstride[P.ch_block[l]]
    return 0


@njit(cache=True)
def kraus_element(c, coll, n, nk, stride, dj, second, j, phi, lo, hi, i, k):
    """(K phi)[i] for phi (G,) on [lo, hi) in spin j of a block of n spins (nk = n + 1 digits, global
    stride `stride`, k the block's digit of index i): K = K_{j -> j + dj} of o = c_+ sigma_+ + c_- sigma_-
    + c_z sigma_z + c_1 1 (c (4,)), K^(2) if `second` (docs/theory.md §2, general local operators;
    sectors/dicke.py). A collective channel (coll) has the one operator S_o / sqrt(n), for dj = 0 and
    second = 0."""
    if coll:
        if dj != 0 or second:
            return 0.0j
        return collective_element(c, n, nk, stride, j, phi, lo, hi, i, k)
    m = 0.5 * n - k
    if abs(m) > j + dj:
        return 0.0j
    v = 0.0j
    if dj == 0 and c[3] != 0:
        diag, ident = identity_kraus(c[3], n, j)
        if second:
            return ident * phi[i] if lo <= i < hi else 0.0j
        if lo <= i < hi:
            v = diag * phi[i]
    elif second:
        return 0.0j
    for q in range(3):  # c_+, c_-, c_z: source m_in = m - dm at index i + dm stride
        if c[q] == 0:
            continue
        dm = 1 if q == 0 else (-1 if q == 1 else 0)
        code = 1 if q == 0 else (0 if q == 1 else 2)   # dicke.OP_CODES
        src = i + dm * stride
        if k + dm < 0 or k + dm >= nk or src < lo or src >= hi or abs(m - dm) > j:
            continue
        v += c[q] * KRAUS_SIGN[code, 1 - dj] * kraus_coefficient(code, dj, n, j, m - dm) * phi[src]
    return v


@njit(cache=True)
def sector_weights(P, ws, l):
    """The Targets of channel l: work = Gamma_l psi (G,) in the global layout and its weights
    ||K Gamma_l psi||^2 for every Kraus operator, zero for a target j_b + dj outside 0..N_b/2."""
    lo, hi = gamma_psi(P, ws, l)
    phi = ws.work
    b = P.ch_block[l]
    n, j = P.nb[b], 0.5 * ws.tj[b]
    if P.ch_coll[l]:
        return Targets(l, lo, hi, 0.0, collective_norm(P, l, j, phi, lo, hi), 0.0, 0.0)
    up, down = j + 1 <= 0.5 * n, j >= 1  # targets j_b + 1 and j_b - 1 exist
    if P.ch_single[l] >= 0:
        return single_weights(P, l, j, phi, lo, hi, up, down)
    reach = kraus_reach(P, l)
    c, nk, stride = P.ch_coef[l], P.nk[b], P.gstride[b]
    n_up, n_eq, n_eq2, n_dn = 0.0, 0.0, 0.0, 0.0
    for i in range(max(lo - reach, 0), min(hi + reach, P.G)):
        k = digit(P, i, b)
        if up:
            n_up += abs2(kraus_element(c, 0, n, nk, stride, 1, 0, j, phi, lo, hi, i, k))
        n_eq += abs2(kraus_element(c, 0, n, nk, stride, 0, 0, j, phi, lo, hi, i, k))
        if c[3] != 0:
            n_eq2 += abs2(kraus_element(c, 0, n, nk, stride, 0, 1, j, phi, lo, hi, i, k))
        if down:
            n_dn += abs2(kraus_element(c, 0, n, nk, stride, -1, 0, j, phi, lo, hi, i, k))
    return Targets(l, lo, hi, n_up, n_eq, n_eq2, n_dn)


@njit(cache=True)
def single_weights(P, l, j, phi, lo, hi, up, down):
    """sector_weights of a channel whose operator is c sigma_-, c sigma_+ or c sigma_z: every Kraus
    operator has one element per column, so the norms are sums over the source entries."""
    b, code = P.ch_block[l], P.ch_single[l]
    n = P.nb[b]
    n_up, n_eq, n_dn = 0.0, 0.0, 0.0
    for i in range(lo, hi):
        m = 0.5 * n - digit(P, i, b)
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
    c2 = abs2(P.ch_coef[l, single_index(code)])
    return Targets(l, lo, hi, c2 * n_up, c2 * n_eq, 0.0, c2 * n_dn)


@njit(cache=True, inline="always")
def single_index(code):
    """The column of P.ch_coef (c_+, c_-, c_z, c_1) of the OP_CODES code (0 minus, 1 plus, 2 z)."""
    return 1 if code == 0 else (0 if code == 1 else 2)


@njit(cache=True, inline="always")
def abs2(z):
    """|z|^2."""
    return z.real ** 2 + z.imag ** 2


@njit(cache=True)
def choose_sector(targets, rng):
    """The Jump drawn with probability proportional to the targets' weights (one uniform
    number)."""
    t = targets
    x = rng.random() * (t.up + t.stay + t.stay2 + t.down)
    if x < t.up:
        return Jump(t.l, 1, 0, t.up, t.lo, t.hi)
    if x < t.up + t.stay:
        return Jump(t.l, 0, 0, t.stay, t.lo, t.hi)
    if x < t.up + t.stay + t.stay2:
        return Jump(t.l, 0, 1, t.stay2, t.lo, t.hi)
    return Jump(t.l, -1, 0, t.down, t.lo, t.hi)


@njit(cache=True)
def apply_kraus(P, l, dj, second, tj, phi, lo, hi, out, scale):
    """out = scale K phi (G,) for phi on [lo, hi) (K of channel l as in kraus_element); returns the
    support of out (out must not be phi)."""
    j = 0.5 * tj[P.ch_block[l]]
    reach = kraus_reach(P, l)
    olo = max(lo - reach, 0)
    ohi = min(hi + reach, P.G)
    code = P.ch_single[l]
    if code >= 0:   # one element per column: out[i + shift] = c (signed K^code) phi[i]
        b = P.ch_block[l]
        shift = 0 if code == 2 else (P.gstride[b] if code == 0 else -P.gstride[b])
        c = scale * P.ch_coef[l, single_index(code)] * KRAUS_SIGN[code, 1 - dj]
        for i in range(olo, ohi):
            out[i] = 0.0
        for i in range(lo, hi):
            m = 0.5 * P.nb[b] - digit(P, i, b)
            if abs(m) > j:
                continue
            cf = kraus_coefficient(code, dj, P.nb[b], j, m)
            if cf != 0.0:
                out[i + shift] = c * cf * phi[i]
        return olo, ohi
    b = P.ch_block[l]
    c, n, nk, stride, coll = P.ch_coef[l], P.nb[b], P.nk[b], P.gstride[b], P.ch_coll[l]
    for i in range(olo, ohi):
        out[i] = scale * kraus_element(c, coll, n, nk, stride, dj, second, j, phi, lo, hi, i, digit(P, i, b))
    return olo, ohi


@njit(cache=True)
def apply_jump(P, ws, jump, trim):
    """psi = K Gamma_l psi / sqrt(jump.norm) (phi = Gamma_l psi in work) and tj_b += 2 dj."""
    st = ws.state[0]
    out = ws.terms[0] if P.mode == BANDED else ws.glob
    lo, hi = apply_kraus(P, jump.l, jump.dj, jump.second, ws.tj, ws.work, jump.lo, jump.hi, out,
                         1.0 / math.sqrt(jump.norm))
    ws.tj[P.ch_block[jump.l]] += 2 * jump.dj
    if P.mode == BANDED:
        st.lo, st.hi = trim_window(out, lo, hi, trim)
        if jump.dj != 0:
            st.built_lo, st.built_hi = 0, 0  # H_eff depends on j: rebuild
            if P.poly_l.size:
                refresh_ladder(P, ws.tj, ws.lad, P.ch_block[jump.l])
    else:
        enter_sector(P, ws, out)
        clear(out, lo, hi)
