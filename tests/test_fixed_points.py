"""Mean-field fixed points and stability (trajectories.theory.fixed_points) against closed forms.

Hopfield single block (docs/theory.md §7): dm_x/dt = -m_x/2, dm_y/dt = -2 W m_z - m_y/2,
dm_z/dt = 2 W m_y + tanh(b m_z) - m_z. Fixed points m = (0, -4 W z, z) with tanh(b z) = k z, k = 1 + 8 W^2;
Jacobian [[-1/2, 0, 0], [0, -1/2, -2 W], [0, 2 W, s - 1]], s = b sech^2(b z): eigenvalues -1/2 and the
roots of lambda^2 - (s - 3/2) lambda + (1 - s)/2 + 4 W^2. Pitchfork of m = 0 at b = k, Hopf of m = 0 at
b = 3/2 (W > 1/4, frequency sqrt(4 W^2 - 1/4)), Hopf of the retrieval pair at b sech^2(b z) = 3/2.
Kinetic model (docs/theory.md §8), gamma_up = 0, gamma_down = 1: n^5 = 4 W^2 (1 - 2n), so
n / n0 = 1 - 2 n0/5 - 4 n0^2/25 + O(n0^3) with n0 = (4 W^2)^(1/5).
"""
import time

import numpy as np
import pytest
from scipy.optimize import brentq

from models import HopfieldNetwork, QuditModel, hopfield_model, kinetic_model, random_patterns
from systems import rich_block_model, two_block_model
from trajectories.theory.fixed_points import (default_starts, fixed_point_from, fixed_points, follow_branch,
                                              hopfield_fixed_points, hopfield_phase_boundaries,
                                              hopfield_retrieval_mz, jacobian, kinetic_stationary_density,
                                              rate_derivative, stability, stability_boundary)
from trajectories.theory.meanfield import mean_field, vector_field

#: (beta, omega): paramagnet, retrieval (monostable pair), limit cycle, retrieval near its Hopf line
HOPFIELD_POINTS = [(1.0, 0.5), (4.0, 0.2), (2.0, 0.5), (5.0, 0.5)]


def analytic_hopfield(beta, omega):
    """[(m (3,), eigenvalues sorted by decreasing real part)] from the formulas of the module docstring."""
    k = 1 + 8 * omega ** 2
    zs = [0.0]
    if beta > k:
        z = brentq(lambda z: np.tanh(beta * z) - k * z, 1e-6, 1.0, xtol=1e-15)
        zs = [z, 0.0, -z]
    out = []
    for z in zs:
        s = beta / np.cosh(beta * z) ** 2
        eig = np.append(np.roots([1.0, -(s - 1.5), (1 - s) / 2 + 4 * omega ** 2]).astype(complex), -0.5)
        out.append((np.array([0.0, -4 * omega * z, z]), eig[np.lexsort((-eig.imag, -eig.real))]))
    return out


@pytest.mark.parametrize("beta, omega", HOPFIELD_POINTS)
def test_hopfield_fixed_points_against_the_analytic_ones(beta, omega):
    """Root tolerance ftol = 1e-10 and |eigenvalues| >= 0.25 here bound the error in m by ~1e-9;
    the Jacobian is exact up to the rate derivative (Ridders, ~1e-12), and the eigenvalues are
    separated by > 0.04 (checked), so they are as accurate: tolerances 1e-8."""
    expected = analytic_hopfield(beta, omega)
    for found in (fixed_points(hopfield_model(30, beta, omega)), hopfield_fixed_points(beta, omega)):
        assert len(found) == len(expected)
        for fp, (m, eig) in zip(found, expected):
            assert fp.m.shape == (1, 3) and fp.jacobian.shape == (3, 3) and fp.residual < 1e-10
            np.testing.assert_allclose(fp.m[0], m, rtol=0, atol=1e-8)
            assert np.min(np.abs(np.subtract.outer(eig, eig))[~np.eye(3, dtype=bool)]) > 0.04
            np.testing.assert_allclose(fp.eigenvalues, eig, rtol=0, atol=1e-8)
            assert fp.stable == bool(eig[0].real < 0)


def test_hopfield_phases_from_stability():
    """Paramagnet: m = 0 stable; retrieval: the pair stable, m = 0 a saddle; limit cycle: none stable."""
    para, retr, cycle, near = (fixed_points(hopfield_model(10, b, w)) for b, w in HOPFIELD_POINTS)
    assert [fp.stable for fp in para] == [True]
    assert [fp.stable for fp in retr] == [True, False, True]
    assert [fp.stable for fp in cycle] == [False]
    assert [fp.stable for fp in near] == [True, False, True]     # beta = 5 > Hopf line 4.10 at W = 0.5
    assert hopfield_retrieval_mz(2.0, 0.5) is None
    assert hopfield_retrieval_mz(4.0, 0.2) == pytest.approx(retr[0].m[0, 2], abs=1e-12)


