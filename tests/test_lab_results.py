"""The labs' runs, checked on the numbers the notebooks wrote while nbval ran them.

`make test` runs nbval with ACTS_LAB_RESULTS=_build/lab-results under a CPU kernel
configuration other than the one that made the committed outputs; every lab notebook's last
cell (course.labs.publish) writes <lab>.json there. This file runs afterwards, in a second
pytest call, and checks for every verdict:

- its status is the one in the notebook's committed output: a verdict that flips between
  kernel configurations (machines) fails here;
- its mean agrees with the committed mean within 4 standard errors of the difference of two
  independent n-seed means, √(se_run² + se_stored²), each se from its own 95% interval
  (half-width / t₀.₉₇₅,ₙ₋₁) — a tolerance from the spread measured in the two runs;
- its status follows from its own interval and claim.

and the statements the notebooks' text makes about these runs. Without the results folder
the tests are skipped, unless ACTS_REQUIRE_LAB_RESULTS=1 (make test) makes that a failure.
"""
from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import t as student_t

from course import labs
from labs_common import LINE, NOTEBOOKS, ROOT, stored_verdicts

RESULTS = Path(os.environ.get("ACTS_LAB_RESULTS") or ROOT / "_build" / "lab-results")


def _results(anchor: str) -> dict:
    path = RESULTS / f"{anchor}.json"
    if not path.exists():
        if os.environ.get("ACTS_REQUIRE_LAB_RESULTS") == "1":
            pytest.fail(f"{path} is missing: the lab notebook did not run under nbval with "
                        f"ACTS_LAB_RESULTS={RESULTS} (run `make test`).")
        pytest.skip(f"no lab results in {RESULTS}: run `make test` (nbval writes them)")
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("stem", sorted(NOTEBOOKS))
def test_verdicts_agree_with_the_committed_run(stem):
    anchor = NOTEBOOKS[stem]
    doc = _results(anchor)
    stored = {LINE.match(ln).group("id"): LINE.match(ln) for ln in stored_verdicts(stem)}
    assert [v["lab"] for v in doc["verdicts"]] == list(labs.LABS[anchor]) == list(stored)
    for v in doc["verdicts"]:
        s = stored[v["lab"]]
        n = v["n"]
        assert n >= 5 and int(s.group("n")) == n, v["line"]
        claim = labs.Claim(v["low"], v["high"], v["size"])
        m, lo, hi = labs.ci95(v["values"])
        assert (m, lo, hi) == pytest.approx((v["mean"], v["lo"], v["hi"]))
        assert claim.status(lo, hi) == v["status"]
        assert v["status"] == s.group("status"), (
            f"{v['lab']}: this run says {v['status']!r}, the committed notebook {s.group('status')!r}\n"
            f"  run:    {v['line']}\n  stored: {s.group(0)}")
        tq = student_t.ppf(0.975, n - 1)
        se_run = (hi - lo) / 2 / tq
        se_stored = (float(s.group("hi")) - float(s.group("lo"))) / 2 / tq
        tol = 4 * math.hypot(se_run, se_stored) + 1e-3 * max(1.0, abs(m))  # + the printed rounding
        assert abs(m - float(s.group("mean"))) <= tol, (v["lab"], m, s.group("mean"), tol)


def test_selu_controls_behave_as_the_text_says():
    c = _results("lab-selu")["results"]["fixed_point"]["conditions"]
    assert all(v > 1.2 for v in c["SELU, LeCun, plain dropout 0.1"]["var"])      # settles higher
    assert all(v > 10 for v in c["SELU, He"]["var"])                               # explodes
    assert all(v < 0.01 for v in c["SELU, standard U[-1/√n, 1/√n]"]["var"])       # vanishes
    assert all(v < 1e-12 for v in c["ReLU, LeCun"]["var"])                         # halves per layer
    assert all(m > 0.1 for m in c["ReLU, He"]["mean"])                             # never zero-mean
    x = c["SELU, Xavier"]  # Xavier = LeCun for square layers: it reaches the fixed point too
    assert labs.Claim(*labs.SELU_VAR_BAND).status(*labs.ci95(x["var"])[1:]) == "reproduced"
    assert labs.Claim(*labs.SELU_MEAN_BAND).status(*labs.ci95(x["mean"])[1:]) == "reproduced"
    v = np.mean(c["ReLU, LeCun"]["var_by_layer"], axis=0)
    slope = np.polyfit(np.arange(16, 65), np.log2(v[15:]), 1)[0]
    assert -1.15 < slope < -0.85


def test_born_dead_within_the_bounds_at_every_width_and_depth():
    born = _results("lab-dying-relu")["results"]["born_dead"]
    n = born["n_nets"] * len(born["seeds"])
    for w, per_seed in born["fraction"].items():
        pooled = np.mean(per_seed, axis=0)
        assert np.all(np.diff(pooled) >= 0)  # nested networks: once dead, always dead
        for L, p in zip(born["depths"], pooled):
            lo, hi = labs.born_dead_bounds(int(w), L)
            se = math.sqrt(max(p * (1 - p), 1 / n) / n)
            assert lo - 3 * se <= p <= hi + 3 * se, (w, L, p, lo, hi)
    at10 = {int(w): np.mean([s[9] for s in ps]) for w, ps in born["fraction"].items()}
    for w in (2, 3, 5):  # the text: above u², the value if the two rays died independently
        assert at10[w] > labs.born_dead_bounds(w, 10)[1] ** 2


def test_gradient_mean_field_path_matches_tanh_and_selu():
    """The text says tanh and SELU follow the mean-field path; within 0.6 (ln units)."""
    runs = _results("lab-gradients")["results"]["runs"]
    for act in ("tanh", "selu"):
        measured = np.mean(runs[act]["log_norm"], axis=0)
        assert np.max(np.abs((measured - measured[0]) - np.array(runs[act]["path"]))) < 0.6, act
