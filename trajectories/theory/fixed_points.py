"""Mean-field fixed points and their linear stability (paper eq. 21; docs/theory.md §5, §7, §8).

For a SpinModel or BlockModel the mean-field state is one Bloch vector m_b per block (shape (B, 3),
|m_b| <= 1) and the dynamics is dm/dt = f(m), f = `trajectories.theory.meanfield.vector_field(model)`.
In Bloch form (Pauli units), with F_b the mean-field Hamiltonian H_mf^b = F_b . sigma and
R_l = Gamma_l(Delta_l)^2,

    f_b(m) = 2 F_b x m_b + sum_{l: block(l) = b} R_l(Delta_l(m)) (A_l m_b + c_l),
    F_b = h_b + sum_g (N_g/N) (J^{bg} + (J^{gb})^T) m_g,   Delta_l = c0_l + sum_g r_{l,g} . m_g,
    sigma_-: A = diag(-1/2, -1/2, -1), c = (0, 0, -1);  sigma_+: A = diag(-1/2, -1/2, -1), c = (0, 0, 1);
    sigma_z: A = diag(-2, -2, 0), c = 0.

A fixed point solves f(m) = 0 inside the Bloch ball; it is linearly stable when every eigenvalue of the
Jacobian Df (3B x 3B, index 3 b + a) has a negative real part. The Jacobian is analytic in the form
above; only the derivatives R_l' of the rate functions are numerical (Ridders' extrapolation).

General API: `fixed_points` (multi-start root search), `fixed_point_from` (one start), `stability`
(Jacobian and eigenvalues at a given m), `jacobian`, `follow_branch` (natural continuation in a
parameter) and `stability_boundary` (where a branch changes stability: pitchfork, fold or Hopf).
Closed forms: the single-block Hopfield model (`hopfield_retrieval_mz`, `hopfield_fixed_points`,
`hopfield_phase_boundaries`, docs/theory.md §7) and the kinetic model's stationary density
(`kinetic_stationary_density`, docs/theory.md §8).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.optimize import brentq, root
from scipy.stats import qmc

from ..base.checks import check_model
from .meanfield import PAULI, dissipator, vector_field

def bloch_dissipator(o: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(A (3, 3), c (3,)) of the Bloch form A m + c of D[o] for a 2x2 operator o:
    c_a = tr(sigma_a D[o](1/2)), A_ab = tr(sigma_a D[o](sigma_b/2)) (e.g. sigma_-: A = diag(-1/2,
    -1/2, -1), c = (0, 0, -1))."""
    basis = np.concatenate([np.eye(2)[None], PAULI]) / 2                  # 1/2, sigma_b/2
    D = np.array([dissipator(o, x) for x in basis])
    T = np.einsum("aij,bji->ab", PAULI, D).real                          # (3, 4)
    return T[:, 1:], T[:, 0]


@dataclass(frozen=True)
class FixedPoint:
    """A mean-field fixed point with its linearisation.

    Attributes
    ----------
    m : ndarray (B, 3)
        Bloch vectors per block.
    jacobian : ndarray (3B, 3B)
        Df at m, rows and columns indexed 3 b + a (a = x, y, z).
    eigenvalues : ndarray (3B,) complex
        Eigenvalues of the Jacobian, by decreasing real part.
    residual : float
        max |f(m)|.
    stable : bool
        Every eigenvalue has real part < -tol (linear stability; marginal points are not stable).
    """

    m: np.ndarray
    jacobian: np.ndarray
    eigenvalues: np.ndarray
    residual: float
    stable: bool

    @property
    def growth_rate(self) -> float:
        """The largest real part of the eigenvalues (< 0: stable)."""
        return float(self.eigenvalues[0].real)

    def __repr__(self) -> str:
        return (f"FixedPoint(m={np.round(self.m, 6).tolist()}, stable={self.stable}, "
                f"growth_rate={self.growth_rate:.6g}, residual={self.residual:.1e})")


@dataclass(frozen=True)
class Bifurcation:
    """Where a fixed-point branch changes stability (`stability_boundary`).

    parameter: the critical parameter value; fixed_point: the branch there; kind: "hopf" (a complex pair
    crosses the imaginary axis) or "real" (a real eigenvalue crosses zero: pitchfork, fold,
    transcritical); frequency: |Im| of the critical eigenvalue (0 for "real").
    """

    parameter: float
    fixed_point: FixedPoint
    kind: str
    frequency: float


