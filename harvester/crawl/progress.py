"""Live progress: pages done of the total the count header promised, records, errors, an ETA."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)


class Progress:
    """Pages done of the total known from the count header, records, errors and an ETA.

    On a terminal the line is redrawn in place; otherwise a plain log line every
    ``HARVESTER_PROGRESS_INTERVAL`` seconds.
    """

    def __init__(self, crawler: Crawler, stream: TextIO, interactive: bool, interval: float) -> None:
        self.crawler = crawler
        self.stream = stream
        self.interactive = interactive
        self.interval = interval
        self.started = time.monotonic()
        self.task: Any = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        stream = sys.stderr
        forced = crawler.settings.get("HARVESTER_PROGRESS_TTY")  # None: ask the stream
        interactive = stream.isatty() if forced is None else crawler.settings.getbool("HARVESTER_PROGRESS_TTY")
        interval = 0.5 if interactive else crawler.settings.getfloat("HARVESTER_PROGRESS_INTERVAL")
        return cls(crawler, stream, interactive, interval)

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        self.task = create_looping_call(self.report)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.interactive:
            self.report()
            self.stream.write("\n")
            self.stream.flush()

    def line(self, now: float | None = None) -> str:
        stats = self.crawler.stats
        done = int(stats.get_value("harvester/pages_parsed", 0)) + int(stats.get_value("harvester/failed_pages", 0))
        expected = stats.get_value("harvester/pages_expected")
        records = stats.get_value("item_scraped_count", 0)  # records through every pipeline so far
        errors = stats.get_value("harvester/failed_pages", 0)
        elapsed = (time.monotonic() if now is None else now) - self.started
        pages = f"{done}/{expected}" if expected else f"{done}/?"
        eta = ""
        if expected and done:
            remaining = max(int(expected) - done, 0) * elapsed / done
            eta = f", ETA {int(remaining // 60)}m{int(remaining % 60):02d}s"
        return f"pages {pages}, records {records}, errors {errors}, elapsed {elapsed:.0f}s{eta}"

    def report(self) -> None:
        if self.interactive:
            self.stream.write("\r\x1b[2K" + self.line())
            self.stream.flush()
        else:
            self.stream.write(f"harvester: progress: {self.line()}\n")
            self.stream.flush()
