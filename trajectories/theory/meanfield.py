"""Mean-field equations (paper eq. 21, Lemma 3; docs/theory.md §5, §6) for spin and d-level models.

Spin route (SpinModel / BlockModel, Pauli units, one single-site state rho_b per block b):

    d rho_b/dt = -i[H_mf^b, rho_b] + sum_{local l: block(l) = b} Gamma_l(Delta_l(m))^2 D[o_l](rho_b),
    H_mf^b = sum_a F^b_a sigma_a + sum_{collective l: block(l) = b} (i/2) Gamma_l^2 (<o_l>^* o_l - <o_l> o_l^+),
    F^b_a = h^b_a + sum_g (N_g/N) sum_c (J^{bg}_{ac} + J^{gb}_{ca}) m^g_c,   <o> = tr(o rho_b),
    Delta_l(m) = c0_l + sum_g sum_a r_{l,ga} m^g_a,   m^g_a = tr(rho_g sigma_a),   D[o](rho) = o rho o^+ - {o^+o, rho}/2.

F^b_a is the derivative of H = sum_b h_b.S^b + (1/N) sum_{b,g,a,c} J^{bg}_{ac} S^b_a S^g_c with respect to
sigma_a^(k), k in block b, with every other site replaced by its block average (S^g_c -> N_g m^g_c);
single block: H_mf = h.sigma + sum_ab J_ab (m_a sigma_b + m_b sigma_a). A collective channel
(J = S_o Gamma / sqrt(N_b)) has no single-site dissipator at N = oo: its jumps act on the average
operators like the Hamiltonian H_c above (docs/theory.md §5, collective channels), e.g. collective
decay gives dm_z/dt = -Gamma^2 (m_x^2 + m_y^2) / 2.

d-level route (QuditModel, components m_alpha = tr(rho v_alpha) in the model's orthonormal basis):
the same single-site equation with H_mf = sum_a (eps_a + sum_b (h_ab + h_ba) m_b) v_a and rates
Gamma_l(r_l . m)^2 for j_l (method="master"), or Lemma 3's vector field (method="lemma3", default)

    f_g(m) = sum_b A_gb m_b + sum_bc B_gbc m_b m_c + sum_l Gamma_l(r_l . m)^2 sum_b (M_l)_gb m_b,
    A_gb = -i sum_a eps_a a^g_ab,   B_gbc = -i sum_a (h_ac + h_ca) a^g_ab,
    (M_l)_gb = sum_{a,e} c_a c_e^* [Q_abeg - Q_eabg/2 - Q_beag/2],  j_l = sum_a c_a v_a,
and for a collective channel the quadratic term Gamma_l^2 sum_eb (C_l)_geb m_e m_b instead,
    (C_l)_geb = Re(c_e^* sum_a c_a a^b_ga)   (= Gamma^2 Re(<j>^* <[v_g, j]>), docs/theory.md §5),

built from the structure constants P^g_ab = tr(v_a v_b v_g) (a^g_ab = P^g_ab - P^g_ba = tr([v_a, v_b] v_g)),
Q_wxyg = tr(v_w v_x v_y v_g) = sum_h P^h_wx P^g_hy. Lemma 4: |m_alpha(t)| <= ||v_alpha|| along solutions
(`lemma4_margin`).

Validity: mean field describes clustering (product-like) initial states. For a non-clustering state
(the cat state) the equations are still integrated from the state's exact one-site marginal, but they do
not describe the dynamics of its average operators (E_N stays O(1), see trajectories.analysis.clustering).
"""
from __future__ import annotations


import numpy as np
from scipy.integrate import solve_ivp

from models.qudit import QuditModel
from models.spin import PAULI_OPS, largest_rate
from ..base.checks import check_density, check_model, check_times, per_block
from ..base.errors import IntegrationError
from ..base.integration import check_generator
from ..base.options import ODEOptions
from ..base.results import MeanFieldResult, drops_block_axes
from ..sectors.states import InitialState

PAULI = np.array([PAULI_OPS["x"], PAULI_OPS["y"], PAULI_OPS["z"]])


# ----------------------------------------------------------------------------------------------
# initial single-site states
# ----------------------------------------------------------------------------------------------

