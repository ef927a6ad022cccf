"""``--details``: each listing row that is new or changed in this run is followed to its own document page.

A listing page's raw items come here instead of going straight to the pipelines (:meth:`DetailStage.follow`):

* a row the state store knows with the same listing fields (title, summary, date as shown, node id, extras:
  what the spider can know before normalising) and stored details keeps those details: **reused**, not
  fetched (``harvester/details/reused``);
* a row whose document page this run already read before it was interrupted (the run's journal keeps each page's
  details or failure the moment it is read: :meth:`~harvester.storage.journal.Journal.keep_details`) takes them
  from there: a resumed run never fetches a document page twice (``harvester/details/resumed``, also counted
  as reused);
* any other row (new, changed, or stored without details) is followed: a request through Scrapy's scheduler and
  downloader like any page (the same per-host limit, delay, retries, host lease and capture), at a higher
  priority than listing pages, so that a page's records are finished (and the page journalled done) before
  more listing pages are read. Its callback reads the page by the profile's ``[details]``
  (:func:`harvester.parsing.document.parse_document_page`) and yields the raw item with ``details``
  (:func:`harvester.records.details_of`); ``records.build_record`` joins them in the normalise pipeline.

A document page that fails (an HTTP error, a timeout, a challenge, a page that is not a document page) is named
(:meth:`RunKeeper.detail_failed`: the log and the manifest's ``failed_details``), counted
(``harvester/details/failed``), and its row still becomes a record, with ``details`` null: the outcome fails the
run only above ``HARVESTER_MAX_FAILED_DETAIL_RATIO``. The run's one owner answers every question asked here
(:class:`~harvester.crawl.run_keeper.RunKeeper`: the state store's records, the journal's kept details).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

import scrapy
from parsel import Selector
from scrapy.exceptions import CloseSpider
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from harvester.crawl.retry import RETRY_NOTE
from harvester.crawl.run_keeper import RunKeeper
from harvester.errors import ChallengePageError, HarvesterError, SpiderArgumentError
from harvester.parsing.detect import raise_if_challenge
from harvester.parsing.document import parse_document_page
from harvester.profiles.model import Details
from harvester.records import details_of, repair_fields

logger = logging.getLogger(__name__)

CHALLENGE_REASON = "challenge_page"  # the finish reason, as for a listing page's challenge (crawl/spider.py)
#: Request meta: the id of the record a document request is for (the capture writes it beside the response).
DETAIL_OF = "harvester_detail_of"
#: The spider callback that reads document pages (``ListingSpider.parse_document``); reparse looks for it.
DOCUMENT_CALLBACK = "parse_document"
#: Above the listing pages' 0: a page's document pages go before the next listing pages.
PRIORITY = 10
#: The raw listing fields that decide whether a row changed (the raw side of the state's content fields).
LISTING_FIELDS = ("node_id", "title", "summary", "date_raw", "extra")

_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")


def wanted(value: Any) -> bool:
    """The ``details`` spider argument (``-a details=1``, ``harvester crawl --details``) as a flag."""
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SpiderArgumentError(f"details must be 1 or 0 (true or false), got {value!r}")


def listing_unchanged(item: Mapping[str, Any], stored: Mapping[str, Any]) -> bool:
    """Whether a raw item shows what its stored record showed (after the same mojibake repair). Pure."""
    repaired, _, _ = repair_fields(item)
    return all((repaired.get(name) or None) == (stored.get(name) or None) for name in LISTING_FIELDS)


def same_site(url: str, listing_url: str | None) -> bool:
    def host(u: str | None) -> str:
        return (urlsplit(u or "").hostname or "").lower().removeprefix("www.")

    return host(url) == host(listing_url)


class DetailStage:
    """One crawl's ``--details`` stage (the spider owns one; it holds only what is in flight)."""

    def __init__(self, spider: Any, rules: Details) -> None:
        self.spider = spider
        self.rules = rules
        # id -> the other rows of the same document waiting for its page (a row listed twice in one crawl)
        self._waiting: dict[str, list[dict[str, Any]]] = {}
        self._done: set[str] = set()  # ids whose page this session read (or failed): a later row of one is a duplicate

    @property
    def keeper(self) -> RunKeeper:
        return self.spider.keeper

    @property
    def stats(self) -> Any:
        return self.spider.crawler.stats

    def follow(self, items: list[dict[str, Any]]) -> Iterator[Any]:
        """The raw items of one listing page, each with its ``details``, or a request for its document page."""
        run = self.keeper.run
        ids = [item["id"] for item in items if item.get("id")]
        stored = run.stored(ids)
        kept = run.journal.kept_details(ids)
        for item in items:
            key, url = item.get("id"), item.get("url")
            if not key or not url:
                self.stats.inc_value("harvester/details/no_page")
                yield {**item, "details": None}
                continue
            if key in self._waiting:  # listed twice while its page is in flight: joins the first row
                self._waiting[key].append(item)
                continue
            if key in self._done:  # listed again after its page was read: the dedupe pipeline drops it
                yield {**item, "details": kept[key][1] if key in kept else None}
                continue
            earlier = stored.get(key)
            if earlier is not None and earlier.get("details") is not None and listing_unchanged(item, earlier):
                self.stats.inc_value("harvester/details/reused")
                yield {**item, "details": earlier["details"]}
                continue
            if key in kept:
                yield from self._resumed(item, *kept[key])
                continue
            if not same_site(url, item.get("listing_url")):
                self.keeper.detail_failed(url, "on another host than the listing: not followed")
                yield {**item, "details": None}
                continue
            self._waiting[key] = []
            yield scrapy.Request(
                url, callback=self.spider.parse_document, errback=self.spider.document_failed,
                cb_kwargs={"item": item}, meta={DETAIL_OF: key}, priority=PRIORITY, dont_filter=True,
            )  # fmt: skip

    def _resumed(self, item: dict[str, Any], url: str, details: Any, failure: str | None) -> Iterator[Any]:
        self.stats.inc_value("harvester/details/reused")
        self.stats.inc_value("harvester/details/resumed")
        if failure is not None:
            self.keeper.detail_failed(url, failure)  # named again: this session's manifest lists it too
        yield {**item, "details": details}

    def parsed(self, response: Response, item: dict[str, Any]) -> Iterator[Any]:
        """A document page came back: its details join the item (and every row waiting for the same page)."""
        if not same_site(response.url, item["url"]):  # an HTTP or <meta> redirect to another host: not read
            host = urlsplit(response.url).hostname
            yield from self._failed(item, item["url"], f"redirected to another host ({host}): not read")
            return
        if not isinstance(response, TextResponse):
            ctype = response.headers.get(b"Content-Type", b"").decode("latin-1") or "untyped"
            yield from self._failed(item, response.url, f"HTTP {response.status}: not a document page but a "
                                    f"{ctype} response")
            return
        try:
            if response.status >= 400:  # 403 and 503 reach here (the spider's handle_httpstatus_list): a challenge?
                raise_if_challenge(Selector(text=response.text), what="document page")
                yield from self._failed(item, response.url, f"HTTP {response.status}{_attempts(response.request)}")
                return
            page = parse_document_page(response.text, response.url, self.rules)
        except ChallengePageError as error:
            # Bot protection answers the document pages now: the crawl stops, as for a listing page's challenge
            # (the run fails and commits nothing; this row is still yielded, with details null).
            self.stats.inc_value("harvester/challenge_pages")
            yield from self._failed(item, response.url, f"challenge page (HTTP {response.status}): {error}")
            raise CloseSpider(CHALLENGE_REASON) from error
        except HarvesterError as error:  # NotADocumentError, PageError
            yield from self._failed(item, response.url, f"HTTP {response.status}: {error}")
            return
        except Exception as error:
            logger.debug("the document parser failed on %s", response.url, exc_info=True)
            yield from self._failed(item, response.url, f"HTTP {response.status}: the page could not be read as a "
                                    f"document page ({type(error).__name__}: {error})")
            return
        details = details_of(page)
        self.keeper.run.journal.keep_details(item["id"], item["url"], details, None)
        self.stats.inc_value("harvester/details/fetched")
        yield from self._release(item, details)

    def failed(self, failure: Failure) -> Iterator[Any]:
        """The errback: the document request failed (HTTP error after the retries, a timeout, robots.txt)."""
        request = failure.request  # type: ignore[attr-defined]
        item = request.cb_kwargs["item"]
        if failure.check(HttpError):
            reason = f"HTTP {failure.value.response.status}"
        else:
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        yield from self._failed(item, request.url, f"{reason}{_attempts(request)}")

    def _failed(self, item: dict[str, Any], url: str, reason: str) -> Iterator[Any]:
        self.keeper.detail_failed(url, reason)
        self.keeper.run.journal.keep_details(item["id"], item["url"], None, reason)
        yield from self._release(item, None)

    def _release(self, item: dict[str, Any], details: dict[str, Any] | None) -> Iterator[Any]:
        self._done.add(item["id"])
        for row in (item, *self._waiting.pop(item["id"], [])):
            yield {**row, "details": details}


def _attempts(request: scrapy.Request | None) -> str:
    """"; <why retries stopped>" or "; gave up after N attempts" for a retried request, else ""."""
    if request is None:
        return ""
    if request.meta.get(RETRY_NOTE):
        return f"; {request.meta[RETRY_NOTE]}"
    attempts = request.meta.get("retry_times", 0) + 1
    return f"; gave up after {attempts} attempts" if attempts > 1 else ""
