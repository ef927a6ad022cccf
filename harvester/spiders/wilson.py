"""The Wilson Center Digital Archive: one search, every result page, current or old site."""

from __future__ import annotations

from typing import Any

from parsel import Selector
from scrapy.crawler import Crawler
from scrapy.http import Response

from harvester.parsers import ListingPage
from harvester.parsers.wilson import parse_old_wilson_listing, parse_wilson_listing
from harvester.sites import wilson as grammar
from harvester.spiders.base import ListingSpider, SpiderArgumentError, positive_int


class WilsonSpider(ListingSpider):
    """Harvest a Wilson search.

    Arguments (``-a name=value`` with ``scrapy crawl``; ``--name value`` with ``harvester crawl wilson``):

    ``query``      full-text query (may be empty)
    ``people``, ``places``, ``topics``, ``languages``
                   facet node ids, comma-separated (people 81716 = Mao Zedong)
    ``sort``       ``uploaded`` (newest upload first, the site's default) or ``date`` (newest document date)
    ``start_url``  any search URL on any host (a mirror, the replica): kept as is and paged with ``page=N``;
                   excludes the arguments above
    ``max_pages``  stop after this many listing pages
    ``items_per_page``  10 (the site's default) or 100

    ``base_url``   the host for ``query``-style searches (default: the ``WILSON_BASE_URL`` setting)
    """

    name = "wilson"

    def __init__(
        self,
        query: str | None = None,
        people: str | None = None,
        places: str | None = None,
        topics: str | None = None,
        languages: str | None = None,
        sort: str | None = None,
        start_url: str | None = None,
        items_per_page: Any = None,
        base_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.query = query
        self.sort = sort
        self.start_url_argument = start_url
        self.base_url = base_url or grammar.DEFAULT_BASE_URL
        self.items_per_page = positive_int(items_per_page, "items_per_page")
        try:
            self.facets = {
                facet: grammar.parse_ids(value, facet)
                for facet, value in zip(grammar.FACETS, (people, places, topics, languages), strict=True)
            }
        except grammar.WilsonUrlError as error:
            raise SpiderArgumentError(str(error)) from None
        if self.items_per_page is not None:
            self.page_size = self.items_per_page
        super().__init__(**kwargs)

    def build_start_url(self) -> str:
        try:
            if self.start_url_argument:
                if self.query is not None or self.sort is not None or any(self.facets.values()):
                    raise SpiderArgumentError(
                        "start_url excludes query, sort and facets: put them in the URL instead"
                    )
                return grammar.validate_start_url(self.start_url_argument)
            url = grammar.search_url(self.base_url, query=self.query, facets=self.facets, sort=self.sort)
        except grammar.WilsonUrlError as error:
            raise SpiderArgumentError(str(error)) from None
        if self.items_per_page is not None:
            url += f"&items_per_page={self.items_per_page}"
        return url

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> WilsonSpider:
        kwargs.setdefault("base_url", crawler.settings.get("WILSON_BASE_URL"))
        return super().from_crawler(crawler, *args, **kwargs)

    def parse_page(self, response: Response) -> ListingPage:
        selector = Selector(text=response.text, base_url=response.url)
        if grammar.is_old_search(response.url):
            return parse_old_wilson_listing(selector, response.url)
        return parse_wilson_listing(selector, response.url)

    def page_number(self, url: str) -> int:
        return grammar.page_number(url)

    def with_page(self, url: str, page: int) -> str:
        return grammar.with_page(url, page)

    def first_page(self) -> int:
        return grammar.first_page(self.start_url)
