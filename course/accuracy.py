"""Accuracy of the numpy forms against an independent high-precision oracle.

Run ``python -m course.accuracy`` for the report: for every activation, every dtype
(float16, float32, float64) and both ``f`` and ``df``, the largest error in ulp,
the input where it occurs and whether the standard is met everywhere.

The standard (issue 3, "Accuracy")
----------------------------------
For an output ``y`` computed for the float input ``x``, with the true value
``g(x)`` (``g = f`` for ``f``, ``g = f'`` for ``df``)::

    |y - g(x)| <= (4 + 2κ) ulp(g(x)),        κ = |x·g'(x) / g(x)|

κ is the condition number of ``g`` at ``x``: what any backward-stable evaluation
may lose (so ``df`` is judged with ``f''``). ulp is measured in the *output*
dtype: ``ulp(v)`` is the spacing of the dtype at ``|v|`` rounded to that dtype
(so just below a power of two the larger spacing is used). Where the true value
is below the dtype's smallest normal number (subnormal or exactly 0), an absolute
error below the smallest normal is accepted instead -- in particular an exact 0
must come out as 0 or a subnormal. A true value that rounds to ±inf (overflow)
must come out as that infinity.

The oracle
----------
Every reference value is computed with mpmath at 60 significant digits, from the
float input converted exactly (``mpf(float)`` is exact), in forms that do not
cancel: ``σ(z)`` from ``e^{-|z|}``, ``tanh'`` as ``4e^{-2|x|}/(1+e^{-2|x|})²``,
``softplus`` as ``max(z, 0) + log1p(e^{-|z|})``, the tanh-GELU as ``x·σ(2u)``,
``Φ`` from ``erfc`` (with the asymptotic series beyond |x| = 10⁴, where mpmath's
``erfc`` gives up). The first and second derivatives are carried along exactly by
second-order forward-mode differentiation (a value/first/second-derivative triple
through every operation), so κ for ``f`` and for ``f'`` comes from the same
expressions -- no finite differences. The constants of the approximations are the
mathematical ones (√(2/π) exactly, 0.044715 and 1.702 as decimals, the exact SELU
constants); the float64 roundings an implementation uses perturb the result by
much less than the κ-term of the bound.

Grid: 0, ±1e-300 … ±1e4 (3 points per decade), subnormal inputs, ±1e5 … ±1e300,
± the largest float, hard spots (±20.0000001, ±88.7, ±89, ±103, ±709.78, ±710,
±745, …), a linear grid on [-40, 40] (spacing 0.05), 1200 random points (fixed
seed) in [-8, 8] and at |x| in [e^-3, e^6], each kink and its neighbours
one ulp away, and a dense neighbourhood of every root of f' (the minima of GELU,
Swish, Mish). For float32/float16 the dtype-representable versions of the same
points are used, plus that dtype's largest, smallest normal and smallest
subnormal numbers. ±inf must give the limits (the oracle evaluated at ±10^1000
and rounded), nan must give nan, and no input may emit a warning.

Vector activations (softmax, softmin, log_softmax; glu, swiglu, geglu) are checked
componentwise with κ_i = Σ_j |x_j ∂g_i/∂x_j| / |g_i|; maxout must be exact.
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
import time
import warnings
from dataclasses import dataclass, field

import mpmath
import numpy as np

# A private mpmath context: the global mpmath.mp precision is left untouched.
M = mpmath.MPContext()
M.dps = 60
_ZERO = M.mpf(0)
_ONE = M.mpf(1)
_TWO = M.mpf(2)
_BIG = M.mpf(10) ** 1000  # stands in for ±inf: every tail is far below any float

SELU_ALPHA = M.mpf("1.6732632423543772848170429916717")
SELU_LAMBDA = M.mpf("1.0507009873554804934193349852946")
SQRT_2_OVER_PI = M.sqrt(_TWO / M.pi)
INV_SQRT_2PI = 1 / M.sqrt(2 * M.pi)
INV_SQRT_2 = 1 / M.sqrt(_TWO)
GELU_TANH_C = M.mpf("0.044715")
GELU_SIGMOID_K = M.mpf("1.702")

DTYPES = ("float16", "float32", "float64")


def mpf(v) -> mpmath.mpf:
    """Exact conversion of a float (numpy scalar or Python float) to the context."""
    return M.mpf(float(v))


# --- second-order forward-mode differentiation --------------------------------------
class Jet:
    """(v, d, dd): a value with its first and second derivative in x."""

    __slots__ = ("v", "d", "dd")

    def __init__(self, v, d=_ZERO, dd=_ZERO):
        self.v, self.d, self.dd = v, d, dd

    @staticmethod
    def var(x):
        return Jet(x, _ONE, _ZERO)

    def __add__(self, o):
        if isinstance(o, Jet):
            return Jet(self.v + o.v, self.d + o.d, self.dd + o.dd)
        return Jet(self.v + o, self.d, self.dd)

    __radd__ = __add__

    def __neg__(self):
        return Jet(-self.v, -self.d, -self.dd)

    def __sub__(self, o):
        return self + (-o)

    def __rsub__(self, o):
        return (-self) + o

    def __mul__(self, o):
        if isinstance(o, Jet):
            return Jet(
                self.v * o.v,
                self.d * o.v + self.v * o.d,
                self.dd * o.v + 2 * self.d * o.d + self.v * o.dd,
            )
        return Jet(self.v * o, self.d * o, self.dd * o)

    __rmul__ = __mul__

    def __truediv__(self, c):  # only by constants
        return Jet(self.v / c, self.d / c, self.dd / c)


def _chain(j: Jet, g, g1, g2) -> Jet:
    """g∘j from g, g', g'' evaluated at j.v."""
    return Jet(g, g1 * j.d, g2 * j.d * j.d + g1 * j.dd)


