"""Downloader components that keep a crawl polite and its failures explained.

:class:`SlotLimitedDownloader` (the ``DOWNLOADER`` setting)
    Scrapy's downloader with ``CONCURRENT_REQUESTS_PER_DOMAIN`` actually enforced. With the asyncio reactor
    and ``DOWNLOAD_DELAY = 0``, Scrapy 2.19 sends a slot's whole queue at once: ``Downloader._process_queue``
    loops ``while slot.queue and slot.free_transfer_slots() > 0`` and hands each request to
    ``_schedule_coro(self._wait_for_download(...))``, which under asyncio only *creates a task*; the request
    joins ``slot.transferring`` when that task first runs, on a later loop iteration, so the free-slot count
    never drops inside the loop. (With a delay the loop sends one request and breaks, which hides the bug;
    under Twisted's reactor the coroutine runs at once, which hid it too.) Here a request counts as
    transferring from the moment it is dispatched. It can also *hold* a slot (no request to that host
    leaves until a time), which the retry middleware uses for ``Retry-After`` and backoff.

:class:`RetryAfterMiddleware` (replaces Scrapy's ``RetryMiddleware``)
    Retries what Scrapy retries (``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``, ``RETRY_TIMES``) but waits
    first: the server's ``Retry-After`` (seconds or an HTTP date) up to ``HARVESTER_MAX_RETRY_AFTER``,
    otherwise exponential backoff ``HARVESTER_RETRY_BACKOFF`` × 2ⁿ⁻¹ up to ``HARVESTER_RETRY_BACKOFF_MAX``.
    The wait holds the whole host, not just the one request. A ``Retry-After`` above the cap is not
    retried: the page fails and says why. A bot challenge is never retried.

:class:`CharsetMiddleware`
    A page labelled UTF-8 whose bytes are not UTF-8 but are valid cp1252 (a classic server
    misconfiguration) is decoded as cp1252, counted (``harvester/text/charset_repaired``) and logged.
"""

from __future__ import annotations

import logging
import re
from email.utils import parsedate_to_datetime
from time import monotonic, time
from typing import TYPE_CHECKING, Any

from scrapy import signals
from scrapy.core.downloader import Downloader, Slot
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response, TextResponse
from scrapy.utils.asyncio import call_later
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.internet.defer import Deferred

logger = logging.getLogger(__name__)

#: request.meta key: why a page's retries stopped (read by the spider when it names a failed page)
RETRY_NOTE = "harvester_retry_note"


