"""Exponential linear units: ELU, the self-normalising SELU and the C¹ CELU."""

from __future__ import annotations

import numpy as np

from ..constants import SELU_ALPHA, SELU_LAMBDA, SELU_LAMBDA_ALPHA
from ..kinds import Elementwise, cases, paper, real
from ._torch_math import _expm1, _expm1_ip

from .._lazy import lazy_torch

torch = lazy_torch(globals())

_ELU_FORMULA = cases(r"x & x > 0", r"\alpha\,(e^{x} - 1) & x \le 0")
_ELU_DERIVATIVE = cases(r"1 & x > 0", r"\alpha\,e^{x} & x \le 0")


class ELU(Elementwise):
    name = "elu"
    family = "exponential linear"
    params = {"alpha": real(1.0, doc="the value -α approached as x → -∞")}
    formula = _ELU_FORMULA
    derivative = _ELU_DERIVATIVE
    convention = "elu'(0) = α, as torch."
    description = "Exponential linear unit: saturates softly to -α for x → -∞."
    example = """
    >>> m = ELU(alpha=1.0)
    >>> m(torch.tensor([0.0, 2.0]))
    tensor([0., 2.])
    """
    paper = paper("Clevert, D.-A.; Unterthiner, T.; Hochreiter, S.", 2015,
                  "Fast and Accurate Deep Network Learning by Exponential Linear Units (ELUs)", "ICLR 2016",
                  arxiv="1511.07289", key="clevert2015")

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


class SELU(Elementwise):
    name = "selu"
    family = "exponential linear"
    formula = r"\lambda" + _ELU_FORMULA + r",\ \alpha \approx 1.6733,\ \lambda \approx 1.0507"
    derivative = r"\lambda" + _ELU_DERIVATIVE
    convention = "selu'(0) = λα, as torch."
    description = "Scaled ELU whose constants make mean 0 / variance 1 a fixed point of a dense layer."
    example = """
    >>> m = SELU()
    >>> m(torch.tensor([0.0]))
    tensor([0.])
    """
    paper = paper("Klambauer, G.; Unterthiner, T.; Mayr, A.; Hochreiter, S.", 2017, "Self-Normalizing Neural Networks",
                  "NeurIPS 2017", arxiv="1706.02515", key="klambauer2017")

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


class CELU(Elementwise):
    name = "celu"
    family = "exponential linear"
    params = {"alpha": real(1.0, positive=True, doc="α > 0: the scale of x inside the exponential")}
    formula = r"\max(0, x) + \min\bigl(0, \alpha\,(e^{x/\alpha} - 1)\bigr)"
    derivative = cases(r"1 & x > 0", r"e^{x/\alpha} & x \le 0")
    convention = "celu'(0) = 1 from both sides: C¹ for every α > 0."
    description = "Continuously differentiable ELU: the ELU with x/α inside the exponential."
    example = """
    >>> m = CELU(alpha=2.0)
    >>> m(torch.tensor([0.0, 1.0]))
    tensor([0., 1.])
    """
    paper = paper("Barron, J. T.", 2017, "Continuously Differentiable Exponential Linear Units", "arXiv preprint",
                  arxiv="1704.07483", key="barron2017")

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
