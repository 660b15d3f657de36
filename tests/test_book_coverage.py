"""Every activation in acts.names() is taught on exactly one page of the book.

A chapter declares what it teaches in its notebook metadata, ``{"acts": {"teaches": [...]}}``;
this test holds the declaration to the page: the page must fetch each activation from acts
(never re-implement it), and every page listed in the table of contents must exist.
"""

import json
import re
from pathlib import Path

import pytest

import acts

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def declared():
    out = {}
    for path in CHAPTERS:
        meta = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        for name in meta.get("acts", {}).get("teaches", []):
            out.setdefault(name, []).append(path.relative_to(ROOT).as_posix())
    return out


def code_of(path):
    nb = json.loads(Path(ROOT / path).read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def toc_files():
    return re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text(encoding="utf-8"))


def test_declared_names_exist():
    unknown = sorted(set(declared()) - set(acts.names()))
    assert not unknown, f"pages declare activations acts does not have: {unknown}"


def test_no_activation_is_taught_twice():
    twice = {n: pages for n, pages in declared().items() if len(pages) > 1}
    assert not twice, f"taught on more than one page: {twice}"


@pytest.mark.parametrize("name", sorted(declared()))
def test_teaching_page_uses_acts(name):
    (page,) = declared()[name]
    code = code_of(page)
    assert re.search(rf"""acts\.get\(\s*["']{name}["']""", code), f"{page} does not take {name} from acts"


def test_every_page_in_the_toc_exists():
    missing = [f for f in toc_files() if not any((ROOT / (f + ext)).exists() for ext in (".ipynb", ".md", ""))]
    assert not missing, f"_toc.yml lists pages that do not exist: {missing}"


def test_teaching_pages_are_in_the_toc():
    listed = set(toc_files())
    absent = sorted({p[: -len(".ipynb")] for pages in declared().values() for p in pages} - listed)
    assert not absent, f"chapters that teach an activation but are not in _toc.yml: {absent}"


def test_every_activation_is_taught():
    untaught = sorted(set(acts.names()) - set(declared()))
    assert not untaught, f"activations taught on no page yet: {untaught}"
