"""Turn a raw result block into a dataset record: the pure heart of the item pipelines.

Nothing here knows Scrapy: ``harvester parse`` and the crawl pipelines call the same function, so a saved
page and a crawled page give the same record.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harvester.model import DOCUMENT_LISTS, DOCUMENT_TEXT_FIELDS, DocumentPage, ListingPage, RawBlock
from harvester.normalize.authority import with_archive_people
from harvester.normalize.dates import NormalizedDate, date_from_formats, normalize_date
from harvester.normalize.names import Registry, default_registry, people_and_organisations
from harvester.normalize.titles import parse_title
from harvester.parsing.html_text import repair_mojibake

SCHEMA_VERSION = "1.3.0"
_DOCUMENT_PATH = re.compile(r"^/(?:[a-z]{2}/)?(document|node)/([^/?#]+)/?$")

# The order of a record's fields in the output (stable for diffing and for downstream readers).
FIELDS = (
    "schema_version",
    "id",
    "source",
    "url",
    "listing_url",
    "page",
    "position",
    "node_id",
    "title",
    "summary",
    "date_raw",
    "date",
    "date_precision",
    "date_end",
    "date_approximate",
    "date_year_from",
    "doc_type",
    "doc_number",
    "doc_type_archive",
    "people",
    "organisations",
    "extra",
    "links",
    "details",
    "crawled_at",
)

#: How a source's titles are read (a profile's ``[normalize] titles``): the archival title grammar and the
#: person registry, or not at all (doc_type and doc_number null, people and organisations empty).
TITLE_MODES = ("archival", "none")


#: The raw text fields that mojibake repair looks at.
TEXT_FIELDS = ("title", "summary", "date_raw")


# Terminal escape sequences and C0/C1 control characters: never text, and an escape flipped the title grammar.
_CONTROL = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def repair_fields(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str], list[str]]:
    """Mojibake repair of a raw item's text fields: ``(repaired copy, fields repaired, fields still holding
    U+FFFD)``. Pure; :func:`harvester.pipelines.normalize.repair_text` counts and logs what it found."""
    repaired, unreadable = [], []
    out = dict(raw)
    for name in TEXT_FIELDS:
        fixed, changed = repair_mojibake(out.get(name))
        if changed:
            out[name] = fixed
            repaired.append(name)
        if isinstance(fixed, str) and _CONTROL.search(fixed):
            out[name] = fixed = _CONTROL.sub("", fixed)
        if fixed and "\ufffd" in fixed:
            unreadable.append(name)
    return out, repaired, unreadable


def record_id(source: str, url: str | None) -> str | None:
    """A stable id from the document URL: ``wilson:<slug>`` for ``/document/<slug>`` (a query such as
    ``?lang=en&tab=translation`` only picks a view of the same document), ``wilson:node-<n>`` for
    ``/node/<n>``; any other URL gets a digest of its path and query. The host is left out on purpose: a
    mirror or a replica of the site gives the same ids. No URL, no id."""
    if not url:
        return None
    parts = urlsplit(url)
    web = parts.scheme.lower() in ("http", "https")
    match = _DOCUMENT_PATH.match(parts.path) if web else None
    if match:
        kind, key = match.groups()
        return f"{source}:{key}" if kind == "document" else f"{source}:node-{key}"
    # Another scheme (file:, ftp:, javascript:) is not the same document as the web page at that path.
    where = f"{parts.path}?{parts.query}" if web else f"{parts.scheme.lower()}:{parts.netloc}{parts.path}?{parts.query}"
    digest = hashlib.sha1(where.encode(), usedforsecurity=False)
    return f"{source}:{digest.hexdigest()[:16]}"


def without_credentials(url: str | None) -> str | None:
    """``url`` without a ``user:password@`` part: a link's credentials never reach a record."""
    if not url or "@" not in url:
        return url
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=host))


def page_offset(listing: ListingPage, page: int, *, first_page: int, page_size: int) -> int:
    """How many results come before this page's first: what its count header says ("11 - 20 of 183": 10), else
    its page number times the page size. A block's ``position`` is this plus its place on the page."""
    if listing.counts is not None and listing.counts.first > 0:
        return listing.counts.first - 1
    return (page - first_page) * page_size


