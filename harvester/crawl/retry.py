"""Retries that wait, composed with Scrapy's public ``get_retry_request``.

:class:`RetryAfterMiddleware` (replaces Scrapy's ``RetryMiddleware``)
    Retries what Scrapy retries (``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, ``RETRY_TIMES``) but waits
    first: the server's ``Retry-After`` (seconds or an HTTP date) up to ``HARVESTER_MAX_RETRY_AFTER``,
    otherwise exponential backoff ``HARVESTER_RETRY_BACKOFF`` × 2ⁿ⁻¹ up to ``HARVESTER_RETRY_BACKOFF_MAX``.
    The wait holds the whole host, not just the one request. A ``Retry-After`` above the cap is not
    retried: the page fails and says why. A bot challenge is never retried.

Scrapy's own "Gave up retrying" message is logged as a warning: the spider names the failed page itself, and
a page that failed after its retries counts against ``HARVESTER_MAX_FAILED_PAGE_RATIO``, not as an unexplained
error.
"""

from __future__ import annotations

import logging
from email.utils import parsedate_to_datetime
from time import time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.core.downloader import Downloader
from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.http import Request, Response

from harvester.crawl.downloader import SlotLimitedDownloader

if TYPE_CHECKING:
    from scrapy.crawler import Crawler


logger = logging.getLogger(__name__)


#: request.meta key: why a page's retries stopped (read by the spider when it names a failed page)
RETRY_NOTE = "harvester_retry_note"


def parse_retry_after(value: bytes | str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delay-seconds or an HTTP date); ``None`` if unreadable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(when.timestamp() - (time() if now is None else now), 0.0)


def looks_like_challenge(response: Response) -> bool:
    """A bot-protection interstitial: retrying it only digs deeper."""
    if response.headers.get(b"cf-mitigated", b"").lower() == b"challenge":
        return True
    head = response.body[:4096].lower()
    return b"<title>just a moment" in head or b"<title>attention required" in head


class RetryAfterMiddleware(RetryMiddleware):
    """Retry transient failures after a wait: ``Retry-After`` (capped) or exponential backoff."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler.settings)
        self.crawler = crawler
        settings = crawler.settings
        self.max_retry_after = settings.getfloat("HARVESTER_MAX_RETRY_AFTER")
        self.backoff = settings.getfloat("HARVESTER_RETRY_BACKOFF")
        self.backoff_max = settings.getfloat("HARVESTER_RETRY_BACKOFF_MAX")
        crawler.signals.connect(self._response_downloaded, signal=signals.response_downloaded)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:  # type: ignore[override]
        return cls(crawler)

    # --- the wait --------------------------------------------------------------------------------------------

    def backoff_for(self, retry_number: int) -> float:
        """The wait before retry number ``retry_number`` (1 for the first retry)."""
        return min(self.backoff * 2 ** max(retry_number - 1, 0), self.backoff_max)

    def _wait(self, request: Request, response: Response | None) -> tuple[float | None, str]:
        """(seconds to wait, why); seconds ``None`` means: do not retry (the server asked for too long)."""
        retry_number = request.meta.get("retry_times", 0) + 1
        if response is not None:
            asked = parse_retry_after(response.headers.get(b"Retry-After"))
            if asked is not None:
                if asked > self.max_retry_after:
                    return None, (
                        f"the server asked to retry after {asked:.0f} s, more than HARVESTER_MAX_RETRY_AFTER "
                        f"({self.max_retry_after:.0f} s); not retried"
                    )
                return asked, f"Retry-After {asked:g} s"
        return self.backoff_for(retry_number), "backoff"

    def _will_retry(self, request: Request) -> bool:
        limit = request.meta.get("max_retry_times", self.max_retry_times)
        return not request.meta.get("dont_retry", False) and request.meta.get("retry_times", 0) < limit

    def _hold(self, request: Request, seconds: float) -> None:
        engine = self.crawler.engine
        downloader = getattr(engine, "downloader", None)
        key = request.meta.get(Downloader.DOWNLOAD_SLOT)
        if isinstance(downloader, SlotLimitedDownloader) and key is not None:
            downloader.hold(key, seconds)

    def _response_downloaded(self, response: Response, request: Request, spider: Any = None) -> None:
        # Sent before the downloader frees the response's slot: holding the host here means no other queued
        # request slips out before Retry-After has passed.
        if response.status in self.retry_http_codes and self._will_retry(request) and not looks_like_challenge(
            response
        ):
            seconds, _ = self._wait(request, response)
            if seconds:
                self._hold(request, seconds)

    # --- Scrapy's hooks --------------------------------------------------------------------------------------

    def process_response(self, request: Request, response: Response) -> Request | Response:  # type: ignore[override]
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        if looks_like_challenge(response):
            request.meta[RETRY_NOTE] = "a bot challenge; not retried"
            return response
        seconds, why = self._wait(request, response)
        if seconds is None:
            self.crawler.stats.inc_value("harvester/retry_after_too_long")
            request.meta[RETRY_NOTE] = why
            logger.warning("%s: %s", request.url, why)
            return response
        return self._retry_later(request, f"HTTP {response.status}", seconds, why) or response

    def process_exception(self, request: Request, exception: Exception) -> Request | Response | None:  # type: ignore[override]
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        seconds, why = self._wait(request, None)
        return self._retry_later(request, exception, seconds or 0.0, why)

    def _retry_later(self, request: Request, reason: str | Exception, seconds: float, why: str) -> Request | None:
        attempts = request.meta.get("retry_times", 0) + 1
        retry = get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            # The spider names the page that failed; Scrapy's "Gave up retrying" must not count as an
            # unexplained error (an ERROR would fail the run whatever HARVESTER_MAX_FAILED_PAGE_RATIO says).
            give_up_log_level=logging.WARNING,
        )
        if retry is None:
            request.meta.setdefault(RETRY_NOTE, f"gave up after {attempts} attempts")
            return None
        self._hold(request, seconds)
        self.crawler.stats.inc_value("harvester/retry_wait_seconds", round(seconds, 3))
        logger.info("retrying %s in %.1f s (%s; %s)", request.url, seconds, _reason_text(reason), why)
        return retry


def _reason_text(reason: str | Exception) -> str:
    return reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"
