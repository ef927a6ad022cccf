"""Text helpers shared by the parsers: whitespace normalisation and tag-aware text extraction."""

from __future__ import annotations

import re

from lxml import etree
from parsel import Selector

# Tags whose boundaries separate words on screen. Inline tags (em, span, a, ...) do not: "Ceau<em>ş</em>escu"
# stays one word.
_BREAKING_TAGS = frozenset(
    (
        *("br", "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "tr", "table"),
        *("section", "article", "header", "footer", "blockquote", "dd", "dt"),
    )
)
_DROPPED_TAGS = frozenset(("script", "style", "template", "noscript"))


def clean(text: str | None) -> str | None:
    """Collapse whitespace runs (NBSP and newlines included) to one space and strip; empty → ``None``.

    ``str.split()`` splits where ``re``'s ``\\s`` matches (both ask ``str.isspace``; a test checks every code
    point) and is four to six times faster than substituting ``\\s+``."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def element_text(node: Selector | etree._Element | None) -> str | None:
    """The visible text of an element, with ``<br>`` and block boundaries read as spaces.

    ``string()`` in XPath glues "A<br>B" into "AB"; this does not.
    """
    if node is None:
        return None
    root = node.root if isinstance(node, Selector) else node
    if isinstance(root, str):  # a text or attribute selector
        return clean(root)
    if not len(root) and isinstance(root.tag, str) and root.tag not in _DROPPED_TAGS:
        return clean(root.text)  # no children: its own text (a table cell, a heading), read without the walk
    parts: list[str] = []
    _collect(root, parts, tail=False)
    return clean("".join(parts))


def _collect(element: etree._Element, parts: list[str], *, tail: bool = True) -> None:
    tag = element.tag
    if isinstance(tag, str):
        if tag in _DROPPED_TAGS:
            if tail and element.tail:
                parts.append(element.tail)
            return
        breaking = tag in _BREAKING_TAGS or tag.lower() in _BREAKING_TAGS  # lxml's HTML tags are lower case
        if breaking:
            parts.append(" ")
        if element.text:
            parts.append(element.text)
    else:  # a comment, a processing instruction or an entity: only its tail is text
        breaking = False
    for child in element:
        _collect(child, parts)
    if breaking:
        parts.append(" ")
    if tail and element.tail:
        parts.append(element.tail)


def repair_mojibake(text: str | None) -> tuple[str | None, bool]:
    """Undo mojibake (UTF-8 read as cp1252/latin-1: "â€™" → "’"); ``(text, whether it changed)``.

    Only ``ftfy.fix_encoding``: curly quotes, dashes and diacritics that were right stay exactly as they are.
    """
    if not text or text.isascii() or not looks_bad(text):
        return text, False
    import ftfy

    fixed = ftfy.fix_encoding(text)
    return fixed, fixed != text


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
#: How far one of ftfy's mojibake patterns reaches from a non-ASCII character it holds: every one holds one, and
#: none is longer than 7 characters (tests/test_html_text_mojibake.py reads both off ftfy's pattern).
MOJIBAKE_REACH = 6


def looks_bad(text: str) -> bool:
    """``ftfy.badness.is_bad(text)`` (ftfy's "may hold mojibake", which ``fix_encoding`` asks first and answers
    with the text unchanged when not), asked only around the non-ASCII characters: the same answer, without
    running ftfy's pattern over every position of a long summary with one curly quote (a tenth of the time)."""
    from ftfy.badness import BADNESS_RE

    start = end = -1
    for run in _NON_ASCII.finditer(text):
        a, b = max(0, run.start() - MOJIBAKE_REACH), run.end() + MOJIBAKE_REACH
        if a > end >= 0:
            if BADNESS_RE.search(text, start, end):
                return True
            start = a
        elif start < 0:
            start = a
        end = b
    return start >= 0 and BADNESS_RE.search(text, start, min(end, len(text))) is not None
