"""Pick the right parser for a saved or fetched page: Wilson HTML (current or old) or a text rendering."""

from __future__ import annotations

import re
from pathlib import Path

from parsel import Selector
from w3lib.encoding import html_to_unicode

from harvester.model import ListingPage, NotAListingError
from harvester.parsing.detect import raise_if_challenge
from harvester.parsing.text_copies import parse_text_listing, split_url_line
from harvester.parsing.wilson import parse_old_wilson_listing, parse_wilson_listing

_HTML_START = re.compile(
    r"^\s*(<!--.*?-->\s*)*<(!doctype html|html|head|body|main|div|table|section|ul)\b", re.IGNORECASE | re.DOTALL
)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:4096]))


def parse_listing(text: str, base_url: str | None = None) -> ListingPage:
    """Parse one listing page given as text (HTML markup or a text rendering)."""
    if not looks_like_html(text):
        return parse_text_listing(text, base_url)
    selector = Selector(text=text, base_url=base_url)
    raise_if_challenge(selector, deep=False)
    if selector.css(".search-res") and not selector.css("td.document"):
        return parse_old_wilson_listing(selector, base_url)
    return parse_wilson_listing(selector, base_url)


def decode(data: bytes) -> str:
    """Decode a saved page: the BOM or ``<meta charset>`` if any, else UTF-8, else cp1252."""
    if not data.strip():
        raise NotAListingError("the file is empty")
    encoding, text = html_to_unicode(None, data, default_encoding="utf-8")
    if "\ufffd" in text and encoding.lower().replace("-", "") == "utf8":
        text = data.decode("cp1252", errors="replace")
    return text


def parse_listing_file(path: Path, base_url: str | None = None) -> tuple[ListingPage, str | None]:
    """Parse a saved listing page; a text rendering's ``URL:`` first line serves as its base URL."""
    text = decode(path.read_bytes())
    if not looks_like_html(text):
        saved_url, _ = split_url_line(text)
        base_url = base_url or saved_url
    return parse_listing(text, base_url), base_url
