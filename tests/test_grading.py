"""The course assignments and their grader (issues 8 and 15): `make student`, `make grade`.

The assignments are built once per session into a temporary folder (otter assign, no
kernel), then graded in three batches of generated submissions:

1. the eight solution notebooks (full marks; the batch time is printed),
2. the eight blank student notebooks (0 points, status ok) and plausible wrong answers
   that must score exactly their expected partial points,
3. hostile submissions (raise, endless loops, exit calls, a killed process, 100 MB of
   output, a detached daemon, a search for the hidden tests and writes to the teacher's files,
   forged comparisons and otter machinery, a reference shortcut, broken files, wrong
   assignment), each of which must get its own row without disturbing the others and score
   no more than its answers earn (the sandbox itself is tested in tests/test_sandbox.py).

Submissions are generated from the built notebooks into tmp_path; nothing here writes
into the repository.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
import os
import time
import uuid
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grading import BOOK_COPIES, EXERCISES, sandbox  # noqa: E402
from grading.build import build_all, sources  # noqa: E402
from grading.grade import code_cells, grade_folder, read_submission, which_assignment  # noqa: E402

# otter 7 imports a traitlets API that traitlets deprecates; not ours to fix
pytestmark = pytest.mark.filterwarnings("ignore:Traits should be given as instances:DeprecationWarning")

ASSIGNMENTS = [p.stem for p in sources()]
MAX_POINTS = {"01_sigmoid": 11, "02_tanh": 13, "03_dead_relu": 11, "04_softmax": 13, "05_gelu": 14,
              "06_mish_autograd": 13, "07_selu_fixed_point": 11, "08_choosing_activations": 11}


# --- building ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("build")
    t = time.monotonic()
    build_all(out, book=None, progress=lambda s: None)
    print(f"\nbuilt {len(ASSIGNMENTS)} assignments in {time.monotonic() - t:.1f} s")
    return out


def _nb(path: Path):
    return nbformat.read(path, as_version=4)


def _solution_blocks(src: Path) -> list[str]:
    """The code between # BEGIN SOLUTION and # END SOLUTION (and `... # SOLUTION` lines)."""
    blocks = []
    for cell in _nb(src).cells:
        if cell.cell_type != "code":
            continue
        text = cell.source
        blocks += re.findall(r"# BEGIN SOLUTION\n(.*?)\n\s*# END SOLUTION", text, flags=re.S)
        blocks += [m.strip() for m in re.findall(r"^(.*?)# SOLUTION$", text, flags=re.M)]
    return [b for b in blocks if b.strip()]


def _hidden_test_names(src: Path) -> list[str]:
    names = []
    for cell in _nb(src).cells:
        if cell.cell_type == "code" and re.search(r"^hidden: true$", cell.source, flags=re.M):
            names += re.findall(r"^def (test_\w+)", cell.source, flags=re.M)
    return names


def test_at_least_eight_assignments_with_public_and_hidden_tests():
    assert len(ASSIGNMENTS) >= 8, ASSIGNMENTS
    for name in ASSIGNMENTS:
        src = EXERCISES / f"{name}.ipynb"
        text = src.read_text()
        assert "hidden: false" in text and "hidden: true" in text, f"{name}: needs public and hidden tests"
        assert "import acts" in text, f"{name}: the tests compare against acts"
        assert _solution_blocks(src), f"{name}: no solution blocks"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_student_notebook_has_no_solutions_and_no_hidden_tests(built, name):
    src = EXERCISES / f"{name}.ipynb"
    student_text = (built / name / "student" / f"{name}.ipynb").read_text()
    student = json.loads(student_text)
    code = "\n".join("".join(c["source"]) for c in student["cells"] if c["cell_type"] == "code")
    assert "grader.check(" in code and "otter.Notebook(" in code
    for block in _solution_blocks(src):
        assert block not in code, f"{name}: solution code left in the student notebook:\n{block}"
    hidden = _hidden_test_names(src)
    assert hidden, f"{name}: no hidden tests"
    for test in hidden:
        assert test not in student_text, f"{name}: hidden test {test} is in the student notebook"
    public = "".join(student["metadata"]["otter"]["tests"].values())
    assert "hidden=False" in public and "hidden=True" not in public
    with zipfile.ZipFile(built / name / f"{name}-autograder.zip") as zf:
        tests = "".join(zf.read(n).decode() for n in zf.namelist() if n.startswith("tests/"))
    for test in hidden:
        assert f"def {test}(" in tests, f"{name}: hidden test {test} missing from the autograder"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_book_copies_match_the_sources(built, name):
    fresh = (built / name / "student" / f"{name}.ipynb").read_text()
    committed = BOOK_COPIES / f"{name}.ipynb"
    assert committed.exists(), f"{committed} missing: run `make student`"
    assert committed.read_text() == fresh, f"{committed} is out of date: run `make student`"


def test_build_is_reproducible(built, tmp_path):
    build_all(tmp_path, book=None, progress=lambda s: None)
    for name in ASSIGNMENTS[:2]:
        for part in ("student", "solution"):
            a = (built / name / part / f"{name}.ipynb").read_bytes()
            assert a == (tmp_path / name / part / f"{name}.ipynb").read_bytes()


# --- helpers for submissions ------------------------------------------------------------
def _solution(built: Path, name: str):
    return _nb(built / name / "solution" / f"{name}.ipynb")


