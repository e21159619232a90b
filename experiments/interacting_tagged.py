"""An interacting Hamiltonian with transverse-dependent rates: mean field (both forms), Lemma 3's Hamiltonian
terms, the local generator of eq. 50 and the 1/N fluctuations, against exact evolutions and trajectories.

Model (`transverse_rate_model`, docs/theory.md §5, §10): H = Omega S_x + (chi/N) S_z^2, jumps sigma_+- Gamma_+-(Delta)
with the Hopfield amplitudes at beta and Delta = m_z + kappa m_x (Omega = 0.5, chi = 1, beta = 2, kappa = 0.6), so the
mean-field Hamiltonian has the interaction term 2 chi m_z sigma_z (paper eq. 50, Lemma 3) and the rates change
with the transverse average m_x. Start: coherent state theta = 0.6, phi = 0.3; one tagged site (a block of one
site) starts at theta = 2.5, phi = 1.

(a) Bulk averages omega_t(m_a): mean field in the single-site master-equation form and in Lemma 3's vector
    field (`QuditModel.from_spin`, method "lemma3") agree to ~1e-12; exact sector evolution and trajectories
    approach them as N grows.
(b) N E_N(t) (exact N = 20, 40, 80 and trajectories) against the linear-noise limit c(t) = lim N E_N(t)
    (`fluctuations`); the exact values' fit c + d/N (`extrapolate_limit`; error from the fit's residuals and
    the change when N = 20 is dropped, with the check that the increments shrink at the 1/N rate) gives
    lim N E_N(t), compared with c(t) within 4 errors. At t* = 3: N E_N = 1.1087, 1.0761, 1.0702 (N = 20, 40,
    80) -> 1.054 +- 0.019 (rms residual 3e-3: the increments shrink by 0.18 per doubling, faster than 1/N,
    so c + d/N through three points is a rough form and its error large; previously quoted 1.071 +- 0.007,
    the change between Richardson orders) against the prediction 1.0643 (-0.6 errors; at most 1.0 over all t);
    trajectories 1.078 +- 0.008 (N = 50, within 1.0 s.e. of the exact N = 50 at every t), 1.061 +- 0.006
    (N = 200), 1.068 +- 0.006 (N = 1000).
(c) The tagged site follows the effective local generator L_t (eq. 50, `local_generator`), not the bulk.
(d) N |r_tag - r_L|(t = 1) against 1/N (exact, N = 10, 20, 40 bulk sites) with its limit at 1/N = 0 (the same
    fit): 1.673, 1.744, 1.776 -> 1.812 +- 0.007 (increment ratio 0.45 against 0.5: converged; previously
    1.805 +- 0.003): the deviation from eq. 50 is O(1/N). The tag with 1000 bulk sites (trajectories) is within
    2.6 s.e. of eq. 50 at every t and component; the bulk mean field differs from it by up to 1.63.
Full run: 22 minutes on one core shared with other work.

Error bars: 2 standard errors of trajectory ensembles (t in units of 1/Gamma, Pauli units).

    python experiments/interacting_tagged.py [--fast] [--out plots/interacting_tagged.png]
        [--data results/interacting_tagged.npz] [--n-jobs 2]
"""
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from models import QuditModel, transverse_rate_model  # noqa: E402
from trajectories import (clustering, coherent_state, exact_evolution, fluctuations, local_generator,  # noqa: E402
                          extrapolate_limit, mean_field, product_state, run_ensemble)
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402
from trajectories.theory.meanfield import PAULI, bloch_density  # noqa: E402


@dataclass(frozen=True)
class Params:
    omega: float = 0.5
    chi: float = 1.0
    beta: float = 2.0
    kappa: float = 0.6
    theta: float = 0.6
    phi: float = 0.3
    tag: tuple = (2.5, 1.0)                   # (theta, phi) of the tagged site
    t_max: float = 3.0
    n_times: int = 16
    t_star: float = 3.0                       # time of the N E_N claim
    t_tag: float = 1.0                        # time of the tagged-site claim
    exact_Ns: tuple = (20, 40, 80)           # exact evolutions of the bulk model
    tag_Ns: tuple = (10, 20, 40)             # bulk sizes of the exact evolutions with one tagged site
    traj_Ns: tuple = (50, 200, 1000)         # the rates' m_x part: the rotated banded path (docs/theory.md §14)
    traj_ntraj: tuple = (800, 300, 300)
    tag_traj: tuple = (1000, 300)            # (bulk sites, trajectories) with the tagged site
    seed: int = 2300


#: trajectories are also compared with the exact evolution at the same N up to this N
EXACT_MAX = 64

FAST = Params(n_times=7, exact_Ns=(12, 24, 48), tag_Ns=(6, 12, 24), traj_Ns=(48,), traj_ntraj=(100,),
              tag_traj=(16, 100))


