"""Numba kernels of one quantum-jump trajectory in total-spin sectors (docs/theory.md §2).

A trajectory is a vector psi in one sector tuple 2j = (2j_1, ..., 2j_B), stored in the global
layout (states.py) with a window [lo, hi) outside which it vanishes. Between jumps it evolves
with H_eff = H - (i/2) A, A = sum_l Gamma_l Q_l Gamma_l; the squared norm decays and a jump
happens when it crosses a uniform random number r (waiting-time method). Each step expands

    psi(t + s dt) = e^{-i c s dt} sum_k s^k w_k,   w_k = (-i dt (H_eff - c))^k psi / k!,

with c = <H_eff> (so the series only sees the spread of H_eff about its mean), keeps adding
terms until ||w_k|| < tol ||psi||, and finds the jump time inside the step as the root in s of
log||psi(t + s dt)||^2 = log r (Illinois method). A jump of channel l on block b picks the target
j_b' in {j_b + 1, j_b, j_b - 1} with probability ||K_{j_b -> j_b'} Gamma_l psi||^2 / <A_l>.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .compiled import BANDED, DENSE
from ..sectors.dicke import kraus_coefficient, no_jump_weight

_DK = (-1, 1, 0)  # change of k = N/2 - m under T_+, T_-, T_z


@njit(cache=True, inline="always")
def _digit(P, i, b):
    return (i // P.gstride[b]) % P.nk[b]


@njit(cache=True)
def _ladder(q, j, m):
    """<m'| T_q |m> for spin j: T_+ -> sqrt(j(j+1) - m(m+1)), T_- -> sqrt(j(j+1) - m(m-1)), T_z -> m."""
    if q == 2:
        return m
    v = j * (j + 1.0) - m * (m + 1.0) if q == 0 else j * (j + 1.0) - m * (m - 1.0)
    return math.sqrt(v) if v > 0.0 else 0.0


# ---------------------------------------------------------------------------------------------
# banded path: H_eff in DIA storage, built on a range of rows for the current sector tuple

@njit(cache=True)
def build_banded(P, tj, data, r0, r1):
    """Fill data[:, r0:r1] with H_eff of sector tuple tj: y[i] = sum_d data[d, i] x[i + off_d]."""
    B = P.nb.size
    k = np.empty(B, np.int64)
    kc = np.empty(B, np.int64)
    for i in range(r0, r1):
        for d in range(P.offsets.size):
            data[d, i] = 0.0
    for i in range(r0, r1):
        for b in range(B):
            k[b] = _digit(P, i, b)
        for t in range(P.lin_b.size):
            b, q = P.lin_b[t], P.lin_q[t]
            kb = k[b] - _DK[q]
            if kb < 0 or kb >= P.nk[b]:
                continue
            data[P.lin_d[t], i] += P.lin_c[t] * _ladder(q, 0.5 * tj[b], 0.5 * P.nb[b] - kb)
        for t in range(P.quad_b.size):
            b, q, g, r = P.quad_b[t], P.quad_q[t], P.quad_g[t], P.quad_r[t]
            for a in range(B):
                kc[a] = k[a]
            kc[b] -= _DK[q]
            kc[g] -= _DK[r]
            if kc[b] < 0 or kc[b] >= P.nk[b] or kc[g] < 0 or kc[g] >= P.nk[g]:
                continue
            mg = 0.5 * P.nb[g] - kc[g]
            e1 = _ladder(r, 0.5 * tj[g], mg)
            if e1 == 0.0:
                continue
            mb = mg - _DK[r] if b == g else 0.5 * P.nb[b] - kc[b]
            data[P.quad_d[t], i] += P.quad_c[t] * e1 * _ladder(q, 0.5 * tj[b], mb)
        data[P.diag0, i] += -0.5j * P.adiag[i]


@njit(cache=True)
def matvec_banded(P, data, x, lo, hi, y):
    """y = H_eff x for x supported on [lo, hi); returns the support [ylo, yhi) of y."""
    ylo = max(lo - P.maxoff, 0)
    yhi = min(hi + P.maxoff, P.G)
    for i in range(ylo, yhi):
        y[i] = 0.0
    for d in range(P.offsets.size):
        o = P.offsets[d]
        for i in range(max(ylo, lo - o), min(yhi, hi - o)):
            y[i] += data[d, i] * x[i + o]
    return ylo, yhi


