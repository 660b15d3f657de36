"""chapters/saturation.ipynb, "Vanishing gradients through depth": the claims the prose makes
about the page's experiment beyond the one seed it prints — that the mean-field prediction
along the way, the product of sqrt(chi_l) over layers 1..29, matches the measured
first/last-layer gradient ratio, and that other seeds move the numbers only a little — run
with the page's own ``backward_signal`` (float64, so the same on every machine)."""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import pytest

from course import labs

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "chapters" / "saturation.ipynb"
SETTINGS = {"sigmoid": 1.0, "tanh": 1.0, "relu": 2.0, "selu": 1.0}   # activation: sigma_w^2


@pytest.fixture(scope="module")
def backward_signal():
    nb = json.loads(PAGE.read_text(encoding="utf-8"))
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    (cell,) = [c for c in code if "def backward_signal(" in c]
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code[0] + "\n" + cell[: cell.index("settings = ")], "<saturation cells>", "exec"), ns)
    return ns["backward_signal"]


def _predicted(activation: str, sigma_w2: float, depth: int = 30) -> float:
    chi = labs.mean_field(activation, sigma_w2, depth=depth, q0=sigma_w2)["chi"]
    return math.prod(chi[: depth - 1]) ** 0.5


def test_the_page_uses_its_settings():
    nb = json.loads(PAGE.read_text(encoding="utf-8"))
    src = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    assert 'settings = {"sigmoid": 1.0, "tanh": 1.0, "relu": 2.0, "selu": 1.0}' in src


@pytest.mark.parametrize("activation", SETTINGS)
def test_seed_0_agrees_with_the_mean_field_path(backward_signal, activation):
    """The page: "the measurement is 0.85 to 1.14 times the prediction"."""
    g = backward_signal(activation, SETTINGS[activation])
    assert 0.845 <= (g[0] / g[-1]) / _predicted(activation, SETTINGS[activation]) <= 1.145


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
@pytest.mark.parametrize("activation", SETTINGS)
def test_other_seeds_move_the_ratio_a_little(backward_signal, activation, seed):
    """'the numbers move a little with the seed, the orders of magnitude do not' (seeds 1-5 gave
    0.72-1.30 times the prediction when the bound was set)."""
    g = backward_signal(activation, SETTINGS[activation], seed=seed)
    assert 0.6 <= (g[0] / g[-1]) / _predicted(activation, SETTINGS[activation]) <= 1.6


def test_the_fixed_point_rate_alone_misses_tanh_but_not_sigmoid_or_selu():
    """Tanh's q reaches q* = 0 only like 1/l, so chi* = 1 predicts no loss over 29 layers while
    the path predicts most of it; sigmoid and SELU sit at q* after a few layers."""
    for activation in ("sigmoid", "selu"):
        fp = labs.fixed_point(activation, SETTINGS[activation], q0=SETTINGS[activation])
        q = labs.mean_field(activation, SETTINGS[activation], depth=5, q0=SETTINGS[activation])["q"]
        assert abs(q[-1] - fp["q"]) <= 1e-3 * fp["q"]
        assert math.sqrt(fp["chi"]) ** 29 == pytest.approx(_predicted(activation, SETTINGS[activation]), rel=0.15)
    tanh = labs.fixed_point("tanh", 1.0, q0=1.0)
    assert tanh["q"] == 0 and tanh["chi"] == 1
    assert _predicted("tanh", 1.0) < 0.2