def _const(c) -> Jet:
    return Jet(M.mpf(c), _ZERO, _ZERO)


def j_sigmoid(j: Jet) -> Jet:
    z = j.v
    e = M.exp(-abs(z))  # in (0, 1]: σ(z), σ(-z) without cancellation
    big, small = 1 / (1 + e), e / (1 + e)
    s, sm = (big, small) if z >= 0 else (small, big)
    g1 = s * sm
    return _chain(j, s, g1, -g1 * M.tanh(z / 2))  # σ'' = σ'·(1 - 2σ) = -σ'·tanh(z/2)


def j_tanh(j: Jet) -> Jet:
    z = j.v
    e = M.exp(-2 * abs(z))
    sech2 = 4 * e / ((1 + e) * (1 + e))
    t = M.tanh(z)
    return _chain(j, t, sech2, -2 * t * sech2)


def j_softplus(j: Jet) -> Jet:
    z = j.v
    e = M.exp(-abs(z))
    v = (z if z > 0 else _ZERO) + M.log1p(e)
    big, small = 1 / (1 + e), e / (1 + e)
    s, sm = (big, small) if z >= 0 else (small, big)
    return _chain(j, v, s, s * sm)


def j_expm1(j: Jet) -> Jet:
    e = M.exp(j.v)
    return _chain(j, M.expm1(j.v), e, e)


def _gauss_tail(t):
    """Q(t) = 1 - Φ(t) for t >= 1e4: φ(t)/t · Σ (-1)^k (2k-1)!!/t^{2k}."""
    t2 = t * t
    term, total, k = _ONE, _ONE, 0
    eps = M.mpf(2) ** (-(M.prec + 20))
    while abs(term) > eps:
        k += 1
        term = -term * (2 * k - 1) / t2
        total += term
    return M.exp(-t2 / 2) * INV_SQRT_2PI / t * total


def j_Phi(j: Jet) -> Jet:
    """The standard normal cdf Φ."""
    z = j.v
    if z < -10000:
        v = _gauss_tail(-z)
    elif z > 10000:
        v = 1 - _gauss_tail(z)
    else:
        v = M.erfc(-z * INV_SQRT_2) / 2
    phi = M.exp(-z * z / 2) * INV_SQRT_2PI
    return _chain(j, v, phi, -z * phi)


def _piecewise(x, pieces):
    """Jet of a piecewise polynomial: pieces = [(test(x), v, d, dd)], first match wins."""
    for test, v, d, dd in pieces:
        if test:
            return Jet(M.mpf(v), M.mpf(d), M.mpf(dd))
    raise AssertionError("no piece matched")


# --- the references -------------------------------------------------------------
# Each reference takes (x: mpf, **params) and returns the Jet of f at x, with the
# derivative convention at the kinks equal to torch's autograd.
def _r_identity(x):
    return Jet.var(x)


def _r_binary_step(x):
    return _const(1 if x >= 0 else 0)


def _r_sigmoid(x):
    return j_sigmoid(Jet.var(x))


def _r_tanh(x):
    return j_tanh(Jet.var(x))


def _r_relu(x):
    return Jet.var(x) if x > 0 else _const(0)


def _r_leaky(x, slope):
    s = mpf(slope)
    return Jet.var(x) if x > 0 else Jet(s * x, s, _ZERO)


def _r_leaky_relu(x, negative_slope=0.01):
    return _r_leaky(x, negative_slope)


def _r_prelu(x, weight=0.25):
    return _r_leaky(x, weight)


def _r_rrelu(x, lower=1 / 8, upper=1 / 3):
    s = (mpf(lower) + mpf(upper)) / 2
    return Jet.var(x) if x > 0 else Jet(s * x, s, _ZERO)


def _r_elu(x, alpha=1.0):
    return Jet.var(x) if x > 0 else mpf(alpha) * j_expm1(Jet.var(x))


def _r_selu(x):
    inner = Jet.var(x) if x > 0 else SELU_ALPHA * j_expm1(Jet.var(x))
    return SELU_LAMBDA * inner


def _r_celu(x, alpha=1.0):
    a = mpf(alpha)
    return Jet.var(x) if x > 0 else a * j_expm1(Jet.var(x) / a)


def _r_gelu(x, approximate="none"):
    X = Jet.var(x)
    if approximate == "none":
        return X * j_Phi(X)
    if approximate == "tanh":  # ½x(1 + tanh u) = x·σ(2u), u = √(2/π)(x + c x³)
        two_u = (2 * SQRT_2_OVER_PI) * (X + GELU_TANH_C * (X * X * X))
        return X * j_sigmoid(two_u)
    if approximate == "sigmoid":
        return X * j_sigmoid(GELU_SIGMOID_K * X)
    raise ValueError(approximate)


def _r_swish(x, beta=1.0):
    X = Jet.var(x)
    return X * j_sigmoid(mpf(beta) * X)


def _r_mish(x):
    X = Jet.var(x)
    return X * j_tanh(j_softplus(X))


def _r_softplus(x, beta=1.0):
    b = mpf(beta)
    return j_softplus(b * Jet.var(x)) / b


def _r_softsign(x):
    if x >= 0:
        den = 1 + x
        return Jet(x / den, 1 / den**2, -2 / den**3)
    den = 1 - x
    return Jet(x / den, 1 / den**2, 2 / den**3)


def _r_hardtanh(x, min_val=-1.0, max_val=1.0):
    lo, hi = mpf(min_val), mpf(max_val)
    return _piecewise(x, [(x <= lo, lo, 0, 0), (x >= hi, hi, 0, 0), (True, x, 1, 0)])


def _r_relu6(x):
    return _r_hardtanh(x, 0.0, 6.0)


