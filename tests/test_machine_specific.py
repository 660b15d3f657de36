"""The notebook outputs that depend on the CPU's kernels, checked with a tolerance.

nbval compares every cell's output strictly, so a number that legitimately changes from one
x86-64 CPU to another (which vectorised ATen code path, which MKL GEMM path, which libm) is
tagged ``nbval-ignore-output`` and recomputed here with the notebook's own code, then checked
against bounds measured across kernel configurations: the committed outputs (made on the
course machine), this machine's own kernels, ``ATEN_CPU_CAPABILITY=default
MKL_CBWR=COMPATIBLE`` and ``ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2``.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
IGNORE = "nbval-ignore-output"


def _code_cells(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _cell(path: Path, marker: str) -> dict:
    hits = [c for c in _code_cells(path) if marker in "".join(c["source"])]
    assert len(hits) == 1, f"{path.name}: {len(hits)} code cells contain {marker!r}"
    return hits[0]


def _stdout(cell: dict) -> str:
    return "".join("".join(o["text"]) for o in cell.get("outputs", []) if o.get("name") == "stdout")


def _run(cells: list[dict]) -> dict:
    """Run the cells' sources in one namespace (their printing swallowed); return it."""
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        for c in cells:
            exec(compile("".join(c["source"]), "<notebook cell>", "exec"), ns)
    return ns


# --- chapters/hardware.ipynb: the half-precision error table ----------------------------
HARDWARE = ROOT / "chapters" / "hardware.ipynb"
_ROW = re.compile(r"^(\S+) (float16|bfloat16)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\S+)$")


def _committed_half_table(cell: dict) -> dict:
    rows = {}
    for line in _stdout(cell).splitlines():
        if m := _ROW.match(line.strip()):
            rows[(m[1], m[2])] = dict(zip(("acts_f", "native_f", "acts_df", "native_df"), map(float, m.groups()[2:6])))
    return rows


@pytest.fixture(scope="module")
def half_table():
    cell = _cell(HARDWARE, "bench.half_precision_table(")
    assert IGNORE in cell["metadata"].get("tags", []), "the cell is machine-specific: tag it nbval-ignore-output"
    committed = _committed_half_table(cell)
    assert len(committed) == 16, _stdout(cell)
    src = "".join(cell["source"])
    setup = src[: src.index("half = bench.half_precision_table(")]  # the cases, not the printing
    ns = _run([{"source": "import torch\nimport torch.nn.functional as F\nfrom course import bench\n"
                          "torch.set_num_threads(1)\n" + setup}])
    fresh = {(r["label"], r["dtype"]): r for r in ns["bench"].half_precision_table(ns["half_cases"])}
    return committed, fresh


def test_hardware_half_table_has_the_committed_rows(half_table):
    committed, fresh = half_table
    assert sorted(fresh) == sorted(committed)


def test_hardware_acts_half_precision_is_correctly_rounded_everywhere(half_table):
    # Measured: every acts entry within 7e-5 ulp across the configurations (printed: identical).
    committed, fresh = half_table
    for key, r in fresh.items():
        for col in ("acts_f", "acts_df"):
            got = r[f"{col}_max_ulp"]
            assert got <= 0.55, (key, col, got)
            assert abs(got - committed[key][col]) <= 0.015, (key, col, got, committed[key][col])


def test_hardware_torch_sigmoid_tanh_derivatives_from_the_rounded_output(half_table):
    # Structural (where sigma(x) rounds to 1), not a last-bit effect: measured identical to
    # 0.1 ulp in every configuration (2041.8 / 2045.4 ulp in float16, 255.7 / 255.8 in bfloat16).
    committed, fresh = half_table
    for dtype, at_least in (("float16", 1500.0), ("bfloat16", 200.0)):
        for label in ("sigmoid", "tanh"):
            r = fresh[(label, dtype)]
            assert r["native_df_max_rel"] == 1.0, (label, dtype, r)  # an exact 0 where f' > 0
            assert r["native_df_max_ulp"] >= at_least, (label, dtype, r)
            assert r["native_df_max_ulp"] == pytest.approx(committed[(label, dtype)]["native_df"], rel=0.05)


