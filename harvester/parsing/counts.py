"""Find a listing's "first - last of total" header ("11 - 20 of 183") in a page's markup.

The header's markup was never seen on the real site, only its text, so it is found by its text: first in
short text nodes, then — for markup that splits the numbers over several elements
(``<span>11</span> - <span>20</span> of <span>183</span>``) — in the short elements around those nodes.
Table cells are never read: a summary may mention "3 - 4 of 10".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from harvester.model import Counts
from harvester.parsing.html_text import element_text


def _counts(text: str | None, regex: re.Pattern[str], max_length: int) -> Counts | None:
    if not text or len(text) > max_length:
        return None
    match = regex.search(text)
    if not match:
        return None
    groups = match.groupdict() or dict(zip(("first", "last", "total"), match.groups(), strict=False))
    first, last, total = (int(groups[g].replace(",", "")) for g in ("first", "last", "total"))
    if first <= last <= total or (first, last, total) == (0, 0, 0):
        return Counts(first, last, total)
    return None


def first_count(nodes: Iterable[object], regex: re.Pattern[str], max_length: int = 120) -> Counts | None:
    """The first count header written whole in one of ``nodes`` (text, plain or not, or elements)."""
    for node in nodes:
        text = element_text(node) if isinstance(node, etree._Element) else str(node)
        found = _counts(text, regex, max_length)
        if found:
            return found
    return None


def find_counts(nodes: Iterable[object], regex: re.Pattern[str], max_length: int = 120) -> Counts | None:
    """The first count header among ``nodes`` (text nodes or elements outside the results table): written whole
    in one of them, else split over the short elements around them (text nodes must know their parents)."""
    candidates = list(nodes)
    found = first_count(candidates, regex, max_length)
    if found:
        return found
    for node in candidates:  # split over several elements: read the short elements holding the pieces
        parent = node if isinstance(node, etree._Element) else getattr(node, "getparent", lambda: None)()
        if parent is not None and getattr(node, "is_tail", False):
            parent = parent.getparent()
        for _ in range(2):
            if parent is None or parent.tag in ("td", "table", "body", "html"):
                break
            found = _counts(element_text(parent), regex, max_length)
            if found:
                return found
            parent = parent.getparent()
    return None
