"""General d-level models with collective operator-valued rates (docs/theory.md §6, paper §3).

    H = sum_k sum_alpha eps_alpha v_alpha^(k) + (1/N) sum_{k,j} sum_{alpha,beta} h_{alpha beta} v_alpha^(k) v_beta^(j)
    J_lk = j_l^(k) Gamma_l(Delta_l),   Delta_l = sum_alpha r_{l alpha} m_alpha,   m_alpha = (1/N) sum_k v_alpha^(k)

{v_alpha} (alpha = 0..d^2-1) is an orthonormal Hermitian basis of M_d(C), tr(v_alpha v_beta) = delta;
the default is the generalised Gell-Mann basis of `gell_mann(d)` with v_0 = 1/sqrt(d). Because
m_0 = 1/sqrt(d) identically, r_{l0} is a constant offset r_{l0}/sqrt(d) in Delta_l and eps_0, h_{0 beta}
only shift energies or fields.

Spin-1/2 models convert without loss (`QuditModel.from_spin`): with v = (1, sigma_x, sigma_y, sigma_z)/sqrt 2,
eps = sqrt2 (0, h), h_{ab} = 2 J_ab (a, b >= 1), r_l = sqrt2 (c0_l, c_l) and j_l = o_l. Only single-block
spin models convert (a QuditModel is one block); multi-block spin models use the spin route of
trajectories.meanfield directly.
"""
from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np

from .spin import BlockModel, dense_matrix, evaluate_amplitude, rate_function, real_array



def gell_mann(d: int) -> np.ndarray:
    """Generalised Gell-Mann basis (d^2, d, d), orthonormal: tr(v_a v_b) = delta_ab.

    Order: v_0 = 1/sqrt(d); then for every pair j < k the symmetric (|j><k| + |k><j|)/sqrt2 and the
    antisymmetric (-i|j><k| + i|k><j|)/sqrt2; then the diagonal ones
    (sum_{i<l} |i><i| - l |l><l|) / sqrt(l (l + 1)), l = 1..d-1. For d = 2 this is
    (1, sigma_x, sigma_y, sigma_z)/sqrt2 in the basis (up, down).
    """
    if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or d < 2:
        raise ValueError(f"d must be an integer >= 2, got {d!r}")
    out = [np.eye(d, dtype=complex) / math.sqrt(d)]
    for j in range(d):
        for k in range(j + 1, d):
            s = np.zeros((d, d), dtype=complex)
            s[j, k] = s[k, j] = 1 / math.sqrt(2)
            a = np.zeros((d, d), dtype=complex)
            a[j, k], a[k, j] = -1j / math.sqrt(2), 1j / math.sqrt(2)
            out += [s, a]
    for l in range(1, d):
        diag = np.zeros(d)
        diag[:l] = 1.0
        diag[l] = -l
        out.append(np.diag(diag / math.sqrt(l * (l + 1))).astype(complex))
    return np.array(out)


def check_basis(basis, d: int) -> np.ndarray:
    """`basis` as a (d^2, d, d) complex array, Hermitian and orthonormal, or a ValueError naming it."""
    v = np.asarray(basis)
    if v.shape != (d * d, d, d):
        raise ValueError(f"basis must have shape ({d * d}, {d}, {d}), got {v.shape}")
    v = v.astype(complex)
    if not np.all(np.isfinite(v)):
        raise ValueError("basis must be finite")
    if not np.allclose(v, np.conj(np.swapaxes(v, 1, 2)), rtol=0, atol=1e-12):
        raise ValueError("basis must consist of Hermitian matrices")
    gram = np.einsum("aij,bji->ab", v, v)
    if not np.allclose(gram, np.eye(d * d), rtol=0, atol=1e-10):
        raise ValueError("basis must be orthonormal: tr(v_a v_b) = delta_ab")
    return v


class QuditChannel:
    """One dissipative channel J_k = j^(k) Gamma(Delta) on every site k, Delta = sum_alpha r_alpha m_alpha.

    Parameters
    ----------
    op : array_like (d, d) or qutip.Qobj
        The single-site operator j (any complex matrix).
    gamma : callable or float, optional
        The amplitude Gamma (real, vectorised; a number for a constant). Give either `gamma` or `rate`
        (= Gamma^2 >= 0).
    rate : callable or float, optional
    r : array_like (d^2,)
        Real coefficients of Delta in the model's basis (r_0 / sqrt(d) is a constant offset).
    collective : bool
        True: the single jump operator (1/sqrt(N)) sum_k j^(k) Gamma(Delta) instead of one per site
        (docs/theory.md §1, collective channels).
    """

    def __init__(self, op, gamma: Callable | None = None, r=None, rate: Callable | None = None,
                 collective: bool = False):
        arr = np.asarray(dense_matrix(op))
        if arr.ndim != 2 or arr.shape[0] != arr.shape[1] or arr.shape[0] < 2:
            raise ValueError(f"op must be a square (d, d) matrix with d >= 2, got shape {arr.shape}")
        try:
            arr = arr.astype(complex)
        except (TypeError, ValueError):
            raise ValueError("op must be a numeric (d, d) matrix") from None
        if not np.all(np.isfinite(arr)):
            raise ValueError("op must be finite")
        if not np.any(arr):
            raise ValueError("op must be a non-zero matrix (a zero operator never jumps)")
        if not isinstance(collective, (bool, np.bool_)):
            raise ValueError(f"collective must be True or False, got {collective!r}")
        self.collective = bool(collective)
        gamma, rate = rate_function(gamma, rate)
        self.op = arr
        self.d = arr.shape[0]
        self.gamma, self.rate = gamma, rate
        self.r = real_array("r", np.zeros(self.d ** 2) if r is None else r, (self.d ** 2,))

    def amplitude(self, x) -> np.ndarray:
        """Gamma on the real values x (checked: vectorised, real, finite; rate >= 0)."""
        return evaluate_amplitude(self.gamma, self.rate, x)

    def __repr__(self) -> str:
        fn = self.gamma or self.rate
        return (f"QuditChannel(d={self.d}, {'gamma' if self.gamma is not None else 'rate'}="
                f"{getattr(fn, '__name__', fn)}, r={self.r.tolist()})")


