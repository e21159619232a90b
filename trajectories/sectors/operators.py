"""Dense collective operators on the sector tuples of a BlockModel (docs/theory.md §2).

A sector tuple s = (2j_1, ..., 2j_B) labels the space (x)_b C^{2j_b+1}; its basis is the product
of the per-block bases |j_b, m_b>, m_b = j_b, j_b - 1, ..., -j_b, in np.kron order (block 0
slowest). All collective operators act inside a tuple; the local jump maps of a channel on block
b change j_b by dj in {+1, 0, -1} through one Kraus operator each, two for dj = 0 when the local
operator has an identity part (dicke.kraus_matrices).

Conventions: S_a^b = 2 J_a^b (Pauli units), m_a^b = S_a^b / N_b,
    H = sum_b h_b . S^b + (1/N) sum_{b,g,a,c} J[b,g,a,c] S_a^b S_c^g,
    Delta_l = c0_l + sum_{g,a} r_{l,ga} S_a^g / N_g,  M_{l, s -> s'} = K_{l, s -> s'} Gamma_l(Delta_l),
    H_eff = H - (i/2) sum_l Gamma_l Q_l Gamma_l.
"""
from __future__ import annotations

import itertools
import math
from functools import reduce

import numpy as np

from models.spin import BlockModel
from .dicke import kraus_matrices, no_jump_components, spin_matrices

#: largest entry of a Hermitian matrix diagonalised as it is; larger ones are scaled first
EIGH_SCALE_ABOVE = 1e150


def hermitian_eigh(A: np.ndarray, name: str = "the matrix") -> tuple[np.ndarray, np.ndarray]:
    """np.linalg.eigh of a Hermitian matrix; one with entries above EIGH_SCALE_ABOVE is scaled by a
    power of two first (LAPACK's sums of squares would overflow), one with non-finite entries is a
    ValueError naming `name`."""
    big = float(np.max(np.abs(A), initial=0.0))
    if not np.isfinite(big):
        raise ValueError(f"{name} overflows: its coefficients are too large (not finite once summed)")
    if big <= EIGH_SCALE_ABOVE:
        return np.linalg.eigh(A)
    scale = 2.0 ** math.ceil(math.log2(big))
    ev, U = np.linalg.eigh(A / scale)
    return ev * scale, U


def sector_tuples(sizes) -> list[tuple[int, ...]]:
    """All sector tuples (2j_1, ..., 2j_B), each 2j_b in N_b, N_b - 2, ..., (0 or 1)."""
    return list(itertools.product(*[range(n, -1, -2) for n in sizes]))


def tuple_dim(s) -> int:
    """Dimension prod_b (2j_b + 1) of the sector tuple s."""
    return int(np.prod([t + 1 for t in s]))


