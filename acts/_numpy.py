"""Numpy forms of every activation: f and f' side by side, float64 inside.

Every function here takes a float64 ndarray (already validated and converted by
the registry) and fully validated parameters, and returns float64. The registry
rounds the result to the caller's dtype, so float16/float32 results are the
correctly rounded float64 values (error <= 0.5 ulp + the float64 error).

Numerical conventions (shared by all forms):

* Stable forms only: ``expm1``, ``log1p``, ``logaddexp``, max-shifted softmax,
  ``x - max - log1p(rest)``. No formula subtracts two nearly equal numbers
  unless the function itself is ill-conditioned there.
* Tails are exact to a few ulp: a product ``b * exp(z)`` whose exponential is
  subnormal but whose product is normal (``swish'(-710)``, ``gelu'(-37.6)``) is
  computed as ``b * exp(z + 64) * exp(-64)`` (see :func:`_mul_exp`).
* ``exp(-x**2/2)`` splits ``x`` into a 26-bit high part and a low part, so
  ``x**2`` carries no rounding error into the exponent (matters for |x| > 10).
* Branches not taken by ``np.where`` are fed clamped arguments, so no input
  produces a RuntimeWarning; overflow/underflow that rounds to the right answer
  is silenced by the registry's ``np.errstate(over="ignore", under="ignore")``.
* ±inf give the mathematical limits; nan gives nan.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .constants import (GELU_SIGMOID_K, GELU_TANH_C, INV_SQRT_2, INV_SQRT_2PI, SELU_ALPHA,  # noqa: F401
                        SELU_LAMBDA, SELU_LAMBDA_ALPHA, SQRT_2_OVER_PI, SQRT_PI_OVER_2)

_EXP_M64 = math.exp(-64.0)
_TAIL = -600.0  # below this, exp(z) is scaled by e^64 before multiplying
_CLAMP = 1.0e3  # beyond ±1000 every exponential tail is exactly 0 or 1 in float64
_SPLIT = 134217729.0  # 2**27 + 1 (Dekker's split)


# --- shared helpers -----------------------------------------------------------
def _keep_nan(x, y):
    """y, except nan where x is nan (comparisons like x > 0 turn nan into False)."""
    return np.where(np.isnan(x), x, y)


def _mul_exp2(b, hi, lo=0.0):
    """b·exp(hi + lo) for an exact ``hi`` and a small ``lo``.

    Accurate also where exp(hi) is subnormal but the product is normal: there
    exp(hi + 64)·e^-64 is used (hi + 64 is exact for hi in [-2048, -600]).
    """
    low = hi < _TAIL
    scaled = b * np.exp(np.where(low, hi + 64.0, hi)) * np.exp(lo)
    return np.where(low, scaled * _EXP_M64, scaled)


def _mul_exp(b, z):
    """b·e^z, accurate in the subnormal tail of e^z (see :func:`_mul_exp2`)."""
    return _mul_exp2(b, z)


def _mul_sigmoid(b, z):
    """b·σ(z) with a relative error of a few ulp for every z, tails included.

    σ(z) = 1/(1+e^-z) for z >= 0 and e^z/(1+e^z) for z < 0; the e^z factor goes
    through :func:`_mul_exp`, so b·σ(-710) is normal when b is large enough
    (``scipy.special.expit`` flushes e^-710 to 0 instead).
    """
    e = np.exp(-np.abs(z))  # e^{-|z|} in [0, 1]: never overflows
    base = b / (1.0 + e)
    return np.where(z < 0, _mul_exp(base, np.minimum(z, 0.0)), base)


def _times(slope, x):
    """slope·x with the limit 0·(±inf) = 0 (a zero-slope piece stays zero)."""
    if np.ndim(slope) == 0 and slope != 0:  # a nonzero number: slope·(±inf) is already the limit
        return slope * x
    inf = np.isinf(x)
    y = slope * np.where(inf, np.sign(x), x)
    return np.where(inf & (y != 0), np.copysign(np.inf, y), np.where(inf, 0.0, y))


def _with_limits(x, core, at_neg_inf, at_pos_inf):
    """core(x) on finite x; the given limits at ±inf (core never sees inf)."""
    inf = np.isinf(x)
    if not inf.any():
        return core(x)
    y = core(np.where(inf, 0.0, x))
    return np.where(x == np.inf, at_pos_inf, np.where(x == -np.inf, at_neg_inf, y))


def _split(x):
    """Dekker split: x = hi + lo with hi of 26 significant bits (|x| <= 1e300)."""
    c = _SPLIT * x
    hi = c - (c - x)
    return hi, x - hi


def _gauss_parts(x):
    """(hi, lo) with -x²/2 = hi + lo, hi exact; so exp(-x²/2) = exp(hi)·exp(lo).

    x is clamped to ±50 first: beyond, exp(-x²/2) < 1e-540 is 0 anyway.
    """
    xc = np.clip(x, -50.0, 50.0)
    xh, xl = _split(xc)
    return -0.5 * (xh * xh), -(xh * xl + 0.5 * (xl * xl))


def _mul_gauss_pdf(b, x):
    """b·φ(x), φ the standard normal density, accurate in the tails."""
    hi, lo = _gauss_parts(x)
    return _mul_exp2(b * INV_SQRT_2PI, hi, lo)


# Near a root x0 of f' the terms of f' cancel, and the few-ulp errors of the
# special functions (ndtr, erfcx, expit) become large relative errors. There f'
# is its Taylor series in d = x - x0, with x0 as a double-double (hi + lo), so
# d is exact to 0.5 ulp and every term carries full relative accuracy.
# Coefficients computed with mpmath (60 digits); degree 16 keeps the truncation
# below 2^-60 relative for |d| <= 0.125 (checked by tests/test_accuracy.py).
_GELU_NONE_ROOT = (-0.7517915246935645, 1.4956759177009883e-17)
_GELU_NONE_TAYLOR = (  # f'(x0 + d) = Σ c_n d^n, n = 1..16 (mpmath, 60 digits)
    0.4314939923140469,
    0.388284982990552,
    -0.018199676398671087,
    -0.1140082332972217,
    -0.014771522148244337,
    0.019421679838189067,
    0.004539228379125415,
    -0.002239538068073497,
    -0.0007448268386746817,
    0.00018633974623233514,
    8.615947861116571e-05,
    -1.121438018842664e-05,
    -7.74846130700372e-06,
    4.3284506257392273e-07,
    5.702764979242107e-07,
    -1.6044265494246427e-09,
)
_GELU_TANH_ROOT = (-0.7524614220710163, 3.635560509207687e-17)
_GELU_TANH_TAYLOR = (  # f'(x0 + d) = Σ c_n d^n, n = 1..16 (mpmath, 60 digits)
    0.4304000910248585,
    0.38751844613578895,
    -0.01578285352184803,
    -0.11394448308095899,
    -0.01661932834305256,
    0.019682309459833118,
    0.005261059254921912,
    -0.0024227318458750974,
    -0.0009274420230205449,
    0.00026392764052681053,
    0.00012425227802639782,
    -3.4956171694436116e-05,
    -1.5950896871645105e-05,
    5.918611710894005e-06,
    2.4335516344299543e-06,
    -9.898647747433667e-07,
)
_ROOT_RADIUS = 0.125


def _near_root(x, y, root, taylor):
    """y with f'(x) replaced by its Taylor series wherever |x - x0| < 0.125."""
    d = (x - root[0]) - root[1]
    near = np.abs(d) < _ROOT_RADIUS
    if not near.any():
        return y
    dn = d[near]
    poly = np.zeros_like(dn)
    for c in reversed(taylor):
        poly = (poly + c) * dn
    y = np.array(y, copy=True)
    y[near] = poly
    return y


