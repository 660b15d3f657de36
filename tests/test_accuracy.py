"""Accuracy of the numpy forms against the mpmath oracle in :mod:`course.accuracy`.

The standard (issue 3): |error| <= (4 + 2κ) ulp of the output dtype, κ = |x g'(x)/g(x)|
the condition number of the evaluated function g (f for ``f``, f' for ``df``); where
the true value is subnormal or 0 an absolute error below the smallest normal is fine.
Checked for every elementwise activation (f and df, float32 and float64) on a grid
from 0 and ±1e-300 to the largest float, with the hard spots; ±inf must give the
limits, nan gives nan, the kinks are exact, nothing warns. Vector activations are
checked componentwise; maxout must be exact. ``python -m course.accuracy`` prints the
same measurements as a table.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import acts
from course import accuracy as A

M = A.M
TESTED_DTYPES = ("float32", "float64")
CASE_IDS = [c.label for c in A.CASES]


pytestmark = pytest.mark.usefixtures("warnings_are_errors")  # (tests/conftest.py)


def _explain(m: A.Measure, limit: int = 12) -> str:
    lines = [f"{m.label} {m.which} {m.dtype}: {len(m.violations)} violation(s) of the bound"
             f" in {m.n} points"]
    lines += [f"  {e}" for e in m.errors]

    def severity(v):
        if v.err_ulp == v.err_ulp and v.bound == v.bound and not math.isinf(v.err_ulp):
            return v.err_ulp / v.bound
        return math.inf

    lines += [f"  {v}" for v in sorted(m.violations, key=severity, reverse=True)[:limit]]
    return "\n".join(lines)


# --- elementwise ----------------------------------------------------------------------
_checked = {}


def _check(case, dtype):
    key = (case, dtype)
    if key not in _checked:  # f and df of a case come from one pass over the references
        _checked[key] = dict(zip(("f", "df"), A.check_elementwise(case, dtype)))
    return _checked[key]


@pytest.mark.parametrize("dtype", TESTED_DTYPES)
@pytest.mark.parametrize("case", A.CASES, ids=CASE_IDS)
@pytest.mark.parametrize("which", ["f", "df"])
def test_elementwise_within_bound(case, dtype, which):
    m = _check(case, dtype)[which]
    assert m.n > 1000
    assert m.ok, _explain(m)


def test_every_activation_is_checked():
    covered = {c.name for c in A.CASES} | {n for n, _ in A.VECTOR_CHECKS} | {"maxout"}
    assert set(acts.names()) <= covered, sorted(set(acts.names()) - covered)
    for name in acts.names():
        if acts.get(name).elementwise:
            assert name in {c.name for c in A.CASES}, name


ORACLE_DEFAULTS = {  # what the oracle assumes when a case passes no parameter
    "leaky_relu": {"negative_slope": 0.01},
    "prelu": {"weight": 0.25},
    "rrelu": {"lower": 1 / 8, "upper": 1 / 3, "training": False},
    "elu": {"alpha": 1.0},
    "celu": {"alpha": 1.0},
    "gelu": {"approximate": "none"},
    "swish": {"beta": 1.0},
    "softplus": {"beta": 1.0},
    "hardtanh": {"min_val": -1.0, "max_val": 1.0},
    "dice": {"alpha": 0.0, "eps": 1e-8},
}


@pytest.mark.parametrize("name", sorted(ORACLE_DEFAULTS))
def test_defaults_are_the_oracles(name):
    params = acts.get(name).params
    for k, v in ORACLE_DEFAULTS[name].items():
        assert params.get(k) == v, (name, k, params.get(k), v)


# --- named hard points (also on the grid; here with a readable message) -------------------
HARD_POINTS = [
    # (case label, which, x, approximate true value)
    ("tanh", "df", 30.0, 3.5026e-26),
    ("swish", "df", -710.0, -3.1737e-306),
    ("gelu", "df", -30.0, -4.4160e-195),
    ("gelu", "df", -37.6, None),
    ("softplus", "f", 20.0000001, 20.0000001),
    ("softplus", "f", -20.0000001, 2.0612e-9),
    ("sigmoid", "df", -745.0, 4.9e-324),
    ("mish", "df", -710.0, None),
]


@pytest.mark.parametrize("dtype", TESTED_DTYPES)
@pytest.mark.parametrize("label,which,x,approx", HARD_POINTS,
                         ids=[f"{c}-{w}({x})" for c, w, x, _ in HARD_POINTS])
def test_hard_points(label, which, x, approx, dtype):
    case = A.CASES_BY_LABEL[label]
    a = acts.get(case.name)
    xv = np.array([x], dtype=dtype)
    j = case.ref(A.mpf(xv[0]))
    true, kappa = (j.v, A._kappa(A.mpf(xv[0]), j.v, j.d)) if which == "f" else \
        (j.d, A._kappa(A.mpf(xv[0]), j.d, j.dd))
    if approx is not None and dtype == "float64":  # the oracle itself
        assert float(true) == pytest.approx(approx, rel=1e-4, abs=1e-323)
    got = (a.f if which == "f" else a.df)(xv, **case.kw)[0]
    err, bound, ok, note = A.score(got, true, kappa, dtype)
    assert ok, f"{label} {which}({x!r}) in {dtype}: got {got!r}, true {M.nstr(true, 17)}, " \
               f"error {err:.4g} ulp, bound {bound:.4g} {note}"


def test_torch_native_softplus_is_off_at_its_threshold():
    """The oracle sees what the issue says: torch's threshold=20 costs ~6e5 ulp."""
    import torch
    x = 20.0000001
    got = torch.nn.functional.softplus(torch.tensor([x], dtype=torch.float64)).item()
    err, bound, ok, _ = A.score(got, A.CASES_BY_LABEL["softplus"].ref(A.mpf(x)).v, 1.0, "float64")
    assert not ok and err > 1e5
    ours = acts.get("softplus").f(np.array([x]))[0]
    assert A.score(ours, A.CASES_BY_LABEL["softplus"].ref(A.mpf(x)).v, 1.0, "float64")[2]


