"""Smooth ReLU-like units: GELU, Swish/SiLU, Mish and softplus."""

from __future__ import annotations

import numpy as np
from scipy import special

from ..constants import GELU_SIGMOID_K, GELU_TANH_C, INV_SQRT_2, INV_SQRT_2PI, SQRT_2_OVER_PI, SQRT_PI_OVER_2
from ..kinds import Elementwise, choice, real
from ._numpy_math import _CLAMP, _keep_nan, _mul_exp, _mul_exp2, _mul_sigmoid, _split, _with_limits
from ._torch_math import _exp_neg_abs, _logistic, _logistic_ip, _sigmoid, _sigmoid_ip, _e_abs, _scaled

from .._lazy import lazy_torch

torch = lazy_torch(globals())


# --- GELU's numerics ---------------------------------------------------------------------
# exp(-x²/2) splits x into a 26-bit high part and a low part, so x² carries no rounding
# error into the exponent (matters for |x| > 10).
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
    0.4314939923140469, 0.388284982990552, -0.018199676398671087, -0.1140082332972217,
    -0.014771522148244337, 0.019421679838189067, 0.004539228379125415, -0.002239538068073497,
    -0.0007448268386746817, 0.00018633974623233514, 8.615947861116571e-05, -1.121438018842664e-05,
    -7.74846130700372e-06, 4.3284506257392273e-07, 5.702764979242107e-07, -1.6044265494246427e-09,
)


