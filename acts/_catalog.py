"""Every activation the course teaches, registered with its math and citation."""

from __future__ import annotations

import numpy as np

from . import _numpy as N
from ._registry import (Activation, boolean, choice, integer, optional_real_array, real, register,
                        rng_or_none)


def paper(authors, year, title, venue, *, arxiv=None, doi=None, url=None, key=None):
    """A citation; every paper has an arXiv id or a DOI where one exists."""
    entry = {"authors": authors, "year": year, "title": title, "venue": venue}
    entry.update({k: v for k, v in (("arxiv", arxiv), ("doi", doi), ("url", url), ("key", key)) if v})
    return entry


# --- sections of non-elementwise activations (for properties and plots) ------------------
def _pair_section(gated: bool):
    """t -> f([t, 0])[0] (softmax family, maxout) or the gate t -> f([1, t]) (gated units)."""

    def make(act):
        def pack(t):
            t = np.asarray(t, dtype=np.float64)
            pair = (np.ones_like(t), t) if gated else (t, np.zeros_like(t))
            return np.stack(pair, axis=-1)

        tangent = np.array([0.0, 1.0]) if gated else np.array([1.0, 0.0])

        def g(t):
            return act.f(pack(t))[..., 0]

        def dg(t):
            x = pack(t)
            return act.jvp(x, np.broadcast_to(tangent, x.shape))[..., 0]

        return g, dg

    return make


def _dice_section(act):
    stats = {"mean": 0.0, "var": 1.0}
    return (lambda t: act.f(t, **stats)), (lambda t: act.df(t, **stats))


def _lower_le_upper(p):
    if p["lower"] > p["upper"]:
        raise ValueError(f"rrelu: lower ({p['lower']}) must be <= upper ({p['upper']}).")


def _min_lt_max(p):
    if not p["min_val"] < p["max_val"]:
        raise ValueError(f"hardtanh: min_val ({p['min_val']}) must be < max_val ({p['max_val']}).")


def _dice_stats_given_together(p):
    if (p["mean"] is None) != (p["var"] is None):
        raise ValueError("dice: pass both mean= and var= (running statistics) or neither (batch statistics).")


CASES = r"\begin{cases}"
ENDCASES = r"\end{cases}"

register(Activation(
    "identity", family="linear", f=N.identity, df=N.identity_d,
    formula=r"f(x) = x", derivative=r"f'(x) = 1",
    description="No activation: a stack of linear layers stays linear."))

register(Activation(
    "binary_step", family="threshold", f=N.binary_step, df=N.binary_step_d,
    formula=CASES + r"1 & x \ge 0 \\ 0 & x < 0" + ENDCASES,
    derivative=r"f'(x) = 0 \quad (x \ne 0;\ \text{we use } f'(0) = 0)",
    convention="f'(0) = 0 (the jump at 0 has no derivative); step(0) = 1.",
    description="The perceptron's threshold unit: gradient 0 almost everywhere, so it cannot be trained by backprop.",
    paper=paper("McCulloch, W. S.; Pitts, W.", 1943, "A logical calculus of the ideas immanent in nervous activity",
                "Bulletin of Mathematical Biophysics 5", doi="10.1007/BF02478259", key="mcculloch1943")))

register(Activation(
    "sigmoid", family="sigmoidal", f=N.sigmoid, df=N.sigmoid_d,
    formula=r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    derivative=r"\sigma'(x) = \sigma(x)\,\bigl(1 - \sigma(x)\bigr)",
    description="Logistic function: squashes to the open interval (0, 1).",
    paper=paper("Rumelhart, D. E.; Hinton, G. E.; Williams, R. J.", 1986,
                "Learning representations by back-propagating errors", "Nature 323",
                doi="10.1038/323533a0", key="rumelhart1986")))

register(Activation(
    "tanh", family="sigmoidal", f=N.tanh, df=N.tanh_d,
    formula=r"\tanh x = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}} = 2\sigma(2x) - 1",
    derivative=r"\tanh' x = 1 - \tanh^2 x",
    description="Zero-centred sigmoid with range (-1, 1).",
    paper=paper("LeCun, Y.; Bottou, L.; Orr, G. B.; Müller, K.-R.", 1998, "Efficient BackProp",
                "Neural Networks: Tricks of the Trade, LNCS 1524", doi="10.1007/3-540-49430-8_2", key="lecun1998")))

