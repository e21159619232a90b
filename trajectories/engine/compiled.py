"""Compile a model into the plain arrays the Numba kernels read (no Python objects enter a kernel).

A compiled model is a NamedTuple of small NamedTuples, one per concern: Grid (the global layout),
Terms (the Hamiltonian), Channels (each channel's operator), and per path Rates (tabulated Gamma_l
and the rate rows), Series (Chebyshev series) or Dense (per-tuple matrices). Its type is the path:
BandedPath, SeriesPath or DensePath; the kernels are chosen by that type when they compile
(paths.py), so a run compiles the kernels of its path only.

Global layout (trajectories/sectors/states.py): index i = sum_b k_b stride_b, k_b = N_b/2 - m_b. The Hamiltonian is
written with the ladder operators T_+ = J_+, T_- = J_-, T_z = J_z of each block (S = 2 J):

    S_a = sum_q U[a, q] T_q,  U = [[1, 1, 0], [-i, i, 0], [0, 0, 2]]   (q = +, -, z)
    H = sum_{b,q} (h_b U)_q T^b_q + (1/N) sum_{b,g,q,r} (U^T J^{bg} U)_{qr} T^b_q T^g_r.

BandedPath (every Delta built from m_z only): Gamma_l is diagonal, tabulated once on the grid of
all m-tuples (Rates.gtab, shape (L, G)); the diagonal of the anti-Hermitian part
A = sum_l Gamma_l Q_l Gamma_l is Rates.adiag. adiag and a Hamiltonian without quadratic terms are applied
matrix-free (banded.py: Terms.off ... fd and per-block ladder tables); quadratic terms (many per
offset) are stored by diagonals (Terms.lin_d, quad_d) with the rate rows. A channel whose Q_l has J_+- parts (a
local operator mixing sigma_z or 1 with sigma_+-) adds them at offsets +-stride, a collective channel
Gamma S_o^+ S_o Gamma / N_b at offsets 0, +-stride, +-2 stride: these "rate rows" hold products of
Gamma values and are built in diagonal (DIA) storage on a box around the state.

SeriesPath: a Delta with x or y parts (in the frame the kernels run in) makes its channel a
"polynomial channel" of the banded path: Gamma_l is applied as a Chebyshev series in Delta_l
(series.py, docs/theory.md §15), and its -(i/2) Gamma_l Q_l Gamma_l is added matrix-free.

DensePath (options.method = "dense"): H_eff and every Gamma_l are dense matrices per sector
tuple, built by sector_ops and packed into flat arrays with pointers (a cross-check of the other
paths, for N up to a few hundred).
"""
from __future__ import annotations

import itertools
import math
from typing import NamedTuple

import numpy as np

from ..base.errors import MemoryLimitError
from ..base.options import MAX_STEPS, MEMORY_LIMIT, memory_limit_advice
from ..sectors.dicke import dim_squares, no_jump_components
from ..sectors.operators import SectorOperators, sector_tuples
from .series import chebyshev_series
from .work import STIFF_JUMPS, check_work

#: S_a = sum_q U[a, q] T_q with T = (J_+, J_-, J_z)
LADDER = np.array([[1, 1, 0], [-1j, 1j, 0], [0, 0, 2]], dtype=complex)
#: change of k = N/2 - m under T_+, T_-, T_z
DK = np.array([-1, 1, 0], dtype=np.int64)
BANDED, DENSE = 0, 1
#: copies of a trajectory's record (recorded_memory) a worker holds while running a batch: complex ladder
#: moments (2) and their conversion to real moments with its temporaries (4)
RECORD_COPIES_WORKER = 6
#: copies of a trajectory's record the parent holds per worker: the batch received (and its pickle), one
#: waiting, and the squares while folding
RECORD_COPIES_PARENT = 4
#: peak memory of building the dense path's matrices, in units of the matrices (the matrices, their
#: per-tuple parts, the packed copy and conversions; trajectory_memory)
BUILD_FACTOR = 5
#: method "auto" runs a model whose rotated Deltas still need Chebyshev series (series.py) on the dense
#: path when its dense matrices take at most this many bytes: measured (benchmarks/bench_transverse.py's
#: two-axes model, one core) the dense path is 5x faster at N = 10, 6x at N = 60 (1.9 MB), 2.8x slower at
#: N = 100 (8 MB); for two-block models (tests/systems.rich_block_model) 10x faster at 2.3 MB
DENSE_AUTO_BYTES = 4 * 2 ** 20


