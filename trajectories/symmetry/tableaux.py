"""Sampling a product state rho_1^(x)N into one irrep of U(d) by the RSK correspondence.

In the eigenbasis of rho_1 = sum_a p_a |a><a|, rho_1^(x)N mixes the product basis states with
probability prod_k p_(a_k). Row insertion (Robinson-Schensted-Knuth) maps a word a_1 ... a_N
bijectively to a pair (P, Q) of tableaux of one shape lam: P semistandard with the content of the
word, Q standard. So for i.i.d. letters, P(lam, P) = f_lam prod_a p_a^(w_a(P)), which is the
weight of the Gelfand-Tsetlin basis vector of P in the block f_lam pi_lam(diag p) of the product
state in V_lam (symmetry/unitary.py, product_state_block): drawing the word and inserting it
samples (lam, basis vector) exactly. The pattern of P has as row l the shape of the entries < l.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

__all__ = ["insert_word", "tableau_pattern", "sample_product_pattern"]


def insert_word(word) -> list[list[int]]:
    """The insertion tableau P of the word (letters 0..d-1): rows weakly increasing, columns strictly."""
    rows: list[list[int]] = []
    for x in word:
        x = int(x)
        for row in rows:
            i = bisect_right(row, x)
            if i == len(row):
                row.append(x)
                break
            row[i], x = x, row[i]
        else:
            rows.append([x])
    return rows


def tableau_pattern(rows: list[list[int]], d: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(lam, flattened GT pattern) of a semistandard tableau with letters 0..d-1: row l of the
    pattern (l = d, ..., 1, top first) is the shape of the entries < l, padded with zeros."""
    if len(rows) > d:
        raise ValueError(f"a tableau with letters below d = {d} has at most d rows, got {len(rows)}")
    pattern = []
    for level in range(d, 0, -1):
        pattern += [bisect_left(rows[i], level) if i < len(rows) else 0 for i in range(level)]
    return tuple(pattern[:d]), tuple(pattern)


def sample_product_pattern(N: int, p: np.ndarray, rng: np.random.Generator):
    """(lam, flattened GT pattern) of rho_1^(x)N with eigenvalues p (d,) (in the eigenbasis): N i.i.d.
    letters drawn with `rng` (one call), inserted by RSK."""
    word = rng.choice(len(p), size=N, p=p)
    return tableau_pattern(insert_word(word), len(p))
