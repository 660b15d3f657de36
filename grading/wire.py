"""The channel between the grader and a sandboxed submission: frames of JSON, arrays as .npy.

Nothing that crosses it can execute code on the receiving side: a frame is a 4-byte length and
UTF-8 JSON; arrays travel as ``.npy`` bytes loaded with ``allow_pickle=False`` and only with
numeric or boolean dtypes; torch tensors and the few torch layers the assignments pass around
(``nn.Sequential`` of ``nn.Linear`` and parameter-free activations, torch's or acts') are
rebuilt from arrays and a whitelist of class names. Everything else is refused with :class:`WireError`.

The same module runs on both sides: the grader decodes what the submission sends with it, and
the sandbox decodes the grader's test inputs with it.
"""

from __future__ import annotations

import base64
import io
import json
import os
import select
import struct
import sys
import time

import numpy as np

# Bytes in one message. JSON of nested empty lists decodes to ~30x its size in Python objects, so
# this bounds what one frame can cost the grader (~250 MB); the largest real message (a digits
# batch, a network's weights) is well under 2 MB.
MAX_FRAME = 8 * 2**20
MAX_DEPTH = 32
NUMERIC_KINDS = set("biufc")
# parameter-free layers that may cross as data (constructor arguments as JSON)
LAYERS = {"ReLU": (), "Tanh": (), "Sigmoid": (), "GELU": ("approximate",), "SiLU": (), "Mish": (),
          "Identity": (), "ELU": ("alpha",), "SELU": (), "LeakyReLU": ("negative_slope",),
          "Softplus": ("beta", "threshold"), "Softmax": ("dim",), "LogSoftmax": ("dim",)}


class WireError(Exception):
    """A message that is not in the channel's format, or a value that cannot cross it."""


# --- frames -----------------------------------------------------------------------------
def send(fd: int, message: dict) -> None:
    data = json.dumps(message, allow_nan=True, separators=(",", ":")).encode()
    if len(data) > MAX_FRAME:
        raise WireError(f"message of {len(data)} bytes exceeds the limit of {MAX_FRAME}")
    _write_all(fd, struct.pack(">I", len(data)) + data)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def receive(fd: int, timeout: float | None = None) -> dict:
    """One message; TimeoutError when none is complete within ``timeout`` seconds."""
    deadline = None if timeout is None else time.monotonic() + timeout
    (size,) = struct.unpack(">I", _read_exactly(fd, 4, deadline))
    if size > MAX_FRAME:
        raise WireError(f"a frame larger than the limit of {MAX_FRAME} bytes")
    try:
        message = json.loads(_read_exactly(fd, size, deadline).decode())
    except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: JSONDecodeError, huge ints
        # no detail from the frame's content: an error message must not carry data out
        raise WireError("a frame that is not JSON") from None
    if not isinstance(message, dict):
        raise WireError("a frame that is not a JSON object")
    return message


def _read_exactly(fd: int, n: int, deadline: float | None) -> bytes:
    chunks, left = [], n
    while left:
        if deadline is not None:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                raise TimeoutError("no reply in time")
        chunk = os.read(fd, min(left, 2**20))
        if not chunk:
            raise EOFError("the other side closed the channel")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# --- values -----------------------------------------------------------------------------
def _array_bytes(a: np.ndarray) -> str:
    buf = io.BytesIO()
    np.save(buf, a if a.flags.c_contiguous else a.copy(order="C"), allow_pickle=False)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _array_from(text) -> np.ndarray:
    if not isinstance(text, str):
        raise WireError("array data must be a base64 string")
    try:
        a = np.load(io.BytesIO(base64.b64decode(text, validate=True)), allow_pickle=False)
    except Exception as exc:  # malformed header, object dtype, truncated data, ...
        raise WireError(f"not a numeric .npy array: {type(exc).__name__}: {exc}") from None
    if not isinstance(a, np.ndarray) or a.dtype.kind not in NUMERIC_KINDS or a.dtype.fields is not None:
        raise WireError("only arrays of numbers or booleans can cross the channel")
    return a


