"""The linear-noise covariance Sigma(t) = lim N Cov(m_a, m_c) (docs/theory.md §10) against exact references.

- independent sites (fields and constant rates only): Sigma = 1 - m m^T exactly;
- one block with operator-valued rates, Delta with an m_x part and a J_zz coupling: N E_N(t), N Cov and
  N C (two sites) from the exact sector solver at N = 16, 32, 64, extrapolated to N -> oo (Richardson);
  the extrapolation resolves the Gamma' noise terms (rates frozen at mean field are refused);
- a homogeneous model split into blocks: the blocks' Sigma^{bg} add up to the one-block Sigma;
- trajectories: N Cov(m_a^b, m_a^b) and N E_N within 4 standard errors (N = 400 here, 10^4 slow);
- on a limit cycle, the phase-diffusion constant against the growth of Sigma along the phase response;
- N d-level particles: for d = 2 the spin theory to 1e-9; for d = 3 N E_N of the exact irrep solver
  approaching the theory's limit like 1/N (N = 4, 8; N = 8, 12, 16 in the slow tier).
"""
import numpy as np
import pytest

from models import BlockModel, Channel, SpinModel, hopfield_model
from trajectories import (IntegrationError, clustering, coherent_state, connected_correlations, covariance, dicke_state,
                          exact_evolution, fluctuations, mean_field, product_state, richardson, run_ensemble)
from trajectories.theory.fluctuations import noise_matrix
from trajectories.theory.limit_cycle import limit_cycle


def glauber(beta):
    """Gamma_+- (x) = e^(+-beta x/2) / sqrt(2 cosh(beta x)) (Hopfield-type rates)."""
    return (lambda x: np.exp(beta * x / 2) / np.sqrt(2 * np.cosh(beta * x)),
            lambda x: np.exp(-beta * x / 2) / np.sqrt(2 * np.cosh(beta * x)))


def interacting(N, mx=0.6):
    """h_x = 0.5, (0.4/N) S_z^2, sigma_+- with Gamma_+-(mx m_x + m_z), beta = 2."""
    gp, gm = glauber(2.0)
    delta = (mx, 0.0, 1.0)
    return SpinModel(N, h=(0.5, 0, 0), J=np.diag([0, 0, 0.4]),
                     channels=[Channel("plus", gamma=gp, delta=delta), Channel("minus", gamma=gm, delta=delta)])


TIMES = np.linspace(0, 1.5, 4)
STATE = coherent_state(0.6, 0.3)


def test_independent_sites_are_exact():
    """Fields and constant rates keep the sites independent: N Cov(m_a, m_c) = delta_ac - m_a m_c."""
    const = lambda c: (lambda x: c + 0 * x)  # noqa: E731
    model = SpinModel(10, h=(0.3, 0, 0.2), channels=[Channel("minus", gamma=const(1.0)),
                                                     Channel("z", gamma=const(0.3)), Channel("plus", gamma=const(0.5))])
    fl = fluctuations(model, STATE, np.linspace(0, 3, 7))
    m = fl.mean_field.mean
    assert np.allclose(fl.sigma, np.eye(3)[:, :, None] - m[:, None] * m[None], rtol=0, atol=1e-10)
    assert np.allclose(fl.clustering, 0.5 * (3 - np.sum(m ** 2, axis=0)), rtol=0, atol=1e-10)
    assert np.allclose(fl.site_correlations(), 0, atol=1e-10)


@pytest.fixture(scope="module")
def exact_limit():
    """Richardson limits of N E_N, N Cov(m_a, m_c) and N C_ac from the exact solver at N = 16, 32, 64."""
    Ns = (16, 32, 64)
    ne, ncov, ncorr = [], [], []
    for N in Ns:
        model = interacting(N)
        ex = exact_evolution(model, STATE, TIMES)
        E, _ = clustering(ex, mean_field(model, STATE, TIMES))
        ne.append(N * E)
        ncov.append(N * covariance(ex)[0])
        ncorr.append(N * connected_correlations(ex)[0])
    return {name: richardson(Ns, v)[:2] for name, v in (("E", ne), ("cov", ncov), ("corr", ncorr))}


