"""Build the student edition: ``make student``.

For every assignment source ``exercises/NN_name.ipynb`` (otter assign format, with
solutions and public + hidden tests) this runs ``otter assign`` and writes::

    _build/exercises/NN_name/student/NN_name.ipynb    what students get: no solutions, public tests only
    _build/exercises/NN_name/solution/NN_name.ipynb   the solution notebook (autograder version)
    _build/exercises/NN_name/NN_name-autograder.zip   what `make grade` grades with (hidden tests included)

and refreshes ``exercises/student/NN_name.ipynb``, the copy of the student notebook
that the book shows (with a download button). The student notebooks are written
without outputs and with stable cell ids, so rebuilding an unchanged assignment gives
byte-identical files.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import re
import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from . import BOOK_COPIES, BUILD, EXERCISES

SOURCE_PATTERN = re.compile(r"\d\d_[a-z0-9_]+\.ipynb")


def sources(folder: Path = EXERCISES) -> list[Path]:
    return sorted(p for p in folder.glob("*.ipynb") if SOURCE_PATTERN.fullmatch(p.name))


def _normalise(nb) -> nbformat.NotebookNode:
    """No outputs, no execution counts, stable ids: the file depends on the source only
    (and not on the kernels that executed it: a student edition has no outputs)."""
    nb.metadata.pop("outputs_made_with", None)
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i:03d}"
        cell.get("metadata", {}).pop("execution", None)
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
    nb.nbformat, nb.nbformat_minor = 4, 5
    nbformat.validate(nb)
    return nb


def _write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def build_one(src: Path, out: Path = BUILD, book: Path | None = BOOK_COPIES) -> dict[str, Path]:
    """otter assign one source notebook; return the paths written."""
    import otter.assign

    name = src.stem
    with tempfile.TemporaryDirectory(prefix=f"assign-{name}-") as tmp:
        dist = Path(tmp) / "dist"
        log = io.StringIO()
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            otter.assign.main(str(src), str(dist), no_pdfs=True, no_run_tests=True)
        student = nbformat.read(dist / "student" / src.name, as_version=4)
        solution = nbformat.read(dist / "autograder" / src.name, as_version=4)
        zips = list((dist / "autograder").glob(f"{name}-autograder_*.zip"))
        if len(zips) != 1:
            raise RuntimeError(f"otter assign wrote {len(zips)} autograder zips for {src}; expected one:\n"
                               + log.getvalue())
        target = out / name
        if target.exists():
            shutil.rmtree(target)
        (target / "student").mkdir(parents=True)
        (target / "solution").mkdir()
        paths = {"student": target / "student" / src.name, "solution": target / "solution" / src.name,
                 "autograder": target / f"{name}-autograder.zip"}
        student_text = nbformat.writes(_normalise(student)) + "\n"
        paths["student"].write_text(student_text, encoding="utf-8")
        paths["solution"].write_text(nbformat.writes(_normalise(solution)) + "\n", encoding="utf-8")
        shutil.copyfile(zips[0], paths["autograder"])
    if book is not None:
        _write_if_changed(book / src.name, student_text)
        paths["book"] = book / src.name
    return paths


def build_all(out: Path = BUILD, book: Path | None = BOOK_COPIES, folder: Path = EXERCISES,
              progress=print) -> dict[str, dict[str, Path]]:
    found = sources(folder)
    if not found:
        raise SystemExit(f"no assignment sources (NN_name.ipynb) in {folder}")
    out.mkdir(parents=True, exist_ok=True)
    built = {}
    for src in found:
        t = time.monotonic()
        built[src.stem] = build_one(src, out, book)
        progress(f"built {src.stem}: student notebook + autograder zip ({time.monotonic() - t:.1f} s)")
    if book is not None:  # drop book copies of assignments that no longer exist
        for stale in sorted(book.glob("*.ipynb")):
            if stale.stem not in built:
                stale.unlink()
    progress(f"Student edition: {out}/<assignment>/student/*.ipynb; autograders: {out}/<assignment>/*-autograder.zip")
    return built


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m grading student", description="Build the student edition.")
    ap.add_argument("--out", type=Path, default=BUILD)
    ap.add_argument("--no-book", action="store_true", help="do not refresh exercises/student/")
    args = ap.parse_args(argv)
    build_all(args.out, None if args.no_book else BOOK_COPIES, progress=lambda s: print(s, flush=True))
    return 0
