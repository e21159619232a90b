"""Where mean field fails: a non-clustering (cat) initial state keeps E_N(t) of order one.

Quantum Hopfield model, eq. 59 rates (docs/theory.md §7), in the bistable retrieval phase beta = 2,
Omega = 0.2 (beta > 1 + 8 Omega^2 = 1.32; stable fixed points +-m*, m_z* = hopfield_retrieval_mz(2, 0.2)
= 0.655). E_N(t) is paper eq. 24 (Theorem 1). Two initial states:

* the product state |up...up> (spin-coherent, theta = 0): clustering, E_N(0) = 1/N, and E_N(t) ~ 1/N
  (Theorem 1) around its mean-field solution m_up(t), which relaxes to the + retrieval state;
* the cat state (|up...up> + |down...down>)/sqrt(2): its one-site marginal is 1/2, so the mean-field
  solution started from it is m = 0 at all times (the symmetric, unstable point), and E_N(0) = 1/2 + 1/N.
  Collective observables cannot distinguish the cat from the mixture of its two branches, and each branch
  follows its own mean field: omega_t(m) = 0 (= mean field, by the pi-rotation symmetry about x), but
  omega_t(m_a m_b) -> m_up,a(t) m_up,b(t), so E_N(t) -> 1/2 |m_up(t)|^2 = O(1) for all N
  (stationary value (1 + 16 Omega^2) m_z*^2 / 2 = 0.351). Mean field (a product-state ansatz) describes
  neither branch.

Claims (fixed seeds; weighted fits with errors scaled by sqrt(chi^2/dof) when chi^2/dof > 1):
cat trajectories agree with the exact sector-reduced evolution (N = 10) within 4 s.e. (means, second
moments at 25 times: worst 3.1 s.e.; E_N: 2.6 s.e.); the cat's E_N(t) stays above 0.25 at every N and t
(measured min 0.364, N = 1000) and equals |m_up(t)|^2/2 (min over t <= 6: 0.367) at the largest N within
4 s.e. + 3/N. Fitted as E_N(t*) = a + b/N over N >= 100 (N = 100, 1000, 3162), the cat's limit is the
two-branch value: a = 0.4731 +- 0.0006, 0.4267 +- 0.0009, 0.3681 +- 0.0033 at t* = 1, 3, 6 (chi^2/dof
0.0/1, 0.1/1, 4.7/1) against |m_up(t*)|^2/2 = 0.4738, 0.4270, 0.3668 (1.2, 0.3, 0.4 errors). A power law
is the wrong model for it: E_N ~ N^p over every N gives p = -0.017 +- 0.011 ... with chi^2/dof = 359/2,
196/2, 167/2. The product state's p = -1.000 +- 0.003, -1.001 +- 0.007, -1.020 +- 0.041 (theory -1),
fitted over N >= 100: below, |up...up> also tunnels to the other retrieval state within t, which adds an
exponentially small but, at N = 10, visible O(m*^2) term (and the same term keeps N = 10 out of the cat's fit).

Panels: (a) cat-state omega_t(m_z^2), omega_t(m_z) from trajectories, exact and mean field; (b) E_N(t) of
both states; (c) E_N(t*) against N with the fits (cat: a + b/N and its theory a; product: N^p).

    python experiments/cat_state.py [--fast] [--out plots/cat_state.png] [--data results/cat_state.npz]
        [--n-jobs 2]
"""
import time
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from models import hopfield_model  # noqa: E402
from trajectories import (  # noqa: E402
    cat_state,
    clustering,
    coherent_state,
    exact_evolution,
    fit_inverse_n,
    fit_power_law,
    mean_field,
    run_ensemble,
)
from trajectories.cli.experiment import run_experiment  # noqa: E402
from trajectories.cli.plotting import save_png  # noqa: E402
from trajectories.theory.fixed_points import hopfield_point, hopfield_retrieval_mz  # noqa: E402


