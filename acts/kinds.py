"""The kinds of activation, and the parameters they are declared with.

Every activation is one *spec*: a class in ``acts/functions/<family>.py`` that subclasses its
kind and declares, once, its name (its class name), family, parameters (default + validation),
formula and derivative (sympy syntax in its docstring, printed as LaTeX by
:mod:`acts.symbolic`), kink convention, citation (a references.bib key), the numpy form and
derivative and the torch form and derivative. Defining the class registers it; the registry entry
(:class:`acts.Activation`), the autograd ``Function``, the public torch function with a real
signature, the ``nn.Module`` class and every docstring are generated from it.

The kind owns what is common to its activations: the shape rules, the 1-D section used for
properties and plots, the Jacobian-vector product and the shape of the torch ``Function``.

* :class:`Elementwise`: y_i = f(x_i) (relu, gelu, …);
* :class:`AlongAxis`: a vector in, a vector out, along ``axis`` (the softmax family);
* :class:`Gated`: x = [a, b] halves, y = a ⊗ gate(b) (glu, swiglu, geglu);
* :class:`Grouped`: one output per group of k inputs (maxout);
* :class:`BatchStats`: f depends on statistics of the batch (dice).
"""

from __future__ import annotations

import inspect
import numbers
import re
from typing import Any, Callable

import numpy as np

__all__ = ["REQUIRED", "Param", "real", "choice", "integer", "boolean", "generator", "optional_real_array", "axis",
           "Spec", "Elementwise", "AlongAxis", "Gated", "Grouped", "BatchStats", "kind_of"]


#: the default of a module argument that has none (``Dice(num_features)``)
REQUIRED = inspect.Parameter.empty


# --- parameters -------------------------------------------------------------------------
class Param:
    """One parameter: its default, its check (returns the cleaned value or raises) and a
    one-line description for the docstrings."""

    def __init__(self, default: Any, check: Callable[[str, Any], Any], doc: str = "", kind: str = "",
                 symbol: str = ""):
        self.default, self.check, self.doc, self.kind = default, check, doc, kind
        #: how the formulas print it (LaTeX; default: its name); a real one is a formula's symbol
        self.symbol, self.numeric = symbol, kind.startswith("float")

    def __repr__(self):
        return f"Param({self.default!r}, {self.kind})"


def _is_tensor(value):
    return type(value).__module__.split(".")[0] == "torch"


def _real_array(value):
    if _is_tensor(value):
        return value.dtype.is_floating_point
    arr = np.asarray(value) if isinstance(value, (list, tuple, np.ndarray)) else None
    return arr is not None and arr.dtype.kind in "iuf"


def _real_check(positive, nonnegative, array):
    def check(name, value):
        if isinstance(value, bool) or not (isinstance(value, numbers.Real) or (array and _real_array(value))):
            kind = "a real number" + (" or an array of real numbers" if array else "")
            raise TypeError(f"parameter {name} must be {kind}; got {value!r}.")
        if _is_tensor(value):  # kept as it is: its device and its gradient stay
            v, ok, d = value, lambda cond: bool(cond.all()), value.detach()  # checks record no graph
            finite, pos, nonneg = d.isfinite(), d > 0, d >= 0
        else:
            v = np.asarray(value, dtype=np.float64) if not isinstance(value, numbers.Real) else float(value)
            ok = lambda cond: bool(np.all(cond))  # noqa: E731
            finite, pos, nonneg = np.isfinite(v), np.asarray(v) > 0, np.asarray(v) >= 0
        if not ok(finite):
            raise ValueError(f"parameter {name} must be finite; got {value!r}.")
        if positive and not ok(pos):
            raise ValueError(f"parameter {name} must be > 0; got {value!r}.")
        if nonnegative and not ok(nonneg):
            raise ValueError(f"parameter {name} must be >= 0; got {value!r}.")
        return v

    return check


def real(default, *, positive=False, nonnegative=False, array=False, doc="", symbol=""):
    """A finite real (optionally > 0 or >= 0; with ``array``, also an array or a tensor, which
    is checked with torch ops and passed through unchanged)."""
    kind = "float" + (" > 0" if positive else " >= 0" if nonnegative else "") + (" or array" if array else "")
    return Param(default, _real_check(positive, nonnegative, array), doc, kind, symbol)


def choice(*options, doc=""):
    """One of ``options``; the first is the default."""

    def check(name, value):
        if value not in options:
            raise ValueError(f"parameter {name} must be one of {', '.join(map(repr, options))}; got {value!r}.")
        return value

    return Param(options[0], check, doc, " | ".join(map(repr, options)))


