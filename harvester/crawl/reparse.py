"""Rebuild a captured run's records from its WARC files, with today's parsers and normalisers, no network.

The capture's ``warcinfo`` names the spider and its arguments; the spider is built from them (nothing is
crawled: only its page grammar is used — which profile reads a page, page numbers, positions), each captured
listing response is read by the spider's own ``parse_page`` and turned into records by the same
``records.raw_item`` and ``records.build_record`` a crawl uses, then de-duplicated and checked against the
contract like a crawl's. A record's ``crawled_at`` is the ``WARC-Date`` of the response it came from: when the
page was fetched, not when it was re-read. A plain loop rather than Scrapy's engine: no scheduler, no
politeness, no downloader. Pages are read on every core for a capture of many pages
(:mod:`harvester.crawl.reparse_pages`); what is decided across pages (duplicates, the contract, the run) is
decided here, in page order (docs/performance.md, "Reparse").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harvester.crawl.details import DOCUMENT_CALLBACK, listing_unchanged
from harvester.crawl.reparse_pages import DocumentRead, Tally, read_all
from harvester.errors import CaptureError, SpiderArgumentError
from harvester.normalize.names import Registry
from harvester.pipelines.dedupe import dedupe_key
from harvester.pipelines.normalize import count_normalisation, report_repairs
from harvester.pipelines.output import item_key
from harvester.pipelines.validate import record_errors
from harvester.records import with_details
from harvester.storage.plan import RunPlan
from harvester.storage.run import Finish, Run
from harvester.storage.warc import Captured, read_exchanges, read_info

logger = logging.getLogger(__name__)

#: The callbacks whose responses are listing pages (``ListingSpider.parse`` / ``parse_offloaded``).
LISTING_CALLBACKS = frozenset({"parse", "parse_offloaded"})


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


def reparse(
    paths: list[Path], spider: Any, registry: Registry, tally: Tally, *, arguments: dict[str, Any] | None = None,
    registry_path: str | None = None, processes: int = 1,
) -> Iterator[dict[str, Any]]:
    """Every valid record of the captures, once each, in page order. A capture of a ``--details`` crawl (its
    spider arguments say so) has its document pages re-read too and joined as the crawl joined them.
    ``processes`` > 1: pages are read on that many cores (:mod:`harvester.crawl.reparse_pages`; the spider is
    rebuilt there from ``arguments``, the capture's, and the registry loaded from ``registry_path``)."""
    exchanges = [exchange for path in paths for exchange in read_exchanges(path, tally.warnings.append)]
    tally.inc_value("harvester/captured_responses", len(exchanges))
    details = bool(getattr(spider, "details", False))
    documents = document_pages(exchanges) if details else {}
    read, pages = read_all(listing_pages(exchanges), documents, spider=spider, registry=registry,
                           registry_path=registry_path, arguments=arguments or {}, processes=processes)  # fmt: skip
    seen: set[tuple[str, ...]] = set()
    warned: set[tuple[str, str]] = set()
    for page in pages:
        tally.merge(page.tally)
        for failure in page.tally.failed_pages:
            logger.warning("page not reparsed: %s: %s", failure["url"], failure["reason"])
        for item, record, repaired, unreadable in page.built:
            report_repairs(item, repaired, unreadable, tally, warned)
            if details and item.get("id") and item.get("url"):
                record = with_details(record, _details(documents.get(item["id"]), read.get(item["id"]), tally),
                                      registry=registry)  # fmt: skip
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


def _details(exchange: Captured | None, read: DocumentRead | None, tally: Tally) -> dict[str, Any] | None:
    """A record's captured document page, read again, or None: not captured (the crawl reused stored details,
    or the request got no answer) or failed, as in the crawl."""
    if exchange is None or read is None:
        tally.inc_value("harvester/details/not_captured")
        return None
    details, failure = read
    if failure is not None:
        tally.inc_value("harvester/details/failed")
        tally.failed_details.append({"url": exchange.url, "reason": failure})
        logger.warning("document page not reparsed: %s: %s (its record is kept, details null)", exchange.url, failure)
        return None
    tally.inc_value("harvester/details/fetched")
    return details


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