# --- identity, step -----------------------------------------------------------
def identity(x):
    """f(x) = x."""
    return x.copy()


def identity_d(x):
    """f'(x) = 1."""
    return _keep_nan(x, np.ones_like(x))


def binary_step(x):
    """f(x) = 1 if x >= 0 else 0 (Heaviside step with H(0) = 1)."""
    return _keep_nan(x, (x >= 0).astype(np.float64))


def binary_step_d(x):
    """f'(x) = 0 everywhere (by convention also at the jump x = 0)."""
    return _keep_nan(x, np.zeros_like(x))


# --- sigmoid, tanh ------------------------------------------------------------
def sigmoid(x):
    """σ(x) = 1/(1 + e^{-x}) (scipy.special.expit: e^{-|x|} form, never overflows)."""
    return special.expit(x)


def sigmoid_d(x):
    """σ'(x) = σ(x)·(1 - σ(x)) = σ(x)·σ(-x)."""
    # σ(x)·σ(-x): both factors accurate, no 1 - σ cancellation in the tails.
    return special.expit(x) * special.expit(-x)


def tanh(x):
    """tanh(x) = (e^x - e^{-x})/(e^x + e^{-x}) = 2σ(2x) - 1."""
    return np.tanh(x)


def tanh_d(x):
    """tanh'(x) = 1 - tanh²(x) = 4e^{-2|x|}/(1 + e^{-2|x|})²; tanh'(30) = 3.5e-26, not 0."""
    # 1 - tanh² cancels for |x| > 1; 4e^{-2|x|}/(1+e^{-2|x|})² does not.
    t = np.exp(-2.0 * np.abs(x))
    return 4.0 * t / ((1.0 + t) * (1.0 + t))


