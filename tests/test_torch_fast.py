"""The performance paths of the torch forms (acts.nn and the specs): the fast eager forms and the compiled path.

* The fast eager forms (in-place on temporaries) must give *bitwise* the same numbers as the
  reference forms they replace, in every dtype, on a grid with tails, kinks, ±inf and nan.
* With ``create_graph=True`` the backward takes the differentiable reference forms, so
  double backward keeps working.
* The compiled path saves only the input (no bool masks), is accurate where inductor's own
  ``expm1`` is not, and reports its compile time (forward and backward).
"""

import math

import pytest
import torch

import acts
from acts.kinds import Elementwise
from acts.nn import FUNCTIONS, compiled

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")

_SPECIAL = [0.0, -0.0, 1e-300, -1e-300, 1e-40, -1e-40, 5e-324, -5e-324, 1e-8, -1e-8, 0.5, -0.5, 1.0, -1.0,
            2.0, -2.0, 3.0, -3.0, 6.0, -6.0, 15.0, -15.0, 20.0, -20.0, 30.0, -30.0, 40.0, -40.0, 88.7, -88.7,
            103.5, -103.5, 709.8, -709.8, 745.2, -745.2, 800.0, -800.0, 1e4, -1e4, 1e30, -1e30, 1.7e308,
            -1.7e308, math.inf, -math.inf, math.nan, -0.7517915246935645, -1.2784645427610738, -1.19]


def grid(dtype):
    g = torch.Generator().manual_seed(0)
    base = torch.cat([torch.randn(600, generator=g, dtype=torch.float64) * s for s in (0.3, 1.0, 3.0, 10.0, 100.0)])
    return torch.cat([base, torch.tensor(_SPECIAL, dtype=torch.float64)]).to(dtype)


def same(a, b):
    """Bitwise equal values (nan equal to nan); ±0 are told apart."""
    both_nan = torch.isnan(a) & torch.isnan(b)
    eq = (a == b) & (torch.signbit(a) == torch.signbit(b))
    return bool((eq | both_nan).all())


SPECS = {acts.get(n).spec.__name__: acts.get(n).spec for n in acts.names()}
# spec with a fast twin → parameter sets to check
FAST_PARAMS = {
    "Sigmoid": [()], "Tanh": [()], "SELU": [()], "Mish": [()], "Softsign": [()], "Hardswish": [()],
    "ELU": [(1.0,), (0.5,), (2.0,)], "CELU": [(1.0,), (2.0,), (0.3,)],
    "GELU": [("none",), ("tanh",), ("sigmoid",)], "Swish": [(1.0,), (0.5,), (2.5,)],
    "Softplus": [(1.0,), (2.0,), (0.5,)],
}


def _fast(spec):
    """(f, df, fast f, fast df): a missing twin is the reference form itself (see Elementwise)."""
    return spec.torch_f, spec.torch_df, spec.torch_f_fast, spec.torch_df_fast


def test_every_fast_form_is_checked():
    with_twins = {k for k, s in SPECS.items() if issubclass(s, Elementwise) and hasattr(s, "torch_df")
                  and (s.torch_f_fast is not s.torch_f or s.torch_df_fast is not s.torch_df)}
    assert with_twins == set(FAST_PARAMS)


@pytest.mark.parametrize("name", sorted(FAST_PARAMS))
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fast_elementwise_forms_are_bitwise_equal(name, dtype):
    f, df, ff, dff = _fast(SPECS[name])
    x = grid(dtype)
    for params in FAST_PARAMS[name]:
        for ref, fast in ((f, ff), (df, dff)):
            a, b = ref(x.clone(), *params), fast(x.clone(), *params)
            assert same(a, b), (name, params, x[~((a == b) | (torch.isnan(a) & torch.isnan(b)))][:5])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_fast_vector_forms_are_bitwise_equal(dtype):
    x = grid(dtype)[:3000].reshape(-1, 6)
    x = torch.cat([x, torch.tensor([[math.inf, 1.0, math.inf, 0.0, 2.0, -1.0],
                                    [-math.inf] * 6, [math.nan, 0.0, 1.0, 2.0, 3.0, 4.0]], dtype=dtype)])
    g = torch.linspace(-2, 2, x.numel(), dtype=dtype).reshape(x.shape)
    for axis in (-1, 0):
        for name in ("Softmax", "Softmin", "LogSoftmax"):
            spec = SPECS[name]
            assert same(spec.torch_f_fast(x.clone(), axis), spec.torch_f(x, axis)), name
            assert same(spec.torch_vjp_fast(x.clone(), g, axis), spec.torch_vjp(x, g, axis)), name
    y = SPECS["Softmax"].torch_f(x, -1)
    assert same(SPECS["Softmax"].torch_vjp(x, g, -1), y * (g - (g * y).sum(-1, keepdim=True)))
    b = x[:, 3:]  # a non-contiguous view, as the gated units pass it
    for name, params in (("GLU", ()), ("SwiGLU", (1.0,)), ("SwiGLU", (1.5,)), ("GEGLU", ("none",)),
                         ("GEGLU", ("tanh",))):
        gate = SPECS[name].gate
        h, dh = gate.torch_f_df(b, *params)
        h2, dh2 = gate.torch_f_df_fast(b, *params, derivative=True)
        h3, none = gate.torch_f_df_fast(b, *params, derivative=False)
        assert same(h, h2) and same(dh, dh2) and same(h, h3) and none is None, name
    assert same(b, x[:, 3:])  # the input was not written to


