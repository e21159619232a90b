"""Exact density-matrix evolution in the total-spin sector representation (docs/theory.md §2).

A state invariant under permutations inside each block is rho = (+)_s rho_s (x) 1/d_s over the
sector tuples s = (2j_1, ..., 2j_B), and the reduced dynamics is an ordinary Lindblad equation
on (+)_s C^{dim s}:

    d rho_s/dt = -i (H_eff,s rho_s - rho_s H_eff,s^+) + sum_l sum_{s'} M rho_{s'} M^+,
    M = M_{l, s'->s} = K_{l, s'->s} Gamma_l(Delta_l)|_{s'},   H_eff = H - (i/2) sum_l Gamma_l Q_l Gamma_l.

All rho_s are stored row-major in one flat complex vector and integrated with
scipy.integrate.solve_ivp (DOP853). The right-hand side is split in two parts:

* a sparse Liouvillian L (one scipy.sparse matrix-vector product): the Hamiltonian is banded in
  the m_b (each block contributes at most a pentadiagonal band), and for channels whose Delta
  only involves z components Gamma is diagonal, so Gamma Q Gamma is diagonal and every jump term
  M rho M^+ is a scaled shift (kron(M, M^*) has one entry per row);
* for channels whose Delta has x or y components Gamma is a dense matrix: per tuple one product
  G rho (G = sum of their Gamma Q Gamma) and two products Gamma rho Gamma, after which the
  Kraus operators (one non-zero per row and column) act through one more sparse product.

Cost and limits. The state has n = sum_s dim(s)^2 entries (n = prod_b sum_{j_b} (2j_b+1)^2,
~ N^3/6 for one block); the sparse RHS costs O(n) per evaluation, dense Gammas add
O(sum_s dim(s)^3) ~ N^4/8. DOP853 at rtol 1e-12 needed ~800-1400 RHS evaluations for t in [0, 2]
(the Liouvillian's spectral radius is O(N), so this grows like N t). Measured wall times
(one block, h = (1, 0, 0.3), J_zz = 0.5, one sigma_- channel with rate 1 + Delta/2,
Delta = 0.5 m_z ["z"] or 0.5 m_x + 0.3 m_z ["x", dense Gamma], coherent initial state,
21 output times in [0, 2], OPENBLAS_NUM_THREADS=1, 2-core machine shared with other jobs):

    N      n        "z"      "x"
    20     1771     0.2 s    0.2 s
    40    12341     0.3 s    0.9 s
    80    91881     3.5 s    11 s
    120  302621     24 s     -

Two blocks (channels on both, cross-block Delta and J_zz): 10 + 10 spins (n = 81796) 2.6 s ("z"),
10 s ("x"); 12 + 12 (n = 207025) 10 s and 24 s.
With multi-threaded BLAS on the same (busy) machine everything was 3-8 times slower (N = 80:
18 s and 88 s): the work is many small products, so a single BLAS thread is recommended.
Practical range: one block up to N ~ 120 (only-z Delta) or N ~ 80 (x/y in Delta); two blocks
up to ~ 12 + 12. Memory (state, solver stages, stored output, sparse Liouvillian, dense Gammas)
is estimated up front by `memory_estimate`; above options.memory_limit (default half of the machine's
memory; 2 GiB allow, with 21 output times, one block of N ~ 175 or two blocks of 15 + 15) `sector_moments`
raises MemoryLimitError instead of running out of memory.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import scipy.sparse as sp

from models.spin import BlockModel
from ..base.checks import check_times
from ..base.errors import MemoryLimitError
from ..base.integration import integrate
from ..base.options import ODEOptions, memory_limit_advice
from ..sectors.dicke import dim_squares
from ..sectors.operators import SectorOperators, tuple_dim
from ..base.integration import check_generator, row_sum_norm


def reachable_spins(model: BlockModel, initial_spins) -> list:
    """Per block the 2j_b the dynamics can reach: all of a block with channels (a range), else the
    initial ones (`initial_spins`, per block, as InitialState.sector_spins)."""
    active = {ch.block for ch in model.channels}
    out = []
    for b, n in enumerate(model.sizes):
        initial = initial_spins[b]
        if b in active:
            out.append(range(n, -1, -2))
        else:
            out.append(initial if isinstance(initial, range) else sorted(set(initial), reverse=True))
    return out


def evolved_tuples(model: BlockModel, initial_spins) -> list[tuple[int, ...]]:
    """Tuples the dynamics can reach (the product of `reachable_spins`, block 0 slowest)."""
    return list(itertools.product(*reachable_spins(model, initial_spins)))


def _dense_channels(model: BlockModel) -> list[int]:
    """Channels whose Delta has x or y components (Gamma not diagonal)."""
    return [l for l in range(len(model.channels)) if np.any(model.delta(l)[:, :2] != 0)]


def memory_estimate(model: BlockModel, spins, n_times: int) -> int:
    """Upper estimate (bytes) of the memory `sector_moments` needs on the tuples of the per-block
    spin sets `spins` (`reachable_spins`); computed without enumerating the tuples."""
    n = math.prod(dim_squares(block) for block in spins)    # sum over tuples of dim^2
    B, nd = model.B, len(_dense_channels(model))
    # vectors: solver stages and dense output (~30); the output is held up to three times
    # (solve_ivp's interpolated pieces, their list and the stacked sol.y), measured peak ~2.5 T
    vectors = 16 * n * (3 * n_times + 30)
    # sparse Liouvillian: <= 2 (1 + 4B + 2B(B-1)) Hamiltonian + 3 per channel entries per row,
    # ~52 bytes per entry while assembling (COO triplets plus CSR)
    # a jump term kron(M, M^*) has (number of sigma_+, sigma_-, sigma_z parts of o)^2 entries per row,
    # for each of the three targets, plus one for the identity part's second j -> j operator
    nnz = n * (2 * (1 + 4 * B + 2 * B * (B - 1)) + sum(_kraus_entries(ch) for ch in model.channels))
    # dense channels: Gamma per tuple, G, the Gamma rho Gamma workspace
    dense = 16 * n * (2 * nd + 1) if nd else 0
    return int(vectors + 52 * nnz + dense)


def _kraus_entries(channel) -> int:
    """Entries per row of the jump terms of one channel (memory_estimate)."""
    c = channel.components
    parts = int(np.count_nonzero(c[:3]))
    return 3 * parts * parts + int(c[3] != 0)


class SectorLindbladian:
    """The reduced Lindbladian of `model` on the given tuples, acting on flat vectors."""

    def __init__(self, model: BlockModel, tuples):
        self.model = model
        self.ops = ops = SectorOperators(model)
        self.tuples = list(tuples)
        self.dims = [tuple_dim(s) for s in self.tuples]
        sizes = [d * d for d in self.dims]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.n = int(self.offsets[-1])
        index = {s: i for i, s in enumerate(self.tuples)}
        dense = _dense_channels(model)
        diag = [l for l in range(len(model.channels)) if l not in dense]

        pieces, kraus_pieces = [], []        # (target index, source index, sparse superoperator)
        self.G, self.Gammas = [], []          # dense parts, per tuple
        for i, s in enumerate(self.tuples):
            d = self.dims[i]
            gam = {l: ops.gamma(s, l) for l in range(len(model.channels))}
            Heff = ops.hamiltonian(s)
            for l in diag:
                Heff -= 0.5j * gam[l] @ ops.no_jump(s, l) @ gam[l]
            Hs, eye = sp.csr_matrix(Heff), sp.identity(d, format="csr")
            pieces.append((i, i, -1j * (sp.kron(Hs, eye) - sp.kron(eye, Hs.conj()))))
            if dense:
                self.G.append(sum(gam[l] @ ops.no_jump(s, l) @ gam[l] for l in dense))
                self.Gammas.append([gam[l] for l in dense])
            for l in range(len(model.channels)):
                for dj in (1, 0, -1):
                    t = ops.target(s, l, dj)
                    if t is None or t not in index:
                        continue
                    for K in ops.kraus(s, l, dj):
                        if not np.any(K):
                            continue
                        if l in diag:
                            M = sp.csr_matrix(K @ gam[l])
                            pieces.append((index[t], i, sp.kron(M, M.conj())))
                        else:
                            Ks = sp.csr_matrix(K)
                            kraus_pieces.append((dense.index(l), index[t], i, sp.kron(Ks, Ks.conj())))
        self.L = self._assemble(pieces, self.n)
        self.n_dense = len(dense)
        # P maps the stacked vectors vec(Gamma_l rho_s Gamma_l), l in dense, to the jump terms
        self.P = self._assemble([(t, len(self.tuples) * k + src, op) for k, t, src, op in kraus_pieces],
                                self.n, self.n * len(dense), src_period=len(self.tuples))

    def _assemble(self, pieces, n_rows, n_cols=None, src_period=None):
        rows, cols, vals = [], [], []
        for t, src, op in pieces:
            op = op.tocoo()
            col_off = self.offsets[src] if src_period is None else (
                (src // src_period) * self.n + self.offsets[src % src_period])
            rows.append(op.row + self.offsets[t])
            cols.append(op.col + col_off)
            vals.append(op.data)
        if not rows:
            return sp.csr_matrix((n_rows, n_cols or n_rows), dtype=complex)
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(n_rows, n_cols or n_rows), dtype=complex)

    def norm(self) -> float:
        """An upper bound on the norm of the Lindbladian (1/time): row sums of its sparse part plus,
        for channels with x/y parts in Delta, ||G|| and ||P|| max ||Gamma||^2."""
        norm = row_sum_norm(self.L)
        if self.n_dense:
            gammas = max((row_sum_norm(g) for gs in self.Gammas for g in gs), default=0.0)
            with np.errstate(over="ignore"):
                norm += max(map(row_sum_norm, self.G), default=0.0) + row_sum_norm(self.P) * gammas * gammas
        return norm

    def blocks(self, y):
        """Views rho_s (dim x dim) into the flat vector y."""
        return [y[o:o + d * d].reshape(d, d) for o, d in zip(self.offsets, self.dims)]

    def __call__(self, t, y):
        out = self.L @ y
        if self.n_dense:
            Y = np.empty((self.n_dense, self.n), dtype=complex)
            for i, r in enumerate(self.blocks(y)):
                o, d = self.offsets[i], self.dims[i]
                # both products: the map must stay C-linear (a non-Hermitian round-off part of
                # rho would otherwise grow under -[G, .]/2)
                out[o:o + d * d] -= 0.5 * (self.G[i] @ r + r @ self.G[i]).ravel()
                for k, g in enumerate(self.Gammas[i]):
                    Y[k, o:o + d * d] = (g @ r @ g).ravel()
            out += self.P @ Y.ravel()
        return out

    def observables(self, make) -> sp.csr_matrix:
        """Sparse W (n x K) with column k = (+)_s vec(O_k(s)^T), so that tr(rho O_k) = (W^T y)_k.

        `make(s)` returns the list of the K dense operators O_k on the tuple s."""
        rows, cols, vals = [], [], []
        for i, s in enumerate(self.tuples):
            for k, O in enumerate(make(s)):
                O = sp.coo_matrix(O)  # O[r, c] multiplies rho[c, r], flat index c * dim + r
                rows.append(O.col * self.dims[i] + O.row + self.offsets[i])
                cols.append(np.full(O.nnz, k))
                vals.append(O.data)
        K = k + 1
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=(self.n, K), dtype=complex)


def initial_vector(lind: SectorLindbladian, rho0: dict) -> np.ndarray:
    """The flat vector of the sector densities rho0 = {tuple: rho_s} (missing tuples are zero)."""
    y0 = np.zeros(lind.n, dtype=complex)
    index = {s: i for i, s in enumerate(lind.tuples)}
    for key, rho in rho0.items():
        key = tuple(int(k) for k in key)
        if key not in index:
            raise ValueError(f"initial state has sector {key}, not a sector tuple of sizes "
                             f"{lind.model.sizes}")
        i, d = index[key], lind.dims[index[key]]
        rho = np.asarray(rho)
        if rho.shape != (d, d):
            raise ValueError(f"initial rho for sector {key} must be {d}x{d}, got {rho.shape}")
        y0[lind.offsets[i]:lind.offsets[i] + d * d] = rho.ravel()
    return y0


def check_memory(model: BlockModel, spins, n_times: int, options: ODEOptions) -> None:
    """MemoryLimitError before anything is built when `memory_estimate` exceeds options.memory_limit."""
    need = memory_estimate(model, reachable_spins(model, spins), n_times)
    max_bytes = options.memory_limit
    if need > max_bytes:
        raise MemoryLimitError(f"the sector solver would need ~{need / 2**30:.3g} GiB for sizes {model.sizes} "
                               f"({n_times} output times), above options.memory_limit = "
                               f"{max_bytes / 2**30:.3g} GiB: use fewer spins or output times, "
                               f"{memory_limit_advice(need)}", need, max_bytes)


def propagate(lind: SectorLindbladian, y0: np.ndarray, times: np.ndarray, options: ODEOptions) -> np.ndarray:
    """Y (n, T): the flat vector y0 (any operator, not only a state) evolved by the time-independent
    reduced Lindbladian to each of `times` (measured from y0's time)."""
    check_generator(lind.norm(), float(times[-1]), "the sector solver", options.max_steps)
    return integrate(lind, y0, times, options, "sector Lindblad")


def sector_evolve(model: BlockModel, state, times, options: ODEOptions = ODEOptions(),
                  extra_times: int = 0) -> tuple[SectorLindbladian, np.ndarray]:
    """Integrate the reduced Lindblad equation: (lind, Y) with Y[:, t] the flat state at times[t].

    `lind.blocks(Y[:, t])` gives the rho_s in the order of `lind.tuples`; arguments as in
    `sector_moments`; `extra_times` output times of later integrations count in the memory check.
    """
    times = check_times(times)
    spins = state.sector_spins(model.sizes)
    check_memory(model, spins, times.size + extra_times, options)
    rho0 = state.sector_density(model.sizes)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by check_generator
        lind = SectorLindbladian(model, evolved_tuples(model, spins))
    return lind, propagate(lind, initial_vector(lind, rho0), times, options)


def tuple_grid_index(sizes, s) -> np.ndarray:
    """Global-layout index (base/grid.py) of each basis state |m_1> (x) ... (x) |m_B> of tuple s
    (kron order, m_b = j_b .. -j_b), shape (dim s,)."""
    index = np.zeros(1, dtype=np.int64)
    for n, t in zip(sizes, s):
        ks = np.arange((n - t) // 2, (n + t) // 2 + 1)
        index = (index[:, None] * (n + 1) + ks[None, :]).ravel()
    return index


def sector_populations(lind: SectorLindbladian, Y: np.ndarray) -> np.ndarray:
    """(T, G) probabilities of the m_z-tuples on the grid: sum over tuples of diag rho_s(t)."""
    sizes = lind.model.sizes
    G = math.prod(n + 1 for n in sizes)
    pops = np.zeros((Y.shape[1], G))
    for o, d, s in zip(lind.offsets, lind.dims, lind.tuples):
        diag = Y[o + np.arange(d) * (d + 1)].real        # (d, T)
        np.add.at(pops.T, tuple_grid_index(sizes, s), diag)
    return pops


def sector_moments(model: BlockModel, state, times, options: ODEOptions = ODEOptions(),
                   populations: bool = False) -> tuple[np.ndarray, ...]:
    """Exact <m_a^b>(t) and symmetrised <m_a^b m_c^g>(t) from the sector-reduced Lindblad equation.

    Parameters
    ----------
    model : BlockModel (or SpinModel)
    state : InitialState with `sector_density(sizes)`
    times : 1D strictly increasing array, times[0] >= 0 (the state is the one at t = 0)
    options : ODEOptions (DOP853 tolerances; memory_limit: refuse with MemoryLimitError when the
        memory estimate exceeds it)

    Returns
    -------
    first : (T, B, 3) real, first[t, b, a] = tr(rho(t) m_a^b)
    second : (T, B, 3, B, 3) real, second[t, b, a, g, c] = Re tr(rho(t) m_a^b m_c^g)
    populations : (T, G) the m_z-tuple probabilities (sector_populations), with populations=True
    """
    lind, Y = sector_evolve(model, state, times, options)
    first, second, pops = moments_of(lind, Y)
    return (first, second, pops) if populations else (first, second)


def moments_of(lind: SectorLindbladian, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(first (T, B, 3), second (T, B, 3, B, 3), populations (T, G)) of the flat states Y (n, T),
    in the conventions of sector_moments."""
    model = lind.model
    B, ops = model.B, lind.ops
    sizes = np.array(model.sizes, dtype=float)

    def averages(s):
        return [sp.csr_matrix(ops.collective(s, b, a)) / sizes[b] for b in range(B) for a in range(3)]

    def products(s):
        m = averages(s)
        return [x @ y for x in m for y in m]

    first = (lind.observables(averages).T @ Y).real.T.reshape(-1, B, 3)
    second = (lind.observables(products).T @ Y).real.T.reshape(-1, B, 3, B, 3)
    return first, second, sector_populations(lind, Y)
