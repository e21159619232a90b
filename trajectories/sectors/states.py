"""Initial states (docs/theory.md §3), in the representations the engine and the exact solvers use.

Trajectory representation ("global layout"): for blocks of sizes N_b the state vector has
length G = prod_b (N_b + 1) and index i = sum_b k_b * stride_b with k_b = N_b/2 - m_b
(block 0 slowest, stride_{B-1} = 1); together with the sector tuple 2j = (2j_1, ..., 2j_B) it
is the vector |j_1, m_1> (x) ... (x) |j_B, m_B>. Entries with |m_b| > j_b are zero.

Sector representation (exact solver): a dict {(2j_1, ..., 2j_B): rho_s}, rho_s in the product
basis of the sector tuple (np.kron order, block 0 slowest, m_b = j_b..-j_b), normalised so
that sum_s tr rho_s = 1 (rho = (+)_s rho_s (x) 1/d_s).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import reduce

import numpy as np
from scipy.linalg import eigh_tridiagonal, expm
from scipy.special import xlogy

from ..base.checks import per_block, real_values
from .dicke import log_degeneracy, spin_matrices, spins
from .frame import spin_half_rotation


def coherent_amplitudes(n: int, theta: float, phi: float) -> np.ndarray:
    """|theta, phi>^(x)n in the Dicke basis m = n/2 - k, k = 0..n (docs/theory.md §3, log-space)."""
    k = np.arange(n + 1)
    logc = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in k])
    c, s = abs(math.cos(theta / 2)), abs(math.sin(theta / 2))
    with np.errstate(divide="ignore"):
        logamp = 0.5 * logc + xlogy(n - k, c) + xlogy(k, s)
    amp = np.where(np.isfinite(logamp), np.exp(logamp), 0.0)
    sign = np.sign(math.cos(theta / 2)) ** (n - k) * np.sign(math.sin(theta / 2)) ** k
    return amp * np.where(sign == 0, 1.0, sign) * np.exp(1j * phi * k)


def spinor_amplitudes(n: int, spinor) -> np.ndarray:
    """(a|up> + b|down>)^(x)n in the Dicke basis m = n/2 - k, k = 0..n: sqrt(C(n, k)) a^(n-k) b^k,
    phases included (log-space moduli)."""
    a, b = complex(spinor[0]), complex(spinor[1])
    k = np.arange(n + 1)
    logc = np.array([math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) for i in k])
    with np.errstate(divide="ignore"):
        logamp = 0.5 * logc + xlogy(n - k, abs(a)) + xlogy(k, abs(b))
    amp = np.where(np.isfinite(logamp), np.exp(logamp), 0.0)
    phase = np.exp(1j * ((n - k) * np.angle(a) + k * np.angle(b)))
    return amp * phase


def rotated_dicke(j: float, m: float, theta: float, phi: float) -> np.ndarray:
    """e^{-i phi J_z} e^{-i theta J_y} |j, m> up to a phase, basis m' = j..-j.

    It is the eigenvector of cos(theta) J_z + sin(theta) J_x with eigenvalue m (a tridiagonal
    eigenproblem, O(j)), then multiplied by the phases e^{-i phi m'}.
    """
    mp = j - np.arange(int(round(2 * j)) + 1)
    if mp.size == 1:
        return np.ones(1, dtype=complex)
    diag = math.cos(theta) * mp
    off = 0.5 * math.sin(theta) * np.sqrt(j * (j + 1) - mp[1:] * (mp[1:] + 1))
    idx = int(round(m + j))  # eigenvalues ascend: -j, ..., j
    _, vec = eigh_tridiagonal(diag, off, select="i", select_range=(idx, idx))
    return vec[:, 0] * np.exp(-1j * phi * mp)


def _rotation(j: float, theta: float, phi: float) -> np.ndarray:
    jz, jp, jm = spin_matrices(j)
    jy = (jp - jm) / 2j
    return expm(-1j * phi * jz) @ expm(-1j * theta * jy)


def _spin_halves(frame) -> list[np.ndarray]:
    return [spin_half_rotation(R) for R in np.asarray(frame, dtype=float)]


def _angles(spinor) -> tuple[float, float]:
    """(theta, phi) of the coherent state of a normalised spinor (a, b), up to its global phase."""
    a, b = spinor
    return 2 * math.atan2(abs(b), abs(a)), float(np.angle(b) - np.angle(a)) if abs(a) * abs(b) > 0 else 0.0


def _bloch_angles(r: np.ndarray) -> tuple[float, float, float]:
    norm = min(float(np.linalg.norm(r)), 1.0)  # |r| <= 1 + 1e-12 is accepted as round-off
    if norm == 0:
        return 0.0, 0.0, 0.0
    return norm, math.acos(max(-1.0, min(1.0, r[2] / norm))), math.atan2(r[1], r[0])


class InitialState:
    """Base class: a permutation-invariant (per block) initial state."""

    #: True when every trajectory starts from the same pure state
    pure = True

    def validate(self, sizes: tuple[int, ...]) -> None:
        """Raise ValueError if the state does not fit blocks of these sizes."""

    def sample(self, sizes: tuple[int, ...], rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """(2j per block as int64 array, state vector in the global layout) for one trajectory."""
        raise NotImplementedError

    def sector_density(self, sizes: tuple[int, ...]) -> dict[tuple[int, ...], np.ndarray]:
        """The exact state in the sector representation."""
        raise NotImplementedError

    def sector_spins(self, sizes: tuple[int, ...]) -> list:
        """Per block the 2j_b the state occupies (its sector tuples lie in their product), found
        without building the state; by default every 2j_b (a range N_b, N_b - 2, ..., which a
        memory estimate sums in closed form)."""
        return [range(n, -1, -2) for n in sizes]

    def bloch(self, sizes: tuple[int, ...]) -> np.ndarray:
        """Bloch vectors (B, 3) of the exact one-site marginal in every block (the mean-field
        initial state; docs/theory.md §5)."""
        raise NotImplementedError

    def rotated(self, sizes: tuple[int, ...], frame: np.ndarray) -> "InitialState":
        """The state U psi in the frame of the rotations `frame` (B, 3, 3) (sectors/frame.py,
        docs/theory.md §14), up to a global phase."""
        raise ValueError(f"{type(self).__name__} cannot be rotated to a Delta's quantisation axis; "
                         "use options.method = 'dense'")


def global_vector(vectors: list[np.ndarray]) -> np.ndarray:
    """The global-layout vector of one vector per block (np.kron order, block 0 slowest)."""
    return reduce(np.kron, vectors)


def embed_block(n: int, j: float, vec: np.ndarray) -> np.ndarray:
    """Place a sector-j vector (m = j..-j) into the block's global layout (k = n/2 - m)."""
    out = np.zeros(n + 1, dtype=complex)
    start = int(round(n / 2 - j))
    out[start:start + vec.size] = vec
    return out


@dataclass(frozen=True)
class CoherentState(InitialState):
    """Spin-coherent product state |theta, phi>^(x)N: every spin has Bloch vector
    (sin theta cos phi, sin theta sin phi, cos theta). Scalars or one angle per block."""

    theta: object = 0.0
    phi: object = 0.0

    def validate(self, sizes):
        per_block("theta", self.theta, len(sizes))
        per_block("phi", self.phi, len(sizes))

    def block_vectors(self, sizes):
        th = per_block("theta", self.theta, len(sizes))
        ph = per_block("phi", self.phi, len(sizes))
        return [coherent_amplitudes(n, t, p) for n, t, p in zip(sizes, th, ph)]

    def sample(self, sizes, rng=None):
        return np.array(sizes, dtype=np.int64), global_vector(self.block_vectors(sizes))

    def sector_spins(self, sizes):
        return [[n] for n in sizes]

    def sector_density(self, sizes):
        v = global_vector(self.block_vectors(sizes))
        return {tuple(sizes): np.outer(v, v.conj())}

    def bloch(self, sizes):
        th = per_block("theta", self.theta, len(sizes))
        ph = per_block("phi", self.phi, len(sizes))
        return np.stack([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)], axis=1)

    def rotated(self, sizes, frame):
        th = per_block("theta", self.theta, len(sizes))
        ph = per_block("phi", self.phi, len(sizes))
        angles = [_angles(V @ [math.cos(t / 2), np.exp(1j * p) * math.sin(t / 2)])
                  for V, t, p in zip(_spin_halves(frame), th, ph)]
        return CoherentState(theta=[a[0] for a in angles], phi=[a[1] for a in angles])


