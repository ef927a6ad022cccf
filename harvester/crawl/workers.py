"""A process pool for the crawl's pure, CPU-heavy work, so that it runs beside the reactor, not in it.

At 0 ms latency a crawl is CPU-bound on one core: the reactor's process downloads, parses pages and runs the
pipelines. Two steps are pure and cost about as much as everything else a page needs: reading a listing page
with its profile (:func:`harvester.parsing.profile.parse_with_profile`) and normalising a record
(:func:`harvester.records.build_record` after mojibake repair). Once a crawl has done
``HARVESTER_NORMALIZE_WORKER_AFTER`` records itself (a crawl of a few pages never gets there), both go to a
:class:`concurrent.futures.ProcessPoolExecutor` of ``HARVESTER_NORMALIZE_WORKERS`` processes (1 by default, on
a machine with two or more cores; 0 keeps everything in the crawl's process), through the event loop's
``run_in_executor``. The jobs themselves are in :mod:`harvester.crawl.worker_jobs`, which imports no Scrapy.

One trip a page: the job that reads a listing page also builds its records (the spider says how it makes raw
items of the blocks: a :class:`~harvester.crawl.worker_jobs.RowRecipe`). The records wait here until the
normalise pipeline asks for them (:meth:`Workers.build`), which takes one only when the raw item the worker made
equals the one the spider yielded; any other raw item (a detail page joined, a spider or middleware that
changed it) is a job of its own. Jobs asked for in one turn of the loop go as one batch.

Nothing is lost to the pool: a job that raised there answers None and the caller does it in the crawl's
process, where the error is raised and handled as it always was; a pool that broke (a worker killed) hands
everything back for good, with one warning. Results are identical either way: the same functions on the same
inputs (``crawled_at`` is taken in the crawl's process; a profile file is checked unchanged before use; the
registry is loaded in the crawl's process and handed over at the pool's start).

The pool is started with ``forkserver`` (never ``fork``: the crawl runs threads), so a worker imports the
harvester, not the crawl's state. Like every ``multiprocessing`` child, it imports the script that started
the crawl as ``__mp_main__``: a script that calls ``CrawlerProcess`` needs the usual
``if __name__ == "__main__":`` guard (the ``harvester`` and ``scrapy`` commands and scrapyd have one).
Workers ignore Ctrl-C (the crawl finishes what is in flight) and exit when the crawl's process is gone, even
after ``kill -9``.
"""

from __future__ import annotations

import asyncio
import codecs
import logging
import multiprocessing
import os
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import TextResponse

from harvester.crawl.worker_jobs import (
    Built,
    Row,
    RowRecipe,
    build_job,
    page_job,
    run_batch,
    start_worker,
    usable_cpus,
)
from harvester.errors import RegistryError
from harvester.model import ListingPage
from harvester.normalize.names import Registry, default_registry

__all__ = ["Built", "RowRecipe", "Workers", "start_worker", "usable_cpus"]

logger = logging.getLogger(__name__)

#: Rows whose records a page job built, kept until their raw items reach the normalise pipeline (a bound: rows
#: that never do, from a page that failed after it was read, are dropped oldest first).
MAX_KEPT_ROWS = 4096


# --- in the crawl -------------------------------------------------------------------------------------------


def worker_page(response: TextResponse) -> str | bytes:
    """What of a listing page crosses to the worker: the bytes of a UTF-8 page (no encoding to cross, none for
    lxml: :mod:`harvester.parsing.utf8_page` reads them into the tree its text gives, or hands the page back),
    the text of any other."""
    try:
        utf8 = codecs.lookup(response.encoding).name == "utf-8"
    except LookupError:
        utf8 = False
    return response.body if utf8 else response.text


