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

from .banded import ensure_built, matvec_banded, trim_window
from .box import clear_box, copy_box, inside, norm2, nrows, row_base, trim_faces
from .dense import matvec_dense
from .paths import is_banded, per_path

#: halvings of a step whose Taylor series does not converge before the trajectory stops (a factor
#: 1e-18: the step is then below the resolution of the time in double precision)
MAX_HALVINGS = 60
#: codes of state.fail (workspace.STATE): the Taylor series did not converge, the norm is not finite
TAYLOR_FAILED, NORM_FAILED = 1, 2
from .series import add_polynomial_channels


def heff_product(P, ws, x, xbox, y, ybox, c, f):
    """y = f (H_eff - c) x (G,) for x zero outside xbox (2, B); sets ybox, the box of y (whose old
    value is cleared first; y must not be x).

    Banded path: global layout, matrix-free with the rate rows built on demand around xbox
    (banded.py); series path: plus the polynomial channels' -(i/2) Gamma Q Gamma x (series.py, on
    the flat range of xbox); dense path: compact vector of sector tuple ws.state[0].s, the box of
    dimension d."""


@njit(cache=True, inline="always")
def heff_banded(P, ws, x, xbox, y, ybox, c, f):
    clear_box(P.grid.gstride, y, ybox)
    ensure_built(P, ws.tj, ws.heff.data, ws.built, xbox, ws.bx[0])
    matvec_banded(ws.heff, x, xbox, y, ybox, c, f)


def heff_series(P, ws, x, xbox, y, ybox, c, f):
    heff_banded(P, ws, x, xbox, y, ybox, c, f)
    add_polynomial_channels(P, ws.lad, ws.tj, ws.scratch, ws.real, x, xbox, y, ybox, ws.bx[1], f)


def heff_dense(P, ws, x, xbox, y, ybox, c, f):
    clear_box(P.grid.gstride, y, ybox)
    d = xbox[1, P.grid.nb.size - 1]
    matvec_dense(P.dense, ws.state[0].s, x, d, y)
    for i in range(d):
        y[i] = f * (y[i] - c * x[i])
    copy_box(xbox, ybox)


per_path(heff_product, inline="always", banded=heff_banded, series=heff_series, dense=heff_dense)


@njit(cache=True)
def heff_matvec(P, ws, x, xbox, y, ybox, c, f):
    """heff_product, callable from Python (tests, benchmarks)."""
    heff_product(P, ws, x, xbox, y, ybox, c, f)


@njit(cache=True)
def taylor_terms(P, ws, dt, tols, c):
    """Fill terms[k] = w_k, k = 1..K, from terms[0] = psi (boxes in tbox); returns K, or -1 if
    ||w_K|| < tol ||psi|| was not reached within terms.shape[0] - 1 terms. On the banded path the faces
    of each term's box beyond the previous term's box with every |w_k,i|^2 <= trim ||psi||^2 are
    dropped, as the window of psi is, so the boxes stay nested (horner sums on the last one) and do
    not widen by the reach of H_eff at every term."""
    terms, tbox = ws.terms, ws.tbox
    gs = P.grid.gstride
    norm0 = norm2(gs, terms[0], tbox[0])
    cut = tols.trim * norm0
    norm0 = math.sqrt(norm0)
    for kk in range(1, terms.shape[0]):
        y, box = terms[kk], tbox[kk]
        heff_product(P, ws, terms[kk - 1], tbox[kk - 1], y, box, c, -1j * dt / kk)
        if is_banded(P):
            trim_faces(gs, y, box, tbox[kk - 1], cut, ws.bx[2])
        if math.sqrt(norm2(gs, y, box)) < tols.tol * norm0:
            return kk
    return -1