def test_jacobian_against_finite_differences_of_the_vector_field():
    """Every term of the Bloch-form Jacobian (fields, couplings between blocks, sigma_-, sigma_+,
    sigma_z, x/y/z in Delta, offsets): central differences of vector_field with h = 1e-5 have a
    truncation error h^2 |f'''| / 6 ~ 1e-10 and round-off ~ 1e-16 / h ~ 1e-11: tolerance 1e-8."""
    rng = np.random.default_rng(3)
    for model in (rich_block_model(), two_block_model(), hopfield_model(5, 3.0, 0.7, "eq58")):
        f = vector_field(model)
        m = rng.uniform(-0.5, 0.5, size=(model.B, 3))
        h, n = 1e-5, 3 * model.B
        numeric = np.empty((n, n))
        for j in range(n):
            e = np.zeros(n)
            e[j] = h
            numeric[:, j] = ((f(m + e.reshape(m.shape)) - f(m - e.reshape(m.shape))) / (2 * h)).ravel()
        np.testing.assert_allclose(jacobian(model, m), numeric, rtol=0, atol=1e-8)


def test_rate_derivative_of_a_steep_rate():
    """Gamma_+^2 = (1 + tanh(beta x))/2 varies on the scale 1/beta (down to 0.001): R' = beta sech^2(beta x)/2,
    recovered to 1e-10 relative (1e-11 absolute where R' is tiny) by the extrapolation; a single central
    difference with the first step h = 0.05 is off by ~90% at beta = 200, and an extrapolation with wrong
    weights by ~2e-7 at beta = 1000."""
    for beta in (1.0, 50.0, 200.0, 1000.0):
        model = hopfield_model(3, beta, 0.0)
        for x in (0.0, 0.001, 0.01, -0.03, 0.3):
            R, dR = rate_derivative(model.channels[0], x)
            assert R == pytest.approx((1 + np.tanh(beta * x)) / 2, rel=1e-14)
            assert dR == pytest.approx(beta / 2 / np.cosh(beta * x) ** 2, rel=1e-10, abs=1e-11)


@pytest.mark.parametrize("omega", [0.2, 0.5, 1.0])
def test_pitchfork_and_hopf_lines_by_continuation(omega):
    """The general route (follow_branch on hopfield_model, stability_boundary) against the closed
    forms. brentq runs to xtol = 1e-12 and the criteria cross zero with slopes of order one
    (d det/d beta, d Re lambda/d beta ~ 1/2 at the crossings): tolerance 1e-9."""
    k = 1 + 8 * omega ** 2
    family = lambda beta: hopfield_model(20, beta, omega)        # noqa: E731
    para = follow_branch(family, 0.5, np.zeros(3))
    pitch = stability_boundary(para, 0.5, 3 * k, criterion="determinant")
    assert pitch.parameter == pytest.approx(k, abs=1e-9) and pitch.kind == "real"
    first = stability_boundary(para, 0.5, 3 * k, criterion="growth")
    lines = hopfield_phase_boundaries(omega)
    assert lines["pitchfork"] == pytest.approx(k, rel=1e-15)
    if omega > 0.25:
        assert first.parameter == pytest.approx(1.5, abs=1e-9) and first.kind == "hopf"
        assert first.frequency == pytest.approx(np.sqrt(4 * omega ** 2 - 0.25), abs=1e-9)
        assert lines["hopf_paramagnet"] == 1.5
        z_hi = hopfield_retrieval_mz(60.0, omega)
        retrieval = follow_branch(family, 60.0, [0.0, -4 * omega * z_hi, z_hi])
        hopf = stability_boundary(retrieval, k * (1 + 1e-3), 60.0)
        assert hopf.kind == "hopf" and hopf.fixed_point.m[0, 2] > 0
        z = brentq(lambda z: np.tanh(hopf.parameter * z) - k * z, 1e-6, 1.0, xtol=1e-15)
        assert hopf.parameter / np.cosh(hopf.parameter * z) ** 2 == pytest.approx(1.5, abs=1e-8)
        assert lines["hopf_retrieval"] == pytest.approx(hopf.parameter, abs=1e-9)
    else:                                                          # the first instability is the pitchfork
        assert first.parameter == pytest.approx(k, abs=1e-9) and first.kind == "real"
        assert np.isnan(lines["hopf_paramagnet"]) and np.isnan(lines["hopf_retrieval"])


def test_stability_boundary_needs_a_bracket():
    branch = lambda beta: hopfield_fixed_points(beta, 0.5)[0]      # noqa: E731
    with pytest.raises(ValueError, match="must change sign"):
        stability_boundary(branch, 0.5, 1.0)
    with pytest.raises(ValueError, match="criterion must be"):
        stability_boundary(branch, 0.5, 2.0, criterion=3.0)


@pytest.mark.parametrize("model, start, t_end", [
    (hopfield_model(10, 4.0, 0.2), np.array([0.3, 0.1, 0.5]), 200.0),
    (kinetic_model(10, 0.0, 1.0, 0.3), np.array([0.0, 0.0, 0.0]), 600.0),
    (kinetic_model(10, 0.5, 1.0, 0.05), np.array([0.5, 0.0, -0.5]), 600.0),
])
def test_long_mean_field_integration_ends_on_a_stable_fixed_point(model, start, t_end):
    """The distance to the attractor decays like exp(growth_rate t) (checked: < 1e-12 at t_end), so the
    remaining difference is the integrator's error: tolerance 1e-7."""
    end = mean_field(model, start, np.array([0.0, t_end])).mean[:, -1]
    stable = [fp for fp in fixed_points(model) if fp.stable]
    assert len(stable) >= 1
    fp = min(stable, key=lambda p: np.abs(p.m[0] - end).max())
    assert np.exp(fp.growth_rate * t_end) < 1e-12
    np.testing.assert_allclose(end, fp.m[0], rtol=0, atol=1e-7)


