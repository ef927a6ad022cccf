"""Wilson Center Digital Archive listing markup: the current Drupal table and the old (pre-2023) list.

One small function per field, as in ``city-scrapers``: each takes the row's Selector and returns the raw
text (whitespace-normalised, otherwise exact) or ``None``.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from parsel import Selector

from harvester.parsers.detect import raise_if_challenge, raise_if_wilson_document
from harvester.parsers.model import Counts, ListingPage, NotAListingError, RawBlock
from harvester.parsers.text import clean, element_text

_OUTSIDE_CHROME = "not(ancestor::header) and not(ancestor::nav) and not(ancestor::footer) and not(ancestor::aside)"
_CURRENT_ROWS = (
    f"//tr[td[contains(concat(' ', normalize-space(@class), ' '), ' document ')]/a][{_OUTSIDE_CHROME}]"
)
_OLD_ROWS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' search-res ')]"
    "//li[.//a[contains(concat(' ', normalize-space(@class), ' '), ' lnk-res ')]]"
)
_COUNT_TEXT = re.compile(r"(?<![\d.])(\d[\d,]*)\s*[-–—]\s*(\d[\d,]*)\s+of\s+(\d[\d,]*)(?![\d,]*\d)")
_COUNT_NODES = (
    "//text()[not(ancestor::table) and not(ancestor::script) and not(ancestor::style)]"
    r"[re:test(., '\d\s*[-–—]\s*\d[\d,]*\s+of\s+\d')]"
)
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
    """Read "1 - 10 of 21" from outside the results table (short text nodes only, never a summary)."""
    for node in selector.xpath(_COUNT_NODES).getall():
        if len(node) > 120:
            continue
        match = _COUNT_TEXT.search(node)
        if match:
            first, last, total = (int(g.replace(",", "")) for g in match.groups())
            if first <= last <= total or (first, last, total) == (0, 0, 0):
                return Counts(first, last, total)
    return None


def looks_empty_listing(selector: Selector) -> bool:
    """An empty result (or a page past the end): the search view is there but says it found nothing."""
    main = selector.css("main, #main, [role=main], .view-empty, body")
    text = " ".join(main[0].xpath(f".//text()[{_OUTSIDE_CHROME}]").getall()) if main else ""
    return bool(_EMPTY_MESSAGE.search(text))


# --- current site: table rows -------------------------------------------------------------------------------


def _parse_url(row: Selector, base_url: str | None) -> str | None:
    href = clean(row.xpath("./td[contains(@class, 'document')]/a/@href").get())
    if href is None:
        return None
    return urljoin(base_url, href) if base_url else href


def _parse_node_id(row: Selector) -> str | None:
    return clean(row.xpath("./td[contains(@class, 'document')]/@data-history-node-id").get())


def _parse_date(row: Selector) -> str | None:
    cell = row.xpath("./td[contains(concat(' ', normalize-space(@class), ' '), ' date ')]")
    return element_text(cell[0]) if cell else None


def _parse_title(row: Selector) -> str | None:
    heading = row.css("td.document h3.sub-title, td.document h3, td.document .sub-title")
    return element_text(heading[0]) if heading else None


def _parse_summary(row: Selector) -> str | None:
    body = row.css("td.document div.text")
    return element_text(body[0]) if body else None


def parse_wilson_listing(selector: Selector, base_url: str | None = None) -> ListingPage:
    """Parse one results page of the current (Drupal 10) site.

    Raises :class:`ChallengePageError` for a bot challenge and :class:`NotAListingError` for a document
    page or any page that shows neither result rows nor an empty-result message.
    """
    raise_if_challenge(selector)
    raise_if_wilson_document(selector)
    rows = selector.xpath(_CURRENT_ROWS)
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
    raise_if_challenge(selector)
    items = selector.xpath(_OLD_ROWS)
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
