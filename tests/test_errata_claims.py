"""The corrections of the errata (chapters/errata.md, the index, and one page per source
in chapters/errata/), checked.

The pages show one short cell per entry, the one that makes the point; the checks behind the
corrections live here. Each test is named after the errata label it backs and is written so that
it fails if the correction were wrong: if ReLU could output a negative number, if sigmoid outputs
summed to 1, if Swish(1.702x) were GELU, and so on.

The last tests hold the page to itself: every entry is listed once in the index table, the
counts the page states are the counts of its entries, and every Chinese quote is found in the
source articles.
"""

import json
import math
import re
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import integrate, optimize
from torch import nn

import acts
from course.bench import measure

ROOT = Path(__file__).resolve().parents[1]
ERRATA = ROOT / "chapters" / "errata.md"
ERRATA_PAGES = sorted((ROOT / "chapters" / "errata").glob("source-*.ipynb"))
GLOSSARY = ROOT / "chapters" / "glossary.md"
SOURCES = ROOT.parent / "shared" / "sources"


def source_text(name: str = "0*.txt") -> str:
    """The source articles matching name, joined; the checks that quote them skip where the
    articles are not checked out (they live beside the repository, not in it)."""
    paths = sorted(SOURCES.glob(name))
    if not paths:
        pytest.skip(f"no source article {name} in {SOURCES}: check out ../shared beside the repository")
    return "".join(p.read_text(encoding="utf-8") for p in paths)

sig, tanh, relu, gelu = (acts.get(n) for n in ("sigmoid", "tanh", "relu", "gelu"))
GRID = np.linspace(-10, 10, 20001)
SELU_LAMBDA, SELU_ALPHA = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717


def normal_expectation(g):
    """E[g(Z)] for Z ~ N(0, 1), by adaptive quadrature on each half-line."""
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    return sum(integrate.quad(lambda z: g(z) * pdf(z), a, b, limit=200)[0]
               for a, b in ((-np.inf, 0.0), (0.0, np.inf)))


def scalar(a, **params):
    return lambda z: float(a.f(np.array(z), **params))


# --- source 000 ---------------------------------------------------------------------------
def test_errata_essence_range():
    """Nonlinear but unbounded activations exist; only the identity has a constant slope."""
    x = np.linspace(-5, 5, 1001)
    for name in ("relu", "leaky_relu", "gelu", "elu"):
        a = acts.get(name)
        assert np.ptp(a.df(x)) > 0, name
        assert math.isinf(a.props["range_high"]), name
    assert np.ptp(np.broadcast_to(acts.get("identity").df(x), x.shape)) == 0


def test_errata_non_saturating():
    """ReLU is not saturating (one side only) but its derivative is exactly 0 on the left."""
    sat = relu.props["saturation"]
    assert sat["left"] == "hard" and sat["right"] is None
    assert np.all(relu.df(-np.logspace(-12, 300, 2000)) == 0)


def test_errata_range():
    """The ranges are open: no real input reaches the bounds (checked in 400-digit arithmetic)."""
    import mpmath as mp

    with mp.workdps(400):
        for x in (-300, -40, -1, 0, 1, 40, 300):
            assert 0 < 1 / (1 + mp.exp(-x)) < 1
            assert -1 < mp.tanh(x) < 1
    assert sig.props["range"] == "(0, 1)" and tanh.props["range"] == "(-1, 1)"
    assert sig.f(-40.0) > 0 and 1 - sig.f(20.0) > 0


def test_errata_sigmoid_normalise():
    """Sigmoid outputs do not sum to 1 (softmax's do)."""
    rng = np.random.default_rng(0)
    for _ in range(100):
        z = rng.normal(size=rng.integers(2, 20))
        assert abs(sig.f(z).sum() - 1) > 1e-3
        assert acts.get("softmax").f(z).sum() == pytest.approx(1, abs=1e-12)
    assert sig.f(np.zeros(3)).sum() == 1.5


def test_errata_output_large():
    """Sigmoid outputs are below 1; the derivative is p(1 - p) and small only near p = 0 or 1."""
    p = sig.f(GRID)
    assert np.all(p < 1) and np.all(p > 0)
    np.testing.assert_allclose(sig.df(GRID), p * (1 - p), rtol=1e-9, atol=1e-300)   # 1 - p rounds for large x
    assert sig.df(0.0) == 0.25
    assert sig.df(10.0) < 1e-4 and sig.df(-10.0) < 1e-4


