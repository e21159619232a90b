"""Banded path: H_eff in diagonal (DIA) storage on rows of the global layout, and the window.

For the channels whose Delta_l involves only z components Gamma_l is diagonal on the global
layout (compiled.gtab) and their part of H_eff couples index i only to i + offsets[d]
(docs/theory.md §2); the other channels add theirs matrix-free (series.py). The state vanishes
outside its box (box.py: a digit range per block), H_eff is built only on the rows of a box
around it, and a product H_eff x costs the size of x's box times the number of offsets.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .box import inside, norm2, nrows, row_base, trim_faces, unbounded, widen
from .layout import DK, collective_entry, digit, ladder

#: the DIA rows are built this many Taylor terms (times each block's reach) beyond the state's box
MARGIN_TERMS = 16


@njit(cache=True)
def build_banded(P, tj, data, box):
    """Fill data[:, i] (n_offsets, G) for the rows i of box (2, B) with the Hamiltonian and diagonal
    no-jump part of H_eff of sector tuple tj (B,): (H_eff x)[i] = sum_d data[d, i] x[i + offsets[d]]
    (build_heff adds the rest)."""
    B = P.nb.size
    last = B - 1
    k = np.empty(B, np.int64)
    kc = np.empty(B, np.int64)
    for r in range(nrows(box)):
        base = row_base(P.gstride, box, r)
        for b in range(last):
            k[b] = digit(P, base, b)
        for i in range(base + box[0, last], base + box[1, last]):
            k[last] = i - base
            for d in range(P.offsets.size):
                data[d, i] = 0.0
            for t in range(P.lin_b.size):
                b, q = P.lin_b[t], P.lin_q[t]
                kb = k[b] - DK[q]
                if kb < 0 or kb >= P.nk[b]:
                    continue
                data[P.lin_d[t], i] += P.lin_c[t] * ladder(q, 0.5 * tj[b], 0.5 * P.nb[b] - kb)
            for t in range(P.quad_b.size):
                b, q, g, rr = P.quad_b[t], P.quad_q[t], P.quad_g[t], P.quad_r[t]
                for a in range(B):
                    kc[a] = k[a]
                kc[b] -= DK[q]
                kc[g] -= DK[rr]
                if kc[b] < 0 or kc[b] >= P.nk[b] or kc[g] < 0 or kc[g] >= P.nk[g]:
                    continue
                mg = 0.5 * P.nb[g] - kc[g]
                e1 = ladder(rr, 0.5 * tj[g], mg)
                if e1 == 0.0:
                    continue
                mb = mg - DK[rr] if b == g else 0.5 * P.nb[b] - kc[b]
                data[P.quad_d[t], i] += P.quad_c[t] * e1 * ladder(q, 0.5 * tj[b], mb)
            data[P.diag0, i] += -0.5j * P.adiag[i]


@njit(cache=True)
def build_heff(P, tj, data, box):
    """Fill the rows of box (2, B) of data with H_eff of sector tuple tj: build_banded, then the
    channels' terms that are not diagonal (J_+- parts of local Q_l, collective channels). Kept apart
    from build_banded, whose loop Numba optimises better alone."""
    build_banded(P, tj, data, box)
    if P.noj_l.size:
        build_ladder_no_jump(P, tj, data, box)
    if P.coll_l.size:
        build_collective(P, tj, data, box)


@njit(cache=True)
def build_ladder_no_jump(P, tj, data, box):
    """Add -(i/2) Gamma_l (r J_+ + r^* J_-) Gamma_l, the J_+- part of a local Q_l, to the rows of box."""
    last = P.nb.size - 1
    for row in range(nrows(box)):
        base = row_base(P.gstride, box, row)
        for i in range(base + box[0, last], base + box[1, last]):
            for t in range(P.noj_l.size):
                l = P.noj_l[t]
                b = P.ch_block[l]
                r, st, j = P.ch_noj[l, 2], P.gstride[b], 0.5 * tj[b]
                kb = digit(P, i, b)
                if kb + 1 < P.nk[b]:   # J_+ from k_b + 1 (index i + stride)
                    e = ladder(0, j, 0.5 * P.nb[b] - kb - 1)
                    data[P.noj_dp[t], i] += -0.5j * r * P.gtab[l, i] * e * P.gtab[l, i + st]
                if kb >= 1:            # J_- from k_b - 1 (index i - stride)
                    e = ladder(1, j, 0.5 * P.nb[b] - kb + 1)
                    data[P.noj_dm[t], i] += -0.5j * r.conjugate() * P.gtab[l, i] * e * P.gtab[l, i - st]


@njit(cache=True)
def build_collective(P, tj, data, box):
    """Add -(i/2) Gamma_l S_o^+ S_o Gamma_l / N_b of every collective channel to the rows of box."""
    last = P.nb.size - 1
    for row in range(nrows(box)):
        base = row_base(P.gstride, box, row)
        for i in range(base + box[0, last], base + box[1, last]):
            for t in range(P.coll_l.size):
                add_collective_row(P, tj, data, t, i)


@njit(cache=True, inline="always")
def add_collective_row(P, tj, data, t, i):
    """Row i of collective channel t's -(i/2) Gamma S_o^+ S_o Gamma / N_b."""
    l = P.coll_l[t]
    b = P.ch_block[l]
    st, j, n = P.gstride[b], 0.5 * tj[b], P.nb[b]
    k = digit(P, i, b)
    for mid in range(-1, 2):       # (S_o^+)[i, i''] = conj(S_o[i'', i]), i'' = i + mid stride
        kmid = k + mid
        if kmid < 0 or kmid >= P.nk[b]:
            continue
        left = collective_entry(P.ch_coef[l], n, j, kmid, k).conjugate()
        if left == 0:
            continue
        for c in range(-1, 2):     # S_o[i'', i'], i' = i'' + c stride
            kc = kmid + c
            if kc < 0 or kc >= P.nk[b]:
                continue
            right = collective_entry(P.ch_coef[l], n, j, kmid, kc)
            col = i + (mid + c) * st
            data[P.coll_d[t, mid + c + 2], i] += (-0.5j / n) * P.gtab[l, i] * left * right * P.gtab[l, col]


