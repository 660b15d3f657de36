"""Every formula and derivative the library prints is checked against its numpy form.

The LaTeX of ``Activation.formula`` / ``.derivative`` is printed from the sympy expressions
in each spec's docstring (acts.symbolic); here the same expressions are evaluated (30 digits,
the named functions written out) and compared with ``f``, ``df``, ``jvp`` and ``jacobian``:
each form of a chain ``a = b = c``, each approximation ``formula[param=value]``, each
definition of ``:where:``, and the derivative at the kinks, where its Piecewise conditions
are the conventions. A wrong formula fails (see the last tests).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

import acts
from acts import symbolic as S
from acts.kinds import AlongAxis, BatchStats, Gated, Grouped

POINTS = [-30.0, -6.0, -3.0, -1.5, -0.7517, -0.5, -1e-3, 0.0, 1e-3, 0.25, 1.0, 1.7, 3.0, 6.0, 12.0]
#: non-default values of every numeric parameter (defaults are checked too)
OTHER = {"negative_slope": 0.2, "weight": 0.3, "lower": 0.1, "upper": 0.4, "alpha": 0.7, "beta": 2.5,
         "min_val": -2.0, "max_val": 1.5, "eps": 0.01}
STATS = {"mean": 0.3, "var": 2.0}


def _exact(v):
    """A float as the exact rational it is (sympy then carries as many digits as it needs)."""
    return sp.Rational(float(v)) if isinstance(v, (float, np.floating)) else v


def _num(expr, subs) -> float:
    exact = {k: _exact(v) for k, v in subs.items()}
    return float(S.elementary(expr.subs(exact)).doit().evalf(30, maxn=4000))


def _close(got, want, what):
    assert math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-300), (what, got, want)


def _param_sets(spec):
    numeric = {k for k, p in spec.params.items() if p.numeric}
    return [{}] + ([{k: OTHER[k] for k in numeric}] if numeric else [])


def _symbols(spec, params: dict) -> dict:
    """sympy symbol → value: the parameters (numbers), then the where-clause symbols (their
    definitions, with the parameters' numbers in)."""
    ns = S.namespace(spec)
    values = {**{k: p.default for k, p in spec.params.items()}, **params}
    subs = {ns[k]: _exact(float(values[k])) for k, p in spec.params.items() if p.numeric}
    for lhs, rhs in S.where(spec):
        if isinstance(lhs, sp.Symbol):
            subs[lhs] = rhs.subs(subs)
    return subs


def _at(expr, subs, point):
    """expr with the where-symbols and parameters of ``subs`` in, then evaluated at ``point``."""
    return _num(expr.subs(subs), point)


def _check_where_functions(spec, var):
    for lhs, rhs in S.where(spec):
        if not isinstance(lhs, sp.Symbol):
            for t in POINTS:
                _close(_num(lhs, {var: t}), _num(rhs, {var: t}), (spec.name, "where", str(lhs)))


def check_elementwise(spec):
    a, var = acts.get(spec.name), S.variables(spec)["x"]
    fs = S.forms(spec)
    _check_where_functions(spec, var)
    for params in _param_sets(spec):
        subs = _symbols(spec, params)
        values = {**{k: p.default for k, p in spec.params.items()}, **params}
        kinks = {float(v) for k, v in values.items() if spec.params[k].numeric and isinstance(v, (int, float))}
        for t in POINTS + sorted(kinks):  # a parameter can be where a kink is (hardtanh's corners)
            want, dwant = float(a.f(t, **params)), float(a.df(t, **params))
            for form in fs["formula"]:
                _close(_at(form, subs, {var: t}), want, (spec.name, params, t, str(form)))
            for form in fs["derivative"]:
                _close(_at(form, subs, {var: t}), dwant, (spec.name, params, t, "derivative", str(form)))
            for (name, value), alt in fs["alternatives"].items():
                for form in alt:
                    _close(_at(form, subs, {var: t}), float(a.f(t, **params, **{name: value})),
                           (spec.name, name, value, t))


def check_batch_stats(spec):
    a, ns = acts.get(spec.name), S.namespace(spec)
    fs = S.forms(spec)
    for params in _param_sets(spec):
        subs = _symbols(spec, params)
        for t in POINTS:
            want, dwant = float(a.f(t, **params, **STATS)), float(a.df(t, **params, **STATS))
            point = {ns["E"]: STATS["mean"], ns["V"]: STATS["var"], ns["s"]: t}
            _close(_at(fs["formula"][0], subs, point), want, (spec.name, params, t))
            _close(_at(fs["derivative"][0], subs, point), dwant, (spec.name, params, t, "derivative"))


def check_gated(spec):
    a, ns = acts.get(spec.name), S.namespace(spec)
    fs = S.forms(spec)
    for params in _param_sets(spec):
        subs = _symbols(spec, params)
        gate_subs = _symbols(spec.gate, {k: v for k, v in params.items() if k in spec.gate.params})
        for lin in (1.5, -0.7):
            for t in POINTS:
                point = {ns["a"]: lin, ns["b"]: t}
                x = np.array([lin, t])
                both = {**subs, **gate_subs}
                _close(_at(fs["formula"][0], both, point), float(a.f(x, **params)[0]), (spec.name, params, t))
                for tangent, form in zip(([1.0, 0.0], [0.0, 1.0]), fs["derivative"]):
                    _close(_at(form, both, point), float(a.jvp(x, np.array(tangent), **params)[0]),
                           (spec.name, params, t, tangent))


VECTORS = [np.array([0.3, -1.2, 2.0]), np.array([10.0, 0.0, -7.5]), np.array([1.0, 1.0, -0.25])]


def check_along_axis(spec):
    a = acts.get(spec.name)
    fs = S.forms(spec)
    for x in VECTORS:
        y, jac = a.f(x), a.jacobian(x)
        values = {S.X[m + 1]: x[m] for m in range(3)}
        outputs = {S.F[m + 1]: y[m] for m in range(3)}
        for i in range(3):
            for form in fs["formula"]:
                expr = form.subs(S.n, 3).subs(S.i, i + 1).doit()
                _close(_num(expr, values), float(y[i]), (spec.name, x, i))
            for j in range(3):
                expr = fs["derivative"][0].subs({S.i: i + 1, S.j: j + 1})
                got = _num(expr, {**values, **outputs})  # entries of O(1) terms: absolute
                assert abs(got - jac[i, j]) <= 1e-14, (spec.name, x, i, j, got, jac[i, j])


def check_grouped(spec):
    a = acts.get(spec.name)
    fs = S.forms(spec)
    for k, x in ((2, np.array([0.5, -1.0, 3.0, 3.0, -2.0, 7.0])), (3, np.array([1.0, 4.0, 4.0, -1.0, -3.0, -2.0]))):
        y, jac = a.f(x, k=k), a.jacobian(x, k=k)
        values = {S.X[m]: x[m] for m in range(6)}
        for i in range(6 // k):
            expr = fs["formula"][0].subs({S.i: i, S.k: k}).doit()
            _close(_num(expr, values), float(y[i]), (spec.name, k, i))
            for j in range(k):
                expr = fs["derivative"][0].subs({S.i: i, S.k: k, S.j: j})
                expr = expr.replace(lambda e: isinstance(e, S.FirstArgMax), lambda e: e.at(values))
                _close(_num(expr, values), float(jac[i, i * k + j]), (spec.name, k, i, j))


def check(spec):
    if issubclass(spec, Gated):
        return check_gated(spec)
    if issubclass(spec, AlongAxis):
        return check_along_axis(spec)
    if issubclass(spec, Grouped):
        return check_grouped(spec)
    if issubclass(spec, BatchStats):
        return check_batch_stats(spec)
    return check_elementwise(spec)


@pytest.mark.parametrize("name", acts.names())
def test_formula_and_derivative_equal_the_numpy_forms(name):
    check(acts.get(name).spec)


@pytest.mark.parametrize("name", acts.names())
def test_the_latex_is_printed_from_the_checked_expressions(name):
    a = acts.get(name)
    fs = S.forms(a.spec)
    for form in fs["formula"]:
        assert sp.latex(form, order="none") in a.formula
    assert sp.latex(fs["derivative"][-1], order="none") in a.derivative


class _Mutant:
    """A spec whose docstring math is replaced (everything else is the real spec's)."""

    def __init__(self, name, **math):
        self.spec = acts.get(name).spec
        self.math = {**self.spec.math, **math}

    def __enter__(self):
        self.saved = self.spec.math
        self.spec.math = self.math
        S.namespace.cache_clear()
        return self.spec

    def __exit__(self, *exc):
        self.spec.math = self.saved


@pytest.mark.parametrize("name,field,wrong", [
    ("swish", "formula", "x*sigma(x)"),  # forgets β: wrong for β = 2.5
    ("swish", "derivative", "sigma(beta*x) + x*sigma(beta*x)*(1 - sigma(beta*x))"),  # drops a β
    ("relu", "derivative", "Piecewise((1, x >= 0), (0, True))"),  # the other convention at 0
    ("gelu", "formula[approximate=tanh]", "x/2*(1 + tanh(sqrt(2/pi)*(x + 0.0447*x**3)))"),
    ("tanh", "formula", "tanh(x) = 2*sigma(x) - 1"),  # one wrong form in a chain
    ("softmax", "derivative", "f[i]*(KroneckerDelta(i, j) + f[j])"),
    ("dice", "where", "p = sigma((s - E)/sqrt(V))"),
    ("selu", "where", "alpha = SELU_LAMBDA; lam = SELU_ALPHA"),
    ("maxout", "formula", "x[i*k]"),
    ("hardtanh", "derivative", "Piecewise((1, (min_val <= x) & (x < max_val)), (0, True))"),  # 1 at a corner
])
def test_a_wrong_formula_fails(name, field, wrong):
    with _Mutant(name, **{field: wrong}) as spec, pytest.raises(AssertionError):
        check(spec)


def test_the_printed_formulas_do_not_depend_on_the_hash_seed():
    """sympy orders unevaluated terms by its sort keys, not by hashes: the committed notebook
    outputs must be the same on every run."""
    import hashlib
    import os
    import subprocess
    import sys

    code = ("import acts, hashlib\nprint(hashlib.sha256(''.join(acts.get(n).formula + acts.get(n).derivative "
            "for n in acts.names()).encode()).hexdigest())")
    digests = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    local = hashlib.sha256("".join(acts.get(n).formula + acts.get(n).derivative for n in acts.names()).encode())
    assert digests == {local.hexdigest() + "\n"}
