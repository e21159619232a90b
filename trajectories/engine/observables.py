"""The moments <T^b_q> and <T^b_q T^g_r> of the state, recorded at the output times.

T_q = J_+, J_-, J_z (q = 0, 1, 2) of block b (layout.py); the ensemble converts them to the
moments of m_a^b = 2 J_a^b / N_b (engine/batch.py).
"""
from __future__ import annotations

from numba import njit

from .compiled import DENSE
from .dense import clear, scatter, sector_basis
from .layout import DK, digit, ladder


@njit(cache=True)
def moments(P, tj, psi, lo, hi, u, first, second):
    """first[b, q] = <T^b_q> (B, 3), second[3b+q, 3g+r] = <T^b_q T^g_r> (3B, 3B) of the
    normalised psi (G,) on [lo, hi) in sector tuple tj; u (3B, G) holds T^b_q psi."""
    B = P.nb.size
    for b in range(B):
        stride = P.gstride[b]
        j = 0.5 * tj[b]
        for q in range(3):
            row = u[3 * b + q]
            for i in range(max(lo - stride, 0), min(hi + stride, P.G)):
                row[i] = 0.0
            for i in range(lo, hi):
                m = 0.5 * P.nb[b] - digit(P, i, b)
                if abs(m) > j:
                    continue
                e = ladder(q, j, m)
                if e != 0.0:
                    row[i + DK[q] * stride] = e * psi[i]
    for b in range(B):
        for q in range(3):
            acc = 0.0j
            for i in range(lo, hi):
                acc += psi[i].conjugate() * u[3 * b + q, i]
            first[b, q] = acc
    adj = (1, 0, 2)
    for b in range(B):
        for q in range(3):
            lhs = u[3 * b + adj[q]]
            sb = P.gstride[b]
            for g in range(B):
                sg = P.gstride[g]
                rhs = u[3 * g:3 * g + 3]
                for r in range(3):
                    acc = 0.0j
                    for i in range(max(lo - max(sb, sg), 0), min(hi + max(sb, sg), P.G)):
                        acc += lhs[i].conjugate() * rhs[r, i]
                    second[3 * b + q, 3 * g + r] = acc


@njit(cache=True)
def record(P, ws, first, second):
    """The moments of the current psi into first (B, 3) and second (3B, 3B) (dense path: psi
    scattered into glob for the call, which is cleared again)."""
    st = ws.state[0]
    if P.mode == DENSE:
        lo, hi = scatter(sector_basis(P, st.s), ws.terms[0], ws.glob)
        moments(P, ws.tj, ws.glob, lo, hi, ws.u, first, second)
        clear(ws.glob, lo, hi)
    else:
        moments(P, ws.tj, ws.terms[0], st.lo, st.hi, ws.u, first, second)
