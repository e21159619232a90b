"""Test configuration: one BLAS thread (the exact solvers do many small products, for which
threaded BLAS on 2 cores is several times slower)."""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