register(Activation(
    "relu", family="rectifier", f=N.relu, df=N.relu_d,
    formula=r"\operatorname{ReLU}(x) = \max(0, x)",
    derivative=CASES + r"1 & x > 0 \\ 0 & x \le 0" + ENDCASES,
    convention="relu'(0) = 0, as torch and JAX.",
    description="Rectified linear unit.",
    paper=paper("Glorot, X.; Bordes, A.; Bengio, Y.", 2011, "Deep Sparse Rectifier Neural Networks",
                "AISTATS 2011, PMLR 15", url="https://proceedings.mlr.press/v15/glorot11a.html",
                key="glorot2011")))

_slope_formula = CASES + r"x & x > 0 \\ a\,x & x \le 0" + ENDCASES
_slope_derivative = CASES + r"1 & x > 0 \\ a & x \le 0" + ENDCASES

register(Activation(
    "leaky_relu", family="leaky rectifier", f=N.leaky_relu, df=N.leaky_relu_d,
    params={"negative_slope": 0.01}, checks={"negative_slope": real()},
    formula=CASES + r"x & x > 0 \\ \alpha\,x & x \le 0" + ENDCASES + r",\quad \alpha = \text{negative\_slope}",
    derivative=CASES + r"1 & x > 0 \\ \alpha & x \le 0" + ENDCASES,
    convention="leaky_relu'(0) = negative_slope, as torch.",
    description="ReLU with a small fixed slope for x < 0, so no unit is ever exactly dead.",
    paper=paper("Maas, A. L.; Hannun, A. Y.; Ng, A. Y.", 2013,
                "Rectifier Nonlinearities Improve Neural Network Acoustic Models",
                "ICML Workshop on Deep Learning for Audio, Speech and Language Processing",
                url="https://ai.stanford.edu/~amaas/papers/relu_hybrid_icml2013_final.pdf", key="maas2013")))

register(Activation(
    "prelu", family="leaky rectifier", f=N.prelu, df=N.prelu_d, learnable=1,
    params={"weight": 0.25}, checks={"weight": real(array=True)},
    formula=_slope_formula + r",\quad a \text{ learned}",
    derivative=_slope_derivative,
    convention="prelu'(0) = a (the weight), as torch.",
    description="Leaky ReLU whose slope a is learned (one per channel, or one shared).",
    paper=paper("He, K.; Zhang, X.; Ren, S.; Sun, J.", 2015,
                "Delving Deep into Rectifiers: Surpassing Human-Level Performance on ImageNet Classification",
                "ICCV 2015", arxiv="1502.01852", key="he2015")))

register(Activation(
    "rrelu", family="leaky rectifier", f=N.rrelu, df=N.rrelu_d,
    params={"lower": 1 / 8, "upper": 1 / 3, "training": False, "rng": None},
    checks={"lower": real(), "upper": real(), "training": boolean, "rng": rng_or_none},
    relation=_lower_le_upper,
    formula=_slope_formula + r",\quad a \sim \mathcal U(l, u) \text{ (training)},\ a = \tfrac{l+u}{2} \text{ (inference)}",
    derivative=_slope_derivative,
    convention="rrelu'(0) = a; in training, df draws the same slopes as f for the same rng seed.",
    description="Randomised leaky ReLU: a random slope per element while training, the mean slope at inference.",
    paper=paper("Xu, B.; Wang, N.; Chen, T.; Li, M.", 2015,
                "Empirical Evaluation of Rectified Activations in Convolutional Network", "arXiv preprint",
                arxiv="1505.00853", key="xu2015")))

register(Activation(
    "relu6", family="piecewise-linear (hard)", f=N.relu6, df=N.relu6_d,
    formula=r"\operatorname{ReLU6}(x) = \min\bigl(\max(0, x), 6\bigr)",
    derivative=CASES + r"1 & 0 < x < 6 \\ 0 & \text{otherwise}" + ENDCASES,
    convention="relu6'(0) = relu6'(6) = 0, as torch.",
    description="ReLU capped at 6: bounded activations for low-precision mobile inference.",
    paper=paper("Sandler, M.; Howard, A.; Zhu, M.; Zhmoginov, A.; Chen, L.-C.", 2018,
                "MobileNetV2: Inverted Residuals and Linear Bottlenecks", "CVPR 2018", arxiv="1801.04381",
                key="sandler2018")))

