"""The registry API, input handling, special values and bad input of the numpy forms."""

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import acts

ALL = acts.names()
ELEMENTWISE = [n for n in ALL if acts.get(n).elementwise]
VECTOR = [n for n in ALL if not acts.get(n).elementwise]
DICE_EVAL = {"mean": 0.0, "var": 1.0}


def kw(name):
    """Parameters that make an activation elementwise (Dice needs its statistics)."""
    return DICE_EVAL if name == "dice" else {}


pytestmark = pytest.mark.usefixtures("warnings_are_errors")  # (tests/conftest.py)


# --- registry --------------------------------------------------------------------
def test_names_are_sorted_and_complete():
    expected = {"identity", "binary_step", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "rrelu", "elu",
                "selu", "celu", "gelu", "swish", "mish", "softplus", "softsign", "hardtanh", "hardsigmoid",
                "hardswish", "relu6", "maxout", "dice", "softmax", "softmin", "log_softmax", "glu", "swiglu",
                "geglu"}
    assert ALL == sorted(ALL)
    assert set(ALL) == expected
    assert "silu" in acts.names(aliases=True) and "silu" not in ALL


def test_alias_and_normalised_lookup():
    assert acts.get("silu") is acts.get("swish")
    assert acts.get("Leaky-ReLU") is acts.get("leaky_relu")
    assert acts.get("swish").aliases == ("silu",)
    assert acts.get("swish").family == "smooth ReLU-like"


def test_unknown_name_lists_close_matches():
    with pytest.raises(KeyError, match="gelu"):
        acts.get("gleu")
    with pytest.raises(KeyError, match="Known:"):
        acts.get("no-such-thing")
    with pytest.raises(TypeError, match="acts.names"):
        acts.get(3)


@pytest.mark.parametrize("name", ALL)
def test_metadata_present(name):
    a = acts.get(name)
    assert a.formula and a.derivative and a.description
    assert isinstance(dict(a.params), dict)
    with pytest.raises(TypeError):
        a.params["x"] = 1  # read-only defaults
    if name != "identity":
        assert a.paper and a.paper["year"] and a.paper["title"]
        assert a.paper.get("arxiv") or a.paper.get("doi") or a.paper.get("url")


def test_torch_style_defaults():
    assert acts.get("leaky_relu").params == {"negative_slope": 0.01}
    assert acts.get("prelu").params == {"weight": 0.25}
    assert acts.get("rrelu").params["lower"] == 1 / 8 and acts.get("rrelu").params["upper"] == 1 / 3
    assert acts.get("gelu").params == {"approximate": "none"}
    assert acts.get("hardtanh").params == {"min_val": -1.0, "max_val": 1.0}
    assert acts.get("softmax").params == {"axis": -1}
    assert acts.get("maxout").params == {"k": 2, "axis": -1}


def test_selu_constants_solve_the_fixed_point_equations():
    """α, λ make N(0, 1) a fixed point: E[selu(z)] = 0 and E[selu(z)²] = 1 (Klambauer et al.)."""
    import mpmath as mp

    from acts import constants

    mp.mp.dps = 30
    pdf = lambda z: mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)  # noqa: E731
    neg1 = mp.quad(lambda z: mp.expm1(z) * pdf(z), [-mp.inf, 0])
    neg2 = mp.quad(lambda z: mp.expm1(z) ** 2 * pdf(z), [-mp.inf, 0])
    pos1, pos2 = 1 / mp.sqrt(2 * mp.pi), mp.mpf(1) / 2  # E[z; z > 0], E[z²; z > 0]
    alpha = -pos1 / neg1  # mean 0
    lam = 1 / mp.sqrt(pos2 + alpha**2 * neg2)  # variance 1
    assert constants.SELU_ALPHA == float(alpha)
    assert constants.SELU_LAMBDA == float(lam)
    assert constants.SELU_LAMBDA_ALPHA == float(alpha * lam)
    assert acts.get("selu").f(1.0) == constants.SELU_LAMBDA