# --- kinks: torch autograd's convention ------------------------------------------------------
def _torch_grad(fn, x):
    import torch
    t = torch.tensor([x], dtype=torch.float64, requires_grad=True)
    fn(t).sum().backward()
    return t.grad.item()


def _torch_kinks():
    import torch.nn.functional as F  # noqa: N812

    return [
        ("relu", {}, F.relu, [0.0]),
        ("leaky_relu", {}, lambda t: F.leaky_relu(t, 0.01), [0.0]),
        ("prelu", {}, lambda t: F.prelu(t, t.new_tensor([0.25])), [0.0]),
        ("rrelu", {}, lambda t: F.rrelu(t, 1 / 8, 1 / 3, training=False), [0.0]),
        ("elu", {}, F.elu, [0.0]),
        ("elu", {"alpha": 0.5}, lambda t: F.elu(t, 0.5), [0.0]),
        ("celu", {}, F.celu, [0.0]),
        ("hardtanh", {}, F.hardtanh, [-1.0, 1.0]),
        ("hardsigmoid", {}, F.hardsigmoid, [-3.0, 3.0]),
        ("hardswish", {}, F.hardswish, [-3.0, 3.0]),
        ("relu6", {}, F.relu6, [0.0, 6.0]),
        ("selu", {}, F.selu, [0.0]),
    ]


def test_kinks_equal_torch_autograd():
    bad = []
    for name, kw, fn, points in _torch_kinks():
        for x in points:
            want = _torch_grad(fn, x)
            got = float(acts.get(name).df(np.array([x]), **kw)[0])
            # selu'(0) = λα: torch multiplies the two rounded constants (1 ulp below the
            # correctly rounded λα); the convention is which side, so 1 ulp is allowed there.
            tol = np.spacing(want) if name == "selu" else 0.0
            if abs(got - want) > tol:
                bad.append(f"{name}'({x}) = {got!r}, torch autograd {want!r}")
    assert not bad, "\n".join(bad)


# --- vector activations --------------------------------------------------------------------
@pytest.mark.parametrize("dtype", TESTED_DTYPES)
@pytest.mark.parametrize("name,check", A.VECTOR_CHECKS, ids=[n for n, _ in A.VECTOR_CHECKS])
def test_vector_within_bound(name, check, dtype):
    m = check(name, dtype)
    assert m.n > 50
    assert m.ok, _explain(m)


@pytest.mark.parametrize("dtype", TESTED_DTYPES)
def test_maxout_is_exact(dtype):
    m = A.check_maxout(dtype)
    assert m.ok, _explain(m)


# --- the oracle itself -------------------------------------------------------------------------
@pytest.mark.parametrize("case", A.CASES, ids=CASE_IDS)
def test_oracle_derivatives_match_numerical_differentiation(case):
    """The carried f', f'' equal mpmath's numerical derivatives (away from the kinks)."""
    for x in (-7.3, -1.1, -0.3, 0.45, 2.7, 9.1):
        if any(abs(x - k[0]) < 1e-9 for k in case.kinks):
            continue
        X = M.mpf(x)
        j = case.ref(X)
        d1 = M.diff(lambda t: case.ref(t).v, X)
        d2 = M.diff(lambda t: case.ref(t).v, X, 2)
        for got, want in ((j.d, d1), (j.dd, d2)):
            assert abs(got - want) <= M.mpf(10) ** -30 * (1 + abs(want)), (case.label, x)


