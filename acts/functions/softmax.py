"""The softmax family: probabilities (softmax, softmin) and log-probabilities along an axis."""

from __future__ import annotations

import math

import numpy as np

from ..kinds import AlongAxis, axis
from ._numpy_math import _keep_nan

from .._lazy import lazy_torch

torch = lazy_torch(globals())


# --- numpy ----------------------------------------------------------------------------------
def _shifted(x, ax):
    """(x - max, posinf rows, undefined rows): the max trick with inf handled."""
    m = np.max(x, axis=ax, keepdims=True)
    if np.isfinite(m).all():  # the common case, same numbers: no +inf, no nan, no all -inf row
        return x - m, np.zeros(m.shape, dtype=bool), np.zeros(m.shape, dtype=bool)
    posinf = m == np.inf
    undefined = (m == -np.inf) | np.isnan(m)  # all -inf, or a nan in the row
    d = x - np.where(np.isfinite(m), m, 0.0)
    d = np.where(posinf, np.where(x == np.inf, 0.0, -np.inf), d)
    return np.where(undefined, -np.inf, d), posinf, undefined


def _trivial(x, axis, value):
    """The result for a 0-d x (a vector of one element: ``value``, nan kept) or an empty
    axis (nothing to normalise); None otherwise."""
    if x.ndim == 0:
        return _keep_nan(x, np.full_like(x, value))
    return x.copy() if x.shape[axis] == 0 else None


def _softmax(x, axis):
    trivial = _trivial(x, axis, 1.0)
    if trivial is not None:
        return trivial
    d, _, undefined = _shifted(x, axis)
    e = np.exp(d, out=d)  # d is a fresh array
    total = np.sum(e, axis=axis, keepdims=True)
    if not undefined.any():
        return np.divide(e, total, out=e)
    s = e / np.where(undefined, 1.0, total)
    return np.where(undefined, np.nan, s)


def _softmax_jvp(x, v, axis):
    # J v with J = diag(s) - s sᵀ, never formed: s ⊙ (v - <s, v>)
    s = _softmax(x, axis)
    return s * (v - np.sum(s * v, axis=axis, keepdims=True))


# --- torch ----------------------------------------------------------------------------------
def _t_shifted(x, ax):
    """``z = x − max(x)`` along axis, with the infinities sorted out:

    * ``z = 0`` where ``x == max``, so +inf entries give 0 (not inf − inf = nan) and share
      the mass equally: ``softmax([inf, 1, inf]) = [1/2, 0, 1/2]``, the limit;
    * a row that is all −inf (no limit exists) or holds a NaN gives NaN (as torch).
    """

    m = x.amax(ax, keepdim=True)
    return torch.where((x == m) & (m != -math.inf), 0.0, x - m)


def _t_shifted_ip(x, ax, overwrite=False):
    """:func:`_t_shifted`; with ``overwrite`` it writes into ``x`` (a temporary)."""
    m = x.amax(ax, keepdim=True)
    top = (x == m) & (m != -math.inf)
    z = x.sub_(m) if overwrite else x - m
    return z.masked_fill_(top, 0.0)


def _t_softmax(x, ax):
    e = torch.exp(_t_shifted(x, ax))
    return e / e.sum(ax, keepdim=True)


def _t_softmax_ip(x, ax, overwrite=False):
    e = _t_shifted_ip(x, ax, overwrite).exp_()
    return e.div_(e.sum(ax, keepdim=True))


def _t_softmax_vjp(y, g, ax):
    return y * (g - (g * y).sum(ax, keepdim=True))


def _t_softmax_vjp_ip(y, g, ax):
    """``y·(g − Σ g·y)``, reusing one buffer."""
    gy = g * y
    return torch.sub(g, gy.sum(ax, keepdim=True), out=gy).mul_(y)


class _Normalising(AlongAxis):
    """Probabilities along an axis."""

    family = "normalising"
    params = {"axis": axis(-1)}


