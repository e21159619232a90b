"""Wall time against N, side by side in one process: qutip.piqs (the Dicke-basis Liouvillian and
qutip.mesolve) and the engine's trajectories, on the same model: local emission gamma_E = 1
(Channel("minus", rate=1)) plus H = Omega J_x, Omega = 1 (engine h_x = Omega / 2, since
S_x = 2 J_x), all spins up (piqs.dicke(N, N/2, N/2) / dicke_state()), t = 0..5 (11 times).

    python benchmarks/bench_vs_piqs.py [N ...]        (default N = 20 40 60 80 100)

piqs: the time includes building the Liouvillian (piqs.Dicke(...).liouvillian()) and mesolve
(atol 1e-12, rtol 1e-10). Trajectories, on one core (n_jobs = 1): a pilot run of PILOT_NTRAJ
trajectories estimates ntraj = pilot_ntraj (pilot_stderr / TARGET_STDERR)^2 for a standard error
of m_z(t = 5) <= TARGET_STDERR; only the main run of that many is timed (after a warm-up call
that compiles or loads the kernels). The two must agree: |m_z(traj) - m_z(piqs)| < 4 stderr at
every time (the difference at t = 5 and the largest over the times are printed in standard
errors; the achieved stderr is printed). BLAS runs on one thread for both. Needs qutip
(the test extra).

Prints N, piqs seconds, trajectories seconds, ntraj and the ratio piqs / trajectories.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import qutip  # noqa: E402
from qutip import piqs  # noqa: E402

from models import Channel, SpinModel  # noqa: E402
from trajectories import dicke_state, run_ensemble  # noqa: E402

GAMMA_E, OMEGA, T_END = 1.0, 1.0, 5.0
TIMES = np.linspace(0.0, T_END, 11)
PIQS_OPTIONS = {"atol": 1e-12, "rtol": 1e-10, "nsteps": 10 ** 6}
PILOT_NTRAJ, TARGET_STDERR, NSIGMA = 200, 1e-3, 4.0


def piqs_mz(N):
    """(seconds, m_z (T,), Liouvillian dimension) from piqs: Liouvillian + mesolve."""
    start = time.perf_counter()
    jx, jy, jz = piqs.jspin(N)
    system = piqs.Dicke(N, hamiltonian=OMEGA * jx, emission=GAMMA_E)
    L = system.liouvillian()
    res = qutip.mesolve(L, piqs.dicke(N, N / 2, N / 2), TIMES, e_ops=[jz], options=PIQS_OPTIONS)
    elapsed = time.perf_counter() - start
    return elapsed, np.real(np.array(res.expect[0])) * 2 / N, L.shape[0]


def trajectory_mz(N):
    """(seconds of the main run, ntraj, m_z (T,), stderr (T,), jumps per trajectory)."""
    model = SpinModel(N, h=(OMEGA / 2, 0, 0), channels=[Channel("minus", rate=GAMMA_E)])
    run_ensemble(model, dicke_state(), [0, 0.01], ntraj=1, seed=0)  # compile / load cache
    pilot = run_ensemble(model, dicke_state(), TIMES, ntraj=PILOT_NTRAJ, seed=1)
    ntraj = max(PILOT_NTRAJ, int(np.ceil(PILOT_NTRAJ * (pilot.stderr[2, -1] / TARGET_STDERR) ** 2)))
    start = time.perf_counter()
    ens = run_ensemble(model, dicke_state(), TIMES, ntraj=ntraj, seed=2)
    elapsed = time.perf_counter() - start
    return elapsed, ntraj, ens.mean[2], ens.stderr[2], ens.njumps / ntraj


def main(sizes):
    print(f"local emission gamma_E={GAMMA_E}, H = {OMEGA} J_x, all up, t = 0..{T_END} ({len(TIMES)} times), "
          f"one core; trajectories to stderr(m_z(t={T_END})) <= {TARGET_STDERR}")
    print(f"{'N':>5} {'piqs dim':>9} {'piqs s':>9} {'traj s':>9} {'ntraj':>7} {'jumps':>6} {'piqs/traj':>10} "
          f"{'m_z(5) piqs':>12} {'se(5)':>8} {'diff/se(5)':>11} {'max diff/se':>12}")
    for N in sizes:
        tp, mz_piqs, dim = piqs_mz(N)
        tt, ntraj, mz, se, jumps = trajectory_mz(N)
        z = np.abs(mz - mz_piqs)[1:] / se[1:]  # t = 0 is exact in both
        flag = "" if z.max() < NSIGMA else "  DISAGREE"
        print(f"{N:>5} {dim:>9} {tp:>9.2f} {tt:>9.2f} {ntraj:>7} {jumps:>6.0f} {tp / tt:>10.2f} "
              f"{mz_piqs[-1]:>12.5f} {se[-1]:>8.1e} {(mz[-1] - mz_piqs[-1]) / se[-1]:>+11.2f} {z.max():>12.2f}{flag}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20, 40, 60, 80, 100])
