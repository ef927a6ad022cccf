"""Wilson Center Digital Archive listing markup: the current Drupal table and the old (pre-2023) list.

One small function per field, as in ``city-scrapers``: each takes the row's Selector and returns the raw
text (whitespace-normalised, otherwise exact) or ``None``. The XPath expressions are compiled once (lxml would
otherwise compile them again for every row of every page: most of the parsing time).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from harvester.model import Counts, ListingPage, NotAListingError, RawBlock
from harvester.parsing.counts import find_counts
from harvester.parsing.detect import raise_if_challenge, raise_if_wilson_document
from harvester.parsing.html_text import clean, element_text

_OUTSIDE_CHROME = "not(ancestor::header) and not(ancestor::nav) and not(ancestor::footer) and not(ancestor::aside)"
_CURRENT_ROWS = (
    f"//tr[td[contains(concat(' ', normalize-space(@class), ' '), ' document ')]/a][{_OUTSIDE_CHROME}]"
)
_OLD_ROWS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' search-res ')]"
    "//li[.//a[contains(concat(' ', normalize-space(@class), ' '), ' lnk-res ')]]"
)
_COUNT_TEXT = re.compile(r"(?<![\d.])(\d[\d,]*)\s*[-–—]\s*(\d[\d,]*)\s+of\s+(\d[\d,]*)(?![\d,]*\d)")
# `contains` first: it discards almost every text node before the costlier ancestor tests run.
_COUNT_NODES = "//text()[contains(., 'of')][not(ancestor::table or ancestor::script or ancestor::style)]"
_ROWS_X = etree.XPath(_CURRENT_ROWS)
_COUNT_NODES_X = etree.XPath(_COUNT_NODES)


def _has_class(name: str) -> str:
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


_DOC_CELL_X = etree.XPath(f"./td[{_has_class('document')}]")
_DATE_CELL_X = etree.XPath(f"./td[{_has_class('date')}]")
_TITLE_X = etree.XPath(f".//h3[{_has_class('sub-title')}] | .//*[{_has_class('sub-title')}] | .//h3")
_SUMMARY_X = etree.XPath(f".//div[{_has_class('text')}]")
_EMPTY_MESSAGE = re.compile(
    r"\bno (results|documents|records|items)\b|\b0 results\b|did not match any|nothing (was )?found"
    r"|yielded no results|no matching",
    re.IGNORECASE,
)
_DATE_LIKE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\b[^<>\n]{0,12}?\b\d{4}\b|\b\d{4}\b"
)


def parse_counts(selector: Selector) -> Counts | None:
    """Read "1 - 10 of 21" from outside the results table (short text, never a summary)."""
    return find_counts(_COUNT_NODES_X(selector.root), _COUNT_TEXT)


def looks_empty_listing(selector: Selector) -> bool:
    """An empty result (or a page past the end): the search view is there but says it found nothing."""
    main = selector.css("main, #main, [role=main], .view-empty, body")
    text = " ".join(main[0].xpath(f".//text()[{_OUTSIDE_CHROME}]").getall()) if main else ""
    return bool(_EMPTY_MESSAGE.search(text))


# --- current site: table rows -------------------------------------------------------------------------------


def _document_cell(row: Selector) -> etree._Element | None:
    cells = _DOC_CELL_X(row.root)
    return cells[0] if cells else None


def _parse_url(row: Selector, base_url: str | None) -> str | None:
    cell = _document_cell(row)
    link = cell.find("a") if cell is not None else None
    href = clean(link.get("href")) if link is not None else None
    if href is None:
        return None
    return urljoin(base_url, href) if base_url else href


def _parse_node_id(row: Selector) -> str | None:
    cell = _document_cell(row)
    return clean(cell.get("data-history-node-id")) if cell is not None else None


def _parse_date(row: Selector) -> str | None:
    cells = _DATE_CELL_X(row.root)
    return element_text(cells[0]) if cells else None


def _parse_title(row: Selector) -> str | None:
    cell = _document_cell(row)
    headings = _TITLE_X(cell) if cell is not None else []
    return element_text(headings[0]) if headings else None


def _parse_summary(row: Selector) -> str | None:
    cell = _document_cell(row)
    bodies = _SUMMARY_X(cell) if cell is not None else []
    return element_text(bodies[0]) if bodies else None


def parse_wilson_listing(selector: Selector, base_url: str | None = None) -> ListingPage:
    """Parse one results page of the current (Drupal 10) site.

    Raises :class:`ChallengePageError` for a bot challenge and :class:`NotAListingError` for a document
    page or any page that shows neither result rows nor an empty-result message.
    """
    raise_if_challenge(selector, deep=False)
    raise_if_wilson_document(selector)
    rows = [Selector(root=row) for row in _ROWS_X(selector.root)]
    if not rows:
        raise_if_challenge(selector)
    counts = parse_counts(selector)
    if not rows and counts is None and not looks_empty_listing(selector):
        raise NotAListingError(_not_a_listing_message(selector, "no result rows (td.document), no count header"))
    blocks = [
        RawBlock(
            position=index,
            url=_parse_url(row, base_url),
            date_text=_parse_date(row),
            title=_parse_title(row),
            summary=_parse_summary(row),
            node_id=_parse_node_id(row),
        )
        for index, row in enumerate(rows, start=1)
    ]
    return ListingPage(layout="wilson-table", blocks=blocks, counts=counts)


# --- old site: list items -----------------------------------------------------------------------------------


def _old_url(item: Selector, base_url: str | None) -> str | None:
    href = clean(item.css("a.lnk-res::attr(href)").get())
    if href is None:
        return None
    return urljoin(base_url, href) if base_url else href


def _old_title(item: Selector) -> str | None:
    title = item.css(".itm-title")
    if title:
        return element_text(title[0])
    link = item.css("a.lnk-res")
    return element_text(link[0]) if link else None


def _old_date(item: Selector) -> str | None:
    dated = item.xpath(".//*[contains(@class, 'date')][not(ancestor::a)]")
    if dated:
        return element_text(dated[0])
    for text in item.xpath("./text() | ./*[not(self::a)][not(contains(@class, 'itm-title'))]//text()").getall():
        text = clean(text)
        if text and _DATE_LIKE.fullmatch(text):
            return text
    return None


def _old_summary(item: Selector) -> str | None:
    parts = item.xpath(
        "./*[not(self::a)][not(contains(@class, 'date'))][not(contains(@class, 'itm-title'))]"
        "[not(.//a[contains(@class, 'lnk-res')])]"
    )
    texts = [element_text(part) for part in parts]
    return clean(" ".join(t for t in texts if t and not _DATE_LIKE.fullmatch(t)))


def parse_old_wilson_listing(selector: Selector, base_url: str | None = None) -> ListingPage:
    """Parse one results page of the old site (until ~2022): ``.search-res li`` with ``a.lnk-res``."""
    raise_if_challenge(selector, deep=False)
    items = selector.xpath(_OLD_ROWS)
    if not items:
        raise_if_challenge(selector)
    if not items and not (selector.css(".search-res") and looks_empty_listing(selector)):
        raise NotAListingError(_not_a_listing_message(selector, "no .search-res list items"))
    blocks = [
        RawBlock(
            position=index,
            url=_old_url(item, base_url),
            date_text=_old_date(item),
            title=_old_title(item),
            summary=_old_summary(item),
        )
        for index, item in enumerate(items, start=1)
    ]
    return ListingPage(layout="wilson-old-list", blocks=blocks, counts=parse_counts(selector))


def _not_a_listing_message(selector: Selector, why: str) -> str:
    title = clean(" ".join(selector.xpath("//title//text()").getall()))
    return f"not a search listing: {why} and no 'no results' message (page title {title!r})"
