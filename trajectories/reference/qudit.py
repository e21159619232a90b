"""Brute-force d^N Lindblad reference for QuditModel (docs/theory.md §6), for d^N up to a few hundred.

    d rho/dt = -i[H, rho] + sum_l sum_k (J_lk rho J_lk^+ - 1/2 {J_lk^+ J_lk, rho}),
    H = sum_k eps . v^(k) + (1/N) sum_{k,j} h_ab v_a^(k) v_b^(j)   (k = j included),
    J_lk = j_l^(k) Gamma_l(Delta_l),  Delta_l = sum_alpha r_{l alpha} M_alpha,  M_alpha = (1/N) sum_k v_alpha^(k),

with Gamma_l applied as an operator function (eigendecomposition of the Hermitian Delta_l). Sites in
np.kron order (site 0 most significant). Returns omega_t(M_alpha) (d^2, T) and the symmetrised
second moments omega_t((M_a M_b + M_b M_a)/2) (d^2, d^2, T) (docs/theory.md §6).
Independent of the representation theory of the irrep solver (reference/qudit_sectors.py), which
it checks. A problem whose `memory_estimate` exceeds options.memory_limit is refused up front.
"""
from __future__ import annotations

from functools import reduce

import numpy as np

from models.qudit import QuditModel
from ..base.checks import check_density, check_times
from ..base.errors import MemoryLimitError
from ..base.integration import integrate
from ..base.options import ODEOptions, memory_limit_advice
from ..base.integration import check_generator, row_sum_norm


def memory_estimate(model: QuditModel, n_times: int) -> int:
    """Upper estimate (bytes) of what `qudit_moments` holds: the d^2 average operators, one dense
    operator per channel and the Hamiltonian, DOP853's ~30 vectors and the output (kept ~3 times),
    all (d^N)^2 complex."""
    D2 = float(model.d ** model.N) ** 2
    return int(16 * D2 * (model.d ** 2 + 2 * len(model.channels) + 8 + 30 + 3 * n_times))


def site_op(op: np.ndarray, k: int, N: int) -> np.ndarray:
    d = op.shape[0]
    return np.kron(np.kron(np.eye(d ** k), op), np.eye(d ** (N - k - 1)))


def average_operators(model: QuditModel) -> np.ndarray:
    """M_alpha = (1/N) sum_k v_alpha^(k), (d^2, d^N, d^N)."""
    return np.array([sum(site_op(v, k, model.N) for k in range(model.N)) / model.N for v in model.basis])


def qudit_initial_density(model: QuditModel, state) -> np.ndarray:
    """rho_1^(x)N from a (d, d) single-site density matrix, or a full (d^N, d^N) density matrix."""
    d, N = model.d, model.N
    rho = np.asarray(state)
    if rho.shape == (d, d):
        check_density("state", rho.astype(complex))
        return reduce(np.kron, [rho.astype(complex)] * N)
    if rho.shape == (d ** N, d ** N):
        check_density("state", rho.astype(complex))
        return rho.astype(complex)
    raise ValueError(f"state must be a ({d}, {d}) single-site or ({d ** N}, {d ** N}) density matrix, "
                     f"got shape {rho.shape}")


def qudit_generator(model: QuditModel):
    """(H_eff (D, D), [(Gamma_l(Delta_l) (D, D), j_l (d, d))] of the local channels, [L_l (D, D)] of the
    collective ones, L_l = (1/sqrt(N)) sum_k j_l^(k) Gamma_l) on the d^N space, D = d^N."""
    N = model.N
    M = average_operators(model)
    K = np.tensordot(model.h, M, axes=(1, 0))               # K_a = sum_b h_ab M_b
    H = N * (np.tensordot(model.eps, M, axes=(0, 0)) + sum(M[a] @ K[a] for a in range(model.d ** 2)))
    Heff = H.astype(complex)
    gammas, collective = [], []
    for ch in model.channels:
        Delta = np.einsum("a,aij->ij", ch.r, M)
        w, U = np.linalg.eigh((Delta + Delta.conj().T) / 2)
        G = (U * ch.amplitude(w)) @ U.conj().T
        if ch.collective:
            L = sum(site_op(ch.op, k, N) for k in range(N)) @ G / np.sqrt(N)
            Heff = Heff - 0.5j * (L.conj().T @ L)
            collective.append(L)
            continue
        Q = sum(site_op(ch.op.conj().T @ ch.op, k, N) for k in range(N))   # sum_k j^(k)+ j^(k)
        Heff = Heff - 0.5j * (G.conj().T @ Q @ G)
        gammas.append((G, ch.op))
    return Heff, gammas, collective


def _local_jumps(out: np.ndarray, Y: np.ndarray, op: np.ndarray, d: int, N: int) -> None:
    """out += sum_k j^(k) Y j^(k)+ by a tensor reshape (no d^N products)."""
    nz = list(zip(*np.nonzero(op)))
    for k in range(N):
        shape = (d ** k, d, d ** (N - k - 1)) * 2
        Y6, out6 = Y.reshape(shape), out.reshape(shape)
        for i, p in nz:
            for j, q in nz:
                out6[:, i, :, :, j, :] += (op[i, p] * np.conj(op[j, q])) * Y6[:, p, :, :, q, :]


def qudit_moments(model: QuditModel, state, times, options: ODEOptions = ODEOptions()):
    """Exact moments of the average operators of a QuditModel on the full d^N space (d^N <= 300).

    Returns mean (d^2, T), omega_t(M_alpha), and second (d^2, d^2, T), omega_t((M_a M_b + M_b M_a)/2).
    """
    if not isinstance(model, QuditModel):
        raise ValueError(f"model must be a QuditModel, got {type(model).__name__}")
    d, N = model.d, model.N
    dim = d ** N
    times = check_times(times)
    need = memory_estimate(model, times.size)
    if need > options.memory_limit:
        raise MemoryLimitError(
            f"the d^N reference would need ~{need / 2**30:.3g} GiB for {d}^{N} = {dim} states, above "
            f"options.memory_limit = {options.memory_limit / 2**30:.3g} GiB: use method='sectors' (the irrep "
            f"solver) or fewer particles, {memory_limit_advice(need)}", need, options.memory_limit)
    rho0 = qudit_initial_density(model, state)
    Heff, gammas, collective = qudit_generator(model)
    Heff_d = Heff.conj().T
    norm = 2 * row_sum_norm(Heff) + sum(N * row_sum_norm(G) ** 2 * row_sum_norm(op) ** 2 for G, op in gammas) \
        + sum(row_sum_norm(L) ** 2 for L in collective)
    check_generator(norm, float(times[-1]), "the d^N reference", options.max_steps)

    def rhs(_t, y):
        rho = y.reshape(dim, dim)
        out = -1j * (Heff @ rho - rho @ Heff_d)
        for G, op in gammas:
            _local_jumps(out, G @ rho @ G.conj().T, op, d, N)
        for L in collective:
            out += L @ rho @ L.conj().T
        return out.ravel()

    rhos = integrate(rhs, rho0.ravel(), times, options, "d^N Lindblad").T.reshape(-1, dim, dim)
    M = average_operators(model)
    mean = np.einsum("aij,tji->at", M, rhos).real
    second = np.stack([np.einsum("aij,bji->ab", M, M @ rho, optimize=True).real    # tr(M_a M_b rho)
                       for rho in rhos], axis=-1)
    return mean, (second + second.transpose(1, 0, 2)) / 2