def _replace_answer(nb, marker: str, source: str):
    """Replace the (single) code cell that contains `marker` by `source`."""
    hits = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    assert len(hits) == 1, f"{len(hits)} cells contain {marker!r}"
    hits[0].source = source
    return nb


def _insert_after(nb, marker: str, source: str):
    i = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and marker in c.source)
    nb.cells.insert(i + 1, nbformat.v4.new_code_cell(source))
    return nb


def _write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def _rows(folder: Path) -> dict[str, dict]:
    with open(folder / "grades.csv", newline="", encoding="utf-8") as f:
        return {r["file"]: r for r in csv.DictReader(f)}


def _digests(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*.ipynb") if "feedback" not in p.parts}


# --- 1. solutions ---------------------------------------------------------------------------
def _report(capsys, text: str) -> None:
    """Show a timing in the test output even when pytest captures it (not under xdist)."""
    with capsys.disabled():
        print(f"\n[test_grading] {text}")


def test_solutions_score_full_marks(built, tmp_path, capsys):
    for name in ASSIGNMENTS:
        _write(_solution(built, name), tmp_path / f"solution_{name}.ipynb")
    before = _digests(tmp_path)
    t = time.monotonic()
    rows = grade_folder(tmp_path, build=built, jobs=2, timeout=240, progress=lambda s: None)
    elapsed = time.monotonic() - t
    _report(capsys, f"graded {len(rows)} solution notebooks in {elapsed:.1f} s with 2 workers")
    assert _digests(tmp_path) == before, "the submissions were modified"
    got = _rows(tmp_path)
    assert len(got) == len(ASSIGNMENTS)
    for name in ASSIGNMENTS:
        r = got[f"solution_{name}.ipynb"]
        assert r["assignment"] == name
        assert (r["status"], r["reason"]) == ("ok", ""), r
        assert float(r["total"]) == float(r["max"]) == MAX_POINTS[name], r


# --- 2. blank and wrong submissions -----------------------------------------------------
WRONG = {
    # naive sigmoid that overflows (and its naive derivative): passes the public values and
    # the random hidden values of q1 and the public values of q2, nothing else (q3 does not use them).
    "naive_sigmoid": ("01_sigmoid", [
        ("def sigmoid(", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))"),
        ("def sigmoid_grad(", "def sigmoid_grad(x):\n    s = sigmoid(x)\n    return s * (1 - s)"),
    ], {"q1": 2, "q2": 1, "q3": 3}),
    # σ'(x) = p σ'(0) solved as 2 artanh(sqrt(1 - p)): right for moderate p, but 1 - sqrt(1 - p)
    # cancels for small p (inf once sqrt(1 - p) rounds to 1): loses the tail test.
    "sigmoid_level_artanh_cancels": ("01_sigmoid", [
        ("def sigmoid_grad_level(", "def sigmoid_grad_level(p):\n    return float(2 * np.arctanh(np.sqrt(1 - p)))"),
    ], {"q1": 4, "q2": 4, "q3": 2}),
    # the tail asymptote σ'(x) ≈ e^{-x}: x = log(4 / p) has the right form, wrong values (off by about p/2).
    "sigmoid_level_tail_asymptote": ("01_sigmoid", [
        ("def sigmoid_grad_level(", "def sigmoid_grad_level(p):\n    return float(np.log(4 / p))"),
    ], {"q1": 4, "q2": 4, "q3": 1}),
    # σ'(x) = sech²(x/2) / 2 (the inner factor 1/2 of the chain rule forgotten): a crossing near 1.06.
    "x_cross_chain_rule": ("02_tanh", [
        ("x_cross =", "c = (np.sqrt(2.0) + np.sqrt(10.0)) / 4.0\nx_cross = float(2.0 * np.arccosh(c))"),
    ], {"q1": 3, "q2": 2, "q3": 3, "q4": 2, "q5": 1}),
    # tanh' as 1 - tanh²: right near 0, 0 instead of ~4e^{-2|x|} in the tails.
    "tanh_grad_one_minus_square": ("02_tanh", [
        ("def tanh_grad(", "def tanh_grad(x):\n    t = tanh_accurate(x)\n    return 1.0 - t * t"),
    ], {"q1": 3, "q2": 2, "q3": 3, "q4": 1, "q5": 3}),
    # a unit that is 0 for ANY row counted as dead: only the types test passes in q1, the dead
    # fraction is wrong on the given network (right on the hidden one, where no unit is ever 0 by chance).
    "dead_units_any_row": ("03_dead_relu", [
        ("def dead_units(", "def dead_units(net, X):\n    masks, h = [], X\n    with torch.no_grad():\n"
                            "        for layer in net:\n            h = layer(h)\n            if isinstance(layer, nn.ReLU):\n"
                            "                masks.append((h == 0).any(dim=0).cpu().numpy())\n    return masks"),
    ], {"q1": 1, "q2": 1, "q3": 2, "q4": 3}),
    # the variance instead of the standard deviation of w·x: right only for ||w|| = 1 (the public test).
    "dead_bias_variance": ("03_dead_relu", [
        ("def dead_bias(", "def dead_bias(n, p, w_norm=1.0):\n    from scipy import special\n"
                           "    return float(w_norm**2 * special.ndtri(-np.expm1(np.log(p) / n)))"),
    ], {"q1": 4, "q2": 2, "q3": 2, "q4": 1}),
    # 1 - p**(1/n) instead of -expm1(log(p) / n): loses digits for n = 10^7, p = 0.999 (relative error 1e-8).
    "dead_bias_power_cancels": ("03_dead_relu", [
        ("def dead_bias(", "def dead_bias(n, p, w_norm=1.0):\n    from scipy import special\n"
                           "    return float(w_norm * special.ndtri(1.0 - p ** (1.0 / n)))"),
    ], {"q1": 4, "q2": 2, "q3": 2, "q4": 2}),
    # p**n for p**(1/n): the bias rises with n, which the public test rejects.
    "dead_bias_p_to_the_n": ("03_dead_relu", [
        ("def dead_bias(", "def dead_bias(n, p, w_norm=1.0):\n    from scipy import special\n"
                           "    return float(w_norm * special.ndtri(1.0 - p ** n))"),
    ], {"q1": 4, "q2": 2, "q3": 2, "q4": 0}),
    # softmax without the max trick: fails every test with large logits (q1: 2 of 4; the
    # Jacobians, the backward and the temperature, built on it, lose their large-logit hidden tests).
    "softmax_no_max_trick": ("04_softmax", [
        ("def softmax(", "def softmax(z, axis=-1):\n    e = np.exp(np.asarray(z, dtype=float))\n"
                         "    return e / e.sum(axis=axis, keepdims=True)"),
    ], {"q1": 2, "q2": 1, "q3": 1, "q4": 1, "q5": 2}),
    # Jacobians with rows and columns swapped: harmless for softmax (its J is symmetric),
    # wrong for log-softmax.
    "jacobian_transposed": ("04_softmax", [
        ("def softmax_jacobian(", "def softmax_jacobian(z):\n    s = softmax(np.asarray(z, dtype=float))\n"
                                  "    return (np.diag(s) - np.outer(s, s)).T"),
        ("def log_softmax_jacobian(", "def log_softmax_jacobian(z):\n    s = softmax(np.asarray(z, dtype=float))\n"
                                      "    return (np.eye(s.size) - s[np.newaxis, :]).T"),
    ], {"q1": 4, "q2": 2, "q3": 0, "q4": 2, "q5": 3}),
    # the temperature root-found in a fixed bracket 0.01 < T < 100: fine for ordinary logits,
    # no root in the bracket when the top two logits differ by 1e-3 (T near 5e-4).
    "temperature_fixed_bracket": ("04_softmax", [
        ("def temperature_for(", "def temperature_for(z, p):\n    from scipy import optimize\n"
                                 "    z = np.asarray(z, dtype=float)\n"
                                 "    return float(optimize.brentq(lambda T: np.max(softmax(z / T)) - p, 0.01, 100.0, xtol=1e-14))"),
    ], {"q1": 4, "q2": 2, "q3": 2, "q4": 2, "q5": 2}),
    # only the top two logits (the two-class formula T = gap / logit(p)): T = inf at p = 1/2,
    # which the public test rejects.
    "temperature_top_two_only": ("04_softmax", [
        ("def temperature_for(", "def temperature_for(z, p):\n    top = np.sort(np.asarray(z, dtype=float))[-2:]\n"
                                 "    return float((top[1] - top[0]) / np.log(p / (1 - p)))"),
    ], {"q1": 4, "q2": 2, "q3": 2, "q4": 2, "q5": 0}),
    # Mish backward without the x·σ(x)·sech²(softplus(x)) term: forward right, gradcheck wrong.
    "mish_backward_missing_term": ("06_mish_autograd", [
        ("class MishFunction(", "class MishFunction(torch.autograd.Function):\n"
                                "    @staticmethod\n    def forward(ctx, x):\n        ctx.save_for_backward(x)\n"
                                "        return x * torch.tanh(torch.nn.functional.softplus(x))\n\n"
                                "    @staticmethod\n    def backward(ctx, grad_out):\n        (x,) = ctx.saved_tensors\n"
                                "        return grad_out * torch.tanh(torch.nn.functional.softplus(x))\n\n\n"
                                "mish = MishFunction.apply"),
    ], {"q1": 2, "q2": 2, "q3": 1, "q4": 4}),
    # Φ written with erf: cancels in the left tail (q1 keeps only its public point); the rest is right.
    "gelu_with_erf": ("05_gelu", [
        ("def gelu(x):", "def gelu(x):\n    x = np.asarray(x, dtype=np.float64)\n"
                         "    return 0.5 * x * (1.0 + special.erf(x / np.sqrt(2.0)))"),
    ], {"q1": 1, "q2": 3, "q3": 2, "q4": 2, "q5": 4}),
    # GELU's minimum from a minimiser of GELU itself (x* only to ~1e-8: the minimum is flat), and
    # x σ(kx)'s by a root search on a fixed bracket (misses x* = u*/k for small k, and large k's digits).
    "minima_not_worked_out": ("05_gelu", [
        ("def sigmoid_gelu_minimum(", "res = optimize.minimize_scalar(lambda t: float(gelu(np.array([t]))[0]), bounds=(-2.0, 0.0),\n"
                                      "                               method='bounded', options={'xatol': 1e-12})\n"
                                      "gelu_minimum = (float(res.x), float(res.fun))\n\n\n"
                                      "def sigmoid_gelu_minimum(k):\n"
                                      "    d = lambda x: float(sigma(k * x) * (1.0 + k * x * sigma(-k * x)))\n"
                                      "    x = optimize.brentq(d, -10.0, -1e-3)\n"
                                      "    return float(x), float(x * sigma(k * x))"),
    ], {"q1": 3, "q2": 3, "q3": 2, "q4": 2, "q5": 2}),
    # Mish'' with sech² as 1 - tanh²: right in the middle, 0 instead of tiny values in the right tail.
    "mish_grad2_cancels": ("06_mish_autograd", [
        ("def mish_grad2(", "mish_dd0 = 16 / 25\n\n\n"
                            "def mish_grad2(x):\n    t = torch.tanh(torch.nn.functional.softplus(x))\n"
                            "    sig = torch.sigmoid(x)\n"
                            "    return sig * (1 - t * t) * (2.0 + x * (1 - sig) - 2.0 * x * sig * t)"),
    ], {"q1": 2, "q2": 5, "q3": 2, "q4": 2}),
    # Mish''(0) read off a wrong second derivative (half the true one); mish_grad2 right.
    "mish_dd0_half": ("06_mish_autograd", [
        ("def mish_grad2(", "mish_dd0 = 0.32\n\n\n"
                            "def mish_grad2(x):\n    s = torch.logaddexp(x, torch.zeros_like(x))\n"
                            "    e = torch.exp(-2.0 * s)\n    sech2 = 4.0 * e / (1.0 + e) ** 2\n    sig = torch.sigmoid(x)\n"
                            "    return sig * sech2 * (2.0 + x * torch.sigmoid(-x) - 2.0 * x * sig * torch.tanh(s))"),
    ], {"q1": 2, "q2": 5, "q3": 2, "q4": 3}),
    # the mean-field second moment E[f²] instead of the variance: right only where the mean is 0
    # (SELU's own constants), wrong for the others.
    "selu_second_moment_map": ("07_selu_fixed_point", [
        ("def selu_variance_fixed_point(", "def selu_variance_fixed_point(lam, alpha):\n"
            "    f = lambda z: lam * np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))\n"
            "    m2 = lambda v: gaussian_moments(lambda z: f(z) ** 2, 0.0, v)[0]\n"
            "    nu = optimize.brentq(lambda v: m2(v) - v, 1e-4, 1e4, xtol=1e-14, rtol=1e-14)\n"
            "    h = 1e-5 * nu\n"
            "    return float(nu), float((m2(nu + h) - m2(nu - h)) / (2 * h))"),
    ], {"q1": 3, "q2": 3, "q3": 2, "q4": 1}),
    # the right fixed point, but a one-sided difference with a large step for the slope
    "selu_slope_coarse": ("07_selu_fixed_point", [
        ("def selu_variance_fixed_point(", "def selu_variance_fixed_point(lam, alpha):\n"
            "    f = lambda z: lam * np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))\n"
            "    V = lambda v: gaussian_moments(f, 0.0, v)[1]\n"
            "    nu = optimize.brentq(lambda v: V(v) - v, 1e-4, 1e4, xtol=1e-14, rtol=1e-14)\n"
            "    return float(nu), float((V(nu + 1e-2) - V(nu)) / 1e-2)"),
    ], {"q1": 3, "q2": 3, "q3": 2, "q4": 2}),
    # the slope taken as χ = σ_w² E[f'(Z)²] (the gradient's factor): 1 for ReLU, wrong for the others
    "preserving_init_chi": ("08_choosing_activations", [
        ("def preserving_init(", "def preserving_init(activation):\n    from scipy import integrate\n"
            "    a = acts.get(activation)\n"
            "    e = lambda h: sum(integrate.quad(lambda z: h(z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi), lo, hi)[0]\n"
            "                      for lo, hi in ((-np.inf, 0.0), (0.0, np.inf)))\n"
            "    s2 = 1.0 / e(lambda z: float(a.f(np.float64(z))) ** 2)\n"
            "    return float(s2), float(s2 * e(lambda z: float(a.df(np.float64(z))) ** 2))"),
    ], {"q1": 2, "q2": 2, "q3": 2, "q4": 2, "q5": 2}),
    # Mish'' by a double backward through the student's own Function: torch.autograd.grad is blocked
    # in q4 (0 points; without the block it would score 2: 1 - tanh² cancels in the right tail).
    "mish_grad2_autograd": ("06_mish_autograd", [
        ("def mish_grad2(", "mish_dd0 = 16 / 25\n\n\n"
                            "def mish_grad2(x):\n    x = x.detach().clone().requires_grad_()\n"
                            "    (d1,) = torch.autograd.grad(mish(x).sum(), x, create_graph=True)\n"
                            "    (d2,) = torch.autograd.grad(d1.sum(), x)\n    return d2.detach()"),
    ], {"q1": 2, "q2": 5, "q3": 2, "q4": 0}),
    # x σ(kx)'s minimum from a root search on acts' swish derivative
    "minimum_from_acts_swish": ("05_gelu", [
        ("def sigmoid_gelu_minimum(", "gelu_minimum = (-0.7517915246935644, -0.16997120747990369)\n\n\n"
                                      "def sigmoid_gelu_minimum(k):\n"
                                      "    df = acts.get('swish').df\n"
                                      "    x = optimize.brentq(lambda t: float(df(np.float64(t), beta=k)), -3.0 / k, -0.5 / k, xtol=1e-300, rtol=1e-15)\n"
                                      "    return float(x), float(x * sigma(k * x))"),
    ], {"q1": 3, "q2": 3, "q3": 2, "q4": 2, "q5": 0}),
    # ... and from acts' property table (reading a blocked activation's props counts as a call)
    "minimum_from_acts_props": ("05_gelu", [
        ("def sigmoid_gelu_minimum(", "gelu_minimum = tuple(acts.get('gelu').props['minimum'])\n\n\n"
                                      "def sigmoid_gelu_minimum(k):\n"
                                      "    x, y = acts.get('swish').props['minimum']\n"
                                      "    return float(x / k), float(y / k)"),
    ], {"q1": 3, "q2": 3, "q3": 2, "q4": 2, "q5": 0}),
    # invented accuracies (the red team's F1): train returns the untrained network, the scores and
    # the table are made up to look like an experiment. The grader scores the returned networks
    # itself, so q2 and q3's hidden test fail; q3's form test and q4 (conclude on any table) pass.
    "invented_accuracies": ("08_choosing_activations", [
        ("def train(", "def train(activation, depth, seed, epochs=5, lr=0.1, batch=32):\n"
                       "    return make_mlp(activation, depth, seed=seed)"),
        ("def train_and_score(", "def train_and_score(activation, depth, seed, **training):\n"
            "    base = {'sigmoid': 0.1, 'tanh': 0.92, 'relu': 0.89, 'gelu': 0.9}[activation] if depth > 1 else 0.95\n"
            "    return float(base + 0.01 * ((seed * 7) % 5 - 2))"),
    ], {"q1": 2, "q2": 0, "q3": 1, "q4": 2, "q5": 3}),
    # another recipe: Adam for 20 epochs trains even the six-layer sigmoid network, which five
    # epochs of SGD at lr 0.1 do not: q2's hidden test fails, and q3's (its table is SGD's).
    "train_with_adam": ("08_choosing_activations", [
        ("def train(", "def train(activation, depth, seed, epochs=5, lr=0.1, batch=32):\n"
                       "    net = make_mlp(activation, depth, seed=seed)\n"
                       "    opt = torch.optim.Adam(net.parameters(), lr=1e-2)\n"
                       "    gen = torch.Generator().manual_seed(seed)\n"
                       "    for _ in range(20):\n"
                       "        perm = torch.randperm(len(X_train), generator=gen)\n"
                       "        for i in range(0, len(perm), batch):\n"
                       "            idx = perm[i:i + batch]\n"
                       "            opt.zero_grad()\n"
                       "            nn.functional.cross_entropy(net(X_train[idx]), y_train[idx]).backward()\n"
                       "            opt.step()\n"
                       "    return net"),
        ("results = {name:", "SEEDS = range(10)\nresults = " + repr({n: [0.1 if n == 'sigmoid' else 0.9] * 10
                                                                   for n in ('sigmoid', 'tanh', 'relu', 'gelu')})),
    ], {"q1": 2, "q2": 1, "q3": 1, "q4": 2, "q5": 3}),
    # the variance-preserving σ_w² from course.labs.mean_field (one call, blocked), slope right
    "preserving_init_mean_field": ("08_choosing_activations", [
        ("def preserving_init(", "def preserving_init(activation):\n    from scipy import integrate\n    from course import labs\n"
            "    a = acts.get(activation)\n"
            "    s2 = 1.0 / labs.mean_field(activation, 1.0, 2)['q'][1]\n"
            "    e = lambda h: sum(integrate.quad(lambda z: h(z) * np.exp(-z * z / 2) / np.sqrt(2 * np.pi), lo, hi, epsabs=1e-14, epsrel=1e-13, limit=200)[0]\n"
            "                      for lo, hi in ((-np.inf, 0.0), (0.0, np.inf)))\n"
            "    return float(s2), float(s2 * e(lambda z: float(a.f(np.float64(z))) * float(a.df(np.float64(z))) * z))"),
    ], {"q1": 2, "q2": 2, "q3": 2, "q4": 2, "q5": 0}),
}


