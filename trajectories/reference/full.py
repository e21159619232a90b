"""Brute-force 2^N Lindblad reference (docs/theory.md §1), independent of the sector machinery.

Everything is built from Pauli matrices on the full 2^N space. Sites are ordered block by
block (block 0 holds sites 0..N_0-1, ...); site 0 is the most significant tensor factor
(np.kron order). Per-site basis (up, down): sigma_z|up> = +|up>, sigma_- = |down><up|.

    d rho/dt = -i[H, rho] + sum_l sum_k (J_lk rho J_lk^+ - 1/2 {J_lk^+ J_lk, rho}),
    J_lk = o_l^(k) Gamma_l(Delta_l),  Delta_l = c0_l + sum_g sum_a r_{l,g a} S_a^g / N_g.

The practical limit is N <= 10 (dense 2^N x 2^N density matrices; O(8^N) work per step when
some Delta has x/y parts, since Gamma(Delta) is then dense).
"""
from __future__ import annotations

import math
from functools import reduce

import numpy as np
import scipy.sparse as sp

from models.spin import PAULI_OPS
from ..base.checks import check_times, per_block
from ..base.errors import MemoryLimitError
from ..base.integration import integrate
from ..base.options import ODEOptions
from ..sectors.operators import hermitian_eigh
from ..sectors.states import CatState, CoherentState, DickeState, ProductState
from ..base.integration import check_generator, row_sum_norm

MAX_N = 10



def _check_size(N: int) -> None:
    if N > MAX_N:
        need = 16.0 * 30 * 4.0 ** N if N < 500 else math.inf
        raise MemoryLimitError(f"the brute-force 2^N reference is limited to N <= {MAX_N} (dense 2^N x 2^N "
                               f"matrices: ~{need / 2**30:.3g} GiB with the solver's stages), got N = {N}: "
                               "use method='sectors'", need, 16.0 * 4 ** MAX_N * 30)


def site_operator(op: np.ndarray, k: int, N: int) -> sp.csr_matrix:
    """The 2x2 matrix `op` acting on site k of N (site 0 most significant), sparse 2^N x 2^N."""
    return sp.kron(sp.kron(sp.identity(2 ** k), sp.csr_matrix(op)), sp.identity(2 ** (N - k - 1)),
                   format="csr")


def block_sites(sizes) -> list[range]:
    """The sites of every block: block b holds sum_{g<b} N_g, ..., sum_{g<=b} N_g - 1."""
    edges = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    return [range(edges[b], edges[b + 1]) for b in range(len(sizes))]


def collective_operators(sizes) -> list[list[sp.csr_matrix]]:
    """S[b][a] = sum_{k in block b} sigma_a^(k) (a = x, y, z), sparse 2^N x 2^N."""
    N = int(sum(sizes))
    return [[sum(site_operator(PAULI_OPS[a], k, N) for k in sites) for a in "xyz"]
            for sites in block_sites(sizes)]


def _dense(M) -> np.ndarray:
    return M.toarray() if sp.issparse(M) else np.asarray(M)


def _operator_function(values_fn, A: np.ndarray, name: str = "the matrix") -> np.ndarray:
    """f(A) = U diag(f(eigenvalues)) U^+ for a Hermitian matrix A."""
    w, U = hermitian_eigh(A, name)
    return (U * values_fn(w)) @ U.conj().T


def _factored(model):
    """(H, [(Gamma_l(Delta_l), [o_l^(k) for k in block]) per channel], S) on 2^N."""
    _check_size(model.N)
    N, sizes = model.N, model.sizes
    S = collective_operators(sizes)
    H = sp.csr_matrix((2 ** N, 2 ** N), dtype=complex)
    for b in range(model.B):
        for a in range(3):
            H = H + model.h[b, a] * S[b][a]
            for g in range(model.B):
                for c in range(3):
                    if model.J[b, g, a, c] != 0:
                        H = H + (model.J[b, g, a, c] / N) * (S[b][a] @ S[g][c])
    channels = []
    sites = block_sites(sizes)
    for l, ch in enumerate(model.channels):
        r = model.delta(l)
        Delta = ch.offset * sp.identity(2 ** N, dtype=complex, format="csr")
        for g in range(model.B):
            for a in range(3):
                if r[g, a] != 0:
                    Delta = Delta + (r[g, a] / sizes[g]) * S[g][a]
        Delta = sp.csr_matrix(Delta)
        Delta.eliminate_zeros()
        off = Delta - sp.diags(Delta.diagonal())
        if off.count_nonzero() == 0:  # diagonal Delta (only z): Gamma acts on the diagonal
            G = sp.diags(ch.amplitude(Delta.diagonal().real)).astype(complex).tocsr()
        else:
            G = _operator_function(ch.amplitude, Delta.toarray(), f"Delta of channels[{l}]")
        ops = [site_operator(ch.matrix, k, N) for k in sites[ch.block]]
        if ch.collective:   # the one jump operator S_o Gamma / sqrt(N_b)
            ops = [sp.csr_matrix(sum(ops) / np.sqrt(sizes[ch.block]))]
        channels.append((G, ops))
    return H.tocsr(), channels, S


