"""Rectifiers: ReLU and its leaky, parametric and randomised variants."""

from __future__ import annotations

import numbers

import numpy as np

from ..kinds import Elementwise, boolean, generator, real
from ._numpy_math import _keep_nan, _times
from ._torch_math import _up

from .._lazy import lazy_torch

torch = lazy_torch(globals())

class ReLU(Elementwise):
    r"""Rectified linear unit.

    :formula: Max(0, x)
    :derivative: Piecewise((1, x > 0), (0, True))
    :convention: relu'(0) = 0, as torch and JAX.
    :paper: glorot2011
    :example: ReLU() | [-1.0, 2.0] | tensor([0., 2.])
    """

    family = "rectifier"

    def f(x):
        # +0.0 for x <= 0 (torch.relu keeps -0.0 as -0.0; the two compare equal), nan stays nan.
        return np.where(x > 0, x, np.where(np.isnan(x), x, 0.0))

    def df(x):
        return _keep_nan(x, (x > 0).astype(np.float64))

    def torch_f(x):
        return x.clamp(min=0.0)  # clamp propagates NaN

    def torch_df(x):
        return (x > 0).to(x.dtype)  # relu'(0) = 0, as torch


class _Leaky(Elementwise):
    """Rectifiers with a slope for x <= 0."""

    family = "leaky rectifier"


class LeakyReLU(_Leaky):
    r"""ReLU with a small fixed slope for x < 0, so no unit is ever exactly dead.

    :formula: Piecewise((x, x > 0), (negative_slope*x, True))
    :derivative: Piecewise((1, x > 0), (negative_slope, True))
    :convention: leaky_relu'(0) = negative_slope, as torch.
    :paper: maas2013
    :example: LeakyReLU(negative_slope=0.1) | [-1.0, 2.0] | tensor([-0.1000,  2.0000])
    """

    params = {"negative_slope": real(0.01, doc="the slope α for x <= 0", symbol=r"\alpha")}

    def f(x, negative_slope):
        if np.ndim(negative_slope) == 0 and 0 < negative_slope <= 1:
            # The same values in two passes instead of three: for 0 < a <= 1, max(x, a·x) is x
            # for x > 0 and a·x for x <= 0, ±0, ±inf and nan included.
            return np.maximum(x, negative_slope * x)
        return np.where(x > 0, x, _times(negative_slope, x))

    def df(x, negative_slope):
        return _keep_nan(x, np.where(x > 0, 1.0, negative_slope))

    def torch_f(x, negative_slope):
        return torch.where(x > 0, x, x * negative_slope)

    def torch_df(x, negative_slope):
        return torch.where(x > 0, 1.0, x.new_full((), negative_slope))  # a at 0, as torch


