"""The experiments behind the book's Labs: published claims, re-run small and seeded.

Each lab is one function that runs a whole experiment and returns plain numbers (a
``dict`` of floats and lists, per seed), and one ``*_verdict`` function that reads those
numbers against the lab's criterion and returns :class:`Verdict`\\ s. The notebooks under
``chapters/labs/`` call these functions, plot the numbers and print the verdict lines;
``tests/test_labs.py`` calls the same functions and asserts the criteria, so a change
that flips a verdict fails the tests as well as nbval.

Everything here is small enough for two CPU cores: data are scikit-learn's ``load_digits``
(1,797 images of 8×8 pixels, shipped with scikit-learn) or synthetic; every run is
seeded; every activation is an :mod:`acts` torch module (``acts.get(name).module()``).
Runs use **one** torch thread (restored afterwards), so float32 results do not depend on
the machine's core count; each run forks torch's random state, so calling a lab does not
disturb the caller's random numbers.

>>> from acts import labs
>>> labs.mean_sd([1.0, 2.0, 3.0])
(2.0, 1.0)
>>> labs.pm([0.101, 0.099, 0.1], digits=3)
'0.100 ± 0.001'
"""

from __future__ import annotations

import contextlib
import math
import numbers
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, Iterable, Sequence

import numpy as np

import acts

__all__ = [
    "LABS", "Verdict", "Digits", "INITS", "digits", "mlp", "init_linear", "layer_outputs", "fit",
    "mean_sd", "pm", "mean_field", "fixed_point",
    "SELU_CONDITIONS", "selu_fixed_point", "selu_fixed_point_verdict", "selu_deep_training",
    "selu_deep_training_verdict", "sigmoid_saturation", "sigmoid_saturation_verdict",
    "he_vs_xavier", "he_vs_xavier_verdict", "born_dead", "born_dead_bounds", "born_dead_verdict",
    "dead_units", "dead_units_verdict", "depth_sweep", "depth_sweep_verdict",
    "gelu_dropout", "gelu_dropout_verdict", "GRADIENT_INITS", "first_layer_gradient", "gradient_depth",
    "gradient_depth_verdict", "signal_depth", "signed",
]

#: Lab anchors (MyST targets at the top of each notebook) → the verdict ids they print.
LABS = {
    "lab-selu": ("selu-fixed-point", "selu-deep-training"),
    "lab-sigmoid": ("sigmoid-saturation",),
    "lab-he-init": ("he-init",),
    "lab-dying-relu": ("dying-relu-init", "dying-relu-training"),
    "lab-mish": ("mish-depth",),
    "lab-gelu": ("gelu-dropout",),
    "lab-gradients": ("vanishing-gradients",),
}

_STATUSES = ("reproduced", "partly", "not reproduced")


# ----------------------------------------------------------------------------------------
# Small helpers: checks, statistics, formatting, verdicts
# ----------------------------------------------------------------------------------------
def _seeds(seeds) -> tuple[int, ...]:
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        raise TypeError(f"seeds must be a sequence of ints, e.g. (0, 1, 2); got the int {seeds!r}. "
                        f"Use range({seeds}) for that many seeds.")
    try:
        out = tuple(seeds)
    except TypeError:
        raise TypeError(f"seeds must be a sequence of ints, e.g. (0, 1, 2); got {seeds!r}.") from None
    if any(isinstance(s, bool) or not isinstance(s, numbers.Integral) for s in out):
        raise TypeError(f"seeds must be ints; got {out!r}.")
    if len(out) < 1:
        raise ValueError("seeds must not be empty; the labs use at least 3, e.g. (0, 1, 2).")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct; got {out!r}.")
    return tuple(int(s) for s in out)


def _positive_int(name, value, minimum=1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}; got {value}.")
    return int(value)


def _positive_float(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}.")
    return float(value)


def _rate(name, value) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1); got {value!r}.")
    return float(value)


