"""Banded path: H_eff x matrix-free on the box of x, and the window of the state.

H_eff = H - (i/2) A. The Hamiltonian's terms c T^b_q and c T^b_q T^g_r (compiled.ham_*) are
applied from per-block ladder tables of the current sector tuple, tab[b, q, k + 1] the element of
T^b_q into digit k (refresh_tables; zero past the ends, so no digit needs a bounds test), and the
diagonal of A from the grid table compiled.adiag (docs/theory.md §2). The J_+- parts of a local Q_l
and a collective channel's Gamma S_o^+ S_o Gamma / N_b hold products of Gamma values at two grid
points: they are "rate rows" in diagonal (DIA) storage, built on a box around the state and rebuilt
when j changes. Polynomial channels add theirs matrix-free (series.py). The state vanishes outside
its box (box.py), and a product costs the size of the box times the number of terms.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .box import inside, norm2, nrows, row_base, trim_faces, unbounded, widen
from .layout import DK, collective_entry, digit, ladder

#: the rate rows are built this many Taylor terms (times each block's reach) beyond the state's box
MARGIN_TERMS = 16


@njit(cache=True)
def refresh_tables(grid, tj, tab, b):
    """tab[b, q, k + 1] = the element of T^b_q into digit k from its source k - DK[q] in spin
    j = tj[b]/2 (J_+: sqrt(j(j+1) - m(m+1)) at the source m = N_b/2 - k - 1; J_-: at m = N_b/2 - k + 1;
    J_z: N_b/2 - k), zero for k = -1 and k = N_b + 1 (tab (B, 3, max N_b + 3))."""
    j, half = 0.5 * tj[b], 0.5 * grid.nb[b]
    for q in range(3):
        tab[b, q, 0] = 0.0
        tab[b, q, grid.nk[b] + 1] = 0.0
    for k in range(grid.nk[b]):
        tab[b, 0, k + 1] = ladder(0, j, half - k - 1)
        tab[b, 1, k + 1] = ladder(1, j, half - k + 1)
        tab[b, 2, k + 1] = half - k


@njit(cache=True)
def build_rates(P, tj, data, box):
    """Fill the rate rows (DIA, data (n_offsets, G)) of H_eff on the rows of box (2, B) for sector
    tuple tj: the J_+- parts of local Q_l and the collective channels."""
    last = P.grid.nb.size - 1
    for r in range(nrows(box)):
        base = row_base(P.grid.gstride, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            for d in range(P.rates.offsets.size):
                data[d, i] = 0.0
    if P.terms.lin_d.size or P.terms.quad_d.size:
        build_hamiltonian_rows(P, tj, data, box)
    if P.rates.noj_l.size:
        build_ladder_no_jump(P, tj, data, box)
    if P.rates.coll_l.size:
        build_collective(P, tj, data, box)


@njit(cache=True)
def build_hamiltonian_rows(P, tj, data, box):
    """Add the Hamiltonian's terms to the rows of box, for a model that stores them by diagonals
    (compiled.lin_d, quad_d: one with quadratic terms, whose many terms per offset make the
    matrix-free product slower than summed diagonals)."""
    B = P.grid.nb.size
    last = B - 1
    k = np.empty(B, np.int64)
    kc = np.empty(B, np.int64)
    for r in range(nrows(box)):
        base = row_base(P.grid.gstride, box, r)
        for b in range(last):
            k[b] = digit(P.grid, base, b)
        for i in range(base + box[0, last], base + box[1, last]):
            k[last] = i - base
            for t in range(P.terms.lin_d.size):
                b, q = P.terms.lin_b[t], P.terms.lin_q[t]
                kb = k[b] - DK[q]
                if 0 <= kb < P.grid.nk[b]:
                    data[P.terms.lin_d[t], i] += P.terms.lin_c[t] * ladder(q, 0.5 * tj[b], 0.5 * P.grid.nb[b] - kb)
            for t in range(P.terms.quad_d.size):
                b, q, g, rr = P.terms.quad_b[t], P.terms.quad_q[t], P.terms.quad_g[t], P.terms.quad_r[t]
                for a in range(B):
                    kc[a] = k[a]
                kc[b] -= DK[q]
                kc[g] -= DK[rr]
                if kc[b] < 0 or kc[b] >= P.grid.nk[b] or kc[g] < 0 or kc[g] >= P.grid.nk[g]:
                    continue
                mg = 0.5 * P.grid.nb[g] - kc[g]
                e1 = ladder(rr, 0.5 * tj[g], mg)
                if e1 != 0.0:
                    mb = mg - DK[rr] if b == g else 0.5 * P.grid.nb[b] - kc[b]
                    data[P.terms.quad_d[t], i] += P.terms.quad_c[t] * e1 * ladder(q, 0.5 * tj[b], mb)


@njit(cache=True)
def build_ladder_no_jump(P, tj, data, box):
    """Add -(i/2) Gamma_l (r J_+ + r^* J_-) Gamma_l, the J_+- part of a local Q_l, to the rows of box."""
    last = P.grid.nb.size - 1
    for row in range(nrows(box)):
        base = row_base(P.grid.gstride, box, row)
        for i in range(base + box[0, last], base + box[1, last]):
            for t in range(P.rates.noj_l.size):
                l = P.rates.noj_l[t]
                b = P.ch.block[l]
                r, st, j = P.ch.noj[l, 2], P.grid.gstride[b], 0.5 * tj[b]
                kb = digit(P.grid, i, b)
                if kb + 1 < P.grid.nk[b]:   # J_+ from k_b + 1 (index i + stride)
                    e = ladder(0, j, 0.5 * P.grid.nb[b] - kb - 1)
                    data[P.rates.noj_dp[t], i] += -0.5j * r * P.rates.gtab[l, i] * e * P.rates.gtab[l, i + st]
                if kb >= 1:            # J_- from k_b - 1 (index i - stride)
                    e = ladder(1, j, 0.5 * P.grid.nb[b] - kb + 1)
                    data[P.rates.noj_dm[t], i] += -0.5j * r.conjugate() * P.rates.gtab[l, i] * e * P.rates.gtab[l, i - st]


@njit(cache=True)
def build_collective(P, tj, data, box):
    """Add -(i/2) Gamma_l S_o^+ S_o Gamma_l / N_b of every collective channel to the rows of box."""
    last = P.grid.nb.size - 1
    for row in range(nrows(box)):
        base = row_base(P.grid.gstride, box, row)
        for i in range(base + box[0, last], base + box[1, last]):
            for t in range(P.rates.coll_l.size):
                add_collective_row(P, tj, data, t, i)


@njit(cache=True, inline="always")
def add_collective_row(P, tj, data, t, i):
    """Row i of collective channel t's -(i/2) Gamma S_o^+ S_o Gamma / N_b."""
    l = P.rates.coll_l[t]
    b = P.ch.block[l]
    st, j, n = P.grid.gstride[b], 0.5 * tj[b], P.grid.nb[b]
    k = digit(P.grid, i, b)
    for mid in range(-1, 2):       # (S_o^+)[i, i''] = conj(S_o[i'', i]), i'' = i + mid stride
        kmid = k + mid
        if kmid < 0 or kmid >= P.grid.nk[b]:
            continue
        left = collective_entry(P.ch.coef[l], n, j, kmid, k).conjugate()
        if left == 0:
            continue
        for c in range(-1, 2):     # S_o[i'', i'], i' = i'' + c stride
            kc = kmid + c
            if kc < 0 or kc >= P.grid.nk[b]:
                continue
            right = collective_entry(P.ch.coef[l], n, j, kmid, kc)
            col = i + (mid + c) * st
            data[P.rates.coll_d[t, mid + c + 2], i] += (-0.5j / n) * P.rates.gtab[l, i] * left * right * P.rates.gtab[l, col]