def test_two_block_network_attractor_is_a_stable_fixed_point():
    """p = 2 Hopfield network (2 blocks, B = 2 vector field): the mean field from a corrupted pattern
    ends on a stable fixed point of the list; its overlap with pattern 1 is the retrieval m_z*."""
    net = HopfieldNetwork(random_patterns(2, 60, seed=3), beta=4.0, omega=0.2)
    r = net.block_bloch(lambda s: (0.0, 0.0, 0.3 * s[0] + 0.15 * s[1]))
    end = mean_field(net.model, r, np.array([0.0, 200.0])).mean[..., -1]
    fps = fixed_points(net.model)
    fp = min(fps, key=lambda p: np.abs(p.m - end).max())
    assert fp.stable and fp.m.shape == (2, 3)
    np.testing.assert_allclose(end, fp.m, rtol=0, atol=1e-7)
    assert net.overlaps(fp.m[:, 2])[0] == pytest.approx(hopfield_retrieval_mz(4.0, 0.2), abs=1e-8)


@pytest.mark.parametrize("omega", [1e-5, 1e-4, 1e-3])
def test_kinetic_stationary_density_scaling(omega):
    """gamma_up = 0: n / n0 = 1 - 2 n0/5 - 4 n0^2/25 + O(n0^3), n0 = (4 omega^2)^(1/5) in [0.013, 0.083];
    the O(n0^3) remainder is < 0.01 n0^2 there, so the first-order law is checked to 0.2 n0^2 (the
    second-order term alone is 0.16 n0^2, and the leading correction 0.4 n0 is much larger)."""
    n0 = (4 * omega ** 2) ** 0.2
    fps = fixed_points(kinetic_model(10, 0.0, 1.0, omega))
    assert len(fps) == 1 and fps[0].stable
    n = (1 + fps[0].m[0, 2]) / 2
    assert n == pytest.approx(kinetic_stationary_density(omega, 0.0, 1.0), rel=1e-9)
    assert abs(n / n0 - (1 - 0.4 * n0)) < 0.2 * n0 ** 2
    assert abs(n / n0 - (1 - 0.4 * n0 - 0.16 * n0 ** 2)) < 0.01 * n0 ** 2


@pytest.mark.parametrize("gamma_up", [0.1, 0.5, 1.0, 2.0])
def test_kinetic_stationary_density_is_the_general_fixed_point(gamma_up):
    fps = [fp for fp in fixed_points(kinetic_model(10, gamma_up, 1.0, 0.3)) if fp.stable]
    assert len(fps) == 1
    n = (1 + fps[0].m[0, 2]) / 2
    assert n == pytest.approx(kinetic_stationary_density(0.3, gamma_up, 1.0), rel=1e-9)
    assert kinetic_stationary_density(0.0, gamma_up, 1.0) == pytest.approx(gamma_up / (1 + gamma_up))


def test_stability_at_any_point_and_input_checks():
    model = hopfield_model(8, 2.0, 0.5)
    point = stability(model, [0.1, 0.2, 0.3])                 # not a fixed point
    assert point.residual > 0.1 and point.m.shape == (1, 3) and point.eigenvalues.shape == (3,)
    assert stability(model, np.zeros((1, 3))).residual == 0.0
    with pytest.raises(ValueError, match=r"m must have shape \(1, 3\)"):
        stability(model, np.zeros(4))
    with pytest.raises(ValueError, match="model must be a SpinModel or BlockModel"):
        fixed_points(QuditModel.from_spin(model))
    with pytest.raises(ValueError, match=r"starts must have shape"):
        fixed_points(model, starts=np.zeros((2, 2, 3)))
    assert fixed_point_from(model, [0.0, 0.0, 0.99]) is not None      # the search ends on m = 0 here


def test_starts_are_deterministic_and_inside_the_ball():
    S = default_starts(2, 10)
    assert S.shape == (1 + 6 + 10 + 10, 2, 3)
    assert np.all(np.linalg.norm(S, axis=-1) <= 1 + 1e-12)
    np.testing.assert_array_equal(S, default_starts(2, 10))
    a = fixed_points(rich_block_model())
    b = fixed_points(rich_block_model())
    assert len(a) >= 1 and all(np.array_equal(x.m, y.m) for x, y in zip(a, b))


def test_timing_of_the_hopfield_search():
    """fixed_points on the single-block Hopfield model takes ~0.1 s (31 starts); a loose bound."""
    model = hopfield_model(100, 4.0, 0.2)
    t0 = time.perf_counter()
    fixed_points(model)
    assert time.perf_counter() - t0 < 5.0
