"""Maxout: the maximum over groups of k consecutive inputs (a learned piecewise-linear unit)."""

from __future__ import annotations

import numpy as np

from ..kinds import Grouped, axis, integer

from .._lazy import lazy_torch

torch = lazy_torch(globals())


def _groups(x, k, ax):
    ax = ax % x.ndim
    shape = x.shape[:ax] + (x.shape[ax] // k, k) + x.shape[ax + 1:]
    return x.reshape(shape), ax


def _t_groups(x, k, ax):
    d = ax % x.ndim
    return x.unflatten(d, (x.shape[d] // k, k)), d + 1


class Maxout(Grouped):
    r"""Max over groups of k consecutive inputs: the layer before needs k× the outputs (and weights).

    :formula: GroupMax(x, i, k)
    :derivative: KroneckerDelta(j, FirstArgMax(x, i, k))
    :convention: The gradient goes to the first maximum of each group, as with torch.max(dim) and argmax
        (torch.amax would split it equally among tied maxima).
    :paper: goodfellow2013
    :example: Maxout(k=2) | [[1.0, 3.0, -1.0, -2.0]] | tensor([[ 3., -1.]])
    """

    family = "maxout"
    params = {"k": integer(2, minimum=1, doc="group size; the size along axis must be divisible by it"),
              "axis": axis(-1)}

    def f(x, k, axis):
        g, ax = _groups(x, k, axis)
        return np.max(g, axis=ax + 1)

    def jvp(x, v, k, axis):
        g, ax = _groups(x, k, axis)
        winner = np.expand_dims(np.argmax(g, axis=ax + 1), ax + 1)  # first maximum wins
        vg, _ = _groups(v, k, axis)
        return np.take_along_axis(vg, winner, axis=ax + 1).squeeze(ax + 1)

    def torch_forward(ctx, x, k, axis):
        ctx.save_for_backward(x)
        ctx.k, ctx.axis = k, axis
        xg, gd = _t_groups(x, k, axis)
        return xg.amax(gd)

    def torch_backward(ctx, grad):
        (x,) = ctx.saved_tensors
        xg, gd = _t_groups(x, ctx.k, ctx.axis)
        idx = xg.argmax(gd, keepdim=True)  # first maximal index, as documented by torch
        gx = torch.zeros_like(xg).scatter_(gd, idx, grad.unsqueeze(gd))
        return gx.flatten(gd - 1, gd), None, None

    def module_init(m):
        if not isinstance(m.k, int) or isinstance(m.k, bool) or m.k < 1:
            raise ValueError(f"Maxout: k must be a positive int, got {m.k!r}")
