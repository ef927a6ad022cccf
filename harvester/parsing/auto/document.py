"""The linearised document: elements in reading order and their text as segments and breaks."""

from __future__ import annotations

import re
from functools import lru_cache

from harvester.normalize.datefind import (
    DateMatch,
)
from harvester.parsing.auto.dates import find_page_dates, find_roc_dates
from harvester.parsing.auto.vocabulary import (
    _BLOCK_TAGS,
    _BOILER_TAGS,
    _BOILER_WORDS,
    _CLASS_SPLIT,
    _HEADING,
    _HEADINGS,
    _NEGATIONS,
    _SKIP_TAGS,
    _STATE_CLASS,
    _STRONG,
    _ZERO_WIDTH,
)


class _Doc:
    """Elements in document order and their text as a sequence of segments and breaks."""

    def __init__(self, root) -> None:
        self.els: list = []
        self.parent: list[int] = []
        self.start: list[int] = []
        self.end: list[int] = []
        self.boiler: list[bool] = []  # page furniture (nav, footer, menus, sidebars, ...)
        self.block_desc: list[bool] = []  # has a block-level descendant (br not counted)
        self.seg_text: list[str | None] = []  # None = break
        self.seg_owner: list[int] = []  # innermost element of the segment
        self.seg_link: list[int] = []  # element index of the enclosing <a href>, or -1
        self.seg_head: list[int] = []  # enclosing heading element, or -1
        self.seg_flags: list[int] = []
        self.seg_boiler: list[bool] = []
        self.index: dict = {}
        self._walk(root, -1, -1, -1, 0, False)
        self.sig = [_sig(el) for el in self.els]
        path_ids: dict[tuple[int, tuple], int] = {}
        self.path = [0] * len(self.els)  # the same id <=> the same tag/class path from the root
        for i, p in enumerate(self.parent):
            key = (self.path[p] if p >= 0 else -1, self.sig[i])
            self.path[i] = path_ids.setdefault(key, len(path_ids))
        for i in range(len(self.els) - 1, 0, -1):
            p = self.parent[i]
            if p >= 0 and (self.block_desc[i] or self.els[i].tag in _BLOCK_TAGS):
                self.block_desc[p] = True
        self._mark_boiler()

    def _mark_boiler(self) -> None:
        """Furniture by tag or class/id, unless the element wraps the main content.

        A wrapper such as ``<div class="page has-sidebar">`` holds most of the page's text and the
        ``<main>``/``<article>``/``<h1>``: it is not furniture.
        """
        lengths = [0] * (len(self.seg_text) + 1)
        for i, text in enumerate(self.seg_text):
            lengths[i + 1] = lengths[i] + (len(text.strip()) if text else 0)
        total = lengths[-1] or 1
        for i, flagged in enumerate(self.boiler):
            inherited = self.parent[i] >= 0 and self.boiler[self.parent[i]]
            own = flagged and not ((lengths[self.end[i]] - lengths[self.start[i]]) * 2 >= total and self._wraps_main(i))
            self.boiler[i] = inherited or own
        self.seg_boiler = [self.boiler[owner] for owner in self.seg_owner]

    def _wraps_main(self, idx: int) -> bool:
        el = self.els[idx]
        return any(True for _ in el.iter("main", "article", "h1"))

    def _emit(self, text: str | None, owner: int, link: int, head: int, flags: int) -> None:
        if text is None:
            if self.seg_text and self.seg_text[-1] is None:
                return
        else:
            text = text.translate(_ZERO_WIDTH)
            if not text:
                return
        self.seg_text.append(text)
        self.seg_owner.append(owner)
        self.seg_link.append(link)
        self.seg_head.append(head)
        self.seg_flags.append(flags)

    def _walk(self, el, parent: int, link: int, head: int, flags: int, in_main: bool) -> None:
        tag = el.tag
        idx = len(self.els)
        self.els.append(el)
        self.index[el] = idx
        self.parent.append(parent)
        self.block_desc.append(False)
        self.start.append(len(self.seg_text))
        self.end.append(len(self.seg_text))
        if tag in ("main", "article"):
            in_main = True
        self.boiler.append(
            tag in _BOILER_TAGS
            or (tag == "header" and not in_main)
            or (tag not in ("html", "body", "main", "article") and _is_boiler_el(el))
        )
        if tag == "a" and el.get("href"):
            link = idx
        if tag in _HEADINGS:
            head = idx
            flags |= _HEADING
        elif tag in ("strong", "b"):
            flags |= _STRONG
        block = tag in _BLOCK_TAGS
        if block or tag == "br":
            self._emit(None, idx, link, head, flags)
        if el.text:
            self._emit(el.text, idx, link, head, flags)
        for child in el:
            ctag = child.tag
            if isinstance(ctag, str) and ctag not in _SKIP_TAGS:
                self._walk(child, idx, link, head, flags, in_main)
            if child.tail:
                self._emit(child.tail, idx, link, head, flags)
        if block:
            self._emit(None, idx, link, head, flags)
        self.end[idx] = len(self.seg_text)


def _class_words(value: str) -> list[str]:
    return [w.lower() for w in _CLASS_SPLIT.split(value) if w]


def _is_boiler_el(el) -> bool:
    """A class, id or role naming page furniture ("site-footer", "nav-menu", "sidebar").

    Tokens that negate or merely announce it ("wsite-not-footer", "no-sidebar", "has-sidebar",
    "with-menu") are layout flags of a wrapper, not furniture.
    """
    for token in f"{el.get('class') or ''} {el.get('id') or ''} {el.get('role') or ''}".split():
        words = _class_words(token)
        if any(w in _BOILER_WORDS for w in words) and not any(w in _NEGATIONS for w in words):
            return True
    return False


_DIGIT = re.compile(r"\d")


def _class_sig(el) -> tuple[str, ...]:
    value = el.get("class")
    if not value:
        return ()
    return tuple(sorted({t for t in value.split() if not _DIGIT.search(t) and not _STATE_CLASS.match(t.lower())}))


def _sig(el) -> tuple[str, tuple[str, ...]]:
    return el.tag, _class_sig(el)


def _sig_text(el) -> str:
    classes = _class_sig(el)[:2]
    return el.tag + "".join("." + c for c in classes)


def _css_step(el) -> str:
    step = _sig_text(el)
    el_id = el.get("id")
    if el_id and not any(ch.isdigit() for ch in el_id) and " " not in el_id:
        step = f"{el.tag}#{el_id}" + step[len(el.tag) :]
    return step


@lru_cache(maxsize=65536)
def _dates_in(text: str, roc: bool = False) -> tuple[DateMatch, ...]:
    """The dates of a line; with `roc` (a page of the Republic of China calendar) its ROC dates too."""
    found = find_page_dates(text)
    if not roc:
        return found
    extra = [r for r in find_roc_dates(text) if not any(r.start < d.end and d.start < r.end for d in found)]
    return tuple(sorted((*found, *extra), key=lambda d: d.start)) if extra else found


def _lca(doc: _Doc, idxs: list[int]) -> int:
    def chain(i: int) -> list[int]:
        out = []
        while i >= 0:
            out.append(i)
            i = doc.parent[i]
        return out[::-1]

    common = chain(idxs[0])
    for i in idxs[1:]:
        other = chain(i)
        n = 0
        while n < min(len(common), len(other)) and common[n] == other[n]:
            n += 1
        common = common[:n]
    return common[-1] if common else 0


def _css_path(doc: _Doc, idx: int) -> str:
    steps = []
    while idx >= 0:
        steps.append(_css_step(doc.els[idx]))
        idx = doc.parent[idx]
    return " > ".join(reversed(steps))
