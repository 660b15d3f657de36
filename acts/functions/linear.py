"""The identity and the threshold unit: no activation, and one that cannot be trained."""

from __future__ import annotations

import numpy as np

from ..kinds import Elementwise, cases, paper
from ._numpy_math import _keep_nan
from .._lazy import lazy_torch

torch = lazy_torch(globals())

class Identity(Elementwise):
    name = "identity"
    family = "linear"
    formula = r"f(x) = x"
    derivative = r"f'(x) = 1"
    description = "No activation: a stack of linear layers stays linear."
    example = """
    >>> m = Identity()
    >>> m(torch.tensor([-1.0, 2.0]))
    tensor([-1.,  2.])
    """
    constant_derivative = 1.0

    def f(x):
        return x.copy()

    def df(x):
        return _keep_nan(x, np.ones_like(x))

    def torch_f(x):
        return x.clone()


class BinaryStep(Elementwise):
    name = "binary_step"
    family = "threshold"
    formula = cases(r"1 & x \ge 0", r"0 & x < 0")
    derivative = r"f'(x) = 0 \quad (x \ne 0;\ \text{we use } f'(0) = 0)"
    convention = "f'(0) = 0 (the jump at 0 has no derivative); step(0) = 1."
    description = ("The perceptron's threshold unit: gradient 0 almost everywhere, so it cannot be trained "
                   "by backprop.")
    example = """
    >>> m = BinaryStep()
    >>> m(torch.tensor([-1.0, 0.0, 2.0]))
    tensor([0., 1., 1.])
    """
    paper = paper("McCulloch, W. S.; Pitts, W.", 1943, "A logical calculus of the ideas immanent in nervous activity",
                  "Bulletin of Mathematical Biophysics 5", doi="10.1007/BF02478259", key="mcculloch1943")
    constant_derivative = 0.0

    def f(x):
        return _keep_nan(x, (x >= 0).astype(np.float64))

    def df(x):
        return _keep_nan(x, np.zeros_like(x))

    def torch_f(x):
        return torch.where(x >= 0, 1.0, torch.where(x < 0, 0.0, x))  # nan stays nan
