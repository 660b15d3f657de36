"""The grader's side of the channel: the submission's names as objects the tests can use.

The assignment's tests (otter test files: ``def test_x(sigmoid): ...``) run in the grader's
process, with each parameter bound to what the submission defined under that name:

* data (numbers, strings, lists, dicts, arrays, tensors, a ``Sequential`` of plain layers)
  arrives as a copy, decoded by :mod:`grading.wire`;
* a function becomes a :class:`RemoteCallable`: calling it sends the arguments to the sandbox and
  returns the decoded result. Warnings the call raised there are raised again here, so a test's
  ``warnings.simplefilter("error")`` sees them. With tensor arguments that require gradients the
  call is a :class:`torch.autograd.Function` whose backward asks the sandbox for the
  vector-Jacobian product, so ``gradcheck``, ``autograd.grad`` and ``.backward()`` work on it;
* an ``nn.Module`` subclass becomes a class whose instances are modules here, with the
  submission's parameters as real ``nn.Parameter`` objects, whose forward is such a call.

A call the submission answers with an exception raises :class:`SubmissionError` in the test,
which then fails with that message. A call of a reference implementation that the question lists
(see :mod:`grading.runner`) is recorded in :attr:`Session.tripped`.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import torch

from . import wire

# Warnings a graded call raised in the sandbox, raised again here (ResourceWarning is dropped:
# no test asks for it).
WARNING_CLASSES = {c.__name__: c for c in (RuntimeWarning, UserWarning, DeprecationWarning, FutureWarning,
                                          SyntaxWarning, UnicodeWarning, BytesWarning,
                                          ImportWarning, PendingDeprecationWarning)}


# what the runner reports when the submission switched off its call monitor during a graded call
MONITOR_REMOVED = "sys.setprofile (the grader's call monitor)"


class SubmissionError(Exception):
    """The submission's code raised, or could not be reached, during a graded call."""


class Session:
    """One question's conversation with the sandbox (the runner's forked question child)."""

    def __init__(self, sandbox, question: str, references: list[str], *, call_timeout: float):
        self.sandbox, self.question, self.references = sandbox, question, references
        self.call_timeout = call_timeout
        self.tripped: list[str] = []
        self.known_labels = set(references) | {MONITOR_REMOVED}
        self.alive = False
        self.broken: str | None = None
        self._open()

    # the channel: one request, one reply
    def _open(self) -> None:
        self._send({"op": "question", "name": self.question, "references": self.references,
                    "call_timeout": self.call_timeout})
        reply = self._receive()
        if reply.get("ready"):  # the child died before it could answer
            raise SubmissionError("the submission's process died before the question could be graded")
        if not reply.get("ok"):  # (no detail: what the sandbox says may carry data out)
            raise SubmissionError("the question could not be set up in the sandbox")
        self.alive = True

    def _send(self, message: dict) -> None:
        if self.broken:
            raise SubmissionError(self.broken)
        try:
            wire.send(self.sandbox.to_runner, message)
        except (OSError, wire.WireError) as exc:
            self.broken = f"the sandbox stopped responding ({type(exc).__name__})"
            raise SubmissionError(self.broken) from None

    def _receive(self, timeout: float | None = None) -> dict:
        try:
            return wire.receive(self.sandbox.from_runner, timeout=timeout or self.call_timeout + 10)
        except TimeoutError:
            self.broken = f"the submission did not answer within {self.call_timeout:g} s and was stopped"
        except EOFError:
            self.broken = "the submission's process ended"
        except wire.WireError:
            self.broken = "the submission sent a malformed reply"
        raise SubmissionError(self.broken)

    def request(self, message: dict) -> dict:
        if not self.alive:
            self._open()
        self._send(message)
        reply = self._receive()
        if reply.get("ready"):  # the question child died during the call; the next call reopens it
            self.alive = False
            raise SubmissionError("the submission's process died during the call")
        # only labels the grader knows: a free-form string from the sandbox could carry data out
        self.tripped += [t for t in reply.get("tripped", []) if isinstance(t, str) and t in self.known_labels][:20]
        for w in reply.get("warnings", [])[:20]:
            if isinstance(w, list) and len(w) == 2:
                category = WARNING_CLASSES.get(str(w[0]), None if w[0] == "ResourceWarning" else UserWarning)
                if category is not None:
                    warnings.warn(str(w[1]), category, stacklevel=3)
        if "error" in reply:
            raise SubmissionError(str(reply["error"])[:600])
        return reply

    def close(self) -> None:
        if self.alive and not self.broken:
            try:
                self._send({"op": "end_question"})
                self._receive()  # the child's goodbye
                self._receive()  # the runner: ready for the next question
            except SubmissionError:
                pass
        self.alive = False

    # values
    def decode(self, obj):
        return wire.decode(obj, self._resolve)

    def _resolve(self, tag: str, obj: dict):
        if tag == "$handle":
            kind = obj.get("kind")
            target = {"handle": int(obj["$handle"])}
            if kind == "module":
                params = {str(k): wire.decode(v) for k, v in (obj.get("params") or {}).items()}
                return RemoteModule(self, target, params)
            return RemoteCallable(self, target)
        raise wire.WireError(f"unknown value tag {tag!r}")

    def environment(self) -> "RemoteEnvironment":
        return RemoteEnvironment(self)


