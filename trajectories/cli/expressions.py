"""Diagonal observables written in a config as formulas of the block magnetisations.

    [record.observables]
    m2 = "m**2"                          one block: m is m_z
    binder4 = "m**4"
    overlap2 = "(0.5*m0 + 0.5*m1)**2"    several blocks: m0, m1, ... (and m = m0)

A formula may use numbers, + - * / **, parentheses, pi, e and the functions abs, sqrt, exp, log,
cos, sin, tan, tanh, cosh, sinh, sign, minimum, maximum; nothing else is evaluated (the formula is
checked node by node before it is compiled), so a config cannot run code.
"""
from __future__ import annotations

import ast

import numpy as np

FUNCTIONS = {name: getattr(np, name) for name in ("abs", "sqrt", "exp", "log", "cos", "sin", "tan", "tanh",
                                                  "cosh", "sinh", "sign", "minimum", "maximum")}
CONSTANTS = {"pi": np.pi, "e": np.e}
_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Call, ast.Add, ast.Sub,
          ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def observable_function(name: str, formula, n_blocks: int):
    """A vectorised f(m_z^0, ..., m_z^{B-1}) from `formula`; ValueError naming the observable when
    the formula is not a string, does not parse, or uses anything but the allowed names."""
    where = f"record.observables.{name}"
    if not isinstance(formula, str):
        raise ValueError(f"{where} must be a formula string like \"m**2\", got {formula!r}")
    try:
        tree = ast.parse(formula, mode="eval")
    except SyntaxError:
        raise ValueError(f"{where}: {formula!r} is not a formula") from None
    variables = {f"m{b}" for b in range(n_blocks)} | {"m"}
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise ValueError(f"{where}: {type(node).__name__} is not allowed in a formula "
                             "(numbers, + - * / **, parentheses, functions and m, m0, m1, ...)")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ValueError(f"{where}: only numbers may appear as constants, got {node.value!r}")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
                                               and not node.keywords):
            raise ValueError(f"{where}: only the functions {', '.join(FUNCTIONS)} may be called")
        if isinstance(node, ast.Name) and node.id not in variables | set(FUNCTIONS) | set(CONSTANTS):
            allowed = "m" if n_blocks == 1 else f"m0 .. m{n_blocks - 1}"
            raise ValueError(f"{where}: unknown name {node.id!r} (the block magnetisations are {allowed})")
    code = compile(tree, where, "eval")

    def f(*mz):
        scope = {**FUNCTIONS, **CONSTANTS, "m": mz[0], **{f"m{b}": v for b, v in enumerate(mz)}}
        return eval(code, {"__builtins__": {}}, scope)  # noqa: S307  (checked node by node above)

    f.__name__ = name
    return f
