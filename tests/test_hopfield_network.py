"""Quantum Hopfield networks: blocks from patterns, eq. 58/59, gauge reduction, against 2^N."""
import numpy as np
import pytest
from scipy.linalg import expm

from models.hopfield import HopfieldNetwork, hopfield_rates, random_patterns
from trajectories import exact_evolution, product_state

SZ = np.diag([1.0, -1.0])
SP = np.array([[0, 1], [0, 0]], dtype=float)
SX = np.array([[0, 1], [1, 0]], dtype=float)


def _site(op, k, N):
    return np.kron(np.kron(np.eye(2 ** k), op), np.eye(2 ** (N - k - 1)))


def site_level_overlaps(xi, beta, omega, variant, bloch, times):
    """Pattern overlaps from the site-level Lindblad equation written directly from the patterns."""
    p, N = xi.shape
    sz = [np.diag(_site(SZ, k, N)) for k in range(N)]
    gp, gm = hopfield_rates(beta)
    H = omega * sum(_site(SX, k, N) for k in range(N))
    jumps = []
    for k in range(N):
        sites = [j for j in range(N) if variant == "eq59" or j != k]
        dE = sum(xi[mu, k] * xi[mu, j] * sz[j] for mu in range(p) for j in sites) / N
        jumps.append(_site(SP, k, N) @ np.diag(gp(dE)))
        jumps.append(_site(SP.T, k, N) @ np.diag(gm(dE)))
    d = 2 ** N
    eye = np.eye(d)
    Heff = H - 0.5j * sum(J.conj().T @ J for J in jumps)
    L = -1j * np.kron(Heff, eye) + 1j * np.kron(eye, Heff.conj()) + sum(np.kron(J, J.conj()) for J in jumps)
    rho = np.array([[1.0]])
    for r in bloch:
        rho = np.kron(rho, (np.eye(2) + r[0] * SX + r[2] * SZ) / 2)
    out = []
    for t in times:
        rt = (expm(L * t) @ rho.ravel()).reshape(d, d)
        out.append([np.real(np.trace(rt @ np.diag(sum(xi[mu, k] * sz[k] for k in range(N))))) / N
                    for mu in range(p)])
    return np.array(out).T


@pytest.mark.parametrize("variant", ["eq59", "eq58"])
def test_reduced_and_unreduced_networks_match_site_level_dynamics(variant):
    xi = np.array([[1, -1, 1, -1, 1], [1, 1, -1, -1, 1]])  # p = 2, N = 5: all four signatures
    beta, omega, times = 1.7, 0.4, np.array([0.0, 0.6, 1.5])
    site_bloch = [(0.3, 0, 0.6 * xi[0, k]) for k in range(5)]  # pattern 1, corrupted, tilted to x
    expected = site_level_overlaps(xi, beta, omega, variant, site_bloch, times)
    for gauge in (False, True):
        net = HopfieldNetwork(xi, beta, omega, variant=variant, gauge=gauge)
        assert len(net.sizes) == (2 if gauge else 4)
        r = net.block_bloch(lambda s: (0.3, 0, 0.6 * s[0]))
        ref = exact_evolution(net.model, product_state(r), times, method="full")
        np.testing.assert_allclose(net.overlaps(ref.mean[:, 2]), expected, atol=1e-9)
    # the two variants differ by O(p/N): the comparison above can tell them apart
    other = site_level_overlaps(xi, beta, omega, "eq58" if variant == "eq59" else "eq59", site_bloch, times)
    assert np.abs(other - expected).max() > 1e-3


def test_blocks_from_patterns():
    xi = random_patterns(3, 200, seed=4)
    net = HopfieldNetwork(xi, 2.0, 0.3)
    assert sum(net.sizes) == 200 and len(net.sizes) == 4
    assert np.all(net.signatures[:, 0] == 1)
    for b, s in enumerate(net.signatures):
        sites = net.block_of_site == b
        frame = np.where(net.flipped, -xi, xi)
        assert np.all(frame[:, sites] == s[:, None])
    np.testing.assert_allclose(net.overlaps(np.ones(len(net.sizes))), np.where(net.flipped, -xi, xi).mean(axis=1))
    # the initial state of pattern 1 is +z in every block of the gauge frame
    np.testing.assert_allclose(net.pattern_bloch(0, 0.25)[:, 2], 0.5)
    with pytest.raises(ValueError, match="not permutation invariant"):
        net.block_bloch(lambda s: (0, 0, 1.0))  # +z for every original signature is not gauge-consistent
    with pytest.raises(ValueError, match="patterns must be"):
        HopfieldNetwork(np.array([[1, 0]]), 1.0, 1.0)
    with pytest.raises(ValueError, match="variant must be"):
        HopfieldNetwork(xi, 1.0, 1.0, variant="eq60")