register(Activation(
    "elu", family="exponential linear", f=N.elu, df=N.elu_d,
    params={"alpha": 1.0}, checks={"alpha": real()},
    formula=CASES + r"x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0" + ENDCASES,
    derivative=CASES + r"1 & x > 0 \\ \alpha\,e^{x} & x \le 0" + ENDCASES,
    convention="elu'(0) = α, as torch.",
    description="Exponential linear unit: saturates softly to -α for x → -∞.",
    paper=paper("Clevert, D.-A.; Unterthiner, T.; Hochreiter, S.", 2015,
                "Fast and Accurate Deep Network Learning by Exponential Linear Units (ELUs)", "ICLR 2016",
                arxiv="1511.07289", key="clevert2015")))

register(Activation(
    "selu", family="exponential linear", f=N.selu, df=N.selu_d,
    formula=r"\lambda" + CASES + r"x & x > 0 \\ \alpha\,(e^{x} - 1) & x \le 0" + ENDCASES
    + r",\ \alpha \approx 1.6733,\ \lambda \approx 1.0507",
    derivative=r"\lambda" + CASES + r"1 & x > 0 \\ \alpha\,e^{x} & x \le 0" + ENDCASES,
    convention="selu'(0) = λα, as torch.",
    description="Scaled ELU whose constants make mean 0 / variance 1 a fixed point of a dense layer.",
    paper=paper("Klambauer, G.; Unterthiner, T.; Mayr, A.; Hochreiter, S.", 2017, "Self-Normalizing Neural Networks",
                "NeurIPS 2017", arxiv="1706.02515", key="klambauer2017")))

register(Activation(
    "celu", family="exponential linear", f=N.celu, df=N.celu_d,
    params={"alpha": 1.0}, checks={"alpha": real(positive=True)},
    formula=r"\max(0, x) + \min\bigl(0, \alpha\,(e^{x/\alpha} - 1)\bigr)",
    derivative=CASES + r"1 & x > 0 \\ e^{x/\alpha} & x \le 0" + ENDCASES,
    convention="celu'(0) = 1 from both sides: C¹ for every α > 0.",
    description="Continuously differentiable ELU: the ELU with x/α inside the exponential.",
    paper=paper("Barron, J. T.", 2017, "Continuously Differentiable Exponential Linear Units", "arXiv preprint",
                arxiv="1704.07483", key="barron2017")))

register(Activation(
    "gelu", family="smooth ReLU-like", f=N.gelu, df=N.gelu_d,
    params={"approximate": "none"}, checks={"approximate": choice("none", "tanh", "sigmoid")},
    formula=r"x\,\Phi(x) = \tfrac{x}{2}\bigl(1 + \operatorname{erf}(x/\sqrt{2})\bigr)"
    r"\ \approx \tfrac{x}{2}\bigl(1 + \tanh[\sqrt{2/\pi}\,(x + 0.044715\,x^{3})]\bigr) \approx x\,\sigma(1.702\,x)",
    derivative=r"\Phi(x) + x\,\varphi(x),\quad \varphi(x) = e^{-x^{2}/2}/\sqrt{2\pi}",
    description="Gaussian error linear unit: x weighted by the probability that a standard normal is below x.",
    paper=paper("Hendrycks, D.; Gimpel, K.", 2016, "Gaussian Error Linear Units (GELUs)", "arXiv preprint",
                arxiv="1606.08415", key="hendrycks2016")))

register(Activation(
    "swish", family="smooth ReLU-like", aliases=("silu",), f=N.swish, df=N.swish_d,
    params={"beta": 1.0}, checks={"beta": real(nonnegative=True)},
    formula=r"x\,\sigma(\beta x)",
    derivative=r"\sigma(\beta x) + \beta x\,\sigma(\beta x)\bigl(1 - \sigma(\beta x)\bigr)",
    description="Self-gated unit; β = 1 is SiLU, β → ∞ approaches ReLU, β = 0 gives x/2.",
    paper=paper("Ramachandran, P.; Zoph, B.; Le, Q. V.", 2017, "Searching for Activation Functions",
                "arXiv preprint", arxiv="1710.05941", key="ramachandran2017")))