def test_clustering_constant_matches_exact_extrapolation(exact_limit):
    """lim N E_N(t) from the exact solver agrees with 1/2 tr Sigma to within the extrapolation error, and
    the Gamma' noise terms are resolved: with the rates frozen at mean field the theory is refused."""
    limit, err = exact_limit["E"]
    theory = fluctuations(interacting(10), STATE, TIMES)
    frozen = fluctuations(interacting(10), STATE, TIMES, rate_derivatives=False)
    assert np.all(np.abs(theory.clustering - limit) <= err + 1e-9), (theory.clustering, limit, err)
    assert np.max(np.abs(frozen.clustering - limit) / (err + 1e-9)) > 10
    assert np.max(np.abs(frozen.clustering - limit) / limit) > 3e-3        # a 0.5 % effect at t = 1.5


def test_covariance_and_site_correlations_match_exact_extrapolation(exact_limit):
    theory = fluctuations(interacting(10), STATE, TIMES)
    for name, value in (("cov", theory.sigma), ("corr", theory.site_correlations())):
        limit, err = exact_limit[name]
        # per time, the largest deviation over (a, c) against the largest error estimate (one entry's
        # estimate can vanish by accident where the 2- and 3-point extrapolations cross)
        deviation, bound = np.abs(value - limit).max(axis=(0, 1)), err.max(axis=(0, 1))
        assert np.all(deviation <= bound + 1e-9), (name, deviation, bound)


def with_collective(N):
    """A collective channel (o = 0.2 |up><up| + 0.1i sigma_+ + sigma_- - 0.3 |down><down|, rate of
    Delta = m_x/2 + m_z), local dephasing and a sigma_+ rate of Delta = 0.3 m_x + 0.5 m_z."""
    return SpinModel(N, h=(0.5, 0, 0), J=np.diag([0, 0, 0.4]),
                     channels=[Channel([[0.2, 0.1j], [1, -0.3]], rate=lambda x: 0.4 + 0.2 * np.tanh(x),
                                       delta=(0.5, 0, 1.0), collective=True),
                               Channel("z", rate=0.1),
                               Channel("plus", gamma=lambda x: 0.3 * np.exp(x / 2), delta=(0.3, 0, 0.5))])


def test_collective_channel_against_exact_extrapolation():
    """With a collective channel: the mean field (its Hamiltonian-like term) and N E_N, N Cov (its
    noise, Gamma' terms included) against the exact N -> oo limit from N = 16, 32, 64; the frozen-rate
    noise is refused."""
    Ns, times, state = (16, 32, 64), np.linspace(0, 1.0, 3), coherent_state(0.9, 0.3)
    exact = [exact_evolution(with_collective(N), state, times) for N in Ns]
    mf = [mean_field(with_collective(N), state, times) for N in Ns]
    limit, err = richardson(Ns, [e.mean for e in exact])[:2]
    assert np.all(np.abs(limit - mf[0].mean) <= err + 1e-9)
    ne = [N * clustering(e, m)[0] for N, e, m in zip(Ns, exact, mf)]
    ncov = [N * covariance(e)[0] for N, e in zip(Ns, exact)]
    theory = fluctuations(with_collective(10), state, times)
    frozen = fluctuations(with_collective(10), state, times, rate_derivatives=False)
    limit, err = richardson(Ns, ne)[:2]
    assert np.all(np.abs(theory.clustering - limit) <= err + 1e-9), (theory.clustering, limit, err)
    assert np.abs(frozen.clustering - limit)[1] > 10 * err[1]
    limit, err = richardson(Ns, ncov)[:2]
    deviation, bound = np.abs(theory.sigma - limit).max(axis=(0, 1)), err.max(axis=(0, 1))
    assert np.all(deviation <= bound + 1e-9), (deviation, bound)
    assert np.abs(frozen.sigma - limit).max(axis=(0, 1))[1] > 3 * bound[1]