class Grid(NamedTuple):
    """The global layout of a trajectory vector (layout.py)."""
    nb: np.ndarray          # (B,) float block sizes N_b
    nk: np.ndarray          # (B,) int N_b + 1 digits per block
    gstride: np.ndarray     # (B,) int strides of the global layout (block 0 slowest)
    G: int                  # prod_b (N_b + 1) amplitudes


class Terms(NamedTuple):
    """The Hamiltonian as lists of terms: linear c T^b_q and quadratic c T^b_q T^g_r (T^g_r acts first),
    with, when it is stored by diagonals (quadratic terms), the rate row of each term (lin_d, quad_d;
    banded.build_hamiltonian_rows), and the matrix-free form otherwise (banded.matvec_banded):
    (term x)[i] = c prod_u tab[fb_u, fq_u, k_fb_u + fd_u + 1] x[i + off], k the digits of i, with nf
    (1 or 2) factors (block fb, ladder operator fq, digit shift fd), each (n_terms, 2)."""
    lin_b: np.ndarray
    lin_q: np.ndarray
    lin_c: np.ndarray
    lin_d: np.ndarray
    quad_b: np.ndarray
    quad_q: np.ndarray
    quad_g: np.ndarray
    quad_r: np.ndarray
    quad_c: np.ndarray
    quad_d: np.ndarray
    off: np.ndarray         # (n_terms,) int the matrix-free terms
    c: np.ndarray
    nf: np.ndarray
    fb: np.ndarray
    fq: np.ndarray
    fd: np.ndarray


class Channels(NamedTuple):
    """What a kernel needs of each channel l = 0..L-1 besides its rate."""
    coef: np.ndarray        # (L, 4) complex (c_+, c_-, c_z, c_1) of the local operator
    noj: np.ndarray         # (L, 3) complex (q_0, q_z, r): Q_l = q_0 N_b + q_z J_z + r J_+ + r^* J_-
    block: np.ndarray       # (L,) int
    coll: np.ndarray        # (L,) int 1 for a collective channel (J = S_o Gamma / sqrt(N_b))
    single: np.ndarray      # (L,) int dicke.OP_CODES code when o is c sigma_-, c sigma_+ or c sigma_z
                            # (one Kraus element per column: the fast path of jumps.py), else -1


class Rates(NamedTuple):
    """Banded path: Gamma_l on the grid and the rate rows of H_eff in DIA storage."""
    gtab: np.ndarray        # (L, G) Gamma_l on the grid (zero rows for polynomial channels)
    adiag: np.ndarray       # (G,) A = sum_l Gamma Q Gamma on the grid (diagonal parts)
    offsets: np.ndarray     # DIA offsets of the rate rows: y[i] += data[d, i] x[i + offsets[d]]
    bshift: np.ndarray      # (B,) int how far H_eff (without polynomial channels) moves each block's digit
    noj_l: np.ndarray       # channels with r != 0 (Q_l not diagonal) and the DIA diagonals of their
    noj_dp: np.ndarray      # J_+ (offset +stride) and J_- (offset -stride) parts
    noj_dm: np.ndarray
    coll_l: np.ndarray      # collective channels and the DIA diagonals of offsets
    coll_d: np.ndarray      # (-2, -1, 0, 1, 2) x stride of their Gamma S_o^+ S_o Gamma / N_b


class Series(NamedTuple):
    """Polynomial channels (a Delta with x or y parts on the banded path; series.py)."""
    of_channel: np.ndarray  # (L,) int p of a polynomial channel, else -1
    channel: np.ndarray     # (n_poly,) int the channel of each polynomial channel p
    coef: np.ndarray        # (n_poly, B, 3) complex X_p = (Delta - c0)/R = sum_b sum_q coef[p, b, q] T^b_q
    blk: np.ndarray         # (n_poly, B) int the blocks X_p involves (first nblk[p] entries)
    nblk: np.ndarray        # (n_poly,) int
    reach: np.ndarray       # (n_poly,) int largest global stride of those blocks (how far X_p moves amplitude)
    cheb: np.ndarray        # (n_poly, K_max + 1) Chebyshev coefficients of Gamma_l(c0 + R u), u in [-1, 1]
    deg: np.ndarray         # (n_poly,) int degree K of each series
    max: np.ndarray         # (n_poly,) sum_k |c_k| >= max |Gamma_l| as applied
    phase: np.ndarray       # (n_poly, G) e^{-i phi m_b}, phi = arg coef[p, b, 0], when X_p involves one block b


