r"""Torch forms of the activations: ``torch.autograd.Function``\ s with analytic backwards.

Every activation here is a small autograd ``Function`` in the micrograd style: the forward
``f`` and the derivative ``df`` are written next to each other, and ``backward`` is the
chain rule ``grad · f'(x)`` evaluated with that ``df``. Nothing is delegated to torch's own
activation kernels (no ``F.gelu`` renamed); torch supplies only the elementary functions
(``exp``, ``expm1``, ``log1p``, ``erfc``, ``tanh``).

Design rules (shared with the numpy forms in :mod:`acts`, whose accuracy bar is jax.nn):

* **Save the input only.** ``ctx.save_for_backward(x)`` and nothing else; the backward
  recomputes what it needs from ``x``. That keeps the memory of forward+backward at one
  tensor per activation (torch's native ops save the input or the output, the same size),
  and it is what ``torch.compile`` fuses best: the recomputation happens inside the fused
  backward kernel. Parameters that are tensors (PReLU's weight, Dice's α and running
  statistics) are inputs too, and are saved as such. Two deliberate exceptions:
  ``identity`` and ``binary_step`` save nothing (their derivative is a constant), and
  ``rrelu`` in training mode saves the sampled slope tensor instead of ``x`` (one tensor
  of the same size: the slopes cannot be recomputed from ``x``).
* **Stable forms.** ``expm1``/``log1p``; softplus as ``max(t, 0) + log1p(exp(-|t|))`` for
  every ``t`` (no threshold cut-off); ``σ`` and ``σ' = σ(t)σ(−t) = e/(1 + e)²`` from
  ``e = exp(−|t|)`` (no overflow, no ``1 − σ`` cancellation, subnormal tails kept);
  ``sech² x = 4σ(2x)σ(−2x)`` instead of ``1 − tanh²``; ``Φ(x) = erfc(−x/√2)/2``; the
  Gaussian density with ``x²`` split into an exact high part and a small low part;
  max-shifted softmax and ``z − log1p(Σ_{j ≠ argmax} e^{z_j})`` for log-softmax.
* **No NaN from branches not taken.** Where a formula would produce ``inf · 0`` at
  ``x = ±inf`` (``x·σ(x)``, ``x·Φ(x)``, ``x·φ(x)``), the input of that branch is clamped
  to a finite value past which the result no longer changes (e.g. ``Φ(-40) == 0``
  exactly in float64), or the product is taken as 0 where its small factor underflowed
  to 0. Because the backward is analytic, ``torch.where`` never sees a
  gradient of the branch it did not select (the classic ``where`` NaN-gradient trap cannot
  occur), and the derivative formulas are clamped the same way, so ``gelu(-inf) == 0``
  with gradient ``0`` and ``softplus(inf) == inf`` with gradient ``1``.
* **No data-dependent Python control flow**: every function traces under
  ``torch.compile`` (see :func:`compiled`). Branches on dtype, shape and parameter values
  only.
* **dtypes.** float64 and float32 are computed in their own precision; float16, bfloat16
  (and other narrow floats) are computed in float32 and cast back; integer and bool
  inputs become the default float dtype; complex raises ``TypeError``. Everything runs on
  ``x``'s device.
* **Speed.** Eagerly each torch op is one pass over memory into a new tensor, so the hot
  forms have *fast* twins (``_*_ip``) that perform the same floating-point operations in the
  same order, bit for bit, while reusing their temporaries in place; they run whenever
  autograd is not recording (double backward keeps the reference forms). Under
  ``torch.compile`` (:func:`compiled`) every form becomes one fused forward and one fused
  backward kernel; see the chapter "Activations and the hardware" and ``python -m course.bench``.

Public interface used by the registry (:mod:`acts._registry`):

``FUNCTIONS``
    name → ``fn(x, **params) -> Tensor`` (the registry fills in defaults and validates).
``MODULES``
    name → ``torch.nn.Module`` class, constructed with the activation's parameters as
    keyword arguments plus module-only ones (see each class's ``defaults``).
``compiled(name, **params)``
    a lazily ``torch.compile``\ d form, compiled once per (name, params, dtype, device)
    (one graph for every shape), saving only its input, with the compile time (forward and
    backward) recorded.
"""
from __future__ import annotations

import inspect
import logging
import math
import numbers
import time
import types
from typing import Any, Callable

import numpy as np
import torch
import torch.utils.checkpoint
from torch import Tensor, nn

__all__ = ["FUNCTIONS", "MODULES", "compiled", "CompiledActivation"]

_log = logging.getLogger("acts.torch")

from .constants import GELU_SIGMOID_K, GELU_TANH_C as _GELU_TANH_C, INV_SQRT_2 as _SQRT_HALF  # noqa: E402
from .constants import INV_SQRT_2PI as _INV_SQRT_2PI, SELU_ALPHA, SELU_LAMBDA  # noqa: E402
from .constants import SQRT_2_OVER_PI as _SQRT_2_OVER_PI  # noqa: E402

_APPROXIMATE = ("none", "tanh", "sigmoid")


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------
def _as_input(x: Any) -> Tensor:
    """Return ``x`` as a real floating tensor (ints/bool → default float dtype)."""
    if not isinstance(x, Tensor):
        x = torch.as_tensor(x)
    if x.is_complex():
        raise TypeError(
            f"acts torch forms accept real tensors (float16, bfloat16, float32, float64; "
            f"integers are converted to {torch.get_default_dtype()}), not {x.dtype}"
        )
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    return x


def _up(t: Tensor) -> Tensor:
    """The compute dtype: float64 and float32 stay, narrower floats go to float32."""
    if t.dtype == torch.float64 or t.dtype == torch.float32:
        return t
    return t.float()


def _up_param(p: Any) -> Any:
    """Tensor parameters follow :func:`_up`; Python numbers and None pass through."""
    return _up(p) if isinstance(p, Tensor) else p


def _exp_neg_abs(t: Tensor, branch: Tensor) -> Tensor:
    r"""``exp(−|t|)`` whose autograd derivative is that of the branch a formula uses at ``t = 0``:
    ``exp(−t)`` where ``branch`` (the ``t ≥ 0`` or ``t > 0`` side) holds, else ``exp(t)``.

    ``torch.abs`` has derivative 0 at 0, so ``exp(−|t|)`` differentiates to 0 there and every
    second derivative built on it (double backward of σ, softplus, swish, mish) came out wrong
    at exactly 0 (mish″(0) = 0.32 instead of 0.64). The values are the same bit for bit.
    """
    return torch.exp(torch.where(branch, -t, t))


def _sigmoid(t: Tensor) -> Tensor:
    r"""``σ(t) = 1/(1 + e^{−t})`` from ``e = exp(−|t|)``: ``1/(1 + e)`` for ``t ≥ 0``, ``e/(1 + e)``
    for ``t < 0``.

    ``exp`` never overflows, so ``σ(t)`` for ``t < −709.78`` is the subnormal ``e^t``, not 0
    (``torch.sigmoid`` and scipy's ``expit`` compute ``1/(1 + e^{−t})`` and flush it to 0,
    which makes ``swish(−710) = −710·σ(−710)``, a normal number, come out as 0).
    """
    pos = t >= 0
    e = _exp_neg_abs(t, pos)
    return torch.where(pos, 1.0, e) / (1.0 + e)


def _dsigmoid(t: Tensor) -> Tensor:
    r"""``σ'(t) = σ(t)·σ(−t) = e/(1 + e)²`` with ``e = exp(−|t|)`` — no ``1 − σ``.

    ``1 − σ(t)`` loses all relative accuracy for large ``t``; this form keeps it into the
    subnormal range and never overflows. At ``t = ±inf`` it is ``0``.
    """
    e = torch.exp(-t.abs())
    return e / ((1.0 + e) * (1.0 + e))


def _logistic(t: Tensor) -> tuple[Tensor, Tensor]:
    """``(σ(t), σ'(t))`` sharing one ``exp`` (see :func:`_sigmoid`, :func:`_dsigmoid`)."""
    pos = t >= 0
    e = _exp_neg_abs(t, pos)
    d = 1.0 + e
    return torch.where(pos, 1.0, e) / d, e / (d * d)


def _phi(x: Tensor) -> Tensor:
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
    return torch.exp(-0.5 * (xh * xh)) * torch.exp(-xl * (xh + 0.5 * xl)) * _INV_SQRT_2PI


def _ndtr(x: Tensor) -> Tensor:
    r"""``Φ(x) = erfc(-x/√2)/2``: accurate in both tails (no ``1 + erf`` cancellation)."""
    return 0.5 * torch.erfc(-_SQRT_HALF * x)


_EXPM1_TAYLOR = tuple(1.0 / math.factorial(k + 1) for k in range(9))  # e^t − 1 = t·Σ t^k/(k+1)!


def _expm1(t: Tensor) -> Tensor:
    r"""``eᵗ − 1``, accurate also under ``torch.compile`` on the CPU.

    Inductor's vectorised CPU code computes ``expm1(t)`` as ``exp(t) − 1`` (torch 2.13), which
    keeps an absolute error of about one ulp *of 1*: near ``t = 0`` all relative accuracy is
    gone (``elu(−1e−5)`` comes out 0.14 % too large, ~10⁴ ulp in float32). Compiled on the CPU
    this therefore uses, in float32, ``exp(t) − 1`` only for ``|t| ≥ 1/2`` (there
    ``|eᵗ − 1| > 0.39`` and the subtraction costs at most an ulp or so) and the Taylor
    polynomial ``t·Σₖ₌₀⁸ tᵏ/(k+1)!`` inside (its remainder is below 2⁻²⁶ relative): an ``exp``
    and eight multiply-adds. In float64 it uses the exact identity
    ``eᵗ − 1 = tanh(t/2)·(eᵗ + 1)`` (nothing cancels; the polynomial would need 17 terms).
    Eager (and CUDA, whose ``expm1`` is the libdevice one) keep ``torch.expm1``.
    """
    if torch.compiler.is_compiling() and t.device.type == "cpu":
        if t.dtype == torch.float32:
            s = torch.full_like(t, _EXPM1_TAYLOR[-1])
            for a in reversed(_EXPM1_TAYLOR[:-1]):
                s = s * t + a
            return torch.where(t.abs() < 0.5, t * s, torch.exp(t) - 1.0)
        return torch.tanh(0.5 * t) * (torch.exp(t) + 1.0)
    return torch.expm1(t)


def _gelu_lim(x: Tensor) -> float:
    """A point past which ``Φ(-L)`` is exactly 0 in the compute dtype."""
    return 40.0 if x.dtype == torch.float64 else 15.0


# ---------------------------------------------------------------------------------------
# Elementwise activations: each forward f(x, *params) beside its derivative df(x, *params).
# x is already in the compute dtype (float32 or float64).
# ---------------------------------------------------------------------------------------
def _sigmoid_f(x):
    return _sigmoid(x)


