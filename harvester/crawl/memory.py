"""The crawl's own peak memory, as a metric."""

from __future__ import annotations

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
