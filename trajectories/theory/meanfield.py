"""Mean-field equations (paper eq. 21, Lemma 3; docs/theory.md §5, §6) for spin and d-level models.

Spin route (SpinModel / BlockModel, Pauli units, one single-site state rho_b per block b):

    d rho_b/dt = -i[H_mf^b, rho_b] + sum_{l: block(l) = b} Gamma_l(Delta_l(m))^2 D[o_l](rho_b),
    H_mf^b = sum_a F^b_a sigma_a,  F^b_a = h^b_a + sum_g (N_g/N) sum_c (J^{bg}_{ac} + J^{gb}_{ca}) m^g_c,
    Delta_l(m) = c0_l + sum_g sum_a r_{l,ga} m^g_a,   m^g_a = tr(rho_g sigma_a),   D[o](rho) = o rho o^+ - {o^+o, rho}/2.

F^b_a is the derivative of H = sum_b h_b.S^b + (1/N) sum_{b,g,a,c} J^{bg}_{ac} S^b_a S^g_c with respect to
sigma_a^(k), k in block b, with every other site replaced by its block average (S^g_c -> N_g m^g_c);
single block: H_mf = h.sigma + sum_ab J_ab (m_a sigma_b + m_b sigma_a).

d-level route (QuditModel, components m_alpha = tr(rho v_alpha) in the model's orthonormal basis):
the same single-site equation with H_mf = sum_a (eps_a + sum_b (h_ab + h_ba) m_b) v_a and rates
Gamma_l(r_l . m)^2 for j_l (method="master"), or Lemma 3's vector field (method="lemma3", default)

    f_g(m) = sum_b A_gb m_b + sum_bc B_gbc m_b m_c + sum_l Gamma_l(r_l . m)^2 sum_b (M_l)_gb m_b,
    A_gb = -i sum_a eps_a a^g_ab,   B_gbc = -i sum_a (h_ac + h_ca) a^g_ab,
    (M_l)_gb = sum_{a,e} c_a c_e^* [Q_abeg - Q_eabg/2 - Q_beag/2],  j_l = sum_a c_a v_a,

built from the structure constants P^g_ab = tr(v_a v_b v_g) (a^g_ab = P^g_ab - P^g_ba = tr([v_a, v_b] v_g)),
Q_wxyg = tr(v_w v_x v_y v_g) = sum_h P^h_wx P^g_hy. Lemma 4: |m_alpha(t)| <= ||v_alpha|| along solutions
(`lemma4_margin`).

Validity: mean field describes clustering (product-like) initial states. For a non-clustering state
(the cat state) the equations are still integrated from the state's exact one-site marginal, but they do
not describe the dynamics of its average operators (E_N stays O(1), see estimators.clustering).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.integrate import solve_ivp

from models.qudit import PAULI_OPS, QuditModel
from models.spin import BlockModel
from ..base.checks import check_times
from ..sectors.states import CatState, CoherentState, DickeState, InitialState, ProductState, _per_block

PAULI = np.array([PAULI_OPS["x"], PAULI_OPS["y"], PAULI_OPS["z"]])


# ----------------------------------------------------------------------------------------------
# initial single-site states
# ----------------------------------------------------------------------------------------------

def initial_bloch(initial, sizes) -> np.ndarray:
    """Exact one-site marginal Bloch vectors (B, 3) of a spin initial state.

    CoherentState / ProductState: their Bloch vectors; DickeState |j, m>: (0, 0, 2m/N_b) (the
    one-site marginal of a permutation-invariant state is fixed by <m_a>); CatState: (0, 0, 0)
    (for N = 1 it is |+x>: (1, 0, 0)). Arrays: Bloch vectors (3,) / (B, 3) or density matrices
    (2, 2) / (B, 2, 2).
    """
    B = len(sizes)
    if isinstance(initial, CoherentState):
        th = _per_block("theta", initial.theta, B)
        ph = _per_block("phi", initial.phi, B)
        return np.stack([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)], axis=1)
    if isinstance(initial, ProductState):
        return initial._bloch(sizes)
    if isinstance(initial, DickeState):
        _, m = initial._jm(sizes)
        out = np.zeros((B, 3))
        out[:, 2] = 2 * m / np.asarray(sizes, dtype=float)
        return out
    if isinstance(initial, CatState):
        out = np.zeros((B, 3))
        if sum(sizes) == 1:
            out[0, 0] = 1.0
        return out
    if isinstance(initial, InitialState):
        raise ValueError(f"initial: no one-site marginal known for {type(initial).__name__}")
    arr = np.asarray(initial)
    if arr.shape in ((2, 2), (B, 2, 2)):
        rho = np.broadcast_to(arr.astype(complex), (B, 2, 2))
        _check_density("initial", rho)
        return np.einsum("bij,aji->ba", rho, PAULI).real
    try:
        r = _per_block("initial", arr, B, 3)
    except ValueError:
        raise ValueError(f"initial must be an initial state, Bloch vectors (3,) or ({B}, 3), or density "
                         f"matrices (2, 2) or ({B}, 2, 2); got shape {arr.shape}") from None
    if np.any(np.linalg.norm(r, axis=1) > 1 + 1e-12):
        raise ValueError(f"initial Bloch vectors must have |r| <= 1, got {np.linalg.norm(r, axis=1).max():.6g}")
    return r


def _check_density(name: str, rho: np.ndarray, tol: float = 1e-10) -> None:
    """ValueError naming `name` unless rho (..., D, D) is Hermitian, trace one and positive."""
    if not np.all(np.isfinite(rho)):
        raise ValueError(f"{name} must be finite")
    if not np.allclose(rho, np.conj(np.swapaxes(rho, -1, -2)), rtol=0, atol=tol):
        raise ValueError(f"{name} must be Hermitian")
    tr = np.trace(rho, axis1=-2, axis2=-1)
    if not np.allclose(tr, 1.0, rtol=0, atol=tol):
        raise ValueError(f"{name} must have trace 1, got {np.ravel(tr)[0]:.6g}")
    if np.min(np.linalg.eigvalsh(rho)) < -1e-9:
        raise ValueError(f"{name} must be positive semidefinite, smallest eigenvalue "
                         f"{np.min(np.linalg.eigvalsh(rho)):.3g}")


def bloch_density(r: np.ndarray) -> np.ndarray:
    """(1 + r.sigma)/2 for Bloch vectors (..., 3) -> (..., 2, 2)."""
    return 0.5 * (np.eye(2) + np.einsum("...a,aij->...ij", np.asarray(r, dtype=float), PAULI))


def initial_density(model, initial) -> np.ndarray:
    """Initial single-site density matrices (B, d, d) of `initial` for `model`."""
    if isinstance(model, QuditModel):
        d = model.d
        if isinstance(initial, InitialState):
            if d != 2:
                raise ValueError(f"initial: spin states need d = 2, the model has d = {d}")
            return bloch_density(initial_bloch(initial, model.sizes))
        arr = np.asarray(initial)
        if arr.shape == (d * d,):
            if not np.all(np.isfinite(arr)) or np.iscomplexobj(arr) and np.any(arr.imag != 0):
                raise ValueError("initial components must be real and finite")
            rho = model.density(arr.real)[None]
        elif arr.shape == (d, d):
            rho = arr.astype(complex)[None]
        else:
            raise ValueError(f"initial must be a ({d}, {d}) density matrix or ({d * d},) components, "
                             f"got shape {arr.shape}")
        _check_density("initial", rho)
        return rho
    if not isinstance(model, BlockModel):
        raise ValueError(f"model must be a SpinModel, BlockModel or QuditModel, got {type(model).__name__}")
    return bloch_density(initial_bloch(initial, model.sizes))


# ----------------------------------------------------------------------------------------------
# the single-site generator
# ----------------------------------------------------------------------------------------------

def _rate(ch, x: float) -> float:
    return float(ch.amplitude(np.array([x]))[0]) ** 2


def single_site_terms(model, rho: np.ndarray):
    """For single-site states rho (B, d, d): per block (H_mf^b, [(rate, op), ...]) of the mean-field
    single-site generator (module docstring), evaluated at m = m(rho)."""
    if isinstance(model, QuditModel):
        m = model.components(rho[0])
        field_ = model.eps + (model.h + model.h.T) @ m
        H = np.einsum("a,aij->ij", field_, model.basis)
        jumps = [(_rate(ch, float(ch.r @ m)), ch.op) for ch in model.channels]
        return [(H, jumps)]
    m = np.einsum("bij,aji->ba", rho, PAULI).real  # (B, 3)
    w = np.asarray(model.sizes, dtype=float) / model.N
    F = model.h + np.einsum("g,bgac,gc->ba", w, model.J, m) + np.einsum("g,gbca,gc->ba", w, model.J, m)
    out = [(np.einsum("a,aij->ij", F[b], PAULI), []) for b in range(model.B)]
    for l, ch in enumerate(model.channels):
        x = ch.offset + float(np.sum(model.delta(l) * m))
        out[ch.block][1].append((_rate(ch, x), PAULI_OPS[ch.op]))
    return out


def dissipator(op: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """D[o](rho) = o rho o^+ - {o^+ o, rho}/2 (rho may carry leading axes)."""
    od = op.conj().T
    n = od @ op
    return op @ rho @ od - 0.5 * (n @ rho + rho @ n)


def master_rhs(model, rho: np.ndarray) -> np.ndarray:
    """d rho_b/dt of the nonlinear single-site master equation, rho (B, d, d)."""
    out = np.empty_like(rho)
    for b, (H, jumps) in enumerate(single_site_terms(model, rho)):
        r = rho[b]
        drho = -1j * (H @ r - r @ H)
        for rate, op in jumps:
            drho += rate * dissipator(op, r)
        out[b] = drho
    return out


def vector_field(model):
    """f(m): the mean-field vector field.

    SpinModel/BlockModel: m (B, 3) Pauli Bloch vectors -> dm/dt (B, 3) (single-site master equation).
    QuditModel: m (d^2,) components -> dm/dt (d^2,), Lemma 3 form with the A, B, M of `lemma3_matrices`.
    """
    if isinstance(model, QuditModel):
        A, Bq, M = lemma3_matrices(model)
        chans = model.channels

        def f(m):
            m = np.asarray(m, dtype=float)
            out = A @ m + np.einsum("gbc,b,c->g", Bq, m, m)
            for ch, Ml in zip(chans, M):
                out = out + _rate(ch, float(ch.r @ m)) * (Ml @ m)
            return out
        return f

    def f_spin(m):
        rho = bloch_density(np.asarray(m, dtype=float).reshape(model.B, 3))
        return np.einsum("bij,aji->ba", master_rhs(model, rho), PAULI).real
    return f_spin


def structure_constants(basis: np.ndarray) -> np.ndarray:
    """P[a, b, g] = tr(v_a v_b v_g); the Lie structure constants are a^g_ab = P[a,b,g] - P[b,a,g]."""
    return np.einsum("aij,bjk,gki->abg", basis, basis, basis)


def lemma3_matrices(model: QuditModel):
    """(A (n, n), B (n, n, n), [M_l (n, n)]) of Lemma 3 (n = d^2), see the module docstring."""
    v = model.basis
    P = structure_constants(v)
    a = P - P.transpose(1, 0, 2)                          # a[a, b, g] = tr([v_a, v_b] v_g)
    A = np.real(-1j * np.einsum("a,abg->gb", model.eps, a))
    hs = model.h + model.h.T
    Bq = np.real(-1j * np.einsum("ac,abg->gbc", hs, a))
    Q = np.einsum("wxh,hyg->wxyg", P, P)                  # tr(v_w v_x v_y v_g)
    M = []
    for ch in model.channels:
        c = np.einsum("aij,ji->a", v, ch.op)              # j = sum_a c_a v_a
        cc = np.outer(c, c.conj())                        # c_a c_e^*
        Ml = (np.einsum("ae,abeg->gb", cc, Q) - 0.5 * np.einsum("ae,eabg->gb", cc, Q)
              - 0.5 * np.einsum("ae,beag->gb", cc, Q))
        if np.max(np.abs(Ml.imag)) > 1e-10:
            raise RuntimeError("internal error: Lemma 3 dissipative matrix is not real")
        M.append(Ml.real)
    return A, Bq, M


# ----------------------------------------------------------------------------------------------
# the result and the solver
# ----------------------------------------------------------------------------------------------

@dataclass
class MeanFieldResult:
    """Mean-field solution.

    times (T,); mean: (3, T) SpinModel, (B, 3, T) BlockModel (Pauli units, like Ensemble.mean),
    (d^2, T) QuditModel (components in the model's basis); rho (B, T, d, d) single-site states.
    m_at(t) / rho_at(t): the dense-output interpolant (scalar t -> mean without the T axis).
    """

    times: np.ndarray
    mean: np.ndarray
    rho: np.ndarray
    model: object = field(repr=False)
    method: str = "master"
    _interp: object = field(default=None, repr=False)
    _rho0: np.ndarray = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        return "qudit" if isinstance(self.model, QuditModel) else "spin"

    def _state_at(self, t) -> np.ndarray:
        """Flattened ODE state at t (shape (n,) or (n, len(t)))."""
        t = np.asarray(t, dtype=float)
        if self._interp is None:
            if np.any(t != 0):
                raise ValueError("this solution only holds t = 0")
            y0 = self._y0()
            return y0 if t.ndim == 0 else np.repeat(y0[:, None], t.size, axis=1)
        if np.any(t < 0) or np.any(t > self._interp.t_max + 1e-12):
            raise ValueError(f"t must be in [0, {self._interp.t_max}] (the integrated range)")
        return self._interp(t)

    def _y0(self):
        if self.method == "lemma3":
            return self.model.components(self._rho0[0])
        return _pack(self._rho0)

    def rho_at(self, t) -> np.ndarray:
        """Single-site states (B, d, d) at a scalar t, or (B, len(t), d, d)."""
        y = self._state_at(t)
        B, d = self.rho.shape[0], self.rho.shape[-1]
        if self.method == "lemma3":
            r = self.model.density(np.moveaxis(y, 0, -1))
            return r[None]
        r = _unpack(np.moveaxis(y, 0, -1), B, d)
        return np.moveaxis(r, -3, 0) if r.ndim == 4 else r

    def m_at(self, t) -> np.ndarray:
        """Mean-field averages at t, with the conventions of `mean` (T axis last for array t)."""
        if np.ndim(t) == 0:
            return _means(self.model, self.rho_at(t)[:, None])[..., 0]
        return _means(self.model, self.rho_at(t))


def _pack(rho: np.ndarray) -> np.ndarray:
    return np.concatenate([rho.real.ravel(), rho.imag.ravel()])


def _unpack(y: np.ndarray, B: int, d: int) -> np.ndarray:
    """(..., 2 B d d) real -> (..., B, d, d) complex."""
    n = B * d * d
    return (y[..., :n] + 1j * y[..., n:]).reshape(y.shape[:-1] + (B, d, d))


def _means(model, rho: np.ndarray) -> np.ndarray:
    """rho (B, T, d, d) -> mean with the model's conventions."""
    if isinstance(model, QuditModel):
        return np.moveaxis(model.components(rho[0]), -1, 0)         # (d^2, T)
    m = np.einsum("btij,aji->bat", rho, PAULI).real  # (B, 3, T)
    return m[0] if type(model).__name__ == "SpinModel" else m


def mean_field(model, initial, times, rtol: float = 1e-10, atol: float = 1e-12,
               method: str | None = None) -> MeanFieldResult:
    """Integrate the mean-field equations (paper eq. 21) from t = 0 to times[-1] (solve_ivp, DOP853).

    model: SpinModel, BlockModel or QuditModel. initial: an initial state of trajectories.sectors.states
    (its exact one-site marginal is used, see `initial_bloch`), Bloch vectors / single-site density
    matrices, or for a QuditModel a (d, d) density matrix or (d^2,) components.
    method: "master" (single-site master equation; the only one for spin models) or "lemma3"
    (QuditModel default: the vector field f_alpha(m) of Lemma 3).
    """
    times = check_times(times)
    if isinstance(model, QuditModel):
        method = "lemma3" if method is None else method
    else:
        method = "master" if method is None else method
        if method != "master":
            raise ValueError(f"method must be 'master' for spin models (convert with QuditModel.from_spin "
                             f"for 'lemma3'), got {method!r}")
    if method not in ("master", "lemma3"):
        raise ValueError(f"method must be 'master' or 'lemma3', got {method!r}")
    for name, v in (("rtol", rtol), ("atol", atol)):
        if not (np.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a positive number, got {v!r}")
    rho0 = initial_density(model, initial)
    B, d = rho0.shape[0], rho0.shape[-1]
    res = MeanFieldResult(times=times, mean=None, rho=None, model=model, method=method, _rho0=rho0)
    y0 = res._y0()
    if method == "lemma3":
        f = vector_field(model)
        rhs = lambda _t, y: f(y)  # noqa: E731
    else:
        rhs = lambda _t, y: _pack(master_rhs(model, _unpack(y, B, d)))  # noqa: E731
    if times[-1] == 0:
        ys = y0[:, None]
    else:
        sol = solve_ivp(rhs, (0.0, times[-1]), y0, method="DOP853", t_eval=times, rtol=rtol, atol=atol,
                        dense_output=True)
        if not sol.success:
            raise RuntimeError(f"mean-field integration failed: {sol.message}")
        ys = sol.y
        res._interp = sol.sol
    if method == "lemma3":
        rho = model.density(ys.T)[None]                     # (1, T, d, d)
    else:
        rho = np.moveaxis(_unpack(ys.T, B, d), 0, 1)        # (B, T, d, d)
    res.rho = rho
    res.mean = _means(model, rho)
    return res


def lemma4_margin(result: MeanFieldResult) -> float:
    """min over alpha, t of ||v_alpha|| - |m_alpha(t)| (Lemma 4 says >= 0; Pauli units: ||sigma_a|| = 1)."""
    if result.kind == "qudit":
        norms = np.linalg.norm(result.model.basis, ord=2, axis=(1, 2))
        return float(np.min(norms[:, None] - np.abs(result.mean)))
    return float(np.min(1.0 - np.abs(result.mean)))
