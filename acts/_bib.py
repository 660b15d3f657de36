"""The citations of the activations, read from ``acts/references.bib`` (also the book's).

A spec names its paper by its BibTeX key; :func:`entry` gives the fields the library shows:
``authors`` ("Last, First; Last, First"), ``year``, ``title``, ``venue`` (journal or book
title), ``arxiv``/``doi``/``url`` where the entry has them, and ``key``. Braces and the few
LaTeX accents the file uses are turned into plain text.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_ACCENTS = {"'": "\u0301", '"': "\u0308", "`": "\u0300", "^": "\u0302", "~": "\u0303", "c": "\u0327"}
_ACCENT = re.compile(r"\{?\\([\'\"`^~]|c)\s*\{?(\w)\}?\}?")


def _plain(value: str) -> str:
    import unicodedata

    text = _ACCENT.sub(lambda m: unicodedata.normalize("NFC", m.group(2) + _ACCENTS[m.group(1)]), value)
    return re.sub(r"\s+", " ", text.replace("{", "").replace("}", "")).strip()


def _fields(body: str) -> dict[str, str]:
    """``name = {value}`` pairs (values may hold nested braces)."""
    fields, i = {}, 0
    for m in re.finditer(r"(\w+)\s*=\s*\{", body):
        if m.start() < i:
            continue
        depth, j = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(body[j], 0)
            j += 1
        fields[m.group(1).lower()], i = body[m.end():j - 1], j
    return fields


@lru_cache(maxsize=None)
def _entries() -> dict[str, dict[str, str]]:
    text = (Path(__file__).with_name("references.bib")).read_text(encoding="utf-8")
    found = {}
    for m in re.finditer(r"^@\w+\{([^,\s]+),(.*?)^\}", text, flags=re.S | re.M):
        found[m.group(1)] = _fields(m.group(2))
    return found


def entry(key: str) -> dict:
    """The citation of BibTeX entry ``key`` (KeyError names the file when it is missing)."""
    try:
        f = _entries()[key]
    except KeyError:
        raise KeyError(f"no entry {key!r} in acts/references.bib") from None
    cite = {"authors": "; ".join(_plain(a) for a in f["author"].split(" and ")), "year": int(f["year"]),
            "title": _plain(f["title"]), "venue": _plain(f.get("journal") or f.get("booktitle") or "")}
    if f.get("archiveprefix", "").lower() == "arxiv" and "eprint" in f:
        cite["arxiv"] = f["eprint"]
    cite.update({k: f[k] for k in ("doi", "url") if k in f})
    cite["key"] = key
    return cite