def test_hardware_torch_gelu_cancels_in_bfloat16(half_table):
    # "hundreds of ulp in the left tail": measured 254.4 - 255.7 ulp in every configuration.
    _, fresh = half_table
    for label in ("gelu", "gelu[tanh]"):
        r = fresh[(label, "bfloat16")]
        assert r["native_f_max_ulp"] >= 100 and r["native_df_max_ulp"] >= 100, (label, r)


def test_hardware_torch_half_precision_machine_specific_rows(half_table):
    # The rows that move with the CPU. Measured: swish, mish, softplus, elu 0.50 - 0.53 ulp;
    # float16 GELU value 2.04 ulp (committed, AMD EPYC) and 5.80 (Intel Xeon, AVX-512 or not),
    # its derivative 1.3 - 2.3; gelu[tanh] float16 1.70 - 2.51 (value), 9.0 - 17.3 (derivative);
    # 255.2 ulp was reported for a float16 derivative on an AVX2 machine. Bounds: 1 ulp for the
    # first group, twice the largest seen (512 ulp, a quarter of a 100 % error) for GELU.
    _, fresh = half_table
    for (label, dtype), r in fresh.items():
        for col in ("native_f_max_ulp", "native_df_max_ulp"):
            assert r[col] >= 0.49, (label, dtype, col, r[col])  # nothing beats correct rounding
            if label in ("swish", "mish", "softplus", "elu"):
                assert r[col] <= 1.0, (label, dtype, col, r[col])
            elif dtype == "float16" and label in ("gelu", "gelu[tanh]"):
                assert r[col] <= 512, (label, dtype, col, r[col])


# --- chapters/hardware.ipynb: the roofline of one core ----------------------------------
_ROOF_ROW = re.compile(r"^(\w+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$")


def test_hardware_roofline_reading_holds_on_this_machine():
    # What the prose reads off the roofline, re-measured with the page's code (timings, so
    # bounds). Measured on a shared 2-core Xeon (AVX-512 / avx2 / default kernels): ridge
    # 12 / 7 / 3 FLOP/byte against intensities <= 5/8, and 1.4 - 1.8 with the default kernels
    # while the other core ran tests (make test's two workers): "far left" is at least 2x;
    # copy in cache 0.17 - 0.35 of its time from memory (0.62 once under load); fractions of
    # the roof 0.06 - 1.03; far below the roof (< 0.35) in-cache / copy 1.2 - 16, on it
    # (>= 0.9) 0.18 - 0.85. Under load the whole reading is measured again (up to 3 times).
    measure = _cell(HARDWARE, "peak = matmul_flop_per_s()")
    assert IGNORE in measure["metadata"].get("tags", []), "timings: tag the cell nbval-ignore-output"
    committed = {m[1] for line in _stdout(measure).splitlines() if (m := _ROOF_ROW.match(line.strip()))}
    for _attempt in range(3):  # a busy machine (another test on the other core) distorts timings
        ns = _run([{"source": "import statistics\nimport time\nimport torch\ntorch.set_num_threads(1)\n"},
                   _cell(HARDWARE, "KERNELS = {"), measure])
        problems = _roofline_problems(ns)
        if not problems:
            break
    assert committed == set(ns["points"]), (committed, set(ns["points"]))
    assert not problems, problems


def _roofline_problems(ns) -> list[str]:
    """What the prose reads off the roofline that this measurement contradicts."""
    points, ridge = ns["points"], ns["peak"] / ns["bandwidth"]
    problems = []
    if ridge < 2 * max(p[0] for p in points.values()):
        problems.append(f"not far left of the ridge: ridge {ridge}")
    if ns["in_cache"]["copy"] / ns["from_memory"]["copy"] >= 0.6:
        problems.append("in cache, memory does not cost little: "
                        f"{ns['in_cache']['copy'] / ns['from_memory']['copy']}")
    fractions = {name: p[2] for name, p in points.items()}
    if max(fractions.values()) > 1.35:
        problems.append(f"above the roof (a bound, with noise): {fractions}")
    if max(fractions.values()) < 0.8:
        problems.append(f"no kernel runs at the copy's speed: {fractions}")
    for name, (_, _, fraction, cache_ratio) in points.items():
        if fraction < 0.35 and not cache_ratio > 1.0:  # far below: slower than the copy even in cache
            problems.append(f"{name}: far below the roof but fast in cache ({fraction}, {cache_ratio})")
        if fraction >= 0.9 and not cache_ratio < 1.5:  # on the roof: not well above 1 in cache
            problems.append(f"{name}: on the roof but slow in cache ({fraction}, {cache_ratio})")
    return problems


