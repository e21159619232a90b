"""Plots of saved ensembles: omega_t(m_a) with 2-standard-error bands against mean-field, and the
clustering quantity E_N(t). Mean-field needs the named model of the run (stored by the command
line); without it the plot is drawn without mean field and a note says so. A config with
`[compare] exact = true` adds the exact evolution (the sector solver) to every panel. The title
always names the number of trajectories and the seed(s); one trajectory is drawn without bands.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..analysis import clustering
from ..base.errors import InsufficientDataError
from ..io.names import sibling
from ..reference.exact import exact_evolution
from ..sectors.states import CatState, DickeState
from ..theory.bias import hopfield_bias
from ..theory.fluctuations import fluctuations
from ..theory.meanfield import mean_field
from .config import RunConfig
from .registry import MODELS


def _named_model(ens):
    """((model, state) or None, note explaining a None): the run's named model and state, rebuilt
    from the config saved in the file."""
    cfg = (ens.meta.get("describe") or {}).get("config")
    if not cfg:
        return None, "mean-field curve skipped: the file has no named model (run from a config)"
    try:
        return RunConfig(**cfg).build(), None
    except (TypeError, ValueError) as err:
        return None, f"mean-field curve skipped: the file's model cannot be rebuilt ({err})"


def mean_field_for(ens):
    """(mean-field object with .mean like ens.mean, or None, note explaining a None)."""
    built, note = _named_model(ens)
    if built is None:
        return None, note
    try:
        return mean_field(*built, ens.times), None
    except (ValueError, NotImplementedError) as err:
        return None, f"mean-field curve skipped: {err}"


def fluctuations_for(ens):
    """(FluctuationResult or None, note): the linear-noise prediction for the run's model and state
    (docs/theory.md §10, for d-level models §18); None for a file without a named model or a state that
    is not a product state."""
    built, _ = _named_model(ens)
    if built is None:
        return None, None
    model, state = built
    try:
        return fluctuations(model, state, ens.times), None
    except (ValueError, NotImplementedError) as err:
        return None, f"finite-N prediction skipped: {err}"


def exact_for(ens):
    """(ExactResult or None, note): the exact evolution of the run's model and state at its output times,
    with its distributions and observables, when its config asks for it ([compare] exact = true)."""
    cfg = (ens.meta.get("describe") or {}).get("config") or {}
    if not cfg.get("exact"):
        return None, None
    built, note = _named_model(ens)
    if built is None:
        return None, note.replace("mean-field curve", "exact comparison")
    model, state = built
    config = RunConfig(**cfg)
    try:
        return exact_evolution(model, state, ens.times, distributions=config.distributions,
                               observables=config.observable_functions(len(model.sizes))), None
    except (ValueError, NotImplementedError) as err:
        return None, f"exact comparison skipped: {err}"


def bias_for(ens):
    """((3, T) b(t) or None, note): the O(1/N) bias of mean field, omega_t(m) = m_MF + b/N, where the
    package predicts it (the single-block Hopfield model from a product state, theory/bias.py)."""
    cfg = (ens.meta.get("describe") or {}).get("config") or {}
    if (cfg.get("model") or {}).get("name") != "hopfield":
        return None, None
    built, note = _named_model(ens)
    if built is None or isinstance(built[1], (CatState, DickeState)):
        return None, None
    params = {**MODELS["hopfield"][1], **cfg["model"]}     # the registry's defaults where the config is silent
    try:
        return hopfield_bias(params["beta"], params["omega"], built[1], ens.times), None
    except (ValueError, NotImplementedError) as err:
        return None, f"finite-N bias skipped: {err}"


def clustering_for(ens, mf):
    """((E_N, stderr) or None, note); one trajectory gives E_N with a NaN error and a note."""
    if mf is None:
        return None, None
    try:
        return clustering(ens, mf), None
    except InsufficientDataError as err:
        if err.estimate is None:
            return None, f"E_N(t) skipped: {err}"
        e = np.asarray(err.estimate, dtype=float)
        return (e, np.full(e.shape, np.nan)), "one trajectory: no standard errors, plot drawn without bands"


def run_tag(ens) -> str:
    """'<ntraj> trajectories, seed S' (seeds of every merged segment), for titles and summaries."""
    seeds = list(dict.fromkeys(str(s.get("entropy")) for s in ens.segments if s.get("entropy") is not None))
    if not seeds and ens.seed is not None:
        seeds = [str(ens.seed)]
    seed = (f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {', '.join(seeds)}") if seeds else "seed not recorded"
    return f"{ens.ntraj} trajector{'y' if ens.ntraj == 1 else 'ies'}, {seed}, N = {sum(ens.sizes)}"


def plot_ensemble(ens, out, mf=None, en=None, title: str | None = None, en_limit=None, exact=None,
                  en_exact=None, bias=None) -> None:
    """Write a PNG: one panel per component a = x, y, z (every block), plus E_N(t) when given, with
    `en_limit` (T,) = lim N E_N(t) (linear-noise theory) drawn as c(t)/N; `exact` (an ExactResult) and
    `en_exact` ((E_N, 0)) add the exact evolution; `bias` (3, T) = b(t) adds m_MF + b/N and a row of
    residuals from it in standard errors."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = ens.times
    if ens.kind == "qudit":
        fig = _qudit_figure(ens, mf, en, plt)
        tag = run_tag(ens)
        fig.suptitle(tag if not title else title if tag in title else f"{title}\n{tag}")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(out, dpi=110)
        plt.close(fig)
        return
    mean, err = ens.mean, ens.stderr
    mfm = None if mf is None else np.asarray(mf.mean)
    exm = None if exact is None else np.asarray(exact.mean)
    bands = ens.ntraj >= 2  # one trajectory has no standard error: no bands
    if ens.single_block:
        mean, err = mean[None], err[None]
        mfm = None if mfm is None else mfm[None]
        exm = None if exm is None else exm[None]
    B = mean.shape[0]
    ncols, rows = 4 if en is not None else 3, 2 if bias is not None and mfm is not None and bands else 1
    fig, grid = plt.subplots(rows, ncols, figsize=(3.6 * ncols, 3.4 * rows), constrained_layout=True,
                             squeeze=False)
    axes = grid[0]
    for a in range(3):
        ax = axes[a]
        for b in range(B):
            label = ("trajectories (2 s.e.)" if bands else "one trajectory (no s.e.)") if B == 1 else f"block {b}"
            if bands:
                ax.fill_between(t, mean[b, a] - 2 * err[b, a], mean[b, a] + 2 * err[b, a],
                                color=f"C{b}", alpha=0.35, lw=0)
            ax.plot(t, mean[b, a], color=f"C{b}", lw=1.2, label=label)
            if mfm is not None:
                ax.plot(t, mfm[b, a], "--", color="k" if B == 1 else f"C{b}", lw=1,
                        label="mean field" if b == 0 else None)
            if exm is not None:
                ax.plot(t, exm[b, a], ":", color="C3", lw=1.5, label="exact (sector solver)" if b == 0 else None)
            if rows == 2:
                ax.plot(t, mfm[b, a] + bias[a] / sum(ens.sizes), "-.", color="C1", lw=1.2,
                        label="mean field + b/N" if b == 0 else None)
        ax.set_xlabel("t (1 = inverse unit of the rates and fields)")
        ax.set_ylabel(rf"$\omega_t(m_{'xyz'[a]})$")
    axes[0].legend(fontsize=8, frameon=False)
    if en is not None:
        _clustering_panel(axes[3], ens, en, en_limit, en_exact, bands)
    if rows == 2:
        _residual_panels(grid[1], ens, mean[0] - mfm[0], err[0], bias / sum(ens.sizes))
    tag = run_tag(ens)
    fig.suptitle(tag if not title else title if tag in title else f"{title}\n{tag}")
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def _residual_panels(axes, ens, dev, err, shift) -> None:
    """(omega_t(m_a) - m_MF - shift) / s.e. per component (dev, err, shift (3, T)), against the
    deviation from mean field alone; the last axis (E_N's column) is removed."""
    t = ens.times
    safe = np.where(err > 0, err, np.nan)
    for a in range(3):
        ax = axes[a]
        ax.axhspan(-2, 2, color="0.9", lw=0)
        ax.plot(t, dev[a] / safe[a], "o", ms=2.5, color="0.5", label="from mean field")
        ax.plot(t, (dev[a] - shift[a]) / safe[a], "o", ms=3, color="C1", label="from mean field + b/N")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_xlabel("t (1 = inverse unit of the rates and fields)")
        ax.set_ylabel(rf"residual of $\omega_t(m_{'xyz'[a]})$ (s.e.)")
    axes[0].legend(fontsize=8, frameon=False)
    for ax in axes[3:]:
        ax.remove()


