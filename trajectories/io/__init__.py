"""Results files, run provenance and checkpoints."""
