"""Brute-force d^N Lindblad reference for QuditModel (docs/theory.md §6), for d^N <= MAX_DIM.

    d rho/dt = -i[H, rho] + sum_l sum_k (J_lk rho J_lk^+ - 1/2 {J_lk^+ J_lk, rho}),
    H = sum_k eps . v^(k) + (1/N) sum_{k,j} h_ab v_a^(k) v_b^(j)   (k = j included),
    J_lk = j_l^(k) Gamma_l(Delta_l),  Delta_l = sum_alpha r_{l alpha} M_alpha,  M_alpha = (1/N) sum_k v_alpha^(k),

with Gamma_l applied as an operator function (eigendecomposition of the Hermitian Delta_l). Sites in
np.kron order (site 0 most significant). Returns omega_t(M_alpha) (d^2, T) and the symmetrised
second moments omega_t((M_a M_b + M_b M_a)/2) (d^2, d^2, T) (docs/theory.md §6).
"""
from __future__ import annotations

from functools import reduce

import numpy as np

from models.qudit import QuditModel
from ..base.checks import check_density, check_times
from ..base.errors import MemoryLimitError
from ..base.integration import integrate
from ..base.options import ODEOptions

MAX_DIM = 300


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
    if dim > MAX_DIM:
        raise MemoryLimitError(f"the d^N reference is limited to d^N <= {MAX_DIM}, got {d}^{N} = {dim}",
                               16.0 * dim ** 2 * 30, 16.0 * MAX_DIM ** 2 * 30)
    times = check_times(times)
    rho0 = qudit_initial_density(model, state)
    Heff, gammas, collective = qudit_generator(model)
    Heff_d = Heff.conj().T

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
    second = np.einsum("aij,bjk,tki->abt", M, M, rhos).real              # tr(M_a M_b rho)
    return mean, (second + second.transpose(1, 0, 2)) / 2
