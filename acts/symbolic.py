r"""The math of every activation as sympy expressions, from which its LaTeX is printed.

A spec writes its formula and derivative once, in its docstring, in sympy's syntax
(``:formula: x*sigma(beta*x)``); this module parses them and prints the LaTeX that the book,
the docstrings and ``Activation.formula`` show. ``tests/test_formulas.py`` evaluates the same
expressions against the numpy forms, so a formula that is wrong fails a test. (sympy is
imported on the first use of a formula, not by ``import acts``.)

The fields (see :func:`acts.kinds.read_docstring`):

``:formula:``
    the activation; equal forms separated by an equals sign between spaces (each one is checked).
``:formula[param=value]:``
    the form for another value of a choice parameter (GELU's approximations), shown after
    ``\approx``.
``:derivative:``
    the derivative (elementwise, batch statistics), or the Jacobian entry ∂f_i/∂x_j (along an
    axis, where ``f[i]`` stands for the output). Its Piecewise conditions are the conventions
    at kinks (``x > 0`` vs ``otherwise``), checked at the kinks.
``:where:``
    definitions used above, separated by ``;``: a symbol (``p = sigma(...)``), a constant of
    :mod:`acts.constants` (shown rounded, ``\alpha \approx 1.6733``) or a function.

Names available: the kind's variables (``x``; ``a, b`` of a gated unit; ``s, E, V`` of Dice,
E and V its mean and variance; ``x[i]``, ``i, j, n`` along an axis), each parameter by its name
(printed as its :attr:`~acts.kinds.Param.symbol`), the constants of :mod:`acts.constants`, the
functions below (``sigma``, ``Phi``, ``phi``, ``softplus``, ``GroupMax``) and sympy's own.
"""

from __future__ import annotations

import re
from functools import lru_cache

import sympy as sp
from sympy.parsing.sympy_parser import parse_expr

from . import constants
from .kinds import AlongAxis, BatchStats, Gated, Grouped, kind_of


class _Named(sp.Function):
    """A function printed by its name in LaTeX and evaluated by rewriting to elementary ones."""

    tex = ""

    def _latex(self, printer, exp=None):
        s = rf"{self.tex}\left({printer._print(self.args[0])}\right)"
        return s if exp is None else rf"{s}^{{{exp}}}"

    def _eval_evalf(self, prec):
        return self.elementary()._eval_evalf(prec)


class sigma(_Named):  # noqa: N801  (the logistic function, as written in the formulas)
    tex = r"\sigma"

    def fdiff(self, argindex=1):
        return sigma(self.args[0]) * (1 - sigma(self.args[0]))

    def elementary(self):
        return 1 / (1 + sp.exp(-self.args[0]))


class Phi(_Named):
    """The standard normal distribution function."""

    tex = r"\Phi"

    def fdiff(self, argindex=1):
        return phi(self.args[0])

    def elementary(self):
        return (1 + sp.erf(self.args[0] / sp.sqrt(2))) / 2


class phi(_Named):  # noqa: N801
    """The standard normal density."""

    tex = r"\varphi"

    def fdiff(self, argindex=1):
        return -self.args[0] * phi(self.args[0])

    def elementary(self):
        return sp.exp(-self.args[0] ** 2 / 2) / sp.sqrt(2 * sp.pi)


class softplus(_Named):  # noqa: N801
    tex = r"\operatorname{softplus}"

    def fdiff(self, argindex=1):
        return sigma(self.args[0])

    def elementary(self):
        return sp.log(1 + sp.exp(self.args[0]))


class GroupMax(sp.Function):
    """``GroupMax(x, i, k)``: the largest of ``x[ik], …, x[ik + k - 1]``."""

    def _latex(self, printer, exp=None):
        x, i, k = (printer._print(a) for a in self.args)
        return rf"\max_{{0 \le j < {k}}} {x}_{{{i} {k} + j}}"

    def doit(self, **hints):
        x, i, k = self.args
        return sp.Max(*[x[i * k + j] for j in range(int(k))])


class FirstArgMax(sp.Function):
    """``FirstArgMax(x, i, k)``: the first j in 0…k-1 where ``x[ik + j]`` is largest."""

    def _latex(self, printer, exp=None):
        x, i, k = (printer._print(a) for a in self.args)
        return rf"\arg\max_{{j'}} {x}_{{{i} {k} + j'}}"

    def at(self, values: dict):
        """Its value where ``values`` gives the group's entries (Indexed → number)."""
        x, i, k = self.args
        group = [values[x[i * k + j]] for j in range(int(k))]
        return sp.Integer(group.index(max(group)))


FUNCTIONS = {"sigma": sigma, "Phi": Phi, "phi": phi, "softplus": softplus, "GroupMax": GroupMax,
             "FirstArgMax": FirstArgMax}
CONSTANTS = {name: getattr(constants, name) for name in constants.__all__}


def elementary(expr):
    """``expr`` with the named functions written out (for evaluation)."""
    return expr.replace(lambda e: isinstance(e, _Named), lambda e: e.elementary())


# --- variables of each kind ------------------------------------------------------------
i, j, n, k = sp.symbols("i j n k", integer=True)
X, F = sp.IndexedBase("x"), sp.IndexedBase("f")


def variables(spec) -> dict:
    """The names the kind gives its formulas (see the module docstring)."""
    real = {"real": True}
    if issubclass(spec, Grouped):
        return {"x": X, "i": i, "j": j, "k": k}
    if issubclass(spec, AlongAxis):
        return {"x": X, "f": F, "i": i, "j": j, "n": n}
    if issubclass(spec, Gated):
        return {"a": sp.Symbol("a", **real), "b": sp.Symbol("b", **real)}
    if issubclass(spec, BatchStats):
        return {"s": sp.Symbol("s", **real), "E": sp.Symbol(r"\mathrm{E}[s]", real=True),
                "V": sp.Symbol(r"\mathrm{Var}[s]", nonnegative=True)}
    return {"x": sp.Symbol("x", **real)}


