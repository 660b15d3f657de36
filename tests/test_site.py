"""Browser test of the built site (_build/html) in a real Chromium, fully offline.

For every page: math is typeset by MathJax (and no raw ``$$`` / ``\\(`` is left), every
image has loaded and has alt text, every internal link (and #anchor) resolves, the download
buttons are there, the console has no errors, and no request leaves localhost. Search is
checked on the search page. Screenshots of the Sigmoid chapter (light and dark theme) are
saved under _build/screenshots/.

Debian's chromium is driven by Playwright's Python package (never `playwright install`).
`make test` builds the site first and sets ACTS_REQUIRE_SITE=1, so a missing site fails
here instead of skipping.
"""

from __future__ import annotations

import functools
import html
import http.server
import os
import re
import threading
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# top-level folders of the site that hold assets, not pages
ASSET_DIRS = {"_static", "_sources", "_images", "_downloads", "mathjax-3.2.2",
              "requirejs-2.3.7", "html-manager-1.0.6"}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
NOTEBOOK_PAGES = {p.relative_to(ROOT).with_suffix(".html").as_posix()
                  for d in ("chapters", "exercises") if (ROOT / d).is_dir()
                  for p in (ROOT / d).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts}
SIGMOID_PAGE = "chapters/sigmoid.html"


def _pages() -> list[str]:
    if not (SITE / "index.html").is_file():
        return []
    return sorted(
        p.relative_to(SITE).as_posix()
        for p in SITE.rglob("*.html")
        if p.relative_to(SITE).parts[0] not in ASSET_DIRS
    )


PAGES = _pages()