@dataclass(frozen=True)
class Params:
    beta: float = 2.0
    omega: float = 0.2
    t_max: float = 6.0
    n_times: int = 25
    cat_Ns: tuple = (10, 100, 1000, 3162)
    cat_ntraj: tuple = (400, 200, 100, 40)
    prod_Ns: tuple = (10, 31, 100, 316, 1000, 3162)
    prod_ntraj: tuple = (800, 800, 600, 300, 150, 60)
    exact_Ns: tuple = (10, 20, 40, 80)           # exact evolution of the cat state
    t_stars: tuple = (1.0, 3.0, 6.0)             # times of the fits E_N(t*) ~ N^p
    fit_nmin: int = 100                          # the product state's fit uses N >= fit_nmin
    seed: int = 4000                             # product: seed + i; cat: seed + 50 + i (i-th N)


FAST = Params(t_max=3.0, n_times=7, cat_Ns=(10, 100, 316), cat_ntraj=(200, 100, 60), prod_Ns=(10, 31, 100, 316, 1000),
              prod_ntraj=(300, 300, 300, 150, 40), exact_Ns=(10, 20), t_stars=(1.0, 3.0))


def ensembles(p: Params, label, state, Ns, ntraj, seed0, times, n_jobs) -> dict:
    """E_N (clustering against the mean-field solution from `state`), means and second moments per N."""
    out = {k: [] for k in ("E", "err", "mean", "stderr", "second", "second_stderr")}
    for i, (N, n) in enumerate(zip(Ns, ntraj)):
        model = hopfield_model(N, p.beta, p.omega)
        ens = run_ensemble(model, state, times, ntraj=n, seed=seed0 + i, execution=dict(n_jobs=n_jobs))
        E, err = clustering(ens, mean_field(model, state, times))
        for key, value in (("E", E), ("err", err), ("mean", ens.mean), ("stderr", ens.stderr),
                           ("second", ens.second), ("second_stderr", ens.second_stderr)):
            out[key].append(value)
    return {f"{label}_{k}": np.array(v) for k, v in out.items()}


def exact_cat(p: Params, times) -> dict:
    """Exact sector-reduced evolution of the cat state: E_N (clustering of the exact result), moments."""
    E, mean, second = [], [], []
    for N in p.exact_Ns:
        model = hopfield_model(N, p.beta, p.omega)
        r = exact_evolution(model, cat_state(), times, method="sectors")
        E.append(clustering(r, mean_field(model, cat_state(), times))[0])
        mean.append(r.mean)
        second.append(r.second)
    return dict(exact_Ns=np.array(p.exact_Ns), exact_E=np.array(E), exact_mean=np.array(mean),
                exact_second=np.array(second))


def agreement(r: dict) -> dict:
    """Cat trajectories against the exact evolution at the N both have: worst deviation in s.e. of the
    means, second moments and E_N (entries with spread), and the largest deviation of entries without."""
    z, flat, zE, Ns = [], [], [], sorted(set(r["cat_Ns"].tolist()) & set(r["exact_Ns"].tolist()))
    for N in Ns:
        i, j = list(r["cat_Ns"]).index(N), list(r["exact_Ns"]).index(N)
        dev = np.concatenate([np.abs(r["cat_mean"][i] - r["exact_mean"][j]).ravel(),
                              np.abs(r["cat_second"][i] - r["exact_second"][j]).ravel()])
        se = np.concatenate([r["cat_stderr"][i].ravel(), r["cat_second_stderr"][i].ravel()])
        z.append(float((dev[se > 0] / se[se > 0]).max()))
        flat.append(float(dev[se == 0].max(initial=0.0)))
        e, s = np.abs(r["cat_E"][i] - r["exact_E"][j]), r["cat_err"][i]
        zE.append(float((e[s > 0] / s[s > 0]).max()))
    return dict(z_Ns=np.array(Ns), z_moments=np.array(z), z_zero_spread_dev=np.array(flat), z_E=np.array(zE))


