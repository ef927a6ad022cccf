"""What a listing parser returns: the raw blocks of one page and its result counts.

Parsers fill these from markup or text and nothing else: no date parsing, no name resolution.
Text is whitespace-normalised but otherwise exact (the archive's own typos stay). A field the page
does not show is ``None``, never ``""``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harvester.errors import ChallengePageError, NotADocumentError, NotAListingError, PageError

__all__ = [
    "ChallengePageError", "Counts", "DocumentPage", "ListingPage", "NotADocumentError", "NotAListingError",
    "PageError", "PageSummary", "Pill", "RawBlock",
]  # fmt: skip


class _Pickled:
    """Pickled as a call of the class with its fields, in order: what the worker pool sends of every page (a
    slotted dataclass's own ``__setstate__`` looks up its fields for every object, several times slower)."""

    __slots__ = ()

    def __reduce__(self) -> tuple[type, tuple[object, ...]]:
        return type(self), tuple(getattr(self, name) for name in self.__slots__)


@dataclass(frozen=True, slots=True)
class Counts(_Pickled):
    """The page's "first - last of total" header, 1-based and inclusive."""

    first: int
    last: int
    total: int

    @property
    def per_page(self) -> int:
        return self.last - self.first + 1


@dataclass(frozen=True, slots=True)
class RawBlock(_Pickled):
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
class ListingPage(_Pickled):
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


@dataclass(frozen=True, slots=True)
class Pill:
    """One entry of a document page's tag list (an author, a person, a place, a topic...): its text and link."""

    name: str
    url: str | None  # absolute when the page's URL was known


#: The text fields of a document page, in record order (``DocumentPage`` attributes and a profile's
#: ``[details.fields]`` names).
DOCUMENT_TEXT_FIELDS = (
    "title", "date_text", "summary", "doc_type", "record_id", "source", "rights", "original_classification",
    "uploaded", "donors", "pdf_url", "download_url", "citation", "citation_url", "text",
)  # fmt: skip
#: The pill lists of a document page (a profile's ``[details.lists]`` names).
DOCUMENT_LISTS = ("authors", "people", "places", "topics", "subjects", "original_archives", "languages")


@dataclass(frozen=True, slots=True)
class DocumentPage:
    """A result's own document page as the page writes it: raw text, no normalisation. A value the page does not
    show is ``None`` (a list: empty)."""

    url: str
    title: str | None = None
    date_text: str | None = None
    summary: str | None = None
    doc_type: str | None = None  # the archive's own "Type" ("Cable", "Meeting Notes")
    record_id: str | None = None
    source: str | None = None
    rights: str | None = None
    original_classification: str | None = None
    uploaded: str | None = None  # "Original Uploaded Date" as shown (ISO on the Wilson site)
    donors: str | None = None
    pdf_url: str | None = None
    download_url: str | None = None
    citation: str | None = None
    citation_url: str | None = None
    text: str | None = None  # transcript or translation text (scripts, styles and titles dropped)
    authors: tuple[Pill, ...] = ()
    people: tuple[Pill, ...] = ()
    places: tuple[Pill, ...] = ()
    topics: tuple[Pill, ...] = ()
    subjects: tuple[Pill, ...] = ()
    original_archives: tuple[Pill, ...] = ()
    languages: tuple[Pill, ...] = ()
