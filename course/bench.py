r"""Benchmarks of the ``acts`` forms: ``python -m course.bench`` (``make bench``).

One run measures, side by side and on the same inputs:

* **torch**: forward and forward+backward of every ``acts`` torch form and of torch's own op
  (or, where torch has none, the plain torch composition a user would write), eager and under
  ``torch.compile``, on 1e3, 1e5 and 1e7 float32 elements; the peak memory of forward+backward
  at the largest size; the compile times;
* **numpy**: the ``acts`` numpy forms against the ``scipy.special`` ufuncs (``expit``,
  ``log_expit``, ``ndtr``-based GELU, ``softmax``) and against the code of source article 002
  (the list-comprehension leaky ReLU, the naive ``tanh``);
* **CUDA** (when a device is present): achieved GB/s of every measurement against the
  device's peak memory bandwidth (the roofline fraction), and a plain copy as the practical
  ceiling.

It prints the ratio tables and writes everything to ``bench/results-<device>.json``
(``cpu`` or ``cuda``), which the chapter *Activations and the hardware* reads: the book never
needs a GPU, nor a benchmark run, to build.

Conventions
-----------
* **Timing**: the median over blocks of calls (a block is long enough, ≥ 2 ms, to be timed
  reliably; at least ``--min-blocks`` blocks and ``--min-time`` seconds per measurement),
  after a warm-up call (which, for the compiled forms, compiles). For one torch case and
  size the blocks of the implementations are timed in turns, so that a change in the
  machine's load hits all of them alike. CUDA work is synchronised.
* **fwd+bwd** is a training step: ``y = f(x)`` then ``torch.autograd.grad(y, inputs, g)``
  with a preallocated upstream gradient ``g``; **fwd** is its forward pass alone (the
  inputs require grad, so the compiled forms run the forward of their training graph and
  one compiled graph serves both measurements).
* **Allocator** (CPU, glibc): the timings run with freed memory kept and reused (no
  ``mmap``; see :func:`cpu_allocator`), as a caching allocator does; otherwise each 40 MB
  tensor would start on fresh pages and the page faults would cost more than the kernels.
* **Threads**: one CPU thread by default (``--threads``), so the ratios do not depend on what
  else runs on the machine; absolute CPU times vary between machines and are reported as
  ratios.
* **Memory** (CPU, measured last, at 1e6 elements, with large allocations ``mmap``\ ped and
  returned when freed): the rise of the process's peak resident memory (``VmHWM``, reset
  through ``/proc/self/clear_refs``, free heap memory returned first with ``malloc_trim``) during one
  forward+backward, in units of one float32 tensor of the input's size. On CUDA:
  ``torch.cuda.max_memory_allocated``. Outputs and input gradients count, the preallocated
  input and upstream gradient do not.
* **Bytes moved** (for GB/s): the minimum traffic, each tensor read or written once per pass:
  fwd reads the inputs and writes ``y``; fwd+bwd adds a backward that reads the inputs and
  ``g`` and writes the input gradients.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = [
    "SIZES", "TorchCase", "torch_cases", "numpy_cases", "run", "main", "load_results",
    "results_path", "ratio_table", "half_precision_table",
]

SIZES = (10**3, 10**5, 10**7)
ROW = 1000  # row length of the row-wise activations (softmax family, gated units, maxout)
SCHEMA = 1
MEMORY_SIZE_CPU = 10**6  # peak memory on the CPU is measured at this size (see memory_phase)


# ---------------------------------------------------------------------------------------
# Cases
# ---------------------------------------------------------------------------------------
@dataclass
class TorchCase:
    """One line of the torch tables.

    ``acts_fn(*inputs)`` and ``native_fn(*inputs)`` compute the same thing (the compiled
    ``acts`` form is built by :func:`_compiled_acts`). ``native`` describes the
    torch side; ``native_kind`` is ``"op"`` (torch's own kernel) or ``"composed"`` (torch has
    no such op: the plain composition of torch ops a user would write) or ``None``.
    """

    label: str
    name: str
    params: dict
    native: str | None
    native_kind: str | None
    make: Callable  # (n, device, dtype, gen) -> tuple of tensors (x first)
    acts_fn: Callable
    native_fn: Callable | None
    differentiable: bool = True
    note: str = ""


def _fresh(fn: Callable, name: str) -> Callable:
    """A copy of ``fn`` with its own code object: Dynamo keeps one compile cache per code
    object, so two cases never share (or exhaust) a cache."""
    code = fn.__code__.replace(co_name=name)
    return types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)


def _safe(label: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in label)


def torch_cases(only: set[str] | None = None) -> list[TorchCase]:
    """The torch cases: every ``acts`` torch form, in registry order, plus bias + GELU."""
    import torch
    import torch.nn.functional as F  # noqa: N812

    import acts

    def flat(n, device, dtype, gen):
        return (torch.randn(n, generator=gen, dtype=torch.float32).mul_(3).to(device=device, dtype=dtype),)

    def rows(n, device, dtype, gen):
        r = max(1, n // ROW)
        return (torch.randn(r, ROW, generator=gen, dtype=torch.float32).mul_(3).to(device=device, dtype=dtype),)

    def with_weight(n, device, dtype, gen):
        (x,) = flat(n, device, dtype, gen)
        return x, torch.full((1,), 0.25, device=device, dtype=dtype)

    def with_bias(n, device, dtype, gen):
        (x,) = rows(n, device, dtype, gen)
        return x, torch.randn(ROW, generator=gen, dtype=torch.float32).to(device=device, dtype=dtype)

    def act(name, **params):
        a = acts.get(name)
        return lambda x: a.torch(x, **params)

    def dice_composed(x, eps=1e-8):
        m = x.mean(0, keepdim=True)
        v = (x - m).square().mean(0, keepdim=True)
        return x * torch.sigmoid((x - m) * torch.rsqrt(v + eps))  # alpha = 0: x·p

    specs = [
        # label, name, params, native text, kind, make, native fn
        ("identity", "identity", {}, "x.clone()", "op", flat, lambda x: x.clone()),
        ("binary_step", "binary_step", {}, "(x >= 0).to(x.dtype)", "composed", flat,
         lambda x: (x >= 0).to(x.dtype)),
        ("sigmoid", "sigmoid", {}, "torch.sigmoid", "op", flat, lambda x: torch.sigmoid(x)),
        ("tanh", "tanh", {}, "torch.tanh", "op", flat, lambda x: torch.tanh(x)),
        ("relu", "relu", {}, "F.relu", "op", flat, lambda x: F.relu(x)),
        ("leaky_relu", "leaky_relu", {}, "F.leaky_relu", "op", flat, lambda x: F.leaky_relu(x, 0.01)),
        ("prelu", "prelu", {}, "F.prelu", "op", with_weight, None),
        ("rrelu", "rrelu", {}, "F.rrelu (eval)", "op", flat, lambda x: F.rrelu(x, 1 / 8, 1 / 3, training=False)),
        ("elu", "elu", {}, "F.elu", "op", flat, lambda x: F.elu(x)),
        ("selu", "selu", {}, "F.selu", "op", flat, lambda x: F.selu(x)),
        ("celu", "celu", {}, "F.celu", "op", flat, lambda x: F.celu(x)),
        ("gelu", "gelu", {}, "F.gelu", "op", flat, lambda x: F.gelu(x)),
        ("gelu[tanh]", "gelu", {"approximate": "tanh"}, "F.gelu(approximate='tanh')", "op", flat,
         lambda x: F.gelu(x, approximate="tanh")),
        ("gelu[sigmoid]", "gelu", {"approximate": "sigmoid"}, "x * torch.sigmoid(1.702 * x)", "composed", flat,
         lambda x: x * torch.sigmoid(1.702 * x)),
        ("swish", "swish", {}, "F.silu", "op", flat, lambda x: F.silu(x)),
        ("mish", "mish", {}, "F.mish", "op", flat, lambda x: F.mish(x)),
        ("softplus", "softplus", {}, "F.softplus", "op", flat, lambda x: F.softplus(x)),
        ("softsign", "softsign", {}, "F.softsign", "op", flat, lambda x: F.softsign(x)),
        ("hardtanh", "hardtanh", {}, "F.hardtanh", "op", flat, lambda x: F.hardtanh(x)),
        ("hardsigmoid", "hardsigmoid", {}, "F.hardsigmoid", "op", flat, lambda x: F.hardsigmoid(x)),
        ("hardswish", "hardswish", {}, "F.hardswish", "op", flat, lambda x: F.hardswish(x)),
        ("relu6", "relu6", {}, "F.relu6", "op", flat, lambda x: F.relu6(x)),
        ("maxout", "maxout", {}, "x.unflatten(-1, (-1, 2)).amax(-1)", "composed", rows,
         lambda x: x.unflatten(-1, (-1, 2)).amax(-1)),
        ("dice", "dice", {}, "x * sigmoid(batch-normalised x)", "composed", rows, dice_composed),
        ("softmax", "softmax", {}, "F.softmax", "op", rows, lambda x: F.softmax(x, dim=-1)),
        ("softmin", "softmin", {}, "F.softmin", "op", rows, lambda x: F.softmin(x, dim=-1)),
        ("log_softmax", "log_softmax", {}, "F.log_softmax", "op", rows, lambda x: F.log_softmax(x, dim=-1)),
        ("glu", "glu", {}, "F.glu", "op", rows, lambda x: F.glu(x, dim=-1)),
        ("swiglu", "swiglu", {}, "a * F.silu(b)", "composed", rows,
         lambda x: (lambda a, b: a * F.silu(b))(*x.chunk(2, dim=-1))),
        ("geglu", "geglu", {}, "a * F.gelu(b)", "composed", rows,
         lambda x: (lambda a, b: a * F.gelu(b))(*x.chunk(2, dim=-1))),
    ]
    out = []
    for label, name, params, native, kind, make, native_fn in specs:
        if only and label not in only and name not in only:
            continue
        if name == "prelu":
            a = acts.get("prelu")
            acts_fn = lambda x, w, a=a: a.torch(x, weight=w)  # noqa: E731
            native_fn = lambda x, w: F.prelu(x, w)  # noqa: E731
        else:
            acts_fn = act(name, **params)
        out.append(TorchCase(
            label, name, params, native, kind, make,
            _fresh(acts_fn, f"acts_{_safe(label)}"),
            _fresh(native_fn, f"native_{_safe(label)}") if native_fn else None,
            differentiable=name != "binary_step",
        ))
    if not only or "bias+gelu" in only:
        g = acts.get("gelu")
        out.append(TorchCase(
            "bias+gelu", "gelu", {}, "F.gelu(x + b)", "op", with_bias,
            _fresh(lambda x, b, g=g: g.torch(x + b), "acts_bias_gelu"),
            _fresh(lambda x, b: F.gelu(x + b), "native_bias_gelu"),
            note="x + b then GELU: two passes eager, one fused kernel compiled",
        ))
    return out


def _compiled_native(case: TorchCase, backend: str) -> Callable:
    """torch.compile of the case's native function (one graph for every size)."""
    import torch

    return torch.compile(case.native_fn, backend=backend, dynamic=True)