def mean_sd(values: Iterable[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    v = np.asarray(list(values), dtype=np.float64)
    if v.size == 0:
        raise ValueError("mean_sd needs at least one value.")
    return float(v.mean()), float(v.std(ddof=1)) if v.size > 1 else 0.0


def _round(x: float, digits: int) -> str:
    s = f"{x:.{digits}f}"
    return s.lstrip("-") if float(s) == 0 else s


def pm(values: Iterable[float], digits: int = 2, *, sci: bool | None = None) -> str:
    """``mean ± sd`` of per-seed values, rounded to ``digits`` decimals, with no ``-0.00``.
    In scientific notation (``digits`` significant digits) with ``sci=True``, or by
    default when the mean is >= 10⁴ or too small to show in ``digits`` decimals.

    >>> pm([1e-20, 3e-20])
    '2.0e-20 ± 1.4e-20'
    """
    m, s = mean_sd(values)
    if sci is None:
        sci = m != 0 and (abs(m) >= 1e4 or abs(m) < 10.0**-digits)
    if sci:
        return f"{m:.{max(digits - 1, 0)}e} ± {s:.1e}"
    return f"{_round(m, digits)} ± {_round(s, digits)}"


@dataclass(frozen=True)
class Verdict:
    """One claim's verdict: ``status`` is 'reproduced', 'partly' or 'not reproduced'."""

    lab: str
    status: str
    metric: str
    criterion: str

    def __post_init__(self):
        if self.status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}; got {self.status!r}.")

    @property
    def line(self) -> str:
        return f"VERDICT {self.lab}: {self.status} — {self.metric} (criterion: {self.criterion})"

    def __str__(self) -> str:
        return self.line


def _status(checks: Sequence[bool]) -> str:
    n = sum(bool(c) for c in checks)
    return "reproduced" if n == len(checks) else ("not reproduced" if n == 0 else "partly")


# ----------------------------------------------------------------------------------------
# torch plumbing: one thread, forked random state
# ----------------------------------------------------------------------------------------
def _torch():
    import torch

    return torch


@contextlib.contextmanager
def _run(seed: int):
    """One torch thread and a private random state seeded with ``seed``."""
    torch = _torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            yield
    finally:
        torch.set_num_threads(threads)


# ----------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Digits:
    """scikit-learn's digits as torch tensors, split once (seed 0): 1,348 training and
    449 test images of 64 pixels, labels 0–9 (see :func:`digits` for the scaling)."""

    X_train: "object"
    y_train: "object"
    X_test: "object"
    y_test: "object"
    scaling: str = "pixel"

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


@lru_cache(maxsize=2)
def _digits_arrays(scaling: str):
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    perm = np.random.default_rng(0).permutation(len(y))
    X, y = X[perm].astype(np.float64), y[perm].astype(np.int64)
    n_train = int(round(0.75 * len(y)))
    if scaling == "pixel":
        mu, sd = X[:n_train].mean(axis=0), X[:n_train].std(axis=0)
        X = (X - mu) / np.where(sd > 0, sd, 1.0)
    else:  # "image": each image to mean 0 and variance 1 over its pixels
        X = (X - X.mean(axis=1, keepdims=True)) / X.std(axis=1, keepdims=True)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def digits(dtype=None, *, scaling: str = "pixel") -> Digits:
    """The digits as torch tensors (float32 unless ``dtype`` says otherwise).

    ``scaling='pixel'`` (for training): every pixel standardised with the training set's
    mean and standard deviation (constant pixels stay 0). Rare pixels then take large
    values (up to ~35) in the few images where they are on. ``scaling='image'`` (for
    signal propagation at initialisation): every image scaled to mean 0 and variance 1
    over its 64 pixels, so that every input has the same second moment — the setting of
    the mean-field analyses, whose statistics are over the units of a layer for one input.
    """
    torch = _torch()
    if scaling not in ("pixel", "image"):
        raise ValueError(f"scaling must be 'pixel' or 'image'; got {scaling!r}.")
    dtype = torch.float32 if dtype is None else dtype
    Xtr, ytr, Xte, yte = _digits_arrays(scaling)
    return Digits(torch.tensor(Xtr, dtype=dtype), torch.tensor(ytr), torch.tensor(Xte, dtype=dtype),
                  torch.tensor(yte), scaling)


# ----------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------
#: Weight variance of each initialisation, as a function of (fan_in, fan_out). Biases are 0.
INITS: dict[str, Callable[[int, int], float]] = {
    "lecun": lambda fi, fo: 1.0 / fi,             # LeCun et al. 1998; what SELU needs
    "he": lambda fi, fo: 2.0 / fi,                # He et al. 2015 (kaiming normal, fan_in)
    "xavier": lambda fi, fo: 2.0 / (fi + fo),     # Glorot & Bengio 2010 (normalised init, normal form)
    "standard": lambda fi, fo: 1.0 / (3.0 * fi),  # U[-1/√n, 1/√n]: Glorot & Bengio's "standard",
}                                                 # also torch's default nn.Linear weights
_UNIFORM_INITS = ("standard",)


def init_linear(layer, scheme: str) -> None:
    """Re-initialise an ``nn.Linear`` in place: weights normal with the variance
    ``INITS[scheme](fan_in, fan_out)`` (uniform U[-1/√n, 1/√n] for 'standard'), biases 0."""
    torch = _torch()
    if scheme not in INITS:
        raise ValueError(f"unknown initialisation {scheme!r}; choose one of {', '.join(INITS)}.")
    fan_out, fan_in = layer.weight.shape
    var = INITS[scheme](fan_in, fan_out)
    with torch.no_grad():
        if scheme in _UNIFORM_INITS:
            bound = math.sqrt(3.0 * var)
            layer.weight.uniform_(-bound, bound)
        else:
            layer.weight.normal_(0.0, math.sqrt(var))
        if layer.bias is not None:
            layer.bias.zero_()


def mlp(n_in: int, width: int, depth: int, n_out: int | None, activation: str, *, init: str = "lecun",
        dropout: float = 0.0, dropout_kind: str = "plain", batchnorm: bool = False, act_params=None,
        bias: bool = True, dtype=None):
    """A fully connected network: ``depth`` blocks of Linear(width) [→ BatchNorm] →
    activation [→ Dropout], then a Linear readout to ``n_out`` outputs (none if ``n_out``
    is None).

    The activation is ``acts.get(activation).module(**act_params)``; every Linear follows
    ``init`` (see :func:`init_linear`; biases start at 0, or are absent with ``bias=False``).
    ``dropout_kind`` is 'plain' (``nn.Dropout``) or 'alpha' (``nn.AlphaDropout``, the SELU
    paper's variant). Returns an ``nn.Sequential`` whose first ``depth`` children are the
    blocks (each an ``nn.Sequential``) and whose last child is the readout.
    """
    torch = _torch()
    from torch import nn

    n_in = _positive_int("n_in", n_in)
    width = _positive_int("width", width)
    depth = _positive_int("depth", depth)
    if n_out is not None:
        n_out = _positive_int("n_out", n_out)
    dropout = _rate("dropout", dropout)
    if dropout_kind not in ("plain", "alpha"):
        raise ValueError(f"dropout_kind must be 'plain' or 'alpha'; got {dropout_kind!r}.")
    if init not in INITS:
        raise ValueError(f"unknown initialisation {init!r}; choose one of {', '.join(INITS)}.")
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a name such as 'selu' (see acts.names()); got {activation!r}.")
    a = acts.get(activation)  # KeyError with suggestions for unknown names
    dtype = torch.float32 if dtype is None else dtype
    blocks = []
    fan_in = n_in
    for _ in range(depth):
        lin = nn.Linear(fan_in, width, bias=bias, dtype=dtype)
        init_linear(lin, init)
        parts = [lin]
        if batchnorm:
            parts.append(nn.BatchNorm1d(width, dtype=dtype))
        parts.append(a.module(**(act_params or {})))
        if dropout > 0:
            parts.append(nn.AlphaDropout(dropout) if dropout_kind == "alpha" else nn.Dropout(dropout))
        blocks.append(nn.Sequential(*parts))
        fan_in = width
    if n_out is not None:
        out = nn.Linear(fan_in, n_out, bias=bias, dtype=dtype)
        init_linear(out, init)
        blocks.append(out)
    return nn.Sequential(*blocks)


def layer_outputs(model, x, *, pre: bool = False) -> list:
    """The output of every hidden block of an :func:`mlp` (post-activation, after dropout
    if any), or with ``pre=True`` each block's pre-activation (the output of its Linear,
    or of its BatchNorm when it has one). The readout is not included."""
    from torch import nn

    outs = []
    h = x
    for block in model:
        if not isinstance(block, nn.Sequential):
            break
        pre_h = None
        for part in block:
            h = part(h)
            if isinstance(part, (nn.Linear, nn.BatchNorm1d)):
                pre_h = h
        outs.append(pre_h if pre else h)
    return outs


def _evaluate(model, X, y) -> tuple[float, float]:
    """(cross-entropy, accuracy) of ``model`` in evaluation mode on a whole set."""
    torch = _torch()
    import torch.nn.functional as F

    model.eval()
    with torch.no_grad():
        out = model(X)
        return float(F.cross_entropy(out, y)), float((out.argmax(dim=1) == y).double().mean())


def fit(model, data: Digits, *, optimizer: str = "sgd", lr: float, epochs: int, batch_size: int,
        momentum: float = 0.0, seed: int = 0, every: int | None = None, probe: Callable | None = None) -> dict:
    """Train ``model`` on ``data`` with cross-entropy; return the history.

    ``optimizer`` is 'sgd' (with ``momentum``) or 'adam'. Mini-batches are reshuffled every
    epoch by a generator seeded with ``seed``. Before training and after every epoch the
    history records the training loss and the training and test accuracy (evaluation
    mode, whole sets). With ``every=k`` and ``probe(model) -> dict``, the probe's numbers
    are recorded (evaluation mode, no gradient) at step 0 and every ``k`` steps, with their
    ``step``, in ``history['probe']``. A loss that turns NaN or infinite stops the run
    (``history['diverged']``).
    """
    torch = _torch()
    import torch.nn.functional as F

    lr = _positive_float("lr", lr)
    epochs = _positive_int("epochs", epochs, minimum=0)
    batch_size = _positive_int("batch_size", batch_size)
    if every is not None:
        every = _positive_int("every", every)
        if probe is None:
            raise ValueError("every= needs a probe(model) -> dict to call.")
    if optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    elif optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        raise ValueError(f"optimizer must be 'sgd' or 'adam'; got {optimizer!r}.")
    gen = torch.Generator().manual_seed(seed)
    X, y = data.X_train, data.y_train
    n = X.shape[0]
    hist = {"epoch": [], "train_loss": [], "train_acc": [], "test_acc": [], "probe": [],
            "steps_per_epoch": -(-n // batch_size), "diverged": False}

    def record_probe(step):
        model.eval()
        with torch.no_grad():
            hist["probe"].append({"step": step, **probe(model)})

    def record_epoch(epoch):
        loss, acc = _evaluate(model, X, y)
        hist["epoch"].append(epoch)
        hist["train_loss"].append(loss)
        hist["train_acc"].append(acc)
        hist["test_acc"].append(_evaluate(model, data.X_test, data.y_test)[1])

    record_epoch(0)
    if every:
        record_probe(0)
    step = 0
    for epoch in range(1, epochs + 1):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            if not torch.isfinite(loss):
                hist["diverged"] = True
                break
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if every and step % every == 0:
                record_probe(step)
                model.train()
        record_epoch(epoch)
        if hist["diverged"]:
            break
    hist["steps"] = step
    return hist


# ----------------------------------------------------------------------------------------
# Mean-field signal propagation (Poole et al. 2016; Schoenholz et al. 2017)
# ----------------------------------------------------------------------------------------
_Z = np.linspace(-12.0, 12.0, 48000)  # an even count: 0 (a kink of ReLU & co.) is not a node
_ZW = np.exp(-0.5 * _Z**2)
_ZW /= _ZW.sum()


def _gauss(fn, q: float) -> float:
    """E[fn(h)] for h ~ N(0, q) (a fine trapezoid rule: exact enough at kinks too)."""
    return float(np.sum(_ZW * fn(math.sqrt(q) * _Z)))


def mean_field(activation: str, sigma_w2: float, depth: int, *, q0: float = 1.0) -> dict:
    """The variance map of a deep random network (weights N(0, σ_w²/fan_in), biases 0):
    q_{l+1} = σ_w² E[f(h)²], h ~ N(0, q_l), from ``q0``, and χ_l = σ_w² E[f'(h)²] at each
    layer (the factor by which a squared gradient norm grows passing back through it).
    Returns ``q`` and ``chi`` (lists of ``depth`` values)."""
    a = acts.get(activation)
    sigma_w2 = _positive_float("sigma_w2", sigma_w2)
    q = _positive_float("q0", q0)
    depth = _positive_int("depth", depth)
    qs, chis = [], []
    for _ in range(depth):
        qs.append(q)
        chis.append(sigma_w2 * _gauss(lambda h: a.df(h) ** 2, q))
        q = sigma_w2 * _gauss(lambda h: a.f(h) ** 2, q)
    return {"q": qs, "chi": chis}


def fixed_point(activation: str, sigma_w2: float, *, q0: float = 1.0, iterations: int = 5000) -> dict:
    """The fixed point q* of the variance map (see :func:`mean_field`), iterated from
    ``q0``, and χ* = σ_w² E[f'(h)²] there: ``slope = ½ ln χ*`` is the predicted slope of
    ln ‖gradient‖ against depth once the signal has reached q*. When the map drives q to
    0 (tanh with σ_w² = 1, only like 1/L; GELU with σ_w² = 2) q* = 0 and χ* = σ_w² f'(0)²."""
    a = acts.get(activation)
    sigma_w2 = _positive_float("sigma_w2", sigma_w2)
    q = _positive_float("q0", q0)
    converged = False
    for _ in range(iterations):
        q_new = sigma_w2 * _gauss(lambda h: a.f(h) ** 2, q)
        if abs(q_new - q) <= 1e-12 * q:
            q, converged = q_new, True
            break
        q = q_new
        if q < 1e-10:
            break
    if not converged and q < 1e-3:  # still shrinking towards 0
        q, chi = 0.0, sigma_w2 * float(a.df(0.0)) ** 2
    else:
        chi = sigma_w2 * _gauss(lambda h: a.df(h) ** 2, q)
    return {"q": q, "chi": chi, "slope": 0.5 * math.log(chi)}


def signed(x: float, digits: int = 2) -> str:
    """``x`` with an explicit sign, rounded to ``digits`` decimals; a value that rounds to
    zero prints as plain ``0.00`` (no ``-0.00``)."""
    s = f"{x:+.{digits}f}"
    return f"{0:.{digits}f}" if float(s) == 0 else s


def _fit_slope(xs, ys) -> float:
    return float(np.polyfit(np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), 1)[0])


# ========================================================================================
# Lab: SELU's fixed point (Klambauer et al. 2017)
# ========================================================================================
#: label → (activation, init, dropout, dropout kind)
SELU_CONDITIONS = {
    "SELU, LeCun": ("selu", "lecun", 0.0, "plain"),
    "SELU, LeCun, alpha dropout 0.1": ("selu", "lecun", 0.1, "alpha"),
    "SELU, LeCun, plain dropout 0.1": ("selu", "lecun", 0.1, "plain"),
    "SELU, Xavier": ("selu", "xavier", 0.0, "plain"),
    "SELU, He": ("selu", "he", 0.0, "plain"),
    "SELU, standard U[-1/√n, 1/√n]": ("selu", "standard", 0.0, "plain"),
    "ReLU, He": ("relu", "he", 0.0, "plain"),
    "ReLU, LeCun": ("relu", "lecun", 0.0, "plain"),
}


def selu_fixed_point(seeds=(0, 1, 2, 3, 4), *, depth: int = 64, width: int = 256, n_samples: int = 256,
                     conditions=None) -> dict:
    """Forward ``n_samples`` standardised digits through ``depth`` random dense layers of
    ``width`` units, for each condition (see ``SELU_CONDITIONS``: activation,
    initialisation, dropout; dropout in training mode, i.e. active). Records the mean and
    the variance of the activations (over all units and samples) after every layer.

    Returns ``{"depth", "width", "seeds", "conditions": {label: {"mean", "var"
    (per seed, at the last layer), "mean_by_layer", "var_by_layer" (per seed, per layer)}}}``.
    """
    torch = _torch()
    seeds = _seeds(seeds)
    depth = _positive_int("depth", depth)
    width = _positive_int("width", width)
    n_samples = _positive_int("n_samples", n_samples)
    conds = SELU_CONDITIONS if conditions is None else conditions
    X = digits(scaling="image").X_train[:n_samples]
    out = {"depth": depth, "width": width, "seeds": seeds, "conditions": {}}
    for label, (act, init, p, kind) in conds.items():
        rec = {"mean": [], "var": [], "mean_by_layer": [], "var_by_layer": []}
        for seed in seeds:
            with _run(seed):
                net = mlp(X.shape[1], width, depth, None, act, init=init, dropout=p, dropout_kind=kind)
                net.train()
                with torch.no_grad():
                    hs = layer_outputs(net, X)
                m = [float(h.mean()) for h in hs]
                v = [float(h.var(unbiased=False)) for h in hs]
            rec["mean_by_layer"].append(m)
            rec["var_by_layer"].append(v)
            rec["mean"].append(m[-1])
            rec["var"].append(v[-1])
        out["conditions"][label] = rec
    return out


def _at_fixed_point(rec) -> bool:
    return all(abs(m) < 0.05 and 0.9 <= v <= 1.1 for m, v in zip(rec["mean"], rec["var"]))


def selu_fixed_point_verdict(res: dict) -> Verdict:
    """Reproduced when SELU with LeCun initialisation, without and with alpha dropout, ends
    at |mean| < 0.05 and variance in [0.9, 1.1] for every seed (partly: one of the two)."""
    c = res["conditions"]
    plain, alpha = c["SELU, LeCun"], c["SELU, LeCun, alpha dropout 0.1"]
    checks = [_at_fixed_point(plain), _at_fixed_point(alpha)]
    L = res["depth"]
    metric = (f"layer {L}: mean={pm(plain['mean'], 3)}, var={pm(plain['var'], 2)}; "
              f"with alpha dropout: mean={pm(alpha['mean'], 3)}, var={pm(alpha['var'], 2)}")
    crit = (f"|mean| < 0.05 and var in [0.9, 1.1] at layer {L} for each of {len(res['seeds'])} seeds, "
            f"SELU + LeCun init, without and with alpha dropout")
    return Verdict("selu-fixed-point", _status(checks), metric, crit)


def selu_deep_training(seeds=(0, 1, 2), *, depth: int = 32, width: int = 64, lr: float = 0.01,
                       epochs: int = 10, batch_size: int = 64,
                       conditions=(("SELU, LeCun", "selu", "lecun"), ("ReLU, He", "relu", "he"))) -> dict:
    """Train ``depth``-layer MLPs (no normalisation layers) on the digits with plain SGD
    at the same budget, one per condition (label, activation, init) and seed. Returns
    ``{label: {"train_loss", "test_acc" (per seed, final), "curves" (per seed, training
    loss after each epoch)}}`` plus the settings."""
    seeds = _seeds(seeds)
    data = digits()
    out = {"depth": depth, "width": width, "lr": lr, "epochs": epochs, "batch_size": batch_size,
           "seeds": seeds, "runs": {}}
    for label, act, init in conditions:
        rec = {"train_loss": [], "test_acc": [], "curves": []}
        for seed in seeds:
            with _run(seed):
                net = mlp(data.n_features, width, depth, 10, act, init=init)
                h = fit(net, data, optimizer="sgd", lr=lr, epochs=epochs, batch_size=batch_size, seed=seed)
            rec["train_loss"].append(h["train_loss"][-1])
            rec["test_acc"].append(h["test_acc"][-1])
            rec["curves"].append(h["train_loss"])
        out["runs"][label] = rec
    return out


def selu_deep_training_verdict(res: dict) -> Verdict:
    """Reproduced when, for every seed, the SELU network's training loss falls below 0.5
    at some epoch of the budget and the ReLU network's never does."""
    selu, relu = res["runs"]["SELU, LeCun"], res["runs"]["ReLU, He"]
    best_selu = [min(c) for c in selu["curves"]]
    best_relu = [min(c) for c in relu["curves"]]
    checks = [all(v < 0.5 for v in best_selu), all(v >= 0.5 for v in best_relu)]
    metric = (f"lowest training loss in {res['epochs']} epochs: SELU {pm(best_selu)}, "
              f"ReLU (He init) {pm(best_relu)}; final test accuracy SELU {pm(selu['test_acc'])}, "
              f"ReLU {pm(relu['test_acc'])}")
    crit = (f"{res['depth']} layers × {res['width']}, SGD lr {res['lr']}: SELU's training loss falls below 0.5 "
            f"and ReLU's does not, for each of {len(res['seeds'])} seeds")
    return Verdict("selu-deep-training", _status(checks), metric, crit)


# ========================================================================================
# Lab: sigmoid saturation (Glorot & Bengio 2010)
# ========================================================================================
def sigmoid_saturation(seeds=(0, 1, 2), *, activations=("sigmoid", "tanh"), depth: int = 4, width: int = 256,
                       lr: float = 0.1, batch_size: int = 10, epochs: int = 10, probe_every: int = 27,
                       n_probe: int = 300) -> dict:
    """Glorot & Bengio's setting, scaled to the digits: ``depth`` hidden layers of
    ``width`` units, "standard" initialisation U[-1/√n, 1/√n] with zero biases, SGD with
    ``lr`` on mini-batches of ``batch_size``. Every ``probe_every`` steps the mean
    activation of each hidden layer is measured on ``n_probe`` fixed training images.

    Returns ``{activation: {"epochs" (probe times in epochs), "layer_means" (per seed:
    per probe, per layer), "test_acc" (per seed, per epoch), "top_final" (per seed: the
    top hidden layer's mean activation after the last epoch)}}`` plus the settings."""
    torch = _torch()
    seeds = _seeds(seeds)
    data = digits()
    Xp = data.X_train[:n_probe]

    def probe(net):
        return {"means": [float(h.mean()) for h in layer_outputs(net, Xp)]}

    out = {"depth": depth, "width": width, "lr": lr, "batch_size": batch_size, "epochs": epochs,
           "seeds": seeds, "runs": {}}
    for act in activations:
        rec = {"layer_means": [], "test_acc": [], "top_final": []}
        for seed in seeds:
            with _run(seed):
                net = mlp(data.n_features, width, depth, 10, act, init="standard")
                h = fit(net, data, optimizer="sgd", lr=lr, epochs=epochs, batch_size=batch_size, seed=seed,
                        every=probe_every, probe=probe)
                net.eval()
                with torch.no_grad():
                    top = float(layer_outputs(net, Xp)[-1].mean())
            spe = h["steps_per_epoch"]
            rec["epochs"] = [p["step"] / spe for p in h["probe"]]
            rec["layer_means"].append([p["means"] for p in h["probe"]])
            rec["test_acc"].append(h["test_acc"])
            rec["top_final"].append(top)
        out["runs"][act] = rec
    return out


def sigmoid_saturation_verdict(res: dict) -> Verdict:
    """Reproduced when, for every seed, the sigmoid network's top hidden layer ends with
    mean activation < 0.1 and test accuracy <= 0.2 (chance: 0.1), and the tanh network
    reaches test accuracy >= 0.95."""
    sig, tanh = res["runs"]["sigmoid"], res["runs"]["tanh"]
    sig_acc = [a[-1] for a in sig["test_acc"]]
    tanh_acc = [a[-1] for a in tanh["test_acc"]]
    checks = [all(v < 0.1 for v in sig["top_final"]), all(a <= 0.2 for a in sig_acc),
              all(a >= 0.95 for a in tanh_acc)]
    E = res["epochs"]
    metric = (f"after {E} epochs: sigmoid top-layer mean activation={pm(sig['top_final'], 3)}, "
              f"sigmoid test accuracy={pm(sig_acc)}, tanh test accuracy={pm(tanh_acc)}")
    crit = (f"for each of {len(res['seeds'])} seeds, within {E} epochs: sigmoid top-layer mean < 0.1 "
            f"and accuracy <= 0.2 (chance 0.1); tanh accuracy >= 0.95")
    return Verdict("sigmoid-saturation", _status(checks), metric, crit)


# ========================================================================================
# Lab: He vs Xavier initialisation for deep ReLU networks (He et al. 2015)
# ========================================================================================
def he_vs_xavier(seeds=(0, 1, 2), *, depth: int = 30, width: int = 128, lr: float = 0.002,
                 momentum: float = 0.9, epochs: int = 10, batch_size: int = 32, n_probe: int = 512) -> dict:
    """A ``depth``-layer ReLU MLP on the digits, initialised by Xavier (variance 2/(n_in +
    n_out)) or He (2/n_in), trained with SGD + momentum. Also measures, at initialisation,
    the second moment E[y²] of every layer's pre-activation on ``n_probe`` images, and the
    per-layer factor (E[y²] at the last layer / at the first)^(1/(depth-1)).

    Returns ``{init: {"train_loss" (per seed, per epoch), "test_acc" (per seed, final),
    "q_by_layer" (per seed, per layer), "factor" (per seed)}}`` plus the settings."""
    torch = _torch()
    seeds = _seeds(seeds)
    data = digits()
    Xp = data.X_train[:n_probe]
    out = {"depth": depth, "width": width, "lr": lr, "momentum": momentum, "epochs": epochs,
           "batch_size": batch_size, "seeds": seeds, "runs": {}}
    for init in ("xavier", "he"):
        rec = {"train_loss": [], "test_acc": [], "q_by_layer": [], "factor": []}
        for seed in seeds:
            with _run(seed):
                net = mlp(data.n_features, width, depth, 10, "relu", init=init)
                with torch.no_grad():
                    q = [float((y**2).mean()) for y in layer_outputs(net, Xp, pre=True)]
                h = fit(net, data, optimizer="sgd", lr=lr, momentum=momentum, epochs=epochs,
                        batch_size=batch_size, seed=seed)
            rec["q_by_layer"].append(q)
            rec["factor"].append((q[-1] / q[0]) ** (1.0 / (depth - 1)))
            rec["train_loss"].append(h["train_loss"])
            rec["test_acc"].append(h["test_acc"][-1])
        out["runs"][init] = rec
    return out


def he_vs_xavier_verdict(res: dict) -> Verdict:
    """Reproduced when, for every seed, Xavier's training loss stays above 2.2 at every
    epoch and He's falls below 0.5 at some epoch, and the per-layer variance factor is
    within 0.05 of 1/2 (Xavier) and within 0.1 of 1 (He); partly when one of the two holds."""
    xa, he = res["runs"]["xavier"], res["runs"]["he"]
    xa_best = [min(c) for c in xa["train_loss"]]
    he_best = [min(c) for c in he["train_loss"]]
    checks = [all(v > 2.2 for v in xa_best) and all(v < 0.5 for v in he_best),
              all(abs(f - 0.5) <= 0.05 for f in xa["factor"]) and all(abs(f - 1.0) <= 0.1 for f in he["factor"])]
    metric = (f"lowest training loss in {res['epochs']} epochs: Xavier {pm(xa_best)}, He {pm(he_best)}; "
              f"variance factor per layer: Xavier {pm(xa['factor'], 3)}, He {pm(he['factor'], 3)}")
    crit = (f"{res['depth']} ReLU layers × {res['width']}, each of {len(res['seeds'])} seeds: Xavier's loss stays "
            f"> 2.2 and He's falls < 0.5; factor 0.5 ± 0.05 (Xavier) and 1 ± 0.1 (He)")
    return Verdict("he-init", _status(checks), metric, crit)


# ========================================================================================
# Lab: dying ReLU (Lu et al. 2019)
# ========================================================================================
def born_dead_bounds(width: int, depth: int) -> tuple[float, float]:
    """Bounds on P(born dead) for a bias-free ReLU network with one input, ``depth``
    hidden layers of ``width`` units and weights from any continuous symmetric law.

    Derived in the lab: the network is positively homogeneous, so it is constant on
    [-1, 1] iff both rays (x > 0 and x < 0) die. One ray survives a layer with probability
    1 - 2^-width, independently of the earlier layers, so P(a ray dies) = u = 1 - (1 -
    2^-width)^depth exactly, and max(0, 2u - 1) <= P(both die) <= u."""
    width = _positive_int("width", width)
    depth = _positive_int("depth", depth, minimum=0)
    u = 1.0 - (1.0 - 0.5**width) ** depth
    return max(0.0, 2.0 * u - 1.0), u


def born_dead(seeds=(0, 1, 2), *, widths=(2, 3, 5, 10), max_depth: int = 30, n_nets: int = 2000,
              n_points: int = 101) -> dict:
    """Monte Carlo: ``n_nets`` bias-free ReLU networks per seed and width (one input, He
    normal weights), evaluated on ``n_points`` inputs in [-1, 1]. A network of depth L is
    born dead when its L-th hidden layer is 0 on every input (its output is then
    constant). The networks of depth L are the first L layers of the depth-``max_depth``
    ones, so one run gives every depth.

    Returns ``{"depths": [1..max_depth], "fraction": {width: per seed, per depth}}`` plus
    the settings."""
    torch = _torch()
    seeds = _seeds(seeds)
    max_depth = _positive_int("max_depth", max_depth)
    n_nets = _positive_int("n_nets", n_nets)
    n_points = _positive_int("n_points", n_points, minimum=2)
    widths = tuple(_positive_int("width", w) for w in widths)
    out = {"depths": list(range(1, max_depth + 1)), "widths": widths, "n_nets": n_nets, "seeds": seeds,
           "fraction": {}}
    x = torch.linspace(-1.0, 1.0, n_points, dtype=torch.float64)
    for w in widths:
        per_seed = []
        for seed in seeds:
            with _run(seed):
                h = x.reshape(1, n_points, 1).expand(n_nets, n_points, 1)
                fan_in, dead_at = 1, []
                for _ in range(max_depth):
                    W = torch.randn(n_nets, fan_in, w, dtype=torch.float64) * math.sqrt(2.0 / fan_in)
                    h = torch.relu(torch.bmm(h, W))
                    fan_in = w
                    dead_at.append(float((h == 0).flatten(1).all(dim=1).double().mean()))
            per_seed.append(dead_at)
        out["fraction"][w] = per_seed
    return out


def born_dead_verdict(res: dict) -> Verdict:
    """Reproduced when the born-dead fraction (all seeds pooled) lies within the bounds of
    :func:`born_dead_bounds`, widened by 3 Monte Carlo standard errors, at every width and
    depth — the lower bound tends to 1 with depth, which is the paper's claim."""
    n = res["n_nets"] * len(res["seeds"])
    ok, parts = True, []
    for w, per_seed in res["fraction"].items():
        pooled = np.mean(per_seed, axis=0)
        for L, p in zip(res["depths"], pooled):
            lo, hi = born_dead_bounds(w, L)
            se = math.sqrt(max(p * (1 - p), 1.0 / n) / n)
            ok &= lo - 3 * se <= p <= hi + 3 * se
        i10 = res["depths"].index(10) if 10 in res["depths"] else len(res["depths"]) - 1
        parts.append(f"{w}: {pm([s[i10] for s in per_seed], 3)}")
    L10 = res["depths"][i10]
    metric = f"born-dead fraction at depth {L10} by width " + ", ".join(parts)
    crit = (f"{n} networks per width, every depth 1–{res['depths'][-1]}: within the derived bounds "
            f"max(0, 2u − 1) ≤ P ≤ u, u = 1 − (1 − 2^−width)^depth, ± 3 s.e.")
    return Verdict("dying-relu-init", "reproduced" if ok else "not reproduced", metric, crit)


def dead_units(seeds=(0, 1, 2), *, lrs=(1e-3, 1e-2, 3e-2, 1e-1), activations=("relu", "leaky_relu"),
               depth: int = 3, width: int = 128, epochs: int = 10, batch_size: int = 64) -> dict:
    """Train a ``depth``-layer MLP (He init) on the digits with Adam at each learning rate;
    afterwards count the hidden units whose pre-activation is <= 0 on every training
    image (for ReLU: units that output 0 for every input and get no gradient — dead).

    Returns ``{activation: {lr: {"dead" (fraction, per seed), "test_acc" (per seed)}}}``
    plus the settings."""
    torch = _torch()
    seeds = _seeds(seeds)
    data = digits()
    out = {"lrs": tuple(lrs), "depth": depth, "width": width, "epochs": epochs, "batch_size": batch_size,
           "seeds": seeds, "runs": {}}
    for act in activations:
        out["runs"][act] = {}
        for lr in lrs:
            rec = {"dead": [], "test_acc": []}
            for seed in seeds:
                with _run(seed):
                    net = mlp(data.n_features, width, depth, 10, act, init="he")
                    h = fit(net, data, optimizer="adam", lr=lr, epochs=epochs, batch_size=batch_size, seed=seed)
                    net.eval()
                    with torch.no_grad():
                        pre = layer_outputs(net, data.X_train, pre=True)
                    never = torch.cat([(p <= 0).all(dim=0) for p in pre])
                rec["dead"].append(float(never.double().mean()))
                rec["test_acc"].append(h["test_acc"][-1])
            out["runs"][act][lr] = rec
    return out


def dead_units_verdict(res: dict) -> Verdict:
    """Reproduced when ReLU's dead fraction rises with the learning rate (means), from
    < 0.05 at the smallest to > 0.3 at the largest, and at the largest learning rate leaky
    ReLU has fewer never-active units and a higher test accuracy than ReLU for every seed."""
    relu, leaky = res["runs"]["relu"], res["runs"]["leaky_relu"]
    lrs = res["lrs"]
    means = [mean_sd(relu[lr]["dead"])[0] for lr in lrs]
    top = lrs[-1]
    checks = [
        all(a < b for a, b in zip(means, means[1:])) and means[0] < 0.05 and means[-1] > 0.3,
        all(lk < r for lk, r in zip(leaky[top]["dead"], relu[top]["dead"]))
        and all(lk > r for lk, r in zip(leaky[top]["test_acc"], relu[top]["test_acc"])),
    ]
    metric = (f"ReLU dead fraction {pm(relu[lrs[0]]['dead'], 3)} at lr {lrs[0]:g} → {pm(relu[top]['dead'], 2)} "
              f"at lr {top:g}; at lr {top:g}, leaky ReLU: never-active {pm(leaky[top]['dead'], 2)}, test accuracy "
              f"{pm(leaky[top]['test_acc'])} vs ReLU {pm(relu[top]['test_acc'])}")
    crit = (f"Adam, {res['depth']} layers × {res['width']}: ReLU dead fraction increasing in lr, < 0.05 → > 0.3; "
            f"at lr {top:g} leaky ReLU has fewer never-active units and higher accuracy, each of "
            f"{len(res['seeds'])} seeds")
    return Verdict("dying-relu-training", _status(checks), metric, crit)


# ========================================================================================
# Lab: Mish vs Swish vs ReLU with depth (Misra 2019)
# ========================================================================================
def depth_sweep(seeds=(0, 1, 2), *, activations=("relu", "swish", "mish"), depths=(4, 8, 12), width: int = 128,
                dropout: float = 0.25, lr: float = 0.01, momentum: float = 0.9, epochs: int = 5,
                batch_size: int = 64) -> dict:
    """Misra's depth experiment scaled to the digits: ``depth`` blocks of Linear(width) →
    BatchNorm → activation → Dropout(``dropout``), He init, SGD (``lr``, ``momentum``),
    the same budget for every network. Returns ``{activation: {depth: {"test_acc",
    "train_loss"} (per seed, final)}}`` plus the settings."""
    seeds = _seeds(seeds)
    data = digits()
    out = {"depths": tuple(depths), "width": width, "dropout": dropout, "lr": lr, "momentum": momentum,
           "epochs": epochs, "batch_size": batch_size, "seeds": seeds, "runs": {}}
    for act in activations:
        out["runs"][act] = {}
        for depth in depths:
            rec = {"test_acc": [], "train_loss": []}
            for seed in seeds:
                with _run(seed):
                    net = mlp(data.n_features, width, depth, 10, act, init="he", batchnorm=True, dropout=dropout)
                    h = fit(net, data, optimizer="sgd", lr=lr, momentum=momentum, epochs=epochs,
                            batch_size=batch_size, seed=seed)
                rec["test_acc"].append(h["test_acc"][-1])
                rec["train_loss"].append(h["train_loss"][-1])
            out["runs"][act][depth] = rec
    return out


def depth_sweep_verdict(res: dict) -> Verdict:
    """Reproduced when, at the largest depth, Mish has the highest mean test accuracy and
    the smallest drop from the shallowest depth (partly: one of the two)."""
    d0, d1 = res["depths"][0], res["depths"][-1]
    acc = {a: {d: mean_sd(r[d]["test_acc"])[0] for d in res["depths"]} for a, r in res["runs"].items()}
    others = [a for a in acc if a != "mish"]
    drop = {a: acc[a][d0] - acc[a][d1] for a in acc}
    checks = [all(acc["mish"][d1] > acc[a][d1] for a in others), all(drop["mish"] < drop[a] for a in others)]
    metric = "; ".join(
        f"{a}: " + ", ".join(f"depth {d} {pm(res['runs'][a][d]['test_acc'])}" for d in res["depths"])
        for a in res["runs"])
    crit = (f"test accuracy, {res['epochs']} epochs of SGD: at depth {d1} Mish highest, and Mish's drop "
            f"from depth {d0} smallest")
    return Verdict("mish-depth", _status(checks), metric, crit)


# ========================================================================================
# Lab: GELU, ReLU, ELU with dropout (Hendrycks & Gimpel 2016)
# ========================================================================================
def gelu_dropout(seeds=(0, 1, 2), *, activations=("gelu", "relu", "elu"), depth: int = 8, width: int = 128,
                 dropout: float = 0.5, lr: float = 1e-3, epochs: int = 20, batch_size: int = 128) -> dict:
    """The paper's MNIST classifier scaled to the digits: ``depth`` layers of ``width``
    units with dropout, Adam, LeCun-scaled initialisation (the paper's unit-norm rows have
    the same scale), batches of ``batch_size``. Returns ``{activation: {"train_loss" (per
    seed, per epoch; evaluation mode on the whole training set), "test_loss" is not
    kept; "test_acc" (per seed, final)}}`` plus the settings."""
    seeds = _seeds(seeds)
    data = digits()
    out = {"depth": depth, "width": width, "dropout": dropout, "lr": lr, "epochs": epochs,
           "batch_size": batch_size, "seeds": seeds, "runs": {}}
    for act in activations:
        rec = {"train_loss": [], "test_acc": []}
        for seed in seeds:
            with _run(seed):
                net = mlp(data.n_features, width, depth, 10, act, init="lecun", dropout=dropout)
                h = fit(net, data, optimizer="adam", lr=lr, epochs=epochs, batch_size=batch_size, seed=seed)
            rec["train_loss"].append(h["train_loss"])
            rec["test_acc"].append(h["test_acc"][-1])
        out["runs"][act] = rec
    return out


def gelu_dropout_verdict(res: dict) -> Verdict:
    """Reproduced when GELU's mean final training loss is the lowest of the three;
    partly when it beats some but not all; not reproduced when it beats none."""
    final = {a: [c[-1] for c in r["train_loss"]] for a, r in res["runs"].items()}
    g = mean_sd(final["gelu"])[0]
    checks = [g < mean_sd(v)[0] for a, v in final.items() if a != "gelu"]
    metric = "final training loss " + ", ".join(f"{a} {pm(v)}" for a, v in final.items())
    crit = (f"{res['depth']} layers × {res['width']}, dropout {res['dropout']}, Adam, {res['epochs']} epochs: "
            f"GELU's mean loss lowest")
    return Verdict("gelu-dropout", _status(checks), metric, crit)


# ========================================================================================
# Lab: vanishing gradients through depth (mean-field prediction)
# ========================================================================================
#: The initialisation each activation is usually paired with (σ_w² = fan_in · Var[w]).
GRADIENT_INITS = {"sigmoid": "lecun", "tanh": "lecun", "relu": "he", "gelu": "he", "selu": "lecun"}
_SIGMA_W2 = {"lecun": 1.0, "he": 2.0}


def first_layer_gradient(net, X, y) -> float:
    """Root mean square over the examples of ‖∂loss_x/∂W₁‖ (Frobenius norm of one
    example's cross-entropy gradient with respect to the first layer's weights). For one
    example that gradient is δ₁ xᵀ, with δ₁ the gradient at the first pre-activation, so
    its norm is ‖δ₁‖ ‖x‖."""
    torch = _torch()
    import torch.nn.functional as F

    first = net[0]
    pre = first[0](X)
    h = pre
    for part in list(first)[1:]:
        h = part(h)
    for block in list(net)[1:]:
        h = block(h)
    (d1,) = torch.autograd.grad(F.cross_entropy(h, y, reduction="sum"), pre)
    per_example = d1.norm(dim=1) * X.norm(dim=1)
    return float(per_example.pow(2).mean().sqrt())


def gradient_depth(seeds=(0, 1, 2), *, activations=("sigmoid", "tanh", "relu", "gelu", "selu"),
                   depths=tuple(range(2, 31, 2)), width: int = 128, n_samples: int = 256,
                   fit_from: int = 10) -> dict:
    """The first layer's gradient (see :func:`first_layer_gradient`) of fresh networks of
    each depth at initialisation (float64; cross-entropy on ``n_samples`` digits scaled per
    image; the initialisation of ``GRADIENT_INITS``). The slope of ln‖g‖ against depth is
    fitted for each seed over depths >= ``fit_from`` and compared with the mean-field
    prediction ½ ln χ* (see :func:`fixed_point`).

    Returns ``{activation: {"log_norm" (per seed, per depth), "slope" (per seed),
    "predicted", "q_star", "chi_star", "init", "sigma_w2", "path"}}`` plus the settings;
    ``path`` is the mean-field prediction of ln‖g‖ along the way to the fixed point,
    relative to the first depth: ½ Σ ln χ_l over the layers in between."""
    torch = _torch()

    seeds = _seeds(seeds)
    depths = tuple(_positive_int("depth", d) for d in depths)
    if sum(d >= fit_from for d in depths) < 2:
        raise ValueError(f"need at least two depths >= fit_from={fit_from} to fit a slope; got {depths}.")
    data = digits(dtype=torch.float64, scaling="image")
    X, y = data.X_train[:n_samples], data.y_train[:n_samples]
    out = {"depths": depths, "width": width, "n_samples": n_samples, "fit_from": fit_from, "seeds": seeds,
           "runs": {}}
    for act in activations:
        init = GRADIENT_INITS.get(act, "lecun")
        sw2 = _SIGMA_W2[init]
        fp = fixed_point(act, sw2)
        # mean-field path from the first layer (every input has mean square 1, so q₁ = σ_w²):
        # ln‖g‖ at depth d is ½ Σ_{l<=d} ln χ_l plus a depth-independent term.
        chi = mean_field(act, sw2, max(depths), q0=sw2)["chi"]
        path = np.cumsum(0.5 * np.log(chi))
        rec = {"init": init, "sigma_w2": sw2, "q_star": fp["q"], "chi_star": fp["chi"], "predicted": fp["slope"],
               "path": [float(path[d - 1] - path[depths[0] - 1]) for d in depths], "log_norm": [], "slope": []}
        for seed in seeds:
            logs = []
            for depth in depths:
                with _run(seed * 1000 + depth):
                    net = mlp(data.n_features, width, depth, 10, act, init=init, dtype=torch.float64)
                    logs.append(math.log(first_layer_gradient(net, X, y)))
            rec["log_norm"].append(logs)
            sel = [i for i, d in enumerate(depths) if d >= fit_from]
            rec["slope"].append(_fit_slope([depths[i] for i in sel], [logs[i] for i in sel]))
        out["runs"][act] = rec
    return out


def signal_depth(activation: str, seeds=(0, 1, 2), *, depth: int = 30, width: int = 128,
                 n_samples: int = 256) -> dict:
    """The forward signal of the :func:`gradient_depth` networks: the mean square q_l of
    every layer's pre-activation at initialisation (per seed), next to the mean-field path
    of :func:`mean_field` from the same start."""
    torch = _torch()
    seeds = _seeds(seeds)
    init = GRADIENT_INITS.get(activation, "lecun")
    sw2 = _SIGMA_W2[init]
    X = digits(dtype=torch.float64, scaling="image").X_train[:n_samples]
    qs = []
    for seed in seeds:
        with _run(seed * 1000 + depth):
            net = mlp(X.shape[1], width, depth, None, activation, init=init, dtype=torch.float64)
            with torch.no_grad():
                qs.append([float((h**2).mean()) for h in layer_outputs(net, X, pre=True)])
    return {"activation": activation, "init": init, "seeds": seeds, "q": qs,
            "mean_field": mean_field(activation, sw2, depth, q0=sw2)["q"]}


def gradient_depth_verdict(res: dict, tol: float = 0.05) -> Verdict:
    """Reproduced when every activation's fitted slope (mean over seeds) is within ``tol``
    (per layer, natural log) of the fixed-point prediction ½ ln χ*; partly when some are."""
    checks, parts = [], []
    for a, r in res["runs"].items():
        m = mean_sd(r["slope"])[0]
        checks.append(abs(m - r["predicted"]) <= tol)
        parts.append(f"{a} {pm(r['slope'])} (predicted {signed(r['predicted'])})")
    metric = "slope of ln‖grad W1‖ per layer: " + ", ".join(parts)
    crit = f"|measured − ½ ln χ*| ≤ {tol} per layer, fitted over depths {res['fit_from']}–{res['depths'][-1]}"
    return Verdict("vanishing-gradients", _status(checks), metric, crit)
