"""Trajectory ensembles against the exact references, within 4 standard errors.

Every comparison is |omega_traj - omega_exact| < 4 stderr + 1e-10 for all components of the
first and second moments at every output time (the 1e-10 only covers t = 0, where pure initial
states give stderr = 0). Seeds are fixed, so the outcome is deterministic.
"""
import numpy as np
import pytest

from models import BlockModel, Channel, SpinModel
from trajectories import (cat_state, classical_state, coherent_state, dicke_state, exact_evolution,
                          product_state, run_ensemble)

from systems import hopfield, rich_block_model, two_block_model

NSIGMA = 4.0


def assert_agrees(ens, ref, nsigma=NSIGMA):
    for name, est, err, exact in (("mean", ens.mean, ens.stderr, ref.mean),
                                  ("second", ens.second, ens.second_stderr, ref.second)):
        z = np.abs(est - exact) / (err + 1e-10 / nsigma)
        worst = np.unravel_index(np.argmax(z), z.shape)
        assert z.max() < nsigma, (f"{name}{list(worst)}: trajectories {est[worst]:.5f} +- {err[worst]:.5f}, "
                                  f"exact {exact[worst]:.5f} ({z.max():.1f} standard errors)")


def compare(model, state, times, ntraj, seed, method="sectors", **kw):
    ens = run_ensemble(model, state, times, ntraj=ntraj, seed=seed, **kw)
    ref = exact_evolution(model, state, times, method=method)
    assert_agrees(ens, ref)
    return ens, ref


TIMES = np.linspace(0.0, 2.0, 5)


def test_constant_decay_plus_drive_N40():
    model = SpinModel(N=40, h=(0.6, 0, 0), channels=[Channel("minus", gamma=lambda x: 0.5 + 0 * x)])
    compare(model, coherent_state(theta=0.3), TIMES, 800, seed=1)


def test_hopfield_beta2_N40():
    compare(hopfield(40, beta=2.0, omega=0.5), coherent_state(theta=0.4, phi=0.2), TIMES, 1500, seed=2)


def test_delta_with_mx_component_full_space():
    """Gamma(Delta) not diagonal in the Dicke basis: the dense path, against 2^N."""
    model = SpinModel(N=5, h=(0.3, 0, 0.2), J=np.diag([0.4, 0, -0.3]),
                      channels=[Channel("minus", gamma=lambda x: 1 + 0.6 * x, delta=(0.8, 0, 0.3)),
                                Channel("plus", rate=lambda x: 0.2 * (1 + x) ** 2, delta=(0, 0.5, 0.5))])
    compare(model, coherent_state(theta=0.9, phi=0.4), TIMES, 1000, seed=3, method="full")


@pytest.mark.parametrize("method", ["auto", "dense"])
def test_delta_with_mx_component_N20(method):
    """One Delta along (1, 0, 1): the rotated banded path ("auto", docs/theory.md §14) and the dense one."""
    model = SpinModel(N=20, h=(0.5, 0, 0),
                      channels=[Channel("minus", gamma=lambda x: np.exp(x) / np.sqrt(2 * np.cosh(2 * x)),
                                        delta=(0.7, 0, 0.7))])
    ens, _ = compare(model, coherent_state(theta=1.0), TIMES, 600, seed=4, options={"method": method})
    assert ("frame" in ens.meta) == (method == "auto")


def test_dephasing_with_state_dependent_rate_N40():
    model = SpinModel(N=40, h=(0.4, 0, 0),
                      channels=[Channel("z", rate=lambda x: 0.5 * (1 + x) ** 2, delta=(0, 0, 1)),
                                Channel("minus", gamma=lambda x: 0.3 + 0 * x)])
    compare(model, coherent_state(theta=0.6, phi=0.3), TIMES, 800, seed=5)


def test_two_blocks():
    compare(two_block_model(jxx=0.5), coherent_state(theta=[0.3, 2.0], phi=[0.0, 1.0]), TIMES, 800, seed=6)


