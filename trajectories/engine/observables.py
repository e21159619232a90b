"""What is recorded of the state at the output times: the moments <T^b_q> and <T^b_q T^g_r>, and
on request the diagonal quantities of base/grid.py (distributions and diagonal observables).

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
def diagonal(psi, lo, hi, bin_of, table, hist, obs):
    """hist[bin_of[r, i]] += |psi_i|^2 for every distribution r (bin_of (R, G)), and
    obs[k] = sum_i |psi_i|^2 table[k, i] (table (K, G)), for the normalised psi on [lo, hi)."""
    hist[:] = 0.0
    obs[:] = 0.0
    for i in range(lo, hi):
        p = psi[i].real ** 2 + psi[i].imag ** 2
        if p == 0.0:
            continue
        for r in range(bin_of.shape[0]):
            hist[bin_of[r, i]] += p
        for k in range(table.shape[0]):
            obs[k] += p * table[k, i]


@njit(cache=True)
def record(P, ws, first, second, bin_of, table, hist, obs):
    """The moments of the current psi into first (B, 3) and second (3B, 3B), and its diagonal
    quantities into hist (nbins,) and obs (K,) (dense path: psi scattered into glob for the call,
    which is cleared again)."""
    st = ws.state[0]
    if P.mode == DENSE:
        lo, hi = scatter(sector_basis(P, st.s), ws.terms[0], ws.glob)
        moments(P, ws.tj, ws.glob, lo, hi, ws.u, first, second)
        diagonal(ws.glob, lo, hi, bin_of, table, hist, obs)
        clear(ws.glob, lo, hi)
    else:
        moments(P, ws.tj, ws.terms[0], st.lo, st.hi, ws.u, first, second)
        diagonal(ws.terms[0], st.lo, st.hi, bin_of, table, hist, obs)