@dataclass(frozen=True)
class ProductState(InitialState):
    """Mixed product state rho_1^(x)N, rho_1 = (1 + r.sigma)/2 with |r| <= 1 (one r or one per block).

    Trajectories sample (j, m) exactly, P(j, m) = d_j lambda_+^{N/2+m} lambda_-^{N/2-m} with
    lambda_pm = (1 +- |r|)/2, and start from |j, m> rotated to the axis r/|r| (docs/theory.md §3).
    """

    r: object = (0.0, 0.0, 0.0)

    pure = False

    def bloch_vectors(self, sizes):
        """The Bloch vector r of every block, (B, 3), checked |r| <= 1."""
        r = per_block("r", self.r, len(sizes), 3)
        norms = np.linalg.norm(r, axis=1)
        if np.any(norms > 1 + 1e-12):
            raise ValueError(f"r must have |r| <= 1 (a Bloch vector), got |r| = {norms.max():.6g}")
        return r

    def validate(self, sizes):
        self.bloch_vectors(sizes)

    def sample(self, sizes, rng):
        r = self.bloch_vectors(sizes)
        tj, vecs = [], []
        for n, rb in zip(sizes, r):
            norm, theta, phi = _bloch_angles(rb)
            lam = min(1.0, (1 + norm) / 2)
            m = rng.binomial(n, lam) - n / 2
            js = np.arange(abs(m), n / 2 + 0.5)
            logw = log_degeneracy(n, js)
            w = np.exp(logw - logw.max())
            j = js[rng.choice(js.size, p=w / w.sum())]
            tj.append(int(round(2 * j)))
            vecs.append(embed_block(n, j, rotated_dicke(j, m, theta, phi)))
        return np.array(tj, dtype=np.int64), global_vector(vecs)

    def block_sector_density(self, n: int, rb: np.ndarray) -> dict[int, np.ndarray]:
        norm, theta, phi = _bloch_angles(rb)
        lp, lm = (1 + norm) / 2, (1 - norm) / 2
        out = {}
        for j in spins(n):
            m = j - np.arange(int(round(2 * j)) + 1)
            with np.errstate(divide="ignore", invalid="ignore"):
                logp = (n / 2 + m) * np.log(lp) + np.where(n / 2 - m > 0, (n / 2 - m) * np.log(lm), 0.0)
            p = np.exp(log_degeneracy(n, j) + logp)
            if not np.any(p > 0):
                continue
            R = _rotation(j, theta, phi)
            out[int(round(2 * j))] = (R * p) @ R.conj().T
        return out

    def sector_density(self, sizes):
        r = self.bloch_vectors(sizes)
        per_block = [self.block_sector_density(n, rb) for n, rb in zip(sizes, r)]
        return {key: reduce(np.kron, [pb[k] for pb, k in zip(per_block, key)])
                for key in itertools.product(*[sorted(pb) for pb in per_block])}

    def bloch(self, sizes):
        return self.bloch_vectors(sizes)

    def rotated(self, sizes, frame):
        return ProductState(r=np.einsum("bac,bc->ba", frame, self.bloch_vectors(sizes)).tolist())

    def sector_spins(self, sizes):
        """Every j_b of a mixed block; only the top sector of a pure block (|r_b| = 1)."""
        r = self.bloch_vectors(sizes)
        return [[n] if np.linalg.norm(rb) >= 1 else range(n, -1, -2) for n, rb in zip(sizes, r)]


