"""Write records as JSONL (one UTF-8 JSON object per line) with the ``jsonlines`` package.

The file is written under a temporary name and renamed when the crawl ends, so a killed run never leaves
a half-written file under the final name.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonlines
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from harvester.records import FIELDS

logger = logging.getLogger(__name__)


def ordered(record: dict[str, Any]) -> dict[str, Any]:
    """The record with the contract's fields first, in contract order; extra fields after them."""
    out = {name: record.get(name) for name in FIELDS if name in record}
    out.update((k, v) for k, v in record.items() if k not in out)
    return out


def default_output_path(output_dir: Path, source: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return output_dir / source / f"{stamp}.jsonl"


class JsonlWriterPipeline:
    def __init__(self, crawler: Crawler, path: Path | None, output_dir: Path) -> None:
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.path = path
        self.output_dir = output_dir
        self.writer: jsonlines.Writer | None = None
        self.partial: Path | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlWriterPipeline:
        settings = crawler.settings
        path = settings.get("HARVESTER_OUTPUT_PATH")
        if settings.getdict("FEEDS") and not path:
            # `scrapy crawl wilson -O file.jsonl`: the user chose Scrapy's feed exports for this run.
            raise NotConfigured("FEEDS is set: records go to the feed exports only")
        return cls(crawler, Path(path) if path else None, Path(settings.get("HARVESTER_OUTPUT_DIR", "output")))

    def open_spider(self) -> None:
        spider = self.crawler.spider
        if self.path is None:
            self.path = default_output_path(self.output_dir, spider.name)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.partial = self.path.with_name(f".{self.path.name}.part")
        self.writer = jsonlines.open(self.partial, mode="w", dumps=_dumps, flush=False)
        self.stats.set_value("harvester/output_path", str(self.path))

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        assert self.writer is not None
        self.writer.write(ordered(item))
        self.stats.inc_value("harvester/records")
        return item

    def close_spider(self) -> None:
        if self.writer is None or self.partial is None or self.path is None:
            return
        self.writer.close()
        with open(self.partial, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(self.partial, self.path)
        logger.info("wrote %d records to %s", self.stats.get_value("harvester/records", 0), self.path)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
