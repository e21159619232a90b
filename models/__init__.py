"""Model descriptions: spin-1/2 models with collective operator-valued rates."""
from .catalog import decay_model, ising_model, kinetic_model, superradiance_model, transverse_rate_model
from .hopfield import HopfieldNetwork, hopfield_model, hopfield_rates, random_patterns, tagged_hopfield_model
from .qudit import QuditChannel, QuditModel, gell_mann
from .spin import AXES, BlockModel, Channel, SpinModel

__all__ = ["AXES", "BlockModel", "Channel", "HopfieldNetwork", "QuditChannel", "QuditModel", "SpinModel",
           "decay_model", "gell_mann", "hopfield_model", "hopfield_rates", "ising_model", "kinetic_model",
           "random_patterns", "superradiance_model", "tagged_hopfield_model", "transverse_rate_model"]
