"""The identity and the threshold unit: no activation, and one that cannot be trained."""

from __future__ import annotations

import numpy as np

from ..kinds import Elementwise
from ._numpy_math import _keep_nan
from .._lazy import lazy_torch

torch = lazy_torch(globals())

class Identity(Elementwise):
    r"""No activation: a stack of linear layers stays linear.

    :formula: x
    :derivative: 1
    :example: Identity() | [-1.0, 2.0] | tensor([-1.,  2.])
    """

    family = "linear"
    constant_derivative = 1.0

    def f(x):
        return x.copy()

    def df(x):
        return _keep_nan(x, np.ones_like(x))

    def torch_f(x):
        return x.clone()


class BinaryStep(Elementwise):
    r"""The perceptron's threshold unit: gradient 0 almost everywhere, so it cannot be trained by backprop.

    :formula: Piecewise((1, x >= 0), (0, True))
    :derivative: 0
    :convention: f'(0) = 0 (the jump at 0 has no derivative); step(0) = 1.
    :paper: mcculloch1943
    :example: BinaryStep() | [-1.0, 0.0, 2.0] | tensor([0., 1., 1.])
    """

    family = "threshold"
    constant_derivative = 0.0

    def f(x):
        return _keep_nan(x, (x >= 0).astype(np.float64))

    def df(x):
        return _keep_nan(x, np.zeros_like(x))

    def torch_f(x):
        return torch.where(x >= 0, 1.0, torch.where(x < 0, 0.0, x))  # nan stays nan
