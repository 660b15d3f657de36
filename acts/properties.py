"""Properties of an activation, computed from its numpy forms — never typed by hand.

Everything is measured on the function g with its default parameters: g = f for
elementwise activations; for vector activations a documented 1-D section
(softmax family and maxout: t ↦ f([t, 0])₀; gated units: the gate t ↦ f([1, t]);
Dice: eval mode with mean 0, variance 1).

How each property is decided:

* limits: g(±inf) and g'(±inf) from the forms themselves (which return the
  mathematical limits).
* range: inf/sup over the limits, a dense grid on [-10, 10] (h = 1e-4) and the
  local extrema found by root-finding on g' (``scipy.optimize.brentq``). An end
  is closed when some finite x attains it exactly, e.g. ReLU's 0; sigmoid's 0
  and 1 are only limits, so (0, 1) is open. Finitely many values → a set.
* monotonic: the sign of successive differences of g on the grid and of g'
  at ±1e4.
* smoothness: jumps of g, g' and of the difference quotient of g' across grid
  cells (thresholds far above what a smooth function shows at h = 1e-4). A
  function with no jump in g'' is composed of analytic pieces here, so it is
  reported as C∞.
* saturation (Gulcehre et al.'s definition, source 000): left/right when
  lim g'(x) = 0 for x → ∓∞, checked at ±inf and ±1e4; hard when g' is exactly
  0 on the last unit of the grid ([-10, -9] or [9, 10]), soft otherwise.
* zero-centred: g(0) = 0, g takes both signs, and ``|E g(Z)| ≤ 0.1·sd g(Z)`` for
  Z ~ N(0, 1) (trapezoid rule on the grid).
* approximately identity near 0: g(0) = 0 and both one-sided slopes at 0 equal 1.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize

_GRID = np.linspace(-10.0, 10.0, 200_001)
_H = _GRID[1] - _GRID[0]
_TAIL = 1.0e4


def _fmt(v: float) -> str:
    if v == math.inf:
        return "∞"
    if v == -math.inf:
        return "-∞"
    return f"{v:.4g}"


def _extrema(g, dg, kind: str) -> list[tuple[float, float]]:
    """Local minima (kind="min") or maxima where g' changes sign on the grid."""
    d = dg(_GRID)
    sign = 1.0 if kind == "min" else -1.0
    found = []
    for i in np.flatnonzero((sign * d[:-1] < 0) & (sign * d[1:] > 0)):
        x_star = optimize.brentq(lambda t: float(dg(np.float64(t))), _GRID[i], _GRID[i + 1], xtol=1e-15, rtol=1e-15)
        found.append((float(x_star), float(g(np.float64(x_star)))))
    for i in np.flatnonzero(sign * d == 0):  # g' exactly 0 at a grid point (piecewise-linear pieces)
        if 0 < i < len(d) - 1 and sign * d[i - 1] < 0 and sign * d[i + 1] > 0:
            found.append((float(_GRID[i]), float(g(_GRID[i]))))
    return found


def _range(values, limits, minima, maxima):
    finite_vals = values[np.isfinite(values)]
    distinct = np.unique(finite_vals)
    if len(distinct) <= 4 and all(np.isin(limits, distinct)):
        return {"text": "{" + ", ".join(_fmt(v) for v in distinct) + "}", "low": float(distinct[0]),
                "high": float(distinct[-1]), "low_closed": True, "high_closed": True, "discrete": True}
    lo = min([*limits, *(v for _, v in minima), float(finite_vals.min())])
    hi = max([*limits, *(v for _, v in maxima), float(finite_vals.max())])
    lo_closed = math.isfinite(lo) and (lo in [v for _, v in minima] or bool(np.any(finite_vals == lo)))
    hi_closed = math.isfinite(hi) and (hi in [v for _, v in maxima] or bool(np.any(finite_vals == hi)))
    text = f"{'[' if lo_closed else '('}{_fmt(lo)}, {_fmt(hi)}{']' if hi_closed else ')'}"
    return {"text": text, "low": lo, "high": hi, "low_closed": lo_closed, "high_closed": hi_closed,
            "discrete": False}


def _monotonic(values, d_tails) -> str:
    steps = np.diff(values)
    if np.all(steps > 0) and all(v >= 0 for v in d_tails):
        return "increasing"
    if np.all(steps >= 0) and all(v >= 0 for v in d_tails):
        return "non-decreasing"
    if np.all(steps < 0) and all(v <= 0 for v in d_tails):
        return "decreasing"
    if np.all(steps <= 0) and all(v <= 0 for v in d_tails):
        return "non-increasing"
    return "no"


def _jumps(y, threshold) -> list[float]:
    idx = np.flatnonzero(np.abs(np.diff(y)) > threshold)
    points = sorted({round(float(_GRID[i] + _H / 2), 3) for i in idx})
    merged = []  # a jump detected in two neighbouring cells is one kink
    for p in points:
        if not merged or p - merged[-1] > 1e-2:
            merged.append(p)
    return merged