# --- dtypes, shapes, scalars ----------------------------------------------------------------
@pytest.mark.parametrize("name", ELEMENTWISE)
@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_dtype_is_kept(name, dtype):
    a = acts.get(name)
    x = np.linspace(-3, 3, 7).astype(dtype)
    assert a.f(x, **kw(name)).dtype == dtype
    assert a.df(x, **kw(name)).dtype == dtype


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_ints_bools_scalars_0d_empty_noncontiguous(name):
    a, p = acts.get(name), kw(name)
    assert a.f(np.array([1, 2]), **p).dtype == np.float64
    y = a.f(2, **p)
    assert isinstance(y, np.float64) and np.ndim(y) == 0
    assert isinstance(a.f(np.float32(2.0), **p), np.float32)
    assert a.f(np.array(2.0), **p).shape == ()
    assert a.f(np.array([], dtype=np.float32), **p).shape == (0,)
    assert a.f(np.zeros((0, 3)), **p).shape == (0, 3)
    base = np.linspace(-4, 4, 24).reshape(4, 6)
    strided = base[:, ::2]
    assert not strided.flags.c_contiguous
    np.testing.assert_array_equal(a.f(strided, **p), a.f(np.ascontiguousarray(strided), **p))
    np.testing.assert_array_equal(a.f(base.T, **p), a.f(base, **p).T)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_input_not_modified_nor_aliased(name):
    a = acts.get(name)
    x = np.linspace(-2, 2, 9)
    before = x.copy()
    y = a.f(x, **kw(name))
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(x, y)


# --- special values ---------------------------------------------------------------------------
LIMITS = {  # f(-inf), f(inf), f'(-inf), f'(inf): the mathematical limits
    "identity": (-math.inf, math.inf, 1, 1), "binary_step": (0, 1, 0, 0), "sigmoid": (0, 1, 0, 0),
    "tanh": (-1, 1, 0, 0), "relu": (0, math.inf, 0, 1), "leaky_relu": (-math.inf, math.inf, 0.01, 1),
    "prelu": (-math.inf, math.inf, 0.25, 1), "rrelu": (-math.inf, math.inf, (1 / 8 + 1 / 3) / 2, 1),
    "elu": (-1, math.inf, 0, 1), "selu": (-1.7580993408473766, math.inf, 0, 1.0507009873554805),
    "celu": (-1, math.inf, 0, 1), "gelu": (0, math.inf, 0, 1), "swish": (0, math.inf, 0, 1),
    "mish": (0, math.inf, 0, 1), "softplus": (0, math.inf, 0, 1), "softsign": (-1, 1, 0, 0),
    "hardtanh": (-1, 1, 0, 0), "hardsigmoid": (0, 1, 0, 0), "hardswish": (0, math.inf, 0, 1),
    "relu6": (0, 6, 0, 0), "dice": (0, math.inf, 0, 1),
}


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_limits_at_infinity_and_nan(name):
    a, p = acts.get(name), kw(name)
    lo, hi, dlo, dhi = LIMITS[name]
    x = np.array([-np.inf, np.inf, np.nan])
    y, d = a.f(x, **p), a.df(x, **p)
    assert y[0] == pytest.approx(lo, rel=1e-15) and y[1] == pytest.approx(hi, rel=1e-15)
    assert d[0] == pytest.approx(dlo, rel=1e-15) and d[1] == pytest.approx(dhi, rel=1e-15)
    assert np.isnan(y[2]) and np.isnan(d[2])


@pytest.mark.parametrize("approximate", ["none", "tanh", "sigmoid"])
def test_gelu_variants_limits(approximate):
    g = acts.get("gelu")
    x = np.array([-np.inf, -1e300, -1e30, 1e30, 1e300, np.inf])
    np.testing.assert_array_equal(g.f(x, approximate=approximate), [0, 0, 0, 1e30, 1e300, np.inf])
    np.testing.assert_array_equal(g.df(x, approximate=approximate), [0, 0, 0, 1, 1, 1])


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_signed_zero_and_huge_finite(name):
    a, p = acts.get(name), kw(name)
    x = np.array([-0.0, 0.0, -np.finfo(np.float64).max, np.finfo(np.float64).max, -1e-300, 1e-300])
    y, d = a.f(x, **p), a.df(x, **p)
    assert y[0] == y[1]  # f(-0) = f(+0)
    assert d[0] == d[1]
    assert np.all(~np.isnan(y)) and np.all(~np.isnan(d))


