"""The slowest relaxation rates of the master equation, from the sector-reduced Lindbladian.

The eigenvalues of the reduced Lindbladian (reference/sectors.py) nearest zero, by shift-invert
Arnoldi (scipy.sparse.linalg.eigs about a small positive shift) on its sparse matrix. For a bistable model with a
symmetry exchanging its two branches (the Hopfield model: the pi rotation about x maps m_z to
-m_z), the slowest non-zero rate lambda_1 is the relaxation of the branch population difference,
lambda_1 = k_{+->-} + k_{-->+} = 2 k: half of it is the switching rate out of either branch that
trajectories measure (docs/theory.md §13), up to corrections of the order of the intra-branch
relaxation rate over lambda_1.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse.linalg as spla

from models.spin import BlockModel
from ..base.checks import check_model
from ..base.options import ODEOptions
from .sectors import SectorLindbladian, check_memory, evolved_tuples


#: shift-invert point: a small positive real number, outside the spectrum (Re <= 0), so that the
#: factorised L - SHIFT is not singular (at 0 it is: the stationary state)
SHIFT = 1e-3
#: up to this dimension the reduced Lindbladian is diagonalised densely (about a second at 800)
DENSE_LIMIT = 800


def slowest_rates(model: BlockModel, state, *, k: int = 4, options: ODEOptions | dict | None = None) -> np.ndarray:
    """The k eigenvalues of the reduced Lindbladian nearest zero, on the sector tuples reachable
    from `state`, sorted by decreasing real part (the first is the stationary state's ~0).

    Needs every Delta z-only (a sparse Lindbladian); k must be smaller than the dimension - 1.

    Returns
    -------
    (k,) complex eigenvalues; -Re of the second is the spectral gap lambda_1.
    """
    options = ODEOptions.coerce(options, "options")
    check_model(model, qudit=False)
    spins = state.sector_spins(model.sizes)
    check_memory(model, spins, 1, options)
    lind = SectorLindbladian(model, evolved_tuples(model, spins))
    if lind.n_dense:
        raise ValueError("slowest_rates needs every channel's Delta to involve only m_z (a sparse "
                         "reduced Lindbladian)")
    if not isinstance(k, (int, np.integer)) or not 2 <= k < lind.n - 1:
        raise ValueError(f"k must be an integer in 2..{lind.n - 2}, got {k!r}")
    if lind.n <= DENSE_LIMIT:
        vals = np.linalg.eigvals(lind.L.toarray())
    else:
        vals = spla.eigs(lind.L.tocsc(), k=min(k + 6, lind.n - 2), sigma=SHIFT, which="LM",
                         return_eigenvectors=False, tol=1e-12)
        # shift-invert Arnoldi can return spurious Ritz values; a Lindbladian has none with Re > 0
        scale = max(1.0, float(np.max(np.abs(vals))))
        vals = vals[vals.real <= 1e-8 * scale]
    vals = vals[np.argsort(np.abs(vals))][:k]
    return vals[np.argsort(-vals.real)]


def spectral_gap(model: BlockModel, state, *, options: ODEOptions | dict | None = None) -> float:
    """lambda_1 = -Re of the slowest non-zero eigenvalue of the reduced Lindbladian (1/time); a
    ValueError when the stationary eigenvalue is not separated (a degenerate stationary state)."""
    vals = slowest_rates(model, state, k=4, options=options)
    if abs(vals[0]) > 1e-8 * max(1.0, abs(vals[-1])):
        raise ValueError(f"no eigenvalue at zero found (nearest {vals[0]:.3g}): the solve failed")
    if -vals[1].real < 1e-10 * max(1.0, abs(vals[-1])):
        raise ValueError("the stationary state is not unique (a second eigenvalue at zero)")
    return float(-vals[1].real)