# ----------------------------------------------------------------------------------------------
# Jacobian and stability
# ----------------------------------------------------------------------------------------------

def _bloch(model, m) -> np.ndarray:
    """m as a float array (B, 3) (a SpinModel also takes (3,))."""
    arr = np.asarray(m, dtype=float)
    if arr.shape == (3,) and model.B == 1:
        arr = arr[None]
    if arr.shape != (model.B, 3):
        raise ValueError(f"m must have shape ({model.B}, 3){' or (3,)' if model.B == 1 else ''}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("m must be finite")
    return arr


def derivative(fn: Callable, x: float, step: float = 0.05, steps: int = 20) -> tuple[float, float]:
    """(f(x), f'(x)) of a vectorised real function f at the real value x.

    f' by Ridders' polynomial extrapolation of central differences with the steps step / 1.4^k
    (k < steps), keeping the entry of the extrapolation table with the smallest error estimate: about
    1e-12 relative for functions that vary on scales down to ~step / 1.4^steps (1e-4).
    f must be defined on [x - step, x + step].
    """
    h = step / 1.4 ** np.arange(steps)
    values = np.asarray(fn(np.concatenate([[x], x + h, x - h])), dtype=float)
    table = (values[1:steps + 1] - values[steps + 1:]) / (2 * h)      # column j: j-fold extrapolated
    best, err = table[0], np.inf
    for j in range(1, steps):
        factor = 1.4 ** (2 * j)
        column = (factor * table[1:] - table[:-1]) / (factor - 1)     # entries k = j..steps-1
        e = np.maximum(np.abs(column - table[1:]), np.abs(column - table[:-1]))
        i = int(np.argmin(e))
        if e[i] <= err:
            best, err = column[i], e[i]
        table = column
    return float(values[0]), float(best)


def rate_derivative(channel, x: float) -> tuple[float, float]:
    """(R(x), R'(x)) of the rate R = Gamma^2 of `channel` at the real value x (`derivative`)."""
    return derivative(lambda y: channel.amplitude(y) ** 2, x)


def amplitude_derivative(channel, x: float) -> tuple[float, float]:
    """(Gamma(x), Gamma'(x)) of the amplitude of `channel` at the real value x (`derivative`)."""
    return derivative(channel.amplitude, x)


def _cross(v: np.ndarray) -> np.ndarray:
    """[v]_x with [v]_x u = v x u."""
    return np.array([[0.0, -v[2], v[1]], [v[2], 0.0, -v[0]], [-v[1], v[0], 0.0]])


def amplitudes_at(model, m: np.ndarray) -> np.ndarray:
    """(Gamma_l, Gamma_l') at Delta_l(m) for every channel, shape (L, 2) (`amplitude_derivative`)."""
    return np.array([amplitude_derivative(ch, ch.offset + float(np.sum(model.delta(l) * m)))
                     for l, ch in enumerate(model.channels)]).reshape(-1, 2)


def jacobian(model, m, amplitudes: np.ndarray | None = None) -> np.ndarray:
    """The Jacobian Df (3B, 3B) of the mean-field vector field at Bloch vectors m (B, 3).

    Analytic in the Bloch form of the module docstring (rows/columns 3 b + a); the rate derivatives
    R_l' = 2 Gamma_l Gamma_l' from `amplitudes` (L, 2), by default `amplitudes_at(model, m)`.
    """
    check_model(model, qudit=False)
    m = _bloch(model, m)
    B = model.B
    w = np.asarray(model.sizes, dtype=float) / model.N
    # dF_b/dm_g = w_g (J^{bg} + (J^{gb})^T)
    dF = w[None, :, None, None] * (model.J + model.J.transpose(1, 0, 3, 2))      # (b, g, a, c)
    F = model.h + np.einsum("bgac,gc->ba", dF, m)
    amplitudes = amplitudes_at(model, m) if amplitudes is None else amplitudes
    D = np.zeros((B, 3, B, 3))
    for b in range(B):
        D[b, :, b, :] += 2 * _cross(F[b])
        for g in range(B):
            D[b, :, g, :] -= 2 * _cross(m[b]) @ dF[b, g]
    for l, ch in enumerate(model.channels):
        b, r = ch.block, model.delta(l)
        G, dG = amplitudes[l]
        rate, slope = G * G, 2 * G * dG
        if ch.collective:
            mean, k, dmean, dk = collective_terms(ch.matrix, m[b])
            D[b, :, b, :] += rate * np.real(np.conj(dmean)[None, :] * k[:, None] + np.conj(mean) * dk)
            D[b] += slope * np.einsum("a,gc->agc", np.real(np.conj(mean) * k), r)
            continue
        A, c = bloch_dissipator(ch.matrix)
        D[b, :, b, :] += rate * A
        D[b] += slope * np.einsum("a,gc->agc", A @ m[b] + c, r)
    return D.reshape(3 * B, 3 * B)


def collective_terms(o: np.ndarray, m: np.ndarray):
    """For a collective channel with local operator o at Bloch vector m (3,) of its block:
    (<o>, k (3,), d<o>/dm (3,), dk/dm (3, 3)) with <o> = tr(o rho), k_a = tr(rho [sigma_a, o]),
    rho = (1 + m.sigma)/2; its mean-field drift is Gamma^2 Re(<o>^* k) (docs/theory.md §5)."""
    dmean = np.einsum("ij,aji->a", o, PAULI) / 2                          # tr(o sigma_c) / 2
    comm = np.einsum("aij,jk->aik", PAULI, o) - np.einsum("ij,ajk->aik", o, PAULI)   # [sigma_a, o]
    dk = np.einsum("aij,cji->ac", comm, PAULI) / 2                       # tr(sigma_c [sigma_a, o]) / 2
    mean = np.trace(o) / 2 + dmean @ m
    return mean, dk @ m, dmean, dk


def stability(model, m, tol: float = 1e-9) -> FixedPoint:
    """Linearisation of the mean field at Bloch vectors m (B, 3) (a SpinModel also takes (3,)).

    Returns a FixedPoint at m as given (not refined): `residual` = max |f(m)| says whether m is a fixed
    point; `stable` = every eigenvalue of the Jacobian has real part < -tol.
    """
    check_model(model, qudit=False)
    m = _bloch(model, m)
    Df = jacobian(model, m)
    eig = np.linalg.eigvals(Df)
    eig = eig[np.lexsort((-eig.imag, -eig.real))]
    residual = float(np.max(np.abs(vector_field(model)(m))))
    return FixedPoint(m=m, jacobian=Df, eigenvalues=eig, residual=residual,
                      stable=bool(eig[0].real < -tol))


# ----------------------------------------------------------------------------------------------
# root search
# ----------------------------------------------------------------------------------------------

def default_starts(B: int, n: int = 24) -> np.ndarray:
    """Deterministic starting points (S, B, 3) in the Bloch ball.

    The centre; every block at +-0.9 e_a (a = x, y, z); n points with every block at the same Bloch
    vector; for B > 1 also n points with independent Bloch vectors per block. The points are an
    unscrambled Halton sequence mapped uniformly into the ball (r = u^(1/3), uniform direction).
    """
    def ball(u):
        r, cos_t, phi = np.cbrt(u[..., 0]), 2 * u[..., 1] - 1, 2 * np.pi * u[..., 2]
        sin_t = np.sqrt(1 - cos_t ** 2)
        return r[..., None] * np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t], axis=-1)

    axes = np.concatenate([0.9 * np.eye(3), -0.9 * np.eye(3)])
    same = ball(qmc.Halton(d=3, scramble=False).random(n + 1)[1:])
    starts = [np.zeros((1, B, 3)), np.repeat(axes[:, None], B, 1), np.repeat(same[:, None], B, 1)]
    if B > 1:
        u = qmc.Halton(d=3 * B, scramble=False).random(n + 1)[1:].reshape(n, B, 3)
        starts.append(ball(u))
    return np.concatenate(starts)