def integer(default, *, minimum, doc=""):
    def check(name, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise TypeError(f"parameter {name} must be an int; got {value!r}.")
        if value < minimum:
            raise ValueError(f"parameter {name} must be >= {minimum}; got {value}.")
        return int(value)

    return Param(default, check, doc, f"int >= {minimum}" if minimum > -(2**31) else "int")


def axis(default, doc="the axis the activation works along"):
    return integer(default, minimum=-(2**31), doc=doc)


def boolean(default, doc=""):
    def check(name, value):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"parameter {name} must be True or False; got {value!r}.")
        return bool(value)

    return Param(default, check, doc, "bool")


def generator(doc=""):
    """None, a seed, a numpy Generator, or (torch forms) a torch.Generator."""

    def check(name, value):
        ok = value is None or isinstance(value, (numbers.Integral, np.random.Generator)) or _is_tensor(value)
        if not ok or isinstance(value, bool):
            raise TypeError(f"parameter {name} must be None, an int seed, a numpy Generator "
                            f"(np.random.default_rng(seed)) or a torch.Generator; got {value!r}.")
        return value

    return Param(None, check, doc, "None, seed or Generator")


def optional_real_array(*, nonnegative=False, doc=""):
    inner = _real_check(False, nonnegative, True)
    return Param(None, lambda name, value: None if value is None else inner(name, value), doc,
                 "None or array" + (" >= 0" if nonnegative else ""))


_FIELDS = ("formula", "derivative", "where", "convention", "paper", "example")
_MATH = ("formula", "derivative", "where")


def read_docstring(doc: str | None) -> dict:
    r"""A spec's docstring, in the style of jax.nn: its first paragraph is the description, and
    ``:field: value`` lines (continued on lines indented further, joined with a space) give the
    math (``formula``, ``formula[param=value]``, ``derivative``, ``where``: sympy syntax, see
    :mod:`acts.symbolic`; returned together as ``math``), ``convention`` (the derivative at
    kinks, in words), ``paper`` (a references.bib key) and ``example``
    (``constructor | input | output shown``)."""
    fields: dict[str, str] = {}
    lines = inspect.cleandoc(doc or "").splitlines()
    description = []
    for line in lines:
        if not line.strip():
            break
        description.append(line.strip())
    current = None
    for line in lines[len(description):]:
        m = re.match(r"^:(\w+(?:\[\w+=\w+\])?):\s*(.*)$", line)
        if m:
            current = m.group(1)
            if current.split("[")[0] not in _FIELDS:
                raise ValueError(f"unknown field :{current}: in a spec's docstring (known: {', '.join(_FIELDS)})")
            fields[current] = m.group(2).strip()
        elif current and line.startswith(" "):
            fields[current] += " " + line.strip()
        elif line.strip():
            current = None
    if description:
        fields["description"] = " ".join(description)
    if "example" in fields:
        fields["example"] = tuple(part.strip() for part in fields["example"].split(" | "))
    fields["math"] = {k: fields.pop(k) for k in list(fields) if k.split("[")[0] in _MATH}
    return fields


def kind_of(spec) -> type:
    """The kind a spec subclasses (Elementwise, AlongAxis, …), through its family base."""
    return next(c for c in spec.__mro__ if c.__module__ == __name__ and c is not Spec)


def snake_case(class_name: str) -> str:
    """The registry name of a spec class: ``LeakyReLU`` → ``leaky_relu``, ``GEGLU`` → ``geglu``
    (a word starts at a capital between a small letter and a small letter)."""
    return re.sub(r"(?<=[a-z])(?=[A-Z][a-z])", "_", class_name).lower()