def _sigmoid_df(x):
    return _dsigmoid(x)  # σ'(x) = σ(x)σ(−x)


def _tanh_f(x):
    return torch.tanh(x)


def _tanh_df(x):
    return 4.0 * _dsigmoid(2.0 * x)  # tanh' = sech² = 4σ(2x)σ(−2x): exact in the tails, unlike 1 − tanh²


def _relu_f(x):
    return x.clamp(min=0.0)  # clamp propagates NaN


def _relu_df(x):
    return (x > 0).to(x.dtype)  # relu'(0) = 0, as torch


def _leaky_relu_f(x, negative_slope):
    return torch.where(x > 0, x, x * negative_slope)


def _leaky_relu_df(x, negative_slope):
    # derivative at 0 is negative_slope, as torch
    return torch.where(x > 0, 1.0, x.new_full((), negative_slope))


def _elu_f(x, alpha):
    # expm1 on min(x, 0): the positive branch never overflows to inf
    return torch.where(x > 0, x, alpha * _expm1(x.clamp(max=0.0)))


def _elu_df(x, alpha):
    return torch.where(x > 0, 1.0, alpha * torch.exp(x.clamp(max=0.0)))  # elu'(0) = α


def _selu_f(x):
    return SELU_LAMBDA * _elu_f(x, SELU_ALPHA)


def _selu_df(x):
    return SELU_LAMBDA * _elu_df(x, SELU_ALPHA)  # selu'(0) = λα


def _celu_f(x, alpha):
    return torch.where(x > 0, x, alpha * _expm1(x.clamp(max=0.0) / alpha))


def _celu_df(x, alpha):
    return torch.where(x > 0, 1.0, torch.exp(x.clamp(max=0.0) / alpha))  # celu'(0) = 1


def _swish_f(x, beta):
    p = _sigmoid(beta * x)
    # x·σ(βx) is inf·0 at x = −inf (β > 0); the limit there is 0. Where σ underflows to 0
    # the product underflows too, so selecting 0 there is exact.
    return torch.where(p == 0, 0.0, x * p)


def _swish_df(x, beta):
    t = beta * x
    # d/dx x·σ(βx) = σ(t) + t·σ(t)σ(−t). Clamp t: σσ(±1500) == 0 exactly, so the second
    # term is 0 past it and t = ±inf cannot give inf·0.
    tc = t.clamp(-1500.0, 1500.0)
    p, dp = _logistic(tc)  # σ(±1500) is exactly 0 / 1: clamping t changes no value
    return p + tc * dp


def _gelu_tanh_t(x):
    # t = 2u, u = √(2/π)(x + 0.044715x³); 0.5x(1 + tanh u) = x·σ(2u) without the 1 + tanh
    # cancellation for negative x.
    return (2.0 * _SQRT_2_OVER_PI) * x * (1.0 + _GELU_TANH_C * (x * x))


def _gelu_f(x, approximate):
    if approximate == "none":
        # x·Φ(x); for x < −L, Φ(x) is exactly 0 so clamping x there changes nothing,
        # except that −inf·0 = nan becomes 0.
        return x.clamp(min=-_gelu_lim(x)) * _ndtr(x)
    if approximate == "tanh":
        # σ(t(±30)) is exactly 0 / 1 in float32 and float64.
        xl = x.clamp(min=-30.0)
        return xl * _sigmoid(_gelu_tanh_t(xl.clamp(max=30.0)))
    return _swish_f(x, GELU_SIGMOID_K)  # "sigmoid": x·σ(1.702x)


def _gelu_df(x, approximate):
    if approximate == "none":
        # Φ(x) + x·φ(x); φ clamps its argument, x is clamped alike so ±inf·0 cannot occur.
        lim = _gelu_lim(x)
        xc = x.clamp(-lim, lim)
        return _ndtr(x) + xc * _phi(xc)
    if approximate == "tanh":
        xc = x.clamp(-30.0, 30.0)
        t = _gelu_tanh_t(xc)
        dt = (2.0 * _SQRT_2_OVER_PI) * (1.0 + (3.0 * _GELU_TANH_C) * (xc * xc))
        p, dp = _logistic(t)
        return p + xc * dt * dp
    return _swish_df(x, GELU_SIGMOID_K)


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


def _mish_f(x):
    g, _ = _mish_parts(x)
    return x.clamp(min=-800.0) * g  # g(x < −800) == 0 exactly; avoids −inf·0


def _mish_df(x):
    g, dg = _mish_parts(x)
    return g + x.clamp(-800.0, 800.0) * dg  # dg(|x| > 800) == 0 exactly


def _softplus_f(x, beta):
    t = beta * x
    # log(1 + e^t) = max(t, 0) + log1p(e^{−|t|}): exact for every t, no threshold.
    return (t.clamp(min=0.0) + torch.log1p(_exp_neg_abs(t, t >= 0))) / beta


def _softplus_df(x, beta):
    return _sigmoid(beta * x)


_SOFTSIGN_BIG = 2.0**60  # 1 + 2^60 == 2^60 in float32 and float64, so f(±2^60) == ±1


def _softsign_f(x):
    xc = x.clamp(-_SOFTSIGN_BIG, _SOFTSIGN_BIG)  # ±inf/(1 + inf) would be nan
    return xc / (1.0 + xc.abs())


def _softsign_df(x):
    r = 1.0 / (1.0 + x.abs())
    return r * r  # 1/(1 + |x|)², 0 at ±inf, never overflows


def _hardtanh_f(x, min_val, max_val):
    return x.clamp(min_val, max_val)


def _hardtanh_df(x, min_val, max_val):
    return ((x > min_val) & (x < max_val)).to(x.dtype)  # 0 at both kinks, as torch


def _hardsigmoid_f(x):
    # relu6(x + 3)/6; x + 3 is exact near −3, unlike x/6 + 1/2
    return (x + 3.0).clamp(0.0, 6.0) / 6.0


def _hardsigmoid_df(x):
    return ((x > -3.0) & (x < 3.0)).to(x.dtype) / 6.0  # 0 at ±3, as torch


def _hardswish_f(x):
    xl = x.clamp(min=-3.0)  # x·(x+3)/6 is 0 at −3; clamping avoids −inf·0 and keeps NaN
    return torch.where(x >= 3.0, x, xl * (xl + 3.0) / 6.0)


def _hardswish_df(x):
    # torch's convention: 0 for x ≤ −3, (2x + 3)/6 for −3 < x < 3, 1 for x ≥ 3
    return torch.where(x >= 3.0, 1.0, torch.where(x > -3.0, (2.0 * x + 3.0) / 6.0, 0.0))


def _relu6_f(x):
    return x.clamp(0.0, 6.0)


def _relu6_df(x):
    return ((x > 0.0) & (x < 6.0)).to(x.dtype)  # 0 at 0 and 6, as torch


# ---------------------------------------------------------------------------------------
# Fast eager forms: the same arithmetic with fewer temporaries
# ---------------------------------------------------------------------------------------
# Eager torch runs every op of a formula as its own pass over memory, into a freshly
# allocated tensor. On the CPU a fresh tensor of 1e7 floats costs more than the arithmetic
# on it: the allocator maps new pages and the kernel page-faults on each of them. The forms
# below compute exactly the same floating-point operations, in the same order, as the
# reference forms above (so the results are bitwise equal: tests/test_torch.py checks it),
# but reuse their temporaries with in-place ops and ``masked_fill_`` instead of
# ``torch.where`` with a constant. In-place arithmetic is only safe when autograd is not
# recording: always inside ``Function.forward``; in ``backward`` unless the caller asked
# for ``create_graph=True`` (double backward), which then takes the reference forms.
# Under ``torch.compile`` both forms give the same fused kernel (in-place ops on
# temporaries are functionalised away).
def _e_abs(t: Tensor) -> Tensor:
    """``exp(−|t|)`` in one buffer."""
    return t.abs().neg_().exp_()


def _sigmoid_ip(t: Tensor) -> Tensor:
    e = _e_abs(t)
    d = e + 1.0
    return e.masked_fill_(t >= 0, 1.0).div_(d)


def _dsigmoid_ip(t: Tensor) -> Tensor:
    e = _e_abs(t)
    d = e + 1.0
    return e.div_(d.mul_(d))


def _logistic_ip(t: Tensor) -> tuple[Tensor, Tensor]:
    e = _e_abs(t)
    d = e + 1.0
    s = torch.where(t >= 0, 1.0, e).div_(d)
    return s, e.div_(d.mul_(d))


def _expm1_ip(t: Tensor) -> Tensor:
    """:func:`_expm1` overwriting ``t`` (a temporary) where that is exact."""
    if torch.compiler.is_compiling() and t.device.type == "cpu":
        return _expm1(t)
    return t.expm1_()


def _scaled(x: Tensor, beta: float) -> Tensor:
    """``beta·x`` (a new tensor), or ``x`` itself for ``beta = 1`` (``1·x`` is exactly ``x``):
    callers must not write into the result."""
    return x if beta == 1.0 else x * beta


def _sigmoid_df_ip(x):
    return _dsigmoid_ip(x)


def _tanh_df_ip(x):
    e = x.abs().mul_(-2.0).exp_()  # exp(−|2x|): 2|x| is exact
    d = e + 1.0
    return e.div_(d.mul_(d)).mul_(4.0)


def _relu_df_ip(x):
    return (x > 0).to(x.dtype)


def _elu_f_ip(x, alpha):
    m = _expm1_ip(x.clamp(max=0.0))
    if alpha != 1.0:
        m.mul_(alpha)
    return torch.where(x > 0, x, m)


def _elu_df_ip(x, alpha):
    m = x.clamp(max=0.0).exp_()
    if alpha != 1.0:
        m.mul_(alpha)
    return m.masked_fill_(x > 0, 1.0)


def _selu_f_ip(x):
    return _elu_f_ip(x, SELU_ALPHA).mul_(SELU_LAMBDA)


def _selu_df_ip(x):
    return _elu_df_ip(x, SELU_ALPHA).mul_(SELU_LAMBDA)


def _celu_f_ip(x, alpha):
    m = x.clamp(max=0.0)
    if alpha != 1.0:
        m.div_(alpha)
    m = _expm1_ip(m)
    if alpha != 1.0:
        m.mul_(alpha)
    return torch.where(x > 0, x, m)


def _celu_df_ip(x, alpha):
    m = x.clamp(max=0.0)
    if alpha != 1.0:
        m.div_(alpha)
    return m.exp_().masked_fill_(x > 0, 1.0)


def _swish_f_ip(x, beta):
    p = _sigmoid_ip(_scaled(x, beta))
    zero = p == 0
    return p.mul_(x).masked_fill_(zero, 0.0)


def _swish_df_ip(x, beta):
    tc = _scaled(x, beta).clamp(-1500.0, 1500.0)
    p, dp = _logistic_ip(tc)
    return dp.mul_(tc).add_(p)


