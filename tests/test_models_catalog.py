"""The model constructors of `models` (catalog and Hopfield): equality with the registry, with
HopfieldNetwork and with the hand-built tagged-site model; parameter validation."""
import numpy as np
import pytest

from models import (BlockModel, Channel, HopfieldNetwork, SpinModel, decay_model, hopfield_model,
                    hopfield_rates, ising_model, kinetic_model, superradiance_model, tagged_hopfield_model)
from trajectories.cli.registry import MODELS, named_model
from trajectories.theory.meanfield import vector_field

GRID = np.linspace(-1.5, 1.5, 31)       # Delta values, beyond the spectrum [-1, 1] of m_z on purpose


def assert_same_model(a, b):
    """Same sizes, h, J and channels (operator, block, offset, Delta coefficients, Gamma on GRID)."""
    assert a.sizes == b.sizes
    np.testing.assert_array_equal(a.h, b.h)
    np.testing.assert_array_equal(a.J, b.J)
    assert len(a.channels) == len(b.channels)
    for l, (ca, cb) in enumerate(zip(a.channels, b.channels)):
        assert (ca.op, ca.block, ca.collective) == (cb.op, cb.block, cb.collective), f"channel {l}"
        np.testing.assert_array_equal(ca.matrix, cb.matrix)
        assert ca.offset == pytest.approx(cb.offset, abs=1e-15), f"channel {l}"
        np.testing.assert_allclose(a.delta(l), b.delta(l), rtol=0, atol=1e-15, err_msg=f"channel {l}")
        np.testing.assert_allclose(ca.amplitude(GRID), cb.amplitude(GRID), rtol=1e-14, atol=1e-15,
                                   err_msg=f"channel {l}")


@pytest.mark.parametrize("name, constructor, params", [
    ("hopfield", hopfield_model, dict(N=7, beta=2.5, omega=0.3)),
    ("kinetic", kinetic_model, dict(N=7, gamma_up=0.4, gamma_down=1.3, omega=0.2)),
    ("decay", decay_model, dict(N=7, gamma=0.6, h=0.25)),
    ("ising", ising_model, dict(N=7, hx=0.7, J=-1.5, gamma=0.2)),
    ("superradiance", superradiance_model, dict(N=7, gamma=0.8, kappa=0.3, gamma_local=0.1, omega=0.2)),
])
def test_registry_is_a_table_over_the_constructors(name, constructor, params):
    assert MODELS[name][0] is constructor
    model = named_model(name, **params)
    assert type(model) is SpinModel
    assert_same_model(model, constructor(**params))


def test_catalog_models_hold_their_parameters():
    x = GRID
    kin = kinetic_model(5, gamma_up=4.0, gamma_down=0.25, omega=0.3)
    np.testing.assert_allclose(kin.channels[0].amplitude(x), 2.0 * (1 + x) / 2, rtol=1e-15)
    np.testing.assert_allclose(kin.channels[1].amplitude(x), 0.5 * (1 + x) / 2, rtol=1e-15)
    assert [c.op for c in kin.channels] == ["plus", "minus"] and kin.h[0].tolist() == [0.3, 0, 0]
    ising = ising_model(5, hx=0.7, J=1.5, gamma=0.2)
    expected_J = np.zeros((3, 3))
    expected_J[2, 2] = 1.5
    np.testing.assert_array_equal(ising.J[0, 0], expected_J)
    np.testing.assert_allclose(ising.channels[0].amplitude(x), np.sqrt(0.2), rtol=1e-15)
    decay = decay_model(5, gamma=0.0, h=-0.1)
    np.testing.assert_array_equal(decay.channels[0].amplitude(x), 0.0)
    assert decay.h[0, 0] == -0.1 and decay.channels[0].op == "minus"
    sr = superradiance_model(5, gamma=0.8, kappa=0.3, gamma_local=0.1)
    assert [(c.op, c.collective) for c in sr.channels] == [("minus", True), ("z", False), ("minus", False)]
    np.testing.assert_allclose(sr.channels[1].amplitude(x) ** 2, 0.3 * np.clip((1 + x) / 2, 0, None), rtol=1e-14)
    np.testing.assert_allclose(sr.channels[0].amplitude(x) ** 2, 0.8, rtol=1e-15)
    assert len(superradiance_model(5, gamma=1.0, kappa=0.0).channels) == 2


@pytest.mark.parametrize("variant", ["eq58", "eq59"])
@pytest.mark.parametrize("N", [1, 2, 9])
def test_hopfield_model_is_the_one_pattern_network(N, variant):
    model = hopfield_model(N, 1.7, 0.4, variant=variant)
    assert_same_model(model, HopfieldNetwork(np.ones((1, N)), 1.7, 0.4, variant=variant).model)
    shift = 1 / N if variant == "eq58" else 0.0
    assert [c.offset for c in model.channels] == [shift, -shift]
    gp, gm = hopfield_rates(1.7)
    np.testing.assert_allclose(model.channels[0].amplitude(GRID), gp(GRID), rtol=1e-15)
    np.testing.assert_allclose(model.channels[1].amplitude(GRID), gm(GRID), rtol=1e-15)


def test_eq58_mean_field_is_eq59_with_shifted_rates():
    """dm_z/dt = 2 omega m_y + Gamma_+(m_z + 1/N)^2 (1 - m_z) - Gamma_-(m_z - 1/N)^2 (1 + m_z) for eq. 58;
    the eq. 59 field (no shift) differs by O(1/N)."""
    N, beta, omega = 4, 2.0, 0.5
    gp, gm = hopfield_rates(beta)
    m = np.array([[0.1, -0.3, 0.4]])
    f58 = vector_field(hopfield_model(N, beta, omega, "eq58"))(m)[0, 2]
    f59 = vector_field(hopfield_model(N, beta, omega, "eq59"))(m)[0, 2]
    x, y, z = m[0]
    assert f58 == pytest.approx(2 * omega * y + gp(z + 1 / N) ** 2 * (1 - z) - gm(z - 1 / N) ** 2 * (1 + z),
                                abs=1e-14)
    assert f59 == pytest.approx(2 * omega * y + np.tanh(beta * z) - z, abs=1e-14)
    assert abs(f58 - f59) > 0.1


