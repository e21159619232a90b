"""Quantum-jump trajectories of a QuditModel, one irrep of U(d) at a time (docs/theory.md §17, §18).

A trajectory is a normalised vector psi on one irrep V_lam (its Gelfand-Tsetlin basis) in the
single-site frame of sectors/irreps.py. Between jumps it evolves with H_eff (irrep_kernels.evolve);
at a jump, the channel l and the target (lam', and mu for lam' = lam) are drawn together with
probability ||M psi||^2 / sum ||M psi||^2 over every jump operator M of the irrep, and
psi -> M psi / ||M psi|| in V_lam'. The operators of an irrep are built the first time a
trajectory of this process enters it (`IrrepCache`).

Random numbers, in this order: the initial letters (one call), the waiting-time threshold, then
per jump the jump operator and the next threshold.
"""
from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp

from ..base.errors import IntegrationError
from ..sectors.irreps import IrrepModel
from ..symmetry import unitary
from ..symmetry.tableaux import sample_product_pattern
from .irrep_kernels import JUMP, REACHED, TAYLOR_FAILED, MAX_HALVINGS, evolve, record_moments


class Csr(NamedTuple):
    """A CSR matrix as the kernels take it."""
    indptr: np.ndarray     # int64
    indices: np.ndarray    # int64
    data: np.ndarray       # complex128

    @classmethod
    def of(cls, A) -> "Csr":
        A = sp.csr_matrix(A, dtype=complex)
        A.sort_indices()
        return cls(A.indptr.astype(np.int64), A.indices.astype(np.int64), A.data)

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.data.nbytes


@dataclass
class IrrepData:
    """One irrep's operators in the forms a trajectory uses.

    heff: Csr (dim, dim); V: Csr (C dim, dim), the stacked V_a of the basis; jumps: [(G or None, stacked M csr (sum of target dims, dim), row
    offsets (n+1,), [target partitions])], one entry per group of jump operators sharing a dense G."""
    lam: tuple
    dim: int
    heff: Csr
    V: Csr
    jumps: list

    @property
    def nbytes(self) -> int:
        stacked = sum(M.data.nbytes + M.indices.nbytes + M.indptr.nbytes + (0 if G is None else G.nbytes)
                      for G, M, _, _ in self.jumps)
        return self.heff.nbytes + self.V.nbytes + stacked


def irrep_data(model: IrrepModel, lam) -> IrrepData:
    """Build IrrepData of V_lam from sectors/irreps.py."""
    ops = model.operators(lam)
    groups: dict = {}
    for jump in ops.jumps:
        key = -1 if jump.G is None else jump.channel
        G, blocks, targets = groups.setdefault(key, (jump.G, [], []))
        for target, M in jump.targets:
            blocks.append(M)
            targets.append(target)
    jumps = []
    for G, blocks, targets in groups.values():
        if blocks:
            offsets = np.concatenate([[0], np.cumsum([b.shape[0] for b in blocks])]).astype(np.int64)
            jumps.append((G, sp.vstack(blocks, format="csr"), offsets, targets))
    return IrrepData(tuple(lam), ops.heff.shape[0], Csr.of(ops.heff), Csr.of(sp.vstack(ops.V, format="csr")),
                     jumps)


class IrrepCache:
    """IrrepData by partition, built on first use and kept while their total size is below `budget`
    bytes (least recently used dropped first)."""

    def __init__(self, model: IrrepModel, budget: float):
        self.model, self.budget = model, budget
        self.items: OrderedDict = OrderedDict()
        self.size = 0

    def get(self, lam) -> IrrepData:
        lam = tuple(lam)
        if lam in self.items:
            self.items.move_to_end(lam)
            return self.items[lam]
        data = irrep_data(self.model, lam)
        self.items[lam] = data
        self.size += data.nbytes
        while self.size > self.budget and len(self.items) > 1:
            _, old = self.items.popitem(last=False)
            self.size -= old.nbytes
        return data


_CACHES: dict = {}


def irrep_cache(key: str, model: IrrepModel, budget: float) -> IrrepCache:
    """The process's IrrepCache of the model identified by `key` (one model at a time)."""
    if key not in _CACHES:
        _CACHES.clear()
        _CACHES[key] = IrrepCache(model, budget)
    return _CACHES[key]


# ----------------------------------------------------------------------------- initial states

@dataclass(frozen=True)
class ProductDensity:
    """rho_1^(x)N as plain data (a run's identity and metadata): real and imaginary parts of rho_1."""
    real: tuple
    imag: tuple

    @classmethod
    def of(cls, rho1: np.ndarray) -> "ProductDensity":
        return cls(tuple(map(tuple, rho1.real.tolist())), tuple(map(tuple, rho1.imag.tolist())))

    @property
    def matrix(self) -> np.ndarray:
        return np.array(self.real) + 1j * np.array(self.imag)


