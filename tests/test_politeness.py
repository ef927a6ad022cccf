"""Politeness where it is easy to lose: the fault server counts requests in flight per host and when each
arrived, and proves the configured limits hold (concurrency, delay, AutoThrottle, robots.txt)."""

from __future__ import annotations

import itertools

import pytest
from scrapy.settings import Settings

from harvester.devtools.faults import Fault
from tests.support.faults import crawl, fault_site, search_times, searches

pytestmark = pytest.mark.e2e

SLOW = {"search_api_fulltext": "slow"}


def slow_search(pages: int = 8, delay: float = 0.25) -> tuple[Fault, Fault]:
    """A generated search of ``pages`` pages whose every page takes ``delay`` seconds to answer."""
    return (
        Fault("serve", path="/search", query=SLOW, delay=delay),
        Fault("listing", path="/search", query=SLOW, total=pages * 10),
    )


def max_in_flight(server) -> int:
    return max(server.max_in_flight.values())


# --- CONCURRENT_REQUESTS_PER_DOMAIN -------------------------------------------------------------------------


def test_scrapys_own_downloader_overruns_the_per_domain_limit(tmp_path):
    """The upstream bug, reproduced: asyncio reactor, DOWNLOAD_DELAY = 0, limit 1 → many at once.

    If this starts failing, Scrapy fixed ``Downloader._process_queue`` and harvester.crawl.downloader.
    SlotLimitedDownloader can go (see docs/reliability.md)."""
    with fault_site(*slow_search()) as server:
        run = crawl(server, tmp_path, query="slow", settings={
            "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "DOWNLOADER": "scrapy.core.downloader.Downloader"})
    assert run.code == 0, run.log
    assert max_in_flight(server) > 1


@pytest.mark.parametrize("limit", [1, 3])
def test_the_per_domain_limit_is_never_exceeded(tmp_path, limit):
    with fault_site(*slow_search()) as server:
        run = crawl(server, tmp_path, query="slow", settings={"CONCURRENT_REQUESTS_PER_DOMAIN": str(limit)})
    assert run.code == 0, run.log
    assert len(run.records) == 80
    assert max_in_flight(server) == limit  # never more, and the limit is still used
    assert all(n == 1 for n in searches(server).values())


def test_retries_and_retry_after_do_not_break_the_limit(tmp_path):
    faults = (
        Fault("status", path="/search", query={**SLOW, "page": "2"}, status=503, times=1),
        Fault("status", path="/search", query={**SLOW, "page": "4"}, status=429, retry_after=1, times=1),
        *slow_search(delay=0.1),
    )
    with fault_site(*faults) as server:
        run = crawl(server, tmp_path, query="slow", settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "2"})
    assert run.code == 0, run.log
    assert len(run.records) == 80
    assert max_in_flight(server) <= 2


# --- delay, AutoThrottle ------------------------------------------------------------------------------------


def gaps(server) -> list[float]:
    times = search_times(server)
    return [b - a for a, b in itertools.pairwise(times)]


def test_download_delay_is_honoured(tmp_path):
    with fault_site() as server:
        run = crawl(server, tmp_path, settings={
            "DOWNLOAD_DELAY": "0.5", "DOWNLOAD_DELAY_JITTER": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    assert run.code == 0, run.log
    assert len(gaps(server)) == 2
    assert min(gaps(server)) >= 0.5 * 0.95
    # The replica's robots.txt (the real site's) disallows /search/ with a slash, not /search?...: read once.
    assert server.requests["/robots.txt"] == 1


def test_autothrottle_is_on_by_default_and_starts_slow(tmp_path):
    # AUTOTHROTTLE_ENABLED is not overridden: the project default (on) applies, with its start delay, although
    # DOWNLOAD_DELAY is 0.
    fast = {"DOWNLOAD_DELAY": "0", "DOWNLOAD_DELAY_JITTER": "0", "AUTOTHROTTLE_START_DELAY": "0.8",
            "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    with fault_site() as server:
        run = crawl(server, tmp_path, settings=fast | {"AUTOTHROTTLE_ENABLED": None})
    assert run.code == 0, run.log
    robots, *pages = [entry.started for entry in server.log]
    assert pages[0] - robots >= 0.8 * 0.95  # the start delay (robots.txt went through the same slot first)
    # ... then AutoThrottle adapts to the fast replica: halfway to its latency after the first answer.
    assert 0.3 <= pages[1] - pages[0] < 0.8 * 0.95


def test_project_defaults_are_polite():
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getfloat("DOWNLOAD_DELAY") >= 3
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getfloat("AUTOTHROTTLE_START_DELAY") >= 3
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert not settings.getbool("COOKIES_ENABLED")
    assert settings.get("DOWNLOADER") == "harvester.crawl.downloader.SlotLimitedDownloader"
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "harvester.crawl.retry.RetryAfterMiddleware" in middlewares
    assert 0 < settings.getfloat("HARVESTER_MAX_RETRY_AFTER") <= 3600
    assert 0 < settings.getint("DOWNLOAD_MAXSIZE") <= 64 * 1024 * 1024


# --- robots.txt ---------------------------------------------------------------------------------------------


def test_robots_txt_is_obeyed_by_default(tmp_path):
    robots = Fault("body", path="/robots.txt", body="User-agent: *\nDisallow: /search\n")
    with fault_site(robots) as server:
        run = crawl(server, tmp_path)  # ROBOTSTXT_OBEY is not overridden: the project default applies
    assert run.code == 1
    assert not searches(server)  # robots.txt was read; nothing else was fetched
    assert server.requests["/robots.txt"] == 1
    assert "forbidden by the site's robots.txt" in run.result.stderr
    assert run.records is None  # no record: no (empty) output file
