"""Each computed property checked against the numbers, and hypothesis properties of the forms."""

import math
import warnings

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import acts

ALL = acts.names()
ELEMENTWISE = [n for n in ALL if acts.get(n).elementwise]
WIDE = np.concatenate([-np.logspace(-8, 4, 4000)[::-1], [0.0], np.logspace(-8, 4, 4000)])


def section(name):
    return acts.get(name).section()


# --- properties against independent evidence -----------------------------------------
@pytest.mark.parametrize("name", ALL)
def test_monotonic_claim_on_a_wide_grid(name):
    g, _ = section(name)
    steps = np.diff(g(WIDE))
    claim = acts.get(name).props["monotonic"]
    if claim == "increasing":
        # strictly increasing in exact arithmetic; in floats a step may round to 0 where g saturates
        assert np.all(steps >= 0) and np.mean(steps > 0) > 0.5
    elif claim == "non-decreasing":
        assert np.all(steps >= 0) and np.any(steps == 0)
    elif claim == "decreasing":
        assert np.all(steps <= 0) and np.mean(steps < 0) > 0.5
    else:
        assert claim == "no"
        assert np.any(steps > 0) and np.any(steps < 0)


@pytest.mark.parametrize("name", ALL)
def test_saturation_against_derivative_at_1e4_and_inf(name):
    _, dg = section(name)
    sat = acts.get(name).props["saturation"]
    for side, sign in (("left", -1.0), ("right", 1.0)):
        at_big = float(dg(np.float64(sign * 1e4)))
        if sat[side] is None:
            assert abs(at_big) > 1e-3, (side, at_big)
        else:
            assert abs(at_big) < 1e-6
            assert acts.get(name).props["derivative_limits"][0 if side == "left" else 1] == 0
            if sat[side] == "soft":
                assert float(dg(np.float64(sign * 5))) != 0  # still flowing at |x| = 5
            else:
                assert float(dg(np.float64(sign * 20))) == 0 and float(dg(np.float64(sign * 9.5))) == 0


MINIMA = {  # x* where f' = 0, solved here with mpmath from the definitions
    "gelu": lambda x: mp.ncdf(x) + x * mp.npdf(x),
    "swish": lambda x: mp.mpf(1) / (1 + mp.exp(-x)) * (1 + x / (1 + mp.exp(x))),
    "mish": lambda x: mp.diff(lambda t: t * mp.tanh(mp.log1p(mp.exp(t))), x),
}


@pytest.mark.parametrize("name,start", [("gelu", -0.75), ("swish", -1.28), ("mish", -1.19)])
def test_minimum_by_root_finding(name, start):
    mp.mp.dps = 30
    x_star = mp.findroot(MINIMA[name], start)
    got_x, got_f = acts.get(name).props["minimum"]
    assert got_x == pytest.approx(float(x_star), abs=1e-9)
    assert got_f == pytest.approx(float(acts.get(name).f(float(x_star))), rel=1e-14)
    g, _ = section(name)
    around = np.linspace(got_x - 0.5, got_x + 0.5, 10001)
    assert np.all(g(around) >= got_f - 1e-15)


def test_known_minima_of_piecewise_and_gated():
    assert acts.get("hardswish").props["minimum"] == (-1.5, -0.375)
    # the gate of SwiGLU/GeGLU is Swish/GELU: same minimum
    assert acts.get("swiglu").props["minimum"][0] == pytest.approx(acts.get("swish").props["minimum"][0], abs=1e-12)
    assert acts.get("geglu").props["minimum"][0] == pytest.approx(acts.get("gelu").props["minimum"][0], abs=1e-12)


@pytest.mark.parametrize("name", ALL)
def test_range_is_consistent_with_values_and_limits(name):
    p = acts.get(name).props
    g, _ = section(name)
    y = g(WIDE)
    y = y[np.isfinite(y)]
    assert y.min() >= p["range_low"] - 1e-15 and y.max() <= p["range_high"] + 1e-15
    lo, hi = p["limits"]
    if not p["range_low_closed"] and math.isfinite(p["range_low"]):
        assert min(lo, hi) == p["range_low"]  # an open finite end is a limit, not attained
        assert np.all(g(np.linspace(-10, 10, 2001)) > p["range_low"])
    if p["range_low_closed"]:
        assert np.any(g(np.linspace(-10, 10, 200001)) == p["range_low"]) or p["minimum"] is not None


def test_ranges_the_sources_get_wrong():
    assert acts.get("sigmoid").props["range"] == "(0, 1)"  # open: source 000 says [0, 1]
    assert acts.get("tanh").props["range"] == "(-1, 1)"
    assert acts.get("relu").props["range"] == "[0, ∞)"
    assert acts.get("hardtanh").props["range"] == "[-1, 1]"
    assert acts.get("binary_step").props["range"] == "{0, 1}"
    assert acts.get("elu").props["range"] == "(-1, ∞)"


