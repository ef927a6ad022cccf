"""Reading captured pages again, for ``harvester reparse``: a listing page -> its records, a document page -> its
details. In this process, or on every core for a capture of many pages.

A page's reading needs only the page, the capture's spider and the registry, so it is the same in a worker as
here. It comes back with its own :class:`Tally`. :func:`harvester.crawl.reparse.reparse` merges the tallies in
page order, and logs what failed there, so counts, failures and warnings are those of a one-process reparse.
Reparse has no network and no politeness, so it is bound by CPU (``docs/performance.md``, "Reparse").
The pool is :class:`concurrent.futures.ProcessPoolExecutor`. On Linux it forks, since a reparse runs no thread,
so the workers inherit the spider and registry already loaded. Elsewhere it uses forkserver, like the crawl's
pool (``crawl/workers.py``), and each worker builds the spider and loads the registry once (:func:`_context`).
A worker gets each listing page's bytes and sends back records.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import sys
import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any

from scrapy.http import HtmlResponse, Request, TextResponse, XmlResponse
from scrapy.http.headers import Headers
from scrapy.responsetypes import responsetypes

from harvester.crawl.workers import start_worker
from harvester.errors import HarvesterError, PageError
from harvester.normalize.names import Registry, default_registry
from harvester.parsing.document import parse_document_page
from harvester.records import build_record, details_of, raw_item, repair_fields
from harvester.storage.warc import Captured

logger = logging.getLogger(__name__)

#: Listing pages a worker is sent at a time (few enough that the first records come back at once).
CHUNK = 8
#: Below this many listing pages a pool costs more than it saves (a worker's start: about 0.7 s of CPU).
MIN_PAGES_FOR_POOL = 64


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

    def merge(self, other: Tally) -> None:
        self.counts.update(other.counts)
        self.failed_pages.extend(other.failed_pages)
        self.failed_details.extend(other.failed_details)
        self.invalid.extend(other.invalid)
        self.warnings.extend(other.warnings)


@dataclass
class PageRead:
    """One listing page read again: per block the raw item, its record, and the fields whose mojibake was
    repaired or that still hold U+FFFD; and what was counted (a page that failed has no blocks)."""

    built: list[tuple[dict[str, Any], dict[str, Any], list[str], list[str]]]
    tally: Tally


#: A document page read again: its details (:func:`harvester.records.details_of`), or None and why it failed.
DocumentRead = tuple[dict[str, Any] | None, str | None]


def read_listing(spider: Any, registry: Registry, page: int | None, exchange: Captured) -> PageRead:
    """A captured listing response -> its records, by the spider's own ``parse_page`` and the crawl's
    ``raw_item``, ``repair_fields`` and ``build_record``."""
    tally = Tally()
    crawled_at = utc(exchange.date)
    built = []
    for item in _page_items(spider, page, exchange, tally):
        fixed, repaired, unreadable = repair_fields(item)
        built.append((item, build_record(fixed, crawled_at=crawled_at, registry=registry), repaired, unreadable))
    return PageRead(built, tally)


def read_document(spider: Any, exchange: Captured) -> DocumentRead:
    """A captured document page -> its details, by the profile's ``[details]`` rules, or why it failed."""
    response = _response(exchange)
    if not isinstance(response, TextResponse) or response.status >= 400:
        return None, f"HTTP {response.status}"
    try:
        document = parse_document_page(response.text, response.url, spider.detail_rules())
    except HarvesterError as error:
        return None, f"HTTP {response.status}: {error}"
    return details_of(document), None


def utc(warc_date: str) -> str:
    """WARC-Date (ISO 8601, maybe with fractions of a second) as the records' ``YYYY-MM-DDTHH:MM:SSZ``."""
    return warc_date[:19] + "Z"


# --- in this process or on every core --------------------------------------------------------------------------