KINKS = [  # derivative conventions at kinks, equal to torch autograd
    ("relu", 0.0, 0.0), ("leaky_relu", 0.0, 0.01), ("prelu", 0.0, 0.25), ("elu", 0.0, 1.0),
    ("celu", 0.0, 1.0), ("selu", 0.0, 1.0507009873554805 * 1.6732632423543772), ("relu6", 0.0, 0.0),
    ("relu6", 6.0, 0.0), ("hardtanh", -1.0, 0.0), ("hardtanh", 1.0, 0.0), ("hardsigmoid", -3.0, 0.0),
    ("hardsigmoid", 3.0, 0.0), ("hardswish", -3.0, 0.0), ("hardswish", 3.0, 1.0), ("binary_step", 0.0, 0.0),
]


@pytest.mark.parametrize("name,x,expected", KINKS)
def test_kink_conventions(name, x, expected):
    assert acts.get(name).df(x) == pytest.approx(expected, rel=1e-15)


def test_kink_convention_with_parameter():
    assert acts.get("elu").df(0.0, alpha=0.5) == 0.5
    assert acts.get("leaky_relu").df(0.0, negative_slope=0.2) == 0.2


def test_hard_spots():
    tanh_d = acts.get("tanh").df(30.0)
    assert tanh_d == pytest.approx(4 * math.exp(-60) / (1 + math.exp(-60)) ** 2, rel=1e-15)  # 3.5e-26, not 0
    sw = acts.get("swish").df(-710.0)
    assert sw < 0 and abs(sw) > np.finfo(np.float64).tiny  # a normal number, not 0
    sp = acts.get("softplus").f(20.0000001)
    assert sp == pytest.approx(20.0000001 + math.log1p(math.exp(-20.0000001)), rel=1e-16)


# --- bad input ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bad,match", [
    ("1.0", "string"), (np.array(["a"]), "dtype"), (np.array([1 + 2j]), "complex"),
    (np.array([1, 2], dtype=object), "dtype"), (np.array([1.0], dtype=np.longdouble), "float64"),
    ([[1, 2], [3]], "cannot read"), (None, "dtype"),
])
def test_bad_input_type(bad, match):
    if isinstance(bad, np.ndarray) and bad.dtype == np.longdouble and np.dtype(np.longdouble).itemsize == 8:
        pytest.skip("longdouble is float64 on this platform")
    with pytest.raises(TypeError, match=match):
        acts.get("relu").f(bad)


def test_torch_tensor_to_numpy_form_is_an_error():
    import torch
    with pytest.raises(TypeError, match="a.torch"):
        acts.get("relu").f(torch.ones(2))


@pytest.mark.parametrize("name,params,err,match", [
    ("relu", {"slope": 1}, TypeError, "accepted: no parameters"),
    ("leaky_relu", {"negativ_slope": 0.1}, TypeError, "negative_slope=0.01"),
    ("leaky_relu", {"negative_slope": "0.1"}, TypeError, "real number"),
    ("leaky_relu", {"negative_slope": math.nan}, ValueError, "finite"),
    ("rrelu", {"lower": 0.5, "upper": 0.1}, ValueError, "lower"),
    ("rrelu", {"training": 1}, TypeError, "True or False"),
    ("rrelu", {"training": True, "rng": "seed"}, TypeError, "Generator"),
    ("gelu", {"approximate": "erf"}, ValueError, "'none', 'tanh', 'sigmoid'"),
    ("celu", {"alpha": 0.0}, ValueError, "> 0"),
    ("softplus", {"beta": -1.0}, ValueError, "> 0"),
    ("swish", {"beta": -1.0}, ValueError, ">= 0"),
    ("hardtanh", {"min_val": 1.0, "max_val": -1.0}, ValueError, "min_val"),
    ("dice", {"eps": -1e-8}, ValueError, ">= 0"),
    ("dice", {"mean": 0.0}, ValueError, "both"),
    ("dice", {"mean": 0.0, "var": -1.0}, ValueError, ">= 0"),
    ("maxout", {"k": 0}, ValueError, ">= 1"),
    ("maxout", {"k": 2.0}, TypeError, "int"),
])
def test_bad_parameters(name, params, err, match):
    with pytest.raises(err, match=match):
        acts.get(name).f(np.ones(4), **params)