@pytest.mark.parametrize("name,expected", [
    ("sigmoid", "C∞"), ("tanh", "C∞"), ("gelu", "C∞"), ("mish", "C∞"), ("softplus", "C∞"),
    ("elu", "C¹"), ("celu", "C¹"), ("softsign", "C¹"), ("selu", "C⁰"), ("relu", "C⁰"),
    ("hardswish", "C⁰"), ("leaky_relu", "C⁰"), ("binary_step", "discontinuous"),
])
def test_smoothness(name, expected):
    p = acts.get(name).props
    assert p["smoothness"] == expected
    _, dg = section(name)
    if expected == "C⁰":  # the derivative really jumps at the reported kinks
        for k in p["kinks"]:
            assert abs(float(dg(np.float64(k + 1e-9))) - float(dg(np.float64(k - 1e-9)))) > 1e-3


def test_celu_is_c1_for_every_alpha_but_elu_is_not():
    for alpha in (0.1, 0.5, 2.0, 7.0):
        c = acts.get("celu")
        assert c.df(1e-12, alpha=alpha) == pytest.approx(c.df(-1e-12, alpha=alpha), abs=1e-9)
        e = acts.get("elu")
        assert abs(e.df(1e-12, alpha=alpha) - e.df(-1e-12, alpha=alpha)) > 0.09


@pytest.mark.parametrize("name", ALL)
def test_zero_centred_and_identity_near_zero(name):
    p = acts.get(name).props
    if p["zero_centred"]:
        assert p["f0"] == 0 and abs(p["mean_under_normal"]) <= 0.1 * p["sd_under_normal"]
    if p["identity_near_0"]:
        g, _ = section(name)
        assert g(np.float64(1e-3)) == pytest.approx(1e-3, rel=1e-2)
        assert g(np.float64(-1e-3)) == pytest.approx(-1e-3, rel=1e-2)


def test_selu_is_zero_mean_under_standard_normal():
    p = acts.get("selu").props
    assert abs(p["mean_under_normal"]) < 1e-6 and p["sd_under_normal"] == pytest.approx(1.0, abs=1e-6)
    assert p["zero_centred"] and not acts.get("relu").props["zero_centred"]


def test_width_factor():
    assert acts.get("maxout").props["inputs_per_output"] == 2
    assert acts.get("glu").props["inputs_per_output"] == 2
    assert acts.get("relu").props["inputs_per_output"] == 1


def test_properties_table_has_a_row_per_activation():
    rows = acts.properties_table()
    assert [r["name"] for r in rows] == ALL
    assert {"range", "monotonic", "smoothness", "saturation", "zero_centred", "minimum",
            "learnable_parameters"} <= set(rows[0])


# --- hypothesis properties of the forms ------------------------------------------------------
finite = st.floats(min_value=-50, max_value=50, allow_nan=False, allow_infinity=False)
vectors = st.lists(st.floats(min_value=-700, max_value=700), min_size=1, max_size=12)


@pytest.mark.parametrize("name", ELEMENTWISE)
@settings(max_examples=60, deadline=None)
@given(x=finite)
def test_df_is_a_high_precision_central_difference(name, x):
    a = acts.get(name)
    kw = {"mean": 0.0, "var": 1.0} if name == "dice" else {}
    g = lambda t: mp.mpf(float(a.f(float(t), **kw)))  # noqa: E731
    kinks = set(a.props["kinks"]) | {0.0, -3.0, 3.0, 6.0, -1.0, 1.0}
    if any(abs(x - k) < 1e-4 for k in kinks):
        return
    h = 1e-5 * max(1.0, abs(x))
    numeric = float((g(x + h) - g(x - h)) / (2 * h))
    d = float(a.df(x, **kw))
    assert d == pytest.approx(numeric, rel=1e-5, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(v=vectors, shift=st.floats(min_value=-300, max_value=300))
def test_softmax_sums_to_one_and_is_shift_invariant(v, shift):
    sm = acts.get("softmax")
    x = np.array(v)
    s = sm.f(x)
    assert s.sum() == pytest.approx(1.0, abs=1e-14)
    assert np.all(s >= 0)
    np.testing.assert_allclose(sm.f(x + shift), s, rtol=1e-9, atol=1e-300)
    np.testing.assert_allclose(np.exp(acts.get("log_softmax").f(x)), s, rtol=1e-13, atol=1e-300)


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if acts.get(n).props["monotonic"] != "no"])
@settings(max_examples=100, deadline=None)
@given(a=st.floats(-1e6, 1e6), b=st.floats(-1e6, 1e6))
def test_monotonic_pairs(name, a, b):
    act = acts.get(name)
    kw = {"mean": 0.0, "var": 1.0} if name == "dice" else {}
    lo, hi = min(a, b), max(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        flo, fhi = act.f(lo, **kw), act.f(hi, **kw)
    if act.props["monotonic"] in ("increasing", "non-decreasing"):
        assert flo <= fhi
    else:
        assert flo >= fhi


@settings(max_examples=100, deadline=None)
@given(x=finite)
def test_tanh_is_twice_sigmoid_of_2x_minus_one(x):
    assert acts.get("tanh").f(x) == pytest.approx(2 * acts.get("sigmoid").f(2 * x) - 1, abs=1e-15)
