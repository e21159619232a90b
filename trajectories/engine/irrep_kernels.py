"""Numba kernels of a trajectory on a whole irrep with sparse (CSR) operators (docs/theory.md §17, §18).

The generic path: the state is a vector on V_lam, every operator a CSR matrix (indptr, indices,
data) built by sectors/irreps.py. Between jumps the state evolves with H_eff by Taylor steps about
its mean c = <psi|H_eff|psi>, as on the spin paths (engine/propagate.py):

    psi(t + x h) = e^{-i c x h} sum_k w_k x^k,   w_k = (-i h (H_eff - c))^k psi / k!,   0 <= x <= 1,

so the series sees only the spread of H_eff about its mean, ~ sqrt(N) on a state near a coherent
one, instead of its norm ~ N. The state is kept normalised and the decay of the norm accumulated
in `lognorm`: with a0 = -2 Im c, ||psi(t + x h)||^2 = e^{-a0 h x} P(x), P(x) = ||sum_k w_k x^k||^2
= sum_m p_m x^m, p_m = sum_{j+k=m} Re <w_j, w_k>. A jump happens when lognorm + log of it reaches
log r (waiting-time method), at the root x of that polynomial.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

#: evolve's outcomes
REACHED, JUMP, TAYLOR_FAILED, NORM_FAILED = 0, 1, 2, 3
#: a no-jump step that needs more than max_terms Taylor terms is halved at most this often
MAX_HALVINGS = 60
#: the next step grows by GROW after a step that needed fewer than FEW terms and shrinks by SHRINK
#: after one that needed more than MANY (those of the spin paths)
FEW, MANY, GROW, SHRINK = 8, 14, 1.5, 0.7


@njit(cache=True)
def csr_matvec(indptr, indices, data, x, out):
    """out = A x for A in CSR form (rows = out.size)."""
    for i in range(out.size):
        acc = 0j
        for p in range(indptr[i], indptr[i + 1]):
            acc += data[p] * x[indices[p]]
        out[i] = acc


@njit(cache=True)
def mean_energy(indptr, indices, data, psi, hpsi):
    """(c, spread) with c = <psi|H_eff|psi> and spread = ||(H_eff - c) psi|| for a normalised psi;
    leaves H_eff psi in hpsi."""
    csr_matvec(indptr, indices, data, psi, hpsi)
    c = np.vdot(psi, hpsi)
    spread = 0.0
    for i in range(psi.size):
        v = hpsi[i] - c * psi[i]
        spread += v.real ** 2 + v.imag ** 2
    return c, math.sqrt(spread)


@njit(cache=True)
def taylor_terms(indptr, indices, data, psi, hpsi, c, h, terms, tol):
    """terms[k] = (-i h (H_eff - c))^k psi / k! until ||terms[k]|| <= tol ||psi||, given
    hpsi = H_eff psi; returns the number of terms stored, or -1 when terms.shape[0] were not enough."""
    terms[0, :] = psi
    scale = tol * math.sqrt(np.vdot(psi, psi).real)
    for k in range(1, terms.shape[0]):
        if k == 1:
            terms[1, :] = hpsi
        else:
            csr_matvec(indptr, indices, data, terms[k - 1], terms[k])
        f = -1j * h / k
        size = 0.0
        for i in range(psi.size):
            terms[k, i] = f * (terms[k, i] - c * terms[k - 1, i])
            size += terms[k, i].real ** 2 + terms[k, i].imag ** 2
        if math.sqrt(size) <= scale:
            return k + 1
    return -1


@njit(cache=True)
def combine(terms, K, x, out):
    """out = sum_{k < K} terms[k] x^k (Horner)."""
    out[:] = terms[K - 1]
    for k in range(K - 2, -1, -1):
        for i in range(out.size):
            out[i] = out[i] * x + terms[k, i]


@njit(cache=True)
def norm_polynomial(terms, K, coef):
    """coef[m] = sum_{j+k=m} Re <terms[j], terms[k]>, m < 2K - 1: ||sum_k terms[k] x^k||^2 = sum coef[m] x^m."""
    coef[:2 * K - 1] = 0.0
    for j in range(K):
        for k in range(j, K):
            g = np.vdot(terms[j], terms[k]).real
            coef[j + k] += g if j == k else 2.0 * g


@njit(cache=True)
def polynomial(coef, n, x):
    out = 0.0
    for m in range(n - 1, -1, -1):
        out = out * x + coef[m]
    return out


@njit(cache=True)
def log_norm(coef, n, slope, x):
    """log(e^{slope x} sum_m coef[m] x^m), the polynomial floored at 1e-300."""
    return slope * x + math.log(max(polynomial(coef, n, x), 1e-300))


@njit(cache=True)
def jump_fraction(coef, n, slope, target, root_tol):
    """x in (0, 1] with log q(x) = log target, q(x) = e^{slope x} sum coef[m] x^m decreasing from
    q(0) = 1 to q(1) <= target: Illinois iterations on log q(x) - log target to |residual| <= root_tol."""
    lo, hi = 0.0, 1.0
    flo, fhi = -math.log(target), log_norm(coef, n, slope, 1.0) - math.log(target)
    x = hi
    side = 0
    for _ in range(200):
        x = (lo * fhi - hi * flo) / (fhi - flo)
        f = log_norm(coef, n, slope, x) - math.log(target)
        if abs(f) <= root_tol:
            return x
        if f > 0:
            lo, flo = x, f
            if side == 1:
                fhi *= 0.5
            side = 1
        else:
            hi, fhi = x, f
            if side == -1:
                flo *= 0.5
            side = -1
    return x


@njit(cache=True)
def expand(indptr, indices, data, psi, hpsi, c, h, terms, tol):
    """(K, h): the Taylor terms of a step of h about c, h halved until the series converges within
    terms.shape[0] terms; K = -1 when MAX_HALVINGS halvings were not enough."""
    K = taylor_terms(indptr, indices, data, psi, hpsi, c, h, terms, tol)
    halvings = 0
    while K < 0 and halvings < MAX_HALVINGS:
        halvings += 1
        h *= 0.5
        K = taylor_terms(indptr, indices, data, psi, hpsi, c, h, terms, tol)
    return K, h


@njit(cache=True)
def next_step(h, K):
    """The step proposed after one of h that needed K Taylor terms."""
    if K < FEW:
        return h * GROW
    if K > MANY:
        return h * SHRINK
    return h


@njit(cache=True)
def evolve(indptr, indices, data, psi, t, t_stop, lognorm, logr, h, tol, root_tol, terms, coef, work):
    """Evolve the normalised psi (in place) with H_eff from t towards t_stop.

    Steps start at h (h = 0: at 0.5 / ||(H_eff - c) psi||, as after a jump), at most 3 / a0 so the
    norm decays by at most e^-3 in one, and adapt to the number of Taylor terms they need (next_step).
    Returns (t, lognorm, h, outcome): REACHED with psi(t_stop); JUMP with psi at the jump time
    (lognorm = logr); TAYLOR_FAILED or NORM_FAILED at the time where the step control gave up; h the
    step to start from next time.
    """
    while t < t_stop:
        c, spread = mean_energy(indptr, indices, data, psi, work)
        a0 = -2.0 * c.imag
        if h == 0.0:
            h = 0.5 / max(spread, 1e-300)
        step = h if a0 <= 0.0 else min(h, 3.0 / a0)
        clipped = step >= t_stop - t
        if clipped:
            step = t_stop - t
        K, halved = expand(indptr, indices, data, psi, work, c, step, terms, tol)
        if K < 0:
            return t, lognorm, h, TAYLOR_FAILED
        clipped = clipped and halved == step
        step = halved
        h = next_step(step, K) if not clipped or K > MANY else max(h, next_step(step, K))
        combine(terms, K, 1.0, work)
        n1 = np.vdot(work, work).real
        if not (n1 > 0.0 and n1 < math.inf):
            return t, lognorm, h, NORM_FAILED
        if lognorm - a0 * step + math.log(n1) > logr:
            psi[:] = work / math.sqrt(n1)
            lognorm += -a0 * step + math.log(n1)
            t = t_stop if clipped else t + step
            continue
        norm_polynomial(terms, K, coef)
        x = jump_fraction(coef, 2 * K - 1, -a0 * step, math.exp(logr - lognorm), root_tol)
        combine(terms, K, x, work)
        psi[:] = work / math.sqrt(np.vdot(work, work).real)
        return t + x * step, logr, h, JUMP
    return t, lognorm, h, REACHED


@njit(cache=True)
def record_moments(indptr, indices, data, psi, C, z, first, second):
    """first[a] = <psi|V_a|psi>, second[a, b] = Re <V_a psi|V_b psi> for the C Hermitian V_a stacked
    as one CSR matrix (C dim, dim); z: (C dim,) workspace."""
    dim = psi.size
    csr_matvec(indptr, indices, data, psi, z)
    for a in range(C):
        first[a] = np.vdot(psi, z[a * dim:(a + 1) * dim]).real
        for b in range(a, C):
            s = np.vdot(z[a * dim:(a + 1) * dim], z[b * dim:(b + 1) * dim]).real
            second[a, b] = s
            second[b, a] = s