# --- rectifiers ----------------------------------------------------------------
def relu(x):
    """ReLU(x) = max(0, x)."""
    # +0.0 for x <= 0 (torch.relu keeps -0.0 as -0.0; the two compare equal), nan stays nan.
    return np.where(x > 0, x, np.where(np.isnan(x), x, 0.0))


def relu_d(x):
    """ReLU'(x) = 1 for x > 0, 0 for x <= 0 (ReLU'(0) = 0, as torch and JAX)."""
    return _keep_nan(x, (x > 0).astype(np.float64))


def leaky_relu(x, negative_slope):
    """f(x) = x for x > 0, a·x for x <= 0 (a = negative_slope)."""
    if np.ndim(negative_slope) == 0 and 0 < negative_slope <= 1:
        # The same values in two passes instead of three: for 0 < a <= 1, max(x, a·x) is x
        # for x > 0 and a·x for x <= 0, ±0, ±inf and nan included.
        return np.maximum(x, negative_slope * x)
    return np.where(x > 0, x, _times(negative_slope, x))


def leaky_relu_d(x, negative_slope):
    """f'(x) = 1 for x > 0, a for x <= 0 (f'(0) = a, as torch)."""
    return _keep_nan(x, np.where(x > 0, 1.0, negative_slope))


def prelu(x, weight):
    """PReLU(x) = x for x > 0, a·x for x <= 0, a = weight (broadcast against x)."""
    return leaky_relu(x, weight)


def prelu_d(x, weight):
    """PReLU'(x) = 1 for x > 0, a for x <= 0."""
    return leaky_relu_d(x, weight)


def _rrelu_slopes(x, lower, upper, training, rng):
    if not training:
        return (lower + upper) / 2.0
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    return rng.uniform(lower, upper, size=x.shape)


def rrelu(x, lower, upper, training, rng):
    """RReLU(x) = x for x > 0, a·x otherwise; a ~ U(lower, upper) per element in training, a = (lower+upper)/2 at inference."""
    return leaky_relu(x, _rrelu_slopes(x, lower, upper, training, rng))


def rrelu_d(x, lower, upper, training, rng):
    """RReLU'(x) = 1 for x > 0, a otherwise (same a as f for the same rng seed)."""
    return leaky_relu_d(x, _rrelu_slopes(x, lower, upper, training, rng))


def relu6(x):
    """ReLU6(x) = min(max(0, x), 6)."""
    return hardtanh(x, 0.0, 6.0)


def relu6_d(x):
    """ReLU6'(x) = 1 on (0, 6), 0 elsewhere (0 at both corners, as torch)."""
    return hardtanh_d(x, 0.0, 6.0)


