"""Exact quantum-jump trajectories of spin systems with collective operator-valued rates."""
from .engine.ensemble import Ensemble, run_ensemble
from .analysis.estimators import clustering, covariance, fit_power_law, variance
from .reference.exact import ExactResult, exact_evolution
from .theory.local import local_expectations, local_generator
from .theory.meanfield import MeanFieldResult, mean_field
from .base.options import Options
from .io.files import ResultsFileError, load_ensemble, merge_ensembles, save_ensemble
from .sectors.states import (cat_state, classical_state, coherent_state, dicke_state, product_state)

__all__ = ["Ensemble", "ExactResult", "MeanFieldResult", "Options", "ResultsFileError", "cat_state",
           "classical_state", "clustering", "coherent_state", "covariance", "dicke_state",
           "exact_evolution", "fit_power_law", "load_ensemble", "local_expectations", "local_generator",
           "mean_field", "merge_ensembles", "product_state", "run_ensemble", "save_ensemble", "variance"]
__version__ = "0.1.0"
