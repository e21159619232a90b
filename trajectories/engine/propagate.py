"""No-jump propagation: one Taylor step of psi under H_eff and the jump time inside it.

Each step expands (docs/theory.md §2)

    psi(t + x dt) = e^{-i c x dt} sum_k x^k w_k,   w_k = (-i dt (H_eff - c))^k psi / k!,

with c = <H_eff> (so the series only sees the spread of H_eff about its mean), adding terms until
||w_k|| < tol ||psi||. Since Im c = -<A>/2, the squared norm of the exact step is
e^{-a0 x dt} ||sum_k x^k w_k||^2 with a0 = <A>; a jump happens inside the step when
lognorm + log of it falls below logr, at the root x found by the Illinois method.
"""
from __future__ import annotations

import math

from numba import njit

from .banded import build_heff, cover_window, matvec_banded, trim_window
from .compiled import BANDED
from .dense import matvec_dense
from .series import add_polynomial_channels


@njit(cache=True)
def heff_matvec(P, ws, x, lo, hi, y):
    """y = H_eff x for x (G,) on [lo, hi); returns the support [ylo, yhi) of y.

    Banded path: global layout, the DIA rows plus the polynomial channels' -(i/2) Gamma Q Gamma x
    (series.py); dense path: compact vector of sector tuple ws.state[0].s, hi = d."""
    if P.mode != BANDED:
        return matvec_dense(ws.heff, ws.state[0].s, x, hi, y)
    if P.poly_l.size == 0:
        return matvec_banded(ws.heff, x, lo, hi, y)
    # a term spreads by more than the DIA offsets: widen the built rows when it reaches their edge
    if cover_window(ws.state[0], lo, hi, (ws.terms.shape[0] + 1) * max(P.maxoff, 1), P.G):
        build_heff(P, ws.tj, ws.heff.data, ws.state[0].built_lo, ws.state[0].built_hi)
    ylo, yhi = matvec_banded(ws.heff, x, lo, hi, y)
    return add_polynomial_channels(P, ws.lad, ws.tj, ws.scratch, ws.real, x, lo, hi, y, ylo, yhi)


@njit(cache=True)
def taylor_terms(P, ws, dt, tols, c):
    """Fill terms[k] = w_k, k = 1..K, from terms[0] = psi on [tlo[0], thi[0]) (supports in tlo, thi);
    returns K, or -1 if ||w_K|| < tol ||psi|| was not reached within terms.shape[0] - 1 terms.
    With polynomial channels the edges of each term beyond the previous term's support with
    |w_k,i|^2 <= trim ||psi||^2 are dropped, as the window of psi is (their series would otherwise
    widen every term by twice their degree)."""
    terms, tlo, thi = ws.terms, ws.tlo, ws.thi
    lo, hi = tlo[0], thi[0]
    norm0 = 0.0
    for i in range(lo, hi):
        norm0 += terms[0, i].real ** 2 + terms[0, i].imag ** 2
    cut = tols.trim * norm0
    norm0 = math.sqrt(norm0)
    for kk in range(1, terms.shape[0]):
        x = terms[kk - 1]
        y = terms[kk]
        ylo, yhi = heff_matvec(P, ws, x, tlo[kk - 1], thi[kk - 1], y)
        f = -1j * dt / kk
        nrm = 0.0
        for i in range(ylo, yhi):
            v = y[i]
            if tlo[kk - 1] <= i < thi[kk - 1]:
                v -= c * x[i]
            v *= f
            y[i] = v
            nrm += v.real ** 2 + v.imag ** 2
        if P.poly_l.size:  # supports stay nested (horner sums on the last one)
            while ylo < tlo[kk - 1] and y[ylo].real ** 2 + y[ylo].imag ** 2 <= cut:
                ylo += 1
            while yhi > thi[kk - 1] and y[yhi - 1].real ** 2 + y[yhi - 1].imag ** 2 <= cut:
                yhi -= 1
        tlo[kk], thi[kk] = ylo, yhi
        if math.sqrt(nrm) < tols.tol * norm0:
            return kk
    return -1


@njit(cache=True)
def horner(terms, tlo, thi, K, x, out):
    """out = sum_{k <= K} x^k terms[k] (G,) on [tlo[K], thi[K]); returns its squared norm."""
    lo, hi = tlo[K], thi[K]
    for i in range(lo, hi):
        out[i] = 0.0
    for kk in range(K, -1, -1):
        if kk < K:
            for i in range(lo, hi):
                out[i] *= x
        for i in range(tlo[kk], thi[kk]):
            out[i] += terms[kk, i]
    nrm = 0.0
    for i in range(lo, hi):
        nrm += out[i].real ** 2 + out[i].imag ** 2
    return nrm


