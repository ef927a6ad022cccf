"""The base class for listing spiders: the author's guide to adding a site.

A listing spider only navigates. It knows the site's search URLs and how to page through them; it hands
each page to a pure parser (``harvester.parsers``) and yields one raw record per result block. Everything
else — dates, titles, names, validation, output — happens in the item pipelines.

To add a site, subclass :class:`ListingSpider` and provide:

``name``
    The source name; records carry it as ``source`` and land in ``output/<name>/``.
``build_start_url()``
    The first listing page, from validated spider arguments (raise :class:`SpiderArgumentError` on bad ones).
``parse_page(response)``
    Call the site's parser; return a :class:`~harvester.parsers.ListingPage`. Raise
    :class:`~harvester.parsers.PageError` (or let the parser raise it) for anything that is not a listing.
``page_number(url)`` / ``with_page(url, n)`` / ``page_size``
    The site's pagination grammar.

Pagination: when the first page shows a count header ("11 - 20 of 183") every remaining page is
scheduled at once, so they download concurrently; without one the spider walks to page N+1 until a page
has no rows. ``max_pages`` caps the pages fetched. A page that fails (HTTP error, not a listing) is named
in the stats (``harvester/failed_pages``) and the run exits non-zero; a challenge page stops the run.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from harvester.parsers import ChallengePageError, ListingPage, PageError

logger = logging.getLogger(__name__)

CHALLENGE_REASON = "challenge_page"


class SpiderArgumentError(ValueError):
    """A spider argument that cannot be used; the CLI prints it on one line and exits 2."""


def positive_int(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SpiderArgumentError(f"{name} must be a positive whole number, got {value!r}") from None
    if number < 1:
        raise SpiderArgumentError(f"{name} must be a positive whole number, got {value!r}")
    return number


class ListingSpider(scrapy.Spider):
    """Crawl one search to its last page; yield one raw record per result block."""

    page_size: ClassVar[int] = 10
    # Statuses that still reach the parser: bot protection answers 403/503 with a challenge page, which must be
    # reported as such rather than as a bare HTTP error.
    handle_httpstatus_list: ClassVar[list[int]] = [403, 503]

    def __init__(self, *args: Any, max_pages: Any = None, **kwargs: Any) -> None:
        unknown = sorted(k for k in kwargs if not k.startswith("_") and k != "name")
        if unknown or args:
            raise SpiderArgumentError(
                f"{type(self).name}: unknown argument {', '.join(unknown) or repr(args)} (see the spider's docstring)"
            )
        super().__init__(**kwargs)
        self.max_pages = positive_int(max_pages, "max_pages")
        self.start_url = self.build_start_url()
        self._pages_scheduled: set[int] = set()
        self._expected_last: int | None = None
        self.failed_pages: list[dict[str, str]] = []

    # --- what a site provides ---------------------------------------------------------------------------------

    def build_start_url(self) -> str:
        raise NotImplementedError

    def parse_page(self, response: Response) -> ListingPage:
        raise NotImplementedError

    def page_number(self, url: str) -> int:
        raise NotImplementedError

    def with_page(self, url: str, page: int) -> str:
        raise NotImplementedError

    def first_page(self) -> int:
        """The number of a search's first page (0 where pages count from zero)."""
        return 0

    # --- navigation -------------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        first = self.page_number(self.start_url)
        yield self._page_request(self.start_url, first)

    def _page_request(self, url: str, page: int) -> scrapy.Request:
        self._pages_scheduled.add(page)
        self.crawler.stats.inc_value("harvester/pages_scheduled")
        return scrapy.Request(
            url, callback=self.parse, errback=self.page_failed, cb_kwargs={"page": page}, meta={"page": page}
        )

    def parse(self, response: Response, page: int | None = None, **kwargs: Any) -> Iterator[Any]:
        page = self.page_number(response.url) if page is None else page
        stats = self.crawler.stats
        try:
            listing = self.parse_page(response)
        except ChallengePageError as error:
            stats.inc_value("harvester/challenge_pages")
            self._fail(response.url, f"challenge page (HTTP {response.status}): {error}")
            raise CloseSpider(CHALLENGE_REASON) from error
        except PageError as error:
            self._fail(response.url, f"HTTP {response.status}: {error}")
            return
        if response.status >= 400:
            self._fail(response.url, f"HTTP {response.status} with a listing body; its rows were kept")
        stats.inc_value("harvester/pages_parsed")
        stats.inc_value("harvester/blocks", len(listing.blocks))
        for name, missing in listing.missing.items():
            stats.inc_value(f"harvester/missing/{name}", missing)
        yield from self._next_pages(response.url, page, listing)
        offset = self._offset(page, listing)
        for block in listing.blocks:
            yield {
                "source": self.name,
                "url": block.url,
                "listing_url": response.url,
                "page": page,
                "position": offset + block.position,
                "node_id": block.node_id,
                "date_raw": block.date_text,
                "title": block.title,
                "summary": block.summary,
            }

    def _offset(self, page: int, listing: ListingPage) -> int:
        if listing.counts is not None and listing.counts.first > 0:
            return listing.counts.first - 1
        return (page - self.first_page()) * self.page_size

    def _next_pages(self, url: str, page: int, listing: ListingPage) -> Iterator[scrapy.Request]:
        counts = listing.counts
        if counts is not None and counts.total > 0 and self._expected_last is None and listing.blocks:
            per_page = max(counts.per_page, 1)
            self._expected_last = page + (counts.total - counts.first) // per_page
            self.crawler.stats.set_value(
                "harvester/pages_expected", self._expected_last - self.page_number(self.start_url) + 1
            )
            for next_page in range(page + 1, self._expected_last + 1):
                if self._may_fetch(next_page):
                    yield self._page_request(self.with_page(url, next_page), next_page)
        elif counts is None and listing.blocks and self._may_fetch(page + 1):
            yield self._page_request(self.with_page(url, page + 1), page + 1)
        if not listing.blocks and self._expected_last is not None and page <= self._expected_last:
            self.crawler.stats.inc_value("harvester/short_pages")
            logger.warning("%s has no rows although the count header promised pages up to %d: the result set "
                           "shrank while crawling", url, self._expected_last)

    def _may_fetch(self, page: int) -> bool:
        if page in self._pages_scheduled:
            return False
        if self.max_pages is not None and len(self._pages_scheduled) >= self.max_pages:
            self.crawler.stats.set_value("harvester/max_pages_reached", True)
            return False
        return True

    def page_failed(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        self._fail(request.url, reason)

    def _fail(self, url: str, reason: str) -> None:
        self.failed_pages.append({"url": url, "reason": reason})
        self.crawler.stats.inc_value("harvester/failed_pages")
        self.crawler.stats.set_value("harvester/failed_page_list", list(self.failed_pages))
        logger.error("page failed: %s: %s", url, reason)