# --- exponential linear units ---------------------------------------------------
def elu(x, alpha):
    """ELU(x) = x for x > 0, α(e^x - 1) for x <= 0 (expm1: exact near 0)."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_d(x, alpha):
    """ELU'(x) = 1 for x > 0, α·e^x for x <= 0 (ELU'(0) = α, as torch)."""
    # x <= 0 branch at 0 gives α·e^0 = α: torch's convention elu'(0) = α.
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def selu(x):
    """SELU(x) = λx for x > 0, λα(e^x - 1) for x <= 0; α = 1.67326324235437728…, λ = 1.05070098735548049…."""
    return np.where(x > 0, SELU_LAMBDA * x, SELU_LAMBDA_ALPHA * np.expm1(np.minimum(x, 0.0)))


def selu_d(x):
    """SELU'(x) = λ for x > 0, λα·e^x for x <= 0 (SELU'(0) = λα, as torch)."""
    return np.where(x > 0, SELU_LAMBDA, SELU_LAMBDA_ALPHA * np.exp(np.minimum(x, 0.0)))


def celu(x, alpha):
    """CELU(x) = max(0, x) + min(0, α(e^{x/α} - 1)), α > 0."""
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0) / alpha))


def celu_d(x, alpha):
    """CELU'(x) = 1 for x > 0, e^{x/α} for x <= 0: continuous (C¹) for every α."""
    return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0) / alpha))


# --- GELU -----------------------------------------------------------------------
def _two_prod(a, b):
    """(p, e) with p + e = a·b exactly (Dekker; |a|, |b| < 1e150)."""
    p = a * b
    ah, al = _split(a)
    bh, bl = _split(b)
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _two_sum(a, b):
    """(s, e) with s + e = a + b exactly (Knuth)."""
    s = a + b
    bb = s - a
    return s, (a - (s - bb)) + (b - bb)


_A_HI, _A_LO = 1.5957691216057308, -9.96930880911092e-17  # 2√(2/π) as a double-double
_C_HI, _C_LO = 0.044715, 2.1960211427085595e-18  # 0.044715 as a double-double


def _gelu_tanh_u(x):
    """2u = 2√(2/π)·x·(1 + 0.044715x²) in double-double, rounded once.

    σ(2u) amplifies the relative error of 2u by |2u|(1 - σ(2u)); a plain float64
    evaluation (five roundings) costs up to ~7 ulp in GELU-tanh' near x = -1.65.
    """
    xc = np.clip(x, -1e100, 1e100)  # beyond, 2u is ±inf anyway (restored below)
    sq, sq_e = _two_prod(xc, xc)
    cx2, cx2_e = _two_prod(np.full_like(xc, _C_HI), sq)
    cx2_e = cx2_e + (_C_HI * sq_e + _C_LO * sq)
    w, w_e = _two_sum(np.ones_like(xc), cx2)
    w_e = w_e + cx2_e
    m, m_e = _two_prod(xc, w)
    m_e = m_e + xc * w_e
    z, z_e = _two_prod(np.full_like(xc, _A_HI), m)
    z = z + (z_e + (_A_HI * m_e + _A_LO * m))
    big = np.abs(x) > 1e100
    return np.where(big, np.copysign(np.inf, x), z) if big.any() else z


def gelu(x, approximate):
    """GELU(x) = x·Φ(x); approximate="tanh": ½x(1 + tanh u), u = √(2/π)(x + 0.044715x³), computed as x·σ(2u); approximate="sigmoid": x·σ(1.702x)."""
    if approximate == "none":
        return _with_limits(x, lambda v: v * special.ndtr(v), 0.0, np.inf)
    if approximate == "tanh":  # ½x(1 + tanh u) = x·σ(2u)
        return _with_limits(x, lambda v: _mul_sigmoid(v, _gelu_tanh_u(v)), 0.0, np.inf)
    return _with_limits(x, lambda v: _mul_sigmoid(v, GELU_SIGMOID_K * v), 0.0, np.inf)


