"""``torch`` for the spec modules, imported on first use (``import acts`` needs no torch).

A spec module writes ``torch = lazy_torch(globals())`` and uses ``torch.exp`` etc. in its
torch forms as usual. The first attribute looked up imports torch and puts the real module
into every holder's globals, so from then on (and under ``torch.compile``, whose tracer must
see the real module) the name is plain ``torch``.
"""

from __future__ import annotations

_HOLDERS: list[dict] = []


class _LazyTorch:
    def __getattr__(self, attr):
        return getattr(bind(), attr)

    def __repr__(self):
        return "<torch, imported on first use>"


LAZY = _LazyTorch()


def lazy_torch(module_globals: dict) -> _LazyTorch:
    """Register a module that names ``torch``; returns the stand-in to assign to it."""
    _HOLDERS.append(module_globals)
    return LAZY


def bind():
    """Import torch and hand it to every module holding the stand-in; return it."""
    import torch

    for g in _HOLDERS:
        if g.get("torch") is LAZY:
            g["torch"] = torch
    return torch
