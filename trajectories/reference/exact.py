"""exact_evolution: the exact references behind one call (docs/theory.md §2, §6).

    method "sectors"  the sector-reduced density matrix (+)_s rho_s (reference/sectors.py): one block
                      up to N ~ 120 (z-only Deltas) or ~ 80 (x/y in Delta), two blocks up to ~ 12 + 12
    method "full"     the density matrix on the 2^N space built from Pauli matrices (N <= 10),
                      independent of the sector formulas (reference/full.py)
For a QuditModel:

    method "sectors"  the irrep-reduced density matrix (+)_lam rho_lam over the U(d) irreps
                      (reference/qudit_sectors.py): d = 3 up to N ~ 20, d = 4 up to N ~ 10
    method "full"     the density matrix on the d^N space (reference/qudit.py; "qudit" is another
                      name for it), for d^N up to a few hundred
"""
from __future__ import annotations

import numpy as np

from models.qudit import QuditModel
from ..base.checks import check_model, check_times
from ..base.grid import DiagonalSpec, diagonal_spec
from ..base.options import ODEOptions
from ..base.results import ExactResult, drops_block_axes
from ..sectors.states import InitialState
from .full import full_moments
from .qudit import qudit_moments
from .qudit_sectors import qudit_sector_moments
from .sectors import sector_moments
from .stationary import stationary_moments_sectors

METHODS = ("sectors", "full")
QUDIT_METHODS = ("sectors", "full", "qudit")


def exact_evolution(model, state, times, *, method: str | None = None,
                    options: ODEOptions | dict | None = None, distributions=False,
                    observables: dict | None = None) -> ExactResult:
    """Evolve the master equation exactly; return the first and second moments of the averages.

    Parameters
    ----------
    model : SpinModel, BlockModel or QuditModel
    state : InitialState for spin models; for a QuditModel a (d, d) single-site density matrix
        (the product state), with method "sectors" also a dict {partition: block rho_lam}, with
        method "full" also a (d^N, d^N) density matrix
    times : (T,) strictly increasing output times >= 0
    method : "sectors" (the default) or "full"; for a QuditModel "qudit" is another name of "full"
    options : ODEOptions (DOP853 tolerances, memory_limit)
    distributions, observables : named combinations and diagonal observables, as in run_ensemble
        (the result answers distribution() and observable() for any block, weights or function
        anyway; these names make the calls match those of an ensemble)

    Returns
    -------
    ExactResult: mean (B, 3, T), second (B, 3, B, 3, T), block axes dropped for a SpinModel
    (trajectories/base/results.py); for a QuditModel mean (d^2, T), second (d^2, d^2, T).
    """
    check_model(model)
    options = ODEOptions.coerce(options)
    qudit = isinstance(model, QuditModel)
    method = "sectors" if method is None else method
    if method not in (QUDIT_METHODS if qudit else METHODS):
        allowed = "'sectors', 'full' or 'qudit'" if qudit else "'sectors' or 'full'"
        raise ValueError(f"method must be {allowed} for a {type(model).__name__}, got {method!r}")
    times = check_times(times)
    if qudit:
        solve = qudit_sector_moments if method == "sectors" else qudit_moments
        mean, second = solve(model, state, times, options)
        return ExactResult(times=times, sizes=(model.N,), single_block=True, mean=mean, second=second,
                           method="full" if method == "qudit" else method, kind="qudit")
    if not isinstance(state, InitialState):
        raise ValueError(f"state must be an initial state (coherent_state(...), ...), got {type(state).__name__}")
    state.validate(model.sizes)
    spec = diagonal_spec(model.sizes, distributions, observables)
    solve = full_moments if method == "full" else sector_moments
    first, second, pops = solve(model, state, times, options, populations=True)
    return exact_result(model, times, first, second, pops, spec, method)


def exact_stationary(model, state, *, options: ODEOptions | dict | None = None, distributions=False,
                     observables: dict | None = None) -> ExactResult:
    """The exact stationary state (sector solver, reference/stationary.py) as an ExactResult with
    one time, times = [inf]: mean (B, 3, 1), second, populations (1, G), distribution(),
    observable() as for exact_evolution. The sectors are those reachable from `state` (a block
    without channels keeps its total spin)."""
    check_model(model, qudit=False)
    options = ODEOptions.coerce(options)
    if not isinstance(state, InitialState):
        raise ValueError(f"state must be an initial state (coherent_state(...), ...), got {type(state).__name__}")
    state.validate(model.sizes)
    spec = diagonal_spec(model.sizes, distributions, observables)
    first, second, pops = stationary_moments_sectors(model, state, options)
    return exact_result(model, np.array([np.inf]), first, second, pops, spec, "sectors")


def exact_result(model, times, first, second, pops, spec: DiagonalSpec, method: str) -> ExactResult:
    """The ExactResult of solver output first (T, B, 3), second (T, B, 3, B, 3), populations
    (T, G), with the diagonal quantities of `spec`."""
    mean, sec = np.moveaxis(first, 0, -1), np.moveaxis(second, 0, -1)
    single = drops_block_axes(model)
    if single:
        mean, sec = mean[0], sec[0, :, 0]
    diagonal = {**spec.describe(), "values": [v.tolist() for v in spec.values]}
    values = {name: pops @ row for name, row in zip(spec.observables, spec.table)}
    return ExactResult(times=times, sizes=model.sizes, single_block=single, mean=mean, second=sec,
                       method=method, populations=pops, diagonal=diagonal, observable_values=values)