class SlotLimitedDownloader(Downloader):
    """Scrapy's downloader, with per-slot concurrency enforced under asyncio and slots that can be held."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._held_until: dict[str, float] = {}

    def _wait_for_download(self, slot: Slot, request: Request, queue_dfd: Deferred[Response]) -> Any:
        # Called synchronously by _process_queue for each request it dispatches; the coroutine it returns
        # runs later. Count the request as transferring now, so the dispatch loop sees the slot fill up.
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)

    def hold(self, key: str, seconds: float) -> None:
        """Send nothing more through slot ``key`` for ``seconds`` (a longer hold already set wins)."""
        slot = self.slots.get(key)
        if slot is None or seconds <= 0:
            return
        until = monotonic() + seconds
        if until <= self._held_until.get(key, 0.0):
            return
        self._held_until[key] = until
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, self._latercall, slot)


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
        retry = self._retry(request, reason)
        if retry is None:
            request.meta.setdefault(RETRY_NOTE, f"gave up after {attempts} attempts")
            return None
        self._hold(request, seconds)
        self.crawler.stats.inc_value("harvester/retry_wait_seconds", round(seconds, 3))
        logger.info("retrying %s in %.1f s (%s; %s)", request.url, seconds, _reason_text(reason), why)
        return retry


def _reason_text(reason: str | Exception) -> str:
    return reason if isinstance(reason, str) else f"{type(reason).__name__}: {reason}"


_SINGLE_BYTE = frozenset(("cp1252", "windows1252", "latin1", "iso88591", "l1", "ascii", "usascii"))


class CharsetMiddleware:
    """Decode a page whose charset label lies, and say so.

    * labelled UTF-8, but the bytes are not UTF-8 and are valid cp1252 → decoded as cp1252;
    * labelled cp1252/latin-1 (or ASCII), but the bytes are valid UTF-8 with multi-byte sequences → decoded as
      UTF-8 (text in a single-byte charset practically never forms valid UTF-8 sequences by accident);
    * no charset anywhere (header, BOM, ``<meta>``) and not UTF-8 → cp1252, the web's default for unlabelled
      Western pages, when the bytes fit it. Scrapy would otherwise guess with charset-normalizer, which reads
      an English page with a few cp1252 bytes as cp1250 ("naïve" → "naďve") without a word.

    Each repair is counted (``harvester/text/charset_repaired``) and logged with the page. Bytes that fit
    neither are left to Scrapy's decoding (U+FFFD), counted as ``harvester/text/undecodable_pages`` and
    flagged again per record by the normalise pipeline.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        label = re.sub(r"[-_ ]", "", response.encoding.lower())
        body = response.body
        if not body.isascii() and not _declared_encoding(response):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    body.decode("cp1252")
                except UnicodeDecodeError:
                    logger.warning("%s: no charset declared, not UTF-8 nor cp1252: decoded as %s (a guess)",
                                   response.url, response.encoding)
                    self.crawler.stats.inc_value("harvester/text/charset_guessed")
                    return response
                return self._repaired(response, "cp1252", "no charset declared and not UTF-8")
            return response if label == "utf8" else self._repaired(response, "utf-8", "no charset declared")
        if label == "utf8":
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                try:
                    body.decode("cp1252")
                except UnicodeDecodeError:
                    self.crawler.stats.inc_value("harvester/text/undecodable_pages")
                    logger.warning("%s: labelled UTF-8 but is not (%s), nor cp1252: unreadable characters are "
                                   "kept as U+FFFD and flagged", response.url, error.reason)
                    return response
                return self._repaired(response, "cp1252", f"labelled UTF-8 but its bytes are cp1252 (byte "
                                      f"0x{body[error.start]:02x} at {error.start})")
        elif label in _SINGLE_BYTE and not body.isascii():
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                return response
            return self._repaired(response, "utf-8", f"labelled {response.encoding} but its bytes are UTF-8")
        return response

    def _repaired(self, response: TextResponse, encoding: str, why: str) -> Response:
        if re.sub(r"[-_ ]", "", response.encoding.lower()) == encoding.replace("-", ""):
            return response
        self.crawler.stats.inc_value("harvester/text/charset_repaired")
        logger.warning("%s: %s; decoded as %s", response.url, why, encoding)
        return response.replace(encoding=encoding)


def _declared_encoding(response: TextResponse) -> str | None:
    """The encoding the response itself states: Content-Type charset, BOM or ``<meta>`` (not a guess)."""
    header = response.headers.get(b"Content-Type", b"").decode("latin-1")
    bom, _ = read_bom(response.body)
    return http_content_type_encoding(header) or bom or html_body_declared_encoding(response.body)


# --- secrets stay out of the log ------------------------------------------------------------------------------

_SECRET_HEADER = re.compile(
    r"""(?P<name>\b(?:proxy-)?authorization|\bset-cookie|\bcookie)(?P<sep>['"]?\s*[:=]\s*\[?\s*(?:b?['"])?)"""
    r"""(?P<value>[^'"\],\r\n]+)""",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(r"(?P<scheme>//[^/\s:@'\"]+:)[^@\s/'\"]+@")


def redact(text: str) -> str:
    """The text with header credentials (Authorization, Cookie, Set-Cookie) and URL passwords masked."""
    text = _SECRET_HEADER.sub(lambda m: f"{m['name']}{m['sep']}***", text)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}***@", text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactSecrets:
    """Extension: mask credentials in every log line, as a second line of defence (the harvester itself never
    logs headers; Scrapy logs settings, URLs and errors, which may carry an ``Authorization`` or ``Cookie``
    value or a URL's password). Installed on the root log handlers before the crawl logs anything."""

    filter = _RedactingFilter()

    def __init__(self, crawler: Crawler) -> None:
        for handler in logging.root.handlers:
            if self.filter not in handler.filters:
                handler.addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedactSecrets:
        return cls(crawler)
