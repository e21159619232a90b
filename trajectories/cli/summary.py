"""What a run's summary says about theory: deviations from mean field against the predicted finite-N scale,
and E_N against its predicted 1/N value (the linear-noise expansion, docs/theory.md §10).

At N spins the average operators scatter about mean field by sqrt(Sigma_aa / N) per state, and the ensemble
mean differs from mean field by O(1/N), of the order of Sigma_aa / N (Theorem 1 and §10); E_N(t) approaches
c(t) / N with c = lim N E_N. A run agrees with theory when its deviations are of these sizes.
For N d-level particles the lines give N times the largest deviation from mean field, the largest
deviation in standard errors, N E_N against lim N E_N (theory/qudit_fluctuations.py) and the level
populations.
"""
from __future__ import annotations

import numpy as np

from ..base.results import FluctuationResult

#: a mean-field deviation up to this many times the 1/N scale Sigma_aa / N reads as a finite-N effect
BIAS_FACTOR = 5.0
#: a difference of at most this many standard errors reads as agreement
AGREE_SE = 4.0
#: below this many trajectories a standard error is itself uncertain by more than ~15 %: said so
FEW_TRAJECTORIES = 30


def standard_errors_phrase(z: float, ntraj: int, what: str) -> str:
    """How far a result is from `what` in standard errors (`z`): "within z standard errors of what"
    when z <= AGREE_SE, else "DIFFERS from what by z standard errors"; notes a run of fewer than
    FEW_TRAJECTORIES trajectories, whose standard errors are rough."""
    if not np.isfinite(z):
        text = f"no standard error to compare with {what} (the trajectories do not spread)"
    elif z <= AGREE_SE:
        text = f"within {z:.1f} standard errors of {what}"
    else:
        text = f"DIFFERS from {what} by {z:.1f} standard errors"
    if ntraj < FEW_TRAJECTORIES:
        text += f" (only {ntraj} trajectories: the standard errors are rough, run more for a verdict)"
    return text


def _fmt(x: float) -> str:
    return f"{x:.2g}" if abs(x) < 0.01 else f"{x:.3f}"


def noise_breakdown(fl: FluctuationResult, N: int) -> str | None:
    """None when the linear-noise theory can apply at N; else why not: its predicted variance
    Sigma_aa/N of an average operator exceeds 1, which no state allows (|m_a| <= 1): the
    fluctuations grow along an unstable mean-field trajectory (e.g. a start on the paramagnet of
    the retrieval phase) and the Gaussian expansion says nothing at this N."""
    B = len(fl.sizes)
    s = fl.sigma[None, :, None] if fl.single_block else fl.sigma
    worst = float(np.max([s[b, a, b, a] for b in range(B) for a in range(s.shape[1])])) / N
    if worst <= 1.0:
        return None
    return (f"the linear-noise theory does not apply at N = {N}: its variance Sigma_aa/N reaches {worst:.3g} > 1 "
            "(fluctuations grow: an unstable mean-field trajectory)")


def mean_field_line(ens, fl: FluctuationResult | None, mf_mean: np.ndarray) -> str:
    """The largest |omega_t(m_a) - m_a^MF(t)| with its standard errors and, given `fl`, the finite-N scale."""
    if getattr(ens, "kind", "spin") == "qudit":
        return qudit_mean_field_line(ens, mf_mean)
    dev = np.abs(ens.mean - mf_mean)
    i = np.unravel_index(np.argmax(dev), dev.shape)
    line = f"mean field: max |omega_t(m_a) - m_a^MF(t)| = {dev[i]:.4f} at t = {ens.times[i[-1]]:g}"
    if ens.ntraj >= 2:
        z = dev[i] / ens.stderr[i] if ens.stderr[i] > 0 else np.inf
        line += f" ({z:.1f} standard errors)" if np.isfinite(z) else " (no spread: no standard error)"
        if ens.ntraj < FEW_TRAJECTORIES:
            line += f" (only {ens.ntraj} trajectories: rough standard errors)"
    if fl is None:
        return line
    N = sum(ens.sizes)
    broken = noise_breakdown(fl, N)
    if broken:
        return f"{line}; {broken}"
    spread = fl.spread(N)[i]
    scale = spread ** 2                                  # Sigma_aa / N, the size of a 1/N bias
    verdict = ("a finite-N effect of the predicted size" if dev[i] <= BIAS_FACTOR * scale + 4 * ens.stderr[i]
               else "LARGER than the predicted finite-N scale")
    return (line + f"; predicted at N = {N}: scatter sqrt(Sigma_aa/N) = {_fmt(spread)}, bias of order "
            f"Sigma_aa/N = {_fmt(scale)} (linear-noise theory): {verdict}")