def encode_argument(value):
    """The grader's arguments: data, or functions the sandbox can name for itself."""
    return wire.encode(value, _name_callable, grads=False)


def _name_callable(value):
    if isinstance(value, RemoteCallable):
        return {"$handle": value.target.get("handle")} if "handle" in value.target else None
    if isinstance(value, functools.partial):
        return {"$partial": encode_argument(value.func), "args": encode_argument(list(value.args)),
                "kwargs": encode_argument(dict(value.keywords))}
    owner = getattr(value, "__self__", None)
    if owner is not None and type(owner).__name__ == "Activation" and type(owner).__module__.startswith("acts"):
        return {"$acts": owner.name, "form": value.__name__}
    name = getattr(value, "__name__", None)
    if name:
        import math

        import scipy.special

        for module, label in ((np, "numpy"), (math, "math"), (scipy.special, "scipy.special"), (torch, "torch")):
            if getattr(module, name, None) is value:
                return {"$ref": f"{label}.{name}"}
    raise wire.WireError(f"the grader cannot pass {value!r} to the submission: pass a numpy, scipy.special "
                         "or torch function, an acts form, or a functools.partial of one")


class RemoteEnvironment:
    """What otter's test runner reads the submission's names from (``.get(name)``)."""

    def __init__(self, session: Session):
        self.session = session

    def get(self, name, default=None):
        reply = self.session.request({"op": "describe", "name": name})
        kind = reply.get("kind")
        if kind == "data":
            return self.session.decode(reply["value"])
        if kind == "callable":
            return RemoteCallable(self.session, {"global": name})
        if kind == "module_class":
            return remote_module_class(self.session, name)
        if kind == "unanswered":
            raise SubmissionError(f"{name} is still `...`: not answered yet")
        if kind == "unreadable":
            raise SubmissionError(f"{name} is a {reply.get('type')}, which the grader cannot read")
        return default

    def __getitem__(self, name):
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value


class RemoteCallable:
    def __init__(self, session: Session, target: dict):
        self.session, self.target = session, target

    def __repr__(self):
        return f"<the submission's {self.target.get('global', 'function')}>"

    def __call__(self, *args, **kwargs):
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
            return _call_with_grad(self.session, self.target, args, kwargs, {})
        return plain_call(self.session, self.target, args, kwargs)