def classical_state(p_up) -> ProductState:
    """Classical random configuration: each spin up with probability p_up (scalar or per block)."""
    p = real_values("p_up", p_up)
    if np.any(p < 0) or np.any(p > 1) or not np.all(np.isfinite(p)):
        raise ValueError(f"p_up must be in [0, 1], got {p.tolist()}")
    rz = 2 * p - 1
    r = np.stack([np.zeros_like(rz), np.zeros_like(rz), rz], axis=-1)
    return ProductState(r=r.tolist())


@dataclass(frozen=True)
class DickeState(InitialState):
    """|j, m> in every block (rho = |j,m><j,m| (x) 1/d_j): scalars or one (j, m) per block.

    j must be one of N_b/2, N_b/2 - 1, ... and |m| <= j with j - m an integer.
    """

    j: object = None
    m: object = None

    def quantum_numbers(self, sizes):
        """(j (B,), m (B,)) of every block, checked."""
        B = len(sizes)
        j = per_block("j", np.asarray(sizes) / 2 if self.j is None else self.j, B)
        m = per_block("m", j if self.m is None else self.m, B)
        for b, n in enumerate(sizes):
            if not (0 <= j[b] <= n / 2) or abs(n / 2 - j[b] - round(n / 2 - j[b])) > 1e-12:
                raise ValueError(f"j must be one of {n / 2}, {n / 2 - 1}, ... >= 0 for a block of {n}, got {j[b]}")
            if abs(m[b]) > j[b] or abs(j[b] - m[b] - round(j[b] - m[b])) > 1e-12:
                raise ValueError(f"m must be one of j, j-1, ..., -j (j = {j[b]}), got {m[b]}")
        return j, m

    def validate(self, sizes):
        self.quantum_numbers(sizes)

    def block_vectors(self, sizes):
        j, m = self.quantum_numbers(sizes)
        vecs = []
        for jb, mb in zip(j, m):
            v = np.zeros(int(round(2 * jb)) + 1, dtype=complex)
            v[int(round(jb - mb))] = 1.0
            vecs.append(v)
        return j, vecs

    def sector_spins(self, sizes):
        j, _ = self.quantum_numbers(sizes)
        return [[int(round(2 * jb))] for jb in j]

    def sample(self, sizes, rng=None):
        j, vecs = self.block_vectors(sizes)
        return (np.round(2 * j).astype(np.int64),
                global_vector([embed_block(n, jb, v) for n, jb, v in zip(sizes, j, vecs)]))

    def sector_density(self, sizes):
        j, vecs = self.block_vectors(sizes)
        v = global_vector(vecs)
        return {tuple(int(round(2 * jb)) for jb in j): np.outer(v, v.conj())}

    def bloch(self, sizes):
        """(0, 0, 2m/N_b): the one-site marginal of a permutation-invariant state is fixed by <m_a>."""
        _, m = self.quantum_numbers(sizes)
        out = np.zeros((len(sizes), 3))
        out[:, 2] = 2 * m / np.asarray(sizes, dtype=float)
        return out

    def rotated(self, sizes, frame):
        """|j, m> about the axis R_b z of each block (the eigenvector of (R_b z).J, rotated_dicke)."""
        j, m = self.quantum_numbers(sizes)
        vecs = []
        for n, jb, mb, R in zip(sizes, j, m, np.asarray(frame, dtype=float)):
            axis = R[:, 2]
            theta, phi = math.acos(max(-1.0, min(1.0, axis[2]))), math.atan2(axis[1], axis[0])
            vecs.append(embed_block(n, jb, rotated_dicke(jb, mb, theta, phi)))
        return VectorState(tuple(int(round(2 * jb)) for jb in j), global_vector(vecs))


