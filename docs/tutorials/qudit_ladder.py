"""N three-level particles: a ladder g - e - r whose decay r -> g depends on the Rydberg density.

H = sum_k (|g><e| + |e><r| + h.c.)^(k) + (1.5/N) N_r^2,   N_r = sum_k |r><r|^(k),
J_k = |g><r|^(k) Gamma(Delta),   Gamma(x)^2 = 0.5 (1 + 2x),   Delta = N_r / N.
Operators are given in the generalised Gell-Mann basis of gell_mann(3); trajectories run in the
irreps of U(3) (docs/theory.md §16-§18) and are compared with the exact irrep-reduced evolution,
mean field, and the linear-noise limit of N E_N.
"""
import numpy as np

from models import QuditChannel, QuditModel, gell_mann
from trajectories import clustering, exact_evolution, fluctuations, mean_field, run_ensemble

v = gell_mann(3)
comp = lambda A: np.einsum("aij,ji->a", v, A).real      # components of a Hermitian 3 x 3 matrix
drive, n_r, decay = np.zeros((3, 3)), np.diag([0, 0, 1.0]), np.zeros((3, 3))
drive[0, 1] = drive[1, 0] = drive[1, 2] = drive[2, 1] = 1.0
decay[0, 2] = 1                                         # |g><r|

N = 8
model = QuditModel(N=N, d=3, eps=comp(drive), h=1.5 * np.outer(comp(n_r), comp(n_r)),
                   channels=[QuditChannel(decay, rate=lambda x: 0.5 * (1 + 2 * x), r=comp(n_r))])
rho1 = np.diag([1.0, 0, 0])                             # every particle in g
times = np.linspace(0, 3, 7)

ens = run_ensemble(model, rho1, times, ntraj=300, seed=1)   # mean (9, T): Gell-Mann components
ref = exact_evolution(model, rho1, times)
mf = mean_field(model, rho1, times)
fl = fluctuations(model, rho1, times)

z = np.abs(ens.mean - ref.mean) / np.maximum(ens.stderr, 1e-300)
print(f"trajectories against the exact evolution: at most {z[:, 1:].max():.2f} standard errors")
EN, EN_err = clustering(ens, mf)
EN_exact, _ = clustering(ref, mf)
print("  t   N E_N trajectories   exact (N = 8)   lim N E_N (linear noise)")
for k, t in enumerate(times):
    print(f"{t:4.1f}   {N * EN[k]:6.3f} +- {N * EN_err[k]:.3f}    {N * EN_exact[k]:6.3f}          {fl.clustering[k]:6.3f}")
