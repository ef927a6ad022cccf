"""The downloader that keeps a crawl polite.

:class:`SlotLimitedDownloader` (the ``DOWNLOADER`` setting)
    Scrapy's downloader with ``CONCURRENT_REQUESTS_PER_DOMAIN`` actually enforced. With the asyncio reactor
    and ``DOWNLOAD_DELAY = 0``, Scrapy 2.19 sends a slot's whole queue at once: ``Downloader._process_queue``
    loops ``while slot.queue and slot.free_transfer_slots() > 0`` and hands each request to
    ``_schedule_coro(self._wait_for_download(...))``, which under asyncio only *creates a task*; the request
    joins ``slot.transferring`` when that task first runs, on a later loop iteration, so the free-slot count
    never drops inside the loop. (With a delay the loop sends one request and breaks, which hides the bug;
    under Twisted's reactor the coroutine runs at once, which hid it too.) Here a request counts as
    transferring from the moment it is dispatched. It can also *hold* a slot (no request to that host
    leaves until a time), which the retry middleware uses for ``Retry-After`` and backoff.
"""

from __future__ import annotations

from time import monotonic
from typing import Any

from scrapy.core.downloader import Downloader, Slot
from scrapy.crawler import Crawler
from scrapy.http import Request, Response
from scrapy.utils.asyncio import call_later
from twisted.internet.defer import Deferred


class SlotLimitedDownloader(Downloader):
    """Scrapy's downloader, with per-slot concurrency enforced under asyncio and slots that can be held."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._held_until: dict[str, float] = {}

    def _wait_for_download(self, slot: Slot, request: Request, queue_dfd: Deferred[Response]) -> Any:
        # Called synchronously by _process_queue for each request it dispatches; the coroutine it returns
        # runs later. Count the request as transferring now, so the dispatch loop sees the slot fill up.
        slot.transferring.add(request)
        return super()._wait_for_download(slot, request, queue_dfd)

    def hold(self, key: str, seconds: float) -> None:
        """Send nothing more through slot ``key`` for ``seconds`` (a longer hold already set wins)."""
        slot = self.slots.get(key)
        if slot is None or seconds <= 0:
            return
        until = monotonic() + seconds
        if until <= self._held_until.get(key, 0.0):
            return
        self._held_until[key] = until
        if slot.latercall:
            slot.latercall.cancel()
        slot.latercall = call_later(seconds, self._latercall, slot)
