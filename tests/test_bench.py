"""Smoke tests of the benchmark code (course/bench.py): tiny sizes, one block, no timing claims.

The benchmark itself is ``make bench``; nothing here asserts a speed. These tests check that
every case runs and computes the same thing as its reference, that the results have the shape
the chapter reads, and that the helpers measure what they say.
"""

import json
import math

import numpy as np
import pytest
import torch

import acts
from course import bench

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated:DeprecationWarning")


def test_every_acts_torch_form_has_a_case():
    labels = {c.label for c in bench.torch_cases()}
    names = {c.name for c in bench.torch_cases()}
    assert names == set(acts.names())
    assert {"gelu[tanh]", "gelu[sigmoid]", "bias+gelu"} <= labels


def test_every_case_agrees_with_its_reference():
    """A case whose native function computed something else would give a meaningless ratio."""
    gen = torch.Generator().manual_seed(3)
    for case in bench.torch_cases():
        inputs = case.make(2000, "cpu", torch.float32, gen)
        with torch.no_grad():
            ours = case.acts_fn(*inputs)
            if case.native_fn is not None:
                theirs = case.native_fn(*inputs)
                torch.testing.assert_close(ours, theirs, rtol=2e-4, atol=2e-5, msg=case.label)


def test_quick_run_has_the_shape_the_chapter_reads(tmp_path):
    res = bench.run(device="cpu", sizes=[1000, 3000], only=["relu", "prelu", "binary_step", "softmax", "bias+gelu"],
                    compile=True, backend="eager", min_time=0.0, min_blocks=1, numpy_part=True, precompile=False,
                    log=lambda *a, **k: None)
    json.loads(json.dumps(res))  # serialisable
    assert res["copy"]["clone_fresh_pages"]["size"] == 3000 and res["settings"]["cpu_heap_reuse"] in (True, False)
    rows = res["torch"]["rows"]
    assert {(r["case"], r["size"]) for r in rows} == {(c, n) for c in ("relu", "prelu", "binary_step", "softmax", "bias+gelu")
                                                      for n in (1000, 3000)}
    for r in rows:
        for impl in ("acts", "native"):
            for mode in ("eager", "compiled"):
                whats = r["time_s"][impl][mode]
                assert whats["fwd"] > 0
                assert ("fwd_bwd" in whats) == (r["case"] != "binary_step")
                for what, (q1, q3) in r["quartiles_s"][impl][mode].items():
                    assert 0 < q1 <= whats[what] <= q3, (r["case"], impl, mode, what)
    relu = next(r for r in rows if r["case"] == "relu" and r["size"] == 3000)
    assert relu["bytes"] == {"fwd": 2 * 3000 * 4, "fwd_bwd": 5 * 3000 * 4}  # x, y; x, g, gx
    mem = res["torch"]["memory"]
    if mem is not None:  # needs /proc/self/clear_refs
        assert mem["size"] == bench.MEMORY_SIZE_CPU and mem["tensor_bytes"] == 4 * bench.MEMORY_SIZE_CPU
        assert set(mem["peak_fwd_bwd_bytes"]) == {"relu", "prelu", "softmax", "bias+gelu"}  # not binary_step
        for case, peaks in mem["peak_fwd_bwd_bytes"].items():
            for impl in ("acts", "native"):
                for mode in ("eager", "compiled"):  # output + gradient at least, never more than a dozen
                    assert 1.4 <= peaks[impl][mode] / mem["tensor_bytes"] <= 12, (case, impl, mode)
    table = bench.ratio_table(res, ("acts", "compiled"), ("native", "eager"))
    assert set(table) == {"relu", "prelu", "softmax", "bias+gelu", "binary_step"}
    assert table["binary_step"][1000] is None and table["relu"][1000] > 0
    text = bench.format_tables(res)
    for heading in ("Eager: acts / torch native", "Compiled acts / eager native", "Peak memory", "numpy (float64)",
                    "One compiled kernel per function"):
        assert heading in text
    assert set(res["kernels"]["s_per_element"]) == set(bench.KERNELS)
    np_cases = {r["case"] for r in res["numpy"]["rows"]}
    assert np_cases == {c["label"] for c in bench.numpy_cases()}
    lea = [r for r in res["numpy"]["rows"] if r["case"] == "leaky_relu"]
    assert all("source 002 lea_relu" in r["time_s"] for r in lea)
    assert res["machine"]["torch"] == torch.__version__ and res["machine"]["threads"] == 1


