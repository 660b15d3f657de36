"""Piecewise-linear ("hard") units: cheap stand-ins for tanh, sigmoid and swish on mobile hardware."""

from __future__ import annotations

import numpy as np

from ..kinds import Elementwise, real
from ._numpy_math import _keep_nan

from .._lazy import lazy_torch

torch = lazy_torch(globals())


class _Hard(Elementwise):
    """Piecewise-linear units."""

    family = "piecewise-linear (hard)"


class Hardtanh(_Hard):
    r"""Piecewise-linear tanh.

    :formula: Min(Max(x, min_val), max_val)
    :derivative: Piecewise((1, (min_val < x) & (x < max_val)), (0, True))
    :convention: hardtanh' = 0 at min_val and max_val, as torch.
    :paper: gulcehre2016
    :example: Hardtanh(min_val=-2.0, max_val=2.0) | [-3.0, 1.0, 3.0] | tensor([-2.,  1.,  2.])
    """

    params = {"min_val": real(-1.0, doc="the lower corner a", symbol="a"), "max_val": real(1.0, doc="the upper corner b", symbol="b")}

    def relation(p):
        if not p["min_val"] < p["max_val"]:
            raise ValueError(f"hardtanh: min_val ({p['min_val']}) must be < max_val ({p['max_val']}).")

    def f(x, min_val, max_val):
        return np.clip(x, min_val, max_val)

    def df(x, min_val, max_val):
        # 1 strictly inside (min_val, max_val), 0 at the corners: torch's convention.
        return _keep_nan(x, ((x > min_val) & (x < max_val)).astype(np.float64))

    def torch_f(x, min_val, max_val):
        return x.clamp(min_val, max_val)

    def torch_df(x, min_val, max_val):
        return ((x > min_val) & (x < max_val)).to(x.dtype)  # 0 at both kinks, as torch


class ReLU6(_Hard):
    r"""ReLU capped at 6: bounded activations for low-precision mobile inference.

    :formula: Min(Max(0, x), 6)
    :derivative: Piecewise((1, (x > 0) & (x < 6)), (0, True))
    :convention: relu6'(0) = relu6'(6) = 0, as torch.
    :paper: sandler2018
    :example: ReLU6() | [-1.0, 3.0, 7.0] | tensor([0., 3., 6.])
    """

    def f(x):
        return Hardtanh.f(x, 0.0, 6.0)

    def df(x):
        return Hardtanh.df(x, 0.0, 6.0)

    def torch_f(x):
        return x.clamp(0.0, 6.0)

    def torch_df(x):
        return ((x > 0.0) & (x < 6.0)).to(x.dtype)  # 0 at 0 and 6, as torch


class Hardsigmoid(_Hard):
    r"""Piecewise-linear sigmoid (MobileNetV3's definition, as torch).

    :formula: Min(Max(0, x + 3), 6)/6 = Min(Max(0, x/6 + Rational(1, 2)), 1)
    :derivative: Piecewise((Rational(1, 6), (x > -3) & (x < 3)), (0, True))
    :convention: hardsigmoid'(±3) = 0, as torch.
    :paper: howard2019
    :example: Hardsigmoid() | [-4.0, 0.0, 4.0] | tensor([0.0000, 0.5000, 1.0000])
    """

    def f(x):
        return np.clip((x + 3.0) / 6.0, 0.0, 1.0)  # x + 3 is exact near -3, unlike x/6 + 1/2

    def df(x):
        return _keep_nan(x, np.where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0))

    def torch_f(x):
        return (x + 3.0).clamp(0.0, 6.0) / 6.0

    def torch_df(x):
        return ((x > -3.0) & (x < 3.0)).to(x.dtype) / 6.0  # 0 at ±3, as torch


class Hardswish(_Hard):
    r"""Piecewise-polynomial Swish for mobile (MobileNetV3).

    :formula: x*Min(Max(0, x + 3), 6)/6
    :derivative: Piecewise((0, x <= -3), ((2*x + 3)/6, x < 3), (1, True))
    :convention: hardswish'(-3) = 0 and hardswish'(3) = 1 (the outer pieces), as torch 2.13 autograd.
    :paper: howard2019
    :example: Hardswish() | [-4.0, 0.0, 4.0] | tensor([-0.,  0.,  4.])
    """

    def f(x):
        xc = np.clip(x, -3.0, 3.0)
        return np.where(x >= 3.0, x, xc * (xc + 3.0) / 6.0)

    def df(x):
        xc = np.clip(x, -3.0, 3.0)
        inner = (2.0 * xc + 3.0) / 6.0  # 2x + 3 is exact near -1.5, the root
        return _keep_nan(x, np.where(x <= -3.0, 0.0, np.where(x >= 3.0, 1.0, inner)))

    def torch_f(x):
        xl = x.clamp(min=-3.0)  # x·(x+3)/6 is 0 at −3; clamping avoids −inf·0 and keeps NaN
        return torch.where(x >= 3.0, x, xl * (xl + 3.0) / 6.0)

    def torch_df(x):
        return torch.where(x >= 3.0, 1.0, torch.where(x > -3.0, (2.0 * x + 3.0) / 6.0, 0.0))

    def torch_f_fast(x):
        xl = x.clamp(min=-3.0)
        return torch.where(x >= 3.0, x, (xl + 3.0).mul_(xl).div_(6.0))

    def torch_df_fast(x):
        v = (x * 2.0).add_(3.0).div_(6.0).masked_fill_(~(x > -3.0), 0.0)
        return v.masked_fill_(x >= 3.0, 1.0)