def _ndtr_ip(x: Tensor) -> Tensor:
    return (x * -_SQRT_HALF).erfc_().mul_(0.5)


def _gelu_tanh_t_ip(xc: Tensor) -> Tensor:
    """:func:`_gelu_tanh_t` (``xc`` is not modified)."""
    q = xc * xc
    q.mul_(_GELU_TANH_C).add_(1.0)
    return (xc * (2.0 * _SQRT_2_OVER_PI)).mul_(q)


def _gelu_f_ip(x, approximate):
    if approximate == "none":
        return _ndtr_ip(x).mul_(x.clamp(min=-_gelu_lim(x)))
    if approximate == "tanh":
        xl = x.clamp(min=-30.0)
        return _sigmoid_ip(_gelu_tanh_t_ip(xl.clamp(max=30.0))).mul_(xl)
    return _swish_f_ip(x, GELU_SIGMOID_K)


def _gelu_df_ip(x, approximate):
    if approximate == "none":
        if x.dtype == torch.float64:
            lim, scale = 40.0, 2.0**20
        else:
            lim, scale = 15.0, 2.0**7
        xc = x.clamp(-lim, lim)
        xh = (xc * scale).round_().div_(scale)
        xl = xc - xh
        b = (xl * 0.5).add_(xh).mul_(xl).neg_().exp_()  # exp(−xl·(xh + xl/2))
        phi = xh.mul_(xh).mul_(-0.5).exp_().mul_(b).mul_(_INV_SQRT_2PI)
        return phi.mul_(xc).add_(_ndtr_ip(x))
    if approximate == "tanh":
        xc = x.clamp(-30.0, 30.0)
        t = _gelu_tanh_t_ip(xc)
        dt = (xc * xc).mul_(3.0 * _GELU_TANH_C).add_(1.0).mul_(2.0 * _SQRT_2_OVER_PI)
        p, dp = _logistic_ip(t)
        return dt.mul_(xc).mul_(dp).add_(p)
    return _swish_df_ip(x, GELU_SIGMOID_K)


def _mish_parts_ip(x, derivative: bool):
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


def _mish_f_ip(x):
    return _mish_parts_ip(x, False)[0].mul_(x.clamp(min=-800.0))


def _mish_df_ip(x):
    g, dg = _mish_parts_ip(x, True)
    return dg.mul_(x.clamp(-800.0, 800.0)).add_(g)


def _softplus_f_ip(x, beta):
    t = _scaled(x, beta)
    r = _e_abs(t).log1p_().add_(t.clamp(min=0.0))
    return r if beta == 1.0 else r.div_(beta)


def _softplus_df_ip(x, beta):
    return _sigmoid_ip(_scaled(x, beta))


def _softsign_f_ip(x):
    xc = x.clamp(-_SOFTSIGN_BIG, _SOFTSIGN_BIG)
    return xc.div_(xc.abs().add_(1.0))


def _softsign_df_ip(x):
    r = torch.div(1.0, x.abs().add_(1.0))
    return r.mul_(r)


def _hardswish_f_ip(x):
    xl = x.clamp(min=-3.0)
    return torch.where(x >= 3.0, x, (xl + 3.0).mul_(xl).div_(6.0))


def _hardswish_df_ip(x):
    v = (x * 2.0).add_(3.0).div_(6.0).masked_fill_(~(x > -3.0), 0.0)
    return v.masked_fill_(x >= 3.0, 1.0)


#: Function name → (f, df, fast f, fast df): the fast pair equals the reference pair bit for bit.
_FAST: dict[str, tuple[Callable, Callable, Callable, Callable]] = {}


# ---------------------------------------------------------------------------------------
# The autograd Function for elementwise activations
# ---------------------------------------------------------------------------------------
def _elementwise_function(name: str, f: Callable, df: Callable, fast: tuple | None = None) -> type:
    """An autograd ``Function`` computing ``f`` with backward ``grad · df(x)``.

    Saves only the input ``x``; extra arguments are Python numbers/strings kept on ctx.
    ``fast`` = (f, df) computing the same values with fewer temporaries (see above); they
    run whenever autograd is not recording.
    """
    ff, dff = fast if fast is not None else (f, df)

    def forward(ctx, x, *params):
        ctx.save_for_backward(x)
        ctx.params = params
        return ff(_up(x), *params).to(x.dtype)

    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: differentiable reference form
            gx = _up(grad) * df(_up(x), *ctx.params)
        else:
            gx = dff(_up(x), *ctx.params).mul_(_up(grad))
        return (gx.to(x.dtype),) + (None,) * len(ctx.params)

    if fast is not None:
        _FAST[name] = (f, df, ff, dff)
    doc = f"Autograd Function for ``{name}``: forward ``{f.__name__}``, backward ``grad·{df.__name__}``."
    return type(
        f"{name}Function",
        (torch.autograd.Function,),
        {"forward": staticmethod(forward), "backward": staticmethod(backward), "__doc__": doc},
    )


_Sigmoid = _elementwise_function("Sigmoid", _sigmoid_f, _sigmoid_df, (_sigmoid_ip, _sigmoid_df_ip))
_Tanh = _elementwise_function("Tanh", _tanh_f, _tanh_df, (_tanh_f, _tanh_df_ip))
_ReLU = _elementwise_function("ReLU", _relu_f, _relu_df, (_relu_f, _relu_df_ip))
_LeakyReLU = _elementwise_function("LeakyReLU", _leaky_relu_f, _leaky_relu_df)
_ELU = _elementwise_function("ELU", _elu_f, _elu_df, (_elu_f_ip, _elu_df_ip))
_SELU = _elementwise_function("SELU", _selu_f, _selu_df, (_selu_f_ip, _selu_df_ip))
_CELU = _elementwise_function("CELU", _celu_f, _celu_df, (_celu_f_ip, _celu_df_ip))
_GELU = _elementwise_function("GELU", _gelu_f, _gelu_df, (_gelu_f_ip, _gelu_df_ip))
_Swish = _elementwise_function("Swish", _swish_f, _swish_df, (_swish_f_ip, _swish_df_ip))
_Mish = _elementwise_function("Mish", _mish_f, _mish_df, (_mish_f_ip, _mish_df_ip))
_Softplus = _elementwise_function("Softplus", _softplus_f, _softplus_df, (_softplus_f_ip, _softplus_df_ip))
_Softsign = _elementwise_function("Softsign", _softsign_f, _softsign_df, (_softsign_f_ip, _softsign_df_ip))
_Hardtanh = _elementwise_function("Hardtanh", _hardtanh_f, _hardtanh_df)
_Hardsigmoid = _elementwise_function("Hardsigmoid", _hardsigmoid_f, _hardsigmoid_df)
_Hardswish = _elementwise_function("Hardswish", _hardswish_f, _hardswish_df, (_hardswish_f_ip, _hardswish_df_ip))
_ReLU6 = _elementwise_function("ReLU6", _relu6_f, _relu6_df)


class _Identity(torch.autograd.Function):
    """f(x) = x, f'(x) = 1. Saves nothing."""

    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad


class _BinaryStep(torch.autograd.Function):
    """f(x) = 1 for x ≥ 0 else 0 (NaN stays NaN); f'(x) = 0 everywhere. Saves nothing."""

    @staticmethod
    def forward(ctx, x):
        return torch.where(x >= 0, 1.0, torch.where(x < 0, 0.0, x))

    @staticmethod
    def backward(ctx, grad):
        return torch.zeros_like(grad)


class _PReLU(torch.autograd.Function):
    """f(x) = x for x > 0 else w·x; ∂f/∂x = 1 or w (w at 0, as torch); ∂f/∂w = 0 or x.

    ``w`` arrives already shaped to broadcast on the channel dim. Saves ``x`` and ``w``.
    """

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        xu, wu = _up(x), _up(w)
        return torch.where(xu > 0, xu, wu * xu).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        xu, wu, g = _up(x), _up(w), _up(grad)
        pos = xu > 0
        gx = torch.where(pos, g, g * wu).to(x.dtype) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gw = torch.where(pos, 0.0, g * xu).sum_to_size(w.shape).to(w.dtype)
        return gx, gw


class _RReLUTrain(torch.autograd.Function):
    """Training-mode RReLU with given per-element slopes ``d`` (1 where x > 0).

    f = x·d, f' = d. Saves only ``d`` (the slopes cannot be recomputed from ``x``).
    """

    @staticmethod
    def forward(ctx, x, d):
        ctx.save_for_backward(d)
        return (_up(x) * _up(d)).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (d,) = ctx.saved_tensors
        return (_up(grad) * _up(d)).to(grad.dtype), None


