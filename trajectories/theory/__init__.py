"""Theory at large N: mean field, the effective local generator, mean-field fixed points and stability."""