@njit(cache=True, inline="always")
def matvec_banded(H, x, xbox, y, ybox, c, f):
    """y = f (H_eff - c) x (G,) on ybox = xbox widened by H.bshift, for x zero outside xbox; y must
    be zero outside ybox beforehand and the rate rows of ybox built (H: workspace.Heff, which holds
    the few arrays this reads: a kernel that takes the whole compiled model pays for counting the
    references of its ~60 arrays at every call, more than this product costs on a small box)."""
    widen(xbox, H.bshift, H.nk, ybox)
    last = H.nk.size - 1
    G = H.G
    for r in range(nrows(ybox)):
        base = row_digits(H.gstride, ybox, r, H.kk)
        a, e = base + ybox[0, last], base + ybox[1, last]
        for i in range(a, e):
            y[i] = (f * complex(-c.real, -0.5 * H.adiag[i] - c.imag)) * x[i]
        for t in range(H.off.size):
            apply_term(H, t, f, x, y, base, a, e, G)
        for d in range(H.offsets.size):
            o = H.offsets[d]
            for i in range(max(a, -o), min(e, G - o)):
                y[i] += f * H.data[d, i] * x[i + o]


@njit(cache=True, inline="always")
def row_digits(gstride, box, r, kk):
    """row_base of row r of box, with the digits of its blocks before the last in kk."""
    base = 0
    for b in range(box.shape[1] - 2, -1, -1):
        w = box[1, b] - box[0, b]
        kk[b] = box[0, b] + r % w
        base += kk[b] * gstride[b]
        r //= w
    return base