class Workers:
    """The crawl's pool (an extension: :meth:`of`). :meth:`call` gives a future of the answer, or of None:
    do it yourself. The pool starts once the crawl has done ``after`` jobs itself (:meth:`count`)."""

    def __init__(self, *, processes: int, after: int, registry_path: str | None) -> None:
        self.processes = processes
        self.after = after
        self.registry_path = registry_path
        self.pool: Executor | None = None
        self.broken = False
        self.done_here = 0
        self._batch: list[tuple[Callable[..., Any], tuple[Any, ...], asyncio.Future[Any]]] = []
        # (listing_url, position) -> the row a page job built, until the normalise pipeline asks for it
        self._rows: dict[tuple[Any, Any], Row] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Workers:
        settings = crawler.settings
        processes = settings.getint("HARVESTER_NORMALIZE_WORKERS") if usable_cpus() >= 2 else 0
        workers = cls(
            processes=max(0, processes),
            after=max(0, settings.getint("HARVESTER_NORMALIZE_WORKER_AFTER")),
            registry_path=settings.get("HARVESTER_PERSON_REGISTRY") or None,
        )
        crawler.signals.connect(workers.close, signal=signals.spider_closed)
        return workers

    @classmethod
    def of(cls, crawler: Crawler) -> Workers | None:
        return crawler.get_extension(cls)

    @property
    def usable(self) -> bool:
        return self.pool is not None and not self.broken

    def count(self, jobs: int = 1) -> None:
        """The crawl did ``jobs`` itself; start the pool once that reaches ``after``."""
        self.done_here += jobs
        if self.processes and self.pool is None and not self.broken and self.done_here >= self.after:
            try:
                registry = self._registry()
            except RegistryError as error:  # the file changed since the crawl read it: no pool, the crawl goes on
                logger.warning("no worker pool (%s): the crawl's own process does the work", error)
                self.broken = True
                return
            self.pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=start_worker,
                initargs=(os.getpid(), registry),
            )

    def _registry(self) -> Registry:
        """The registry the worker resolves names with, loaded here once and handed over when the pool starts
        (a worker that read the files itself would pay 0.27 s for it, and might read other files)."""
        return Registry.load(self.registry_path) if self.registry_path else default_registry()

    def build(self, raw: Mapping[str, Any], crawled_at: str | None) -> asyncio.Future[Built | None]:
        """The record of a raw item: the one its page's job built, when it was made of an equal raw item, or a
        job of its own."""
        row = self._rows.pop((raw.get("listing_url"), raw.get("position")), None)
        if row is None or row[0] != raw:
            return self._call(build_job, raw, crawled_at, self.registry_path)
        built = row[1]
        if built is not None:
            built[0]["crawled_at"] = crawled_at
        future: asyncio.Future[Built | None] = asyncio.get_running_loop().create_future()
        future.set_result(built)
        return future

    async def listing(
        self, profile: tuple[str, int, int], page: str | bytes, url: str, recipe: RowRecipe | None = None
    ) -> ListingPage | None:
        """The page read with its profile (None: read it yourself); with a ``recipe``, its records are built in
        the same trip and wait for :meth:`build`."""
        answer = await self._call(page_job, profile, page, url, recipe, self.registry_path)
        if answer is None:
            return None
        listing, rows = answer
        kept = self._rows
        for row in rows:
            kept[(row[0].get("listing_url"), row[0].get("position"))] = row
        while len(kept) > MAX_KEPT_ROWS:
            del kept[next(iter(kept))]
        return listing

    def _call(self, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._batch:
            loop.call_soon(self._flush, loop)
        self._batch.append((function, args, future))
        return future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._batch = self._batch, []
        if not self.usable:
            for *_, future in batch:
                future.set_result(None)
            return
        assert self.pool is not None
        try:
            answer = loop.run_in_executor(self.pool, run_batch, [(function, args) for function, args, _ in batch])
        except (BrokenExecutor, RuntimeError) as error:  # the pool already knew a worker died (or it shut down)
            failed: asyncio.Future[list[Any]] = loop.create_future()
            failed.set_exception(error)
            self._answered(failed, batch)
            return
        answer.add_done_callback(lambda done: self._answered(done, batch))

    def _answered(self, done: asyncio.Future[list[Any]], batch: list[Any]) -> None:
        error = None if done.cancelled() else done.exception()
        if done.cancelled() or error is not None:
            if not self.broken:
                logger.warning("the worker pool failed (%s): the crawl's own process does the rest", error)
            self.broken = True
            results: list[Any] = [None] * len(batch)
        else:
            results = done.result()
        for (*_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    def close(self, spider: Any = None, reason: str | None = None) -> None:
        self._rows.clear()
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