def model(p: Params, N: int, tagged: int = 1):
    return transverse_rate_model(N, p.omega, p.chi, p.beta, p.kappa, tagged=tagged)


def theory(p: Params, times) -> dict:
    bulk = coherent_state(p.theta, p.phi)
    m = model(p, 100, tagged=0)
    mf = mean_field(m, bulk, times)
    q = QuditModel.from_spin(m)
    r0 = bulk.bloch((1,))[0]
    lemma3 = mean_field(q, np.concatenate([[1.0], r0]) / np.sqrt(2), times).mean[1:] * np.sqrt(2)
    fl = fluctuations(m, bulk, times)
    th, ph = p.tag
    r_tag = np.array([np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)])
    loc = local_generator(m, bulk, times, local_state=bloch_density(r_tag))
    r_loc = np.array([loc.expect(s) for s in PAULI])
    return dict(times=times, mf=mf.mean, lemma3=lemma3, lemma3_dev=float(np.abs(lemma3 - mf.mean).max()),
                c=fl.clustering, r_loc=r_loc, r_tag0=r_tag)


def state_for(p: Params) -> np.ndarray:
    """Bulk coherent state, tagged site apart: product Bloch vectors (2, 3)."""
    th, ph = p.tag
    bulk = coherent_state(p.theta, p.phi).bloch((1,))[0]
    return np.array([bulk, [np.sin(th) * np.cos(ph), np.sin(th) * np.sin(ph), np.cos(th)]])


def exact_panel(p: Params, res: dict) -> dict:
    """Exact N E_N of the bulk model (one block) and the tagged site's deviation from L_t (bulk + 1 site)."""
    times, out = res["times"], {}
    bulk, tagged = coherent_state(p.theta, p.phi), product_state(state_for(p))
    k = int(np.argmin(np.abs(times - p.t_tag)))
    ne, dev = [], []
    for N in p.exact_Ns:
        ex = exact_evolution(model(p, N, tagged=0), bulk, times)
        ne.append(N * clustering(ex, res["mf"])[0])
        out[f"ex_N{N}_bulk"] = ex.mean
    for N in p.tag_Ns:
        tag = exact_evolution(model(p, N), tagged, times).mean[1]
        out[f"ex_N{N}_tag"] = tag
        dev.append(N * np.linalg.norm(tag[:, k] - res["r_loc"][:, k]))
    return dict(out, ex_NE=np.array(ne), ex_Ndev=np.array(dev), k_tag=k, k_star=int(np.argmin(np.abs(times - p.t_star))))


def limits(res: dict) -> dict:
    """N -> oo limits of the exact N E_N(t) (every t) and N |r_tag - r_L|(t_tag): the fit c + d/N over the three
    exact N (`extrapolate_limit`), with its convergence check; the first time (a product state, N E_N = 0
    at every N) is exact."""
    out = {}
    for name, Ns in (("ex_NE", res["exact_Ns"]), ("ex_Ndev", res["tag_Ns"])):
        e = extrapolate_limit(Ns, res[name], order=1)
        out.update({f"{name}_limit": e.limit, f"{name}_limit_err": e.error, f"{name}_rms": e.rms,
                    f"{name}_converged": e.converged, f"{name}_ratios": e.ratios, f"{name}_pred_ratios": e.predicted_ratios,
                    f"{name}_tail": e.tail_limit, f"{name}_coef": e.coefficients})
    return out


def trajectory_panel(p: Params, res: dict, n_jobs: int) -> dict:
    """Trajectories: the bulk model (averages, N E_N with exact errors) and the model with a tagged site."""
    times, out, secs = res["times"], {}, 0.0
    for N, nt in zip(p.traj_Ns, p.traj_ntraj):
        ens = run_ensemble(model(p, N, tagged=0), coherent_state(p.theta, p.phi), times, ntraj=nt,
                           seed=p.seed + N, execution=dict(n_jobs=n_jobs))
        E, dE = clustering(ens, res["mf"])
        out[f"tr_N{N}_mean"], out[f"tr_N{N}_se"] = ens.mean, ens.stderr
        out[f"tr_N{N}_NE"], out[f"tr_N{N}_NE_se"] = N * E, N * dE
        out[f"tr_N{N}_NE_z"] = np.nan
        if N <= EXACT_MAX:           # the same N exactly: the trajectories' N E_N within its errors
            ex = exact_evolution(model(p, N, tagged=0), coherent_state(p.theta, p.phi), times)
            out[f"tr_N{N}_NE_z"] = float(np.max(np.abs(E - clustering(ex, res["mf"])[0])[1:] / dE[1:]))
        secs += ens.meta["seconds"]
    N, nt = p.tag_traj
    ens = run_ensemble(model(p, N), product_state(state_for(p)), times, ntraj=nt, seed=p.seed + 1,
                       execution=dict(n_jobs=n_jobs))
    secs += ens.meta["seconds"]
    z = np.abs(ens.mean[1] - res["r_loc"])[:, 1:] / ens.stderr[1][:, 1:]
    z_exact = np.nan
    if N <= EXACT_MAX:
        exact_tag = exact_evolution(model(p, N), product_state(state_for(p)), times).mean[1]
        z_exact = float(np.max(np.abs(ens.mean[1] - exact_tag)[:, 1:] / ens.stderr[1][:, 1:]))
    bulk_gap = np.abs(res["mf"] - res["r_loc"]).max()
    return dict(out, tr_tag=ens.mean[1], tr_tag_se=ens.stderr[1], tr_tag_z=float(z.max()), tr_tag_z_exact=z_exact,
                tr_tag_N=N, bulk_vs_local=float(bulk_gap), tr_seconds=secs)


