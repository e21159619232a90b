"""Two-time correlations (docs/theory.md §12): exact_correlation (quantum regression in the sector and 2^N
solvers) and local_correlation (the effective local generator, paper eq. 50).

References: the 2^N brute force for the sector version (to 1e-9, random complex operators, dense and
diagonal rates); closed forms for an independent decaying spin; for independent sites the exact many-body
correlation equals the local generator's at any N.
"""
import numpy as np
import pytest

from models import BlockModel, Channel, tagged_hopfield_model
from trajectories import (CorrelationResult, coherent_state, exact_correlation, local_correlation, product_state,
                          richardson)
from trajectories.theory.meanfield import bloch_density

SP = np.array([[0, 1], [0, 0]], dtype=complex)
SM = SP.T.copy()
SZ = np.diag([1.0, -1.0]).astype(complex)
TIGHT = dict(rtol=1e-11, atol=1e-13)


def random_operator(rng):
    return rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))


def dense_rate_model(N=3):
    """Bulk of N sites plus a tagged site; Delta with x, y and z parts (dense Gamma), a coupling J_xz
    between the blocks, fields on both."""
    J = np.zeros((2, 2, 3, 3))
    J[0, 1, 0, 2] = J[1, 0, 2, 0] = 0.8
    d = np.array([[0.4, -0.3, 0.6], [0.2, 0.0, 0.3]])
    chans = [Channel("minus", gamma=lambda x: 1 + 0.4 * x, delta=d, block=0),
             Channel("plus", rate=lambda x: 0.3 + 0.2 * x ** 2, delta=d, block=1),
             Channel("z", gamma=lambda x: 0.5 * np.cos(x), delta=d, offset=0.1, block=1)]
    return BlockModel((N, 1), h=[(0.5, 0.1, 0.2), (0.3, 0, -0.4)], J=J, channels=chans)


@pytest.mark.parametrize("case", ["hopfield", "dense"])
def test_sectors_equal_brute_force(case):
    rng = np.random.default_rng(7)
    a, b = random_operator(rng), random_operator(rng)
    if case == "hopfield":
        model, state = tagged_hopfield_model(4, 1.5, 0.5), coherent_state(theta=[0.4, 2.5], phi=[0.0, 1.0])
    else:
        model, state = dense_rate_model(), product_state([[0.3, 0.1, 0.6], [-0.5, 0.2, -0.4]])
    kw = dict(a=a, b=b, block=1, connected=True, options=TIGHT)
    times, lags = [0.0, 0.7, 1.6], np.linspace(0, 2.0, 6)
    full = exact_correlation(model, state, times, lags=lags, method="full", **kw)
    sect = exact_correlation(model, state, times, lags=lags, method="sectors", **kw)
    assert sect.values.shape == (3, 6) and sect.a_mean.shape == (3, 6) and sect.b_mean.shape == (3,)
    np.testing.assert_allclose(sect.values, full.values, atol=1e-9)
    np.testing.assert_allclose(sect.a_mean, full.a_mean, atol=1e-9)
    np.testing.assert_allclose(sect.b_mean, full.b_mean, atol=1e-9)
    # s = 0: <A B>(t), and <A(t + 0)> = <A>(t); the correlation is not trivially factorised
    ab = exact_correlation(model, state, times, lags=[0.0], a=a @ b, b=np.eye(2), block=1, options=TIGHT)
    np.testing.assert_allclose(sect.values[:, 0], ab.values[:, 0], atol=1e-10)
    a_now = exact_correlation(model, state, times, lags=[0.0], a=np.eye(2), b=a, block=1, options=TIGHT).b_mean
    np.testing.assert_allclose(sect.a_mean[:, 0], a_now, atol=1e-10)
    assert np.abs(sect.connected()[:, 1:]).max() > 1e-3


