"""Buffers and scalar state of one trajectory, shared by the step kernels of driver.py.

The state psi lives in terms[0]: on the banded path in the global layout (layout.py), zero outside
its box tbox[0] (box.py: a digit range per block), on the dense path as the compact vector of its
sector tuple (dense.py), the box ((0, ..., 0), (1, ..., 1, d)). Between jumps it evolves with H_eff = H - (i/2) A,
A = sum_l Gamma_l Q_l Gamma_l, and a jump happens when log||psi||^2 = lognorm crosses logr
(waiting-time method, docs/theory.md §2).
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from .compiled import DensePath, SeriesPath
from .banded import refresh_tables
from .box import empty_box, norm2, nrows, row_base, shrink_box
from .dense import enter_sector
from .layout import digit
from .paths import per_path
from .series import refresh_ladder
from ..sectors.dicke import JUMP_TARGETS

#: scalar state of a trajectory (one record, Workspace.state[0])
STATE = np.dtype([
    ("t", np.float64),         # time of psi
    ("lognorm", np.float64),   # log of the squared norm the no-jump evolution has removed
    ("logr", np.float64),      # log of the uniform number r of the next jump
    ("dt_guess", np.float64),  # proposed step size (0: derive it from the spread of H_eff)
    ("s", np.int64),           # sector-tuple index of tj (dense path, dense.sector_index)
    ("fail", np.int64),        # 0, or why the trajectory stopped (propagate.TAYLOR_FAILED, NORM_FAILED)
])


class Heff(NamedTuple):
    """H_eff as the banded product reads it (banded.matvec_banded): the few arrays of the compiled
    model it needs and the trajectory's tables, so that a product does not pass all of the model."""
    G: int
    offsets: np.ndarray  # (n_offsets,) int offsets of the rate rows: y[i] += data[d, i] x[i + offsets[d]]
    data: np.ndarray    # (n_offsets, G) complex rate rows (banded.build_rates)
    gstride: np.ndarray  # (B,) compiled.Grid
    nk: np.ndarray
    bshift: np.ndarray  # (B,) and adiag (G,): compiled.Rates
    adiag: np.ndarray
    off: np.ndarray     # the Hamiltonian's matrix-free terms (compiled.Terms)
    c: np.ndarray
    nf: np.ndarray
    fb: np.ndarray
    fq: np.ndarray
    fd: np.ndarray
    tab: np.ndarray     # (B, 3, max N_b + 3) ladder tables of the current tuple (banded.refresh_tables)
    kk: np.ndarray      # (B,) int scratch: digits of a row


def heff_operator(P, tab, kk):
    """The Heff of a banded compiled model P, with zeroed rate rows (n_offsets, G), the trajectory's
    ladder tables tab and digit scratch kk; None on the dense path (dense.matvec_dense reads P)."""
    if isinstance(P, DensePath):
        return None
    g, r, t = P.grid, P.rates, P.terms
    data = np.zeros((r.offsets.size, int(g.G)), np.complex128)
    return Heff(int(g.G), r.offsets, data, g.gstride, g.nk, r.bshift, r.adiag, t.off, t.c, t.nf, t.fb,
                t.fq, t.fd, tab, kk)


class Workspace(NamedTuple):
    """Arrays of one trajectory (G = P.grid.G, K = max_terms, B blocks, L channels)."""
    tj: np.ndarray      # (B,) int 2j_b of the current sector tuple
    state: np.ndarray   # (1,) STATE
    terms: np.ndarray   # (K + 1, G) complex: psi and the Taylor terms w_k of a step
    tbox: np.ndarray    # (K + 1, 2, B) int the box of terms[k] (zero outside it)
    work: np.ndarray    # (G,) complex scratch: H_eff psi, psi at the end of a step, Gamma_l psi
    wbox: np.ndarray    # (2, B) int the box of work (zero outside it)
    built: np.ndarray   # (2, B) int the rows of the rate rows built in heff.data (banded.py; empty: none)
    bx: np.ndarray      # (4, 2, B) int scratch boxes
    glob: np.ndarray    # (G,) complex, zero between steps: the dense-path state in the global layout
    u: np.ndarray       # (3B, G) complex: T^b_q psi for the moments
    w: np.ndarray       # (max(L, 1),) channel weights
    tw: np.ndarray      # (len(dicke.JUMP_TARGETS),) weights of the Kraus operators of one channel
    heff: Heff          # H_eff of the current sector tuple (banded paths; None on the dense path)
    tab: np.ndarray     # (B, 3, max N_b + 3) ladder tables of the current tuple (also in heff)
    kk: np.ndarray      # (B,) int scratch: digits of a row (also in heff)
    lad: np.ndarray     # (B, max N_b + 2) <k - 1| J_+ |k> of each block's current j (polynomial channels)
    scratch: np.ndarray  # (6, G) complex scratch of the Chebyshev series ((6, 1) without polynomial channels)
    real: np.ndarray    # (8, G + 2 S) real scratch of the series, S = max poly_reach ((8, 1) without them)