def test_shape_errors():
    with pytest.raises(ValueError, match="divisible by k=3"):
        acts.get("maxout").f(np.ones(4), k=3)
    with pytest.raises(ValueError, match="even"):
        acts.get("glu").f(np.ones(5))
    with pytest.raises(ValueError, match="out of range"):
        acts.get("softmax").f(np.ones(3), axis=1)
    with pytest.raises(ValueError, match="scalar"):
        acts.get("glu").f(1.0)
    with pytest.raises(TypeError, match="jacobian"):
        acts.get("softmax").df(np.ones(3))
    with pytest.raises(TypeError, match="mean= and var="):
        acts.get("dice").df(np.ones(3))
    with pytest.raises(ValueError, match="1-D"):
        acts.get("softmax").jacobian(np.ones((2, 2)))


# --- vector activations -------------------------------------------------------------------------
def test_softmax_overflow_free_and_limits():
    sm = acts.get("softmax")
    np.testing.assert_allclose(sm.f(np.array([1000.0, 1000.0])), [0.5, 0.5])
    np.testing.assert_array_equal(sm.f(np.array([np.inf, 0.0, np.inf])), [0.5, 0.0, 0.5])
    np.testing.assert_array_equal(sm.f(np.array([-np.inf, 0.0])), [0.0, 1.0])
    assert np.all(np.isnan(sm.f(np.array([-np.inf, -np.inf]))))  # no limit exists (torch: nan too)
    assert np.all(np.isnan(sm.f(np.array([np.nan, 0.0]))))
    assert sm.f(3.0) == 1.0  # a 0-d input is a single category


def test_log_softmax_keeps_tiny_probabilities_exact():
    ls = acts.get("log_softmax")
    y = ls.f(np.array([0.0, -50.0]))
    assert y[0] == pytest.approx(-math.exp(-50), rel=1e-15)  # -log1p(e^-50), not 0
    assert y[1] == pytest.approx(-50 - math.exp(-50), rel=1e-15)
    np.testing.assert_array_equal(ls.f(np.array([np.inf, 1.0, np.inf])), [-math.log(2), -np.inf, -math.log(2)])


def test_value_table_of_source_004():
    x = np.array([-2.0, 0.0, 2.0])
    assert np.round(acts.get("softmax").f(x), 4).tolist() == [0.0159, 0.1173, 0.8668]
    assert np.round(acts.get("log_softmax").f(x), 4).tolist() == [-4.1429, -2.1429, -0.1429]
    assert np.round(acts.get("softmin").f(x), 4).tolist() == [0.8668, 0.1173, 0.0159]


@pytest.mark.parametrize("name", VECTOR)
def test_jacobian_matches_central_difference(name):
    a = acts.get(name)
    x = np.array([0.3, -1.2, 2.0, 0.7, -0.4, 1.5])
    jac = a.jacobian(x)
    h = 1e-6
    numeric = np.stack([(a.f(x + h * e) - a.f(x - h * e)) / (2 * h) for e in np.eye(len(x))], axis=-1)
    np.testing.assert_allclose(jac, numeric, atol=1e-8)


def test_softmax_jacobian_closed_form():
    x = np.array([0.5, -1.0, 2.0])
    s = acts.get("softmax").f(x)
    np.testing.assert_allclose(acts.get("softmax").jacobian(x), np.diag(s) - np.outer(s, s), rtol=1e-15,
                               atol=1e-17)