def _compiled_acts(case: TorchCase, backend: str) -> Callable:
    """The compiled ``acts`` form of a case (the public path, ``acts.nn.compiled``)."""
    import torch

    from acts.nn import compiled

    if case.label == "bias+gelu":  # the whole x + b → GELU region is compiled (fusion)
        return torch.compile(case.acts_fn, backend=backend, dynamic=True)
    if case.name == "prelu":
        c = compiled("prelu", backend=backend)
        return lambda x, w: c(x, weight=w)
    return compiled(case.name, backend=backend, **case.params)


# ---------------------------------------------------------------------------------------
# Timing and memory
# ---------------------------------------------------------------------------------------
class _Clock:
    """perf_counter with the device synchronised before each reading."""

    def __init__(self, device: str):
        import torch

        self.sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def __call__(self) -> float:
        self.sync()
        return time.perf_counter()


def measure(fn: Callable[[], Any], clock: Callable[[], float], *, min_time: float = 0.2,
            min_blocks: int = 3, max_blocks: int = 25, block_s: float = 2e-3,
            one: float | None = None) -> dict:
    """Median seconds per call of ``fn`` (already warmed up) over blocks of calls.

    A block repeats ``fn`` enough times to last about ``block_s`` (``one``: the duration of
    one call if known, else one call is timed first); blocks are timed until there are
    ``min_blocks`` of them and ``min_time`` has passed (at most ``max_blocks``).
    Returns ``{"median": s, "min": s, "blocks": k, "per_block": calls}``.
    """
    if one is None:
        t0 = clock()
        fn()
        one = clock() - t0
    one = max(one, 1e-7)
    k = max(1, int(block_s / one))
    times: list[float] = []
    start = clock()
    while len(times) < max_blocks and (len(times) < min_blocks or clock() - start < min_time):
        t0 = clock()
        for _ in range(k):
            fn()
        times.append((clock() - t0) / k)
    return {"median": statistics.median(times), "min": min(times), "blocks": len(times), "per_block": k}


