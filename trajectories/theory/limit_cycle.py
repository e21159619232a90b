"""Attracting mean-field limit cycles and the phase diffusion of finite-N dynamics (docs/theory.md §10).

On an attracting cycle x0(t) = x0(t + P) of dm/dt = f(m), the Gaussian fluctuations of the linear-noise
expansion have one undamped direction, the phase: the phase of a finite-N system diffuses,

    Var(phase)(t) ~ D_phi t / N,    D_phi = (1/P) int_0^P Z(t)^T D(x0(t)) Z(t) dt,

with D the noise matrix (`fluctuations.noise_matrix`) and Z the phase response (the periodic solution of
dZ/dt = -A(t)^T Z, A the Jacobian, normalised Z . f(x0) = 1): Z(0) is the left eigenvector of the
monodromy matrix Phi(P) for the multiplier 1 and Z(t) = Phi(t)^{-T} Z(0). An ensemble average of an
observable on the cycle then dephases: its k-th Fourier harmonic decays like exp(-(2 pi k / P)^2 D_phi t / (2N)),
so the first harmonic's decay time is tau = N P^2 / (2 pi^2 D_phi).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from models.spin import BlockModel
from ..base.errors import IntegrationError
from .fixed_points import amplitudes_at, jacobian
from .fluctuations import noise_matrix
from .meanfield import vector_field


@dataclass(frozen=True)
class LimitCycle:
    """An attracting mean-field cycle and its phase diffusion.

    Attributes
    ----------
    period : float
        P.
    point : ndarray (B, 3)
        A point x0(0) on the cycle (on the section through it where the orbit was found).
    multipliers : ndarray (3B,) complex
        Floquet multipliers (eigenvalues of Phi(P)), by decreasing modulus; one of them is 1.
    phase_response : ndarray (B, 3)
        Z(0), the gradient of the asymptotic phase at `point` (Z . f = 1).
    phase_diffusion : float
        D_phi: the phase variance (in units of time^2) grows like D_phi t / N.
    """

    period: float
    point: np.ndarray
    multipliers: np.ndarray
    phase_response: np.ndarray
    phase_diffusion: float

    @property
    def dephasing_time_per_spin(self) -> float:
        """tau / N = P^2 / (2 pi^2 D_phi): the first harmonic of an ensemble average decays like exp(-t / tau)."""
        return self.period ** 2 / (2 * np.pi ** 2 * self.phase_diffusion)


def _flow(model, rtol: float):
    f = vector_field(model)
    shape = (model.B, 3)

    def rhs(_t, y):
        return f(y.reshape(shape)).ravel()
    return rhs, dict(method="DOP853", rtol=rtol, atol=rtol * 1e-2)


def _return(model, x: np.ndarray, rtol: float, t_max: float) -> tuple[np.ndarray, float]:
    """Next upward crossing of the plane through x normal to f(x): (point, time)."""
    rhs, kw = _flow(model, rtol)
    n = rhs(0, x)
    plane = lambda _t, y: float(np.dot(y - x, n))  # noqa: E731
    plane.direction, plane.terminal = 1.0, True
    # leave the plane before looking for the return
    kick = solve_ivp(rhs, (0, 1e-3 * t_max), x, **kw).y[:, -1]
    sol = solve_ivp(rhs, (0, t_max), kick, events=plane, **kw)
    if not sol.t_events[0].size:
        raise IntegrationError(f"no return to the section within t = {t_max}: not on a limit cycle")
    return sol.y_events[0][0], float(sol.t_events[0][0] + 1e-3 * t_max)


def limit_cycle(model, start, *, settle: float = 200.0, rtol: float = 1e-11, samples: int = 256) -> LimitCycle:
    """Find the attracting cycle reached from `start` and its phase-diffusion constant.

    Parameters
    ----------
    model : SpinModel or BlockModel
    start : Bloch vectors (B, 3) (or (3,) for one block) in the cycle's basin
    settle : integration time before the cycle is sought (transient)
    rtol : ODE tolerance
    samples : quadrature points over one period for D_phi (trapezoid on a periodic integrand)

    Returns
    -------
    LimitCycle; an IntegrationError when the orbit does not close (a fixed point, or chaos).
    """
    if not isinstance(model, BlockModel):
        raise ValueError(f"model must be a SpinModel or BlockModel, got {type(model).__name__}")
    x = np.asarray(start, dtype=float).reshape(-1)
    if x.size != 3 * model.B or not np.all(np.isfinite(x)):
        raise ValueError(f"start must be finite Bloch vectors of shape ({model.B}, 3)")
    rhs, kw = _flow(model, max(rtol, 1e-8))
    x = solve_ivp(rhs, (0, settle), x, **kw).y[:, -1]
    if np.linalg.norm(rhs(0, x)) < 1e-8:
        raise IntegrationError("the orbit settled on a fixed point, not a limit cycle")
    for _ in range(20):
        x_new, period = _return(model, x, rtol, 10 * settle)
        closed = np.linalg.norm(x_new - x) < 1e-9
        x = x_new
        if closed:
            break
    else:
        raise IntegrationError("the orbit does not close to 1e-9 after 20 returns: not a limit cycle")
    return _phase_response(model, x, period, rtol, samples)


def _phase_response(model, x0: np.ndarray, period: float, rtol: float, samples: int) -> LimitCycle:
    """Monodromy, phase response Z(t) and D_phi on the cycle through x0 with period P."""
    n = x0.size
    rhs, kw = _flow(model, rtol)

    def variational(t, y):
        x, Phi = y[:n], y[n:].reshape(n, n)
        return np.concatenate([rhs(t, x), (jacobian(model, x.reshape(model.B, 3)) @ Phi).ravel()])

    t = np.linspace(0.0, period, samples + 1)
    sol = solve_ivp(variational, (0, period), np.concatenate([x0, np.eye(n).ravel()]), t_eval=t, **kw)
    if not sol.success:
        raise IntegrationError(f"variational integration failed: {sol.message}")
    M = sol.y[n:, -1].reshape(n, n)
    mult, left = np.linalg.eig(M.T)
    k = int(np.argmin(np.abs(mult - 1)))
    z = np.real(left[:, k])
    z /= np.dot(z, rhs(0, x0))
    integrand = np.empty(samples)
    for i in range(samples):
        Phi = sol.y[n:, i].reshape(n, n)
        Z = np.linalg.solve(Phi.T, z)
        m = sol.y[:n, i].reshape(model.B, 3)
        integrand[i] = Z @ noise_matrix(model, m, amplitudes=amplitudes_at(model, m)) @ Z
    order = np.argsort(-np.abs(mult))
    return LimitCycle(period=period, point=x0.reshape(model.B, 3), multipliers=mult[order],
                      phase_response=z.reshape(model.B, 3), phase_diffusion=float(np.mean(integrand)))