# --- exercises/08_choosing_activations.ipynb: questions 3 and 4's training runs ---------
EX08 = ROOT / "exercises" / "08_choosing_activations.ipynb"
_ACC = re.compile(r"^\s*(\w+): mean ([\d.]+), 95% CI \[([\d.]+), ([\d.]+)\]; seeds 0-9: ([\d. ]+)$")


@pytest.fixture(scope="module")
def ex08_runs():
    q3, q4 = _cell(EX08, "results = {name: [train_and_score("), _cell(EX08, "deficit = {name: ci95(")
    for cell in (q3, q4):
        assert IGNORE in cell["metadata"].get("tags", []), "the cell is machine-specific: tag it nbval-ignore-output"
    committed = {m[1]: [float(a) for a in m[5].split()] for line in _stdout(q3).splitlines() if (m := _ACC.match(line))}
    assert set(committed) == {"sigmoid", "tanh", "relu", "gelu"}, _stdout(q3)
    assert all(len(accs) == 10 for accs in committed.values()), committed
    best = [line.split()[1] for line in _stdout(q4).splitlines() if line.startswith("best: ")]
    assert len(best) == 1, _stdout(q4)
    ns = _run([_cell(EX08, "def make_mlp("), _cell(EX08, "def train("), _cell(EX08, "def train_and_score(")])
    fresh = {name: [ns["train_and_score"](name, 6, seed) for seed in range(10)] for name in committed}
    return committed, best[0], fresh


def test_ex08_sigmoid_and_tanh_are_the_same_everywhere(ex08_runs):
    # Measured identical (every seed, to the test image) in the committed output, natively and
    # under both other kernel configurations; 0.01 is 6 of 597 images (and the printed rounding).
    committed, _, fresh = ex08_runs
    for name in ("sigmoid", "tanh"):
        assert np.allclose(fresh[name], committed[name], rtol=0, atol=0.01), (name, fresh[name], committed[name])
    assert max(fresh["sigmoid"]) < 0.15, fresh["sigmoid"]  # chance: 10 classes


def test_ex08_relu_and_gelu_within_the_spread_of_cpus(ex08_runs):
    # Chaotic training. Measured ten-seed means 0.735 - 0.770 (relu) and 0.740 - 0.769 (gelu)
    # across the three configurations ("the means move by a few hundredths"); single seeds
    # 0.45 - 0.90, one seed moving by up to 0.34. Tolerance for the mean: twice the spread.
    committed, _, fresh = ex08_runs
    for name in ("relu", "gelu"):
        assert abs(np.mean(fresh[name]) - np.mean(committed[name])) <= 0.07, (name, fresh[name], committed[name])
        assert min(fresh[name]) > 0.3, (name, fresh[name])  # learns on every seed


def test_ex08_conclusion_matches_the_committed_one(ex08_runs):
    # What question 4's solution concludes from these runs. tanh best and the sigmoid at
    # chance hold in every configuration; whether ReLU and GELU are "clearly worse" than
    # tanh does too (lower ends of their deficit intervals +0.007 to +0.043), but with a
    # margin too thin to test: the exercise's text does not claim it, the student finds it.
    from course.labs import ci95

    _, best, fresh = ex08_runs
    top = max(fresh, key=lambda n: np.mean(fresh[n]))
    assert top == best == "tanh", fresh
    assert ci95(np.subtract(fresh[top], fresh["sigmoid"]))[1] > 0.5, fresh
    learned = {n for n, accs in fresh.items() if ci95(accs)[1] > 0.10}
    assert learned == {"tanh", "relu", "gelu"}, fresh