def test_errata_sigmoid_cost_bound():
    """Each activation costs well under a quarter of the matrix product that feeds it (the page's
    timing cell, which nbval does not compare)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)                      # as the page times it
    try:
        torch.manual_seed(0)
        X, W = torch.randn(256, 1024), torch.randn(1024, 1024)
        Z = X @ W
        t_matmul = measure(lambda: X @ W, time.perf_counter, min_time=0.1, min_blocks=3)["min"]
        for fn in (torch.relu, torch.tanh, torch.sigmoid, F.gelu):
            t = measure(lambda: fn(Z), time.perf_counter, min_time=0.1, min_blocks=3)["min"]
            assert t < 0.25 * t_matmul, (fn, t / t_matmul)
    finally:
        torch.set_num_threads(threads)


def test_errata_repeated():
    """Of the 72 claims copied under twelve headings, 23 hold for the function named."""
    headings = ("tanh", "relu", "elu", "leaky_relu", "prelu", "rrelu", "gelu", "softmax", "swish",
                "maxout", "softplus", "softsign")
    held = 0
    for name in headings:
        g, dg = acts.get(name).section()
        p, d = acts.get(name).props, np.asarray(dg(GRID), float)
        held += sum([bool(np.allclose(np.asarray(g(GRID), float), sig.f(GRID), rtol=0, atol=1e-12)),
                     p["range_low"] >= 0 and p["range_high"] <= 1,
                     abs(d.max() - 0.25) < 1e-9 and abs(GRID[d.argmax()]) < 1e-9,
                     p["saturation"]["left"] is not None and p["saturation"]["right"] is not None,
                     p["smoothness"] not in ("C⁰", "discontinuous"),
                     not p["zero_centred"]])
    assert held == 23
    # the only full pass is the two-entry softmax, which is the sigmoid
    t = np.linspace(-20, 20, 401)
    np.testing.assert_allclose(acts.get("softmax").f(np.stack([t, 0 * t], -1))[:, 0], sig.f(t), rtol=1e-13)


def test_errata_figure_code():
    """nn.Sigmoid() is a module object with no parameters: constructing it computes nothing."""
    module = nn.Sigmoid()
    assert isinstance(module, nn.Module) and not list(module.parameters())


# --- source 001 ---------------------------------------------------------------------------
def test_errata_monotonic_convex():
    """One sigmoid unit: squared-error loss non-convex in w, cross-entropy loss convex."""
    rng = np.random.default_rng(0)
    xd = rng.normal(size=20)
    yd = (rng.random(20) < sig.f(2 * xd)).astype(float)
    w = np.linspace(-8, 8, 1601)
    p = sig.f(np.outer(w, xd))
    h = w[1] - w[0]
    mse = ((p - yd) ** 2).mean(axis=1)
    bce = -(yd * np.log(p) + (1 - yd) * np.log1p(-p)).mean(axis=1)
    assert (np.diff(mse, 2) / h**2).min() < -0.01
    assert (np.diff(bce, 2) / h**2).min() > -1e-9


def test_errata_sigmoid_backward():
    """The backward pass uses the saved output only: grad = y (1 - y)."""
    x = torch.linspace(-8, 8, 1001, dtype=torch.float64, requires_grad=True)
    y = torch.sigmoid(x)
    y.sum().backward()
    assert [n for n in dir(y.grad_fn) if n.startswith("_saved")] == ["_saved_result"]
    torch.testing.assert_close(x.grad, (y * (1 - y)).detach(), rtol=1e-14, atol=0)


def test_errata_sigmoid_value():
    """For large inputs the value tends to 1, not 0; the derivative tends to 0 on both sides."""
    assert sig.f(10.0) > 0.9999 and sig.f(-10.0) < 1e-4
    assert sig.df(10.0) == pytest.approx(sig.df(-10.0), rel=1e-12) and sig.df(10.0) < 1e-4


def test_errata_tanh_same_as_sigmoid():
    """Tanh's range is not in [0, 1] and it is zero-centred: two of sigmoid's listed traits fail."""
    assert tanh.props["range_low"] == -1 and tanh.f(-1.0) < 0
    assert tanh.props["zero_centred"] and not sig.props["zero_centred"]
    assert tanh.props["mean_under_normal"] == pytest.approx(0, abs=1e-12)
    assert sig.props["mean_under_normal"] == pytest.approx(0.5, abs=1e-12)


def test_errata_tanh_milder():
    """tanh' > sigmoid' near 0, but below it beyond |x| = 1.6629, where both are 1 - sqrt(3)/2."""
    cross = optimize.brentq(lambda t: tanh.df(t) - sig.df(t), 0.5, 5.0, xtol=1e-14)
    assert cross == pytest.approx(1.6629, abs=1e-4)
    assert tanh.df(cross) == pytest.approx(1 - math.sqrt(3) / 2, rel=1e-10)
    x = np.linspace(0, 20, 2001)
    assert np.all((tanh.df(x) > sig.df(x))[x < cross - 1e-6])
    assert np.all((tanh.df(x) < sig.df(x))[x > cross + 1e-6])


def knocked_out_gradients(activation, knock=15.0):
    from sklearn.datasets import load_digits

    X_np, y_np = load_digits(return_X_y=True)
    X = torch.tensor((X_np - X_np.mean(0)) / np.maximum(X_np.std(0), 1e-12), dtype=torch.float32)
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(64, 32), acts.get(activation).module(), nn.Linear(32, 10))
    with torch.no_grad():
        net[0].bias[:8] -= knock
    nn.CrossEntropyLoss()(net(X), torch.tensor(y_np)).backward()
    g = net[0].weight.grad.abs().amax(dim=1)
    return float(g[:8].max()), float(g[8:].median())


def test_errata_leaky_solves_and_dead_relu():
    """Knocked-out units: exactly 0 with ReLU, small but not 0 with Leaky ReLU, tiny with ELU."""
    g_relu, live = knocked_out_gradients("relu")
    assert g_relu == 0.0 and live > 1e-3
    g_leaky, live = knocked_out_gradients("leaky_relu")
    assert 0 < g_leaky < 0.1 * live
    g_elu, live = knocked_out_gradients("elu")
    assert 0 < g_elu < 1e-4 * live


def test_errata_negative_outputs():
    """ELU's negative part pulls the mean output towards 0 (SELU's to exactly 0)."""
    means = {n: acts.get(n).props["mean_under_normal"] for n in ("relu", "elu", "selu")}
    assert means["relu"] == pytest.approx(1 / math.sqrt(2 * math.pi), rel=1e-9)
    assert 0 < means["elu"] < means["relu"]
    assert means["selu"] == pytest.approx(0, abs=1e-6)


def test_errata_selu_name():
    """SELU is a scaled ELU: lambda * ELU_alpha."""
    x = np.linspace(-30, 30, 60001)
    np.testing.assert_allclose(acts.get("selu").f(x), SELU_LAMBDA * acts.get("elu").f(x, alpha=SELU_ALPHA),
                               rtol=1e-14, atol=1e-15)


def test_errata_selu_author_and_glossary():
    """Klambauer is the first author; the glossary gives the standard term and the source's."""
    assert acts.get("selu").paper["authors"].startswith("Klambauer")
    bib = (ROOT / "acts" / "references.bib").read_text(encoding="utf-8")
    entry = bib[bib.index("@article{klambauer2017"):].split("\n}")[0]
    assert re.search(r"author\s*=\s*\{Klambauer", entry)
    row = next(line for line in GLOSSARY.read_text(encoding="utf-8").splitlines() if "(SELU)" in line)
    assert "缩放指数线性单元" in row and "扩展型指数线性单元" in row