class Dense(NamedTuple):
    """Dense path: H_eff and every Gamma_l per sector tuple, packed (dense.py)."""
    sstride: np.ndarray     # (B,) strides of the sector-tuple index s = sum_b (N_b - 2j_b)/2 sstride_b
    heff_data: np.ndarray   # packed H_eff per sector tuple
    heff_ptr: np.ndarray
    gam_data: np.ndarray    # packed Gamma_l per (l, s), index l * S + s
    gam_ptr: np.ndarray
    idx_data: np.ndarray    # global index of each basis state of each sector tuple
    idx_ptr: np.ndarray


class BandedPath(NamedTuple):
    """A model whose Deltas are z-only (in the frame the kernels run in): every Gamma_l tabulated."""
    grid: Grid
    terms: Terms
    ch: Channels
    rates: Rates


class SeriesPath(NamedTuple):
    """The banded path with polynomial channels, whose Gamma_l is a Chebyshev series (series.py)."""
    grid: Grid
    terms: Terms
    ch: Channels
    rates: Rates
    series: Series


class DensePath(NamedTuple):
    """Dense per-sector-tuple matrices (options.method = "dense"; a cross-check of the others)."""
    grid: Grid
    terms: Terms
    ch: Channels
    dense: Dense


#: every compiled model is one of these; the kernels are chosen by its type when they compile
#: (paths.py), so a run compiles the kernels of its own path only
PATHS = (BandedPath, SeriesPath, DensePath)


def grid_m(sizes) -> list[np.ndarray]:
    """Per block, the m values of the global layout (k = 0..N_b, m = N_b/2 - k)."""
    return [n / 2 - np.arange(n + 1) for n in sizes]


def grid_sum(per_block: list[np.ndarray]) -> np.ndarray:
    """Flattened outer sum over blocks (block 0 slowest): values on the global layout."""
    out = np.zeros(1)
    for v in per_block:
        out = (out[:, None] + v[None, :]).ravel()
    return out


def _hamiltonian_terms(model):
    lin = []
    for b in range(model.B):
        hq = model.h[b] @ LADDER
        lin += [(b, q, hq[q]) for q in range(3) if hq[q] != 0]
    quad = []
    for b, g in itertools.product(range(model.B), repeat=2):
        C = LADDER.T @ model.J[b, g] @ LADDER / model.N
        quad += [(b, q, g, r, C[q, r]) for q in range(3) for r in range(3) if C[q, r] != 0]
    return lin, quad


def _hamiltonian_table(lin, quad, gstride) -> dict:
    """The Hamiltonian's terms as banded.matvec_banded applies them matrix-free (Terms.off ... fd).

    (T^b_q x)[k] = tab[b, q, k_b + 1] x[k_b - DK[q]] with tab[b, q, k + 1] the ladder element from the
    source digit k - DK[q] (banded.refresh_tables); T^b_q T^g_r takes the second factor at the
    intermediate digit k_g - DK[q] when g = b. Terms with equal operators are summed."""
    terms = {}
    for b, q, c in lin:
        key = (-DK[q] * gstride[b], ((b, q, 0),))
        terms[key] = terms.get(key, 0) + c
    for b, q, g, r, c in quad:
        key = (-(DK[q] * gstride[b] + DK[r] * gstride[g]), ((b, q, 0), (g, r, -DK[q] if g == b else 0)))
        terms[key] = terms.get(key, 0) + c
    terms = {k: c for k, c in terms.items() if c != 0}
    n = len(terms)
    fb, fq, fd = (np.zeros((n, 2), np.int64) for _ in range(3))
    for t, (_, factors) in enumerate(terms):
        for u, (b, q, d) in enumerate(factors):
            fb[t, u], fq[t, u], fd[t, u] = b, q, d
    return dict(off=np.array([int(o) for o, _ in terms], np.int64),
                c=np.array(list(terms.values()), complex).reshape(n),
                nf=np.array([len(f) for _, f in terms], np.int64), fb=fb, fq=fq, fd=fd)