def compute(p: Params = Params(), n_jobs: int = 2) -> dict:
    times = np.linspace(0, p.t_max, p.n_times)
    res = theory(p, times)
    res.update(exact_panel(p, res))
    res.update(trajectory_panel(p, res, n_jobs))
    res.update(exact_Ns=np.array(p.exact_Ns), tag_Ns=np.array(p.tag_Ns), traj_Ns=np.array(p.traj_Ns),
               traj_ntraj=np.array(p.traj_ntraj), params=np.array([p.omega, p.chi, p.beta, p.kappa]))
    res.update(limits(res))
    return res


def convergence_text(res, name: str, k=None) -> str:
    """'converged' or 'NOT converged' with the increment ratios against the pure-1/N ratios."""
    pick = (lambda a: a) if k is None else (lambda a: a[..., k])        # noqa: E731
    ok = bool(pick(res[f"{name}_converged"]))
    return (("converged" if ok else "NOT converged") + ": increment ratio "
            + ", ".join(f"{r:.2f}" for r in np.atleast_1d(pick(res[f"{name}_ratios"])))
            + " (1/N: " + ", ".join(f"{r:.2f}" for r in res[f"{name}_pred_ratios"]) + ")"
            + ("" if ok else f", limit of that approach {float(pick(res[f'{name}_tail'])):.4f}"))


def plot(res: dict, out) -> None:
    t = res["times"]
    fig, ax = plt.subplots(1, 4, figsize=(17, 4), constrained_layout=True)
    for a, name in enumerate("xyz"):
        ax[0].plot(t, res["mf"][a], "-", color=f"C{a}", lw=1.2, label=f"$m_{name}$ mean field" if a == 0 else None)
        ax[0].plot(t, res["lemma3"][a], "k:", lw=1.5, label="Lemma 3 vector field" if a == 0 else None)
        for j, N in enumerate(res["traj_Ns"]):
            ax[0].errorbar(t, res[f"tr_N{N}_mean"][a], 2 * res[f"tr_N{N}_se"][a], fmt="os^"[j], ms=3, color=f"C{a}",
                           alpha=0.7, label=f"trajectories N = {N}" if a == 0 else None)
    ax[0].set(xlabel="t", ylabel=r"$\omega_t(m_a)$", title="(a) bulk averages (2 s.e.)")
    ax[0].legend(fontsize=7, frameon=False)
    for j, N in enumerate(res["exact_Ns"]):
        ax[1].plot(t, res["ex_NE"][j], "-", lw=1, color=plt.cm.viridis(j / len(res["exact_Ns"])), label=f"exact N = {N}")
    for j, N in enumerate(res["traj_Ns"]):
        ax[1].errorbar(t, res[f"tr_N{N}_NE"], 2 * res[f"tr_N{N}_NE_se"], fmt="os^"[j], ms=3, color="C3",
                       label=f"trajectories N = {N}")
    ax[1].plot(t, res["c"], "k--", lw=1.5, label="linear noise, N -> oo")
    ax[1].errorbar(t, res["ex_NE_limit"], res["ex_NE_limit_err"], fmt="D", color="k", ms=3, capsize=2,
                   label="exact, fit c + d/N at 1/N = 0")
    ax[1].set(xlabel="t", ylabel=r"$N E_N(t)$", title="(b) N E_N -> lim N E_N")
    ax[1].legend(fontsize=7, frameon=False)
    for a, name in enumerate("xyz"):
        ax[2].plot(t, res["r_loc"][a], "-", color=f"C{a}", lw=1.2, label=f"$r_{name}$, eq. 50" if True else None)
        ax[2].plot(t, res[f"ex_N{res['tag_Ns'][-1]}_tag"][a], "--", color=f"C{a}", lw=1)
        ax[2].errorbar(t, res["tr_tag"][a], 2 * res["tr_tag_se"][a], fmt="o", ms=3, color=f"C{a}", alpha=0.7)
        ax[2].plot(t, res["mf"][a], ":", color=f"C{a}", lw=1)
    ax[2].set(xlabel="t", ylabel="tagged site Bloch vector",
              title=f"(c) tag: eq. 50 (solid), exact N = {res['tag_Ns'][-1]} (dashed),\n"
                    f"trajectories N = {res['tr_tag_N']} (2 s.e.), bulk mean field (dotted)")
    ax[2].legend(fontsize=7, frameon=False)
    Ns, kt = res["tag_Ns"], int(res["k_tag"])
    x = np.linspace(0, 1.02 / Ns[0], 40)
    ax[3].plot(1 / Ns, res["ex_Ndev"], "ko", label="exact")
    ax[3].plot(x, np.polyval(res["ex_Ndev_coef"][::-1], x), "k:", lw=0.8, label="fit c + d/N")
    lim, err = float(res["ex_Ndev_limit"]), float(res["ex_Ndev_limit_err"])
    ax[3].errorbar([0], [lim], [err], fmt="D", color="C3", capsize=2,
                   label=f"1/N -> 0: {lim:.3f} +- {err:.1g}\n{convergence_text(res, 'ex_Ndev')}")
    ax[3].axvline(0, color="k", lw=0.5)
    ax[3].set(xlabel="1/N (N bulk sites)", ylabel=rf"$N\,|r_{{tag}} - r_L|$ at t = {t[kt]:g}",
              title="(d) deviation from eq. 50 is O(1/N)")
    ax[3].legend(fontsize=7, frameon=False)
    omega, chi, beta, kappa = res["params"]
    fig.suptitle(rf"H = $\Omega S_x + (\chi/N) S_z^2$, $\sigma_\pm \Gamma_\pm(m_z + \kappa m_x)$: "
                 rf"$\Omega$ = {omega:g}, $\chi$ = {chi:g}, $\beta$ = {beta:g}, $\kappa$ = {kappa:g}; t in units of 1/rate")
    save_png(fig, out)