def test_errata_selu_lambda():
    """SELU has the fixed point mean 0, second moment 1; lambda * ELU with alpha = 1 does not."""
    selu, elu = acts.get("selu"), acts.get("elu")
    assert normal_expectation(scalar(selu)) == pytest.approx(0, abs=1e-9)
    assert normal_expectation(lambda z: scalar(selu)(z) ** 2) == pytest.approx(1, abs=1e-9)
    assert SELU_LAMBDA > 1
    mean = normal_expectation(lambda z: SELU_LAMBDA * scalar(elu)(z))
    second = normal_expectation(lambda z: (SELU_LAMBDA * scalar(elu)(z)) ** 2)
    assert abs(mean) > 0.1 and abs(second - 1) > 0.1


def test_errata_selu_chi():
    """At the fixed point the squared gradient grows by chi = E[selu'(Z)^2] > 1 per layer."""
    chi = normal_expectation(lambda z: float(acts.get("selu").df(np.array(z))) ** 2)
    assert chi == pytest.approx(1.0716, abs=1e-4)
    assert math.sqrt(chi) ** 63 > 5


def test_errata_leaky_linear():
    """Leaky ReLU does not saturate; ELU's nonlinear part saturates on the left."""
    assert acts.get("leaky_relu").props["saturation"]["text"] == "none"
    assert acts.get("elu").props["saturation"]["left"] == "soft"