register(Activation(
    "mish", family="smooth ReLU-like", f=N.mish, df=N.mish_d,
    formula=r"x \tanh\bigl(\operatorname{softplus}(x)\bigr) = x \tanh\bigl(\ln(1 + e^{x})\bigr)",
    derivative=r"\tanh(\operatorname{sp}(x)) + x\,\sigma(x)\,\operatorname{sech}^{2}(\operatorname{sp}(x))",
    description="Self-regularised non-monotonic activation.",
    paper=paper("Misra, D.", 2019, "Mish: A Self Regularized Non-Monotonic Activation Function", "BMVC 2020",
                arxiv="1908.08681", key="misra2019")))

register(Activation(
    "softplus", family="smooth ReLU-like", f=N.softplus, df=N.softplus_d,
    params={"beta": 1.0}, checks={"beta": real(positive=True)},
    formula=r"\tfrac{1}{\beta}\ln\bigl(1 + e^{\beta x}\bigr)",
    derivative=r"\sigma(\beta x)",
    description="Smooth ReLU; exact for every x here (torch's native form switches to x above a threshold).",
    paper=paper("Dugas, C.; Bengio, Y.; Bélisle, F.; Nadeau, C.; Garcia, R.", 2000,
                "Incorporating Second-Order Functional Knowledge for Better Option Pricing", "NeurIPS 13 (2000)",
                url="https://papers.nips.cc/paper/1920-incorporating-second-order-functional-knowledge-for-better-option-pricing",
                key="dugas2000")))

register(Activation(
    "softsign", family="sigmoidal", f=N.softsign, df=N.softsign_d,
    formula=r"\frac{x}{1 + |x|}", derivative=r"\frac{1}{(1 + |x|)^{2}}",
    description="Sigmoidal with polynomial (not exponential) tails.",
    paper=paper("Glorot, X.; Bengio, Y.", 2010, "Understanding the difficulty of training deep feedforward "
                "neural networks", "AISTATS 2010, PMLR 9", url="https://proceedings.mlr.press/v9/glorot10a.html",
                key="glorot2010")))

register(Activation(
    "hardtanh", family="piecewise-linear (hard)", f=N.hardtanh, df=N.hardtanh_d,
    params={"min_val": -1.0, "max_val": 1.0}, checks={"min_val": real(), "max_val": real()},
    relation=_min_lt_max,
    formula=r"\min\bigl(\max(x, a), b\bigr),\quad a = \text{min\_val},\ b = \text{max\_val}",
    derivative=CASES + r"1 & a < x < b \\ 0 & \text{otherwise}" + ENDCASES,
    convention="hardtanh' = 0 at min_val and max_val, as torch.",
    description="Piecewise-linear tanh.",
    paper=paper("Gulcehre, C.; Moczulski, M.; Denil, M.; Bengio, Y.", 2016, "Noisy Activation Functions",
                "ICML 2016", arxiv="1603.00391", key="gulcehre2016")))

_mobilenet_v3 = paper("Howard, A.; Sandler, M.; Chu, G.; Chen, L.-C.; Chen, B.; Tan, M.; Wang, W.; Zhu, Y.; "
                      "Pang, R.; Vasudevan, V.; Le, Q. V.; Adam, H.", 2019, "Searching for MobileNetV3",
                      "ICCV 2019", arxiv="1905.02244", key="howard2019")

register(Activation(
    "hardsigmoid", family="piecewise-linear (hard)", f=N.hardsigmoid, df=N.hardsigmoid_d,
    formula=r"\frac{\operatorname{ReLU6}(x + 3)}{6} = \min\bigl(\max(0, \tfrac{x}{6} + \tfrac12), 1\bigr)",
    derivative=CASES + r"\tfrac16 & -3 < x < 3 \\ 0 & \text{otherwise}" + ENDCASES,
    convention="hardsigmoid'(±3) = 0, as torch.",
    description="Piecewise-linear sigmoid (MobileNetV3's definition, as torch).",
    paper=_mobilenet_v3))