def _gamma_tables(model, poly) -> tuple[np.ndarray, np.ndarray]:
    """Gamma_l on the grid of m-tuples and the no-jump diagonal A of the channels whose Delta is
    z-only (banded path; the rows of polynomial channels stay zero)."""
    ms = grid_m(model.sizes)
    L, G = len(model.channels), int(np.prod([n + 1 for n in model.sizes]))
    gtab = np.zeros((max(L, 1), G))
    adiag = np.zeros(G)
    for l, ch in enumerate(model.channels):
        if l in poly:
            continue  # a polynomial channel (series.py): no table
        r = model.delta(l)
        delta = ch.offset + grid_sum([r[g, 2] * 2 * ms[g] / n for g, n in enumerate(model.sizes)])
        values, inverse = np.unique(delta, return_inverse=True)
        gtab[l] = ch.amplitude(values)[inverse.ravel()]
        b, n = ch.block, model.sizes[ch.block]
        mb = grid_sum([ms[g] if g == b else np.zeros(model.sizes[g] + 1) for g in range(model.B)])
        q0, qz, _ = no_jump_components(ch.matrix)
        # the diagonal of a local Q_l; its J_+- part and a collective channel's S_o^+ S_o / N_b are
        # built with H_eff (banded.py)
        q = 0.0 * mb if ch.collective else q0 * n + qz * mb
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by check_stiffness
            adiag += gtab[l] ** 2 * q
    return gtab, adiag


def dense_matrix_bytes(model) -> int:
    """Bytes of the dense path's per-sector-tuple matrices (H_eff and every Gamma_l), computed
    without enumerating the tuples: sum over tuples of dim^2 = prod_b sum_{j_b} (2j_b + 1)^2."""
    squares = math.prod(dim_squares(range(n, -1, -2)) for n in model.sizes)
    return 16 * squares * (1 + len(model.channels))


def trajectory_memory(model, method: str = "auto", max_terms: int = 30) -> tuple[int, int]:
    """Upper estimate (bytes) of (per worker, shared tables) for trajectories of `model`.

    Per worker: the buffers of one trajectory (workspace.py: max_terms + 1 Taylor terms, two
    scratch vectors, 3B moment rows and, banded, the DIA rows of H_eff, all complex of length
    G = prod_b (N_b + 1)), the initial state and its construction (~3 vectors), and the rate
    tables (L + 1 real vectors of length G, banded) with their construction (~4), and with polynomial
    channels the scratch of the Chebyshev series (series.py: six complex vectors, and eight real ones for
    a single block). Shared: the dense
    path's per-sector matrices (dense_matrix_bytes), held by every worker; building them takes the
    parent ~4 times that (per-tuple parts, the packed copy, conversions). Python objects and the
    recorded moments (a few MB) are not counted: the estimate is for runs where memory matters.
    """
    G = math.prod(n + 1 for n in model.sizes)
    B, L = len(model.sizes), len(model.channels)
    dense = _mode(model, method) == DENSE
    # DIA rows (banded.py): +-stride for a local Q with J_+- parts, five for a collective channel, and
    # with quadratic terms one per Hamiltonian term (an upper bound: equal offsets share a row)
    lin, quad = _hamiltonian_terms(model)
    diagonals = 0 if dense else sum(5 if c.collective else 2 * (no_jump_components(c.matrix)[2] != 0)
                                    for c in model.channels) + (len(lin) + len(quad) if quad else 0)
    series = 14 if not dense and polynomial_channels(model) else 0  # workspace.scratch, .real (<= 2G each)
    complex_vectors = (max_terms + 1) + 2 + 3 * B + diagonals + 3 + series
    real_vectors = 0 if dense else L + 1 + 4
    return 16 * G * complex_vectors + 8 * G * real_vectors, dense_matrix_bytes(model) if dense else 0


def recorded_memory(T: int, B: int, nbins: int, K: int, batch: int, workers: int, ntraj: int,
                    keep: bool) -> int:
    """Upper estimate (bytes) of what a run records at T output times: the running sums (base/ensemble.py:
    moments, their squares, the cross sums of (9B)^2 numbers, distributions of nbins values and K
    diagonal observables), each worker's batch of `batch` trajectories (complex ladder moments and their
    conversion, batch.py: RECORD_COPIES_WORKER records a trajectory), the batches the parent holds and
    folds (RECORD_COPIES_PARENT per worker), and with `keep` every trajectory's record (twice: kept and
    stacked when saved). A record is 3B + 9B^2 + nbins + K + B floats per output time.
    Measured (hopfield N = 4, serial, peak RSS above the process before the run): T = 300000, 4
    trajectories +522 MB (estimate 564 MB); T = 100000, 16 trajectories +261 MB (estimate 293 MB); with
    keep_trajectories, 8 trajectories +242 MB (estimate 354 MB)."""
    record = 8 * (3 * B + 9 * B * B + nbins + K + B)
    V = 9 * B
    sums = 8 * (2 * 3 * B + 2 * 9 * B * B + V * V + 2 * nbins + K + K * K)
    batches = workers * batch * record * (RECORD_COPIES_WORKER + RECORD_COPIES_PARENT)
    kept = 2 * ntraj * record if keep else 0
    return int(T * (sums + batches + kept))


