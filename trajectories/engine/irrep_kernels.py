"""Numba kernels of a trajectory on a whole irrep with sparse (CSR) operators (docs/theory.md §17).

The generic path: the state is a vector on V_lam, every operator a CSR matrix (indptr, indices,
data) built by sectors/irreps.py. Between jumps the state evolves with H_eff by Taylor steps

    psi(t + x h) = sum_k c_k x^k,   c_k = (-i h H_eff)^k psi / k!,   0 <= x <= 1,

kept normalised, with the decay of the norm accumulated in `lognorm`; a jump happens when
lognorm + log ||psi(t + x h)||^2 reaches log r (waiting-time method), found as the root of the
polynomial ||sum_k c_k x^k||^2 = sum_m a_m x^m with a_m = sum_{j+k=m} Re <c_j, c_k>.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

#: evolve's outcomes
REACHED, JUMP, TAYLOR_FAILED, NORM_FAILED = 0, 1, 2, 3
#: a no-jump step that needs more than max_terms Taylor terms is halved at most this often
MAX_HALVINGS = 60
#: a step that needed at most max_terms - SPARE_TERMS terms is followed by one GROWTH times longer
SPARE_TERMS, GROWTH = 10, 1.25


@njit(cache=True)
def csr_matvec(indptr, indices, data, x, out):
    """out = A x for A in CSR form (rows = out.size)."""
    for i in range(out.size):
        acc = 0j
        for p in range(indptr[i], indptr[i + 1]):
            acc += data[p] * x[indices[p]]
        out[i] = acc


@njit(cache=True)
def taylor_terms(indptr, indices, data, psi, h, terms, tol):
    """terms[k] = (-i h H)^k psi / k! until ||terms[k]|| <= tol ||psi||; returns the number of terms
    stored, or -1 when terms.shape[0] were not enough."""
    terms[0, :] = psi
    scale = tol * math.sqrt(np.vdot(psi, psi).real)
    for k in range(1, terms.shape[0]):
        csr_matvec(indptr, indices, data, terms[k - 1], terms[k])
        f = -1j * h / k
        size = 0.0
        for i in range(psi.size):
            terms[k, i] *= f
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
def jump_fraction(coef, n, target, root_tol):
    """x in (0, 1] with log p(x) = log target, p(x) = sum coef[m] x^m decreasing from p(0) = 1 to
    p(1) <= target: Illinois iterations on log p(x) - log target to |residual| <= root_tol."""
    lo, hi = 0.0, 1.0
    flo, fhi = -math.log(target), math.log(max(polynomial(coef, n, 1.0), 1e-300)) - math.log(target)
    x = hi
    side = 0
    for _ in range(200):
        x = (lo * fhi - hi * flo) / (fhi - flo)
        f = math.log(max(polynomial(coef, n, x), 1e-300)) - math.log(target)
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
def evolve(indptr, indices, data, psi, t, t_stop, lognorm, logr, h, h_max, tol, root_tol, terms, coef, work):
    """Evolve the normalised psi (in place) with H_eff from t towards t_stop, by steps starting at h.

    The step grows by GROWTH while the Taylor series needs at most max_terms - SPARE_TERMS terms, up
    to 4 h_max (h_max = 2 / ||H_eff||, so the terms never exceed e^8 ||psi||), and halves when it
    would need more than max_terms = terms.shape[0]. Returns (t, lognorm, h, outcome): REACHED with
    psi(t_stop); JUMP with psi at the jump time (lognorm = logr); TAYLOR_FAILED or NORM_FAILED at
    the time where the step control gave up; h the step to start from next time.
    """
    while t < t_stop:
        remaining = t_stop - t
        step = min(h, remaining)
        K = taylor_terms(indptr, indices, data, psi, step, terms, tol)
        halvings = 0
        while K < 0:
            halvings += 1
            if halvings > MAX_HALVINGS:
                return t, lognorm, h, TAYLOR_FAILED
            step *= 0.5
            h = step
            K = taylor_terms(indptr, indices, data, psi, step, terms, tol)
        combine(terms, K, 1.0, work)
        n1 = np.vdot(work, work).real
        if not (n1 > 0.0 and n1 < math.inf):
            return t, lognorm, h, NORM_FAILED
        if lognorm + math.log(n1) > logr:
            psi[:] = work / math.sqrt(n1)
            lognorm += math.log(n1)
            if step == h and K <= terms.shape[0] - SPARE_TERMS:
                h = min(h * GROWTH, 4.0 * h_max)
            t = t_stop if step == remaining else t + step
            continue
        norm_polynomial(terms, K, coef)
        x = jump_fraction(coef, 2 * K - 1, math.exp(logr - lognorm), root_tol)
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
