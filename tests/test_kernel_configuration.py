"""Every notebook records the CPU kernel configuration its outputs were made with
(`make execute`), and `make test` checks them under a different one."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for d in ("chapters", "exercises") for p in (ROOT / d).rglob("*.ipynb")
                   if "student" not in p.parts and ".ipynb_checkpoints" not in p.parts)


def current() -> dict:
    return {"cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "MKL_CBWR": os.environ.get("MKL_CBWR", "")}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_outputs_record_their_kernels_and_are_checked_under_others(path):
    made = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("outputs_made_with")
    assert made and made["cpu_capability"], f"{path}: no outputs_made_with metadata; run `make execute NB={path}`"
    if os.environ.get("ACTS_LAB_RESULTS"):  # under make test
        now = current()
        assert (made["cpu_capability"], made["MKL_CBWR"]) != (now["cpu_capability"], now["MKL_CBWR"]), (
            f"{path} was executed under the kernel configuration make test checks it with ({now}): "
            f"the check would not see outputs that depend on the kernels")