def encode(value, refs=None, depth: int = 0, *, grads: bool = True):
    """A JSON-able form of ``value``. ``refs(value)`` may return a JSON form for values the
    caller knows how to name (callables); otherwise they raise WireError. ``grads=False`` leaves
    out tensors' ``.grad`` (the grader's tensors may hold gradients of expected values)."""
    if depth > MAX_DEPTH:
        raise WireError("the value is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) is int:
        return value if -2**63 <= value < 2**63 else {"$bigint": str(value)}
    if type(value) is float:
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in NUMERIC_KINDS:
            raise WireError(f"an array of dtype {value.dtype} cannot cross the channel; use numbers")
        return {"$nd": _array_bytes(value)}
    if isinstance(value, np.generic):
        if value.dtype.kind not in NUMERIC_KINDS:
            raise WireError(f"a {type(value).__name__} cannot cross the channel")
        return {"$np": _array_bytes(np.asarray(value))}
    if isinstance(value, complex):
        return {"$complex": [value.real, value.imag]}
    if isinstance(value, (int, float)):  # subclasses (bool handled above)
        return encode(int(value) if isinstance(value, int) else float(value), refs, depth + 1, grads=grads)
    if isinstance(value, tuple):
        return {"$tuple": [encode(v, refs, depth + 1, grads=grads) for v in value]}
    if isinstance(value, list):
        return [encode(v, refs, depth + 1, grads=grads) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"$set": [encode(v, refs, depth + 1, grads=grads) for v in value], "frozen": isinstance(value, frozenset)}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise WireError("dict keys must be strings to cross the channel")
        return {"$dict": {k: encode(v, refs, depth + 1, grads=grads) for k, v in value.items()}}
    torch = _torch()
    if torch is not None:
        if isinstance(value, torch.Tensor):
            return _encode_tensor(value, grads)
        if isinstance(value, torch.nn.Module) and is_plain_layer(value):
            return encode_module(value, grads)
    if refs is not None:
        named = refs(value)
        if named is not None:
            return named
    raise WireError(f"a value of type {type(value).__name__} cannot cross the channel")


def _encode_tensor(t, grads: bool = True) -> dict:
    d = t.detach()
    if str(d.dtype) == "torch.bfloat16":  # numpy has no bfloat16
        raise WireError("bfloat16 tensors cannot cross the channel; convert to float32")
    return {"$tensor": _array_bytes(d.cpu().numpy()), "requires_grad": bool(t.requires_grad),
            "grad": None if t.grad is None or not grads else _array_bytes(t.grad.detach().cpu().numpy())}


def is_plain_layer(m) -> bool:
    torch = _torch()
    if type(m) is torch.nn.Sequential:
        return all(is_plain_layer(c) for c in m)
    if type(m) is torch.nn.Linear:
        return True
    if _acts_layer_name(m) is not None:
        return True
    return type(m).__name__ in LAYERS and type(m) is getattr(torch.nn, type(m).__name__)


def _acts_layer_name(m) -> str | None:
    """The registry name of an acts activation module without parameters or buffers (it
    crosses as its name and scalar arguments), else None."""
    modules = getattr(sys.modules.get("acts.nn"), "MODULES", None)
    name = getattr(type(m), "name", None)
    if not modules or not isinstance(name, str) or modules.get(name) is not type(m):
        return None
    if any(True for _ in m.parameters()) or any(True for _ in m.buffers()) or m.compiled:
        return None
    if not all(v is None or isinstance(v, (int, float, str, bool)) for v in m._static().values()):
        return None
    return name


def encode_module(m, grads: bool = True) -> dict:
    torch = _torch()
    if type(m) is torch.nn.Sequential:
        return {"$module": "Sequential", "children": [encode_module(c, grads) for c in m]}
    if type(m) is torch.nn.Linear:
        return {"$module": "Linear", "weight": _encode_tensor(m.weight, grads),
                "bias": None if m.bias is None else _encode_tensor(m.bias, grads)}
    acts_name = _acts_layer_name(m)
    if acts_name is not None:
        return {"$module": "acts", "name": acts_name, "args": m._static()}
    name = type(m).__name__
    return {"$module": name, "args": {k: getattr(m, k) for k in LAYERS[name]}}


def decode(obj, resolve=None, depth: int = 0):
    """The value that :func:`encode` encoded. ``resolve(tag, payload)`` turns the caller's named
    references back into objects; without it they raise WireError."""
    if depth > MAX_DEPTH:
        raise WireError("the value is nested too deeply")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, list):
        return [decode(v, resolve, depth + 1) for v in obj]
    if not isinstance(obj, dict) or len(obj) == 0:
        raise WireError("a value that is not in the channel's format")
    tag = next(iter(obj))
    if not tag.startswith("$"):
        raise WireError("a value that is not in the channel's format")
    payload = obj[tag]
    if tag == "$nd":
        return _array_from(payload)
    if tag == "$np":
        return _array_from(payload)[()]
    if tag == "$tuple" and isinstance(payload, list):
        return tuple(decode(v, resolve, depth + 1) for v in payload)
    if tag == "$set" and isinstance(payload, list):
        items = [decode(v, resolve, depth + 1) for v in payload]
        try:
            return frozenset(items) if obj.get("frozen") else set(items)
        except TypeError:
            raise WireError("a set of values that cannot be in a set") from None
    if tag == "$dict" and isinstance(payload, dict):
        return {str(k): decode(v, resolve, depth + 1) for k, v in payload.items()}
    if tag == "$bigint" and isinstance(payload, str) and len(payload) < 400:
        return int(payload)
    if tag == "$complex" and isinstance(payload, list) and len(payload) == 2:
        return complex(float(payload[0]), float(payload[1]))
    if tag == "$tensor":
        return _decode_tensor(obj)
    if tag == "$module":
        return decode_module(obj)
    if resolve is not None:
        return resolve(tag, obj)
    raise WireError(f"unknown value tag {tag!r}")