@dataclass(frozen=True)
class CatState(InitialState):
    """(|up...up> + |down...down>)/sqrt(2) over all N sites: permutation invariant, not clustering."""

    def vector(self, sizes):
        """The state in the global layout."""
        up = global_vector([np.eye(n + 1)[0] for n in sizes])
        down = global_vector([np.eye(n + 1)[n] for n in sizes])
        return ((up + down) / math.sqrt(2)).astype(complex)

    def sample(self, sizes, rng=None):
        return np.array(sizes, dtype=np.int64), self.vector(sizes)

    def sector_spins(self, sizes):
        return [[n] for n in sizes]

    def sector_density(self, sizes):
        v = self.vector(sizes)
        return {tuple(sizes): np.outer(v, v.conj())}

    def bloch(self, sizes):
        """(0, 0, 0); for one site the cat state is |+x>, Bloch vector (1, 0, 0)."""
        out = np.zeros((len(sizes), 3))
        if sum(sizes) == 1:
            out[0, 0] = 1.0
        return out

    def rotated(self, sizes, frame):
        """(U|up..up> + U|down..down>)/sqrt 2 with its relative phase (spinor_amplitudes)."""
        V = _spin_halves(frame)
        up = global_vector([spinor_amplitudes(n, v[:, 0]) for n, v in zip(sizes, V)])
        down = global_vector([spinor_amplitudes(n, v[:, 1]) for n, v in zip(sizes, V)])
        return VectorState(tuple(sizes), (up + down) / math.sqrt(2))