def raw_item(
    block: RawBlock,
    *,
    source: str,
    listing_url: str | None,
    page: int | None,
    offset: int = 0,
    profile: Any = None,
    titles: str = "archival",
) -> dict[str, Any]:
    """The raw item of one result block, as the spider yields it and ``harvester parse`` reads it: the block's
    fields, where it was listed, and what its profile says about reading it (the id by the profile's rules,
    the date languages and formats, the title mode, the extra fields). ``profile`` (a
    :class:`harvester.profiles.Profile`) overrides ``titles``; without one the record id is the default rule's."""
    item: dict[str, Any] = {
        "source": source,
        "url": without_credentials(block.url),
        "listing_url": without_credentials(listing_url),
        "page": page,
        "position": offset + block.position,
        "node_id": block.node_id,
        "date_raw": block.date_text,
        "title": block.title,
        "summary": block.summary,
        "id": None,
        "extra": dict(block.extra) if block.extra else None,
        "date_read": block.date_iso,
        "date_year_from": block.date_year_from,
        "links": [{"url": u, "label": label} for u, label in block.links],
        "read": {"titles": titles, "date_languages": [], "date_formats": []},
    }
    if profile is not None:
        values = {"url": block.url, "title": block.title, "date": block.date_text, "summary": block.summary,
                  "node_id": block.node_id, **dict(block.extra)}  # fmt: skip
        key = profile.record_key(values)
        item["id"] = f"{source}:{key}" if key else None
        item["read"] = {
            "titles": profile.titles,
            "date_languages": list(profile.dates.languages),
            "date_formats": list(profile.dates.formats),
        }
    if item["id"] is None:
        item["id"] = record_id(source, block.url)
    return item


def _date(raw: Mapping[str, Any], languages: tuple[str, ...] | None) -> NormalizedDate:
    """A profile's strptime ``date_formats`` come first; the normaliser reads the rest."""
    read = raw.get("read") or {}
    text = raw.get("date_raw")
    if read.get("date_formats"):
        found = date_from_formats(text, read["date_formats"])
        if found is not None:
            return found
    return normalize_date(text, languages=tuple(read.get("date_languages") or ()) or languages)


#: The longest title the title grammar and the name resolver read (the record keeps the whole title). The
#: archive's longest titles are a few hundred characters; the resolver's work grows with the square of a span's
#: words, so a hostile 30,000-word title took a minute and 4.8 GB for one record (issue 16, item 2).
MAX_GRAMMAR_TITLE = 1000


def _for_grammar(title: Any) -> Any:
    """``title`` cut at a word boundary to at most :data:`MAX_GRAMMAR_TITLE` characters."""
    if not isinstance(title, str) or len(title) <= MAX_GRAMMAR_TITLE:
        return title
    cut = title[:MAX_GRAMMAR_TITLE]
    space = cut.rfind(" ")
    return cut[:space] if space > MAX_GRAMMAR_TITLE // 2 else cut


_PRECISION = {4: "year", 7: "month", 10: "day"}


def _with_parser_reading(date: NormalizedDate, raw: Mapping[str, Any]) -> NormalizedDate:
    """The parser's own reading (``date_read``: a year from the page's context, the page's day/month order)
    wins over the normaliser's reading of the text alone when they differ; the text stays as shown."""
    read = raw.get("date_read")
    if not read or read == date.iso or len(read) not in _PRECISION:
        return date
    return NormalizedDate(date.raw, read, _PRECISION[len(read)], approximate=date.approximate, method="parser")