class QuditModel:
    """N d-level particles (one block): fields eps (d^2,), couplings h (d^2, d^2), channels.

    h must be symmetric (sum h_ab V_a V_b with V_a = sum_k v_a^(k) is Hermitian only then).
    `basis` defaults to gell_mann(d). Attributes: N, d, basis, eps, h, channels, sizes = (N,).
    """

    def __init__(self, N: int, d: int, eps=None, h=None, channels: Sequence[QuditChannel] = (), basis=None):
        if isinstance(N, (bool, np.bool_)) or not isinstance(N, (int, np.integer)) or N < 1:
            raise ValueError(f"N must be an integer >= 1, got {N!r}")
        if isinstance(d, (bool, np.bool_)) or not isinstance(d, (int, np.integer)) or d < 2:
            raise ValueError(f"d must be an integer >= 2, got {d!r}")
        self.N, self.d = int(N), int(d)
        n = self.d ** 2
        self.basis = gell_mann(self.d) if basis is None else check_basis(basis, self.d)
        self.eps = real_array("eps", np.zeros(n) if eps is None else eps, (n,))
        self.h = real_array("h", np.zeros((n, n)) if h is None else h, (n, n))
        if not np.allclose(self.h, self.h.T, rtol=0, atol=1e-12):
            raise ValueError("h must be symmetric (h_ab V_a V_b is Hermitian only then)")
        self.channels = tuple(channels)
        for i, ch in enumerate(self.channels):
            if not isinstance(ch, QuditChannel):
                raise ValueError(f"channels[{i}] must be a QuditChannel, got {type(ch).__name__}")
            if ch.d != self.d:
                raise ValueError(f"channels[{i}].op must be {self.d} x {self.d}, got {ch.d} x {ch.d}")

    @property
    def sizes(self) -> tuple[int]:
        return (self.N,)

    @property
    def B(self) -> int:
        return 1

    def delta_range(self, l: int) -> tuple[float, float]:
        """(lo, hi): the values Delta_l = tr(rho R_l) takes over single-site states, the extreme
        eigenvalues of R_l = sum_a r_a v_a."""
        w = np.linalg.eigvalsh(np.einsum("a,aij->ij", self.channels[l].r, self.basis))
        return float(w[0]), float(w[-1])

    def components(self, rho: np.ndarray) -> np.ndarray:
        """m_alpha = tr(rho v_alpha) of single-site matrices rho (..., d, d) -> (..., d^2), real."""
        return np.einsum("...ij,aji->...a", rho, self.basis).real

    def density(self, m: np.ndarray) -> np.ndarray:
        """rho = sum_alpha m_alpha v_alpha from components (..., d^2) -> (..., d, d)."""
        return np.einsum("...a,aij->...ij", np.asarray(m, dtype=float), self.basis)

    @classmethod
    def from_spin(cls, model: BlockModel) -> "QuditModel":
        """The d = 2 QuditModel of a single-block spin model (SpinModel or BlockModel with B = 1).

        eps = sqrt2 (0, h), h_{ab} = 2 J_ab, r_l = sqrt2 (c0_l, c_l), j_l = sigma_-, sigma_+ or sigma_z,
        the same Gamma_l; m^qudit_a = m^Pauli_a / sqrt2 (a = x, y, z), m^qudit_0 = 1/sqrt2.
        Multi-block models are refused (ValueError): use the spin route of mean_field for them.
        """
        if not isinstance(model, BlockModel):
            raise ValueError(f"model must be a SpinModel or BlockModel, got {type(model).__name__}")
        if model.B != 1:
            raise ValueError(f"model has {model.B} blocks: QuditModel.from_spin converts single-block models "
                             "only (use trajectories.meanfield on the BlockModel directly)")
        s2 = math.sqrt(2)
        eps = np.concatenate([[0.0], s2 * model.h[0]])
        h = np.zeros((4, 4))
        h[1:, 1:] = 2 * model.J[0, 0]
        chans = []
        for l, ch in enumerate(model.channels):
            r = s2 * np.concatenate([[ch.offset], model.delta(l)[0]])
            chans.append(QuditChannel(ch.matrix, gamma=ch.amplitude, r=r, collective=ch.collective))
        return cls(model.N, 2, eps=eps, h=h, channels=chans)

    def describe(self) -> dict:
        """Plain-data description (for results metadata); complex matrices as [re, im] pairs."""
        pairs = lambda a: [[[z.real, z.imag] for z in row] for row in np.asarray(a)]   # noqa: E731
        return {
            "kind": type(self).__name__, "N": self.N, "d": self.d, "sizes": [self.N], "eps": self.eps.tolist(),
            "h": self.h.tolist(), "basis": [pairs(v) for v in self.basis],
            "channels": [{"op": pairs(c.op), "r": c.r.tolist(), "collective": c.collective,
                          "function": repr(c)} for c in self.channels],
        }

    def __repr__(self) -> str:
        return f"QuditModel(N={self.N}, d={self.d}, channels={len(self.channels)})"