def read_all(
    pages: list[tuple[int | None, Captured]],
    documents: dict[str, Captured],
    *,
    spider: Any,
    registry: Registry,
    registry_path: str | None,
    arguments: dict[str, Any],
    processes: int,
) -> tuple[dict[str, DocumentRead], Iterator[PageRead]]:
    """Every document page read, and the listing pages' readings in page order (an iterator: the records of the
    first pages are ready before the last are read). ``processes`` > 1, with enough pages: in a pool of that
    many workers, each building the spider from its class and the capture's ``arguments`` and loading
    ``registry_path`` (None: the packaged registry, as ``registry`` then is)."""
    if processes <= 1 or len(pages) < MIN_PAGES_FOR_POOL:
        read = {key: read_document(spider, exchange) for key, exchange in documents.items()}
        return read, (read_listing(spider, registry, page, exchange) for page, exchange in pages)
    where: Where = (type(spider), json.dumps(dict(arguments), sort_keys=True), registry_path)
    method = _start_method()
    if method == "fork":
        _CONTEXTS[where] = (spider, registry)
    pool = ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context(method),
                               initializer=start_worker, initargs=(os.getpid(),))  # fmt: skip
    try:
        keys = list(documents)
        chunk = max(1, len(keys) // (processes * 4))
        try:
            read = dict(zip(keys, pool.map(_document_job, *_columns(where, documents.values()), chunksize=chunk),
                            strict=True))  # fmt: skip
        except BrokenProcessPool as error:
            logger.warning("the reparse's worker pool failed (%s): this process reads every page", error)
            pool.shutdown(wait=False, cancel_futures=True)
            return read_all(pages, documents, spider=spider, registry=registry, registry_path=registry_path,
                            arguments=arguments, processes=1)  # fmt: skip
        results = pool.map(_listing_job, *_columns(where, pages), chunksize=CHUNK)
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    return read, _closing(pool, results, pages, spider, registry)


def _columns(where: tuple[Any, ...], jobs: Iterable[Any]) -> tuple[list[Any], list[Any]]:
    jobs = list(jobs)
    return [where] * len(jobs), jobs


def _closing(
    pool: ProcessPoolExecutor, results: Iterator[PageRead], pages: list[tuple[int | None, Captured]], spider: Any,
    registry: Registry,
) -> Iterator[PageRead]:
    """The pool's readings in page order; a pool that broke (a worker killed) hands the rest to this process."""
    done = 0
    try:
        for read in results:
            yield read
            done += 1
    except BrokenProcessPool as error:
        logger.warning("the reparse's worker pool failed (%s): this process reads the other %d pages",
                       error, len(pages) - done)  # fmt: skip
        for page, exchange in pages[done:]:
            yield read_listing(spider, registry, page, exchange)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


#: What a worker builds its spider and registry from: the spider's class, its arguments as JSON, the registry.
Where = tuple[type, str, str | None]


#: This process's spider and registry for a capture: a worker builds them for its first page, or inherits them
#: from the reparse's process when the pool forks.
_CONTEXTS: dict[Where, tuple[Any, Registry]] = {}


def _context(where: Where) -> tuple[Any, Registry]:
    if where not in _CONTEXTS:
        cls, arguments, registry_path = where
        registry = Registry.load(registry_path) if registry_path else default_registry()
        _CONTEXTS[where] = (cls(**json.loads(arguments)), registry)
    return _CONTEXTS[where]


def _start_method() -> str:
    """``fork`` where it is safe: on Linux, from a process with no other thread (a reparse has none, so the workers
    inherit the loaded harvester, spider and registry instead of importing and loading them again, about a
    second each); ``forkserver`` otherwise, as the crawl's pool."""
    return "fork" if sys.platform == "linux" and threading.active_count() == 1 else "forkserver"


def _listing_job(where: Where, job: tuple[int | None, Captured]) -> PageRead:
    spider, registry = _context(where)
    return read_listing(spider, registry, *job)


def _document_job(where: Where, exchange: Captured) -> DocumentRead:
    spider, _ = _context(where)
    return read_document(spider, exchange)


# --- one page ------------------------------------------------------------------------------------------------


def _response(exchange: Captured, page: int | None = None) -> Any:
    headers = Headers(exchange.headers)
    cls = responsetypes.from_args(headers=headers, url=exchange.url, body=exchange.body)
    request = Request(exchange.url, cb_kwargs={"page": page})
    return cls(url=exchange.url, status=exchange.status, headers=headers, body=exchange.body, request=request)


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
    return []
