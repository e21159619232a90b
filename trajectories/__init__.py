"""Exact quantum-jump trajectories of spin systems with collective operator-valued rates."""
from .ensemble import Ensemble, run_ensemble
from .exact import ExactResult, exact_evolution
from .options import Options
from .states import (cat_state, classical_state, coherent_state, dicke_state, product_state)

__all__ = ["Ensemble", "ExactResult", "exact_evolution", "Options", "cat_state", "classical_state", "coherent_state", "dicke_state",
           "product_state", "run_ensemble"]
__version__ = "0.1.0"