@pytest.mark.parametrize("name,params", [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("swish", {"beta": 1.5}), ("mish", {}), ("elu", {}),
    ("softplus", {}), ("tanh", {}), ("sigmoid", {}), ("softmax", {}), ("log_softmax", {}), ("softmin", {}),
    ("glu", {}), ("geglu", {}),
])
def test_double_backward_uses_the_reference_forms(name, params):
    x = (torch.randn(3, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1)) * 2).requires_grad_(True)
    assert torch.autograd.gradgradcheck(lambda t: FUNCTIONS[name](t, **params), (x,))


def test_outputs_never_alias_the_input():
    """The forward writes only into temporaries: x is left untouched, y is a new tensor."""
    x = grid(torch.float32)
    keep = x.clone()
    for name in ("sigmoid", "tanh", "relu", "elu", "selu", "celu", "gelu", "swish", "mish", "softplus",
                 "softsign", "hardswish"):
        y = FUNCTIONS[name](x)
        assert y.data_ptr() != x.data_ptr() and same(x, keep), name


# ---------------------------------------------------------------------------------------
# The compiled path
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,params", [("gelu", {"approximate": "tanh"}), ("elu", {"alpha": 0.5}),
                                         ("softmax", {}), ("prelu", {}), ("dice", {})])
def test_registry_offers_the_compiled_form_with_checked_params(name, params):
    import acts

    a = acts.get(name)
    c = a.torch_compiled(backend="aot_eager", **params)
    assert c is a.torch_compiled(backend="aot_eager", **params)  # compiled once, then cached
    x = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    y = c(x)
    ref = a.torch(x.detach().clone().requires_grad_(True), **params)
    torch.testing.assert_close(y, ref, rtol=1e-15, atol=0)  # aot_eager decomposes: an ulp or so
    (g,) = torch.autograd.grad(y.sum(), x)
    assert torch.isfinite(g).all() and list(c.compile_times)
    with pytest.raises(TypeError, match="alpha must be a real number"):
        acts.get("elu").torch_compiled(alpha="1")


def test_compiled_reports_forward_and_backward_compile_time():
    # fullgraph=True: a graph break (e.g. tracing the checkpoint in inference) raises instead of
    # silently running eagerly from then on
    c = compiled("softsign", backend="aot_eager", fullgraph=True)
    x = torch.randn(7, requires_grad=True)
    y = c(x)
    y.backward(torch.ones_like(y))
    key = (torch.float32, x.device)
    whats = [(e["what"], e["grad"]) for e in c.compile_log]
    assert ("forward", True) in whats and ("backward", True) in whats
    assert c.compile_times[key] == pytest.approx(sum(e["seconds"] for e in c.compile_log))
    n = len(c.compile_log)
    c(torch.randn(11, requires_grad=True)).sum().backward()  # another shape: no new compile
    assert len(c.compile_log) == n
    with torch.no_grad():
        c(torch.randn(5))  # inference: a graph of its own, reported once
        c(torch.randn(6))
    assert [(e["what"], e["grad"]) for e in c.compile_log[n:]] == [("forward", False)]
    assert list(c.compile_times) == [key]
    c(torch.randn(9, requires_grad=True)).sum().backward()  # training again after inference
    assert len(c.compile_log) == n + 1


@pytest.mark.parametrize("name,params", [("hardtanh", {"min_val": -2.0, "max_val": 1.5}), ("elu", {"alpha": 0.5}),
                                         ("gelu", {"approximate": "tanh"}), ("softmax", {}), ("prelu", {}),
                                         ("dice", {})])
