"""Stationary states, stationary averages from long trajectories, autocorrelation times, switching
rates and spectral gaps (docs/theory.md §13)."""
import numpy as np
import pytest

from models import BlockModel, Channel, SpinModel, hopfield_model
from trajectories import (coherent_state, exact_evolution, exact_stationary, integrated_time, slowest_rates,
                          spectral_gap, stationary_average, switching_rate, time_average)
from trajectories.analysis.switching import branches

from systems import rich_block_model


def _ar1(rng, phi, shape):
    x = np.empty(shape)
    x[..., 0] = rng.normal(size=shape[:-1])
    eps = rng.normal(size=shape) * np.sqrt(1 - phi ** 2)
    for k in range(1, shape[-1]):
        x[..., k] = phi * x[..., k - 1] + eps[..., k]
    return x


def test_integrated_time_of_an_ar1_process():
    """tau = (1 + phi)/(1 - phi) = 19 for phi = 0.9; 64 chains of 20000 samples estimate it to ~2 %."""
    x = _ar1(np.random.default_rng(1), 0.9, (64, 20000))
    assert abs(integrated_time(x) / 19.0 - 1) < 0.05
    assert integrated_time(np.ones(100)) == 1.0


def test_time_average_errors_are_calibrated():
    """Over 300 independent repetitions the z-scores (mean - 0.7)/stderr have unit spread."""
    rng = np.random.default_rng(2)
    z = []
    for _ in range(300):
        avg = time_average(0.7 + _ar1(rng, 0.8, (4, 2000)), dt=0.5, burn_in=0.0)
        z.append((avg.value - 0.7) / avg.stderr)
    assert 0.85 < np.std(z) < 1.15 and abs(np.mean(z)) < 0.25
    assert avg.reliable and avg.n_chains == 4 and abs(avg.tau / 0.5 / 9.0 - 1) < 0.3


def test_time_average_bad_input():
    with pytest.raises(ValueError, match="dt must be a number in"):
        time_average(np.ones(10), dt=0)
    with pytest.raises(ValueError, match=r"burn_in must be a number in \[0, 5\)"):
        time_average(np.ones(10), dt=0.5, burn_in=6)
    with pytest.raises(ValueError, match="leaves 1 sample"):
        time_average(np.ones(10), dt=0.5, burn_in=4.5)
    with pytest.raises(ValueError, match="series must be finite"):
        time_average([1.0, np.nan, 2.0], dt=1)


def _telegraph(rng, rate, dt, shape, noise=0.1):
    flips = rng.random(shape) < rate * dt
    sign = np.where(np.cumsum(flips, axis=1) % 2 == 0, 1.0, -1.0)
    return 0.8 * sign + noise * rng.normal(size=shape), int(flips[:, 1:].sum())


def test_switching_rate_of_a_telegraph_process():
    rng = np.random.default_rng(3)
    dt, k = 0.1, 0.05
    x, flips = _telegraph(rng, k, dt, (40, 4000))
    times = np.arange(4000) * dt
    r = switching_rate(times, x, -0.5, 0.5)
    assert r.n_switches == flips                          # noise about a branch is never a switch
    assert abs(r.rate - k) < 4 * r.stderr and abs(r.stderr / (k / np.sqrt(r.n_switches)) - 1) < 0.1
    assert r.censored == int(np.isnan(r.first_passage).sum())
    # thresholds inside the noise (+-0.01 about 0) count its crossings: the hysteresis is what filters
    noise = switching_rate(times, 0.2 * rng.normal(size=x.shape), -0.01, 0.01)
    assert noise.n_switches > 10 * flips
    none = switching_rate(times[:10], np.full((2, 10), 0.9), -0.5, 0.5)
    assert none.rate == 0 and none.mean_time == np.inf and none.censored == 2
    np.testing.assert_array_equal(branches([0.0, 0.6, 0.1, -0.6, 0.2], -0.5, 0.5), [0, 1, 1, -1, -1])
    with pytest.raises(ValueError, match="low < high"):
        switching_rate(times, x, 0.5, -0.5)