# ---- maxout -------------------------------------------------------------------------
def _maxout_groups(x: Tensor, k: int, axis: int) -> tuple[Tensor, int]:
    d = axis % x.ndim
    return x.unflatten(d, (x.shape[d] // k, k)), d + 1


class _Maxout(torch.autograd.Function):
    """f = max over consecutive groups of k along axis; the gradient goes to the first max."""

    @staticmethod
    def forward(ctx, x, k, axis):
        ctx.save_for_backward(x)
        ctx.k, ctx.axis = k, axis
        xg, gd = _maxout_groups(x, k, axis)
        return xg.amax(gd)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xg, gd = _maxout_groups(x, ctx.k, ctx.axis)
        idx = xg.argmax(gd, keepdim=True)  # first maximal index, as documented by torch
        gx = torch.zeros_like(xg).scatter_(gd, idx, grad.unsqueeze(gd))
        return gx.flatten(gd - 1, gd), None, None


# ---- softmax family -----------------------------------------------------------------
def _shifted(x: Tensor, axis: int) -> Tensor:
    """``z = x − max(x)`` along axis, with the infinities sorted out:

    * ``z = 0`` where ``x == max``, so +inf entries give 0 (not inf − inf = nan) and share
      the mass equally: ``softmax([inf, 1, inf]) = [1/2, 0, 1/2]``, the limit;
    * a row that is all −inf (no limit exists) or holds a NaN gives NaN (as torch).
    """
    m = x.amax(axis, keepdim=True)
    return torch.where((x == m) & (m != -math.inf), 0.0, x - m)


def _softmax_f(x, axis):
    e = torch.exp(_shifted(x, axis))
    return e / e.sum(axis, keepdim=True)


def _log_softmax_f(x, axis):
    # log Σ e^z = log1p(Σ over all but one maximum): with z = 0 at the t maxima,
    # Σ e^z = 1 + (t − 1) + Σ_{z<0} e^z. log1p keeps the dominant entry's log-probability
    # −log1p(tiny) exact (log_softmax([0, −50])[0] = −e^−50, not 0).
    z = _shifted(x, axis)
    top = z == 0
    rest = torch.where(top, 0.0, torch.exp(z)).sum(axis, keepdim=True)
    return z - torch.log1p(rest + (top.sum(axis, keepdim=True) - 1))


# Fast forms (the same operations with fewer temporaries; see "Fast eager forms" above).
def _shifted_ip(x: Tensor, axis: int, overwrite: bool = False) -> Tensor:
    """:func:`_shifted`; with ``overwrite`` it writes into ``x`` (a temporary)."""
    m = x.amax(axis, keepdim=True)
    top = (x == m) & (m != -math.inf)
    z = x.sub_(m) if overwrite else x - m
    return z.masked_fill_(top, 0.0)


def _softmax_ip(x: Tensor, axis: int, overwrite: bool = False) -> Tensor:
    e = _shifted_ip(x, axis, overwrite).exp_()
    return e.div_(e.sum(axis, keepdim=True))


def _log_softmax_ip(x: Tensor, axis: int) -> Tensor:
    z = _shifted_ip(x, axis)
    top = z == 0
    rest = z.exp().masked_fill_(top, 0.0).sum(axis, keepdim=True)
    return z.sub_(torch.log1p(rest + (top.sum(axis, keepdim=True) - 1)))


def _softmax_vjp_ip(y: Tensor, g: Tensor, axis: int) -> Tensor:
    """``y·(g − Σ g·y)``, reusing one buffer."""
    gy = g * y
    return torch.sub(g, gy.sum(axis, keepdim=True), out=gy).mul_(y)


class _Softmax(torch.autograd.Function):
    """y = softmax(x); vjp: y·(g − Σ g·y). Saves x, recomputes y."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.save_for_backward(x)
        ctx.axis = axis
        return _softmax_ip(_up(x), axis).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if torch.is_grad_enabled():  # create_graph=True: the differentiable reference form
            y, g = _softmax_f(_up(x), ctx.axis), _up(grad)
            return (y * (g - (g * y).sum(ctx.axis, keepdim=True))).to(x.dtype), None
        y = _softmax_ip(_up(x), ctx.axis)
        return _softmax_vjp_ip(y, _up(grad), ctx.axis).to(x.dtype), None


class _Softmin(torch.autograd.Function):
    """y = softmax(−x); vjp: −y·(g − Σ g·y). Saves x."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.save_for_backward(x)
        ctx.axis = axis
        return _softmax_ip(-_up(x), axis, overwrite=True).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        if torch.is_grad_enabled():
            y, g = _softmax_f(-_up(x), ctx.axis), _up(grad)
            return (-y * (g - (g * y).sum(ctx.axis, keepdim=True))).to(x.dtype), None
        y = _softmax_ip(-_up(x), ctx.axis, overwrite=True)
        return _softmax_vjp_ip(y, _up(grad), ctx.axis).neg_().to(x.dtype), None


class _LogSoftmax(torch.autograd.Function):
    """y = x − max − log Σ exp(x − max); vjp: g − softmax(x)·Σ g. Saves x."""

    @staticmethod
    def forward(ctx, x, axis):
        ctx.save_for_backward(x)
        ctx.axis = axis
        return _log_softmax_ip(_up(x), axis).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        g = _up(grad)
        if torch.is_grad_enabled():
            y = _softmax_f(_up(x), ctx.axis)
            return (g - y * g.sum(ctx.axis, keepdim=True)).to(x.dtype), None
        y = _softmax_ip(_up(x), ctx.axis)
        return y.mul_(g.sum(ctx.axis, keepdim=True)).neg_().add_(g).to(x.dtype), None


# ---- gated linear units -------------------------------------------------------------
def _gate(b: Tensor, kind: str, param: Any) -> tuple[Tensor, Tensor]:
    """The gate h(b) and h'(b) of glu (σ), swiglu (swish_β), geglu (gelu)."""
    if kind == "glu":
        return _logistic(b)
    if kind == "swiglu":
        return _swish_f(b, param), _swish_df(b, param)
    return _gelu_f(b, param), _gelu_df(b, param)


def _gate_ip(b: Tensor, kind: str, param: Any, derivative: bool) -> tuple[Tensor, Tensor | None]:
    """:func:`_gate` with the fast forms (``b`` is not modified); h' only if asked for."""
    if kind == "glu":
        return _logistic_ip(b) if derivative else (_sigmoid_ip(b), None)
    if kind == "swiglu":
        return _swish_f_ip(b, param), _swish_df_ip(b, param) if derivative else None
    return _gelu_f_ip(b, param), _gelu_df_ip(b, param) if derivative else None


class _GatedUnit(torch.autograd.Function):
    """x = [a, b] split in halves along axis (a first); f = a·h(b).

    vjp: ∂/∂a = g·h(b), ∂/∂b = g·a·h'(b). Saves x.
    """

    @staticmethod
    def forward(ctx, x, axis, kind, param):
        ctx.save_for_backward(x)
        ctx.axis, ctx.kind, ctx.param = axis, kind, param
        a, b = _up(x).chunk(2, dim=axis)
        h, _ = _gate_ip(b, kind, param, derivative=False)
        return h.mul_(a).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xu, g = _up(x), _up(grad)
        a, b = xu.chunk(2, dim=ctx.axis)
        if torch.is_grad_enabled():  # create_graph=True: the differentiable reference form
            h, dh = _gate(b, ctx.kind, ctx.param)
            gx = torch.cat([g * h, g * a * dh], dim=ctx.axis)
            return gx.to(x.dtype), None, None, None
        h, dh = _gate_ip(b, ctx.kind, ctx.param, derivative=True)
        if torch.compiler.is_compiling():  # Dynamo rejects non-contiguous out=; cat fuses anyway
            gx = torch.cat([h.mul_(g), (g * a).mul_(dh)], dim=ctx.axis)
        else:  # write both halves in place: no torch.cat copy
            gx = torch.empty_like(xu)
            ga, gb = gx.chunk(2, dim=ctx.axis)
            torch.mul(g, h, out=ga)
            torch.mul(g, a, out=gb).mul_(dh)
        return gx.to(x.dtype), None, None, None


# ---- dice ---------------------------------------------------------------------------
def _dice_stats(s, mean, var, eps, axis):
    if mean is None:
        m = s.mean(axis, keepdim=True)
        v = (s - m).square().mean(axis, keepdim=True)  # biased, as in batch norm
    else:
        m, v = mean, var
    r = torch.rsqrt(v + eps)
    return m, v, r, (s - m) * r


class _Dice(torch.autograd.Function):
    r"""Dice (Zhou et al. 2018): ``f = s·(α + (1 − α)·p)``, ``p = σ(z)``,
    ``z = (s − E[s])/√(Var[s] + ε)``.

    With ``mean``/``var`` None the statistics are the (biased) batch statistics over
    ``axis`` and the gradient flows through them (the batch-norm backward); otherwise
    ``mean``/``var`` are inputs (running statistics) with their own gradients. Saves the
    inputs ``x``, ``α``, ``mean``, ``var`` only.
    """

    @staticmethod
    def forward(ctx, x, alpha, mean, var, eps, axis):
        ctx.save_for_backward(
            x, *(t if isinstance(t, Tensor) else None for t in (alpha, mean, var))
        )
        ctx.alpha_num = None if isinstance(alpha, Tensor) else alpha
        ctx.eps, ctx.axis = eps, axis
        s = _up(x)
        a = _up_param(alpha)
        _, _, _, z = _dice_stats(s, _up_param(mean), _up_param(var), eps, axis)
        mult = a + (1.0 - a) * _sigmoid(z)  # f = s·mult; mult == 0 only at s = −inf, α = 0
        return torch.where(mult == 0, 0.0, s * mult).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        x, alpha_t, mean_t, var_t = ctx.saved_tensors
        s, g = _up(x), _up(grad)
        a = ctx.alpha_num if alpha_t is None else _up(alpha_t)
        batch = mean_t is None
        m, v, r, z = _dice_stats(
            s, None if batch else _up(mean_t), None if batch else _up(var_t), ctx.eps, ctx.axis
        )
        p, pq = _logistic(z)
        q = _sigmoid(-z)  # 1 − p without cancellation
        flat = pq == 0  # |z| so large that σ'(z) underflows (s = ±inf included): no inf·0
        gz = g * (1.0 - a) * torch.where(flat, 0.0, s * pq)  # ∂L/∂z
        gx = gm = gv = galpha = None
        if ctx.needs_input_grad[0]:
            gs = g * (a + (1.0 - a) * p)  # through s directly
            if batch:  # z = (s − m)r with m, v functions of s (batch-norm backward)
                ax = ctx.axis
                gs = gs + r * (gz - gz.mean(ax, keepdim=True) - z * (gz * z).mean(ax, keepdim=True))
            else:
                gs = gs + gz * r
            gx = gs.to(x.dtype)
        if alpha_t is not None and ctx.needs_input_grad[1]:
            # ∂f/∂α = s·(1 − p) → 0 as s → +inf
            galpha = (g * torch.where(q == 0, 0.0, s * q)).sum_to_size(alpha_t.shape).to(alpha_t.dtype)
        if not batch and ctx.needs_input_grad[2]:
            gm = (-(gz * r)).sum_to_size(mean_t.shape).to(mean_t.dtype)
        if not batch and ctx.needs_input_grad[3]:
            gv = (gz * (-0.5) * torch.where(flat, 0.0, z) * r * r).sum_to_size(var_t.shape).to(var_t.dtype)
        return gx, galpha, gm, gv, None, None


class _InferenceCtx:
    """Stands in for the autograd context when nothing needs a gradient."""

    def save_for_backward(self, *tensors):
        pass


def _apply(fn_cls: type, *args):
    """``fn_cls.apply(*args)``, or, when no gradient can be needed (grad disabled, or no
    input requires grad), its forward alone.

    The same numbers either way. Skipping the autograd machinery saves a little time on small
    inference calls, and it keeps ``torch.compile`` working: Dynamo (torch 2.13) cannot trace
    ``apply`` of a Function with non-tensor arguments when no input requires grad, and after
    failing it runs the whole compiled function eagerly from then on, training calls included.
    """
    if torch.is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in args):
        return fn_cls.apply(*args)
    return fn_cls.forward(_InferenceCtx(), *args)


# ---------------------------------------------------------------------------------------
# The functions (one ``def`` each: under torch.compile every function has its own code
# object, hence its own compile cache)
# ---------------------------------------------------------------------------------------
def identity(x: Tensor) -> Tensor:
    r""":math:`f(x) = x`, :math:`f'(x) = 1`."""
    return _apply(_Identity, _as_input(x))


def binary_step(x: Tensor) -> Tensor:
    r""":math:`f(x) = 1` for :math:`x \ge 0`, else 0 (NaN → NaN); gradient 0 everywhere."""
    return _apply(_BinaryStep, _as_input(x))


def sigmoid(x: Tensor) -> Tensor:
    r""":math:`\sigma(x) = 1/(1 + e^{-x})`, :math:`\sigma'(x) = \sigma(x)\sigma(-x)`."""
    return _apply(_Sigmoid, _as_input(x))


def tanh(x: Tensor) -> Tensor:
    r""":math:`\tanh x`, :math:`\tanh'(x) = \operatorname{sech}^2 x`."""
    return _apply(_Tanh, _as_input(x))


def relu(x: Tensor) -> Tensor:
    r""":math:`\max(x, 0)`; :math:`f'(x) = [x > 0]` (so :math:`f'(0) = 0`, as torch)."""
    return _apply(_ReLU, _as_input(x))


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    r""":math:`x` for :math:`x > 0`, else :math:`a x`; :math:`f'(0) = a` (as torch)."""
    return _apply(_LeakyReLU, _as_input(x), negative_slope)


def _param_tensor(v: Any, x: Tensor) -> Tensor:
    """An array-like parameter (numpy array, list) as a constant tensor on x's device."""
    return torch.as_tensor(np.asarray(v, dtype=np.float64), device=x.device).to(_up(x).dtype)


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) or (isinstance(v, np.ndarray) and v.ndim == 0)