@njit(cache=True)
def jump_time(ws, K, g0, a0dt, root_tol):
    """Root x in (0, 1] of g0 - a0dt x + log||p(x)||^2 = 0, p(x) = sum_{k <= K} x^k w_k (g0 > 0,
    value at x = 1 <= 0), by Illinois (modified regula falsi); leaves p(x) in work and returns
    (x, ||p(x)||^2)."""
    terms, tlo, thi, out = ws.terms, ws.tlo, ws.thi, ws.work
    x_lo, f_lo = 0.0, g0
    x_hi = 1.0
    n_hi = horner(terms, tlo, thi, K, 1.0, out)
    f_hi = g0 - a0dt + math.log(n_hi)
    side = 0
    x, nrm = x_hi, n_hi
    for _ in range(200):
        x = (x_lo * f_hi - x_hi * f_lo) / (f_hi - f_lo)
        nrm = horner(terms, tlo, thi, K, x, out)
        f = g0 - a0dt * x + math.log(nrm)
        if abs(f) < root_tol or x_hi - x_lo < 1e-15:
            return x, nrm
        if f > 0:
            x_lo, f_lo = x, f
            if side == 1:
                f_hi *= 0.5
            side = 1
        else:
            x_hi, f_hi = x, f
            if side == -1:
                f_lo *= 0.5
            side = -1
    return x, nrm


@njit(cache=True)
def mean_energy(P, ws):
    """(c, spread): c = <psi|H_eff|psi> and spread = ||(H_eff - c) psi|| (psi normalised)."""
    st = ws.state[0]
    lo, hi = st.lo, st.hi
    psi, hpsi = ws.terms[0], ws.work
    ulo, uhi = heff_matvec(P, ws, psi, lo, hi, hpsi)
    c = 0.0j
    for i in range(lo, hi):
        c += psi[i].conjugate() * hpsi[i]
    spread = 0.0
    for i in range(ulo, uhi):
        v = hpsi[i] - c * psi[i] if lo <= i < hi else hpsi[i]
        spread += v.real ** 2 + v.imag ** 2
    return c, math.sqrt(spread)


@njit(cache=True)
def step_size(st, a0, spread, remaining):
    """(dt, clipped): the proposed step (0.5 / spread after a jump), at most 3 / a0 so the norm
    decays by at most e^-3, and at most `remaining`; clipped when it ends exactly there."""
    if st.dt_guess == 0.0:
        st.dt_guess = 0.5 / max(spread, 1e-300)
    dt = st.dt_guess
    if a0 > 0 and dt > 3.0 / a0:
        dt = 3.0 / a0
    clipped = dt >= remaining
    if clipped:
        dt = remaining
    return dt, clipped


@njit(cache=True)
def expand(P, ws, c, dt, clipped, tols):
    """Taylor terms of psi about c for a step of dt, halved until the series converges; returns
    (K, dt, clipped) and sets the next proposed step from K (grow below 8 terms, shrink above 14)."""
    st = ws.state[0]
    ws.tlo[0], ws.thi[0] = st.lo, st.hi
    K = taylor_terms(P, ws, dt, tols, c)
    while K < 0:
        dt *= 0.5
        clipped = False
        K = taylor_terms(P, ws, dt, tols, c)
    if K < 8:
        st.dt_guess = dt * 1.5
    elif K > 14:
        st.dt_guess = dt * 0.7
    else:
        st.dt_guess = dt
    return K, dt, clipped


@njit(cache=True)
def settle(ws, K, nrm, trim):
    """psi = work / sqrt(nrm) on [tlo[K], thi[K]) (the end of a step), its window trimmed on the
    banded path."""
    st = ws.state[0]
    scale = 1.0 / math.sqrt(nrm)
    lo, hi = ws.tlo[K], ws.thi[K]
    for i in range(lo, hi):
        ws.terms[0, i] = ws.work[i] * scale
    if ws.heff.mode == BANDED:
        lo, hi = trim_window(ws.terms[0], lo, hi, trim)
    st.lo, st.hi = lo, hi


@njit(cache=True)
def propagate(P, ws, t_out, tols):
    """One no-jump step towards the output time t_out > t; returns True if a jump happens in it.

    Without a jump, psi and t advance to the end of the step and lognorm takes up the norm decay;
    with one, they advance to the jump time (psi normalised, before the jump is applied)."""
    st = ws.state[0]
    reach = (ws.terms.shape[0] + 1) * P.maxoff  # max_terms + 2 applications of H_eff
    if P.mode == BANDED and cover_window(st, st.lo, st.hi, reach, P.G):
        build_heff(P, ws.tj, ws.heff.data, st.built_lo, st.built_hi)
    c, spread = mean_energy(P, ws)
    a0 = -2.0 * c.imag
    dt, clipped = step_size(st, a0, spread, t_out - st.t)
    K, dt, clipped = expand(P, ws, c, dt, clipped, tols)
    n1 = horner(ws.terms, ws.tlo, ws.thi, K, 1.0, ws.work)
    g1 = st.lognorm - a0 * dt + math.log(n1)
    if g1 > st.logr:
        st.lognorm = g1
        st.t = t_out if clipped else st.t + dt
        settle(ws, K, n1, tols.trim)
        return False
    x, nx = jump_time(ws, K, st.lognorm - st.logr, a0 * dt, tols.root_tol)
    st.t += x * dt
    settle(ws, K, nx, tols.trim)
    return True