def test_blocks_of_a_homogeneous_model_add_up_to_one_block():
    """Split one block into three: Sigma_single = sum_{b,g} w_b w_g Sigma^{bg} (m = sum_b w_b m^b)."""
    gp, gm = glauber(2.0)
    sizes = (5, 3, 2)
    w = np.array(sizes) / sum(sizes)
    B = len(sizes)
    one = interacting(sum(sizes), mx=0.6)
    J = np.zeros((B, B, 3, 3)) + one.J[0, 0]
    delta = np.outer(w, (0.6, 0.0, 1.0))
    chans = [Channel(op, gamma=g, delta=delta, block=b) for b in range(B) for op, g in (("plus", gp), ("minus", gm))]
    split = BlockModel(sizes, h=np.tile(one.h, (B, 1)), J=J, channels=chans)
    r = coherent_state(0.6, 0.3).bloch((1,))
    single = fluctuations(one, r, TIMES)
    blocks = fluctuations(split, np.tile(r, (B, 1)), TIMES)
    total = np.einsum("b,g,bagct->act", w, w, blocks.sigma)
    assert np.allclose(total, single.sigma, rtol=1e-8, atol=1e-9)
    assert np.allclose(blocks.mean_field.mean, single.mean_field.mean[None], atol=1e-9)


def test_noise_matrix_is_symmetric_positive():
    gp, gm = glauber(2.0)
    d = np.array([[0.3, -0.2, 0.5], [0.1, 0.4, 0.5]])
    model = BlockModel((30, 20), h=[(0.5, 0, 0), (0, 0.2, 0.1)],
                       channels=[Channel("plus", gamma=gp, delta=d, block=0), Channel("minus", gamma=gm, delta=d, block=1),
                                 Channel("z", gamma=lambda x: 0.5 + 0.2 * x, delta=d, block=0)])
    D = noise_matrix(model, [(0.3, 0.2, 0.5), (-0.4, 0.1, 0.6)])
    assert np.allclose(D, D.T)
    assert np.linalg.eigvalsh(D).min() > -1e-12


def _check_against_trajectories(model, state, times, ntraj, seed):
    fl = fluctuations(model, state, times)
    ens = run_ensemble(model, state, times, ntraj=ntraj, seed=seed, execution={"n_jobs": 2})
    N = model.N
    E, dE = clustering(ens, fl.mean_field)
    assert np.all(np.abs(N * E - fl.clustering) <= 4 * N * dE + 1e-9)
    cov, dcov = covariance(ens)
    sigma = fl.sigma if model.B == 1 else np.stack([fl.sigma[b, :, b] for b in range(model.B)])
    z = np.abs(N * cov - sigma)[..., 1:] / (N * dcov[..., 1:])
    assert np.all(z < 4), np.max(z)


def test_single_block_against_trajectories():
    gp, gm = glauber(2.0)
    model = SpinModel(400, h=(0.5, 0, 0), J=np.diag([0, 0, 0.4]),
                      channels=[Channel("plus", gamma=gp, delta=(0, 0, 1)), Channel("minus", gamma=gm, delta=(0, 0, 1))])
    _check_against_trajectories(model, STATE, np.linspace(0, 2, 3), ntraj=200, seed=3)


@pytest.mark.slow
def test_single_block_against_trajectories_at_ten_thousand_spins():
    gp, gm = glauber(2.0)
    model = SpinModel(10_000, h=(0.5, 0, 0), J=np.diag([0, 0, 0.4]),
                      channels=[Channel("plus", gamma=gp, delta=(0, 0, 1)), Channel("minus", gamma=gm, delta=(0, 0, 1))])
    _check_against_trajectories(model, STATE, np.linspace(0, 3, 4), ntraj=120, seed=4)


@pytest.mark.slow
def test_two_blocks_against_trajectories():
    gp = glauber(2.0)[0]
    J = np.zeros((2, 2, 3, 3))
    J[0, 1, 2, 2] = J[1, 0, 2, 2] = 1.0
    J[0, 1, 0, 0] = J[1, 0, 0, 0] = 0.5
    d = np.array([[0, 0, 0.5], [0, 0, 0.5]])
    model = BlockModel((60, 40), h=[(0.5, 0, 0), (0.2, 0, 0.1)], J=J,
                       channels=[Channel("plus", gamma=gp, delta=d, block=0),
                                 Channel("minus", gamma=lambda x: gp(-x), delta=d, block=1)])
    _check_against_trajectories(model, product_state([[0.3, 0.2, 0.9], [0.0, 0.6, -0.7]]),
                                np.linspace(0, 2, 3), ntraj=300, seed=5)


