"""A rotated quantisation axis per block: Delta's with m_x and m_y parts on the banded path.

When, in block b, every channel's Delta has its block-b coefficients r_{l,b} along one axis n_b,
the rotation R_b (3, 3) with R_b n_b = z makes every Delta diagonal in the Dicke basis about n_b
(docs/theory.md §14). When they point in different directions, n_b is the axis most of them share
and the others are applied as Chebyshev series (engine/series.py, §15). With V_b the spin-1/2
rotation of R_b (V sigma_c V^+ = sum_a R_ac sigma_a) and U = prod_k V_{b(k)}, the model transforms as

    h_b -> R_b h_b,   J^{bg} -> R_b J^{bg} R_g^T,   r_{l,b} -> R_b r_{l,b},   o_l -> V o_l V^+,
    psi -> U psi,     <m^b> = R_b^T <m^b>',   <m^b m^g^T> = R_b^T <m^b m^g^T>' R_g,

an exact change of basis: the trajectories of the rotated model, rotated back, are those of the
original model.
"""
from __future__ import annotations

import math

import numpy as np

from models.spin import BlockModel, Channel

#: relative size of the transverse part of R_b r_{l,b} accepted as round-off (parallel axes)
PARALLEL_TOL = 1e-12
PAULI = np.array([[[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=complex)


def rotation_to_z(n) -> np.ndarray:
    """The proper rotation R (3, 3) taking the unit vector along n (3,) to z by the smallest angle
    (about n x z); the identity for n along +z or -z (a Delta along -z is already diagonal)."""
    n = np.asarray(n, dtype=float)
    n = n / np.max(np.abs(n))  # first scaled: |n| of a huge n would overflow
    n = n / np.linalg.norm(n)
    v = np.cross(n, [0.0, 0.0, 1.0])
    s, c = float(np.linalg.norm(v)), float(n[2])
    if s <= PARALLEL_TOL:
        return np.eye(3)
    K = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + K + K @ K * (1 - c) / s ** 2


def spin_half_rotation(R) -> np.ndarray:
    """The SU(2) matrix V (2, 2), basis (up, down), of the proper rotation R (3, 3):
    V sigma_c V^+ = sum_a R_ac sigma_a, V = w - i (u_x sigma_x + u_y sigma_y + u_z sigma_z) with
    (w, u) the unit quaternion of R (cos(alpha/2), sin(alpha/2) axis), found by Shepperd's method
    (the largest of 1 + tr R, 1 + 2 R_aa - tr R sets the pivot, accurate at every angle)."""
    R = np.asarray(R, dtype=float)
    t = np.trace(R)
    pivots = [1 + t, *(1 + 2 * R[a, a] - t for a in range(3))]
    p = int(np.argmax(pivots))
    q = np.empty(4)  # (w, x, y, z)
    q[p] = math.sqrt(pivots[p]) / 2
    anti = (R[2, 1] - R[1, 2], R[0, 2] - R[2, 0], R[1, 0] - R[0, 1])  # 4 w u_a
    sym = {(0, 1): R[0, 1] + R[1, 0], (0, 2): R[0, 2] + R[2, 0], (1, 2): R[1, 2] + R[2, 1]}  # 4 u_a u_c
    for a in range(3):
        if p == 0:
            q[a + 1] = anti[a] / (4 * q[0])
        elif a != p - 1:
            q[a + 1] = sym[tuple(sorted((a, p - 1)))] / (4 * q[p])
    if p:
        q[0] = anti[p - 1] / (4 * q[p])
    return q[0] * np.eye(2) - 1j * np.einsum("a,aij->ij", q[1:], PAULI)


def _unit(v) -> np.ndarray:
    v = np.asarray(v, dtype=float) / float(np.max(np.abs(v)))
    return v / np.linalg.norm(v)


def _parallel(u, v) -> bool:
    return float(np.linalg.norm(np.cross(u, v))) <= PARALLEL_TOL


def delta_axes(model) -> list[np.ndarray | None] | None:
    """Per block the axis n_b (3,) shared by the block-b parts of every channel's Delta (None for a
    block no Delta involves), or None when the parts of some block point in different directions."""
    axes = majority_axes(model)
    for l in range(len(model.channels)):
        for b, part in enumerate(model.delta(l)):
            if np.any(part) and not _parallel(axes[b], _unit(part)):
                return None
    return axes


def majority_axes(model) -> list[np.ndarray | None]:
    """Per block the axis along which the most channels' block-b parts of Delta lie (z when it ties
    for the most, so a z-only block is never rotated; None for a block no Delta involves)."""
    axes: list[np.ndarray | None] = []
    for b in range(model.B):
        parts = [_unit(model.delta(l)[b]) for l in range(len(model.channels)) if np.any(model.delta(l)[b])]
        if not parts:
            axes.append(None)
            continue
        counts = [sum(_parallel(u, v) for v in parts) for u in parts]
        z_count = sum(_parallel((0.0, 0.0, 1.0), v) for v in parts)
        best = int(np.argmax(counts))
        axes.append(np.array([0.0, 0.0, 1.0]) if z_count >= counts[best] else parts[best])
    return axes


def quantisation_frame(model) -> np.ndarray | None:
    """The rotations R (B, 3, 3) that make the most Deltas of `model` z-only (majority_axes: every
    Delta when their parts share one axis per block; the others run as Chebyshev series,
    docs/theory.md §15); None when no rotation helps (the model is z-only, or z is the best axis
    of every block)."""
    if model.only_z:
        return None
    axes = majority_axes(model)
    if all(n is None or _parallel(n, (0.0, 0.0, 1.0)) for n in axes):
        return None
    return np.stack([np.eye(3) if n is None else rotation_to_z(n) for n in axes])


def rotate_model(model, frame) -> BlockModel:
    """The model in the rotated frame (frame (B, 3, 3)): fields, couplings, Delta coefficients and
    local operators transformed as in the module docstring; a block part of a Delta that the frame
    puts along z has its x and y parts, round-off by construction (below PARALLEL_TOL), set to zero."""
    frame = np.asarray(frame, dtype=float)
    V = [spin_half_rotation(R) for R in frame]
    h = np.einsum("bac,bc->ba", frame, model.h)
    J = np.einsum("bad,bgde,gce->bgac", frame, model.J, frame)
    for b in range(model.B):  # J[b, b] stays symmetric up to round-off; symmetrise it exactly
        J[b, b] = (J[b, b] + J[b, b].T) / 2
    channels = []
    for l, ch in enumerate(model.channels):
        r = np.einsum("bac,bc->ba", frame, model.delta(l))
        scale = np.max(np.abs(r), axis=1)
        r[np.max(np.abs(r[:, :2]), axis=1) <= 1e3 * PARALLEL_TOL * scale, :2] = 0.0
        Vb = V[ch.block]
        kwargs = {"gamma": ch.gamma} if ch.gamma is not None else {"rate": ch.rate}
        channels.append(Channel(Vb @ ch.matrix @ Vb.conj().T, delta=r, offset=ch.offset, block=ch.block,
                                collective=ch.collective, **kwargs))
    return BlockModel(model.sizes, h, J, channels)


def rotate_moments(means: np.ndarray, seconds: np.ndarray, frame) -> tuple[np.ndarray, np.ndarray]:
    """Moments of the rotated frame back to the model's: means (..., B, 3) -> R_b^T means_b,
    seconds (..., B, 3, B, 3) -> R_b^T seconds_bg R_g."""
    frame = np.asarray(frame, dtype=float)
    means = np.einsum("bca,...bc->...ba", frame, means)
    seconds = np.einsum("bca,...bcgd,gde->...bage", frame, seconds, frame)
    return means, seconds
