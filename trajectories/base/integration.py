"""The one integrator of the deterministic solvers: DOP853 from time 0 to the output times, and how
long its integration takes, known before it starts.

DOP853 is explicit: its steps are no longer than a few times 1/||L|| for a generator L, so a
time span t takes about ||L|| t steps (each 12 evaluations of L). A bound on ||L|| (a largest
absolute row sum, >= the spectral radius) over the span gives the number of steps up front
(`check_generator`).
"""
from __future__ import annotations

import gc
import warnings

import numpy as np
import scipy.sparse as sp
from scipy.integrate import solve_ivp

from .errors import IntegrationError, StiffnessWarning, WorkLimitError
from .options import MAX_ODE_STEPS, ODEOptions

#: estimated integration steps above which the deterministic solvers warn (StiffnessWarning)
STIFF_STEPS = 1e6
#: largest generator norm (1/time) the deterministic solvers accept: beyond, nothing could be integrated
MAX_NORM = 1e100


def row_sum_norm(M) -> float:
    """The largest absolute row sum of a dense or sparse matrix (0 for an empty one)."""
    if M is None or np.prod(M.shape) == 0:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        sums = np.asarray(abs(M).sum(axis=1)) if sp.issparse(M) else np.sum(np.abs(M), axis=1)
    return float(np.max(sums))


def check_generator(norm: float, span: float, what: str, max_steps: float = MAX_ODE_STEPS) -> float:
    """The estimated steps norm * span of an integration of `what` over [0, span]; ValueError when
    `norm` exceeds MAX_NORM (or is not finite), WorkLimitError above `max_steps` (options.max_steps),
    StiffnessWarning above STIFF_STEPS steps."""
    if not norm <= MAX_NORM:
        raise ValueError(
            f"{what}: the generator's norm ({norm:.3g}, 1/time) exceeds {MAX_NORM:g}: no integration could "
            "finish; lower the rates (gamma or rate of the channels) or the fields and couplings (h, J), "
            "or rescale time")
    steps = norm * span
    if steps > max_steps:
        raise WorkLimitError(
            f"{what}: about {steps:.3g} integration steps expected (generator norm up to {norm:.3g} times "
            f"t = {span:g}), above options.max_steps = {max_steps:.3g} (each step evaluates the generator 12 "
            "times: hours or more): lower the rates, fields or couplings, or the final time, or rescale time; "
            f"or, to integrate it anyway, raise options.max_steps to {float(f'{steps * 1.1:.2g}'):.2g} (ODEOptions)",
            steps, max_steps)
    if steps > STIFF_STEPS:
        warnings.warn(
            f"{what}: about {steps:.3g} integration steps expected (generator norm up to {norm:.3g} times "
            f"t = {span:g}); the explicit integrator's steps are no longer than ~1/norm, so it may take very "
            "long or never finish: lower the rates, fields or couplings, or the final time, or rescale "
            "time so the norm is O(N)", StiffnessWarning, stacklevel=4)
    return steps


def integrate(rhs, y0: np.ndarray, times: np.ndarray, options: ODEOptions, what: str) -> np.ndarray:
    """Y (len(y0), T): dy/dt = rhs(t, y) from y(0) = y0 at `times` (1D, increasing, from 0).

    IntegrationError naming `what` when the integrator fails; for times = [0] the initial vector.
    """
    if times[-1] == 0:
        return np.repeat(y0[:, None], len(times), axis=1)
    sol = solve_ivp(rhs, (0.0, float(times[-1])), y0, method="DOP853", t_eval=times, rtol=options.rtol,
                    atol=options.atol)
    if not sol.success:
        raise IntegrationError(f"{what} integration failed: {sol.message}")
    return sol.y


def integrate_measured(rhs, y0: np.ndarray, times: np.ndarray, options: ODEOptions, what: str,
                       measure) -> np.ndarray:
    """(K, T): measure(y(t)) (a (K,) vector) at each of `times`, integrating dy/dt = rhs(t, y) from
    y(0) = y0 one output interval at a time, so that only the current y is held (for states too
    large to keep T copies of). IntegrationError naming `what` when the integrator fails."""
    y, t0, out = y0, 0.0, []
    for t in times:
        if t > t0:
            sol = solve_ivp(rhs, (t0, float(t)), y, method="DOP853", t_eval=[float(t)], rtol=options.rtol,
                            atol=options.atol)
            if not sol.success:
                raise IntegrationError(f"{what} integration failed at t = {t0:g}: {sol.message}")
            y, t0 = sol.y[:, -1].copy(), float(t)
            del sol
            gc.collect()  # solve_ivp's solver objects form reference cycles holding its stage vectors
        out.append(measure(y))
    return np.array(out).T
