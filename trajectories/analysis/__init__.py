"""Estimators for any result (Ensemble, ExactResult, MeanFieldResult; docs/theory.md §4).

moments      variance, covariance, connected_correlations, linear_functional, pattern_overlaps,
             paired_difference, trajectory_values
clustering   clustering (E_N, paper eq. 24), clustering_components, mean_field_bloch
bootstrap    bootstrap, resampled_ensembles
extrapolation extrapolate_limit, LimitEstimate, increment_ratios (N -> oo limits of exact values
             with an error), richardson, RichardsonLimit (the polynomial through the k largest N)
fits         fit_power_law, PowerLawFit, fit_signed_power_law, SignedPowerLawFit, fit_inverse_n, InverseNFit,
             weighted_mean
propagation  the standard-error machinery shared by the estimators
autocorrelation time_average, integrated_time, autocorrelation_function, TimeAverage (stationary series)
diagonal     binder_cumulant (from recorded diagonal observables)
switching    switching_rate, switch_events, branches, SwitchingRate (bistable series)

Every estimator returns (value, stderr): exact results give the exact value with zero error; an
ensemble of one trajectory raises InsufficientDataError carrying `.estimate`.
"""
from ..base.errors import InsufficientDataError
from .autocorrelation import TimeAverage, autocorrelation_function, integrated_time, time_average
from .diagonal import binder_cumulant
from .bootstrap import bootstrap, resampled_ensembles
from .clustering import clustering, clustering_components, mean_field_bloch
from .extrapolation import LimitEstimate, RichardsonLimit, extrapolate_limit, increment_ratios, richardson
from .fits import (InverseNFit, PowerLawFit, SignedPowerLawFit, fit_inverse_n, fit_power_law, fit_signed_power_law,
                   weighted_mean)
from .switching import SwitchingRate, branches, switch_events, switching_rate
from .moments import (connected_correlations, covariance, linear_functional, paired_difference, pattern_overlaps,
                      trajectory_values, variance)

__all__ = [
    "InsufficientDataError", "LimitEstimate", "PowerLawFit", "RichardsonLimit", "extrapolate_limit", "increment_ratios", "richardson", "SignedPowerLawFit", "bootstrap", "clustering", "clustering_components",
    "connected_correlations", "covariance", "fit_inverse_n", "InverseNFit", "fit_power_law", "fit_signed_power_law", "linear_functional", "mean_field_bloch",
    "paired_difference", "pattern_overlaps", "resampled_ensembles", "trajectory_values", "variance", "weighted_mean",
    "SwitchingRate", "TimeAverage", "binder_cumulant", "autocorrelation_function", "branches", "integrated_time", "switch_events",
    "switching_rate", "time_average",
]