def fits(r: dict, p: Params) -> dict:
    """At each t*: the product state's E_N ~ N^p (N >= fit_nmin; theory p = -1) and the cat's
    E_N = a + b/N (N >= fit_nmin; theory a = |m_up(t*)|^2/2), weighted least squares with chi^2-scaled
    errors and chi^2/dof; the cat's power law over every N is kept for comparison (theory p = 0)."""
    k_star = [int(np.argmin(np.abs(r["times"] - ts))) for ts in p.t_stars]
    out = {}
    for label in ("cat", "prod"):
        Ns = r[f"{label}_Ns"]
        use = Ns >= (p.fit_nmin if label == "prod" else 0)
        f = [fit_power_law(Ns[use], r[f"{label}_E"][use, k], r[f"{label}_err"][use, k]) for k in k_star]
        for attr in ("exponent", "exponent_err", "exponent_err_unscaled", "prefactor", "chi2", "dof"):
            out[f"{label}_{attr}"] = np.array([getattr(x, attr) for x in f])
    use = r["cat_Ns"] >= p.fit_nmin
    lin = [fit_inverse_n(r["cat_Ns"][use], r["cat_E"][use, k], r["cat_err"][use, k]) for k in k_star]
    out.update(cat_limit=np.array([f.limit for f in lin]), cat_limit_err=np.array([f.limit_err for f in lin]),
               cat_slope=np.array([f.coefficients[1] for f in lin]), cat_lin_chi2=np.array([f.chi2 for f in lin]),
               cat_lin_dof=np.array([f.dof for f in lin]), cat_limit_theory=r["branch_E"][k_star])
    return dict(out, k_star=np.array(k_star), fit_nmin=p.fit_nmin)


def compute(params: Params = Params(), n_jobs: int = 2) -> dict:
    p, t0 = params, time.perf_counter()
    times = np.linspace(0, p.t_max, p.n_times)
    m_star = hopfield_retrieval_mz(p.beta, p.omega)
    model = hopfield_model(10, p.beta, p.omega)                    # the eq. 59 mean field is the same for all N
    mf_cat = mean_field(model, cat_state(), times)                  # m = 0 throughout
    mf_up = mean_field(model, coherent_state(theta=0.0), times)     # the + branch
    r = dict(times=times, t_stars=np.array(p.t_stars), beta=p.beta, omega=p.omega, m_star=m_star,
             mf_cat=mf_cat.mean, mf_up=mf_up.mean, branch_E=0.5 * np.sum(mf_up.mean ** 2, axis=0),
             branch_E_stationary=0.5 * float(np.sum(hopfield_point(p.beta, p.omega, m_star).m ** 2)),
             cat_Ns=np.array(p.cat_Ns), cat_ntraj=np.array(p.cat_ntraj), prod_Ns=np.array(p.prod_Ns),
             prod_ntraj=np.array(p.prod_ntraj))
    r.update(ensembles(p, "cat", cat_state(), p.cat_Ns, p.cat_ntraj, p.seed + 50, times, n_jobs))
    r.update(ensembles(p, "prod", coherent_state(theta=0.0), p.prod_Ns, p.prod_ntraj, p.seed, times, n_jobs))
    r.update(exact_cat(p, times))
    r.update(agreement(r))
    r.update(fits(r, p))
    r["seconds"] = time.perf_counter() - t0
    return r