# --- the spec and its kinds ---------------------------------------------------------------------
class Spec:
    """Base of every spec; its kind gives it ``section(act)``, the (g, g') on scalars that
    properties and plots use. Attributes a spec sets (a kind sets some for it):

    ``name`` (made from the class name, see :func:`snake_case`), ``aliases``, ``family``, ``params``
    (name → :class:`Param`), ``math`` (formula, derivative, where-clauses), ``convention`` (the
    derivative at kinks), ``description``, ``paper`` (a references.bib key), ``example`` (these
    written in the class docstring, see :func:`read_docstring`), ``learnable`` (learnable
    parameters per feature of the module form); numpy ``f(x, **p)`` and ``df(x, **p)`` or ``jvp(x, v, **p)``;
    the torch forms its kind asks for. ``relation(p)`` checks parameters against each other.
    The class's own name is the name of its ``nn.Module`` (``acts.nn.GELU``). Functions in
    the class body are the forms, taking no ``self`` (they become static methods). A class
    whose name starts with ``_`` is a base shared by a family (its family name, …), not a spec.
    """

    name = ""
    aliases: tuple[str, ...] = ()
    family = ""
    params: dict[str, Param] = {}
    convention = description = ""
    #: the docstring's formula, derivative and where-clauses, in sympy syntax (acts.symbolic)
    math: dict[str, str] = {}
    #: the key of the paper that introduced it, in acts/references.bib
    paper: str | None = None
    learnable = 0
    #: a doctest of the nn.Module form (run by tests/test_torch.py): (constructor, input, the
    #: output shown), read as ``>>> m = constructor`` / ``>>> m(torch.tensor(input))``
    example: tuple[str, str, str] | None = None
    #: text describing the 1-D section of a non-elementwise activation (properties table)
    section_text = ""
    elementwise = False
    #: the module's input/output shapes (docstrings)
    shape_doc = ("(*), any number of dimensions", "(*), same shape as the input")

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        for attr, value in list(vars(cls).items()):  # forms are written as plain functions
            if inspect.isfunction(value) and not attr.startswith("__"):
                setattr(cls, attr, staticmethod(value))
        if cls.__module__ != __name__ and not cls.__name__.startswith("_"):  # a spec, not a kind or a base
            cls.name = snake_case(cls.__name__)
            for field, value in read_docstring(vars(cls).get("__doc__")).items():
                setattr(cls, field, value)
            cls.complete()
            from ._registry import Activation, register

            register(Activation(cls))

    @classmethod
    def complete(cls) -> None:
        """What a kind derives for a spec before it is registered (nothing by default)."""

    @staticmethod
    def relation(p: dict) -> None:
        """Cross-parameter checks (raise ValueError); none by default."""

    @classmethod
    def check_shape(cls, shape: tuple, p: dict) -> None:
        """Raise ValueError for an input shape the activation cannot take."""

    @classmethod
    def df_unavailable(cls, p: dict) -> str | None:
        """Why there is no elementwise derivative (None: there is one)."""
        return (f"{cls.name} is not elementwise, so it has no elementwise derivative: use "
                f"acts.get({cls.name!r}).jacobian(x) for a 1-D x, .jvp(x, v), or the torch form.")

    @classmethod
    def jvp(cls, x, v, **p):
        return cls.df(x, **p) * v


def _check_axis(name, shape, ax):
    if len(shape) == 0:
        raise ValueError(f"{name} needs an array with at least one axis; got a scalar.")
    if not -len(shape) <= ax < len(shape):
        raise ValueError(f"{name}: axis={ax} is out of range for an array with {len(shape)} dimension(s).")
    return shape[ax]


def _pair_section(act, gated: bool):
    """t ↦ f([t, 0])₀ (vector in, vector out), or the gate t ↦ f([1, t]) (gated units)."""

    def pack(t):
        t = np.asarray(t, dtype=np.float64)
        pair = (np.ones_like(t), t) if gated else (t, np.zeros_like(t))
        return np.stack(pair, axis=-1)

    tangent = np.array([0.0, 1.0]) if gated else np.array([1.0, 0.0])

    def g(t):
        return act.f(pack(t))[..., 0]

    def dg(t):
        x = pack(t)
        return act.jvp(x, np.broadcast_to(tangent, x.shape))[..., 0]

    return g, dg


class Elementwise(Spec):
    """y_i = f(x_i). Numpy ``f``/``df``; torch ``torch_f``/``torch_df`` (the reference forms,
    differentiable for double backward) and optionally ``torch_f_fast``/``torch_df_fast``, the
    same operations in the same order with temporaries reused in place (bitwise equal; they
    run whenever autograd is not recording). ``constant_derivative``: f' is that number
    everywhere, so the torch Function saves nothing. ``torch_f_df(x, *p)`` gives (f, f')
    together where they share work (a gate inside a gated unit)."""

    elementwise = True
    constant_derivative: float | None = None

    @classmethod
    def complete(cls):
        """A form without a fast twin is its own twin."""
        if "torch_f_fast" not in vars(cls) and hasattr(cls, "torch_f"):  # (not PReLU's torch_call)
            cls.torch_f_fast = staticmethod(cls.torch_f)
        if "torch_df_fast" not in vars(cls) and hasattr(cls, "torch_df"):
            cls.torch_df_fast = staticmethod(cls.torch_df)

    @classmethod
    def df_unavailable(cls, p):
        return None

    @classmethod
    def section(cls, act):
        return (lambda t: act.f(t)), (lambda t: act.df(t))

    @classmethod
    def torch_f_df(cls, x, *p):
        return cls.torch_f(x, *p), cls.torch_df(x, *p)

    @classmethod
    def torch_f_df_fast(cls, x, *p, derivative=True):
        return cls.torch_f_fast(x, *p), cls.torch_df_fast(x, *p) if derivative else None