def full_operators(model) -> tuple[np.ndarray, list[np.ndarray]]:
    """Dense 2^N Hamiltonian and jump operators J_lk = o_l^(k) Gamma_l(Delta_l) of a BlockModel.

    The jumps are listed channel by channel (model.channels order), and within a channel by
    site k of the channel's block (increasing k); a collective channel has the one jump operator
    S_o Gamma_l / sqrt(N_b).
    """
    H, channels, _ = _factored(model)
    return H.toarray(), [_dense(o @ G) for G, ops in channels for o in ops]


def _site_state(theta: float, phi: float) -> np.ndarray:
    return np.array([math.cos(theta / 2), np.exp(1j * phi) * math.sin(theta / 2)])


def _dicke_projector(n: int, j: float, m: float) -> np.ndarray:
    """Projector onto {J^2 = j(j+1), J_z = m} of n spins-1/2 (J = S/2), from eigendecompositions."""
    Jx, Jy, Jz = (0.5 * s.toarray() for s in collective_operators([n])[0])
    J2 = Jx @ Jx + Jy @ Jy + Jz @ Jz
    w, V = np.linalg.eigh(J2)
    V = V[:, np.abs(w - j * (j + 1)) < 1e-8]
    wz, W = np.linalg.eigh(V.conj().T @ Jz @ V)
    W = V @ W[:, np.abs(wz - m) < 1e-8]
    return W @ W.conj().T


def full_initial_density(state, sizes) -> np.ndarray:
    """The 2^N density matrix of an initial state of states.py for blocks of these sizes."""
    sizes = tuple(int(n) for n in sizes)
    N, B = sum(sizes), len(sizes)
    _check_size(N)
    if isinstance(state, CoherentState):
        th = per_block("theta", state.theta, B)
        ph = per_block("phi", state.phi, B)
        v = reduce(np.kron, [_site_state(th[b], ph[b]) for b in range(B) for _ in range(sizes[b])])
        return np.outer(v, v.conj())
    if isinstance(state, ProductState):
        r = state.bloch_vectors(sizes)
        one = [np.eye(2) / 2 + sum(r[b, i] * PAULI_OPS[a] for i, a in enumerate("xyz")) / 2 for b in range(B)]
        return reduce(np.kron, [one[b] for b in range(B) for _ in range(sizes[b])])
    if isinstance(state, DickeState):
        j, m = state.quantum_numbers(sizes)
        blocks = []
        for b in range(B):
            P = _dicke_projector(sizes[b], j[b], m[b])
            blocks.append(P / np.trace(P).real)
        return reduce(np.kron, blocks)
    if isinstance(state, CatState):
        v = np.zeros(2 ** N, dtype=complex)
        v[0] = v[-1] = 1 / math.sqrt(2)
        return np.outer(v, v.conj())
    raise ValueError(f"no 2^N representation for initial state {type(state).__name__}")


def _local_sandwich(out: np.ndarray, Y: np.ndarray, o: np.ndarray, k: int, N: int) -> None:
    """out += o^(k) Y o^(k)+ for a 2x2 matrix o on site k (tensor reshape, no 2^N matmul)."""
    shape = (2 ** k, 2, 2 ** (N - k - 1)) * 2
    out6, Y6 = out.reshape(shape), Y.reshape(shape)
    nz = list(zip(*np.nonzero(o)))
    for i, p in nz:
        for j, q in nz:
            out6[:, i, :, :, j, :] += (o[i, p] * np.conj(o[j, q])) * Y6[:, p, :, :, q, :]