def plot_cat(ax, r):
    times, Ns, Ne = r["times"], list(r["cat_Ns"]), int(r["exact_Ns"][0])
    j = list(r["exact_Ns"]).index(Ne)
    ax.plot(times, r["exact_second"][j, 2, 2], "k-", lw=1.2, label=rf"exact $\omega_t(m_z^2)$, $N={Ne}$")
    ax.plot(times, r["exact_mean"][j, 2], "k-.", lw=1, label=rf"exact $\omega_t(m_z)$, $N={Ne}$")
    for N, c in ((Ne, "C0"), (Ns[-1], "C1")):
        i = Ns.index(N)
        ax.errorbar(times, r["cat_second"][i, 2, 2], r["cat_second_stderr"][i, 2, 2], fmt="o", ms=3, color=c,
                    label=rf"trajectories $\omega_t(m_z^2)$, $N={N}$")
        ax.errorbar(times, r["cat_mean"][i, 2], r["cat_stderr"][i, 2], fmt="s", ms=3, mfc="none", color=c,
                    label=rf"trajectories $\omega_t(m_z)$, $N={N}$")
    ax.plot(times, r["mf_cat"][2], "--", color="C3", lw=1.5,
            label=r"mean field from the cat: $m_z^{\rm MF}=(m_z^{\rm MF})^2=0$")
    ax.plot(times, r["mf_up"][2] ** 2, ":", color="C2", lw=2, label=r"branch mean field $m_{{\rm up},z}(t)^2$")
    ax.text(0.98, 0.35, f"trajectories vs exact (N = {Ne}):\nworst {float(r['z_moments'][0]):.2f} s.e. "
            f"(moments), {float(r['z_E'][0]):.2f} s.e. ($E_N$)", transform=ax.transAxes, ha="right", fontsize=7)
    ax.set_xlabel(r"$t$ [1/$\gamma$]")
    ax.set_ylabel(r"$\omega_t(m_z^2)$, $\omega_t(m_z)$")
    ax.set_title(rf"(a) cat state, $\beta={float(r['beta']):g}$, $\Omega={float(r['omega']):g}$ (retrieval, "
                 rf"$m^*_z={float(r['m_star']):.3f}$)", fontsize=9, loc="left")
    ax.legend(fontsize=6.3, frameon=False)


def plot_EN(ax, r):
    times = r["times"]
    cols = plt.cm.viridis(np.linspace(0, 0.85, max(len(r["cat_Ns"]), len(r["prod_Ns"]))))
    cat, prod = [], []
    for i, N in enumerate(r["cat_Ns"]):
        cat.append(ax.errorbar(times, r["cat_E"][i], r["cat_err"][i], fmt="o-", ms=2.5, lw=0.8, color=cols[i],
                               label=f"cat $N={N}$"))
    for i, N in enumerate(r["prod_Ns"]):
        prod.append(ax.errorbar(times, r["prod_E"][i], r["prod_err"][i], fmt="s--", ms=2.5, lw=0.8, mfc="none",
                                color=cols[i], label=rf"$|{{\uparrow}}\rangle^{{\otimes N}}$ $N={N}$"))
    cat += ax.plot(times, r["branch_E"], "-", color="C3", lw=1.5, label=r"$\frac{1}{2}|\mathbf{m}_{\rm up}(t)|^2$")
    cat.append(ax.axhline(float(r["branch_E_stationary"]), color="C3", ls=":", lw=0.8,
                          label=rf"$(1+16\Omega^2)m_z^{{*2}}/2={float(r['branch_E_stationary']):.3f}$"))
    ax.set_yscale("log")
    ax.set_ylim(3e-5, 12)
    ax.add_artist(ax.legend(handles=cat, fontsize=6, frameon=False, ncol=3, loc="upper center"))
    ax.legend(handles=prod, fontsize=6, frameon=False, ncol=3, loc="lower center")
    ax.set_xlabel(r"$t$ [1/$\gamma$]")
    ax.set_ylabel(r"$E_N(t)$")
    ax.set_title("(b) cat: $E_N=O(1)$; product state: $E_N\\sim 1/N$", fontsize=9, loc="left")