_LIBC = None


def _libc():
    """glibc, loaded once (OSError where there is none)."""
    global _LIBC
    if _LIBC is None:
        _LIBC = ctypes.CDLL("libc.so.6")
    return _LIBC


def _malloc_trim() -> None:
    try:
        _libc().malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to trim
        pass


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise OSError(f"{key} not in /proc/self/status")


def cpu_peak_supported() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        _status_kb("VmHWM")
        return True
    except OSError:
        return False


def peak_bytes(step: Callable[[], Any], device: str) -> int | None:
    """The rise of peak memory while ``step()`` runs (its results are dropped first)."""
    import torch

    gc.collect()
    if device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        r = step()
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() - base
        del r
        return int(peak)
    _malloc_trim()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current resident size
        base = _status_kb("VmRSS")
        r = step()
        peak = _status_kb("VmHWM") - base
    except OSError:
        return None
    del r
    return int(peak) * 1024


# ---------------------------------------------------------------------------------------
# The torch benchmark
# ---------------------------------------------------------------------------------------
def _bytes_fwd(inputs, y) -> int:
    return sum(t.numel() * t.element_size() for t in inputs) + y.numel() * y.element_size()


def _bytes_fwd_bwd(inputs, y, grads) -> int:
    back = sum(t.numel() * t.element_size() for t in inputs) + y.numel() * y.element_size()
    back += sum(g.numel() * g.element_size() for g in grads)
    return _bytes_fwd(inputs, y) + back


@dataclass
class _Inputs:
    plain: tuple  # no grad
    leaf: tuple  # requires grad (floating inputs)
    g: Any  # upstream gradient


def _make_inputs(case: TorchCase, n: int, device: str, dtype, seed: int) -> _Inputs:
    import torch

    gen = torch.Generator().manual_seed(seed)
    plain = tuple(t.contiguous() for t in case.make(n, device, dtype, gen))
    leaf = tuple(t.detach().clone().requires_grad_(True) for t in plain)
    with torch.no_grad():
        y = case.acts_fn(*plain)
    g = torch.randn(y.shape, generator=gen, dtype=torch.float32).to(device=device, dtype=dtype)
    return _Inputs(plain, leaf, g)


def _fwd_step(fn, inp: _Inputs):
    """The forward pass as in training: inputs that require grad, graph recorded then dropped."""

    def step():
        return fn(*inp.leaf)

    return step


def _fb_step(fn, inp: _Inputs):
    import torch

    def step():
        y = fn(*inp.leaf)
        return y, torch.autograd.grad(y, inp.leaf, inp.g)

    return step


def _check_same(case: TorchCase, impl: str, out, ref, inp: _Inputs) -> None:
    """Refuse to time two functions that do not compute the same thing: ``out`` (the output
    of the training-mode forward being timed, so that no extra inference graph is compiled)
    against ``ref`` run eagerly."""
    import torch

    with torch.no_grad():
        a, b = out.detach(), ref(*inp.plain)
    if a.shape != b.shape or not torch.allclose(a.float(), b.float(), rtol=2e-4, atol=2e-5, equal_nan=True):
        err = (a.float() - b.float()).abs().max().item() if a.shape == b.shape else "shape"
        raise AssertionError(f"bench {case.label}: {impl} differs from acts eager (max |diff| {err})")


def bench_torch(cases: list[TorchCase], sizes, *, device: str, compile: bool, backend: str,
                min_time: float, min_blocks: int, seed: int, log=print) -> tuple[dict, list]:
    """Times of every case; returns the ``torch`` section of the results and the functions
    (for :func:`memory_phase`).

    Each compiled function is compiled once (``dynamic=True``: one graph for every size) on
    its first call, which is a forward+backward (so the forward and the backward kernels
    are both built then); ``compile_s`` is the wall time of that first call. For one case
    and size, the blocks of all implementations are timed in turns (acts eager, torch
    eager, acts compiled, ..., then again), so that a change in the machine's load affects
    them alike and the ratios stay fair.
    """
    import torch

    dtype = torch.float32
    clock = _Clock(device)
    rows, compile_s, all_impls = [], {}, []
    for case in cases:
        t_case = time.perf_counter()
        impls = {"acts": {"eager": case.acts_fn}}
        if case.native_fn is not None:
            impls["native"] = {"eager": case.native_fn}
        if compile:
            impls["acts"]["compiled"] = _compiled_acts(case, backend)
            if case.native_fn is not None:
                impls["native"]["compiled"] = _compiled_native(case, backend)
        all_impls.append((case, impls))
        for n in sizes:
            inp = _make_inputs(case, n, device, dtype, seed)
            row = {"case": case.label, "size": n, "time_s": {}, "bytes": {}}
            configs = []  # (impl, mode, what, step, calls per block)
            for impl, modes in impls.items():
                for mode, fn in modes.items():
                    steps = {"fwd": _fwd_step(fn, inp)}
                    if case.differentiable:  # fwd+bwd first: it compiles both passes
                        steps = {"fwd_bwd": _fb_step(fn, inp), **steps}
                    for what, step in steps.items():
                        t0 = clock()
                        r = step()  # warm-up (compiles on the first call)
                        first = clock() - t0
                        if mode == "compiled" and impl not in compile_s.get(case.label, {}):
                            compile_s.setdefault(case.label, {})[impl] = round(first, 3)
                            t0 = clock()
                            r = step()
                            first = clock() - t0
                        if what == "fwd":
                            row["bytes"]["fwd"] = _bytes_fwd(inp.plain, r)
                            if n == sizes[0] and (impl, mode) != ("acts", "eager"):
                                _check_same(case, f"{impl} {mode}", r, case.acts_fn, inp)
                        else:
                            row["bytes"]["fwd_bwd"] = _bytes_fwd_bwd(inp.leaf, r[0], r[1])
                        del r
                        configs.append((impl, mode, what, step, max(1, int(2e-3 / max(first, 1e-7)))))
            times = [[] for _ in configs]
            # Large sizes: few calls, each exposed to the machine's noise, so at least 5 rounds;
            # but 3 are enough where one round takes long (slow forms, large ratios).
            blocks = max(min_blocks, 5) if n >= 10**6 else min_blocks
            start = clock()
            while len(times[0]) < 25 and (
                len(times[0]) < min(blocks, 3)
                or (len(times[0]) < blocks and clock() - start < 2.0)
                or clock() - start < min_time * len(configs)
            ):
                for (impl, mode, what, step, k), ts in zip(configs, times):
                    t0 = clock()
                    for _ in range(k):
                        step()
                    ts.append((clock() - t0) / k)
            for (impl, mode, what, _, _), ts in zip(configs, times):
                row["time_s"].setdefault(impl, {}).setdefault(mode, {})[what] = statistics.median(ts)
                # the spread of the blocks (quartiles), to tell a real difference from noise
                q1, _, q3 = statistics.quantiles(ts, n=4, method="inclusive") if len(ts) > 1 else (ts[0], None, ts[0])
                row.setdefault("quartiles_s", {}).setdefault(impl, {}).setdefault(mode, {})[what] = [q1, q3]
            rows.append(row)
            del inp
        log(f"  {case.label:<14} {time.perf_counter() - t_case:6.1f} s", flush=True)
    section = {"dtype": "float32", "rows": rows, "compile_s": compile_s,
               "cases": [{"label": c.label, "name": c.name, "params": c.params, "native": c.native,
                          "native_kind": c.native_kind, "differentiable": c.differentiable, "note": c.note}
                         for c in cases]}
    return section, all_impls


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_MMAP_MAX = -1, -3, -4  # glibc mallopt parameters