def check_memory(model, method: str, max_terms: int, workers: int, limit: float, recorded: int = 0) -> int:
    """The estimated total bytes of a run on `workers` processes, with `recorded` bytes of recorded
    quantities (recorded_memory); MemoryLimitError above `limit`."""
    per_worker, shared = trajectory_memory(model, method, max_terms)
    total = workers * (per_worker + shared) + (BUILD_FACTOR - 1) * shared + recorded
    if total > limit:
        G = math.prod(n + 1 for n in model.sizes)
        raise MemoryLimitError(
            f"trajectories of sizes {model.sizes} would need ~{total / 2**30:.3g} GiB ({workers} worker(s) x "
            f"{per_worker / 2**30:.3g} GiB of buffers over G = {G:.3g} amplitudes"
            + (f", dense sector matrices {shared / 2**30:.3g} GiB each" if shared else "")
            + (f", {recorded / 2**30:.3g} GiB of recorded moments and sums" if recorded else "")
            + f"), above options.memory_limit = {limit / 2**30:.3g} GiB: use fewer spins or blocks, "
            f"fewer workers (execution.n_jobs), a smaller options.max_terms"
            + (", fewer output times or a smaller execution.batch_size" if recorded else "")
            + f", {memory_limit_advice(total)}", total, limit)
    return total


def _mode(model, method: str) -> int:
    if method not in ("auto", "banded", "dense"):
        raise ValueError(f"method must be 'auto', 'banded' or 'dense', got {method!r}")
    return DENSE if method == "dense" else BANDED


def polynomial_channels(model) -> list[int]:
    """The channels whose Delta has x or y parts: on the banded path their Gamma is a Chebyshev
    series in Delta (series.py)."""
    return [l for l in range(len(model.channels)) if np.any(model.delta(l)[:, :2])]


def _polynomial_tables(model, gstride, tol, poly):
    """The Series of the polynomial channels `poly`: X_p = (Delta_l - c0)/R in ladder
    form, R = sum_b |r_b| (the spectrum of Delta_l in every sector tuple lies in [c0 - R, c0 + R]),
    and the Chebyshev series of Gamma_l(c0 + R u) to accuracy tol max|Gamma_l| (series.py)."""
    B, n = model.B, len(poly)
    coef = np.zeros((n, B, 3), complex)
    blk = np.zeros((n, B), np.int64)
    nblk, reach, deg = (np.zeros(n, np.int64) for _ in range(3))
    series, bound = [], np.zeros(n)
    for p, l in enumerate(poly):
        ch, r = model.channels[l], model.delta(l)
        R = float(np.sum(np.linalg.norm(r, axis=1)))
        for b in range(B):
            if not np.any(r[b]):
                continue
            rx, ry, rz = r[b]
            coef[p, b] = np.array([rx - 1j * ry, rx + 1j * ry, 2 * rz]) / (model.sizes[b] * R)
            blk[p, nblk[p]] = b
            nblk[p] += 1
            reach[p] = max(reach[p], gstride[b])
        c, bound[p] = chebyshev_series(ch.amplitude, ch.offset, R, tol, name=f"channel {l}'s Gamma")
        series.append(c)
        deg[p] = c.size - 1
    cheb = np.zeros((n, max([c.size for c in series], default=1)))
    for p, c in enumerate(series):
        cheb[p, :c.size] = c
    ch_poly = -np.ones(len(model.channels), np.int64)
    ch_poly[poly] = np.arange(n)
    # series.one_block_gamma: the phase e^{-i phi m_b} that makes X_p of one block b real
    ms, phase = grid_m(model.sizes), np.ones((n, 1), complex)
    if any(nblk == 1):
        phase = np.ones((n, math.prod(model.sizes[g] + 1 for g in range(B))), complex)
        for p in np.flatnonzero(nblk == 1):
            b = blk[p, 0]
            phase[p] = np.exp(-1j * grid_sum([np.angle(coef[p, b, 0]) * ms[g] * (g == b) for g in range(B)]))
    return Series(of_channel=ch_poly, channel=np.array(poly, np.int64), coef=coef, blk=blk, nblk=nblk,
                  reach=reach, cheb=cheb, deg=deg, max=bound, phase=phase)