def plot_fits(ax, r):
    """(c): E_N(t*) against N; the product state's power law (N >= fit_nmin) and the cat's a + b/N, whose
    limit a is compared with |m_up(t*)|^2/2."""
    nmin = int(r["fit_nmin"])
    for j, (ts, k) in enumerate(zip(r["t_stars"], r["k_star"])):
        Ns = r["cat_Ns"]
        a, ae, b = (float(r[name][j]) for name in ("cat_limit", "cat_limit_err", "cat_slope"))
        chi2, dof = float(r["cat_lin_chi2"][j]), int(r["cat_lin_dof"][j])
        ax.errorbar(Ns, r["cat_E"][:, k], r["cat_err"][:, k], fmt="o", color=f"C{j}", ms=4,
                    label=rf"cat $t={ts:g}$: $a={a:.3f}\pm{ae:.3f}$, theory {float(r['cat_limit_theory'][j]):.3f}"
                          + (rf" ($\chi^2$/dof {chi2:.1f}/{dof})" if dof else " (2 points)"))
        Nf = np.geomspace(nmin, Ns[-1], 30)
        ax.plot(Nf, a + b / Nf, "-", color=f"C{j}", lw=0.7)
        ax.axhline(float(r["cat_limit_theory"][j]), color=f"C{j}", ls=":", lw=0.8)   # |m_up(t*)|^2/2
        Ns = r["prod_Ns"]
        p, pe, chi2, dof = (float(r[f"prod_{x}"][j]) for x in ("exponent", "exponent_err", "chi2", "dof"))
        ax.errorbar(Ns, r["prod_E"][:, k], r["prod_err"][:, k], fmt="s", color=f"C{j}", ms=4, mfc="none",
                    label=rf"product $t={ts:g}$: $p={p:.3f}\pm{pe:.3f}$ ($\chi^2$/dof {chi2:.1f}/{dof:.0f})")
        Nf = Ns[Ns >= nmin]
        ax.plot(Nf, float(r["prod_prefactor"][j]) * Nf ** p, "--", color=f"C{j}", lw=0.7)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(r"$N$")
    ax.set_ylabel(r"$E_N(t^*)$")
    ax.set_title(rf"(c) fits over $N\geq{nmin}$: cat $a+b/N$ (dotted: theory's $a$)," + "\n"
                 + r"product $N^p$ (theory $p=-1$)", fontsize=9, loc="left")
    ax.legend(fontsize=5.8, frameon=False)


def plot(result: dict, path) -> None:
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.3), constrained_layout=True)
    plot_cat(axes[0], result)
    plot_EN(axes[1], result)
    plot_fits(axes[2], result)
    fig.suptitle("Cat state against product state, quantum Hopfield model; error bars 1 standard error; t in units of the inverse single-site flip rate", fontsize=10)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_png(fig, path)


def summary(r: dict) -> None:
    print(f"cat vs product state, Hopfield beta = {r['beta']:g}, Omega = {r['omega']:g} (m*_z = {r['m_star']:.4f})")
    for N, z, zE, flat in zip(r["z_Ns"], r["z_moments"], r["z_E"], r["z_zero_spread_dev"]):
        print(f"  cat trajectories vs exact, N = {N}: worst {z:.2f} s.e. (means, second moments), "
              f"{zE:.2f} s.e. (E_N); zero-spread entries differ by {flat:.1e}")
    print("  cat: min_t E_N(t) = " + ", ".join(f"{E.min():.3f} (N = {N})" for N, E in zip(r["cat_Ns"], r["cat_E"]))
          + f"; N -> oo: min_t |m_up|^2/2 = {r['branch_E'].min():.3f}, stationary {r['branch_E_stationary']:.3f}")
    for j, ts in enumerate(r["t_stars"]):
        print(f"  t* = {ts:g}: cat E_N = a + b/N (N >= {r['fit_nmin']}): a = {r['cat_limit'][j]:.4f} +- "
              f"{r['cat_limit_err'][j]:.4f} (chi2/dof {r['cat_lin_chi2'][j]:.1f}/{r['cat_lin_dof'][j]}) against "
              f"|m_up|^2/2 = {r['cat_limit_theory'][j]:.4f}; power law over all N p = {r['cat_exponent'][j]:.3f} +- "
              f"{r['cat_exponent_err'][j]:.3f} (chi2/dof {r['cat_chi2'][j]:.1f}/{r['cat_dof'][j]}); product p = "
              f"{r['prod_exponent'][j]:.3f} +- {r['prod_exponent_err'][j]:.3f} (N >= {r['fit_nmin']}, chi2/dof "
              f"{r['prod_chi2'][j]:.1f}/{r['prod_dof'][j]})")


def main(argv=None) -> dict:
    return run_experiment(argv, name="cat_state", description=__doc__.splitlines()[0], compute=compute, plot=plot,
                          summary=summary, params=Params(), fast=FAST)


if __name__ == "__main__":
    main()