def _r_hardsigmoid(x):
    return _piecewise(
        x, [(x <= -3, 0, 0, 0), (x >= 3, 1, 0, 0), (True, (x + 3) / 6, M.mpf(1) / 6, 0)]
    )


def _r_hardswish(x):
    # torch 2.13's autograd: f' = 0 for x <= -3, (2x+3)/6 on (-3, 3), 1 for x >= 3
    # (so hardswish'(-3) = 0 and hardswish'(3) = 1, not the one-sided -1/2 and 3/2).
    return _piecewise(
        x,
        [
            (x <= -3, 0, 0, 0),
            (x < 3, x * (x + 3) / 6, (2 * x + 3) / 6, M.mpf(1) / 3),
            (True, x, 1, 0),
        ],
    )


def _r_dice(x, alpha=0.0, eps=1e-8, mean=0.0, var=1.0):  # noqa: PLR0913
    """Dice with given statistics (eval form): α·s + (1-α)·s·σ((s - mean)/√(var+eps))."""
    a, m = mpf(alpha), mpf(mean)
    sd = M.sqrt(mpf(var) + mpf(eps))
    X = Jet.var(x)
    return a * X + (1 - a) * (X * j_sigmoid((X - m) / sd))


REFERENCES = {
    "identity": _r_identity,
    "binary_step": _r_binary_step,
    "sigmoid": _r_sigmoid,
    "tanh": _r_tanh,
    "relu": _r_relu,
    "leaky_relu": _r_leaky_relu,
    "prelu": _r_prelu,
    "rrelu": _r_rrelu,
    "elu": _r_elu,
    "selu": _r_selu,
    "celu": _r_celu,
    "gelu": _r_gelu,
    "swish": _r_swish,
    "mish": _r_mish,
    "softplus": _r_softplus,
    "softsign": _r_softsign,
    "hardtanh": _r_hardtanh,
    "hardsigmoid": _r_hardsigmoid,
    "hardswish": _r_hardswish,
    "relu6": _r_relu6,
    "dice": _r_dice,
}


def formula_reference(name: str):
    """The reference of an activation that has no hand-written one above: its spec's formula
    (the sympy expression the book prints, checked against the numpy form by
    tests/test_formulas.py), differentiated by sympy and evaluated at 60 digits. The hand-written
    references stay: they are independent of the spec. Slow (sympy per point), so it serves
    until a new activation gets its own. Constants enter as acts.constants has them (float64
    roundings), and only the elementwise kind is covered."""
    import sympy as sp

    import acts
    from acts import symbolic as S

    spec = acts.get(name).spec
    var = S.variables(spec)["x"]
    form = S.forms(spec)["formula"][0]
    ns = S.namespace(spec)

    def ref(x, **params):
        values = {**acts.get(name).params, **params}
        subs = {ns[k]: sp.Rational(float(values[k])) for k, p in spec.params.items() if p.numeric}  # as numpy sees them
        for lhs, rhs in S.where(spec):
            if isinstance(lhs, sp.Symbol):
                subs[lhs] = rhs.subs(subs)
        f = S.elementary(form.subs(subs).doit())
        d1 = sp.diff(f, var)
        at = {var: sp.Float(M.nstr(x, 70), 70)}
        return Jet(*(M.mpf(str(e.subs(at).evalf(60, maxn=6000))) for e in (f, d1, sp.diff(d1, var))))

    return ref


# --- the cases: an activation with parameter values -----------------------------
@dataclass(frozen=True)
class Case:
    name: str  # the registry name
    params: tuple = ()  # overrides passed to a.f / a.df, as sorted (key, value) pairs
    kinks: tuple = ()  # (x, f(x), f'(x)) exact values at the kinks (torch's convention)
    root_guesses: tuple = ()  # starting points for the roots of f' (minima)

    @property
    def label(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}[{','.join(f'{k}={v}' for k, v in self.params)}]"

    @property
    def kw(self) -> dict:
        return dict(self.params)

    def ref(self, x) -> Jet:
        reference = REFERENCES.get(self.name) or _formula_reference_of(self.name)
        return reference(x, **self.kw)


def _case(name, kinks=(), roots=(), **params):
    return Case(name, tuple(sorted(params.items())), tuple(kinks), tuple(roots))


_RRELU_SLOPE = (1 / 8 + 1 / 3) / 2
CASES = (
    _case("identity"),
    _case("binary_step", kinks=[(0.0, 1.0, 0.0)]),
    _case("sigmoid"),
    _case("tanh"),
    _case("relu", kinks=[(0.0, 0.0, 0.0)]),
    _case("leaky_relu", kinks=[(0.0, 0.0, 0.01)]),
    _case("leaky_relu", kinks=[(0.0, 0.0, 0.2)], negative_slope=0.2),
    _case("prelu", kinks=[(0.0, 0.0, 0.25)]),
    _case("rrelu", kinks=[(0.0, 0.0, _RRELU_SLOPE)]),
    _case("elu", kinks=[(0.0, 0.0, 1.0)]),
    _case("elu", kinks=[(0.0, 0.0, 0.5)], alpha=0.5),
    _case("selu"),  # selu'(0) = λα is a rounded constant: checked in ulp on the grid
    _case("celu", kinks=[(0.0, 0.0, 1.0)]),
    _case("celu", kinks=[(0.0, 0.0, 1.0)], alpha=2.0),
    _case("gelu", roots=[-0.75]),
    _case("gelu", roots=[-0.75], approximate="tanh"),
    _case("gelu", roots=[-0.88], approximate="sigmoid"),
    _case("swish", roots=[-1.28]),
    _case("swish", roots=[-2.56], beta=0.5),
    _case("mish", roots=[-1.19]),
    _case("softplus"),
    _case("softplus", beta=2.0),
    _case("softsign"),
    _case("hardtanh", kinks=[(-1.0, -1.0, 0.0), (1.0, 1.0, 0.0)]),
    _case("hardtanh", kinks=[(-2.0, -2.0, 0.0), (3.0, 3.0, 0.0)], min_val=-2.0, max_val=3.0),
    _case("hardsigmoid", kinks=[(-3.0, 0.0, 0.0), (3.0, 1.0, 0.0)]),
    _case("hardswish", kinks=[(-3.0, 0.0, 0.0), (3.0, 3.0, 1.0)]),  # torch 2.13 autograd
    _case("relu6", kinks=[(0.0, 0.0, 0.0), (6.0, 6.0, 0.0)]),
    # Dice in its eval form (given running statistics) is elementwise
    _case("dice", roots=[-1.28], mean=0.0, var=1.0),
    _case("dice", alpha=0.25, mean=0.5, var=2.0),
)

