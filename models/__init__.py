"""Model descriptions: spin-1/2 models with collective operator-valued rates."""
from .hopfield import HopfieldNetwork, hopfield_rates, random_patterns
from .qudit import QuditChannel, QuditModel, gell_mann
from .spin import AXES, BlockModel, Channel, SpinModel

__all__ = ["AXES", "BlockModel", "Channel", "HopfieldNetwork", "QuditChannel", "QuditModel", "SpinModel",
           "gell_mann", "hopfield_rates", "random_patterns"]
