"""Banded path: H_eff in diagonal (DIA) storage on rows of the global layout, and the window.

For the channels whose Delta_l involves only z components Gamma_l is diagonal on the global
layout (compiled.gtab) and their part of H_eff couples index i only to i + offsets[d]
(docs/theory.md §2); the other channels add theirs matrix-free (series.py). The state vanishes
outside its window [lo, hi), and H_eff is built only on rows around it.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .layout import DK, collective_entry, digit, ladder


@njit(cache=True)
def build_banded(P, tj, data, r0, r1):
    """Fill data[:, r0:r1] (n_offsets, G) with the Hamiltonian and diagonal no-jump part of H_eff of
    sector tuple tj (B,): (H_eff x)[i] = sum_d data[d, i] x[i + offsets[d]] (build_heff adds the rest)."""
    B = P.nb.size
    k = np.empty(B, np.int64)
    kc = np.empty(B, np.int64)
    for i in range(r0, r1):
        for d in range(P.offsets.size):
            data[d, i] = 0.0
    for i in range(r0, r1):
        for b in range(B):
            k[b] = digit(P, i, b)
        for t in range(P.lin_b.size):
            b, q = P.lin_b[t], P.lin_q[t]
            kb = k[b] - DK[q]
            if kb < 0 or kb >= P.nk[b]:
                continue
            data[P.lin_d[t], i] += P.lin_c[t] * ladder(q, 0.5 * tj[b], 0.5 * P.nb[b] - kb)
        for t in range(P.quad_b.size):
            b, q, g, r = P.quad_b[t], P.quad_q[t], P.quad_g[t], P.quad_r[t]
            for a in range(B):
                kc[a] = k[a]
            kc[b] -= DK[q]
            kc[g] -= DK[r]
            if kc[b] < 0 or kc[b] >= P.nk[b] or kc[g] < 0 or kc[g] >= P.nk[g]:
                continue
            mg = 0.5 * P.nb[g] - kc[g]
            e1 = ladder(r, 0.5 * tj[g], mg)
            if e1 == 0.0:
                continue
            mb = mg - DK[r] if b == g else 0.5 * P.nb[b] - kc[b]
            data[P.quad_d[t], i] += P.quad_c[t] * e1 * ladder(q, 0.5 * tj[b], mb)
        data[P.diag0, i] += -0.5j * P.adiag[i]


@njit(cache=True)
def build_heff(P, tj, data, r0, r1):
    """Fill data[:, r0:r1] with H_eff of sector tuple tj: build_banded, then the channels' terms that
    are not diagonal (J_+- parts of local Q_l, collective channels). Kept apart from build_banded,
    whose loop Numba optimises better alone."""
    build_banded(P, tj, data, r0, r1)
    if P.noj_l.size:
        build_ladder_no_jump(P, tj, data, r0, r1)
    if P.coll_l.size:
        build_collective(P, tj, data, r0, r1)


@njit(cache=True)
def build_ladder_no_jump(P, tj, data, r0, r1):
    """Add -(i/2) Gamma_l (r J_+ + r^* J_-) Gamma_l, the J_+- part of a local Q_l, to rows [r0, r1)."""
    for t in range(P.noj_l.size):
        l = P.noj_l[t]
        b = P.ch_block[l]
        r = P.ch_noj[l, 2]
        st = P.gstride[b]
        j = 0.5 * tj[b]
        for i in range(r0, r1):
            kb = digit(P, i, b)
            if kb + 1 < P.nk[b]:   # J_+ from k_b + 1 (index i + stride)
                e = ladder(0, j, 0.5 * P.nb[b] - kb - 1)
                data[P.noj_dp[t], i] += -0.5j * r * P.gtab[l, i] * e * P.gtab[l, i + st]
            if kb >= 1:            # J_- from k_b - 1 (index i - stride)
                e = ladder(1, j, 0.5 * P.nb[b] - kb + 1)
                data[P.noj_dm[t], i] += -0.5j * r.conjugate() * P.gtab[l, i] * e * P.gtab[l, i - st]


@njit(cache=True)
def build_collective(P, tj, data, r0, r1):
    """Add -(i/2) Gamma_l S_o^+ S_o Gamma_l / N_b of every collective channel to rows [r0, r1)."""
    for t in range(P.coll_l.size):
        l = P.coll_l[t]
        b = P.ch_block[l]
        st, j, n = P.gstride[b], 0.5 * tj[b], P.nb[b]
        for i in range(r0, r1):
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
def matvec_banded(H, x, lo, hi, y):
    """y = H_eff x (G,) for x supported on [lo, hi) (H: workspace.Heff); returns the support
    [ylo, yhi) of y."""
    data = H.data
    ylo = max(lo - H.maxoff, 0)
    yhi = min(hi + H.maxoff, H.G)
    for i in range(ylo, yhi):
        y[i] = 0.0
    for d in range(H.offsets.size):
        o = H.offsets[d]
        for i in range(max(ylo, lo - o), min(yhi, hi - o)):
            y[i] += data[d, i] * x[i + o]
    return ylo, yhi


@njit(cache=True)
def cover_window(st, lo, hi, reach, G):
    """Whether the rows of H_eff must be rebuilt, i.e. the support [lo, hi) (the window of psi, or a
    Taylor term) has come within `reach` (how far a step can spread it) of the edge of the built
    rows; if so sets the rows to build, [st.built_lo, st.built_hi) = [lo, hi) widened by 2 reach."""
    if ((lo - reach < st.built_lo and st.built_lo > 0)
            or (hi + reach > st.built_hi and st.built_hi < G)):
        st.built_lo, st.built_hi = max(lo - 2 * reach, 0), min(hi + 2 * reach, G)
        return True
    return False


@njit(cache=True)
def trim_window(psi, lo, hi, trim):
    """Shrink [lo, hi) past edge entries of psi (G,) with |psi_i|^2 <= trim ||psi||^2."""
    nrm = 0.0
    for i in range(lo, hi):
        nrm += psi[i].real ** 2 + psi[i].imag ** 2
    cut = trim * nrm
    while hi - lo > 1 and psi[lo].real ** 2 + psi[lo].imag ** 2 <= cut:
        lo += 1
    while hi - lo > 1 and psi[hi - 1].real ** 2 + psi[hi - 1].imag ** 2 <= cut:
        hi -= 1
    return lo, hi
