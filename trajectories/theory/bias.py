"""The O(1/N) bias of mean field in the quantum Hopfield model: omega_t(m) = m_MF(t) + b(t)/N + O(1/N^2)
(docs/theory.md §10, second order of the system-size expansion).

For the Hopfield model with the eq. 59 rates (`models.hopfield_model`: H = Omega S_x, local sigma_+ and
sigma_- at the rates (1 +- tanh(beta m_z))/2, Pauli units, t in units of the inverse flip rate) the
Heisenberg drift of the average operators is, to O(1/N) and in symmetric ordering,

    L*(m_z) = 2 Omega m_y + tanh(beta m_z) - m_z,
    L*(m_x) = -m_x/2 + g(m_z) m_x / N,        L*(m_y) = -2 Omega m_z - m_y/2 + g(m_z) m_y / N,
    g(m) = (beta/2) sech^2(beta m) - (beta^2/4) sech^2(beta m) (1 + m tanh(beta m)).

The first term of g is the flipping site's own spin inside its rate (m_z seen by site k lacks site k's
1/N); the second is the rate on site k not commuting with sigma_x^(j) of the other sites. Averaging over
a clustering state, omega(F(m)) = F(omega(m)) + (1/2) F'' : Cov + O(1/N^2), so

    db/dt = A(t) b + (0, 0, -beta^2 tanh(beta m_z) sech^2(beta m_z) Sigma_zz) + g(m_z) (m_x, m_y, 0),
    b(0) = 0 (a product state's averages are those of mean field),

along the mean-field solution m(t), with A its Jacobian and Sigma(t) = lim N Cov(m) the linear-noise
covariance (`fluctuations`). experiments/mf_exactness.py checks b against the N -> oo limit of the
exact sector solver.
"""
from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

from models import hopfield_model
from ..base.checks import check_times
from ..base.integration import integrate
from ..base.options import ODEOptions
from .fluctuations import fluctuations

#: points of the grid on which the linear-noise covariance that drives b(t) is computed and interpolated
GRID_POINTS = 801


def ordering_rate(beta: float, mz):
    """g(m_z) of the O(1/N) ordering part of the transverse drift (module docstring)."""
    th, se = np.tanh(beta * mz), 1.0 / np.cosh(beta * mz) ** 2
    return 0.5 * beta * se - 0.25 * beta ** 2 * se * (1 + mz * th)


def hopfield_bias(beta: float, omega: float, state, times, *, ordering: bool = True,
                  options: ODEOptions | dict | None = None) -> np.ndarray:
    """b(t) = lim N (omega_t(m) - m_MF(t)) of the single-block Hopfield model (eq. 59 rates).

    Parameters
    ----------
    beta, omega : the model's parameters (`models.hopfield_model`)
    state : a product initial state (coherent_state, product_state, classical_state)
    times : (T,) strictly increasing output times >= 0
    ordering : keep the ordering terms g (False: only (1/2) f'':Sigma, to show what they contribute)
    options : ODEOptions of the mean field, the covariance and b

    Returns
    -------
    (3, T) array: b_x, b_y, b_z; omega_t(m_a) = m_a^MF(t) + b_a(t)/N + O(1/N^2).
    """
    times = check_times(times)
    options = ODEOptions.coerce(options)
    if times[-1] == 0:
        return np.zeros((3, len(times)))
    grid = np.linspace(0.0, float(times[-1]), GRID_POINTS)
    fl = fluctuations(hopfield_model(10, beta, omega), state, grid, options=options)   # lim N: any N
    m_at, szz_at = CubicSpline(grid, fl.mean_field.mean, axis=1), CubicSpline(grid, fl.sigma[2, 2])

    def rhs(t, b):
        mx, my, mz = m_at(t)
        th, se = np.tanh(beta * mz), 1.0 / np.cosh(beta * mz) ** 2
        A = np.array([[-0.5, 0.0, 0.0], [0.0, -0.5, -2 * omega], [0.0, 2 * omega, beta * se - 1]])
        g = ordering_rate(beta, mz) if ordering else 0.0
        return A @ b + np.array([g * mx, g * my, -beta ** 2 * th * se * szz_at(t)])

    return integrate(rhs, np.zeros(3), times, options, "Hopfield bias")
