"""The sandboxed side of grading: runs ONE submission and answers the grader's calls.

    python -m grading.runner CHANNEL_IN_FD CHANNEL_OUT_FD

It is started by :mod:`grading.sandbox` inside the sandbox, as an unprivileged user, and holds
nothing secret: no test code, no hidden inputs until a test sends them, never an expected value.
The grader sends (see :mod:`grading.wire` for the format):

* ``run``: the notebook's code cells, executed in order in one IPython namespace (a cell that
  raises or passes ``cell_timeout`` is recorded and the next cell runs);
* ``question``: grading of one question starts. A forked child serves that question's calls, with
  the question's reference implementations replaced by tripwires that record the call and raise;
  the child ends with ``end_question``, so one question's calls cannot change what the next sees;
* ``describe`` (what a name in the notebook is) and ``call`` (call a function, a class or a
  module of the notebook with arguments; for a torch call also the gradients, by recomputing
  the call and back-propagating the grader's output gradients).

Anything the submission does to this process only changes its own answers: the scores are
computed by the grader, from the values sent back.
"""

from __future__ import annotations

import functools
import importlib
import os
import resource
import signal
import sys
import traceback
import types
import warnings

from grading import wire

_real_exit = os._exit
MAX_MESSAGE = 600
MAX_OUTPUT = 1_000_000  # characters of the submission's output kept (per stream)


class CellTimeout(BaseException):
    """Raised in a cell or call that runs past its time."""


class ReferenceBlocked(Exception):
    """A reference implementation was called while its question was graded."""


def _short(text: str, limit: int = MAX_MESSAGE) -> str:
    text = str(text).strip()
    return text if len(text) <= limit else text[: limit - 20] + " … [truncated]"


def _alarm(seconds: float):
    def fire(signum, frame):
        raise CellTimeout(f"ran longer than {seconds:g} s")

    signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)


def _disarm():
    signal.setitimer(signal.ITIMER_REAL, 0)


# --- limits and the notebook ------------------------------------------------------------
def set_limits(limits: dict) -> None:
    """Hard limits for this process and all it starts (they cannot be raised again)."""
    names = {"cpu_s": resource.RLIMIT_CPU, "memory": resource.RLIMIT_AS, "processes": resource.RLIMIT_NPROC,
             "open_files": resource.RLIMIT_NOFILE, "file_size": resource.RLIMIT_FSIZE}
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    for key, which in names.items():
        if limits.get(key):
            value = int(limits[key])
            resource.setrlimit(which, (value, value))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead


def _stub_otter() -> None:
    """The student edition's ``import otter; grader = otter.Notebook(...)``, ``grader.check(...)``:
    public checks are for the student's own kernel; here they do nothing."""
    class Notebook:
        def __init__(self, *args, **kwargs):
            pass

        def check(self, *args, **kwargs):
            return None

        check_all = export = to_pdf = check

    module = types.ModuleType("otter")
    module.Notebook = Notebook
    sys.modules["otter"] = module


class CappedStream:
    """What the submission prints: kept up to a limit, then dropped with one note."""

    def __init__(self, stream, limit: int):
        self._stream, self._left, self._noted = stream, limit, False

    def write(self, text):
        n = len(text)
        try:
            if self._left >= n:
                self._left -= n
                return self._stream.write(text)
            if self._left > 0:
                self._stream.write(text[: self._left])
                self._left = 0
            if not self._noted:
                self._noted = True
                self._stream.write("\n[output truncated by the grader]\n")
        except OSError:  # the log is full (file-size limit)
            self._left = 0
        return n

    def flush(self):
        try:
            self._stream.flush()
        except OSError:
            pass

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _refuse(what: str):
    def refuse(*args, **kwargs):
        raise RuntimeError(f"{what} is not allowed in a graded notebook")
    return refuse


def run_cells(shell, cells: list[str], cell_timeout: float) -> dict:
    errors, timed_out = [], []
    for index, source in cells:
        try:
            _alarm(cell_timeout)
            result = shell.run_cell(source, store_history=False, silent=False)
        except CellTimeout:
            result = None
            timed_out.append(index)
        finally:
            _disarm()
        if result is None:
            continue
        exc = result.error_before_exec or result.error_in_exec
        if isinstance(exc, CellTimeout):
            timed_out.append(index)
        elif exc is not None:
            errors.append(f"cell {index}: {type(exc).__name__}: {_short(exc, 200)}")
        sys.stdout.flush()
    return {"errors": errors, "timed_out": timed_out}


