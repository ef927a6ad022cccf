"""The base class for listing spiders: the author's guide to adding a site.

A listing spider only navigates. It knows the site's search URLs and how to page through them; it hands
each page to a pure parser (``harvester.parsing``) and yields one raw record per result block. Everything
else — dates, titles, names, validation, output — happens in the item pipelines.

Most sites need no spider at all: a small TOML profile (``docs/profiles.md``, ``harvester/data/profiles/``)
drives the generic :class:`~harvester.crawl.spiders.profile.ProfileSpider`. For a site a profile cannot describe,
subclass :class:`ListingSpider` and provide:

``name``
    The source name; records carry it as ``source`` and land in ``output/<name>/``.
``build_start_url()``
    The first listing page, from validated spider arguments (raise :class:`SpiderArgumentError` on bad ones).
``parse_page(response)``
    Call the site's parser; return a :class:`~harvester.parsing.ListingPage`. Raise
    :class:`~harvester.parsing.PageError` (or let the parser raise it) for anything that is not a listing.
``page_number(url)`` / ``with_page(url, n)`` / ``page_size``
    The site's pagination grammar.

Pagination: when the first page shows a count header ("11 - 20 of 183") every remaining page is
scheduled at once, so they download concurrently (requested ``HARVESTER_SCHEDULE_AHEAD`` at a time, the next
as each comes back, so a search of 20,000 pages does not hold 20,000 requests in memory); without one the
spider walks to page N+1 until a page has no rows. ``max_pages`` caps the pages fetched. A count header that
disagrees with its page's rows is not trusted (pages past its total are fetched until one is empty), a full
last page is followed by one more request, and a page that repeats an earlier page's rows (a pagination loop)
is a failed page and ends the walk (``docs/reliability.md``).

Incremental runs: when the run's state store knows records and :meth:`ListingSpider.is_newest_first` says
new records come first, pages are fetched one after another instead, and paging stops after the first page
whose records are all known: a daily re-run of an unchanged search costs one page. The output pipeline gives
the spider the run (:class:`~harvester.crawl.run_keeper.RunKeeper`: the ids the state store knows, the pages an
interrupted run finished). After parsing a page the spider tells the keeper (a :class:`PageSummary`); the run
journals it once the page's records are through the pipelines, and a resumed run replays those summaries
instead of fetching the pages again.

``details`` (``-a details=1``, ``harvester crawl --details``): each new or changed row is followed to its own
document page, read by the profile's ``[details]`` (:mod:`harvester.crawl.details`).

A page that fails (HTTP error, not a listing) is named
in the stats (``harvester/failed_pages``) and the run exits non-zero; a challenge page stops the run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import CloseSpider, DontCloseSpider, DownloadCancelledError, IgnoreRequest
from scrapy.http import HtmlResponse, Response, XmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from harvester.crawl.details import DetailStage, wanted
from harvester.crawl.first_contact import UnreachableHost
from harvester.crawl.leases import HostBusy
from harvester.crawl.retry import RETRY_NOTE
from harvester.crawl.run_keeper import RunKeeper
from harvester.crawl.workers import Workers
from harvester.errors import SpiderArgumentError
from harvester.model import ChallengePageError, ListingPage, PageError, PageSummary, RawBlock
from harvester.records import page_offset, raw_item

logger = logging.getLogger(__name__)

CHALLENGE_REASON = "challenge_page"

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
    arguments: ClassVar[dict[str, Any]] = {}  # the spider arguments as given (for the run's manifest)

    def __init__(self, *args: Any, max_pages: Any = None, details: Any = None, **kwargs: Any) -> None:
        unknown = sorted(k for k in kwargs if not k.startswith("_") and k != "name")
        if unknown or args:
            raise SpiderArgumentError(
                f"{type(self).name}: unknown argument {', '.join(unknown) or repr(args)} (see the spider's docstring)"
            )
        super().__init__(**kwargs)
        self.max_pages = positive_int(max_pages, "max_pages")
        self.details = wanted(details)
        self.start_url = self.build_start_url()
        if urlsplit(self.start_url).username is not None:
            raise SpiderArgumentError(
                "the start URL must not carry credentials (user:password@host): they would end up in logs "
                "and in every record's listing_url"
            )
        self._pages_scheduled: set[int] = set()
        # Pages decided on but not requested yet, and pages requested but not parsed (or failed) yet: a search of
        # 20,000 pages is not 20,000 requests in memory at once (schedule_ahead requested, the rest waiting).
        # The pages a count header promised are a lazy window (url, next page, last page), never a list: a header
        # that claims 99,999,999,999 results costs nothing until its pages are asked for, one window at a time.
        self._window: list[Any] | None = None
        self._in_flight = 0
        self._full_pages = 0  # pages that came back with rows: the window grows with them (a slow start)
        self._total: int | None = None  # the count header's total, as first read
        self._count_lied: str | None = None  # why the rest of the promised pages are not fetched
        self.schedule_ahead = 256
        self._expected_last: int | None = None
        # a page's rows (a 128-bit digest of their URLs or titles) -> the page that had them
        self._row_signatures: dict[bytes, int] = {}
        self._count_mismatches = 0
        self._sequential = False
        self._details: DetailStage | None = None  # --details: harvester.crawl.details
        if self.details:
            rules = self.detail_rules()
            if rules is None:
                raise SpiderArgumentError(
                    f"{self.name}: details needs a site profile that declares its document pages ([details], "
                    "docs/profiles.md); this one declares none"
                )
            self._details = DetailStage(self, rules)

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ListingSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.arguments = {k: v for k, v in kwargs.items() if not k.startswith("_") and v is not None}
        spider.schedule_ahead = max(1, crawler.settings.getint("HARVESTER_SCHEDULE_AHEAD"))
        crawler.signals.connect(spider._idle, signal=signals.spider_idle)
        return spider

    @property
    def keeper(self) -> RunKeeper:
        """The run's owner (harvester.crawl.run_keeper); also when ``scrapy parse`` or ``check`` call a callback
        without :meth:`start`."""
        given = self.__dict__.get("_keeper")
        return given if given is not None else RunKeeper.of(self.crawler)

    @keeper.setter
    def keeper(self, keeper: RunKeeper) -> None:  # a test's stand-in
        self._keeper = keeper

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

    def is_newest_first(self) -> bool:
        """Whether new records appear at the top of this search, so that a page of known records ends what
        is new. False (page through everything) unless the site says so."""
        return False

    def job_arguments(self) -> dict[str, Any]:
        """What identifies this crawl's job: an interrupted run is resumed only with the same values."""
        arguments: dict[str, Any] = {"start_url": self.start_url, "max_pages": self.max_pages}
        if self.details:  # only when on: the jobs of crawls without --details keep their keys
            arguments["details"] = True
        return arguments

    def detail_rules(self) -> Any:
        """The profile's ``[details]`` (:class:`harvester.profiles.model.Details`) for ``--details``, or None."""
        return getattr(self.profile_for(self.start_url), "details", None)

    # --- navigation -------------------------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        view = self.keeper.run
        self._sequential = bool(view.incremental and self.is_newest_first())
        if self._sequential:
            logger.info("incremental run of a newest-first search: paging stops at the first page of known records")
        done = view.done_pages()
        stats = self.crawler.stats
        for summary in done:  # pages an interrupted run finished: replayed, not fetched again
            self._pages_scheduled.add(summary.page)
            stats.inc_value("harvester/pages_resumed")
            stats.inc_value("harvester/pages_parsed")
            stats.inc_value("harvester/blocks", summary.blocks)
        first = self.page_number(self.start_url)
        if first not in self._pages_scheduled:
            yield self._page_request(self.start_url, first)
        for summary in done:
            blocks = [RawBlock(i + 1, None, None, None, None) for i in range(summary.blocks)]
            for request in self._next_pages(
                summary.url, summary.page, ListingPage("journal", blocks, summary.counts), fresh=summary.fresh
            ):
                yield request

    def _page_request(self, url: str, page: int) -> scrapy.Request:
        self._schedule(page)
        return self._request(url, page)

    def _schedule(self, page: int) -> None:
        """Decide to fetch ``page`` (the request itself may come later: :meth:`_release`)."""
        self._pages_scheduled.add(page)
        self.crawler.stats.inc_value("harvester/pages_scheduled")

    def _request(self, url: str, page: int) -> scrapy.Request:
        self._in_flight += 1
        return scrapy.Request(
            url, callback=self.parse_offloaded, errback=self.page_failed, cb_kwargs={"page": page}, meta={"page": page}
        )

    def _ahead(self) -> int:
        """How many window pages may be in flight: ``schedule_ahead``, reached by doubling from 2 as pages come
        back with rows, so a count header that lies costs a couple of requests, not a window of them."""
        return max(1, min(self.schedule_ahead, 2 + 2 * self._full_pages))

    def _release(self) -> Iterator[scrapy.Request]:
        """Requests for deferred pages, in page order, while fewer than :meth:`_ahead` are in flight. Pages are
        taken from the window lazily, and ``max_pages`` is checked before each is scheduled."""
        while self._window is not None and self._in_flight < self._ahead():
            url, page, last = self._window
            if page > last or self._count_lied:
                self._window = None
                break
            self._window[1] = page + 1
            if page in self._pages_scheduled:
                continue
            if not self._may_fetch(page):
                self._window = None
                break
            self._schedule(page)
            yield self._request(self.with_page(url, page), page)

    def _landed(self) -> Iterator[scrapy.Request]:
        """A page request came back (parsed or failed): the next deferred pages may go."""
        self._in_flight = max(0, self._in_flight - 1)
        return self._release()

    def _idle(self, spider: Any = None) -> None:
        """Nothing in flight but pages still deferred (a request that never came back): send the next ones."""
        if self._window is None:
            return
        self._in_flight = 0
        requests = list(self._release())
        for request in requests:
            self.crawler.engine.crawl(request)
        if requests:
            raise DontCloseSpider

    def offload_parse(self, response: Response, page: int) -> tuple[Any, ...] | None:
        """The arguments of the worker's ``listing`` job for this page (:mod:`harvester.crawl.workers`): a spider
        whose :meth:`parse_page` is ``parse_with_profile`` returns ``(profile_key(...), worker_page(response),
        response.url, RowRecipe(...))``, the recipe saying how :meth:`_parse` makes raw items of the blocks, so
        that the worker builds the page's records in the same trip. None (the default): the page is parsed in
        the crawl's process."""
        return None

    async def parse_offloaded(self, response: Response, page: int | None = None, **kwargs: Any) -> AsyncIterator[Any]:
        """The request callback: :meth:`parse`, with the page read by the crawl's worker process when it can (the
        same parser on the same text; anything it cannot do, errors included, is done here as always)."""
        listing = None
        workers = Workers.of(self.crawler)
        job = None
        if workers is not None and workers.usable and isinstance(response, HtmlResponse | XmlResponse):
            job = self.offload_parse(response, self.page_number(response.url) if page is None else page)
        if job is not None:
            listing = await workers.listing(*job)
        for output in self._parse(response, page, listing):
            yield output

    def parse(self, response: Response, page: int | None = None, **kwargs: Any) -> Iterator[Any]:
        return self._parse(response, page, None)

    def _parse(self, response: Response, page: int | None, listing: ListingPage | None) -> Iterator[Any]:
        yield from self._landed()
        page = self.page_number(response.url) if page is None else page
        stats = self.crawler.stats
        asked = (response.request.meta.get("redirect_urls") or [response.url])[0] if response.request else response.url
        if not _same_site(response.url, asked):  # only a redirect moves a page to another host
            # An HTTP redirect or a <meta refresh> to another host: that site's rows are not this search's.
            stats.inc_value("harvester/offsite_redirects")
            self._fail(asked, f"redirected to another host ({urlsplit(response.url).hostname}): not read")
            return
        ctype = response.headers.get(b"Content-Type", b"").decode("latin-1").strip()
        if not isinstance(response, HtmlResponse | XmlResponse) and not ctype.lower().startswith("text/"):
            # JSON, a PDF, an image: not a listing (and not text a listing parser can read)
            self._fail(response.url, f"HTTP {response.status}: not a listing page but a "
                       f"{ctype or 'untyped'} response{_attempts_note(response.request)}")
            return
        try:
            if listing is None:
                listing = self.parse_page(response)
        except ChallengePageError as error:
            stats.inc_value("harvester/challenge_pages")
            self._fail(response.url, f"challenge page (HTTP {response.status}): {error}")
            raise CloseSpider(CHALLENGE_REASON) from error
        except PageError as error:
            self._fail(response.url, f"HTTP {response.status}: {error}{_attempts_note(response.request)}")
            return
        except Exception as error:
            logger.debug("the parser failed on %s", response.url, exc_info=True)
            self._fail(response.url, f"HTTP {response.status}: the page could not be parsed as a listing "
                       f"({type(error).__name__}: {error})")
            return
        if response.status >= 400:
            self._fail(response.url, f"HTTP {response.status} with a listing body; its rows were kept")
        if not listing.blocks and self._expected_last is None and listing.counts is not None \
                and listing.counts.total > 0:
            # "1 - 10 of 30" but no block: the page has results the parser (a profile's blocks) does not find.
            counts = listing.counts
            self._fail(response.url, f"the page shows {counts.first} - {counts.last} of {counts.total} but no result "
                       "block was found: the blocks selector matches nothing on this page")
            return
        if not listing.blocks and self._expected_last is not None and page <= self._expected_last:
            # The count header promised this page. Briefly empty (a search index being rebuilt): ask again; still
            # empty: a failed page (the run fails, state does not move past it) and the rest of the promise is
            # not fetched: a header that lies ("of 1000000" over one page of rows) costs a few requests.
            if self._count_lied:
                stats.inc_value("harvester/pages_after_lying_count")
                return
            retry = get_retry_request(response.request, spider=self, reason="no rows on a page the count promised",
                                      give_up_log_level=logging.WARNING)
            if retry is not None:
                self._in_flight += 1
                yield retry
                return
            self._count_lied = response.url
            self._window = None
            stats.inc_value("harvester/count_lied")
            self._fail(response.url, f"no rows although the count header promised pages up to {self._expected_last}: "
                       f"the count header lied or the results shrank; the remaining pages were not fetched"
                       f"{_attempts_note(response.request)}")
            return
        counts = listing.counts
        if (counts is not None and counts.total > 0 and self._total is not None and counts.total != self._total
                and not self._count_mismatches and counts.per_page == len(listing.blocks)):
            # (a header that disagrees with its own rows is not trusted at all: see _next_pages)
            # Results moved while crawling (a document added or deleted between two pages): rows have shifted
            # across a page boundary, so one may be missing. The rows of this page are kept; the run fails so that
            # the state store does not take the gap for the truth, and the next run reads the search afresh.
            stats.inc_value("harvester/count_changed")
            self._fail(response.url, f"the count header changed from {self._total} to {counts.total} during the "
                       "crawl: results shifted between pages, records may be missing; its rows were kept, run again")
            self._total = counts.total
        if listing.blocks:
            signature = _digest(tuple(block.url or block.title for block in listing.blocks))
            first_seen = self._row_signatures.setdefault(signature, page)
            if (first_seen != page and self._expected_last is not None and page > self._expected_last
                    and first_seen == page - 1):
                # Past the count, the site answers with its last page again: that is the end, not a loop.
                stats.inc_value("harvester/pages_parsed")
                stats.inc_value("harvester/last_page_repeated")
                logger.info("%s repeats page %d: the site answers pages past the end with its last page",
                            response.url, first_seen)
                self.keeper.page_parsed(PageSummary(page, response.url, 0, True, listing.counts))
                return
            if first_seen != page:
                # The site served another page's rows (a pagination loop): walking on would never end, and the
                # rows this page should have shown are missing.
                stats.inc_value("harvester/repeated_pages")
                self._fail(response.url, f"repeats the rows of page {first_seen}: the site's pagination loops")
                return
        stats.inc_value("harvester/pages_parsed")
        stats.inc_value("harvester/blocks", len(listing.blocks))
        if listing.blocks:
            self._full_pages += 1
        for name, missing in listing.missing.items():
            stats.inc_value(f"harvester/missing/{name}", missing)
        offset = self.page_offset(page, listing)
        profile = self.profile_for(response.url)
        items = [
            raw_item(block, source=self.name, listing_url=response.url, page=page, offset=offset, profile=profile,
                     titles=self.titles)
            for block in listing.blocks
        ]  # fmt: skip
        fresh = True
        if self._sequential:  # the ids by the profile's own rule, computed once (the records carry the same)
            ids = {item["id"] for item in items if item["id"]}
            fresh = bool(ids - self.keeper.run.known(ids))
        self.keeper.page_parsed(PageSummary(page, response.url, len(listing.blocks), fresh, listing.counts))
        yield from self._next_pages(response.url, page, listing, fresh=fresh)
        yield from (items if self._details is None else self._details.follow(items))

    def parse_document(self, response: Response, item: dict[str, Any]) -> Iterator[Any]:
        """A record's document page (``--details``): :meth:`harvester.crawl.details.DetailStage.parsed`."""
        assert self._details is not None
        return self._details.parsed(response, item)

    def document_failed(self, failure: Failure) -> Iterator[Any]:
        assert self._details is not None
        return self._details.failed(failure)

    #: How this source's titles are read (harvester.records.TITLE_MODES) when it has no profile.
    titles: ClassVar[str] = "none"

    def profile_for(self, url: str) -> Any:
        """The profile that reads this source's pages (ids, dates, title mode), or None."""
        return None

    def page_offset(self, page: int, listing: ListingPage) -> int:
        return page_offset(listing, page, first_page=self.first_page(), page_size=self.page_size)

    def _next_pages(
        self, url: str, page: int, listing: ListingPage, *, fresh: bool = True
    ) -> Iterator[scrapy.Request]:
        """The pages to fetch after this one. Sequential (incremental) runs: only page + 1, and only after a
        page that showed something new (``fresh``)."""
        counts = listing.counts
        if counts is not None and listing.blocks and counts.per_page != len(listing.blocks):
            self._count_mismatches += 1
            self.crawler.stats.inc_value("harvester/count_mismatch")
            logger.warning(
                "%s: the count header says %d - %d of %d but the page has %d rows: the total is not trusted, "
                "pages past it are fetched until one is empty", url, counts.first, counts.last, counts.total,
                len(listing.blocks),
            )
        if counts is not None and counts.total > 0 and self._expected_last is None and listing.blocks:
            self._total = counts.total
            per_page = max(counts.per_page, 1)
            self._expected_last = page + (counts.total - counts.first) // per_page
            self.crawler.stats.set_value(
                "harvester/pages_expected", self._expected_last - self.page_number(self.start_url) + 1
            )
            last = min(self._expected_last, page + 1) if self._sequential else self._expected_last
            if fresh and page + 1 <= last:
                self._window = [url, page + 1, last]
            yield from self._release()
        elif (
            listing.blocks
            and fresh
            # no count header: walk on; a sequential run that read the count on an earlier page: the next one
            and (counts is None or (self._sequential and page < (self._expected_last or 0)))
            and self._may_fetch(page + 1)
        ):
            yield self._page_request(self.with_page(url, page + 1), page + 1)
        if (
            listing.blocks
            and fresh
            and counts is not None
            and self._expected_last is not None
            and page >= self._expected_last
            and (self._count_mismatches or len(listing.blocks) >= self.page_size)
            and self._may_fetch(page + 1)
        ):
            # The last promised page is full, or a count header was wrong: make sure the next page is empty.
            self.crawler.stats.inc_value("harvester/pages_past_count")
            yield self._page_request(self.with_page(url, page + 1), page + 1)
        if listing.blocks and not fresh:
            self.crawler.stats.set_value("harvester/stopped_at_known_page", page)
            logger.info("%s shows only known records: no further pages in this incremental run", url)

    def _may_fetch(self, page: int) -> bool:
        if page in self._pages_scheduled:
            return False
        if self.max_pages is not None and len(self._pages_scheduled) >= self.max_pages:
            self.crawler.stats.set_value("harvester/max_pages_reached", True)
            return False
        return True

    def page_failed(self, failure: Failure) -> list[scrapy.Request]:
        """Name the failed page; the requests returned are the next deferred pages."""
        self._name_failure(failure)
        return list(self._landed())

    def _name_failure(self, failure: Failure) -> None:
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(UnreachableHost, HostBusy):
            return  # not a failed page: the host cannot be reached (or is another crawl's); the outcome says so
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        elif failure.check(IgnoreRequest) and "robots.txt" in failure.getErrorMessage():
            self.crawler.stats.inc_value("harvester/robots_forbidden")
            reason = "forbidden by the site's robots.txt (ROBOTSTXT_OBEY): not fetched"
        elif failure.check(DownloadCancelledError) and "max size" in failure.getErrorMessage():
            reason = f"page larger than DOWNLOAD_MAXSIZE, download cancelled ({failure.getErrorMessage()})"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        self._fail(request.url, f"{reason}{_attempts_note(request)}")

    def _fail(self, url: str, reason: str) -> None:
        RunKeeper.of(self.crawler).page_failed(url, reason)


def _same_site(url: str, start_url: str) -> bool:
    """Whether ``url`` is on the start URL's host (``www.`` or not)."""
    def host(u: str) -> str:
        name = (urlsplit(u).hostname or "").lower()
        return name.removeprefix("www.")

    return host(url) == host(start_url)


def _digest(signature: tuple[str | None, ...]) -> bytes:
    """A page's rows in 16 bytes, not a tuple of ten URLs kept for the whole crawl (repeats are found alike)."""
    digest = hashlib.blake2b(digest_size=16)
    for value in signature:
        if value is None:
            digest.update(b"-")
        else:
            data = value.encode("utf-8", "surrogatepass")
            digest.update(b"+" + len(data).to_bytes(8, "big") + data)
    return digest.digest()


def _attempts_note(request: scrapy.Request | None) -> str:
    """"; <why retries stopped>" for a page that was retried (or not retried on purpose), else ""."""
    if request is None:
        return ""
    note = request.meta.get(RETRY_NOTE)
    if note:
        return f"; {note}"
    attempts = request.meta.get("retry_times", 0) + 1
    return f"; gave up after {attempts} attempts" if attempts > 1 else ""
