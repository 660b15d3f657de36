"""Tests of the torch forms (acts.nn, generated from the specs in acts/functions/): autograd Functions, modules, compiled access.

Fast by design (small tensors). torch.compile: every function once with backend
"aot_eager" (traces forward and backward through Dynamo/AOTAutograd with fullgraph=True),
and only a couple with inductor (real code generation, seconds each). CUDA tests skip
without a device.
"""
from __future__ import annotations

import doctest
import inspect
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import acts
from acts.constants import SELU_ALPHA, SELU_LAMBDA
from acts.kinds import Elementwise
from acts.nn import FUNCTIONS, MODULES, compiled

INF = float("inf")
NAN = float("nan")
SELU_A, SELU_L = SELU_ALPHA, SELU_LAMBDA

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")

# (name, params) — every function, several with non-default parameters. Inputs are (3, 6):
# maxout k=3 on axis 1, glu-family halves on the last axis, dice statistics over axis 0.
LISTED = [
    ("identity", {}),
    ("binary_step", {}),
    ("sigmoid", {}),
    ("tanh", {}),
    ("relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("prelu", {"weight": 0.3}),
    ("rrelu", {"lower": 0.1, "upper": 0.3}),
    ("elu", {"alpha": 1.5}),
    ("selu", {}),
    ("celu", {"alpha": 0.7}),
    ("gelu", {"approximate": "none"}),
    ("gelu", {"approximate": "tanh"}),
    ("gelu", {"approximate": "sigmoid"}),
    ("swish", {"beta": 1.0}),
    ("swish", {"beta": 2.5}),
    ("mish", {}),
    ("softplus", {"beta": 1.0}),
    ("softplus", {"beta": 0.5}),
    ("softsign", {}),
    ("hardtanh", {"min_val": -2.0, "max_val": 1.5}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
    ("relu6", {}),
    ("maxout", {"k": 3, "axis": 1}),
    ("dice", {"alpha": 0.25, "eps": 1e-8, "axis": 0}),
    ("softmax", {"axis": 0}),
    ("softmin", {"axis": -1}),
    ("log_softmax", {"axis": -1}),
    ("glu", {"axis": -1}),
    ("swiglu", {"axis": -1, "beta": 1.5}),
    ("geglu", {"axis": -1, "approximate": "none"}),
    ("geglu", {"axis": -1, "approximate": "tanh"}),
]
# every activation: one not listed yet (a new spec) is tested with its defaults
CASES = LISTED + [(n, {}) for n in acts.names() if n not in {m for m, _ in LISTED}]
IDS = [n + "".join(f"-{v}" for v in p.values()) for n, p in CASES]
ELEMENTWISE = [n for n in acts.names() if issubclass(acts.get(n).spec, Elementwise)]
KINKS = (-3.0, -2.0, -1.0, 0.0, 1.0, 1.5, 3.0, 6.0)


def sample(shape=(3, 6), dtype=torch.float64, seed=0, scale=3.0, device="cpu"):
    """Random inputs at least 0.05 away from every kink used by the cases."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(shape, generator=g, dtype=torch.float64) * scale
    for k in KINKS:
        x = torch.where((x - k).abs() < 0.05, x + 0.1, x)
    return x.to(device=device, dtype=dtype)


def fwd_bwd(fn, x, g=None):
    """(f(x), ∂<g, f(x)>/∂x) with a fresh leaf."""
    x = x.detach().clone().requires_grad_(True)
    y = fn(x)
    if g is None:
        g = torch.ones_like(y)
    (gx,) = torch.autograd.grad(y, x, g)
    return y.detach(), gx


def test_registry_interface():
    assert set(FUNCTIONS) == set(MODULES)
    assert {n for n, _ in CASES} == set(FUNCTIONS)
    for name, cls in MODULES.items():
        assert issubclass(cls, torch.nn.Module) and cls.name == name


# ---------------------------------------------------------------------------------------
# gradcheck
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_gradcheck(name, params):
    x = sample().requires_grad_(True)
    fn = FUNCTIONS[name]
    assert torch.autograd.gradcheck(lambda t: fn(t, **params), (x,))


# activations with a continuous second derivative everywhere; their double backward is checked
# on points that include the branch points of the stable forms (0 and -0.0), which `sample` avoids
SMOOTH = ("sigmoid", "tanh", "gelu", "swish", "mish", "softplus")


@pytest.mark.parametrize("name,params", [c for c in CASES if c[0] in SMOOTH],
                         ids=[i for c, i in zip(CASES, IDS) if c[0] in SMOOTH])
def test_gradgradcheck_through_zero(name, params):
    x = torch.tensor([0.0, -0.0, 1e-3, -1e-3, 0.7, -2.5], dtype=torch.float64, requires_grad=True)
    fn = FUNCTIONS[name]
    assert torch.autograd.gradgradcheck(lambda t: fn(t, **params), (x,))


def test_mish_second_derivative_at_zero():
    # mish'(0) = tanh(ln 2) = 3/5; mish''(0) = 2 sech²(ln 2) σ(0) = 2 (16/25) (1/2) = 16/25
    x = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    (g,) = torch.autograd.grad(FUNCTIONS["mish"](x).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    assert g.item() == pytest.approx(0.6, rel=1e-15) and h.item() == pytest.approx(0.64, rel=1e-14)


def test_gradcheck_rrelu_training():
    x = sample().requires_grad_(True)
    fn = lambda t: FUNCTIONS["rrelu"](t, 0.1, 0.3, training=True, rng=torch.Generator().manual_seed(3))  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x,))


def test_gradcheck_prelu_channel_weight():
    x = sample((2, 3, 4)).requires_grad_(True)
    w = torch.tensor([0.1, 0.25, -0.4], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: FUNCTIONS["prelu"](a, weight=b), (x, w))
    w1 = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: FUNCTIONS["prelu"](a, weight=b), (x, w1))


def test_gradcheck_dice_parameters():
    x = sample((5, 4)).requires_grad_(True)
    a = torch.tensor([0.0, 0.2, -0.3, 0.9], dtype=torch.float64, requires_grad=True)
    m = torch.tensor([0.1, -0.2, 0.3, 0.0], dtype=torch.float64, requires_grad=True)
    v = torch.tensor([1.0, 2.0, 0.5, 4.0], dtype=torch.float64, requires_grad=True)
    d = FUNCTIONS["dice"]
    assert torch.autograd.gradcheck(lambda s, al: d(s, alpha=al, eps=1e-8, axis=0), (x, a))
    assert torch.autograd.gradcheck(lambda s, al, mm, vv: d(s, al, 1e-8, 0, mm, vv), (x, a, m, v))
    xt = x.detach().T.contiguous().requires_grad_(True)  # statistics over axis 1
    assert torch.autograd.gradcheck(lambda s, al: d(s, alpha=al, eps=1e-5, axis=1), (xt, a))


def dice_reference(s, alpha, eps, axis, mean=None, var=None):
    """Dice composed of plain torch ops (autograd differentiates it)."""
    if mean is None:
        mean = s.mean(axis, keepdim=True)
        var = s.var(axis, keepdim=True, correction=0)
    p = torch.sigmoid((s - mean) / torch.sqrt(var + eps))
    return p * s + (1 - p) * alpha * s


def test_dice_matches_composed_reference():
    x = sample((6, 4), seed=4)
    a = torch.tensor([0.0, 0.2, -0.3, 0.9], dtype=torch.float64)
    g = sample((6, 4), seed=5)
    for mean, var in [(None, None), (torch.full((4,), 0.2, dtype=torch.float64), torch.full((4,), 1.7, dtype=torch.float64))]:
        xs = [x.clone().requires_grad_(True) for _ in range(2)]
        as_ = [a.clone().requires_grad_(True) for _ in range(2)]
        y0 = FUNCTIONS["dice"](xs[0], alpha=as_[0], eps=1e-8, axis=0, mean=mean, var=var)
        y1 = dice_reference(xs[1], as_[1], 1e-8, 0, mean, var)
        torch.testing.assert_close(y0, y1, rtol=1e-13, atol=1e-15)
        (y0 * g).sum().backward()
        (y1 * g).sum().backward()
        torch.testing.assert_close(xs[0].grad, xs[1].grad, rtol=1e-12, atol=1e-14)
        torch.testing.assert_close(as_[0].grad, as_[1].grad, rtol=1e-12, atol=1e-14)


def test_maxout_first_max_gets_gradient():
    x = torch.tensor([[1.0, 3.0, 3.0, -1.0, -2.0, -1.0]], dtype=torch.float64, requires_grad=True)
    y = FUNCTIONS["maxout"](x, k=3, axis=-1)
    assert y.tolist() == [[3.0, -1.0]]
    y.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]]
    x3 = sample((2, 4, 3)).requires_grad_(True)  # groups along a middle axis
    y3 = FUNCTIONS["maxout"](x3, k=2, axis=1)
    ref = x3.detach().unflatten(1, (2, 2)).amax(2)
    assert torch.equal(y3, ref)


# ---------------------------------------------------------------------------------------
# agreement with torch's native ops
# ---------------------------------------------------------------------------------------
NATIVE = [
    ("sigmoid", {}, torch.sigmoid),
    ("tanh", {}, torch.tanh),
    ("relu", {}, F.relu),
    ("leaky_relu", {"negative_slope": 0.2}, lambda x: F.leaky_relu(x, 0.2)),
    ("prelu", {"weight": 0.3}, lambda x: F.prelu(x, torch.tensor([0.3], dtype=x.dtype))),
    ("rrelu", {"lower": 0.1, "upper": 0.3}, lambda x: F.rrelu(x, 0.1, 0.3, training=False)),
    ("elu", {"alpha": 1.5}, lambda x: F.elu(x, 1.5)),
    ("selu", {}, F.selu),
    ("celu", {"alpha": 0.7}, lambda x: F.celu(x, 0.7)),
    ("gelu", {"approximate": "none"}, F.gelu),
    ("gelu", {"approximate": "tanh"}, lambda x: F.gelu(x, approximate="tanh")),
    ("swish", {"beta": 1.0}, F.silu),
    ("mish", {}, F.mish),
    ("softplus", {"beta": 1.0}, F.softplus),  # |x| < 20: below native's threshold
    ("softplus", {"beta": 0.5}, lambda x: F.softplus(x, beta=0.5)),
    ("softsign", {}, F.softsign),
    ("hardtanh", {"min_val": -2.0, "max_val": 1.5}, lambda x: F.hardtanh(x, -2.0, 1.5)),
    ("hardsigmoid", {}, F.hardsigmoid),
    ("hardswish", {}, F.hardswish),
    ("relu6", {}, F.relu6),
    ("softmax", {"axis": 0}, lambda x: F.softmax(x, dim=0)),
    ("softmin", {"axis": -1}, lambda x: F.softmin(x, dim=-1)),
    ("log_softmax", {"axis": -1}, lambda x: F.log_softmax(x, dim=-1)),
    ("glu", {"axis": -1}, lambda x: F.glu(x, dim=-1)),
    ("glu", {"axis": 0}, lambda x: F.glu(x, dim=0)),
]
NATIVE_IDS = [n + "".join(f"-{v}" for v in p.values()) for n, p, _ in NATIVE]


@pytest.mark.parametrize("name,params,native", NATIVE, ids=NATIVE_IDS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_matches_native(name, params, native, dtype):
    shape = (4, 6)
    x = sample(shape, dtype=dtype, seed=1, scale=4.0)
    ours = lambda t: FUNCTIONS[name](t, **params)  # noqa: E731
    gy = sample(tuple(native(x).shape), dtype=dtype, seed=2)  # upstream gradient
    y0, g0 = fwd_bwd(native, x, gy)
    y1, g1 = fwd_bwd(ours, x, gy)
    if dtype == torch.float64:
        # gelu: native computes x/2·(1 + erf(x/√2)) and x/2·(1 + tanh u), which cancel for
        # negative x (ours: x·erfc(−x/√2)/2 and x·σ(2u)); see test_native_gelu_left_tail.
        # Everything else agrees to a few ulp.
        tol = dict(rtol=1e-12, atol=1e-14) if name == "gelu" else dict(rtol=1e-13, atol=1e-15)
    else:
        tol = dict(rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(y1, y0, **tol)
    if name in ("celu", "hardsigmoid") and dtype == torch.float64:
        tol = dict(rtol=3e-7, atol=0)  # native backward uses float32 constants: see below
    torch.testing.assert_close(g1, g0, **tol)
    assert y1.dtype == dtype and g1.dtype == dtype


def test_native_celu_backward_is_single_precision():
    """torch 2.13's celu backward in float64 uses 1/α rounded to float32: celu'(0) with
    α = 0.7 is 1.0000000170… (1.7e-8 relative, ~7.7e7 ulp) instead of 1. The acts form is exact."""
    x = torch.tensor([0.0, -1.0], dtype=torch.float64)
    _, g_native = fwd_bwd(lambda t: F.celu(t, 0.7), x)
    _, g_ours = fwd_bwd(lambda t: FUNCTIONS["celu"](t, alpha=0.7), x)
    assert g_ours.tolist() == [1.0, math.exp(-1 / 0.7)]
    assert 1e-8 < abs(g_native[0].item() - 1.0) < 1e-7


def test_native_hardsigmoid_backward_is_single_precision():
    """torch 2.13's hardsigmoid backward in float64 returns float32(1/6) = 0.16666667163…
    (3e-8 relative, ~1.8e8 ulp); the acts form returns 1/6 in float64."""
    x = torch.tensor([0.5], dtype=torch.float64)
    _, g_native = fwd_bwd(F.hardsigmoid, x)
    _, g_ours = fwd_bwd(FUNCTIONS["hardsigmoid"], x)
    assert g_ours.item() == 1 / 6
    assert g_native.item() == float(torch.tensor(1 / 6, dtype=torch.float32))


KINK_POINTS = [
    ("relu", {}, F.relu, [0.0]),
    ("leaky_relu", {"negative_slope": 0.2}, lambda x: F.leaky_relu(x, 0.2), [0.0]),
    ("prelu", {"weight": 0.3}, lambda x: F.prelu(x, torch.tensor([0.3], dtype=x.dtype)), [0.0]),
    ("rrelu", {"lower": 0.1, "upper": 0.3}, lambda x: F.rrelu(x, 0.1, 0.3, training=False), [0.0]),
    ("elu", {"alpha": 1.5}, lambda x: F.elu(x, 1.5), [0.0]),
    ("selu", {}, F.selu, [0.0]),
    ("celu", {"alpha": 0.7}, lambda x: F.celu(x, 0.7), [0.0]),
    ("hardtanh", {"min_val": -2.0, "max_val": 1.5}, lambda x: F.hardtanh(x, -2.0, 1.5), [-2.0, 1.5]),
    ("hardtanh", {"min_val": -1.0, "max_val": 1.0}, F.hardtanh, [-1.0, 1.0]),
    ("relu6", {}, F.relu6, [0.0, 6.0]),
    ("hardsigmoid", {}, F.hardsigmoid, [-3.0, 3.0]),
    ("hardswish", {}, F.hardswish, [-3.0, 3.0]),
    ("softplus", {"beta": 1.0}, F.softplus, [0.0]),
    ("gelu", {"approximate": "none"}, F.gelu, [0.0]),
]


@pytest.mark.parametrize("name,params,native,points", KINK_POINTS, ids=[k[0] + str(k[3]) for k in KINK_POINTS])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_kink_conventions_equal_torch(name, params, native, points, dtype):
    x = torch.tensor(points, dtype=dtype)
    y0, g0 = fwd_bwd(native, x)
    y1, g1 = fwd_bwd(lambda t: FUNCTIONS[name](t, **params), x)
    assert torch.equal(y1, y0), (y1, y0)
    if name == "celu":  # same convention (1 at 0); native's value is 1 + 1.7e-8 in float64
        g0 = torch.ones_like(g0)
    assert torch.equal(g1, g0), (g1, g0)


def test_stated_kink_values():
    """The conventions, written out (torch 2.13 at exactly the kinks)."""
    def grad_at(name, v, **p):
        return fwd_bwd(lambda t: FUNCTIONS[name](t, **p), torch.tensor([v], dtype=torch.float64))[1].item()

    assert grad_at("relu", 0.0) == 0.0
    assert grad_at("leaky_relu", 0.0, negative_slope=0.01) == 0.01
    assert grad_at("elu", 0.0, alpha=2.0) == 2.0
    assert grad_at("selu", 0.0) == SELU_L * SELU_A
    assert grad_at("celu", 0.0, alpha=2.0) == 1.0
    assert grad_at("hardswish", -3.0) == 0.0 and grad_at("hardswish", 3.0) == 1.0
    assert grad_at("hardswish", -2.999) == pytest.approx((2 * -2.999 + 3) / 6, rel=1e-14)
    assert grad_at("hardsigmoid", 3.0) == 0.0 and grad_at("hardsigmoid", 2.999) == 1 / 6
    assert grad_at("binary_step", 0.0) == 0.0 and grad_at("binary_step", 1.0) == 0.0


def test_native_gelu_left_tail():
    """Native F.gelu loses the left tail to cancellation in 1 + erf / 1 + tanh:
    gelu(−10) is −7.6e-23, native returns −0.0; gelu_tanh(−5) native is off by 2.4e6 ulp.
    The acts forms (x·erfc(−x/√2)/2, x·σ(2u)) are within a few dozen ulp there."""
    import mpmath as mp

    x = torch.tensor([-10.0, -5.0], dtype=torch.float64)
    assert F.gelu(x)[0].item() == 0.0
    ours = FUNCTIONS["gelu"](x, approximate="none")
    ref = [float(v * mp.ncdf(v)) for v in (-10, -5)]
    for got, r in zip(ours.tolist(), ref):
        assert abs(got - r) <= 64 * math.ulp(r)
    mp.mp.dps = 40
    u = mp.mpf(-5)
    ref_t = float(u / (1 + mp.exp(-2 * mp.sqrt(2 / mp.pi) * (u + mp.mpf("0.044715") * u**3))))
    native_t = F.gelu(x, approximate="tanh")[1].item()
    ours_t = FUNCTIONS["gelu"](x, approximate="tanh")[1].item()
    assert abs(native_t - ref_t) > 1e6 * math.ulp(ref_t)
    assert abs(ours_t - ref_t) <= 64 * math.ulp(ref_t)


def test_softplus_native_threshold_is_inexact():
    """Native F.softplus returns x for βx > 20 (threshold=20). At x = 20.0000001 that is off
    by x·e^(−x) ≈ 2.06e-9, about 5.8e5 ulp in float64; the acts form is exact (≤ 1 ulp)."""
    x = 20.0000001
    exact = x + math.log1p(math.exp(-x))  # x + 2.06e-9: log1p(e^-x) is computed to 1 ulp
    ulp = math.ulp(exact)
    t = torch.tensor([x], dtype=torch.float64)
    native = F.softplus(t).item()
    ours = FUNCTIONS["softplus"](t, beta=1.0).item()
    native_ulps = abs(native - exact) / ulp
    assert 5e5 < native_ulps < 7e5, native_ulps
    assert abs(ours - exact) <= ulp
    # and at every x, not only past the threshold
    xs = torch.tensor([-800.0, -40.0, 0.0, 19.9, 20.0, 30.0, 36.0, 40.0, 700.0], dtype=torch.float64)
    ys = FUNCTIONS["softplus"](xs, beta=1.0)
    for xv, yv in zip(xs.tolist(), ys.tolist()):
        ref = max(xv, 0.0) + math.log1p(math.exp(-abs(xv)))
        assert abs(yv - ref) <= math.ulp(ref), (xv, yv, ref)


# ---------------------------------------------------------------------------------------
# ±inf, nan, tails
# ---------------------------------------------------------------------------------------
# (name, params, f(-inf), f'(-inf), f(inf), f'(inf))
LIMITS = [
    ("identity", {}, -INF, 1.0, INF, 1.0),
    ("binary_step", {}, 0.0, 0.0, 1.0, 0.0),
    ("sigmoid", {}, 0.0, 0.0, 1.0, 0.0),
    ("tanh", {}, -1.0, 0.0, 1.0, 0.0),
    ("relu", {}, 0.0, 0.0, INF, 1.0),
    ("leaky_relu", {"negative_slope": 0.01}, -INF, 0.01, INF, 1.0),
    ("prelu", {"weight": 0.25}, -INF, 0.25, INF, 1.0),
    ("rrelu", {"lower": 0.1, "upper": 0.3}, -INF, 0.2, INF, 1.0),
    ("elu", {"alpha": 1.5}, -1.5, 0.0, INF, 1.0),
    ("selu", {}, -SELU_L * SELU_A, 0.0, INF, SELU_L),
    ("celu", {"alpha": 0.7}, -0.7, 0.0, INF, 1.0),
    ("gelu", {"approximate": "none"}, 0.0, 0.0, INF, 1.0),
    ("gelu", {"approximate": "tanh"}, 0.0, 0.0, INF, 1.0),
    ("gelu", {"approximate": "sigmoid"}, 0.0, 0.0, INF, 1.0),
    ("swish", {"beta": 1.0}, 0.0, 0.0, INF, 1.0),
    ("swish", {"beta": 0.5}, 0.0, 0.0, INF, 1.0),
    ("mish", {}, 0.0, 0.0, INF, 1.0),
    ("softplus", {"beta": 1.0}, 0.0, 0.0, INF, 1.0),
    ("softplus", {"beta": 2.0}, 0.0, 0.0, INF, 1.0),
    ("softsign", {}, -1.0, 0.0, 1.0, 0.0),
    ("hardtanh", {"min_val": -1.0, "max_val": 1.0}, -1.0, 0.0, 1.0, 0.0),
    ("hardsigmoid", {}, 0.0, 0.0, 1.0, 0.0),
    ("hardswish", {}, 0.0, 0.0, INF, 1.0),
    ("relu6", {}, 0.0, 0.0, 6.0, 0.0),
]


@pytest.mark.parametrize("case", LIMITS, ids=[c[0] + "".join(f"-{v}" for v in c[1].values()) for c in LIMITS])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
def test_infinite_inputs_give_limits(case, dtype):
    name, params, f_lo, d_lo, f_hi, d_hi = case
    x = torch.tensor([-INF, INF], dtype=dtype)
    y, gx = fwd_bwd(lambda t: FUNCTIONS[name](t, **params), x)
    expected_y = torch.tensor([f_lo, f_hi], dtype=dtype)
    expected_g = torch.tensor([d_lo, d_hi], dtype=dtype)
    assert not torch.isnan(y).any() and not torch.isnan(gx).any(), (y, gx)
    torch.testing.assert_close(y, expected_y, rtol=0, atol=0)
    torch.testing.assert_close(gx, expected_g, rtol=0, atol=0)


@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_nan_gives_nan_and_large_inputs_stay_finite(name, dtype):
    x = torch.tensor([NAN], dtype=dtype)
    assert torch.isnan(FUNCTIONS[name](x)).all()
    big = torch.finfo(dtype).max
    x = torch.tensor([-big, -1e4, -745.5, -89.5, -30.0, 30.0, 89.5, 745.5, 1e4, big], dtype=dtype)
    y, gx = fwd_bwd(FUNCTIONS[name], x)
    assert not torch.isnan(y).any() and not torch.isnan(gx).any(), (y, gx)


def test_softmax_family_with_infinities():
    x = torch.tensor([0.0, 1.0, 2.0, -INF], dtype=torch.float64)
    g = torch.tensor([0.3, -1.0, 2.0, 0.5], dtype=torch.float64)
    for name, native in [("softmax", F.softmax), ("log_softmax", F.log_softmax)]:
        y, gx = fwd_bwd(lambda t: FUNCTIONS[name](t, axis=-1), x, g)
        y0, g0 = fwd_bwd(lambda t: native(t, dim=-1), x, g)
        assert not torch.isnan(y).any() and not torch.isnan(gx).any()
        torch.testing.assert_close(y, y0, rtol=1e-14, atol=0)
        torch.testing.assert_close(gx, g0, rtol=1e-13, atol=1e-16)
    assert FUNCTIONS["softmax"](x)[-1].item() == 0.0
    assert FUNCTIONS["log_softmax"](x)[-1].item() == -INF
    y, gx = fwd_bwd(lambda t: FUNCTIONS["softmin"](t, axis=-1), -x, g)
    assert y[-1].item() == 0.0 and not torch.isnan(gx).any()
    # +inf: the limit exists (the infinite entries share the mass); native softmax gives nan.
    # A row of only −inf has no limit: nan, as torch.
    assert torch.isnan(FUNCTIONS["softmax"](torch.tensor([-INF, -INF]))).all()
    assert torch.isnan(FUNCTIONS["log_softmax"](torch.tensor([-INF, -INF]))).all()
    assert FUNCTIONS["softmax"](torch.tensor([INF, 0.0, INF])).tolist() == [0.5, 0.0, 0.5]
    assert FUNCTIONS["log_softmax"](torch.tensor([0.0, -50.0], dtype=torch.float64))[0].item() == -math.exp(-50)
    xp = torch.tensor([INF, 1.0, -INF], dtype=torch.float64)
    y, gx = fwd_bwd(lambda t: FUNCTIONS["softmax"](t), xp, g[:3])
    assert y.tolist() == [1.0, 0.0, 0.0] and gx.tolist() == [0.0, 0.0, 0.0]
    assert FUNCTIONS["log_softmax"](xp).tolist() == [0.0, -INF, -INF]
    assert torch.isnan(FUNCTIONS["softmax"](torch.tensor([NAN, 1.0]))).all()


def test_gated_units_with_infinities():
    x = torch.tensor([[2.0, 3.0, -INF, INF]], dtype=torch.float64)  # a = [2, 3], b = [-inf, inf]
    for name, p in [("glu", {}), ("swiglu", {"beta": 1.0}), ("geglu", {"approximate": "none"}), ("geglu", {"approximate": "tanh"})]:
        y, gx = fwd_bwd(lambda t: FUNCTIONS[name](t, **p), x)
        assert y[0, 0].item() == 0.0 and gx[0, 2].item() == 0.0 and gx[0, 0].item() == 0.0
        assert not torch.isnan(gx).any()


def test_tails_are_accurate():
    """Derivatives in the tails are the true small numbers, not 0 (float64)."""
    import mpmath as mp

    mp.mp.dps = 40

    def d(name, v, **p):
        return fwd_bwd(lambda t: FUNCTIONS[name](t, **p), torch.tensor([v], dtype=torch.float64))[1].item()

    def f(name, v, **p):
        return FUNCTIONS[name](torch.tensor([v], dtype=torch.float64), **p).item()

    sig = lambda x: 1 / (1 + mp.exp(-x))  # noqa: E731
    gelu_t = lambda x: x * sig(2 * mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3))  # noqa: E731
    mish = lambda x: x * mp.tanh(mp.log1p(mp.exp(x)))  # noqa: E731
    checks = [  # (got, reference function g, x): g is f or f' at x
        (d("tanh", 30.0), lambda x: mp.sech(x) ** 2, 30),
        (d("sigmoid", 40.0), lambda x: sig(x) * sig(-x), 40),
        (d("swish", -700.0, beta=1.0), lambda x: sig(x) + x * sig(x) * sig(-x), -700),
        (d("gelu", -30.0, approximate="none"), lambda x: mp.ncdf(x) + x * mp.npdf(x), -30),
        (f("gelu", -30.0, approximate="none"), lambda x: x * mp.ncdf(x), -30),
        (f("gelu", -5.0, approximate="tanh"), gelu_t, -5),
        (d("gelu", -5.0, approximate="tanh"), lambda x: mp.diff(gelu_t, x), -5),
        (f("mish", -30.0), mish, -30),
        (d("mish", 20.0), lambda x: mp.diff(mish, x), 20),
        (d("mish", -20.0), lambda x: mp.diff(mish, x), -20),
        (f("softplus", -700.0, beta=1.0), lambda x: mp.log1p(mp.exp(x)), -700),
        (d("elu", -700.0, alpha=1.0), mp.exp, -700),
    ]
    for got, g, x in checks:
        x = mp.mpf(x)
        ref = g(x)
        kappa = float(abs(x * mp.diff(g, x) / ref))  # condition number of what is evaluated
        ref = float(ref)
        assert ref != 0.0
        # the standard: (4 + 2κ) ulp
        assert abs(got - ref) <= (4 + 2 * kappa) * math.ulp(ref), (got, ref, kappa)
    # gelu'(−30) with x² split into exact parts: a few ulp, where exp(−x²/2) with a rounded
    # x² would be off by ~100 ulp
    ref = float((lambda x: mp.ncdf(x) + x * mp.npdf(x))(mp.mpf(-30)))
    assert abs(d("gelu", -30.0, approximate="none") - ref) <= 8 * math.ulp(ref)


# ---------------------------------------------------------------------------------------
# dtypes, devices, memory
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_accepted(name, params, dtype):
    x = sample(dtype=dtype)
    y, gx = fwd_bwd(lambda t: FUNCTIONS[name](t, **params), x)
    assert y.dtype == dtype and gx.dtype == dtype
    # computed in float32 and rounded once: equals the float32 result rounded to dtype
    y32, g32 = fwd_bwd(lambda t: FUNCTIONS[name](t, **params), x.float())
    eps = torch.finfo(dtype).eps
    torch.testing.assert_close(y.float(), y32, rtol=eps, atol=eps)
    torch.testing.assert_close(gx.float(), g32, rtol=2 * eps, atol=2 * eps)


def test_integer_and_bad_inputs():
    y = FUNCTIONS["relu"](torch.tensor([-2, 0, 3]))
    assert y.dtype == torch.get_default_dtype() and y.tolist() == [0.0, 0.0, 3.0]
    assert FUNCTIONS["sigmoid"](np.array([0.0]))[0].item() == 0.5
    with pytest.raises(TypeError, match="real"):
        FUNCTIONS["gelu"](torch.tensor([1 + 1j]))
    with pytest.raises(ValueError, match="divisible"):
        FUNCTIONS["maxout"](torch.zeros(5), k=2, axis=-1)
    with pytest.raises(ValueError, match="even"):
        FUNCTIONS["glu"](torch.zeros(5))
    with pytest.raises(ValueError, match="channel"):
        FUNCTIONS["prelu"](torch.zeros(2, 4), weight=torch.ones(3))


def test_shapes_scalars_empty_noncontiguous():
    for name in ELEMENTWISE:
        fn = FUNCTIONS[name]
        assert fn(torch.tensor(0.5)).shape == ()
        assert fn(torch.zeros(0)).shape == (0,)
        x = sample((4, 6)).T  # non-contiguous
        torch.testing.assert_close(fn(x), fn(x.contiguous()), rtol=0, atol=0)
    assert FUNCTIONS["softmax"](torch.zeros(0, 3)).shape == (0, 3)


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_saves_only_the_input(name, params):
    x = sample().requires_grad_(True)
    packed = []

    def pack(t):
        packed.append(t)
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = FUNCTIONS[name](x, **params)
    expected = 0 if name in ("identity", "binary_step") else 1
    assert len(packed) == expected, [tuple(t.shape) for t in packed]
    for t in packed:
        assert t is x or t.data_ptr() == x.data_ptr()
    y.sum().backward()


def test_saves_only_inputs_with_tensor_parameters():
    """Tensor parameters are inputs of the Function and saved as such; nothing else."""
    x = sample((2, 3, 4)).requires_grad_(True)
    x2 = sample((5, 4)).requires_grad_(True)
    w = torch.tensor([0.1, 0.2, 0.3], dtype=torch.float64, requires_grad=True)
    a = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    m, v = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    for fn, inputs in [
        (lambda: FUNCTIONS["prelu"](x, weight=w), [x, w]),
        (lambda: FUNCTIONS["dice"](x2, alpha=a), [x2, a]),
        (lambda: FUNCTIONS["dice"](x2, alpha=a, mean=m, var=v), [x2, a, m, v]),
        (lambda: FUNCTIONS["dice"](x2, alpha=0.5), [x2]),
    ]:
        packed = []
        with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
            fn().sum().backward()
        assert sorted(t.data_ptr() for t in packed) == sorted(t.data_ptr() for t in inputs)
    # rrelu in training saves exactly one tensor of x's size: the slopes
    packed = []
    with torch.autograd.graph.saved_tensors_hooks(lambda t: packed.append(t) or t, lambda t: t):
        FUNCTIONS["rrelu"](x, training=True)
    assert len(packed) == 1 and packed[0].shape == x.shape


# ---------------------------------------------------------------------------------------
# rrelu
# ---------------------------------------------------------------------------------------
def test_rrelu_training_samples_and_rng():
    x = -torch.ones(1000, dtype=torch.float64)
    y = FUNCTIONS["rrelu"](x, 0.1, 0.3, training=True, rng=torch.Generator().manual_seed(1))
    slopes = -y
    assert ((slopes >= 0.1) & (slopes <= 0.3)).all() and slopes.std() > 0.03
    y2 = FUNCTIONS["rrelu"](x, 0.1, 0.3, training=True, rng=torch.Generator().manual_seed(1))
    assert torch.equal(y, y2)
    xp = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    FUNCTIONS["rrelu"](xp, 0.1, 0.3, training=True).sum().backward()
    assert 0.1 <= xp.grad[0].item() <= 0.3 and xp.grad[1].item() == 1.0  # sampled slope at 0, as torch
    assert FUNCTIONS["rrelu"](x[:2], 0.1, 0.3).tolist() == [-0.2, -0.2]


# ---------------------------------------------------------------------------------------
# torch.compile
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_compile_aot_eager_fullgraph(name, params):
    """Traces forward and backward with no graph break; same numbers as eager."""
    fn = FUNCTIONS[name]
    c = compiled(name, backend="aot_eager", fullgraph=True, **params)
    x = sample(dtype=torch.float32)
    g = torch.ones_like(fwd_bwd(lambda t: fn(t, **params), x)[0])
    y0, g0 = fwd_bwd(lambda t: fn(t, **params), x, g)
    y1, g1 = fwd_bwd(c, x, g)
    torch.testing.assert_close(y1, y0, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(g1, g0, rtol=1e-6, atol=1e-7)


def test_compile_rrelu_training_and_tensor_params():
    x = sample(dtype=torch.float32)
    c = torch.compile(lambda t: FUNCTIONS["rrelu"](t, 0.1, 0.3, training=True), backend="aot_eager", fullgraph=True)
    y, gx = fwd_bwd(c, x)
    ratio = torch.where(x > 0, y / x, gx)
    assert ((ratio == 1) | ((ratio >= 0.1) & (ratio <= 0.3))).all()
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    cp = torch.compile(lambda t, ww: FUNCTIONS["prelu"](t, weight=ww), backend="aot_eager", fullgraph=True)
    x3 = sample((2, 3, 4), dtype=torch.float32)
    cp(x3, w).sum().backward()
    w0 = w.detach().clone().requires_grad_(True)
    F.prelu(x3, w0).sum().backward()
    torch.testing.assert_close(w.grad, w0.grad)


def test_compiled_inductor_gelu_fwd_bwd():
    """Real code generation (inductor) for a couple of forms; compile time is recorded."""
    c = compiled("gelu", approximate="tanh")
    assert compiled("gelu", approximate="tanh") is c
    x = sample((64,), dtype=torch.float32)
    g = sample((64,), dtype=torch.float32, seed=7)
    y0, g0 = fwd_bwd(lambda t: FUNCTIONS["gelu"](t, approximate="tanh"), x, g)
    y1, g1 = fwd_bwd(c, x, g)
    torch.testing.assert_close(y1, y0, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(g1, g0, rtol=1e-6, atol=1e-6)
    key = (torch.float32, x.device)
    assert list(c.compile_times) == [key] and c.compile_times[key] > 0
    fwd_bwd(c, x * 2, g)  # cached: no second entry
    assert list(c.compile_times) == [key]


def test_compiled_inductor_log_softmax():
    c = compiled("log_softmax", axis=-1)
    x = sample((4, 16), dtype=torch.float32)
    g = sample((4, 16), dtype=torch.float32, seed=9)
    y0, g0 = fwd_bwd(lambda t: F.log_softmax(t, dim=-1), x, g)
    y1, g1 = fwd_bwd(c, x, g)
    torch.testing.assert_close(y1, y0, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g1, g0, rtol=1e-5, atol=1e-6)


def test_compiled_cache_per_params_dtype():
    c1 = compiled("swish", backend="aot_eager", beta=1.0)
    c2 = compiled("swish", backend="aot_eager", beta=2.0)
    assert c1 is not c2 and c1 is compiled("swish", backend="aot_eager", beta=1.0)
    # more (params, dtype) combinations than Dynamo's per-code-object recompile limit (8)
    for beta in [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]:
        c = compiled("swish", backend="aot_eager", beta=beta)
        for dtype in (torch.float32, torch.float64):
            x = sample(dtype=dtype)
            torch.testing.assert_close(c(x), FUNCTIONS["swish"](x, beta=beta), rtol=1e-6, atol=1e-7)
    assert set(c.compile_times) == {(torch.float32, x.device), (torch.float64, x.device)}
    with pytest.raises(KeyError):
        compiled("nope")


# ---------------------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------------------
MODULE_ARGS = {"dice": {"num_features": 6}}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_defaults_forward_and_docstring(name):
    cls = MODULES[name]
    m = cls(**MODULE_ARGS.get(name, {})).double().eval()
    x = sample()
    y = m(x)
    if name != "dice":  # dice in eval mode uses its running statistics
        torch.testing.assert_close(y, FUNCTIONS[name](x), rtol=0, atol=0)
    doc = cls.__doc__
    for part in ("math::", "Shape:", "Examples::", "Args:"):
        assert part in doc, (name, part)
    repr(m)


def test_module_params_passed_through():
    x = sample()
    m = MODULES["gelu"](approximate="tanh")
    torch.testing.assert_close(m(x), FUNCTIONS["gelu"](x, approximate="tanh"), rtol=0, atol=0)
    assert torch.equal(MODULES["hardtanh"](min_val=-2.0, max_val=1.5)(x), FUNCTIONS["hardtanh"](x, -2.0, 1.5))
    assert torch.equal(MODULES["maxout"](k=3, axis=1)(x), FUNCTIONS["maxout"](x, k=3, axis=1))
    assert torch.equal(MODULES["swiglu"](axis=-1, beta=2.0)(x), FUNCTIONS["swiglu"](x, axis=-1, beta=2.0))
    assert torch.equal(MODULES["rrelu"](0.1, 0.3).eval()(x), FUNCTIONS["rrelu"](x, 0.1, 0.3))


def test_module_unknown_keyword_lists_accepted_names():
    with pytest.raises(TypeError, match="approximate"):
        MODULES["gelu"](approx="tanh")
    with pytest.raises(TypeError, match="num_features"):
        MODULES["dice"](alpha=0.0)  # num_features missing
    with pytest.raises(TypeError, match="negative_slope"):
        MODULES["leaky_relu"](slope=0.1)
    with pytest.raises(ValueError, match="approximate"):
        MODULES["gelu"](approximate="erf")
    with pytest.raises(ValueError, match="lower"):
        MODULES["rrelu"](lower=0.5, upper=0.1)


def test_prelu_module_learnable_matches_torch():
    m = MODULES["prelu"](weight=0.3, num_parameters=3).double()
    ref = torch.nn.PReLU(num_parameters=3, init=0.3).double()
    assert isinstance(m.weight, torch.nn.Parameter) and m.weight.shape == (3,)
    assert [n for n, _ in m.named_parameters()] == ["weight"]
    x = sample((2, 3, 4))
    m(x).square().sum().backward()
    ref(x).square().sum().backward()
    torch.testing.assert_close(m.weight.grad, ref.weight.grad, rtol=1e-13, atol=0)
    m1 = MODULES["prelu"]()
    assert m1.weight.shape == (1,) and m1.weight.item() == 0.25
    assert m1(torch.tensor([-4.0])).item() == -1.0


def test_rrelu_module_modes():
    m = MODULES["rrelu"](lower=0.1, upper=0.3, rng=torch.Generator().manual_seed(0))
    x = -torch.ones(500)
    y_train = m.train()(x)
    assert y_train.unique().numel() > 100
    ms = MODULES["rrelu"](lower=0.1, upper=0.3, rng=7)  # a seed: reproducible, advancing
    y1, y2 = ms(x), ms(x)
    assert not torch.equal(y1, y2)
    assert torch.equal(y1, MODULES["rrelu"](lower=0.1, upper=0.3, rng=7)(x))
    yn = FUNCTIONS["rrelu"](x, 0.1, 0.3, training=True, rng=np.random.default_rng(0))
    assert ((-yn >= 0.1) & (-yn <= 0.3)).all()
    y_eval = m.eval()(x)
    torch.testing.assert_close(y_eval, torch.full_like(x, -0.2))


def test_dice_module_statistics():
    torch.manual_seed(0)
    m = MODULES["dice"](num_features=4, alpha=0.1, eps=1e-8, momentum=0.5, axis=0).double()
    assert isinstance(m.alpha, torch.nn.Parameter) and m.alpha.shape == (4,)
    assert set(dict(m.named_buffers())) == {"running_mean", "running_var"}
    x = sample((16, 4), seed=11) + 2.0
    y = m.train()(x)
    torch.testing.assert_close(y, dice_reference(x, m.alpha.detach(), 1e-8, 0))
    torch.testing.assert_close(m.running_mean, 0.5 * x.mean(0))
    torch.testing.assert_close(m.running_var, 0.5 + 0.5 * x.var(0))
    y.sum().backward()
    assert m.alpha.grad is not None and m.alpha.grad.shape == (4,)
    ye = m.eval()(x)
    torch.testing.assert_close(ye, dice_reference(x, m.alpha.detach(), 1e-8, 0, m.running_mean, m.running_var))
    mt = MODULES["dice"](num_features=4, axis=1).double()  # (C, N) layout
    torch.testing.assert_close(mt(x.T), dice_reference(x.T, 0.0, 1e-8, 1))
    with pytest.raises(ValueError, match="num_features"):
        m(torch.zeros(3, 5, dtype=torch.float64))


def test_module_compiled_flag():
    x = sample()
    m = MODULES["prelu"](num_parameters=6, compiled="aot_eager")
    m2 = MODULES["prelu"](num_parameters=6)
    x2 = x.float()
    m(x2).sum().backward()
    m2(x2).sum().backward()
    torch.testing.assert_close(m.weight.grad, m2.weight.grad)
    d = MODULES["dice"](num_features=6, compiled="aot_eager")
    torch.testing.assert_close(d(x2), MODULES["dice"](num_features=6)(x2))


def test_module_docstring_examples_run():
    globs = {"torch": torch, "math": math, **{c.__name__: c for c in MODULES.values()}}
    finder, runner = doctest.DocTestFinder(exclude_empty=True), doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for cls in MODULES.values():
        for test in finder.find(cls, cls.__name__, globs=dict(globs)):
            runner.run(test)
    assert runner.failures == 0 and runner.tries >= len(MODULES)


# ---------------------------------------------------------------------------------------
# CUDA (skipped without a device)
# ---------------------------------------------------------------------------------------
@cuda
@pytest.mark.parametrize("name,params", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32, torch.float16, torch.bfloat16])
def test_cuda_matches_cpu(name, params, dtype):
    x = sample(dtype=dtype)
    g = None
    y0, g0 = fwd_bwd(lambda t: FUNCTIONS[name](t, **params), x, g)
    y1, g1 = fwd_bwd(lambda t: FUNCTIONS[name](t, **params), x.cuda(), g)
    assert y1.device.type == "cuda" and g1.device.type == "cuda" and y1.dtype == dtype
    if dtype in (torch.float16, torch.bfloat16):
        eps = torch.finfo(dtype).eps
        tol = dict(rtol=2 * eps, atol=2 * eps)
    else:
        # CUDA's libdevice and the CPU's vectorised math differ by an ulp or two
        tol = dict(rtol=1e-12, atol=1e-15) if dtype == torch.float64 else dict(rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(y1.cpu(), y0, **tol)
    torch.testing.assert_close(g1.cpu(), g0, **tol)


@cuda
def test_cuda_modules_and_inductor():
    x = sample((8, 6), dtype=torch.float32, device="cuda")
    for name in ("prelu", "dice", "rrelu"):
        m = MODULES[name](**MODULE_ARGS.get(name, {})).cuda()
        m(x).sum().backward()
    c = compiled("gelu", approximate="none")
    y0, g0 = fwd_bwd(lambda t: FUNCTIONS["gelu"](t), x)
    y1, g1 = fwd_bwd(c, x)
    torch.testing.assert_close(y1, y0, rtol=1e-6, atol=1e-7)
    torch.testing.assert_close(g1, g0, rtol=1e-6, atol=1e-6)
    assert (torch.float32, x.device) in c.compile_times


@cuda
def test_cuda_infinities():
    for name, params, f_lo, d_lo, f_hi, d_hi in LIMITS:
        x = torch.tensor([-INF, INF], device="cuda")
        y, gx = fwd_bwd(lambda t: FUNCTIONS[name](t, **params), x)
        assert y.cpu().tolist() == [f_lo, f_hi] or torch.allclose(y.cpu(), torch.tensor([f_lo, f_hi]))
        assert not torch.isnan(gx).any()


# ---------------------------------------------------------------------------------------
# Through the registry, against the numpy forms (when the registry is there)
# ---------------------------------------------------------------------------------------
def _registry():
    import acts

    return acts


def _full(acts, name, params):
    return {**acts.get(name).params, **params}


@pytest.mark.parametrize("name,params", CASES, ids=IDS)
def test_registry_routes_to_torch_forms(name, params):
    acts = _registry()
    x = sample()
    y_reg = acts.get(name).torch(x, **params)
    y_direct = FUNCTIONS[name](x, **_full(acts, name, params))
    assert torch.equal(y_reg, y_direct)
    m = acts.get(name).module(**({"num_features": 6} if name == "dice" else {}))
    assert isinstance(m, MODULES[name])


GRID = sorted({s * v for s in (-1.0, 1.0) for v in (
    0.0, 1e-300, 1e-30, 1e-8, 1e-3, 0.1, 0.5, 0.75, 1.19, 1.5, 2.0, 2.9, 3.1, 5.0, 7.0, 10.0, 15.0,
    20.0000001, 30.0, 38.0, 50.0, 89.0, 300.0, 710.0, 745.0, 1e4, 1e100, 1e300, INF)})


@pytest.mark.parametrize("name", ELEMENTWISE + ["dice"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_elementwise_agree_with_numpy_forms(name, dtype):
    """f and f' of the torch forms against acts.get(name).f/.df on a grid with tails,
    hard spots and ±inf. float64: within 1e-10 relative (the largest gaps, a few hundred
    ulp, are in GELU's Gaussian tail and at the roots of f', both inside the (4 + 2κ) ulp
    bound); below the smallest normal an absolute gap is fine. float32 is computed in
    float32 here (the numpy forms compute in float64 and round), so: 3e-5 relative."""
    acts = _registry()
    a = acts.get(name)
    variants = {"gelu": [{"approximate": s} for s in ("none", "tanh", "sigmoid")],
                "swish": [{"beta": 1.0}, {"beta": 2.5}], "softplus": [{"beta": 1.0}, {"beta": 0.5}],
                "dice": [{"alpha": 0.2, "mean": 0.5, "var": 2.0}]}.get(name, [{}])
    npdt = np.float64 if dtype == torch.float64 else np.float32
    finfo = np.finfo(npdt)
    with np.errstate(over="ignore"):
        xs = np.array(GRID, dtype=npdt)
    for params in variants:
        y, d = fwd_bwd(lambda t: a.torch(t, **params), torch.from_numpy(xs))
        yn, dn = a.f(xs, **params), a.df(xs, **params)
        for got, ref in ((y.numpy(), yn), (d.numpy(), dn)):
            same = (got == ref) | (np.isnan(got) & np.isnan(ref))
            tiny = (np.abs(ref) < finfo.tiny) & (np.abs(got) < finfo.tiny)  # subnormal/zero
            rtol = 1e-10 if dtype == torch.float64 else 3e-5
            with np.errstate(invalid="ignore"):
                close = np.abs(got.astype(np.float64) - ref) <= rtol * np.abs(ref) + (1e-6 if dtype == torch.float32 else 0)
            bad = ~(same | tiny | close)
            assert not bad.any(), (name, params, xs[bad], got[bad], ref[bad])


VECTOR_CASES = [c for c in CASES if c[0] in ("maxout", "softmax", "softmin", "log_softmax", "glu", "swiglu", "geglu")]


@pytest.mark.parametrize("name,params", VECTOR_CASES, ids=[i for c, i in zip(CASES, IDS) if c in VECTOR_CASES])
def test_vector_forms_agree_with_numpy(name, params):
    """f against a.f, and the full torch Jacobian (autograd through the analytic backward)
    times v against the numpy a.jvp(x, v)."""
    acts = _registry()
    a = acts.get(name)
    x = sample((3, 6), scale=4.0)
    y = a.torch(x, **params)
    np.testing.assert_allclose(y.numpy(), a.f(x.numpy(), **params), rtol=1e-14, atol=1e-300)
    jac = torch.autograd.functional.jacobian(lambda t: a.torch(t, **params), x)
    jac = jac.reshape(y.numel(), x.numel())
    for seed in (1, 2):
        v = sample((3, 6), seed=seed)
        np.testing.assert_allclose((jac @ v.reshape(-1)).reshape(y.shape).numpy(),
                                   a.jvp(x.numpy(), v.numpy(), **params), rtol=1e-12, atol=1e-15)


def test_softmax_family_special_values_agree_with_numpy():
    acts = _registry()
    rows = [[INF, 0.0, INF], [-INF, 0.0, 1.0], [-INF, -INF, -INF], [NAN, 0.0, 1.0], [0.0, -50.0, -800.0], [1000.0, 1000.0, 0.0]]
    x = np.array(rows)
    for name in ("softmax", "softmin", "log_softmax"):
        got = acts.get(name).torch(torch.from_numpy(x)).numpy()
        ref = acts.get(name).f(x)
        np.testing.assert_allclose(got, ref, rtol=1e-15, atol=0, err_msg=name)


def test_dice_batch_statistics_agree_with_numpy():
    acts = _registry()
    x = sample((7, 4), scale=2.0)
    for axis in (0, 1):
        got = acts.get("dice").torch(x, alpha=0.3, axis=axis)
        ref = acts.get("dice").f(x.numpy(), alpha=0.3, axis=axis)
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_declared_learnable_parameters_are_the_modules(name):
    # per feature: a module sized by its inputs (Dice) is built for one feature
    per_feature = {"num_features": 1} if "num_features" in inspect.signature(MODULES[name]).parameters else {}
    module = acts.get(name).module(**per_feature)
    assert sum(p.numel() for p in module.parameters() if p.requires_grad) == acts.get(name).learnable
