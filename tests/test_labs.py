"""Tests of course.labs that need no training: statistics, verdicts, tuning, data, models,
the mean-field predictions, bad input. The labs' own runs are checked in
tests/test_lab_results.py, on the numbers the notebooks wrote when nbval ran them (each lab
runs once per test run).
"""
from __future__ import annotations

import doctest
import json
import math

import numpy as np
import pytest
import torch

import acts
from course import labs

from labs_common import LAB_DIR, LINE, NOTEBOOKS, stored_verdicts

def test_born_dead_bounds_exact_cases():
    assert labs.born_dead_bounds(1, 1) == (0.0, 0.5)
    lo, hi = labs.born_dead_bounds(2, 10)
    assert hi == pytest.approx(1 - 0.75**10) and lo == pytest.approx(2 * hi - 1)
    assert labs.born_dead_bounds(3, 0) == (0.0, 0.0)
    assert labs.born_dead_bounds(2, 200)[0] > 0.999  # both bounds tend to 1 with depth
    with pytest.raises(ValueError):
        labs.born_dead_bounds(0, 3)
    with pytest.raises(TypeError):
        labs.born_dead_bounds(2.0, 3)


def test_born_dead_agrees_with_an_acts_relu_network():
    """The Monte Carlo's bare matrix products against networks built with mlp() and the
    acts ReLU module: the same fraction of constant outputs (within sampling error)."""
    x = torch.linspace(-1, 1, 101, dtype=torch.float64).reshape(-1, 1)
    dead = 0
    n = 400
    for seed in range(n):
        with labs._run(10_000 + seed):
            net = labs.mlp(1, 3, 6, 1, "relu", init="he", bias=False, dtype=torch.float64)
            with torch.no_grad():
                out = net(x)
        dead += float(out.max() - out.min()) == 0.0
    mc = np.mean([s[5] for s in labs.born_dead(seeds=(7,), widths=(3,), max_depth=6, n_nets=4000)["fraction"][3]])
    assert abs(dead / n - mc) < 4 * math.sqrt(mc * (1 - mc) / n)


def test_fixed_point_against_closed_forms():
    relu = labs.fixed_point("relu", 2.0)
    assert relu["q"] == pytest.approx(1.0, rel=1e-9) and relu["chi"] == pytest.approx(1.0, abs=1e-4)
    # SELU: fixed point q* = 1 and χ* = λ² (½ + α² e² Φ(−2)) with σ_w² = 1
    lam, alpha = 1.0507009873554805, 1.6732632423543772
    phi_m2 = 0.5 * math.erfc(2 / math.sqrt(2))
    selu = labs.fixed_point("selu", 1.0)
    assert selu["q"] == pytest.approx(1.0, abs=1e-3)
    assert selu["chi"] == pytest.approx(lam**2 * (0.5 + alpha**2 * math.e**2 * phi_m2), rel=1e-3)
    # tanh with σ_w² = 1 and GELU with σ_w² = 2 go to q* = 0: χ* = σ_w² f'(0)²
    assert labs.fixed_point("tanh", 1.0) == {"q": 0.0, "chi": 1.0, "slope": 0.0}
    assert labs.fixed_point("gelu", 2.0)["chi"] == pytest.approx(0.5)
    # the sigmoid's fixed point satisfies q = E[σ(h)²]
    sig = labs.fixed_point("sigmoid", 1.0)
    z = np.random.default_rng(0).standard_normal(400_000)
    assert np.mean(acts.get("sigmoid").f(math.sqrt(sig["q"]) * z) ** 2) == pytest.approx(sig["q"], rel=5e-3)
    with pytest.raises(ValueError):
        labs.fixed_point("relu", -1.0)
    with pytest.raises(KeyError):
        labs.fixed_point("relux", 1.0)


