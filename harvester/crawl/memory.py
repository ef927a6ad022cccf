"""The crawl's own memory: its peak, as a metric, and the garbage collector while it runs."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from typing import Any

from scrapy import signals


def peak_rss_bytes() -> int | None:
    """This process's own peak resident memory. ``/proc/self/status`` VmHWM where there is one: the
    ``ru_maxrss`` that Scrapy's memusage stats report is inherited across fork and exec on Linux, so a crawl
    started by a big parent process reports the parent's peak, not its own."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class PeakMemory:
    """Record the crawl's own peak memory as ``harvester/peak_rss_bytes`` when it closes (Linux)."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> PeakMemory:
        return cls(crawler)

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        peak = peak_rss_bytes()
        if peak is not None:
            self.crawler.stats.set_value("harvester/peak_rss_bytes", peak)


@contextlib.contextmanager
def crawl_collector(young: int) -> Iterator[None]:
    """The garbage collector as a crawl wants it, and as it was afterwards.

    What is alive when the crawl starts (modules, the registry, the profiles, the settings) lives as long as the
    crawl: frozen, no collection walks it again (docs/performance.md, sixth pass). ``young`` is the youngest
    generation's threshold (the setting ``HARVESTER_GC_THRESHOLD``; 0 keeps Python's own): with Python's 700, the
    objects a crawl keeps for a while (queued requests, records on their way through the pipelines) were walked
    again by every tenth young collection, 13 % of the crawl's CPU (eighth pass). Both are undone afterwards, so
    that a process running several crawls (the test suite) can still free what was frozen."""
    thresholds = gc.get_threshold()
    gc.freeze()
    if young:
        gc.set_threshold(young, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