def test_sector_stationary_state_is_the_long_time_limit():
    """Hopfield paramagnet (N = 8) and the rich two-block model on the dense path: the stationary
    moments equal the state evolved for many relaxation times, and the stationary vector is a
    fixed point of the 2^N Lindbladian's moments (N = 5)."""
    for model, state in ((hopfield_model(8, 0.8, 0.5), coherent_state(0.3)),
                         (rich_block_model((3, 2)), coherent_state([0.7, 2.0], [0.3, -1.0]))):
        ss = exact_stationary(model, state, distributions=True)
        gap = -slowest_rates(model, state, k=3)[1].real if model.only_z else 0.5
        t = 40 / gap
        late = exact_evolution(model, state, [0.0, t])
        decay = np.exp(-gap * t)
        np.testing.assert_allclose(ss.mean[..., 0], late.mean[..., 1], atol=1e-7 + 10 * decay)
        np.testing.assert_allclose(ss.populations[0].sum(), 1.0, atol=1e-10)
        np.testing.assert_allclose(ss.populations[0], late.populations[1], atol=1e-7 + 10 * decay)


def test_stationary_state_against_the_2n_solver():
    """The 2^N solver (Pauli matrices, independent of the sector formulas) reaches the sector
    stationary state and stays there."""
    model = rich_block_model((3, 2))
    state = coherent_state([0.7, 2.0], [0.3, -1.0])
    ss = exact_stationary(model, state)
    late = exact_evolution(model, state, [0.0, 60.0, 61.0], method="full")
    np.testing.assert_allclose(late.mean[..., 1], ss.mean[..., 0], atol=1e-6)
    np.testing.assert_allclose(late.mean[..., 2], late.mean[..., 1], atol=1e-9)


def test_non_unique_stationary_state_is_refused():
    """Two blocks, channels on block 0 only, coupled to nothing: block 1 keeps its coherent
    state's populations of j, and a field on block 1 keeps rotating it."""
    model = BlockModel((3, 3), h=[(0, 0, 0), (0.0, 0.0, 0.0)],
                       channels=[Channel("minus", gamma=1.0, block=0)])
    with pytest.raises(ValueError, match="not unique"):
        exact_stationary(model, coherent_state([0.5, 1.0]))


def test_stationary_average_agrees_with_the_exact_stationary_state():
    """Hopfield at N = 8, beta = 0.8 (paramagnet, fast mixing): time averages of 8 trajectories of
    length 400 after a burn-in of 20, within 4 standard errors of the exact stationary state."""
    model, state = hopfield_model(8, 0.8, 0.5), coherent_state(0.3)
    obs = {"m4": lambda m: m ** 4}
    st = stationary_average(model, state, burn_in=20.0, t_total=400.0, dt=0.5, ntraj=8, seed=5,
                            observables=obs, distributions=True)
    ex = exact_stationary(model, state, observables=obs)
    assert st.reliable
    for a in range(3):
        assert abs(st.mean[a] - ex.mean[a, 0]) < 4 * st.stderr[a] + 1e-12, a
    for a in range(3):
        assert abs(st.second[a, a] - ex.second[a, a, 0]) < 4 * st.second_stderr[a, a], a
    m4 = st.observables["m4"]
    assert abs(m4.value - ex.observable("m4")[0][0]) < 4 * m4.stderr
    values, P, err = st.distribution()
    _, EP, _ = ex.distribution()
    big = EP[:, 0] > 0.02
    assert np.all(np.abs(P - EP[:, 0])[big] < 4 * err[big])


def test_spectral_gap_is_the_slowest_decay():
    """The Hopfield retrieval model (N = 10): the branch population difference <m_z>(t) decays at
    late times like e^{-lambda_1 t} with the gap of the reduced Lindbladian."""
    model, state = hopfield_model(10, 1.8, 0.1), coherent_state(0.2)
    lam = spectral_gap(model, state)
    rates = -slowest_rates(model, state, k=3).real
    assert rates[2] > 5 * lam
    t = np.array([0.0, 40.0, 60.0])
    ex = exact_evolution(model, state, t)
    measured = np.log(ex.mean[2, 1] / ex.mean[2, 2]) / 20.0
    assert abs(measured / lam - 1) < 1e-4 + np.exp(-(rates[2] - lam) * 40)
    with pytest.raises(ValueError, match="not unique"):
        spectral_gap(SpinModel(4, h=(0.3, 0, 0)), coherent_state(0.2))


def test_the_spectrum_solvers_take_keyword_options():
    """spectral_gap and slowest_rates follow the solver contract: options keyword-only, a dict accepted,
    anything else refused by name."""
    model, state = SpinModel(4, channels=[Channel("minus", gamma=1.0)]), coherent_state(0.2)
    assert spectral_gap(model, state, options=dict(rtol=1e-9)) == pytest.approx(spectral_gap(model, state))
    with pytest.raises(TypeError):
        slowest_rates(model, state, 3)
    with pytest.raises(ValueError, match="options must be a ODEOptions or a dict"):
        spectral_gap(model, state, options=1e-9)