def test_numpy_references_compute_what_acts_computes():
    x = np.random.default_rng(0).standard_normal((4, 1000)) * 3
    for case in bench.numpy_cases():
        xx = x if case["layout"] == "rows" else x.ravel()
        ours = case["acts"](xx)
        for label, ref in case["refs"].items():
            got = -ref(-xx) if "log_expit" in label else ref(xx)  # log_expit(x) = -softplus(-x)
            np.testing.assert_allclose(got, ours, rtol=1e-9, atol=1e-12, err_msg=label)


def test_main_writes_the_results_file(tmp_path, capsys):
    out = tmp_path / "bench" / "results-cpu.json"
    assert bench.main(["--quick", "--only", "relu", "--no-compile", "--no-numpy", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert res["sizes"] == [1000, 4000] and "Eager: acts / torch native" in capsys.readouterr().out
    loaded = bench.load_results(tmp_path)
    assert set(loaded) == {"cpu"} and loaded["cpu"]["torch"]["rows"] == res["torch"]["rows"]
    assert bench.load_results(tmp_path / "nowhere") == {}
    with pytest.raises(ValueError, match="cpu"):
        bench.run(device="tpu")


def test_measure_and_peak_memory():
    calls = []
    m = bench.measure(lambda: calls.append(1), lambda: __import__("time").perf_counter(), min_time=0.0, min_blocks=3)
    assert m["blocks"] == 3 and m["median"] > 0 and len(calls) == 1 + 3 * m["per_block"]
    if not bench.cpu_peak_supported():
        pytest.skip("no /proc/self/clear_refs")
    n = 2_000_000  # 8 MB
    peak = bench.peak_bytes(lambda: torch.ones(n), "cpu")
    assert 0.8 * 4 * n <= peak <= 3 * 4 * n


def test_count_passes():
    x = torch.randn(100)
    c = bench.count_passes(torch.nn.functional.gelu, x)
    assert c["fwd"] == ["gelu"] and c["bwd"] == ["gelu_backward"] and c["fwd_bytes"] == 400
    ours = bench.count_passes(acts.get("gelu").torch, x)
    assert len(ours["fwd"]) > 1 and ours["fwd_bytes"] >= 2 * 400  # a formula: several passes


def test_half_precision_table_is_correctly_rounded_for_acts():
    rows = bench.half_precision_table([("sigmoid", "sigmoid", {}, torch.sigmoid)], lo=-12.0, hi=12.0)
    assert [r["dtype"] for r in rows] == ["float16", "bfloat16"]
    for r in rows:
        assert r["acts_f_max_ulp"] <= 0.5 + 1e-3 and r["acts_df_max_ulp"] <= 0.5 + 1e-3
        # torch's sigmoid backward uses the rounded output: σ' = y(1 - y) is 0 once y rounds to 1
        # (from x = 8.3 in float16, 6.2 in bfloat16)
        assert r["native_df_max_rel"] == pytest.approx(1.0)
        assert r["n"] > 10_000
    # the spacing helper agrees with torch's own rounding
    v = np.array([1.0, 3.0, 1e-3, 70000.0])
    assert list(bench._ulp16(v, "bfloat16")) == [2.0**-7, 2.0**-6, 2.0**-17, 2.0**9]
    assert bench._ulp16(np.array([1e-9]), "float16")[0] == 2.0**-24
    assert math.isclose(float(torch.finfo(torch.float16).eps), bench._ulp16(np.array([1.0]), "float16")[0])


def test_background_precompile_reports_each_compiled_form(capsys):
    """The helper process of ``make bench`` compiles the training graph of each form (and of
    torch's op) and reports one JSON line per compiled function; the parent reads those."""
    bench.precompile(["softsign", "binary_step"], device="cpu", backend="aot_eager")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    # binary_step has no gradient: nothing to compile for training
    assert [(d["case"], d["impl"]) for d in lines] == [("softsign", "acts"), ("softsign", "native")]
    assert all(d["s"] >= 0 for d in lines)


def test_cpu_allocator_modes_and_the_fresh_page_measurement():
    """'reuse' keeps freed memory for the next tensor; 'fresh' gives back large blocks (the
    memory phase needs that); a bad mode is refused."""
    if not bench.cpu_allocator("reuse"):
        pytest.skip("not glibc")
    try:
        with pytest.raises(ValueError, match="reuse"):
            bench.cpu_allocator("cached")
        out = bench.clone_fresh_pages(10**5, 0.0, 1)
        assert out["size"] == 10**5 and out["GBps"] > 0
    finally:
        bench.cpu_allocator("fresh")