def initial_bloch(state, sizes) -> np.ndarray:
    """Exact one-site marginal Bloch vectors (B, 3) of a spin initial state.

    state : an InitialState (its `bloch(sizes)`), Bloch vectors (3,) / (B, 3), or single-site
    density matrices (2, 2) / (B, 2, 2).
    """
    B = len(sizes)
    if isinstance(state, InitialState):
        return state.bloch(sizes)
    arr = np.asarray(state)
    if arr.shape in ((2, 2), (B, 2, 2)):
        rho = np.broadcast_to(arr.astype(complex), (B, 2, 2))
        check_density("state", rho)
        return np.einsum("bij,aji->ba", rho, PAULI).real
    try:
        r = per_block("state", arr, B, 3)
    except ValueError:
        raise ValueError(f"state must be an initial state, Bloch vectors (3,) or ({B}, 3), or density "
                         f"matrices (2, 2) or ({B}, 2, 2); got shape {arr.shape}") from None
    if np.any(np.linalg.norm(r, axis=1) > 1 + 1e-12):
        raise ValueError(f"state Bloch vectors must have |r| <= 1, got {np.linalg.norm(r, axis=1).max():.6g}")
    return r


def bloch_density(r: np.ndarray) -> np.ndarray:
    """(1 + r.sigma)/2 for Bloch vectors (..., 3) -> (..., 2, 2)."""
    return 0.5 * (np.eye(2) + np.einsum("...a,aij->...ij", np.asarray(r, dtype=float), PAULI))


def initial_density(model, state) -> np.ndarray:
    """Initial single-site density matrices (B, d, d) of `state` for `model`."""
    if isinstance(model, QuditModel):
        d = model.d
        if isinstance(state, InitialState):
            if d != 2:
                raise ValueError(f"state: spin states need d = 2, the model has d = {d}")
            return bloch_density(initial_bloch(state, model.sizes))
        arr = np.asarray(state)
        if arr.shape == (d * d,):
            if not np.all(np.isfinite(arr)) or np.iscomplexobj(arr) and np.any(arr.imag != 0):
                raise ValueError("state components must be real and finite")
            rho = model.density(arr.real)[None]
        elif arr.shape == (d, d):
            rho = arr.astype(complex)[None]
        else:
            raise ValueError(f"state must be a ({d}, {d}) density matrix or ({d * d},) components, "
                             f"got shape {arr.shape}")
        check_density("state", rho)
        return rho
    check_model(model)
    return bloch_density(initial_bloch(state, model.sizes))


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
        jumps = []
        for ch in model.channels:
            rate = _rate(ch, float(ch.r @ m))
            if ch.collective:
                H = H + collective_hamiltonian(rate, ch.op, rho[0])
            else:
                jumps.append((rate, ch.op))
        return [(H, jumps)]
    m = np.einsum("bij,aji->ba", rho, PAULI).real  # (B, 3)
    w = np.asarray(model.sizes, dtype=float) / model.N
    F = model.h + np.einsum("g,bgac,gc->ba", w, model.J, m) + np.einsum("g,gbca,gc->ba", w, model.J, m)
    out = [(np.einsum("a,aij->ij", F[b], PAULI), []) for b in range(model.B)]
    for l, ch in enumerate(model.channels):
        x = ch.offset + float(np.sum(model.delta(l) * m))
        rate, o, b = _rate(ch, x), ch.matrix, ch.block
        if ch.collective:
            out[b] = (out[b][0] + collective_hamiltonian(rate, o, rho[b]), out[b][1])
        else:
            out[b][1].append((rate, o))
    return out


