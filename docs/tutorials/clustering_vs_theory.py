"""E_N(t) from trajectories against the Gaussian fluctuation theory.

The quantum Hopfield model in its paramagnetic phase (beta = 1, Omega = 0.5) from a coherent
state. Theorem 1 bounds E_N(t) by C(t)/N; the linear-noise expansion predicts the constant,
lim N E_N(t) = fl.clustering (docs/theory.md §10). At N = 100, N E_N from 600 trajectories is
compared with it; the exact N = 20 value shows the size of the 1/N correction.
"""
import numpy as np

from models import hopfield_model
from trajectories import clustering, coherent_state, exact_evolution, fluctuations, mean_field, run_ensemble

beta, omega = 1.0, 0.5
state, times = coherent_state(theta=0.4), np.linspace(0, 4, 5)

N = 100
model = hopfield_model(N, beta, omega)
ens = run_ensemble(model, state, times, ntraj=600, seed=2)
mf = mean_field(model, state, times)           # the same for every N
fl = fluctuations(model, state, times)         # fl.clustering = lim N E_N(t)
EN, EN_err = clustering(ens, mf)

small = hopfield_model(20, beta, omega)
EN_20, _ = clustering(exact_evolution(small, state, times), mean_field(small, state, times))

print("  t   N E_N (N = 100, trajectories)   N E_N (N = 20, exact)   lim N E_N (theory)")
for k, t in enumerate(times):
    print(f"{t:4.1f}   {N * EN[k]:7.3f} +- {N * EN_err[k]:.3f}"
          f"              {20 * EN_20[k]:7.3f}                 {fl.clustering[k]:7.3f}")
