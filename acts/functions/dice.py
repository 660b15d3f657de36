"""Dice, the data-adaptive activation of the Deep Interest Network: a PReLU whose rectification
point follows the batch statistics."""

from __future__ import annotations

import numpy as np
from scipy import special

from ..kinds import REQUIRED, BatchStats, axis, optional_real_array, real
from ._numpy_math import _CLAMP, _keep_nan, _mul_sigmoid, _times, _with_limits
from ._torch_math import _logistic, _sigmoid, _up, _up_param

from .._lazy import lazy_torch

torch = lazy_torch(globals())

def _stats(x, ax, mean, var):
    if mean is None:
        # A batch holding ±inf has no mean/variance: every output is then nan.
        with np.errstate(invalid="ignore"):
            return np.mean(x, axis=ax, keepdims=True), np.var(x, axis=ax, keepdims=True)
    return np.asarray(mean, dtype=np.float64), np.asarray(var, dtype=np.float64)


def _t_stats(s, mean, var, eps, ax):
    if mean is None:
        m = s.mean(ax, keepdim=True)
        v = (s - m).square().mean(ax, keepdim=True)  # biased, as in batch norm
    else:
        m, v = mean, var
    r = torch.rsqrt(v + eps)
    return m, v, r, (s - m) * r


def _t_param(t, x, ax, T):
    """Tensors of the statistics' shape (x.shape without axis) are unsqueezed at axis."""
    if t is None:
        return None
    if T.is_number(t):
        return float(t)
    t = t if isinstance(t, torch.Tensor) else T.param_tensor(t, x)
    t = T.as_input(t) if not t.is_floating_point() else t
    if x.ndim >= 1 and t.ndim == x.ndim - 1:
        t = t.unsqueeze(ax % x.ndim)
    return t


