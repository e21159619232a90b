"""The engine against qutip.piqs, an independent Lindblad solver in the Dicke basis.

piqs (qutip.piqs.Dicke) builds the Liouvillian of N spin-1/2 with local and collective
dissipation on the basis |j, m><j, m'| of all total spins j, and qutip.mesolve integrates it.
Checked here, for a transverse field H = 2 h_x J_x (the engine's h = (h_x, 0, 0), since
S_x = 2 J_x) plus each piqs channel alone and all six together, at N = 6, 13, 20, from the
all-up Dicke state and from a coherent state off the z axis (so x and y move):

* exact_evolution (the sector solver) against qutip.mesolve, for omega_t(m_a) and the symmetrised
  omega_t((m_a m_b + m_b m_a) / 2) (piqs: 4 / N^2 <(J_a J_b + J_b J_a) / 2>), tight ODE
  tolerances on both sides; every channel must change the moments by > 0.05 against the field
  alone (so its rate mapping is really tested);
* run_ensemble (the trajectories) against piqs within 4 standard errors (+ 1e-10, for t = 0),
  the six channels together at N = 10.

piqs computes its Lindbladian in single precision: every coefficient of qutip/piqs/_piqs.pyx
(the rates, j, m, N, the square roots, the products) is a Cython `cdef float`, i.e. a C float32,
so each matrix element carries a relative rounding error of ~6e-8 and the moments of piqs's own
Liouvillian are off by up to ~2e-7 at t = 2, N = 20, whatever the ODE tolerances (the engine agrees
with its 2^N solver and with expm of the float64 Liouvillian to 1e-11). Hence two comparisons:

* against piqs itself (piqs.Dicke(...).liouvillian()), to PIQS_FLOAT32_TOL = 1e-6 (float32
  rounding: 2^-24 relative per element times ||L|| t ~ 10; a convention error shows up at 1e-2);
* against piqs's formulas evaluated in float64 (lindbladian64 below: _piqs.pyx gamma1..gamma9,
  transcribed, on piqs's own index maps jmm1_dictionary; H as piqs.Dicke.liouvillian adds it),
  to EXACT_TOL = 1e-8. test_lindbladian64_is_piqs checks that it equals piqs's Lindbladian
  element by element to float32 rounding, with the same sparsity pattern.

Rate mapping (piqs keyword -> engine Channel; models/spin.py, Channel): piqs uses J_a = S_a / 2
and J_+- = S_+-, a collective Channel has jump operator S_o Gamma / sqrt(N), Gamma^2 = rate:

    emission              gamma_E  D[sigma_-^(k)]   Channel("minus", rate=gamma_E)
    dephasing             gamma_D  D[sigma_z^(k)/2] Channel("z", rate=gamma_D / 4)
    pumping               gamma_P  D[sigma_+^(k)]   Channel("plus", rate=gamma_P)
    collective_emission   gamma_CE D[J_-]           Channel("minus", rate=N gamma_CE, collective=True)
    collective_dephasing  gamma_CD D[J_z]           Channel("z", rate=N gamma_CD / 4, collective=True)
    collective_pumping    gamma_CP D[J_+]           Channel("plus", rate=N gamma_CP, collective=True)

States: piqs.dicke(N, N/2, N/2) = dicke_state(); piqs.css(N, theta, -phi, coordinates="polar")
= coherent_state(theta, phi) (piqs puts the phase e^{i y} on |up>, the engine e^{i phi} on |down>).
"""
import numpy as np
import pytest
from scipy.sparse import csr_array

qutip = pytest.importorskip("qutip", reason="qutip (the test extra) is not installed: the qutip.piqs "
                                            "cross-validation is skipped")
from qutip import piqs  # noqa: E402

from models import Channel, SpinModel  # noqa: E402
from trajectories import coherent_state, dicke_state, exact_evolution, run_ensemble  # noqa: E402

PIQS_RATES = ("emission", "dephasing", "pumping",
              "collective_emission", "collective_dephasing", "collective_pumping")
#: the rates of the single-channel tests (each moves the moments by > 0.05 against H alone by t = 2)
RATES = dict(emission=0.4, dephasing=0.6, pumping=0.3,
             collective_emission=0.5, collective_dephasing=0.8, collective_pumping=0.3)