def cpu_allocator(mode: str) -> bool:
    """Set glibc's malloc for the CPU measurements; True if it could be set (glibc only).

    * ``"reuse"`` (the timings): no ``mmap``, freed memory kept in the heap and reused, as a
      caching allocator does (CUDA's, or jemalloc). With glibc's defaults every allocation of
      more than 32 MB (a 1e7-element float32 tensor is 40 MB) is a fresh ``mmap``, and
      touching its new pages costs more than the kernel that fills them: the benchmark would
      time the operating system's page faults (``copy["clone_fresh_pages"]`` measures that).
    * ``"fresh"``: allocations of 1 MiB or more served by ``mmap`` and returned to the system
      when freed, heap trimmed: the resident size then follows the live memory
      (:func:`memory_phase`), and every large tensor starts on fresh pages.
    """
    try:
        libc = _libc()
        if mode == "reuse":
            ok = libc.mallopt(_M_MMAP_MAX, 0) and libc.mallopt(_M_TRIM_THRESHOLD, 1 << 30)
        elif mode == "fresh":
            ok = (libc.mallopt(_M_MMAP_MAX, 65536) and libc.mallopt(_M_TRIM_THRESHOLD, 128 * 1024)
                  and libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20))
            libc.malloc_trim(0)
        else:
            raise ValueError(f"mode must be 'reuse' or 'fresh', not {mode!r}")
        return bool(ok)
    except (OSError, AttributeError):
        return False


def memory_phase(all_impls, n: int, *, device: str, seed: int, log=print) -> dict | None:
    """Peak memory of one forward+backward of every (case, implementation, mode) at size n:
    ``{"size": n, "tensor_bytes": bytes of one float32 input, "peak_fwd_bwd_bytes":
    {case: {impl: {mode: bytes}}}}``.

    On the CPU, glibc keeps freed heap blocks resident, so the resident size can rise by
    more than what is alive at the peak (a freed temporary's pages plus a new block
    elsewhere). This phase therefore runs last (so that all timings see the default
    allocator), with every allocation of 1 MiB or more served by ``mmap`` and returned to the
    system when freed: then the rise of the resident size is the live memory. (1e6 float32
    elements, 4 MB per tensor, are enough for that and ten times cheaper than 1e7.)
    """
    import torch

    if not (device.startswith("cuda") or cpu_peak_supported()):
        return None
    if not device.startswith("cuda"):
        cpu_allocator("fresh")
    t0 = time.perf_counter()
    out: dict = {"size": n, "tensor_bytes": n * 4, "peak_fwd_bwd_bytes": {}}
    gc.collect()
    gc.freeze()  # the compilers' objects live on: the collection before each measurement skips them
    try:
        for case, impls in all_impls:
            if not case.differentiable:
                continue
            inp = _make_inputs(case, n, device, torch.float32, seed)
            out["tensor_bytes"] = inp.plain[0].numel() * inp.plain[0].element_size()
            peaks = out["peak_fwd_bwd_bytes"][case.label] = {}
            for impl, modes in impls.items():
                for mode, fn in modes.items():  # all compiled and warmed up by the timings
                    peaks.setdefault(impl, {})[mode] = peak_bytes(_fb_step(fn, inp), device)
            del inp
    finally:
        gc.unfreeze()
    log(f"  peak memory    {time.perf_counter() - t0:6.1f} s", flush=True)
    return out


KERNELS = {  # one elementary function per compiled kernel (x·1 is the plain copy)
    "copy (x*1)": lambda x: x * 1.0,
    "exp": lambda x: x.exp(),
    "expm1": lambda x: x.expm1(),
    "log1p(|x|)": lambda x: x.abs().log1p(),
    "tanh": lambda x: x.tanh(),
    "erf": lambda x: x.erf(),
    "erfc": lambda x: x.erfc(),
}


def bench_kernels(sizes, *, device: str, backend: str, min_time: float, min_blocks: int, seed: int) -> dict:
    """Seconds per element of one compiled elementwise kernel per elementary function, at
    each size: at sizes that fit in cache this is the cost of the arithmetic, at 1e7 it
    includes the memory traffic (read 4 bytes, write 4 bytes). It shows which functions
    cost more than moving the data (on a CPU: erfc and tanh)."""
    import torch

    clock = _Clock(device)
    gen = torch.Generator().manual_seed(seed)
    out: dict = {"sizes": list(sizes), "s_per_element": {}}
    for label, fn in KERNELS.items():
        c = torch.compile(_fresh(fn, f"kernel_{_safe(label)}"), backend=backend, dynamic=True)
        row = []
        for n in sizes:
            x = (torch.randn(n, generator=gen) * 3).to(device)
            c(x)
            row.append(measure(lambda: c(x), clock, min_time=min_time, min_blocks=min_blocks)["median"] / n)
        out["s_per_element"][label] = row  # aligned with out["sizes"]
    return out