def qudit_mean_field_line(ens, mf_mean: np.ndarray) -> str:
    """For a QuditModel run: the largest |omega_t(m_a) - m_a^MF(t)| over the components a >= 1 (m_0 is
    constant) and the times, with N times it (mean field is the N -> oo limit: at N particles the
    difference is of order 1/N), and the largest difference in standard errors (entries without
    spread, e.g. every trajectory starting in one pure state at t = 0, left out), which the O(1/N)
    difference dominates wherever the trajectories have barely spread."""
    N, dev, err = sum(ens.sizes), np.abs(ens.mean - mf_mean)[1:], ens.stderr[1:]
    i = np.unravel_index(np.argmax(dev), dev.shape)
    where = lambda k: f"m_{k[0] + 1} at t = {ens.times[k[1]]:g}"  # noqa: E731
    spread = (err > 1e-14) if ens.ntraj >= 2 else np.zeros(err.shape, bool)
    line = f"mean field: max |omega_t(m_a) - m_a^MF(t)| = {dev[i]:.4f} ({where(i)}"
    line += f", {dev[i] / err[i]:.1f} standard errors)" if spread[i] else ")"
    line += f"; N x it = {N * dev[i]:.3f} (a finite-N difference is O(1/N))"
    if not spread.any():
        return line
    z = np.where(spread, dev / np.where(spread, err, 1.0), 0.0)
    j = np.unravel_index(np.argmax(z), z.shape)
    return line + (f"; in standard errors at most {z[j]:.1f} ({where(j)}, a difference of {dev[j]:.2g}; "
                   f"{int(spread.sum())} components and times)")


def populations_line(ens, i: int = -1) -> str | None:
    """For a QuditModel run: the level populations tr(rho |a><a|) of the mean single-site state at the
    output time i, from the components and the basis in the file's metadata (None without it)."""
    basis = (ens.meta.get("model") or {}).get("basis")
    if getattr(ens, "kind", "spin") != "qudit" or basis is None:
        return None
    v = np.asarray(basis, dtype=float)
    p = np.einsum("a,aii->i", ens.mean[:, i], v[..., 0] + 1j * v[..., 1]).real
    return f"level populations at t = {ens.times[i]:g}: " + ", ".join(f"|{a}> {x:.4f}" for a, x in enumerate(p))


def clustering_line(ens, en, fl: FluctuationResult | None) -> str:
    """E_N at the last time with its error and, given `fl`, N E_N against lim N E_N over the run."""
    e, se = (np.ravel(np.asarray(x)) for x in en)
    one = ens.ntraj < 2
    line = (f"E_N(t = {ens.times[-1]:g}) = {e[-1]:.3g}" + ("" if one else f" ± {se[-1]:.2g}")
            + f" (E_N(0) = {e[0]:.3g})")
    N = sum(ens.sizes)
    if fl is None and getattr(ens, "kind", "spin") == "qudit":   # E_N = O(1/N): N E_N converges
        return line + f"; N E_N = {N * e[-1]:.3f}" + ("" if one else f" ± {N * se[-1]:.2g}") + f" (N = {N})"
    if fl is None or noise_breakdown(fl, N):
        return line
    c = fl.clustering
    line += f"; N E_N = {N * e[-1]:.3f}" + ("" if one else f" ± {N * se[-1]:.2g}") + f", predicted N -> oo: {c[-1]:.3f}"
    if one:
        return line
    late = slice(1, None)                                # E_N(0) is exact for product states
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(N * e[late] - c[late]) / (N * se[late])
        rel = np.max(np.abs(N * e[late] / c[late] - 1))
    z = z[np.isfinite(z)]
    phrase = standard_errors_phrase(float(z.max()) if z.size else np.inf, ens.ntraj, "c(t)/N")
    return line + f"; over t, {phrase} (largest relative difference {100 * rel:.1f} %, corrections are O(1/N))"


def diagonal_lines(ens, shown) -> list[str]:
    """Lines for `show`: per recorded distribution its mean, spread and most likely value, and every
    diagonal observable with its standard error, at the output times `shown` (indices)."""
    lines = []
    pm = (lambda e: "") if ens.ntraj < 2 else (lambda e: f" ± {e:.4f}")
    for name in ens.diagonal.get("distributions", []):
        values, P, _ = ens.distribution(name=name)
        lines.append(f"distribution {name} ({len(values)} values in [{values[0]:.4g}, {values[-1]:.4g}]):")
        for i in shown:
            mean = values @ P[:, i]
            std = np.sqrt(max(values ** 2 @ P[:, i] - mean ** 2, 0.0))
            lines.append(f"  t = {ens.times[i]:7.3f}: mean {mean:.4f}, std {std:.4f}, "
                         f"most likely {values[np.argmax(P[:, i])]:.4f} (P = {P[:, i].max():.4f})")
    for name in ens.diagonal.get("observables", []):
        value, err = ens.observable(name)
        lines.append(f"observable {name}: " + "; ".join(f"t = {ens.times[i]:g}: {value[i]:.4f}{pm(err[i])}"
                                                       for i in shown))
    return lines


