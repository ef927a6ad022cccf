"""The generic spider: any listing site described by a profile (``harvester/profiles.py``, ``docs/profiles.md``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from parsel import Selector
from scrapy.crawler import Crawler
from scrapy.http import Response

from harvester.crawl.spider import ListingSpider, SpiderArgumentError
from harvester.crawl.worker_jobs import RowRecipe
from harvester.crawl.workers import worker_page
from harvester.parsing import ListingPage
from harvester.parsing.profile import parse_with_profile
from harvester.profiles import Profile, ProfileError, load_profile, packaged_profiles, profile_key

logger = logging.getLogger(__name__)


def _http_url(value: str, what: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SpiderArgumentError(f"{what} must be an http(s) URL with a host, got {value!r}")
    return value.strip()


class ProfileSpider(ListingSpider):
    """Harvest one listing of a site described by a profile.

    Arguments (``-a name=value`` with ``scrapy crawl profile``; ``harvester crawl --profile FILE --param
    name=value``):

    ``profile``    a profile file, or the name of a packaged one (``harvester/data/profiles/<name>.toml``)
    ``<param>``    each parameter the profile declares under ``[params]`` (validated as declared)
    ``start_url``  any listing URL of the site (a mirror, a replica): kept as is; excludes the parameters
    ``base_url``   scheme and host replacing the profile's ``start.base_url`` (also: the setting the profile
                   names in ``start.base_url_setting``)
    ``max_pages``  stop after this many listing pages
    ``details``    1: follow each new or changed result to its document page (the profile's ``[details]``)

    Records carry the profile's ``name`` as ``source``. The profile's ``[politeness]`` become Scrapy settings
    at "spider" priority: the project defaults yield to them, ``-s NAME=VALUE`` wins over them.
    """

    name = "profile"
    default_profile: str | None = None  # a site's spider names its profile here

    def __init__(self, profile: str | None = None, start_url: str | None = None, **kwargs: Any) -> None:
        if not profile:
            raise SpiderArgumentError(
                "profile: give a profile file or a packaged profile's name "
                f"(packaged: {', '.join(packaged_profiles()) or 'none'})"
            )
        try:
            self.profile: Profile = load_profile(profile)
            self.profile_key = profile_key(profile)  # the worker process reads pages with this very profile
        except ProfileError as error:
            raise SpiderArgumentError(str(error)) from None
        declared = self.profile.param_names
        host = kwargs.pop("base_url", None)
        given = {k: kwargs.pop(k) for k in list(kwargs) if k in declared}
        unknown = sorted(k for k in kwargs if not k.startswith("_") and k not in ("name", "max_pages", "details"))
        if unknown:
            raise SpiderArgumentError(
                f"profile {self.profile.label}: unknown parameter {', '.join(unknown)} "
                f"(declared: {', '.join(declared) or 'none'}; also start_url, base_url, max_pages, details)"
            )
        given = {k: v for k, v in given.items() if v is not None}
        self.start_url_argument = start_url
        self.base_url = _http_url(host, "base_url").rstrip("/") if host else self.profile.start.base_url
        if start_url and given:
            raise SpiderArgumentError(
                f"start_url excludes the profile's parameters ({', '.join(sorted(given))}): put them in the URL"
            )
        try:
            self.params = {} if start_url else self.profile.resolve_params(given)
        except ValueError as error:
            raise SpiderArgumentError(str(error)) from None
        self.page_size = self.profile.pagination.size
        self._next_seen: set[str] = set()
        kwargs["name"] = self.profile.name  # records' source and the output folder
        super().__init__(**kwargs)

    @classmethod
    def settings_arguments(cls, settings: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
        """The arguments with ``base_url`` taken from the setting the profile names (``start.base_url_setting``),
        when neither base_url nor start_url is given."""
        profile = kwargs.get("profile") or cls.default_profile
        if not profile or kwargs.get("base_url") or kwargs.get("start_url"):
            return kwargs
        try:
            setting = load_profile(profile).start.base_url_setting
        except ProfileError:
            return kwargs  # __init__ reports it
        if setting and settings.get(setting):
            return {**kwargs, "base_url": settings.get(setting)}
        return kwargs

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ProfileSpider:
        kwargs = cls.settings_arguments(crawler.settings, kwargs)
        spider = super().from_crawler(crawler, *args, **kwargs)
        assert isinstance(spider, ProfileSpider)
        spider.apply_politeness(crawler)
        return spider

    def apply_politeness(self, crawler: Crawler) -> None:
        """The profile's politeness settings, below the command line's (settings are frozen after this)."""
        wanted = self.profile.settings()
        if not wanted:
            return
        if crawler.settings.frozen:
            logger.warning("settings already frozen: the profile's politeness settings %s are not applied", wanted)
            return
        for name, value in wanted.items():
            crawler.settings.set(name, value, priority="spider")

    # --- the site's grammar, from the profile ---------------------------------------------------------------

    def build_start_url(self) -> str:
        if self.start_url_argument:
            return _http_url(self.start_url_argument, "start_url")
        if self.base_url is None:
            raise SpiderArgumentError(f"profile {self.profile.label}: no base_url (give -a base_url=URL)")
        return self.profile.build_url(self.params, self.base_url)

    def parse_page(self, response: Response) -> ListingPage:
        return parse_with_profile(Selector(text=response.text, base_url=response.url), self.profile, response.url)

    def offload_parse(self, response: Response, page: int) -> tuple[Any, ...] | None:
        recipe = RowRecipe(self.name, page, self.first_page(), self.page_size)
        return self.profile_key, worker_page(response), response.url, recipe

    def page_number(self, url: str) -> int:
        number = self.profile.page_number(url)
        return self.first_page() if number is None else number

    def with_page(self, url: str, page: int) -> str:
        return self.profile.with_page(url, page)

    def first_page(self) -> int:
        return self.profile.pagination.first

    def profile_for(self, url: str) -> Profile:
        return self.profile

    # --- next-link pagination -----------------------------------------------------------------------------

    def _next_pages(self, url: str, page: int, listing: ListingPage, *, fresh: bool = True) -> Iterator[scrapy.Request]:
        if self.profile.pagination.next is None:
            yield from super()._next_pages(url, page, listing, fresh=fresh)
            return
        target = listing.next_url
        if target is None or not listing.blocks or not fresh:
            return
        target = self._on_crawled_host(target)
        if target == url or target in self._next_seen:
            self.crawler.stats.inc_value("harvester/next_link_loops")
            logger.warning("%s: the next-page link leads back to %s; paging stops", url, target)
            return
        self._next_seen.add(target)
        if self._may_fetch(page + 1):
            yield self._page_request(target, page + 1)

    def _on_crawled_host(self, link: str) -> str:
        """A link to the profile's own host, rewritten onto the host being crawled (a mirror or a replica)."""
        canonical = urlsplit(self.profile.start.base_url or "")
        crawled = urlsplit(self.start_url)
        parts = urlsplit(link)
        if (parts.scheme, parts.netloc) == (canonical.scheme, canonical.netloc) != (crawled.scheme, crawled.netloc):
            return urlunsplit(parts._replace(scheme=crawled.scheme, netloc=crawled.netloc))
        return link
