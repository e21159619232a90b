"""Test systems shared by the test modules (documented in tests/README.md)."""
import importlib.util
from pathlib import Path

import numpy as np
from models import BlockModel, Channel, hopfield_model


def hopfield(N, beta=2.0, omega=0.5):
    """Single-block quantum Hopfield model, eq. 59 rates (docs/theory.md §7)."""
    return hopfield_model(N, beta, omega)


#: a local operator with every component: c_+ = 0.5, c_- = -0.4i, c_z = 0.1 + 0.1i, c_1 = 0.2 + 0.1i
GENERAL_OP = np.array([[0.3 + 0.2j, 0.5], [-0.4j, -0.1]])


def rich_block_model(sizes=(3, 2)):
    """Two blocks, every coupling component, fields, x/y/z in Delta, four local channels (sigma_-,
    sigma_+, sigma_z and a complex 2x2 matrix with sigma_+, sigma_-, sigma_z and identity parts,
    whose Q = sum_k o^+ o is not diagonal) and a collective channel (sigma_- + 0.3 sigma_z)."""
    rng = np.random.default_rng(5)
    B = len(sizes)
    J = rng.normal(size=(B, B, 3, 3))
    J = (J + J.transpose(1, 0, 3, 2)) / 2
    h = rng.normal(size=(B, 3))
    d1 = np.zeros((B, 3)); d1[0, 2] = 0.7; d1[-1, 2] = -0.4
    d2 = np.zeros((B, 3)); d2[0] = (0.5, -0.3, 0.2)
    chans = [Channel("minus", gamma=lambda x: 1 + 0.5 * x, delta=d1, block=0),
             Channel("plus", rate=lambda x: 0.3 + 0.2 * x ** 2, delta=d1, block=B - 1),
             Channel("z", gamma=lambda x: 0.4 * np.cos(x), delta=d2, offset=0.1, block=0),
             Channel(GENERAL_OP, gamma=lambda x: 0.5 + 0.2 * x, delta=d1, block=B - 1),
             Channel([[0.3, 0], [1, -0.3]], rate=lambda x: 0.6 + 0.3 * np.tanh(x), delta=d2, block=0,
                     collective=True)]
    return BlockModel(sizes, h=h, J=J, channels=chans)


def two_block_model(jxx=0.5):
    """Blocks (8, 6) coupled by J^{01}_zz = 1 and J^{01}_xx = jxx, fields on both, a collective
    sigma_+ rate on block 0 and sigma_- rate on block 1, both driven by (m_z^0 + m_z^1)/2."""
    J = np.zeros((2, 2, 3, 3))
    J[0, 1, 2, 2] = J[1, 0, 2, 2] = 1.0
    J[0, 1, 0, 0] = J[1, 0, 0, 0] = jxx
    gp = lambda x: np.exp(x) / np.sqrt(2 * np.cosh(2 * x))  # noqa: E731
    d = np.array([[0, 0, 0.5], [0, 0, 0.5]])
    return BlockModel((8, 6), h=[(0.5, 0, 0), (0.2, 0, 0.1)], J=J,
                      channels=[Channel("plus", gamma=gp, delta=d, block=0),
                                Channel("minus", gamma=lambda x: gp(-x), delta=d, block=1)])


def load_experiment(name):
    """The module of experiments/<name>.py (scripts are not a package)."""
    path = Path(__file__).resolve().parents[1] / "experiments" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_fast(name, tmp_path_factory):
    """Run `python experiments/<name>.py --fast` once into a temporary folder: (result, png, data, folder)."""
    tmp = tmp_path_factory.mktemp(name)
    png, data = tmp / f"{name}.png", tmp / f"{name}.npz"
    result = load_experiment(name).main(["--fast", "--out", str(png), "--data", str(data)])
    return result, png, data, tmp


def assert_replots(name, result, png, data, folder):
    """The figure was written, the saved data hold the whole result, and plot() draws the figure
    again from the saved data alone."""
    assert 10_000 < png.stat().st_size < 400_000
    loaded = dict(np.load(data))
    assert set(loaded) == set(result)
    other = folder / "replot.png"
    load_experiment(name).plot(loaded, other)
    assert other.stat().st_size > 10_000
