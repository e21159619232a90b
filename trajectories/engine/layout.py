"""The global layout of a trajectory vector and the ladder matrix elements on it.

Global layout (sectors/states.py): index i = sum_b k_b gstride_b with k_b = N_b/2 - m_b, block 0
slowest; with the sector tuple 2j = (2j_1, ..., 2j_B) entry i is the amplitude of
|j_1, m_1> (x) ... (x) |j_B, m_B> (docs/theory.md §2). T_+, T_-, T_z (q = 0, 1, 2) are the ladder
operators J_+, J_-, J_z of a block; collective_entry gives the elements of a collective channel's
S_o = sum_k o^(k) on a block.
"""
from __future__ import annotations

import math

from numba import njit

DK = (-1, 1, 0)  # change of k = N/2 - m under T_+, T_-, T_z


@njit(cache=True, inline="always")
def digit(grid, i, b):
    """k_b = N_b/2 - m_b of global index i (grid: compiled.Grid)."""
    return (i // grid.gstride[b]) % grid.nk[b]


@njit(cache=True)
def ladder(q, j, m):
    """<m'| T_q |m> for spin j: T_+ -> sqrt(j(j+1) - m(m+1)), T_- -> sqrt(j(j+1) - m(m-1)), T_z -> m."""
    if q == 2:
        return m
    v = j * (j + 1.0) - m * (m + 1.0) if q == 0 else j * (j + 1.0) - m * (m - 1.0)
    return math.sqrt(v) if v > 0.0 else 0.0


@njit(cache=True)
def collective_entry(c, n, j, k_row, k_col):
    """<k_row| S_o |k_col> on a block of n spins in spin j (digits k = n/2 - m), for
    S_o = c_+ J_+ + c_- J_- + 2 c_z J_z + c_1 n with c = (c_+, c_-, c_z, c_1) (4,) complex."""
    m = 0.5 * n - k_col
    if k_row == k_col - 1:
        return c[0] * ladder(0, j, m)
    if k_row == k_col + 1:
        return c[1] * ladder(1, j, m)
    if k_row == k_col:
        return 2.0 * c[2] * m + c[3] * n
    return 0.0j