def test_errata_gelu_bernoulli():
    """E[m x] with m ~ Bernoulli(Phi(x)) is gelu(x), within Monte Carlo error."""
    gen = np.random.default_rng(1)
    for x0 in (-2.0, -1.0, 0.5, 2.0):
        phi = 0.5 * (1 + math.erf(x0 / math.sqrt(2)))
        keep = gen.random(400_000) < phi
        se = abs(x0) * math.sqrt(phi * (1 - phi) / keep.size)
        assert abs(np.mean(keep * x0) - gelu.f(x0)) < 5 * se


def test_errata_gelu_exact():
    """acts equals x Phi(x) computed in 50 digits; x/2 (1 + erf(x/sqrt 2)) and torch's default
    F.gelu agree with it to rounding: no approximation is needed."""
    import mpmath as mp

    x = np.linspace(-8, 8, 1601)
    with mp.workdps(50):
        exact = np.array([float(mp.mpf(t) * mp.ncdf(t)) for t in x])
    np.testing.assert_allclose(gelu.f(x), exact, rtol=5e-14, atol=0)
    with_erf = np.array([t / 2 * (1 + math.erf(t / math.sqrt(2))) for t in x])
    np.testing.assert_allclose(with_erf, exact, rtol=0, atol=1e-15)
    np.testing.assert_allclose(F.gelu(torch.tensor(x)).numpy(), exact, rtol=0, atol=1e-15)


def test_errata_gelu_vanishing():
    """GELU's derivative tends to 0 on the left (soft saturation) and to 1 on the right."""
    assert gelu.props["saturation"]["left"] == "soft"
    assert abs(gelu.df(-6.0)) < 1e-7 and gelu.df(8.0) == pytest.approx(1, abs=1e-12)


def test_errata_swish_gelu():
    """x sigma(1.702 x) is GELU's sigmoid approximation, off by about 0.02 (about 40 times the tanh form's error)."""
    wide = np.linspace(-8, 8, 160_001)
    err_sigmoid = np.abs(acts.get("swish").f(wide, beta=1.702) - gelu.f(wide)).max()
    err_tanh = np.abs(gelu.f(wide, approximate="tanh") - gelu.f(wide)).max()
    assert err_sigmoid == pytest.approx(0.0203, abs=5e-4)
    assert 35 < err_sigmoid / err_tanh < 50
    np.testing.assert_allclose(acts.get("swish").f(wide, beta=1.702), gelu.f(wide, approximate="sigmoid"),
                               rtol=1e-15, atol=1e-15)


def test_errata_mish_smooth():
    """Mish is C-infinity with no kink; its second derivative has no jump anywhere on a fine grid."""
    mish = acts.get("mish")
    assert mish.props["smoothness"] == "C∞" and not mish.props["kinks"]
    x = np.linspace(-10, 10, 200_001)
    d2 = np.gradient(mish.df(x), x)
    assert np.abs(np.diff(d2)).max() < 1e-3


def test_errata_maxout():
    """A maxout of k tangents never fits x^2 exactly; the error is (2/(k-1))^2 / 4 at the midpoints."""
    xs = np.linspace(-1, 1, 20001)
    for k in (2, 4, 8, 16, 32):
        tangents = np.stack([2 * t * xs - t**2 for t in np.linspace(-1, 1, k)], axis=-1)
        err = np.abs(acts.get("maxout").f(tangents, k=k)[:, 0] - xs**2).max()
        assert err > 0 and err == pytest.approx((1 / (k - 1)) ** 2, rel=1e-3)


