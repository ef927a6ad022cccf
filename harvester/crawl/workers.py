"""A process pool for the crawl's pure, CPU-heavy work, so that it runs beside the reactor, not in it.

At 0 ms latency a crawl is CPU-bound on one core: the reactor's process downloads, parses pages and runs the
pipelines. Two steps are pure and cost about as much as everything else a page needs: reading a listing page
with its profile (:func:`harvester.parsing.profile.parse_with_profile`) and normalising a record
(:func:`harvester.records.build_record` after mojibake repair). Once a crawl has done
``HARVESTER_NORMALIZE_WORKER_AFTER`` records itself (a crawl of a few pages never gets there), both go to a
:class:`concurrent.futures.ProcessPoolExecutor` of ``HARVESTER_NORMALIZE_WORKERS`` processes (1 by default, on
a machine with two or more cores; 0 keeps everything in the crawl's process), through the event loop's
``run_in_executor``. Jobs asked for in one turn of the loop (a page's rows) go as one batch, so the pickling
costs little.

Nothing is lost to the pool: a job that raised there answers None and the caller does it in the crawl's
process, where the error is raised and handled as it always was; a pool that broke (a worker killed) hands
everything back for good, with one warning. Results are identical either way: the same functions on the same
inputs (``crawled_at`` is taken in the crawl's process; a profile file is checked unchanged before use).

The pool is started with ``forkserver`` (never ``fork``: the crawl runs threads), so a worker imports the
harvester, not the crawl's state. Like every ``multiprocessing`` child, it imports the script that started
the crawl as ``__mp_main__``: a script that calls ``CrawlerProcess`` needs the usual
``if __name__ == "__main__":`` guard (the ``harvester`` and ``scrapy`` commands and scrapyd have one).
Workers ignore Ctrl-C (the crawl finishes what is in flight) and exit when the crawl's process is gone, even
after ``kill -9``.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: A record job's answer: the record, the fields whose mojibake was repaired, the fields holding U+FFFD.
Built = tuple[dict[str, Any], list[str], list[str]]


# --- in a worker --------------------------------------------------------------------------------------------


def start_worker(crawl: int) -> None:
    """A worker ignores Ctrl-C (the crawl finishes what is in flight) and exits when the crawl is gone: the
    pool's queues do not tell it (every worker holds both ends of them), so it watches the crawl's pid."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch, args=(crawl,), name="harvester-crawl-watch", daemon=True).start()


def _watch(crawl: int) -> None:
    while True:
        time.sleep(0.5)
        try:
            os.kill(crawl, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # the pid now belongs to another user's process: the crawl is gone
            os._exit(0)


def build_job(raw: Mapping[str, Any], crawled_at: str | None, registry_path: str | None) -> Built:
    from harvester.normalize.names import Registry, default_registry
    from harvester.records import build_record, repair_fields

    registry = Registry.load(registry_path) if registry_path else default_registry()
    item, repaired, unreadable = repair_fields(raw)
    return build_record(item, crawled_at=crawled_at, registry=registry), repaired, unreadable


def listing_job(profile: tuple[str, int, int], text: str, url: str) -> Any:
    from parsel import Selector

    from harvester.parsing.profile import parse_with_profile
    from harvester.profiles import load_profile_key

    loaded = load_profile_key(profile)
    if loaded is None:  # the file changed since the crawl loaded it: the crawl parses this page itself
        return None
    return parse_with_profile(Selector(text=text, base_url=url), loaded, url)


def run_batch(jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Any]:
    out = []
    for function, args in jobs:
        try:
            out.append(function(*args))
        except Exception:  # done again, and raised, in the crawl's process
            out.append(None)
    return out


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# --- in the crawl -------------------------------------------------------------------------------------------


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
            self.pool = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("forkserver"),
                initializer=start_worker,
                initargs=(os.getpid(),),
            )

    def build(self, raw: Mapping[str, Any], crawled_at: str | None) -> asyncio.Future[Built | None]:
        return self._call(build_job, raw, crawled_at, self.registry_path)

    def listing(self, profile: tuple[str, int, int], text: str, url: str) -> asyncio.Future[Any]:
        return self._call(listing_job, profile, text, url)

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
        answer = loop.run_in_executor(self.pool, run_batch, [(function, args) for function, args, _ in batch])
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
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