def copy_bandwidth(n: int, device: str, min_time: float, min_blocks: int) -> dict:
    """GB/s of ``y.copy_(x)`` (read n, write n float32) into a preallocated ``y``, and of
    ``x.clone()`` (the same plus a fresh allocation): the practical memory roof."""
    import torch

    clock = _Clock(device)
    x = torch.randn(n, device=device)
    y = torch.empty_like(x)
    nbytes = 2 * x.numel() * x.element_size()
    out = {"size": n}
    for label, fn in (("copy_", lambda: y.copy_(x)), ("clone", lambda: x.clone())):
        fn()
        m = measure(fn, clock, min_time=min_time, min_blocks=min_blocks)
        out[label] = {"time_s": m["median"], "GBps": nbytes / m["median"] / 1e9}
    return out


def clone_fresh_pages(n: int, min_time: float, min_blocks: int) -> dict:
    """GB/s of ``x.clone()`` with glibc's default allocator, where a tensor of more than
    32 MB is a fresh ``mmap`` each time: the page faults of the new pages included. Run
    before :func:`cpu_allocator` changes anything."""
    import torch

    x = torch.randn(n)
    x.clone()
    m = measure(lambda: x.clone(), _Clock("cpu"), min_time=min_time, min_blocks=min_blocks)
    return {"size": n, "time_s": m["median"], "GBps": 2 * x.numel() * x.element_size() / m["median"] / 1e9}


def cuda_peak_bandwidth() -> dict:
    """The device's theoretical memory bandwidth from its properties (where torch has them)."""
    import torch

    p = torch.cuda.get_device_properties(0)
    out = {"name": p.name, "total_memory": int(p.total_memory)}
    clock_khz = getattr(p, "memory_clock_rate", None)
    bus_bits = getattr(p, "memory_bus_width", None)
    if clock_khz and bus_bits:  # double data rate
        out["peak_GBps"] = 2.0 * clock_khz * 1e3 * bus_bits / 8 / 1e9
        out["memory_clock_khz"], out["memory_bus_width_bits"] = int(clock_khz), int(bus_bits)
    return out


# ---------------------------------------------------------------------------------------
# The numpy benchmark
# ---------------------------------------------------------------------------------------
def _source002():
    """The code of source article 002 (PyTorch series 6), verbatim apart from the names."""

    def sigma(x):
        return 1 / (1 + np.exp(-x))

    def tanh(x):
        return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))

    def relu(x):
        return np.where(x > 0, x, 0)

    def lea_relu(x):
        return np.array([i if i > 0 else 0.01 * i for i in x])

    return {"sigma": sigma, "tanh": tanh, "relu": relu, "lea_relu": lea_relu}


LIST_COMPREHENSION_MAX = 10**5  # the list comprehension is not run above this size


def numpy_cases() -> list[dict]:
    """(label, acts form, reference forms) of the numpy comparison; float64 inputs."""
    from scipy import special

    import acts

    src = _source002()
    sig, sp, ge, sm = (acts.get(n) for n in ("sigmoid", "softplus", "gelu", "softmax"))
    tnh, lr, rl = acts.get("tanh"), acts.get("leaky_relu"), acts.get("relu")
    return [
        {"label": "sigmoid", "acts": sig.f, "layout": "flat",
         "refs": {"scipy.special.expit": special.expit, "source 002 sigma": src["sigma"]}},
        {"label": "softplus", "acts": sp.f, "layout": "flat",
         # log_expit(x) = log σ(x) = −softplus(−x): the same computation, mirrored
         "refs": {"scipy.special.log_expit": special.log_expit, "np.logaddexp(0, x)": lambda x: np.logaddexp(0.0, x)}},
        {"label": "gelu", "acts": ge.f, "layout": "flat",
         "refs": {"x * scipy.special.ndtr(x)": lambda x: x * special.ndtr(x)}},
        {"label": "softmax", "acts": lambda x: sm.f(x, axis=-1), "layout": "rows",
         "refs": {"scipy.special.softmax": lambda x: special.softmax(x, axis=-1)}},
        {"label": "tanh", "acts": tnh.f, "layout": "flat",
         "refs": {"np.tanh": np.tanh, "source 002 tanh": src["tanh"]}},
        {"label": "relu", "acts": rl.f, "layout": "flat",
         "refs": {"source 002 relu": src["relu"]}},
        {"label": "leaky_relu", "acts": lr.f, "layout": "flat",
         "refs": {"source 002 lea_relu": src["lea_relu"]}},
    ]