class InitialSampler:
    """Draws (lam, psi) of rho_1^(x)N, rho_1 given in the frame of `model` (IrrepModel.rotate)."""

    def __init__(self, N: int, rho1: np.ndarray):
        self.N = N
        self.diagonal = bool(np.allclose(rho1, np.diag(np.diag(rho1)), rtol=0, atol=1e-14))
        if self.diagonal:   # the letters are the levels themselves: no rotation
            p, self.U = np.diag(rho1).real, None
        else:
            p, self.U = np.linalg.eigh((rho1 + rho1.conj().T) / 2)
        self.p = np.clip(p, 0.0, None) / np.clip(p, 0.0, None).sum()
        self.pure = np.count_nonzero(self.p > 1e-15) == 1 and not self.diagonal

    def sample(self, rng: np.random.Generator) -> tuple[tuple, np.ndarray]:
        d = self.p.size
        if self.pure:
            phi = self.U[:, int(np.argmax(self.p))]
            return (self.N,) + (0,) * (d - 1), unitary.coherent_amplitudes(self.N, phi)
        lam, pattern = sample_product_pattern(self.N, self.p, rng)
        e = np.zeros(unitary.weyl_dimension(lam), dtype=complex)
        e[unitary.pattern_index(lam)[pattern]] = 1.0
        if self.diagonal:
            return lam, e
        return lam, unitary.group_action(lam, self.U, e[:, None])[:, 0]


# ----------------------------------------------------------------------------- one trajectory

class Workspace:
    """Kernel work arrays for states of dimension dim (reallocated when the irrep's size changes)."""

    def __init__(self, dim: int, C: int, max_terms: int):
        self.dim = dim
        self.terms = np.empty((max_terms, dim), dtype=complex)
        self.coef = np.empty(2 * max_terms)
        self.work = np.empty(dim, dtype=complex)
        self.z = np.empty(C * dim, dtype=complex)


def choose_jump(data: IrrepData, psi: np.ndarray, rng: np.random.Generator) -> tuple[tuple, np.ndarray]:
    """Draw a jump operator M of the irrep with probability ~ ||M psi||^2; (target lam, M psi normalised)."""
    images, weights, targets = [], [], []
    for G, M, offsets, group in data.jumps:
        z = M @ (psi if G is None else G @ psi)
        w = np.add.reduceat(z.real ** 2 + z.imag ** 2, offsets[:-1])
        images += [z[offsets[k]:offsets[k + 1]] for k in range(len(group))]
        weights.append(w)
        targets += group
    cum = np.cumsum(np.concatenate(weights))
    k = min(int(np.searchsorted(cum, rng.random() * cum[-1], side="right")), len(targets) - 1)
    image = images[k]
    return targets[k], image / math.sqrt(np.vdot(image, image).real)


def run_irrep_trajectory(cache: IrrepCache, lam, psi, times, rng, options, first, second) -> int:
    """One trajectory from psi on V_lam at t = 0; fills first (T, C) = <V_a> and second (T, C, C) =
    Re <V_a V_b> at `times`; returns the number of jumps. IntegrationError when the step control
    fails (the message says which option to change)."""
    C = first.shape[1]
    data = cache.get(lam)
    ws = Workspace(data.dim, C, options.max_terms)
    t, lognorm, logr, njumps, step = 0.0, 0.0, math.log(rng.random()), 0, 0.0
    for k, t_out in enumerate(times):
        while True:
            H = data.heff
            t, lognorm, step, outcome = evolve(H.indptr, H.indices, H.data, psi, t, float(t_out), lognorm, logr,
                                               step, options.tol, options.root_tol, ws.terms, ws.coef, ws.work)
            if outcome == REACHED:
                break
            if outcome != JUMP:
                raise IntegrationError(_failure(outcome, t, options))
            lam, psi = choose_jump(data, psi, rng)
            data = cache.get(lam)
            if data.dim != ws.dim:
                ws = Workspace(data.dim, C, options.max_terms)
            lognorm, logr, njumps, step = 0.0, math.log(rng.random()), njumps + 1, 0.0
        V = data.V
        record_moments(V.indptr, V.indices, V.data, psi, C, ws.z, first[k], second[k])
    return njumps


def _failure(outcome: int, t: float, options) -> str:
    if outcome == TAYLOR_FAILED:
        return (f"a trajectory stopped at t = {t:.6g}: the Taylor series of a no-jump step did not reach "
                f"options.tol = {options.tol:g} within options.max_terms = {options.max_terms} terms although "
                f"the step was halved {MAX_HALVINGS} times; raise options.max_terms (<= 200)")
    return (f"a trajectory stopped at t = {t:.6g}: the norm of the state is no longer finite and positive: the "
            "model's fields, couplings or rates are too large or not finite; rescale them, or time")


def model_key(model: IrrepModel, state: ProductDensity) -> str:
    """sha256 of what the trajectories of a run depend on besides the seeds and options: N, d, the
    model's matrices and every Gamma_l tabulated on a grid of its Delta's range, and the initial state."""
    h = hashlib.sha256()
    m = model.model
    h.update(np.array([m.N, m.d], dtype=np.int64).tobytes())
    for a in (m.eps, m.h, m.basis, model.W, state.matrix):
        h.update(np.ascontiguousarray(a).tobytes())
    for ch, op, R in zip(m.channels, model.ops, model.R):
        h.update(np.ascontiguousarray(op).tobytes() + np.ascontiguousarray(R).tobytes())
        h.update(bytes([ch.collective]))
        w = np.linalg.eigvalsh(R)
        h.update(np.ascontiguousarray(ch.amplitude(np.linspace(w[0], w[-1], 1025))).tobytes())
    return h.hexdigest()
