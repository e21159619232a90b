"""Exact two-time correlations of a tagged site by the quantum regression theorem (docs/theory.md §12).

The many-body generator L of the master equation is time independent, so for the evolution
V_t = e^{t L} and rho(t) = V_t(rho(0)) (Schroedinger picture, any Lindblad dynamics)

    <A(t + s) B(t)> = tr[ A V_s( B rho(t) ) ],

with B rho(t) evolved like a state although it is not one (L is C-linear). A and B act on one site
that is a block of its own (a tagged site, e.g. `tagged_hopfield_model`): such operators commute with
the permutations of every block, so B rho keeps the sector form (+)_s X_s (x) 1/d_s and the
sector-reduced Lindbladian evolves it exactly. The 2^N solver (method "full", N <= 10) does the same
on the whole space, independently of the sector formulas.
"""
from __future__ import annotations

import numpy as np

from models.spin import BlockModel
from ..base.checks import check_bool, check_int, check_model, check_lags, check_operator, check_times
from ..base.options import ODEOptions
from ..base.results import CorrelationResult
from ..sectors.states import InitialState
from .full import block_sites, full_evolve, full_generator, full_integrate, site_operator
from .sectors import propagate, sector_evolve

METHODS = ("sectors", "full")


def _tagged_block(model: BlockModel, block) -> int:
    b = check_int("block", block, 0)
    if b >= model.B:
        raise ValueError(f"block must be in 0..{model.B - 1}, got {block!r}")
    if model.sizes[b] != 1:
        raise ValueError(f"block {b} has {model.sizes[b]} sites: the operators a and b act on one tagged "
                         f"site, a block of size 1 (e.g. tagged_hopfield_model)")
    return b


def _sector_correlation(model, state, times, lags, a, b, block, connected, options):
    """(values (T, S), b_mean (T,), a_mean (T, S) or None) with the sector solver."""
    # the regressions run one after the other, each with len(lags) outputs, while Y is held
    lind, Y = sector_evolve(model, state, times, options, extra_times=len(lags))
    ops = lind.ops
    A = lind.observables(lambda s: [ops.block_operator(s, block, a)]).toarray()[:, 0]   # tr(A X) = A . x
    Bop = lind.observables(lambda s: [ops.block_operator(s, block, b)]).toarray()[:, 0]
    B_s = [ops.block_operator(s, block, b) for s in lind.tuples]
    values = np.empty((len(times), len(lags)), dtype=complex)
    a_mean = np.empty_like(values) if connected else None
    for i in range(len(times)):
        X0 = np.concatenate([(Bs @ r).ravel() for Bs, r in zip(B_s, lind.blocks(Y[:, i]))])
        values[i] = A @ propagate(lind, X0, lags, options)
        if connected:
            a_mean[i] = A @ propagate(lind, Y[:, i].copy(), lags, options)
    return values, Bop @ Y, a_mean


def _full_correlation(model, state, times, lags, a, b, block, connected, options):
    """As `_sector_correlation`, on the 2^N space."""
    rhos = full_evolve(model, state, times, options)
    rhs, norm = full_generator(model)
    k, N = block_sites(model.sizes)[block][0], model.N
    A, Bop = site_operator(a, k, N), site_operator(b, k, N)
    At = A.T.reshape(1, -1)                                  # tr(A X) = sum_pq A_qp X_pq

    def expect(Xs):
        return np.asarray(At @ Xs.reshape(len(Xs), -1).T).ravel()

    values = np.empty((len(times), len(lags)), dtype=complex)
    a_mean = np.empty_like(values) if connected else None
    for i, rho in enumerate(rhos):
        values[i] = expect(full_integrate(rhs, norm, np.asarray(Bop @ rho), lags, options))
        if connected:
            a_mean[i] = expect(full_integrate(rhs, norm, rho, lags, options))
    b_mean = np.array([np.sum(Bop.T.toarray() * rho) for rho in rhos])
    return values, b_mean, a_mean


def exact_correlation(model, state, times, *, lags, a, b, block: int, method: str = "sectors",
                      connected: bool = False, options: ODEOptions | dict | None = None) -> CorrelationResult:
    """Exact <A(t + s) B(t)> for operators A, B of one tagged site (quantum regression).

    Parameters
    ----------
    model : SpinModel or BlockModel with a block of size 1 (the tagged site)
    state : InitialState of the whole system
    times : (T,) strictly increasing earlier times t >= 0
    lags : (S,) strictly increasing delays s >= 0
    a, b : (2, 2) complex single-site operators in the basis (up, down) (e.g. sigma_+ = [[0, 1], [0, 0]])
    block : the tagged site's block (its size must be 1)
    method : "sectors" (sector-reduced, N up to ~80 with a tagged site) or "full" (2^N, N <= 10)
    connected : also compute <A(t + s)> (one more evolution per t), for `CorrelationResult.connected`
    options : ODEOptions (DOP853 tolerances, memory_limit)

    Returns
    -------
    CorrelationResult with values (T, S), b_mean (T,), a_mean (T, S) or None.
    """
    check_model(model, qudit=False)
    connected = check_bool("connected", connected)
    if method not in METHODS:
        raise ValueError(f"method must be 'sectors' or 'full', got {method!r}")
    if not isinstance(state, InitialState):
        raise ValueError(f"state must be an initial state (coherent_state(...), ...), got {type(state).__name__}")
    state.validate(model.sizes)
    options = ODEOptions.coerce(options)
    times, lags = check_times(times), check_lags(lags)
    a, b = check_operator("a", a, 2), check_operator("b", b, 2)
    block = _tagged_block(model, block)
    solve = _full_correlation if method == "full" else _sector_correlation
    values, b_mean, a_mean = solve(model, state, times, lags, a, b, block, connected, options)
    return CorrelationResult(times=times, lags=lags, values=values, b_mean=np.asarray(b_mean), a_mean=a_mean,
                             method=method, sizes=model.sizes)
