"""Every activation the course teaches: one spec each (see :mod:`acts.kinds`), grouped by
family. Importing this package registers them all."""

from . import dice, exponential, gated, hard, linear, maxout, rectifiers, sigmoidal, smooth, softmax  # noqa: F401