# --- references the grader sends (callables it names) ------------------------------------
ALLOWED_MODULES = ("numpy", "math", "scipy.special", "torch")


def _resolve(tag: str, obj: dict):
    if tag == "$ref":
        module, _, attr = str(obj["$ref"]).rpartition(".")
        if module not in ALLOWED_MODULES:
            raise wire.WireError(f"the grader may only pass functions of {ALLOWED_MODULES}")
        return getattr(importlib.import_module(module), attr)
    if tag == "$acts":
        import acts

        form = obj.get("form")
        if form not in ("f", "df", "torch", "jacobian"):
            raise wire.WireError(f"unknown acts form {form!r}")
        return getattr(acts.get(str(obj["$acts"])), form)
    if tag == "$partial":
        func = wire.decode(obj["$partial"], _resolve)
        args = wire.decode(obj.get("args", []), _resolve)
        kwargs = wire.decode(obj.get("kwargs", {"$dict": {}}), _resolve)
        return functools.partial(func, *args, **kwargs)
    if tag == "$handle":
        return HANDLES[int(obj["$handle"])]
    raise wire.WireError(f"unknown value tag {tag!r}")


HANDLES: dict[int, object] = {}


def _handle_for(value):
    """Values that cannot cross as data go back as a handle the grader can call."""
    import torch

    if not callable(value):
        return None
    HANDLES[id(value)] = value
    reply = {"$handle": id(value), "kind": "callable"}
    if isinstance(value, torch.nn.Module):
        reply["kind"] = "module"
        reply["params"] = {name: wire.encode(p) for name, p in value.named_parameters()}
    return reply


# --- tripwires ---------------------------------------------------------------------------
# Two layers, both set up in the question's child before its first graded call:
# * every place a reference is reachable by name (its module attribute, the acts registry's
#   entries, and the student's own names, defaults, closures, classes and the holders they
#   keep: tuples, partials, np.vectorize, bound and static methods) gets a tripwire, which
#   records the call and raises;
# * during each graded call a profile hook (sys.setprofile) watches for the references' own
#   code running, however it was reached (a stored bound method, a partial called from C,
#   the acts implementation behind a private name), and for calls of the torch/numpy builtins
#   they name. Switching the hook off during a call counts as calling a reference.
TRIPPED: list[str] = []
MONITOR_REMOVED = "sys.setprofile (the grader's call monitor)"  # also in grading.remote
WATCHED_CODES: dict[tuple, str] = {}  # _code_key of a reference's code -> its label
WATCHED_BUILTINS: dict[int, str] = {}  # id of a builtin function or method descriptor -> label
WATCHED_NAMES: set[str] = set()
TRUSTED_CALLERS: set[object] = set()  # the runner's own code that may call a reference (autograd.grad)
WATCHED_ATEN: dict[str, str] = {}  # aten operator name -> label ("aten:sigmoid" in references.yml)
OP_CALLS: set[object] = set()  # the code of torch.ops' __call__ (torch.ops.aten.NAME(...), .default(...))


_LABEL_OF_CODE: dict[object, str | None] = {}  # a code object seen in a graded call -> its label
_UNSEEN = object()


def _code_key(code) -> tuple:
    """What a function's code is, whatever object holds it: a copy (``code.replace(co_name=...)``,
    a new FunctionType around it) has the same key."""
    return (code.co_code, code.co_names, code.co_varnames, code.co_argcount)
_AUTOGRAD_GRAD = None  # the runner's own torch.autograd.grad, kept before any tripwire


def _tripwire(label: str, question: str):
    def tripwire(*args, **kwargs):
        TRIPPED.append(label)
        raise ReferenceBlocked(f"{label} is a reference implementation of what question {question} asks for; "
                               "it is not available while the question is graded")
    tripwire.__name__ = label.rsplit(".", 1)[-1].rsplit(":", 1)[-1]
    return tripwire


