"""The constants the activations are defined with, each written once (float64 roundings of the
exact values; the SELU and GELU constants are those of the papers and of torch).

>>> from acts.constants import SELU_ALPHA, SELU_LAMBDA
>>> round(SELU_ALPHA, 4), round(SELU_LAMBDA, 4)
(1.6733, 1.0507)
"""

#: SELU's α and λ (Klambauer et al. 2017): the values that make (mean 0, variance 1) the
#: fixed point of the mean-field map of a SELU layer with unit-variance weights.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946
#: λ·α rounded once (SELU's value at −∞ is −λα).
SELU_LAMBDA_ALPHA = 1.7580993408473768599402175208123
#: gelu(approximate="sigmoid") = x·σ(1.702 x) (Hendrycks & Gimpel 2016).
GELU_SIGMOID_K = 1.702
#: gelu(approximate="tanh") = x/2·(1 + tanh(√(2/π)(x + 0.044715 x³))).
GELU_TANH_C = 0.044715
SQRT_2_OVER_PI = 0.79788456080286535587989211986876  # √(2/π)
SQRT_PI_OVER_2 = 1.2533141373155002512078826424055  # √(π/2)
INV_SQRT_2PI = 0.39894228040143267793994605993438  # 1/√(2π)
INV_SQRT_2 = 0.70710678118654752440084436210485  # 1/√2

__all__ = ["SELU_ALPHA", "SELU_LAMBDA", "SELU_LAMBDA_ALPHA", "GELU_SIGMOID_K", "GELU_TANH_C",
           "SQRT_2_OVER_PI", "SQRT_PI_OVER_2", "INV_SQRT_2PI", "INV_SQRT_2"]