_formula_reference_of = functools.lru_cache(maxsize=None)(formula_reference)


def _elementwise_without_case() -> tuple:
    """A default case for every elementwise activation the table above does not list yet (a
    new spec): its oracle is then its formula."""
    import acts

    listed = {c.name for c in CASES}
    return tuple(_case(n) for n in acts.names() if acts.get(n).spec.__mro__[1].__name__ != "BatchStats"
                 and acts.get(n).elementwise and n not in listed)


CASES = CASES + _elementwise_without_case()
CASES_BY_LABEL = {c.label: c for c in CASES}


@functools.lru_cache(maxsize=None)
def roots_of_df(case: Case) -> tuple:
    """The roots of f' (minima of the non-monotonic activations), to 60 digits."""
    out = []
    for guess in case.root_guesses:
        r = M.findroot(lambda t: case.ref(t).d, M.mpf(guess))
        out.append(r)
    return tuple(out)


# --- grids -----------------------------------------------------------------------------
_F64_MAX = float(np.finfo(np.float64).max)
_HARD = (
    20.0000001, 20.0, 88.7, 89.0, 103.0, 708.4, 709.78, 709.79, 710.0, 744.4, 745.0,
    745.2, 746.0, 26.5, 27.3, 30.0, 37.0, 37.6, 38.5, 40.0, 50.0, 100.0, 1000.0,
    0.5, 1.0, 2.0, 3.0, 6.0, 1e-8, 1e-17, 0.75, 1.19, 1.28, 1.702,
)
_KINK_POINTS = (0.0, 1.0, 2.0, 3.0, 6.0)


def _base_points() -> np.ndarray:
    pos = [10.0 ** np.linspace(-300, 4, 3 * 304 + 1)]
    pos.append(10.0 ** np.array([5, 6, 7, 8, 10, 12, 15, 20, 30, 40, 50, 75, 100, 150,
                                 200, 250, 300], dtype=float))
    pos.append(np.array([5e-324, 1e-320, 1e-310, 2.2250738585072014e-308, 1e-305, _F64_MAX]))
    pos.append(np.array([1.4e-45, 1e-42, 1e-40, 1.1754943508222875e-38, 3.4028234663852886e38,
                         6e-8, 6.103515625e-05, 65504.0]))
    pos.append(np.array(_HARD))
    pos.append(np.linspace(0.0, 40.0, 401))  # step 0.1
    pos.append(np.linspace(0.05, 39.95, 400) + 0.00123)  # interleaved, off the round numbers
    p = np.concatenate(pos)
    # random (fixed seed) points, dense where the smooth activations bend: [-8, 8]
    # uniformly and |x| in [e^-3, e^6] log-uniformly -- round numbers hide rounding errors
    rng = np.random.default_rng(1234)
    rand = np.concatenate([rng.uniform(-8.0, 8.0, 800), np.exp(rng.uniform(-3.0, 6.0, 200)),
                           -np.exp(rng.uniform(-3.0, 6.0, 200))])
    return np.concatenate([p, -p, rand])


_BASE = _base_points()


def _neighbours(v, dtype, k):
    """v rounded to dtype and its k neighbours on each side."""
    dt = np.dtype(dtype).type
    c = dt(v)
    out = [c]
    up = down = c
    for _ in range(k):
        up = np.nextafter(up, dt(np.inf))
        down = np.nextafter(down, dt(-np.inf))
        out += [up, down]
    return out


@functools.lru_cache(maxsize=None)
def grid(case: Case, dtype: str) -> np.ndarray:
    """The sorted finite test inputs of ``case`` in ``dtype`` (both zeros included)."""
    dt = np.dtype(dtype)
    fi = np.finfo(dt)
    with np.errstate(over="ignore", under="ignore"):
        pts = [_BASE.astype(dt)]
    extra = [fi.max, fi.tiny, fi.smallest_subnormal, np.nextafter(fi.tiny, dt.type(0))]
    pts.append(np.array(extra + [-e for e in extra], dtype=dt))
    kinks = set(_KINK_POINTS) | {k[0] for k in case.kinks}
    for k in kinks:
        for s in (1, -1):
            pts.append(np.array(_neighbours(s * k, dt, 2), dtype=dt))
    for r in roots_of_df(case):
        rf = float(r)
        pts.append(np.array(_neighbours(rf, dt, 4), dtype=dt))
        offs = [rf + rf * 10.0**-j for j in range(1, 13)] + [rf - rf * 10.0**-j for j in range(1, 13)]
        pts.append(np.array(offs + list(np.linspace(rf - 0.05, rf + 0.05, 41)), dtype=dt))
    x = np.concatenate(pts)
    x = x[np.isfinite(x) & (x != 0)]
    x = np.unique(x)
    return np.concatenate([np.array([0.0, -0.0], dtype=dt), x])