class Dice(BatchStats):
    r"""Data-adaptive PReLU of the Deep Interest Network: the rectification point follows the data.

    :formula: p*s + (1 - p)*alpha*s
    :derivative: alpha + (1 - alpha)*(p + s*p*(1 - p)/sqrt(V + eps))
    :where: p = sigma((s - E)/sqrt(V + eps))
    :convention: Batch statistics (biased variance) over `axis` when mean/var are None (training); the given
        running statistics otherwise (eval). df needs the statistics.
    :paper: zhou2018
    :example: Dice(num_features=2).eval() | [[2.0, -2.0]] | tensor([[ 1.7616, -0.2384]],
        grad_fn=<DiceFunctionBackward>)
    """

    family = "adaptive gate"
    learnable = 1
    params = {"alpha": real(0.0, array=True, doc="the slope α of the low side (initial value in the module)"),
              "eps": real(1e-8, nonnegative=True, doc="ε added to the variance", symbol=r"\epsilon"),
              "axis": axis(0, doc="the batch axis the statistics are taken over"),
              "mean": optional_real_array(doc="running mean (eval); None: batch statistics"),
              "var": optional_real_array(nonnegative=True, doc="running variance (eval); None: batch statistics")}
    module_args = {"num_features": (REQUIRED, "C, the number of features"),
                   "momentum": (0.1, "running-statistics momentum, as torch.nn.BatchNorm1d")}
    module_order = ("num_features", "alpha", "eps", "momentum", "axis")
    module_excludes = ("mean", "var")
    module_learned = "alpha"
    shape_doc = ("(N, C) for axis=0 ((C, N) for axis=1): removing axis must leave (num_features,). "
                 "Reshape (N, T, C) to (NT, C).", "same shape as the input")

    def relation(p):
        if (p["mean"] is None) != (p["var"] is None):
            raise ValueError("dice: pass both mean= and var= (running statistics) or neither (batch statistics).")

    def f(x, alpha, eps, axis, mean, var):
        # f(s) = p(s)·s + (1 - p(s))·α·s = α·s + (1 - α)·s·p(s)
        m, v = _stats(x, axis, mean, var)
        sd = np.sqrt(v + eps)

        def core(s):
            return alpha * s + (1.0 - alpha) * _mul_sigmoid(s, (s - m) / sd)

        # s -> +inf: p -> 1, f ~ s;  s -> -inf: p -> 0, f ~ α·s.
        return _with_limits(x, core, _times(alpha, np.full_like(x, -np.inf)), np.inf)

    def df(x, alpha, eps, axis, mean, var):
        # eval form (given statistics): f' = α + (1-α)·(p + s·p(1-p)/sd)
        #                                   = α + (1-α)·σ(z)·(1 + (s/sd)·σ(-z)),  z = (s-m)/sd
        # (the Swish-derivative form: accurate near its root and in the left tail)
        m, v = _stats(x, axis, mean, var)
        sd = np.sqrt(v + eps)
        xc = np.clip(x, m - _CLAMP * sd, m + _CLAMP * sd)
        z = (xc - m) / sd
        gate = _mul_sigmoid(1.0 + xc / sd * special.expit(-z), z)
        return _keep_nan(x, alpha + (1.0 - alpha) * gate)

    def torch_call(T, x, alpha, eps, axis, mean, var):
        """Tensor ``alpha``, ``mean``, ``var`` of shape ``x.shape`` without ``axis`` are aligned by
        inserting ``axis``; other shapes must broadcast against ``x``."""
        a, m, v = (_t_param(t, x, axis, T) for t in (alpha, mean, var))
        cdt = _up(x).dtype  # numbers given as statistics become constants of the compute dtype
        m = torch.tensor(m, dtype=cdt, device=x.device) if isinstance(m, float) else m
        v = torch.tensor(v, dtype=cdt, device=x.device) if isinstance(v, float) else v
        return T.apply(T.function(Dice), x, a, m, v, eps, axis)

    def torch_forward(ctx, x, alpha, mean, var, eps, axis):
        r"""f = s·(α + (1 − α)·p), p = σ(z), z = (s − E[s])/√(Var[s] + ε). With mean/var None the
        statistics are the (biased) batch statistics over axis and the gradient flows through
        them (the batch-norm backward); otherwise mean/var are inputs with their own gradients.
        Saves the inputs x, α, mean, var only."""
        ctx.save_for_backward(x, *(t if isinstance(t, torch.Tensor) else None for t in (alpha, mean, var)))
        ctx.alpha_num = None if isinstance(alpha, torch.Tensor) else alpha
        ctx.eps, ctx.axis = eps, axis
        s = _up(x)
        a = _up_param(alpha)
        _, _, _, z = _t_stats(s, _up_param(mean), _up_param(var), eps, axis)
        mult = a + (1.0 - a) * _sigmoid(z)  # f = s·mult; mult == 0 only at s = −inf, α = 0
        return torch.where(mult == 0, 0.0, s * mult).to(x.dtype)

    def torch_backward(ctx, grad):
        x, alpha_t, mean_t, var_t = ctx.saved_tensors
        s, g = _up(x), _up(grad)
        a = ctx.alpha_num if alpha_t is None else _up(alpha_t)
        batch = mean_t is None
        m, v, r, z = _t_stats(s, None if batch else _up(mean_t), None if batch else _up(var_t), ctx.eps, ctx.axis)
        p, pq = _logistic(z)
        q = _sigmoid(-z)  # 1 − p without cancellation
        flat = pq == 0  # |z| so large that σ'(z) underflows (s = ±inf included): no inf·0
        gz = g * (1.0 - a) * torch.where(flat, 0.0, s * pq)  # ∂L/∂z
        gx = gm = gv = galpha = None
        if ctx.needs_input_grad[0]:
            gs = g * (a + (1.0 - a) * p)  # through s directly
            if batch:  # z = (s − m)r with m, v functions of s (batch-norm backward)
                ax = ctx.axis
                gs = gs + r * (gz - gz.mean(ax, keepdim=True) - z * (gz * z).mean(ax, keepdim=True))
            else:
                gs = gs + gz * r
            gx = gs.to(x.dtype)
        if alpha_t is not None and ctx.needs_input_grad[1]:
            # ∂f/∂α = s·(1 − p) → 0 as s → +inf
            galpha = (g * torch.where(q == 0, 0.0, s * q)).sum_to_size(alpha_t.shape).to(alpha_t.dtype)
        if not batch and ctx.needs_input_grad[2]:
            gm = (-(gz * r)).sum_to_size(mean_t.shape).to(mean_t.dtype)
        if not batch and ctx.needs_input_grad[3]:
            gv = (gz * (-0.5) * torch.where(flat, 0.0, z) * r * r).sum_to_size(var_t.shape).to(var_t.dtype)
        return gx, galpha, gm, gv, None, None

    def module_init(m):
        n = m._args["num_features"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ValueError(f"Dice: num_features must be a positive int, got {n!r}")
        m.num_features, m.momentum = n, m._args["momentum"]
        fk = {"device": m._args["device"], "dtype": m._args["dtype"]}
        m.alpha = torch.nn.Parameter(torch.full((n,), float(m._args["alpha"]), **fk))
        m.register_buffer("running_mean", torch.zeros(n, **fk))
        m.register_buffer("running_var", torch.ones(n, **fk))

    def module_forward(m, x):
        x = m._as_input(x)
        if x.ndim != 2 or x.shape[1 - m.axis % 2] != m.num_features:
            raise ValueError(f"Dice: expected a 2-D input whose size off axis {m.axis} is "
                             f"num_features={m.num_features}; got shape {tuple(x.shape)}")
        if m.training:
            with torch.no_grad():
                n = x.shape[m.axis]
                mean = x.mean(m.axis)
                var = x.var(m.axis, correction=1 if n > 1 else 0)
                m.running_mean.lerp_(mean.to(m.running_mean.dtype), m.momentum)
                m.running_var.lerp_(var.to(m.running_var.dtype), m.momentum)
            return m._call(x, alpha=m.alpha)
        return m._call(x, alpha=m.alpha, mean=m.running_mean, var=m.running_var)

    def module_repr(m):
        return f"num_features={m.num_features}, eps={m.eps}, momentum={m.momentum}, axis={m.axis}"
