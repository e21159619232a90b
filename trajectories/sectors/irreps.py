"""The operators of a QuditModel on the irreps V_lam of U(d) (docs/theory.md §16, §17).

Every collective operator is a polynomial in the generators E_ab (sparse in the Gelfand-Tsetlin
basis, symmetry/unitary.py):

    V_a = sum_k v_a^(k) = sum_ij (v_a)_ij E_ij,     H = sum_a eps_a V_a + (1/N) sum_ab h_ab V_a V_b,
    Delta_l = (1/N) sum_ij (R_l)_ij E_ij,  R_l = sum_a r_la v_a,     Q_l = sum_ij (j_l^+ j_l)_ij E_ij,
    local channel:       M = K_{lam' mu lam} Gamma_l(Delta_l)   from lam to lam' (symmetry/unitary.py),
    collective channel:  L_l = (1/sqrt N) sum_ij (j_l)_ij E_ij Gamma_l(Delta_l)   inside lam,
    H_eff = H - (i/2) sum_local Gamma_l Q_l Gamma_l - (i/2) sum_coll L_l^+ L_l.

`IrrepModel` holds the model in the single-site frame W of `diagonal_frame` (every R_l diagonal
when they commute: then Gamma_l is a vector per irrep and every operator above is sparse) and
builds these operators per irrep. Both the exact irrep solver (reference/qudit_sectors.py) and the
trajectories (engine/irrep_trajectory.py) use it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from models.qudit import QuditModel
from ..symmetry import unitary


def diagonal_frame(model: QuditModel) -> np.ndarray:
    """A unitary (d, d) W in which every channel's R_l = sum_a r_la v_a is diagonal, when they commute;
    the identity when they are diagonal already or do not commute."""
    R = [np.einsum("a,aij->ij", ch.r, model.basis) for ch in model.channels]
    eye = np.eye(model.d, dtype=complex)
    if all(is_diagonal(x) for x in R):
        return eye
    mix = sum(x / (l + math.pi) for l, x in enumerate(R))
    _, W = np.linalg.eigh((mix + mix.conj().T) / 2)
    return W if all(is_diagonal(W.conj().T @ x @ W) for x in R) else eye


def is_diagonal(x: np.ndarray) -> bool:
    """Off-diagonal entries below 1e-12 of the largest (at least 1)."""
    off = x - np.diag(np.diag(x))
    return bool(np.max(np.abs(off), initial=0.0) <= 1e-12 * max(1.0, np.max(np.abs(x))))


def collective(lam, matrix: np.ndarray) -> sp.csr_matrix:
    """sum_k a^(k) = sum_ij a_ij E_ij on V_lam for a single-site matrix a (d, d): (dim, dim) complex csr."""
    d = len(lam)
    out = None
    for i in range(d):
        for j in range(d):
            if matrix[i, j] != 0:
                term = matrix[i, j] * unitary.generator(lam, i, j)
                out = term if out is None else out + term
    dim = unitary.weyl_dimension(lam)
    return sp.csr_matrix((dim, dim), dtype=complex) if out is None else out.astype(complex).tocsr()


@dataclass
class Jumps:
    """The jump operators of one channel out of one irrep: rho -> sum M G rho G^+ M^+ over `targets`
    [(target partition, M csr)], with G = 1 when `G` is None, else the dense Gamma_l (then M = K
    alone); for a pure state, psi -> M G psi."""
    channel: int
    G: np.ndarray | None
    targets: list = field(default_factory=list)


@dataclass
class IrrepOperators:
    """What a QuditModel does on one irrep: H_eff (csr, or dense when a Gamma is dense), the jumps
    per channel, and the collective operators V_a = N M_a of the basis (csr, Hermitian)."""
    lam: tuple
    heff: object
    jumps: list
    V: list


class IrrepModel:
    """A QuditModel in the frame W (`diagonal_frame`): rotated single-site matrices, operators per irrep.

    Attributes: model, W (d, d), basis (d^2, d, d) = W^+ v_a W, ops (j_l in the frame), R (R_l in the
    frame), dense (per channel: True when its Gamma is a dense matrix, R_l not diagonal).
    """

    def __init__(self, model: QuditModel, W: np.ndarray | None = None):
        self.model = model
        self.W = diagonal_frame(model) if W is None else W
        rot = lambda a: self.W.conj().T @ a @ self.W                            # noqa: E731
        self.basis = np.array([rot(v) for v in model.basis])
        self.ops = [rot(ch.op) for ch in model.channels]
        self.R = [np.einsum("a,aij->ij", ch.r, self.basis) for ch in model.channels]
        self.dense = [not is_diagonal(R) for R in self.R]

    def rotate(self, rho1: np.ndarray) -> np.ndarray:
        """A single-site matrix of the model's frame in the frame W."""
        return self.W.conj().T @ rho1 @ self.W

    def hamiltonian(self, lam) -> sp.csr_matrix:
        """H on V_lam (paper eq. 10 with the model's eps and h): (dim, dim) csr."""
        m = self.model
        V = [collective(lam, v) for v in self.basis]
        dim = unitary.weyl_dimension(lam)
        H = sp.csr_matrix((dim, dim), dtype=complex)
        for a in range(len(V)):
            if m.eps[a] != 0:
                H = H + m.eps[a] * V[a]
            row = [m.h[a, b] * V[b] for b in range(len(V)) if m.h[a, b] != 0]
            if row:
                H = H + V[a] @ sum(row) / m.N
        return sp.csr_matrix(H)

    def gamma(self, lam, l: int):
        """Gamma_l(Delta_l) on V_lam: a vector (dim,) when Delta_l is diagonal, else a dense matrix."""
        Delta = collective(lam, self.R[l]) / self.model.N
        channel = self.model.channels[l]
        if not self.dense[l]:
            return channel.amplitude(Delta.diagonal().real)
        w, U = np.linalg.eigh(Delta.toarray())
        return (U * channel.amplitude(w)) @ U.conj().T

    def operators(self, lam, keep=None) -> IrrepOperators:
        """The IrrepOperators of V_lam; local jumps only to partitions for which keep(target) is true."""
        N = self.model.N
        heff = self.hamiltonian(lam)
        jumps = []
        for l, (ch, op) in enumerate(zip(self.model.channels, self.ops)):
            g = self.gamma(lam, l)
            gamma = sp.diags(g) if g.ndim == 1 else g
            if ch.collective:
                L = sp.csr_matrix(collective(lam, op) @ gamma / math.sqrt(N))
                heff = heff - 0.5j * (L.conj().T @ L)
                jumps.append(Jumps(l, None, [(tuple(lam), L)]))
                continue
            Q = unitary.no_jump_operator(lam, op)
            heff = heff - 0.5j * (gamma.conj().T @ Q @ gamma)
            out = Jumps(l, None if g.ndim == 1 else g)
            for target, K in unitary.kraus_operators(lam, op, sparse=True):
                if K.nnz and (keep is None or keep(target)):
                    out.targets.append((target, sp.csr_matrix(K @ gamma) if g.ndim == 1 else K))
            jumps.append(out)
        heff = sp.csr_matrix(heff) if sp.issparse(heff) else np.asarray(heff)
        return IrrepOperators(tuple(lam), heff, jumps, [collective(lam, v) for v in self.basis])

    def reachable(self, initial) -> list[tuple[int, ...]]:
        """The partitions reachable from `initial` by the local channels' Kraus operators, in
        `unitary.partitions` order."""
        local = [op for ch, op in zip(self.model.channels, self.ops) if not ch.collective]
        seen, frontier = set(initial), list(initial)
        while frontier and local:
            lam = frontier.pop()
            for op in local:
                for target, K in unitary.kraus_operators(lam, op, sparse=True):
                    if K.nnz and target not in seen:
                        seen.add(target)
                        frontier.append(target)
        return [lam for lam in unitary.partitions(self.model.N, self.model.d) if lam in seen]