@lru_cache(maxsize=None)
def namespace(spec) -> dict:
    ns = dict(FUNCTIONS)
    ns.update({name: sp.Float(repr(v)) for name, v in CONSTANTS.items()})  # printed as written
    ns.update({name: sp.Symbol(p.symbol or name, real=True) for name, p in spec.params.items() if p.numeric})
    ns["lam"] = sp.Symbol(r"\lambda", real=True)
    ns.update(variables(spec))
    return ns


def _tidy(e):
    """An unevaluated expression without the ``1·`` of ``1/d`` and the ``(−1)·`` of ``−y``
    that parsing leaves (so they print as written)."""
    if e.is_Atom:
        return e
    args = [_tidy(a) for a in e.args]
    if e.is_Mul:
        if any(a == -1 or a.could_extract_minus_sign() for a in args):
            return sp.Mul(*args)
        rest = [a for a in args if a != 1]
        if len(rest) < len(args):
            return rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
    if all(a is b for a, b in zip(args, e.args)):
        return e
    if e.is_Add or e.is_Mul or e.is_Pow:
        return e.func(*args, evaluate=False)
    return e.func(*args)


def parse(text: str, spec) -> list:
    """The equal forms of ``text`` (separated by an equals sign between spaces), unevaluated, as
    written."""
    return [_tidy(parse_expr(part, local_dict=namespace(spec), evaluate=False)) for part in text.split(" = ")]


def where(spec) -> list[tuple]:
    """The ``:where:`` definitions as (lhs, rhs) pairs."""
    text = spec.math.get("where", "")
    pairs = []
    for clause in filter(None, (c.strip() for c in text.split(";"))):
        lhs, rhs = parse(clause, spec)
        pairs.append((lhs, rhs))
    return pairs


def forms(spec) -> dict:
    """``formula`` (list), ``derivative`` (list), ``alternatives`` ({(param, value): list})."""
    if issubclass(spec, Gated):
        return _gated_forms(spec)
    math = spec.math
    alternatives = {}
    for key, text in math.items():
        m = re.fullmatch(r"formula\[(\w+)=(\w+)\]", key)
        if m:
            alternatives[(m.group(1), m.group(2))] = parse(text, spec)
    return {"formula": parse(math["formula"], spec), "derivative": parse(math["derivative"], spec),
            "alternatives": alternatives}


def _gated_forms(spec) -> dict:
    """a ⊗ gate(b), and the two partial derivatives, from the gate's own formula."""
    gate, ns = spec.gate, namespace(spec)
    gx = variables(gate)["x"]
    a, b = ns["a"], ns["b"]
    h = parse(gate.math["formula"], gate)[0].subs(gx, b)
    dh = parse(gate.math["derivative"], gate)[0].subs(gx, b)
    return {"formula": [sp.Mul(a, h, evaluate=False)], "derivative": [h, sp.Mul(a, dh, evaluate=False)],
            "alternatives": {}}


def _tex(expr) -> str:
    return sp.latex(expr, order="none")


def _where_tex(spec, shown: list) -> str:
    """The where-clauses that ``shown`` (the expressions of one line) use, then which parameter
    each other-named symbol of that line is."""
    used = set().union(*(e.free_symbols | {f.func for f in e.atoms(sp.Function)} for e in shown))
    parts = []
    for lhs, rhs in where(spec):
        if not ({lhs} | {lhs.func} | lhs.free_symbols) & used or (not isinstance(lhs, sp.Symbol) and lhs.func not in used):
            continue
        if isinstance(rhs, sp.Float):
            parts.append(rf"{_tex(lhs)} \approx {float(rhs):.4f}")
        else:
            parts.append(rf"{_tex(lhs)} = {_tex(rhs)}")
        used |= rhs.free_symbols
    ns = namespace(spec)
    for name, p in spec.params.items():
        if p.numeric and p.symbol and ns[name] in used:
            text = name.replace("_", r"\_")
            parts.append(rf"{p.symbol} = \text{{{text}}}")
    return r",\quad " + r",\ ".join(parts) if parts else ""


_LHS = {"Elementwise": ("f(x)", "f'(x)"), "BatchStats": ("f(s)", "f'(s)"),
        "AlongAxis": ("f(x)_i", r"\frac{\partial f_i}{\partial x_j}"),
        "Grouped": ("f(x)_i", r"\frac{\partial f_i}{\partial x_{ik+j}}")}


def latex(spec) -> tuple[str, str]:
    """(formula, derivative) of a spec, as LaTeX without surrounding ``$``."""
    kind = kind_of(spec).__name__
    fs = forms(spec)
    if kind == "Gated":
        formula = rf"f(a, b) = {_tex(fs['formula'][0])},\quad [a, b] = x"
        da, db = (_tex(e) for e in fs["derivative"])
        derivative = rf"\frac{{\partial f}}{{\partial a}} = {da},\quad \frac{{\partial f}}{{\partial b}} = {db}"
        return formula, derivative
    lhs, dlhs = _LHS[kind]
    formula = lhs + " = " + " = ".join(_tex(e) for e in fs["formula"])
    for (_, value), alt in fs["alternatives"].items():
        formula += r" \approx " + " = ".join(_tex(e) for e in alt) + rf"\ \text{{({value})}}"
    shown = fs["formula"] + [e for alt in fs["alternatives"].values() for e in alt]
    formula += _where_tex(spec, shown)
    derivative = dlhs + " = " + " = ".join(_tex(e) for e in fs["derivative"]) + _where_tex(spec, fs["derivative"])
    return formula, derivative
