"""The registry: one :class:`Activation` per function, looked up by name.

An :class:`Activation` is made from a spec (:mod:`acts.kinds`, one per activation in
``acts/functions/``): the math (LaTeX formula and derivative), the numpy forms, the torch
forms (imported lazily, so ``import acts`` needs no torch), the citation and the computed
properties. Inputs and parameters are validated here, once, so the forms in the specs can
assume clean data.
"""

from __future__ import annotations

import difflib
from types import MappingProxyType
from typing import Any

import numpy as np

from ._bib import entry

_REGISTRY: dict[str, "Activation"] = {}
_ALIASES: dict[str, str] = {}

_ACCEPTED = "a real number or array of real numbers (Python int/float, or numpy int, float16, float32, float64)"


# --- input conversion -----------------------------------------------------------
def as_float_array(x: Any, who: str) -> tuple[np.ndarray, np.dtype]:
    """(x as float64 ndarray, dtype of the result). Raise TypeError with advice."""
    if isinstance(x, (str, bytes)):
        raise TypeError(f"{who}: got a string {x!r}; expected {_ACCEPTED}.")
    if type(x).__module__.split(".")[0] == "torch":
        raise TypeError(f"{who}: got a torch.Tensor; this is the numpy form. Use a.torch(x) for tensors, "
                        "or pass x.detach().cpu().numpy().")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists and the like
        raise TypeError(f"{who}: cannot read {type(x).__name__} as an array ({exc}); expected {_ACCEPTED}.") from None
    kind = arr.dtype.kind
    if kind == "f":
        if arr.dtype.itemsize > 8:
            raise TypeError(f"{who}: {arr.dtype} is not supported; cast to float64 first (x.astype(np.float64)).")
        out_dtype = arr.dtype
    elif kind in "iub":
        out_dtype = np.dtype(np.float64)
    elif kind == "c":
        raise TypeError(f"{who}: activations are real functions; got complex input ({arr.dtype}). "
                        "Pass x.real or np.abs(x) if that is what you mean.")
    else:
        raise TypeError(f"{who}: got an array of dtype {arr.dtype}; expected {_ACCEPTED}. "
                        "Convert with np.asarray(x, dtype=np.float64).")
    return arr.astype(np.float64, copy=False), out_dtype


def _finish(y: np.ndarray, out_dtype: np.dtype, scalar: bool):
    with np.errstate(over="ignore", under="ignore"):  # rounding to a narrow dtype
        y = np.asarray(y).astype(out_dtype, copy=False)
    return y[()] if scalar else y


