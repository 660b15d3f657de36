"""acts — activation functions, exact and tested.

>>> import acts
>>> a = acts.get("gelu")
>>> float(a.f(1.0))
0.8413447460685429
>>> a.props["minimum"][0]  # doctest: +ELLIPSIS
-0.75179...

Every activation has a LaTeX ``formula`` and ``derivative``, numpy forms ``f`` /
``df`` accurate to a few ulp over the whole float range, a torch form
``torch`` (autograd, CPU or CUDA), a ``module`` (torch.nn.Module), computed
``props`` and the ``paper`` that introduced it.
"""

from . import functions  # noqa: F401  (registers every activation)
from ._registry import Activation, get, names
from .properties import table as _table

__all__ = ["Activation", "get", "names", "properties_table"]
__version__ = "0.1.0"


def properties_table() -> list[dict]:
    """One row of computed properties per activation, in ``names()`` order."""
    return _table(get(n) for n in names())