def test_compiled_inference_and_training_trace_without_graph_breaks(name, params):
    """Dynamo cannot trace ``apply`` of a Function with non-tensor arguments when nothing
    requires grad, and after such a failure it runs the function eagerly for good (training
    included): the forms call the forward directly then. fullgraph=True turns any graph
    break into an error."""
    c = compiled(name, backend="aot_eager", fullgraph=True, **params)
    x = torch.randn(4, 6)
    kw = {"weight": torch.tensor([0.25], requires_grad=True)} if name == "prelu" else {}
    if name == "dice":
        kw = {"alpha": torch.zeros(6, requires_grad=True)}
    ref = FUNCTIONS[name](x, **params, **kw)
    with torch.no_grad():
        torch.testing.assert_close(c(x, **kw), ref)
    with torch.inference_mode():
        torch.testing.assert_close(c(x.clone(), **{k: v.detach() for k, v in kw.items()}), ref)
    y = c(x.clone().requires_grad_(True), **kw)
    y.sum().backward()
    torch.testing.assert_close(c(x), ref)  # grad enabled, x does not require grad


def test_compiled_inductor_saves_the_input_only_and_expm1_is_accurate():
    """Without the checkpoint the partitioner saves a bool mask for ReLU (slow to store on the
    CPU, and extra memory); inductor's CPU expm1 is exp(x) − 1, inaccurate near 0."""
    x = torch.linspace(-3, 3, 64).requires_grad_(True)
    c = compiled("relu")
    packed = []

    def pack(t):
        packed.append(t)
        return t

    c(x).sum().backward()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        y = c(x)
    assert len(packed) == 1 and packed[0].dtype == torch.float32 and packed[0].data_ptr() == x.data_ptr()
    y.sum().backward()
    e = compiled("elu")
    t = torch.tensor([-1e-5, -1e-3, -0.1, -3.0, -30.0, 0.0, 2.0], requires_grad=True)
    ye = e(t)
    ref = FUNCTIONS["elu"](t.detach().double())
    rel = ((ye.detach().double() - ref).abs() / ref.abs().clamp(min=1e-300))
    assert float(rel[:5].max()) < 3e-7, rel  # a few float32 ulp; exp(x) − 1 is off by 1.4e-3 at −1e−5
    # every branch of the compiled expm1 (Taylor inside |t| < 1/2, exp − 1 outside), densely
    dense = torch.cat([-torch.logspace(-30, 1.5, 4000), torch.linspace(-0.6, 0.0, 4001)]).requires_grad_(True)
    for name, params in (("elu", {}), ("celu", {"alpha": 0.5}), ("selu", {})):
        got = compiled(name, **params)(dense).detach().double()
        want = FUNCTIONS[name](dense.detach().double(), **params)
        ulp = torch.finfo(torch.float32).eps * want.abs().clamp(min=torch.finfo(torch.float32).tiny)
        assert float(((got - want).abs() / ulp).max()) <= 2.0, name  # within 2 float32 ulp


def test_first_compiled_use_of_a_custom_function_traces_in_a_fresh_process():
    """PReLU's, Dice's and RReLU's autograd Functions exist from import: built on first use inside
    torch.compile, the class creation itself would break the graph."""
    import subprocess
    import sys

    code = ("import torch\nfrom acts.nn import compiled\n"
            "w = torch.tensor([0.25], requires_grad=True)\n"
            "compiled('prelu', backend='aot_eager', fullgraph=True)(torch.randn(3, requires_grad=True), weight=w)"
            ".sum().backward()\n"
            "compiled('dice', backend='aot_eager', fullgraph=True)(torch.randn(4, 2), alpha=torch.zeros(2))\n"
            "print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def test_compiled_and_modules_validate_their_parameters():
    import acts.nn as nn

    with pytest.raises(TypeError, match="unknown parameter"):
        nn.compiled("swish", beta=2.0, foo=3)
    with pytest.raises(TypeError, match="unknown parameter"):
        nn.compiled("leaky_relu", slope=0.1)
    with pytest.raises(ValueError, match="min_val"):
        nn.compiled("hardtanh", min_val=2.0, max_val=1.0)
    with pytest.raises(ValueError, match="lower"):
        nn.compiled("rrelu", lower=0.5, upper=0.1)
    with pytest.raises(ValueError, match="Hardtanh: hardtanh: min_val"):
        nn.Hardtanh(min_val=2.0, max_val=1.0)
    with pytest.raises(ValueError, match="must be > 0"):
        nn.CELU(alpha=0.0)