class VectorState(InitialState):
    """A fixed pure state: sector tuple tj (B,) and its vector in the global layout (G,) (a state
    rotated to a quantisation axis, InitialState.rotated)."""

    def __init__(self, tj, vector):
        self.tj = tuple(int(t) for t in tj)
        self.vector = np.asarray(vector, dtype=complex)

    def validate(self, sizes):
        if self.vector.shape != (math.prod(n + 1 for n in sizes),):
            raise ValueError(f"the state vector has shape {self.vector.shape}, not that of blocks {sizes}")

    def sample(self, sizes, rng=None):
        return np.array(self.tj, dtype=np.int64), self.vector.copy()

    def sector_spins(self, sizes):
        return [[t] for t in self.tj]

    def sector_density(self, sizes):
        """|v><v| on the product basis of the tuple (the entries with |m_b| <= j_b of the vector)."""
        box = tuple(slice((n - t) // 2, (n + t) // 2 + 1) for n, t in zip(sizes, self.tj))
        v = self.vector.reshape([n + 1 for n in sizes])[box].ravel()
        return {self.tj: np.outer(v, v.conj())}


def coherent_state(theta=0.0, phi=0.0) -> CoherentState:
    """Spin-coherent product state (one angle pair, or one per block), angles in radians within
    [-2 pi, 2 pi] (theta = 0: all up)."""
    angles = {name: real_values(name, value) for name, value in (("theta", theta), ("phi", phi))}
    for name, value in angles.items():
        if np.any(np.abs(value) > 2 * np.pi + 1e-12):
            raise ValueError(f"{name} is in radians within [-2 pi, 2 pi], got {value.tolist()!r} (degrees? use "
                             f"np.radians)")
    return CoherentState(theta=angles["theta"].tolist(), phi=angles["phi"].tolist())


def product_state(r) -> ProductState:
    """Mixed product state with Bloch vector r (|r| <= 1), one for all blocks or one per block."""
    return ProductState(r=real_values("r", r).tolist())


def dicke_state(j=None, m=None) -> DickeState:
    """Dicke state |j, m> (default j = N/2, m = j), one pair or one per block."""
    return DickeState(j=None if j is None else real_values("j", j).tolist(),
                      m=None if m is None else real_values("m", m).tolist())


def cat_state() -> CatState:
    """The GHZ / cat state (|up..up> + |down..down>)/sqrt 2."""
    return CatState()
