"""Torch helpers shared by the specs' torch forms (x already float32 or float64).

Design rules of every torch form (the numpy forms' accuracy bar is jax.nn):

* **Save the input only.** The autograd Functions (generated in :mod:`acts.nn`) save ``x``
  and recompute in the backward what they need; tensor parameters (PReLU's weight, Dice's α
  and statistics) are inputs and saved as such. Exceptions: a constant derivative saves
  nothing; RReLU in training saves its sampled slopes (they cannot be recomputed).
* **Stable forms.** ``expm1``/``log1p``; softplus as ``max(t, 0) + log1p(exp(-|t|))`` for
  every ``t``; ``σ`` and ``σ' = σ(t)σ(−t) = e/(1 + e)²`` from ``e = exp(−|t|)`` (no overflow,
  no ``1 − σ`` cancellation, subnormal tails kept); ``sech² x = 4σ(2x)σ(−2x)``;
  ``Φ(x) = erfc(−x/√2)/2``; the Gaussian density with ``x²`` split into exact parts.
* **No NaN from branches not taken.** Where a formula would give ``inf · 0`` at ``±inf`` the
  branch's input is clamped to a finite value past which the result no longer changes; the
  backward is analytic, so ``torch.where`` never sees a gradient of the branch it did not
  select.
* **No data-dependent Python control flow**: every form traces under ``torch.compile``.
* **Fast twins** (``torch_f_fast``, ``torch_df_fast``): on the CPU a fresh tensor costs more
  than the arithmetic on it, so the hot forms have twins that perform the same
  floating-point operations in the same order (bitwise equal; tests/test_torch_fast.py
  checks it) reusing temporaries in place. They run whenever autograd is not recording.
"""

from __future__ import annotations

import math

from .._lazy import lazy_torch

torch = lazy_torch(globals())


def _up(t):
    """The compute dtype: float64 and float32 stay, narrower floats go to float32."""
    if t.dtype == torch.float64 or t.dtype == torch.float32:
        return t
    return t.float()


def _up_param(p):
    """Tensor parameters follow :func:`_up`; Python numbers and None pass through."""
    return _up(p) if isinstance(p, torch.Tensor) else p


def _exp_neg_abs(t, branch):
    r"""``exp(−|t|)`` whose autograd derivative is that of the branch a formula uses at ``t = 0``:
    ``exp(−t)`` where ``branch`` (the ``t ≥ 0`` or ``t > 0`` side) holds, else ``exp(t)``.

    ``torch.abs`` has derivative 0 at 0, so ``exp(−|t|)`` differentiates to 0 there and every
    second derivative built on it (double backward of σ, softplus, swish, mish) came out wrong
    at exactly 0 (mish″(0) = 0.32 instead of 0.64). The values are the same bit for bit.
    """

    return torch.exp(torch.where(branch, -t, t))


def _sigmoid(t):
    r"""``σ(t) = 1/(1 + e^{−t})`` from ``e = exp(−|t|)``: ``1/(1 + e)`` for ``t ≥ 0``, ``e/(1 + e)``
    for ``t < 0``.

    ``exp`` never overflows, so ``σ(t)`` for ``t < −709.78`` is the subnormal ``e^t``, not 0
    (``torch.sigmoid`` and scipy's ``expit`` compute ``1/(1 + e^{−t})`` and flush it to 0,
    which makes ``swish(−710) = −710·σ(−710)``, a normal number, come out as 0).
    """

    pos = t >= 0
    e = _exp_neg_abs(t, pos)
    return torch.where(pos, 1.0, e) / (1.0 + e)


def _dsigmoid(t):
    r"""``σ'(t) = σ(t)·σ(−t) = e/(1 + e)²`` with ``e = exp(−|t|)`` — no ``1 − σ``.

    ``1 − σ(t)`` loses all relative accuracy for large ``t``; this form keeps it into the
    subnormal range and never overflows. At ``t = ±inf`` it is ``0``.
    """

    e = torch.exp(-t.abs())
    return e / ((1.0 + e) * (1.0 + e))


def _logistic(t):
    """``(σ(t), σ'(t))`` sharing one ``exp`` (see :func:`_sigmoid`, :func:`_dsigmoid`)."""
    pos = t >= 0
    e = _exp_neg_abs(t, pos)
    d = 1.0 + e
    return torch.where(pos, 1.0, e) / d, e / (d * d)


_EXPM1_TAYLOR = tuple(1.0 / math.factorial(k + 1) for k in range(9))  # e^t − 1 = t·Σ t^k/(k+1)!


def _expm1(t):
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


# Eager torch runs every op of a formula as its own pass over memory, into a freshly
# allocated tensor. On the CPU a fresh tensor of 1e7 floats costs more than the arithmetic
# on it: the allocator maps new pages and the kernel page-faults on each of them. The forms
# below compute exactly the same floating-point operations, in the same order, as the
# reference forms above (so the results are bitwise equal: tests/test_torch_fast.py checks it),
# but reuse their temporaries with in-place ops and ``masked_fill_`` instead of
# ``torch.where`` with a constant. In-place arithmetic is only safe when autograd is not
# recording: always inside ``Function.forward``; in ``backward`` unless the caller asked
# for ``create_graph=True`` (double backward), which then takes the reference forms.
# Under ``torch.compile`` both forms give the same fused kernel (in-place ops on
# temporaries are functionalised away).
def _e_abs(t):
    """``exp(−|t|)`` in one buffer."""
    return t.abs().neg_().exp_()


def _sigmoid_ip(t):
    e = _e_abs(t)
    d = e + 1.0
    return e.masked_fill_(t >= 0, 1.0).div_(d)


def _dsigmoid_ip(t):
    e = _e_abs(t)
    d = e + 1.0
    return e.div_(d.mul_(d))


def _logistic_ip(t):
    e = _e_abs(t)
    d = e + 1.0
    s = torch.where(t >= 0, 1.0, e).div_(d)
    return s, e.div_(d.mul_(d))


def _expm1_ip(t):
    """:func:`_expm1` overwriting ``t`` (a temporary) where that is exact."""
    if torch.compiler.is_compiling() and t.device.type == "cpu":
        return _expm1(t)
    return t.expm1_()


def _scaled(x, beta: float):
    """``beta·x`` (a new tensor), or ``x`` itself for ``beta = 1`` (``1·x`` is exactly ``x``):
    callers must not write into the result."""
    return x if beta == 1.0 else x * beta