def _smoothness(values, d):
    if _jumps(values, 1e-2):
        return "discontinuous", _jumps(values, 1e-2)
    if _jumps(d, 1e-3):
        return "C⁰", _jumps(d, 1e-3)
    second = np.diff(d) / _H
    if _jumps(second, 1e-2):
        return "C¹", _jumps(second, 1e-2)
    return "C∞", []


def _saturation(dg) -> dict:
    out = {}
    for side, sign, tail in (("left", -1.0, _GRID[_GRID <= -9]), ("right", 1.0, _GRID[_GRID >= 9])):
        at_inf = float(dg(np.float64(sign * math.inf)))
        at_inf = float(dg(np.float64(sign * _TAIL))) if math.isnan(at_inf) else at_inf
        at_big = float(dg(np.float64(sign * _TAIL)))
        if at_inf == 0 and abs(at_big) < 1e-6:  # softsign: 1e-8 at 1e4 (polynomial tail)
            out[side] = "hard" if np.all(dg(tail) == 0) else "soft"
        else:
            out[side] = None
    left, right = out["left"], out["right"]
    if left is None and right is None:
        text = "none"
    elif left == right:
        text = f"both ({left})"
    elif right is None:
        text = f"left ({left})"
    elif left is None:
        text = f"right ({right})"
    else:
        text = f"left ({left}), right ({right})"
    return {"left": left, "right": right, "text": text}


def _normal_moments(values):
    w = np.exp(-0.5 * _GRID**2) / math.sqrt(2 * math.pi)
    mean = float(np.trapezoid(values * w, _GRID))
    var = float(np.trapezoid((values - mean) ** 2 * w, _GRID))
    return mean, math.sqrt(max(var, 0.0))


def _width_factor(act) -> int:
    """Inputs per output: k for maxout, 2 for gated units, 1 elementwise."""
    if act.elementwise:
        return 1
    n_in = 12
    return n_in // np.shape(act.f(np.linspace(-1.0, 1.0, n_in)))[-1]


def compute(act) -> dict:
    g, dg = act.section()
    with np.errstate(all="ignore"):
        values = np.asarray(g(_GRID), dtype=np.float64)
        d = np.asarray(dg(_GRID), dtype=np.float64)
    limits = [float(g(np.float64(-math.inf))), float(g(np.float64(math.inf)))]
    d_tails = [float(dg(np.float64(-_TAIL))), float(dg(np.float64(_TAIL)))]
    # A section through (±inf, ±inf) of a gated unit is inf·0 (undefined): there
    # the derivative's limit is read at ±1e4 instead.
    d_limits = [float(dg(np.float64(s * math.inf))) for s in (-1.0, 1.0)]
    d_limits = [t if math.isnan(v) else v for v, t in zip(d_limits, d_tails)]
    minima, maxima = _extrema(g, dg, "min"), _extrema(g, dg, "max")
    rng = _range(values, limits, minima, maxima)
    smooth, kinks = _smoothness(values, d)
    f0 = float(g(np.float64(0.0)))
    mean, sd = _normal_moments(values)
    h = 1e-6
    left_slope = (f0 - float(g(np.float64(-h)))) / h
    right_slope = (float(g(np.float64(h))) - f0) / h
    both_signs = bool(np.any(values < 0) and np.any(values > 0))
    lowest = min(minima, key=lambda m: m[1]) if minima else None
    return {
        "range": rng["text"],
        "range_low": rng["low"], "range_high": rng["high"],
        "range_low_closed": rng["low_closed"], "range_high_closed": rng["high_closed"],
        "bounded_below": math.isfinite(rng["low"]), "bounded_above": math.isfinite(rng["high"]),
        "limits": tuple(limits), "derivative_limits": tuple(d_limits),
        "monotonic": _monotonic(values, d_tails),
        "smoothness": smooth, "kinks": tuple(kinks),
        "zero_centred": bool(f0 == 0 and both_signs and abs(mean) <= 0.1 * sd),
        "mean_under_normal": mean, "sd_under_normal": sd,
        "f0": f0,
        "saturation": _saturation(dg),
        "minima": tuple(minima), "minimum": lowest,
        "identity_near_0": bool(f0 == 0 and abs(left_slope - 1) < 1e-3 and abs(right_slope - 1) < 1e-3),
        "learnable_parameters": act.learnable,
        "inputs_per_output": _width_factor(act),
        "section": act.spec.section_text or None,
    }


def table(activations) -> list[dict]:
    """One row per activation: the columns of the course's property table."""
    rows = []
    for act in activations:
        p = act.props
        minimum = p["minimum"]
        rows.append({
            "name": act.name,
            "family": act.family,
            "range": p["range"],
            "monotonic": p["monotonic"],
            "smoothness": p["smoothness"],
            "saturation": p["saturation"]["text"],
            "zero_centred": p["zero_centred"],
            "f(0)": p["f0"],
            "minimum": None if minimum is None else (round(minimum[0], 4), round(minimum[1], 4)),
            "learnable_parameters": p["learnable_parameters"],
            "inputs_per_output": p["inputs_per_output"],
            "identity_near_0": p["identity_near_0"],
        })
    return rows