def test_bad_input_is_refused():
    model = interacting(10)
    with pytest.raises(ValueError, match="product state"):
        fluctuations(model, dicke_state(), TIMES)
    with pytest.raises(ValueError, match="model must be"):
        fluctuations(object(), STATE, TIMES)
    fl = fluctuations(model, STATE, TIMES)
    with pytest.raises(ValueError, match="block must be"):
        fl.site_correlations(block=2)
    assert fl.spread(100).shape == (3, len(TIMES))
    assert np.allclose(fl.spread(100)[:, 0], np.sqrt(np.diag(fl.sigma[..., 0]) / 100))


def test_phase_diffusion_is_the_growth_of_sigma_along_the_phase_response():
    """On the Hopfield limit cycle (beta = 2, Omega = 0.5): Z(0)^T Sigma(k P) Z(0) grows by P D_phi per
    period (d/dt Z^T Sigma Z = Z^T D Z along the adjoint flow), an independent integration of the same
    expansion; the cycle has one multiplier 1 and the others inside the unit circle."""
    model = hopfield_model(100, 2.0, 0.5)
    lc = limit_cycle(model, [0.0, 0.3, 0.9])
    assert abs(lc.multipliers[0] - 1) < 1e-7 and np.all(np.abs(lc.multipliers[1:]) < 1)
    fl = fluctuations(model, lc.point, lc.period * np.arange(4))
    assert np.allclose(fl.mean_field.mean, lc.point[0][:, None], atol=1e-7)     # back on the section
    z = lc.phase_response[0]
    growth = np.diff(np.einsum("a,act,c->t", z, fl.sigma, z)) / lc.period
    assert np.allclose(growth, lc.phase_diffusion, rtol=1e-5)
    assert lc.dephasing_time_per_spin == pytest.approx(lc.period ** 2 / (2 * np.pi ** 2 * lc.phase_diffusion))


def test_limit_cycle_refuses_a_fixed_point():
    with pytest.raises(IntegrationError, match="fixed point"):
        limit_cycle(hopfield_model(100, 1.0, 0.5), [0.0, 0.3, 0.9])


# ------------------------------------------------------------------------------------------------
# N d-level particles (theory/qudit_fluctuations.py)
# ------------------------------------------------------------------------------------------------

def test_qudit_fluctuations_are_the_spin_ones_for_d2():
    """A converted spin model (Deltas with x and z parts, Gamma' terms, a complex operator, a collective
    channel): Sigma_qudit = Sigma_spin / 2 on the Pauli components, the same lim N E_N."""
    from models.qudit import QuditModel
    from trajectories.theory.meanfield import bloch_density, initial_bloch
    spin = SpinModel(6, h=(0.3, 0.1, 0.2), J=np.array([[0.4, 0.1, 0], [0.1, 0, 0.2], [0, 0.2, -0.3]]),
                     channels=[Channel("minus", gamma=lambda x: 1 + 0.6 * x, delta=(0.8, 0, 0.3), offset=0.1),
                               Channel([[0.2 + 0.1j, 0.4], [-0.3j, 0.1]], gamma=lambda x: 0.5 + 0.2 * x,
                                       delta=(0.2, 0, 0.4)),
                               Channel("x", rate=lambda x: 0.3 + 0.1 * x, delta=(0, 0, 1), collective=True)])
    times = np.linspace(0, 2, 5)
    fs = fluctuations(spin, STATE, times)
    fq = fluctuations(QuditModel.from_spin(spin), bloch_density(initial_bloch(STATE, (6,))[0]), times)
    assert fq.sigma.shape == (4, 4, 5)
    np.testing.assert_allclose(2 * fq.sigma[1:, 1:], fs.sigma, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fq.sigma[0], 0, atol=1e-12)
    np.testing.assert_allclose(fq.clustering, fs.clustering, rtol=0, atol=1e-9)