def test_errata_dice_prelu():
    """With E(s) = 0 and Var(s) = 0, Dice differs from PReLU by about 0.2785 sqrt(eps) (1 - alpha); eps = 0 gives nan."""
    dice, prelu = acts.get("dice"), acts.get("prelu")
    t = np.linspace(-1e-3, 1e-3, 200_001)
    for alpha in (0.0, 0.25):
        gap = np.abs(dice.f(t, alpha=alpha, mean=0.0, var=0.0) - prelu.f(t, weight=alpha)).max()
        assert gap == pytest.approx(0.2785 * 1e-4 * (1 - alpha), rel=0.01)
    with np.errstate(divide="ignore", invalid="ignore"):
        assert np.isnan(dice.f(np.array([0.0, 1.0]), eps=0.0, mean=0.0, var=0.0)[0])


# --- source 002 ---------------------------------------------------------------------------
def test_errata_plus_one():
    """The source's code computes 2 relu(3x + 1) + 1, not + 2."""
    xs = np.arange(-3, 3, step=0.5)
    code = np.where(3 * xs + 1 > 0, 3 * xs + 1, 0) * 2 + 1
    np.testing.assert_array_equal(code, 2 * relu.f(3 * xs + 1) + 1)
    assert not np.array_equal(code, 2 * relu.f(3 * xs + 1) + 2)


def test_errata_script_order():
    """Run as a script, the four-activation code stops at its first call."""
    src = source_text("002_24dafab80f2f0d9b.txt")
    assert src.index("y_1 = model(x, activation=relu)") < src.rindex("def relu(x):")
    with pytest.raises(NameError, match="relu"):
        exec("x = 1.0\ny_1 = (lambda x, activation=None: activation(x))(x, activation=relu)", {})


def test_errata_plot_labels():
    """Source 002's tanh and ReLU cells keep the sigmoid's legend labels."""
    src = source_text("002_24dafab80f2f0d9b.txt")
    cells = src.split("```python")
    tanh_cell = next(c for c in cells if "def tanh_diff" in c)
    relu_cell = next(c for c in cells if "def relu_diff" in c)
    for cell in (tanh_cell, relu_cell):
        assert "label='sigma'" in cell and "label='sigma_diff'" in cell


def test_errata_naive_tanh():
    """The textbook formula gives NaN beyond ln(max float); acts gives +-1."""
    def tanh_source(x):
        return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))

    with np.errstate(all="ignore"):
        for dtype, limit in ((np.float64, 709.78), (np.float32, 88.72)):
            assert float(np.log(np.finfo(dtype).max)) == pytest.approx(limit, abs=0.01)
            big = dtype(limit * 1.001)
            assert np.isnan(tanh_source(big)) and np.isnan(tanh_source(-big))
            assert tanh_source(dtype(limit * 0.999)) == 1
        assert tanh.f(1e308) == 1.0 and tanh.f(-1e308) == -1.0


def test_errata_tanh_mean():
    """Tanh's mean output is 0 for symmetric inputs only."""
    assert normal_expectation(lambda z: math.tanh(z)) == pytest.approx(0, abs=1e-12)
    assert normal_expectation(lambda z: math.tanh(z + 1.0)) == pytest.approx(0.551, abs=0.005)


def test_errata_relu_differentiable():
    """Finite differences agree with relu' everywhere except at 0, where the one-sided slopes are 0 and 1."""
    rng = np.random.default_rng(0)
    pts = rng.uniform(-5, 5, 10_000)
    pts = pts[np.abs(pts) > 1e-3]
    h = 1e-6
    central = (relu.f(pts + h) - relu.f(pts - h)) / (2 * h)
    np.testing.assert_allclose(central, relu.df(pts), atol=1e-6)
    assert (relu.f(0.0) - relu.f(-h)) / h == 0 and (relu.f(h) - relu.f(0.0)) / h == 1
    assert [k + 0.0 for k in relu.props["kinks"]] == [0.0]


def test_errata_relu_derivative_zero():
    """Formulas give 1 at 0, the source's code 0 and 0.01; torch and acts agree with the code."""
    x0 = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    (g_relu,) = torch.autograd.grad(torch.relu(x0), x0)
    (g_leaky,) = torch.autograd.grad(F.leaky_relu(x0), x0)
    assert g_relu.item() == 0.0 and g_leaky.item() == pytest.approx(0.01)
    assert relu.df(0.0) == 0.0 and acts.get("leaky_relu").df(0.0) == pytest.approx(0.01)
    assert np.where(0.0 > 0, 1, 0) == 0 and np.where(0.0 > 0, 1, 0.01) == 0.01