class _TrippedProps:
    """What ``acts.get(name).props`` gives while ``name`` is blocked: reading it is a call of the
    reference (its computed minimum, fixed points, ... would answer a question)."""

    def __init__(self, label: str, question: str):
        self._wire = _tripwire(label, question)

    def __getitem__(self, key):
        return self._wire()

    get = keys = values = items = __iter__ = __len__ = __contains__ = lambda self, *a: self._wire()


#: the forms a spec may write itself (what a question blocks besides the public forms): every
#: route to an activation's values (the public functions, RUNNERS, a copy of their code, the
#: autograd Function) runs one of them
_SPEC_FORMS = ("f", "df", "jvp", "product", "torch_f", "torch_df", "torch_f_fast", "torch_df_fast", "torch_f_df",
               "torch_f_df_fast", "torch_vjp", "torch_vjp_fast", "torch_call", "torch_forward", "torch_backward")


def _own_forms(spec) -> list:
    """The forms written in the spec's own class body (not its kind's generic ones)."""
    forms = (vars(spec).get(attr) for attr in _SPEC_FORMS)
    return [getattr(fn, "__func__", fn) for fn in forms if fn is not None]


def _acts_code_owners() -> dict[object, set[str]]:
    """For each code object behind an acts form, the activations it belongs to (a code shared by
    several, e.g. a generic wrapper, is no evidence of any one of them)."""
    import acts
    from acts import nn

    owners: dict[object, set[str]] = {}
    for name in acts.names():
        a = acts.get(name)
        funcs = _own_forms(a.spec) + [nn.FUNCTIONS.get(name), getattr(nn.MODULES.get(name), "forward", None)]
        for fn in funcs:
            code = getattr(fn, "__code__", None)
            if code is not None:
                owners.setdefault(code, set()).add(name)
    return owners


def _targets(spec: str) -> list[tuple[object, str, object]]:
    """(owner, attribute, original) for every place a reference spec names."""
    found = []
    if spec.startswith("acts:"):
        import acts
        from acts import nn

        name = spec[5:]
        a = acts.get(name)
        for attr in ("f", "df", "torch", "module", "jacobian", "jvp", "torch_compiled"):
            if callable(getattr(a, attr, None)):
                found.append((a, attr, getattr(a, attr)))
        for attr in _SPEC_FORMS:
            if attr in vars(a.spec):  # the staticmethod itself, so that restoring it restores the class
                found.append((a.spec, attr, vars(a.spec)[attr]))
        tables = (nn.FUNCTIONS, nn.RUNNERS, nn.MODULES)
        for table in tables:
            if a.name in table:
                found.append((table, a.name, table[a.name]))
        raw = _own_forms(a.spec) + [table.get(a.name) for table in tables]
        for module_name, module in list(sys.modules.items()):
            if module_name == "acts" or module_name.startswith("acts."):
                for attr, value in list(vars(module).items()):
                    if any(value is r for r in raw if r is not None):
                        found.append((module, attr, value))
        return found
    if spec.startswith("aten:"):  # seen by the dispatch mode, not by name
        import torch

        return [] if hasattr(torch.ops.aten, spec[5:]) else _missing(spec)
    parts = spec.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:-1]:
            owner = getattr(owner, attr)
        found.append((owner, parts[-1], getattr(owner, parts[-1])))
        return found
    raise ValueError(f"cannot find the reference {spec!r}")


def _missing(spec: str):
    raise ValueError(f"cannot find the reference {spec!r}")


def _watch(spec: str, original, owners) -> None:
    """Let the profile hook recognise ``original`` (a reference named by ``spec``) when it runs."""
    func = getattr(original, "__func__", original)
    if isinstance(original, type):  # a module class: its forward
        func = vars(original).get("forward")
    code = getattr(func, "__code__", None)
    if code is not None:
        if spec.startswith("acts:") and owners.get(code) != {spec[5:]}:
            return  # generic code (Activation.f, a shared wrapper): the specific parts are watched
        WATCHED_CODES[_code_key(code)] = spec
    elif callable(original) and not isinstance(original, type):
        WATCHED_BUILTINS[id(original)] = spec
        WATCHED_NAMES.add(getattr(original, "__name__", ""))
        owner = getattr(original, "__self__", None)  # a method bound to an object (the autograd engine)
        if owner is not None and not isinstance(owner, types.ModuleType):
            descriptor = getattr(type(owner), getattr(original, "__name__", ""), None)
            if descriptor is not None:
                WATCHED_BUILTINS[id(descriptor)] = spec


