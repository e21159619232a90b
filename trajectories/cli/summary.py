"""What a run's summary says about theory: deviations from mean field against the predicted finite-N scale,
and E_N against its predicted 1/N value (the linear-noise expansion, docs/theory.md §10).

At N spins the average operators scatter about mean field by sqrt(Sigma_aa / N) per state, and the ensemble
mean differs from mean field by O(1/N), of the order of Sigma_aa / N (Theorem 1 and §10); E_N(t) approaches
c(t) / N with c = lim N E_N. A run agrees with theory when its deviations are of these sizes.
"""
from __future__ import annotations

import numpy as np

from ..base.results import FluctuationResult

#: a mean-field deviation up to this many times the 1/N scale Sigma_aa / N reads as a finite-N effect
BIAS_FACTOR = 5.0


def _fmt(x: float) -> str:
    return f"{x:.2g}" if abs(x) < 0.01 else f"{x:.3f}"


def mean_field_line(ens, fl: FluctuationResult | None, mf_mean: np.ndarray) -> str:
    """The largest |omega_t(m_a) - m_a^MF(t)| with its standard errors and, given `fl`, the finite-N scale."""
    dev = np.abs(ens.mean - mf_mean)
    i = np.unravel_index(np.argmax(dev), dev.shape)
    line = f"mean field: max |omega_t(m_a) - m_a^MF(t)| = {dev[i]:.4f} at t = {ens.times[i[-1]]:g}"
    if ens.ntraj >= 2:
        line += f" ({dev[i] / ens.stderr[i]:.1f} standard errors)"
    if fl is None:
        return line
    N = sum(ens.sizes)
    spread = fl.spread(N)[i]
    scale = spread ** 2                                  # Sigma_aa / N, the size of a 1/N bias
    verdict = ("a finite-N effect of the predicted size" if dev[i] <= BIAS_FACTOR * scale + 4 * ens.stderr[i]
               else "LARGER than the predicted finite-N scale")
    return (line + f"; predicted at N = {N}: scatter sqrt(Sigma_aa/N) = {_fmt(spread)}, bias of order "
            f"Sigma_aa/N = {_fmt(scale)} (linear-noise theory): {verdict}")


def clustering_line(ens, en, fl: FluctuationResult | None) -> str:
    """E_N at the last time with its error and, given `fl`, N E_N against lim N E_N over the run."""
    e, se = (np.ravel(np.asarray(x)) for x in en)
    one = ens.ntraj < 2
    line = (f"E_N(t = {ens.times[-1]:g}) = {e[-1]:.3g}" + ("" if one else f" ± {se[-1]:.2g}")
            + f" (E_N(0) = {e[0]:.3g})")
    if fl is None:
        return line
    N = sum(ens.sizes)
    c = fl.clustering
    line += f"; N E_N = {N * e[-1]:.3f}" + ("" if one else f" ± {N * se[-1]:.2g}") + f", predicted N -> oo: {c[-1]:.3f}"
    if one:
        return line
    late = slice(1, None)                                # E_N(0) is exact for product states
    z = np.abs(N * e[late] - c[late]) / np.maximum(N * se[late], 1e-300)
    rel = np.max(np.abs(N * e[late] / c[late] - 1))
    return line + (f"; over t, within {z.max():.1f} standard errors of c(t)/N (largest relative difference "
                   f"{100 * rel:.1f} %, corrections are O(1/N))")
