"""One ensemble on one process, on two joblib workers, on a local dask cluster, and resumed from a
checkpoint: the same seed gives the same bits every time.

Process-based backends start workers that import the main module again; a script that starts
them must keep its work under `if __name__ == "__main__":` (without the guard, dask fails with a
multiprocessing bootstrapping error and "Nanny failed to start").
"""
import os
import tempfile

import numpy as np

from models import hopfield_model
from trajectories import ExecutionOptions, coherent_state, run_ensemble


def main():
    model, state = hopfield_model(50, beta=2.0, omega=0.5), coherent_state(theta=0.4)
    times, run = np.linspace(0, 3, 7), dict(ntraj=200, seed=11)

    serial = run_ensemble(model, state, times, **run)
    joblib = run_ensemble(model, state, times, **run, execution=ExecutionOptions(n_jobs=2))
    dask = run_ensemble(model, state, times, **run,
                        execution=ExecutionOptions(backend="dask", n_jobs=2))   # a LocalCluster
    print("joblib, 2 workers == serial:", np.array_equal(joblib.mean, serial.mean)
          and np.array_equal(joblib.second, serial.second))
    print("dask, 2 workers   == serial:", np.array_equal(dask.mean, serial.mean)
          and np.array_equal(dask.second, serial.second))

    with tempfile.TemporaryDirectory() as folder:
        checkpoint = os.path.join(folder, "run.ckpt.npz")
        part = run_ensemble(model, state, times, ntraj=80, seed=11, start=0)        # the first 80 ...
        rest = run_ensemble(model, state, times, ntraj=120, seed=11, start=80,      # ... and the others
                            keep_trajectories=True)
        print("first 80 merged with the next 120 == one run of 200:",
              np.array_equal(part.merge(rest).mean, serial.mean))
        every = ExecutionOptions(checkpoint=checkpoint, checkpoint_every=0)   # write after every batch
        checked = run_ensemble(model, state, times, **run, execution=every)
        again = run_ensemble(model, state, times, **run, execution=every)     # resumes from the file
        print("with a checkpoint, and resumed from it == serial:",
              np.array_equal(checked.mean, serial.mean) and np.array_equal(again.mean, serial.mean))
    print(f"omega_t(m_z) at t = 3: {serial.mean[2, -1]:+.4f} +- {serial.stderr[2, -1]:.4f}")


if __name__ == "__main__":
    main()
