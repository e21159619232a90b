"""The one integrator of the deterministic solvers: DOP853 from time 0 to the output times."""
from __future__ import annotations

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
