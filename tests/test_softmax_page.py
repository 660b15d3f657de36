"""The identities and numbers the softmax chapter (chapters/softmax.ipynb) states.

The chapter shows one check per point; these tests check each point on many inputs, against
independent references (scipy.special, torch in float64, a 50-digit mpmath computation), so
that a wrong implementation fails: one without the max shift, one that normalises the wrong
axis, a log-softmax computed as log(softmax), a Jacobian with a wrong sign or a missing term.
"""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import special
from torch import nn

import acts

SOFTMAX, SOFTMIN, LOG_SOFTMAX = (acts.get(n) for n in ("softmax", "softmin", "log_softmax"))
SIGMOID, SOFTPLUS = acts.get("sigmoid"), acts.get("softplus")

# rows that break a softmax without the max shift (overflow, underflow), rows with a huge
# spread (tiny probabilities), ties, and one ordinary row
EXTREME_ROWS = np.array([
    [1000.0, 1001.0, 1002.0, 999.0],
    [-1000.0, -1001.0, -1002.0, -1003.0],
    [700.0, -700.0, 0.0, 710.0],
    [0.0, -40.0, -700.0, -745.5],
    [5.0, 5.0, 5.0, 5.0],
    [1.0, 2.0, 0.5, -1.0],
    [1e-8, -1e-8, 3e-8, 0.0],
])


def mp_softmax(row, digits=50):
    """Softmax of one row with mpmath at `digits` significant digits (an independent reference)."""
    with mpmath.workdps(digits):
        e = [mpmath.exp(mpmath.mpf(float(v))) for v in row]
        total = mpmath.fsum(e)
        return [v / total for v in e]


# --- the definition, computed stably ---------------------------------------------------------


@pytest.mark.parametrize("row", EXTREME_ROWS, ids=[str(r[:2]) for r in EXTREME_ROWS])
def test_softmax_matches_a_50_digit_reference(row):
    expected = np.array([float(v) for v in mp_softmax(row)])
    got = SOFTMAX.f(row)
    assert np.all(np.isfinite(got))
    # relative accuracy for every entry that is a normal double; subnormal ones to atol
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("row", EXTREME_ROWS, ids=[str(r[:2]) for r in EXTREME_ROWS])
def test_log_softmax_matches_a_50_digit_reference(row):
    with mpmath.workdps(50):
        expected = np.array([float(mpmath.log(v)) for v in mp_softmax(row)])
    np.testing.assert_allclose(LOG_SOFTMAX.f(row), expected, rtol=1e-14, atol=0)


def test_all_three_agree_with_scipy_and_torch_on_a_batch_along_either_axis():
    x = EXTREME_ROWS
    for axis in (0, 1):
        np.testing.assert_allclose(SOFTMAX.f(x, axis=axis), special.softmax(x, axis=axis),
                                   rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(SOFTMIN.f(x, axis=axis), special.softmax(-x, axis=axis),
                                   rtol=1e-13, atol=1e-300)
        # absolute tolerance: acts keeps log-probabilities like -5e-131 that scipy rounds to 0
        # (their relative accuracy is checked against mpmath above)
        np.testing.assert_allclose(LOG_SOFTMAX.f(x, axis=axis), special.log_softmax(x, axis=axis),
                                   rtol=1e-13, atol=1e-13)
        xt = torch.tensor(x, dtype=torch.float64)
        np.testing.assert_allclose(SOFTMAX.f(x, axis=axis), torch.softmax(xt, dim=axis).numpy(),
                                   rtol=1e-13, atol=1e-300)
        np.testing.assert_allclose(LOG_SOFTMAX.f(x, axis=axis),
                                   torch.log_softmax(xt, dim=axis).numpy(), rtol=1e-13, atol=1e-13)


def test_rows_are_distributions_and_only_differences_matter():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 30, (200, 7))
    s = SOFTMAX.f(x, axis=1)
    assert np.all(s >= 0) and np.all(s <= 1)
    eps = np.finfo(np.float64).eps
    np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=0, atol=4 * eps)
    np.testing.assert_allclose(SOFTMIN.f(x, axis=1).sum(axis=1), 1.0, rtol=0, atol=4 * eps)
    # shift invariance, up to shifts that would overflow exp() without the max trick
    for c in (-1000.0, 1e-3, 100.0, 1000.0):
        np.testing.assert_allclose(SOFTMAX.f(x + c, axis=1), s, rtol=1e-10, atol=1e-300)
    # scaling is not an invariance (the page's softmax(2x) line)
    logits = np.array([1.0, 2.0, 0.5, -1.0])
    assert np.max(np.abs(SOFTMAX.f(2 * logits) - SOFTMAX.f(logits))) > 0.2
    # softmin(x) = softmax(-x); log_softmax = log(softmax) where nothing underflows
    np.testing.assert_array_equal(SOFTMIN.f(x, axis=1), SOFTMAX.f(-x, axis=1))
    small = rng.normal(0, 3, (50, 7))
    np.testing.assert_allclose(LOG_SOFTMAX.f(small, axis=1), np.log(SOFTMAX.f(small, axis=1)),
                               rtol=1e-13)


