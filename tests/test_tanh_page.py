"""The identities and agreements the tanh chapter (chapters/tanh.ipynb) states.

The chapter shows a summary line for each; these tests check every form separately.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import acts

TANH, SIGMOID = acts.get("tanh"), acts.get("sigmoid")
X = np.linspace(-20, 20, 4001)


def test_tanh_is_a_rescaled_sigmoid_and_so_is_its_derivative():
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(TANH.f(X), 2 * SIGMOID.f(2 * X) - 1, rtol=0, atol=4 * eps)
    np.testing.assert_allclose(TANH.df(X), 4 * SIGMOID.df(2 * X), rtol=1e-14, atol=0)
    assert TANH.df(0.0) == 1.0 == 4 * SIGMOID.df(0.0)


def test_derivative_stays_accurate_where_one_minus_tanh_squared_is_zero():
    x = np.array([20.0, 30.0])
    assert np.all(1 - np.tanh(x) ** 2 == 0)
    np.testing.assert_allclose(TANH.df(x), 4 * np.exp(-2 * x), rtol=1e-12)


@pytest.mark.parametrize("form", ["nn.Tanh", "torch.tanh", "F.tanh", "module", "torch"])
def test_pytorch_forms_match_acts(form):
    x = torch.linspace(-6, 6, 13, dtype=torch.float64, requires_grad=True)
    f = {"nn.Tanh": nn.Tanh(), "torch.tanh": torch.tanh, "F.tanh": torch.nn.functional.tanh,
         "module": TANH.module(), "torch": TANH.torch}[form]
    y = f(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    xn = x.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), TANH.f(xn), rtol=1e-14, atol=1e-300)
    # the built-in backward computes 1 - y**2 and loses digits as |x| grows (about 12 are
    # left at |x| = 6); the acts backward does not
    rtol = 1e-15 if form in ("module", "torch") else 1e-11
    np.testing.assert_allclose(g.numpy(), TANH.df(xn), rtol=rtol, atol=0)


def test_builtin_backward_is_zero_at_20_and_acts_is_not():
    x = torch.tensor([20.0], dtype=torch.float64, requires_grad=True)
    (g_builtin,) = torch.autograd.grad(torch.tanh(x).sum(), x)
    (g_acts,) = torch.autograd.grad(TANH.torch(x).sum(), x)
    assert g_builtin.item() == 0.0
    assert g_acts.item() == pytest.approx(4 * np.exp(-40.0), rel=1e-12)
