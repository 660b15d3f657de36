"""How fast a class is graded: ``make grade-bench`` (``python -m grading bench``).

Generates a class of submissions of one assignment from its solution and student notebooks (a
mix: solutions, blank notebooks, and solutions with one answer broken) and grades them with
``grade_folder`` as ``make grade`` would, in a temporary folder. Prints the time per submission
and what a class of 200 would take with the same number of workers; ``--all`` does it for every
assignment. The numbers go to ``bench/results-grading.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import tempfile
import time
from pathlib import Path

import nbformat

from . import BUILD, ROOT
from .grade import grade_folder, load_assignments

RESULTS = ROOT / "bench" / "results-grading.json"
CLASS = 200


def make_class(name: str, n: int, folder: Path, build: Path = BUILD) -> dict[str, int]:
    """n submissions of ``name`` in ``folder``: 60% solutions, 20% blank, 20% with the first
    answer cell's last line replaced by ``return None``."""
    solution = nbformat.read(build / name / "solution" / f"{name}.ipynb", as_version=4)
    blank = nbformat.read(build / name / "student" / f"{name}.ipynb", as_version=4)
    kinds = {"solution": 0, "blank": 0, "broken": 0}
    for i in range(n):
        kind = "blank" if i % 5 == 1 else "broken" if i % 5 == 3 else "solution"
        nb = blank if kind == "blank" else nbformat.from_dict(json.loads(json.dumps(solution)))
        if kind == "broken":
            for cell in nb.cells:
                if cell.cell_type == "code" and re.search(r"^\s+return ", cell.source, flags=re.M):
                    cell.source = re.sub(r"^(\s+)return .*$", r"\1return None", cell.source, count=1, flags=re.M)
                    break
        nb.metadata.setdefault("otter", {})["assignment_name"] = name
        nbformat.write(nb, folder / f"student{i:03d}.ipynb")
        kinds[kind] += 1
    return kinds


def bench_one(name: str, n: int, jobs: int, timeout: float) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"grade-bench-{name}-") as tmp:
        folder = Path(tmp)
        kinds = make_class(name, n, folder)
        t0 = time.monotonic()
        rows = grade_folder(folder, assignment=name, jobs=jobs, timeout=timeout, progress=lambda s: None)
        elapsed = time.monotonic() - t0
    statuses = {s: sum(r.status == s for r in rows) for s in {r.status for r in rows}}
    per = elapsed / n
    return {"assignment": name, "submissions": n, "workers": jobs, "seconds": round(elapsed, 1),
            "seconds_per_submission": round(per, 2), "class_of_200_minutes": round(per * CLASS / 60, 1),
            "kinds": kinds, "statuses": statuses}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m grading bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("--assignment", default="01_sigmoid")
    ap.add_argument("--all", action="store_true", help="every assignment (with --n each)")
    ap.add_argument("-n", "--n", type=int, default=CLASS, help=f"submissions per assignment (default {CLASS})")
    ap.add_argument("--jobs", type=int, default=None, help="workers (default: one per core)")
    ap.add_argument("--timeout", type=float, default=300.0)
    args = ap.parse_args(argv)
    jobs = args.jobs or os.cpu_count() or 1
    names = sorted(load_assignments()) if args.all else [args.assignment]
    results = []
    for name in names:
        r = bench_one(name, args.n, jobs, args.timeout)
        results.append(r)
        print(f"{name}: {r['submissions']} submissions in {r['seconds']:.0f} s with {jobs} worker(s): "
              f"{r['seconds_per_submission']:.2f} s each; a class of {CLASS}: {r['class_of_200_minutes']:.1f} min "
              f"(goal: 10) — {r['statuses']}", flush=True)
    RESULTS.parent.mkdir(exist_ok=True)
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(),
               "processor": platform.processor() or platform.machine()}
    # keep earlier results of other (assignment, class size) pairs measured on this machine
    old = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    keep = [r for r in old.get("results", []) if old.get("machine") == machine and
            (r["assignment"], r["submissions"]) not in {(n["assignment"], n["submissions"]) for n in results}]
    RESULTS.write_text(json.dumps({"machine": machine, "results": sorted(keep + results, key=lambda r: (
        r["assignment"], -r["submissions"]))}, indent=1) + "\n")
    print(f"written: {RESULTS.relative_to(ROOT)}")
    return 0
