"""Exponential linear units: ELU, the self-normalising SELU and the C¹ CELU."""

from __future__ import annotations

import numpy as np

from ..constants import SELU_ALPHA, SELU_LAMBDA, SELU_LAMBDA_ALPHA
from ..kinds import Elementwise, real
from ._torch_math import _expm1, _expm1_ip

from .._lazy import lazy_torch

torch = lazy_torch(globals())

class _Exponential(Elementwise):
    """Exponential linear units."""

    family = "exponential linear"


class ELU(_Exponential):
    r"""Exponential linear unit: saturates softly to -α for x → -∞.

    :formula: Piecewise((x, x > 0), (alpha*(exp(x) - 1), True))
    :derivative: Piecewise((1, x > 0), (alpha*exp(x), True))
    :convention: elu'(0) = α, as torch.
    :paper: clevert2015
    :example: ELU(alpha=1.0) | [0.0, 2.0] | tensor([0., 2.])
    """

    params = {"alpha": real(1.0, doc="the value -α approached as x → -∞")}

    def f(x, alpha):
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))  # expm1: exact near 0

    def df(x, alpha):
        # the x <= 0 branch at 0 gives α·e^0 = α: torch's convention elu'(0) = α
        return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))

    def torch_f(x, alpha):
        # expm1 on min(x, 0): the positive branch never overflows to inf
        return torch.where(x > 0, x, alpha * _expm1(x.clamp(max=0.0)))

    def torch_df(x, alpha):
        return torch.where(x > 0, 1.0, alpha * torch.exp(x.clamp(max=0.0)))  # elu'(0) = α

    def torch_f_fast(x, alpha):
        m = _expm1_ip(x.clamp(max=0.0))
        if alpha != 1.0:
            m.mul_(alpha)
        return torch.where(x > 0, x, m)

    def torch_df_fast(x, alpha):
        m = x.clamp(max=0.0).exp_()
        if alpha != 1.0:
            m.mul_(alpha)
        return m.masked_fill_(x > 0, 1.0)


class SELU(_Exponential):
    r"""Scaled ELU whose constants make mean 0 / variance 1 a fixed point of a dense layer.

    :formula: lam*Piecewise((x, x > 0), (alpha*(exp(x) - 1), True))
    :derivative: lam*Piecewise((1, x > 0), (alpha*exp(x), True))
    :where: alpha = SELU_ALPHA; lam = SELU_LAMBDA
    :convention: selu'(0) = λα, as torch.
    :paper: klambauer2017
    :example: SELU() | [0.0] | tensor([0.])
    """

    def f(x):
        return np.where(x > 0, SELU_LAMBDA * x, SELU_LAMBDA_ALPHA * np.expm1(np.minimum(x, 0.0)))

    def df(x):
        return np.where(x > 0, SELU_LAMBDA, SELU_LAMBDA_ALPHA * np.exp(np.minimum(x, 0.0)))

    def torch_f(x):
        return SELU_LAMBDA * ELU.torch_f(x, SELU_ALPHA)

    def torch_df(x):
        return SELU_LAMBDA * ELU.torch_df(x, SELU_ALPHA)  # selu'(0) = λα

    def torch_f_fast(x):
        return ELU.torch_f_fast(x, SELU_ALPHA).mul_(SELU_LAMBDA)

    def torch_df_fast(x):
        return ELU.torch_df_fast(x, SELU_ALPHA).mul_(SELU_LAMBDA)


class CELU(_Exponential):
    r"""Continuously differentiable ELU: the ELU with x/α inside the exponential.

    :formula: Max(0, x) + Min(0, alpha*(exp(x/alpha) - 1))
    :derivative: Piecewise((1, x > 0), (exp(x/alpha), True))
    :convention: celu'(0) = 1 from both sides: C¹ for every α > 0.
    :paper: barron2017
    :example: CELU(alpha=2.0) | [0.0, 1.0] | tensor([0., 1.])
    """

    params = {"alpha": real(1.0, positive=True, doc="α > 0: the scale of x inside the exponential")}

    def f(x, alpha):
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0) / alpha))

    def df(x, alpha):
        return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0.0) / alpha))

    def torch_f(x, alpha):
        return torch.where(x > 0, x, alpha * _expm1(x.clamp(max=0.0) / alpha))

    def torch_df(x, alpha):
        return torch.where(x > 0, 1.0, torch.exp(x.clamp(max=0.0) / alpha))  # celu'(0) = 1

    def torch_f_fast(x, alpha):
        m = x.clamp(max=0.0)
        if alpha != 1.0:
            m.div_(alpha)
        m = _expm1_ip(m)
        if alpha != 1.0:
            m.mul_(alpha)
        return torch.where(x > 0, x, m)

    def torch_df_fast(x, alpha):
        m = x.clamp(max=0.0)
        if alpha != 1.0:
            m.div_(alpha)
        return m.exp_().masked_fill_(x > 0, 1.0)