@pytest.fixture(scope="module")
def site():
    if not PAGES:
        msg = f"no built site at {SITE}: run `make book` first"
        if os.environ.get("ACTS_REQUIRE_SITE"):
            pytest.fail(msg)
        pytest.skip(msg)
    return SITE


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def server(site):
    handler = functools.partial(_Quiet, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make setup` (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("id", "name") and v:
                self.ids.add(v)


@functools.lru_cache(maxsize=None)
def _fetch(url: str) -> tuple[int, frozenset]:
    """HTTP status of a local URL and, for HTML, the ids it defines."""
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = r.read()
            status = r.status
            ctype = r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, frozenset()
    ids: frozenset = frozenset()
    if "html" in ctype:
        p = _Ids()
        p.feed(body.decode("utf-8", "replace"))
        ids = frozenset(p.ids)
    return status, ids


# JavaScript run in the page ------------------------------------------------------------
_JS_STATE = r"""
() => {
  const main = document.querySelector('main') || document.body;
  const clone = main.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container, mjx-assistive-mml, .highlight')
       .forEach(e => e.remove());
  const text = clone.textContent;
  const imgs = Array.from(document.images).map(i => ({
      src: (i.currentSrc || i.getAttribute('src') || '').slice(0, 120),
      ok: i.complete && i.naturalWidth > 0,
      alt: (i.getAttribute('alt') || '').trim(),
      inMain: main.contains(i),
  }));
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.href);
  return {
    text,
    imgs,
    links,
    mathSource: document.querySelectorAll('main .math, main span.math, main div.math').length,
    mathTypeset: document.querySelectorAll('main mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    hasMathJaxScript: !!document.querySelector('script[src*="mathjax"]'),
    downloads: Array.from(document.querySelectorAll('.dropdown-download-buttons a, a.btn-download-source-button, a.btn-download-notebook-button, a.btn-download-md-button'))
                 .map(a => (a.textContent || '').trim()),
    widgetState: !!document.querySelector('script[type="application/vnd.jupyter.widget-state+json"]'),
    hasRequire: typeof window.require === 'function',
  };
}
"""

_WAIT_READY = r"""
async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  // the offline animation sets its first frame from a timer; lazy images load late
  document.querySelectorAll('img[loading="lazy"]').forEach(i => i.loading = 'eager');
  const deadline = Date.now() + 15000;
  while (Date.now() < deadline) {
    const imgs = Array.from(document.images);
    if (imgs.every(i => i.getAttribute('src') && i.complete)) break;
    await new Promise(r => setTimeout(r, 100));
  }
  return true;
}
"""


def _open(browser, url: str, *, color_scheme: str = "light"):
    """Open url; return (page, context, record of errors / remote requests / bad responses)."""
    record = {"console": [], "pageerror": [], "remote": [], "bad": [], "warnings": []}
    context = browser.new_context(color_scheme=color_scheme, viewport={"width": 1280, "height": 900},
                                  service_workers="block")

    def route(r):
        u = urlsplit(r.request.url)
        if u.scheme in ("http", "https", "ws", "wss") and u.hostname not in LOCAL_HOSTS:
            record["remote"].append(r.request.url)
            return r.abort()
        return r.continue_()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: record["console" if m.type == "error" else "warnings"].append(
        f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: record["pageerror"].append(str(e)))
    page.on("response", lambda r: record["bad"].append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: record["bad"].append(f"failed {r.url}: {r.failure}")
            if urlsplit(r.url).hostname in LOCAL_HOSTS else None)
    page.goto(url, wait_until="load")
    page.evaluate(_WAIT_READY)
    page.wait_for_load_state("networkidle")
    return page, context, record


@pytest.mark.parametrize("path", PAGES or ["(no site built)"])
def test_page(path, server, browser):
    url = urljoin(server, path)
    redirect = re.search(r'http-equiv="refresh"\s+content="\d+;\s*url=([^"]+)"',
                         (SITE / path).read_text(encoding="utf-8"), flags=re.I)
    if redirect:  # JB1 writes index.html as a redirect to the root page
        target = urljoin(url, redirect.group(1))
        assert _fetch(target)[0] == 200, f"{path} redirects to a missing page: {target}"
        return
    page, context, rec = _open(browser, url)
    try:
        state = page.evaluate(_JS_STATE)
    finally:
        context.close()

    problems: list[str] = []
    # nothing leaves localhost, nothing fails to load, nothing logs an error
    problems += [f"request left localhost: {u}" for u in rec["remote"]]
    problems += [f"bad response: {b}" for b in rec["bad"]]
    problems += [f"console {c}" for c in rec["console"]]
    problems += [f"page error: {e}" for e in rec["pageerror"]]

    # math: typeset by MathJax, nothing raw left
    if state["mathSource"]:
        if not state["hasMathJaxScript"]:
            problems.append("page has math but no MathJax script")
        if state["mathTypeset"] < state["mathSource"]:
            problems.append(f"only {state['mathTypeset']} of {state['mathSource']} math elements typeset")
    if state["mathErrors"]:
        problems.append(f"{state['mathErrors']} MathJax error(s) (mjx-merror)")
    for raw in ("$$", "\\(", "\\)", "\\[", "\\begin{"):
        if raw in state["text"]:
            i = state["text"].index(raw)
            problems.append(f"raw TeX {raw!r} left in the page: ...{state['text'][max(0, i - 40):i + 40]!r}...")

    # images: loaded, with real alt text
    for img in state["imgs"]:
        if not img["ok"]:
            problems.append(f"image not loaded: {img['src']}")
        if img["inMain"] and (not img["alt"] or re.search(r"\.(png|jpe?g|svg|gif)$", img["alt"], re.I)):
            problems.append(f"image without alt text: {img['src']} (alt={img['alt']!r})")

    # internal links (and their #anchors) resolve
    for href in sorted(set(state["links"])):
        u = urlsplit(href)
        if u.scheme not in ("http", "https") or u.hostname not in LOCAL_HOSTS:
            continue
        base, frag = urldefrag(href)
        status, ids = _fetch(base)
        if status != 200:
            problems.append(f"broken link {href} ({status})")
        elif frag and base.endswith(".html") and unquote(frag) not in ids:
            problems.append(f"broken anchor {href}")

    # download buttons: the source everywhere; .ipynb and .md on notebook pages
    if path not in ("genindex.html", "search.html"):
        want = {".ipynb", ".md"} if path in NOTEBOOK_PAGES else {".md"}
        missing = want - set(state["downloads"])
        if missing:
            problems.append(f"download buttons missing {sorted(missing)} (have {state['downloads']})")

    # widgets: pages with saved widget state load the vendored require.js + html-manager
    if state["widgetState"] and not state["hasRequire"]:
        problems.append("widget state present but require.js did not load")

    assert not problems, f"{path}:\n  " + "\n  ".join(problems)


def test_search_works_offline(server, browser):
    page, context, rec = _open(browser, urljoin(server, "search.html?q=sigmoid"))
    try:
        page.wait_for_selector("#search-results li", timeout=15000)
        hits = page.eval_on_selector_all("#search-results li a", "els => els.map(e => e.getAttribute('href'))")
    finally:
        context.close()
    assert any("sigmoid" in (h or "") for h in hits), hits
    assert not rec["remote"] and not rec["console"] and not rec["pageerror"], rec


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_sigmoid_screenshot(scheme, server, browser):
    if SIGMOID_PAGE not in PAGES:
        pytest.fail(f"{SIGMOID_PAGE} was not built")
    page, context, rec = _open(browser, urljoin(server, SIGMOID_PAGE), color_scheme=scheme)
    try:
        theme = page.evaluate("() => document.documentElement.dataset.theme")
        SHOTS.mkdir(parents=True, exist_ok=True)
        out = SHOTS / f"sigmoid-{scheme}.png"
        page.screenshot(path=str(out), full_page=True)
    finally:
        context.close()
    assert theme == scheme
    assert out.stat().st_size > 10_000
    assert not rec["remote"] and not rec["console"] and not rec["pageerror"], rec


# Papers published only in proceedings that assign neither (PMLR, early NeurIPS, an ICML
# workshop) carry the publisher's stable URL; every other entry needs a DOI or arXiv id.
URL_ONLY = {"glorot2010", "glorot2011", "maas2013", "dugas2000", "krizhevsky2012", "nair2010"}


BIB_FILES = ("references.bib", "acts/references.bib")  # the course's sources; the activations' papers


def test_references_have_doi_or_arxiv():
    bib = "\n".join((ROOT / f).read_text(encoding="utf-8") for f in BIB_FILES)
    entries = re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,(.*?)\n\}", bib, flags=re.S)
    assert entries, "no entries in references.bib"
    bad = [key for key, body in entries
           if not re.search(r"^\s*(doi|eprint)\s*=", body, flags=re.M | re.I)
           and not (key in URL_ONLY and re.search(r"^\s*url\s*=", body, flags=re.M))]
    assert not bad, f"references.bib entries without a DOI or arXiv eprint: {bad}"


def test_every_acts_paper_is_in_the_bibliography():
    """acts/references.bib holds exactly the specs' papers, the book reads it, and acts reads
    each entry as pybtex (the book's BibTeX reader) does."""
    import latexcodec  # noqa: F401  (registers the "latex" codec)
    import yaml
    from pybtex.database import parse_file

    import acts

    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert list(config["bibtex_bibfiles"]) == list(BIB_FILES)
    bib = parse_file(str(ROOT / "acts" / "references.bib"))
    cited = {acts.get(n).spec.paper for n in acts.names() if acts.get(n).spec.paper}
    assert set(bib.entries) == cited
    course = parse_file(str(ROOT / "references.bib"))
    assert not set(course.entries) & cited, "an activation's paper belongs in acts/references.bib only"
    for n in acts.names():
        paper = acts.get(n).paper
        if paper is None:
            continue
        e = bib.entries[paper["key"]]
        lasts = [" ".join(p.last_names).encode().decode("latex").replace("{", "").replace("}", "")
                 for p in e.persons["author"]]  # latexcodec, pybtex's own decoder
        assert [a.split(",")[0] for a in paper["authors"].split("; ")] == lasts, n
        assert paper["year"] == int(e.fields["year"]) and "{" not in paper["title"] and "\\" not in paper["authors"]
        assert paper["title"] == e.fields["title"].replace("{", "").replace("}", ""), n


@pytest.mark.parametrize("nb_path", sorted(NOTEBOOK_PAGES) or ["(no notebooks)"])
def test_md_download_round_trips(nb_path):
    """The .md download (scripts/book_ext.py) reads back as the same notebook."""
    if nb_path == "(no notebooks)":
        pytest.skip("no notebooks")
    import json
    import sys

    from myst_nb.core.read import read_myst_markdown_notebook

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from book_ext import notebook_to_myst
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    nb = json.loads((ROOT / nb_path).with_suffix(".ipynb").read_text(encoding="utf-8"))
    back = read_myst_markdown_notebook(notebook_to_myst(nb))

    def cells(n):
        return [(c["cell_type"], "".join(c["source"]).strip(),
                 c["metadata"].get("tags"), c["metadata"].get("mystnb")) for c in n["cells"]]

    assert cells(back) == cells(nb)


def test_favicon_is_served(server):
    """Browsers ask for /favicon.ico at the root whatever a page links (a reader's console
    shows the 404 otherwise); every page also links the SVG icon."""
    status, _ = _fetch(urljoin(server, "favicon.ico"))
    assert status == 200
    body = (SITE / SIGMOID_PAGE).read_text(encoding="utf-8")
    assert re.search(r'<link[^>]+rel="icon"[^>]+favicon\.svg', body), "no <link rel=icon> on the pages"


def test_the_api_reference_renders_every_activation_from_the_registry(site):
    import acts

    page = (site / "chapters" / "api.html").read_text(encoding="utf-8")
    for name in acts.names():
        a = acts.get(name)
        at = page.find(f'id="acts-{name.replace("_", "-")}"')
        assert at >= 0, f"{name} is missing from the API reference"
        entry = page[at:page.find('class="rubric"', at + 1)]
        assert html.escape(a.formula, quote=False) in entry, (name, a.formula)
        assert html.escape(a.derivative, quote=False) in entry, (name, a.derivative)
    for documented in ("acts.get", "acts.Activation.torch_compiled", "acts.constants.SELU_ALPHA"):
        assert f'id="{documented}"' in page, documented