def install_tripwires(specs: list[str], question: str, namespace: dict) -> None:
    import threading

    originals: dict[int, object] = {}
    objects: list = []  # the originals themselves (their ids are originals' keys)
    owners = _acts_code_owners() if any(s.startswith("acts:") for s in specs) else {}
    for spec in specs:
        for owner, attr, original in _targets(spec):
            _watch(spec, original, owners)
            wire_fn = _tripwire(spec, question)
            try:
                if isinstance(owner, dict):
                    owner[attr] = wire_fn
                else:
                    setattr(owner, attr, wire_fn)
            except (AttributeError, TypeError):  # a builtin's attribute: the profile hook watches it
                pass
            originals[id(original)] = wire_fn
            objects.append(original)
            underlying = getattr(original, "__func__", None)  # a bound method's function
            # (not Activation.f & co.: they are every activation's; the instance's _f is swapped)
            if underlying is not None and not getattr(underlying, "__qualname__", "").startswith("Activation."):
                originals.setdefault(id(underlying), wire_fn)
    for spec in specs:
        if spec.startswith("acts:"):
            import acts

            a = acts.get(spec[5:])
            trap = _TrippedProps(spec, question)
            if a._props is not None:  # computed before the question: a copy the student kept is swapped too
                originals[id(a._props)] = trap
            a._props = trap
    WATCHED_ATEN.update({spec[5:]: spec for spec in specs if spec.startswith("aten:")})
    if WATCHED_ATEN:
        import torch._ops

        OP_CALLS.update((torch._ops.OpOverloadPacket.__call__.__code__, torch._ops.OpOverload.__call__.__code__))
    if WATCHED_CODES or WATCHED_BUILTINS or WATCHED_ATEN:
        WATCHED_BUILTINS[id(sys.setprofile)] = MONITOR_REMOVED
        WATCHED_NAMES.add("setprofile")
        WATCHED_CODES[_code_key(threading.setprofile.__code__)] = MONITOR_REMOVED
        TRUSTED_CALLERS.update((_vjp.__code__, monitored.__exit__.__code__))
        if _AUTOGRAD_GRAD is not None:
            from torch.autograd import graph

            AUTOGRAD_INTERNALS.update((_AUTOGRAD_GRAD.__code__, graph._engine_run_backward.__code__))
    if originals:
        _replace_everywhere(originals, objects)
        _replace_in(namespace, originals, namespace, set(), 0)


def _replace_everywhere(originals: dict[int, object], objects: list) -> None:
    """The references under every other name: each module's attributes (numpy._core.umath.tanh,
    scipy.special._ufuncs.expit, ...) and every dict and list that holds one (an object's or a
    namespace's attributes). Immutable holders (a frozenset) cannot be changed in place."""
    import gc

    for module in list(sys.modules.values()):
        try:
            names = vars(module)
        except TypeError:
            continue
        if names is globals():  # the runner keeps its own torch.autograd.grad
            continue
        for attr, value in list(names.items()):
            if id(value) in originals:
                names[attr] = originals[id(value)]
    mine = (originals, WATCHED_BUILTINS, HANDLES, objects, globals())
    for holder in gc.get_referrers(*objects):
        if any(holder is m for m in mine):
            continue
        if isinstance(holder, dict):
            for k, v in list(holder.items()):
                if id(v) in originals:
                    holder[k] = originals[id(v)]
        elif isinstance(holder, list):
            for i, v in enumerate(holder):
                if id(v) in originals:
                    holder[i] = originals[id(v)]


AUTOGRAD_INTERNALS: set[object] = set()  # torch's own frames between the runner's _vjp and the engine


def _trusted(frame) -> bool:
    """A builtin called by the runner itself, or by torch.autograd.grad on the runner's behalf."""
    for _ in range(3):
        if frame is None:
            return False
        if frame.f_code in TRUSTED_CALLERS:
            return True
        if frame.f_code not in AUTOGRAD_INTERNALS:
            return False
        frame = frame.f_back
    return False


