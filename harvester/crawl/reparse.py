"""Rebuild a captured run's records from its WARC files, with today's parsers and normalisers, no network.

The capture's ``warcinfo`` names the spider and its arguments; the spider is built from them (nothing is
crawled: only its page grammar is used — which profile reads a page, page numbers, positions), each captured
listing response is read by the spider's own ``parse_page`` and turned into records by the same
``records.raw_item`` and ``records.build_record`` a crawl uses, then de-duplicated and checked against the
contract like a crawl's. A record's ``crawled_at`` is the ``WARC-Date`` of the response it came from: when the
page was fetched, not when it was re-read. A plain loop rather than Scrapy's engine: no scheduler, no
politeness, no downloader (docs/performance.md, "reparse").
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.http.headers import Headers
from scrapy.responsetypes import responsetypes

from harvester.crawl.details import DOCUMENT_CALLBACK, listing_unchanged
from harvester.errors import CaptureError, HarvesterError, PageError, SpiderArgumentError
from harvester.normalize.names import Registry
from harvester.parsing.document import parse_document_page
from harvester.pipelines.dedupe import dedupe_key
from harvester.pipelines.normalize import count_normalisation, repair_text
from harvester.pipelines.output import item_key
from harvester.pipelines.validate import record_errors
from harvester.records import build_record, details_of, raw_item, with_details
from harvester.storage.plan import RunPlan
from harvester.storage.run import Finish, Run
from harvester.storage.warc import Captured, read_exchanges, read_info

logger = logging.getLogger(__name__)

#: The callbacks whose responses are listing pages (``ListingSpider.parse`` / ``parse_offloaded``).
LISTING_CALLBACKS = frozenset({"parse", "parse_offloaded"})


@dataclass
class Tally:
    """What a reparse counted (the same ``harvester/...`` names as a crawl's stats)."""

    counts: Counter[str] = field(default_factory=Counter)
    failed_pages: list[dict[str, str]] = field(default_factory=list)
    failed_details: list[dict[str, str]] = field(default_factory=list)  # document pages (--details)
    invalid: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def inc_value(self, key: str, count: int = 1) -> None:
        self.counts[key] += count


def capture_info(paths: Iterable[Path]) -> dict[str, Any]:
    """The one spider and source every file was captured by (files of two crawls are refused)."""
    infos = [(path, read_info(path)) for path in paths]
    if not infos:
        raise CaptureError("no capture file given")
    first_path, first = infos[0]
    for path, info in infos[1:]:
        if (info.get("source"), info.get("spider_name")) != (first.get("source"), first.get("spider_name")):
            raise CaptureError(f"{path} was captured by {info.get('source')!r}, {first_path} by "
                               f"{first.get('source')!r}: reparse the captures of one source at a time")
    return first


def build_spider(info: dict[str, Any], spider_classes: dict[str, type]) -> Any:
    """The capture's spider, from its name and arguments (a registered spider only: a capture names, never
    imports, code)."""
    name = info.get("spider_name")
    cls = spider_classes.get(name)
    if cls is None:
        raise CaptureError(f"the capture was made by spider {name!r}, which this harvester does not have")
    try:
        return cls(**dict(info.get("arguments") or {}))
    except SpiderArgumentError as error:
        raise CaptureError(f"the capture's spider arguments no longer work: {error}") from None


def listing_pages(exchanges: Iterable[Captured]) -> list[tuple[int | None, Captured]]:
    """The captured listing responses in page order (positions of auto mode run on across pages); of a page
    captured more than once (retried), the last capture: the response the crawl read its rows from."""
    pages: dict[Any, tuple[int | None, Captured]] = {}
    for exchange in exchanges:
        if exchange.context.get("callback") in LISTING_CALLBACKS:
            page = exchange.context.get("page")
            pages[page if page is not None else exchange.url] = (page, exchange)
    return sorted(pages.values(), key=lambda pair: (pair[0] is None, pair[0] or 0))


def document_pages(exchanges: Iterable[Captured]) -> dict[str, Captured]:
    """The captured document pages (``--details``) by the id of the record each was fetched for; of one fetched
    more than once (retried), the last capture."""
    return {
        exchange.context["record"]: exchange
        for exchange in exchanges
        if exchange.context.get("callback") == DOCUMENT_CALLBACK and exchange.context.get("record")
    }


def reparse(paths: list[Path], spider: Any, registry: Registry, tally: Tally) -> Iterator[dict[str, Any]]:
    """Every valid record of the captures, once each, in page order. A capture of a ``--details`` crawl (its
    spider arguments say so) has its document pages re-read too and joined as the crawl joined them."""
    exchanges = [exchange for path in paths for exchange in read_exchanges(path, tally.warnings.append)]
    tally.inc_value("harvester/captured_responses", len(exchanges))
    documents = document_pages(exchanges) if getattr(spider, "details", False) else None
    seen: set[tuple[str, ...]] = set()
    warned: set[tuple[str, str]] = set()
    for page, exchange in listing_pages(exchanges):
        for item in _page_items(spider, page, exchange, tally):
            if documents is not None and item.get("id") and item.get("url"):
                item["details"] = _details(spider, documents.get(item["id"]), tally)
            record = build_record(repair_text(item, tally, warned), crawled_at=_utc(exchange.date), registry=registry)
            count_normalisation(record, tally)
            key = dedupe_key(record)
            if key in seen:
                tally.inc_value("harvester/duplicates")
                continue
            seen.add(key)
            errors = record_errors(record)
            if errors:
                tally.inc_value("harvester/invalid")
                tally.invalid.append({"record": record, "errors": errors})
                continue
            tally.inc_value("harvester/records")
            yield record


def _response(exchange: Captured, page: int | None = None) -> Any:
    headers = Headers(exchange.headers)
    cls = responsetypes.from_args(headers=headers, url=exchange.url, body=exchange.body)
    request = Request(exchange.url, cb_kwargs={"page": page})
    return cls(url=exchange.url, status=exchange.status, headers=headers, body=exchange.body, request=request)


def _details(spider: Any, exchange: Captured | None, tally: Tally) -> dict[str, Any] | None:
    """A record's captured document page read again (:func:`harvester.records.details_of`), or None: not
    captured (the crawl reused stored details, or the request got no answer) or failed, as in the crawl."""
    if exchange is None:
        tally.inc_value("harvester/details/not_captured")
        return None
    response = _response(exchange)
    if not isinstance(response, TextResponse) or response.status >= 400:
        return _detail_failed(tally, exchange, f"HTTP {response.status}")
    try:
        document = parse_document_page(response.text, response.url, spider.detail_rules())
    except HarvesterError as error:
        return _detail_failed(tally, exchange, f"HTTP {response.status}: {error}")
    tally.inc_value("harvester/details/fetched")
    return details_of(document)


def _detail_failed(tally: Tally, exchange: Captured, reason: str) -> None:
    tally.inc_value("harvester/details/failed")
    tally.failed_details.append({"url": exchange.url, "reason": reason})
    logger.warning("document page not reparsed: %s: %s (its record is kept, details null)", exchange.url, reason)


def _page_items(spider: Any, page: int | None, exchange: Captured, tally: Tally) -> list[dict[str, Any]]:
    response = _response(exchange, page)
    if not isinstance(response, HtmlResponse | XmlResponse):
        return _failed(tally, exchange, "not a listing page")
    try:
        listing = spider.parse_page(response)
    except (PageError, HarvesterError) as error:
        return _failed(tally, exchange, str(error))
    page = spider.page_number(exchange.url) if page is None else page
    tally.inc_value("harvester/pages_parsed")
    tally.inc_value("harvester/blocks", len(listing.blocks))
    offset = spider.page_offset(page, listing)
    profile = spider.profile_for(exchange.url)
    return [
        raw_item(block, source=spider.name, listing_url=exchange.url, page=page, offset=offset, profile=profile,
                 titles=spider.titles)
        for block in listing.blocks
    ]  # fmt: skip


def _failed(tally: Tally, exchange: Captured, reason: str) -> list[dict[str, Any]]:
    tally.inc_value("harvester/failed_pages")
    tally.failed_pages.append({"url": exchange.url, "reason": f"HTTP {exchange.status}: {reason}"})
    logger.warning("page not reparsed: %s: HTTP %s: %s", exchange.url, exchange.status, reason)
    return []


def _utc(warc_date: str) -> str:
    """WARC-Date (ISO 8601, maybe with fractions of a second) as the records' ``YYYY-MM-DDTHH:MM:SSZ``."""
    return warc_date[:19] + "Z"


def into_run(
    plan: RunPlan, records: Iterable[dict[str, Any]], tally: Tally, *, registry: Registry | None = None,
    details: bool = False,
) -> Finish:
    """A tracked run of mode ``reparse``: classified against the state store, staged, then finished like a
    crawl's run (run file, state commit, dataset export, manifest), so every stored record gets today's reading.
    ``details`` (a ``--details`` capture): a record whose document page is not in the capture (the crawl reused
    the stored details of an unchanged row) keeps the stored details, joined again with today's registry, as
    the crawl would: a reparse never turns stored details into null."""
    run = Run.start(plan)
    try:
        for record in records:
            if details and record.get("details") is None:
                record = _with_stored_details(run, record, registry)
            status, digest = run.classify(record)
            run.journal.stage(item_key(record), record, status, digest)
        for entry in tally.invalid:
            run.journal.quarantine(item_key(entry["record"]), entry["record"], entry["errors"])
    except BaseException:
        run.release()
        raise
    problems = [f"page not reparsed: {page['url']}: {page['reason']}" for page in tally.failed_pages]
    facts = {**dict(tally.counts), "finish_reason": "finished"}
    return run.finish(reason="finished", exit_code=1 if problems else 0, problems=problems, facts=facts,
                      failed_pages=tally.failed_pages, failed_details=tally.failed_details)  # fmt: skip


def _with_stored_details(run: Run, record: dict[str, Any], registry: Registry | None) -> dict[str, Any]:
    earlier = run.stored([record["id"]]).get(record["id"])
    if earlier is None or earlier.get("details") is None or not listing_unchanged(record, earlier):
        return record
    return with_details(record, earlier["details"], registry=registry)