class PReLU(_Leaky):
    r"""Leaky ReLU whose slope a is learned (one per channel, or one shared).

    :formula: Piecewise((x, x > 0), (weight*x, True))
    :derivative: Piecewise((1, x > 0), (weight, True))
    :convention: prelu'(0) = a (the weight), as torch.
    :paper: he2015
    :example: PReLU(weight=0.25) | [-1.0, 2.0] | tensor([-0.2500,  2.0000], grad_fn=<PReLUFunctionBackward>)
    """

    learnable = 1
    params = {"weight": real(0.25, array=True, doc="the slope a for x <= 0 (initial value in the module)", symbol="a")}
    module_args = {"num_parameters": (1, "1 (one shared w) or the number of channels C (channel dim 1)")}
    module_learned = "weight"
    shape_doc = ("(*), or (N, C, *) when num_parameters = C", "same shape as the input")

    def f(x, weight):
        return LeakyReLU.f(x, weight)

    def df(x, weight):
        return LeakyReLU.df(x, weight)

    def torch_call(T, x, weight):
        """A number: the leaky ReLU Function. A tensor of 1 or x.shape[1] elements (one per
        channel, dim 1): the PReLU Function, which also returns ∂L/∂w = Σ g·x[x <= 0]."""
        if T.is_number(weight):
            return T.apply(T.function(LeakyReLU), x, float(weight))
        w = weight if isinstance(weight, torch.Tensor) else T.param_tensor(weight, x)
        if w.numel() == 1:
            w = w.reshape(())
        else:
            if x.ndim < 2 or x.shape[1] != w.numel():
                raise ValueError(f"prelu: weight has {w.numel()} elements; it must have 1 or x.shape[1] "
                                 f"(channel dim 1) elements, and x has shape {tuple(x.shape)}")
            w = w.reshape((-1,) + (1,) * (x.ndim - 2))
        return T.apply(T.function(PReLU), x, w)

    def torch_forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        xu, wu = _up(x), _up(w)
        return torch.where(xu > 0, xu, wu * xu).to(x.dtype)

    def torch_backward(ctx, grad):
        x, w = ctx.saved_tensors
        xu, wu, g = _up(x), _up(w), _up(grad)
        pos = xu > 0
        gx = torch.where(pos, g, g * wu).to(x.dtype) if ctx.needs_input_grad[0] else None
        gw = None
        if ctx.needs_input_grad[1]:
            gw = torch.where(pos, 0.0, g * xu).sum_to_size(w.shape).to(w.dtype)
        return gx, gw

    def module_init(m):
        n, init = m._args["num_parameters"], m._args["weight"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int, got {n!r}")
        m.num_parameters = n
        m.weight = torch.nn.Parameter(torch.full((n,), float(init), device=m._args["device"], dtype=m._args["dtype"]))

    def module_forward(m, x):
        return m._call(x, weight=m.weight)

    def module_repr(m):
        return f"num_parameters={m.num_parameters}"


def _rrelu_slopes(x, lower, upper, training, rng):
    if not training:
        return (lower + upper) / 2.0
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    return rng.uniform(lower, upper, size=x.shape)


def _uniform_like(x, lower, upper, rng):
    """U(lower, upper) samples of x's shape, dtype and device. ``rng``: None (torch's global
    generator), a ``torch.Generator`` (on any device: a CPU generator samples on the CPU), an
    int seed, or a numpy ``Generator``."""
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


class RReLU(_Leaky):
    r"""Randomised leaky ReLU: a random slope per element while training, the mean slope at inference.

    :formula: Piecewise((x, x > 0), (a*x, True))
    :derivative: Piecewise((1, x > 0), (a, True))
    :where: a = (lower + upper)/2
    :convention: rrelu'(0) = a; in training, df draws the same slopes as f for the same rng seed.
    :paper: xu2015
    :example: RReLU(0.1, 0.3).eval() | [-1.0, 2.0] | tensor([-0.2000,  2.0000])
    """

    params = {"lower": real(1 / 8, doc="lower bound l of the slopes' uniform distribution", symbol="l"),
              "upper": real(1 / 3, doc="upper bound u of the slopes' uniform distribution", symbol="u"),
              "training": boolean(False, doc="draw a slope per element (else the mean slope (l+u)/2)"),
              "rng": generator(doc="generator of the slopes (an int seeds one kept by the module); "
                                   "None: the global one")}
    # the module's mode decides training; an int seed becomes one generator, advanced by every call
    module_args = {}
    module_excludes = ("training",)

    def relation(p):
        if p["lower"] > p["upper"]:
            raise ValueError(f"rrelu: lower ({p['lower']}) must be <= upper ({p['upper']}).")

    def f(x, lower, upper, training, rng):
        return LeakyReLU.f(x, _rrelu_slopes(x, lower, upper, training, rng))

    def df(x, lower, upper, training, rng):
        return LeakyReLU.df(x, _rrelu_slopes(x, lower, upper, training, rng))

    def torch_call(T, x, lower, upper, training, rng):
        if not training:
            return T.apply(T.function(LeakyReLU), x, (lower + upper) / 2.0)
        slopes = _uniform_like(x, lower, upper, rng)
        return T.apply(T.function(RReLU), x, torch.where(x > 0, torch.ones_like(slopes), slopes))

    def torch_forward(ctx, x, d):
        """Training: the sampled per-element slopes d (1 where x > 0); f = x·d, f' = d. Saves
        only d (the slopes cannot be recomputed from x)."""
        ctx.save_for_backward(d)
        return (_up(x) * _up(d)).to(x.dtype)

    def torch_backward(ctx, grad):
        (d,) = ctx.saved_tensors
        return (_up(grad) * _up(d)).to(grad.dtype), None

    def module_init(m):
        if isinstance(m.rng, numbers.Integral):
            m.rng = torch.Generator().manual_seed(int(m.rng))

    def module_forward(m, x):
        return m._call(x, training=m.training)