def test_tagged_site_prepared_differently():
    """A block of size 1 (the tagged site) starts down while the bulk of 30 starts near up."""
    gp = lambda x: np.exp(x) / np.sqrt(2 * np.cosh(2 * x))  # noqa: E731
    d = np.array([[0, 0, 1.0], [0, 0, 0]])
    model = BlockModel((30, 1), h=[(0.5, 0, 0), (0.5, 0, 0)],
                       channels=[Channel(op, gamma=(gp if op == "plus" else lambda x: gp(-x)), delta=d, block=b)
                                 for b in (0, 1) for op in ("plus", "minus")])
    compare(model, coherent_state(theta=[0.3, 3.0], phi=[0.0, 0.0]), TIMES, 800, seed=7)


def test_mixed_product_initial_state():
    compare(hopfield(40), product_state((0.3, 0.4, 0.5)), TIMES, 1500, seed=8)


def test_classical_configuration_and_dicke_state():
    model = hopfield(12, beta=1.5)
    compare(model, classical_state(0.7), TIMES, 800, seed=9)
    compare(model, dicke_state(j=4, m=1), TIMES, 800, seed=10)


def test_cat_state_full_space():
    model = SpinModel(N=4, h=(0.3, 0, 0), channels=[Channel("minus", gamma=lambda x: 0.8 + 0.3 * x, delta=(0, 0, 1))])
    compare(model, cat_state(), TIMES, 1500, seed=11, method="full")


def test_every_feature_two_blocks_full_space():
    """Fields, every coupling, the three operators, x/y/z in Delta, on blocks (3, 2), against 2^5."""
    compare(rich_block_model((3, 2)), coherent_state(theta=[0.5, 2.2], phi=[0.3, -0.4]), TIMES, 800, seed=12,
            method="full")


def general_model(N, delta):
    """A random complex local operator (identity part included), sigma_x, a projector and two
    collective channels (random operator, sigma_-) with operator-valued rates of `delta`."""
    rng = np.random.default_rng(21)
    o1, o2 = (rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2)) for _ in range(2))
    return SpinModel(N, h=(0.6, 0.1, 0.2), J=np.diag([0.3, 0, 0.5]),
                     channels=[Channel(o1, gamma=lambda x: 0.5 + 0.25 * x, delta=delta),
                               Channel("x", rate=0.2),
                               Channel([[1, 0], [0, 0]], gamma=lambda x: 0.4 * np.exp(x / 2), delta=(0, 0, 1)),
                               Channel(o2, rate=lambda x: 0.3 + 0.1 * np.tanh(x), delta=delta, collective=True),
                               Channel("minus", rate=0.5, collective=True)])


@pytest.mark.parametrize("delta", [(0, 0, 0.6), (0.5, -0.3, 0.3)], ids=["banded", "dense"])
def test_general_operators_and_collective_channels_full_space(delta):
    """Every Kraus operator of a general local operator (two for j -> j) and collective jumps,
    on the banded and the dense path, against 2^5."""
    compare(general_model(5, delta), product_state((0.3, 0.5, 0.6)), TIMES, 1000, seed=31, method="full")


def test_general_operators_and_collective_channels_N30():
    compare(general_model(30, (0, 0, 0.6)), coherent_state(theta=0.8, phi=0.3), TIMES, 600, seed=32)


@pytest.mark.slow
@pytest.mark.parametrize("N, ntraj", [(40, 8000), (80, 12000)])
def test_hopfield_large_ensembles(N, ntraj):
    compare(hopfield(N, beta=3.0, omega=0.3), coherent_state(theta=0.5), np.linspace(0, 4, 9), ntraj, seed=N)


@pytest.mark.slow
def test_delta_with_mx_component_large_ensemble():
    model = SpinModel(N=24, h=(0.5, 0, 0.2), J=np.diag([0.5, 0, 0]),
                      channels=[Channel("minus", gamma=lambda x: np.exp(x) / np.sqrt(2 * np.cosh(2 * x)),
                                        delta=(0.7, 0.2, 0.7)),
                                Channel("z", rate=lambda x: 0.2 + 0 * x)])
    compare(model, coherent_state(theta=1.0, phi=0.5), np.linspace(0, 3, 7), 8000, seed=14)


@pytest.mark.slow
def test_mixed_product_large_ensemble():
    compare(hopfield(40), product_state((0.5, 0.0, 0.6)), np.linspace(0, 3, 7), 8000, seed=13)
