"""Model descriptions: spin-1/2 models with collective operator-valued rates."""
from .spin import AXES, BlockModel, Channel, SpinModel

__all__ = ["AXES", "BlockModel", "Channel", "SpinModel"]
