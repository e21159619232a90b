"""Dense path: H_eff and Gamma_l as dense matrices per sector tuple (docs/theory.md §2).

Used when some Delta_l has x or y parts, so Gamma_l is not diagonal on the global layout. The
state is kept as the compact vector of its sector tuple s (dimension d = prod_b (2j_b + 1),
np.kron order, block 0 slowest, m_b = j_b..-j_b); sector_basis(P, s) (d,) gives the global
index of each basis state, and compiled.py packs H_eff (d, d) and Gamma_l (d, d) per tuple.
"""
from __future__ import annotations

from numba import njit

from .box import compact_box


@njit(cache=True)
def sector_index(P, tj):
    """Index s = sum_b (N_b - 2j_b)/2 sstride_b of the sector tuple tj (B,)."""
    s = 0
    for b in range(P.grid.nb.size):
        s += ((P.grid.nk[b] - 1 - tj[b]) // 2) * P.dense.sstride[b]
    return s


@njit(cache=True)
def sector_basis(P, s):
    """Global-layout indices (d,) of the basis states of sector tuple s."""
    return P.dense.idx_data[P.dense.idx_ptr[s]:P.dense.idx_ptr[s + 1]]


@njit(cache=True)
def matvec_dense(D, s, x, d, y):
    """y[:d] = H_eff x[:d] in sector tuple s (D: compiled.Dense); returns the support (0, d) of y."""
    M = D.heff_data[D.heff_ptr[s]:D.heff_ptr[s + 1]].reshape((d, d))
    y[:d] = M @ x[:d]
    return 0, d


@njit(cache=True)
def gamma_dense(P, l, s, x, d):
    """Gamma_l x[:d] (d,) in sector tuple s."""
    S = P.dense.idx_ptr.size - 1
    gm = P.dense.gam_data[P.dense.gam_ptr[l * S + s]:P.dense.gam_ptr[l * S + s + 1]].reshape((d, d))
    return gm @ x[:d]


@njit(cache=True)
def scatter(idx, compact, glob):
    """glob[idx] = compact (glob zero elsewhere); returns the support [idx[0], idx[-1] + 1)."""
    for c in range(idx.size):
        glob[idx[c]] = compact[c]
    return idx[0], idx[idx.size - 1] + 1


@njit(cache=True)
def enter_sector(P, ws, glob):
    """Make terms[0] the compact vector of glob (G,) in the sector tuple ws.tj; sets s and its box."""
    st = ws.state[0]
    st.s = sector_index(P, ws.tj)
    idx = sector_basis(P, st.s)
    psi = ws.terms[0]
    for c in range(idx.size):
        psi[c] = glob[idx[c]]
    compact_box(idx.size, ws.tbox[0])
