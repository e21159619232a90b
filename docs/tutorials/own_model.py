"""Your own model: driven spins whose decay rate depends on the excitation density.

H = (omega/2) sum_k sigma_x^(k); each site decays by sigma_- at the rate gamma (1 + 2 n),
n = (1 + m_z)/2 the density of excited spins. Trajectories at N = 20 are compared with the
exact sector-reduced master equation and with mean field.
"""
import numpy as np

from models import Channel, SpinModel
from trajectories import clustering, coherent_state, exact_evolution, mean_field, run_ensemble

N, omega, gamma = 20, 1.0, 0.5
model = SpinModel(N=N, h=(omega / 2, 0, 0),               # H = sum_a h_a S_a
                  channels=[Channel("minus",                 # sigma_- on every site
                                    rate=lambda x: gamma * (1 + 2 * x),   # Gamma(Delta)^2
                                    delta=(0, 0, 0.5), offset=0.5)])     # Delta = 1/2 + m_z/2
state = coherent_state(theta=0.0)                            # all spins up
times = np.linspace(0, 4, 9)

ens = run_ensemble(model, state, times, ntraj=400, seed=1)
ref = exact_evolution(model, state, times)
mf = mean_field(model, state, times)

print("  t   <m_z> trajectories     exact    mean field")
for k, t in enumerate(times):
    print(f"{t:4.1f}  {ens.mean[2, k]:+.4f} +- {ens.stderr[2, k]:.4f}  {ref.mean[2, k]:+.4f}   {mf.mean[2, k]:+.4f}")
z = np.abs(ens.mean - ref.mean) / np.maximum(ens.stderr, 1e-300)
print(f"largest deviation from the exact means: {z[:, 1:].max():.2f} standard errors")
EN, EN_err = clustering(ref, mf)
print(f"exact E_N(t = 4) = {EN[-1]:.4f} (N E_N = {N * EN[-1]:.3f})")