# ---------------------------------------------------------------------------------------------
# dense path: per sector tuple, the state is kept compact (its basis is idx_data[idx_ptr[s]:...])

@njit(cache=True)
def sector_index(P, tj):
    s = 0
    for b in range(P.nb.size):
        s += ((P.nk[b] - 1 - tj[b]) // 2) * P.sstride[b]
    return s


@njit(cache=True)
def matvec_dense(P, s, x, d, y):
    H = P.heff_data[P.heff_ptr[s]:P.heff_ptr[s + 1]].reshape((d, d))
    y[:d] = H @ x[:d]
    return 0, d


@njit(cache=True)
def sector_basis(P, s):
    """Global-layout indices of the basis states of sector tuple s (dense path)."""
    return P.idx_data[P.idx_ptr[s]:P.idx_ptr[s + 1]]


@njit(cache=True)
def gamma_dense(P, l, s, x, d):
    """Gamma_l x on the compact vector x of sector tuple s (dense path)."""
    S = P.idx_ptr.size - 1
    gm = P.gam_data[P.gam_ptr[l * S + s]:P.gam_ptr[l * S + s + 1]].reshape((d, d))
    return gm @ x[:d]


@njit(cache=True)
def scatter(idx, compact, glob):
    """Write the compact vector into the (zero) global layout; returns its support [lo, hi)."""
    for c in range(idx.size):
        glob[idx[c]] = compact[c]
    return idx[0], idx[idx.size - 1] + 1


# ---------------------------------------------------------------------------------------------
# the propagation step, common to both paths

@njit(cache=True)
def _matvec(P, mode, data, s, x, lo, hi, y):
    if mode == BANDED:
        return matvec_banded(P, data, x, lo, hi, y)
    return matvec_dense(P, s, x, hi, y)


@njit(cache=True)
def taylor_terms(P, mode, data, s, terms, tlo, thi, dt, tol, c):
    """Fill terms[1..K] from terms[0] (= psi on [tlo[0], thi[0])); returns K, or -1 if the
    series did not reach ||w_K|| < tol ||psi|| within terms.shape[0] - 1 terms."""
    lo, hi = tlo[0], thi[0]
    norm0 = 0.0
    for i in range(lo, hi):
        norm0 += terms[0, i].real ** 2 + terms[0, i].imag ** 2
    norm0 = math.sqrt(norm0)
    for kk in range(1, terms.shape[0]):
        x = terms[kk - 1]
        y = terms[kk]
        ylo, yhi = _matvec(P, mode, data, s, x, tlo[kk - 1], thi[kk - 1], y)
        f = -1j * dt / kk
        nrm = 0.0
        for i in range(ylo, yhi):
            v = y[i]
            if tlo[kk - 1] <= i < thi[kk - 1]:
                v -= c * x[i]
            v *= f
            y[i] = v
            nrm += v.real ** 2 + v.imag ** 2
        tlo[kk], thi[kk] = ylo, yhi
        if math.sqrt(nrm) < tol * norm0:
            return kk
    return -1


@njit(cache=True)
def horner(terms, tlo, thi, K, s, out):
    """out = sum_k s^k w_k on [tlo[K], thi[K]); returns its squared norm."""
    lo, hi = tlo[K], thi[K]
    for i in range(lo, hi):
        out[i] = 0.0
    for kk in range(K, -1, -1):
        if kk < K:
            for i in range(lo, hi):
                out[i] *= s
        for i in range(tlo[kk], thi[kk]):
            out[i] += terms[kk, i]
    nrm = 0.0
    for i in range(lo, hi):
        nrm += out[i].real ** 2 + out[i].imag ** 2
    return nrm


@njit(cache=True)
def jump_time(terms, tlo, thi, K, g0, a0dt, out, root_tol):
    """Root s in (0, 1] of g0 - a0dt s + log||P(s)||^2 = 0 (g0 > 0, value at s = 1 <= 0).

    Illinois (modified regula falsi); leaves P(s) in `out` and returns (s, ||P(s)||^2)."""
    s_lo, f_lo = 0.0, g0
    s_hi = 1.0
    n_hi = horner(terms, tlo, thi, K, 1.0, out)
    f_hi = g0 - a0dt + math.log(n_hi)
    side = 0
    s, nrm = s_hi, n_hi
    for _ in range(200):
        s = (s_lo * f_hi - s_hi * f_lo) / (f_hi - f_lo)
        nrm = horner(terms, tlo, thi, K, s, out)
        f = g0 - a0dt * s + math.log(nrm)
        if abs(f) < root_tol or s_hi - s_lo < 1e-15:
            return s, nrm
        if f > 0:
            s_lo, f_lo = s, f
            if side == 1:
                f_hi *= 0.5
            side = 1
        else:
            s_hi, f_hi = s, f
            if side == -1:
                f_lo *= 0.5
            side = -1
    return s, nrm


# ---------------------------------------------------------------------------------------------
# jumps and observables in the global layout

@njit(cache=True)
def channel_weights(P, tj, psi, lo, hi, w):
    """w[l] = <psi| Gamma_l Q_l Gamma_l |psi> (banded path, Gamma diagonal on the grid)."""
    for l in range(P.ch_op.size):
        b = P.ch_block[l]
        acc = 0.0
        for i in range(lo, hi):
            m = 0.5 * P.nb[b] - _digit(P, i, b)
            g = P.gtab[l, i]
            acc += g * g * no_jump_weight(P.ch_op[l], P.nb[b], m) * (psi[i].real ** 2 + psi[i].imag ** 2)
        w[l] = acc
    return w


@njit(cache=True)
def kraus_norm(P, l, dj, tj, phi, lo, hi):
    """||K_{j_b -> j_b + dj} phi||^2 for channel l (phi in the global layout)."""
    b = P.ch_block[l]
    j = 0.5 * tj[b]
    if j + dj < 0 or j + dj > 0.5 * P.nb[b]:
        return 0.0
    acc = 0.0
    for i in range(lo, hi):
        m = 0.5 * P.nb[b] - _digit(P, i, b)
        if abs(m) > j:
            continue
        cf = kraus_coefficient(P.ch_op[l], dj, P.nb[b], j, m)
        acc += cf * cf * (phi[i].real ** 2 + phi[i].imag ** 2)
    return acc


@njit(cache=True)
def apply_kraus(P, l, dj, tj, phi, lo, hi, out, scale):
    """out = scale K_{j_b -> j_b + dj} phi; returns the support [olo, ohi) of out."""
    b = P.ch_block[l]
    op = P.ch_op[l]
    j = 0.5 * tj[b]
    shift = 0 if op == 2 else (P.gstride[b] if op == 0 else -P.gstride[b])
    olo = max(lo + shift, 0)
    ohi = min(hi + shift, P.G)
    for i in range(olo, ohi):
        out[i] = 0.0
    for i in range(lo, hi):
        m = 0.5 * P.nb[b] - _digit(P, i, b)
        if abs(m) > j:
            continue
        cf = kraus_coefficient(op, dj, P.nb[b], j, m)
        if cf != 0.0:
            out[i + shift] = scale * cf * phi[i]
    return olo, ohi


@njit(cache=True)
def moments(P, tj, psi, lo, hi, u, first, second):
    """first[b, q] = <T^b_q>, second[3b+q, 3g+r] = <T^b_q T^g_r> of the normalised psi."""
    B = P.nb.size
    for b in range(B):
        st = P.gstride[b]
        j = 0.5 * tj[b]
        for q in range(3):
            row = u[3 * b + q]
            for i in range(max(lo - st, 0), min(hi + st, P.G)):
                row[i] = 0.0
            for i in range(lo, hi):
                m = 0.5 * P.nb[b] - _digit(P, i, b)
                if abs(m) > j:
                    continue
                e = _ladder(q, j, m)
                if e != 0.0:
                    row[i + _DK[q] * st] = e * psi[i]
    for b in range(B):
        for q in range(3):
            acc = 0.0j
            for i in range(lo, hi):
                acc += psi[i].conjugate() * u[3 * b + q, i]
            first[b, q] = acc
    adj = (1, 0, 2)
    for b in range(B):
        for q in range(3):
            lhs = u[3 * b + adj[q]]
            sb = P.gstride[b]
            for g in range(B):
                sg = P.gstride[g]
                rhs = u[3 * g:3 * g + 3]
                for r in range(3):
                    acc = 0.0j
                    for i in range(max(lo - max(sb, sg), 0), min(hi + max(sb, sg), P.G)):
                        acc += lhs[i].conjugate() * rhs[r, i]
                    second[3 * b + q, 3 * g + r] = acc


# ---------------------------------------------------------------------------------------------

@njit(cache=True)
def _trim(psi, lo, hi, trim):
    nrm = 0.0
    for i in range(lo, hi):
        nrm += psi[i].real ** 2 + psi[i].imag ** 2
    cut = trim * nrm
    while hi - lo > 1 and psi[lo].real ** 2 + psi[lo].imag ** 2 <= cut:
        lo += 1
    while hi - lo > 1 and psi[hi - 1].real ** 2 + psi[hi - 1].imag ** 2 <= cut:
        hi -= 1
    return lo, hi


@njit(cache=True)
def run_trajectory(P, psi0, tj0, times, rng, tol, root_tol, trim, max_terms, first, second):
    """One trajectory from the normalised psi0 (global layout) in sector tuple tj0.

    Writes first[t, b, q] = <T^b_q>, second[t, 3b+q, 3g+r] = <T^b_q T^g_r> at every output time
    (times strictly increasing, >= 0) and returns the number of jumps."""
    mode = P.mode
    B = P.nb.size
    L = P.ch_op.size
    G = P.G
    tj = tj0.copy()
    terms = np.zeros((max_terms + 1, G), np.complex128)
    tlo = np.zeros(max_terms + 1, np.int64)
    thi = np.zeros(max_terms + 1, np.int64)
    glob = np.zeros(G, np.complex128)      # psi in the global layout
    work = np.zeros(G, np.complex128)
    u = np.zeros((3 * B, G), np.complex128)
    w = np.zeros(max(L, 1))
    if mode == BANDED:
        data = np.zeros((P.offsets.size, G), np.complex128)
    else:
        data = np.zeros((1, 1), np.complex128)
    built_lo, built_hi = 0, 0
    margin = 2 * (max_terms + 2) * P.maxoff

    # current state: terms[0] on [lo, hi) (global layout, banded) or compact (dense)
    lo, hi = 0, G
    while lo < G - 1 and psi0[lo] == 0:
        lo += 1
    while hi > lo + 1 and psi0[hi - 1] == 0:
        hi -= 1
    s = sector_index(P, tj)
    if mode == DENSE:
        idx = sector_basis(P, s)
        for c in range(idx.size):
            terms[0, c] = psi0[idx[c]]
        lo, hi = 0, idx.size
    else:
        for i in range(lo, hi):
            terms[0, i] = psi0[i]
    nrm = 0.0
    for i in range(lo, hi):
        nrm += terms[0, i].real ** 2 + terms[0, i].imag ** 2
    for i in range(lo, hi):
        terms[0, i] /= math.sqrt(nrm)

    t = 0.0
    it = 0
    njumps = 0
    lognorm = 0.0
    logr = math.log(rng.random())
    dt_guess = 0.0
    glob_lo, glob_hi = lo, hi
    while it < times.size:
        # the state in the global layout, for observables and jumps
        if mode == DENSE:
            for i in range(glob_lo, glob_hi):
                glob[i] = 0.0
            glob_lo, glob_hi = scatter(sector_basis(P, s), terms[0], glob)
            psi, plo, phi_ = glob, glob_lo, glob_hi
        else:
            psi, plo, phi_ = terms[0], lo, hi
        if t >= times[it]:
            moments(P, tj, psi, plo, phi_, u, first[it], second[it])
            it += 1
            continue
        # (re)build the banded H_eff around the window if needed
        if mode == BANDED and ((lo - margin // 2 < built_lo and built_lo > 0)
                               or (hi + margin // 2 > built_hi and built_hi < G)):
            built_lo, built_hi = max(lo - margin, 0), min(hi + margin, G)
            build_banded(P, tj, data, built_lo, built_hi)
        # c = <H_eff>, first term and step size
        tlo[0], thi[0] = lo, hi
        ulo, uhi = _matvec(P, mode, data, s, terms[0], lo, hi, work)
        c = 0.0j
        for i in range(lo, hi):
            c += terms[0, i].conjugate() * work[i]
        spread = 0.0
        for i in range(ulo, uhi):
            v = work[i] - c * terms[0, i] if lo <= i < hi else work[i]
            spread += v.real ** 2 + v.imag ** 2
        spread = math.sqrt(spread)
        a0 = -2.0 * c.imag
        if dt_guess == 0.0:
            dt_guess = 0.5 / max(spread, 1e-300)
        dt = dt_guess
        if a0 > 0 and dt > 3.0 / a0:
            dt = 3.0 / a0
        remaining = times[it] - t
        clipped = dt >= remaining
        if clipped:
            dt = remaining
        K = taylor_terms(P, mode, data, s, terms, tlo, thi, dt, tol, c)
        while K < 0:
            dt *= 0.5
            clipped = False
            K = taylor_terms(P, mode, data, s, terms, tlo, thi, dt, tol, c)
        if K < 8:
            dt_guess = dt * 1.5
        elif K > 14:
            dt_guess = dt * 0.7
        else:
            dt_guess = dt
        n1 = horner(terms, tlo, thi, K, 1.0, work)
        g1 = lognorm - a0 * dt + math.log(n1)
        if g1 > logr:  # no jump in this step
            lognorm = g1
            t = times[it] if clipped else t + dt
            scale = 1.0 / math.sqrt(n1)
            lo, hi = tlo[K], thi[K]
            for i in range(lo, hi):
                terms[0, i] = work[i] * scale
            if mode == BANDED:
                lo, hi = _trim(terms[0], lo, hi, trim)
            continue
        # a jump inside the step
        sj, nj = jump_time(terms, tlo, thi, K, lognorm - logr, a0 * dt, work, root_tol)
        t += sj * dt
        lo, hi = tlo[K], thi[K]
        scale = 1.0 / math.sqrt(nj)
        for i in range(lo, hi):
            terms[0, i] = work[i] * scale
        if mode == BANDED:
            lo, hi = _trim(terms[0], lo, hi, trim)
        njumps += 1
        # choose the channel: weights <Gamma_l Q_l Gamma_l>
        if mode == BANDED:
            channel_weights(P, tj, terms[0], lo, hi, w)
        else:
            d = hi
            idx = sector_basis(P, s)
            for l in range(L):
                phi_c = gamma_dense(P, l, s, terms[0], d)
                b = P.ch_block[l]
                acc = 0.0
                for cc in range(d):
                    m = 0.5 * P.nb[b] - _digit(P, idx[cc], b)
                    acc += no_jump_weight(P.ch_op[l], P.nb[b], m) * (phi_c[cc].real ** 2 + phi_c[cc].imag ** 2)
                w[l] = acc
        total = 0.0
        for l in range(L):
            total += w[l]
        x = rng.random() * total
        l = 0
        while l < L - 1 and x >= w[l]:
            x -= w[l]
            l += 1
        # phi = Gamma_l psi in the global layout
        if mode == BANDED:
            for i in range(lo, hi):
                work[i] = P.gtab[l, i] * terms[0, i]
            flo, fhi = lo, hi
        else:
            idx = sector_basis(P, s)
            for i in range(idx[0], idx[idx.size - 1] + 1):
                work[i] = 0.0
            flo, fhi = scatter(idx, gamma_dense(P, l, s, terms[0], hi), work)
        # choose the target sector
        n_up = kraus_norm(P, l, 1, tj, work, flo, fhi)
        n_eq = kraus_norm(P, l, 0, tj, work, flo, fhi)
        n_dn = kraus_norm(P, l, -1, tj, work, flo, fhi)
        x = rng.random() * (n_up + n_eq + n_dn)
        if x < n_up:
            dj, nk = 1, n_up
        elif x < n_up + n_eq:
            dj, nk = 0, n_eq
        else:
            dj, nk = -1, n_dn
        b = P.ch_block[l]
        if mode == BANDED:
            lo, hi = apply_kraus(P, l, dj, tj, work, flo, fhi, terms[0], 1.0 / math.sqrt(nk))
            lo, hi = _trim(terms[0], lo, hi, trim)
            tj[b] += 2 * dj
            if dj != 0:
                built_lo, built_hi = 0, 0  # H_eff depends on j: rebuild
        else:
            for i in range(glob_lo, glob_hi):
                glob[i] = 0.0
            glo, ghi = apply_kraus(P, l, dj, tj, work, flo, fhi, glob, 1.0 / math.sqrt(nk))
            tj[b] += 2 * dj
            s = sector_index(P, tj)
            idx = sector_basis(P, s)
            for cc in range(idx.size):
                terms[0, cc] = glob[idx[cc]]
            for i in range(glo, ghi):
                glob[i] = 0.0
            lo, hi = 0, idx.size
            glob_lo, glob_hi = idx[0], idx[idx.size - 1] + 1
        lognorm = 0.0
        logr = math.log(rng.random())
        dt_guess = 0.0
    return njumps