def prelu(x: Tensor, weight: float | Tensor = 0.25) -> Tensor:
    r""":math:`x` for :math:`x > 0`, else :math:`w x`, as ``F.prelu``.

    ``weight`` is a number or a tensor with 1 element or ``x.shape[1]`` elements (one
    per channel, channel dim 1). :math:`\partial f/\partial x = w` at 0 (as torch);
    a tensor weight receives the gradient :math:`\sum g\,x[x \le 0]`.
    """
    x = _as_input(x)
    if _is_number(weight):
        return _apply(_LeakyReLU, x, float(weight))
    w = weight if isinstance(weight, Tensor) else _param_tensor(weight, x)
    if w.numel() == 1:
        w = w.reshape(())
    else:
        if x.ndim < 2 or x.shape[1] != w.numel():
            raise ValueError(
                f"prelu: weight has {w.numel()} elements; it must have 1 or x.shape[1] "
                f"(channel dim 1) elements, and x has shape {tuple(x.shape)}"
            )
        w = w.reshape((-1,) + (1,) * (x.ndim - 2))
    return _apply(_PReLU, x, w)


def rrelu(
    x: Tensor,
    lower: float = 1.0 / 8.0,
    upper: float = 1.0 / 3.0,
    training: bool = False,
    rng: torch.Generator | None = None,
) -> Tensor:
    r"""Randomized leaky ReLU (Xu et al. 2015).

    Inference (``training=False``): leaky ReLU with slope :math:`(l + u)/2`. Training:
    one slope :math:`a \sim U(l, u)` per element (from ``rng`` if given), applied where
    :math:`x \le 0`; the derivative is that slope (also at 0, as torch).
    """
    x = _as_input(x)
    if not training:
        return _apply(_LeakyReLU, x, (lower + upper) / 2.0)
    slopes = _uniform_like(x, lower, upper, rng)
    d = torch.where(x > 0, torch.ones_like(slopes), slopes)
    return _apply(_RReLUTrain, x, d)


def _uniform_like(x: Tensor, lower: float, upper: float, rng: Any) -> Tensor:
    """U(lower, upper) samples of x's shape, dtype and device.

    ``rng``: None (torch's global generator), a ``torch.Generator`` (on any device: a CPU
    generator samples on the CPU), an int seed, or a numpy ``Generator``.
    """
    if rng is None:
        return torch.empty_like(x).uniform_(lower, upper)
    if isinstance(rng, np.random.Generator):
        return torch.as_tensor(rng.uniform(lower, upper, size=tuple(x.shape))).to(device=x.device, dtype=x.dtype)
    if isinstance(rng, numbers.Integral):
        rng = torch.Generator().manual_seed(int(rng))
    if rng.device != x.device:
        out = torch.empty(x.shape, dtype=x.dtype, device=rng.device).uniform_(lower, upper, generator=rng)
        return out.to(x.device)
    return torch.empty_like(x).uniform_(lower, upper, generator=rng)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    r""":math:`x` for :math:`x > 0`, else :math:`\alpha(e^x - 1)`; :math:`f'(0) = \alpha` (as torch)."""
    return _apply(_ELU, _as_input(x), alpha)


def selu(x: Tensor) -> Tensor:
    r""":math:`\lambda\,\mathrm{elu}_\alpha(x)`, :math:`\alpha = 1.6732632423543772848\ldots`,
    :math:`\lambda = 1.0507009873554804934\ldots`; :math:`f'(0) = \lambda\alpha` (as torch)."""
    return _apply(_SELU, _as_input(x))


def celu(x: Tensor, alpha: float = 1.0) -> Tensor:
    r""":math:`x` for :math:`x > 0`, else :math:`\alpha\,\mathrm{expm1}(x/\alpha)`; :math:`f'(0) = 1`."""
    return _apply(_CELU, _as_input(x), alpha)


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    r"""GELU :math:`x\Phi(x)`; ``approximate="tanh"``: :math:`x\sigma(2u)`,
    :math:`u = \sqrt{2/\pi}(x + 0.044715x^3)` (equal to :math:`\tfrac{x}{2}(1 + \tanh u)`);
    ``"sigmoid"``: :math:`x\sigma(1.702x)`.
    """
    return _apply(_GELU, _as_input(x), approximate)


def swish(x: Tensor, beta: float = 1.0) -> Tensor:
    r""":math:`x\sigma(\beta x)` (SiLU for :math:`\beta = 1`);
    :math:`f' = \sigma(\beta x) + \beta x\,\sigma(\beta x)\sigma(-\beta x)`."""
    return _apply(_Swish, _as_input(x), beta)


def mish(x: Tensor) -> Tensor:
    r""":math:`x\tanh(\mathrm{softplus}(x))`."""
    return _apply(_Mish, _as_input(x))


def softplus(x: Tensor, beta: float = 1.0) -> Tensor:
    r""":math:`\log(1 + e^{\beta x})/\beta`, exact for every :math:`x` (no threshold);
    :math:`f' = \sigma(\beta x)`."""
    return _apply(_Softplus, _as_input(x), beta)


def softsign(x: Tensor) -> Tensor:
    r""":math:`x/(1 + |x|)`, :math:`f' = 1/(1 + |x|)^2`."""
    return _apply(_Softsign, _as_input(x))