def _clustering_panel(ax, ens, en, en_limit, en_exact, bands: bool) -> None:
    """E_N(t) with 2-standard-error bands, the linear-noise c(t)/N and the exact E_N where given; a
    logarithmic axis when the values span more than two decades (an unstable mean field)."""
    t = ens.times
    e, se = (np.asarray(x).reshape(-1, len(t)) for x in en)
    for b in range(e.shape[0]):
        if bands:
            ax.fill_between(t, e[b] - 2 * se[b], e[b] + 2 * se[b], color=f"C{b + 2}", alpha=0.35, lw=0)
        ax.plot(t, e[b], color=f"C{b + 2}", lw=1.2, label="trajectories (2 s.e.)" if b == 0 else None)
    if en_limit is not None:
        ax.plot(t, np.asarray(en_limit) / sum(ens.sizes), "k--", lw=1, label="linear noise, c(t)/N")
    if en_exact is not None:
        ax.plot(t, np.asarray(en_exact[0]).reshape(-1, len(t))[0], ":", color="C3", lw=1.5, label="exact")
    if en_limit is not None or en_exact is not None:
        ax.legend(fontsize=8, frameon=False)
    data = [e.ravel()] + ([] if en_exact is None else [np.ravel(en_exact[0])])
    limit = [] if en_limit is None else [np.ravel(en_limit) / sum(ens.sizes)]
    values = np.concatenate(data + limit)
    positive = values[values > 0]
    if positive.size and positive.max() > 100 * positive.min():
        ax.set_yscale("log")
        top = np.concatenate(data).max()
        if positive.max() > 30 * top > 0:      # a diverging linear-noise curve leaves the panel
            ax.set_ylim(top=30 * top)
    ax.set_xlabel("t (1 = inverse unit of the rates and fields)")
    ax.set_ylabel(r"$E_N(t)$")


