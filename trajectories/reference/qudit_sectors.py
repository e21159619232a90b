"""Exact evolution of a QuditModel in the irreps of U(d) (docs/theory.md §16, §17).

A permutation-invariant state of N d-level particles is rho = (+)_lam rho_lam (x) 1/f_lam over the
partitions lam of N with at most d rows, and the master equation of a QuditModel closes on the
blocks rho_lam (dim V_lam)^2:

    d rho_lam/dt = -i (H_eff rho_lam - rho_lam H_eff^+) + sum_l sum_{lam', mu} M rho_lam' M^+,
    H_eff = H - (i/2) sum_l Gamma_l Q_l Gamma_l  (local)  - (i/2) sum_l L_l^+ L_l  (collective),
    M = K_{lam <- lam', mu} Gamma_l(Delta_l)|_lam'  (local; K from `symmetry.unitary.kraus_operators`),
    M = L_l = (1/sqrt N) sum_ab (j_l)_ab E_ab Gamma_l  (collective; inside lam).

The operators on each irrep, and the single-site frame in which they are built (every Delta
diagonal when the Deltas commute), come from sectors/irreps.py. The moments are those of the
rotated basis v_a, so nothing is reported in the rotated frame. When the Deltas do not commute, the
channels whose Delta is not diagonal get a dense Gamma_l per irrep, which costs O(dim^3) per
evaluation.

The state lives in one flat complex vector (blocks row-major, in `partitions` order). The right-hand
side is matrix-free: per irrep one sparse-dense product H_eff rho (the commutator part is
X + X^+ with X = -i H_eff rho, exact for Hermitian rho) and two per Kraus operator. DOP853 runs from
one output time to the next, so only the current state and the moments are kept.

Sizes: n = sum_lam (dim V_lam)^2 complex numbers per vector (d = 3: 4.4e4 at N = 10, 3.1e6 at
N = 20, 4.9e7 at N = 30; d = 4: 4.9e5 at N = 8, 1.7e7 at N = 12); `memory_estimate` refuses
up front what exceeds options.memory_limit.
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from models.qudit import QuditModel
from ..base.checks import check_density, check_times
from ..base.errors import MemoryLimitError
from ..base.integration import integrate_measured
from ..base.options import ODEOptions, memory_limit_advice
from ..sectors.irreps import IrrepModel
from ..symmetry import unitary
from ..base.integration import check_generator, row_sum_norm

#: state-sized vectors held at once (DOP853's 13 stages, y, f, the error estimate and its temporaries,
#: the dense output at an output time; measured peak ~35)
VECTORS = 40


class QuditSectorLindbladian:
    """The reduced Lindbladian of a QuditModel on its irreps, acting on flat vectors.

    Parameters
    ----------
    irrep_model : IrrepModel (the model in its solver frame, sectors/irreps.py)
    initial : partitions holding the initial state; the irreps are those reachable from them by the
        local channels' Kraus operators (all of them when o_l mixes every level)
    """

    def __init__(self, irrep_model: IrrepModel, initial):
        self.irrep_model = irrep_model
        self.model = irrep_model.model
        self.irreps = irrep_model.reachable(initial)
        self.index = {lam: i for i, lam in enumerate(self.irreps)}
        self.dims = [unitary.weyl_dimension(lam) for lam in self.irreps]
        self.offsets = np.concatenate([[0], np.cumsum([d * d for d in self.dims])]).astype(np.int64)
        self.n = int(self.offsets[-1])
        self.ops = [irrep_model.operators(lam, keep=self.index.__contains__) for lam in self.irreps]

    def blocks(self, y: np.ndarray) -> list[np.ndarray]:
        """Views rho_lam (dim, dim) into the flat vector y, in the order of `irreps`."""
        return [y[o:o + d * d].reshape(d, d) for o, d in zip(self.offsets, self.dims)]

    def __call__(self, _t, y: np.ndarray) -> np.ndarray:
        """d y/dt = L(y) for a Hermitian state y (flat, (n,)); the output is exactly Hermitian.

        Each product is computed once, as for Hermitian y (H_eff rho - rho H_eff^+ = X + X^+ with
        X = -i H_eff rho; M rho M^+ = M (M rho)^+), and the jump terms are symmetrised, so the map is
        L(Herm y): a round-off anti-Hermitian part of y neither feeds back nor grows."""
        out = np.zeros_like(y)
        rho, drho = self.blocks(y), self.blocks(out)
        for i, r in enumerate(rho):
            for jump in self.ops[i].jumps:
                Y = r if jump.G is None else jump.G @ r @ jump.G.conj().T
                for target, M in jump.targets:
                    drho[self.index[target]] += M @ (M @ Y).conj().T
        for i, r in enumerate(rho):
            X = drho[i] / 2 - 1j * np.asarray(self.ops[i].heff @ r)
            np.add(X, X.conj().T, out=drho[i])
        return out

    def norm(self) -> float:
        """An upper bound on the generator's norm (1/time): per irrep 2 ||H_eff|| plus the jump terms'
        ||M||_1 ||M||_inf ||G||^2."""
        worst = 0.0
        for ops in self.ops:
            total = 2 * row_sum_norm(ops.heff)
            for jump in ops.jumps:
                g = 1.0 if jump.G is None else row_sum_norm(jump.G) ** 2
                total += g * sum(row_sum_norm(M) * row_sum_norm(M.T) for _, M in jump.targets)
            worst = max(worst, total)
        return worst


# ----------------------------------------------------------------------------- states and moments

def initial_blocks(irrep_model: IrrepModel, state) -> dict:
    """{lam: rho_lam} of the initial state in the solver's frame W: from a (d, d) single-site density
    matrix (the product state rho_1^(x)N) or a dict {partition: (dim, dim) block} in the model's frame."""
    model, W = irrep_model.model, irrep_model.W
    d, N = model.d, model.N
    if isinstance(state, dict):
        out = {}
        for key, rho in state.items():
            lam = tuple(int(k) for k in key)
            if len(lam) != d or sum(lam) != N or list(lam) != sorted(lam, reverse=True) or min(lam) < 0:
                raise ValueError(f"state has key {key!r}, not a partition of N = {N} into {d} parts")
            dim = unitary.weyl_dimension(lam)
            rho = np.asarray(rho, dtype=complex)
            if rho.shape != (dim, dim):
                raise ValueError(f"state[{lam}] must be {dim} x {dim}, got {rho.shape}")
            out[lam] = rho if np.allclose(W, np.eye(d)) else _rotate(lam, rho, W)
        check_density("state (the sum of the blocks)", _block_diag(out))
        return out
    rho1 = np.asarray(state)
    if rho1.shape != (d, d):
        raise ValueError(f"state must be a ({d}, {d}) single-site density matrix or a dict of irrep blocks, "
                         f"got shape {rho1.shape}")
    rho1 = rho1.astype(complex)
    check_density("state", rho1)
    rho1 = irrep_model.rotate(rho1)
    p = np.linalg.eigvalsh(rho1)
    probs = unitary.product_sector_probabilities(N, np.clip(p, 0, None) / np.clip(p, 0, None).sum())
    return {lam: unitary.product_state_block(lam, rho1)
            for lam, prob in zip(unitary.partitions(N, d), probs) if prob > 0}