def _monitor(frame, event, arg):
    if event == "call" and frame.f_code in OP_CALLS:  # torch.ops.aten.NAME: the operator's name
        op = frame.f_locals.get("self")
        label = WATCHED_ATEN.get(getattr(getattr(op, "_overloadpacket", op), "__name__", None))
        if label is not None:
            TRIPPED.append(label)
    elif event == "call":
        code = frame.f_code
        label = _LABEL_OF_CODE.get(code, _UNSEEN)
        if label is _UNSEEN:  # first call of this code: its key once (hashing bytecode is not free)
            label = _LABEL_OF_CODE[code] = WATCHED_CODES.get(_code_key(code))
        if label is not None and (frame.f_back is None or frame.f_back.f_code not in TRUSTED_CALLERS):
            TRIPPED.append(label)
    elif event == "c_call" and getattr(arg, "__name__", None) in WATCHED_NAMES and not _trusted(frame):
        label = WATCHED_BUILTINS.get(id(arg))
        if label is None:  # a method bound to its object: look the descriptor up on the type
            owner = getattr(arg, "__self__", None)
            label = WATCHED_BUILTINS.get(id(getattr(type(owner), arg.__name__, None)))
        if label is not None:
            TRIPPED.append(label)


class monitored:
    """The profile hook around one graded call (and the threads it starts)."""

    def __enter__(self):
        import threading

        self.active = bool(WATCHED_CODES or WATCHED_BUILTINS or WATCHED_ATEN)
        if self.active:
            threading.setprofile(_monitor)
            sys.setprofile(_monitor)
        return self

    def __exit__(self, *exc):
        import threading

        if self.active:
            if sys.getprofile() is not _monitor:
                TRIPPED.append(MONITOR_REMOVED)
            sys.setprofile(None)
            threading.setprofile(None)
        return False


def _swapped(value, originals, depth=0):
    """``value`` with references to originals replaced (holders rebuilt); ``value`` itself when
    it holds none."""
    if id(value) in originals:
        return originals[id(value)]
    if isinstance(value, functools.partial) and id(value.func) in originals:
        return functools.partial(originals[id(value.func)], *value.args, **value.keywords)
    if isinstance(value, types.MethodType) and id(value.__func__) in originals:
        return types.MethodType(originals[id(value.__func__)], value.__self__)
    if isinstance(value, (staticmethod, classmethod)) and id(value.__func__) in originals:
        return type(value)(originals[id(value.__func__)])
    if type(value) in (tuple, frozenset, set) and depth < 4:  # rebuilt around swapped items, nested too
        items = [_swapped(v, originals, depth + 1) for v in value]
        if any(new is not old for new, old in zip(items, value)):
            return type(value)(items)
        return value
    try:
        import numpy as np

        if isinstance(value, np.vectorize) and id(value.pyfunc) in originals:
            value.pyfunc = originals[id(value.pyfunc)]
    except ImportError:  # pragma: no cover - numpy is a course requirement
        pass
    return value


def _replace_in(container, originals, namespace, seen, depth):
    """Swap references to originals for their tripwires in the student's names, function
    defaults and closures, the holders they keep, and the classes and objects they define (a
    few levels deep)."""
    if depth > 4 or id(container) in seen:
        return
    seen.add(id(container))
    items = list(container.items()) if isinstance(container, dict) else list(enumerate(container))
    for key, value in items:
        new = _swapped(value, originals)
        if new is not value:
            try:
                container[key] = new
            except TypeError:
                pass
            continue
        if isinstance(value, (dict, list)):
            _replace_in(value, originals, namespace, seen, depth + 1)
        elif isinstance(value, tuple):
            _replace_in(list(value), originals, namespace, seen, depth + 1)  # reaches mutable items
        elif isinstance(value, types.FunctionType) and value.__globals__ is namespace:
            _replace_in_function(value, originals, namespace, seen, depth + 1)
        elif isinstance(value, functools.partial):
            _replace_in([value.func, *value.args, *value.keywords.values()], originals, namespace, seen, depth + 1)
        elif isinstance(value, type) and getattr(value, "__module__", None) == "__main__":
            for attr, member in list(vars(value).items()):
                new = _swapped(member, originals)
                if new is not member:
                    setattr(value, attr, new)
                    continue
                func = getattr(member, "__func__", member)
                if isinstance(func, types.FunctionType):
                    _replace_in_function(func, originals, namespace, seen, depth + 1)
        elif getattr(type(value), "__module__", None) == "__main__" and isinstance(getattr(value, "__dict__", None), dict):
            _replace_in(vars(value), originals, namespace, seen, depth + 1)