class SectorOperators:
    """Dense operators of `model` on sector tuples (per-block spin matrices are cached)."""

    def __init__(self, model: BlockModel):
        self.model = model
        self.sizes = model.sizes
        self._spin = {}

    def block_spin(self, tj: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(S_x, S_y, S_z) = 2 (J_x, J_y, J_z) of spin j = tj/2 (basis m = j..-j)."""
        if tj not in self._spin:
            jz, jp, jm = spin_matrices(tj / 2)
            self._spin[tj] = ((jp + jm).astype(complex), -1j * (jp - jm), 2 * jz.astype(complex))
        return self._spin[tj]

    def _embed(self, s, b: int, op: np.ndarray) -> np.ndarray:
        """op on block b's factor, identities on the others (np.kron order)."""
        left, right = tuple_dim(s[:b]), tuple_dim(s[b + 1:])
        return np.kron(np.kron(np.eye(left), op), np.eye(right))

    def block_operator(self, s, b: int, op: np.ndarray) -> np.ndarray:
        """A (2j_b + 1)-square operator `op` of block b on the tuple s; for a block of one site
        (2j_b = 1) any 2x2 single-site operator in the basis (up, down)."""
        return self._embed(s, b, op)

    def collective(self, s, b: int, a: int) -> np.ndarray:
        """S_a^b (a = 0, 1, 2 for x, y, z) on the tuple s."""
        return self._embed(s, b, self.block_spin(s[b])[a])

    def hamiltonian(self, s) -> np.ndarray:
        """H = sum_b h_b . S^b + (1/N) sum J[b,g,a,c] S_a^b S_c^g on the tuple s."""
        m = self.model
        S = [[self.collective(s, b, a) for a in range(3)] for b in range(m.B)]
        H = np.zeros((tuple_dim(s),) * 2, dtype=complex)
        for b in range(m.B):
            for a in range(3):
                if m.h[b, a]:
                    H += m.h[b, a] * S[b][a]
        for b, g, a, c in zip(*np.nonzero(m.J)):
            H += (m.J[b, g, a, c] / m.N) * (S[b][a] @ S[g][c])
        return H

    def delta_diagonal(self, s, l: int) -> np.ndarray:
        """Diagonal of Delta_l on s when it only involves z components."""
        r = self.model.delta(l)
        diag = np.full(tuple_dim(s), self.model.channels[l].offset)
        for g in range(self.model.B):
            if r[g, 2]:
                mz = np.arange(s[g], -s[g] - 1, -2, dtype=float)  # eigenvalues 2 m_g of S_z^g
                ones = [np.ones(t + 1) for t in s]
                ones[g] = mz / self.sizes[g]
                diag += r[g, 2] * reduce(np.kron, ones)
        return diag

    def delta(self, s, l: int) -> np.ndarray:
        """Delta_l = c0 + sum_{g,a} r_{ga} S_a^g / N_g on the tuple s (dense, Hermitian)."""
        r = self.model.delta(l)
        D = self.model.channels[l].offset * np.eye(tuple_dim(s), dtype=complex)
        for g, a in zip(*np.nonzero(r)):
            D += (r[g, a] / self.sizes[g]) * self.collective(s, g, a)
        return D

    def gamma(self, s, l: int) -> np.ndarray:
        """Gamma_l(Delta_l) on s: diagonal when Delta_l only involves z, else U diag(Gamma(ev)) U^+."""
        ch = self.model.channels[l]
        if np.all(self.model.delta(l)[:, :2] == 0):
            return np.diag(ch.amplitude(self.delta_diagonal(s, l))).astype(complex)
        ev, U = hermitian_eigh(self.delta(s, l), f"Delta of channels[{l}]")
        return (U * ch.amplitude(ev)) @ U.conj().T

    def collective_operator(self, s, l: int) -> np.ndarray:
        """S_o = sum_k o^(k) = c_+ J_+ + c_- J_- + 2 c_z J_z + c_1 N_b over channel l's block, on s."""
        ch = self.model.channels[l]
        b = ch.block
        cp, cm, cz, c1 = ch.components
        jz, jp, jm = spin_matrices(s[b] / 2)
        return self._embed(s, b, cp * jp + cm * jm + 2 * cz * jz + c1 * self.sizes[b] * np.eye(s[b] + 1))

    def no_jump(self, s, l: int) -> np.ndarray:
        """Q_l = sum_k o^(k)+ o^(k) = q_0 N_b + q_z J_z^b + r J_+^b + r^* J_-^b over the sites of the
        channel's block (diagonal for sigma_-, sigma_+, sigma_z, x, y and projectors); for a
        collective channel Q_l = S_o^+ S_o / N_b."""
        ch = self.model.channels[l]
        if ch.collective:
            S = self.collective_operator(s, l)
            return S.conj().T @ S / self.sizes[ch.block]
        b = ch.block
        q0, qz, r = no_jump_components(ch.matrix)
        jz, jp, jm = spin_matrices(s[b] / 2)
        return self._embed(s, b, q0 * self.sizes[b] * np.eye(s[b] + 1) + qz * jz + r * jp + np.conj(r) * jm)

    def target(self, s, l: int, dj: int) -> tuple[int, ...] | None:
        """The tuple reached from s by a jump of channel l with j_b -> j_b + dj, or None."""
        b = self.model.channels[l].block
        t = s[b] + 2 * dj
        if t < 0 or t > self.sizes[b]:
            return None
        return s[:b] + (t,) + s[b + 1:]

    def kraus(self, s, l: int, dj: int) -> list[np.ndarray]:
        """The Kraus operators K_{s -> s'} of channel l (j_b -> j_b + dj on its block b): one, two
        for dj = 0 when the local operator has an identity part, none when s' does not exist; a
        collective channel has the one jump operator S_o / sqrt(N_b), for dj = 0."""
        if self.target(s, l, dj) is None:
            return []
        ch = self.model.channels[l]
        if ch.collective:   # S_o / sqrt(N_b) keeps every j_b
            return [self.collective_operator(s, l) / np.sqrt(self.sizes[ch.block])] if dj == 0 else []
        b = ch.block
        left, right = tuple_dim(s[:b]), tuple_dim(s[b + 1:])
        return [np.kron(np.kron(np.eye(left), K), np.eye(right))
                for K in kraus_matrices(ch.components, dj, self.sizes[b], s[b] / 2)]

    def jump_part(self, s) -> np.ndarray:
        """sum_l Gamma_l Q_l Gamma_l on s (the collective total jump rate operator)."""
        G = np.zeros((tuple_dim(s),) * 2, dtype=complex)
        for l in range(len(self.model.channels)):
            g = self.gamma(s, l)
            G += g @ self.no_jump(s, l) @ g
        return G

    def effective_hamiltonian(self, s) -> np.ndarray:
        """H_eff = H - (i/2) sum_l Gamma_l Q_l Gamma_l on s."""
        return self.hamiltonian(s) - 0.5j * self.jump_part(s)

