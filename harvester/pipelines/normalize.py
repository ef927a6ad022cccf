"""Wire the pure normalisers into the crawl and count what they could not do."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from harvester.crawl.workers import Workers
from harvester.normalize.names import Registry, default_registry
from harvester.records import TEXT_FIELDS, build_record, repair_fields

__all__ = [
    "TEXT_FIELDS",
    "NormalizePipeline",
    "StatsTally",
    "count_normalisation",
    "repair_fields",
    "repair_text",
    "utc_now",
]

logger = logging.getLogger(__name__)


_NOW: list[Any] = [None, ""]  # (second, its text): formatted once a second, not once a record


def utc_now() -> str:
    second = int(time.time())
    if second != _NOW[0]:
        _NOW[:] = [second, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))]
    return _NOW[1]


class NormalizePipeline:
    """Raw item → record. Once the crawl has normalised ``HARVESTER_NORMALIZE_WORKER_AFTER`` records itself,
    they are built in the crawl's worker pool (:mod:`harvester.crawl.workers`; ``HARVESTER_NORMALIZE_WORKERS = 0``
    keeps them here). Either way the records, the stats and the log are the same: the worker repairs and
    builds, the counting and the logging happen here."""

    def __init__(self, stats: StatsCollector, registry: Registry, worker: Workers | None = None) -> None:
        self.stats = stats
        self.tally = StatsTally(stats)  # the per-record counts, added to the stats in bulk
        self.registry = registry
        self.worker = worker
        self._warned: set[tuple[str, str]] = set()  # (what, listing page): one warning per page

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        path = crawler.settings.get("HARVESTER_PERSON_REGISTRY")
        registry = Registry.load(path) if path else default_registry()
        return cls(crawler.stats, registry, Workers.of(crawler))

    def open_spider(self) -> None:
        if self.worker is not None:
            self.worker.count(0)  # HARVESTER_NORMALIZE_WORKER_AFTER = 0: the worker starts with the crawl

    async def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        crawled_at = utc_now()
        worker = self.worker
        built = await worker.build(item, crawled_at) if worker is not None and worker.usable else None
        tally = self.tally
        if built is None:  # no worker (yet, or any more), or it could not build this one: here, as always
            record = build_record(repair_text(item, tally, self._warned), crawled_at=crawled_at,
                                  registry=self.registry)
            if worker is not None:
                worker.count()
        else:
            record, repaired, unreadable = built
            tally.inc_value("harvester/worker/records")
            report_repairs(item, repaired, unreadable, tally, self._warned)
        count_normalisation(record, tally)
        tally.record_done()
        return record

    def close_spider(self) -> None:
        self.tally.flush()


class StatsTally:
    """Counts kept here and added to the crawl's stats every :attr:`FLUSH_EVERY` records and when the spider
    closes: a Scrapy stats call costs over a microsecond, and a record makes about ten."""

    FLUSH_EVERY = 1000

    def __init__(self, stats: Any) -> None:
        self.stats = stats
        self.counts: dict[str, int] = {}
        self.records = 0

    def inc_value(self, key: str, count: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + count

    def record_done(self) -> None:
        """One record more counted: the counts go to the stats every :attr:`FLUSH_EVERY` records."""
        self.records += 1
        if self.records >= self.FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        for key, count in self.counts.items():
            self.stats.inc_value(key, count)
        self.counts.clear()
        self.records = 0


def count_normalisation(record: dict[str, Any], stats: Any) -> None:
    """Stats for what a record lacks or what could not be read; removes the private ``_date_error``."""
    error = record.pop("_date_error", None)
    if error:
        stats.inc_value("harvester/dates/unparsed")
    elif record["date"] is None:
        stats.inc_value("harvester/dates/undated")
    if record["date_precision"]:
        stats.inc_value(f"harvester/dates/precision/{record['date_precision']}")
    for field in ("url", "title", "summary", "date"):
        if record.get(field) is None:
            stats.inc_value(f"harvester/records_missing/{field}")
    for person in record["people"]:
        stats.inc_value("harvester/names/people")
        if person["id"] is None:
            stats.inc_value("harvester/names/unresolved")
    for organisation in record["organisations"]:
        stats.inc_value("harvester/names/organisations")
        if organisation["id"] is None:
            stats.inc_value("harvester/names/organisations_unresolved")


def repair_text(item: dict[str, Any], stats: Any, warned: set[tuple[str, str]] | None = None) -> dict[str, Any]:
    """Repair mojibake in a raw item's text, and never pass unreadable text on silently.

    Repaired text is counted (``harvester/text/mojibake_repaired``) and logged with its page; text that still
    holds U+FFFD (bytes no encoding could read) is counted (``harvester/text/unreadable``) and logged too.
    """
    out, repaired, unreadable = repair_fields(item)
    report_repairs(item, repaired, unreadable, stats, warned)
    return out


def report_repairs(
    item: Mapping[str, Any],
    repaired: list[str],
    unreadable: list[str],
    stats: Any,
    warned: set[tuple[str, str]] | None = None,
) -> None:
    """The counting and logging half of :func:`repair_text` (in the crawl's process)."""
    if not repaired and not unreadable:
        return
    where = str(item.get("listing_url") or item.get("url"))
    warned = set() if warned is None else warned
    if repaired:
        stats.inc_value("harvester/text/mojibake_repaired")
        if ("mojibake", where) not in warned:
            warned.add(("mojibake", where))
            logger.warning("%s: mojibake repaired (first: %s of %s)", where, ", ".join(repaired), item.get("url"))
    if unreadable:
        stats.inc_value("harvester/text/unreadable")
        if ("unreadable", where) not in warned:
            warned.add(("unreadable", where))
            logger.warning("%s: unreadable characters (U+FFFD) kept (first: %s of %s)", where,
                           ", ".join(unreadable), item.get("url"))
