"""Formulas in configs: diagonal observables of the block magnetisations, and rates of Delta.

    [record.observables]
    m2 = "m**2"                          one block: m is m_z
    binder4 = "m**4"
    overlap2 = "(0.5*m0 + 0.5*m1)**2"    several blocks: m0, m1, ... (and m = m0)

    [[model.channels]]                   a qudit channel's rate (or gamma) as a function of x = Delta
    rate = "0.5 * (1 + 2 * x)"

A formula may use numbers, + - * / **, parentheses, pi, e and the functions abs, sqrt, exp, log,
cos, sin, tan, tanh, cosh, sinh, sign, minimum, maximum; nothing else is evaluated (the formula is
checked node by node before it is compiled), so a config cannot run code. A formula is at most
MAX_FORMULA characters, and its numbers are evaluated as 64-bit floats (9**9**9 is inf at once, not a
Python integer of 370 million digits), so no formula runs unbounded.
"""
from __future__ import annotations

import ast

import numpy as np

FUNCTIONS = {name: getattr(np, name) for name in ("abs", "sqrt", "exp", "log", "cos", "sin", "tan", "tanh",
                                                  "cosh", "sinh", "sign", "minimum", "maximum")}
CONSTANTS = {"pi": np.pi, "e": np.e}
#: longest formula (characters)
MAX_FORMULA = 1000
_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Call, ast.Add, ast.Sub,
          ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def compile_formula(where: str, formula, variables: set, example: str, allowed: str):
    """The code object of `formula`, checked node by node; ValueError naming `where` when the formula
    is not a string, does not parse, or uses anything but numbers, the functions and `variables`
    (`example` shows a formula, `allowed` says what the variables are)."""
    if not isinstance(formula, str):
        raise ValueError(f"{where} must be a formula string like \"{example}\", got {formula!r}")
    if len(formula) > MAX_FORMULA:
        raise ValueError(f"{where} must be a formula of at most {MAX_FORMULA} characters, got {len(formula)}")
    try:
        tree = ast.parse(formula, mode="eval")
    except (SyntaxError, ValueError):  # ValueError: an integer literal of more than 4300 digits
        raise ValueError(f"{where}: {formula!r:.80} is not a formula") from None
    except (RecursionError, MemoryError):
        raise ValueError(f"{where}: the formula is nested too deeply") from None
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            raise ValueError(f"{where}: {type(node).__name__} is not allowed in a formula "
                             f"(numbers, + - * / **, parentheses, functions and {', '.join(sorted(variables))})")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ValueError(f"{where}: only numbers may appear as constants, got {node.value!r}")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
                                               and not node.keywords):
            raise ValueError(f"{where}: only the functions {', '.join(FUNCTIONS)} may be called")
        if isinstance(node, ast.Name) and node.id not in variables | set(FUNCTIONS) | set(CONSTANTS):
            raise ValueError(f"{where}: unknown name {node.id!r} ({allowed})")
    try:
        return compile(_FloatConstants().visit(tree), where, "eval")
    except (RecursionError, MemoryError):
        raise ValueError(f"{where}: the formula is nested too deeply") from None


class _FloatConstants(ast.NodeTransformer):
    """Every number of a checked formula as a call float64(number): arithmetic of constants (9**9**9)
    then overflows to inf instead of growing Python integers without bound."""

    def visit_Constant(self, node):
        call = ast.Call(func=ast.Name(id=_FLOAT, ctx=ast.Load()), args=[ast.Constant(float(node.value))], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


#: the name numbers are converted with (not a name a formula may use: formulas are checked before)
_FLOAT = "__float64__"


def _evaluate(code, scope: dict):
    with np.errstate(all="ignore"):  # overflow gives inf, which the callers refuse
        return eval(code, {"__builtins__": {}, _FLOAT: np.float64},  # noqa: S307  (checked)
                    {**FUNCTIONS, **CONSTANTS, **scope})


def observable_function(name: str, formula, n_blocks: int):
    """A vectorised f(m_z^0, ..., m_z^{B-1}) from `formula`; ValueError naming the observable when
    the formula is not a string, does not parse, or uses anything but the allowed names."""
    variables = {f"m{b}" for b in range(n_blocks)} | {"m"}
    allowed = "the block magnetisations are " + ("m" if n_blocks == 1 else f"m0 .. m{n_blocks - 1}")
    code = compile_formula(f"record.observables.{name}", formula, variables, "m**2", allowed)

    def f(*mz):
        return _evaluate(code, {"m": mz[0], **{f"m{b}": v for b, v in enumerate(mz)}})

    f.__name__ = name
    return f


class RateFormula:
    """A rate (or amplitude) written as a formula of x = Delta: vectorised, picklable (the text is
    sent and compiled again), shown as its text."""

    def __init__(self, where: str, formula):
        self.where, self.formula = where, formula
        self._code = compile_formula(where, formula, {"x"}, "0.5 * (1 + 2 * x)", "the variable is x = Delta")

    def __call__(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        with np.errstate(all="ignore"):
            return np.asarray(_evaluate(self._code, {"x": x})) + np.zeros(x.shape)  # complex: refused by the caller

    def __getstate__(self) -> dict:
        return {"where": self.where, "formula": self.formula}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["where"], state["formula"])

    def __repr__(self) -> str:
        return self.formula
