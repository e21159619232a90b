"""Kernels chosen by the type of the compiled model, when they compile.

A compiled model is a BandedPath, SeriesPath or DensePath (compiled.py), distinct NamedTuple types.
A step that differs between paths is a stub made into a kernel by `per_path`: each call site, as
Numba compiles it, takes the implementation of its model's path, so a run compiles the kernels of
its own path and no other, and no kernel tests a path flag at run time:

    def gamma_psi(P, ws, l):
        '''work = Gamma_l psi.'''

    per_path(gamma_psi, banded=gamma_table, series=gamma_series, dense=gamma_dense_psi)

The implementations are functions of the same signature, plain or jitted (then callable from
Python and from other kernels too); Numba compiles them (with the on-disk cache) for the kernels
that call the stub. A stub is callable from kernels only.
"""
from __future__ import annotations

import functools

from numba import types
from numba.extending import overload

from .compiled import BandedPath, DensePath, SeriesPath

#: Numba options of the implementations (the on-disk cache, as every kernel of the package)
JIT_OPTIONS = {"cache": True}
#: the name of each path type
PATH_NAMES = {BandedPath: "banded", SeriesPath: "series", DensePath: "dense"}


def path_name(P) -> str:
    """'banded', 'series' or 'dense': the path of the Numba type P of a compiled model."""
    cls = getattr(P, "instance_class", None) if isinstance(P, types.BaseNamedTuple) else None
    if cls not in PATH_NAMES:
        raise TypeError(f"not a compiled model: {P}")
    return PATH_NAMES[cls]


def per_path(stub, inline: str = "never", **implementations):
    """Make `stub` a kernel whose body is implementations[path_name(type of its first argument)]
    ('banded', 'series', 'dense'; a path without one cannot call it), inlined into its callers'
    Numba IR with inline="always" (a product called in a loop, a constant). Returns the stub."""
    plain = {name: getattr(f, "py_func", f) for name, f in implementations.items()}

    @functools.wraps(stub)   # Numba reads the stub's signature through __wrapped__
    def select(P, *args):
        return plain.get(path_name(P))
    overload(stub, inline=inline, jit_options=JIT_OPTIONS)(select)
    return stub


def is_banded(P):
    """True on the banded paths (BandedPath, SeriesPath), False on the dense path: a constant when
    the kernel compiles."""


def _true(P):
    return True


def _false(P):
    return False


per_path(is_banded, inline="always", banded=_true, series=_true, dense=_false)