def generator_norm(model) -> float:
    """An upper bound (1/time) on the norm of the single-site generator over all states, which sets
    the integrator's steps (base/integration.py check_generator): 2 ||F|| for the field F of the
    Hamiltonian (|m| <= 1 per block: ||h_b|| + sum_g w_g (||J_bg|| + ||J_gb||) for spins,
    ||eps|| + ||h + h^T|| times sqrt(sum_a ||v_a||^2) for qudits) plus 2 ||o||^2 max Gamma^2 per channel, the
    maximum over the range of its Delta (delta_range, models.spin.largest_rate)."""
    with np.errstate(over="ignore", invalid="ignore"):
        if isinstance(model, QuditModel):
            size = np.sqrt(sum(np.linalg.norm(v, 2) ** 2 for v in model.basis))
            field_ = (np.linalg.norm(model.eps) + np.linalg.norm(model.h + model.h.T, 2)) * size
            rates = [2 * np.linalg.norm(ch.op, 2) ** 2 * largest_rate(ch, *model.delta_range(l))
                     for l, ch in enumerate(model.channels)]
            return float(2 * field_ + sum(rates))
        w = np.asarray(model.sizes, dtype=float) / model.N
        J = np.linalg.norm(model.J, axis=(2, 3))                       # (B, B) ||J_bg||
        field_ = np.linalg.norm(model.h, axis=1) + J @ w + J.T @ w       # (B,)
        norm = 2 * field_
        for l, ch in enumerate(model.channels):
            norm[ch.block] += 2 * np.linalg.norm(ch.matrix, 2) ** 2 * largest_rate(ch, *model.delta_range(l))
        return float(np.max(norm))


