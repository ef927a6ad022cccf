"""The Wilson Center Digital Archive: a search of the current or the old site, every result page."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harvester.crawl.spiders.profile import ProfileSpider
from harvester.profiles import Profile, load_profile

#: The sort parameter's value that lists new uploads first (the site's default, as in ``wilson.toml``).
_NEWEST_UPLOADS = ("sort_bef_combine", "created_DESC")


class WilsonSpider(ProfileSpider):
    """Harvest one Wilson search.

    Domain
      Wilson Center Digital Archive (Cold War documents), digitalarchive.wilsoncenter.org; the domain no longer
      resolves: the replica ``harvester/data/demo/wilson`` serves its URL grammar and markup on 127.0.0.1.
    Profiles
      ``wilson.toml`` (the current site, ``/search?...&page=N``) and ``wilson-old.toml`` (the old site,
      ``/search-results/{page}/{json}``): a start URL on the old site's path picks the old profile.
    Spider arguments
      The ``wilson`` profile's parameters: ``query``, ``people``, ``places``, ``topics``, ``languages`` (facet
      node ids, comma-separated; people 81716 = Mao Zedong), ``sort`` (``uploaded`` or ``date``),
      ``items_per_page`` (10 or 100); or ``start_url`` (any search URL on any host, a mirror or the replica),
      which excludes them. Also ``base_url`` (default: the ``WILSON_BASE_URL`` setting) and ``max_pages``.
    Caveats
      Only ``sort=uploaded`` (the default) lists new records first, so only it stops an incremental run at the
      first page of known records.
    """

    name = "wilson"
    default_profile = "wilson"

    def __init__(self, start_url: str | None = None, items_per_page: Any = None, **kwargs: Any) -> None:
        old = bool(start_url) and _profile("wilson-old").page_number(start_url.strip()) is not None
        kwargs.pop("profile", None)
        if items_per_page is not None:
            kwargs["items_per_page"] = items_per_page
        super().__init__(profile="wilson-old" if old else "wilson", start_url=start_url, **kwargs)
        size = self.params.get("items_per_page") or _shown_page_size(self.start_url)
        if size:
            self.page_size = int(size)  # positions and "was that the last page?" without a count header

    def parse(self, response: Any, page: int | None = None, **kwargs: Any) -> Any:
        """A Wilson search page: one raw record per result row, and requests for the pages the count promises.

        ``scrapy check wilson`` runs this contract on the bundled replica (harvester/crawl/contracts.py): "mao
        zedong" has 21 results, 10 a page, so page 0 gives 10 records and asks for pages 1 and 2.

        @replica /search?search_api_fulltext=mao%20zedong
        @returns items 10 10
        @returns requests 2 2
        @scrapes source url listing_url position node_id date_raw title
        """
        return super().parse(response, page, **kwargs)

    def is_newest_first(self) -> bool:
        """New uploads come first in the site's default order. Not with ``sort=date`` (newest *document* date
        first): a new upload of a 1950 document lands mid-list, past the stop. The old site: never."""
        if self.profile.pagination.path is not None:
            return False
        key, newest = _NEWEST_UPLOADS
        return dict(parse_qsl(urlsplit(self.start_url).query)).get(key, newest) == newest


def _shown_page_size(url: str) -> int | None:
    shown = dict(parse_qsl(urlsplit(url).query)).get("items_per_page", "")
    return int(shown) if shown.isdigit() and int(shown) > 0 else None


@functools.cache
def _profile(name: str) -> Profile:
    return load_profile(name)
