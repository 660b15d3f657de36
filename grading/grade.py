"""Grade a folder of submissions: ``make grade SUBMISSIONS=<folder>``.

Every ``.ipynb`` under the folder (``feedback/`` and checkpoints excepted) gets one row
in ``<folder>/grades.csv`` and one feedback file ``<folder>/feedback/<file>.txt``,
whatever the notebook does. The submissions themselves are only read. Worker processes (one
per core by default) grade them in parallel: each submission's code cells run in a fresh
sandbox, the tests run in the worker (:mod:`grading.trusted`), under a time limit per
submission, per cell and per graded call. Grading refuses to start where no sandbox can be
made, unless ``--unsafe-no-sandbox`` is given (every row then says so).

Which assignment a notebook belongs to: the name otter wrote into the student
notebook's metadata (``metadata.otter.assignment_name``); if that is missing, an
assignment name in the file name. If the teacher says which assignment the folder
holds (``ASSIGNMENT=...``, or a sub-folder named after an assignment), a notebook of
another assignment gets the status ``wrong_assignment`` instead of a grade.

Statuses: ``ok`` (graded; the reason lists cells that raised and questions that called a
reference implementation), ``timeout`` (a cell was interrupted at the per-cell limit, the rest
was graded; or the whole submission passed the time limit and was stopped: 0 points),
``crashed`` (the submission's process died or stopped answering: the questions graded before
keep their points, the others get 0), ``empty`` (no code), ``invalid`` (not a notebook),
``wrong_assignment``, ``unknown_assignment``, ``error`` (the grader itself failed on
this submission; the message says why).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import csv
import json
import multiprocessing
import os
import re
import resource
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from . import BUILD, EXERCISES, sandbox

DEFAULT_TIMEOUT = 120.0
REFERENCES = EXERCISES / "references.yml"
UNSAFE_NOTE = "UNSAFE: graded without a sandbox (--unsafe-no-sandbox)"
STATUSES = ("ok", "timeout", "crashed", "empty", "invalid", "wrong_assignment", "unknown_assignment", "error")


# --- assignments ------------------------------------------------------------------------
@dataclass
class Assignment:
    name: str
    zip_bytes: bytes
    questions: dict[str, float]  # question -> points, in order
    tests: dict[str, str] = field(default_factory=dict)  # question -> otter test file (hidden cases too)
    references: dict[str, list[str]] = field(default_factory=dict)  # question -> what it must not call

    @property
    def max_points(self) -> float:
        return sum(self.questions.values())


def _test_files(zip_bytes: bytes) -> dict[str, str]:
    import io

    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as zf:
        names = sorted((n for n in zf.namelist() if re.fullmatch(r"tests/[^/]+\.py", n)), key=_natural)
        return {Path(n).stem: zf.read(n).decode() for n in names}


def _question_points(tests: dict[str, str]) -> dict[str, float]:
    return {q: sum(float(p) for p in re.findall(r"@test_case\(points=([0-9.]+)", src)) for q, src in tests.items()}


def load_references(path: Path = REFERENCES) -> dict[str, dict[str, list[str]]]:
    """{assignment: {question: [reference implementations it must not call]}}."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(a): {str(q): [str(r) for r in refs or []] for q, refs in (qs or {}).items()}
            for a, qs in data.items()}