def gelu_d(x, approximate):
    """GELU'(x) = Φ(x) + x·φ(x), φ(x) = e^{-x²/2}/√(2π) (and the derivatives of the two approximations)."""
    xc = np.clip(x, -_CLAMP, _CLAMP)  # the derivative is exactly 0 / 1 beyond
    if approximate == "none":
        # x > -0.6: Φ + xφ (little cancellation). Further left: φ·(x + Φ/φ) with
        # the Mills ratio Φ/φ = √(π/2)·erfcx(-x/√2), so nothing underflows early
        # and Φ's x²-amplified argument rounding is avoided. Around the root
        # x0 ≈ -0.7518: the Taylor series.
        direct = special.ndtr(xc) + _mul_gauss_pdf(xc, xc)
        left_x = np.minimum(xc, 0.0)
        mills = SQRT_PI_OVER_2 * special.erfcx(-left_x * INV_SQRT_2)
        tail = _mul_gauss_pdf(left_x + mills, xc)
        y = np.where(xc < -0.6, tail, direct)
        return _keep_nan(x, _near_root(xc, y, _GELU_NONE_ROOT, _GELU_NONE_TAYLOR))
    if approximate == "tanh":
        # f' = σ(z)(1 + x·z'·σ(-z)), z = 2u. One e = e^{-|z|} serves σ(z) and
        # σ(-z) so their errors are correlated: with s = 1 + e,
        #   z < 0: f' = e·(s + x z')/s²     z >= 0: f' = (s + x z' e)/s²
        z = _gelu_tanh_u(xc)
        xdz = xc * (2.0 * SQRT_2_OVER_PI) * (1.0 + 3.0 * GELU_TANH_C * (xc * xc))
        e = np.exp(-np.abs(z))
        s = 1.0 + e
        right = (s + xdz * e) / (s * s)
        left = _mul_exp((s + xdz) / (s * s), np.minimum(z, 0.0))
        y = np.where(z < 0, left, right)
        return _keep_nan(x, _near_root(xc, y, _GELU_TANH_ROOT, _GELU_TANH_TAYLOR))
    return swish_d(xc, GELU_SIGMOID_K)


# --- Swish / SiLU, Mish --------------------------------------------------------
def swish(x, beta):
    """Swish_β(x) = x·σ(βx) (β = 1: SiLU)."""
    at_neg_inf = 0.0 if beta > 0 else -np.inf
    return _with_limits(x, lambda v: _mul_sigmoid(v, beta * v), at_neg_inf, np.inf)


def swish_d(x, beta):
    """Swish_β'(x) = σ(βx) + βx·σ(βx)(1 - σ(βx)) = σ(z)(1 + z·σ(-z)), z = βx."""
    # d/dx x·σ(βx) = σ(z)·(1 + z·σ(-z)), z = βx.
    # clip x first so that β = 0 never meets inf; then z, where the tails are flat
    z = np.clip(beta * np.clip(x, -1e300, 1e300), -_CLAMP, _CLAMP)
    return _keep_nan(x, _mul_sigmoid(1.0 + z * special.expit(-z), z))


def mish(x):
    """Mish(x) = x·tanh(softplus(x)) = x·tanh(ln(1 + e^x))."""
    # tanh(softplus x) = n/(n+2), n = e^x(e^x+2). With t = e^{-|x|}:
    #   x > 0: (1+2t)/(1+2t+2t²);   x <= 0: e^x·(t+2)/(t(t+2)+2).
    t = np.exp(-np.abs(x))
    right = x * (1.0 + 2.0 * t) / (1.0 + 2.0 * t * (1.0 + t))
    xl = np.clip(x, -_CLAMP, 0.0)
    left = _mul_exp(xl * (t + 2.0) / (t * (t + 2.0) + 2.0), xl)
    return np.where(x > 0, right, left)


def mish_d(x):
    """Mish'(x) = tanh(sp(x)) + x·σ(x)·sech²(sp(x))."""
    # mish' = T + x·σ(x)·(1 - T²), T = tanh(softplus x) = n/(n+2), n = e^x(e^x+2),
    # 1 - T² = 4(n+1)/(n+2)² and n + 1 = (1 + e^x)². With t = e^{-|x|}:
    #   x > 0:  T + 4x(1+t)t²/D²,  D = 1 + 2t + 2t²            (all terms positive)
    #   x <= 0: e^x·[4(1+x) + t(6 + 4x + t(4 + t))]/(2 + t(2+t))²   (t = e^x)
    # The x <= 0 numerator is (e+2)(n+2) + 4x(1+e) expanded in powers of e, so for
    # x < -1.5 its terms share one sign: no cancellation left but the root's own.
    xc = np.clip(x, -_CLAMP, _CLAMP)
    t = np.exp(-np.abs(xc))
    d = 1.0 + 2.0 * t * (1.0 + t)
    right = (1.0 + 2.0 * t) / d + 4.0 * xc * (1.0 + t) * (t * t) / (d * d)
    n2 = 2.0 + t * (2.0 + t)
    numerator = 4.0 * (1.0 + xc) + t * (6.0 + 4.0 * xc + t * (4.0 + t))
    left = _mul_exp(numerator / (n2 * n2), np.minimum(xc, 0.0))
    return _keep_nan(x, np.where(xc > 0, right, left))