_GELU_TANH_ROOT = (-0.7524614220710163, 3.635560509207687e-17)
_GELU_TANH_TAYLOR = (  # f'(x0 + d) = Σ c_n d^n, n = 1..16 (mpmath, 60 digits)
    0.4304000910248585, 0.38751844613578895, -0.01578285352184803, -0.11394448308095899,
    -0.01661932834305256, 0.019682309459833118, 0.005261059254921912, -0.0024227318458750974,
    -0.0009274420230205449, 0.00026392764052681053, 0.00012425227802639782, -3.4956171694436116e-05,
    -1.5950896871645105e-05, 5.918611710894005e-06, 2.4335516344299543e-06, -9.898647747433667e-07,
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


def _phi(x):
    r"""Standard normal density ``φ(x) = exp(-x²/2)/√(2π)``, accurate in the tails.

    ``x²`` rounded to the working precision has a relative error ``ε``, i.e. an absolute
    error ``ε·x²/2`` in the exponent: ~200 ulp at ``x = 30`` in float64. Split
    ``x = xh + xl`` with ``xh`` on a coarse grid (so ``xh²`` is exact) and ``|xl|`` tiny,
    then ``x²/2 = xh²/2 + xl·(xh + xl/2)`` and the two exponentials are each accurate.
    ``x`` is first clamped to ``±L`` where ``φ(L)`` underflows to 0, which also makes
    ``φ(±inf) = 0`` and keeps the grid small enough for ``xh²`` to be exact.
    """

    if x.dtype == torch.float64:
        lim, scale = 40.0, 2.0**20  # |xh|·2^20 < 2^26 → xh² has ≤ 52 bits
    else:
        lim, scale = 15.0, 2.0**7  # |xh|·2^7 < 2^11 → xh² has ≤ 22 bits
    xc = x.clamp(-lim, lim)
    xh = torch.round(xc * scale) / scale
    xl = xc - xh
    return torch.exp(-0.5 * (xh * xh)) * torch.exp(-xl * (xh + 0.5 * xl)) * INV_SQRT_2PI


def _ndtr(x):
    r"""``Φ(x) = erfc(-x/√2)/2``: accurate in both tails (no ``1 + erf`` cancellation)."""

    return 0.5 * torch.erfc(-INV_SQRT_2 * x)


def _gelu_lim(x):
    """A point past which ``Φ(-L)`` is exactly 0 in the compute dtype."""
    return 40.0 if x.dtype == torch.float64 else 15.0


def _gelu_tanh_t(x):
    # t = 2u, u = √(2/π)(x + 0.044715x³); 0.5x(1 + tanh u) = x·σ(2u) without the 1 + tanh
    # cancellation for negative x.
    return (2.0 * SQRT_2_OVER_PI) * x * (1.0 + GELU_TANH_C * (x * x))


def _ndtr_ip(x):
    return (x * -INV_SQRT_2).erfc_().mul_(0.5)


def _gelu_tanh_t_ip(xc):
    """:func:`_gelu_tanh_t` (``xc`` is not modified)."""
    q = xc * xc
    q.mul_(GELU_TANH_C).add_(1.0)
    return (xc * (2.0 * SQRT_2_OVER_PI)).mul_(q)


def _mish_parts(x):
    r"""``g = tanh(softplus(x))`` and ``g'`` from ``e = exp(−|x|)`` (never overflows).

    With ``n = eˣ(eˣ + 2)``, ``tanh(log(1 + eˣ)) = n/(n + 2)`` and
    ``d/dx tanh(softplus(x)) = 4eˣ(1 + eˣ)/(n + 2)²``. In terms of ``e = exp(−|x|)``:

    * ``x ≤ 0``: ``g = e(e + 2)/(e² + 2e + 2)``,  ``g' = 4e(1 + e)/(e² + 2e + 2)²``
    * ``x > 0``: ``g = (1 + 2e)/(2e² + 2e + 1)``, ``g' = 4e²(1 + e)/(2e² + 2e + 1)²``
    """

    pos = x > 0
    e = _exp_neg_abs(x, pos)
    e2 = e * e
    num = torch.where(pos, 1.0 + 2.0 * e, e * (e + 2.0))
    den = torch.where(pos, 2.0 * e2 + 2.0 * e + 1.0, e2 + 2.0 * e + 2.0)
    g = num / den
    dg = 4.0 * (1.0 + e) * torch.where(pos, e2, e) / (den * den)
    return g, dg


def _mish_parts_ip(x, derivative):
    e = _e_abs(x)
    pos = x > 0
    e2 = e * e
    te = e * 2.0
    num = torch.where(pos, te + 1.0, (e + 2.0).mul_(e))
    den = torch.where(pos, (e2 * 2.0).add_(te).add_(1.0), (e2 + te).add_(2.0))
    g = num.div_(den)
    if not derivative:
        return g, None
    w = torch.where(pos, e2, e)
    return g, e.add_(1.0).mul_(4.0).mul_(w).div_(den.mul_(den))


class _Smooth(Elementwise):
    """Smooth, ReLU-like units."""

    family = "smooth ReLU-like"


class GELU(_Smooth):
    r"""Gaussian error linear unit: x weighted by the probability that a standard normal is below x.

    :formula: x*Phi(x) = x/2*(1 + erf(x/sqrt(2)))
    :formula[approximate=tanh]: x/2*(1 + tanh(sqrt(2/pi)*(x + GELU_TANH_C*x**3)))
    :formula[approximate=sigmoid]: x*sigma(GELU_SIGMOID_K*x)
    :derivative: Phi(x) + x*phi(x)
    :where: phi(x) = exp(-x**2/2)/sqrt(2*pi)
    :paper: hendrycks2016
    :example: GELU(approximate="tanh") | [0.0, 100.0] | tensor([  0., 100.])
    """

    params = {"approximate": choice("none", "tanh", "sigmoid",
                                    doc='"none" (exact, x·Φ(x)), "tanh" or "sigmoid" (x·σ(1.702x))')}

    def f(x, approximate):
        if approximate == "none":
            return _with_limits(x, lambda v: v * special.ndtr(v), 0.0, np.inf)
        if approximate == "tanh":  # ½x(1 + tanh u) = x·σ(2u)
            return _with_limits(x, lambda v: _mul_sigmoid(v, _gelu_tanh_u(v)), 0.0, np.inf)
        return _with_limits(x, lambda v: _mul_sigmoid(v, GELU_SIGMOID_K * v), 0.0, np.inf)

    def df(x, approximate):
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
        return Swish.df(xc, GELU_SIGMOID_K)

    def torch_f(x, approximate):
        if approximate == "none":
            # x·Φ(x); for x < −L, Φ(x) is exactly 0 so clamping x there changes nothing,
            # except that −inf·0 = nan becomes 0.
            return x.clamp(min=-_gelu_lim(x)) * _ndtr(x)
        if approximate == "tanh":
            # σ(t(±30)) is exactly 0 / 1 in float32 and float64.
            xl = x.clamp(min=-30.0)
            return xl * _sigmoid(_gelu_tanh_t(xl.clamp(max=30.0)))
        return Swish.torch_f(x, GELU_SIGMOID_K)  # "sigmoid": x·σ(1.702x)

    def torch_df(x, approximate):
        if approximate == "none":
            # Φ(x) + x·φ(x); φ clamps its argument, x is clamped alike so ±inf·0 cannot occur.
            lim = _gelu_lim(x)
            xc = x.clamp(-lim, lim)
            return _ndtr(x) + xc * _phi(xc)
        if approximate == "tanh":
            xc = x.clamp(-30.0, 30.0)
            t = _gelu_tanh_t(xc)
            dt = (2.0 * SQRT_2_OVER_PI) * (1.0 + (3.0 * GELU_TANH_C) * (xc * xc))
            p, dp = _logistic(t)
            return p + xc * dt * dp
        return Swish.torch_df(x, GELU_SIGMOID_K)

    def torch_f_fast(x, approximate):
        if approximate == "none":
            return _ndtr_ip(x).mul_(x.clamp(min=-_gelu_lim(x)))
        if approximate == "tanh":
            xl = x.clamp(min=-30.0)
            return _sigmoid_ip(_gelu_tanh_t_ip(xl.clamp(max=30.0))).mul_(xl)
        return Swish.torch_f_fast(x, GELU_SIGMOID_K)

    def torch_df_fast(x, approximate):
        if approximate == "none":
            if x.dtype == torch.float64:
                lim, scale = 40.0, 2.0**20
            else:
                lim, scale = 15.0, 2.0**7
            xc = x.clamp(-lim, lim)
            xh = (xc * scale).round_().div_(scale)
            xl = xc - xh
            b = (xl * 0.5).add_(xh).mul_(xl).neg_().exp_()  # exp(−xl·(xh + xl/2))
            phi = xh.mul_(xh).mul_(-0.5).exp_().mul_(b).mul_(INV_SQRT_2PI)
            return phi.mul_(xc).add_(_ndtr_ip(x))
        if approximate == "tanh":
            xc = x.clamp(-30.0, 30.0)
            t = _gelu_tanh_t_ip(xc)
            dt = (xc * xc).mul_(3.0 * GELU_TANH_C).add_(1.0).mul_(2.0 * SQRT_2_OVER_PI)
            p, dp = _logistic_ip(t)
            return dt.mul_(xc).mul_(dp).add_(p)
        return Swish.torch_df_fast(x, GELU_SIGMOID_K)


class Swish(_Smooth):
    r"""Self-gated unit; β = 1 is SiLU, β → ∞ approaches ReLU, β = 0 gives x/2.

    :formula: x*sigma(beta*x)
    :derivative: sigma(beta*x) + beta*x*sigma(beta*x)*(1 - sigma(beta*x))
    :paper: ramachandran2017
    :example: Swish(beta=1.0) | [0.0] | tensor([0.])
    """

    aliases = ("silu",)
    params = {"beta": real(1.0, nonnegative=True, doc="β >= 0 (1: SiLU; 0: x/2; → ∞: ReLU)")}

    def f(x, beta):
        at_neg_inf = 0.0 if beta > 0 else -np.inf
        return _with_limits(x, lambda v: _mul_sigmoid(v, beta * v), at_neg_inf, np.inf)

    def df(x, beta):
        # d/dx x·σ(βx) = σ(z)·(1 + z·σ(-z)), z = βx.
        # clip x first so that β = 0 never meets inf; then z, where the tails are flat
        z = np.clip(beta * np.clip(x, -1e300, 1e300), -_CLAMP, _CLAMP)
        return _keep_nan(x, _mul_sigmoid(1.0 + z * special.expit(-z), z))

    def torch_f(x, beta):
        p = _sigmoid(beta * x)
        # x·σ(βx) is inf·0 at x = −inf (β > 0); the limit there is 0. Where σ underflows to 0
        # the product underflows too, so selecting 0 there is exact.
        return torch.where(p == 0, 0.0, x * p)

    def torch_df(x, beta):
        t = beta * x
        # d/dx x·σ(βx) = σ(t) + t·σ(t)σ(−t). Clamp t: σσ(±1500) == 0 exactly, so the second
        # term is 0 past it and t = ±inf cannot give inf·0.
        tc = t.clamp(-1500.0, 1500.0)
        p, dp = _logistic(tc)  # σ(±1500) is exactly 0 / 1: clamping t changes no value
        return p + tc * dp

    def torch_f_fast(x, beta):
        p = _sigmoid_ip(_scaled(x, beta))
        zero = p == 0
        return p.mul_(x).masked_fill_(zero, 0.0)

    def torch_df_fast(x, beta):
        tc = _scaled(x, beta).clamp(-1500.0, 1500.0)
        p, dp = _logistic_ip(tc)
        return dp.mul_(tc).add_(p)


class Mish(_Smooth):
    r"""Self-regularised non-monotonic activation.

    :formula: x*tanh(softplus(x)) = x*tanh(log(1 + exp(x)))
    :derivative: tanh(softplus(x)) + x*sigma(x)*sech(softplus(x))**2
    :paper: misra2019
    :example: Mish() | [0.0] | tensor([0.])
    """

    def f(x):
        # tanh(softplus x) = n/(n+2), n = e^x(e^x+2). With t = e^{-|x|}:
        #   x > 0: (1+2t)/(1+2t+2t²);   x <= 0: e^x·(t+2)/(t(t+2)+2).
        t = np.exp(-np.abs(x))
        right = x * (1.0 + 2.0 * t) / (1.0 + 2.0 * t * (1.0 + t))
        xl = np.clip(x, -_CLAMP, 0.0)
        left = _mul_exp(xl * (t + 2.0) / (t * (t + 2.0) + 2.0), xl)
        return np.where(x > 0, right, left)

    def df(x):
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

    def torch_f(x):
        g, _ = _mish_parts(x)
        return x.clamp(min=-800.0) * g  # g(x < −800) == 0 exactly; avoids −inf·0

    def torch_df(x):
        g, dg = _mish_parts(x)
        return g + x.clamp(-800.0, 800.0) * dg  # dg(|x| > 800) == 0 exactly

    def torch_f_fast(x):
        return _mish_parts_ip(x, False)[0].mul_(x.clamp(min=-800.0))

    def torch_df_fast(x):
        g, dg = _mish_parts_ip(x, True)
        return dg.mul_(x.clamp(-800.0, 800.0)).add_(g)


class Softplus(_Smooth):
    r"""Smooth ReLU; exact for every x here (torch's native form switches to x above a threshold).

    :formula: log(1 + exp(beta*x))/beta
    :derivative: sigma(beta*x)
    :paper: dugas2000
    :example: Softplus() | [0.0] | tensor([0.6931])
    """

    params = {"beta": real(1.0, positive=True, doc="β > 0: the sharpness (→ ∞: ReLU)")}

    def f(x, beta):
        # log(1 + e^z)/β = (max(z, 0) + log1p(e^{-|z|}))/β, z = βx: exact for every x,
        # no threshold (torch's native threshold=20 is off by ~6e5 ulp at 20.0000001).
        # (np.logaddexp is the same formula but warns at -inf.)
        # max(βx, 0)/β = max(x, 0) exactly, so only the log1p term is divided by β
        # (and βx overflowing to inf cannot turn a finite x into inf).
        if beta == 1.0:
            return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
        return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(beta * x))) / beta

    def df(x, beta):
        return special.expit(x if beta == 1.0 else beta * x)

    def torch_f(x, beta):
        t = beta * x
        # log(1 + e^t) = max(t, 0) + log1p(e^{−|t|}): exact for every t, no threshold.
        return (t.clamp(min=0.0) + torch.log1p(_exp_neg_abs(t, t >= 0))) / beta

    def torch_df(x, beta):
        return _sigmoid(beta * x)

    def torch_f_fast(x, beta):
        t = _scaled(x, beta)
        r = _e_abs(t).log1p_().add_(t.clamp(min=0.0))
        return r if beta == 1.0 else r.div_(beta)

    def torch_df_fast(x, beta):
        return _sigmoid_ip(_scaled(x, beta))