def test_oracle_agrees_with_well_conditioned_float64_forms():
    """Sanity: where plain float64 formulas are known good, they are within 2 ulp."""
    from scipy import special

    x = np.linspace(-30.0, 30.0, 121)
    forms = {
        "sigmoid": ("f", special.expit(x)),
        "tanh": ("f", np.tanh(x)),
        "softplus": ("f", np.logaddexp(0.0, x)),
        "elu": ("f", np.where(x > 0, x, np.expm1(np.minimum(x, 0.0)))),
        "softsign": ("f", x / (1 + np.abs(x))),
    }
    for label, (which, y) in forms.items():
        case = A.CASES_BY_LABEL[label]
        for xi, yi in zip(x, y):
            j = case.ref(A.mpf(xi))
            err = A.score(yi, j.v if which == "f" else j.d, 0.0, "float64")[0]
            assert err != err or err <= 2.0, (label, xi, err)  # nan: the subnormal rule


def test_oracle_limits():
    lim = {lbl: (A.limit(A.CASES_BY_LABEL[lbl], 1), A.limit(A.CASES_BY_LABEL[lbl], -1))
           for lbl in ("gelu", "softsign", "tanh", "softplus", "mish", "elu")}
    f64 = lambda v: float(A.round_to(v, "float64"))  # noqa: E731
    assert f64(lim["gelu"][1][0]) == 0.0 and f64(lim["gelu"][0][0]) == math.inf
    assert f64(lim["softsign"][0][0]) == 1.0 and f64(lim["tanh"][0][1]) == 0.0
    assert f64(lim["softplus"][0][0]) == math.inf and f64(lim["mish"][1][0]) == 0.0
    assert f64(lim["elu"][1][0]) == -1.0 and f64(lim["elu"][1][1]) == 0.0


def test_score_rules():
    # ulp of the output dtype at the true value; just below a power of two the larger one
    assert A.score(np.float64(1.0) + 2.0**-52 * 4, M.mpf(1), 0.0, "float64")[0] == 4.0
    assert A.score(np.float32(1.0), M.mpf(1) + M.mpf(2) ** -23 * 3, 0.0, "float32")[0] == 3.0
    # subnormal truth: absolute error below the smallest normal is fine, larger is not
    assert A.score(np.float64(0.0), M.mpf("1e-310"), 0.0, "float64")[2]
    assert not A.score(np.float64(3e-308), M.mpf(0), 0.0, "float64")[2]
    assert A.score(np.float64(0.0), M.mpf(0), 0.0, "float64")[2]
    # overflow must give inf; a finite value above the range is not fine
    assert A.score(np.float64(np.inf), M.mpf("1e309"), 0.0, "float64")[2]
    assert not A.score(np.float64(1.7976931348623157e308), M.mpf("1e309"), 0.0, "float64")[2]
    assert not A.score(np.float64(np.nan), M.mpf(1), 0.0, "float64")[2]
    # κ loosens the bound
    assert A.score(np.float64(1.0) + 2.0**-52 * 10, M.mpf(1), 3.0, "float64")[2]


# selu: its formula's α, λ are acts.constants' float64 roundings, the oracle's have 32 digits
# (0.4 ulp apart); dice: batch statistics, not the elementwise kind.
@pytest.mark.parametrize("name", sorted(set(A.REFERENCES) - {"selu", "dice"}))
def test_the_formula_oracle_agrees_with_the_hand_written_one(name):
    """A new elementwise activation is measured against its spec's formula (sympy, 60 digits)
    until it has a hand-written reference: on the existing ones the two agree far below an ulp."""
    formula, hand = A.formula_reference(name), A.REFERENCES[name]
    for x in (-30.0, -2.5, -0.75, -1e-3, 0.4, 2.0, 17.0):
        a, b = formula(A.mpf(x)), hand(A.mpf(x))
        for u, v in ((a.v, b.v), (a.d, b.d)):
            assert abs(u - v) <= A.M.mpf(10) ** -25 * max(abs(v), A.M.mpf(10) ** -300), (name, x, u, v)


def test_a_new_elementwise_activation_is_measured_against_its_formula(monkeypatch):
    """As if softsign were new: no hand-written reference, no case. It gets a default case, and
    the accuracy check runs with the formula as the oracle (and passes)."""
    monkeypatch.delitem(A.REFERENCES, "softsign")
    monkeypatch.setattr(A, "CASES", tuple(c for c in A.CASES if c.name != "softsign"))
    (case,) = A._elementwise_without_case()
    assert case.label == "softsign"
    A.references.cache_clear()  # softsign's hand-written references may be cached by now
    try:
        mf, mdf = A.check_elementwise(case, "float32")
    finally:
        A.references.cache_clear()
    assert mf.ok and mdf.ok and mf.n > 1000, (_explain(mf), _explain(mdf))
