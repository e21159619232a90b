"""What is recorded of the state at the output times: the moments <T^b_q> and <T^b_q T^g_r>, and
on request the diagonal quantities of base/grid.py (distributions and diagonal observables).

T_q = J_+, J_-, J_z (q = 0, 1, 2) of block b (layout.py); the ensemble converts them to the
moments of m_a^b = 2 J_a^b / N_b (engine/batch.py).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .box import clear_box, nrows, row_base, sector_box, widen
from .dense import scatter, sector_basis
from .layout import DK, digit, ladder
from .paths import per_path


@njit(cache=True)
def moments(grid, tj, psi, box, u, wide, first, second):
    """first[b, q] = <T^b_q> (B, 3), second[3b+q, 3g+r] = <T^b_q T^g_r> (3B, 3B) of the
    normalised psi (G,), zero outside box, in sector tuple tj; u (3B, G) (zero, and left zero) holds
    T^b_q psi on wide (2, B), box widened by one digit in every block."""
    B = grid.nb.size
    last = B - 1
    ones = np.ones(B, np.int64)
    widen(box, ones, grid.nk, wide)
    for b in range(B):
        stride = grid.gstride[b]
        j = 0.5 * tj[b]
        for q in range(3):
            row = u[3 * b + q]
            for r in range(nrows(box)):
                base = row_base(grid.gstride, box, r)
                for i in range(base + box[0, last], base + box[1, last]):
                    m = 0.5 * grid.nb[b] - digit(grid, i, b)
                    if abs(m) > j:
                        continue
                    e = ladder(q, j, m)
                    if e != 0.0:
                        row[i + DK[q] * stride] = e * psi[i]
    for b in range(B):
        for q in range(3):
            first[b, q] = box_dot(grid, psi, u[3 * b + q], box)
    adj = (1, 0, 2)   # T_+^+ = T_-, T_z^+ = T_z; <T^b_q T^g_r>^* = <T^g_r^+ T^b_q^+> fills the other half
    for b in range(B):
        for q in range(3):
            for g in range(B):
                for r in range(3):
                    row, col = 3 * b + q, 3 * g + r
                    mirror_row, mirror_col = 3 * g + adj[r], 3 * b + adj[q]
                    if (mirror_row, mirror_col) < (row, col):
                        second[row, col] = second[mirror_row, mirror_col].conjugate()
                    else:
                        second[row, col] = box_dot(grid, u[3 * b + adj[q]], u[col], wide)
    for a in range(3 * B):
        clear_box(grid.gstride, u[a], wide)


@njit(cache=True)
def box_dot(grid, x, y, box):
    """sum_i conj(x_i) y_i over box."""
    last = grid.nb.size - 1
    acc = 0.0j
    for r in range(nrows(box)):
        base = row_base(grid.gstride, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            acc += x[i].conjugate() * y[i]
    return acc


@njit(cache=True)
def diagonal(grid, psi, box, bin_of, table, hist, obs):
    """hist[bin_of[r, i]] += |psi_i|^2 for every distribution r (bin_of (R, G)), and
    obs[k] = sum_i |psi_i|^2 table[k, i] (table (K, G)), for the normalised psi zero outside box."""
    hist[:] = 0.0
    obs[:] = 0.0
    last = grid.nb.size - 1
    for row in range(nrows(box)):
        base = row_base(grid.gstride, box, row)
        for i in range(base + box[0, last], base + box[1, last]):
            p = psi[i].real ** 2 + psi[i].imag ** 2
            if p == 0.0:
                continue
            for r in range(bin_of.shape[0]):
                hist[bin_of[r, i]] += p
            for k in range(table.shape[0]):
                obs[k] += p * table[k, i]


@njit(cache=True, inline="always")
def record(P, ws, first, second, bin_of, table, hist, obs):
    """The moments of the current psi into first (B, 3) and second (3B, 3B), and its diagonal
    quantities into hist (nbins,) and obs (K,) (dense path: psi scattered into glob on the sector
    tuple's box for the call, and cleared again)."""
    record_moments(P, ws, first, second, bin_of, table, hist, obs)


def record_moments(P, ws, first, second, bin_of, table, hist, obs):
    """record on the compiled model's path."""


def record_banded(P, ws, first, second, bin_of, table, hist, obs):
    moments(P.grid, ws.tj, ws.terms[0], ws.tbox[0], ws.u, ws.bx[1], first, second)
    diagonal(P.grid, ws.terms[0], ws.tbox[0], bin_of, table, hist, obs)


def record_dense(P, ws, first, second, bin_of, table, hist, obs):
    box = ws.bx[0]
    sector_box(P.grid.nk, ws.tj, box)
    scatter(sector_basis(P, ws.state[0].s), ws.terms[0], ws.glob)
    moments(P.grid, ws.tj, ws.glob, box, ws.u, ws.bx[1], first, second)
    diagonal(P.grid, ws.glob, box, bin_of, table, hist, obs)
    clear_box(P.grid.gstride, ws.glob, box)


per_path(record_moments, banded=record_banded, series=record_banded, dense=record_dense)