def plain_call(session: Session, target: dict, args, kwargs, params=None):
    reply = session.request({"op": "call", "target": target, "args": encode_argument(list(args)),
                             "kwargs": encode_argument(dict(kwargs)),
                             "params": encode_argument(dict(params or {})), "errstate": np.geterr()})
    for index, state in reply.get("mutated", [])[:16]:
        if isinstance(index, int) and 0 <= index < len(args) and isinstance(args[index], torch.nn.Module):
            wire.copy_module_state(wire.decode_module(state), args[index])
    return session.decode(reply.get("value"))


def _call_with_grad(session, target, args, kwargs, params):
    """A differentiable call: the tensor arguments (then the parameters) are the inputs of one
    autograd.Function whose backward is the sandbox's vector-Jacobian product."""
    positions = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]
    names = list(params)
    inputs = [args[i] for i in positions] + [params[n] for n in names]

    class RemoteFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *tensors):
            call_args = list(args)
            for i, t in zip(positions, tensors):
                call_args[i] = t.detach()
            out = plain_call(session, target, call_args, kwargs,
                             {n: t.detach() for n, t in zip(names, tensors[len(positions):])})
            ctx.save_for_backward(*tensors)
            ctx.single = isinstance(out, torch.Tensor)
            outs = (out,) if ctx.single else tuple(out)
            if not all(isinstance(o, torch.Tensor) for o in outs):
                raise SubmissionError("a differentiable call must return a tensor (or a tuple of tensors)")
            return outs[0] if ctx.single else outs

        @staticmethod
        def backward(ctx, *grad_outputs):
            tensors = ctx.saved_tensors
            call_args = list(args)
            for i, t in zip(positions, tensors):
                call_args[i] = t.detach().requires_grad_(t.requires_grad)
            sent = {n: t.detach().requires_grad_(True) for n, t in zip(names, tensors[len(positions):])}
            reply = session.request({"op": "call", "target": target, "args": encode_argument(call_args),
                                     "kwargs": encode_argument(dict(kwargs)), "params": encode_argument(sent),
                                     "vjp": encode_argument(list(grad_outputs)), "errstate": np.geterr()})
            grads = session.decode(reply.get("grads")) or []
            it = iter(grads)
            out = []
            for k, t in enumerate(tensors):
                needs = t.requires_grad if k < len(positions) else True
                g = next(it, None) if needs else None
                if g is not None and (not isinstance(g, torch.Tensor) or g.shape != t.shape):
                    raise SubmissionError("the backward pass returned a gradient of the wrong shape")
                out.append(None if g is None else g.to(t.dtype))
            return tuple(out)

    return RemoteFunction.apply(*inputs)


def remote_module_class(session: Session, name: str):
    """A class standing for the submission's nn.Module subclass ``name``."""

    def construct(*args, **kwargs):
        instance = plain_call(session, {"global": name}, args, kwargs)
        if not isinstance(instance, RemoteModule):
            raise SubmissionError(f"{name}(...) did not make an nn.Module")
        return instance

    return construct


class RemoteModule(torch.nn.Module):
    """The submission's module: its parameters live here, its forward runs in the sandbox."""

    def __init__(self, session, target, params):
        super().__init__()
        self._session, self._target = session, target
        self._names = list(params)
        for i, (n, p) in enumerate(params.items()):
            self.register_parameter(f"p{i}_{n.replace('.', '_')}", torch.nn.Parameter(p.detach().clone()))

    def _params(self):
        return dict(zip(self._names, self.parameters()))

    def forward(self, *args, **kwargs):
        params = self._params()
        tensors = [a for a in args if isinstance(a, torch.Tensor)]
        if torch.is_grad_enabled() and (any(t.requires_grad for t in tensors) or
                                        any(p.requires_grad for p in params.values())):
            return _call_with_grad(self._session, self._target, args, kwargs, params)
        return plain_call(self._session, self._target, args, kwargs, params)

    def __deepcopy__(self, memo):
        clone = RemoteModule(self._session, self._target,
                             {n: p.detach().clone() for n, p in self._params().items()})
        clone.train(self.training)
        return clone
