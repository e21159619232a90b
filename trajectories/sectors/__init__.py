"""Total-spin sectors: the sector formulas, dense operators on sector tuples, initial states."""
