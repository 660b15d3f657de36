"""Course assignments: build the student edition and grade a folder of submissions.

    make student                      # python -m grading student
    make grade SUBMISSIONS=<folder>   # python -m grading grade <folder>

The assignments are the otter-grader source notebooks ``exercises/NN_name.ipynb``
(solutions, public and hidden tests in otter's assignment format). ``student`` runs
``otter assign`` on each and writes, under ``_build/exercises/<name>/``, the student
notebook (no solutions, no hidden tests), the solution notebook and the autograder
zip ``<name>-autograder.zip``; it also refreshes the copies of the student notebooks
that the book shows (``exercises/student/``).

``grade`` grades every submission in a folder and writes ``grades.csv`` and one feedback file
per submission. Student code and the grade never share a process: each submission runs in a
sandbox (:mod:`grading.sandbox`: bubblewrap, its own unprivileged user, no network, read-only
files, limits; as root, forked from a warm :mod:`grading.zygote`) under :mod:`grading.runner`; the tests, hidden cases included, run in the grader's
worker processes (:mod:`grading.trusted`), which call the submission's functions through a
channel that carries only data (:mod:`grading.wire`, :mod:`grading.remote`). See
``exercises/teacher_guide.md`` ("What is isolated").
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
BUILD = ROOT / "_build" / "exercises"
BOOK_COPIES = EXERCISES / "student"

__all__ = ["ROOT", "EXERCISES", "BUILD", "BOOK_COPIES"]