def test_decaying_spin_closed_form():
    """sigma_- at rate gamma on every site (independent spins): <sigma_+(t + s) sigma_-(t)> =
    p_up(t) e^{-gamma s / 2}, p_up(t) = p_up(0) e^{-gamma t}; <sigma_z(t + s) sigma_z(t)> = 1 - 2 p_up(t + s)
    + ... (closed form below). Exact (N = 5 bulk + tag) and local generator agree with it."""
    g = 0.7
    model = BlockModel((5, 1), channels=[Channel("minus", rate=lambda x: g + 0 * x, block=b) for b in (0, 1)])
    th = 1.1
    state = coherent_state(theta=[0.3, th])
    p0 = np.cos(th / 2) ** 2
    times, lags = np.array([0.0, 0.5, 2.0]), np.linspace(0, 3, 7)
    rho_tag = bloch_density(np.array([np.sin(th), 0.0, np.cos(th)]))
    p = p0 * np.exp(-g * times)[:, None]
    g1 = p * np.exp(-g * lags / 2)[None]
    # sigma_z(t+s) sigma_z(t): from up (prob p(t)) the spin is up at t+s with e^{-g s}, from down it stays down
    zz = p * (2 * np.exp(-g * lags)[None] - 1) + (1 - p)
    for solve, kw in ((exact_correlation, {}), (local_correlation, dict(local_state=rho_tag))):
        r1 = solve(model, state, times, lags=lags, a=SP, b=SM, block=1, options=TIGHT, **kw)
        r2 = solve(model, state, times, lags=lags, a=SZ, b=SZ, block=1, options=TIGHT, **kw)
        np.testing.assert_allclose(r1.values, g1, atol=1e-9)
        np.testing.assert_allclose(r2.values, zz, atol=1e-9)


def test_independent_sites_exact_equals_local_generator():
    """Fields and constant rates only: the tag evolves exactly like one site under L_t, at any N."""
    model = BlockModel((6, 1), h=[(0.8, 0.0, 0.3), (0.4, 0.2, 0.0)],
                       channels=[Channel("minus", rate=lambda x: 0.6 + 0 * x, block=1),
                                 Channel("plus", rate=lambda x: 0.2 + 0 * x, block=1),
                                 Channel("z", rate=lambda x: 0.3 + 0 * x, block=1),
                                 Channel("minus", rate=lambda x: 1.0 + 0 * x, block=0)])
    rng = np.random.default_rng(3)
    a, b = random_operator(rng), random_operator(rng)
    r = np.array([0.2, -0.5, 0.6])
    state = product_state([[0.0, 0.3, 0.9], r])
    args, lags = (model, state, [0.3, 1.2]), np.linspace(0, 2.5, 6)
    ex = exact_correlation(*args, lags=lags, a=a, b=b, block=1, connected=True, options=TIGHT)
    loc = local_correlation(*args, lags=lags, a=a, b=b, local_state=bloch_density(r), block=1, connected=True, options=TIGHT)
    np.testing.assert_allclose(ex.values, loc.values, atol=1e-9)
    np.testing.assert_allclose(ex.connected(), loc.connected(), atol=1e-9)


def test_two_local_sites_reduce_to_one():
    """local_correlation on two sites with A = a (x) 1, B = b (x) 1 and a product state equals the one-site
    value (the generator acts site by site)."""
    model = tagged_hopfield_model(20, 1.0, 0.5, tagged=2)
    state = coherent_state(theta=[0.4, 2.5, 1.0])
    rho1, rho2 = bloch_density(np.array([0.6, 0, -0.8])), bloch_density(np.array([0, 0.6, 0.8]))
    rng = np.random.default_rng(11)
    a, b = random_operator(rng), random_operator(rng)
    args, lags = (model, state, [0.5, 2.0]), np.linspace(0, 2, 5)
    one = local_correlation(*args, lags=lags, a=a, b=b, local_state=rho1, block=1)
    two = local_correlation(*args, lags=lags, a=np.kron(a, np.eye(2)), b=np.kron(b, np.eye(2)),
                            local_state=np.kron(rho1, rho2), block=[1, 2])
    np.testing.assert_allclose(two.values, one.values, atol=1e-9)


