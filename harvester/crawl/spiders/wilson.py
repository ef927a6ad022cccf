"""The Wilson Center Digital Archive: one search, every result page, current or old site."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from parsel import Selector
from scrapy.crawler import Crawler
from scrapy.http import Response

from harvester.crawl import wilson_urls as grammar
from harvester.crawl.spider import ListingSpider, SpiderArgumentError, positive_int
from harvester.parsing import ListingPage
from harvester.parsing.profile import parse_with_profile
from harvester.profiles import Profile, load_profile, profile_key


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
                url = grammar.validate_start_url(self.start_url_argument)
                shown = dict(parse_qsl(urlsplit(url).query)).get("items_per_page", "")
                if self.items_per_page is None and shown.isdigit() and int(shown) > 0:
                    self.page_size = int(shown)  # positions and "was that the last page?" without a count header
                return url
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
        """Selectors from the site's profiles (``data/profiles/wilson.toml``, ``wilson-old.toml``); the URL
        grammar stays in ``harvester.crawl.wilson_urls``."""
        selector = Selector(text=response.text, base_url=response.url)
        return parse_with_profile(selector, self.profile_for(response.url), response.url)

    def offload_parse(self, response: Response) -> tuple[Any, ...] | None:
        name = "wilson-old" if grammar.is_old_search(response.url) else "wilson"
        return _profile_key(name), response.text, response.url

    @staticmethod
    def profile_for(url: str) -> Profile:
        return _profile("wilson-old" if grammar.is_old_search(url) else "wilson")

    def page_number(self, url: str) -> int:
        return grammar.page_number(url)

    def with_page(self, url: str, page: int) -> str:
        return grammar.with_page(url, page)

    def first_page(self) -> int:
        return grammar.first_page(self.start_url)

    def is_newest_first(self) -> bool:
        """New uploads come first in the site's default order (``sort=uploaded``). Not with ``sort=date``
        (newest *document* date first): a new upload of a 1950 document lands mid-list, past the stop."""
        if grammar.is_old_search(self.start_url):
            return False
        sort = dict(parse_qsl(urlsplit(self.start_url).query)).get("sort_bef_combine")
        return sort in (None, grammar.SORTS["uploaded"])


@functools.cache
def _profile(name: str) -> Profile:
    return load_profile(name)


@functools.cache
def _profile_key(name: str) -> tuple[str, int, int]:
    return profile_key(name)