def _rotate(lam, rho: np.ndarray, W: np.ndarray) -> np.ndarray:
    """pi(W^+) rho pi(W): a block of the model's frame in the frame W."""
    A = unitary.group_action(lam, W.conj().T, rho)
    return unitary.group_action(lam, W.conj().T, A.conj().T).conj().T


def _block_diag(blocks: dict) -> np.ndarray:
    """The blocks side by side (for the density check of a dict state)."""
    return scipy.linalg.block_diag(*blocks.values())


def moment_observables(lind: QuditSectorLindbladian) -> sp.csr_matrix:
    """Sparse O (K, n), K = d^2 + d^2 (d^2 + 1)/2: rows tr(rho M_a) and tr(rho M_a M_b) (a <= b) of a flat
    state, M_a = V_a / N in the solver's frame."""
    N, nb = lind.model.N, lind.model.d ** 2
    pairs = [(a, b) for a in range(nb) for b in range(a, nb)]
    rows, cols, vals = [], [], []
    for ops, o, dim in zip(lind.ops, lind.offsets, lind.dims):
        M = [V / N for V in ops.V]
        for k, O in enumerate(M + [M[a] @ M[b] for a, b in pairs]):
            O = O.tocoo()                      # tr(rho O) = sum rho[r, c] O[c, r]
            rows.append(np.full(O.nnz, k))
            cols.append(o + O.col * dim + O.row)
            vals.append(O.data)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(nb + len(pairs), lind.n))


