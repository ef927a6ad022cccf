"""First contact: a host that cannot be reached at all stops the run at once, with one line that says what to try.

No such host (the DNS lookup failed) and connection refused (nothing listens on the port) do not heal in the
seconds a retry waits: a domain that no longer resolves, a typo, a local server that was not started. Retrying
them cost 78 s and a 60-line traceback from the robots.txt fetch. So, for a host that has not answered once in
this crawl, the first such error is not retried: the crawl stops (finish reason ``unreachable``), the outcome
says what to try (:func:`harvester.crawl.outcome.decide_outcome`), and a one-off run writes no output file.
After a host has answered, the same errors are retried as usual (a server restarting mid-crawl heals).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.defer import deferred_from_coro
from twisted.internet.error import ConnectionRefusedError as TxConnectionRefusedError
from twisted.internet.error import DNSLookupError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

UNREACHABLE = "unreachable"  # the finish reason
NO_SUCH_HOST = (CannotResolveHostError, DNSLookupError)
REFUSED = (DownloadConnectionRefusedError, TxConnectionRefusedError)
HINT = (
    "try the bundled replica (`harvester demo`, or `harvester serve fixtures/wilson` and "
    "`-s WILSON_BASE_URL=...`), a mirror (`--start-url URL`), or check the address and the network"
)


class UnreachableHost(IgnoreRequest):
    """The request was not retried: its host cannot be reached (the run stops)."""


def unreachable_message(url: str, exception: BaseException) -> str:
    parts = urlsplit(url)
    if isinstance(exception, NO_SUCH_HOST):
        return f"cannot reach {parts.hostname}: no such host (the DNS lookup failed); {HINT}"
    return f"cannot reach {parts.netloc}: connection refused (nothing is listening there); {HINT}"


class FirstContactMiddleware:
    """Downloader middleware, after the retry middleware in the chain of exceptions (priority above it)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.answered: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FirstContactMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        self.answered.add(urlsplit(request.url).netloc)
        return response

    def process_exception(self, request: Request, exception: Exception) -> Any:
        if not isinstance(exception, NO_SUCH_HOST + REFUSED):
            return None
        host = urlsplit(request.url).netloc
        if host in self.answered:
            return None  # it answered before: retried as usual
        stats = self.crawler.stats
        if not stats.get_value("harvester/unreachable"):
            stats.set_value("harvester/unreachable", unreachable_message(request.url, exception))
            logger.info("%s: %s: not retried, the run stops", request.url, type(exception).__name__)
            engine = self.crawler.engine
            if engine is not None and engine.spider is not None:
                deferred_from_coro(engine.close_spider_async(reason=UNREACHABLE))
        raise UnreachableHost(f"{type(exception).__name__}: {exception}")