#: all six together (smaller, so that the state is not driven to the centre too fast)
ALL_SIX = dict(emission=0.3, dephasing=0.2, pumping=0.1,
               collective_emission=0.25, collective_dephasing=0.3, collective_pumping=0.08)
HX = 0.6
TIMES = np.linspace(0.0, 2.0, 9)
THETA, PHI = 0.9, 0.7
ENGINE_ODE = dict(rtol=1e-12, atol=1e-13)
PIQS_ODE = {"atol": 1e-12, "rtol": 1e-11, "nsteps": 100000}
EXACT_TOL = 1e-8
PIQS_FLOAT32_TOL = 1e-6
#: |L_piqs - L_float64| <= LINDBLAD_TOL max|L|: a few float32 roundings (2^-24 = 6e-8) per element
LINDBLAD_TOL = 4e-7
NSIGMA = 4.0


def engine_model(N, hx, rates):
    """The engine's SpinModel for piqs.Dicke(N, **rates) with H = 2 hx J_x (mapping above)."""
    g = {k: 0.0 for k in PIQS_RATES} | rates
    chans = {"emission": lambda r: Channel("minus", rate=r),
             "dephasing": lambda r: Channel("z", rate=r / 4),
             "pumping": lambda r: Channel("plus", rate=r),
             "collective_emission": lambda r: Channel("minus", rate=N * r, collective=True),
             "collective_dephasing": lambda r: Channel("z", rate=N * r / 4, collective=True),
             "collective_pumping": lambda r: Channel("plus", rate=N * r, collective=True)}
    return SpinModel(N, h=(hx, 0, 0), channels=[chans[k](g[k]) for k in PIQS_RATES if g[k] > 0])


def states(N):
    """(engine state, piqs density matrix) pairs: all up, and a coherent state off the z axis."""
    return {"all_up": (dicke_state(), piqs.dicke(N, N / 2, N / 2)),
            "coherent": (coherent_state(THETA, PHI), piqs.css(N, THETA, -PHI, coordinates="polar"))}


# --- piqs's Lindbladian in float64 ------------------------------------------------------------

#: (dj, dm) of the neighbours (j + dj, m + dm, m' + dm) that gamma1 .. gamma9 of _piqs.pyx couple
NEIGHBOURS = ((0, 0), (0, 1), (1, 1), (-1, 1), (1, 0), (-1, 0), (1, -1), (0, -1), (-1, -1))


def piqs_gamma(k, j, m, m1, N, g):
    """_Dicke.gamma<k> of qutip/piqs/_piqs.pyx in float64, vectorised over (j, m, m1) (the
    neighbour's labels, as piqs calls it)."""
    yE, yD, yP = g["emission"], g["dephasing"], g["pumping"]
    yCE, yCD, yCP = g["collective_emission"], g["collective_dephasing"], g["collective_pumping"]
    pos = j > 0
    jj = np.where(pos, j, 1.0)  # piqs skips j = 0 in the terms that divide by j
    if k == 1:
        dephase = np.where(pos, yD / 2 * (N / 2 - m * m1 * (N / 2 + 1) / jj / (jj + 1)), yD * N / 4)
        return -(yCE / 2 * (2 * j * (j + 1) - m * (m - 1) - m1 * (m1 - 1)) + yE / 2 * (N + m + m1)
                 + yP / 2 * (N - m - m1) + dephase
                 + yCP / 2 * (2 * j * (j + 1) - m * (m + 1) - m1 * (m1 + 1)) + yCD / 2 * (m - m1) ** 2)
    if k == 2:
        s = np.sqrt((j + m) * (j - m + 1) * (j + m1) * (j - m1 + 1))
        return yCE * s + np.where(pos, yE / 2 * s * (N / 2 + 1) / (jj * (jj + 1)), 0.0)
    if k == 3:
        return np.where(pos, yE / 2 * np.sqrt((j + m) * (j + m - 1) * (j + m1) * (j + m1 - 1))
                        * (N / 2 + j + 1) / (jj * (2 * jj + 1)), 0.0)
    if k == 4:
        return (yE / 2 * np.sqrt((j - m + 1) * (j - m + 2) * (j - m1 + 1) * (j - m1 + 2))
                * (N / 2 - j) / ((j + 1) * (2 * j + 1)))
    if k == 5:
        return np.where(pos, yD / 2 * np.sqrt((j ** 2 - m ** 2) * (j ** 2 - m1 ** 2))
                        * (N / 2 + j + 1) / (jj * (2 * jj + 1)), 0.0)
    if k == 6:
        return (yD / 2 * np.sqrt(((j + 1) ** 2 - m ** 2) * ((j + 1) ** 2 - m1 ** 2))
                * (N / 2 - j) / ((j + 1) * (2 * j + 1)))
    if k == 7:
        return np.where(pos, yP / 2 * np.sqrt((j - m - 1) * (j - m) * (j - m1 - 1) * (j - m1))
                        * (N / 2 + j + 1) / (jj * (2 * jj + 1)), 0.0)
    if k == 8:
        s = np.sqrt((j + m + 1) * (j - m) * (j + m1 + 1) * (j - m1))
        return np.where(pos, yP / 2 * s * (N / 2 + 1) / (jj * (jj + 1)), 0.0) + yCP * s
    return (yP / 2 * np.sqrt((j + m + 1) * (j + m + 2) * (j + m1 + 1) * (j + m1 + 2))
            * (N / 2 - j) / ((j + 1) * (2 * j + 1)))


