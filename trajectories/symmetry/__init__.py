"""Representations of the symmetry group a block of particles carries (irreps, bases, generators, Kraus tables)."""