# --- the Activation ---------------------------------------------------------------------
class Activation:
    """One activation function: math, numpy and torch forms, properties, citation.

    Attributes: ``name``, ``aliases``, ``family``, ``formula`` and ``derivative``
    (LaTeX, no surrounding ``$``), ``params`` (read-only defaults), ``paper``
    (citation dict), ``elementwise``, ``description``, ``convention`` (the
    derivative's value at kinks), ``learnable`` (the module form's learnable parameters per
    feature), and the lazily computed ``props``.
    """

    def __init__(self, spec):
        self.spec = spec
        self.name = spec.name
        self.aliases = tuple(spec.aliases)
        self.family = spec.family
        self.description = spec.description
        self.convention = spec.convention
        self.learnable = int(spec.learnable)  # learnable parameters per feature of the module form
        self.paper = MappingProxyType(entry(spec.paper)) if spec.paper else None
        self.params = MappingProxyType({k: v.default for k, v in spec.params.items()})
        self.elementwise = spec.elementwise
        self._props = None
        self._latex = None
        self.__doc__ = self._doc()

    def _doc(self):
        lines = [f"{self.name}: {self.description}", "", "Formula and derivative: .formula, .derivative (LaTeX)."]
        if self.convention:
            lines += ["", f"Convention: {self.convention}"]
        if self.params:
            lines += ["", "Parameters (defaults): " + ", ".join(f"{k}={v!r}" for k, v in self.params.items())]
        if self.paper:
            ref = self.paper.get("arxiv") and f"arXiv:{self.paper['arxiv']}" or self.paper.get("doi") or self.paper.get("url")
            lines += ["", f"Paper: {self.paper['authors']} ({self.paper['year']}). {self.paper['title']}. {ref}"]
        return "\n".join(lines)

    @property
    def formula(self) -> str:
        """The formula in LaTeX (no surrounding ``$``), printed from the spec's sympy form."""
        return self._tex()[0]

    @property
    def derivative(self) -> str:
        """The derivative (or Jacobian entry) in LaTeX, printed from the spec's sympy form."""
        return self._tex()[1]

    def _tex(self):
        if self._latex is None:
            from . import symbolic

            self._latex = symbolic.latex(self.spec)
        return self._latex

    def __repr__(self):
        extra = f", aliases={self.aliases}" if self.aliases else ""
        return f"Activation({self.name!r}, family={self.family!r}{extra})"

    # parameters ---------------------------------------------------------------
    def _params(self, given: dict) -> dict:
        unknown = sorted(set(given) - set(self.params))
        if unknown:
            accepted = ", ".join(f"{k}={v!r}" for k, v in self.params.items()) or "no parameters"
            raise TypeError(f"{self.name}: unknown parameter(s) {', '.join(unknown)}; accepted: {accepted}.")
        merged = {**self.params, **given}
        for key, value in given.items():
            merged[key] = self.spec.params[key].check(key, value)
        self.spec.relation(merged)
        return merged

    # numpy forms --------------------------------------------------------------
    def f(self, x, **params):
        """Numpy forward f(x); keeps float16/32/64 (ints -> float64); scalars give numpy scalars."""
        p = self._params(params)
        x64, dtype = as_float_array(x, f"{self.name}.f")
        self.spec.check_shape(x64.shape, p)
        with np.errstate(over="ignore", under="ignore"):
            y = self.spec.f(x64, **p)
        return _finish(y, dtype, x64.ndim == 0 and np.ndim(y) == 0)

    def df(self, x, **params):
        """Numpy elementwise derivative f'(x), with the kink convention in ``convention``."""
        p = self._params(params)
        why = self.spec.df_unavailable(p)
        if why:
            raise TypeError(why)
        x64, dtype = as_float_array(x, f"{self.name}.df")
        with np.errstate(over="ignore", under="ignore"):
            y = self.spec.df(x64, **p)
        return _finish(y, dtype, x64.ndim == 0)

    def jvp(self, x, v, **params):
        """Jacobian-vector product J(x)·v (v has x's shape), for any activation."""
        p = self._params(params)
        x64, dtype = as_float_array(x, f"{self.name}.jvp")
        v64, _ = as_float_array(v, f"{self.name}.jvp")
        if v64.shape != x64.shape:
            raise ValueError(f"{self.name}.jvp: v must have x's shape {x64.shape}; got {v64.shape}.")
        self.spec.check_shape(x64.shape, p)
        with np.errstate(over="ignore", under="ignore"):
            y = self.spec.jvp(x64, v64, **p)
        return _finish(y, dtype, False)

    def jacobian(self, x, **params):
        """Full Jacobian ∂f_i/∂x_j of a 1-D input (for softmax: diag(s) - s sᵀ)."""
        x64, dtype = as_float_array(x, f"{self.name}.jacobian")
        if x64.ndim != 1:
            raise ValueError(f"{self.name}.jacobian needs a 1-D x; got shape {x64.shape}. "
                             "Use jvp(x, v) for batches.")
        if "axis" in self.params and params.get("axis", -1) not in (0, -1):
            raise ValueError(f"{self.name}.jacobian: a 1-D x has only axis 0 (or -1).")
        eye = np.eye(x64.shape[0])
        cols = [np.asarray(self.jvp(x64, eye[j], **params)) for j in range(x64.shape[0])]
        jac = np.stack(cols, axis=-1) if cols else np.zeros((0, 0))
        return _finish(jac, dtype, False)

    # torch forms ------------------------------------------------------------------
    def torch(self, x, **params):
        """Torch form: autograd-capable, on x's device; float16/bfloat16 accepted."""
        import torch

        from . import nn

        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{self.name}.torch expects a torch.Tensor; got {type(x).__name__}. "
                            "Use torch.as_tensor(x), or a.f(x) for numpy input.")
        if not x.is_floating_point():
            raise TypeError(f"{self.name}.torch expects a floating-point tensor; got {x.dtype}. Use x.float().")
        return nn.RUNNERS[self.name](x, **self._params(params))

    def torch_compiled(self, backend: str = "inductor", **params):
        """The ``torch.compile``\\ d torch form with fixed ``params`` (validated here).

        Compiled lazily on the first call, once per dtype and device of the input (one graph
        for every shape); the compile time is kept in ``.compile_times``. Same values as
        :meth:`torch`; forward+backward run as fused kernels, saving only the input.
        Example: ``a = acts.get("gelu").torch_compiled(approximate="tanh"); y = a(x)``.
        """
        from . import nn

        return nn.compiled(self.name, backend=backend, **self._params(params))

    def module(self, **kwargs):
        """A torch.nn.Module (learnable parameters where the paper has them)."""
        from . import nn

        own = {k: v for k, v in kwargs.items() if k in self.params}
        rest = {k: v for k, v in kwargs.items() if k not in self.params}
        checked = self._params(own)  # validates values and cross-parameter rules
        # The module keeps its own defaults (equal to self.params) and rejects what it
        # does not take (e.g. Dice keeps running statistics instead of mean=/var=).
        return nn.MODULES[self.name](**{k: checked[k] for k in own}, **rest)

    # properties -------------------------------------------------------------------------
    @property
    def props(self) -> dict:
        """Computed properties (see :mod:`acts.properties`); cached after the first use."""
        if self._props is None:
            from .properties import compute

            self._props = MappingProxyType(compute(self))
        return self._props

    def section(self):
        """(g, g') on scalars: f itself when elementwise, else a documented 1-D section."""
        return self.spec.section(self)


def register(act: Activation) -> Activation:
    for key in (act.name, *act.aliases):
        if key in _REGISTRY or key in _ALIASES:
            raise ValueError(f"duplicate activation name {key!r}")
    _REGISTRY[act.name] = act
    for alias in act.aliases:
        _ALIASES[alias] = act.name
    return act


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def get(name: str) -> Activation:
    """The activation called ``name`` (or an alias such as "silu")."""
    if not isinstance(name, str):
        raise TypeError(f"acts.get expects a name (str); got {type(name).__name__}. See acts.names().")
    key = _normalise(name)
    key = _ALIASES.get(key, key)
    if key in _REGISTRY:
        return _REGISTRY[key]
    known = sorted([*_REGISTRY, *_ALIASES])
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise KeyError(f"unknown activation {name!r}.{hint} Known: {', '.join(sorted(_REGISTRY))}.")


def names(*, aliases: bool = False) -> list[str]:
    """Sorted canonical names (with ``aliases=True``, the aliases too)."""
    return sorted([*_REGISTRY, *(_ALIASES if aliases else ())])


def all_activations() -> list[Activation]:
    return [_REGISTRY[n] for n in names()]

__all__ = ["Activation", "register", "get", "names", "all_activations", "as_float_array"]