# ---------------------------------------------------------------------------------------
# The notebooks: one per lab, anchors, verdict lines
# ---------------------------------------------------------------------------------------
def test_every_lab_has_a_notebook_with_its_anchor_and_verdicts():
    assert set(NOTEBOOKS.values()) == set(labs.LABS)
    for stem, anchor in NOTEBOOKS.items():
        nb = json.loads((LAB_DIR / f"{stem}.ipynb").read_text(encoding="utf-8"))
        first = "".join(nb["cells"][0]["source"])
        assert first.startswith(f"({anchor})=\n# "), stem
        assert "{cite:" in first, stem  # the claim is cited
        ids = [LINE.match(v).group(1) for v in stored_verdicts(stem)]
        assert ids == list(labs.LABS[anchor]), (stem, ids)


# ---------------------------------------------------------------------------------------
# Helpers: formatting, data, models, training, reproducibility, bad input
# ---------------------------------------------------------------------------------------
def test_doctests():
    result = doctest.testmod(labs, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_pm_and_mean_sd():
    assert labs.mean_sd([2.0]) == (2.0, 0.0)
    assert labs.pm([0.5, 0.5]) == "0.50 ± 0.00"
    assert labs.pm([-0.001, 0.001], 2) == "0.00 ± 0.00"  # no "-0.00"
    assert labs.pm([-0.004, -0.002], 2, sci=False) == "0.00 ± 0.00"
    assert labs.pm([-0.004, -0.002], 2) == "-3.0e-03 ± 1.4e-03"  # too small for 2 decimals: scientific
    assert labs.pm([3000.0, 5000.0], 2) == "4000.00 ± 1414.21"
    assert labs.pm([3e4, 5e4]) == "4.0e+04 ± 1.4e+04"
    with pytest.raises(ValueError):
        labs.mean_sd([])


def test_statuses():
    assert labs._STATUSES == ("reproduced", "partly", "inconclusive", "not reproduced")


def test_digits_file_is_what_load_digits_returns():
    from sklearn.datasets import load_digits

    X, y = labs._load_digits()
    want_X, want_y = load_digits(return_X_y=True)
    assert X.dtype == want_X.dtype and y.dtype == want_y.dtype
    np.testing.assert_array_equal(X, want_X)
    np.testing.assert_array_equal(y, want_y)


def test_digits_scalings():
    d = labs.digits()
    assert d.X_train.shape == (1348, 64) and d.X_test.shape == (449, 64) and d.X_train.dtype == torch.float32
    assert set(d.y_train.tolist()) == set(range(10))
    assert torch.allclose(d.X_train.mean(0), torch.zeros(64), atol=1e-5)
    sd = d.X_train.std(0, unbiased=False)
    assert torch.all(((sd - 1).abs() < 1e-4) | (sd == 0))
    im = labs.digits(torch.float64, scaling="image")
    assert torch.allclose(im.X_train.mean(1), torch.zeros(1348, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(im.X_train.var(1, unbiased=False), torch.ones(1348, dtype=torch.float64))
    assert torch.equal(im.y_train, d.y_train)  # the same split
    with pytest.raises(ValueError, match="scaling"):
        labs.digits(scaling="global")


def test_mlp_structure_and_initialisations():
    with labs._run(0):
        net = labs.mlp(64, 512, 3, 10, "selu", init="he", dropout=0.1, dropout_kind="alpha", batchnorm=True)
    blocks = list(net)
    assert len(blocks) == 4 and isinstance(blocks[-1], torch.nn.Linear)
    assert [type(p).__name__ for p in blocks[1]] == ["Linear", "BatchNorm1d", "SELU", "AlphaDropout"]
    assert type(blocks[1][2]).__module__ == "acts.nn"  # the acts module, not torch's
    w = blocks[1][0].weight.detach()
    assert float(w.var()) == pytest.approx(2 / 512, rel=0.02) and float(blocks[1][0].bias.detach().abs().max()) == 0
    with labs._run(0):
        std = labs.mlp(100, 400, 1, None, "sigmoid", init="standard")
    w = std[0][0].weight.detach()
    assert float(w.abs().max()) <= 0.1 and float(w.var()) == pytest.approx(1 / 300, rel=0.03)
    with labs._run(0):
        xav = labs.mlp(100, 300, 1, None, "tanh", init="xavier")
    assert float(xav[0][0].weight.detach().var()) == pytest.approx(2 / 400, rel=0.03)


def test_layer_outputs_pre_and_post():
    x = torch.randn(32, 8, generator=torch.Generator().manual_seed(0))
    with labs._run(1):
        net = labs.mlp(8, 16, 3, 4, "relu", init="he")
    with torch.no_grad():
        post = labs.layer_outputs(net, x)
        pre = labs.layer_outputs(net, x, pre=True)
    assert len(post) == len(pre) == 3
    for a, b in zip(pre, post):
        assert torch.equal(torch.relu(a), b)
    assert torch.allclose(net[-1](post[-1]), net(x))


def test_fit_learns_and_is_reproducible():
    data = labs.digits()

    def run():
        with labs._run(3):
            net = labs.mlp(64, 32, 1, 10, "tanh")
            return labs.fit(net, data, optimizer="adam", lr=1e-2, epochs=2, batch_size=64, seed=3)

    h1, h2 = run(), run()
    assert h1["train_loss"] == h2["train_loss"] and h1["test_acc"] == h2["test_acc"]
    assert h1["train_loss"][-1] < 0.5 * h1["train_loss"][0] and h1["test_acc"][-1] > 0.8
    assert h1["steps"] == 2 * 22 and h1["epoch"] == [0, 1, 2] and not h1["diverged"]


def test_fit_records_probes_and_stops_on_divergence():
    data = labs.digits()
    with labs._run(0):
        net = labs.mlp(64, 16, 1, 10, "relu")
        h = labs.fit(net, data, lr=0.01, epochs=1, batch_size=100, every=5,
                     probe=lambda m: {"w": float(m[0][0].weight.detach().abs().sum())})
    assert [p["step"] for p in h["probe"]] == [0, 5, 10]
    with labs._run(0):
        net = labs.mlp(64, 16, 1, 10, "relu")
        h = labs.fit(net, data, lr=1e30, epochs=3, batch_size=100)
    assert h["diverged"] and h["steps"] < 3 * 14


def test_a_run_restores_threads_and_random_state():
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    labs.selu_fixed_point(seeds=(0,), depth=2, width=8, n_samples=4, conditions={"x": ("selu", "lecun", 0.0, "plain")})
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def test_small_runs_are_deterministic():
    kw = dict(seeds=(0, 1), depth=4, width=16, n_samples=32)
    assert labs.selu_fixed_point(**kw) == labs.selu_fixed_point(**kw)
    g = dict(seeds=(0,), activations=("tanh",), depths=(2, 10, 12), width=16, n_samples=16)
    assert labs.gradient_depth(**g) == labs.gradient_depth(**g)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: labs.selu_fixed_point(seeds=3), TypeError, "range"),
    (lambda: labs.selu_fixed_point(seeds=()), ValueError, "empty"),
    (lambda: labs.selu_fixed_point(seeds=(1, 1)), ValueError, "distinct"),
    (lambda: labs.selu_fixed_point(seeds=(0.5,)), TypeError, "ints"),
    (lambda: labs.mlp(64, 8, 2, 10, "relu", init="kaiming"), ValueError, "initialisation"),
    (lambda: labs.mlp(64, 8, 0, 10, "relu"), ValueError, "depth"),
    (lambda: labs.mlp(64, 8.0, 2, 10, "relu"), TypeError, "width"),
    (lambda: labs.mlp(64, 8, 2, 10, "relux"), KeyError, "relu"),
    (lambda: labs.mlp(64, 8, 2, 10, torch.nn.ReLU()), TypeError, "name"),
    (lambda: labs.mlp(64, 8, 2, 10, "relu", dropout=1.0), ValueError, "dropout"),
    (lambda: labs.mlp(64, 8, 2, 10, "relu", dropout=0.1, dropout_kind="gaussian"), ValueError, "alpha"),
    (lambda: labs.fit(labs.mlp(64, 8, 1, 10, "relu"), labs.digits(), optimizer="rmsprop", lr=0.1, epochs=1,
                      batch_size=8), ValueError, "adam"),
    (lambda: labs.fit(labs.mlp(64, 8, 1, 10, "relu"), labs.digits(), lr=-0.1, epochs=1, batch_size=8),
     ValueError, "lr"),
    (lambda: labs.fit(labs.mlp(64, 8, 1, 10, "relu"), labs.digits(), lr=0.1, epochs=1, batch_size=8, every=2),
     ValueError, "probe"),
    (lambda: labs.gradient_depth(depths=(2, 4), fit_from=10), ValueError, "two depths"),
    (lambda: labs.init_linear(torch.nn.Linear(2, 2), "orthogonal"), ValueError, "lecun"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---------------------------------------------------------------------------------------
# Statistics and verdicts
# ---------------------------------------------------------------------------------------
def test_ci95_is_students_t():
    m, lo, hi = labs.ci95([1.0, 2.0, 3.0, 4.0, 5.0])
    # t(0.975, 4) = 2.7764451; s = sqrt(2.5); n = 5
    assert m == 3.0 and hi - m == pytest.approx(2.7764451 * math.sqrt(2.5) / math.sqrt(5), rel=1e-7)
    assert lo == pytest.approx(2 * m - hi)
    assert labs.ci95([2.0, 2.0]) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError, match="at least 2"):
        labs.ci95([1.0])
    with pytest.raises(ValueError, match="finite"):
        labs.ci95([1.0, float("nan")])


@pytest.mark.parametrize("claim, lo, hi, status", [
    (labs.Claim(0.0), 0.1, 0.5, "reproduced"),
    (labs.Claim(0.0), -0.1, 0.5, "inconclusive"),
    (labs.Claim(0.0), -0.5, -0.1, "not reproduced"),
    (labs.Claim(0.0, size=1.0), 0.1, 0.5, "partly"),        # right sign, smaller than claimed
    (labs.Claim(0.0, size=1.0), -0.3, 0.5, "not reproduced"),  # excludes the claimed size
    (labs.Claim(0.0, size=1.0), 0.1, 1.5, "reproduced"),
    (labs.Claim(0.0, size=1.0), -0.1, 1.5, "inconclusive"),
    (labs.Claim(0.9, 1.1), 0.95, 1.05, "reproduced"),
    (labs.Claim(0.9, 1.1), 0.85, 1.05, "inconclusive"),
    (labs.Claim(0.9, 1.1), 1.15, 1.25, "not reproduced"),
    (labs.Claim(high=0.25), 0.05, 0.1, "reproduced"),
    (labs.Claim(high=0.25), 0.3, 0.4, "not reproduced"),
])
def test_claim_status(claim, lo, hi, status):
    assert claim.status(lo, hi) == status


def test_claim_validates():
    with pytest.raises(ValueError):
        labs.Claim(1.0, 0.0)
    with pytest.raises(ValueError):
        labs.Claim(0.0, size=-1.0)
    with pytest.raises(ValueError):
        labs.Claim(high=1.0, size=0.5)


def test_verdict_line_format_and_status():
    v = labs.Verdict("x-y", "loss A − B", [0.5, 0.6, 0.7, 0.55, 0.65], labs.Claim(0.0), "a setting")
    m = LINE.match(v.line)
    assert m, v.line
    assert m.group("id") == "x-y" and m.group("status") == "reproduced" and int(m.group("n")) == 5
    assert float(m.group("lo")) == pytest.approx(v.interval[1], abs=1e-3)
    assert v.line.endswith("(criterion: 95% CI above 0.000; a setting)")
    w = labs.Verdict("x", "d", [-1.0, 1.0, -0.5, 0.5, 0.0], labs.Claim(0.0), "s")
    assert w.status == "inconclusive"
    with pytest.raises(ValueError, match="5 seeds"):
        labs.Verdict("x", "d", [1.0, 2.0, 3.0], labs.Claim(0.0), "s")


def test_publish_prints_and_writes_the_results(tmp_path, monkeypatch, capsys):
    vals = [0.1, 0.2, 0.3, 0.2, 0.1]
    vs = [labs.Verdict(i, "e", vals, labs.Claim(0.0), "s") for i in labs.LABS["lab-he-init"]]
    monkeypatch.setenv("ACTS_LAB_RESULTS", str(tmp_path / "r"))
    labs.publish("lab-he-init", vs, {"runs": {0.001: (1.0, 2.0)}})
    assert capsys.readouterr().out.splitlines() == [v.line for v in vs]
    doc = json.loads((tmp_path / "r" / "lab-he-init.json").read_text())
    assert [d["lab"] for d in doc["verdicts"]] == list(labs.LABS["lab-he-init"])
    assert doc["verdicts"][0]["values"] == vals and doc["results"] == {"runs": {"0.001": [1.0, 2.0]}}
    with pytest.raises(ValueError, match="prints the verdicts"):
        labs.publish("lab-he-init", vs[:1])
    with pytest.raises(KeyError):
        labs.publish("lab-nope", vs)


# ---------------------------------------------------------------------------------------
# Learning rates: the committed search
# ---------------------------------------------------------------------------------------
def test_tuning_file_covers_every_condition_and_chose_the_minimum():
    t = json.loads(labs.TUNING_FILE.read_text())
    assert set(t) == set(labs.TUNED)
    for lab, make in labs.TUNED.items():
        conditions, _ = make()
        assert set(t[lab]["conditions"]) == set(conditions), lab
        assert t[lab]["seeds"] == list(labs.TUNING_SEEDS)
        for label, (grid, _) in conditions.items():
            rec = t[lab]["conditions"][label]
            assert len(grid) >= 3 and set(rec["scores"]) == {format(lr, "g") for lr in grid}, (lab, label)
            best = min(grid, key=lambda lr: (rec["scores"][format(lr, "g")], lr))
            assert rec["chosen"] == best and labs.tuned_lr(lab, label) == best
    assert not set(labs.TUNING_SEEDS) & set(labs.TRAINING_SEEDS + labs.INIT_SEEDS)  # no seed both chooses and judges
    with pytest.raises(KeyError, match="make tune"):
        labs.tuned_lr("he-init", "LeCun, SGD")


def test_tune_picks_the_lowest_validation_loss(monkeypatch):
    """tune() on a stand-in lab whose 'training' returns a known validation loss per lr."""
    seen = []

    def train(cond, lr, seed, data):
        seen.append((cond, lr, seed, data.split, data.X_train.shape[0], data.X_test.shape[0]))
        return {"test_loss": [abs(math.log10(lr) + 2) + cond], "diverged": lr > 1}

    monkeypatch.setitem(labs.TUNED, "fake", lambda: ({"a": ((1e-3, 1e-2, 1e-1, 10.0), 0.0)}, train))
    out = labs.tune(["fake"], write=False, verbose=False)
    assert out["fake"]["conditions"]["a"]["chosen"] == 1e-2
    assert out["fake"]["conditions"]["a"]["scores"]["10"] == math.inf  # diverged
    assert {s[3:] for s in seen} == {("validation", 1011, 337)}
    assert {s[2] for s in seen} == set(labs.TUNING_SEEDS)
    with pytest.raises(KeyError, match="no learning-rate search"):
        labs.tune(["nope"], write=False)


def test_validation_split_is_inside_the_training_set():
    test, val = labs.digits(torch.float64), labs.digits(torch.float64, split="validation")
    assert val.X_train.shape == (1011, 64) and val.X_test.shape == (337, 64)
    ytr = labs._digits_arrays("pixel")[1]
    assert np.array_equal(np.concatenate([val.y_train.numpy(), val.y_test.numpy()]), ytr)
    assert test.X_test.shape == (449, 64)
    with pytest.raises(ValueError, match="split"):
        labs.digits(split="train")