def _dense_tables(model, sstride, memory_limit) -> Dense:
    """Packed per-sector-tuple H_eff, Gamma_l and global indices (dense path)."""
    L = len(model.channels)
    matrices = dense_matrix_bytes(model)
    need = BUILD_FACTOR * matrices
    if need > memory_limit:
        raise MemoryLimitError(
            f"a Delta with x or y components needs dense matrices for every sector "
            f"({matrices / 2**30:.3g} GiB for sizes {model.sizes}, ~{need / 2**30:.3g} GiB while they are "
            f"built), above options.memory_limit = "
            f"{memory_limit / 2**30:.3g} GiB: use fewer spins or z-only Deltas, {memory_limit_advice(need)}",
            need, memory_limit)
    tuples = sector_tuples(model.sizes)
    dims = [int(np.prod([t + 1 for t in s])) for s in tuples]
    ops = SectorOperators(model)
    S = int(np.prod([n // 2 + 1 for n in model.sizes]))
    heff, gam, idx = [None] * S, [None] * (L * S), [None] * S
    gstride = _strides([n + 1 for n in model.sizes])
    for s, d in zip(tuples, dims):
        si = sum(((n - t) // 2) * st for n, t, st in zip(model.sizes, s, sstride))
        heff[si] = ops.effective_hamiltonian(s).ravel()
        for l in range(L):
            gam[l * S + si] = np.asarray(ops.gamma(s, l), dtype=complex).ravel()
        ks = [np.arange(int((n - t) // 2), int((n + t) // 2) + 1) for n, t in zip(model.sizes, s)]
        idx[si] = grid_sum([k * st for k, st in zip(ks, gstride)]).astype(np.int64)

    def pack(parts):
        ptr = np.zeros(len(parts) + 1, dtype=np.int64)
        ptr[1:] = np.cumsum([p.size for p in parts])
        return np.concatenate(parts) if parts else np.zeros(0), ptr

    heff_data, heff_ptr = pack(heff)
    gam_data, gam_ptr = pack(gam) if L else (np.zeros(0, complex), np.zeros(1, np.int64))
    idx_data, idx_ptr = pack(idx)
    return Dense(sstride, heff_data.astype(complex), heff_ptr, gam_data.astype(complex), gam_ptr,
                 idx_data.astype(np.int64), idx_ptr)


def _single_code(channel) -> int:
    """The OP_CODES code of a local channel whose operator is a multiple of sigma_-, sigma_+ or
    sigma_z, else -1."""
    cp, cm, cz, c1 = channel.components
    parts = [code for code, c in ((1, cp), (0, cm), (2, cz)) if c != 0]
    return parts[0] if len(parts) == 1 and c1 == 0 and not channel.collective else -1


def _strides(dims) -> np.ndarray:
    st = np.ones(len(dims), dtype=np.int64)
    for b in range(len(dims) - 2, -1, -1):
        st[b] = st[b + 1] * dims[b + 1]
    return st


def _rate_row_offsets(model, gstride, lin, quad, noj_l, coll_l, ham_rows):
    """(offsets, where, bshift) of the rate rows: the sorted DIA offsets, offset -> row, and per block
    the largest digit change of a DIA term (the Hamiltonian's terms counted when ham_rows)."""
    shift = lambda b, q: DK[q] * gstride[b]  # noqa: E731  (row = column + shift)
    offs = set()
    if ham_rows:
        offs |= {-shift(b, q) for b, q, _ in lin}
        offs |= {-(shift(b, q) + shift(g, r)) for b, q, g, r, _ in quad}
    offs |= {sign * int(gstride[model.channels[l].block]) for l in noj_l for sign in (1, -1)}
    offs |= {o * int(gstride[model.channels[l].block]) for l in coll_l for o in range(-2, 3)}
    offsets = np.array(sorted(offs), dtype=np.int64)
    bshift = np.zeros(model.B, np.int64)
    for b, q, _ in lin:
        bshift[b] = max(bshift[b], abs(DK[q]))
    for b, q, g, r, _ in quad:
        if b == g:
            bshift[b] = max(bshift[b], abs(DK[q] + DK[r]))
        else:
            bshift[b], bshift[g] = max(bshift[b], abs(DK[q])), max(bshift[g], abs(DK[r]))
    for l in noj_l:
        bshift[model.channels[l].block] = max(bshift[model.channels[l].block], 1)
    for l in coll_l:
        bshift[model.channels[l].block] = 2
    return offsets, {o: d for d, o in enumerate(offsets)}, bshift


def _terms(lin, quad, gstride, where, ham_rows) -> Terms:
    """The Hamiltonian's Terms: by diagonals (rows `where` of the rate rows) when ham_rows, else
    matrix-free."""
    ints = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
    shift = lambda b, q: DK[q] * gstride[b]  # noqa: E731
    return Terms(
        lin_b=ints([t[0] for t in lin]), lin_q=ints([t[1] for t in lin]),
        lin_c=np.array([t[2] for t in lin], dtype=complex),
        lin_d=ints([where[-shift(b, q)] for b, q, _ in lin] if ham_rows else []),
        quad_b=ints([t[0] for t in quad]), quad_q=ints([t[1] for t in quad]),
        quad_g=ints([t[2] for t in quad]), quad_r=ints([t[3] for t in quad]),
        quad_c=np.array([t[4] for t in quad], dtype=complex),
        quad_d=ints([where[-(shift(b, q) + shift(g, r))] for b, q, g, r, _ in quad] if ham_rows else []),
        **_hamiltonian_table([] if ham_rows else lin, [] if ham_rows else quad, gstride))


def _channels(model, noj) -> Channels:
    ints = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
    return Channels(coef=np.array([c.components for c in model.channels], dtype=complex).reshape(-1, 4),
                    noj=noj, block=ints([c.block for c in model.channels]),
                    coll=ints([c.collective for c in model.channels]),
                    single=ints([_single_code(c) for c in model.channels]))


def compile_model(model, method: str = "auto", memory_limit: float = MEMORY_LIMIT,
                  tol: float = 1e-12):
    """The kernel arrays of `model`: a BandedPath, SeriesPath or DensePath. Method "auto" is "banded":
    z-only Deltas tabulated (BandedPath), the others as Chebyshev series (SeriesPath) accurate to `tol`
    max|Gamma_l| (the run's options.tol); "dense" gives the DensePath.

    The dense path refuses (MemoryLimitError) when building its matrices (BUILD_FACTOR times their
    size) would exceed `memory_limit` bytes (default: half of this machine's memory,
    trajectories.base.options.MEMORY_LIMIT)."""
    mode = _mode(model, method)
    sizes = model.sizes
    nk = np.array([n + 1 for n in sizes], dtype=np.int64)
    gstride = _strides(nk)
    grid = Grid(nb=np.array(sizes, dtype=float), nk=nk, gstride=gstride, G=int(np.prod(nk)))
    lin, quad = _hamiltonian_terms(model)
    noj = np.array([no_jump_components(c.matrix) for c in model.channels], dtype=complex).reshape(-1, 3)
    ch = _channels(model, noj)
    if mode == DENSE:
        sstride = _strides([n // 2 + 1 for n in sizes])
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by check_stiffness
            dense = _dense_tables(model, sstride, memory_limit)
        return DensePath(grid, _terms(lin, quad, gstride, {}, False), ch, dense)
    poly = set(polynomial_channels(model))
    noj_l = [l for l, c in enumerate(model.channels) if noj[l, 2] != 0 and not c.collective and l not in poly]
    coll_l = [l for l, c in enumerate(model.channels) if c.collective and l not in poly]
    # with quadratic terms (many per offset) the Hamiltonian is stored by diagonals with the rate rows,
    # else applied matrix-free (banded.py)
    ham_rows = bool(quad)
    offsets, where, bshift = _rate_row_offsets(model, gstride, lin, quad, noj_l, coll_l, ham_rows)
    gtab, adiag = _gamma_tables(model, poly)
    ints = lambda xs: np.array(xs, dtype=np.int64)  # noqa: E731
    at = lambda l, o: where[o * int(gstride[model.channels[l].block])]  # noqa: E731
    rates = Rates(gtab=gtab, adiag=adiag, offsets=offsets, bshift=bshift, noj_l=ints(noj_l),
                  noj_dp=ints([at(l, 1) for l in noj_l]), noj_dm=ints([at(l, -1) for l in noj_l]),
                  coll_l=ints(coll_l), coll_d=ints([[at(l, o) for o in range(-2, 3)] for l in coll_l]).reshape(-1, 5))
    terms = _terms(lin, quad, gstride, where, ham_rows)
    if not poly:
        return BandedPath(grid, terms, ch, rates)
    return SeriesPath(grid, terms, ch, rates, _polynomial_tables(model, gstride, tol, sorted(poly)))


def max_jump_rate(compiled) -> float:
    """An upper bound on the total jump rate <psi|A|psi> of any state, A = sum_l Gamma_l Q_l Gamma_l.

    Banded paths: A is the diagonal `adiag` plus the rate rows, bounded by the maximum of adiag over
    the grid and the norms of the rest. Dense path: A = i (H_eff - H_eff^+) per sector tuple,
    bounded by its largest absolute row sum (>= the largest eigenvalue of the Hermitian A)."""
    if isinstance(compiled, DensePath):
        return _dense_jump_rate(compiled.dense)
    rt, ch = compiled.rates, compiled.ch
    # the J_+- parts of non-diagonal Q_l add at most 2 |r| ||J_+|| max Gamma_l^2 to a row (an
    # overflow gives inf, which check_stiffness refuses)
    with np.errstate(over="ignore"):
        off = sum(2 * abs(ch.noj[l, 2]) * (compiled.grid.nb[ch.block[l]] + 1) / 2
                  * float(np.max(rt.gtab[l] ** 2)) for l in rt.noj_l)
        for l in rt.coll_l:  # ||Gamma S_o^+ S_o Gamma|| / N_b <= max Gamma^2 ||S_o||^2 / N_b
            off += float(np.max(rt.gtab[l] ** 2)) * no_jump_norm(compiled, l)
        if isinstance(compiled, SeriesPath):
            for p, l in enumerate(compiled.series.channel):  # max Gamma^2 ||Q_l|| of a polynomial channel
                off += compiled.series.max[p] ** 2 * no_jump_norm(compiled, l)
    return float(np.max(rt.adiag, initial=0.0)) + off


def _dense_jump_rate(dense: Dense) -> float:
    rates = [0.0]  # np.max keeps a NaN (an overflow in H_eff), which check_stiffness refuses
    ptr = dense.heff_ptr
    for s in range(len(ptr) - 1):
        block = dense.heff_data[ptr[s]:ptr[s + 1]]
        d = int(round(np.sqrt(block.size)))
        if d == 0:
            continue
        h = block.reshape(d, d)
        with np.errstate(over="ignore", invalid="ignore"):
            rates.append(float(np.max(np.sum(np.abs(1j * (h - h.conj().T)), axis=1))))
    return float(np.max(rates))


def no_jump_norm(compiled, l: int) -> float:
    """An upper bound on ||Q_l|| in every sector: |q_0| N_b + |q_z| N_b/2 + |r| (N_b + 1) for a local
    channel, ||S_o||^2 / N_b for a collective one."""
    ch = compiled.ch
    n = compiled.grid.nb[ch.block[l]]
    if ch.coll[l]:
        cp, cm, cz, c1 = np.abs(ch.coef[l])
        norm = (cp + cm) * (n + 1) / 2 + cz * n + c1 * n
        return float(norm * norm / n)
    q0, qz, r = np.abs(ch.noj[l])
    return float(q0 * n + qz * n / 2 + r * (n + 1))


def hamiltonian_norm(compiled, rate: float | None = None) -> float:
    """An upper bound on ||H_eff - c|| (1/time), which sets the no-jump step: the sum of |coefficient|
    times the operator norms of its ladder operators (||J_+-|| <= (N_b + 1)/2, ||J_z|| = N_b/2),
    plus half the largest total jump rate (`rate`, default max_jump_rate)."""
    nb, t = compiled.grid.nb, compiled.terms
    size = np.stack([(nb + 1) / 2, (nb + 1) / 2, nb / 2], axis=1)  # (B, 3)
    rate = max_jump_rate(compiled) if rate is None else rate
    with np.errstate(over="ignore"):
        lin = np.abs(t.lin_c) * size[t.lin_b, t.lin_q]
        quad = np.abs(t.quad_c) * size[t.quad_b, t.quad_q] * size[t.quad_g, t.quad_r]
        return float(np.sum(lin) + np.sum(quad) + rate / 2)


def check_stiffness(compiled, times, ntraj: int = 1, max_steps: float = MAX_STEPS,
                    limit: float = STIFF_JUMPS) -> float:
    """Expected jumps per trajectory (at most max_jump_rate * t_final), checked against the work of the
    run (work.check_work with the bounds max_jump_rate and hamiltonian_norm)."""
    span = float(np.max(times)) if len(times) else 0.0
    rate = max_jump_rate(compiled)
    return check_work(rate, hamiltonian_norm(compiled, rate), span, ntraj, max_steps, limit)
