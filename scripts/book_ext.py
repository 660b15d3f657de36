"""Small Sphinx extension for this book (loaded from _config.yml).

1. Every notebook page gets a ``.md`` download next to ``.ipynb``: a MyST-Markdown text
   notebook (the format myst-nb and jupytext read) written to ``_sources/<page>.md``.
   Markdown pages already offer their ``.md`` source through the theme's button.
2. A committed error output (a cell that raised) is a warning, so the build fails;
   ``make execute`` refuses to save such a notebook in the first place.
4. ``.. acts-catalog::`` (in the API reference): every registered activation from the
   registry itself — its formula and derivative rendered, parameters, kink convention and
   paper — so the reference cannot drift from the library.
3. Every image must have alt text: an image node without ``alt`` is a warning, so
   ``jupyter-book build -W`` fails. For notebook outputs the alt comes from the
   output metadata ``{"image/png": {"alt": ...}}`` that ``course.plot`` writes, or from
   the cell metadata ``mystnb: image: alt:``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

_HEADER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: {display_name}
  language: {language}
  name: {name}
---
"""


def _yaml_scalar(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _yaml(obj, indent: int = 0) -> list[str]:
    """Tiny YAML emitter for cell metadata (dicts, lists of scalars, scalars)."""
    pad = "  " * indent
    lines = []
    for key, value in obj.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines.extend(_yaml(value, indent + 1))
        elif isinstance(value, list):
            lines.append(f"{pad}{key}: [{', '.join(_yaml_scalar(v) for v in value)}]")
        else:
            lines.append(f"{pad}{key}: {_yaml_scalar(value)}")
    return lines


def notebook_to_myst(nb: dict) -> str:
    """Convert a notebook (as JSON dict) into MyST-Markdown notebook text."""
    ks = nb.get("metadata", {}).get("kernelspec", {})
    out = [
        _HEADER.format(
            display_name=ks.get("display_name", "Python 3"),
            language=ks.get("language", "python"),
            name=ks.get("name", "python3"),
        )
    ]
    previous = None
    for cell in nb.get("cells", []):
        src = cell.get("source", "")
        src = "".join(src) if isinstance(src, list) else src
        src = src.rstrip("\n")
        if cell["cell_type"] == "markdown":
            if previous == "markdown":
                out.append("+++\n")
            out.append(src + "\n")
        elif cell["cell_type"] == "code":
            longest = max((len(m) for m in re.findall(r"`+", src)), default=0)
            fence = "`" * max(3, longest + 1)
            meta = {k: v for k, v in cell.get("metadata", {}).items()
                    if k in ("tags", "mystnb")}
            block = [f"{fence}{{code-cell}} ipython3"]
            if meta:
                block += ["---", *_yaml(meta), "---"]
            block += [src, fence, ""]
            out.append("\n".join(block))
        else:  # raw
            out.append("```{raw-cell}\n" + src + "\n```\n")
        previous = cell["cell_type"]
    return "\n".join(out)


def _add_md_download(app, pagename, templatename, context, doctree):
    if doctree is None or context.get("page_source_suffix") != ".ipynb":
        return
    src = Path(app.env.doc2path(pagename))
    nb = json.loads(src.read_text(encoding="utf-8"))
    target = Path(app.outdir) / "_sources" / f"{pagename}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(notebook_to_myst(nb), encoding="utf-8")
    for button in context.get("header_buttons", []):
        if button.get("label") == "download-buttons":
            pathto = context["pathto"]
            entry = {
                "type": "link",
                "url": f"{pathto('_sources', 1)}/{pagename}.md",
                "text": ".md",
                "tooltip": "Download as MyST Markdown notebook",
                "icon": "fas fa-file-lines",
                "label": "download-md-button",
            }
            # after the .ipynb entry, before the .pdf one
            button["buttons"].insert(len(button["buttons"]) - 1, entry)


def _alt_from_outputs(app, doctree):
    """Give notebook output images the alt text stored in their output metadata.

    ``course.plot`` displays each figure with ``metadata={"image/png": {"alt": ...}}``;
    myst-nb names the image file by the SHA-256 of its bytes, which finds the output.
    A cell-level ``mystnb: image: alt:`` (already applied by myst-nb) wins.
    """
    src = Path(app.env.doc2path(app.env.docname))
    if src.suffix != ".ipynb":
        return
    alts = {}
    nb = json.loads(src.read_text(encoding="utf-8"))
    for index, cell in enumerate(nb.get("cells", [])):
        tags = cell.get("metadata", {}).get("tags", [])
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and "raises-exception" not in tags:
                # the book does not execute notebooks: a committed error output means a
                # cell raised when the notebook was last run (make execute refuses this)
                logger.warning(
                    "cell %d has an error output (%s: %s); fix it and run `make execute`",
                    index, out.get("ename"), out.get("evalue"),
                    location=(app.env.docname, None), type="book", subtype="cell_error",
                )
            data = out.get("data", {})
            for mime in ("image/png", "image/jpeg"):
                alt = out.get("metadata", {}).get(mime, {}).get("alt")
                if mime in data and alt:
                    content = data[mime]
                    content = "".join(content) if isinstance(content, list) else content
                    digest = hashlib.sha256(base64.b64decode(content)).hexdigest()
                    alts[digest] = str(alt)
    for image in doctree.findall(nodes.image):
        if not (image.get("alt") or "").strip():
            alt = alts.get(Path(image.get("uri", "")).stem)
            if alt:
                image["alt"] = alt


def _check_alt(app, doctree, docname):
    for image in doctree.findall(nodes.image):
        alt = (image.get("alt") or "").strip()
        if not alt:
            logger.warning(
                "image without alt text (%s); for a notebook output set the cell "
                "metadata `mystnb: image: alt:` or draw it with course.plot (which stores the alt)",
                image.get("uri"),
                location=image,
                type="book",
                subtype="alt",
            )


class ActsCatalog(SphinxDirective):
    """Every activation of the ``acts`` registry, with its math rendered."""

    def run(self):
        import acts
        from acts.kinds import kind_of

        lines: list[str] = []
        for name in acts.names():
            a = acts.get(name)
            lines += [f".. rubric:: {name}", f"   :name: acts-{name.replace('_', '-')}", ""]
            kind = "elementwise" if a.elementwise else "not elementwise (see ``jvp``, ``jacobian``)"
            spec = a.spec
            kind_name = kind_of(spec).__name__
            lines += [f"{a.description} Family: {a.family}; {kind}.", "",
                      f"Spec: ``{spec.__module__}.{spec.__name__}`` (kind :class:`acts.kinds.{kind_name}`); "
                      f"torch: ``acts.nn.{name}(x, …)``, ``acts.nn.{spec.__name__}(…)``."]
            if a.aliases:
                lines += ["", "Also: " + ", ".join(f"``acts.get({alias!r})``" for alias in a.aliases) + "."]
            lines += ["", ".. math::", "", f"   {a.formula}", "", ".. math::", "", f"   {a.derivative}", ""]
            if a.params:
                lines += ["Parameters (defaults): " + ", ".join(f"``{k}={v!r}``" for k, v in a.params.items()) + "."]
            if a.convention:
                lines += ["", f"Convention: {a.convention}"]
            if a.paper:
                key = a.paper.get("key")
                lines += ["", f"Introduced in :cite:t:`{key}`." if key else
                          f"Introduced in {a.paper['authors']} ({a.paper['year']})."]
            lines += [""]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="acts registry"), self.content_offset, container)
        return container.children


def setup(app):
    app.add_directive("acts-catalog", ActsCatalog)
    app.connect("html-page-context", _add_md_download, priority=600)
    app.connect("doctree-read", _alt_from_outputs)
    app.connect("doctree-resolved", _check_alt)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