def _root(model, f, start: np.ndarray, ftol: float, ball_tol: float) -> np.ndarray | None:
    """Root of f from `start` (B, 3) by MINPACK hybrj with the analytic Jacobian, or None."""
    try:
        with np.errstate(all="ignore"):
            sol = root(lambda y: f(y.reshape(start.shape)).ravel(), start.ravel(), method="hybr",
                       jac=lambda y: jacobian(model, y.reshape(start.shape)), options={"xtol": 1e-13})
    except (ValueError, FloatingPointError, OverflowError, np.linalg.LinAlgError):
        return None                     # the search left the domain of a rate function
    m = sol.x.reshape(start.shape)
    if not np.all(np.isfinite(m)) or np.any(np.linalg.norm(m, axis=1) > 1 + ball_tol):
        return None
    return m if np.max(np.abs(f(m))) <= ftol else None


def fixed_point_from(model, start, ftol: float = 1e-10, ball_tol: float = 1e-9,
                     tol: float = 1e-9) -> FixedPoint | None:
    """The fixed point reached by root finding (MINPACK hybrj) from Bloch vectors `start` (B, 3).

    None when the search fails, ends with max |f| > ftol, or ends outside the Bloch ball
    (|m_b| > 1 + ball_tol). `tol` is the stability margin of `stability`.
    """
    check_model(model, qudit=False)
    m = _root(model, vector_field(model), _bloch(model, start), ftol, ball_tol)
    return None if m is None else stability(model, m, tol=tol)


