"""Exact quantum-jump trajectories of spin systems with collective operator-valued rates."""
from .ensemble import Ensemble, run_ensemble
from .exact import ExactResult, exact_evolution
from .options import Options
from .results import ResultsFileError, load_ensemble, merge_ensembles, save_ensemble
from .states import (cat_state, classical_state, coherent_state, dicke_state, product_state)

__all__ = ["Ensemble", "ExactResult", "exact_evolution", "Options", "cat_state", "classical_state", "coherent_state", "dicke_state",
           "product_state", "run_ensemble", "ResultsFileError", "load_ensemble", "merge_ensembles",
           "save_ensemble"]
__version__ = "0.1.0"