class AlongAxis(Spec):
    """A vector in, a vector of the same size out, along ``axis`` (softmax family). Numpy
    ``f(x, axis)``, ``jvp(x, v, axis)``; torch ``torch_f``/``torch_f_fast`` and the
    vector-Jacobian product ``torch_vjp(x, g, axis)``/``torch_vjp_fast``. A 0-d input is a
    vector of one element."""

    section_text = "t ↦ f([t, 0])₀"

    @classmethod
    def check_shape(cls, shape, p):
        if len(shape):
            _check_axis(cls.name, shape, p["axis"])

    @classmethod
    def section(cls, act):
        return _pair_section(act, gated=False)


class Gated(Spec):
    """x = [a, b], split in halves along ``axis`` (a first, b the gate, as
    ``torch.nn.functional.glu``); y = a ⊗ gate(b), gate the elementwise spec ``gate``. The
    parameters are ``axis`` and the gate's; forms, derivative and torch Function all come from
    the gate's."""

    gate: type[Elementwise]
    section_text = "t ↦ f([1, t]): the gate, with the linear half a = 1"
    shape_doc = ("(*, 2M, *) along axis", "(*, M, *)")

    @classmethod
    def complete(cls):
        cls.params = {"axis": axis(-1), **cls.gate.params}

    @classmethod
    def check_shape(cls, shape, p):
        size = _check_axis(cls.name, shape, p["axis"])
        if size % 2:
            raise ValueError(f"{cls.name}: the size of axis {p['axis']} ({size}) must be even (it is split "
                             "into halves a, b).")

    @classmethod
    def section(cls, act):
        return _pair_section(act, gated=True)

    @classmethod
    def _halves(cls, x, ax):
        return np.split(x, 2, axis=ax)

    @classmethod
    def f(cls, x, axis, **gp):
        a, b = cls._halves(x, axis)
        # a = ±inf with a gate of exactly 0 is inf·0: no limit exists, nan by design
        with np.errstate(invalid="ignore"):
            return cls.product(a, b, **gp)

    @classmethod
    def product(cls, a, b, **gp):
        return a * cls.gate.f(b, **gp)

    @classmethod
    def jvp(cls, x, v, axis, **gp):
        a, b = cls._halves(x, axis)
        va, vb = cls._halves(v, axis)
        with np.errstate(invalid="ignore"):
            return cls.gate.f(b, **gp) * va + a * cls.gate.df(b, **gp) * vb


class Grouped(Spec):
    """One output per group of ``k`` consecutive inputs along ``axis`` (maxout). Numpy ``f``
    and ``jvp``; the torch Function is the spec's ``torch_forward``/``torch_backward``."""

    section_text = "t ↦ f([t, 0])₀ (k = 2)"
    shape_doc = ("(*, C, *) with C the size along axis", "(*, C/k, *)")

    @classmethod
    def check_shape(cls, shape, p):
        size = _check_axis(cls.name, shape, p["axis"])
        if size % p["k"]:
            raise ValueError(f"{cls.name}: the size of axis {p['axis']} ({size}) must be divisible by "
                             f"k={p['k']}; reshape x or choose a k that divides it.")

    @classmethod
    def section(cls, act):
        return _pair_section(act, gated=False)


class BatchStats(Spec):
    """An elementwise function of x and of statistics (``mean``, ``var``) that are computed
    over ``axis`` of the batch unless given (Dice). With statistics given it is elementwise,
    with ``df``; the torch Function is the spec's ``torch_forward``/``torch_backward``."""

    section_text = "eval mode, mean 0, variance 1"
    elementwise = True  # given its statistics (eval mode); df needs them

    @classmethod
    def check_shape(cls, shape, p):
        if p["mean"] is None:
            _check_axis(cls.name, shape, p["axis"])

    @classmethod
    def df_unavailable(cls, p):
        if p["mean"] is None:
            return (f"{cls.name} with batch statistics (mean=None, var=None) is not elementwise: every output "
                    "depends on the whole batch. Pass mean= and var= (running statistics, eval mode) "
                    "for the elementwise derivative, or use the torch form with autograd.")
        return None

    @classmethod
    def section(cls, act):
        stats = {"mean": 0.0, "var": 1.0}
        return (lambda t: act.f(t, **stats)), (lambda t: act.df(t, **stats))