def z_over_time(res) -> float:
    """Largest |lim N E_N(t) - c(t)| / error over t > 0 (t = 0: a product state, exact at every N)."""
    return float(np.max(np.abs(res["ex_NE_limit"] - res["c"])[1:] / res["ex_NE_limit_err"][1:]))


def summary(res: dict) -> str:
    k = int(res["k_star"])
    t = res["times"][k]
    lines = [f"mean field: single-site master equation against Lemma 3's vector field: max difference "
             f"{res['lemma3_dev']:.1e}",
             f"N E_N(t = {t:g}): exact N = {', '.join(map(str, res['exact_Ns']))}: "
             f"{', '.join(f'{v:.4f}' for v in res['ex_NE'][:, k])}; fit c + d/N -> {res['ex_NE_limit'][k]:.4f} "
             f"+- {res['ex_NE_limit_err'][k]:.1g} (rms residual {res['ex_NE_rms'][k]:.1e}; "
             f"{convergence_text(res, 'ex_NE', k)}); linear-noise prediction {res['c'][k]:.4f} "
             f"({(res['ex_NE_limit'][k] - res['c'][k]) / res['ex_NE_limit_err'][k]:+.1f} errors); over all t > 0 the "
             f"largest |limit - c| / error is {z_over_time(res):.1f}"]
    for N in res["traj_Ns"]:
        same = res[f"tr_N{N}_NE_z"]
        lines.append(f"  trajectories N = {N}: {res[f'tr_N{N}_NE'][k]:.3f} +- {res[f'tr_N{N}_NE_se'][k]:.3f}"
                     + ("" if np.isnan(same) else f" (within {same:.1f} s.e. of the exact N E_N at this N, all t)"))
    tag_exact = res["tr_tag_z_exact"]
    lines += [f"tagged site: trajectories (N = {res['tr_tag_N']}) within {res['tr_tag_z']:.1f} standard errors of "
              f"eq. 50 at every t and component" + ("" if np.isnan(tag_exact) else
                                                  f" ({tag_exact:.1f} of the exact evolution at this N)")
              + f"; the bulk mean field differs from eq. 50 by up to {res['bulk_vs_local']:.2f}",
              f"N |r_tag - r_L|(t = {res['times'][int(res['k_tag'])]:g}): {', '.join(f'{v:.3f}' for v in res['ex_Ndev'])}"
              f" (exact N = {', '.join(map(str, res['tag_Ns']))}) -> {res['ex_Ndev_limit']:.3f} +- {res['ex_Ndev_limit_err']:.1g}"
              f" (fit c + d/N, rms residual {float(res['ex_Ndev_rms']):.1e}; {convergence_text(res, 'ex_Ndev')})"]
    return "\n".join(lines)


def main(argv=None):
    return run_experiment(argv, name="interacting_tagged", description=__doc__.splitlines()[0], compute=compute,
                          plot=plot, summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
