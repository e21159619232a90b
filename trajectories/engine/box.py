"""Boxes: the support of a vector on the global layout as one digit range per block.

A box (2, B) int holds [lo_b, hi_b) = box[0, b], box[1, b] for the digit k_b of every block b
(layout.py); a vector with that box vanishes at every index whose digits are not all inside it.
For several blocks this is what keeps a trajectory cheap: a flat window [lo, hi) of the global
layout spans the whole range of every block but the slowest, a box only what the state occupies.

The entries of a box with fixed digits of blocks 0..B-2 form a "row", contiguous in the global
layout (block B-1 has stride 1); row r starts at row_base(gstride, box, r) + box[0, B-1]. Kernels
loop

    for r in range(nrows(box)):
        base = row_base(P.gstride, box, r)
        for i in range(base + box[0, B - 1], base + box[1, B - 1]): ...

Invariant: every vector of a trajectory is zero outside its box, so a kernel reads neighbours
without testing whether they are inside; a kernel that overwrites a vector first clears its old box.
The dense path's compact vector of dimension d is the box ((0, ..., 0), (1, ..., 1, d)).
"""
from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def nrows(box):
    """Number of rows of box (2, B) (0 if it is empty)."""
    B = box.shape[1]
    if box[1, B - 1] <= box[0, B - 1]:
        return 0
    n = 1
    for b in range(B - 1):
        w = box[1, b] - box[0, b]
        if w <= 0:
            return 0
        n *= w
    return n


@njit(cache=True, inline="always")
def row_base(gstride, box, r):
    """Global index of row r of box with the last block's digit 0 (blocks 0..B-2 mixed radix, the
    last of them fastest)."""
    base = 0
    for b in range(box.shape[1] - 2, -1, -1):
        w = box[1, b] - box[0, b]
        base += (box[0, b] + r % w) * gstride[b]
        r //= w
    return base


@njit(cache=True, inline="always")
def box_size(box):
    """Number of entries of box."""
    last = box.shape[1] - 1
    return nrows(box) * max(box[1, last] - box[0, last], 0)