def _qudit_figure(ens, mf, en, plt):
    """A QuditModel ensemble: every non-constant component m_a (a >= 1, the model's basis) in one panel
    with 2-standard-error bands (and the mean field dashed), and E_N(t) when given."""
    t, bands = ens.times, ens.ntraj >= 2
    ncols = 2 if en is not None else 1
    fig, axes = plt.subplots(1, ncols, figsize=(4.6 * ncols, 3.6), constrained_layout=True, squeeze=False)
    ax = axes[0, 0]
    for a in range(1, ens.components):
        if bands:
            ax.fill_between(t, ens.mean[a] - 2 * ens.stderr[a], ens.mean[a] + 2 * ens.stderr[a],
                            color=f"C{a % 10}", alpha=0.3, lw=0)
        ax.plot(t, ens.mean[a], color=f"C{a % 10}", lw=1.2, label=f"$m_{{{a}}}$")
        if mf is not None:
            ax.plot(t, np.asarray(mf.mean)[a], "--", color=f"C{a % 10}", lw=0.8)
    ax.set_xlabel("t (1 = inverse unit of the rates and fields)")
    ax.set_ylabel(r"$\omega_t(m_a)$ (model's basis" + ("; mean field dashed)" if mf is not None else ")"))
    ax.legend(fontsize=7, frameon=False, ncol=2)
    if en is not None:
        e, se = (np.asarray(x).reshape(len(t)) for x in en)
        ax = axes[0, 1]
        if bands:
            ax.fill_between(t, e - 2 * se, e + 2 * se, color="C2", alpha=0.35, lw=0)
        ax.plot(t, e, color="C2", lw=1.2, label="trajectories (2 s.e.)")
        ax.set_xlabel("t (1 = inverse unit of the rates and fields)")
        ax.set_ylabel(r"$E_N(t)$")
    return fig