def test_blank_and_wrong_submissions_score_exactly(built, tmp_path, capsys):
    for name in ASSIGNMENTS:
        shutil.copy(built / name / "student" / f"{name}.ipynb", tmp_path / f"blank_{name}.ipynb")
    for label, (name, edits, _) in WRONG.items():
        nb = _solution(built, name)
        for marker, source in edits:
            _replace_answer(nb, marker, source)
        _write(nb, tmp_path / f"wrong_{label}.ipynb")
    t = time.monotonic()
    grade_folder(tmp_path, build=built, jobs=2, timeout=240, progress=lambda s: None)
    _report(capsys, f"graded {len(ASSIGNMENTS) + len(WRONG)} blank/wrong notebooks in {time.monotonic() - t:.1f} s")
    got = _rows(tmp_path)
    for name in ASSIGNMENTS:
        r = got[f"blank_{name}.ipynb"]
        assert r["status"] == "ok" and r["assignment"] == name, r
        assert float(r["total"]) == 0 and float(r["max"]) == MAX_POINTS[name], r
    for label, (name, _, expected) in WRONG.items():
        r = got[f"wrong_{label}.ipynb"]
        assert r["status"] == "ok", r
        points = {q: float(r[q]) for q in expected}
        assert points == {q: float(v) for q, v in expected.items()}, (label, points, r)
        assert float(r["total"]) == sum(expected.values()), r
    feedback = (tmp_path / "feedback" / "wrong_naive_sigmoid.ipynb.txt").read_text()
    assert "q1: 2 / 4" in feedback and "public tests: 1 of 2 passed" in feedback
    assert "overflow" in feedback  # the failing public test says why
    assert "hidden tests: 1 of 2 passed" in feedback
    for test in _hidden_test_names(EXERCISES / "01_sigmoid.ipynb"):
        assert test not in feedback, "feedback must not show hidden tests"


