"""What a listing parser returns: the raw blocks of one page and its result counts.

Parsers fill these from markup or text and nothing else: no date parsing, no name resolution.
Text is whitespace-normalised but otherwise exact (the archive's own typos stay). A field the page
does not show is ``None``, never ``""``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harvester.errors import ChallengePageError, NotAListingError, PageError

__all__ = [
    "ChallengePageError", "Counts", "ListingPage", "NotAListingError", "PageError", "PageSummary", "RawBlock",
]


@dataclass(frozen=True, slots=True)
class Counts:
    """The page's "first - last of total" header, 1-based and inclusive."""

    first: int
    last: int
    total: int

    @property
    def per_page(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True, slots=True)
class RawBlock:
    """One result block as the page shows it."""

    position: int  # 1-based rank on this page
    url: str | None  # absolute when a base URL was known
    date_text: str | None
    title: str | None
    summary: str | None
    node_id: str | None = None  # Drupal node id (current Wilson site), when shown
    extra: tuple[tuple[str, str | None], ...] = ()  # (name, value) of a site profile's extra fields
    # The parser's own reading of date_text where it needed the page to read it (auto mode: a year from a
    # heading or another cell, the page's day/month order): ISO at the precision shown, and where the year
    # came from when date_text shows none. The record prefers it to the normaliser's reading of date_text.
    date_iso: str | None = None
    date_year_from: str | None = None
    links: tuple[tuple[str, str | None], ...] = ()  # the block's other links (url, label), besides url


@dataclass(slots=True)
class ListingPage:
    """All result blocks of one listing page, in page order."""

    layout: str  # which parser read it, e.g. "wilson-table", "wilson-old-list", "text-current"
    blocks: list[RawBlock] = field(default_factory=list)
    counts: Counts | None = None
    missing: dict[str, int] = field(default_factory=dict)  # field name -> blocks without it
    next_url: str | None = None  # the next page's link, for parsers that read one (profile next-link paging)

    def __post_init__(self) -> None:
        if not self.missing:
            self.missing = count_missing(self.blocks)


def count_missing(blocks: list[RawBlock]) -> dict[str, int]:
    missing: dict[str, int] = {}
    for block in blocks:
        for name in ("url", "date_text", "title", "summary"):
            if getattr(block, name) is None:
                missing[name] = missing.get(name, 0) + 1
    return missing


@dataclass(frozen=True, slots=True)
class PageSummary:
    """What a parsed page told navigation: enough to replay the paging decision without the page."""

    page: int
    url: str
    blocks: int
    fresh: bool = True  # shows a record the state store does not know (always True outside incremental runs)
    counts: Counts | None = None
