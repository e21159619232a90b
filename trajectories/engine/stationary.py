"""Stationary averages from long trajectories (docs/theory.md §13).

The time average of <O>_psi(t) along a trajectory after a burn-in converges to tr(rho_ss O) when
the stationary state is unique; M independent trajectories give M chains of samples every dt, and
the error of their mean follows from the integrated autocorrelation time
(analysis/autocorrelation.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..analysis.autocorrelation import TimeAverage, min_samples, time_average
from ..base.checks import check_int, check_model, check_positive
from ..base.errors import InsufficientDataError
from ..sectors.states import InitialState
from .ensemble import run_ensemble


@dataclass
class StationaryResult:
    """Stationary averages with errors from the autocorrelation time.

    mean, stderr, tau : (B, 3) <m_a^b>_ss, its standard error and the integrated autocorrelation
        time (time units) of each series ((3,) for a SpinModel)
    second, second_stderr, second_tau : (B, 3, B, 3) symmetrised <m_a^b m_c^g>_ss, its error and
        autocorrelation time ((3, 3) for a SpinModel)
    observables : name -> TimeAverage of each diagonal observable
    reliable : whether every series is at least 50 autocorrelation times long
    ensemble : the run (its per-trajectory data: trajectory_means(), ...)
    """

    mean: np.ndarray
    stderr: np.ndarray
    tau: np.ndarray
    second: np.ndarray
    second_stderr: np.ndarray
    second_tau: np.ndarray
    observables: dict
    reliable: bool
    burn_in: float
    dt: float
    ensemble: object = field(repr=False)

    def distribution(self, block=None, *, name=None, weights=None):
        """The stationary distribution (values (nb,), P (nb,), stderr (nb,)): per bin the time
        average of the ensemble's P(value, t) after the burn-in (run with distributions=...). The
        ensemble mean over the M chains is itself a stationary chain (variance sigma^2/M, the same
        autocorrelation), so its time average has the error of the pooled estimate."""
        values, P, _ = self.ensemble.distribution(block, name=name, weights=weights)
        avg = [time_average(row[None], self.dt, self.burn_in) for row in P]
        return values, np.array([a.value for a in avg]), np.array([a.stderr for a in avg])


def _averages(series: np.ndarray, dt: float, burn_in: float) -> list[TimeAverage]:
    """time_average of every column of series (M, T, ...), flattened over the trailing axes."""
    flat = series.reshape(series.shape[0], series.shape[1], -1)
    return [time_average(flat[:, :, k], dt, burn_in) for k in range(flat.shape[2])]


def _check_samples(n: int, t_total: float, dt: float, burn_in: float) -> None:
    """InsufficientDataError, with the dt that would do, unless n samples suffice for time_average."""
    need = min_samples()
    if n < need:
        raise InsufficientDataError(
            f"t_total = {t_total:g}, dt = {dt:g} and burn_in = {burn_in:g} leave {n} sample(s) per trajectory "
            f"after the burn-in: an autocorrelation time needs at least {need} "
            f"(take dt <= {0.999 * (t_total - burn_in) / (need + 1):.4g}, or a longer t_total)")


def stationary_average(model, state: InitialState, *, burn_in: float, t_total: float, dt: float,
                       ntraj: int, seed=None, observables: dict | None = None, distributions=False,
                       options=None, execution=None) -> StationaryResult:
    """Stationary <m_a^b>, <m_a^b m_c^g> and diagonal observables from `ntraj` trajectories of
    length t_total, sampled every dt, the samples before burn_in dropped.

    Parameters
    ----------
    model, state, seed, options, execution : as in run_ensemble
    burn_in : time in [0, t_total) before which samples are dropped (relaxation to the stationary
        state: several times the slowest relaxation time)
    t_total : length of each trajectory (> 0)
    dt : sampling interval (> 0); a dt much shorter than the autocorrelation time costs memory
        (ntraj x t_total/dt samples of the moments), not accuracy
    ntraj : independent trajectories (chains), >= 1
    observables : dict name -> f(m_z^1, ..., m_z^B), as in run_ensemble
    distributions : as in run_ensemble (StationaryResult.distribution)

    Returns
    -------
    StationaryResult (value and error of every average; `reliable` False when a series is shorter
    than 50 autocorrelation times: run longer).

    Raises
    ------
    InsufficientDataError
        before any trajectory runs, when fewer than min_samples() = 12 samples per trajectory
        remain after the burn-in (analysis/autocorrelation.py: the fewest an autocorrelation time
        can be estimated from).
    """
    t_total = check_positive("t_total", t_total)
    dt = check_positive("dt", dt, t_total)
    check_model(model, qudit=False)
    ntraj = check_int("ntraj", ntraj, 1)
    if not isinstance(burn_in, (int, float, np.floating, np.integer)) or not 0 <= burn_in < t_total:
        raise ValueError(f"burn_in must be a number in [0, t_total = {t_total:g}), got {burn_in!r}")
    times = np.arange(0.0, t_total + dt / 2, dt)
    _check_samples(len(times) - int(np.ceil(burn_in / dt - 1e-9)), t_total, dt, burn_in)
    ens = run_ensemble(model, state, times, ntraj=ntraj, seed=seed, keep_trajectories=True,
                       observables=observables, distributions=distributions, options=options,
                       execution=execution)
    B = len(model.sizes)
    means, seconds = ens.trajectory_means(), ens.trajectory_seconds()
    first = _averages(means, dt, burn_in)
    second = _averages(seconds, dt, burn_in)
    _, obs = ens.trajectory_diagonal()
    named = {name: time_average(obs[:, :, k], dt, burn_in) for k, name in enumerate(ens.diagonal["observables"])}

    def shaped(items, attr, shape):
        a = np.array([getattr(x, attr) for x in items]).reshape(shape)
        return a[0] if ens.single_block else a

    def shaped2(items, attr):
        a = np.array([getattr(x, attr) for x in items]).reshape(B, 3, B, 3)
        return a[0, :, 0] if ens.single_block else a

    every = first + second + list(named.values())
    return StationaryResult(mean=shaped(first, "value", (B, 3)), stderr=shaped(first, "stderr", (B, 3)),
                            tau=shaped(first, "tau", (B, 3)), second=shaped2(second, "value"),
                            second_stderr=shaped2(second, "stderr"), second_tau=shaped2(second, "tau"),
                            observables=named,
                            reliable=all(x.reliable for x in every), burn_in=float(burn_in), dt=dt,
                            ensemble=ens)