def hand_built_tagged_model(N, beta, omega):
    """The tagged-site model as built by hand in experiments/theorem2_tagged.py (kept here verbatim)."""
    gp, gm = hopfield_rates(beta)
    sizes = (N, 1)
    delta = np.zeros((2, 3))
    delta[:, 2] = np.array(sizes) / (N + 1)
    chans = [Channel(op, gamma=g, delta=delta, block=b) for b in range(2)
             for op, g in (("plus", gp), ("minus", gm))]
    return BlockModel(sizes, h=[(omega, 0, 0)] * 2, channels=chans)


@pytest.mark.parametrize("N, beta, omega", [(10, 1.0, 0.5), (3, 2.0, 0.2), (40, -0.7, 1.1)])
def test_tagged_model_equals_the_hand_built_one(N, beta, omega):
    model = tagged_hopfield_model(N, beta, omega)
    assert type(model) is BlockModel
    assert_same_model(model, hand_built_tagged_model(N, beta, omega))


@pytest.mark.parametrize("variant", ["eq58", "eq59"])
def test_tagged_sites_in_the_bulk_state_follow_the_single_block_mean_field(variant):
    """With every block in the same state the tagged model is hopfield_model(N + tagged): equal
    mean-field vector fields, block by block (the eq. 58 offsets use the total N + tagged)."""
    N, tagged = 6, 2
    model = tagged_hopfield_model(N, 2.0, 0.5, tagged=tagged, variant=variant)
    assert model.sizes == (6, 1, 1) and len(model.channels) == 6
    single = vector_field(hopfield_model(N + tagged, 2.0, 0.5, variant=variant))
    m = np.array([0.3, -0.2, 0.6])
    np.testing.assert_allclose(vector_field(model)(np.tile(m, (3, 1))), np.tile(single(m[None]), (3, 1)),
                               rtol=0, atol=1e-14)


@pytest.mark.parametrize("constructor, params, message", [
    (hopfield_model, dict(N=0, beta=1.0, omega=0.5), "N must be an integer >= 1, got 0"),
    (hopfield_model, dict(N=2.0, beta=1.0, omega=0.5), "N must be an integer >= 1"),
    (hopfield_model, dict(N=True, beta=1.0, omega=0.5), "N must be an integer >= 1"),
    (hopfield_model, dict(N=3, beta=np.inf, omega=0.5), "beta must be a finite real number, got inf"),
    (hopfield_model, dict(N=3, beta=1.0, omega="0.5"), "omega must be a finite real number"),
    (hopfield_model, dict(N=3, beta=1.0, omega=0.5, variant="58"), "variant must be 'eq58' or 'eq59'"),
    (tagged_hopfield_model, dict(N=3, beta=1.0, omega=0.5, tagged=0), "tagged must be an integer >= 1"),
    (tagged_hopfield_model, dict(N=-1, beta=1.0, omega=0.5), "N must be an integer >= 1"),
    (tagged_hopfield_model, dict(N=3, beta=np.nan, omega=0.5), "beta must be a finite real number"),
    (kinetic_model, dict(N=3, gamma_up=-0.1, gamma_down=1.0, omega=0.5),
     "gamma_up must be a finite real number >= 0, got -0.1"),
    (kinetic_model, dict(N=3, gamma_up=0.1, gamma_down=np.nan, omega=0.5), "gamma_down must be a finite real"),
    (kinetic_model, dict(N=3, gamma_up=0.1, gamma_down=1.0, omega=1j), "omega must be a finite real number"),
    (decay_model, dict(N=3, gamma=-1.0, h=0.0), "gamma must be a finite real number >= 0"),
    (decay_model, dict(N=3, gamma=1.0, h=None), "h must be a finite real number"),
    (ising_model, dict(N=3, hx=0.1, J=np.inf, gamma=1.0), "J must be a finite real number"),
    (ising_model, dict(N=3, hx=[0.1], J=1.0, gamma=1.0), "hx must be a finite real number"),
    (ising_model, dict(N=3, hx=0.1, J=1.0, gamma=-2), "gamma must be a finite real number >= 0"),
    (superradiance_model, dict(N=3, gamma=1.0, kappa=-0.1), "kappa must be a finite real number >= 0"),
    (superradiance_model, dict(N=3, gamma=np.nan, kappa=0.1), "gamma must be a finite real number >= 0"),
    (superradiance_model, dict(N=3, gamma=1.0, kappa=0.1, gamma_local=-1), "gamma_local must be"),
])
def test_parameters_are_validated(constructor, params, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        constructor(**params)


def test_registry_reports_constructor_errors_as_model_parameters():
    with pytest.raises(ValueError, match="model.gamma_down must be a finite real number >= 0, got -1.0"):
        named_model("kinetic", N=4, gamma_down=-1.0)
    with pytest.raises(ValueError, match="model.gamma must be a finite real number >= 0"):
        named_model("ising", N=4, gamma=-0.5)
    with pytest.raises(ValueError, match="model.N is required"):
        named_model("hopfield")
    with pytest.raises(ValueError, match="model.name must be one of 'hopfield', 'kinetic'"):
        named_model("hopfeld", N=3)
