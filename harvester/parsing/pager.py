"""Generic pagination for zero-config mode: find a listing page's "next page" link without a profile.

Pure functions over a parsel ``Selector`` (no Scrapy, no network). Used by the ``auto`` spider
(:mod:`harvester.crawl.spiders.auto`) to walk a listing and by the profile drafter (:mod:`harvester.profiles.draft`) to
describe the pager.

What counts as the next page, best first:

1. ``<link rel="next">`` or ``<a rel="next">``;
2. a link whose text (or ``aria-label``/``title``) says "Next", "Next page", "Older", "Older posts", "Older
   entries" ... with or without an arrow, or is a single arrow "›", "»", "→", ">"; a link inside a pager
   (class/id/role with "pag"/"pager"/"pagination"/"nav-links"/"page-numbers") wins over one outside;
3. a link whose own class (or its list item's) says ``next`` (``a.next``, ``li.pager-next > a``).

Links inside the result blocks never count (a result titled "Next steps"), nor links to the page itself,
``#`` fragments or ``javascript:``. :func:`page_param` / :func:`with_page_param` handle a ``page=N`` query
parameter when the page shows no pager.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import parsel
from lxml import etree

__all__ = ["NextLink", "find_next_link", "home_host", "page_param", "source_name", "with_page_param"]

_NEXT_WORDS = re.compile(
    r"(?:next|older)(?:\s+(?:page|posts?|entries|results|items|articles|events|news|meetings|records|documents))?"
    r"|load\s+next|next\s+\d+(?:\s+\w+)?",
    re.I,
)
_ARROWS = "›»→>⟩❯▶▸⇒"
_BACK_ARROWS = "‹«←<⟨❮◀◂⇐"
_EDGE = re.compile(rf"^[\s{re.escape(_ARROWS)}.:|\-–—]+|[\s{re.escape(_ARROWS)}.:|\-–—]+$")
_PAGER_WORDS = re.compile(r"pag|pager|nav-links|page-numbers|paging", re.I)
_CLASS_NEXT = re.compile(r"(?:^|[-_\s])next(?:$|[-_\s])", re.I)
_PAGE_PARAM = re.compile(r"(?:^|&)page=(\d+)(?=&|$)")
_SAFE_NAME = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class NextLink:
    url: str  # absolute (joined with the page URL)
    how: str  # "rel=next" | "pager text" | "next class"
    element: etree._Element  # the <a> or <link>, for the profile drafter
    text: str  # the link's visible text ("" for <link>)


def _text(el: etree._Element) -> str:
    return " ".join("".join(el.itertext()).split())


def is_next_text(text: str) -> bool:
    """'Next', 'Next page »', 'Older posts →', '›' (one arrow): a pager's next-page label."""
    compact = " ".join(text.split())
    if not compact:
        return False
    if any(ch in compact for ch in _BACK_ARROWS):
        return False
    core = _EDGE.sub("", compact)
    if not core:
        arrows = [ch for ch in compact if not ch.isspace()]
        return len(arrows) == 1 and arrows[0] in _ARROWS
    return bool(_NEXT_WORDS.fullmatch(core))


def _in_pager(el: etree._Element) -> bool:
    node = el.getparent()
    for _ in range(6):
        if node is None:
            return False
        marks = " ".join(node.get(name) or "" for name in ("class", "id", "role", "aria-label"))
        if _PAGER_WORDS.search(marks):
            return True
        node = node.getparent()
    return False


def _usable(href: str | None) -> bool:
    if not href or not href.strip():
        return False
    href = href.strip()
    return not href.startswith("#") and not href.lower().startswith(("javascript:", "mailto:", "tel:", "data:"))


def _same_page(a: str, b: str) -> bool:
    return urlsplit(a)._replace(fragment="") == urlsplit(b)._replace(fragment="")


def find_next_link(
    selector: parsel.Selector,
    page_url: str | None,
    *,
    exclude: Iterable[etree._Element] = (),
    visited: Iterable[str] = (),
) -> NextLink | None:
    """The page's next-page link, or None. ``exclude``: elements (result blocks) whose links never count."""
    root = selector.root
    if not hasattr(root, "iter"):
        return None
    excluded = set(exclude)
    seen = set(visited)
    base = page_url or ""
    candidates: list[tuple[int, int, int, NextLink]] = []
    for order, el in enumerate(root.iter("a", "link")):
        href = el.get("href")
        if not _usable(href):
            continue
        if any(anc in excluded for anc in el.iterancestors()) or el in excluded:
            continue
        url = urljoin(base, href.strip()) if base else href.strip()
        if (base and _same_page(url, base)) or url in seen:
            continue
        rel = (el.get("rel") or "").lower().split()
        if el.tag == "link":
            if "next" in rel:
                candidates.append((0, 0, order, NextLink(url, "rel=next", el, "")))
            continue
        text = _text(el)
        if "next" in rel:
            candidates.append((0, 0, order, NextLink(url, "rel=next", el, text)))
            continue
        labels = [text, el.get("aria-label") or "", el.get("title") or ""]
        if any(is_next_text(t) for t in labels if t):
            candidates.append((1, 0 if _in_pager(el) else 1, order, NextLink(url, "pager text", el, text)))
            continue
        parent = el.getparent()
        classes = f"{el.get('class') or ''} {(parent.get('class') or '') if parent is not None else ''}"
        if any(_CLASS_NEXT.search(c) for c in classes.split()) and not text.strip().isdigit():
            candidates.append((2, 0 if _in_pager(el) else 1, order, NextLink(url, "next class", el, text)))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c[:3])[3]


def home_host(selector: parsel.Selector) -> str | None:
    """The host the page says it lives on: its canonical URL or ``og:url``, else the host most of its absolute
    links point to. A saved or replayed copy of a page keeps its links to the original host."""
    for expr in ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        value = selector.xpath(expr).get()
        if value and urlsplit(value.strip()).netloc:
            return urlsplit(value.strip()).netloc.lower()
    hosts = Counter(
        urlsplit(href.strip()).netloc.lower()
        for href in selector.xpath("//a/@href | //link/@href").getall()
        if href.strip().lower().startswith(("http://", "https://"))
    )
    hosts.pop("", None)
    if not hosts:
        return None
    host, count = hosts.most_common(1)[0]
    return host if count >= 3 else None


def source_name(url: str | None, default: str = "auto") -> str:
    """A source name from a URL's host, safe for paths and the record contract (``[a-z0-9-]``):
    ``https://www.nwheap.com/x`` -> ``nwheap-com``, ``http://127.0.0.1:8000/`` -> ``127-0-0-1``."""
    host = (urlsplit(url).hostname or "") if url else ""
    host = host.lower().removeprefix("www.")
    name = _SAFE_NAME.sub("-", host).strip("-")
    return name or default


def page_param(url: str) -> int | None:
    """The value of a ``page=N`` query parameter, or None."""
    match = _PAGE_PARAM.search(urlsplit(url).query)
    return int(match.group(1)) if match else None


def with_page_param(url: str, page: int) -> str:
    """The URL with its ``page=N`` value replaced; every other byte stays."""
    parts = urlsplit(url)
    query = _PAGE_PARAM.sub(lambda m: m.group(0).replace(f"page={m.group(1)}", f"page={page}"), parts.query, count=1)
    return urlunsplit(parts._replace(query=query))
