"""The last pipeline: stage each record in the run's journal; the run's files are written when it ends.

Staging (SQLite, committed with each page's done mark) rather than appending to the output file is what makes a run
resumable after ``kill -9``: see :mod:`harvester.storage.run`. When the crawl ends the run file is written from the
journal under a temporary name and renamed, so a killed run never leaves a half file under the final name.

With Scrapy's feed exports (``scrapy crawl wilson -O file.jsonl``) and no ``HARVESTER_OUTPUT_PATH`` this
pipeline stands aside: records go to the feed only, and no run, state or dataset is kept.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from harvester.crawl.outcome import decide_outcome
from harvester.crawl.spider import PageSummary, page_parsed
from harvester.pipelines.dedupe import dedupe_key
from harvester.storage.run import INTERRUPTED, Run, StateError, ordered, plan_run, register

__all__ = ["JsonlWriterPipeline", "ordered"]

logger = logging.getLogger(__name__)


def item_key(record: dict[str, Any]) -> str:
    """The run's dedupe key as text (the journal's primary key for a record)."""
    return json.dumps(dedupe_key(record), ensure_ascii=False)


class JsonlWriterPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats: StatsCollector = crawler.stats
        self.run: Run | None = None
        # page -> [summary, records still in the pipelines]; a page is journaled as done when this reaches 0.
        self.pending: dict[int, list[Any]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlWriterPipeline:
        settings = crawler.settings
        if settings.getdict("FEEDS") and not settings.get("HARVESTER_OUTPUT_PATH"):
            raise NotConfigured("FEEDS is set: records go to the feed exports only")
        pipeline = cls(crawler)
        crawler.signals.connect(pipeline.page_parsed, signal=page_parsed)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(pipeline.item_done, signal=signal)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.run = Run.start(plan_run(self.crawler.settings, spider))
        register(self.crawler, self.run)
        spider.run_view = self.run  # read-only: known ids and done pages
        self.stats.set_value("harvester/run_id", self.run.run_id)
        self.stats.set_value("harvester/run_mode", self.run.plan.mode)
        self.stats.set_value("harvester/output_path", str(self.run.run_path))
        self.stats.set_value("harvester/spider_arguments", dict(getattr(spider, "arguments", {}) or {}))
        if self.run.resumed:
            self.stats.set_value("harvester/resumed", True)
            self._set_totals()

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        assert self.run is not None
        status, digest = self.run.classify(item)
        if not self.run.journal.stage(item_key(item), item, status, digest):
            self.stats.inc_value("harvester/resume/already_staged")
            raise DropItem("already harvested by this run before it was resumed", log_level="DEBUG")
        if status is not None:
            self.stats.inc_value(f"harvester/{status}")
        if self.run.writes(status):
            self.stats.inc_value("harvester/records")
        return item

    # --- page completion ---

    def page_parsed(self, summary: PageSummary) -> None:
        if summary.blocks == 0:
            self._page_done(summary)
        else:
            self.pending[summary.page] = [summary, summary.blocks]

    def item_done(self, item: Any, **kwargs: Any) -> None:
        page = item.get("page") if isinstance(item, dict) else None
        entry = self.pending.get(page) if isinstance(page, int) else None
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del self.pending[page]
            self._page_done(entry[0])

    def _page_done(self, summary: PageSummary) -> None:
        if self.run is not None:
            self.run.journal.mark_done(summary)

    # --- the end ---

    def _set_totals(self) -> None:
        assert self.run is not None
        for name, value in self.run.totals().items():
            self.stats.set_value(f"harvester/{name}", value)

    def close_spider(self) -> None:
        # Before the spider_closed signal, so that the run report sees the run's totals (resumed runs included).
        if self.run is not None:
            self._set_totals()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.run is None:
            return
        stats = dict(self.stats.get_stats())
        stats["finish_reason"] = reason
        code, problems = stats.get("harvester/exit_code"), stats.get("harvester/problems")
        if code is None:  # the run report did not run first
            outcome = decide_outcome(
                stats, max_failed_ratio=self.crawler.settings.getfloat("HARVESTER_MAX_FAILED_PAGE_RATIO", 0.0)
            )
            code, problems = outcome.code, outcome.problems
        try:
            finish = self.run.finish(reason=reason, exit_code=int(code), problems=list(problems or []), stats=stats)
            summary = self.stats.get_value("harvester/summary")
            if finish.run_path is None and reason != INTERRUPTED and summary and " -> " in summary:
                kept = f"{summary.rsplit(' -> ', 1)[0]} -> nothing written: {self.run.run_path} was left as it was"
                self.stats.set_value("harvester/summary", kept)
        except (OSError, sqlite3.Error, StateError) as error:
            logger.error("could not write the run's files: %s", error)
            self.stats.set_value("harvester/exit_code", 1)
            self.stats.set_value(
                "harvester/problems", [*(problems or []), f"could not write the run's files: {error}"]
            )
