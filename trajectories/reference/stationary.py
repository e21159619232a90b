"""The exact stationary state of the master equation, from the sector-reduced Lindbladian.

The stationary vector solves L y = 0 with sum_s tr rho_s = 1 (docs/theory.md §13): one equation of
L y = 0 (it is redundant, since L preserves the trace) is replaced by the trace condition and the
system solved directly, sparse (scipy's SuperLU) when every Delta is z-only, dense otherwise (the
Lindbladian applied to unit vectors; dimension <= DENSE_LIMIT). The stationary state is unique when
the bordered system is regular; a block without channels keeps its initial total spin, so the
state depends on the sectors the initial state occupies, and the solve runs on the sector tuples
reachable from it. The residual ||L y|| and the positivity of every rho_s are checked.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from models.spin import BlockModel
from ..base.errors import IntegrationError
from ..base.options import ODEOptions
from .sectors import SectorLindbladian, check_memory, evolved_tuples, moments_of

#: largest reduced dimension solved densely when some Delta has x or y parts
DENSE_LIMIT = 4000


def _trace_row(lind: SectorLindbladian) -> np.ndarray:
    row = np.zeros(lind.n)
    for o, d in zip(lind.offsets, lind.dims):
        row[o + np.arange(d) * (d + 1)] = 1.0
    return row


def _matrix(lind: SectorLindbladian):
    if not lind.n_dense:
        return lind.L.tocsr()
    if lind.n > DENSE_LIMIT:
        raise ValueError(f"the stationary state with x/y parts in Delta is solved densely up to dimension "
                         f"{DENSE_LIMIT}; this model has {lind.n}: use fewer spins")
    eye = np.eye(lind.n, dtype=complex)
    return np.column_stack([lind(0.0, eye[:, k]) for k in range(lind.n)])


def sector_stationary(model: BlockModel, state, options: ODEOptions = ODEOptions()):
    """(lind, y): the reduced Lindbladian on the tuples reachable from `state` and its stationary
    vector y (lind.n,) with sum_s tr rho_s = 1 (rho_s = lind.blocks(y)).

    ValueError when the stationary state is not unique (the bordered system is singular);
    IntegrationError when the solution fails its residual or positivity check.
    """
    spins = state.sector_spins(model.sizes)
    check_memory(model, spins, 1, options)
    lind = SectorLindbladian(model, evolved_tuples(model, spins))
    L = _matrix(lind)
    trace = _trace_row(lind)
    rhs = np.zeros(lind.n, dtype=complex)
    rhs[0] = 1.0
    if sp.issparse(L):
        A = sp.vstack([sp.csr_matrix(trace[None, :].astype(complex)), L[1:]]).tocsc()
        try:
            y = spla.splu(A).solve(rhs)
        except RuntimeError:
            y = np.full(lind.n, np.nan)
    else:
        A = np.vstack([trace[None, :].astype(complex), L[1:]])
        s = np.linalg.svd(A, compute_uv=False)
        y = np.linalg.solve(A, rhs) if s[-1] > 1e-12 * s[0] else np.full(lind.n, np.nan)
    if not np.all(np.isfinite(y)):
        raise ValueError("the stationary state is not unique (the reduced Lindbladian has more than one zero "
                         "eigenvalue, e.g. a block without channels keeps its total spin and other conserved "
                         "quantities split the state)")
    _check(lind, L, y)
    return lind, y


def _check(lind: SectorLindbladian, L, y: np.ndarray) -> None:
    residual = np.linalg.norm(L @ y if sp.issparse(L) else L.dot(y))
    scale = (abs(L).sum(axis=1).max() if sp.issparse(L) else np.abs(L).sum(axis=1).max()) * np.linalg.norm(y)
    if residual > 1e-8 * max(scale, 1e-300):
        raise IntegrationError(f"the stationary solve is inaccurate: ||L y|| = {residual:.3g} "
                               f"(relative {residual / scale:.3g})")
    for rho in lind.blocks(y):
        if rho.size and (np.abs(rho - rho.conj().T).max() > 1e-8
                         or np.linalg.eigvalsh((rho + rho.conj().T) / 2).min() < -1e-8):
            raise IntegrationError("the stationary solve gave a non-positive density matrix")


def stationary_moments_sectors(model: BlockModel, state, options: ODEOptions = ODEOptions()):
    """(first (1, B, 3), second (1, B, 3, B, 3), populations (1, G)) of the stationary state, in
    the conventions of sector_moments."""
    lind, y = sector_stationary(model, state, options)
    return moments_of(lind, y[:, None])