def _decode_tensor(obj: dict):
    torch = _torch()
    if torch is None:
        raise WireError("a tensor, but torch is not installed")
    t = torch.from_numpy(_array_from(obj["$tensor"]).copy())
    if obj.get("requires_grad"):
        if not (t.is_floating_point() or t.is_complex()):
            raise WireError("only floating-point tensors can require gradients")
        t.requires_grad_(True)
    if obj.get("grad") is not None:
        g = torch.from_numpy(_array_from(obj["grad"]).copy())
        if g.shape != t.shape or g.dtype != t.dtype or not t.requires_grad:
            raise WireError("a gradient that does not match its tensor")
        t.grad = g
    return t


def decode_module(obj: dict):
    torch = _torch()
    kind = obj.get("$module")
    if kind == "Sequential":
        children = obj.get("children")
        if not isinstance(children, list):
            raise WireError("a Sequential without a list of children")
        return torch.nn.Sequential(*(decode_module(c) for c in children))
    if kind == "Linear":
        weight = _decode_tensor(obj["weight"])
        bias = None if obj.get("bias") is None else _decode_tensor(obj["bias"])
        if weight.dim() != 2 or (bias is not None and bias.shape != weight.shape[:1]):
            raise WireError("a Linear layer with inconsistent shapes")
        layer = torch.nn.Linear(1, 1, bias=bias is not None, device="meta")
        layer.weight = torch.nn.Parameter(weight.detach(), requires_grad=weight.requires_grad)
        layer.weight.grad = weight.grad
        if bias is not None:
            layer.bias = torch.nn.Parameter(bias.detach(), requires_grad=bias.requires_grad)
            layer.bias.grad = bias.grad
        layer.in_features, layer.out_features = weight.shape[1], weight.shape[0]
        return layer
    if kind == "acts":
        return _decode_acts_layer(obj)
    if kind in LAYERS:
        args = obj.get("args") or {}
        if not isinstance(args, dict) or set(args) - set(LAYERS[kind]) or \
                not all(v is None or isinstance(v, (int, float, str, bool)) for v in args.values()):
            raise WireError(f"bad arguments for a {kind} layer")
        return getattr(torch.nn, kind)(**args)
    raise WireError(f"a layer of kind {kind!r} cannot cross the channel")


def _decode_acts_layer(obj: dict):
    import acts

    name, args = obj.get("name"), obj.get("args") or {}
    if not isinstance(name, str) or name not in acts.names() or not isinstance(args, dict) or \
            not all(isinstance(k, str) and (v is None or isinstance(v, (int, float, str, bool)))
                    for k, v in args.items()):
        raise WireError("an acts layer that is not an activation's name and scalar arguments")
    try:
        layer = acts.get(name).module(**args)
    except (TypeError, ValueError) as exc:
        raise WireError(f"bad arguments for acts' {name} layer: {str(exc)[:200]}") from None
    if _acts_layer_name(layer) != name:
        raise WireError(f"acts' {name} layer has parameters: it cannot cross the channel")
    return layer


def copy_module_state(source, target) -> None:
    """Make ``target``'s parameters (values and .grad) those of ``source`` (same structure)."""
    torch = _torch()
    with torch.no_grad():
        for (name, p), q in zip(target.named_parameters(), source.parameters(), strict=True):
            if p.shape != q.shape:
                raise WireError(f"parameter {name} came back with another shape")
            p.copy_(q)
            p.grad = None if q.grad is None else q.grad.to(p.dtype).clone()


def _torch():
    try:
        import torch
    except ImportError:  # pragma: no cover - torch is a course requirement
        return None
    return torch
