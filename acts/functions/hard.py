"""Piecewise-linear ("hard") units: cheap stand-ins for tanh, sigmoid and swish on mobile hardware."""

from __future__ import annotations

import numpy as np

from ..kinds import Elementwise, cases, paper, real
from ._numpy_math import _keep_nan

from .._lazy import lazy_torch

torch = lazy_torch(globals())

_MOBILENET_V3 = paper("Howard, A.; Sandler, M.; Chu, G.; Chen, L.-C.; Chen, B.; Tan, M.; Wang, W.; Zhu, Y.; "
                      "Pang, R.; Vasudevan, V.; Le, Q. V.; Adam, H.", 2019, "Searching for MobileNetV3",
                      "ICCV 2019", arxiv="1905.02244", key="howard2019")


class Hardtanh(Elementwise):
    name = "hardtanh"
    family = "piecewise-linear (hard)"
    params = {"min_val": real(-1.0, doc="the lower corner a"), "max_val": real(1.0, doc="the upper corner b")}
    formula = r"\min\bigl(\max(x, a), b\bigr),\quad a = \text{min\_val},\ b = \text{max\_val}"
    derivative = cases(r"1 & a < x < b", r"0 & \text{otherwise}")
    convention = "hardtanh' = 0 at min_val and max_val, as torch."
    description = "Piecewise-linear tanh."
    example = """
    >>> m = Hardtanh(min_val=-2.0, max_val=2.0)
    >>> m(torch.tensor([-3.0, 1.0, 3.0]))
    tensor([-2.,  1.,  2.])
    """
    paper = paper("Gulcehre, C.; Moczulski, M.; Denil, M.; Bengio, Y.", 2016, "Noisy Activation Functions",
                  "ICML 2016", arxiv="1603.00391", key="gulcehre2016")

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


class ReLU6(Elementwise):
    name = "relu6"
    family = "piecewise-linear (hard)"
    formula = r"\operatorname{ReLU6}(x) = \min\bigl(\max(0, x), 6\bigr)"
    derivative = cases(r"1 & 0 < x < 6", r"0 & \text{otherwise}")
    convention = "relu6'(0) = relu6'(6) = 0, as torch."
    description = "ReLU capped at 6: bounded activations for low-precision mobile inference."
    example = """
    >>> m = ReLU6()
    >>> m(torch.tensor([-1.0, 3.0, 7.0]))
    tensor([0., 3., 6.])
    """
    paper = paper("Sandler, M.; Howard, A.; Zhu, M.; Zhmoginov, A.; Chen, L.-C.", 2018,
                  "MobileNetV2: Inverted Residuals and Linear Bottlenecks", "CVPR 2018", arxiv="1801.04381",
                  key="sandler2018")

    def f(x):
        return Hardtanh.f(x, 0.0, 6.0)

    def df(x):
        return Hardtanh.df(x, 0.0, 6.0)

    def torch_f(x):
        return x.clamp(0.0, 6.0)

    def torch_df(x):
        return ((x > 0.0) & (x < 6.0)).to(x.dtype)  # 0 at 0 and 6, as torch


class Hardsigmoid(Elementwise):
    name = "hardsigmoid"
    family = "piecewise-linear (hard)"
    formula = r"\frac{\operatorname{ReLU6}(x + 3)}{6} = \min\bigl(\max(0, \tfrac{x}{6} + \tfrac12), 1\bigr)"
    derivative = cases(r"\tfrac16 & -3 < x < 3", r"0 & \text{otherwise}")
    convention = "hardsigmoid'(±3) = 0, as torch."
    description = "Piecewise-linear sigmoid (MobileNetV3's definition, as torch)."
    example = """
    >>> m = Hardsigmoid()
    >>> m(torch.tensor([-4.0, 0.0, 4.0]))
    tensor([0.0000, 0.5000, 1.0000])
    """
    paper = _MOBILENET_V3

    def f(x):
        return np.clip((x + 3.0) / 6.0, 0.0, 1.0)  # x + 3 is exact near -3, unlike x/6 + 1/2

    def df(x):
        return _keep_nan(x, np.where((x > -3.0) & (x < 3.0), 1.0 / 6.0, 0.0))

    def torch_f(x):
        return (x + 3.0).clamp(0.0, 6.0) / 6.0

    def torch_df(x):
        return ((x > -3.0) & (x < 3.0)).to(x.dtype) / 6.0  # 0 at ±3, as torch


class Hardswish(Elementwise):
    name = "hardswish"
    family = "piecewise-linear (hard)"
    formula = r"x\,\frac{\operatorname{ReLU6}(x + 3)}{6}"
    derivative = cases(r"0 & x \le -3", r"\tfrac{2x + 3}{6} & -3 < x < 3", r"1 & x \ge 3")
    convention = "hardswish'(-3) = 0 and hardswish'(3) = 1 (the outer pieces), as torch 2.13 autograd."
    description = "Piecewise-polynomial Swish for mobile (MobileNetV3)."
    example = """
    >>> m = Hardswish()
    >>> m(torch.tensor([-4.0, 0.0, 4.0]))
    tensor([-0.,  0.,  4.])
    """
    paper = _MOBILENET_V3

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