# --- references on a grid, cached --------------------------------------------------------
@dataclass
class Truth:
    """True values on a grid, prepared for fast vectorised scoring in one dtype."""

    true: list  # mpf
    kappa: np.ndarray
    want: np.ndarray  # the true values rounded to the dtype (±inf on overflow)
    resid: np.ndarray  # float64(true - want): the part of the truth the dtype misses
    sub: np.ndarray  # |true| < smallest normal: the absolute rule applies
    bound: np.ndarray  # 4 + 2κ

    @classmethod
    def of(cls, true, kappa, dtype):
        dt = np.dtype(dtype)
        tiny = M.mpf(float(np.finfo(dt).tiny))
        want = np.array([round_to(t, dt) for t in true], dtype=dt)
        resid = np.array([float(t - mpf(w)) if np.isfinite(w) else math.nan
                          for t, w in zip(true, want)])
        sub = np.array([abs(t) < tiny for t in true], dtype=bool)
        kappa = np.asarray(kappa, dtype=np.float64)
        with np.errstate(over="ignore"):
            bound = 4.0 + 2.0 * kappa
        return cls(list(true), kappa, want, resid, sub, bound)


@dataclass
class Refs:
    x: np.ndarray
    f: Truth
    df: Truth


def _kappa(x, v, d) -> float:
    if v == 0 or x == 0:
        return 0.0
    return float(abs(x * d / v))


@functools.lru_cache(maxsize=None)
def references(case: Case, dtype: str) -> Refs:
    x = grid(case, dtype)
    f, df, kf, kdf = [], [], [], []
    for xi in x:
        X = mpf(xi)
        j = case.ref(X)
        f.append(j.v)
        df.append(j.d)
        kf.append(_kappa(X, j.v, j.d))
        kdf.append(_kappa(X, j.d, j.dd))
    return Refs(x, Truth.of(f, kf, dtype), Truth.of(df, kdf, dtype))


def limit(case: Case, sign: int):
    """(f, f') at sign·inf: the oracle at ±10^1000 (every tail is below any float)."""
    j = case.ref(sign * _BIG)
    return j.v, j.d


# --- scoring -------------------------------------------------------------------------
def round_to(v, dtype):
    """An mpf rounded to the nearest ``dtype`` value (±inf on overflow)."""
    with np.errstate(over="ignore", under="ignore"):
        return np.array(float(v)).astype(dtype)[()]


def ulp_of(v) -> float:
    """The spacing of v's dtype at |v| (at the largest finite value: the gap below it)."""
    a = np.abs(v)
    fmax = np.finfo(a.dtype).max
    if a == fmax:
        return float(fmax - np.nextafter(fmax, a.dtype.type(0)))
    return float(np.spacing(a))


@dataclass
class Violation:
    x: float
    got: float
    want: float  # the true value rounded to the dtype
    err_ulp: float  # nan where the subnormal rule applied (then err is absolute)
    bound: float
    note: str = ""

    def __str__(self):
        if self.note:
            return f"x={self.x!r}: got {self.got!r}, want {self.want!r} ({self.note})"
        return (f"x={self.x!r}: got {self.got!r}, want {self.want!r}, "
                f"error {self.err_ulp:.4g} ulp > bound {self.bound:.4g}")


def score(got, true, kappa: float, dtype):
    """(err_ulp or nan, bound, ok, note) of one output against the true mpf value."""
    dt = np.dtype(dtype)
    tiny = float(np.finfo(dt).tiny)
    bound = 4.0 + 2.0 * float(kappa)
    want = round_to(true, dt)
    g = float(got)
    if math.isnan(g):
        return math.inf, bound, False, "nan"
    if math.isinf(want):
        ok = g == float(want)
        return (0.0 if ok else math.inf), bound, ok, ("" if ok else "overflow expected")
    if math.isinf(g):
        return math.inf, bound, False, "spurious inf"
    diff = abs(mpf(g) - true)
    if abs(true) < tiny:  # subnormal or zero: an absolute error below tiny is fine
        ok = diff < tiny
        return math.nan, bound, ok, ("" if ok else f"abs error {float(diff):.3g} >= smallest normal")
    err = float(diff / M.mpf(ulp_of(want)))
    return err, bound, err <= bound, ""


@dataclass
class Measure:
    """The accuracy of one output (f or df) of one case in one dtype."""

    label: str
    dtype: str
    which: str  # "f" or "df"
    n: int = 0
    max_ulp: float = 0.0
    x_max: float = math.nan
    bound_at_max: float = math.nan
    worst_ratio: float = 0.0  # max of err/bound
    x_worst: float = math.nan
    violations: list = field(default_factory=list)
    errors: list = field(default_factory=list)  # exceptions, warnings, wrong dtypes

    @property
    def ok(self) -> bool:
        return not self.violations and not self.errors

    def add(self, x, got, true, kappa):
        err, bound, ok, note = score(got, true, kappa, self.dtype)
        self.n += 1
        if not math.isnan(err) and not math.isinf(err):
            if err > self.max_ulp or math.isnan(self.x_max):
                self.max_ulp, self.x_max, self.bound_at_max = err, float(x), bound
            if err / bound > self.worst_ratio:
                self.worst_ratio, self.x_worst = err / bound, float(x)
        if not ok:
            want = float(round_to(true, self.dtype))
            self.violations.append(Violation(float(x), float(got), want, err, bound, note))

    def add_all(self, x, got, t: Truth):
        """Vectorised :meth:`add` over a grid; the same rules as :func:`score`."""
        dt = np.dtype(self.dtype)
        tiny = float(np.finfo(dt).tiny)
        g = np.asarray(got).astype(np.float64)
        w = t.want.astype(np.float64)
        finite_w = np.isfinite(w)
        with np.errstate(all="ignore"):
            diff = np.abs((g - w) - np.where(finite_w, t.resid, 0.0))  # |got - true|
            a = np.abs(t.want)
            fmax = np.finfo(dt).max
            ulp = np.where(a == fmax, fmax - np.nextafter(fmax, dt.type(0)), np.spacing(a))
            err = diff / ulp.astype(np.float64)
        ok = np.where(~finite_w, g == w, np.where(t.sub, diff < tiny, err <= t.bound))
        ok &= ~np.isnan(g)
        measured = finite_w & ~t.sub & np.isfinite(g) & np.isfinite(err)
        self.n += g.size
        if measured.any():
            e = np.where(measured, err, -1.0)
            i = int(np.argmax(e))
            if e[i] > self.max_ulp or math.isnan(self.x_max):
                self.max_ulp, self.x_max, self.bound_at_max = float(e[i]), float(x[i]), float(t.bound[i])
            r = np.where(measured, err / t.bound, -1.0)
            i = int(np.argmax(r))
            if r[i] > self.worst_ratio:
                self.worst_ratio, self.x_worst = float(r[i]), float(x[i])
        for i in np.flatnonzero(~ok):  # the exact verdict and message from score()
            err_i, bound_i, ok_i, note = score(g[i], t.true[i], t.kappa[i], self.dtype)
            if not ok_i:
                self.violations.append(Violation(float(x[i]), float(g[i]), float(w[i]), err_i,
                                                 bound_i, note))