def _replace_in_function(fn, originals, namespace, seen, depth):
    if id(fn) in seen:
        return
    seen.add(id(fn))
    swap = lambda v: _swapped(v, originals)  # noqa: E731
    if fn.__defaults__:
        fn.__defaults__ = tuple(swap(v) for v in fn.__defaults__)
    if fn.__kwdefaults__:
        fn.__kwdefaults__ = {k: swap(v) for k, v in fn.__kwdefaults__.items()}
    for cell in fn.__closure__ or ():
        try:
            value = cell.cell_contents
        except ValueError:  # an empty cell
            continue
        new = swap(value)
        if new is not value:
            cell.cell_contents = new
        elif isinstance(value, types.FunctionType):
            _replace_in_function(value, originals, namespace, seen, depth + 1)
        elif isinstance(value, (dict, list)):
            _replace_in(value, originals, namespace, seen, depth + 1)


# --- calls ------------------------------------------------------------------------------
def describe(namespace: dict, name: str) -> dict:
    import torch

    if not isinstance(name, str) or name not in namespace:
        return {"kind": "missing"}
    value = namespace[name]
    if value is Ellipsis:  # the student edition's blank answer
        return {"kind": "unanswered"}
    if isinstance(value, type) and issubclass(value, torch.nn.Module):
        return {"kind": "module_class"}
    try:
        return {"kind": "data", "value": wire.encode(value)}
    except wire.WireError:
        pass
    if callable(value):
        return {"kind": "callable"}
    return {"kind": "unreadable", "type": type(value).__name__}


def call(namespace: dict, request: dict, call_timeout: float) -> dict:
    import numpy as np
    import torch

    target = request["target"]
    fn = namespace[target["global"]] if "global" in target else HANDLES[int(target["handle"])]
    args = wire.decode(request.get("args", []), _resolve)
    kwargs = wire.decode(request.get("kwargs", {"$dict": {}}), _resolve)
    params = wire.decode(request.get("params", {"$dict": {}}), _resolve)
    grad_outputs = wire.decode(request["vjp"], _resolve) if request.get("vjp") is not None else None
    if params:
        with torch.no_grad():
            own = dict(fn.named_parameters())
            for name, value in params.items():
                own[name].data = value.detach().clone()
    TRIPPED.clear()
    caught = []
    try:
        errstate = {k: v for k, v in (request.get("errstate") or {}).items()
                    if k in ("divide", "over", "under", "invalid") and v in ("ignore", "warn", "raise")}
        with warnings.catch_warnings(record=True) as caught, np.errstate(**errstate):
            warnings.simplefilter("always")
            _alarm(call_timeout)
            with monitored():
                result = fn(*args, **kwargs)
                grads = None if grad_outputs is None else _vjp(fn, args, result, grad_outputs, params)
            _disarm()
    except BaseException as exc:  # the submission's own exception, whatever it is
        _disarm()
        return {"error": f"{type(exc).__name__}: {_short(exc)}", "tripped": list(TRIPPED),
                "warnings": _warnings(caught)}
    reply = {"tripped": list(TRIPPED), "warnings": _warnings(caught)}
    try:
        reply["value"] = wire.encode(result, _handle_for) if grads is None else None
        if grads is not None:
            reply["grads"] = wire.encode(grads)
        reply["mutated"] = [[i, wire.encode_module(a)] for i, a in enumerate(args)
                            if isinstance(a, torch.nn.Module) and wire.is_plain_layer(a)]
    except wire.WireError as exc:
        return {"error": f"the function returned something the grader cannot read: {exc}",
                "tripped": list(TRIPPED), "warnings": reply["warnings"]}
    return reply


def _vjp(fn, args, result, grad_outputs, params):
    """Gradients of the call's tensor outputs, contracted with grad_outputs, with respect to the
    tensor arguments that require them (then the module's parameters)."""
    import torch

    outputs = result if isinstance(result, (tuple, list)) else (result,)
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if isinstance(o, torch.Tensor) and g is not None]
    inputs = [a for a in args if isinstance(a, torch.Tensor) and a.requires_grad]
    if isinstance(fn, torch.nn.Module) and params:
        own = dict(fn.named_parameters())
        inputs += [own[name] for name in params]
    if not pairs or not inputs:
        return [None] * len(inputs)
    grads = _AUTOGRAD_GRAD([o for o, _ in pairs], inputs, [g for _, g in pairs], allow_unused=True)
    return list(grads)


