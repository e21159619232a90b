"""The clustering quantity E_N(t) (paper eq. 24, Theorem 1; docs/theory.md §4) for any result.

In the orthonormal basis v_a = sigma_a / sqrt2 (hence the 1/2 in Pauli units) and for B blocks,

    E_N(t) = sum_b (N_b / N) 1/2 sum_a omega_t((m_a^b - m_a^{b,MF}(t))^2),

the paper's quantity for B = 1; a tagged block of one site contributes O(1/N). For a QuditModel
result it is the paper's sum over the model's orthonormal basis, sum_a omega_t((m_a - m_a^MF(t))^2)
(m_0 = 1/sqrt d contributes nothing). It is linear in the block vector, so its standard error is
exact. Theorem 1: E_N(0) -> 0 implies
E_N(t) <= e^{C1 t} E_N(0) + C2 (e^{C1 t} - 1) / (C1 N), so E_N ~ 1/N for product initial states; a
non-clustering state (cat) keeps E_N = O(1).
"""
from __future__ import annotations

import numpy as np

from ..base.results import MeanFieldResult, pairs
from .propagation import PAIR_INDEX, block_diagonal, block_statistics, propagated_stderr


def mean_field_bloch(result, mf) -> np.ndarray:
    """Mean-field Bloch vectors at result.times, (T, B, 3).

    Parameters
    ----------
    result : Result
    mf : MeanFieldResult of blocks in the same proportions (mean field depends on N only through
        the fractions N_b / N; spin, Pauli units; interpolated with m_at when its times differ
        from the result's), or an array shaped like result.mean
    """
    T, B = len(result.times), len(result.sizes)
    if isinstance(mf, MeanFieldResult):
        if mf.kind != "spin":
            raise ValueError("mf must be a spin mean-field result (Pauli units), got a qudit one")
        ours, theirs = np.asarray(result.sizes, float), np.asarray(mf.sizes, float)
        if ours.shape != theirs.shape or not np.allclose(ours / ours.sum(), theirs / theirs.sum(), rtol=1e-12):
            raise ValueError(f"mf is for blocks {tuple(mf.sizes)}, the result for {tuple(result.sizes)}: mean "
                             "field depends on the block fractions N_b / N, which differ")
        same = len(mf.times) == T and np.allclose(mf.times, result.times, rtol=0, atol=1e-12)
        arr = np.asarray(mf.mean if same else mf.m_at(result.times), dtype=float)
    else:
        arr = np.asarray(mf, dtype=float)
    want = (3, T) if result.single_block else (B, 3, T)
    if arr.shape != want:
        raise ValueError(f"mf.mean must have shape {want} at the result's times, got {arr.shape}")
    if result.single_block:
        arr = arr[None]
    return np.moveaxis(arr, -1, 0)


def _terms(mu: np.ndarray, mmf: np.ndarray):
    """1/2 omega_t((m_a^b - mMF_a^b)^2) per (T, B, 3) and its gradient (T, B, 3, 9) (block b's vector)."""
    sq = np.stack([mu[..., PAIR_INDEX[(a, a)]] for a in range(3)], -1)
    terms = 0.5 * (sq - 2 * mmf * mu[..., :3] + mmf ** 2)
    g = np.zeros(mu.shape[:-1] + (3, 9))
    for a in range(3):
        g[..., a, PAIR_INDEX[(a, a)]] = 0.5
        g[..., a, a] = -mmf[..., a]
    return terms, g


def clustering_components(result, mf):
    """Per-block, per-component terms 1/2 omega_t((m_a^b - m_a^{b,MF}(t))^2), not size-weighted.

    Parameters
    ----------
    result : Result (Ensemble, ExactResult, spin MeanFieldResult)
    mf : MeanFieldResult or array shaped like result.mean (`mean_field_bloch`)

    Returns
    -------
    (terms, stderr), each (B, 3, T), or (3, T) for a SpinModel; exact errors (zero when exact).
    """
    stats = block_statistics(result)
    terms, g = _terms(stats.mu, mean_field_bloch(result, mf))
    terms = result.public(terms)
    err = propagated_stderr(stats, block_diagonal(g), terms, "clustering_components")
    return terms, result.public(err)


def clustering(result, mf):
    """E_N(t) = sum_b (N_b/N) 1/2 sum_a omega_t((m_a^b - m_a^{b,MF}(t))^2) (paper eq. 24).

    Parameters
    ----------
    result : Result (Ensemble, ExactResult, spin MeanFieldResult)
    mf : MeanFieldResult or array shaped like result.mean (`mean_field_bloch`)

    Returns
    -------
    (E_N, stderr), each (T,); the error is exact, sqrt(G^T C G / n) with C the covariance of the
    block vectors across blocks (zero for an exact result). InsufficientDataError (with
    .estimate) for an ensemble of one trajectory.
    """
    if getattr(result, "kind", "spin") == "qudit":
        return qudit_clustering(result, mf)
    stats = block_statistics(result)
    terms, g = _terms(stats.mu, mean_field_bloch(result, mf))
    w = np.asarray(result.sizes, dtype=float) / sum(result.sizes)
    EN = np.einsum("b,tba->t", w, terms)
    G = w[None, :, None] * g.sum(axis=2)                               # (T, B, 9)
    return EN, propagated_stderr(stats, G, EN, "clustering")


def qudit_clustering(result, mf):
    """E_N(t) = sum_a omega_t((m_a - m_a^MF(t))^2) of a QuditModel result (paper eq. 24 in the model's
    orthonormal basis), with its exact standard error; mf: a qudit MeanFieldResult or an array
    (d^2, T) at the result's times. Returns (E_N, stderr), each (T,)."""
    C, T = result.mean.shape[0], len(result.times)
    if isinstance(mf, MeanFieldResult):
        if mf.kind != "qudit":
            raise ValueError("mf must be the mean field of the QuditModel (a qudit result), got a spin one")
        same = len(mf.times) == T and np.allclose(mf.times, result.times, rtol=0, atol=1e-12)
        arr = np.asarray(mf.mean if same else mf.m_at(result.times), dtype=float)
    else:
        arr = np.asarray(mf, dtype=float)
    if arr.shape != (C, T):
        raise ValueError(f"mf.mean must have shape {(C, T)} at the result's times, got {arr.shape}")
    stats = block_statistics(result, components=C)
    mmf = arr.T                                                              # (T, C)
    where = {pair: C + i for i, pair in enumerate(pairs(C))}
    G = np.zeros((T, 1, stats.mu.shape[-1]))
    for a in range(C):
        G[:, 0, where[(a, a)]] = 1.0
        G[:, 0, a] = -2 * mmf[:, a]
    EN = np.einsum("tbi,tbi->t", G, stats.mu) + (mmf ** 2).sum(axis=1)
    return EN, propagated_stderr(stats, G, EN, "clustering")