@njit(cache=True)
def horner(gs, terms, tbox, K, x, out, obox):
    """out = sum_{k <= K} x^k terms[k] (G,) on obox = tbox[K] (the largest: boxes are nested; out
    zero outside obox's old value); returns its squared norm."""
    last = gs.size - 1
    box = tbox[K]
    if not inside(obox, box):
        clear_box(gs, out, obox)
    copy_box(box, obox)
    nrm = 0.0
    for r in range(nrows(box)):
        base = row_base(gs, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            vr, vi = terms[K, i].real, terms[K, i].imag   # real arithmetic: x is real
            for kk in range(K - 1, -1, -1):
                w = terms[kk, i]
                vr = vr * x + w.real
                vi = vi * x + w.imag
            out[i] = complex(vr, vi)
            nrm += vr * vr + vi * vi
    return nrm


@njit(cache=True)
def horner_slope(gs, terms, tbox, K, x, out, obox):
    """horner with the slope: out = p(x) = sum_{k <= K} x^k terms[k] on obox = tbox[K]; returns
    (||p(x)||^2, d/dx ||p(x)||^2 = 2 Re <p(x), p'(x)>)."""
    last = gs.size - 1
    box = tbox[K]
    if not inside(obox, box):
        clear_box(gs, out, obox)
    copy_box(box, obox)
    nrm, slope = 0.0, 0.0
    for r in range(nrows(box)):
        base = row_base(gs, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            vr, vi = terms[K, i].real, terms[K, i].imag
            dr, di = 0.0, 0.0
            for kk in range(K - 1, -1, -1):
                w = terms[kk, i]
                dr = dr * x + vr
                di = di * x + vi
                vr = vr * x + w.real
                vi = vi * x + w.imag
            out[i] = complex(vr, vi)
            nrm += vr * vr + vi * vi
            slope += vr * dr + vi * di
    return nrm, 2.0 * slope


@njit(cache=True)
def jump_time(P, ws, K, g0, a0dt, n1, root_tol):
    """Root x in (0, 1] of g(x) = g0 - a0dt x + log||p(x)||^2, p(x) = sum_{k <= K} x^k w_k (g0 > 0,
    g(1) = g0 - a0dt + log n1 <= 0): Newton steps from the secant point, kept inside the bracket
    (bisection when a step leaves it); leaves p(x) in work and returns (x, ||p(x)||^2)."""
    x_lo, x_hi = 0.0, 1.0
    f_hi = g0 - a0dt + math.log(n1)
    x = g0 / (g0 - f_hi) if g0 - f_hi > 0 else 0.5
    nrm = n1
    for _ in range(200):
        nrm, slope = horner_slope(P.grid.gstride, ws.terms, ws.tbox, K, x, ws.work, ws.wbox)
        f = g0 - a0dt * x + math.log(nrm)
        if abs(f) < root_tol or x_hi - x_lo < 1e-15:
            return x, nrm
        if f > 0:
            x_lo = x
        else:
            x_hi = x
        df = -a0dt + slope / nrm
        x_new = x - f / df if df != 0 else -1.0
        x = x_new if x_lo < x_new < x_hi else 0.5 * (x_lo + x_hi)
    return x, nrm


@njit(cache=True, inline="always")
def mean_energy(P, ws):
    """(c, spread): c = <psi|H_eff|psi> and spread = ||(H_eff - c) psi|| (psi normalised); leaves
    H_eff psi in work."""
    gs = P.grid.gstride
    last = P.grid.nb.size - 1
    psi, box = ws.terms[0], ws.tbox[0]
    hpsi, hbox = ws.work, ws.wbox
    heff_product(P, ws, psi, box, hpsi, hbox, 0.0j, 1.0 + 0.0j)
    c = 0.0j
    for r in range(nrows(box)):
        base = row_base(gs, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            c += psi[i].conjugate() * hpsi[i]
    spread = 0.0
    for r in range(nrows(hbox)):
        base = row_base(gs, hbox, r)
        for i in range(base + hbox[0, last], base + hbox[1, last]):
            v = hpsi[i] - c * psi[i]
            spread += v.real ** 2 + v.imag ** 2
    return c, math.sqrt(spread)


@njit(cache=True, inline="always")
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


@njit(cache=True, inline="always")
def expand(P, ws, c, dt, clipped, tols):
    """Taylor terms of psi about c for a step of dt, halved until the series converges; returns
    (K, dt, clipped) and sets the next proposed step from K (grow below 8 terms, shrink above 14).
    A series that does not converge after MAX_HALVINGS halvings sets state.fail = TAYLOR_FAILED."""
    st = ws.state[0]
    K = taylor_terms(P, ws, dt, tols, c)
    halvings = 0
    while K < 0:
        halvings += 1
        if halvings > MAX_HALVINGS:
            st.fail = TAYLOR_FAILED
            return 0, dt, clipped
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


@njit(cache=True, inline="always")
def settle(P, ws, K, nrm, trim):
    """psi = work / sqrt(nrm) on tbox[K] (the end of a step; it holds psi's box), its window trimmed
    on the banded path."""
    gs = P.grid.gstride
    last = P.grid.nb.size - 1
    scale = 1.0 / math.sqrt(nrm)
    box, psi = ws.tbox[0], ws.terms[0]
    copy_box(ws.tbox[K], box)
    for r in range(nrows(box)):
        base = row_base(gs, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            psi[i] = ws.work[i] * scale
    if is_banded(P):
        trim_window(P.grid.gstride, psi, box, ws.bx[2], ws.bx[3], trim)


@njit(cache=True, inline="always")
def propagate(P, ws, t_out, tols):
    """One no-jump step towards the output time t_out > t; returns True if a jump happens in it
    (False, with state.fail set, when the step cannot be integrated).

    Without a jump, psi and t advance to the end of the step and lognorm takes up the norm decay;
    with one, they advance to the jump time (psi normalised, before the jump is applied)."""
    st = ws.state[0]
    c, spread = mean_energy(P, ws)
    a0 = -2.0 * c.imag
    dt, clipped = step_size(st, a0, spread, t_out - st.t)
    K, dt, clipped = expand(P, ws, c, dt, clipped, tols)
    if st.fail:
        return False
    n1 = horner(P.grid.gstride, ws.terms, ws.tbox, K, 1.0, ws.work, ws.wbox)
    if not 0.0 < n1 < math.inf:   # NaN, inf or a vanished state
        st.fail = NORM_FAILED
        return False
    g1 = st.lognorm - a0 * dt + math.log(n1)
    if g1 > st.logr:
        st.lognorm = g1
        st.t = t_out if clipped else st.t + dt
        settle(P, ws, K, n1, tols.trim)
        return False
    x, nx = jump_time(P, ws, K, st.lognorm - st.logr, a0 * dt, n1, tols.root_tol)
    st.t += x * dt
    settle(P, ws, K, nx, tols.trim)
    return True