def _unpack(values: np.ndarray, nb: int) -> tuple[np.ndarray, np.ndarray]:
    """(mean (d^2, T), second (d^2, d^2, T), the real part of the symmetrised products) from the rows of
    `moment_observables` (K, T)."""
    mean = values[:nb].real
    second = np.zeros((nb, nb, values.shape[1]))
    k = nb
    for a in range(nb):
        for b in range(a, nb):
            second[a, b] = second[b, a] = values[k].real
            k += 1
    return mean, second


# ----------------------------------------------------------------------------- memory and driver

def memory_estimate(model: QuditModel, irrep_model: IrrepModel | None = None) -> int:
    """Upper estimate (bytes) of what `qudit_sector_moments` needs: all partitions of N into d parts
    (the reachable ones are a subset), VECTORS flat vectors, dense Gammas, the sparse operators."""
    irrep_model = IrrepModel(model) if irrep_model is None else irrep_model
    dims = [unitary.weyl_dimension(lam) for lam in unitary.partitions(model.N, model.d)]
    n, total_dim = sum(x * x for x in dims), sum(dims)
    dense = sum(irrep_model.dense)
    d2 = model.d ** 2
    # sparse operators (~16 + 4 bytes per entry): H_eff, Kraus and moment rows, <= d^4 entries per row each
    sparse = 20 * total_dim * d2 * d2 * (2 + 2 * len(model.channels))
    return int(16 * n * (VECTORS + 3 * dense) + sparse)


def check_memory(irrep_model: IrrepModel, options: ODEOptions) -> None:
    """MemoryLimitError before anything is built when `memory_estimate` exceeds options.memory_limit."""
    model = irrep_model.model
    need = memory_estimate(model, irrep_model)
    if need > options.memory_limit:
        raise MemoryLimitError(
            f"the qudit sector solver would need ~{need / 2**30:.3g} GiB for N = {model.N}, d = {model.d}, "
            f"above options.memory_limit = {options.memory_limit / 2**30:.3g} GiB: use fewer particles, "
            f"{memory_limit_advice(need)}", need, options.memory_limit)


def qudit_sector_moments(model: QuditModel, state, times, options: ODEOptions = ODEOptions(),
                         irreps: bool = False):
    """Exact moments of the average operators of a QuditModel from the irrep-reduced master equation.

    Parameters
    ----------
    model : QuditModel
    state : (d, d) single-site density matrix (the product state rho_1^(x)N), or a dict
        {partition of N into d parts: (dim, dim) block rho_lam} in the model's single-site basis
    times : (T,) strictly increasing output times >= 0
    options : ODEOptions (DOP853 tolerances; memory_limit)
    irreps : also return the irrep probabilities

    Returns
    -------
    mean : (d^2, T), omega_t(m_alpha) in the model's basis
    second : (d^2, d^2, T), omega_t((m_a m_b + m_b m_a)/2)
    (partitions, probabilities (P, T)) with irreps=True: the irreps and tr rho_lam(t)
    """
    if not isinstance(model, QuditModel):
        raise ValueError(f"model must be a QuditModel, got {type(model).__name__}")
    times = check_times(times)
    irrep_model = IrrepModel(model)
    check_memory(irrep_model, options)
    blocks = initial_blocks(irrep_model, state)
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by check_generator
        lind = QuditSectorLindbladian(irrep_model, list(blocks))
    y0 = np.zeros(lind.n, dtype=complex)
    views = lind.blocks(y0)
    for lam, rho in blocks.items():
        views[lind.index[lam]][...] = rho
    check_generator(lind.norm(), float(times[-1]), "the qudit sector solver")
    O = moment_observables(lind)
    trace_rows = _trace_rows(lind)
    measured = integrate_measured(lind, y0, times, options, "qudit sector Lindblad",
                                  lambda y: np.concatenate([O @ y, trace_rows @ y]))
    K = O.shape[0]
    mean, second = _unpack(measured[:K], model.d ** 2)
    if irreps:
        return mean, second, (list(lind.irreps), measured[K:].real)
    return mean, second


def _trace_rows(lind: QuditSectorLindbladian) -> sp.csr_matrix:
    """Sparse (P, n): row p gives tr rho_lam of the p-th irrep."""
    rows, cols = [], []
    for p, (o, dim) in enumerate(zip(lind.offsets, lind.dims)):
        rows.append(np.full(dim, p))
        cols.append(o + np.arange(dim) * (dim + 1))
    return sp.csr_matrix((np.ones(sum(lind.dims)), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(len(lind.dims), lind.n))
