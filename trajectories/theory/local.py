"""The effective local generator (paper eq. 50, Theorem 2; docs/theory.md §5).

For k explicit sites (site i in block b_i) the generator is the sum of single-site mean-field
generators with m frozen to the mean-field solution m(t):

    L_t(X) = sum_{i=1..k} ( -i[H_mf^{b_i}(m(t)), X]_i + sum_{l: block(l) = b_i} Gamma_l(Delta_l(m(t)))^2 D[o_l]_i(X) ),

where [., .]_i and D_i act on the tensor factor of site i. It is linear in X, acts on any k-site
density matrix (product or entangled) and keeps product states product. Theorem 2: for N -> oo the
reduced state of k sites of the many-body dynamics (quasi-local observables) follows L_t.
The mean-field state and the k-site state are integrated together (one solve_ivp, DOP853), so m(t)
is not interpolated.
"""
from __future__ import annotations

import math

import numpy as np

from models.qudit import QuditModel
from ..base.checks import check_bool, check_density, check_lags, check_operator, check_times
from ..base.integration import integrate
from ..base.options import ODEOptions
from ..base.results import CorrelationResult, LocalResult
from .meanfield import (initial_density, master_rhs, mean_field, pack_density, single_site_terms,
                        unpack_density)


def single_site_superoperator(H: np.ndarray, jumps) -> np.ndarray:
    """L[p, q, r, s] with (L rho)_pq = sum_rs L[p,q,r,s] rho_rs for -i[H, .] + sum rate D[o]."""
    d = H.shape[0]
    I = np.eye(d)
    L = -1j * np.einsum("pr,qs->pqrs", H, I) + 1j * np.einsum("pr,sq->pqrs", I, H)
    for rate, o in jumps:
        n = o.conj().T @ o
        L += rate * (np.einsum("pr,qs->pqrs", o, o.conj())
                     - 0.5 * np.einsum("pr,qs->pqrs", n, I) - 0.5 * np.einsum("pr,sq->pqrs", I, n))
    return L


def apply_local(Ls: list[np.ndarray], X: np.ndarray, d: int, k: int) -> np.ndarray:
    """sum_i L_i acting on site i of the k-site operator X (d^k, d^k)."""
    T = X.reshape((d,) * (2 * k))
    out = np.zeros_like(T)
    for i, L in enumerate(Ls):
        Y = np.tensordot(L, T, axes=([2, 3], [i, k + i]))   # axes: p, q, rest...
        out += np.moveaxis(Y, [0, 1], [i, k + i])
    return out.reshape(d ** k, d ** k)


def _sites(model, rho_sites, block):
    d = model.d if isinstance(model, QuditModel) else 2
    rho = np.asarray(rho_sites)
    if rho.ndim != 2 or rho.shape[0] != rho.shape[1]:
        raise ValueError(f"local_state must be a square (d^k, d^k) matrix, got shape {rho.shape}")
    k = round(math.log(rho.shape[0], d)) if rho.shape[0] > 1 else 0
    if k < 1 or d ** k != rho.shape[0]:
        raise ValueError(f"local_state must have dimension d^k = {d}^k (k >= 1), got {rho.shape[0]}")
    rho = rho.astype(complex)
    check_density("local_state", rho)
    B = model.B
    blocks = np.full(k, block, dtype=object) if np.ndim(block) == 0 else np.asarray(block, dtype=object)
    if blocks.shape != (k,):
        raise ValueError(f"block must be an integer or one block per site ({k}), got {block!r}")
    for b in blocks:
        if isinstance(b, (bool, np.bool_)) or not isinstance(b, (int, np.integer)) or not 0 <= b < B:
            raise ValueError(f"block must be in 0..{B - 1}, got {b!r}")
    return rho, d, k, [int(b) for b in blocks]


def _coupled_rhs(model, blocks, d: int, k: int, B: int):
    """The right-hand side of (mean-field states rho_1 (B, d, d), k-site operator X) packed as reals:
    rho_1 follows the nonlinear mean-field equation, X the linear L_t that rho_1 fixes."""
    n1 = 2 * B * d * d

    def rhs(_t, y):
        r1 = unpack_density(y[:n1], B, d)
        X = unpack_density(y[n1:], 1, d ** k)[0]
        Lb = [single_site_superoperator(H, jumps) for H, jumps in single_site_terms(model, r1)]
        dX = apply_local([Lb[b] for b in blocks], X, d, k)
        return np.concatenate([pack_density(master_rhs(model, r1)), pack_density(dX[None])])
    return rhs, n1


