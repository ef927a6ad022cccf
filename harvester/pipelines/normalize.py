"""Wire the pure normalisers into the crawl and count what they could not do."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from harvester.normalize.names import Registry, default_registry
from harvester.parsers.text import repair_mojibake
from harvester.records import build_record

logger = logging.getLogger(__name__)
#: The raw text fields that mojibake repair looks at.
TEXT_FIELDS = ("title", "summary", "date_raw")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NormalizePipeline:
    def __init__(self, stats: StatsCollector, registry: Registry) -> None:
        self.stats = stats
        self.registry = registry
        self._warned: set[tuple[str, str]] = set()  # (what, listing page): one warning per page

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        path = crawler.settings.get("HARVESTER_PERSON_REGISTRY")
        registry = Registry.load(path) if path else default_registry()
        return cls(crawler.stats, registry)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        item = repair_text(item, self.stats, self._warned)
        record = build_record(item, crawled_at=utc_now(), registry=self.registry)
        count_normalisation(record, self.stats)
        return record


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
    repaired, unreadable = [], []
    out = dict(item)
    for name in TEXT_FIELDS:
        fixed, changed = repair_mojibake(out.get(name))
        if changed:
            out[name] = fixed
            repaired.append(name)
        if fixed and "\ufffd" in fixed:
            unreadable.append(name)
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
    return out