# --- softplus, softsign -----------------------------------------------------------
def softplus(x, beta):
    """softplus_β(x) = ln(1 + e^{βx})/β."""
    # log(1 + e^z)/β = (max(z, 0) + log1p(e^{-|z|}))/β, z = βx: exact for every x,
    # no threshold (torch's native threshold=20 is off by ~6e5 ulp at 20.0000001).
    # (np.logaddexp is the same formula but warns at -inf.)
    # max(βx, 0)/β = max(x, 0) exactly, so only the log1p term is divided by β
    # (and βx overflowing to inf cannot turn a finite x into inf).
    if beta == 1.0:
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(beta * x))) / beta


def softplus_d(x, beta):
    """softplus_β'(x) = σ(βx)."""
    return special.expit(x if beta == 1.0 else beta * x)


def softsign(x):
    """softsign(x) = x/(1 + |x|)."""
    ax = np.abs(x)
    # For |x| > 1, 1/(1 + 1/|x|) also handles |x| = inf (limit ±1).
    big = np.sign(x) / (1.0 + 1.0 / np.maximum(ax, 1.0))
    small = np.clip(x, -1.0, 1.0)
    return np.where(ax > 1.0, big, small / (1.0 + np.abs(small)))


def softsign_d(x):
    """softsign'(x) = 1/(1 + |x|)²."""
    r = 1.0 / (1.0 + np.abs(x))
    return r * r


# --- hard (piecewise-linear) variants ------------------------------------------------
def hardtanh(x, min_val, max_val):
    """hardtanh(x) = min(max(x, min_val), max_val)."""
    return np.clip(x, min_val, max_val)


def hardtanh_d(x, min_val, max_val):
    """hardtanh'(x) = 1 on (min_val, max_val), 0 elsewhere (0 at the corners, as torch)."""
    # 1 strictly inside (min_val, max_val), 0 at the corners: torch's convention.
    return _keep_nan(x, ((x > min_val) & (x < max_val)).astype(np.float64))


def hardsigmoid(x):
    """hardsigmoid(x) = ReLU6(x + 3)/6 = min(max(0, x/6 + 1/2), 1)."""
    return np.clip((x + 3.0) / 6.0, 0.0, 1.0)  # x + 3 is exact near -3


def hardsigmoid_d(x):
    """hardsigmoid'(x) = 1/6 on (-3, 3), 0 elsewhere."""
    return _keep_nan(x, np.where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0))


def hardswish(x):
    """hardswish(x) = x·ReLU6(x + 3)/6."""
    xc = np.clip(x, -3.0, 3.0)
    return np.where(x >= 3.0, x, xc * (xc + 3.0) / 6.0)


def hardswish_d(x):
    """hardswish'(x) = 0 for x <= -3, (2x + 3)/6 on (-3, 3), 1 for x >= 3 (as torch)."""
    # torch 2.13 autograd: 0 for x <= -3, (2x+3)/6 strictly inside, 1 for x >= 3.
    xc = np.clip(x, -3.0, 3.0)
    inner = (2.0 * xc + 3.0) / 6.0  # 2x + 3 is exact near -1.5, the root
    return _keep_nan(x, np.where(x <= -3.0, 0.0, np.where(x >= 3.0, 1.0, inner)))


