"""Emit each document once per crawl: the site's default order shifts while documents are added, so a
paginated crawl can see a row twice."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector


def dedupe_key(record: dict[str, Any]) -> tuple[str, ...]:
    if record.get("id"):
        return ("id", record["id"])
    return ("content", record.get("title") or "", record.get("date_raw") or "", record.get("summary") or "")


class DedupePipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen: set[tuple[str, ...]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler.stats)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        key = dedupe_key(item)
        if key in self.seen:
            self.stats.inc_value("harvester/duplicates")
            raise DropItem(f"duplicate of an earlier record in this crawl: {key[1]}", log_level="INFO")
        self.seen.add(key)
        return item
