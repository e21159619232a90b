"""The trajectory engine: model compilation, Numba step kernels, the driver, seeds, batches, run_ensemble, parallel maps."""