def test_errata_relu_scale():
    """Through 30 ReLU layers: 1/n shrinks the signal by about sqrt(2) per layer, 2/n keeps it, 3/n grows it."""
    def rms(weight_var, depth=30, width=256):
        torch.manual_seed(0)
        h = torch.randn(512, width, dtype=torch.float64)
        out = []
        for _ in range(depth):
            h = torch.relu(h @ (torch.randn(width, width, dtype=torch.float64) * math.sqrt(weight_var / width)).T)
            out.append(float(h.pow(2).mean().sqrt()))
        return out

    lecun, he, larger = rms(1.0), rms(2.0), rms(3.0)
    assert lecun[-1] < 2 ** (-30 / 2) * 10 and lecun[-1] > 2 ** (-30 / 2) / 10
    assert 0.3 < he[-1] < 3
    assert larger[-1] > 100


def test_relu_weight_scale_kills_no_unit():
    """With zero biases, scaling the weights of a ReLU network changes no sign: the same units are dead."""
    g = torch.Generator().manual_seed(1)
    Ws = [torch.randn(3, 3, generator=g, dtype=torch.float64) for _ in range(4)]
    x = torch.randn(200, 3, generator=g, dtype=torch.float64)

    def dead(scale):
        h, pattern = x, []
        for W in Ws:
            h = relu.torch(h @ (scale * W))
            pattern.append((h == 0).all(dim=0))
        return torch.stack(pattern)

    assert torch.equal(dead(1.0), dead(math.sqrt(0.5))) and torch.equal(dead(1.0), dead(3.0))


def test_errata_relu_negative_output():
    """ReLU's output is never negative, +-inf and -0.0 included, in numpy and torch."""
    x = np.concatenate([[-np.inf, np.inf, -0.0], -np.logspace(-300, 300, 601), np.logspace(-300, 300, 601)])
    assert np.all(relu.f(x) >= 0)
    t = torch.tensor(x)
    assert bool((torch.relu(t) >= 0).all()) and bool((relu.torch(t) >= 0).all())
    assert np.all(relu.df(x[x < 0]) == 0)


def test_errata_leaky_max():
    """max(a x, x) equals Leaky ReLU for 0 <= a <= 1 and not for a > 1."""
    x = np.linspace(-5, 5, 1001)
    leaky = acts.get("leaky_relu")
    for a in (0.0, 0.01, 0.5, 1.0):
        np.testing.assert_allclose(np.maximum(a * x, x), leaky.f(x, negative_slope=a), rtol=0, atol=0)
    assert not np.allclose(np.maximum(1.5 * x, x), leaky.f(x, negative_slope=1.5))


def test_errata_list_comprehension():
    """Same values as the vectorised form; fails on 2-D input; at least ten times slower."""
    def lea_relu(x):
        return np.array([i if i > 0 else 0.01 * i for i in x])

    leaky = acts.get("leaky_relu")
    xs = np.random.default_rng(0).standard_normal(100_000)
    assert np.array_equal(lea_relu(xs), leaky.f(xs))
    with pytest.raises(ValueError, match="truth value"):
        lea_relu(np.ones((2, 3)))
    t_list = measure(lambda: lea_relu(xs), time.perf_counter, min_time=0.1, min_blocks=3)["min"]
    t_vec = measure(lambda: leaky.f(xs), time.perf_counter, min_time=0.05, min_blocks=5)["min"]
    assert t_list > 10 * t_vec


def test_errata_nn_names():
    assert not hasattr(nn, "sigmoid") and not hasattr(nn, "tanh")
    assert hasattr(nn, "Sigmoid") and hasattr(nn, "Tanh")


def test_errata_call_forward():
    """Activation modules define forward; __call__ is nn.Module's."""
    for cls in (nn.ReLU, nn.LeakyReLU, nn.Sigmoid, nn.Tanh):
        assert "forward" in vars(cls) and "__call__" not in vars(cls)
        assert cls.__call__ is nn.Module.__call__


# --- source 003 ---------------------------------------------------------------------------
def test_errata_equivalent():
    """nn.RReLU (training) randomises, F.rrelu (defaults) does not; nn.PReLU has a parameter."""
    torch.manual_seed(0)
    neg = -torch.ones(100)
    assert nn.RReLU().train()(neg).unique().numel() > 1
    assert F.rrelu(neg).unique().numel() == 1
    assert sum(p.numel() for p in nn.PReLU().parameters()) == 1