def collective_hamiltonian(rate: float, o: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """H_c = (i/2) rate (<o>^* o - <o> o^+), <o> = tr(o rho): a collective channel's mean-field term
    (docs/theory.md §5)."""
    mean = np.trace(o @ rho)
    return 0.5j * rate * (np.conj(mean) * o - mean * o.conj().T)


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
                term = np.einsum("gbc,b,c->g", Ml, m, m) if ch.collective else Ml @ m
                out = out + _rate(ch, float(ch.r @ m)) * term
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
        if ch.collective:
            # f_g += R Re(<j>^* <[v_g, j]>) = R sum_eb C_geb m_e m_b, <[v_g, v_a]> = sum_b a^b_ga m_b
            comm = np.einsum("a,gab->gb", c, a)                 # <[v_g, j]> = sum_b comm_gb m_b
            M.append(np.real(np.einsum("e,gb->geb", np.conj(c), comm)))
            continue
        cc = np.outer(c, c.conj())                        # c_a c_e^*
        Ml = (np.einsum("ae,abeg->gb", cc, Q) - 0.5 * np.einsum("ae,eabg->gb", cc, Q)
              - 0.5 * np.einsum("ae,beag->gb", cc, Q))
        if np.max(np.abs(Ml.imag)) > 1e-10:
            raise RuntimeError("internal error: Lemma 3 dissipative matrix is not real")
        M.append(Ml.real)
    return A, Bq, M


# ----------------------------------------------------------------------------------------------
# the solver
# ----------------------------------------------------------------------------------------------

def pack_density(rho: np.ndarray) -> np.ndarray:
    """Complex (..., d, d) states -> one real vector (real parts, then imaginary parts)."""
    return np.concatenate([rho.real.ravel(), rho.imag.ravel()])


def unpack_density(y: np.ndarray, B: int, d: int) -> np.ndarray:
    """(..., 2 B d d) real -> (..., B, d, d) complex (inverse of pack_density)."""
    n = B * d * d
    return (y[..., :n] + 1j * y[..., n:]).reshape(y.shape[:-1] + (B, d, d))


class _Trajectory:
    """The mean-field ODE of `model` in one of two forms, with conversions to states and averages."""

    def __init__(self, model, method: str, rho0: np.ndarray):
        self.model, self.method = model, method
        self.B, self.d = rho0.shape[0], rho0.shape[-1]
        self.y0 = model.components(rho0[0]) if method == "lemma3" else pack_density(rho0)
        if method == "lemma3":
            f = vector_field(model)
            self.rhs = lambda _t, y: f(y)
        else:
            self.rhs = lambda _t, y: pack_density(master_rhs(model, unpack_density(y, self.B, self.d)))

    def states(self, ys: np.ndarray) -> np.ndarray:
        """ODE states (n, T) -> single-site states (B, d, d, T)."""
        if self.method == "lemma3":
            return np.moveaxis(self.model.density(ys.T), 0, -1)[None]
        return np.moveaxis(unpack_density(ys.T, self.B, self.d), 0, -1)

    def averages(self, rho: np.ndarray) -> np.ndarray:
        """rho (B, d, d, T) -> (B, 3, T) Bloch vectors, or (d^2, T) components for a QuditModel."""
        if isinstance(self.model, QuditModel):
            return np.moveaxis(self.model.components(np.moveaxis(rho[0], -1, 0)), -1, 0)
        return np.einsum("bijt,aji->bat", rho, PAULI).real

    def public(self, ys: np.ndarray):
        """(mean, rho) with the result conventions (block axes dropped for a SpinModel or qudit)."""
        rho = self.states(ys)
        mean = self.averages(rho)
        if isinstance(self.model, QuditModel):
            return mean, rho[0]
        if drops_block_axes(self.model):
            return mean[0], rho[0]
        return mean, rho


def _check_method(model, method):
    if isinstance(model, QuditModel):
        method = "lemma3" if method is None else method
    else:
        method = "master" if method is None else method
        if method != "master":
            raise ValueError(f"method must be 'master' for spin models (convert with QuditModel.from_spin "
                             f"for 'lemma3'), got {method!r}")
    if method not in ("master", "lemma3"):
        raise ValueError(f"method must be 'master' or 'lemma3', got {method!r}")
    return method


def mean_field(model, state, times, *, method: str | None = None,
               options: ODEOptions | dict | None = None) -> MeanFieldResult:
    """Integrate the mean-field equations (paper eq. 21; docs/theory.md §5) from t = 0 to times[-1].

    Parameters
    ----------
    model : SpinModel, BlockModel or QuditModel
    state : an InitialState (its exact one-site marginal is used, `InitialState.bloch`), Bloch
        vectors (3,) / (B, 3) or single-site density matrices; for a QuditModel a (d, d) density
        matrix or (d^2,) components
    times : (T,) strictly increasing output times >= 0
    method : "master" (the single-site master equation; the only one for spin models) or
        "lemma3" (QuditModel default: the vector field f_alpha(m) of Lemma 3)
    options : ODEOptions (DOP853 tolerances)

    Returns
    -------
    MeanFieldResult with mean (B, 3, T) ((3, T) for a SpinModel, (d^2, T) for a QuditModel), second
    the products of the means, rho (B, d, d, T) ((d, d, T) for one block) and the interpolants
    m_at(t), rho_at(t).
    """
    times = check_times(times)
    method = _check_method(model, method)
    options = ODEOptions.coerce(options)
    ode = _Trajectory(model, method, initial_density(model, state))
    check_generator(generator_norm(model), float(times[-1]), "mean field", options.max_steps)
    interpolant = None
    if times[-1] == 0:
        ys = ode.y0[:, None]
    else:
        sol = solve_ivp(ode.rhs, (0.0, times[-1]), ode.y0, method="DOP853", t_eval=times,
                        rtol=options.rtol, atol=options.atol, dense_output=True)
        if not sol.success:
            raise IntegrationError(f"mean-field integration failed: {sol.message}")
        ys = sol.y

        def interpolant(t):
            y = sol.sol(t)
            mean, rho = ode.public(y if y.ndim == 2 else y[:, None])
            return (mean, rho) if np.ndim(t) else (mean[..., 0], rho[..., 0])
    mean, rho = ode.public(ys)
    qudit = isinstance(model, QuditModel)
    second = None if qudit else _product_moments(mean, drops_block_axes(model))
    return MeanFieldResult(times=times, sizes=(model.N,) if qudit else model.sizes,
                           single_block=qudit or drops_block_axes(model), mean=mean, second=second,
                           rho=rho, method=method, kind="qudit" if qudit else "spin",
                           interpolant=interpolant)


def _product_moments(mean: np.ndarray, single: bool) -> np.ndarray:
    """Second moments m_a^b m_c^g of a product state: (B, 3, B, 3, T) or (3, 3, T)."""
    if single:
        return mean[:, None] * mean[None, :]
    return mean[:, :, None, None] * mean[None, None]


def lemma4_margin(result: MeanFieldResult, model=None) -> float:
    """min over alpha, t of ||v_alpha|| - |m_alpha(t)| (Lemma 4 says >= 0).

    Spin results use Pauli units (||sigma_a|| = 1); a qudit result needs its QuditModel for the basis."""
    if result.kind == "qudit":
        if model is None:
            raise ValueError("lemma4_margin of a qudit result needs model= (its basis)")
        norms = np.linalg.norm(model.basis, ord=2, axis=(1, 2))
        return float(np.min(norms[:, None] - np.abs(result.mean)))
    return float(np.min(1.0 - np.abs(result.mean)))