@njit(cache=True, inline="always")
def apply_term(H, t, f, x, y, base, a, e, G):
    """y[i] += f (term t x)[i] on the row [a, e) (digits kk of the blocks before the last, base its
    global index at last digit 0): the factors on earlier blocks are constant along the row, those
    on the last block are read from its table."""
    last = H.nk.size - 1
    tab, kk = H.tab, H.kk
    o = H.off[t]
    coef = f * H.c[t]
    nvary = 0
    q1, d1, q2, d2 = 0, 0, 0, 0
    for u in range(H.nf[t]):
        b, q, dd = H.fb[t, u], H.fq[t, u], H.fd[t, u]
        if b != last:
            coef *= tab[b, q, kk[b] + dd + 1]
        elif nvary == 0:
            q1, d1, nvary = q, dd, 1
        else:
            q2, d2, nvary = q, dd, 2
    if coef == 0:
        return
    lo, hi = max(a, -o), min(e, G - o)
    s1, s2 = d1 + 1 - base, d2 + 1 - base    # table index of digit i - base
    if nvary == 0:
        for i in range(lo, hi):
            y[i] += coef * x[i + o]
    elif nvary == 1:
        for i in range(lo, hi):
            y[i] += coef * tab[last, q1, i + s1] * x[i + o]
    else:
        for i in range(lo, hi):
            y[i] += coef * (tab[last, q1, i + s1] * tab[last, q2, i + s2]) * x[i + o]


@njit(cache=True, inline="always")
def ensure_built(P, tj, data, built, xbox, need):
    """Build the rate rows of a box around xbox unless those of xbox widened by P.rates.bshift (need,
    (2, B) scratch) are built (built: (2, B) the rows built, an empty box after j changed). The new
    rows reach MARGIN_TERMS Taylor terms beyond xbox, so a step rarely rebuilds."""
    if P.rates.offsets.size == 0:
        return
    widen(xbox, P.rates.bshift, P.grid.nk, need)
    if inside(need, built):
        return
    for b in range(P.grid.nb.size):
        m = MARGIN_TERMS * max(P.rates.bshift[b], 1)
        built[0, b] = max(xbox[0, b] - m, 0)
        built[1, b] = min(xbox[1, b] + m, P.grid.nk[b])
    build_rates(P, tj, data, built)


@njit(cache=True)
def trim_window(gs, psi, box, keep, face, trim):
    """Shrink box past its faces with |psi_i|^2 <= trim ||psi||^2 (zeroed): the window of the
    state (keep: (2, B) scratch, face as in box.trim_faces)."""
    unbounded(keep)
    trim_faces(gs, psi, box, keep, trim * norm2(gs, psi, box), face)
