"""The one integrator of the deterministic solvers: DOP853 from time 0 to the output times."""
from __future__ import annotations

import gc

import numpy as np
from scipy.integrate import solve_ivp

from .errors import IntegrationError
from .options import ODEOptions


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