def test_tagged_correlation_converges_to_local_generator():
    """Theorem 2, weak form (docs/theory.md §12): Hopfield paramagnet, tag apart from the bulk, exact
    N = 10, 20, 40 bulk sites, g(t0, s) = <sigma_+(t0 + s) sigma_-(t0)> at t0 = 2. The N -> oo limits
    (Richardson) of the exact and of the local generator's values (whose (N, 1) model depends on N through
    Delta's 1/(N + 1) weight of the tag) agree within the sum of their extrapolation errors (measured:
    2.7e-4 within 4.2e-4 at s = 0, 2.6e-5 within 1.0e-4 at s = 1), while at N = 10 they differ by
    8e-3, 4e-3; N (g_N - g_L)(s = 1) = 0.0413, 0.0415, 0.0420: O(1/N)."""
    Ns, lags = (10, 20, 40), np.array([0.0, 1.0])
    exact, local = [], []
    for N in Ns:
        model = tagged_hopfield_model(N, 1.0, 0.5)
        state = coherent_state(theta=[0.4, 2.5], phi=[0.0, 1.0])
        rho = bloch_density(np.array([np.sin(2.5) * np.cos(1.0), np.sin(2.5) * np.sin(1.0), np.cos(2.5)]))
        exact.append(exact_correlation(model, state, [2.0], lags=lags, a=SP, b=SM, block=1).values[0])
        local.append(local_correlation(model, state, [2.0], lags=lags, a=SP, b=SM, local_state=rho, block=1).values[0])
    exact, local = np.array(exact), np.array(local)
    le, ll = richardson(Ns, exact), richardson(Ns, local)
    gap = np.abs(le.limit - ll.limit)
    assert np.all(gap < le.error + ll.error), (gap, le.error, ll.error)
    assert np.all(np.abs(exact[0] - local[0]) > 10 * (le.error + ll.error))     # the test can tell
    scaled = np.array(Ns) * np.abs(exact[:, 1] - local[:, 1])
    assert np.all(np.abs(scaled[1:] / scaled[:-1] - 1) < 0.05), scaled


def test_bad_arguments():
    model, state = tagged_hopfield_model(4, 1.0, 0.5), coherent_state(theta=[0.4, 2.5])
    ok = dict(a=SP, b=SM, block=1)
    with pytest.raises(ValueError, match="block 0 has 4 sites"):
        exact_correlation(model, state, [0.0], lags=[0.0], a=SP, b=SM, block=0)
    with pytest.raises(ValueError, match=r"block must be in 0\.\.1"):
        exact_correlation(model, state, [0.0], lags=[0.0], a=SP, b=SM, block=2)
    with pytest.raises(ValueError, match=r"a must be a \(2, 2\) matrix"):
        exact_correlation(model, state, [0.0], lags=[0.0], a=np.eye(3), b=SM, block=1)
    with pytest.raises(ValueError, match="b must be finite"):
        exact_correlation(model, state, [0.0], lags=[0.0], a=SP, b=SM * np.nan, block=1)
    with pytest.raises(ValueError, match="lags must be >= 0"):
        exact_correlation(model, state, [0.0], lags=[-1.0, 0.0], **ok)
    with pytest.raises(ValueError, match="lags must be strictly increasing"):
        local_correlation(model, state, [0.0], lags=[0.0, 0.0], local_state=np.eye(2) / 2, **ok)
    with pytest.raises(ValueError, match="method must be 'sectors' or 'full'"):
        exact_correlation(model, state, [0.0], lags=[0.0], method="qudit", **ok)
    with pytest.raises(ValueError, match=r"a must be a \(4, 4\) matrix"):
        local_correlation(model, state, [0.0], lags=[0.0], a=SP, b=SM, local_state=np.eye(4) / 4, block=[1, 1])
    r = exact_correlation(model, state, [0.0], lags=[0.0], **ok)
    assert isinstance(r, CorrelationResult) and r.a_mean is None
    with pytest.raises(ValueError, match="connected=True"):
        r.connected()