@njit(cache=True)
def matvec_banded(P, data, x, xbox, y, ybox):
    """y = H_eff x (G,) on ybox = xbox widened by P.bshift (the DIA rows data of ybox built), for x
    zero outside xbox; y must be zero outside ybox beforehand."""
    widen(xbox, P.bshift, P.nk, ybox)
    last = P.nb.size - 1
    G = P.G
    for r in range(nrows(ybox)):
        base = row_base(P.gstride, ybox, r)
        a, e = base + ybox[0, last], base + ybox[1, last]
        for i in range(a, e):
            y[i] = 0.0
        for d in range(P.offsets.size):
            o = P.offsets[d]
            for i in range(max(a, -o), min(e, G - o)):
                y[i] += data[d, i] * x[i + o]


@njit(cache=True)
def ensure_built(P, tj, data, built, xbox, need):
    """Build the DIA rows of a box around xbox unless those of xbox widened by P.bshift (need,
    (2, B) scratch) are built (built: (2, B) the rows built, an empty box after j changed). The new
    rows reach MARGIN_TERMS Taylor terms beyond xbox, so a step rarely rebuilds."""
    widen(xbox, P.bshift, P.nk, need)
    if inside(need, built):
        return
    for b in range(P.nb.size):
        m = MARGIN_TERMS * max(P.bshift[b], 1)
        built[0, b] = max(xbox[0, b] - m, 0)
        built[1, b] = min(xbox[1, b] + m, P.nk[b])
    build_heff(P, tj, data, built)


@njit(cache=True)
def trim_window(P, psi, box, keep, face, trim):
    """Shrink box past its faces with |psi_i|^2 <= trim ||psi||^2 (zeroed): the window of the
    state (keep: (2, B) scratch, face as in box.trim_faces)."""
    unbounded(keep)
    trim_faces(P.gstride, psi, box, keep, trim * norm2(P.gstride, psi, box), face)