# --- 3. hostile submissions -----------------------------------------------------------------
def test_hostile_submissions_each_get_a_row(built, tmp_path, capsys):
    build = tmp_path / "build"  # a copy: one submission below attacks the autograder zip
    shutil.copytree(built, build)
    subs = tmp_path / "class"
    subs.mkdir()
    sol = lambda: _solution(build, "01_sigmoid")  # noqa: E731
    teacher_zip = build / "01_sigmoid" / "01_sigmoid-autograder.zip"
    victim = subs / "good.ipynb"
    _write(sol(), victim)
    naive = lambda: _replace_answer(_replace_answer(  # noqa: E731  (3 points: see WRONG)
        _solution(build, "01_sigmoid"), "def sigmoid(", "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))"),
        "def sigmoid_grad(", "def sigmoid_grad(x):\n    s = sigmoid(x)\n    return s * (1 - s)")
    marker = f"daemon-{uuid.uuid4().hex}"
    hidden = _hidden_test_names(EXERCISES / "01_sigmoid.ipynb")

    cases = {
        "raises": "1 / 0",
        # an endless loop (sleeping, so that the test does not burn a core while it waits)
        "loop": "import time\nwhile True:\n    time.sleep(0.1)",
        "exit_calls": "import sys\ntry:\n    sys.exit(1)\nexcept SystemExit:\n    pass\nimport os\nos._exit(0)",
        "prints_100mb": "print('x' * 100_000_000)",
        "daemon": f"import subprocess\nsubprocess.Popen(['sh', '-c', '(setsid sleep 300 {marker} &)'])",
    }
    for label, code in cases.items():
        _write(_insert_after(sol(), "def sigmoid(", code), subs / f"{label}.ipynb")
    _write(_insert_after(sol(), "def sigmoid(", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"),
           subs / "killed_kernel.ipynb")
    attacks = {
        # look for the hidden tests everywhere, then try to overwrite the teacher's files
        "attacks_grader": (
            "import os\nfound = []\n"
            "for top, dirs, files in os.walk('/'):\n"
            "    dirs[:] = [d for d in dirs if os.path.join(top, d) not in ('/proc', '/sys', '/dev', '/usr')\n"
            "               and d not in ('.venv', '.pyenv')]\n"
            "    for f in files:\n"
            "        try: text = open(os.path.join(top, f), 'rb').read(1 << 20).decode('utf-8', 'replace')\n"
            "        except OSError: continue\n"
            f"        if any(t in text for t in {hidden!r}): found.append(os.path.join(top, f))\n"
            "print('FOUND', found)\n"
            f"for p in ({str(teacher_zip)!r}, {str(victim)!r}, {str(EXERCISES / '01_sigmoid.ipynb')!r}):\n"
            "    try: open(p, 'w').write('{}')\n    except OSError as e: print('refused', p, e)\n"),
        # make every comparison pass and otter's runner pass everything
        "forges_checks": (
            "import numpy\nnumpy.allclose = lambda *a, **k: True\nnumpy.array_equal = numpy.allclose\n"
            "import otter.test_files.exception_test as et\net.ExceptionTestFile.run = lambda *a, **k: None\n"),
    }
    for label, code in attacks.items():
        _write(_insert_after(naive(), "def sigmoid_grad(", code), subs / f"{label}.ipynb")
    shortcut = _replace_answer(sol(), "def sigmoid(", "from scipy.special import expit as fast\n\n"
                                                     "def sigmoid(x):\n    return fast(x)")
    _write(shortcut, subs / "shortcut.ipynb")
    (subs / "invalid_json.ipynb").write_text('{"cells": [')
    (subs / "zero_bytes.ipynb").write_bytes(b"")
    (subs / "not_a_notebook.ipynb").write_text("[1, 2, 3]")
    (subs / "binary.ipynb").write_bytes(bytes(range(256)))
    empty = nbformat.v4.new_notebook(metadata={"otter": {"assignment_name": "01_sigmoid"}})
    _write(empty, subs / "empty.ipynb")
    _write(_solution(build, "02_tanh"), subs / "01_sigmoid" / "tanh_in_sigmoid_folder.ipynb")
    other = sol()
    other.metadata["otter"]["assignment_name"] = "99_no_such_assignment"
    _write(other, subs / "unknown_assignment.ipynb")

    before = _digests(subs)
    zip_before = teacher_zip.read_bytes()
    source_before = (EXERCISES / "01_sigmoid.ipynb").read_bytes()
    messages = []
    t = time.monotonic()
    # generous limits (the machine may be loaded): only the endless loop should reach the cell limit
    grade_folder(subs, build=build, jobs=2, timeout=240, cell_timeout=20, progress=messages.append)
    _report(capsys, f"graded {len(before)} hostile notebooks in {time.monotonic() - t:.1f} s")
    got = _rows(subs)
    assert len(got) == len(before) and all(r["status"] for r in got.values()), got

    def row(name):
        return got[name]

    full = str(MAX_POINTS["01_sigmoid"])
    assert (row("good.ipynb")["status"], row("good.ipynb")["total"]) == ("ok", full)
    r = row("raises.ipynb")
    assert (r["status"], r["total"]) == ("ok", full) and "ZeroDivisionError" in r["reason"]
    r = row("loop.ipynb")  # the looping cell is interrupted at the per-cell limit; the rest is graded
    assert (r["status"], r["total"]) == ("timeout", full) and "interrupted" in r["reason"], r
    r = row("exit_calls.ipynb")  # sys.exit() ends its cell; os._exit() is refused: the notebook is graded
    assert (r["status"], r["total"]) == ("ok", full) and "os._exit() is not allowed" in r["reason"], r
    r = row("killed_kernel.ipynb")  # its process is gone before any question: nothing to grade
    assert (r["status"], r["total"]) == ("crashed", "0") and "process ended" in r["reason"], r
    assert (row("prints_100mb.ipynb")["status"], row("prints_100mb.ipynb")["total"]) == ("ok", full)
    assert (subs / "feedback" / "prints_100mb.ipynb.txt").stat().st_size < 10_000
    assert (row("daemon.ipynb")["status"], row("daemon.ipynb")["total"]) == ("ok", full)
    assert not [p for p in Path("/proc").glob("[0-9]*") if _cmdline_has(p, marker)], "the daemon outlived grading"

    # the attacks change nothing: exactly the naive answers' 6 points, the teacher's files untouched
    for name in attacks:
        assert (row(f"{name}.ipynb")["status"], row(f"{name}.ipynb")["total"]) == ("ok", "6"), row(f"{name}.ipynb")
    assert teacher_zip.read_bytes() == zip_before and (EXERCISES / "01_sigmoid.ipynb").read_bytes() == source_before
    assert not any("restored" in m for m in messages), messages
    assert _digests(subs) == before, "a submission file was modified"
    r = row("shortcut.ipynb")  # q1 and q2 (which uses the student's sigmoid) call scipy.special.expit
    assert (r["status"], r["q1"], r["q2"]) == ("ok", "0", "0") and "scipy.special.expit" in r["reason"], r

    for name, why in [("invalid_json.ipynb", "invalid JSON"), ("zero_bytes.ipynb", "empty"),
                      ("not_a_notebook.ipynb", "not a notebook"), ("binary.ipynb", "not a notebook")]:
        assert (row(name)["status"], row(name)["total"]) == ("invalid", ""), row(name)
        assert why in row(name)["reason"], row(name)
    r = row("empty.ipynb")
    assert (r["status"], r["assignment"], r["total"], r["max"]) == ("empty", "01_sigmoid", "0", full), r
    r = row("01_sigmoid/tanh_in_sigmoid_folder.ipynb")
    assert r["status"] == "wrong_assignment" and "02_tanh" in r["reason"] and "01_sigmoid" in r["reason"], r
    r = row("unknown_assignment.ipynb")
    assert r["status"] == "unknown_assignment" and "99_no_such_assignment" in r["reason"], r
    for name in got:
        assert (subs / "feedback" / f"{name}.txt").is_file(), name


def _cmdline_has(proc: Path, text: str) -> bool:
    try:
        return text.encode() in (proc / "cmdline").read_bytes()
    except OSError:
        return False


def test_a_hang_that_ignores_the_alarm_is_stopped(built, tmp_path, monkeypatch):
    nb = _insert_after(_solution(built, "01_sigmoid"), "def sigmoid(",
                       "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nwhile True:\n    time.sleep(0.1)")
    subs, work = tmp_path / "subs", tmp_path / "work"
    work.mkdir()
    _write(nb, subs / "hang.ipynb")
    monkeypatch.setenv("TMPDIR", str(work))  # the grading workers' temporary folders go here
    grade_folder(subs, build=built, jobs=1, timeout=15, cell_timeout=5, progress=lambda s: None)
    r = _rows(subs)["hang.ipynb"]
    assert (r["status"], r["total"], r["max"]) == ("timeout", "0", str(MAX_POINTS["01_sigmoid"])), r
    assert "time limit of 15 s" in r["reason"], r
    assert not list(work.glob("sandbox-*")), "the sandbox's folder was not removed"
    if os.geteuid() == 0:  # sandboxes run as uids above FIRST_UID
        assert not _sandbox_processes(), "the submission's process is still running"


def test_a_grading_worker_that_dies_ends_no_run(built, tmp_path):
    """A worker killed mid-run (as the out-of-memory killer would): the run goes on, and the
    submissions it was grading are graded again, one at a time."""
    import signal
    import threading

    import psutil

    subs = tmp_path / "subs"
    for k in range(4):
        _write(_solution(built, "01_sigmoid"), subs / f"s{k}.ipynb")
    killed = []

    def kill_a_worker_once_it_grades():
        me = psutil.Process()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for child in me.children():
                try:
                    worker = any("multiprocessing" in part for part in child.cmdline())
                    if worker and any(c.name() == "bwrap" for c in child.children(recursive=True)):
                        child.send_signal(signal.SIGKILL)
                        killed.append(child.pid)
                        return
                except psutil.Error:  # a process that ended while we looked
                    pass
            time.sleep(0.02)

    killer = threading.Thread(target=kill_a_worker_once_it_grades, daemon=True)
    killer.start()
    lines = []
    grade_folder(subs, build=built, jobs=2, progress=lines.append)
    killer.join()
    assert killed, "no worker was seen grading"
    assert any("a grading worker died" in line for line in lines), lines
    rows = _rows(subs)
    assert sorted(rows) == [f"s{k}.ipynb" for k in range(4)]
    for r in rows.values():
        assert (r["status"], r["total"]) == ("ok", str(MAX_POINTS["01_sigmoid"])), r


def _sandbox_processes() -> list[str]:
    """Orphaned sandbox processes: a uid above FIRST_UID whose grading process (pid = uid -
    FIRST_UID) is gone. Sandboxes of other tests running now belong to live processes."""
    found = []
    for p in Path("/proc").glob("[0-9]*"):
        try:
            uid = int((p / "status").read_text().split("Uid:")[1].split()[0])
        except (OSError, IndexError, ValueError):
            continue
        if uid >= sandbox.FIRST_UID and not Path(f"/proc/{uid - sandbox.FIRST_UID}").exists():
            found.append(p.name)
    return found


# --- small pieces, no grading -----------------------------------------------------------------
def test_read_submission_rejects_non_notebooks():
    assert read_submission(b"")[1].startswith("the file is empty")
    assert "invalid JSON" in read_submission(b"{")[1]
    assert "UTF-8" in read_submission(b"\xff\xfe\x00")[1]
    assert "cells" in read_submission(b'{"a": 1}')[1]
    nb, why = read_submission(nbformat.writes(nbformat.v4.new_notebook()).encode())
    assert why is None and nb.cells == []


def test_cells_tagged_skip_when_grading_are_not_run():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1"), nbformat.v4.new_markdown_cell("x"),
                                         nbformat.v4.new_code_cell("sweep()", metadata={"tags": ["skip-when-grading"]}),
                                         nbformat.v4.new_code_cell("b = 2")])
    assert code_cells(nb) == [(1, "a = 1"), (4, "b = 2")]
    tagged = [c for c in _nb(EXERCISES / "08_choosing_activations.ipynb").cells
              if "skip-when-grading" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "for lr in" in tagged[0].source  # a demonstration, defines nothing
    assert not re.search(r"^\w+\s*=", tagged[0].source, flags=re.M)


def test_grades_csv_cells_are_never_formulas(tmp_path):
    from grading.grade import Row, write_csv

    rows = [Row(file='=HYPERLINK("http://x","y").ipynb', status="invalid", reason="+1 and -1 @ the reason"),
            Row(file="plain.ipynb", status="invalid", reason="not a notebook")]
    write_csv(tmp_path / "g.csv", rows, {})
    with open(tmp_path / "g.csv", newline="", encoding="utf-8") as f:
        got = list(csv.DictReader(f))
    assert got[0]["file"].startswith("'=") and got[0]["reason"].startswith("'+")
    assert got[1]["file"] == "plain.ipynb" and got[1]["reason"] == "not a notebook"


def test_the_sandbox_uid_is_nobody_elses():
    uid = sandbox.sandbox_uid()
    assert uid >= sandbox.FIRST_UID and not sandbox._uid_in_use(uid)
    assert sandbox._uid_in_use(0)  # root is in /etc/passwd


def test_which_assignment():
    known = {"01_sigmoid": None, "02_tanh": None}
    nb = nbformat.v4.new_notebook(metadata={"otter": {"assignment_name": "02_tanh"}})
    bare = nbformat.v4.new_notebook()
    assert which_assignment(nb, Path("x.ipynb"), known, None)[:2] == ("02_tanh", None)
    assert which_assignment(nb, Path("x.ipynb"), known, "01_sigmoid")[1] == "wrong_assignment"
    assert which_assignment(nb, Path("01_sigmoid/x.ipynb"), known, None)[1] == "wrong_assignment"
    assert which_assignment(bare, Path("alice_01_sigmoid.ipynb"), known, None)[:2] == ("01_sigmoid", None)
    assert which_assignment(bare, Path("alice.ipynb"), known, "02_tanh")[:2] == ("02_tanh", None)
    assert which_assignment(bare, Path("alice.ipynb"), known, None)[1] == "unknown_assignment"


def test_command_line_writes_csv_and_feedback(built, tmp_path):
    (tmp_path / "broken.ipynb").write_text("nope")
    out = subprocess.run([sys.executable, "-m", "grading", "grade", str(tmp_path), "--build", str(built)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "[1/1] broken.ipynb" in out.stdout and "Graded 1 notebook(s)" in out.stdout
    row = _rows(tmp_path)["broken.ipynb"]
    assert row["status"] == "invalid"
    header = (tmp_path / "grades.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["file", "assignment"] and header[-4:] == ["total", "max", "status", "reason"]
    assert "q1" in header
    assert (tmp_path / "feedback" / "broken.ipynb.txt").read_text().startswith("Feedback for broken.ipynb")
