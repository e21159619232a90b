"""Gamma_l(Delta_l) applied without matrices: a Chebyshev series in Delta_l (docs/theory.md §15).

For a Delta with x or y parts in the quantisation frame Gamma_l(Delta_l) is not diagonal, but
Delta_l = c0 + sum_b r_b . m^b is tridiagonal in each block's Dicke basis and its spectrum in any
sector tuple lies in [c0 - R, c0 + R], R = sum_b |r_b|. With X = (Delta_l - c0) / R (spectrum in
[-1, 1])

    Gamma_l(Delta_l) x = sum_{k <= K} c_k T_k(X) x,   T_0 x = x, T_1 x = X x, T_{k+1} = 2 X T_k - T_{k-1},

where c_k are the Chebyshev coefficients of Gamma_l(c0 + R u) on [-1, 1], cut where their tail
(an upper bound of the error for every state) falls below tol max|Gamma|. A "polynomial channel"
is one whose Gamma is applied this way; H_eff then adds -(i/2) Gamma_l Q_l Gamma_l x to the banded
part (banded.py) as three matrix-free products. X is applied from per-block ladder tables
(ws.lad[b, k] = <k - 1| J_+ |k> in the block's current spin j), refreshed when j_b changes.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit
from scipy.fft import dct

from .box import copy_box, flat_hull, union
from .layout import collective_entry, digit, ladder

#: highest Chebyshev degree accepted for a rate function; a function that needs more (not smooth on
#: Delta's spectrum) is refused with the accuracy reached
MAX_DEGREE = 2000
#: the accuracy of the series is never asked below this (relative to max|Gamma|: double precision)
FLOOR = 1e-15


def chebyshev_series(f, center: float, radius: float, tol: float, name: str = "Gamma"):
    """(c, bound): Chebyshev coefficients c (K + 1,) of u -> f(center + radius u) on [-1, 1] with
    sum_{k > K} |c_k| <= tol max|f|, and bound = sum_k |c_k| >= max |sum_k c_k T_k(u)|.

    The coefficients come from interpolation at n Chebyshev points (a DCT), n doubled until the
    upper half of the coefficients is below the target (so aliasing cannot hide a tail). ValueError
    naming `name` when the degree would exceed MAX_DEGREE."""
    target_rel = max(tol, FLOOR)
    n = 64
    while True:
        u = np.cos(np.pi * (np.arange(n) + 0.5) / n)
        values = np.asarray(f(center + radius * u), dtype=float)
        c = dct(values, type=2) / n
        c[0] /= 2
        scale = max(float(np.max(np.abs(values))), 1e-300)
        target = target_rel * scale
        tail = np.cumsum(np.abs(c)[::-1])[::-1]          # tail[k] = sum_{k' >= k} |c_k'|
        if tail[n // 2] <= target / 16:
            K = max(int(np.argmax(tail <= target)) - 1, 0)
            if K <= MAX_DEGREE:
                c = c[:K + 1]
                return c, float(np.sum(np.abs(c)))
        if n >= 2 * MAX_DEGREE:
            raise ValueError(
                f"{name} is not smooth enough on the spectrum of its Delta, [{center - radius:.6g}, "
                f"{center + radius:.6g}], for a Chebyshev series: {MAX_DEGREE} terms leave an error of "
                f"{tail[MAX_DEGREE] / scale:.2g} of max|Gamma| (asked: {target_rel:.2g}); use a smooth "
                "rate function, options.tol closer to 1e-5, or options.method = 'dense' (a few hundred spins)")
        n *= 2


@njit(cache=True)
def refresh_ladder(grid, tj, lad, b):
    """lad[b, k] = <k - 1| J_+ |k> = sqrt((j - m)(j + m + 1)), m = N_b/2 - k, for j = tj[b]/2
    (zero where |m| > j, and lad[b, 0] = 0); lad (B, max N_b + 2), its entries k > N_b zero."""
    j = 0.5 * tj[b]
    for k in range(grid.nk[b]):
        lad[b, k] = ladder(0, j, 0.5 * grid.nb[b] - k)


@njit(cache=True, inline="always")
def first_digit(i, st, nk):
    """(k, rem): the digit k of index i for a block of stride st and nk digits, and how many indices
    from i on keep it (loops then track k without dividing)."""
    return (i // st) % nk, st - i % st


@njit(cache=True, inline="always")
def next_digit(k, rem, st, nk):
    """The digit and count of first_digit one index further on."""
    rem -= 1
    if rem == 0:
        return (k + 1 if k + 1 < nk else 0), st
    return k, rem


@njit(cache=True, inline="always")
def ladder_pass(y, x, a, e, shift, coef, table, offset, st, nk):
    """y[i] += coef table[k + offset] x[i + shift] for i in [a, e), k the block digit of i (st, nk):
    the J_+ part (shift st, offset 1) or the J_- part (shift -st, offset 0) of a block operator."""
    k, rem = first_digit(a, st, nk)
    for i in range(a, e):
        y[i] += coef * table[k + offset] * x[i + shift]
        k, rem = next_digit(k, rem, st, nk)


@njit(cache=True, inline="always")
def z_pass(y, x, a, e, coef, half, st, nk):
    """y[i] += coef (N_b/2 - k) x[i] for i in [a, e) (the J_z part of a block operator)."""
    k, rem = first_digit(a, st, nk)
    for i in range(a, e):
        y[i] += coef * (half - k) * x[i]
        k, rem = next_digit(k, rem, st, nk)


@njit(cache=True)
def delta_matvec(P, lad, p, x, lo, hi, y):
    """y = X_p x (G,) for x on [lo, hi), X_p = (Delta - c0)/R of polynomial channel p, i.e.
    sum_b (c_+ J_+ + c_- J_- + c_z J_z) on the blocks of P.series.blk[p] (coefficients P.series.coef[p, b]);
    returns the support of y. lad[b, N_b + 1] = lad[b, 0] = 0, so no digit needs a bounds test."""
    G = P.grid.G
    s = P.series.reach[p]
    ylo, yhi = max(lo - s, 0), min(hi + s, G)
    for i in range(ylo, yhi):
        y[i] = 0.0
    for t in range(P.series.nblk[p]):
        b = P.series.blk[p, t]
        st, nk, table = P.grid.gstride[b], P.grid.nk[b], lad[b]
        cp, cm, cz = P.series.coef[p, b, 0], P.series.coef[p, b, 1], P.series.coef[p, b, 2]
        if nk == G:   # a single block: the digit is the index
            if cz != 0:
                for i in range(lo, hi):
                    y[i] += cz * (0.5 * P.grid.nb[b] - i) * x[i]
            for i in range(max(lo - 1, 0), hi - 1):
                y[i] += cp * table[i + 1] * x[i + 1]
            for i in range(lo + 1, min(hi + 1, G)):
                y[i] += cm * table[i] * x[i - 1]
            continue
        if cz != 0:
            z_pass(y, x, lo, hi, cz, 0.5 * P.grid.nb[b], st, nk)
        ladder_pass(y, x, max(lo - st, 0), hi - st, st, cp, table, 1, st, nk)
        ladder_pass(y, x, lo + st, min(hi + st, G), -st, cm, table, 0, st, nk)
    return ylo, yhi


@njit(cache=True)
def apply_gamma(P, lad, cheb, real, l, x, lo, hi, out):
    """out = Gamma_l(Delta_l) x (G,) for x on [lo, hi) by the Chebyshev series of polynomial
    channel l; cheb (3, G) complex and real (8, G + 2 S) are scratch, out must not be x. Returns the
    support of out. An X_p of one block takes one_block_gamma (real arithmetic, one fused pass)."""
    p = P.series.of_channel[l]
    if P.series.nblk[p] == 1:
        return one_block_gamma(P, lad, real, p, x, lo, hi, out)
    c = P.series.cheb[p]
    K = P.series.deg[p]
    s = P.series.reach[p]
    olo, ohi = max(lo - K * s, 0), min(hi + K * s, P.grid.G)
    for i in range(olo, ohi):
        out[i] = 0.0
    prev = cheb[2]
    for i in range(lo, hi):
        prev[i] = x[i]
        out[i] = c[0] * x[i]
    if K == 0:
        return lo, hi
    cur, nxt = cheb[0], cheb[1]
    plo, phi = lo, hi
    clo, chi = delta_matvec(P, lad, p, prev, plo, phi, cur)
    for i in range(clo, chi):
        out[i] += c[1] * cur[i]
    for k in range(2, K + 1):     # T_k = 2 X T_{k-1} - T_{k-2}; supports nested
        nlo, nhi = delta_matvec(P, lad, p, cur, clo, chi, nxt)
        ck = c[k]
        for i in range(nlo, nhi):
            nxt[i] *= 2.0
        for i in range(plo, phi):
            nxt[i] -= prev[i]
        for i in range(nlo, nhi):
            out[i] += ck * nxt[i]
        prev, cur, nxt = cur, nxt, prev
        plo, phi, clo, chi = clo, chi, nlo, nhi
    return olo, ohi


@njit(cache=True)
def one_block_gamma(P, lad, real, p, x, lo, hi, out):
    """apply_gamma when X_p involves one block b (one block of spins, or Delta of one block, as for a
    tagged site), in real arithmetic. With c_+ = |c| e^{i phi} the diagonal phase D = e^{-i phi m_b}
    makes X_p = D^+ X_r D, X_r = c_z J_z + |c| (J_+ + J_-) real and symmetric, so
    Gamma(X_p) x = D^+ Gamma(X_r) D x runs the recurrence on the real and imaginary parts apart
    (P.series.phase[p, i] = e^{-i phi m_b(i)}). real (8, G + 2 S) holds the six recurrence vectors and
    the two parts of the sum, entry i at i + st (st the block's stride <= S): reads past the ends
    land in zeros, and the entries next to each support are zeroed before they are read, so one
    fused pass per step needs no bounds tests."""
    b = P.series.blk[p, 0]
    G, K, c, ph, st = P.grid.G, P.series.deg[p], P.series.cheb[p], P.series.phase[p], P.grid.gstride[b]
    cz, ca = P.series.coef[p, b, 2].real, abs(P.series.coef[p, b, 0])
    olo, ohi = max(lo - K * st, 0), min(hi + K * st, G)
    pr, pim, cr, ci, nr, ni, sr, si = real[0], real[1], real[2], real[3], real[4], real[5], real[6], real[7]
    for i in range(olo, ohi):
        sr[i + st] = 0.0
        si[i + st] = 0.0
    for i in range(lo, hi):       # T_0 = D x
        v = ph[i] * x[i]
        pr[i + st], pim[i + st] = v.real, v.imag
        sr[i + st], si[i + st] = c[0] * v.real, c[0] * v.imag
    plo, phi = lo, hi
    clo, chi = max(lo - st, 0), min(hi + st, G)
    if K >= 1:                    # T_1 = X_r T_0 (prev unused: scale 1, nothing subtracted)
        zero_margins(pr, pim, plo, phi, clo - st, chi + st, G, st)
        chebyshev_step(P, lad[b], b, cz, ca, c[1], 1.0, pr, pim, pr, pim, cr, ci, sr, si, clo, chi)
    for k in range(2, K + 1):     # T_k = 2 X_r T_{k-1} - T_{k-2}
        nlo, nhi = max(clo - st, 0), min(chi + st, G)
        zero_margins(cr, ci, clo, chi, nlo - st, nhi + st, G, st)
        zero_margins(pr, pim, plo, phi, nlo, nhi, G, st)
        chebyshev_step(P, lad[b], b, cz, ca, c[k], 2.0, cr, ci, pr, pim, nr, ni, sr, si, nlo, nhi)
        pr, pim, cr, ci, nr, ni = cr, ci, nr, ni, pr, pim
        plo, phi, clo, chi = clo, chi, nlo, nhi
    for i in range(olo, ohi):     # out = D^+ sum_k c_k T_k
        out[i] = ph[i].conjugate() * complex(sr[i + st], si[i + st])
    return olo, ohi


@njit(cache=True, inline="always")
def chebyshev_step(P, table, b, cz, ca, ck, scale, cr, ci, pr, pim, nr, ni, sr, si, a, e):
    """n = scale X_r c - (scale - 1) p and s += ck n on [a, e), for the real and imaginary parts
    (vectors shifted by the block's stride st; scale 1: the first step, p unused). The block digit
    is the index on a single block, else tracked without dividing."""
    st, nk, half = P.grid.gstride[b], P.grid.nk[b], 0.5 * P.grid.nb[b]
    sub = scale - 1.0
    if nk == P.grid.G:
        for i in range(a, e):
            d, tp, tm = cz * (half - i), ca * table[i + 1], ca * table[i]
            vr = scale * (d * cr[i + 1] + tp * cr[i + 2] + tm * cr[i]) - sub * pr[i + 1]
            vi = scale * (d * ci[i + 1] + tp * ci[i + 2] + tm * ci[i]) - sub * pim[i + 1]
            nr[i + 1], ni[i + 1] = vr, vi
            sr[i + 1] += ck * vr
            si[i + 1] += ck * vi
        return
    k, rem = first_digit(a, st, nk)
    for i in range(a, e):
        j = i + st
        d, tp, tm = cz * (half - k), ca * table[k + 1], ca * table[k]
        vr = scale * (d * cr[j] + tp * cr[j + st] + tm * cr[j - st]) - sub * pr[j]
        vi = scale * (d * ci[j] + tp * ci[j + st] + tm * ci[j - st]) - sub * pim[j]
        nr[j], ni[j] = vr, vi
        sr[j] += ck * vr
        si[j] += ck * vi
        k, rem = next_digit(k, rem, st, nk)


@njit(cache=True, inline="always")
def zero_margins(a, b, lo, hi, rlo, rhi, G, sh):
    """Zero the shifted vectors a, b (entry i at i + sh) on [rlo, rhi) outside their support
    [lo, hi) (indices -sh..G + sh - 1 allowed)."""
    for i in range(max(rlo, -sh), lo):
        a[i + sh] = 0.0
        b[i + sh] = 0.0
    for i in range(hi, min(rhi, G + sh)):
        a[i + sh] = 0.0
        b[i + sh] = 0.0


@njit(cache=True)
def apply_no_jump(P, lad, l, tj, x, lo, hi, out, tmp):
    """out = Q_l x (G,) for x on [lo, hi): a local channel's Q_l = q_0 N_b + q_z J_z + r J_+ + r^* J_-,
    or a collective channel's S_o^+ S_o / N_b (tmp (G,) scratch). Returns the support of out."""
    b = P.ch.block[l]
    st, n, nk = P.grid.gstride[b], P.grid.nb[b], P.grid.nk[b]
    if P.ch.coll[l]:
        j = 0.5 * tj[b]
        c = P.ch.coef[l]
        tlo, thi = max(lo - st, 0), min(hi + st, P.grid.G)
        for i in range(tlo, thi):       # tmp = S_o x / sqrt(n)
            k = digit(P.grid, i, b)
            v = 0.0j
            for dk in range(-1, 2):
                src = i + dk * st
                if 0 <= k + dk < nk and lo <= src < hi:
                    v += collective_entry(c, n, j, k, k + dk) * x[src]
            tmp[i] = v / math.sqrt(n)
        olo, ohi = max(tlo - st, 0), min(thi + st, P.grid.G)
        for i in range(olo, ohi):       # out = S_o^+ tmp / sqrt(n)
            k = digit(P.grid, i, b)
            v = 0.0j
            for dk in range(-1, 2):
                src = i + dk * st
                if 0 <= k + dk < nk and tlo <= src < thi:
                    v += collective_entry(c, n, j, k + dk, k).conjugate() * tmp[src]
            out[i] = v / math.sqrt(n)
        return olo, ohi
    q0, qz, r = P.ch.noj[l, 0].real, P.ch.noj[l, 1].real, P.ch.noj[l, 2]
    s = st if r != 0 else 0
    olo, ohi = max(lo - s, 0), min(hi + s, P.grid.G)
    for i in range(olo, ohi):
        out[i] = q0 * n * x[i] if lo <= i < hi else 0.0j
    if qz != 0:
        z_pass(out, x, lo, hi, qz + 0.0j, 0.5 * n, st, nk)
    if s:
        ladder_pass(out, x, max(lo - st, 0), hi - st, st, r, lad[b], 1, st, nk)
        ladder_pass(out, x, lo + st, min(hi + st, P.grid.G), -st, r.conjugate(), lad[b], 0, st, nk)
    return olo, ohi


@njit(cache=True)
def series_box(P, p, xbox, applications, out):
    """out = xbox widened by `applications` times the degree of polynomial channel p's series on the
    blocks X_p involves, and by 2 on the channel's block (Q_l): a box holding Gamma_l x
    (applications = 1) or Gamma_l Q_l Gamma_l x (2) for x zero outside xbox."""
    copy_box(xbox, out)
    for t in range(P.series.nblk[p]):
        b = P.series.blk[p, t]
        out[0, b] = max(out[0, b] - applications * P.series.deg[p], 0)
        out[1, b] = min(out[1, b] + applications * P.series.deg[p], P.grid.nk[b])
    if applications == 2:
        b = P.ch.block[P.series.channel[p]]
        out[0, b] = max(out[0, b] - 2, 0)
        out[1, b] = min(out[1, b] + 2, P.grid.nk[b])


@njit(cache=True)
def add_polynomial_channels(P, lad, tj, scratch, real, x, xbox, y, ybox, tmp, f):
    """y += -(i f/2) sum_l Gamma_l Q_l Gamma_l x over the polynomial channels, for x zero outside xbox
    and y outside ybox (2, B), which grows to hold the sum (tmp: (2, B) scratch). The series run on
    the flat range of xbox (box.flat_hull), whose entries outside xbox are zero."""
    lo, hi = flat_hull(P.grid.gstride, xbox)
    ylo, yhi = flat_hull(P.grid.gstride, ybox)
    add_polynomial_flat(P, lad, tj, scratch, real, x, lo, hi, y, ylo, yhi, f)
    for p in range(P.series.channel.size):
        series_box(P, p, xbox, 2, tmp)
        union(ybox, tmp, ybox)


@njit(cache=True)
def add_polynomial_flat(P, lad, tj, scratch, real, x, lo, hi, y, ylo, yhi, f):
    """y += -(i f/2) sum_l Gamma_l Q_l Gamma_l x over the polynomial channels, for x on [lo, hi) and
    y on [ylo, yhi); scratch (6, G) complex, real (8, G + 2). Returns the new support of y."""
    a, q, tmp, cheb = scratch[0], scratch[1], scratch[2], scratch[3:6]
    for p in range(P.series.channel.size):
        l = P.series.channel[p]
        alo, ahi = apply_gamma(P, lad, cheb, real, l, x, lo, hi, a)
        qlo, qhi = apply_no_jump(P, lad, l, tj, a, alo, ahi, q, tmp)
        alo, ahi = apply_gamma(P, lad, cheb, real, l, q, qlo, qhi, a)
        new_lo, new_hi = min(ylo, alo), max(yhi, ahi)
        for i in range(new_lo, ylo):
            y[i] = 0.0
        for i in range(yhi, new_hi):
            y[i] = 0.0
        ylo, yhi = new_lo, new_hi
        for i in range(alo, ahi):
            y[i] += -0.5j * f * a[i]
    return ylo, yhi
