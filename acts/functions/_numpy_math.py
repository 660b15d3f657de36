"""Numpy helpers shared by the specs: float64 in, float64 out, accurate in the tails.

Numerical conventions (shared by all numpy forms):

* Stable forms only: ``expm1``, ``log1p``, ``logaddexp``, max-shifted softmax,
  ``x - max - log1p(rest)``. No formula subtracts two nearly equal numbers
  unless the function itself is ill-conditioned there.
* Tails are exact to a few ulp: a product ``b * exp(z)`` whose exponential is
  subnormal but whose product is normal (``swish'(-710)``, ``gelu'(-37.6)``) is
  computed as ``b * exp(z + 64) * exp(-64)`` (see :func:`_mul_exp`).
* Branches not taken by ``np.where`` are fed clamped arguments, so no input
  produces a RuntimeWarning; overflow/underflow that rounds to the right answer
  is silenced by the registry's ``np.errstate(over="ignore", under="ignore")``.
* ±inf give the mathematical limits; nan gives nan.

The registry converts inputs to float64 and rounds results to the caller's dtype, so
float16/float32 results are the correctly rounded float64 values.
"""

from __future__ import annotations

import math

import numpy as np

_EXP_M64 = math.exp(-64.0)
_TAIL = -600.0  # below this, exp(z) is scaled by e^64 before multiplying
_CLAMP = 1.0e3  # beyond ±1000 every exponential tail is exactly 0 or 1 in float64
_SPLIT = 134217729.0  # 2**27 + 1 (Dekker's split)


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
