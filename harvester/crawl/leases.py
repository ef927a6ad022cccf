"""Politeness across crawls and nodes: a crawl requests a host only while it holds that host's lease.

:class:`HostLeaseMiddleware` (a downloader middleware, before robots.txt) takes the lease of a host on the first
request to it (a row in the shared state: holder, expiry; ``harvester.storage.backends``), renews every lease it
holds every third of ``HARVESTER_HOST_LEASE_SECONDS`` (a looping call: one statement per beat, nothing per
request), and the run gives them back when it ends (:meth:`harvester.storage.run.Run.release`). A crawl that dies
keeps its leases until they expire, then any other crawl may take the host.

A host leased by another crawl: the crawl waits up to ``HARVESTER_HOST_LEASE_WAIT`` seconds for it, then stops
(finish reason ``host_busy``, exit code 75, ``harvester.errors.RETRY_LATER``) before it has requested anything
there. Why not wait for as long as it takes: the other crawl may run for hours (one host gives ~720 pages an hour
at the polite delay), and a waiting job holds a scrapyd slot and a cron slot doing nothing, while a scheduler that
sees "retry later" can run another job of another host in its place. Why not fail (exit 1): nothing went wrong, and
monitors must not page anyone. The run stays resumable (``--resume``) and nothing final is written.

A lease lost while crawling (this crawl stalled past its expiry and another took the host, or the state could not
be reached for a whole lease period) stops the crawl the same way: two crawls never request one host at once.
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import Any
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from scrapy.utils.asyncio import create_looping_call, sleep
from scrapy.utils.defer import deferred_from_coro

from harvester.crawl.run_keeper import RunKeeper
from harvester.storage.backends import HostLeases, storage_errors
from harvester.storage.run import HOST_BUSY

logger = logging.getLogger(__name__)


class HostBusy(IgnoreRequest):
    """Not requested: another crawl holds the host's lease (the run stops, resumable)."""


def lease_key(url: str) -> str:
    """What a lease is taken on: the host name, and the port when the URL gives one (``127.0.0.1:8000``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return f"{host}:{port}" if port else host


class HostLeaseMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.seconds = crawler.settings.getfloat("HARVESTER_HOST_LEASE_SECONDS")
        self.wait = crawler.settings.getfloat("HARVESTER_HOST_LEASE_WAIT")
        self._leases: HostLeases | None = None
        self._resolved = False
        self._heartbeat: Any = None
        self._renewed_at = monotonic()
        self._busy: str | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostLeaseMiddleware:
        return cls(crawler)

    def _host_leases(self) -> HostLeases | None:
        if not self._resolved:
            self._resolved = True
            if self.seconds > 0:
                self._leases = RunKeeper.of(self.crawler).run.host_leases(self.seconds)
            if self._leases is not None:
                self._heartbeat = create_looping_call(self.renew)
                self._heartbeat.start(self.seconds / 3, now=False)
        return self._leases

    async def process_request(self, request: Request) -> None:
        if self._busy is not None:
            raise HostBusy(self._busy)
        leases = self._host_leases()
        if leases is None:
            return
        host = lease_key(request.url)
        if host in leases.held:
            return
        deadline = monotonic() + self.wait
        holder = leases.acquire(host)
        while holder is not None and monotonic() < deadline:
            await sleep(min(1.0, max(0.0, deadline - monotonic())))
            holder = leases.acquire(host)
        if holder is None:
            logger.info("holding the lease on %s (%s, %.0f s, renewed while the crawl runs)", host, leases.holder,
                        self.seconds)  # fmt: skip
            return
        self.stop(f"{host} is being crawled by another harvester: {holder}")
        raise HostBusy(self._busy)

    def renew(self) -> None:
        """The heartbeat: extend every lease held; stop the crawl when one was lost."""
        leases = self._leases
        if leases is None or self._busy is not None:
            return
        try:
            lost = leases.renew()
        except storage_errors() as error:
            if monotonic() - self._renewed_at < self.seconds:
                logger.warning("could not renew the host leases (will try again): %s", error)
                return
            lost = sorted(leases.held)
            logger.warning("could not renew the host leases for %.0f s: %s", self.seconds, error)
        self._renewed_at = monotonic()
        if lost:
            self.stop(f"the lease on {', '.join(lost)} was lost (it expired before this crawl renewed it)")

    def stop(self, message: str) -> None:
        if self._busy is not None:
            return
        self._busy = message
        logger.warning("%s: stopping; the run is kept (--resume) and nothing final is written", message)
        RunKeeper.of(self.crawler).host_busy(message)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=HOST_BUSY))

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