def lindbladian64(N, rates):
    """piqs.Dicke(N, **rates).lindbladian() with every coefficient in float64 (_Dicke.lindbladian:
    row r = (j, m, m1) of piqs's jmm1_dictionary couples to its neighbours that exist)."""
    g = {k: 0.0 for k in PIQS_RATES} | rates
    nds = piqs.num_dicke_states(N)
    _, _, label_of, index_of = piqs.jmm1_dictionary(N)
    rows, cols, data = [], [], []
    for k, (dj, dm) in enumerate(NEIGHBOURS, start=1):
        found = [(r, index_of[key], key) for r, (j, m, m1) in label_of.items()
                 if (key := (j + dj, m + dm, m1 + dm)) in index_of]
        if not found:
            continue
        r, c, labels = zip(*found)
        j, m, m1 = np.array(labels, dtype=float).T
        rows += r
        cols += c
        data.append(piqs_gamma(k, j, m, m1, float(N), g))
    matrix = csr_array((np.concatenate(data), (rows, cols)), shape=(nds ** 2, nds ** 2), dtype=complex)
    return qutip.Qobj(matrix, dims=[[[nds], [nds]], [[nds], [nds]]])


def liouvillian(N, hx, rates, precision):
    """piqs's Liouvillian for H = 2 hx J_x: piqs's own ("piqs", float32 Lindbladian) or its
    formulas in float64 ("float64"), the Hamiltonian part added as piqs.Dicke.liouvillian does."""
    H = 2 * hx * piqs.jspin(N)[0]
    if precision == "piqs":
        return piqs.Dicke(N, hamiltonian=H, **rates).liouvillian()
    return lindbladian64(N, rates) - 1j * qutip.spre(H) + 1j * qutip.spost(H)


def piqs_moments(N, L, rho0, times):
    """(mean (3, T), second (3, 3, T)) of m = 2 J / N from qutip.mesolve with the Liouvillian L."""
    j = piqs.jspin(N)
    pairs = [(a, b) for a in range(3) for b in range(a, 3)]
    e_ops = list(j) + [(j[a] * j[b] + j[b] * j[a]) / 2 for a, b in pairs]
    res = qutip.mesolve(L, rho0, times, e_ops=e_ops, options=PIQS_ODE)
    ev = np.real(np.array(res.expect))
    mean = ev[:3] * 2 / N
    second = np.empty((3, 3, len(times)))
    for (a, b), row in zip(pairs, ev[3:]):
        second[a, b] = second[b, a] = row * 4 / N ** 2
    return mean, second


def assert_close(ex, mean, second, tol, what):
    for name, got, want in (("mean", ex.mean, mean), ("second", ex.second, second)):
        err = np.abs(got - want)
        worst = np.unravel_index(np.argmax(err), err.shape)
        assert err.max() < tol, (f"{what} {name}{list(worst)}: engine {got[worst]:.12f}, piqs {want[worst]:.12f} "
                                 f"(difference {err.max():.2e}, tolerance {tol:.0e})")


