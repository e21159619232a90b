"""Where a trajectory's time goes: the step kernels of engine/driver.py called one by one from Python,
each timed, on one trajectory of a Hopfield network (p patterns, N spins; p = 1 is one block).

    python benchmarks/profile_kernels.py [p:N ...]        (default 2:1000 3:100 1:100000)

Model and start as in bench_multiblock.py (beta = 2, Omega = 0.5, coherent theta = 0.4, t = 0..5).
Prints per configuration the seconds spent in each phase (H_eff psi and its mean, the Taylor terms,
horner and the jump-time root, channel and sector weights, the Kraus map, the moments), the numbers of
steps, jumps, Taylor terms and DIA builds, and the mean boxes of the state and of the last Taylor term against
G = prod(N_b + 1). Python's call overhead (~1 us per call) is included, so at small N the totals
exceed a plain run's.
"""
import math
import sys
import time
from collections import defaultdict

import numpy as np

from models import HopfieldNetwork, hopfield_model
from models.hopfield import random_patterns
from trajectories import coherent_state
from trajectories.base.options import TrajectoryOptions
from trajectories.engine.box import box_size
from trajectories.engine.compiled import compile_model
from trajectories.engine.driver import draw_threshold
from trajectories.engine.jumps import apply_jump, channel_weights, choose_channel, choose_sector, sector_weights
from trajectories.engine.observables import moments
from trajectories.engine.propagate import expand, horner, jump_time, mean_energy, settle, step_size
from trajectories.engine.workspace import Tolerances, load_state, workspace

BETA, OMEGA, THETA, T_END = 2.0, 0.5, 0.4, 5.0


def model_of(p, N):
    return hopfield_model(N, BETA, OMEGA) if p == 1 else HopfieldNetwork(random_patterns(p, N, seed=1), BETA, OMEGA).model


def profile(model, seed=1):
    """(seconds per phase, counts) of one trajectory."""
    opt = TrajectoryOptions()
    P = compile_model(model)
    tols = Tolerances(opt.tol, opt.root_tol, opt.trim)
    rng = np.random.Generator(np.random.PCG64(seed))
    tj0, psi0 = coherent_state(THETA).sample(model.sizes, None)
    ws = workspace(P, tj0, opt.max_terms)
    load_state(P, ws, psi0, opt.trim)
    draw_threshold(ws.state[0], rng)
    B = len(model.sizes)
    u, wide = np.zeros((3 * B, P.grid.G), complex), np.zeros((2, B), np.int64)
    first, second = np.zeros((B, 3), complex), np.zeros((3 * B, 3 * B), complex)
    sec, cnt = defaultdict(float), defaultdict(int)
    st = ws.state[0]

    def timed(name, f, *args):
        t0 = time.perf_counter()
        r = f(*args)
        sec[name] += time.perf_counter() - t0
        return r

    builds = [0]
    outputs = np.linspace(0, T_END, 11)
    for t_out in outputs:
        while st["t"] < t_out:
            before = ws.built.copy()
            c, spread = timed("H_eff psi, <H_eff>", mean_energy, P, ws)
            a0 = -2.0 * c.imag
            dt, clipped = step_size(st, a0, spread, t_out - st["t"])
            K, dt, clipped = timed("Taylor terms", expand, P, ws, c, dt, clipped, tols)
            builds[0] += not (ws.built == before).all()
            cnt["steps"] += 1
            cnt["Taylor terms"] += K
            cnt["box"] += box_size(ws.tbox[0])
            cnt["last term box"] += box_size(ws.tbox[K])
            n1 = timed("horner, root", horner, P.grid.gstride, ws.terms, ws.tbox, K, 1.0, ws.work, ws.wbox)
            g1 = st["lognorm"] - a0 * dt + math.log(n1)
            if g1 > st["logr"]:
                st["lognorm"] = g1
                st["t"] = t_out if clipped else st["t"] + dt
                timed("settle", settle, P, ws, K, n1, tols.trim)
                continue
            x, nx = timed("horner, root", jump_time, P, ws, K, st["lognorm"] - st["logr"], a0 * dt, n1, tols.root_tol)
            st["t"] += x * dt
            timed("settle", settle, P, ws, K, nx, tols.trim)
            w = timed("channel weights", channel_weights, P, ws)
            l = choose_channel(w, rng)
            jump = choose_sector(l, ws.tw, timed("sector weights", sector_weights, P, ws, l), rng)
            timed("Kraus map", apply_jump, P, ws, jump, tols.trim)
            draw_threshold(st, rng)
            cnt["jumps"] += 1
        timed("moments", moments, P.grid, ws.tj, ws.terms[0], ws.tbox[0], u, wide, first, second)
    cnt["DIA builds"] = builds[0]
    return sec, cnt, P.grid.G


def main(configs):
    print(f"Hopfield networks beta = {BETA}, Omega = {OMEGA}, theta = {THETA}, t = 0..{T_END}, one trajectory")
    for p, N in configs:
        model = model_of(p, N)
        profile(model_of(p, 20))            # compile / load the kernels
        sec, cnt, G = profile(model)
        total = sum(sec.values())
        steps = max(cnt["steps"], 1)
        print(f"\np = {p}, N = {N}, blocks {model.sizes}, G = {G}: {total:.3f} s, {cnt['jumps']} jumps, "
              f"{cnt['steps']} steps, {cnt['Taylor terms'] / steps:.1f} Taylor terms per step, "
              f"{cnt['DIA builds']} DIA builds, mean box {cnt['box'] / steps:.0f} ({cnt['box'] / steps / G:.2%} of G), "
              f"of the last Taylor term {cnt['last term box'] / steps:.0f}")
        for name, s in sorted(sec.items(), key=lambda kv: -kv[1]):
            print(f"  {name:<20} {s:8.3f} s  {s / total:6.1%}")


if __name__ == "__main__":
    args = sys.argv[1:] or ["2:1000", "3:100", "1:100000"]
    main([tuple(int(v) for v in a.split(":")) for a in args])
