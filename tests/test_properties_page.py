"""chapters/properties.ipynb, section 3 (cheap to compute): the timing table is tagged
``nbval-ignore-output`` (timings change from run to run and machine to machine), so the
conclusions the page draws from it are measured again here, with the page's own code, and
checked with generous bounds.

The bounds were set from measurements on the course machine (2 cores, shared) under three
CPU kernel configurations (the machine's own, ``ATEN_CPU_CAPABILITY=default
MKL_CBWR=COMPATIBLE`` and ``ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2``), each alone and next to
a process doing matrix products and large array passes on the other core: some twenty-five
measurements, single ones and medians of three. Across them, torch's dearest of sigmoid, tanh,
GELU and SiLU cost at most 6.1x torch.relu (GELU as little as 0.5x under the default kernels);
NumPy's cheapest of the composed softplus, GELU and Mish at least 12.8x np.maximum and
``scipy.special.expit`` at least 2.7x; the ``acts`` ReLU at least 5.9x torch.relu; one
``Linear(1024, 1024)`` at least 23.8x torch.relu and at least 1.89x the dearest torch
activation. Each check takes the median of three measurements and leaves a margin of at least
1.5x beyond those ranges.
"""

from __future__ import annotations

import contextlib
import io
import json
import statistics
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "chapters" / "properties.ipynb"
EXP_BASED = ("sigmoid", "tanh", "gelu", "swish")
COMPOSED = ("softplus", "gelu", "mish")


def _code_cells() -> list[dict]:
    nb = json.loads(PAGE.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _cell(marker: str) -> dict:
    hits = [c for c in _code_cells() if marker in "".join(c["source"])]
    assert len(hits) == 1, f"{len(hits)} code cells of {PAGE.name} contain {marker!r}"
    return hits[0]


@pytest.fixture(scope="module")
def page():
    """The namespace of the page's timing set-up: its imports, then the cell that defines the
    timed forms and ``median_seconds``."""
    first = "".join(_code_cells()[0]["source"]).splitlines()
    imports = "\n".join(line for line in first if line.startswith(("import ", "from ")))
    setup = "".join(_cell("def median_seconds(")["source"])
    ns: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(imports + "\ntorch.set_num_threads(1)\n" + setup, "<properties set-up>", "exec"), ns)
    return ns


@pytest.fixture(scope="module")
def ratios(page):
    """Three measurements of the ratios the page's conclusions are about (multiples of
    torch.relu, or of np.maximum for the NumPy forms), and their medians."""
    wanted = {("acts", "relu")} | {("numpy", n) for n in ("relu", "sigmoid", *COMPOSED)}
    calls = {k: c for k, c in page["calls"].items() if k[0] == "torch" or k in wanted}
    runs = []
    for _ in range(3):
        s = page["median_seconds"](calls, repeats=9)
        relu, np_relu = s["torch", "relu"], s["numpy", "relu"]
        runs.append({
            "torch exp-based, dearest": max(s["torch", n] for n in EXP_BASED) / relu,
            "numpy composed, cheapest": min(s["numpy", n] for n in COMPOSED) / np_relu,
            "numpy expit": s["numpy", "sigmoid"] / np_relu,
            "acts relu": s["acts", "relu"] / relu,
            "layer": s["torch", "layer"] / relu,
            "layer / dearest torch activation": s["torch", "layer"] / max(s["torch", n] for n in page["forms"]),
        })
    return {k: statistics.median(r[k] for r in runs) for k in runs[0]} | {"runs": runs}


def test_the_timing_cell_is_ignored_by_nbval():
    cell = _cell("seconds = median_seconds(calls)")
    assert "nbval-ignore-output" in cell["metadata"].get("tags", [])


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus", "gelu",
                                  "swish", "mish"])
def test_the_timed_forms_compute_the_activation_in_float32(page, name):
    """A table of costs is only worth reading if every timed form computes the function it
    is named after, in the dtype it claims."""
    import acts

    x = page["x"]
    reference = acts.get(name).f(x.astype(np.float64))
    for lib in ("torch", "numpy"):
        y = page["calls"][lib, name]()
        y = y.numpy() if hasattr(y, "numpy") else y
        assert y.dtype == np.float32 and y.shape == x.shape, (lib, name, y.dtype)
        np.testing.assert_allclose(y, reference, rtol=2e-5, atol=2e-6, err_msg=f"{lib} {name}")
    assert page["calls"]["acts", name]().dtype == np.float32


def test_torch_exp_based_activations_cost_a_few_relus_at_most(ratios):
    assert ratios["torch exp-based, dearest"] < 10, ratios["runs"]


def test_numpy_expressions_cost_many_relus(ratios):
    assert ratios["numpy composed, cheapest"] > 8, ratios["runs"]
    assert ratios["numpy expit"] > 1.5, ratios["runs"]


def test_the_acts_forms_are_references_not_fast_kernels(ratios):
    assert ratios["acts relu"] > 2.5, ratios["runs"]


def test_the_layer_costs_more_than_any_activation(ratios):
    assert ratios["layer"] > 8, ratios["runs"]
    assert ratios["layer / dearest torch activation"] > 1.2, ratios["runs"]