# --- maxout ----------------------------------------------------------------------
def _groups(x, k, axis):
    axis = axis % x.ndim
    shape = x.shape[:axis] + (x.shape[axis] // k, k) + x.shape[axis + 1:]
    return x.reshape(shape), axis


def maxout(x, k, axis):
    """maxout(x)_i = max_{0<=j<k} x_{ik+j} over consecutive groups of k along axis."""
    g, axis = _groups(x, k, axis)
    return np.max(g, axis=axis + 1)


def maxout_jvp(x, v, k, axis):
    """J·v: ∂f_i/∂x_{ik+j} = 1 for the first maximum j of group i, else 0."""
    g, ax = _groups(x, k, axis)
    winner = np.expand_dims(np.argmax(g, axis=ax + 1), ax + 1)  # first maximum wins
    vg, _ = _groups(v, k, axis)
    return np.take_along_axis(vg, winner, axis=ax + 1).squeeze(ax + 1)


# --- Dice (Deep Interest Network) -----------------------------------------------------
def _dice_stats(x, axis, mean, var):
    if mean is None:
        # A batch holding ±inf has no mean/variance: every output is then nan.
        with np.errstate(invalid="ignore"):
            return np.mean(x, axis=axis, keepdims=True), np.var(x, axis=axis, keepdims=True)
    return np.asarray(mean, dtype=np.float64), np.asarray(var, dtype=np.float64)


def dice(x, alpha, eps, axis, mean, var):
    """Dice(s) = p(s)·s + (1 - p(s))·α·s, p(s) = σ((s - E[s])/√(Var[s] + ε)); batch statistics over axis unless mean/var given."""
    # f(s) = p(s)·s + (1 - p(s))·α·s = α·s + (1 - α)·s·p(s)
    m, v = _dice_stats(x, axis, mean, var)
    sd = np.sqrt(v + eps)

    def core(s):
        return alpha * s + (1.0 - alpha) * _mul_sigmoid(s, (s - m) / sd)

    # s -> +inf: p -> 1, f ~ s;  s -> -inf: p -> 0, f ~ α·s.
    return _with_limits(x, core, _times(alpha, np.full_like(x, -np.inf)), np.inf)


def dice_d(x, alpha, eps, axis, mean, var):
    """Dice'(s) = α + (1 - α)(p + s·p(1 - p)/√(Var + ε)), statistics held fixed (eval mode)."""
    # eval form (given statistics): f' = α + (1-α)·(p + s·p(1-p)/sd)
    #                                   = α + (1-α)·σ(z)·(1 + (s/sd)·σ(-z)),  z = (s-m)/sd
    # (the Swish-derivative form: accurate near its root and in the left tail)
    m, v = _dice_stats(x, axis, mean, var)
    sd = np.sqrt(v + eps)
    xc = np.clip(x, m - _CLAMP * sd, m + _CLAMP * sd)
    z = (xc - m) / sd
    gate = _mul_sigmoid(1.0 + xc / sd * special.expit(-z), z)
    return _keep_nan(x, alpha + (1.0 - alpha) * gate)


# --- softmax family ------------------------------------------------------------------
def _shifted(x, axis):
    """(x - max, posinf rows, undefined rows): the max trick with inf handled."""
    m = np.max(x, axis=axis, keepdims=True)
    if np.isfinite(m).all():  # the common case, same numbers: no +inf, no nan, no all -inf row
        return x - m, np.zeros(m.shape, dtype=bool), np.zeros(m.shape, dtype=bool)
    posinf = m == np.inf
    undefined = (m == -np.inf) | np.isnan(m)  # all -inf, or a nan in the row
    d = x - np.where(np.isfinite(m), m, 0.0)
    d = np.where(posinf, np.where(x == np.inf, 0.0, -np.inf), d)
    return np.where(undefined, -np.inf, d), posinf, undefined


def softmax(x, axis):
    """softmax(x)_i = e^{x_i}/Σ_j e^{x_j}, computed as e^{x - max x}/Σ e^{x - max x}."""
    if x.ndim == 0:
        return _keep_nan(x, np.ones_like(x))
    if x.shape[axis] == 0:
        return x.copy()
    d, _, undefined = _shifted(x, axis)
    e = np.exp(d, out=d)  # d is a fresh array
    total = np.sum(e, axis=axis, keepdims=True)
    if not undefined.any():
        return np.divide(e, total, out=e)
    s = e / np.where(undefined, 1.0, total)
    return np.where(undefined, np.nan, s)


def softmin(x, axis):
    """softmin(x) = softmax(-x)."""
    return softmax(-x, axis)


def log_softmax(x, axis):
    """log_softmax(x)_i = x_i - log Σ_j e^{x_j} = (x_i - m) - log1p(Σ_{j≠argmax} e^{x_j - m}), m = max x."""
    if x.ndim == 0:
        return _keep_nan(x, np.zeros_like(x))
    if x.shape[axis] == 0:
        return x.copy()
    d, _, undefined = _shifted(x, axis)
    e = np.exp(d)
    # log Σe^d = log1p(Σ over all but one maximum): keeps full relative accuracy
    # for the dominant entry, whose log-probability is -log1p(tiny).
    top = np.argmax(d, axis=axis)
    np.put_along_axis(e, np.expand_dims(top, axis), 0.0, axis=axis)
    lse = np.log1p(np.sum(e, axis=axis, keepdims=True))
    return np.where(undefined, np.nan, d - lse)


def softmax_jvp(x, v, axis):
    """J·v with J = diag(s) - s sᵀ: s ⊙ (v - <s, v>)."""
    # J v with J = diag(s) - s sᵀ, never formed: s ⊙ (v - <s, v>)
    s = softmax(x, axis)
    return s * (v - np.sum(s * v, axis=axis, keepdims=True))


def softmin_jvp(x, v, axis):
    """J·v with J = -(diag(s) - s sᵀ), s = softmin(x)."""
    return softmax_jvp(-x, -v, axis)


def log_softmax_jvp(x, v, axis):
    """J·v with J = I - 1 sᵀ: v - <s, v>."""
    s = softmax(x, axis)
    return v - np.sum(s * v, axis=axis, keepdims=True)


# --- gated linear units (split convention: x = [a, b] halves along axis; the
# --- second half b is the gate, as torch.nn.functional.glu) ------------------------
def _halves(x, axis):
    a, b = np.split(x, 2, axis=axis)
    return a, b


def _halves_undefined_ok(x, axis):
    # a = ±inf with a gate of exactly 0 is inf·0: no limit exists, the result is
    # nan by design, so that (and only that) invalid operation is not warned about.
    return _halves(x, axis), np.errstate(invalid="ignore")


def glu(x, axis):
    """GLU(x) = a ⊗ σ(b), [a, b] = halves of x along axis (b, the second half, is the gate)."""
    (a, b), undefined_ok = _halves_undefined_ok(x, axis)
    with undefined_ok:
        return _mul_sigmoid(a, b)


def swiglu(x, axis, beta):
    """SwiGLU(x) = a ⊗ Swish_β(b), [a, b] = halves of x along axis."""
    (a, b), undefined_ok = _halves_undefined_ok(x, axis)
    with undefined_ok:
        return a * swish(b, beta)


def geglu(x, axis, approximate):
    """GeGLU(x) = a ⊗ GELU(b), [a, b] = halves of x along axis."""
    (a, b), undefined_ok = _halves_undefined_ok(x, axis)
    with undefined_ok:
        return a * gelu(b, approximate)


def _gated_jvp(x, v, axis, gate, gate_d):
    (a, b), undefined_ok = _halves_undefined_ok(x, axis)
    va, vb = _halves(v, axis)
    with undefined_ok:
        return gate(b) * va + a * gate_d(b) * vb


def glu_jvp(x, v, axis):
    """J·v: σ(b)·v_a + a·σ'(b)·v_b."""
    return _gated_jvp(x, v, axis, sigmoid, sigmoid_d)


def swiglu_jvp(x, v, axis, beta):
    """J·v: Swish(b)·v_a + a·Swish'(b)·v_b."""
    return _gated_jvp(x, v, axis, lambda b: swish(b, beta), lambda b: swish_d(b, beta))


def geglu_jvp(x, v, axis, approximate):
    """J·v: GELU(b)·v_a + a·GELU'(b)·v_b."""
    return _gated_jvp(x, v, axis, lambda b: gelu(b, approximate), lambda b: gelu_d(b, approximate))
