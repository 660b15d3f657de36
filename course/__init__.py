"""The course's own helpers, beside the library: what the book's pages and labs use, and what a
user of ``acts`` does not need.

* :mod:`course.plot` — the book's figures and widgets (matplotlib, ipywidgets);
* :mod:`course.labs` — the labs' experiments: digits data, models, training, seeds, verdicts.
* :mod:`course.bench` — the benchmarks behind the hardware chapter (``make bench``);
* :mod:`course.accuracy` — the accuracy report of the numpy forms against an mpmath oracle
  (``make accuracy``), which ``tests/test_accuracy.py`` also uses.

``acts`` itself needs only numpy and scipy (and torch for its torch forms).
"""
