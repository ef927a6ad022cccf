"""Wire the pure normalisers into the crawl and count what they could not do."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.statscollectors import StatsCollector

from harvester.normalize.names import Registry, default_registry
from harvester.records import build_record


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NormalizePipeline:
    def __init__(self, stats: StatsCollector, registry: Registry) -> None:
        self.stats = stats
        self.registry = registry

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        path = crawler.settings.get("HARVESTER_PERSON_REGISTRY")
        registry = Registry.load(path) if path else default_registry()
        return cls(crawler.stats, registry)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
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