def test_errata_unused_layer():
    """Source 003's forward never calls leaky_relu_layer."""
    src = source_text("003_bff9974c3a6ce502.txt")
    forward = src[src.index("def forward"):src.index("return logits")]
    assert "leaky_relu_layer" in src[:src.index("def forward")]
    assert "leaky_relu_layer" not in forward


# --- source 004 ---------------------------------------------------------------------------
def test_errata_differentiable():
    for name in ("relu", "leaky_relu", "relu6", "hardtanh"):
        assert acts.get(name).props["smoothness"] == "C⁰" and acts.get(name).props["kinks"], name
    assert acts.get("binary_step").props["smoothness"] == "discontinuous"


def test_errata_small_x():
    """The derivatives are largest at x = 0 and vanish only for large |x|."""
    for a, peak in ((sig, 0.25), (tanh, 1.0)):
        assert a.df(0.0) == peak and np.all(a.df(GRID) <= peak)
        assert a.df(0.01) > 0.99 * peak
        assert a.df(10.0) < 1e-4 and a.df(-10.0) < 1e-4


def test_errata_downstream_gradients():
    """A dead unit gets 0; the other units and the next layer still get gradients."""
    torch.manual_seed(0)
    layer1, layer2 = nn.Linear(4, 3), nn.Linear(3, 2)
    with torch.no_grad():
        layer1.bias[0] = -100.0
    z1 = layer1(torch.randn(16, 4))
    layer2(relu.torch(z1)).pow(2).sum().backward()
    assert bool((z1[:, 0] < 0).all())
    assert layer1.weight.grad[0].abs().max().item() == 0.0 and layer1.bias.grad[0].item() == 0.0
    assert bool((layer1.weight.grad[1:].abs().amax(dim=1) > 0).all())
    assert bool((layer2.weight.grad[:, 1:].abs() > 0).all())
    assert bool((layer2.weight.grad[:, 0] == 0).all())        # the dead unit's output weight: 0


def test_errata_softmax_cost_bound():
    """Softmax's time per entry does not grow with the dimension (a loose bound: within 4x)."""
    softmax = acts.get("softmax")
    per_entry = []
    for n in (10**4, 10**6):
        v = np.random.default_rng(0).standard_normal(n)
        t = measure(lambda: softmax.f(v), time.perf_counter, min_time=0.05, min_blocks=3)["min"]
        per_entry.append(t / n)
    assert per_entry[1] < 4 * per_entry[0]


def test_errata_softmax_grid():
    """On a grid, softmax's value at a point depends on the number of grid points."""
    softmax = acts.get("softmax")
    a, b = softmax.f(np.linspace(-10, 10, 1000))[-1], softmax.f(np.linspace(-10, 10, 2000))[-1]
    assert a == pytest.approx(0.0198, abs=1e-4) and b == pytest.approx(a / 2, rel=0.01)


def test_errata_logsoftmax_underflow_and_outliers():
    """log(softmax) underflows to -inf; log_softmax stays finite; both give the same probabilities."""
    outlier = np.array([0.0, 1.0, 1000.0])
    ex = np.exp(outlier - outlier.max())
    with np.errstate(divide="ignore"):
        naive = np.log(ex / ex.sum())
    stable = acts.get("log_softmax").f(outlier)
    assert np.isneginf(naive[:2]).all()
    np.testing.assert_array_equal(stable, [-1000.0, -999.0, 0.0])
    np.testing.assert_allclose(np.exp(stable), ex / ex.sum(), rtol=0, atol=1e-300)
    x = np.random.default_rng(0).normal(size=(50, 7))
    np.testing.assert_allclose(np.exp(acts.get("log_softmax").f(x)), acts.get("softmax").f(x), rtol=1e-13)
    assert np.array_equal(np.argsort(acts.get("log_softmax").f(x), axis=1), np.argsort(acts.get("softmax").f(x), axis=1))


def test_errata_name_error():
    """Source 004 defines Softmax, Softmin, Log_Softmax but calls softmax, softmin, log_softmax."""
    src = source_text("004_a85ccb197574ca7f.txt")
    for defined, called in (("Softmax", "softmax"), ("Softmin", "softmin"), ("Log_Softmax", "log_softmax")):
        assert f"def {defined}(" in src and f"def {called}(" not in src and f"{called}(x))" in src