def _ladder_limits(Ns):
    """(lim N E_N with and without the Gamma' terms, N E_N of the exact irrep solver at Ns) at t = 0..2."""
    from test_exact_qudit import ladder
    rho1, times = np.diag([1.0, 0, 0]).astype(complex), np.linspace(0, 2, 5)
    full = fluctuations(ladder(4), rho1, times).clustering
    frozen = fluctuations(ladder(4), rho1, times, rate_derivatives=False).clustering
    NE = []
    for N in Ns:
        ex = exact_evolution(ladder(N), rho1, times, options=dict(rtol=1e-10, atol=1e-12))
        NE.append(N * clustering(ex, mean_field(ladder(N), rho1, times, options=dict(rtol=1e-11, atol=1e-13)))[0])
    return full, frozen, np.array(NE)


def test_qudit_clustering_constant_against_the_irrep_solver():
    """The g-e-r ladder (Rydberg-density-dependent decay, so Gamma' terms): N E_N(t) of the exact irrep
    solver at N = 4, 8, extrapolated linearly in 1/N, lands on lim N E_N of the linear-noise theory and
    not on the theory with rates frozen at mean field (measured at t = 2: exact 2.529, 2.545,
    extrapolated 2.560; theory 2.568, frozen 2.482; exact at N = 16: 2.555)."""
    full, frozen, NE = _ladder_limits((4, 8))
    late = slice(3, None)                                  # t = 1.5, 2: where the Gamma' terms matter
    assert abs(NE[1, -1] - full[-1]) < abs(NE[0, -1] - full[-1])
    extrapolated = 2 * NE[1] - NE[0]
    assert np.all(np.abs(extrapolated - full)[late] < 0.2 * np.abs(extrapolated - frozen)[late]), \
        (extrapolated, full, frozen)


@pytest.mark.slow
def test_qudit_clustering_constant_against_the_irrep_solver_to_16():
    """Quadratic Richardson from N = 8, 12, 16 against the theory, relative to the size of the Gamma'
    terms |full - frozen| (measured ratios 5e-5, 2e-4, 1e-3, 2e-3 at t = 0.5 .. 2)."""
    full, frozen, NE = _ladder_limits((8, 12, 16))
    extrapolated = richardson([8, 12, 16], NE).limit
    assert np.all(np.abs(extrapolated - full)[1:] < 0.02 * np.abs(full - frozen)[1:]), (extrapolated, full)


def test_hopfield_bias_is_the_limit_of_the_exact_deviation_from_mean_field():
    """b(t) of theory/bias.py against the exact sector solver (Hopfield paramagnet beta = 1, Omega = 0.5,
    theta = 0.4): D(N) = N (omega_t(m) - m_MF) approaches b like 1/N (the gap shrinks by at least 0.7 per
    doubling of N; measured 0.40 .. 0.66) and the polynomial through N = 10, 20, 40 extrapolates to b
    within 0.01 (measured 0.007 for m_z at t = 2, the slowest); without the ordering terms the prediction
    misses by more than 0.05."""
    from trajectories.theory.bias import hopfield_bias
    times, state = np.array([0.0, 1.0, 2.0]), coherent_state(0.4)
    b = hopfield_bias(1.0, 0.5, state, times)
    Ns = (10, 20, 40)
    D = np.array([N * (exact_evolution(hopfield_model(N, 1.0, 0.5), state, times).mean
                       - mean_field(hopfield_model(N, 1.0, 0.5), state, times).mean) for N in Ns])
    gap = np.abs(D[:, :, 1:] - b[:, 1:])
    assert np.all(gap[1:] < 0.7 * gap[:-1]), gap
    np.testing.assert_allclose(richardson(Ns, D).limit, b, atol=0.01)
    frozen = hopfield_bias(1.0, 0.5, state, times, ordering=False)
    assert np.max(np.abs(frozen - b)) > 0.05
    np.testing.assert_array_equal(hopfield_bias(1.0, 0.5, state, [0.0]), np.zeros((3, 1)))