class Tolerances(NamedTuple):
    """Accuracy of a trajectory (base/options.py)."""
    tol: float          # Taylor truncation ||w_K|| < tol ||psi||
    root_tol: float     # residual of log||psi||^2 = log r at the jump time
    trim: float         # window truncation |psi_i|^2 <= trim ||psi||^2 (banded path)


def workspace(P, tj0, max_terms: int) -> Workspace:
    """Zeroed buffers for a trajectory in sector tuple tj0 (B,) with up to max_terms Taylor terms.

    Allocated by numpy (calloc): the operating system maps a page of the length-G vectors only when
    it is first written, so a trajectory's resident memory follows the boxes its vectors occupy, not
    G (compiled.trajectory_memory counts the full length, an upper bound)."""
    G, B = int(P.grid.G), len(P.grid.nb)
    poly = isinstance(P, SeriesPath)
    n_real = G + 2 * int(np.max(P.series.reach)) if poly else 1
    z = lambda *shape: np.zeros(shape, np.complex128)  # noqa: E731
    tab, kk = np.zeros((B, 3, int(np.max(P.grid.nk)) + 2)), np.zeros(B, np.int64)
    return Workspace(
        tj=np.array(tj0, np.int64), state=np.zeros(1, STATE),
        terms=z(max_terms + 1, G), tbox=np.zeros((max_terms + 1, 2, B), np.int64),
        work=z(G), wbox=np.zeros((2, B), np.int64), built=np.zeros((2, B), np.int64),
        bx=np.zeros((4, 2, B), np.int64), glob=z(G), u=z(3 * B, G), w=np.zeros(max(P.ch.block.size, 1)),
        tw=np.zeros(len(JUMP_TARGETS)), heff=heff_operator(P, tab, kk),
        tab=tab, kk=kk,
        lad=np.zeros((B, int(np.max(P.grid.nk)) + 1)),
        scratch=z(6, G if poly else 1), real=np.zeros((8, n_real)))


@njit(cache=True)
def nonzero_box(grid, x, box):
    """box = the smallest box holding the non-zero entries of x (G,) (one entry if none)."""
    B = grid.nb.size
    for b in range(B):
        box[0, b], box[1, b] = grid.nk[b], 0
    for i in range(grid.G):
        if x[i] != 0:
            for b in range(B):
                k = digit(grid, i, b)
                box[0, b] = min(box[0, b], k)
                box[1, b] = max(box[1, b], k + 1)
    for b in range(B):
        if box[1, b] <= box[0, b]:
            box[0, b], box[1, b] = 0, 1


def enter_state(P, ws, psi0, trim):
    """terms[0] and tbox[0] = psi0 (G,) (global layout) as the path keeps it, not yet normalised."""


def enter_banded(P, ws, psi0, trim):
    g = P.grid
    psi, box = ws.terms[0], ws.tbox[0]
    nonzero_box(g, psi0, box)
    if trim > 0:
        shrink_box(g.gstride, psi0, box, trim * norm2(g.gstride, psi0, box), ws.bx[0])
    last = g.nb.size - 1
    for r in range(nrows(box)):
        base = row_base(g.gstride, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            psi[i] = psi0[i]


def enter_dense(P, ws, psi0, trim):
    enter_sector(P, ws, psi0)


per_path(enter_state, banded=enter_banded, series=enter_banded, dense=enter_dense)


def refresh_block(P, ws, b):
    """The trajectory's tables of block b after its spin j_b = ws.tj[b]/2 changed (banded paths: the
    ladder tables of the product, and of the Chebyshev series on the series path)."""


def refresh_banded(P, ws, b):
    refresh_tables(P.grid, ws.tj, ws.tab, b)


def refresh_series(P, ws, b):
    refresh_tables(P.grid, ws.tj, ws.tab, b)
    refresh_ladder(P.grid, ws.tj, ws.lad, b)


def refresh_nothing(P, ws, b):
    return


per_path(refresh_block, banded=refresh_banded, series=refresh_series, dense=refresh_nothing)


@njit(cache=True)
def load_state(P, ws, psi0, trim=0.0):
    """Start from psi0 (G,) in the global layout (sector tuple ws.tj), normalised, at t = 0. On the
    banded path the box is that of psi0's entries past its faces with |psi0_i|^2 <= trim ||psi0||^2
    (psi0 itself is left as it is), so a state spread thinly over the whole grid starts on its
    support."""
    st = ws.state[0]
    psi, box = ws.terms[0], ws.tbox[0]
    enter_state(P, ws, psi0, trim)
    gs = P.grid.gstride
    scale = 1.0 / math.sqrt(norm2(gs, psi, box))
    last = P.grid.nb.size - 1
    for r in range(nrows(box)):
        base = row_base(gs, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            psi[i] *= scale
    st.t, st.lognorm, st.dt_guess = 0.0, 0.0, 0.0
    empty_box(ws.built)
    for b in range(P.grid.nb.size):
        refresh_block(P, ws, b)