def bench_numpy(sizes, *, min_time: float, min_blocks: int, seed: int, log=print) -> dict:
    clock = time.perf_counter
    rng = np.random.default_rng(seed)
    rows = []
    for case in numpy_cases():
        t_case = time.perf_counter()
        for n in sizes:
            shape = (n,) if case["layout"] == "flat" else (max(1, n // ROW), ROW)
            x = rng.standard_normal(shape) * 3.0
            row = {"case": case["label"], "size": n, "time_s": {}}
            for label, fn in [("acts", case["acts"]), *case["refs"].items()]:
                if "lea_relu" in label and n > LIST_COMPREHENSION_MAX:
                    continue
                with np.errstate(over="ignore"):  # the naive forms overflow for |x| > 709
                    fn(x)
                    m = measure(lambda: fn(x), clock, min_time=min_time, min_blocks=min_blocks)
                row["time_s"][label] = m["median"]
            rows.append(row)
        log(f"  {case['label']:<14} {time.perf_counter() - t_case:6.1f} s", flush=True)
    return {"dtype": "float64", "rows": rows,
            "list_comprehension_max": LIST_COMPREHENSION_MAX}


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------
def _fmt_size(n: int) -> str:
    e = int(round(math.log10(n)))
    return f"1e{e}" if 10**e == n else str(n)


def ratio_table(results: dict, num=("acts", "eager"), den=("native", "eager"), what="fwd_bwd") -> dict:
    """{case label: {size: time(num)/time(den)}} from a results dict (None where missing)."""
    out: dict = {}
    for row in results["torch"]["rows"]:
        t = row["time_s"]
        try:
            r = t[num[0]][num[1]][what] / t[den[0]][den[1]][what]
        except KeyError:
            r = None
        out.setdefault(row["case"], {})[row["size"]] = r
    return out


def _ratio_str(r) -> str:
    return "    -" if r is None else f"{r:5.2f}"


def format_tables(results: dict) -> str:
    tr = results["torch"]
    sizes = sorted({r["size"] for r in tr["rows"]})
    labels = [c["label"] for c in tr["cases"]]
    lines = []

    def table(title, num, den, whats=("fwd", "fwd_bwd"), mark=None):
        lines.append("")
        lines.append(title)
        head = f"  {'':<14}" + "".join(f" {w[:7]:>7}@{_fmt_size(n):<4}" for w in whats for n in sizes)
        lines.append(head)
        tabs = {w: ratio_table(results, num, den, w) for w in whats}
        for lab in labels:
            cells = []
            for w in whats:
                for n in sizes:
                    r = tabs[w].get(lab, {}).get(n)
                    flag = " "
                    if mark and w == "fwd_bwd" and n == sizes[-1] and r is not None:
                        flag = "*" if r > mark else " "
                    cells.append(f" {_ratio_str(r):>11}{flag}")
            lines.append(f"  {lab:<14}" + "".join(cells))

    table("Eager: acts / torch native (time ratio; < 1 is faster)", ("acts", "eager"), ("native", "eager"))
    if any("compiled" in r["time_s"].get("acts", {}) for r in tr["rows"]):
        table("Compiled acts / eager native (target: fwd+bwd at the largest size <= 1.1; * = missed)",
              ("acts", "compiled"), ("native", "eager"), mark=1.1)
        table("Compiled acts / compiled native", ("acts", "compiled"), ("native", "compiled"))
    mem = tr.get("memory")
    if mem:
        lines.append("")
        lines.append(f"Peak memory of fwd+bwd at {_fmt_size(mem['size'])} (in tensors of the input's size)")
        modes = [("acts", "eager"), ("native", "eager"), ("acts", "compiled"), ("native", "compiled")]
        lines.append(f"  {'':<14}" + "".join(f" {i + ' ' + m:>16}" for i, m in modes))
        u = mem["tensor_bytes"]
        for lab, p in mem["peak_fwd_bwd_bytes"].items():
            cells = []
            for i, m in modes:
                v = p.get(i, {}).get(m)
                cells.append(f" {'-' if v is None else f'{v / u:.2f}':>16}")
            lines.append(f"  {lab:<14}" + "".join(cells))
    if tr.get("compile_s"):
        lines.append("")
        pre = tr.get("precompile_s") or {}
        lines.append("Compile time (s) of forward and backward: the first training call of the timing process"
                     + ("; and of the background compiler, which ran first where it was ahead (its\n"
                        "  figure is the C++ build when Inductor's cache was cold; a cache hit makes the other small)"
                        if pre else ""))
        lines.append(f"  {'':<14} {'acts':>7} {'native':>7}" + (f" {'acts bg':>8} {'native bg':>9}" if pre else ""))
        for lab, d in tr["compile_s"].items():
            p = pre.get(lab, {})
            lines.append(f"  {lab:<14} {d.get('acts', '-'):>7} {d.get('native', '-'):>7}"
                         + (f" {p.get('acts', '-'):>8} {p.get('native', '-'):>9}" if pre else ""))
    npr = results.get("numpy")
    if npr:
        lines.append("")
        lines.append("numpy (float64): time of each reference / time of acts (> 1: acts is faster)")
        for r in npr["rows"]:
            t = r["time_s"]
            cells = ", ".join(f"{k} {t[k] and t[k] / t['acts']:.3g}" for k in t if k != "acts")
            lines.append(f"  {r['case']:<11} {_fmt_size(r['size']):>4}: {cells}")
    ker = results.get("kernels")
    if ker:
        lines.append("")
        lines.append("One compiled kernel per function: ns per element (in cache at small sizes; memory at the largest)")
        ks = ker["sizes"]
        lines.append(f"  {'':<14}" + "".join(f" {_fmt_size(n):>8}" for n in ks))
        for lab, row in ker["s_per_element"].items():
            lines.append(f"  {lab:<14}" + "".join(f" {v * 1e9:8.3f}" for v in row))
    cu = results.get("cuda")
    if cu:
        lines.append("")
        lines.append(f"CUDA {cu['device'].get('name')}: peak {cu['device'].get('peak_GBps', float('nan')):.0f} GB/s, "
                     f"copy_ {cu['copy']['copy_']['GBps']:.0f} GB/s at {_fmt_size(cu['copy']['size'])}")
        for row in tr["rows"]:
            if row["size"] != max(sizes):
                continue
            t = row["time_s"]
            cells = []
            for impl in ("acts", "native"):
                for mode in ("eager", "compiled"):
                    s = t.get(impl, {}).get(mode, {}).get("fwd_bwd")
                    cells.append(f"{impl} {mode} {row['bytes']['fwd_bwd'] / s / 1e9:7.0f}" if s else f"{impl} {mode}       -")
            lines.append(f"  {row['case']:<14} GB/s fwd+bwd: " + ", ".join(cells))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Counting passes (for the chapter): how many kernels eager torch runs
# ---------------------------------------------------------------------------------------
_IGNORED_OPS = ("detach", "alias", "view", "_unsafe_view", "expand", "t.default", "unsqueeze", "squeeze",
                "split", "chunk", "slice", "select", "empty_like", "empty.memory_format", "empty_strided",
                "ones_like", "lift_fresh", "_to_copy_meta")


def count_passes(fn: Callable, *inputs, backward: bool = True) -> dict:
    """The aten kernels eager torch runs for ``fn(*inputs)`` (and its backward with an
    all-ones upstream gradient): each is one pass over memory. Returns
    ``{"fwd": [op names], "bwd": [op names], "fwd_bytes": b, "bwd_bytes": b}`` with the
    bytes of the tensors the kernels write (views and allocations without a kernel are not
    counted). Deterministic: it depends on the code, not on the machine.
    """
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    class _Count(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops, self.nbytes = [], 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            name = str(func.overloadpacket.__name__) if hasattr(func, "overloadpacket") else str(func)
            outs = [t for t in (out if isinstance(out, (tuple, list)) else (out,)) if isinstance(t, torch.Tensor)]
            ignored = any(name == k.split(".")[0] or str(func).endswith(k) for k in _IGNORED_OPS)
            if not ignored and any(t.ndim > 0 for t in outs):  # 0-d results (scalars) are not passes
                self.ops.append(name)
                self.nbytes += sum(t.numel() * t.element_size() for t in outs)
            return out

    leaves = [t.detach().clone().requires_grad_(t.is_floating_point()) for t in inputs]
    with _Count() as fw:
        y = fn(*leaves)
    g = torch.ones_like(y)
    res = {"fwd": fw.ops, "fwd_bytes": fw.nbytes, "bwd": [], "bwd_bytes": 0}
    if backward:
        with _Count() as bw:
            torch.autograd.grad(y, [t for t in leaves if t.requires_grad], g)
        res["bwd"], res["bwd_bytes"] = bw.ops, bw.nbytes
    return res


# ---------------------------------------------------------------------------------------
# Half precision (for the chapter): ulp of the torch forms in float16 / bfloat16
# ---------------------------------------------------------------------------------------
def _all_finite(dtype_name: str, lo: float, hi: float):
    """Every finite value of a 16-bit float dtype in [lo, hi], as float64 (exhaustive)."""
    import torch

    bits = torch.arange(-(2**15), 2**15, dtype=torch.int32).to(torch.int16)
    v = bits.view(getattr(torch, dtype_name)).double()
    v = v[torch.isfinite(v) & (v >= lo) & (v <= hi)]
    return torch.unique(v)  # ±0 collapse to one 0


def _ulp16(v: np.ndarray, dtype_name: str) -> np.ndarray:
    """Spacing of a 16-bit float dtype at |v| (v in float64; the subnormal spacing below)."""
    mant, emin = (10, -14) if dtype_name == "float16" else (7, -126)
    a = np.abs(v)
    e = np.floor(np.log2(np.where(a > 0, a, 1.0)))
    e = np.maximum(e, emin)
    return np.exp2(e - mant)


def half_precision_table(cases, dtypes=("float16", "bfloat16"), lo=-12.0, hi=12.0) -> list[dict]:
    """Max error, in ulp of the half dtype, of f and f' over *every* representable input in
    [lo, hi], for the ``acts`` torch form and (where given) torch's native op, computed in
    that dtype; the reference is the ``acts`` numpy form in float64 (accurate to a few
    float64 ulp, i.e. ~1e-13 of a half-precision ulp). ``cases`` is a list of
    ``(label, name, params, native or None)``. Below the dtype's smallest normal number the
    error is measured in units of the smallest subnormal spacing (the absolute rule).
    ``*_max_rel`` is the largest relative error where the true value is a normal number.
    """
    import torch

    import acts

    out = []
    for dname in dtypes:
        dt = getattr(torch, dname)
        tiny = float(torch.finfo(dt).tiny)
        xs = _all_finite(dname, lo, hi)
        x64 = xs.numpy()
        for label, name, params, native in cases:
            a = acts.get(name)
            ref_f = a.f(x64, **params)
            ref_d = a.df(x64, **params)
            row = {"label": label, "dtype": dname, "n": int(xs.numel())}
            for impl, fn in (("acts", lambda t: a.torch(t, **params)), ("native", native)):
                if fn is None:
                    continue
                x = xs.to(dt).requires_grad_(True)
                y = fn(x)
                (d,) = torch.autograd.grad(y, x, torch.ones_like(y))
                for which, got, ref in (("f", y, ref_f), ("df", d, ref_d)):
                    g = got.detach().double().numpy()
                    with np.errstate(invalid="ignore", divide="ignore"):
                        err = np.abs(g - ref) / _ulp16(ref, dname)
                        rel = np.where(np.abs(ref) >= tiny, np.abs(g - ref) / np.abs(ref), 0.0)
                    both_nan = np.isnan(g) & np.isnan(ref)
                    err, rel = np.where(both_nan, 0.0, err), np.where(both_nan, 0.0, rel)
                    i = int(np.nanargmax(err))
                    row[f"{impl}_{which}_max_ulp"] = float(err[i])
                    row[f"{impl}_{which}_at"] = float(x64[i])
                    row[f"{impl}_{which}_max_rel"] = float(np.nanmax(rel))
            out.append(row)
    return out


# ---------------------------------------------------------------------------------------
# Running and saving
# ---------------------------------------------------------------------------------------
def _machine(device: str) -> dict:
    import scipy
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "device": device, "cpu": cpu, "cpu_count": os.cpu_count(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "threads": torch.get_num_threads(),
        "python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
        "scipy": scipy.__version__, "platform": platform.platform(),
    }
    if device.startswith("cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _loadavg():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def results_path(device: str, root: str | Path = ".") -> Path:
    return Path(root) / "bench" / f"results-{device}.json"


def load_results(root: str | Path = ".") -> dict[str, dict]:
    """The committed results files, by device (``{}`` when there are none)."""
    out = {}
    for p in sorted((Path(root) / "bench").glob("results-*.json")):
        out[p.stem.removeprefix("results-")] = json.loads(p.read_text())
    return out


def precompile(labels, *, device: str, backend: str, seed: int = 0) -> None:
    """Compile the compiled forms of the given cases (fwd+bwd, as the timings do) and the
    kernel table, to fill Inductor's on-disk caches. :func:`run` starts this in a second
    process on a spare core, so that on a first run (cold caches) the compilation of later
    cases overlaps the timing of earlier ones; the timing process then finds each graph
    compiled (a cache hit costs a fraction of a second instead of seconds of C++ builds).
    """
    import torch

    torch.set_num_threads(1)
    for case in torch_cases(set(labels)):
        if not case.differentiable:
            continue
        inp = _make_inputs(case, min(SIZES), device, torch.float32, seed)
        fns = [_compiled_acts(case, backend)]
        if case.native_fn is not None:
            fns.append(_compiled_native(case, backend))
        for impl, fn in zip(("acts", "native"), fns):
            t0 = time.perf_counter()
            _fb_step(fn, inp)()
            print(json.dumps({"case": case.label, "impl": impl, "s": round(time.perf_counter() - t0, 3)}), flush=True)
    for label, fn in KERNELS.items():
        torch.compile(_fresh(fn, f"kernel_{_safe(label)}"), backend=backend, dynamic=True)(torch.randn(1000))


def _start_precompile(cases, *, device: str, backend: str, seed: int):
    """The background compiler of :func:`precompile` (None where no spare core exists)."""
    if device != "cpu" or (os.cpu_count() or 1) < 2:
        return None
    # not the first case: the timing process compiles that one at once itself
    labels = ",".join(c.label for c in cases[1:] if c.differentiable)
    if not labels:
        return None
    cmd = [sys.executable, "-m", "course.bench", "--precompile", "--only", labels, "--backend", backend,
           "--device", device]
    # One compiler thread, at low priority: it must not take the timing process's core.
    env = {**os.environ, "TORCHINDUCTOR_COMPILE_THREADS": "1"}
    return subprocess.Popen(cmd, env=env, preexec_fn=lambda: os.nice(10), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            cwd=str(Path(__file__).resolve().parents[1]))


def run(*, device: str = "cpu", sizes=SIZES, only=None, compile: bool = True, backend: str = "inductor",
        threads: int | None = 1, min_time: float = 0.05, min_blocks: int = 3, seed: int = 0,
        numpy_part: bool = True, torch_part: bool = True, precompile: bool = True, log=print) -> dict:
    """Run the benchmarks and return the results dict (see the module docstring).

    ``precompile``: on a CPU with a spare core, compile in a background process ahead of the
    timings (see :func:`precompile`); it only fills caches, the timed code is the same."""
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device='cuda' but torch.cuda.is_available() is False; use device='cpu'")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', not {device!r}")
    if threads is not None:
        torch.set_num_threads(int(threads))
    fresh = clone_fresh_pages(max(sizes), min_time, min_blocks) if device == "cpu" and torch_part else None
    heap_reuse = device == "cpu" and cpu_allocator("reuse")  # see cpu_allocator
    sizes = tuple(int(n) for n in sizes)
    t_start = time.perf_counter()
    res: dict = {"schema": SCHEMA, "machine": _machine(device), "load_average_start": _loadavg(),
                 "sizes": list(sizes), "settings": {"min_time_s": min_time, "min_blocks": min_blocks,
                                                    "compile": compile, "backend": backend, "seed": seed,
                                                    "cpu_heap_reuse": heap_reuse}}
    if torch_part:
        cases = torch_cases(set(only) if only else None)
        log(f"torch on {device}: {len(cases)} cases, sizes {', '.join(map(_fmt_size, sizes))}"
            f"{', compiled with ' + backend if compile else ''}", flush=True)
        helper = _start_precompile(cases, device=device, backend=backend, seed=seed) if compile and precompile else None
        res["settings"]["background_precompile"] = helper is not None
        try:
            res["torch"], all_impls = bench_torch(cases, sizes, device=device, compile=compile, backend=backend,
                                                  min_time=min_time, min_blocks=min_blocks, seed=seed, log=log)
        finally:
            if helper is not None:
                if helper.poll() is None:  # done with the timings: not needed now
                    helper.kill()
                out, _ = helper.communicate()
                pre = res["torch"].setdefault("precompile_s", {}) if "torch" in res else {}
                for line in out.splitlines():
                    try:
                        d = json.loads(line)
                    except ValueError:
                        continue
                    pre.setdefault(d["case"], {})[d["impl"]] = d["s"]
        res["copy"] = copy_bandwidth(max(sizes), device, min_time, min_blocks)
        if fresh is not None:
            res["copy"]["clone_fresh_pages"] = fresh
        if compile:
            res["kernels"] = bench_kernels(sorted({min(sizes), 10**5, max(sizes)}), device=device, backend=backend,
                                           min_time=min_time, min_blocks=min_blocks, seed=seed)
        if device.startswith("cuda"):
            res["cuda"] = {"device": cuda_peak_bandwidth(), "copy": res["copy"]}
    if numpy_part and device == "cpu":
        log("numpy (float64):", flush=True)
        res["numpy"] = bench_numpy(sizes, min_time=min_time, min_blocks=min_blocks, seed=seed, log=log)
    if torch_part:  # last: it changes the allocator's settings (see memory_phase)
        mem_n = max(sizes) if device.startswith("cuda") else MEMORY_SIZE_CPU
        res["torch"]["memory"] = memory_phase(all_impls, mem_n, device=device, seed=seed, log=log)
    res["load_average_end"] = _loadavg()
    res["wall_s"] = round(time.perf_counter() - t_start, 1)
    return res


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m course.bench", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available, else cpu)")
    p.add_argument("--sizes", default=None, help="comma-separated element counts (default 1e3,1e5,1e7)")
    p.add_argument("--only", default=None, help="comma-separated case labels or names (default: all)")
    p.add_argument("--no-compile", action="store_true", help="skip the torch.compile measurements")
    p.add_argument("--backend", default="inductor", help="torch.compile backend (default inductor)")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1; 0 = torch's default)")
    p.add_argument("--min-time", type=float, default=0.05, help="seconds per measurement, at least")
    p.add_argument("--min-blocks", type=int, default=3, help="timed blocks per measurement, at least")
    p.add_argument("--quick", action="store_true", help="tiny sizes, one block: checks that it runs")
    p.add_argument("--no-numpy", action="store_true", help="skip the numpy comparison")
    p.add_argument("--out", default=None, help="results file (default bench/results-<device>.json; '-' = none)")
    p.add_argument("--no-precompile", action="store_true",
                   help="do not compile ahead in a background process (see course.bench.precompile)")
    p.add_argument("--precompile", action="store_true", help=argparse.SUPPRESS)  # the background process
    a = p.parse_args(argv)
    import torch

    if a.precompile:
        precompile(a.only.split(",") if a.only else [c.label for c in torch_cases(None)],
                   device=a.device or "cpu", backend=a.backend)
        return 0

    device = a.device or ("cuda" if torch.cuda.is_available() else "cpu")
    sizes = [int(float(s)) for s in a.sizes.split(",")] if a.sizes else list(SIZES)
    min_time, min_blocks = a.min_time, a.min_blocks
    if a.quick:
        sizes = [int(float(s)) for s in a.sizes.split(",")] if a.sizes else [1000, 4000]
        min_time, min_blocks = 0.0, 1
    elif device == "cuda" and not a.sizes:
        sizes = list(SIZES) + [10**8]  # 1e7 float32 (40 MB) fits in a large GPU's L2 cache
    res = run(device=device, sizes=sizes, only=a.only.split(",") if a.only else None,
              compile=not a.no_compile, backend=a.backend, threads=a.threads or None,
              min_time=min_time, min_blocks=min_blocks, numpy_part=not a.no_numpy,
              precompile=not (a.no_precompile or a.quick))
    print(format_tables(res))
    print(f"\nload average {res['load_average_start']} -> {res['load_average_end']}; wall {res['wall_s']} s")
    out = a.out if a.out is not None else (None if a.quick else str(results_path(device)))
    if out and out != "-":
        Path(out).parent.mkdir(parents=True, exist_ok=True)
        Path(out).write_text(json.dumps(res, indent=1, sort_keys=False) + "\n")
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