def _warnings(caught) -> list[list[str]]:
    return [[w.category.__name__, _short(w.message, 200)] for w in (caught or [])[:20]]


# --- the loop ---------------------------------------------------------------------------
def serve_question(chan_in: int, chan_out: int, namespace: dict, request: dict) -> None:
    """In the forked child: tripwires in, then the question's calls until end_question."""
    try:
        install_tripwires(request.get("references", []), request.get("name", "?"), namespace)
        wire.send(chan_out, {"ok": True})
    except Exception as exc:
        wire.send(chan_out, {"ok": False, "error": f"{type(exc).__name__}: {exc}"})
        _real_exit(0)
    call_timeout = float(request.get("call_timeout", 30))
    while True:
        message = wire.receive(chan_in)
        op = message.get("op")
        if op == "end_question":
            wire.send(chan_out, {"ok": True})
            _real_exit(0)
        try:
            if op == "describe":
                reply = describe(namespace, message.get("name"))
            elif op == "call":
                reply = call(namespace, message, call_timeout)
            else:
                reply = {"error": f"unknown request {op!r}"}
        except BaseException as exc:  # the grader's request could not be served
            reply = {"error": f"{type(exc).__name__}: {_short(exc)}", "tripped": list(TRIPPED)}
        wire.send(chan_out, reply)


#: keyctl's system call number (libc has no wrapper); where unknown, keyrings are left as they are
_KEYCTL = {"x86_64": 250, "aarch64": 219}.get(os.uname().machine)


def _fresh_keyrings() -> None:
    """The kernel keeps a uid's keyrings from one process to the next: a key one submission
    stored would reach the next one graded as the same uid. Empty the user keyrings, and swap
    the session keyring inherited from the grader's login for an anonymous one."""
    if _KEYCTL is None:
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    join_session, clear, user, user_session = 1, 7, -4, -5
    libc.syscall(ctypes.c_long(_KEYCTL), ctypes.c_long(join_session), None)
    for keyring in (user, user_session):
        libc.syscall(ctypes.c_long(_KEYCTL), ctypes.c_long(clear), ctypes.c_long(keyring))


def main(argv: list[str]) -> int:
    _fresh_keyrings()
    chan_in, chan_out = int(argv[0]), int(argv[1])
    for fd in (chan_in, chan_out):
        os.set_inheritable(fd, False)  # programs the submission starts do not get the channel
    hello = wire.receive(chan_in)
    set_limits(hello.get("limits", {}))
    os.environ.setdefault("MPLBACKEND", "Agg")
    _stub_otter()
    import numpy  # noqa: F401  (imported once, before the submission, for every question's fork)
    import torch

    torch.set_num_threads(1)
    global _AUTOGRAD_GRAD
    _AUTOGRAD_GRAD = torch.autograd.grad
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(colors="nocolor")
    namespace = shell.user_ns
    sys.stdout = CappedStream(sys.stdout, MAX_OUTPUT)
    sys.stderr = CappedStream(sys.stderr, MAX_OUTPUT)
    # so that a stray exit ends the cell, not the grading (the runner keeps the real ones)
    os._exit, os.abort = _refuse("os._exit()"), _refuse("os.abort()")
    wire.send(chan_out, {"ok": True, "pid": os.getpid()})
    while True:
        message = wire.receive(chan_in)
        op = message.get("op")
        if op == "run":
            reply = run_cells(shell, message["cells"], float(message.get("cell_timeout", 60)))
            wire.send(chan_out, reply)
        elif op == "question":
            sys.stdout.flush()
            child = os.fork()
            if child == 0:
                serve_question(chan_in, chan_out, namespace, message)
                _real_exit(0)
            _, status = os.waitpid(child, 0)
            wire.send(chan_out, {"ready": True, "status": status})
        elif op == "exit":
            wire.send(chan_out, {"ok": True})
            return 0
        else:
            wire.send(chan_out, {"error": f"unknown request {op!r}"})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
