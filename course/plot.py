"""The course's one plotting style: f and f' side by side, and the parameter explorer.

Every chapter draws its activation with these helpers, so all figures look alike:

* :func:`f_and_df` — f(x) and f'(x) in two panels, labelled axes, one colour *and* one line
  style per parameter set (Okabe–Ito palette, safe for colour-blind readers), on a light
  card so the figure stays legible in the site's dark mode.
* :func:`explorer` — f and f' over a range of one parameter: ``.live()`` gives ipywidgets
  sliders (needs a kernel, e.g. ``make lab``), displaying the object gives a self-contained
  offline animation (matplotlib ``to_jshtml``) for the static site.
* :func:`series` — one panel of labelled curves (e.g. gradient norm per layer);
  :func:`show` — display any figure with alt text; :func:`style` — the rc settings.

Both return an object whose text form lists the few numbers the figure shows (plotted
extremes, the location of the derivative's maximum, ...). nbval skips PNG outputs, so those
printed numbers are what the notebook tests compare. Every figure carries alt text, stored
in the output's metadata; the book's Sphinx extension (scripts/book_ext.py) puts it on the
``<img>``.

matplotlib (and ipywidgets, IPython) are imported lazily: ``import acts`` does not need them.
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = ["PALETTE", "LINESTYLES", "f_and_df", "explorer", "series", "show", "style",
           "Plot", "Explorer", "Series"]

#: Okabe & Ito (2008) colour-blind-safe palette, without yellow (too pale on a light card).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: One line style per series as well, so curves differ without colour (and in greyscale).
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1.5, 1, 1.5, 1, 1.5)), (0, (8, 2)), (0, (1, 1.2)))
#: The figure background: a light card (the site's dark mode keeps images on a light card).
CARD = "#ffffff"
INK = "#1a1a1a"
GRID = "#d0d0d0"

_RC = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.edgecolor": INK,
    "axes.labelcolor": INK,
    "axes.facecolor": CARD,
    "axes.grid": True,
    "grid.color": GRID,
    "grid.linewidth": 0.6,
    "xtick.color": INK,
    "ytick.color": INK,
    "text.color": INK,
    "figure.facecolor": CARD,
    "savefig.facecolor": CARD,
    "legend.frameon": True,
    "legend.framealpha": 0.9,
    "legend.fontsize": 10,
    "lines.linewidth": 2.0,
    "mathtext.fontset": "dejavusans",
    "svg.hashsalt": "acts",
}

#: Pixel width at which figures are shown (they are rendered at twice that for sharpness).
DISPLAY_WIDTH = 760
_DPI = 100
_SCALE = 2


def style():
    """A ``matplotlib.rc_context`` with the course style (for figures drawn by hand)."""
    import matplotlib as mpl

    return mpl.rc_context(_RC)


def _fmt(v: float) -> str:
    """Short, stable number formatting for the printed summaries."""
    v = float(v)
    if v == 0.0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    s = f"{v:.4g}"
    if s in ("-0", "0"):
        return "0"
    near = round(v)
    if float(s) == near and v != near:
        # e.g. 0.99999386 would print as "1": say how far from 1 it is instead
        gap = v - near
        return f"{near} {'-' if gap < 0 else '+'} {abs(gap):.3g}"
    return s


def _argmax_span(x: np.ndarray, dy: np.ndarray) -> tuple[float, float]:
    """First and last x where dy reaches its maximum (a plateau, e.g. ReLU, gives a span)."""
    finite = np.isfinite(dy)
    if not finite.any():
        return float("nan"), float("nan")
    top = np.max(dy[finite])
    hit = np.flatnonzero(finite & (dy >= top - 1e-12 * max(abs(top), 1e-300)))
    return float(x[hit[0]]), float(x[hit[-1]])


def _where(first: float, last: float) -> str:
    return f"at x = {_fmt(first)}" if first == last else f"on x in [{_fmt(first)}, {_fmt(last)}]"


def _param_text(params: dict) -> str:
    return ", ".join(f"{k} = {_fmt(v) if isinstance(v, (int, float)) else v}" for k, v in params.items())


def _series_label(params: dict) -> str:
    return _param_text(params) if params else "default"


def _math_name(a) -> str:
    return {"sigmoid": r"\sigma"}.get(a.name, r"\mathrm{" + a.name.replace("_", r"\_") + "}")


def _funcs(a) -> tuple[Callable, Callable]:
    """Vectorised (f, f') on a 1-D grid, for elementwise and non-elementwise activations."""
    if getattr(a, "elementwise", True):
        return a.f, a.df
    g, dg = a.section()
    return (lambda x, **p: np.array([g(t) for t in x], dtype=float),
            lambda x, **p: np.array([dg(t) for t in x], dtype=float))


def _with_temperature(f, df, params):
    """Support the pseudo-parameter ``temperature`` T: f_T(x) = f(x/T), f_T'(x) = f'(x/T)/T."""
    params = dict(params)
    t = params.pop("temperature", None)
    if t is None:
        return (lambda x: f(x, **params)), (lambda x: df(x, **params)), params
    t = float(t)
    if not t > 0:
        raise ValueError(f"temperature must be > 0; got {t}")
    return (lambda x: f(x / t, **params)), (lambda x: df(x / t, **params) / t), params


def _shrink_png(png: bytes) -> bytes:
    """Re-encode a PNG with a 64-colour palette: line art looks the same, ~3x smaller.

    Keeps notebooks (and the site) small; falls back to the original without Pillow.
    """
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with matplotlib
        return png
    im = Image.open(io.BytesIO(png)).convert("RGB")
    q = im.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buf = io.BytesIO()
    q.save(buf, format="PNG", optimize=True)
    return buf.getvalue() if buf.tell() < len(png) else png


def _png(fig, dpi: float = _DPI * _SCALE) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return _shrink_png(buf.getvalue())


def _display_png(png: bytes, alt: str, width: int = DISPLAY_WIDTH) -> None:
    """Display a PNG with alt text (metadata) and the alt text as its plain-text form."""
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - plain Python: nothing to display
        return
    if get_ipython() is None:
        return
    display(
        {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": f"[figure] {alt}"},
        raw=True,
        metadata={"image/png": {"width": width, "alt": alt}},
    )


# --------------------------------------------------------------------------------------
@dataclass
class Plot:
    """What :func:`f_and_df` drew: the figure, its alt text and the numbers it shows."""

    fig: Any
    alt: str
    rows: list = field(default_factory=list)
    name: str = ""

    @property
    def numbers(self) -> list[dict]:
        return self.rows

    def summary(self) -> str:
        lines = [f"{self.name}: plotted on x in [{_fmt(self.rows[0]['x_min'])}, {_fmt(self.rows[0]['x_max'])}]"]
        for r in self.rows:
            lines.append(
                f"  {r['label']}: f in [{_fmt(r['f_min'])}, {_fmt(r['f_max'])}], "
                f"f' in [{_fmt(r['df_min'])}, {_fmt(r['df_max'])}], "
                f"max f' {_where(r['argmax_df'], r['argmax_df_last'])}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    def png(self) -> bytes:
        return _png(self.fig)


def f_and_df(
    a,
    x: Sequence[float] | np.ndarray | None = None,
    params_list: Iterable[dict] | None = None,
    *,
    xlim: tuple[float, float] = (-6.0, 6.0),
    n: int = 1201,
    labels: Sequence[str] | None = None,
    mark: Sequence[float] = (),
    hlines: Sequence[float] = (),
    title: str | None = None,
    alt: str | None = None,
    show: bool = True,
) -> Plot:
    """Draw f(x) and f'(x) of activation ``a`` side by side; return a :class:`Plot`.

    ``params_list`` is a list of parameter dicts (one curve per dict; ``[{}]`` = defaults);
    the pseudo-parameter ``temperature`` draws f(x/T). ``mark`` puts a dot on both curves at
    those x; ``hlines`` draws dotted reference lines (e.g. asymptotes) on the f panel.
    In IPython the figure is displayed (with alt text) and the returned object's text form
    lists the plotted extremes, which nbval compares.
    """
    from matplotlib.figure import Figure

    if x is None:
        x = np.linspace(xlim[0], xlim[1], n)
    x = np.asarray(x, dtype=float)
    params_list = [dict(p) for p in (params_list or [{}])]
    if labels is not None and len(labels) != len(params_list):
        raise ValueError("labels must have one entry per parameter set")
    if len(params_list) > len(PALETTE):
        raise ValueError(f"at most {len(PALETTE)} curves per figure (one colour and style each)")
    f0, df0 = _funcs(a)
    sym = _math_name(a)

    rows = []
    with style():
        fig = Figure(figsize=(DISPLAY_WIDTH / _DPI, 3.3), dpi=_DPI, layout="constrained")
        ax_f, ax_df = fig.subplots(1, 2)
        for i, params in enumerate(params_list):
            f, df, _ = _with_temperature(f0, df0, params)
            y, dy = np.asarray(f(x), float), np.asarray(df(x), float)
            label = labels[i] if labels is not None else _series_label(params)
            kw = dict(color=PALETTE[i], linestyle=LINESTYLES[i], label=label)
            ax_f.plot(x, y, **kw)
            ax_df.plot(x, dy, **kw)
            for xm in mark:
                ym, dym = float(f(np.array([xm]))[0]), float(df(np.array([xm]))[0])
                ax_f.plot([xm], [ym], "o", color=PALETTE[i], markersize=5)
                ax_df.plot([xm], [dym], "o", color=PALETTE[i], markersize=5)
            first, last = _argmax_span(x, dy)
            rows.append(dict(
                label=label, params=params,
                x_min=float(x.min()), x_max=float(x.max()),
                f_min=float(np.nanmin(y)), f_max=float(np.nanmax(y)),
                df_min=float(np.nanmin(dy)), df_max=float(np.nanmax(dy)),
                argmax_df=first, argmax_df_last=last,
            ))
        for h in hlines:
            ax_f.axhline(h, color=INK, linestyle=":", linewidth=1.0)
        ax_f.set(xlabel="$x$", ylabel=f"${sym}(x)$", title=f"${sym}(x)$")
        ax_df.set(xlabel="$x$", ylabel=f"${sym}'(x)$", title=f"${sym}'(x)$")
        for ax in (ax_f, ax_df):
            ax.axhline(0, color=INK, linewidth=0.8)
            ax.axvline(0, color=INK, linewidth=0.8)
            ax.set_xlim(float(x.min()), float(x.max()))
        if len(params_list) > 1:
            fig.legend(*ax_f.get_legend_handles_labels(), loc="outside lower center",
                       ncols=min(len(params_list), 4), frameon=False)
        if title:
            fig.suptitle(title)

    name = getattr(a, "name", "f")
    if alt is None:
        alt = _default_alt(name, rows)
    plot = Plot(fig=fig, alt=alt, rows=rows, name=name)
    if show:
        _display_png(plot.png(), alt)
    return plot


def _default_alt(name: str, rows: list[dict]) -> str:
    r0 = rows[0]
    parts = [
        f"Two panels: left, {name}(x); right, its derivative {name}'(x); "
        f"x from {_fmt(r0['x_min'])} to {_fmt(r0['x_max'])}."
    ]
    for r in rows:
        who = "" if len(rows) == 1 else f"For {r['label']}: "
        parts.append(
            f"{who}{name}(x) runs from {_fmt(r['f_min'])} to {_fmt(r['f_max'])}; "
            f"the derivative ranges from {_fmt(r['df_min'])} to {_fmt(r['df_max'])} "
            f"and peaks {_where(r['argmax_df'], r['argmax_df_last'])}."
        )
    return " ".join(parts)


# --------------------------------------------------------------------------------------
_FA_LINK = re.compile(r"<link[^>]*font-awesome[^>]*>\s*", re.IGNORECASE | re.DOTALL)
_ICONS = {  # matplotlib's player uses Font Awesome 4 from a CDN; use common glyphs instead
    "fa fa-minus": "\u2212", "fa fa-plus": "+",
    "fa fa-fast-backward": "|\u25c0\u25c0", "fa fa-step-backward": "|\u25c0",
    "fa fa-play fa-flip-horizontal": "\u25c0", "fa fa-pause": "| |",
    "fa fa-play": "\u25b6", "fa fa-step-forward": "\u25b6|",
    "fa fa-fast-forward": "\u25b6\u25b6|",
}


_FRAME = re.compile(r'(frames\[\d+\] = "data:image/png;base64,)(.*?)(")', re.DOTALL)


def _shrink_frame(m: re.Match) -> str:
    png = base64.b64decode(m.group(2).replace("\\\n", "").replace("\n", ""))
    return m.group(1) + base64.b64encode(_shrink_png(png)).decode("ascii") + m.group(3)


def _offline_jshtml(anim_html: str, alt: str) -> str:
    """Make matplotlib's ``to_jshtml`` output self-contained, smaller and accessible."""
    out = _FA_LINK.sub("", anim_html)
    out = _FRAME.sub(_shrink_frame, out)
    for cls, glyph in _ICONS.items():
        out = out.replace(f'<i class="{cls}"></i>', f'<span aria-hidden="true">{glyph}</span>')
    out = re.sub(r'<img id="(_anim_img[0-9a-f]+)">',
                 lambda m: f'<img id="{m.group(1)}" alt="{html.escape(alt, quote=True)}">', out)
    if "http://" in out or "https://" in out:
        raise RuntimeError("explorer animation still references a remote resource")
    return out


@dataclass
class Explorer:
    """f and f' of ``a`` over a range of one parameter (see :func:`explorer`)."""

    a: Any
    param: str
    values: list
    fixed: dict
    x: np.ndarray
    rows: list = field(default_factory=list)
    interval_ms: int = 700

    @property
    def name(self) -> str:
        return getattr(self.a, "name", "f")

    @property
    def alt(self) -> str:
        first, last = self.rows[0], self.rows[-1]
        return (
            f"Animation of {self.name}(x) (left) and its derivative (right) as {self.param} goes "
            f"from {_fmt(first['value'])} to {_fmt(last['value'])} in {len(self.rows)} steps; "
            f"the derivative's maximum goes from {_fmt(first['df_max'])} to {_fmt(last['df_max'])}."
        )

    def summary(self) -> str:
        lines = [f"{self.name}: {self.param} explorer on x in [{_fmt(self.x.min())}, {_fmt(self.x.max())}]"]
        for r in self.rows:
            lines.append(
                f"  {self.param} = {_fmt(r['value'])}: f in [{_fmt(r['f_min'])}, {_fmt(r['f_max'])}], "
                f"max f' = {_fmt(r['df_max'])} {_where(r['argmax_df'], r['argmax_df_last'])}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()

    # -- the static, offline version -----------------------------------------------
    def animation_html(self) -> str:
        """Self-contained HTML/JS player (frames embedded; nothing fetched)."""
        from matplotlib.animation import FuncAnimation

        f0, df0 = _funcs(self.a)
        sym = _math_name(self.a)
        curves = []
        for v in self.values:
            f, df, _ = _with_temperature(f0, df0, {**self.fixed, self.param: v})
            curves.append((np.asarray(f(self.x), float), np.asarray(df(self.x), float)))
        ylo = min(float(np.nanmin(c[0])) for c in curves)
        yhi = max(float(np.nanmax(c[0])) for c in curves)
        dlo = min(float(np.nanmin(c[1])) for c in curves)
        dhi = max(float(np.nanmax(c[1])) for c in curves)
        pad = lambda lo, hi: (lo - 0.05 * (hi - lo or 1), hi + 0.05 * (hi - lo or 1))  # noqa: E731

        with style():
            from matplotlib.figure import Figure

            fig = Figure(figsize=(DISPLAY_WIDTH / _DPI, 3.3), dpi=_DPI, layout="constrained")
            ax_f, ax_df = fig.subplots(1, 2)
            # the first curve stays as a grey reference
            ax_f.plot(self.x, curves[0][0], color="#888888", linestyle=":", linewidth=1.2)
            ax_df.plot(self.x, curves[0][1], color="#888888", linestyle=":", linewidth=1.2)
            (lf,) = ax_f.plot(self.x, curves[0][0], color=PALETTE[0], linestyle=LINESTYLES[0])
            (ldf,) = ax_df.plot(self.x, curves[0][1], color=PALETTE[1], linestyle=LINESTYLES[1])
            ax_f.set(xlabel="$x$", ylabel=f"${sym}(x)$", ylim=pad(ylo, yhi), xlim=(self.x.min(), self.x.max()))
            ax_df.set(xlabel="$x$", ylabel=f"${sym}'(x)$", ylim=pad(dlo, dhi), xlim=(self.x.min(), self.x.max()))
            for ax in (ax_f, ax_df):
                ax.axhline(0, color=INK, linewidth=0.8)
                ax.axvline(0, color=INK, linewidth=0.8)
            head = fig.suptitle("")

            def draw(i):
                lf.set_ydata(curves[i][0])
                ldf.set_ydata(curves[i][1])
                head.set_text(f"{self.name}: {self.param} = {_fmt(self.values[i])}  (dotted: {self.param} = {_fmt(self.values[0])})")
                return lf, ldf, head

            anim = FuncAnimation(fig, draw, frames=len(self.values), interval=self.interval_ms, blit=False)
            out = anim.to_jshtml(default_mode="reflect")
        return _offline_jshtml(out, self.alt)

    def _repr_html_(self) -> str:
        return self.animation_html()

    # -- the live version (needs a kernel) -----------------------------------------------
    def live(self):
        """ipywidgets sliders over the same range (live in JupyterLab / Notebook only)."""
        import ipywidgets as w

        lo, hi = float(min(self.values)), float(max(self.values))
        positive = lo > 0
        if positive and hi / lo >= 8:
            slider = w.FloatLogSlider(value=float(self.values[len(self.values) // 2]), base=10,
                                      min=math.log10(lo), max=math.log10(hi), step=0.01,
                                      description=self.param, continuous_update=False)
        else:
            slider = w.FloatSlider(value=float(self.values[len(self.values) // 2]), min=lo, max=hi,
                                   step=(hi - lo) / 100 or 0.01, description=self.param,
                                   continuous_update=False)

        def redraw(**kw):
            f_and_df(self.a, self.x, [{**self.fixed, **kw}])

        ui = w.interactive(redraw, **{self.param: slider})
        try:
            from IPython.display import display
        except ImportError:  # pragma: no cover
            return ui
        # display it with a short text form (a widget's default repr embeds its outputs)
        bundle = ui._repr_mimebundle_()
        bundle["text/plain"] = f"{self.name}: live {self.param} slider (needs a running kernel)"
        display(bundle, raw=True)
        return None


def explorer(a, param: str, values: Sequence[float], *, x=None, xlim=(-6.0, 6.0), n=601,
             fixed: dict | None = None, interval_ms: int = 700) -> Explorer:
    """Explore f and f' of ``a`` as ``param`` runs over ``values``.

    ``param`` is one of ``a.params`` or the pseudo-parameter ``"temperature"`` (f(x/T)),
    which works for every activation. Display the result for the offline animation; call
    ``.live()`` for ipywidgets sliders; its text form lists the numbers per value.
    """
    values = [float(v) for v in values]
    if len(values) < 2:
        raise ValueError("explorer needs at least two parameter values")
    if param != "temperature" and param not in getattr(a, "params", {}):
        known = ", ".join(["temperature", *getattr(a, "params", {})])
        raise ValueError(f"{getattr(a, 'name', a)} has no parameter {param!r}; choose one of: {known}")
    x = np.linspace(xlim[0], xlim[1], n) if x is None else np.asarray(x, dtype=float)
    fixed = dict(fixed or {})
    f0, df0 = _funcs(a)
    rows = []
    for v in values:
        f, df, _ = _with_temperature(f0, df0, {**fixed, param: v})
        y, dy = np.asarray(f(x), float), np.asarray(df(x), float)
        first, last = _argmax_span(x, dy)
        rows.append(dict(value=v, f_min=float(np.nanmin(y)), f_max=float(np.nanmax(y)),
                         df_max=float(np.nanmax(dy)), argmax_df=first, argmax_df_last=last))
    return Explorer(a=a, param=param, values=values, fixed=fixed, x=x, rows=rows, interval_ms=interval_ms)


@dataclass
class Series:
    """What :func:`series` drew: the figure, its alt text and the plotted numbers."""

    fig: Any
    alt: str
    data: dict
    x: Any

    def summary(self) -> str:
        lines = []
        for label, ys in self.data.items():
            ys = np.asarray(ys, float)
            lines.append(f"{label}: from {_fmt(ys[0])} to {_fmt(ys[-1])} (min {_fmt(np.nanmin(ys))}, "
                         f"max {_fmt(np.nanmax(ys))})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.summary()


def series(x, data: dict, *, xlabel: str, ylabel: str, alt: str, logy: bool = False,
           title: str | None = None, markers: bool = True, show: bool = True) -> Series:
    """One panel of labelled curves in the course style (e.g. a quantity per layer).

    ``data`` maps a label to y-values over ``x``. Returns a :class:`Series` whose text form
    lists each curve's first, last, min and max values (what nbval checks).
    """
    from matplotlib.figure import Figure

    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text")
    if len(data) > len(PALETTE):
        raise ValueError(f"at most {len(PALETTE)} curves per figure")
    x = np.asarray(x)
    with style():
        fig = Figure(figsize=(DISPLAY_WIDTH / _DPI * 0.75, 3.3), dpi=_DPI, layout="constrained")
        ax = fig.subplots()
        for i, (label, ys) in enumerate(data.items()):
            ax.plot(x, np.asarray(ys, float), color=PALETTE[i], linestyle=LINESTYLES[i],
                    marker="os^Dv<>"[i] if markers else None, markersize=5, label=label)
        if logy:
            ax.set_yscale("log")
        ax.set(xlabel=xlabel, ylabel=ylabel)
        if title:
            ax.set_title(title)
        if len(data) > 1:
            ax.legend(loc="best")
    out = Series(fig=fig, alt=alt.strip(), data=dict(data), x=x)
    if show:
        _display_png(_png(fig), out.alt, int(DISPLAY_WIDTH * 0.75))
    return out


def show(fig, alt: str, width: int = DISPLAY_WIDTH) -> None:
    """Display any matplotlib figure in the course style with alt text (for custom plots)."""
    if not alt or not alt.strip():
        raise ValueError("every figure needs alt text")
    _display_png(_png(fig), alt.strip(), width)