def build_record(
    raw: Mapping[str, Any],
    *,
    crawled_at: str | None,
    registry: Registry | None = None,
    date_languages: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """Normalise one raw item (:func:`raw_item`, as yielded by a spider or read by ``harvester parse``) into a
    record. A raw item that carries ``details`` (the ``--details`` stage: :func:`details_of` of its document page,
    or None for a page that failed) has them joined by :func:`with_details`; without, ``details`` and
    ``doc_type_archive`` are None."""
    date = _with_parser_reading(_date(raw, date_languages), raw)
    title = raw.get("title")
    mode = (raw.get("read") or {}).get("titles", "archival")
    if mode == "archival":
        grammar_title = _for_grammar(title)
        parts = parse_title(grammar_title)
        doc_type, doc_number = parts.doc_type, parts.doc_number
        people, organisations = people_and_organisations(
            grammar_title, date=date.iso, registry=registry or default_registry(), parts=parts
        )
    else:
        doc_type = doc_number = None
        people, organisations = [], []
    record: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": raw.get("id") or record_id(raw["source"], raw.get("url")),
        "source": raw["source"],
        "url": raw.get("url"),
        "listing_url": raw.get("listing_url"),
        "page": raw.get("page"),
        "position": raw.get("position"),
        "node_id": raw.get("node_id"),
        "title": title,
        "summary": raw.get("summary"),
        "date_raw": date.raw,
        "date": date.iso,
        "date_precision": date.precision,
        "date_end": date.end,
        "date_approximate": date.approximate,
        "date_year_from": raw.get("date_year_from") if date.iso else None,
        "doc_type": doc_type,
        "doc_number": doc_number,
        "doc_type_archive": None,
        "people": people,
        "organisations": organisations,
        "extra": raw.get("extra") or None,
        "links": list(raw.get("links") or []),
        "details": None,
        "crawled_at": crawled_at,
    }
    if raw.get("details") is not None:
        record = with_details(record, raw["details"], registry=registry)
    if date.error:
        record["_date_error"] = date.error  # counted by the pipeline, then removed
    return record


#: Contract versions a record can be read from as this one: 1.3.0 only added fields, null when absent.
UPGRADABLE = ("1.2.0",)


def upgraded(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record of an earlier minor version (:data:`UPGRADABLE`) as one of :data:`SCHEMA_VERSION`: the fields
    added since, null, in their places; any other record as it is. Pure."""
    if record.get("schema_version") not in UPGRADABLE:
        return dict(record)
    out = {name: record.get(name) for name in FIELDS if name in record or name in ("doc_type_archive", "details")}
    out.update({k: v for k, v in record.items() if k not in out})  # first_seen, last_seen of a dataset line
    out["schema_version"] = SCHEMA_VERSION
    return out


def details_of(page: DocumentPage) -> dict[str, Any]:
    """A document page as a record's ``details``: its raw values and pill lists as the page writes them (what
    :func:`with_details` reads, and what the state store keeps, so an unchanged record keeps its details)."""
    details: dict[str, Any] = {"url": without_credentials(page.url)}
    for name in DOCUMENT_TEXT_FIELDS:
        details[name] = getattr(page, name)
    for name in DOCUMENT_LISTS:
        details[name] = [{"name": pill.name, "url": pill.url} for pill in getattr(page, name)]
    return details


def with_details(
    record: Mapping[str, Any],
    details: DocumentPage | Mapping[str, Any] | None,
    *,
    registry: Registry | None = None,
) -> dict[str, Any]:
    """``record`` with its document page joined: ``details`` (:func:`details_of`), the archive's Type beside the
    title grammar's ``doc_type`` (``doc_type_archive``), and the archive's people pills as evidence for the
    title's people (:func:`harvester.normalize.authority.with_archive_people`). ``None`` (no page, or a failed
    one): ``details`` and ``doc_type_archive`` None, people as the title gave them. Pure."""
    out = dict(record)
    if isinstance(details, DocumentPage):
        details = details_of(details)
    if details is None:
        out["details"] = None
        out["doc_type_archive"] = None
        return out
    details = dict(details)
    out["details"] = details
    out["doc_type_archive"] = details.get("doc_type")
    pills = [*(details.get("authors") or []), *(details.get("people") or [])]
    out["people"] = with_archive_people(
        [{k: v for k, v in p.items() if k not in ("archive", "agrees")} for p in record.get("people") or []],
        pills,
        source=record["source"],
        registry=registry or default_registry(),
        date=record.get("date"),
    )
    return out