def stop_line(stopped: dict, ntraj: int) -> str:
    """Why a run with run.target_stderr or run.timeout stopped (ens.meta["stopped"], engine/stopping.py)."""
    what = "E_N" if stopped.get("on") == "clustering" else "the means"
    if stopped["reason"] == "target_stderr":
        return (f"stopped after {stopped['ntraj']} of at most {ntraj} trajectories: the largest standard error of "
                f"{what} is {stopped['stderr']:.3g} <= run.target_stderr = {stopped['target_stderr']:g}")
    if stopped["reason"] == "timeout":
        return (f"stopped after {stopped['ntraj']} of {ntraj} trajectories: run.timeout = {stopped['timeout']:g} s "
                "reached (how many depends on the machine)")
    if "target_stderr" not in stopped:
        return f"ran all {ntraj} trajectories within run.timeout = {stopped['timeout']:g} s"
    reached = "" if stopped.get("stderr") is None else f" (largest standard error of {what} {stopped['stderr']:.3g})"
    return f"ran all {ntraj} trajectories: run.target_stderr = {stopped.get('target_stderr')} not reached{reached}"


#: a standard error below this is the round-off of trajectories that do not spread (all at one value)
ROUND_OFF_SE = 1e-9
#: a bin of a distribution is compared with the exact one where its exact probability is at least this
#: many trajectories' worth (RESOLVED_TRAJECTORIES / ntraj): in rarer bins few trajectories pass, the
#: per-bin estimate is a mean of mostly zeros and a few large values, and its standard error is unreliable
#: (measured: Hopfield N = 40, 4000 trajectories, bins with P >= 1e-3 within 3.8 s.e. of the sector
#: solver, rarer bins up to 7.6 s.e.)
RESOLVED_TRAJECTORIES = 10


def _worst(estimate, stderr, exact) -> tuple[float, int, float]:
    """(largest |estimate - exact| / stderr over the entries whose stderr exceeds ROUND_OFF_SE, their
    number, largest |estimate - exact| over the others)."""
    d, se = np.abs(np.asarray(estimate) - np.asarray(exact)), np.asarray(stderr)
    spread = se > ROUND_OFF_SE
    z = float(np.max(d[spread] / se[spread])) if spread.any() else float("nan")
    return z, int(spread.sum()), float(np.max(d[~spread])) if (~spread).any() else 0.0


def exact_line(ens, exact, en=None, en_exact=None) -> str:
    """The trajectories against the exact evolution: the largest deviation in standard errors of the
    means, second moments, each distribution, each observable and E_N, with how many numbers each
    comprises (many numbers make a few standard errors likely), and the largest difference where the
    trajectories do not spread (it must be round-off)."""
    parts, flat = [], 0.0
    compared = [("means", ens.mean, ens.stderr, exact.mean),
                ("second moments", ens.second, ens.second_stderr, exact.second)]
    for name in ens.diagonal.get("distributions", []):
        _, P, err = ens.distribution(name=name)
        P_exact = exact.distribution(name=name)[1]
        resolved = P_exact >= RESOLVED_TRAJECTORIES / ens.ntraj
        compared.append((f"P({name}) where P >= {RESOLVED_TRAJECTORIES}/ntraj", P[resolved], err[resolved],
                         P_exact[resolved]))
    compared += [(name, *ens.observable(name), exact.observable(name)[0])
                 for name in ens.diagonal.get("observables", [])]
    if en is not None and en_exact is not None:
        compared.append(("E_N", en[0], en[1], en_exact[0]))
    zs = []
    for what, estimate, stderr, reference in compared:
        z, n, gap = _worst(estimate, stderr, reference)
        flat, zs = max(flat, gap), zs + [z]
        parts.append(f"{what} {z:.1f} ({n})")
    worst = float(np.nanmax(zs)) if np.any(np.isfinite(zs)) else float("nan")
    return (f"exact (sector solver): {standard_errors_phrase(worst, ens.ntraj, 'the exact evolution')} at "
            f"worst; per quantity, largest deviation in standard errors (numbers compared): {', '.join(parts)}"
            f"; where the trajectories do not spread they differ by {flat:.1e}")


def bias_line(ens, mf_mean: np.ndarray, bias: np.ndarray) -> str:
    """omega_t(m) against mean field plus its O(1/N) bias b(t)/N (theory/bias.py): the largest
    deviation from m_MF + b/N in standard errors, next to that from mean field alone."""
    N, dev = sum(ens.sizes), ens.mean - mf_mean
    head = "mean field + b/N (the O(1/N) bias of the second-order expansion, docs/theory.md §10): "
    se = np.where(ens.stderr > ROUND_OFF_SE, ens.stderr, np.nan)
    z, z0 = np.abs(dev - bias / N) / se, np.abs(dev) / se
    if not np.any(np.isfinite(z)):       # one trajectory, or none spreads: no standard error
        return (head + f"max |omega_t(m_a) - m_a^MF - b_a/N| = {np.max(np.abs(dev - bias / N)):.4f} "
                "(no standard errors to compare with)")
    i = np.unravel_index(np.nanargmax(z), z.shape)
    j = np.unravel_index(np.nanargmax(z0), z0.shape)
    return (head + f"{standard_errors_phrase(float(z[i]), ens.ntraj, 'it')} at worst (m_{'xyz'[i[0]]}, t = "
            f"{ens.times[i[-1]]:g}); from mean field alone {z0[j]:.1f} standard errors (m_{'xyz'[j[0]]}, "
            f"t = {ens.times[j[-1]]:g}, where b/N = {bias[j] / N:+.4f})")
