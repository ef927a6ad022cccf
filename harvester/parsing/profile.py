"""The generic listing parser: a page and a site profile (``harvester.profiles``) → raw blocks.

Pure, like the hand-written parsers: no dates parsed, no names resolved. The profile's XPath objects are
compiled once when it is loaded; this module only runs them. Field text has the semantics of
:func:`~harvester.parsing.html_text.element_text` (``<br>`` and block boundaries read as spaces, whitespace
collapsed, empty → ``None``).

Order of checks, as in :func:`harvester.parsing.wilson.parse_wilson_listing`: a challenge page (title and
markup), the profile's "not a listing" markers, the result blocks; no blocks → a deep challenge check, the
count header, the empty-result message; none of them → :class:`NotAListingError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from harvester.model import Counts, ListingPage, NotAListingError, RawBlock
from harvester.parsing.counts import find_counts, first_count
from harvester.parsing.detect import raise_if_challenge
from harvester.parsing.html_text import clean, element_text
from harvester.profiles.model import Count, Empty, Extractor, Field, Profile

__all__ = ["extract", "parse_file_with_profile", "parse_with_profile", "read_counts"]

_TITLE_X = etree.XPath("(/html/head/title | //title)[1]")
_CHROME = ("header", "nav", "footer", "aside", "script", "style", "template", "noscript")
_VISIBLE_TEXT_X = etree.XPath(f".//text()[not({' or '.join(f'ancestor::{tag}' for tag in _CHROME)})]")
_BODY_X = etree.XPath("//body")


def parse_with_profile(selector: Selector, profile: Profile, base_url: str | None = None) -> ListingPage:
    """Parse one listing page with a profile.

    Raises :class:`~harvester.parsing.ChallengePageError` for a bot challenge and
    :class:`~harvester.parsing.NotAListingError` for a page the profile marks as something else, or one that
    shows neither result blocks, nor a count header, nor an empty-result message.
    """
    root = selector.root
    raise_if_challenge(selector, deep=False)
    if profile.not_a_listing is not None:
        _raise_if_marked(root, profile)
    rows = [node for node in profile.blocks.xpath(root) if isinstance(node, etree._Element)]
    if not rows:
        raise_if_challenge(selector)
    count = profile.pagination.count
    counts = read_counts(root, count) if count is not None else None
    if not rows and counts is None and not _looks_empty(root, profile.empty):
        raise NotAListingError(_not_a_listing_message(root, profile))
    if not rows and counts is not None and 0 < counts.first <= counts.total:
        # The page promises results that the profile cannot find: the markup changed, or it is another
        # layout's page. Never "no results".
        raise NotAListingError(
            f"the page shows results {counts.first} - {counts.last} of {counts.total} but profile "
            f"{profile.label}'s block selector ({profile.blocks.key}) matches none of them"
        )
    fields = {f.name: f for f in profile.fields}
    url_field, date_field = fields.get("url"), fields.get("date")
    title_field, summary_field, node_field = fields.get("title"), fields.get("summary"), fields.get("node_id")
    blocks = []
    for position, row in enumerate(rows, start=1):
        url = _value(url_field, row)
        if url is not None and base_url:
            url = urljoin(base_url, url)
        blocks.append(
            RawBlock(
                position=position,
                url=url,
                date_text=_value(date_field, row),
                title=_value(title_field, row),
                summary=_value(summary_field, row),
                node_id=_value(node_field, row),
                extra=tuple((f.name, _value(f, row)) for f in profile.extras),
            )
        )
    next_url = None
    if profile.pagination.next is not None and rows:
        next_url = _value(profile.pagination.next, root, default_attr="href")
        if next_url is not None and base_url:
            next_url = urljoin(base_url, next_url)
    return ListingPage(layout=profile.layout, blocks=blocks, counts=counts, next_url=next_url)


def parse_file_with_profile(path: Path, profile: Profile, base_url: str | None = None) -> ListingPage:
    """Parse a saved page (bytes decoded as :func:`harvester.parsing.files.decode` does) with a profile."""
    from harvester.parsing.files import decode

    return parse_with_profile(Selector(text=decode(path.read_bytes()), base_url=base_url), profile, base_url)


def _value(field: Field | None, node: etree._Element, default_attr: str | None = None) -> str | None:
    if field is None:
        return None
    for extractor in field.alternatives:
        value = extract(extractor, node, default_attr=default_attr)
        if value is not None:
            return value
    return None


def extract(extractor: Extractor, node: etree._Element, *, default_attr: str | None = None) -> str | None:
    """The text an extractor reads from ``node`` (a block, or the page root), or ``None``."""
    result = extractor.xpath(node)
    matches: Iterable[object] = result if isinstance(result, list) else (result,)
    attr = extractor.attr or default_attr
    values = []
    for match in matches:
        value = _text(match, attr)
        if value is None:
            continue
        if extractor.keep is not None and not extractor.keep.fullmatch(value):
            continue
        if extractor.drop is not None and extractor.drop.fullmatch(value):
            continue
        if extractor.regex is not None:
            found = extractor.regex.search(value)
            if found is None:
                continue
            value = clean(_group(found))
            if value is None:
                continue
        if not extractor.all:
            return value
        values.append(value)
    return clean(extractor.join.join(values)) if values else None


def _group(found: re.Match[str]) -> str | None:
    if "value" in found.re.groupindex:
        return found.group("value")
    return found.group(1) if found.re.groups else found.group(0)


def _text(match: object, attr: str | None) -> str | None:
    if isinstance(match, etree._Element):
        if attr is not None:
            return clean(match.get(attr))
        return element_text(match)
    if isinstance(match, bool) or match is None:
        return None
    if isinstance(match, float):
        return str(int(match)) if match.is_integer() else str(match)
    return clean(str(match))


# --- page-level checks ----------------------------------------------------------------------------------------


def read_counts(root: etree._Element, count: Count) -> Counts | None:
    """The first "first - last of total" header in short text nodes (never a long summary). First among the
    nodes' plain text (a header written whole: the same answer, without making strings that know their parent);
    only a page where none is found looks again, around the nodes (a header split over several elements)."""
    if count.texts is not None:
        found = first_count(count.texts(root), count.regex, count.max_length)
        if found is not None:
            return found
    return find_counts(count.nodes.xpath(root), count.regex, count.max_length)


def _looks_empty(root: etree._Element, empty: Empty | None) -> bool:
    """An empty result (or a page past the end): the profile's "no results" message, outside the page chrome."""
    if empty is None:
        return False
    scopes = empty.scope.xpath(root) if empty.scope is not None else _BODY_X(root)
    scope = next((s for s in scopes if isinstance(s, etree._Element)), None)
    return scope is not None and bool(empty.regex.search(" ".join(_VISIBLE_TEXT_X(scope))))


