"""Exact quantum-jump trajectories of spin systems with collective operator-valued rates.

Every solver has the form solver(model, state, times, *, options=...) and returns a result with
the axis conventions of trajectories/base/results.py (time last, block axes dropped for a
SpinModel). Theory notes: docs/theory.md; the paper: Fiorelli, Müller, Lesanovsky, Carollo,
arXiv:2302.04155.
"""
from importlib import metadata as _metadata

from .base.kernel_cache import configure as _configure_kernel_cache

_configure_kernel_cache()   # before any kernel is defined: a cache folder per source version

from .analysis import (InverseNFit, fit_inverse_n, PowerLawFit, binder_cumulant, SwitchingRate, TimeAverage, integrated_time, switching_rate, time_average, LimitEstimate, RichardsonLimit, bootstrap, extrapolate_limit, increment_ratios, clustering, connected_correlations, covariance, fit_power_law,
                       linear_functional, paired_difference, pattern_overlaps, richardson, variance, weighted_mean)
from .base.ensemble import Ensemble
from .base.errors import (CheckpointMismatchError, InsufficientDataError, IntegrationError, MemoryLimitError,
                          ResultsFileError, StiffnessWarning, WorkLimitError, WorkerLostError)
from .base.options import ExecutionOptions, ODEOptions, TrajectoryOptions
from .base.results import CorrelationResult, ExactResult, FluctuationResult, LocalResult, MeanFieldResult, Result
from .engine.ensemble import run_ensemble
from .engine.stationary import StationaryResult, stationary_average
from .io.files import load_ensemble, save_ensemble
from .io.records import Records, load_records
from .reference.correlations import exact_correlation
from .reference.exact import exact_evolution, exact_stationary
from .reference.spectrum import slowest_rates, spectral_gap
from .sectors.states import (CatState, CoherentState, DickeState, InitialState, ProductState, cat_state,
                             classical_state, coherent_state, dicke_state, product_state)
from .theory.fluctuations import fluctuations
from .theory.local import local_correlation, local_generator
from .theory.meanfield import mean_field

try:
    __version__ = _metadata.version("collective-trajectories")
except _metadata.PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "CatState", "CheckpointMismatchError", "LimitEstimate", "RichardsonLimit", "extrapolate_limit", "increment_ratios", "richardson", "weighted_mean", "CorrelationResult", "exact_correlation", "local_correlation", "PowerLawFit", "bootstrap", "connected_correlations",
    "linear_functional", "paired_difference", "pattern_overlaps", "CoherentState", "DickeState", "Ensemble", "ExactResult",
    "ExecutionOptions", "FluctuationResult", "InitialState", "InsufficientDataError", "IntegrationError", "LocalResult",
    "MeanFieldResult", "MemoryLimitError", "WorkLimitError", "WorkerLostError", "ODEOptions", "ProductState", "Result", "ResultsFileError",
    "StiffnessWarning", "TrajectoryOptions", "cat_state", "classical_state", "clustering", "coherent_state", "covariance",
    "dicke_state", "exact_evolution", "fit_inverse_n", "InverseNFit", "fit_power_law", "fluctuations", "load_ensemble", "local_generator", "mean_field",
    "product_state", "run_ensemble", "save_ensemble", "variance",
    "Records", "StationaryResult", "exact_stationary", "load_records", "slowest_rates", "spectral_gap",
    "stationary_average", "switching_rate", "binder_cumulant", "time_average", "integrated_time", "TimeAverage", "SwitchingRate",
]