def hardtanh(x: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    r""":math:`\min(\max(x, m), M)`; derivative 1 strictly inside, 0 at the kinks (as torch)."""
    return _apply(_Hardtanh, _as_input(x), min_val, max_val)


def hardsigmoid(x: Tensor) -> Tensor:
    r""":math:`\mathrm{relu6}(x + 3)/6`; derivative 1/6 on :math:`(-3, 3)`, 0 at ±3 (as torch)."""
    return _apply(_Hardsigmoid, _as_input(x))


def hardswish(x: Tensor) -> Tensor:
    r""":math:`x\,\mathrm{relu6}(x + 3)/6`; derivative 0 for :math:`x \le -3`, :math:`(2x + 3)/6`
    for :math:`-3 < x < 3`, 1 for :math:`x \ge 3` (torch 2.13's convention at ±3)."""
    return _apply(_Hardswish, _as_input(x))


def relu6(x: Tensor) -> Tensor:
    r""":math:`\min(\max(x, 0), 6)`; derivative 0 at 0 and 6 (as torch)."""
    return _apply(_ReLU6, _as_input(x))


def maxout(x: Tensor, k: int = 2, axis: int = -1) -> Tensor:
    r"""Max over consecutive groups of ``k`` along ``axis`` (size divisible by ``k``);
    the gradient goes to the first maximum of each group."""
    x = _as_input(x)
    if x.ndim == 0 or x.shape[axis] % k:
        raise ValueError(f"maxout: size along axis {axis} must be divisible by k={k}; got shape {tuple(x.shape)}")
    return _apply(_Maxout, x, k, axis)


def _dice_param(t, x, axis):
    """Tensors of the statistics' shape (x.shape without axis) are unsqueezed at axis."""
    if t is None:
        return None
    if _is_number(t):
        return float(t)
    t = t if isinstance(t, Tensor) else _param_tensor(t, x)
    t = _as_input(t) if not t.is_floating_point() else t
    if x.ndim >= 1 and t.ndim == x.ndim - 1:
        t = t.unsqueeze(axis % x.ndim)
    return t


def dice(
    x: Tensor,
    alpha: float | Tensor = 0.0,
    eps: float = 1e-8,
    axis: int = 0,
    mean: Tensor | None = None,
    var: Tensor | None = None,
) -> Tensor:
    r"""Dice (Zhou et al. 2018, DIN): :math:`f(s) = p\,s + (1 - p)\,\alpha s`,
    :math:`p = \sigma\big((s - E[s])/\sqrt{\mathrm{Var}[s] + \epsilon}\big)`.

    ``mean``/``var`` None: batch statistics over ``axis`` (biased variance; the gradient
    flows through them). Otherwise the given (running) statistics. Tensor ``alpha``,
    ``mean``, ``var`` of shape ``x.shape`` without ``axis`` are aligned by inserting
    ``axis``; other shapes must broadcast against ``x``.
    """
    x = _as_input(x)
    if (mean is None) != (var is None):
        raise ValueError("dice: give both mean and var (running statistics) or neither (batch statistics)")
    a, m, v = (_dice_param(t, x, axis) for t in (alpha, mean, var))
    cdt = _up(x).dtype  # numbers given as statistics become constants of the compute dtype
    m = torch.tensor(m, dtype=cdt, device=x.device) if isinstance(m, float) else m
    v = torch.tensor(v, dtype=cdt, device=x.device) if isinstance(v, float) else v
    return _apply(_Dice, x, a, m, v, eps, axis)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    r""":math:`e^{x_i - \max x}/\sum_j e^{x_j - \max x}`; vjp :math:`y(g - \langle g, y\rangle)`."""
    x = _as_input(x)
    if x.numel() == 0:
        return x.clone()
    return _apply(_Softmax, x, axis)


def softmin(x: Tensor, axis: int = -1) -> Tensor:
    r""":math:`\mathrm{softmax}(-x)`."""
    x = _as_input(x)
    if x.numel() == 0:
        return x.clone()
    return _apply(_Softmin, x, axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    r""":math:`x - \max x - \log\sum_j e^{x_j - \max x}`; vjp :math:`g - \mathrm{softmax}(x)\sum g`."""
    x = _as_input(x)
    if x.numel() == 0:
        return x.clone()
    return _apply(_LogSoftmax, x, axis)


def _check_even(x, axis, name):
    if x.ndim == 0 or x.shape[axis] % 2:
        raise ValueError(
            f"{name}: size along axis {axis} must be even (split into halves a, b); got shape {tuple(x.shape)}"
        )


def glu(x: Tensor, axis: int = -1) -> Tensor:
    r"""``F.glu``: split :math:`x = [a, b]` in halves along ``axis``; :math:`a\,\sigma(b)`."""
    x = _as_input(x)
    _check_even(x, axis, "glu")
    return _apply(_GatedUnit, x, axis, "glu", None)


def swiglu(x: Tensor, axis: int = -1, beta: float = 1.0) -> Tensor:
    r"""Split :math:`x = [a, b]` (first half a, second half b) along ``axis``;
    :math:`a\,\mathrm{swish}_\beta(b) = a\,b\,\sigma(\beta b)`."""
    x = _as_input(x)
    _check_even(x, axis, "swiglu")
    return _apply(_GatedUnit, x, axis, "swiglu", beta)


def geglu(x: Tensor, axis: int = -1, approximate: str = "none") -> Tensor:
    r"""Split :math:`x = [a, b]` (first half a, second half b) along ``axis``;
    :math:`a\,\mathrm{gelu}(b)`."""
    x = _as_input(x)
    _check_even(x, axis, "geglu")
    return _apply(_GatedUnit, x, axis, "geglu", approximate)


FUNCTIONS: dict[str, Callable[..., Tensor]] = {
    "identity": identity,
    "binary_step": binary_step,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "relu": relu,
    "leaky_relu": leaky_relu,
    "prelu": prelu,
    "rrelu": rrelu,
    "elu": elu,
    "selu": selu,
    "celu": celu,
    "gelu": gelu,
    "swish": swish,
    "mish": mish,
    "softplus": softplus,
    "softsign": softsign,
    "hardtanh": hardtanh,
    "hardsigmoid": hardsigmoid,
    "hardswish": hardswish,
    "relu6": relu6,
    "maxout": maxout,
    "dice": dice,
    "softmax": softmax,
    "softmin": softmin,
    "log_softmax": log_softmax,
    "glu": glu,
    "swiglu": swiglu,
    "geglu": geglu,
}


# ---------------------------------------------------------------------------------------
# Compiled access
# ---------------------------------------------------------------------------------------
class CompiledActivation:
    """A ``torch.compile``\\ d activation, compiled lazily once per (dtype, device).

    Call it like the function: ``c(x)``; tensor-valued parameters (PReLU's ``weight``,
    Dice's ``alpha``/``mean``/``var``) and ``training`` may be given per call.

    * **Once per (dtype, device).** One ``torch.compile`` per (dtype, device), with
      ``dynamic=True`` by default: a new input *shape* reuses the same graph instead of
      recompiling (Dynamo would otherwise compile a static graph first, and a dynamic one at
      the second shape). Training (``x`` requires grad) and inference use two graphs of the
      same compiled function, each built on first use.
    * **Saves the input only.** The activation runs under a non-reentrant
      ``torch.utils.checkpoint`` inside the compiled region, so AOTAutograd's partitioner
      saves the inputs and recomputes everything else in the fused backward kernel. Without
      it the partitioner prefers a 1-byte ``bool`` mask (``x > 0`` for ReLU, hardtanh, relu6;
      the row maxima and masks of the softmax family) over the 4-byte ``x``: more memory (``x``
      is alive anyway), and on CPU, where inductor stores ``bool`` masks slowly, a forward
      several times slower. (Not for RReLU in training mode: its random slopes are the saved
      tensor.)
    * **Compile time reported.** ``compile_times[(dtype, device)]`` holds the seconds spent
      in first calls: the first forward in each grad mode (tracing, compiling, one run) and
      the first backward (inductor compiles the backward kernel lazily, at the first
      ``backward()``). ``compile_log`` lists them one by one; each is also logged on the
      ``acts.torch`` logger.
    """

    def __init__(
        self, name: str, params: dict, backend: str = "inductor", mode: str | None = None,
        fullgraph: bool = False, dynamic: bool | None = True,
    ):
        if name not in FUNCTIONS:
            raise KeyError(f"unknown activation {name!r}; known: {', '.join(sorted(FUNCTIONS))}")
        self.name, self.params, self.backend, self.mode = name, dict(params), backend, mode
        self.fullgraph, self.dynamic = fullgraph, dynamic
        self.compile_times: dict[tuple[torch.dtype, torch.device], float] = {}
        self.compile_log: list[dict] = []
        self._compiled: dict[tuple[torch.dtype, torch.device], Callable] = {}
        self._seen: set[tuple] = set()

    def _entry(self) -> Callable:
        fn, params = FUNCTIONS[self.name], self.params
        checkpoint = torch.utils.checkpoint.checkpoint

        def entry(x, **call_params):
            grad = torch.is_grad_enabled() and (
                x.requires_grad or any(isinstance(v, Tensor) and v.requires_grad for v in call_params.values())
            )
            if not grad:  # inference: nothing to save, no checkpoint
                return fn(x, **params, **call_params)
            if call_params.get("training", False):  # rrelu's sampled slopes are what it saves
                return fn(x, **params, **call_params)
            return checkpoint(fn, x, use_reentrant=False, **params, **call_params)

        # Dynamo keeps its compile cache on the *code object* (recompile limit 8 per code
        # object). A fresh code object per (name, params, dtype, device) keeps these caches
        # apart, so many parameter/dtype combinations never push one function over the limit.
        code = entry.__code__.replace(co_name=f"acts_{self.name}")
        return types.FunctionType(code, entry.__globals__, code.co_name, None, entry.__closure__)

    def _record(self, key, grad: bool, what: str, seconds: float) -> None:
        self.compile_times[key] = self.compile_times.get(key, 0.0) + seconds
        self.compile_log.append({"dtype": key[0], "device": key[1], "grad": grad, "what": what, "seconds": seconds})
        _log.info(
            "compiled %s%s (%s, %s) for %s on %s with %s in %.2f s",
            self.name, self.params or "", what, "training" if grad else "inference", key[0], key[1],
            self.backend, seconds,
        )

    def _time_first_backward(self, y: Tensor, key) -> None:
        node = y.grad_fn
        if node is None:
            return
        start: list[float] = []
        node.register_prehook(lambda grad_outputs: start.append(time.perf_counter()) or None)

        def done(grad_inputs, grad_outputs):
            if len(start) == 1:
                self._record(key, True, "backward", time.perf_counter() - start[0])
            return None

        node.register_hook(done)

    def __call__(self, x: Tensor, **call_params) -> Tensor:
        x = _as_input(x)
        key = (x.dtype, x.device)
        c = self._compiled.get(key)
        if c is None:
            c = torch.compile(
                self._entry(), backend=self.backend, mode=self.mode, fullgraph=self.fullgraph, dynamic=self.dynamic
            )
            self._compiled[key] = c
        grad = torch.is_grad_enabled() and (
            x.requires_grad or any(isinstance(v, Tensor) and v.requires_grad for v in call_params.values())
        )
        if (key, grad) in self._seen:
            return c(x, **call_params)
        t0 = time.perf_counter()
        y = c(x, **call_params)
        self._seen.add((key, grad))
        self._record(key, grad, "forward", time.perf_counter() - t0)
        if grad:
            self._time_first_backward(y, key)
        return y

    def __repr__(self) -> str:
        return f"CompiledActivation({self.name!r}, params={self.params}, backend={self.backend!r})"


_COMPILED: dict[tuple, CompiledActivation] = {}


def _freeze(v: Any) -> Any:
    if isinstance(v, (list, tuple)):
        return tuple(_freeze(u) for u in v)
    if isinstance(v, Tensor):  # tensors are per call, but keep the key usable
        return ("tensor", id(v))
    return v


def compiled(
    name: str, backend: str = "inductor", mode: str | None = None, fullgraph: bool = False,
    dynamic: bool | None = True, **params
) -> CompiledActivation:
    """The ``torch.compile``\\ d form of activation ``name`` with fixed ``params``.

    ``backend``, ``mode``, ``fullgraph`` and ``dynamic`` go to ``torch.compile``
    (``fullgraph=True`` raises on any graph break instead of falling back to Python;
    ``dynamic=True``, the default here, compiles one graph for every input shape).
    One :class:`CompiledActivation` per (name, params, backend, mode, fullgraph, dynamic),
    cached here; it compiles lazily once per (dtype, device) of its input and records the
    compile time in ``.compile_times``. ``compiled("gelu", approximate="tanh")(x)`` equals
    ``FUNCTIONS["gelu"](x, approximate="tanh")``; fwd+bwd runs as fused kernels.
    """
    key = (name, backend, mode, fullgraph, dynamic, tuple(sorted((k, _freeze(v)) for k, v in params.items())))
    c = _COMPILED.get(key)
    if c is None:
        c = _COMPILED[key] = CompiledActivation(
            name, params, backend=backend, mode=mode, fullgraph=fullgraph, dynamic=dynamic
        )
    return c


# ---------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------
_REQUIRED = inspect.Parameter.empty


class _Activation(nn.Module):
    """Base: binds keyword arguments against ``defaults`` (unknown → TypeError listing
    the accepted names) and calls ``FUNCTIONS[name]`` (or its compiled form)."""

    name: str = ""
    #: accepted constructor keywords and their defaults (``_REQUIRED`` = no default);
    #: the activation's parameters first, then module-only ones.
    defaults: dict[str, Any] = {}
    #: keywords that are module-only (not passed to the function).
    module_only: tuple[str, ...] = ("compiled",)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls.__signature__ = inspect.Signature(
            [
                inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=v)
                for k, v in cls.defaults.items()
            ]
        )

    def __init__(self, *args, **kwargs):
        super().__init__()
        try:
            bound = self.__signature__.bind(*args, **kwargs)
        except TypeError as e:
            accepted = ", ".join(
                k if v is _REQUIRED else f"{k}={v!r}" for k, v in self.defaults.items()
            )
            raise TypeError(f"{type(self).__name__}: {e}. Accepted arguments: {accepted}") from None
        bound.apply_defaults()
        self._args = dict(bound.arguments)
        for k, v in self._args.items():
            if k not in self.module_only:
                setattr(self, k, v)
        c = self._args.get("compiled", False)
        if not isinstance(c, (bool, str)):
            raise TypeError(
                f"{type(self).__name__}: compiled must be a bool or a torch.compile backend name, got {c!r}"
            )
        #: False (eager), or the torch.compile backend ("inductor" for True).
        self.compiled = "inductor" if c is True else c

    # -- the activation parameters passed to the function (static ones only)
    def _static(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.defaults if k not in self.module_only}

    def _call(self, x: Tensor, **dynamic) -> Tensor:
        if self.compiled:
            return compiled(self.name, backend=self.compiled, **self._static())(x, **dynamic)
        return FUNCTIONS[self.name](x, **self._static(), **dynamic)

    def forward(self, x: Tensor) -> Tensor:
        return self._call(x)

    def extra_repr(self) -> str:
        return ", ".join(f"{k}={getattr(self, k)!r}" for k in self._static())


def _check_choice(cls, key, value, choices):
    if value not in choices:
        raise ValueError(f"{cls.__name__}: {key} must be one of {choices}, got {value!r}")


class Identity(_Activation):
    r"""Identity:

    .. math::
        \text{Identity}(x) = x, \qquad \text{Identity}'(x) = 1

    Args:
        compiled (bool or str): use the ``torch.compile``\ d form (see :func:`acts._torch.compiled`);
            ``True`` for the inductor backend, or a backend name. Default: ``False``

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Identity()
        >>> m(torch.tensor([-1.0, 2.0]))
        tensor([-1.,  2.])
    """

    name = "identity"
    defaults = {"compiled": False}


class BinaryStep(_Activation):
    r"""Binary (Heaviside) step:

    .. math::
        \text{BinaryStep}(x) = \begin{cases} 1 & x \ge 0 \\ 0 & x < 0 \end{cases}

    The gradient is 0 everywhere (the step is not trainable by gradient descent).

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = BinaryStep()
        >>> m(torch.tensor([-1.0, 0.0, 2.0]))
        tensor([0., 1., 1.])
    """

    name = "binary_step"
    defaults = {"compiled": False}


class Sigmoid(_Activation):
    r"""Logistic sigmoid:

    .. math::
        \sigma(x) = \frac{1}{1 + e^{-x}}, \qquad \sigma'(x) = \sigma(x)\,\sigma(-x)

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Sigmoid()
        >>> m(torch.tensor([0.0]))
        tensor([0.5000])
    """

    name = "sigmoid"
    defaults = {"compiled": False}


class Tanh(_Activation):
    r"""Hyperbolic tangent:

    .. math::
        \tanh(x) = \frac{e^x - e^{-x}}{e^x + e^{-x}}, \qquad \tanh'(x) = \operatorname{sech}^2 x

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Tanh()
        >>> m(torch.tensor([0.0]))
        tensor([0.])
    """

    name = "tanh"
    defaults = {"compiled": False}


class ReLU(_Activation):
    r"""Rectified linear unit:

    .. math::
        \text{ReLU}(x) = \max(0, x), \qquad \text{ReLU}'(x) = [x > 0] \;(\text{so } 0 \text{ at } 0)

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = ReLU()
        >>> m(torch.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    name = "relu"
    defaults = {"compiled": False}


class LeakyReLU(_Activation):
    r"""Leaky ReLU:

    .. math::
        \text{LeakyReLU}(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}

    with derivative ``negative_slope`` at 0, as torch.

    Args:
        negative_slope (float): the slope :math:`a` for negative inputs. Default: 0.01
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = LeakyReLU(negative_slope=0.1)
        >>> m(torch.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    name = "leaky_relu"
    defaults = {"negative_slope": 0.01, "compiled": False}


class PReLU(_Activation):
    r"""Parametric ReLU (He et al. 2015), with a learnable slope:

    .. math::
        \text{PReLU}(x) = \begin{cases} x & x > 0 \\ w_c\,x & x \le 0 \end{cases}

    ``num_parameters`` is 1 (one shared :math:`w`) or the number of channels :math:`C`
    (one :math:`w_c` per channel, channel dim 1), as ``torch.nn.PReLU``.

    Args:
        weight (float): initial value of :math:`w`. Default: 0.25
        num_parameters (int): 1 or the number of channels. Default: 1
        compiled (bool): use the ``torch.compile``\ d form.
        device, dtype: of the weight, as in torch's factory arguments.

    Attributes:
        weight (Tensor): the learnable slopes, shape ``(num_parameters,)``.

    Shape:
        - Input: :math:`(*)`, or :math:`(N, C, *)` when ``num_parameters = C``.
        - Output: same shape as the input.

    Examples::

        >>> m = PReLU(weight=0.25, num_parameters=3)
        >>> x = torch.randn(2, 3, 4)
        >>> m(x).shape
        torch.Size([2, 3, 4])
    """

    name = "prelu"
    defaults = {"weight": 0.25, "num_parameters": 1, "compiled": False, "device": None, "dtype": None}
    module_only = ("num_parameters", "compiled", "device", "dtype", "weight")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        n, init = self._args["num_parameters"], self._args["weight"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got {n!r}")
        self.num_parameters = n
        self.weight = nn.Parameter(
            torch.full((n,), float(init), device=self._args["device"], dtype=self._args["dtype"])
        )

    def forward(self, x: Tensor) -> Tensor:
        return self._call(x, weight=self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(_Activation):
    r"""Randomized leaky ReLU (Xu et al. 2015):

    .. math::
        \text{RReLU}(x) = \begin{cases} x & x > 0 \\ a\,x & x \le 0 \end{cases}

    In training mode :math:`a \sim U(\text{lower}, \text{upper})` is drawn for every
    element (from ``rng`` when given); in eval mode :math:`a = (\text{lower} + \text{upper})/2`.

    Args:
        lower (float): lower bound of the uniform distribution. Default: 1/8
        upper (float): upper bound of the uniform distribution. Default: 1/3
        rng (torch.Generator, int or numpy Generator, optional): generator for the slopes
            (an int seeds a generator kept by the module). Default: None (torch's global RNG)
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = RReLU(0.1, 0.3).eval()
        >>> m(torch.tensor([-1.0, 2.0]))
        tensor([-0.2000,  2.0000])
    """

    name = "rrelu"
    defaults = {"lower": 1.0 / 8.0, "upper": 1.0 / 3.0, "rng": None, "compiled": False}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.lower <= self.upper:
            raise ValueError(f"RReLU: need lower <= upper, got lower={self.lower}, upper={self.upper}")
        if isinstance(self.rng, numbers.Integral):  # a seed: one generator, advanced by every call
            self.rng = torch.Generator().manual_seed(int(self.rng))

    def _static(self):
        return {"lower": self.lower, "upper": self.upper, "rng": self.rng}

    def forward(self, x: Tensor) -> Tensor:
        return self._call(x, training=self.training)


class ELU(_Activation):
    r"""Exponential linear unit (Clevert et al. 2015):

    .. math::
        \text{ELU}(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^x - 1) & x \le 0 \end{cases}

    with derivative :math:`\alpha` at 0, as torch.

    Args:
        alpha (float): Default: 1.0
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = ELU(alpha=1.0)
        >>> m(torch.tensor([0.0, 2.0]))
        tensor([0., 2.])
    """

    name = "elu"
    defaults = {"alpha": 1.0, "compiled": False}


class SELU(_Activation):
    r"""Scaled ELU (Klambauer et al. 2017):

    .. math::
        \text{SELU}(x) = \lambda \begin{cases} x & x > 0 \\ \alpha\,(e^x - 1) & x \le 0 \end{cases}

    with :math:`\alpha = 1.6732632423543772848170429916717` and
    :math:`\lambda = 1.0507009873554804934193349852946`; derivative :math:`\lambda\alpha` at 0.

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = SELU()
        >>> m(torch.tensor([0.0]))
        tensor([0.])
    """

    name = "selu"
    defaults = {"compiled": False}


class CELU(_Activation):
    r"""Continuously differentiable ELU (Barron 2017):

    .. math::
        \text{CELU}(x) = \begin{cases} x & x > 0 \\ \alpha\,(e^{x/\alpha} - 1) & x \le 0 \end{cases}

    Args:
        alpha (float): Default: 1.0
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = CELU(alpha=2.0)
        >>> m(torch.tensor([0.0, 1.0]))
        tensor([0., 1.])
    """

    name = "celu"
    defaults = {"alpha": 1.0, "compiled": False}


class GELU(_Activation):
    r"""Gaussian error linear unit (Hendrycks & Gimpel 2016):

    .. math::
        \text{GELU}(x) = x\,\Phi(x)

    ``approximate="tanh"``: :math:`\tfrac{x}{2}\big(1 + \tanh u\big) = x\,\sigma(2u)`,
    :math:`u = \sqrt{2/\pi}\,(x + 0.044715\,x^3)`; ``approximate="sigmoid"``:
    :math:`x\,\sigma(1.702\,x)`.

    Args:
        approximate (str): ``"none"``, ``"tanh"`` or ``"sigmoid"``. Default: ``"none"``
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = GELU(approximate="tanh")
        >>> m(torch.tensor([0.0, 100.0]))
        tensor([  0., 100.])
    """

    name = "gelu"
    defaults = {"approximate": "none", "compiled": False}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _check_choice(type(self), "approximate", self.approximate, _APPROXIMATE)


class Swish(_Activation):
    r"""Swish (Ramachandran et al. 2017); SiLU for :math:`\beta = 1`:

    .. math::
        \text{Swish}(x) = x\,\sigma(\beta x)

    Args:
        beta (float): Default: 1.0
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Swish(beta=1.0)
        >>> m(torch.tensor([0.0]))
        tensor([0.])
    """

    name = "swish"
    defaults = {"beta": 1.0, "compiled": False}


class Mish(_Activation):
    r"""Mish (Misra 2019):

    .. math::
        \text{Mish}(x) = x\,\tanh\big(\log(1 + e^x)\big)

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Mish()
        >>> m(torch.tensor([0.0]))
        tensor([0.])
    """

    name = "mish"
    defaults = {"compiled": False}


class Softplus(_Activation):
    r"""Softplus, exact for every :math:`x` (no threshold cut-off, unlike ``torch.nn.Softplus``):

    .. math::
        \text{Softplus}(x) = \frac{1}{\beta}\log\big(1 + e^{\beta x}\big)
        = \frac{1}{\beta}\Big(\max(\beta x, 0) + \log\big(1 + e^{-|\beta x|}\big)\Big)

    Args:
        beta (float): Default: 1.0
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Softplus()
        >>> m(torch.tensor([0.0], dtype=torch.float64)).item() == math.log(2)
        True
    """

    name = "softplus"
    defaults = {"beta": 1.0, "compiled": False}


class Softsign(_Activation):
    r"""Softsign:

    .. math::
        \text{Softsign}(x) = \frac{x}{1 + |x|}

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Softsign()
        >>> m(torch.tensor([1.0, float("inf")]))
        tensor([0.5000, 1.0000])
    """

    name = "softsign"
    defaults = {"compiled": False}


class Hardtanh(_Activation):
    r"""Hard tanh:

    .. math::
        \text{Hardtanh}(x) = \min(\max(x, \text{min\_val}), \text{max\_val})

    Derivative 1 strictly between the kinks, 0 at and beyond them (as torch).

    Args:
        min_val (float): Default: -1.0
        max_val (float): Default: 1.0
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Hardtanh(min_val=-2.0, max_val=2.0)
        >>> m(torch.tensor([-3.0, 1.0, 3.0]))
        tensor([-2.,  1.,  2.])
    """

    name = "hardtanh"
    defaults = {"min_val": -1.0, "max_val": 1.0, "compiled": False}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.min_val < self.max_val:
            raise ValueError(f"Hardtanh: need min_val < max_val, got {self.min_val}, {self.max_val}")


class Hardsigmoid(_Activation):
    r"""Hard sigmoid:

    .. math::
        \text{Hardsigmoid}(x) = \frac{\text{ReLU6}(x + 3)}{6}
        = \begin{cases} 0 & x \le -3 \\ x/6 + 1/2 & -3 < x < 3 \\ 1 & x \ge 3 \end{cases}

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Hardsigmoid()
        >>> m(torch.tensor([-4.0, 0.0, 4.0]))
        tensor([0.0000, 0.5000, 1.0000])
    """

    name = "hardsigmoid"
    defaults = {"compiled": False}


class Hardswish(_Activation):
    r"""Hard swish (Howard et al. 2019):

    .. math::
        \text{Hardswish}(x) = x\,\frac{\text{ReLU6}(x + 3)}{6}

    Derivative (torch's convention): 0 for :math:`x \le -3`, :math:`(2x + 3)/6` for
    :math:`-3 < x < 3`, 1 for :math:`x \ge 3`.

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = Hardswish()
        >>> m(torch.tensor([-4.0, 0.0, 4.0]))
        tensor([-0.,  0.,  4.])
    """

    name = "hardswish"
    defaults = {"compiled": False}


class ReLU6(_Activation):
    r"""ReLU capped at 6:

    .. math::
        \text{ReLU6}(x) = \min(\max(0, x), 6)

    Args:
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = ReLU6()
        >>> m(torch.tensor([-1.0, 3.0, 7.0]))
        tensor([0., 3., 6.])
    """

    name = "relu6"
    defaults = {"compiled": False}


class Maxout(_Activation):
    r"""Maxout (Goodfellow et al. 2013) over consecutive groups of :math:`k` along ``axis``:

    .. math::
        \text{Maxout}(x)_i = \max_{0 \le j < k} x_{ik + j}

    The gradient of each output goes to the first maximum of its group.

    Args:
        k (int): group size; the size along ``axis`` must be divisible by it. Default: 2
        axis (int): Default: -1
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*, C, *)` with :math:`C` the size along ``axis``.
        - Output: :math:`(*, C/k, *)`.

    Examples::

        >>> m = Maxout(k=2)
        >>> m(torch.tensor([[1.0, 3.0, -1.0, -2.0]]))
        tensor([[ 3., -1.]])
    """

    name = "maxout"
    defaults = {"k": 2, "axis": -1, "compiled": False}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not isinstance(self.k, int) or isinstance(self.k, bool) or self.k < 1:
            raise ValueError(f"Maxout: k must be a positive int, got {self.k!r}")


class Dice(_Activation):
    r"""Dice, the data-adaptive activation of DIN (Zhou et al. 2018):

    .. math::
        \text{Dice}(s) = p(s)\,s + \big(1 - p(s)\big)\,\alpha\,s, \qquad
        p(s) = \sigma\!\left(\frac{s - E[s]}{\sqrt{\mathrm{Var}[s] + \epsilon}}\right)

    with a learnable :math:`\alpha` per feature. In training mode :math:`E[s]`,
    :math:`\mathrm{Var}[s]` are the batch statistics over ``axis`` (biased variance, the
    gradient flows through them) and the running statistics are updated as in
    ``torch.nn.BatchNorm1d`` (``momentum``, unbiased variance); in eval mode the running
    statistics are used.

    Args:
        num_features (int): :math:`C`, the number of features.
        alpha (float): initial value of :math:`\alpha`. Default: 0.0
        eps (float): :math:`\epsilon`. Default: 1e-8
        momentum (float): running-statistics momentum. Default: 0.1
        axis (int): the batch axis the statistics are taken over. Default: 0
        compiled (bool): use the ``torch.compile``\ d form.
        device, dtype: of the parameters and buffers.

    Attributes:
        alpha (Tensor): learnable, shape ``(num_features,)``.
        running_mean, running_var (Tensor): buffers, shape ``(num_features,)``.

    Shape:
        - Input: :math:`(N, C)` for ``axis=0`` (:math:`(C, N)` for ``axis=1``): removing
          ``axis`` must leave ``(num_features,)``. Reshape :math:`(N, T, C)` to
          :math:`(NT, C)`.
        - Output: same shape as the input.

    Examples::

        >>> m = Dice(num_features=4)
        >>> x = torch.randn(8, 4)
        >>> m(x).shape
        torch.Size([8, 4])
    """

    name = "dice"
    defaults = {
        "num_features": _REQUIRED,
        "alpha": 0.0,
        "eps": 1e-8,
        "momentum": 0.1,
        "axis": 0,
        "compiled": False,
        "device": None,
        "dtype": None,
    }
    module_only = ("num_features", "momentum", "compiled", "device", "dtype", "alpha")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        n = self._args["num_features"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"Dice: num_features must be a positive int, got {n!r}")
        if not self.eps >= 0:
            raise ValueError(f"Dice: eps must be >= 0, got {self.eps!r}")
        self.num_features, self.momentum = n, self._args["momentum"]
        fk = {"device": self._args["device"], "dtype": self._args["dtype"]}
        self.alpha = nn.Parameter(torch.full((n,), float(self._args["alpha"]), **fk))
        self.register_buffer("running_mean", torch.zeros(n, **fk))
        self.register_buffer("running_var", torch.ones(n, **fk))

    def _static(self):
        return {"eps": self.eps, "axis": self.axis}

    def forward(self, x: Tensor) -> Tensor:
        x = _as_input(x)
        if x.ndim != 2 or x.shape[1 - self.axis % 2] != self.num_features:
            raise ValueError(
                f"Dice: expected a 2-D input whose size off axis {self.axis} is "
                f"num_features={self.num_features}; got shape {tuple(x.shape)}"
            )
        if self.training:
            with torch.no_grad():
                n = x.shape[self.axis]
                m = x.mean(self.axis)
                v = x.var(self.axis, correction=1 if n > 1 else 0)
                self.running_mean.lerp_(m.to(self.running_mean.dtype), self.momentum)
                self.running_var.lerp_(v.to(self.running_var.dtype), self.momentum)
            return self._call(x, alpha=self.alpha)
        return self._call(x, alpha=self.alpha, mean=self.running_mean, var=self.running_var)

    def extra_repr(self) -> str:
        return f"num_features={self.num_features}, eps={self.eps}, momentum={self.momentum}, axis={self.axis}"


class Softmax(_Activation):
    r"""Softmax along ``axis``:

    .. math::
        \text{Softmax}(x)_i = \frac{e^{x_i - \max x}}{\sum_j e^{x_j - \max x}}

    Args:
        axis (int): Default: -1
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input; sums to 1 along ``axis``.

    Examples::

        >>> m = Softmax(axis=-1)
        >>> m(torch.tensor([0.0, float("-inf")]))
        tensor([1., 0.])
    """

    name = "softmax"
    defaults = {"axis": -1, "compiled": False}


class Softmin(_Activation):
    r"""Softmin along ``axis``:

    .. math::
        \text{Softmin}(x)_i = \text{Softmax}(-x)_i = \frac{e^{-x_i}}{\sum_j e^{-x_j}}

    Args:
        axis (int): Default: -1
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input; sums to 1 along ``axis``.

    Examples::

        >>> m = Softmin()
        >>> m(torch.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    name = "softmin"
    defaults = {"axis": -1, "compiled": False}


class LogSoftmax(_Activation):
    r"""Log-softmax along ``axis``:

    .. math::
        \text{LogSoftmax}(x)_i = x_i - \max x - \log\sum_j e^{x_j - \max x}

    Args:
        axis (int): Default: -1
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*)`, any number of dimensions.
        - Output: :math:`(*)`, same shape as the input.

    Examples::

        >>> m = LogSoftmax()
        >>> m(torch.tensor([0.0, 0.0])).exp()
        tensor([0.5000, 0.5000])
    """

    name = "log_softmax"
    defaults = {"axis": -1, "compiled": False}


class GLU(_Activation):
    r"""Gated linear unit (Dauphin et al. 2017), as ``torch.nn.GLU``: split the input in
    halves :math:`x = [a, b]` along ``axis`` (first half :math:`a`, second half :math:`b`):

    .. math::
        \text{GLU}(x) = a \otimes \sigma(b)

    Args:
        axis (int): Default: -1
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*, 2M, *)` along ``axis``.
        - Output: :math:`(*, M, *)`.

    Examples::

        >>> m = GLU()
        >>> m(torch.tensor([2.0, 0.0]))
        tensor([1.])
    """

    name = "glu"
    defaults = {"axis": -1, "compiled": False}


class SwiGLU(_Activation):
    r"""SwiGLU (Shazeer 2020): split :math:`x = [a, b]` in halves along ``axis`` (first half
    :math:`a`, second half :math:`b`, as ``torch.nn.GLU``):

    .. math::
        \text{SwiGLU}(x) = a \otimes \text{Swish}_\beta(b) = a \otimes b\,\sigma(\beta b)

    Args:
        axis (int): Default: -1
        beta (float): Default: 1.0
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*, 2M, *)` along ``axis``.
        - Output: :math:`(*, M, *)`.

    Examples::

        >>> m = SwiGLU()
        >>> m(torch.tensor([2.0, 0.0]))
        tensor([0.])
    """

    name = "swiglu"
    defaults = {"axis": -1, "beta": 1.0, "compiled": False}


class GEGLU(_Activation):
    r"""GEGLU (Shazeer 2020): split :math:`x = [a, b]` in halves along ``axis`` (first half
    :math:`a`, second half :math:`b`, as ``torch.nn.GLU``):

    .. math::
        \text{GEGLU}(x) = a \otimes \text{GELU}(b)

    Args:
        axis (int): Default: -1
        approximate (str): the GELU form, ``"none"``, ``"tanh"`` or ``"sigmoid"``. Default: ``"none"``
        compiled (bool): use the ``torch.compile``\ d form.

    Shape:
        - Input: :math:`(*, 2M, *)` along ``axis``.
        - Output: :math:`(*, M, *)`.

    Examples::

        >>> m = GEGLU()
        >>> m(torch.tensor([2.0, 0.0]))
        tensor([0.])
    """

    name = "geglu"
    defaults = {"axis": -1, "approximate": "none", "compiled": False}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _check_choice(type(self), "approximate", self.approximate, _APPROXIMATE)


MODULES: dict[str, type[nn.Module]] = {
    cls.name: cls
    for cls in (
        Identity, BinaryStep, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, RReLU, ELU, SELU, CELU,
        GELU, Swish, Mish, Softplus, Softsign, Hardtanh, Hardsigmoid, Hardswish, ReLU6,
        Maxout, Dice, Softmax, Softmin, LogSoftmax, GLU, SwiGLU, GEGLU,
    )
}
assert MODULES.keys() == FUNCTIONS.keys()
