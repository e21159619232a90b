"""Result types of the deterministic solvers and the axis conventions every result shares.

Conventions (docs/theory.md §9), with B blocks, a, c in (x, y, z) and T output times:

    times (T,)                       output times
    sizes (B,)                       block sizes N_b (a tuple)
    mean[b, a, t]                    omega_t(m_a^b)
    second[b, a, g, c, t]            omega_t((m_a^b m_c^g + m_c^g m_a^b) / 2)
    stderr, second_stderr            standard errors, same shapes (zero for exact and mean-field)

The time axis is always last. For a SpinModel (one block) the block axes are dropped: mean (3, T),
second (3, 3, T); `single_block` records that. Estimators (trajectories.analysis) accept any
result through `statistics()`: the ensemble mean of the per-block vector (`block_vector`) and the
covariance of its per-trajectory values; an exact result has zero covariance, hence zero error.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np

from models.spin import SpinModel
from .grid import combination_bins, find_distribution, grid_mz, tabulate

def pairs(C: int) -> tuple[tuple[int, int], ...]:
    """The C (C + 1)/2 distinct second moments of one block, (a, c) with a <= c, in block_vector order."""
    return tuple((a, c) for a in range(C) for c in range(a, C))


#: the 6 distinct second moments of a spin block
PAIRS = pairs(3)


def vector_size(C: int) -> int:
    """Length of a block vector with C components: C means and C (C + 1)/2 second moments."""
    return C + C * (C + 1) // 2


def block_vector(mean: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Per block the means and the distinct second moments: for spins the 9 numbers
    (m_x, m_y, m_z, m_xm_x, m_xm_y, m_xm_z, m_ym_y, m_ym_z, m_zm_z).

    mean (..., B, C), second (..., B, C, B, C) -> (..., B, C + C (C + 1)/2) (docs/theory.md §4).
    """
    within = np.moveaxis(np.diagonal(second, axis1=-4, axis2=-2), -1, -3)  # (..., B, C, C)
    second_pairs = np.stack([within[..., a, c] for a, c in pairs(mean.shape[-1])], axis=-1)
    return np.concatenate([mean, second_pairs], axis=-1)


def drops_block_axes(model) -> bool:
    """True for a SpinModel, whose results carry no block axes."""
    return isinstance(model, SpinModel)


class Statistics(NamedTuple):
    """What estimators need of a result: mu (T, B, 9) the mean block vector, cov (T, B, 9, B, 9)
    the covariance of per-trajectory block vectors (zero when exact) and n the number of
    trajectories (None when exact)."""
    mu: np.ndarray
    cov: np.ndarray
    n: int | None


