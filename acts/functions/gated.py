"""Gated linear units: half of the input gates the other half (GLU, and the SwiGLU and GeGLU
of transformer feed-forward blocks). Split convention (as torch.nn.functional.glu): x = [a, b]
split into halves along axis; the second half b is the gate."""

from __future__ import annotations

from ..kinds import Gated, axis, paper
from ._numpy_math import _mul_sigmoid
from .sigmoidal import Sigmoid
from .smooth import GELU, Swish

_SHAZEER = paper("Shazeer, N.", 2020, "GLU Variants Improve Transformer", "arXiv preprint", arxiv="2002.05202",
                 key="shazeer2020")
_SPLIT_NOTE = ("Split convention (as torch.nn.functional.glu): x = [a, b] split into halves along axis; "
               "the second half b is the gate.")


class GLU(Gated):
    name = "glu"
    family = "gated linear unit"
    gate = Sigmoid
    params = {"axis": axis(-1)}
    formula = r"\operatorname{GLU}(a, b) = a \otimes \sigma(b),\quad [a, b] = x"
    derivative = (r"\frac{\partial}{\partial a} = \sigma(b),\quad "
                  r"\frac{\partial}{\partial b} = a\,\sigma(b)\bigl(1 - \sigma(b)\bigr)")
    convention = _SPLIT_NOTE
    description = "Gated linear unit: half the input gates the other half."
    example = """
    >>> m = GLU()
    >>> m(torch.tensor([2.0, 0.0]))
    tensor([1.])
    """
    paper = paper("Dauphin, Y. N.; Fan, A.; Auli, M.; Grangier, D.", 2017,
                  "Language Modeling with Gated Convolutional Networks", "ICML 2017", arxiv="1612.08083",
                  key="dauphin2017")

    def product(a, b):
        return _mul_sigmoid(a, b)  # a·σ(b) stays normal where σ(b) alone is subnormal


class SwiGLU(Gated):
    name = "swiglu"
    family = "gated linear unit"
    gate = Swish
    params = {"axis": axis(-1), "beta": Swish.params["beta"]}
    formula = r"\operatorname{SwiGLU}(a, b) = a \otimes \operatorname{Swish}_\beta(b),\quad [a, b] = x"
    derivative = (r"\frac{\partial}{\partial a} = \operatorname{Swish}_\beta(b),\quad "
                  r"\frac{\partial}{\partial b} = a\,\operatorname{Swish}_\beta'(b)")
    convention = _SPLIT_NOTE
    description = "GLU with a Swish gate: the FFN of LLaMA-style transformers."
    example = """
    >>> m = SwiGLU()
    >>> m(torch.tensor([2.0, 0.0]))
    tensor([0.])
    """
    paper = _SHAZEER


class GEGLU(Gated):
    name = "geglu"
    family = "gated linear unit"
    gate = GELU
    params = {"axis": axis(-1), "approximate": GELU.params["approximate"]}
    formula = r"\operatorname{GeGLU}(a, b) = a \otimes \operatorname{GELU}(b),\quad [a, b] = x"
    derivative = (r"\frac{\partial}{\partial a} = \operatorname{GELU}(b),\quad "
                  r"\frac{\partial}{\partial b} = a\,\operatorname{GELU}'(b)")
    convention = _SPLIT_NOTE
    description = "GLU with a GELU gate: the FFN of T5 v1.1 (PaLM uses SwiGLU)."
    example = """
    >>> m = GEGLU()
    >>> m(torch.tensor([2.0, 0.0]))
    tensor([0.])
    """
    paper = _SHAZEER