def _solve(rhs, y0: np.ndarray, times: np.ndarray, options: ODEOptions) -> np.ndarray:
    """ys (len(y0), T) from y0 at time 0 (the system is autonomous)."""
    return integrate(rhs, y0, times, options, "local-generator")


def local_generator(model, state, times, *, local_state, block=0,
                    options: ODEOptions | dict | None = None) -> LocalResult:
    """k sites evolved by the effective local generator (paper eq. 50; docs/theory.md §5).

    Parameters
    ----------
    model : SpinModel / BlockModel (d = 2) or QuditModel
    state : the bulk initial state (as for mean_field), which fixes m(t)
    times : (T,) strictly increasing output times >= 0
    local_state : (d^k, d^k) initial density matrix of the k sites (np.kron order, site 1 most
        significant; product or entangled)
    block : the block of every site (int) or one block per site
    options : ODEOptions (DOP853 tolerances)

    Returns
    -------
    LocalResult with rho (d^k, d^k, T), `expect(O)` (T,), and the mean-field solution.
    """
    times = check_times(times)
    options = ODEOptions.coerce(options)
    rho_s, d, k, blocks = _sites(model, local_state, block)
    rho1 = initial_density(model, state)
    rhs, n1 = _coupled_rhs(model, blocks, d, k, rho1.shape[0])
    ys = _solve(rhs, np.concatenate([pack_density(rho1), pack_density(rho_s[None])]), times, options)
    rho = np.moveaxis(unpack_density(ys[n1:].T, 1, d ** k)[:, 0], 0, -1)
    mf = mean_field(model, state, times, options=options)
    return LocalResult(times=times, sizes=mf.sizes, rho=rho, blocks=tuple(blocks), mean_field=mf)


def local_correlation(model, state, times, *, lags, a, b, local_state, block=0, connected: bool = False,
                      options: ODEOptions | dict | None = None) -> CorrelationResult:
    """<A(t + s) B(t)> of k sites under the effective local generator (Theorem 2's weak form, paper
    eq. 50 with the quantum regression theorem; docs/theory.md §12).

    With Lambda_{t+s,t} the evolution of L between t and t + s (m frozen to the mean-field solution),
    the value is tr[A Lambda_{t+s,t}(B rho_k(t))], rho_k(t) = Lambda_{t,0}(local_state): the N -> oo limit
    of the exact correlation of `exact_correlation` for a tagged site.

    Parameters
    ----------
    model, state, local_state, block, options : as for `local_generator`
    times : (T,) strictly increasing earlier times t >= 0
    lags : (S,) strictly increasing delays s >= 0
    a, b : (d^k, d^k) complex operators on the k sites
    connected : also compute <A(t + s)> for `CorrelationResult.connected`

    Returns
    -------
    CorrelationResult (method "local") with values (T, S), b_mean (T,), a_mean (T, S) or None.
    """
    connected = check_bool("connected", connected)
    times, lags = check_times(times), check_lags(lags)
    options = ODEOptions.coerce(options)
    rho_s, d, k, blocks = _sites(model, local_state, block)
    a, b = check_operator("a", a, d ** k), check_operator("b", b, d ** k)
    rho1 = initial_density(model, state)
    rhs, n1 = _coupled_rhs(model, blocks, d, k, rho1.shape[0])
    ys = _solve(rhs, np.concatenate([pack_density(rho1), pack_density(rho_s[None])]), times, options)
    values = np.empty((len(times), len(lags)), dtype=complex)
    a_mean = np.empty_like(values) if connected else None
    b_mean = np.empty(len(times), dtype=complex)

    def regress(y, X0):
        """tr(A X(s)) for X(0) = X0, with the mean-field state of y at the start."""
        Xs = _solve(rhs, np.concatenate([y[:n1], pack_density(X0[None])]), lags, options)
        return np.einsum("pq,sqp->s", a, unpack_density(Xs[n1:].T, 1, d ** k)[:, 0])

    for i, y in enumerate(ys.T):
        rho_t = unpack_density(y[n1:], 1, d ** k)[0]
        b_mean[i] = np.trace(b @ rho_t)
        values[i] = regress(y, b @ rho_t)
        if connected:
            a_mean[i] = regress(y, rho_t)
    return CorrelationResult(times=times, lags=lags, values=values, b_mean=b_mean, a_mean=a_mean,
                             method="local", sizes=tuple(model.sizes))
