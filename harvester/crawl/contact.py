"""Say how the operator can be reached: a warning when a real site is crawled without a contact URL."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler

from harvester.crawl.logs import skip_unshown_debug

logger = logging.getLogger(__name__)



_LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class ContactCheck:
    """Warn when a crawl of a real site does not say how its operator can be reached."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        skip_unshown_debug(crawler.settings.get("LOG_LEVEL"))
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ContactCheck:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        start = getattr(spider, "start_url", "") or ""
        host = urlsplit(start).hostname or ""
        if host and host not in _LOCAL_HOSTS and not self.crawler.settings.get("HARVESTER_CONTACT_URL"):
            logger.warning(
                "crawling %s without HARVESTER_CONTACT_URL: set it (or --contact) so the site can reach you",
                host,
            )