def save_png(fig, out, dpi: int = 110) -> None:
    """Write `fig` as a 256-colour palette PNG (lossless for line art, ~3x smaller) and close it."""
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    buf = io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png")
    plt.close(fig)
    buf.seek(0)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Image.open(buf).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(
        out, optimize=True, dpi=(dpi, dpi))


def distributions_path(out) -> Path:
    """Where the heat maps of a figure's distributions go: beside it, <stem>_distributions.png (a name
    too long for the file system shortened, io/names.py)."""
    out = Path(out)
    return sibling(out, out.stem, "_distributions.png")


def plot_distributions(ens, out, title: str | None = None, exact=None) -> None:
    """Write a PNG of heat maps P(value, t), one per recorded distribution (at most 6), the
    ensemble mean <value>(t) drawn over each; with `exact` (an ExactResult) a second row compares
    P(value) at the last output time with the exact one, and the exact mean is drawn too."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ens.diagonal.get("distributions", [])[:6]
    rows = 1 if exact is None else 2
    fig, axes = plt.subplots(rows, len(names), figsize=(max(7.0, 4.2 * len(names)), 4.0 * rows),
                             constrained_layout=True, squeeze=False)
    t = ens.times
    for k, name in enumerate(names):
        ax = axes[0, k]
        values, P, err = ens.distribution(name=name)
        edges_v = np.concatenate([[values[0] - 0.5 * np.diff(values[:2]).sum()],
                                  (values[1:] + values[:-1]) / 2,
                                  [values[-1] + 0.5 * np.diff(values[-2:]).sum()]]) if len(values) > 1 else \
            np.array([values[0] - 0.5, values[0] + 0.5])
        edges_t = np.concatenate([[t[0]], (t[1:] + t[:-1]) / 2, [t[-1]]]) if len(t) > 1 else np.array([t[0], t[0] + 1])
        mesh = ax.pcolormesh(edges_t, edges_v, P, shading="flat", cmap="magma")
        ax.plot(t, values @ P, "c-", lw=1, label="mean")
        fig.colorbar(mesh, ax=ax, label="P")
        label = ("m_z" if ens.single_block else name.replace("block ", "m_z^")) if name.startswith("block ") else name
        ax.set(xlabel="t", ylabel=label, title=f"P({label}, t)")
        if exact is not None:
            ex_values, ex_P, _ = exact.distribution(name=name)
            ax.plot(t, ex_values @ ex_P, "w:", lw=1.5, label="exact mean")
            _final_distribution(axes[1, k], t[-1], label, (values, P[:, -1], err[:, -1]),
                                (ex_values, ex_P[:, -1]), ens.ntraj >= 2)
        ax.legend(fontsize=7, frameon=False, loc="upper right")
    tag = run_tag(ens)
    fig.suptitle(tag if not title else f"{title}\n{tag}")
    save_png(fig, out)


def _final_distribution(ax, t_last: float, label: str, traj, exact, bars: bool) -> None:
    """P(value) at the last output time: trajectories (values, P, s.e.; 1-s.e. bars) against the exact
    (values, P)."""
    values, P, err = traj
    ax.errorbar(values, P, err if bars else None, fmt="o", ms=3, color="C0", label="trajectories (1 s.e.)")
    ax.plot(exact[0], exact[1], "-", color="C3", lw=1, label="exact (sector solver)")
    ax.set(xlabel=label, ylabel="P", title=f"P({label}) at t = {t_last:g}")
    ax.legend(fontsize=7, frameon=False)