def fixed_points(model, starts=None, n_starts: int = 24, ftol: float = 1e-10, distinct: float = 1e-6,
                 ball_tol: float = 1e-9, tol: float = 1e-9) -> list[FixedPoint]:
    """Mean-field fixed points of a SpinModel or BlockModel inside the Bloch ball (paper eq. 21).

    Parameters
    ----------
    model : SpinModel or BlockModel
    starts : array (S, B, 3), optional
        Starting points of the root search (a single-block model also takes (S, 3)); default
        `default_starts(B, n_starts)`.
    ftol : float
        A root must have max |f(m)| <= ftol (rates of order one).
    distinct : float
        Roots closer than this (max over components) are one fixed point.
    ball_tol, tol : float
        Bloch-ball slack |m_b| <= 1 + ball_tol, and the stability margin (Re lambda < -tol).

    Returns
    -------
    list of FixedPoint, deduplicated, sorted by decreasing m_z, m_y, m_x of block 0, then block 1, ...
    Only the fixed points reached from the starts are found; a continuum of fixed points (or a
    degenerate one at a bifurcation) may show up as several nearby points.
    """
    check_model(model, qudit=False)
    B = model.B
    S = default_starts(B, n_starts) if starts is None else np.asarray(starts, dtype=float)
    if B == 1 and S.ndim == 2:
        S = S[:, None, :]
    if S.ndim != 3 or S.shape[1:] != (B, 3):
        raise ValueError(f"starts must have shape (S, {B}, 3), got {S.shape}")
    f = vector_field(model)
    roots: list[np.ndarray] = []
    for start in S:
        m = _root(model, f, start, ftol, ball_tol)
        if m is not None and all(np.max(np.abs(m - other)) >= distinct for other in roots):
            roots.append(m)
    found = [stability(model, m, tol=tol) for m in roots]
    keys = np.array([np.round(fp.m[:, ::-1].ravel(), 9) for fp in found]).reshape(len(found), -1)
    order = np.lexsort(-keys.T[::-1]) if found else []
    return [found[i] for i in order]


# ----------------------------------------------------------------------------------------------
# branches and bifurcations
# ----------------------------------------------------------------------------------------------

def follow_branch(family: Callable, p0: float, m0, max_jump: float = 0.05,
                  max_halvings: int = 40) -> Callable[[float], FixedPoint]:
    """A fixed-point branch of the models `family(p)`, followed from (p0, m0) by natural continuation.

    Returns branch(p) -> FixedPoint. Each new p starts the root search from the fixed point of the
    nearest parameter computed so far; a step that moves m by more than `max_jump` (max component),
    or fails, is halved (at most `max_halvings` times), so the branch is not exchanged for another one.
    RuntimeError when the branch cannot be followed (it ends at a fold, or leaves the Bloch ball).
    """
    first = fixed_point_from(family(p0), m0)
    if first is None:
        raise RuntimeError(f"no fixed point found from m0 at p0 = {p0}")
    known = {float(p0): first}

    def solve(p: float, halvings: int) -> FixedPoint:
        near = min(known, key=lambda q: abs(q - p))
        fp = fixed_point_from(family(p), known[near].m)
        if fp is not None and np.max(np.abs(fp.m - known[near].m)) <= max_jump:
            known[p] = fp
            return fp
        if halvings >= max_halvings:
            raise RuntimeError(f"the branch cannot be followed from p = {near} to p = {p} "
                               "(it may end at a fold or leave the Bloch ball)")
        solve((near + p) / 2, halvings + 1)
        return solve(p, halvings + 1)

    def branch(p: float) -> FixedPoint:
        p = float(p)
        return known[p] if p in known else solve(p, 0)
    return branch