class Softmax(_Normalising):
    r"""Turns a vector of logits into a probability distribution.

    :formula: exp(x[i])/Sum(exp(x[j]), (j, 1, n))
    :derivative: f[i]*(KroneckerDelta(i, j) - f[j])
    :convention: Computed as exp(x - max x): shift-invariant, never overflows. A row of all -inf is
        undefined (nan).
    :paper: bridle1990
    :example: Softmax(axis=-1) | [0.0, float("-inf")] | tensor([1., 0.])
    """

    f, jvp = _softmax, _softmax_jvp

    def torch_f(x, axis):
        return _t_softmax(x, axis)

    def torch_f_fast(x, axis):
        return _t_softmax_ip(x, axis)

    def torch_vjp(x, g, axis):
        return _t_softmax_vjp(_t_softmax(x, axis), g, axis)

    def torch_vjp_fast(x, g, axis):
        return _t_softmax_vjp_ip(_t_softmax_ip(x, axis), g, axis)


class Softmin(_Normalising):
    r"""Softmax of -x: the smallest entry gets the largest weight.

    :formula: exp(-x[i])/Sum(exp(-x[j]), (j, 1, n))
    :derivative: -f[i]*(KroneckerDelta(i, j) - f[j])
    :paper: bridle1990
    :example: Softmin() | [0.0, 0.0] | tensor([0.5000, 0.5000])
    """

    def f(x, axis):
        return _softmax(-x, axis)

    def jvp(x, v, axis):
        return _softmax_jvp(-x, -v, axis)

    def torch_f(x, axis):
        return _t_softmax(-x, axis)

    def torch_f_fast(x, axis):
        return _t_softmax_ip(-x, axis, overwrite=True)

    def torch_vjp(x, g, axis):
        return -_t_softmax_vjp(_t_softmax(-x, axis), g, axis)

    def torch_vjp_fast(x, g, axis):
        return _t_softmax_vjp_ip(_t_softmax_ip(-x, axis, overwrite=True), g, axis).neg_()


class LogSoftmax(_Normalising):
    r"""Log-probabilities; with NLLLoss it is cross-entropy.

    :formula: x[i] - log(Sum(exp(x[j]), (j, 1, n)))
    :derivative: KroneckerDelta(i, j) - exp(f[j])
    :convention: Computed as (x - max) - log1p(Σ_{j≠argmax} e^{x_j - max}): no overflow, full accuracy near
        0.
    :paper: bridle1990
    :example: LogSoftmax() | [0.0, 0.0] | tensor([-0.6931, -0.6931])
    """

    def f(x, axis):
        trivial = _trivial(x, axis, 0.0)
        if trivial is not None:
            return trivial
        d, _, undefined = _shifted(x, axis)
        e = np.exp(d)
        # log Σe^d = log1p(Σ over all but one maximum): keeps full relative accuracy
        # for the dominant entry, whose log-probability is -log1p(tiny).
        top = np.argmax(d, axis=axis)
        np.put_along_axis(e, np.expand_dims(top, axis), 0.0, axis=axis)
        lse = np.log1p(np.sum(e, axis=axis, keepdims=True))
        return np.where(undefined, np.nan, d - lse)

    def jvp(x, v, axis):
        # J = I - 1 sᵀ: v - <s, v>
        s = _softmax(x, axis)
        return v - np.sum(s * v, axis=axis, keepdims=True)

    def torch_f(x, axis):
        # log Σ e^z = log1p(Σ over all but one maximum): with z = 0 at the t maxima,
        # Σ e^z = 1 + (t − 1) + Σ_{z<0} e^z. log1p keeps the dominant entry's log-probability
        # −log1p(tiny) exact (log_softmax([0, −50])[0] = −e^−50, not 0).
        z = _t_shifted(x, axis)
        top = z == 0
        rest = torch.where(top, 0.0, torch.exp(z)).sum(axis, keepdim=True)
        return z - torch.log1p(rest + (top.sum(axis, keepdim=True) - 1))

    def torch_f_fast(x, axis):
        z = _t_shifted_ip(x, axis)
        top = z == 0
        rest = z.exp().masked_fill_(top, 0.0).sum(axis, keepdim=True)
        return z.sub_(torch.log1p(rest + (top.sum(axis, keepdim=True) - 1)))

    def torch_vjp(x, g, axis):
        return g - _t_softmax(x, axis) * g.sum(axis, keepdim=True)

    def torch_vjp_fast(x, g, axis):
        return _t_softmax_ip(x, axis).mul_(g.sum(axis, keepdim=True)).neg_().add_(g)
