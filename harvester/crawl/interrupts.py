"""Ctrl-C and SIGTERM at any moment of ``harvester crawl``: one line, exit 130, nothing damaged.

Scrapy installs its shutdown handlers only once the reactor runs. A Ctrl-C before that (the first second of a
crawl: building the crawler, starting the run, opening the spider) raised ``KeyboardInterrupt`` inside whatever
code ran, often a Deferred of the start-up, and printed ~100 lines of ``Unhandled error in Deferred``.
:class:`Interrupts` takes SIGINT and SIGTERM (and Windows' SIGBREAK) before the crawl is built, instead of
Scrapy and Twisted (the crawl is started with ``install_signal_handlers=False``), and keeps them until the
process exits:

* before the crawl is built: :meth:`check` raises ``KeyboardInterrupt`` where the CLI can say "interrupted";
* while the engine starts: the signal is remembered and acted on as soon as the engine runs (it is looked at
  every :data:`STARTING_POLL` seconds until then);
* while it runs: a graceful stop (``Crawler.stop_async``): the spider closes with finish reason ``shutdown``,
  the run keeps its journal for ``--resume`` and writes nothing final;
* while the run's files are written (a spider_closed handler, synchronous): the stop waits for the reactor,
  so the finish is never cut in half; a run that finished keeps its own exit code;
* a second signal stops the reactor at once: the journal holds what was done, as after ``kill -9``;
* once the outcome is printed (:meth:`done`): ignored, so the exit code stays the run's.
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro

STARTING_POLL = 0.05  # seconds between looks at an engine that is still starting

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name))


class Interrupts:
    """The process's shutdown signals, counted; what each one does depends on how far the crawl got."""

    def __init__(self) -> None:
        self.count = 0
        self._crawler: Crawler | None = None
        self._reactor: Any = None
        self._stopping = False

    def install(self) -> Interrupts:
        for signum in SIGNALS:
            signal.signal(signum, self._received)
        return self

    def done(self) -> None:
        """The run is over and said so: from here a signal is ignored. Python gives a signal its default action
        again in the last moments of its exit, and a Ctrl-C then killed a process whose run had finished and
        written everything (exit -2); an ignored signal keeps that. The exit itself is short (the worker pool
        goes with its parent)."""
        for signum in SIGNALS:
            signal.signal(signum, signal.SIG_IGN)

    def check(self) -> None:
        """Before the crawl exists there is nothing to stop gracefully: the CLI's own ``except``."""
        if self.count:
            raise KeyboardInterrupt

    def watch(self, crawler: Crawler, reactor: Any) -> None:
        """The crawl to stop (its reactor is installed by now); a signal that came before is acted on once the
        reactor runs."""
        self._crawler, self._reactor = crawler, reactor
        if self.count:
            reactor.callFromThread(self._act)

    def _received(self, signum: int, frame: Any) -> None:
        # A signal handler only counts and hands over to the reactor (safe from a handler: callFromThread); it
        # never raises into the code it interrupted.
        self.count += 1
        if self._reactor is not None:
            self._reactor.callFromThread(self._act)

    def _act(self) -> None:
        if self.count >= 2:
            with contextlib.suppress(RuntimeError):  # already stopping
                self._reactor.stop()
            return
        crawler = self._crawler
        try:
            running = crawler.engine.running
        except RuntimeError:  # the engine is not built yet
            running = False
        if running and not self._stopping:
            self._stopping = True
            deferred_from_coro(crawler.stop_async())
        elif not running and not self._stopping:
            # Not running yet (the crawl is being started or is opening the spider) or not any more (finishing):
            # ask again in a moment. One that never runs again never acts: a finished run keeps its exit code.
            self._reactor.callLater(STARTING_POLL, self._act)