_CRITERIA = {
    "growth": lambda fp: fp.growth_rate,
    "determinant": lambda fp: float(np.prod(fp.eigenvalues).real),
}


def stability_boundary(branch: Callable[[float], FixedPoint], lo: float, hi: float, criterion="growth",
                       xtol: float = 1e-12) -> Bifurcation:
    """The parameter in [lo, hi] where a fixed-point branch changes stability (Brent's method).

    Parameters
    ----------
    branch : callable p -> FixedPoint
        One fixed point per parameter value, e.g. `follow_branch(...)` or a closed form.
    lo, hi : float
        A bracket: the criterion must have opposite signs at lo and hi.
    criterion : "growth" | "determinant" | callable FixedPoint -> float
        "growth": the largest real part of the eigenvalues (the first loss of stability, Hopf or real);
        "determinant": det Df (a real eigenvalue through zero: pitchfork, fold, transcritical, also on
        an already unstable branch).
    """
    g = _CRITERIA[criterion] if isinstance(criterion, str) else criterion
    if not callable(g):
        raise ValueError(f"criterion must be 'growth', 'determinant' or a callable, got {criterion!r}")
    g_lo, g_hi = g(branch(lo)), g(branch(hi))
    if not g_lo * g_hi < 0:
        raise ValueError(f"the criterion must change sign on [lo, hi] = [{lo}, {hi}], got {g_lo:.6g} "
                         f"and {g_hi:.6g}")
    p = brentq(lambda q: g(branch(q)), lo, hi, xtol=xtol)
    fp = branch(p)
    eig = fp.eigenvalues
    if criterion == "growth":
        critical = eig[0]
    elif criterion == "determinant":
        critical = eig[np.argmin(np.abs(eig))]
    else:
        critical = eig[np.argmin(np.abs(eig.real))]
    hopf = abs(critical.imag) > 1e-6 * max(1.0, abs(critical))
    return Bifurcation(parameter=float(p), fixed_point=fp, kind="hopf" if hopf else "real",
                       frequency=float(abs(critical.imag)) if hopf else 0.0)


# ----------------------------------------------------------------------------------------------
# closed forms
# ----------------------------------------------------------------------------------------------

def hopfield_retrieval_mz(beta: float, omega: float) -> float | None:
    """m_z* > 0 of the single-block Hopfield retrieval fixed point (eq. 59 rates, docs/theory.md §7).

    The root of tanh(beta z) = (1 + 8 omega^2) z in (0, 1/(1 + 8 omega^2)); None when it does not exist,
    i.e. beta <= 1 + 8 omega^2 (to a relative 1e-12).
    """
    k = 1 + 8 * omega ** 2
    if not beta > k * (1 + 1e-12):
        return None
    # tanh(beta z)/z - k decreases from beta - k > 0 (z -> 0) to k (tanh(beta/k) - 1) < 0 (z = 1/k)
    return brentq(lambda z: np.tanh(beta * z) / z - k, 1e-300, 1 / k, xtol=1e-16, rtol=4 * np.finfo(float).eps)


def hopfield_point(beta: float, omega: float, mz: float) -> FixedPoint:
    """The single-block Hopfield fixed point m = (0, -4 omega mz, mz) with its analytic Jacobian.

    With s = beta sech^2(beta mz): Df = [[-1/2, 0, 0], [0, -1/2, -2 omega], [0, 2 omega, s - 1]], eigenvalues
    -1/2 and tr/2 +- sqrt(tr^2/4 - det), tr = s - 3/2, det = (1 - s)/2 + 4 omega^2.
    residual: |tanh(beta mz) - (1 + 8 omega^2) mz| (the only equation not solved by construction);
    stable: every real part < -1e-9 (the default margin of `stability`).
    """
    s = beta / np.cosh(beta * mz) ** 2
    Df = np.array([[-0.5, 0.0, 0.0], [0.0, -0.5, -2 * omega], [0.0, 2 * omega, s - 1]])
    tr, det = s - 1.5, (1 - s) / 2 + 4 * omega ** 2
    root_ = np.sqrt(complex(tr ** 2 / 4 - det))
    eig = np.array([tr / 2 + root_, tr / 2 - root_, -0.5 + 0j])
    eig = eig[np.lexsort((-eig.imag, -eig.real))]
    residual = abs(np.tanh(beta * mz) - (1 + 8 * omega ** 2) * mz)
    return FixedPoint(m=np.array([[0.0, -4 * omega * mz, mz]]), jacobian=Df, eigenvalues=eig,
                      residual=float(residual), stable=bool(eig[0].real < -1e-9))