register(Activation(
    "hardswish", family="piecewise-linear (hard)", f=N.hardswish, df=N.hardswish_d,
    formula=r"x\,\frac{\operatorname{ReLU6}(x + 3)}{6}",
    derivative=CASES + r"0 & x \le -3 \\ \tfrac{2x + 3}{6} & -3 < x < 3 \\ 1 & x \ge 3" + ENDCASES,
    convention="hardswish'(-3) = 0 and hardswish'(3) = 1 (the outer pieces), as torch 2.13 autograd.",
    description="Piecewise-polynomial Swish for mobile (MobileNetV3).",
    paper=_mobilenet_v3))

register(Activation(
    "maxout", family="maxout", f=N.maxout, jvp=N.maxout_jvp,
    params={"k": 2, "axis": -1}, checks={"k": integer(minimum=1), "axis": integer(minimum=-(2**31))},
    formula=r"f(x)_i = \max_{0 \le j < k} x_{ik + j}",
    derivative=r"\frac{\partial f_i}{\partial x_{ik+j}} = [\,j = \arg\max_{j'} x_{ik+j'}\,]",
    convention=("The gradient goes to the first maximum of each group, as with torch.max(dim) and argmax "
                "(torch.amax would split it equally among tied maxima)."),
    description="Max over groups of k consecutive inputs: the layer before needs k× the outputs (and weights).",
    paper=paper("Goodfellow, I. J.; Warde-Farley, D.; Mirza, M.; Courville, A.; Bengio, Y.", 2013,
                "Maxout Networks", "ICML 2013", arxiv="1302.4389", key="goodfellow2013"),
    section=_pair_section(gated=False)))

register(Activation(
    "dice", family="adaptive gate", f=N.dice, df=N.dice_d, learnable=1,
    params={"alpha": 0.0, "eps": 1e-8, "axis": 0, "mean": None, "var": None},
    checks={"alpha": real(array=True), "eps": real(nonnegative=True), "axis": integer(minimum=-(2**31)),
            "mean": optional_real_array(), "var": optional_real_array(nonnegative=True)},
    relation=_dice_stats_given_together,
    formula=r"p(s)\,s + \bigl(1 - p(s)\bigr)\,\alpha s,\quad "
    r"p(s) = \sigma\!\Bigl(\frac{s - \mathrm{E}[s]}{\sqrt{\mathrm{Var}[s] + \epsilon}}\Bigr)",
    derivative=r"\alpha + (1 - \alpha)\Bigl(p + \frac{s\,p\,(1 - p)}{\sqrt{\mathrm{Var}[s] + \epsilon}}\Bigr)"
    r"\quad(\text{statistics fixed})",
    convention="Batch statistics (biased variance) over `axis` when mean/var are None (training); "
               "the given running statistics otherwise (eval). df needs the statistics.",
    description="Data-adaptive PReLU of the Deep Interest Network: the rectification point follows the data.",
    paper=paper("Zhou, G.; Song, C.; Zhu, X.; Fan, Y.; Zhu, H.; Ma, X.; Yan, Y.; Jin, J.; Li, H.; Gai, K.", 2018,
                "Deep Interest Network for Click-Through Rate Prediction", "KDD 2018", arxiv="1706.06978",
                key="zhou2018"),
    section=_dice_section))

_axis = {"axis": integer(minimum=-(2**31))}
_bridle = paper("Bridle, J. S.", 1990, "Probabilistic Interpretation of Feedforward Classification Network "
                "Outputs, with Relationships to Statistical Pattern Recognition", "Neurocomputing, NATO ASI F68",
                doi="10.1007/978-3-642-76153-9_28", key="bridle1990")

register(Activation(
    "softmax", family="normalising", f=N.softmax, jvp=N.softmax_jvp, params={"axis": -1}, checks=_axis,
    formula=r"\operatorname{softmax}(x)_i = \frac{e^{x_i}}{\sum_j e^{x_j}}",
    derivative=r"\frac{\partial s_i}{\partial x_j} = s_i\,(\delta_{ij} - s_j),\quad J = \operatorname{diag}(s) - s s^{\top}",
    convention="Computed as exp(x - max x): shift-invariant, never overflows. A row of all -inf is undefined (nan).",
    description="Turns a vector of logits into a probability distribution.",
    paper=_bridle, section=_pair_section(gated=False)))

