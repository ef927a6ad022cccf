"""Zero-config crawling: any listing URL, read by the auto extractor (:mod:`harvester.parsing.auto`), no profile.

``harvester crawl --auto URL [--max-pages N]`` / ``scrapy crawl auto -a start_url=URL``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import scrapy
from parsel import Selector
from scrapy.http import Response, TextResponse

from harvester.crawl.spider import ListingSpider, SpiderArgumentError, positive_int
from harvester.parsing import ListingPage, NotAListingError
from harvester.parsing.auto import extract_blocks
from harvester.parsing.pager import find_next_link, home_host, page_param, source_name, with_page_param

logger = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 50
_GUESSED = "auto_guessed_page"  # request meta: a page=N+1 guess (a page with no listing ends the walk)


class AutoSpider(ListingSpider):
    """Harvest a listing nobody described: the auto extractor finds the result blocks on each page.

    Arguments: ``start_url`` (an http(s) listing URL; ``url`` is accepted too) and ``max_pages`` (default 50).

    Records' ``source`` is a name made from the host (``https://www.nwheap.com/...`` -> ``nwheap-com``), so a
    tracked run lands in ``output/<host name>/``. Fields: ``url``, ``title``, ``date_raw`` (the date as shown),
    ``summary``, ``position`` (across pages), ``page`` (1 for the start URL unless it shows ``page=N``).

    Pagination, each page in turn: a ``rel="next"`` link, else a pager link ("Next", "Older posts", "›", "»",
    see :mod:`harvester.parsing.pager`) outside the result blocks, else, when the start URL has a ``page=N`` query
    parameter, ``page=N+1`` (a guessed page without a listing ends the walk quietly). A URL is never fetched
    twice and at most ``max_pages`` pages are fetched. A next link to another host is followed only when that
    host is the page's own (its canonical URL, or the host its links point to) and the crawl runs on a copy
    (a mirror or a replay of a saved page): the link is then taken onto the crawled host. A page the extractor
    rejects (not a listing) is a failed page, named in the run's report (exit 1).

    Politeness is the project's defaults (robots.txt, delay, AutoThrottle); ``-s NAME=VALUE`` overrides them.
    """

    name = "auto"
    page_size: ClassVar[int] = 10

    def __init__(self, start_url: str | None = None, url: str | None = None, **kwargs: Any) -> None:
        given = start_url or url
        if not given:
            raise SpiderArgumentError("auto: give the listing's URL (start_url=URL; harvester crawl --auto URL)")
        parts = urlsplit(given.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SpiderArgumentError(f"auto: the start URL must be an http(s) URL with a host, got {given!r}")
        self.start_url_argument = given.strip()
        if kwargs.get("max_pages") in (None, ""):
            kwargs["max_pages"] = DEFAULT_MAX_PAGES
        positive_int(kwargs["max_pages"], "max_pages")
        kwargs["name"] = source_name(self.start_url_argument)  # records' source and the output folder
        super().__init__(**kwargs)
        self._seen_urls: set[str] = {_without_fragment(self.start_url)}
        self._page_offsets: dict[int, int] = {}
        self._guessed_urls: set[str] = set()
        self._signature: tuple[str, str] | None = None  # (container, block) of the listing's first page

    # --- the site's grammar -------------------------------------------------------------------------------------

    def build_start_url(self) -> str:
        return self.start_url_argument

    def page_number(self, url: str) -> int:
        number = page_param(url)
        return 1 if number is None else number

    def with_page(self, url: str, page: int) -> str:
        return with_page_param(url, page)

    def first_page(self) -> int:
        return self.page_number(self.start_url)

    def job_arguments(self) -> dict[str, Any]:
        return {"start_url": self.start_url, "max_pages": self.max_pages, "mode": "auto"}

    # --- reading a page -----------------------------------------------------------------------------------------

    def parse_page(self, response: Response) -> ListingPage:
        if not isinstance(response, TextResponse):
            raise NotAListingError(f"not an HTML page ({response.headers.get('Content-Type', b'?').decode()})")
        selector = Selector(text=response.text, base_url=response.url)
        try:
            result = extract_blocks(selector, response.url, expect=self._signature)
        except NotAListingError:
            if response.meta.get(_GUESSED):
                logger.info(
                    "%s: no listing on the guessed page %s: the end of the results",
                    response.url,
                    response.meta.get("page"),
                )
                return ListingPage("auto-end")
            raise
        logger.info(
            "%s: %d blocks, confidence %.2f, layout %s (%s in %s)",
            response.url,
            len(result.blocks),
            result.confidence,
            result.layout,
            result.block_signature,
            result.container_path,
        )
        self.crawler.stats.min_value("harvester/auto/min_confidence", result.confidence)
        if self._signature is None:  # later pages of the listing show the same blocks (a short last page too)
            self._signature = (result.container_path, result.block_signature)
        listing = result.to_listing_page()
        listing.next_url = self._next_url(selector, response.url, [b.path for b in result.blocks])
        return listing

    def _next_url(self, selector: Selector, url: str, block_paths: list[str]) -> str | None:
        exclude = []
        for path in {p.removesuffix(" ::line") for p in block_paths}:
            try:
                exclude.extend(node.root for node in selector.css(path))
            except Exception:  # a class name CSS cannot express: the link check just looks wider
                logger.debug("cannot select %r", path)
        found = find_next_link(selector, url, exclude=exclude, visited=self._seen_urls)
        if found is None:
            guessed = page_param(url)
            if guessed is not None and page_param(self.start_url) is not None:
                target = with_page_param(url, guessed + 1)
                self._guessed_urls.add(target)
                return target
            return None
        target = self._on_crawled_host(found.url, url, selector)
        if target is None:
            self.crawler.stats.inc_value("harvester/auto/offsite_next_links")
            logger.warning("%s: the next-page link %s leads to another site; paging stops", url, found.url)
            return None
        logger.debug("%s: next page %s (%s %r)", url, target, found.how, found.text)
        return target

    def _on_crawled_host(self, link: str, page_url: str, selector: Selector) -> str | None:
        crawled, target = urlsplit(page_url), urlsplit(link)
        if target.scheme not in ("http", "https"):
            return None
        if target.netloc.lower() == crawled.netloc.lower():
            return link
        home = home_host(selector)
        if home is not None and target.netloc.lower() == home and home != crawled.netloc.lower():
            # a copy of the page (mirror, replay): its links still name the original host
            return urlunsplit(target._replace(scheme=crawled.scheme, netloc=crawled.netloc))
        return None

    # --- navigation: one page after another ---------------------------------------------------------------------

    def _next_pages(self, url: str, page: int, listing: ListingPage, *, fresh: bool = True) -> Iterator[scrapy.Request]:
        target = listing.next_url
        if target is None or not listing.blocks or not fresh:
            return
        key = _without_fragment(target)
        if key in self._seen_urls:
            self.crawler.stats.inc_value("harvester/next_link_loops")
            logger.warning("%s: the next-page link leads back to %s; paging stops", url, target)
            return
        if self._may_fetch(page + 1):
            self._seen_urls.add(key)
            request = self._page_request(target, page + 1)
            if target in self._guessed_urls:
                request.meta[_GUESSED] = True
            yield request

    def page_offset(self, page: int, listing: ListingPage) -> int:
        """Positions run on across pages: auto pages have no fixed size."""
        offset = self._page_offsets.get(page, 0)
        self._page_offsets[page + 1] = offset + len(listing.blocks)
        return offset


def _without_fragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))