def _call(fn, x, kw, dtype, errors, what, shape=None):
    """fn(x, **kw) with warnings as errors; checks dtype and shape. None on failure."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = fn(x, **kw)
    except Exception as e:  # noqa: BLE001 - reported, not swallowed
        bad = []
        if np.ndim(x) == 1 and x.size > 1:  # find the inputs that warn or raise
            for xi in x:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("error")
                        fn(np.array([xi], dtype=x.dtype), **kw)
                except Exception:  # noqa: BLE001
                    bad.append(float(xi))
        errors.append(f"{what}: {type(e).__name__}: {e}" + (f" at x in {bad[:8]}" if bad else ""))
        return None
    y = np.asarray(y)
    if y.dtype != np.dtype(dtype):
        errors.append(f"{what}: returned dtype {y.dtype}, expected {dtype}")
    shape = np.shape(x) if shape is None else shape
    if y.shape != shape:
        errors.append(f"{what}: returned shape {y.shape}, expected {shape}")
        return None
    return y


def check_elementwise(case: Case, dtype: str, act=None):
    """(Measure of f, Measure of df) of ``case`` on its grid in ``dtype``.

    Also checks ±inf (the limits), nan (nan) and the exact values at the kinks;
    failures there are violations too.
    """
    import acts

    a = act if act is not None else acts.get(case.name)
    refs = references(case, dtype)
    kw = case.kw
    out = []
    for which, fn, truth in (("f", a.f, refs.f), ("df", a.df, refs.df)):
        m = Measure(case.label, dtype, which)
        y = _call(fn, refs.x, kw, dtype, m.errors, f"{which} on the grid")
        if y is not None:
            m.add_all(refs.x, y, truth)
        # ±inf and nan
        special = np.array([np.inf, -np.inf, np.nan], dtype=dtype)
        ys = _call(fn, special, kw, dtype, m.errors, f"{which} at inf/nan")
        if ys is not None:
            for sgn, yi in ((1, ys[0]), (-1, ys[1])):
                lim = limit(case, sgn)[0 if which == "f" else 1]
                want = round_to(lim, dtype)
                if not (float(yi) == float(want)):
                    m.violations.append(Violation(sgn * math.inf, float(yi), float(want), math.nan,
                                                  math.nan, "limit at ±inf"))
            if not np.isnan(ys[2]):
                m.violations.append(Violation(math.nan, float(ys[2]), math.nan, math.nan, math.nan,
                                              "nan must give nan"))
        # kinks: exact values (torch autograd's convention)
        for xk, fk, dfk in case.kinks:
            for xv in (xk, -0.0) if xk == 0 else (xk,):
                yk = _call(fn, np.array([xv], dtype=dtype), kw, dtype, m.errors, f"{which} at kink")
                want = round_to(M.mpf(fk if which == "f" else dfk), dtype)
                if yk is not None and float(yk[0]) != float(want):
                    m.violations.append(Violation(xv, float(yk[0]), float(want), math.nan, math.nan,
                                                  "kink: exact value required"))
        out.append(m)
    return tuple(out)


# --- vector activations ------------------------------------------------------------------
def softmax_vectors():
    """The float64 test vectors of the softmax family (each a 1-D array)."""
    rng = np.random.default_rng(20240603)
    fmax = _F64_MAX
    vs = [
        [0.0], [5.0], [0.0, 0.0], [1.0, 2.0, 3.0], [-1.0, 0.0, 1.0], [3.0, 3.0, 3.0, 3.0],
        [1000.0, 0.0, -1000.0], [745.0, 0.0], [-745.0, 0.0, 0.0], [709.0, 710.0, 0.0],
        [30.0, 0.0], [40.0, -40.0, 0.0, 1e-300], [1e300, 0.0, -1e300], [fmax, 0.0],
        [fmax, -fmax], [-fmax, -fmax], [1e-300, -1e-300], [36.0, 37.0, 38.0],
        [20.0000001, 0.0], [88.7, 0.0, -88.7], [103.0, -103.0],
    ]
    for n in (2, 3, 7, 16, 33, 64):
        for s in (1e-10, 1e-3, 1.0, 10.0, 100.0, 1e3, 1e5):
            vs.append(rng.standard_normal(n) * s)
    return [np.array(v, dtype=np.float64) for v in vs]


def _softmax_family_ref(name, x):
    """(values, κs) of softmax / softmin / log_softmax at the mpf vector x."""
    if name == "softmin":
        x = [-v for v in x]
    m = max(x)
    top = x.index(m)
    d = [M.fsub(v, m, exact=True) for v in x]  # exact: no error in the exponents
    e = [M.exp(v) for v in d]  # e[top] = 1
    rest = M.fsum(e[:top] + e[top + 1:])
    total = 1 + rest
    g = [v / total for v in e]  # softmax
    # 1 - g_i = (Σ_{j≠i} e_j)/total, without cancellation for the dominant entry
    one_minus_g = [(rest if i == top else total - ei) / total for i, ei in enumerate(e)]
    absx = [abs(v) for v in x]  # |y_j| = |x_j| for softmin too
    # κ_i·|g_i| / |g_i| with ∂g_i/∂x_j = g_i(δ_ij - g_j):
    # Σ_j |x_j| |δ_ij - g_j| = Σ_{j≠i} |x_j| g_j + |x_i| (1 - g_i)
    s = M.fsum(a * gj for a, gj in zip(absx, g))
    sens = [s - a * gi + a * omg for a, gi, omg in zip(absx, g, one_minus_g)]
    if name in ("softmax", "softmin"):
        return g, [float(v) for v in sens]
    lse = M.log1p(rest)  # log Σ e^{d_j}, accurate when rest is tiny
    ls = [di - lse for di in d]  # d_i <= 0 <= lse: no cancellation
    kap = [float(sv / abs(li)) if li != 0 else 0.0 for sv, li in zip(sens, ls)]
    return ls, kap


@functools.lru_cache(maxsize=None)
def _softmax_refs(name, dtype):
    out = []
    for v in softmax_vectors():
        with np.errstate(over="ignore", under="ignore"):
            xv = v.astype(dtype)
        if not np.all(np.isfinite(xv)):
            continue
        vals, kap = _softmax_family_ref(name, [mpf(t) for t in xv])
        out.append((xv, vals, kap))
    return out


def check_softmax(name: str, dtype: str, act=None) -> Measure:
    import acts

    a = act if act is not None else acts.get(name)
    m = Measure(name, dtype, "f")
    for xv, vals, kap in _softmax_refs(name, dtype):
        y = _call(a.f, xv, {}, dtype, m.errors, f"f({list(xv)[:4]}...)")
        if y is None:
            continue
        for i, (yi, t, k) in enumerate(zip(y, vals, kap)):
            m.add(xv[i], yi, t, k)
    # axis handling: a 2-D batch along either axis equals the rows one by one
    X = np.random.default_rng(7).standard_normal((5, 6)).astype(dtype) * 10
    rows = _call(a.f, X, {"axis": -1}, dtype, m.errors, "f(axis=-1)")
    cols = _call(a.f, X.T.copy(), {"axis": 0}, dtype, m.errors, "f(axis=0)")
    if rows is not None and cols is not None and not np.array_equal(rows, cols.T):
        m.errors.append("f(X, axis=-1) != f(X.T, axis=0).T")
    if rows is not None:
        for r in range(X.shape[0]):
            one = _call(a.f, X[r], {}, dtype, m.errors, "f(row)")
            if one is not None and not np.array_equal(one, rows[r]):
                m.errors.append(f"row {r} of the batch differs from the row alone")
    return m


_GLU_GATES = {
    "glu": lambda b: j_sigmoid(Jet.var(b)),
    "swiglu": lambda b: _r_swish(b, 1.0),
    "geglu": lambda b: _r_gelu(b, "none"),
}


def _glu_inputs():
    """(a, b) float64 vectors: b over the elementwise grid, a of many magnitudes."""
    rng = np.random.default_rng(99)
    pos = np.concatenate([
        np.linspace(0.0, 40.0, 161),
        10.0 ** np.arange(-300, 5, 4, dtype=float),
        np.array([20.0000001, 89.0, 103.0, 710.0, 745.0, 1e300, 0.7517915246935645,
                  1.2784645427610738, 0.75, 1.28, 30.0, 37.6]),
    ])
    b = np.concatenate([pos, -pos])
    mags = np.array([1.0, -1.0, 1e-3, -1e3, 1e-300, 1e300, 0.0, 7.25])
    a = np.where(rng.random(b.size) < 0.5, rng.choice(mags, b.size), rng.standard_normal(b.size))
    n = b.size - b.size % 4
    return a[:n], b[:n]


@functools.lru_cache(maxsize=None)
def _glu_refs(name, dtype):
    a, b = _glu_inputs()
    with np.errstate(over="ignore", under="ignore"):
        a, b = a.astype(dtype), b.astype(dtype)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = a.size - a.size % 4
    a, b = a[:n], b[:n]
    vals, kap = [], []
    for ai, bi in zip(a, b):
        A, B = mpf(ai), mpf(bi)
        h = _GLU_GATES[name](B)
        vals.append(A * h.v)
        kap.append(1.0 + _kappa(B, h.v, h.d) if h.v != 0 else 0.0)
    return a, b, vals, kap


def check_glu(name: str, dtype: str, act=None) -> Measure:
    """a·gate(b) with x = [a, b] split in halves along the axis (second half = gate)."""
    import acts

    act = act if act is not None else acts.get(name)
    m = Measure(name, dtype, "f")
    a, b, vals, kap = _glu_refs(name, dtype)
    cols = 4
    X = np.concatenate([a.reshape(-1, cols), b.reshape(-1, cols)], axis=-1)
    rows = a.size // cols
    y = _call(act.f, X, {}, dtype, m.errors, "f on the grid", shape=(rows, cols))
    if y is not None:
        for ai, bi, yi, t, k in zip(a, b, y.ravel(), vals, kap):
            m.add(bi, yi, t, k)  # reported at the gate input b
    y0 = _call(act.f, X.T.copy(), {"axis": 0}, dtype, m.errors, "f(axis=0)", shape=(cols, rows))
    if y is not None and y0 is not None and not np.array_equal(y0.T, y, equal_nan=True):
        m.errors.append("f(X.T, axis=0).T != f(X, axis=-1)")
    return m


def check_maxout(dtype: str, act=None) -> Measure:
    """maxout is a max: it must be exact (and keep the dtype)."""
    import acts

    act = act if act is not None else acts.get("maxout")
    m = Measure("maxout", dtype, "f")
    rng = np.random.default_rng(3)
    X = rng.standard_normal((6, 12)) * 10.0 ** rng.integers(-30, 30, (6, 12))
    with np.errstate(over="ignore", under="ignore"):
        X = X.astype(dtype)
    X[0, :4] = [1.0, 1.0, -0.0, 0.0]
    for k in (1, 2, 3, 4, 6, 12):
        want = X.reshape(6, 12 // k, k).max(axis=-1)
        y = _call(act.f, X, {"k": k}, dtype, m.errors, f"f(k={k})", shape=want.shape)
        if y is not None and not np.array_equal(y, want):
            m.errors.append(f"k={k}, axis=-1: not the exact group maximum")
        y0 = _call(act.f, X.T.copy(), {"k": k, "axis": 0}, dtype, m.errors, f"f(k={k}, axis=0)",
                   shape=want.T.shape)
        if y0 is not None and not np.array_equal(y0, want.T):
            m.errors.append(f"k={k}, axis=0: not the exact group maximum")
        m.n += want.size
    return m


VECTOR_CHECKS = (
    ("softmax", check_softmax),
    ("softmin", check_softmax),
    ("log_softmax", check_softmax),
    ("glu", check_glu),
    ("swiglu", check_glu),
    ("geglu", check_glu),
)


# --- the report ----------------------------------------------------------------------
def _fmt_x(x, dtype):
    if math.isnan(x):
        return "-"
    digits = {"float16": 5, "float32": 9, "float64": 17}[dtype]
    return f"{x:.{digits}g}"


def _cell(m: Measure) -> str:
    if m.n == 0 and m.errors:
        return f"{'ERROR':>9}  {'':<24}{'':>9}{'':>9}  FAIL"
    status = "ok" if m.ok else f"FAIL({len(m.violations) + len(m.errors)})"
    bound = "-" if math.isnan(m.bound_at_max) else f"{m.bound_at_max:.3g}"
    return (f"{m.max_ulp:9.3g}  {_fmt_x(m.x_max, m.dtype):<24}{bound:>9}"
            f"{m.worst_ratio:9.3g}  {status}")


def run(dtypes=DTYPES, labels=None, out=sys.stdout):
    """Print the report; return the list of failing Measures in float32/float64."""
    import acts

    t0 = time.time()
    hdr = (f"{'activation':<36}{'dtype':<9}| {'f max ulp':>9}  {'at x':<24}{'bound':>9}{'e/b':>9}"
           f"  {'':<8}| {'df max ulp':>9}  {'at x':<24}{'bound':>9}{'e/b':>9}")
    print("Accuracy of acts' numpy forms against mpmath (60 digits).", file=out)
    print("Standard: |error| <= (4 + 2κ) ulp, κ = |x g'(x)/g(x)|; absolute error < smallest normal"
          " where the true value is subnormal or 0.", file=out)
    print("'bound' is the bound at the x of the max error; 'e/b' is the largest error/bound"
          " over the grid;\nok = the bound holds at every grid point, at ±inf and nan, the kinks"
          " are exact and nothing warns.\n", file=out)
    print(hdr, file=out)
    print("-" * len(hdr), file=out)
    failing = []
    names = set(acts.names())
    for case in CASES:
        if labels and case.label not in labels and case.name not in labels:
            continue
        if case.name not in names:
            print(f"{case.label:<36}not registered", file=out)
            continue
        for dt in dtypes:
            mf, mdf = check_elementwise(case, dt)
            print(f"{case.label:<36}{dt:<9}| {_cell(mf):<64}| {_cell(mdf)}", file=out)
            for m in (mf, mdf):
                if not m.ok and dt != "float16":
                    failing.append(m)
    for name, fn in VECTOR_CHECKS + (("maxout", None),):
        if labels and name not in labels:
            continue
        if name not in names:
            print(f"{name:<36}not registered", file=out)
            continue
        for dt in dtypes:
            m = check_maxout(dt) if name == "maxout" else fn(name, dt)
            cell = (f"{'exact' if m.ok else 'NOT EXACT':>9}  ({m.n} outputs)" if name == "maxout"
                    else _cell(m))
            print(f"{name + ' (vector)':<36}{dt:<9}| {cell}", file=out)
            if not m.ok and dt != "float16":
                failing.append(m)
    print(f"\n{time.time() - t0:.1f} s", file=out)
    if failing:
        print("\nViolations (float32/float64):", file=out)
        for m in failing:
            print(f"  {m.label} {m.which} {m.dtype}: {len(m.violations)} point(s)", file=out)
            for e in m.errors:
                print(f"      {e}", file=out)
            worst = sorted(m.violations, key=lambda v: -(v.err_ulp / v.bound)
                           if v.err_ulp == v.err_ulp and v.bound == v.bound else -math.inf)
            for v in worst[:6]:
                print(f"      {v}", file=out)
    return failing


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m course.accuracy", description=__doc__.split("\n")[0])
    p.add_argument("names", nargs="*", help="activations (names or case labels); default all")
    p.add_argument("--dtype", action="append", choices=DTYPES, help="repeatable; default all three")
    args = p.parse_args(argv)
    failing = run(tuple(args.dtype or DTYPES), set(args.names) or None)
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