def full_generator(model):
    """(rhs, norm): the 2^N Lindbladian as a function of flat (4^N,) vectors (any operator, not only a
    state; C-linear) and an upper bound on its norm (1/time)."""
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is refused by check_generator
        H, channels, _ = _factored(model)
    N, dim = model.N, H.shape[0]
    # effective Hamiltonian H - (i/2) sum_lk J_lk^+ J_lk; kept sparse when every Gamma is
    with np.errstate(over="ignore", invalid="ignore"):
        A = [G.conj().T @ (sum(o.conj().T @ o for o in ops) @ G) for G, ops in channels]
        Heff = H - 0.5j * sum(A) if all(sp.issparse(a) for a in A) else H.toarray() - 0.5j * sum(map(_dense, A))
    Heff_d = Heff.conj().T
    local = [(G, G.conj().T, ch.matrix, block_sites(model.sizes)[ch.block])
             for (G, _), ch in zip(channels, model.channels) if not ch.collective]
    collective = [(ops[0] @ G, (ops[0] @ G).conj().T) for (G, ops), ch in zip(channels, model.channels)
                  if ch.collective]

    def rhs(_, y):
        rho = y.reshape(dim, dim)
        out = -1j * (np.asarray(Heff @ rho) - np.asarray(rho @ Heff_d))
        for G, Gd, o, sites in local:
            Y = np.ascontiguousarray(np.asarray(G @ rho) @ Gd)
            for k in sites:
                _local_sandwich(out, Y, o, k, N)
        for Jc, Jcd in collective:
            out += np.asarray(Jc @ np.asarray(rho @ Jcd))
        return out.ravel()

    gammas = [row_sum_norm(G) for G, _, _, _ in local]
    norm = 2 * row_sum_norm(Heff) + sum(g * g * len(sites) for g, (_, _, _, sites) in zip(gammas, local))
    norm += sum(r * r for r in (row_sum_norm(Jc) for Jc, _ in collective))  # inf, not OverflowError
    return rhs, norm


def full_integrate(rhs, norm: float, X0: np.ndarray, times: np.ndarray,
                   options: ODEOptions = ODEOptions()) -> np.ndarray:
    """X(t) (T, 2^N, 2^N): the operator X0 evolved by the Lindbladian `rhs` to each of `times`."""
    check_generator(norm, float(times[-1]), "the 2^N solver", options.max_steps)
    Y = integrate(rhs, X0.ravel(), times, options, "Lindblad")
    return Y.T.reshape((len(times),) + X0.shape)


def full_evolve(model, state, times, options: ODEOptions = ODEOptions()) -> np.ndarray:
    """rho(t) (T, 2^N, 2^N) of the Lindblad equation from rho(0) = full_initial_density(state)."""
    t = check_times(times)
    rhs, norm = full_generator(model)
    rho0 = full_initial_density(state, model.sizes).astype(complex)
    return full_integrate(rhs, norm, rho0, t, options)


def full_populations(rhos: np.ndarray, sizes) -> np.ndarray:
    """(T, G) probabilities of the m_z-tuples on the grid (base/grid.py) from rho(t) (T, 2^N, 2^N):
    a basis state with d_b spins down in block b has k_b = N_b/2 - m_b = d_b."""
    N = int(sum(sizes))
    bits = (np.arange(2 ** N)[:, None] >> (N - 1 - np.arange(N))[None, :]) & 1   # 1 = down
    index = np.zeros(2 ** N, dtype=np.int64)
    for n, sites in zip(sizes, block_sites(sizes)):
        index = index * (n + 1) + bits[:, list(sites)].sum(axis=1)
    pops = np.zeros((len(rhos), math.prod(n + 1 for n in sizes)))
    np.add.at(pops.T, index, np.real(np.diagonal(rhos, axis1=1, axis2=2)).T)
    return pops


def full_moments(model, state, times, options: ODEOptions = ODEOptions(), populations: bool = False):
    """Exact block moments: (first (T, B, 3), second (T, B, 3, B, 3)), real.

    first[t, b, a] = tr(rho(t) m_a^b), second[t, b, a, g, c] = tr(rho(t) {m_a^b, m_c^g}/2),
    m_a^b = S_a^b / N_b, and with populations=True the (T, G) m_z-tuple probabilities
    (full_populations). Limited to N <= 10.
    """
    _check_size(model.N)
    rhos = full_evolve(model, state, times, options)
    B = model.B
    m = [S / n for Sb, n in zip(collective_operators(model.sizes), model.sizes) for S in Sb]
    # tr(rho X) = sum_pq rho_pq X_qp, and the symmetrised second moment is Re tr(rho m_i m_j)
    obs = sp.vstack([sp.csr_matrix(X.T.reshape(1, -1)) for X in m]
                    + [sp.csr_matrix((X @ Y).T.reshape(1, -1)) for X in m for Y in m]).tocsr()
    vals = np.real(np.stack([obs @ r.ravel() for r in rhos]))
    first = vals[:, :3 * B].reshape(-1, B, 3)
    second = vals[:, 3 * B:].reshape(-1, B, 3, B, 3)
    if populations:
        return first, second, full_populations(rhos, model.sizes)
    return first, second