def hopfield_fixed_points(beta: float, omega: float) -> list[FixedPoint]:
    """All fixed points of the single-block Hopfield mean field (eq. 59, docs/theory.md §7), closed form.

    dm_x/dt = -m_x/2, dm_y/dt = -2 omega m_z - m_y/2, dm_z/dt = 2 omega m_y + tanh(beta m_z) - m_z:
    m_x = 0, m_y = -4 omega m_z, tanh(beta m_z) = (1 + 8 omega^2) m_z. Sorted by decreasing m_z:
    [retrieval +, paramagnet m = 0, retrieval -] for beta > 1 + 8 omega^2, else [paramagnet].
    Equal to `fixed_points(hopfield_model(N, beta, omega))` (any N).
    """
    z = hopfield_retrieval_mz(beta, omega)
    zs = [0.0] if z is None else [z, 0.0, -z]
    return [hopfield_point(beta, omega, v) for v in zs]


def hopfield_phase_boundaries(omega) -> dict:
    """Bifurcation lines of the single-block Hopfield mean field, as inverse temperatures beta(omega).

    "pitchfork": beta = 1 + 8 omega^2 (det Df at m = 0 vanishes; the retrieval pair is born);
    "hopf_paramagnet": beta = 3/2 for omega > 1/4 (tr Df = 0 at m = 0 with det > 0), else nan;
    "hopf_retrieval": the retrieval pair's Hopf point, beta sech^2(beta m_z*) = 3/2, for omega > 1/4,
    else nan. With x = beta m_z* the two conditions give sinh(2x)/(2x) = 2 (1 + 8 omega^2)/3 and
    beta = (3/2) cosh^2 x. Below the line the pair is unstable (limit cycles), above it stable.
    omega: float or array; the values have its shape.
    """
    omega = np.asarray(omega, dtype=float)
    k = 1 + 8 * omega ** 2

    def hopf_retrieval(kk):
        if kk <= 1.5:
            return np.nan
        target = 2 * kk / 3
        hi = 1.0
        while np.sinh(2 * hi) / (2 * hi) < target:
            hi *= 2
        x = brentq(lambda x: np.sinh(2 * x) / (2 * x) - target, 1e-12, hi, xtol=1e-15)
        return 1.5 * np.cosh(x) ** 2
    return {"pitchfork": k[()], "hopf_paramagnet": np.where(omega > 0.25, 1.5, np.nan)[()],
            "hopf_retrieval": np.vectorize(hopf_retrieval, otypes=[float])(k)[()]}


def kinetic_stationary_density(omega: float, gamma_up: float, gamma_down: float) -> float:
    """Mean-field stationary density n = (1 + m_z)/2 of `models.kinetic_model` (docs/theory.md §8).

    Fixed points have m_x = 0, m_y = -4 omega m_z / G (G = (gamma_up + gamma_down) n^2) and n a root of
        f(n) = 4 omega^2 (1 - 2 n) + (gamma_up + gamma_down) n^4 (gamma_up - (gamma_up + gamma_down) n),
    the one between n* = gamma_up / (gamma_up + gamma_down) and 1/2 (f changes sign there). At omega = 0
    this is n* (the absorbing n = 0 for gamma_up = 0). For gamma_up = 0 and small omega,
    n = (4 omega^2 / gamma_down^2)^(1/5) (1 - 2n)^(1/5): an active phase for every omega > 0.
    """
    if not (gamma_up >= 0 and gamma_down >= 0 and gamma_up + gamma_down > 0):
        raise ValueError(f"gamma_up, gamma_down must be >= 0 with a positive sum, got {gamma_up}, {gamma_down}")
    gs = gamma_up + gamma_down
    nstar = gamma_up / gs
    if omega == 0:
        return nstar

    def f(n):
        return 4 * omega ** 2 * (1 - 2 * n) + gs * n ** 4 * (gamma_up - gs * n)
    a, b = sorted((nstar, 0.5))
    if f(a) == 0 or a == b:
        return a
    return brentq(f, a, b, xtol=1e-15, rtol=4 * np.finfo(float).eps)
