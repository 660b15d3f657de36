"""Grade ONE submission with otter's local runner; run as a separate process.

    python -m grading.worker job.json

``job.json`` (written by :mod:`grading.grade`) names the prepared copy of the
submission, a copy of the autograder zip, the result file to write and the limits.
The parent process owns the time limit: it kills this process (and the kernel) when
the submission runs too long, so nothing here has to survive that.

The submission is graded by ``otter.run.main`` (what ``otter run`` calls), with two
additions made in this process only: nbclient interrupts a cell that runs longer than
``cell_timeout`` (the notebook then goes on with the next cell, so an infinite loop in
one answer costs that answer, not the whole grade), and the shell-reply wait is done
in short polls (:func:`grading.kernel.poll_shell_replies_in_slices`).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import traceback
from pathlib import Path

from grading.kernel import poll_shell_replies_in_slices

MAX_MESSAGE = 600  # characters kept from one test or error message


def _short(text: str, limit: int = MAX_MESSAGE) -> str:
    text = str(text).strip()
    return text if len(text) <= limit else text[: limit - 20] + " … [truncated]"


def _patch_executor(cell_timeout: float, timed_out: list[int]):
    """Per-cell timeout with interrupt, and the sliced reply wait, for otter's executor."""
    import nbconvert.preprocessors as pre

    base = pre.ExecutePreprocessor

    class GradingExecutor(base):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.timeout = int(cell_timeout)
            self.interrupt_on_timeout = True
            self.record_timing = False

        async def _async_handle_timeout(self, timeout, cell=None):
            index = cell.get("metadata", {}).get("grader_index") if cell is not None else None
            timed_out.append(-1 if index is None else index)
            return await super()._async_handle_timeout(timeout, cell)

        async def async_start_new_kernel_client(self):
            return poll_shell_replies_in_slices(await super().async_start_new_kernel_client())

    pre.ExecutePreprocessor = GradingExecutor


def _cell_problems(nb) -> list[str]:
    """Errors raised by the submission's own cells (by the cell's index in the submission)."""
    out = []
    for cell in nb.cells:
        index = cell.get("metadata", {}).get("grader_index")
        if index is None or cell.cell_type != "code":
            continue
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                out.append(f"cell {index}: {o.get('ename')}: {_short(o.get('evalue', ''), 200)}")
    return out


def _question_results(results) -> dict:
    questions = {}
    for name, tf in results.results.items():
        public, hidden = [], []
        for r in tf.test_case_results:
            if r.test_case.hidden:
                hidden.append(bool(r.passed))
            else:
                public.append({"name": r.test_case.name or "", "passed": bool(r.passed),
                               "message": "" if r.passed else _short(r.message)})
        questions[name] = {"score": float(tf.score), "possible": float(tf.possible),
                           "public": public, "hidden": hidden}
    return questions


def main(job_path: str) -> int:
    job = json.loads(Path(job_path).read_text())
    out = Path(job["result"])
    timed_out: list[int] = []
    _patch_executor(job["cell_timeout"], timed_out)

    import otter.run

    log = io.StringIO()
    record: dict = {"questions": {}, "errors": [], "timed_out_cells": [], "crash": None}
    try:
        with contextlib.redirect_stdout(log):
            results = otter.run.main(job["submission"], autograder=job["autograder"], output_dir=None,
                                     no_logo=True)
        record["questions"] = _question_results(results)
        if results.notebook is not None:
            record["errors"] = _cell_problems(results.notebook)
        if results.catastrophic_error is not None:
            record["crash"] = _short(f"{type(results.catastrophic_error).__name__}: {results.catastrophic_error}")
    except Exception as exc:  # the kernel died, otter refused the notebook, ...
        name = type(exc).__name__
        record["crash"] = _short(f"{name}: {exc}")
        record["crash_type"] = name
        record["traceback"] = _short(traceback.format_exc(), 4000)
    record["timed_out_cells"] = timed_out
    record["log"] = _short(log.getvalue(), 4000)
    out.write_text(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
