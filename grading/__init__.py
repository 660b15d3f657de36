"""Course assignments: build the student edition and grade a folder of submissions.

    make student                      # python -m grading student
    make grade SUBMISSIONS=<folder>   # python -m grading grade <folder>

The assignments are the otter-grader source notebooks ``exercises/NN_name.ipynb``
(solutions, public and hidden tests in otter's assignment format). ``student`` runs
``otter assign`` on each and writes, under ``_build/exercises/<name>/``, the student
notebook (no solutions, no hidden tests), the solution notebook and the autograder
zip ``<name>-autograder.zip``; it also refreshes the copies of the student notebooks
that the book shows (``exercises/student/``).

``grade`` grades every submission in a folder with otter's local runner
(``otter run``: no docker), in parallel, each in its own temporary copy and under a
time limit, and writes ``grades.csv`` and one feedback file per submission. See
``exercises/teacher_guide.md`` for the workflow and for what is and is not isolated
on a local run.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXERCISES = ROOT / "exercises"
BUILD = ROOT / "_build" / "exercises"
BOOK_COPIES = EXERCISES / "student"

__all__ = ["ROOT", "EXERCISES", "BUILD", "BOOK_COPIES"]