def _raise_if_marked(root: etree._Element, profile: Profile) -> None:
    rule = profile.not_a_listing
    assert rule is not None
    marks: list[str] = []
    left = len(rule.markers)
    for marker in rule.markers:
        if len(marks) + left < rule.min_markers:
            return  # the markers still to try could not make up the number (a listing has none of them)
        left -= 1
        if marker.xpath(root):
            marks.append(marker.expr)
    if len(marks) >= rule.min_markers:
        raise NotAListingError(
            f"this is {rule.what} (page title {_page_title(root)!r}; has {', '.join(marks)}), "
            f"not a search listing of {profile.name}"
        )


def _page_title(root: etree._Element) -> str | None:
    titles = _TITLE_X(root)
    return element_text(titles[0]) if titles else None


def _not_a_listing_message(root: etree._Element, profile: Profile) -> str:
    expr = profile.blocks.expr if len(profile.blocks.expr) <= 60 else profile.blocks.expr[:57] + "..."
    what = [f"no result blocks ({profile.blocks.kind} {expr!r})"]
    if profile.pagination.count is not None:
        what.append("no count header")
    if profile.empty is not None:
        what.append("no 'no results' message")
    return (
        f"not a search listing of {profile.name}: {', '.join(what[:-1])} and {what[-1]}"
        if len(what) > 1
        else f"not a search listing of {profile.name}: {what[0]}"
    ) + f" (page title {_page_title(root)!r})"
