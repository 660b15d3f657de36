# exercises/student/ holds the student notebooks that `make student` generates for the
# book (no solutions: their answer cells are `...`, so running them fails by design).
# nbval checks the assignment sources (exercises/NN_name.ipynb, solutions included);
# tests/test_grading.py checks that the student copies match those sources.
collect_ignore_glob = ["student/*"]