def test_split_conventions_match_torch_glu():
    import torch
    x = np.random.default_rng(0).normal(size=(3, 8))
    np.testing.assert_allclose(acts.get("glu").f(x), torch.nn.functional.glu(torch.tensor(x), dim=-1).numpy(),
                               rtol=1e-14)
    a, b = x[:, :4], x[:, 4:]
    np.testing.assert_allclose(acts.get("swiglu").f(x), a * b / (1 + np.exp(-b)), rtol=1e-13)
    assert acts.get("glu").f(np.ones((4, 2)), axis=0).shape == (2, 2)


def test_maxout_groups_are_consecutive():
    x = np.array([[1.0, 5.0, 3.0, 2.0, -1.0, 0.0]])
    np.testing.assert_array_equal(acts.get("maxout").f(x), [[5.0, 3.0, 0.0]])
    np.testing.assert_array_equal(acts.get("maxout").f(x, k=3), [[5.0, 2.0]])
    np.testing.assert_array_equal(acts.get("maxout").f(x.T, axis=0), [[5.0], [3.0], [0.0]])


def test_rrelu_training_samples_and_inference_mean():
    r = acts.get("rrelu")
    x = -np.ones(10_000)
    y = r.f(x, training=True, rng=np.random.default_rng(0))
    slopes = -y
    assert slopes.min() >= 1 / 8 and slopes.max() <= 1 / 3 and slopes.std() > 0.05
    assert abs(slopes.mean() - (1 / 8 + 1 / 3) / 2) < 0.005
    np.testing.assert_array_equal(r.f(x), -(1 / 8 + 1 / 3) / 2 * np.ones(10_000))
    same = r.df(x, training=True, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(same, slopes)  # same seed, same slopes for f and df


def test_dice_batch_and_running_statistics():
    d = acts.get("dice")
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 2.0, size=(256, 4))
    batch = d.f(x)  # training: batch statistics over axis 0
    m, v = x.mean(axis=0), x.var(axis=0)
    p = 1 / (1 + np.exp(-(x - m) / np.sqrt(v + 1e-8)))
    np.testing.assert_allclose(batch, p * x, rtol=1e-13)
    # the rectification point follows the batch mean: p = 1/2 where s = E[s]
    np.testing.assert_allclose(d.f(m[None, :], mean=m, var=v), 0.5 * m[None, :], rtol=1e-14)
    evaluated = d.f(x, mean=m, var=v, alpha=0.25)
    np.testing.assert_allclose(evaluated, p * x + (1 - p) * 0.25 * x, rtol=1e-13)


def test_tensor_parameters_keep_their_gradient():
    import torch
    weight = torch.nn.Parameter(torch.tensor([0.3], dtype=torch.float64))
    x = torch.tensor([-2.0, -1.0, 1.0], dtype=torch.float64, requires_grad=True)
    acts.get("prelu").torch(x, weight=weight).sum().backward()
    assert weight.grad.item() == pytest.approx(-3.0)
    torch.testing.assert_close(x.grad, torch.tensor([0.3, 0.3, 1.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="finite"):
        acts.get("prelu").torch(x, weight=torch.tensor([float("nan")]))


def test_import_acts_is_light():
    """The library imports numpy and scipy only: torch on a torch form's first use, and none of
    the course's tooling (plots, data)."""
    code = ("import sys, acts\na = acts.get('gelu')\na.f(1.0), a.df(1.0), a.props\n"
            "print(sorted(m for m in ('torch', 'matplotlib', 'sklearn', 'mpmath', 'sympy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stdout


def test_no_notebook_imports_a_private_module_of_acts():
    """Nor a private name of acts or of the course's modules (``labs._paired``, ``acts.nn._x``)."""
    root = Path(__file__).resolve().parents[1]
    modules = r"(?:acts|course|labs|plot|bench|accuracy|nn|kinds|symbolic|constants|functions)"
    private = re.compile(rf"\b{modules}(?:\.\w+)*\._(?!_)\w+|from (?:acts|course)(?:\.\w+)* import [^\n]*\b_(?!_)\w+")
    for nb in sorted((root / "chapters").rglob("*.ipynb")) + sorted((root / "exercises").rglob("*.ipynb")):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert not private.search(code), f"{nb.relative_to(root)} uses {private.search(code).group()}"