def _natural(s: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", s)]


def load_assignments(build: Path = BUILD) -> dict[str, Assignment]:
    """The autograders built by ``make student``: ``<build>/<name>/<name>-autograder.zip``."""
    found = {}
    references = load_references()
    for z in sorted(build.glob("*/*-autograder.zip")):
        name = z.parent.name
        data = z.read_bytes()
        tests = _test_files(data)
        found[name] = Assignment(name, data, _question_points(tests), tests, references.get(name, {}))
    if not found:
        raise SystemExit(f"no autograders under {build}: run `make student` first")
    return found


# --- one submission ---------------------------------------------------------------------
@dataclass
class Row:
    file: str
    assignment: str = ""
    points: dict[str, float] = field(default_factory=dict)
    total: float = 0.0
    max: float = 0.0
    status: str = "error"
    reason: str = ""
    seconds: float = 0.0
    detail: dict = field(default_factory=dict)


def _zero(row: Row, a: Assignment | None) -> Row:
    if a is not None:
        row.assignment = a.name
        row.points = {q: 0.0 for q in a.questions}
        row.max = a.max_points
    return row


def read_submission(data: bytes):
    """(notebook, None) or (None, why it is not a gradable notebook)."""
    if not data.strip():
        return None, "the file is empty (0 bytes of notebook JSON)"
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not a notebook: the file is not UTF-8 text"
    except json.JSONDecodeError as exc:
        return None, f"not a notebook: invalid JSON ({exc.msg}: line {exc.lineno} column {exc.colno})"
    if not isinstance(raw, dict) or "cells" not in raw:
        return None, "not a notebook: JSON without a 'cells' list"
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as exc:  # nbformat raises several kinds
        return None, f"not a notebook: {type(exc).__name__}: {str(exc)[:200]}"
    if not isinstance(nb.get("cells"), list):
        return None, "not a notebook: 'cells' is not a list"
    return nb, None


def which_assignment(nb, rel: Path, assignments: dict[str, Assignment], expected: str | None):
    """(assignment name or None, status or None, reason)."""
    meta = nb.get("metadata", {}).get("otter", {}) if isinstance(nb.get("metadata"), dict) else {}
    claimed = meta.get("assignment_name") if isinstance(meta, dict) else None
    if expected is None:
        folders = [p for p in rel.parts[:-1] if p in assignments]
        expected = folders[-1] if folders else None
    if claimed is not None and claimed not in assignments:
        if expected:
            return None, "wrong_assignment", (f"the notebook is for assignment {claimed!r}, which this course "
                                              f"does not have; expected {expected!r}")
        return None, "unknown_assignment", (f"the notebook is for assignment {claimed!r}, which this course "
                                            f"does not have (known: {', '.join(assignments)})")
    if claimed is not None and expected is not None and claimed != expected:
        return None, "wrong_assignment", (f"the notebook is for assignment {claimed!r} but was submitted "
                                          f"for {expected!r}")
    if claimed is not None:
        return claimed, None, ""
    if expected is not None:
        return expected, None, "no assignment name in the notebook's metadata; graded as " + expected
    by_name = [a for a in assignments if a in rel.stem]
    if len(by_name) == 1:
        return by_name[0], None, "no assignment name in the notebook's metadata; graded by its file name"
    return None, "unknown_assignment", ("no assignment name in the notebook's metadata nor in its file name; "
                                        "pass ASSIGNMENT=<name> or put it in a folder named after the assignment")


# A code cell with this tag is a demonstration no question uses (assignment 8's learning-rate
# sweep: 30 trainings): grading leaves it out. Skipping is all a student's own tag could do.
SKIP_TAG = "skip-when-grading"


def code_cells(nb) -> list[tuple[int, str]]:
    """(cell number from 1, source) of every code cell the sandbox runs, in order."""
    return [(i, "".join(cell.get("source", ""))) for i, cell in enumerate(nb.cells, start=1)
            if cell.get("cell_type") == "code" and SKIP_TAG not in (cell.get("metadata", {}).get("tags") or [])]


def grade_one(data: bytes, rel: Path, assignments: dict[str, Assignment], *, expected: str | None,
              timeout: float, cell_timeout: float, unsafe: bool = False) -> Row:
    """Grade one submission, given as the bytes read from the teacher's folder."""
    t0 = time.monotonic()
    row = Row(file=rel.as_posix())
    try:
        nb, why = read_submission(data)
        if nb is None:
            row.status, row.reason = "invalid", why
            if expected in assignments:
                _zero(row, assignments[expected])
            return row
        name, status, note = which_assignment(nb, rel, assignments, expected)
        if name is None:
            row.status, row.reason = status, note
            return row
        a = assignments[name]
        _zero(row, a)
        if not any(c.get("cell_type") == "code" and "".join(c.get("source", "")).strip() for c in nb.cells):
            row.status, row.reason = "empty", "the notebook has no code; nothing to grade"
            return row
        from .trusted import grade_cells

        record = grade_cells(code_cells(nb), a.tests, a.references, timeout=timeout,
                             cell_timeout=cell_timeout, unsafe=unsafe)
        _apply_result(row, record, a, note=note, cell_timeout=cell_timeout, timeout=timeout)
    except Exception as exc:  # a bug or an OS problem on this one submission: record it, go on
        row.status, row.reason = "error", f"the grader failed on this submission: {type(exc).__name__}: {exc}"
    finally:
        row.seconds = time.monotonic() - t0
        if unsafe:
            row.reason = UNSAFE_NOTE + (" | " + row.reason if row.reason else "")
    return row


def _apply_result(row: Row, res: dict, a: Assignment, *, note: str, cell_timeout: float, timeout: float) -> None:
    notes = [note] if note else []
    row.detail = res
    if res.get("timed_out"):
        row.status = "timeout"
        row.reason = (f"stopped after the time limit of {timeout:g} s per submission "
                      "(an endless loop?); 0 points")
        return
    for q, r in res["questions"].items():
        row.points[q] = r["score"]
        if r.get("tripped"):
            notes.append(f"{q}: 0 points: it called {', '.join(r['tripped'])}, a reference implementation "
                         "of what the question asks for")
    row.total = sum(row.points.values())
    timed = list(res.get("timed_out_cells", []))
    if res.get("crash"):
        row.status = "crashed"
        notes.append(f"grading stopped: {res['crash']}")
    elif timed:
        row.status = "timeout"
    else:
        row.status = "ok"
    if timed:
        notes.append(f"{', '.join(f'cell {i}' for i in timed)} ran longer than {cell_timeout:g} s and was "
                     "interrupted; the rest was graded")
    errors = [e for e in res.get("errors", [])]
    if errors:
        shown = "; ".join(errors[:3]) + (f"; and {len(errors) - 3} more" if len(errors) > 3 else "")
        notes.append(f"{len(errors)} cell(s) raised: {shown}")
    missing = [q for q in a.questions if q not in res["questions"]]
    if missing:
        notes.append("not graded: " + ", ".join(missing))
    row.reason = " | ".join(notes)


# --- the batch --------------------------------------------------------------------------
def find_submissions(folder: Path) -> list[Path]:
    skip = {"feedback", ".ipynb_checkpoints"}
    return sorted((p for p in folder.rglob("*.ipynb")
                   if not skip.intersection(p.relative_to(folder).parts[:-1]) and p.is_file()),
                  key=lambda p: _natural(p.relative_to(folder).as_posix()))


# What a grading worker (the trusted side) may allocate: it decodes what sandboxes send, so a
# message built to blow up in memory ends that worker, not the machine. The soft limit only: the
# sandboxes it starts set their own.
WORKER_MEMORY = 4 * 2**30


def _init_worker() -> None:
    """A grading worker: a memory limit, and the test-side libraries imported once."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > WORKER_MEMORY:
        resource.setrlimit(resource.RLIMIT_AS, (WORKER_MEMORY, hard))
    import otter.test_files  # noqa: F401
    import torch

    torch.set_num_threads(1)


def _grade_in_worker(data: bytes, rel: Path, assignments, expected, timeout, cell_timeout, unsafe) -> Row:
    return grade_one(data, rel, assignments, expected=expected, timeout=timeout, cell_timeout=cell_timeout,
                     unsafe=unsafe)


def grade_folder(folder: Path, *, assignment: str | None = None, jobs: int | None = None,
                 timeout: float = DEFAULT_TIMEOUT, cell_timeout: float | None = None,
                 build: Path = BUILD, progress=print, unsafe: bool = False) -> list[Row]:
    """Grade every notebook under ``folder``; write grades.csv and feedback/; return the rows."""
    folder = Path(folder).resolve()
    if not folder.is_dir():
        raise SystemExit(f"not a folder: {folder}")
    if not unsafe:
        missing = sandbox.check()
        if missing:
            raise SystemExit(f"Grading refused: {missing}")
    assignments = load_assignments(build)
    if assignment is not None and assignment not in assignments:
        raise SystemExit(f"unknown assignment {assignment!r}; known: {', '.join(assignments)}")
    paths = find_submissions(folder)
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(paths) or 1))
    cell_timeout = cell_timeout or max(5.0, timeout / 2)
    # The teacher's files, as they are before grading: restored if a submission changes them.
    originals = {p: p.read_bytes() for p in paths}
    originals.update({z: z.read_bytes() for z in build.glob("*/*-autograder.zip")})
    progress(f"Grading {len(paths)} notebook(s) in {folder} with {jobs} worker(s), "
             f"time limit {timeout:g} s per submission ({cell_timeout:g} s per cell)"
             + ("" if not unsafe else f" — {UNSAFE_NOTE}"))
    t0 = time.monotonic()
    rows: list[Row | None] = [None] * len(paths)
    context = multiprocessing.get_context("spawn")
    width = len(str(len(paths)))
    done = 0

    def finished(i: int, row: Row) -> None:
        nonlocal done
        done += 1
        rows[i] = row
        elapsed = time.monotonic() - t0
        eta = elapsed / done * (len(paths) - done)
        score = f"{_fmt(row.total)}/{_fmt(row.max)}" if row.assignment else "-"
        progress(f"[{done:>{width}}/{len(paths)}] {row.file}: {row.assignment or '?'} {score} {row.status} "
                 f"({row.seconds:.1f} s; ETA {eta:.0f} s)" + (f" — {row.reason}" if row.reason else ""))

    def failed(i: int, why: str) -> Row:
        return Row(file=paths[i].relative_to(folder).as_posix(), status="error",
                   reason=f"the grader failed on this submission: {why}")

    def run(pending: list[int], workers: int) -> list[int]:
        """Grade ``pending`` in a pool; what is left when a worker process dies."""
        left = set(pending)
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker) as pool:
            futures = {pool.submit(_grade_in_worker, originals[paths[i]], paths[i].relative_to(folder),
                                   assignments, assignment, timeout, cell_timeout, unsafe): i for i in pending}
            try:
                for future in cf.as_completed(futures):
                    i = futures[future]
                    try:
                        row = future.result()
                    except cf.process.BrokenProcessPool:
                        raise
                    except Exception as exc:
                        row = failed(i, f"{type(exc).__name__}: {exc}")
                    left.discard(i)
                    finished(i, row)
            except cf.process.BrokenProcessPool:
                return sorted(left)
        return []

    left = run(list(range(len(paths))), jobs)
    if left:
        # A worker died (out of memory, killed): grade the rest one at a time, so that a death
        # is the fault of the one submission in the worker.
        progress(f"a grading worker died; grading the {len(left)} remaining submission(s) one at a time")
        for i in left:
            if run([i], 1):
                finished(i, failed(i, "its grading process died (out of memory, or killed)"))
    elapsed = time.monotonic() - t0

    changed = []
    for p, data in originals.items():
        if not p.exists() or p.read_bytes() != data:
            p.write_bytes(data)
            changed.append(p)
    if changed:
        progress("WARNING: a submission changed the teacher's files; restored: "
                 + ", ".join(str(p) for p in changed))
    final = [r for r in rows if r is not None]
    write_csv(folder / "grades.csv", final, assignments)
    write_feedback(folder / "feedback", final, assignments)
    counts = {s: sum(r.status == s for r in final) for s in STATUSES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    progress(f"Graded {len(final)} notebook(s) in {elapsed:.1f} s ({summary}). "
             f"Grades: {folder / 'grades.csv'}; feedback: {folder / 'feedback'}/")
    return final


def _fmt(x: float) -> str:
    return f"{x:g}"


def write_csv(path: Path, rows: list[Row], assignments: dict[str, Assignment]) -> None:
    width = max([len(a.questions) for a in assignments.values()] + [0])
    qcols = [f"q{i}" for i in range(1, width + 1)]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["file", "assignment", *qcols, "total", "max", "status", "reason"])
        for r in rows:
            pts = [""] * width
            if r.assignment:
                for i, q in enumerate(assignments[r.assignment].questions):
                    pts[i] = _fmt(r.points.get(q, 0.0))
            w.writerow([_cell(r.file), r.assignment, *pts, _fmt(r.total) if r.assignment else "",
                        _fmt(r.max) if r.assignment else "", r.status, _cell(r.reason)])


def _cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (a file may be named "=HYPERLINK(...)")."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def feedback_text(r: Row, a: Assignment | None) -> str:
    lines = [f"Feedback for {r.file}", ""]
    if a is None:
        lines += [f"Status: {r.status}", f"Reason: {r.reason}", "", "This notebook was not graded."]
        return "\n".join(lines) + "\n"
    lines += [f"Assignment: {a.name}", f"Score: {_fmt(r.total)} / {_fmt(r.max)}", f"Status: {r.status}"]
    if r.reason:
        lines.append(f"Notes: {r.reason}")
    questions = r.detail.get("questions", {}) if r.status in ("ok", "timeout") else {}
    for q, pts in a.questions.items():
        lines += ["", f"{q}: {_fmt(r.points.get(q, 0.0))} / {_fmt(pts)}"]
        res = questions.get(q)
        if res is None:
            lines.append("  not graded")
            continue
        pub, hid = res["public"], res["hidden"]
        if pub:
            lines.append(f"  public tests: {sum(t['passed'] for t in pub)} of {len(pub)} passed")
            for t in pub:
                if not t["passed"]:
                    lines.append("    " + t["message"].replace("\n", "\n    "))
        if hid:
            lines.append(f"  hidden tests: {sum(hid)} of {len(hid)} passed")
    return "\n".join(lines) + "\n"


def write_feedback(folder: Path, rows: list[Row], assignments: dict[str, Assignment]) -> None:
    folder.mkdir(exist_ok=True)
    for r in rows:
        target = folder / (r.file + ".txt")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(feedback_text(r, assignments.get(r.assignment)), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m grading grade", description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, help="folder of submitted notebooks (searched recursively)")
    ap.add_argument("--assignment", default=None, help="the assignment the folder holds (else read from each notebook)")
    ap.add_argument("--jobs", type=int, default=None, help="parallel workers (default: one per core)")
    ap.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per submission (default 120)")
    ap.add_argument("--cell-timeout", type=float, default=None, help="seconds per cell (default: timeout/2)")
    ap.add_argument("--build", type=Path, default=BUILD, help="where `make student` put the autograders")
    ap.add_argument("--unsafe-no-sandbox", action="store_true",
                    help="run submissions without the sandbox (for a teacher's own tests only; marked on every row)")
    args = ap.parse_args(argv)
    grade_folder(args.folder, assignment=args.assignment or None, jobs=args.jobs, timeout=args.timeout,
                 cell_timeout=args.cell_timeout, build=args.build,
                 progress=lambda s: print(s, flush=True), unsafe=args.unsafe_no_sandbox)
    return 0
