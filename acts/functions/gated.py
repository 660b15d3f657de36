"""Gated linear units: half of the input gates the other half (GLU, and the SwiGLU and GeGLU
of transformer feed-forward blocks). Split convention (as torch.nn.functional.glu): x = [a, b]
split into halves along axis; the second half b is the gate."""

from __future__ import annotations

from ..kinds import Gated
from ._numpy_math import _mul_sigmoid
from .sigmoidal import Sigmoid
from .smooth import GELU, Swish

_SPLIT_NOTE = ("Split convention (as torch.nn.functional.glu): x = [a, b] split into halves along axis; "
               "the second half b is the gate.")


class _GatedUnit(Gated):
    """Half of x gates the other half."""

    family = "gated linear unit"
    convention = _SPLIT_NOTE


class GLU(_GatedUnit):
    r"""Gated linear unit: half the input gates the other half.

    :paper: dauphin2017
    :example: GLU() | [2.0, 0.0] | tensor([1.])
    """

    gate = Sigmoid

    def product(a, b):
        return _mul_sigmoid(a, b)  # a·σ(b) stays normal where σ(b) alone is subnormal


class SwiGLU(_GatedUnit):
    r"""GLU with a Swish gate: the FFN of LLaMA-style transformers.

    :paper: shazeer2020
    :example: SwiGLU() | [2.0, 0.0] | tensor([0.])
    """

    gate = Swish


class GEGLU(_GatedUnit):
    r"""GLU with a GELU gate: the FFN of T5 v1.1 (PaLM uses SwiGLU).

    :paper: shazeer2020
    :example: GEGLU() | [2.0, 0.0] | tensor([0.])
    """

    gate = GELU