def test_errata_value_table():
    """0.015876 rounds to 0.0159 (not 0.0158), -2.142932 to -2.1429, tanh(-2) to -0.9640."""
    x3 = np.array([-2.0, 0.0, 2.0])
    assert f"{acts.get('softmax').f(x3)[0]:.4f}" == "0.0159"
    assert f"{acts.get('softmin').f(x3)[2]:.4f}" == "0.0159"
    assert f"{acts.get('log_softmax').f(x3)[1]:.4f}" == "-2.1429"
    assert f"{tanh.f(-2.0):.4f}" == "-0.9640"


# --- the page itself ----------------------------------------------------------------------
def errata_markdown():
    """The index page's markdown cells, then those of the source pages, in source order."""
    cells = [ERRATA.read_text(encoding="utf-8")]
    for path in ERRATA_PAGES:
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells += ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    return cells


def test_one_page_per_source():
    assert [p.stem for p in ERRATA_PAGES] == [f"source-00{k}" for k in range(5)]
    for k, path in enumerate(ERRATA_PAGES):
        title = json.loads(path.read_text(encoding="utf-8"))["cells"][0]["source"][0]
        assert title.startswith(f"# Source 00{k}: "), (path.name, title)
        text = "\n".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])
        on_page = re.findall(r"^\((errata-[\w-]+)\)=$", text, flags=re.M)
        # an entry sits on the page of the first source the index names for it
        assert on_page == [label for _, label, srcs, _ in index_rows() if srcs.startswith(f"00{k}")], path.name


def entries():
    """{label: markdown of the entry} in page order."""
    out = {}
    for text in errata_markdown()[1:]:
        m = re.search(r"^\((errata-[\w-]+)\)=\n## (\d+)\. ", text, flags=re.M)
        if m:
            out[m.group(1)] = (int(m.group(2)), text[m.start():])
    return out


def index_rows():
    intro = errata_markdown()[0]
    return re.findall(r"^\| \{ref\}`(\d+) <(errata-[\w-]+)>` \| ([^|]+) \| (?:\\\||[^|])+ \| (wrong|overstated|unsupported): ",
                      intro, flags=re.M)


def test_index_lists_every_entry_once_in_order():
    rows = index_rows()
    found = entries()
    assert [label for _, label, _, _ in rows] == list(found)
    assert [int(n) for n, _, _, _ in rows] == list(range(1, len(rows) + 1))
    assert all(found[label][0] == int(n) for n, label, _, _ in rows)


def test_stated_counts_match_the_entries():
    intro = errata_markdown()[0]
    m = re.search(r"\*\*(\d+) claims\*\* that are wrong\s+\((\d+)\), overstated \((\d+)\) or unsupported \((\d+)\)", intro)
    assert m, "the page must state its count"
    kinds = [kind for *_, kind in index_rows()]
    assert int(m.group(1)) == len(entries()) == len(kinds)
    assert (int(m.group(2)), int(m.group(3)), int(m.group(4))) == tuple(
        kinds.count(k) for k in ("wrong", "overstated", "unsupported"))


def test_every_entry_quotes_a_source_and_links_a_chapter():
    for label, (_, text) in entries().items():
        assert re.search(r"^> \S", text, flags=re.M), f"{label}: no quote"
        assert re.search(r"source 00[0-4]", text), f"{label}: no source named"
        assert re.search(r"\*Taught in:\* .*\{(doc|ref)\}", text), f"{label}: no link to a chapter"


def normalise(s):
    s = s.replace("\\", "").replace("`", "").replace("**", "").replace("$", "")
    return re.sub(r"\s+", "", s)


def test_chinese_quotes_are_verbatim():
    """Every piece of a quoted passage (pieces separated by …) occurs in a source article."""
    corpus = normalise(source_text())
    cjk = re.compile(r"[\u4e00-\u9fff]")
    checked = 0
    for label, (_, text) in entries().items():
        quoted = [line[2:] for line in text.splitlines()
                  if line.startswith("> ") and not line.startswith(("> *", "> —", "> ("))]
        quoted = [" ".join(quoted[:1])] if quoted else []
        quoted += [q for q in re.findall(r'"([^"]+)"', text) if cjk.search(q)]
        for passage in quoted:
            for piece in re.split(r"……|…", passage):
                piece = normalise(piece)
                if len(piece) >= 3:
                    assert piece in corpus, f"{label}: not found in the sources: {piece}"
                    checked += 1
    assert checked > 60
