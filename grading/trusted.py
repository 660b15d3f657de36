"""Grade ONE submission: its code in a sandbox, the tests here.

:func:`grade_cells` is what a grading worker process runs for each submission. The submission's
code cells go to :mod:`grading.runner` in a fresh sandbox (:mod:`grading.sandbox`); the
assignment's tests (otter test files, hidden cases included) never leave this process: otter's
own test runner executes them here, against :class:`grading.remote.RemoteEnvironment`, and the
points are otter's, computed from the values the sandbox sends back. A question whose graded
calls reached one of its reference implementations scores 0, with the call named.
"""

from __future__ import annotations

import copy
import threading
import time
import warnings

from . import remote, sandbox, wire

LIMITS = {"cpu_s": 600, "memory": 6 * 2**30, "processes": 64, "open_files": 256, "file_size": 16 * 2**20}
MAX_MESSAGE = 600


def _short(text: str, limit: int = MAX_MESSAGE) -> str:
    text = str(text).strip()
    return text if len(text) <= limit else text[: limit - 20] + " … [truncated]"


def load_tests(sources: dict[str, str]):
    """{question: otter ExceptionTestFile} from the test files' sources (trusted: the course's)."""
    from otter.test_files.exception_test import ExceptionTestFile

    return {q: ExceptionTestFile.from_string(src, path=f"tests/{q}.py") for q, src in sources.items()}


def grade_cells(cells: list[tuple[int, str]], tests: dict[str, str], references: dict[str, list[str]], *,
                timeout: float, cell_timeout: float, call_timeout: float = 30.0,
                unsafe: bool = False) -> dict:
    """The record of one submission: per question the score and each test's result."""
    record: dict = {"questions": {}, "errors": [], "timed_out_cells": [], "crash": None, "timed_out": False}
    started = time.monotonic()
    box = sandbox.start(unsafe=unsafe)
    watchdog = threading.Timer(timeout, _stop, args=(box, record))
    watchdog.daemon = True
    watchdog.start()
    try:
        wire.send(box.to_runner, {"limits": {**LIMITS, "cpu_s": int(timeout) + 5}})
        hello = wire.receive(box.from_runner, timeout=max(5.0, timeout))
        if not hello.get("ok"):
            raise RuntimeError(f"the runner did not start: {hello}")
        wire.send(box.to_runner, {"op": "run", "cells": cells, "cell_timeout": cell_timeout})
        # The watchdog closes the box at the deadline; the grace keeps this wait from racing it.
        ran = wire.receive(box.from_runner, timeout=max(1.0, timeout - (time.monotonic() - started)) + 2.0)
        record["errors"] = [str(e)[:300] for e in ran.get("errors", [])][:50]
        record["timed_out_cells"] = [i for i in ran.get("timed_out", []) if isinstance(i, int)][:50]
        tests_by_question = load_tests(tests)
        # Every question's public tests first, then the hidden ones: the feedback a student sees
        # (public results and messages) is complete before any hidden input enters the sandbox,
        # where a submission could keep it (in /tmp, say) for a later question's messages.
        parts: dict[str, list[dict]] = {q: [] for q in tests_by_question}
        try:
            for hidden in (False, True):
                for question, test in tests_by_question.items():
                    part = _grade_part(box, question, test, hidden, references.get(question, []), call_timeout)
                    parts[question].append(part)
                    if part.get("error"):  # the sandbox is in an unknown state: the rest is not graded
                        raise remote.SubmissionError(f"grading stopped at {question}: {part['error']}")
        finally:  # a question counts once all its tests ran (after a crash: those before it)
            for question, test in tests_by_question.items():
                if len(parts[question]) == 2 and not any(p.get("error") for p in parts[question]):
                    record["questions"][question] = _result(test, parts[question])
    except (TimeoutError, EOFError, OSError, wire.WireError, remote.SubmissionError, RuntimeError) as exc:
        if time.monotonic() - started >= timeout:  # whatever broke, it broke at the deadline
            record["timed_out"] = True
        if not record["timed_out"]:
            record["crash"] = _crash_reason(exc, box)
    finally:
        watchdog.cancel()
        watchdog.join()  # a close() the watchdog began ends before the next submission can start
        record["log"] = _short(box.log_tail(4000), 4000)
        box.close()
    return record


def _stop(box, record) -> None:
    record["timed_out"] = True
    box.close()


def _crash_reason(exc, box) -> str:
    if isinstance(exc, (EOFError, OSError)):
        return "the submission's process ended before grading finished (killed, out of processes, or crashed)"
    return f"{type(exc).__name__}: {_short(exc, 300)}"


def _result(test, parts: list[dict]) -> dict:
    """One question's record from its graded parts; otter computes the score from the results."""
    test.test_case_results = [r for part in parts for r in part["results"]]
    result = {"score": float(test.score), "possible": float(test.possible), "public": [], "hidden": []}
    for r in test.test_case_results:
        if r.test_case.hidden:
            result["hidden"].append(bool(r.passed))
        else:
            result["public"].append({"name": r.test_case.name or "", "passed": bool(r.passed),
                                     "message": "" if r.passed else _short(r.message)})
    tripped = sorted({t for part in parts for t in part.get("tripped", [])})
    if tripped:
        result["score"], result["tripped"] = 0.0, tripped
    return result


def _grade_part(box, question: str, test, hidden: bool, references: list[str], call_timeout: float) -> dict:
    """Run the public (or the hidden) test cases of one question, in a fresh question child."""
    from otter.test_files.abstract_test import TestCaseResult

    cases = [tc for tc in test.test_cases if tc.hidden == hidden]
    part: dict = {"results": []}
    if not cases:
        return part
    try:
        session = remote.Session(box, question, references, call_timeout=call_timeout)
    except remote.SubmissionError as exc:
        part["error"] = str(exc)
        part["results"] = [TestCaseResult(test_case=tc, message=f"❌ {exc}", passed=False) for tc in cases]
        return part
    subset = copy.copy(test)
    subset.test_cases = cases
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a test that wants warnings turns them into errors itself
        subset.run(session.environment())
    session.close()
    part["results"] = subset.test_case_results
    if session.tripped:
        part["tripped"] = sorted(set(session.tripped))
    if session.broken:
        part["error"] = session.broken
    return part
