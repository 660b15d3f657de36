"""The identities and agreements the sigmoid chapter (chapters/sigmoid.ipynb) states.

The chapter shows one of each; these tests check them all, on grids that reach the tails.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import acts

SIGMOID, TANH = acts.get("sigmoid"), acts.get("tanh")
X = np.linspace(-40, 40, 1601)


def test_one_minus_sigmoid_is_sigmoid_of_minus_x():
    # relative, so that the left tail (1 - sigma(x) = sigma(-x) near 1) and the right tail
    # (sigma(-x) tiny) are both checked
    np.testing.assert_allclose(1 - SIGMOID.f(X[X < 0]), SIGMOID.f(-X[X < 0]), rtol=1e-15, atol=0)
    np.testing.assert_allclose(SIGMOID.f(-X), np.exp(-X) / (1 + np.exp(-X)), rtol=1e-14, atol=0)


def test_derivative_is_sigma_x_times_sigma_minus_x():
    np.testing.assert_allclose(SIGMOID.df(X), SIGMOID.f(X) * SIGMOID.f(-X), rtol=1e-15, atol=0)
    # and it is the true derivative, not 0, where sigma(x) rounds to 1
    np.testing.assert_allclose(SIGMOID.df(np.array([37.0, 40.0])), np.exp(-np.array([37.0, 40.0])), rtol=1e-12)


def test_sigmoid_is_a_shifted_rescaled_tanh():
    np.testing.assert_allclose(SIGMOID.f(X), (1 + TANH.f(X / 2)) / 2, rtol=0, atol=1e-15)


def test_derivative_is_at_most_a_quarter_at_zero():
    assert SIGMOID.df(0.0) == 0.25
    assert np.all(SIGMOID.df(X[X != 0]) < 0.25)


@pytest.mark.parametrize("form", ["nn.Sigmoid", "torch.sigmoid", "F.sigmoid", "module", "torch"])
def test_pytorch_forms_match_acts(form):
    x = torch.linspace(-6, 6, 13, dtype=torch.float64, requires_grad=True)
    f = {"nn.Sigmoid": nn.Sigmoid(), "torch.sigmoid": torch.sigmoid, "F.sigmoid": torch.nn.functional.sigmoid,
         "module": SIGMOID.module(), "torch": SIGMOID.torch}[form]
    y = f(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    xn = x.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), SIGMOID.f(xn), rtol=1e-14, atol=0)
    np.testing.assert_allclose(g.numpy(), SIGMOID.df(xn), rtol=1e-12, atol=0)


def test_builtin_backward_cancels_where_acts_does_not():
    x = torch.tensor([40.0], dtype=torch.float64, requires_grad=True)
    (g_builtin,) = torch.autograd.grad(torch.sigmoid(x).sum(), x)
    (g_acts,) = torch.autograd.grad(SIGMOID.torch(x).sum(), x)
    assert g_builtin.item() == 0.0
    assert g_acts.item() == pytest.approx(np.exp(-40.0), rel=1e-12)
