"""The identities and agreements the softplus/softsign chapter (chapters/softplus_softsign.ipynb)
states. The chapter shows the integral and a summary line; these tests check each identity and
each PyTorch form.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import integrate
from torch import nn

import acts

SOFTPLUS, SOFTSIGN, SIGMOID = acts.get("softplus"), acts.get("softsign"), acts.get("sigmoid")
X = np.linspace(-30, 30, 1201)


def test_derivative_is_the_sigmoid():
    np.testing.assert_allclose(SOFTPLUS.df(X), SIGMOID.f(X), rtol=1e-15, atol=0)


def test_softplus_is_minus_log_sigmoid_of_minus_x():
    # absolute on the left: there -log(sigma(-x)) is the log of a number near 1, which keeps
    # only its absolute accuracy (that is why softplus, not -log sigma, is the stable form)
    np.testing.assert_allclose(SOFTPLUS.f(X), -np.log(SIGMOID.f(-X)), rtol=1e-14, atol=1e-15)


def test_softplus_x_minus_softplus_minus_x_is_x():
    np.testing.assert_allclose(SOFTPLUS.f(X) - SOFTPLUS.f(-X), X, rtol=0, atol=1e-14)


@pytest.mark.parametrize("x", [-5.0, -1.0, 0.0, 1.0, 5.0])
def test_softplus_is_the_integral_of_the_sigmoid(x):
    area, _ = integrate.quad(SIGMOID.f, -np.inf, x)
    assert area == pytest.approx(SOFTPLUS.f(x), rel=1e-10)


def test_softsign_tails_are_polynomial():
    x = np.array([1.0, 10.0, 100.0, 1e4])
    np.testing.assert_allclose(1 - SOFTSIGN.f(x), 1 / (1 + x), rtol=1e-12)
    np.testing.assert_allclose(SOFTSIGN.df(x), (1 + x) ** -2.0, rtol=1e-14)


FORMS = {
    "nn.Softplus(beta=2)": (lambda x: nn.Softplus(beta=2.0)(x), SOFTPLUS, {"beta": 2.0}),
    "F.softplus": (F.softplus, SOFTPLUS, {}),
    "softplus.module(beta=2)": (lambda x: SOFTPLUS.module(beta=2.0)(x), SOFTPLUS, {"beta": 2.0}),
    "softplus.torch": (SOFTPLUS.torch, SOFTPLUS, {}),
    "nn.Softsign()": (lambda x: nn.Softsign()(x), SOFTSIGN, {}),
    "F.softsign": (F.softsign, SOFTSIGN, {}),
    "softsign.module()": (lambda x: SOFTSIGN.module()(x), SOFTSIGN, {}),
}


@pytest.mark.parametrize("name", list(FORMS))
def test_pytorch_forms_match_acts(name):
    f, act, params = FORMS[name]
    x = torch.linspace(-8, 8, 33, dtype=torch.float64, requires_grad=True)
    y = f(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    xn = x.detach().numpy()
    np.testing.assert_allclose(y.detach().numpy(), act.f(xn, **params), rtol=1e-13, atol=0)
    np.testing.assert_allclose(g.numpy(), act.df(xn, **params), rtol=1e-12, atol=0)