def test_low_precision_inputs_do_not_overflow_and_keep_their_dtype():
    for dtype, x in ((np.float16, [10.0, 11.0, 12.0]), (np.float32, [90.0, 91.0, 92.0])):
        x = np.array(x, dtype=dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            naive = np.exp(x) / np.exp(x).sum()
        assert np.isnan(naive[-1])  # the page's point: exp overflows in this precision
        s = SOFTMAX.f(x)
        assert s.dtype == dtype
        np.testing.assert_allclose(s.astype(np.float64), special.softmax(x.astype(np.float64)),
                                   rtol=float(np.finfo(dtype).eps))


def test_overflow_thresholds_quoted_on_the_page():
    for dtype, limit in ((np.float64, 709.8), (np.float32, 88.7), (np.float16, 11.1)):
        assert round(float(np.log(np.finfo(dtype).max)), 1) == limit
    with np.errstate(over="ignore"):
        assert np.isfinite(np.exp(709.7)) and np.isinf(np.exp(709.8))
        assert np.isinf(np.exp(np.float32(88.8))) and np.isinf(np.exp(np.float16(11.1)))
    # "two logits differ by more than about 745": e^-745 is the smallest double, e^-746 is 0
    assert np.exp(-745.0) == np.nextafter(0.0, 1.0) and np.exp(-746.0) == 0.0


def test_log_softmax_keeps_the_largest_entrys_tiny_log_probability():
    # log_softmax([0, -40])[0] = -log1p(e^-40) = -4.25e-18; the shifted formula without log1p,
    # x - (m + log(sum(exp(x - m)))), rounds it to 0
    x = np.array([0.0, -40.0])
    assert x[0] - (x.max() + np.log(np.sum(np.exp(x - x.max())))) == 0.0
    np.testing.assert_allclose(LOG_SOFTMAX.f(x)[0], -np.log1p(np.exp(-40.0)), rtol=1e-15)


def test_log_of_softmax_underflows_where_log_softmax_does_not():
    x = np.array([0.0, -800.0])
    with np.errstate(divide="ignore"):
        assert np.isneginf(np.log(SOFTMAX.f(x))[1])
    np.testing.assert_array_equal(LOG_SOFTMAX.f(x), [0.0, -800.0])
    xt = torch.tensor(x, requires_grad=True)
    (g_naive,) = torch.autograd.grad(torch.log(torch.softmax(xt, dim=-1))[1], xt)
    (g_good,) = torch.autograd.grad(torch.log_softmax(xt, dim=-1)[1], xt)
    assert torch.isnan(g_naive).all()
    np.testing.assert_allclose(g_good.numpy(), [-1.0, 1.0], rtol=0, atol=1e-300)


def test_the_source_grid_makes_the_value_depend_on_the_number_of_points():
    values = [SOFTMAX.f(np.linspace(-10, 10, n))[-1] for n in (1000, 2000)]
    assert values[0] == pytest.approx(0.01982, abs=5e-6)
    assert values[1] == pytest.approx(0.00996, abs=5e-6)


# --- sections, temperature -------------------------------------------------------------------


def test_sections_are_sigmoid_and_log_sigmoid():
    t = np.linspace(-40, 40, 801)
    sections = {a.name: a.section() for a in (SOFTMAX, SOFTMIN, LOG_SOFTMAX)}
    np.testing.assert_allclose(sections["softmax"][0](t), SIGMOID.f(t), rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(sections["softmin"][0](t), SIGMOID.f(-t), rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(sections["log_softmax"][0](t), -SOFTPLUS.f(-t), rtol=1e-14, atol=1e-300)
    # the section's derivative, s(1 - s), is accurate only to about 1e-16 absolute (it is 0 once s
    # rounds to 1, t > 36.7), the sigmoid's to full relative precision
    np.testing.assert_allclose(sections["softmax"][1](t), SIGMOID.df(t), rtol=1e-13, atol=2e-16)
    # and the section really is the first entry of f([t, 0])
    for ti in (-30.0, -1.5, 0.0, 2.0, 30.0):
        assert sections["softmax"][0](ti) == pytest.approx(SOFTMAX.f(np.array([ti, 0.0]))[0], rel=1e-15)


def test_temperature_goes_from_one_hot_to_uniform_and_entropy_grows():
    logits = np.array([1.0, 2.0, 0.5, -1.0])
    temperatures = np.geomspace(0.01, 1000, 200)
    p = np.array([SOFTMAX.f(logits / T) for T in temperatures])
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.sum(np.where(p > 0, p * np.log(p), 0.0), axis=1)
    assert np.all(np.diff(entropy) > 0)
    np.testing.assert_allclose(p[0], [0, 1, 0, 0], atol=1e-40)
    np.testing.assert_allclose(p[-1], 0.25, atol=1e-3)
    assert entropy[-1] < np.log(4)


# --- Jacobians -------------------------------------------------------------------------------


def autograd_jacobian(fn, x):
    return torch.autograd.functional.jacobian(fn, torch.tensor(x, dtype=torch.float64)).numpy()


@pytest.mark.parametrize("x", [np.array([1.0, 2.0, 0.5, -1.0]), np.array([30.0, -2.0, 0.0, 29.0, -50.0])])
def test_jacobians_match_their_formulas_and_autograd(x):
    s, s_min = SOFTMAX.f(x), SOFTMIN.f(x)
    n = len(x)
    cases = {
        "softmax": (SOFTMAX, np.diag(s) - np.outer(s, s), lambda v: torch.softmax(v, dim=-1)),
        "softmin": (SOFTMIN, -(np.diag(s_min) - np.outer(s_min, s_min)), lambda v: F.softmin(v, dim=-1)),
        "log_softmax": (LOG_SOFTMAX, np.eye(n) - np.outer(np.ones(n), s),
                        lambda v: torch.log_softmax(v, dim=-1)),
    }
    for name, (a, formula, fn) in cases.items():
        J = a.jacobian(x)
        np.testing.assert_allclose(J, formula, rtol=0, atol=1e-15, err_msg=name)
        np.testing.assert_allclose(autograd_jacobian(fn, x), formula, rtol=0, atol=1e-15, err_msg=name)


def test_softmax_jacobian_is_symmetric_psd_with_one_zero_eigenvalue_along_ones():
    rng = np.random.default_rng(1)
    for _ in range(20):
        x = rng.normal(0, 3, 6)
        J = SOFTMAX.jacobian(x)
        np.testing.assert_allclose(J, J.T, rtol=0, atol=1e-17)
        np.testing.assert_allclose(J @ np.ones(6), 0.0, rtol=0, atol=4 * np.finfo(float).eps)
        eig = np.linalg.eigvalsh(J)
        assert eig[0] > -1e-16 and abs(eig[0]) < 1e-15 and eig[1] > 1e-6


def test_vector_jacobian_products_are_j_transpose_g():
    rng = np.random.default_rng(2)
    for a in (SOFTMAX, SOFTMIN, LOG_SOFTMAX):
        x, g = rng.normal(0, 2, 5), rng.normal(0, 1, 5)
        J = a.jacobian(x)
        np.testing.assert_allclose(a.jvp(x, g), J @ g, rtol=1e-13, atol=1e-16)
    x, g = rng.normal(0, 2, 5), rng.normal(0, 1, 5)
    s = SOFTMAX.f(x)
    # softmax's J is symmetric, so J g = J^T g = s * (g - <s, g>)
    np.testing.assert_allclose(SOFTMAX.jvp(x, g), s * (g - s @ g), rtol=1e-13, atol=1e-16)


# --- PyTorch ---------------------------------------------------------------------------------


BATCH = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [300.0, -300.0, 299.0]])


@pytest.mark.parametrize("name, form", [
    ("softmax", "nn.Softmax"), ("softmax", "F.softmax"), ("softmax", "acts.module"), ("softmax", "acts.torch"),
    ("softmin", "nn.Softmin"), ("softmin", "F.softmin"), ("softmin", "acts.module"),
    ("log_softmax", "nn.LogSoftmax"), ("log_softmax", "F.log_softmax"), ("log_softmax", "acts.module"),
])
def test_every_pytorch_form_matches_acts_in_values_and_gradients(name, form):
    a = acts.get(name)
    fn = {
        "nn.Softmax": nn.Softmax(dim=1), "F.softmax": lambda t: F.softmax(t, dim=1),
        "nn.Softmin": nn.Softmin(dim=1), "F.softmin": lambda t: F.softmin(t, dim=1),
        "nn.LogSoftmax": nn.LogSoftmax(dim=1), "F.log_softmax": lambda t: F.log_softmax(t, dim=1),
        "acts.module": a.module(axis=1), "acts.torch": lambda t: a.torch(t, axis=1),
    }[form]
    x = torch.tensor(BATCH, requires_grad=True)
    g = torch.tensor([[1.0, -2.0, 0.5], [0.0, 1.0, 3.0], [0.2, 0.3, -0.4]], dtype=torch.float64)
    y = fn(x)
    (vjp,) = torch.autograd.grad(y, x, g)
    np.testing.assert_allclose(y.detach().numpy(), a.f(BATCH, axis=1), rtol=1e-14, atol=1e-300)
    expected = np.stack([a.jacobian(row).T @ gr for row, gr in zip(BATCH, g.numpy())])
    np.testing.assert_allclose(vjp.numpy(), expected, rtol=1e-12, atol=1e-15)


def test_the_wrong_dim_normalises_the_batch_instead():
    x = torch.tensor(BATCH[:2])
    np.testing.assert_allclose(F.softmax(x, dim=1).sum(dim=1).numpy(), 1.0, rtol=1e-15)
    np.testing.assert_allclose(F.softmax(x, dim=0).sum(dim=0).numpy(), 1.0, rtol=1e-15)
    assert not np.allclose(F.softmax(x, dim=0).sum(dim=1).numpy(), 1.0)


def test_softmax_without_dim_warns():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        F.softmax(torch.randn(2, 3), dtype=torch.float32)
    assert any("dim" in str(w.message) for w in caught)


def test_cross_entropy_is_nll_of_log_softmax_and_lse_minus_the_true_logit():
    torch.manual_seed(0)
    z = torch.randn(8, 5, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 5, (8,))
    ce = F.cross_entropy(z, y)
    zn, yn = z.detach().numpy(), y.numpy()
    lse_minus_true = np.mean(special.logsumexp(zn, axis=1) - zn[np.arange(8), yn])
    for other in (F.nll_loss(F.log_softmax(z, dim=1), y), nn.NLLLoss()(nn.LogSoftmax(dim=1)(z), y),
                  -LOG_SOFTMAX.torch(z)[torch.arange(8), y].mean()):
        assert other.item() == pytest.approx(ce.item(), rel=1e-14)
    assert ce.item() == pytest.approx(lse_minus_true, rel=1e-14)
    # NLLLoss does no logarithm: it picks and negates
    p = torch.rand(8, 5, dtype=torch.float64)
    assert F.nll_loss(p, y).item() == pytest.approx(-p[torch.arange(8), y].mean().item(), rel=1e-15)
    (grad,) = torch.autograd.grad(ce, z)
    np.testing.assert_allclose(grad.numpy(), (SOFTMAX.f(zn, axis=1) - np.eye(5)[yn]) / 8,
                               rtol=1e-12, atol=1e-15)


def test_softmax_before_cross_entropy_cannot_reach_zero_loss():
    # probabilities used as logits: the loss is at least log(e + n - 1) - 1, reached at one-hot
    n = 4
    bound = np.log(np.e + n - 1) - 1
    one_hot = torch.eye(n, dtype=torch.float64)
    assert F.cross_entropy(one_hot, torch.arange(n)).item() == pytest.approx(bound, rel=1e-14)
    rng = np.random.default_rng(3)
    p = torch.tensor(special.softmax(rng.normal(0, 5, (500, n)), axis=1))
    losses = F.cross_entropy(p, torch.tensor(rng.integers(0, n, 500)), reduction="none")
    assert losses.min().item() >= bound - 1e-12
    # and the page's float32 [0, 200] example: -log(softmax) is inf, cross_entropy is 200
    z32, y0 = torch.tensor([[0.0, 200.0]]), torch.tensor([0])
    assert torch.isinf(-torch.log(F.softmax(z32, 1))[0, 0])
    assert F.cross_entropy(z32, y0).item() == 200.0


# --- the exercise ----------------------------------------------------------------------------


def test_lse_is_a_smooth_maximum():
    rng = np.random.default_rng(4)
    for _ in range(50):
        x = rng.normal(0, 10, rng.integers(1, 9))
        lse = x[0] - LOG_SOFTMAX.f(x)[0]
        assert x.max() - 1e-12 <= lse <= x.max() + np.log(len(x)) + 1e-12
        assert lse == pytest.approx(special.logsumexp(x), rel=1e-13, abs=1e-13)
    equal = np.full(4, 3.0)
    assert equal[0] - LOG_SOFTMAX.f(equal)[0] == pytest.approx(3 + np.log(4), rel=1e-15)
    x = np.array([1.0, 2.0, 0.5])
    for T in (0.1, 0.01):
        assert x.max() <= T * (x[0] / T - LOG_SOFTMAX.f(x / T)[0]) <= x.max() + T * np.log(3)
