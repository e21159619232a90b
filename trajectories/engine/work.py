"""The work of a trajectory run, estimated up front from bounds on its rates and its generator.

A trajectory takes up to `rate * t` jumps and `norm * t` no-jump steps, with `rate` an upper bound on
its total jump rate and `norm` one on ||H_eff - c|| (1/time). `check_work` turns the two into a warning
(StiffnessWarning) when one trajectory would take long, and a refusal (WorkLimitError) when the whole
run exceeds options.max_steps. The spin engine's bounds are in compiled.py, the qudit engine's in
irrep_ensemble.py.
"""
from __future__ import annotations

import warnings

from ..base.errors import StiffnessWarning, WorkLimitError
from ..base.integration import MAX_NORM

#: expected jumps plus no-jump steps per trajectory above which run_ensemble warns (StiffnessWarning):
#: about a minute per trajectory at SECONDS_PER_STEP
STIFF_JUMPS = 1e6
#: seconds of one integration step of the spin engine (a no-jump step or a jump), measured at the upper
#: bounds the estimates use: 23-45 us (N = 2, 10, 100, 1000 with h = 1e6 S_x, one core); steps of
#: ordinary models are cheaper per unit of the bounds, so estimated durations are upper estimates
SECONDS_PER_STEP = 3e-5


def check_work(rate: float, norm: float, span: float, ntraj: int, max_steps: float, limit: float = STIFF_JUMPS,
               seconds_per_step: float = SECONDS_PER_STEP, what: str = "the model") -> float:
    """Expected jumps per trajectory (`rate * span`), checked against the work of the run.

    Parameters
    ----------
    rate, norm : float
        Upper bounds on the total jump rate and on ||H_eff - c|| (1/time).
    span : float
        The final time.
    ntraj : int
        Trajectories of the run.
    max_steps : float
        options.max_steps: WorkLimitError when ntraj (jumps + steps) exceeds it.
    limit : float
        StiffnessWarning when one trajectory's jumps + steps exceed it.
    seconds_per_step : float
        The cost of one step, for the durations the messages quote.
    what : str
        What the bounds are of, for the messages.

    ValueError when `rate` or `norm` exceeds MAX_NORM (the deterministic solvers' bound too: beyond, squares
    in the step kernels overflow) or is not finite: such a run could never finish.
    Every message gives the estimate and what to change.
    """
    if not rate <= MAX_NORM or not norm <= MAX_NORM:
        raise ValueError(
            f"{what}'s largest total jump rate ({rate:.3g}) or Hamiltonian norm ({norm:.3g}) exceeds "
            f"{MAX_NORM:g} (1/time): no run could integrate it; lower the rates (gamma or rate of the "
            "channels) or the fields and couplings, or rescale time")
    jumps, steps = rate * span, norm * span
    per_trajectory = jumps + steps
    cost = f"{seconds_per_step * 1e6:.2g} us a step"
    estimate = (f"up to {jumps:.3g} jumps (largest total jump rate {rate:.3g} times t = {span:g}) and "
                f"{steps:.3g} no-jump steps (Hamiltonian norm up to {norm:.3g} times t = {span:g}) per trajectory")
    advice = (("lower the rates (gamma or rate of the channels)" if jumps >= steps else
               "lower the fields and couplings")
              + ", the number of particles or the final time, or rescale time so the rates are O(1) and the "
                "norm O(N)")
    total = ntraj * per_trajectory
    if total > max_steps:
        raise WorkLimitError(
            f"{estimate}: {total:.3g} steps for {ntraj} trajectories, ~{duration(total * seconds_per_step)} at "
            f"{cost}, above options.max_steps = {max_steps:.3g}: {advice}; or, to run it anyway, raise "
            f"options.max_steps to {float(f'{total * 1.1:.2g}'):.2g} (a config's [options] max_steps)",
            total, max_steps)
    if per_trajectory > limit:
        warnings.warn(f"{estimate}, ~{duration(per_trajectory * seconds_per_step)} per trajectory at {cost}: "
                      f"the run may take very long; {advice}", StiffnessWarning, stacklevel=5)  # the caller of run_ensemble
    return jumps


def duration(seconds: float) -> str:
    """A number of seconds as people read it."""
    if seconds < 120:
        return f"{seconds:.2g} s"
    if seconds < 7200:
        return f"{seconds / 60:.2g} minutes"
    return f"{seconds / 3600:.2g} hours" if seconds < 1e7 else f"{seconds / 3.15e7:.2g} years"