@njit(cache=True, inline="always")
def clear_box(gstride, x, box):
    """x = 0 on box."""
    last = box.shape[1] - 1
    for r in range(nrows(box)):
        base = row_base(gstride, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            x[i] = 0.0


@njit(cache=True, inline="always")
def empty_box(box):
    """Make box empty (hi = lo = 0)."""
    for b in range(box.shape[1]):
        box[0, b] = 0
        box[1, b] = 0


@njit(cache=True, inline="always")
def unbounded(box):
    """Make box the "keep nothing" argument of trim_faces (lo above, hi below every digit)."""
    for b in range(box.shape[1]):
        box[0, b] = 2 ** 62
        box[1, b] = -1


@njit(cache=True, inline="always")
def copy_box(src, dst):
    """dst = src."""
    for b in range(src.shape[1]):
        dst[0, b] = src[0, b]
        dst[1, b] = src[1, b]


@njit(cache=True, inline="always")
def widen(box, shift, nk, out):
    """out = box widened by shift[b] (B,) on both sides of every block, within 0..nk[b] - 1."""
    for b in range(box.shape[1]):
        out[0, b] = max(box[0, b] - shift[b], 0)
        out[1, b] = min(box[1, b] + shift[b], nk[b])


@njit(cache=True, inline="always")
def widen_block(box, b, shift, nk, out):
    """out = box widened by shift on both sides of block b only, within 0..nk[b] - 1."""
    copy_box(box, out)
    out[0, b] = max(box[0, b] - shift, 0)
    out[1, b] = min(box[1, b] + shift, nk[b])


@njit(cache=True, inline="always")
def inside(inner, outer):
    """Whether box inner lies in box outer (an empty inner lies in any box)."""
    for b in range(inner.shape[1]):
        if inner[1, b] <= inner[0, b]:
            return True
    for b in range(inner.shape[1]):
        if inner[0, b] < outer[0, b] or inner[1, b] > outer[1, b]:
            return False
    return True


@njit(cache=True)
def union(a, b_, out):
    """out = the smallest box holding boxes a and b_ (either may be empty)."""
    if box_size(a) == 0:
        copy_box(b_, out)
        return
    if box_size(b_) == 0:
        copy_box(a, out)
        return
    for b in range(a.shape[1]):
        out[0, b] = min(a[0, b], b_[0, b])
        out[1, b] = max(a[1, b], b_[1, b])


@njit(cache=True)
def flat_hull(gstride, box):
    """[lo, hi): the flat range of the global layout from the first to the last index of box."""
    lo, hi = 0, 1
    for b in range(box.shape[1]):
        lo += box[0, b] * gstride[b]
        hi += (box[1, b] - 1) * gstride[b]
    return lo, hi


@njit(cache=True)
def sector_box(nk, tj, out):
    """out = the box of the sector tuple tj: |m_b| <= j_b, i.e. k_b in [(N_b - 2j_b)/2, (N_b + 2j_b)/2]."""
    for b in range(tj.size):
        out[0, b] = (nk[b] - 1 - tj[b]) // 2
        out[1, b] = (nk[b] - 1 + tj[b]) // 2 + 1


@njit(cache=True)
def compact_box(d, out):
    """out = the box ((0, ..., 0), (1, ..., 1, d)) of a compact vector of dimension d (dense path)."""
    B = out.shape[1]
    for b in range(B):
        out[0, b] = 0
        out[1, b] = 1
    out[1, B - 1] = d


@njit(cache=True, inline="always")
def face_max(gstride, x, box, b, k, face):
    """max |x_i|^2 over the face k_b = k of box (face: (2, B) scratch)."""
    copy_box(box, face)
    face[0, b], face[1, b] = k, k + 1
    last = box.shape[1] - 1
    top = 0.0
    for r in range(nrows(face)):
        base = row_base(gstride, face, r)
        for i in range(base + face[0, last], base + face[1, last]):
            top = max(top, x[i].real ** 2 + x[i].imag ** 2)
    return top


@njit(cache=True, inline="always")
def trim_faces(gstride, x, box, keep, cut, face):
    """Shrink box past its faces with every |x_i|^2 <= cut, setting them to zero; faces inside box
    keep (2, B) are never dropped, nor the last digit of a block (face: (2, B) scratch)."""
    for b in range(box.shape[1]):
        while box[1, b] - box[0, b] > 1 and box[0, b] < keep[0, b]:
            if face_max(gstride, x, box, b, box[0, b], face) > cut:
                break
            clear_box(gstride, x, face)
            box[0, b] += 1
        while box[1, b] - box[0, b] > 1 and box[1, b] > keep[1, b]:
            if face_max(gstride, x, box, b, box[1, b] - 1, face) > cut:
                break
            clear_box(gstride, x, face)
            box[1, b] -= 1


@njit(cache=True)
def shrink_box(gstride, x, box, cut, face):
    """Shrink box past its faces with every |x_i|^2 <= cut, leaving x as it is (for a vector that
    is not the caller's to change; the last digit of a block stays; face: (2, B) scratch)."""
    for b in range(box.shape[1]):
        while box[1, b] - box[0, b] > 1 and face_max(gstride, x, box, b, box[0, b], face) <= cut:
            box[0, b] += 1
        while box[1, b] - box[0, b] > 1 and face_max(gstride, x, box, b, box[1, b] - 1, face) <= cut:
            box[1, b] -= 1


@njit(cache=True, inline="always")
def norm2(gstride, x, box):
    """sum |x_i|^2 over box."""
    last = box.shape[1] - 1
    acc = 0.0
    for r in range(nrows(box)):
        base = row_base(gstride, box, r)
        for i in range(base + box[0, last], base + box[1, last]):
            acc += x[i].real ** 2 + x[i].imag ** 2
    return acc