class Result:
    """Base of every result: times, sizes, single_block and the axis conventions above.

    Subclasses provide `moment_arrays()`; `exact` is False only for sampled results.
    """

    exact = True

    def moment_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(first (T, B, 3), second (T, B, 3, B, 3)): time first, block axes kept."""
        raise NotImplementedError

    def public(self, a: np.ndarray, blocks: int = 1) -> np.ndarray:
        """(T, B, ...) -> (B, ..., T), the leading block axis dropped for a single-block SpinModel
        result; blocks=2 also drops the second block axis of (T, B, 3, B, 3) arrays."""
        a = np.moveaxis(np.asarray(a), 0, -1)
        if self.single_block:
            a = a[0]
            if blocks == 2:
                a = a[:, 0]
        return a

    def statistics(self) -> Statistics:
        first, second = self.moment_arrays()
        mu = block_vector(first, second)
        T, B, V = mu.shape
        return Statistics(mu, np.zeros((T, B, V, B, V)), None)

    @property
    def stderr(self) -> np.ndarray:
        return np.zeros_like(self.mean)

    @property
    def second_stderr(self) -> np.ndarray:
        return np.zeros_like(self.second)


def with_blocks(mean: np.ndarray, second: np.ndarray, single_block: bool):
    """Public-convention arrays -> (first (T, B, 3), second (T, B, 3, B, 3))."""
    mean, second = np.asarray(mean), np.asarray(second)
    if single_block:
        mean, second = mean[None], second[None, :, None]
    return np.moveaxis(mean, -1, 0), np.moveaxis(second, -1, 0)


class DiagonalResults:
    """Lookup of the distributions and diagonal observables a result recorded (base/grid.py), from
    its plain-data `diagonal` dict: "distributions" (names), "weights" (R, B), "values" (R lists of
    ascending bin values), "observables" (names)."""

    def _weights(self) -> np.ndarray:
        return np.asarray(self.diagonal.get("weights", []), dtype=float).reshape(-1, len(self.sizes))

    def _values(self, r: int) -> np.ndarray:
        return np.asarray(self.diagonal["values"][r], dtype=float)

    def _bins(self, r: int) -> tuple[int, int]:
        sizes = [len(v) for v in self.diagonal["values"]]
        lo = int(sum(sizes[:r]))
        return lo, lo + sizes[r]

    def _observable_index(self, name: str) -> int:
        names = self.diagonal.get("observables", [])
        if name not in names:
            raise ValueError(f"no diagonal observable {name!r} was recorded; recorded: {names} "
                             "(pass observables={name: function} to the run)")
        return names.index(name)


@dataclass
class ExactResult(DiagonalResults, Result):
    """Exact omega_t(m_a^b) and omega_t((m_a^b m_c^g + m_c^g m_a^b)/2) of the master equation.

    mean, second: the shapes of the module conventions; method: "full" (2^N or d^N) or "sectors".
    For a QuditModel (kind "qudit") mean has shape (d^2, T) and second (d^2, d^2, T): the
    components in the model's orthonormal basis.
    populations : (T, G) the probabilities of the m_z-tuples on the grid (base/grid.py), from
        which distribution() and observable() follow (None for a QuditModel)
    diagonal : the named distributions and observables asked for (DiagonalResults)
    """

    times: np.ndarray
    sizes: tuple
    single_block: bool
    mean: np.ndarray
    second: np.ndarray
    method: str
    populations: np.ndarray | None = field(default=None, repr=False)
    diagonal: dict = field(default_factory=dict, repr=False)
    observable_values: dict = field(default_factory=dict, repr=False)
    kind: str = "spin"

    def _populations(self) -> np.ndarray:
        if self.populations is None:
            raise ValueError(f"this {self.kind} result has no m_z populations (a QuditModel result)")
        return self.populations

    def distribution(self, block=None, *, name=None, weights=None):
        """The exact distribution of m_z^b (block, default 0) or of sum_b w_b m_z^b (weights (B,),
        or the name of a combination asked for): (values (nb,) ascending, P (nb, T), zeros)."""
        pops = self._populations()
        B = len(self.sizes)
        if name is not None:
            w = self._weights()[find_distribution(self.diagonal.get("distributions", []), self._weights(),
                                                  None, name, None)]
        elif weights is not None:
            if block is not None:
                raise ValueError("give one of block, name or weights")
            w = np.asarray(weights, dtype=float)
            if w.shape != (B,) or not np.all(np.isfinite(w)) or not np.any(w):
                raise ValueError(f"weights must be {B} finite numbers (one per block), not all zero")
        else:
            block = 0 if block is None else block
            if not isinstance(block, (int, np.integer)) or not 0 <= block < B:
                raise ValueError(f"block must be a block index in 0..{B - 1}, got {block!r}")
            w = np.eye(B)[block]
        bin_of, values = combination_bins(w @ grid_mz(self.sizes))
        P = np.stack([np.bincount(bin_of, weights=p, minlength=len(values)) for p in pops], axis=-1)
        return values, P, np.zeros_like(P)

    def observable(self, f):
        """(<f>(t) (T,), zeros): f a function of the B block magnetisations m_z^b (vectorised) or
        the name of an observable passed to exact_evolution."""
        if isinstance(f, str):
            self._observable_index(f)
            value = self.observable_values[f]
        else:
            value = self._populations() @ tabulate(getattr(f, "__name__", "f"), f, self.sizes)
        return value, np.zeros_like(value)

    def moment_arrays(self):
        return with_blocks(self.mean, self.second, self.single_block)

    def __str__(self) -> str:
        return (f"ExactResult(method={self.method!r}, kind={self.kind!r}, sizes={self.sizes}, times {self.times[0]:g}.."
                f"{self.times[-1]:g} ({len(self.times)}))")


@dataclass
class MeanFieldResult(Result):
    """Mean-field solution (paper eq. 21; docs/theory.md §5).

    mean : (B, 3, T), (3, T) for a SpinModel (Pauli units, like every result), or (d^2, T) for a
        QuditModel (components in the model's basis)
    second : products of the means, the second moments of the mean-field product state
        (block axes as mean; None for a QuditModel)
    rho : single-site states (B, d, d, T), (d, d, T) for a SpinModel or a QuditModel
    method : "master" (single-site master equation) or "lemma3"
    m_at(t), rho_at(t) : the dense-output interpolant at a scalar t (no T axis) or an array t
    """

    times: np.ndarray
    sizes: tuple
    single_block: bool
    mean: np.ndarray
    second: np.ndarray | None
    rho: np.ndarray
    method: str
    kind: str = "spin"
    interpolant: Callable | None = field(default=None, repr=False)

    def m_at(self, t) -> np.ndarray:
        """Mean-field averages at t (scalar: the shape of mean without T; array: T axis last)."""
        return self._evaluate(t)[0]

    def rho_at(self, t) -> np.ndarray:
        """Single-site states at t, with the axes of rho (no T axis for a scalar t)."""
        return self._evaluate(t)[1]

    def _evaluate(self, t):
        t = np.asarray(t, dtype=float)
        if self.interpolant is None:
            if np.any(t != 0):
                raise ValueError("this solution only holds t = 0")
            pick = (lambda a: a[..., 0]) if t.ndim == 0 else (lambda a: np.repeat(a[..., :1], t.size, -1))
            return pick(self.mean), pick(self.rho)
        if np.any(t < 0) or np.any(t > self.times[-1] + 1e-12):
            raise ValueError(f"t must be in [0, {self.times[-1]}] (the integrated range)")
        return self.interpolant(t)

    def moment_arrays(self):
        if self.kind != "spin":
            raise ValueError("estimators of spin average operators need a spin mean-field result, "
                             "got a qudit one")
        return with_blocks(self.mean, self.second, self.single_block)

    def __str__(self) -> str:
        return (f"MeanFieldResult(method={self.method!r}, sizes={self.sizes}, times {self.times[0]:g}.."
                f"{self.times[-1]:g} ({len(self.times)}))")


@dataclass
class LocalResult:
    """k sites under the effective local generator (paper eq. 50; docs/theory.md §5).

    rho : (d^k, d^k, T) the k-site state (np.kron order, site 1 most significant)
    blocks : the block of each site
    mean_field : the MeanFieldResult that fixes the generator's m(t)
    """

    times: np.ndarray
    sizes: tuple
    rho: np.ndarray
    blocks: tuple
    mean_field: MeanFieldResult = field(repr=False)

    def expect(self, observable) -> np.ndarray:
        """tr(O rho(t)), shape (T,); real for a Hermitian O (d^k, d^k), complex otherwise."""
        O = np.asarray(observable, dtype=complex)
        if O.shape != self.rho.shape[:2]:
            raise ValueError(f"observable must have shape {self.rho.shape[:2]}, got {O.shape}")
        values = np.einsum("ij,jit->t", O, self.rho)
        return values.real if np.allclose(O, O.conj().T) else values


@dataclass
class FluctuationResult:
    """Gaussian fluctuations about mean field (linear-noise expansion; docs/theory.md §10).

    sigma : (B, 3, B, 3, T), (3, 3, T) for a SpinModel, (d^2, d^2, T) for a QuditModel:
        Sigma = lim N Cov(m_a^b, m_c^g), the symmetrised covariance of the block averages times N
        (so Cov ~ Sigma / N at large N)
    clustering : (T,) lim N E_N(t) = sum_b (N_b/N) 1/2 sum_a Sigma^{bb}_{aa} (paper eq. 24)
    mean_field : the MeanFieldResult about which the expansion is made
    """

    times: np.ndarray
    sizes: tuple
    single_block: bool
    sigma: np.ndarray
    clustering: np.ndarray
    mean_field: MeanFieldResult = field(repr=False)

    def _blocks(self) -> np.ndarray:
        """sigma with block axes, (B, 3, B, 3, T)."""
        return self.sigma[None, :, None] if self.single_block else self.sigma

    def spread(self, N: int) -> np.ndarray:
        """Predicted standard deviation sqrt(Sigma_aa / N) of m_a^b at N spins, shaped like mean."""
        b, a = np.arange(len(self.sizes))[:, None], np.arange(self._blocks().shape[1])[None, :]
        d = np.sqrt(np.maximum(self._blocks()[b, a, b, a], 0) / N)   # (B, 3, T)
        return d[0] if self.single_block else d

    def site_correlations(self, block: int = 0, other: int | None = None) -> np.ndarray:
        """lim N C_ac(t) (3, 3, T) of two distinct sites, in `block` and in `other` (default the same).

        C_ac = omega((sigma_a^i sigma_c^j + sigma_c^j sigma_a^i)/2) - omega(sigma_a^i) omega(sigma_c^j).
        Within a permutation-invariant block of N_b sites, N_b Cov(m_a, m_c) = (delta_ac - m_a m_c)
        + (N_b - 1) C_ac (docs/theory.md §4), so lim N C = Sigma^{bb} - (delta - m m^T) N / N_b;
        between blocks C = Cov(m^b, m^g), lim N C = Sigma^{bg}.
        """
        B = len(self.sizes)
        other = block if other is None else other
        for name, b in (("block", block), ("other", other)):
            if not isinstance(b, (int, np.integer)) or not 0 <= b < B:
                raise ValueError(f"{name} must be a block index in 0..{B - 1}, got {b!r}")
        s = self._blocks()[block, :, other]
        if block != other:
            return s.copy()
        if self.sizes[block] < 2:
            raise ValueError(f"block {block} has one site: two distinct sites need a block of size >= 2")
        m = self.mean_field.mean if not self.single_block else self.mean_field.mean[None]
        m = m[block]                                                 # (3, T)
        single = np.eye(3)[:, :, None] - m[:, None] * m[None, :]
        return s - single * sum(self.sizes) / self.sizes[block]


@dataclass
class CorrelationResult:
    """Two-time correlations <A(t + s) B(t)> (quantum regression; docs/theory.md §12).

    times : (T,) the earlier times t
    lags : (S,) the delays s >= 0
    values : (T, S) complex, values[i, k] = <A(t_i + s_k) B(t_i)>
    b_mean : (T,) complex, <B(t_i)>
    a_mean : (T, S) complex, <A(t_i + s_k)>, or None when not computed
    method : "sectors", "full" (exact) or "local" (the effective local generator, paper eq. 50)
    """

    times: np.ndarray
    lags: np.ndarray
    values: np.ndarray
    b_mean: np.ndarray
    a_mean: np.ndarray | None
    method: str
    sizes: tuple

    def connected(self) -> np.ndarray:
        """<A(t + s) B(t)> - <A(t + s)> <B(t)>, shape (T, S); needs a_mean (connected=True)."""
        if self.a_mean is None:
            raise ValueError("connected() needs <A(t + s)>: compute the correlation with connected=True")
        return self.values - self.a_mean * self.b_mean[:, None]
