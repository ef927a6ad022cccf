"""Pick the right parser for a saved or fetched page: HTML read with a profile, or a text rendering.

HTML is read with the first of the given profiles whose result-block selector matches the page (the current
and the old Wilson site by default: two markups of one page type, told apart by the page itself), or with the
first profile when none matches, so that its own checks say what the page is instead."""

from __future__ import annotations

import re
from pathlib import Path

from parsel import Selector
from w3lib.encoding import html_to_unicode

from harvester.model import ListingPage, NotAListingError
from harvester.parsing.detect import raise_if_challenge
from harvester.parsing.profile import parse_with_profile
from harvester.parsing.text_copies import parse_text_listing, split_url_line
from harvester.profiles import Profile, load_profile

#: The profiles ``harvester parse`` reads HTML with when none is given: the Wilson site, current and old.
DEFAULT_PROFILES = ("wilson", "wilson-old")

_HTML_START = re.compile(
    r"^\s*(<!--.*?-->\s*)*<(!doctype html|html|head|body|main|div|table|section|ul)\b", re.IGNORECASE | re.DOTALL
)


def looks_like_html(text: str) -> bool:
    return bool(_HTML_START.match(text[:4096]))


def parse_listing(
    text: str, base_url: str | None = None, profiles: tuple[str, ...] = DEFAULT_PROFILES
) -> ListingPage:
    """Parse one listing page given as text (HTML markup or a text rendering)."""
    if not looks_like_html(text):
        return parse_text_listing(text, base_url)
    selector = Selector(text=text, base_url=base_url)
    raise_if_challenge(selector, deep=False)
    return parse_with_profile(selector, profile_for_page(selector, profiles), base_url)


def profile_for_page(selector: Selector, profiles: tuple[str, ...] = DEFAULT_PROFILES) -> Profile:
    """The first profile whose result blocks are on this page, else the first profile."""
    loaded = [load_profile(name) for name in profiles]
    for profile in loaded:
        if profile.blocks.xpath(selector.root):
            return profile
    return loaded[0]


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
    page, base_url, _ = read_listing_file(path, base_url)
    return page, base_url


def read_listing_file(
    path: Path, base_url: str | None = None, profiles: tuple[str, ...] = DEFAULT_PROFILES
) -> tuple[ListingPage, str | None, Profile | None]:
    """:func:`parse_listing_file`, and the profile that read the page (None for a text rendering)."""
    text = decode(path.read_bytes())
    if not looks_like_html(text):
        saved_url, _ = split_url_line(text)
        base_url = base_url or saved_url
        return parse_text_listing(text, base_url), base_url, None
    selector = Selector(text=text, base_url=base_url)
    raise_if_challenge(selector, deep=False)
    profile = profile_for_page(selector, profiles)
    return parse_with_profile(selector, profile, base_url), base_url, profile