def assert_moves(ex, unitary, what):
    """The moments change in time, and the channels change them against the field alone."""
    change = max(np.abs(ex.mean - ex.mean[..., :1]).max(), np.abs(ex.second - ex.second[..., :1]).max())
    assert change > 0.05, f"{what}: the moments change by only {change:.3f}"
    effect = max(np.abs(ex.mean - unitary.mean).max(), np.abs(ex.second - unitary.second).max())
    assert effect > 0.05, f"{what}: the channels change the moments by only {effect:.3f}"


def check_exact(N, rates, start):
    what = f"N={N} {start} {'+'.join(rates)}:"
    state, rho0 = states(N)[start]
    ex = exact_evolution(engine_model(N, HX, rates), state, TIMES, options=ENGINE_ODE)
    assert_close(ex, *piqs_moments(N, liouvillian(N, HX, rates, "float64"), rho0, TIMES), EXACT_TOL,
                 f"{what} piqs formulas in float64")
    assert_close(ex, *piqs_moments(N, liouvillian(N, HX, rates, "piqs"), rho0, TIMES), PIQS_FLOAT32_TOL,
                 f"{what} piqs (float32 Lindbladian)")
    unitary = exact_evolution(SpinModel(N, h=(HX, 0, 0)), state, TIMES, options=ENGINE_ODE)
    assert_moves(ex, unitary, what)


@pytest.mark.parametrize("start", ["all_up", "coherent"])
@pytest.mark.parametrize("N", [6, 13, 20])
@pytest.mark.parametrize("channel", PIQS_RATES)
def test_single_channel_exact_vs_piqs(channel, N, start):
    check_exact(N, {channel: RATES[channel]}, start)


@pytest.mark.parametrize("start", ["all_up", "coherent"])
@pytest.mark.parametrize("N", [6, 13, 20])
def test_all_six_exact_vs_piqs(N, start):
    check_exact(N, ALL_SIX, start)


@pytest.mark.parametrize("N", [1, 2, 6, 13, 20])
@pytest.mark.parametrize("rates", [{c: RATES[c]} for c in PIQS_RATES] + [ALL_SIX],
                         ids=list(PIQS_RATES) + ["all_six"])
def test_lindbladian64_is_piqs(rates, N):
    """The float64 transcription is piqs's Lindbladian up to float32 rounding: same nonzero
    pattern, every element within LINDBLAD_TOL max|L|."""
    ours = lindbladian64(N, rates).data.as_scipy().tocsr()
    theirs = piqs.Dicke(N, **rates).lindbladian().data.as_scipy().tocsr()
    ours.eliminate_zeros()
    theirs.eliminate_zeros()
    assert ours.shape == theirs.shape
    assert ((ours != 0) != (theirs != 0)).nnz == 0, "the nonzero patterns differ"
    scale = abs(ours).max()
    assert scale > 0
    assert abs(ours - theirs).max() <= LINDBLAD_TOL * scale


def test_mapping_of_states():
    """The two initial states have the same Bloch vector and second moments in both codes."""
    N = 7
    for name, (state, rho0) in states(N).items():
        ex = exact_evolution(SpinModel(N), state, [0.0])
        mean, second = piqs_moments(N, liouvillian(N, 0.0, {}, "piqs"), rho0, [0.0])
        assert_close(ex, mean, second, 1e-12, name)
    r = np.array([np.sin(THETA) * np.cos(PHI), np.sin(THETA) * np.sin(PHI), np.cos(THETA)])
    assert np.allclose(mean[:, 0], r, atol=1e-12)


def test_all_six_trajectories_vs_piqs():
    """Trajectories against piqs itself (its float32 error is far below the statistical one)."""
    N = 10
    state, rho0 = states(N)["coherent"]
    ens = run_ensemble(engine_model(N, HX, ALL_SIX), state, TIMES, ntraj=2000, seed=3)
    mean, second = piqs_moments(N, liouvillian(N, HX, ALL_SIX, "piqs"), rho0, TIMES)
    for name, est, err, exact in (("mean", ens.mean, ens.stderr, mean),
                                  ("second", ens.second, ens.second_stderr, second)):
        z = np.abs(est - exact) / (err + 1e-10 / NSIGMA)
        worst = np.unravel_index(np.argmax(z), z.shape)
        assert z.max() < NSIGMA, (f"{name}{list(worst)}: trajectories {est[worst]:.5f} +- {err[worst]:.5f}, "
                                  f"piqs {exact[worst]:.5f} ({z.max():.1f} standard errors)")
    assert ens.njumps > 0