register(Activation(
    "softmin", family="normalising", f=N.softmin, jvp=N.softmin_jvp, params={"axis": -1}, checks=_axis,
    formula=r"\operatorname{softmin}(x)_i = \frac{e^{-x_i}}{\sum_j e^{-x_j}} = \operatorname{softmax}(-x)_i",
    derivative=r"\frac{\partial s_i}{\partial x_j} = -s_i\,(\delta_{ij} - s_j)",
    description="Softmax of -x: the smallest entry gets the largest weight.",
    paper=_bridle, section=_pair_section(gated=False)))

register(Activation(
    "log_softmax", family="normalising", f=N.log_softmax, jvp=N.log_softmax_jvp, params={"axis": -1},
    checks=_axis,
    formula=r"\log\operatorname{softmax}(x)_i = x_i - \log\sum_j e^{x_j}",
    derivative=r"\frac{\partial}{\partial x_j} = \delta_{ij} - \operatorname{softmax}(x)_j",
    convention="Computed as (x - max) - log1p(Σ_{j≠argmax} e^{x_j - max}): no overflow, full accuracy near 0.",
    description="Log-probabilities; with NLLLoss it is cross-entropy.",
    paper=_bridle, section=_pair_section(gated=False)))

_shazeer = paper("Shazeer, N.", 2020, "GLU Variants Improve Transformer", "arXiv preprint", arxiv="2002.05202",
                 key="shazeer2020")
_split_note = ("Split convention (as torch.nn.functional.glu): x = [a, b] split into halves along axis; "
               "the second half b is the gate.")

register(Activation(
    "glu", family="gated linear unit", f=N.glu, jvp=N.glu_jvp, params={"axis": -1}, checks=_axis,
    formula=r"\operatorname{GLU}(a, b) = a \otimes \sigma(b),\quad [a, b] = x",
    derivative=r"\frac{\partial}{\partial a} = \sigma(b),\quad \frac{\partial}{\partial b} = a\,\sigma(b)\bigl(1 - \sigma(b)\bigr)",
    convention=_split_note, description="Gated linear unit: half the input gates the other half.",
    paper=paper("Dauphin, Y. N.; Fan, A.; Auli, M.; Grangier, D.", 2017,
                "Language Modeling with Gated Convolutional Networks", "ICML 2017", arxiv="1612.08083",
                key="dauphin2017"),
    section=_pair_section(gated=True)))

register(Activation(
    "swiglu", family="gated linear unit", f=N.swiglu, jvp=N.swiglu_jvp, params={"axis": -1, "beta": 1.0},
    checks={**_axis, "beta": real(nonnegative=True)},
    formula=r"\operatorname{SwiGLU}(a, b) = a \otimes \operatorname{Swish}_\beta(b),\quad [a, b] = x",
    derivative=r"\frac{\partial}{\partial a} = \operatorname{Swish}_\beta(b),\quad \frac{\partial}{\partial b} = a\,\operatorname{Swish}_\beta'(b)",
    convention=_split_note, description="GLU with a Swish gate: the FFN of LLaMA-style transformers.",
    paper=_shazeer, section=_pair_section(gated=True)))

register(Activation(
    "geglu", family="gated linear unit", f=N.geglu, jvp=N.geglu_jvp, params={"axis": -1, "approximate": "none"},
    checks={**_axis, "approximate": choice("none", "tanh", "sigmoid")},
    formula=r"\operatorname{GeGLU}(a, b) = a \otimes \operatorname{GELU}(b),\quad [a, b] = x",
    derivative=r"\frac{\partial}{\partial a} = \operatorname{GELU}(b),\quad \frac{\partial}{\partial b} = a\,\operatorname{GELU}'(b)",
    convention=_split_note, description="GLU with a GELU gate: the FFN of T5 v1.1 (PaLM uses SwiGLU).",
    paper=_shazeer, section=_pair_section(gated=True)))
