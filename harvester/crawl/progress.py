"""Live progress: pages done of the total the count header promised, records, errors, a rate and an ETA.

On a terminal a ``rich`` live display (a spinner, a bar, the counts) stays at the bottom of the screen while
log lines scroll above it: every log handler that writes to the terminal is pointed at rich's console for the
duration, so a log line never lands on the bar's line. Off a terminal (cron, systemd, a pipe) a plain log line
every ``HARVESTER_PROGRESS_INTERVAL`` seconds (0: none).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from dataclasses import dataclass
from typing import Any, TextIO

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    done: int  # pages parsed or failed
    total: int | None  # pages to fetch, when a count header told; never below ``done``
    records: int
    errors: int
    elapsed: float

    @property
    def rate(self) -> float:
        """Pages a minute."""
        return self.done * 60 / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        if not self.total or not self.done:
            return None
        return (self.total - self.done) * self.elapsed / self.done

    def pages(self) -> str:
        return f"pages {self.done}/{self.total}" if self.total else f"pages {self.done}, total unknown"

    def line(self) -> str:
        eta = self.eta
        text = f"{self.pages()}, records {self.records}, errors {self.errors}, {self.rate:.1f} pages/min"
        text += f", elapsed {self.elapsed:.0f}s"
        if eta is not None:
            text += f", ETA {int(eta // 60)}m{int(eta % 60):02d}s"
        return text


def snapshot(stats: Any, elapsed: float) -> Snapshot:
    failed = int(stats.get_value("harvester/failed_pages", 0))
    done = int(stats.get_value("harvester/pages_parsed", 0)) + failed
    expected = stats.get_value("harvester/pages_expected")
    total = None
    if expected:
        # The spider may decide on pages past the count header's total (the check after a full last page, a
        # count that was wrong): those are pages to fetch too, so the count never runs past the total.
        total = max(int(expected), int(stats.get_value("harvester/pages_scheduled", 0)), done)
    records = int(stats.get_value("item_scraped_count", 0))  # records through every pipeline so far
    return Snapshot(done, total, records, failed, max(elapsed, 0.0))


class Progress:
    """The live display on a terminal, a periodic log line elsewhere."""

    def __init__(self, crawler: Crawler, stream: TextIO, interactive: bool, interval: float) -> None:
        self.crawler = crawler
        self.stream = stream
        self.interactive = interactive
        self.interval = interval
        self.started = time.monotonic()
        self.task: Any = None
        self._live: Any = None
        self._bar: Any = None
        self._swapped: list[tuple[logging.StreamHandler, Any]] = []
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        stream = sys.stderr
        interactive = is_terminal(crawler.settings, stream)
        interval = 0.5 if interactive else crawler.settings.getfloat("HARVESTER_PROGRESS_INTERVAL")
        return cls(crawler, stream, interactive, interval)

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        if self.interactive:
            self._start_live()
        if self.interval > 0:  # 0 (or less): no periodic line
            self.task = create_looping_call(self.report)
            self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self._live is not None:
            self.report()
            self._stop_live()

    def line(self, now: float | None = None) -> str:
        return self.snapshot(now).line()

    def snapshot(self, now: float | None = None) -> Snapshot:
        return snapshot(self.crawler.stats, (time.monotonic() if now is None else now) - self.started)

    def report(self) -> None:
        if self._live is not None:
            self._update_live()
        else:
            self.stream.write(f"harvester: progress: {self.line()}\n")
            self.stream.flush()

    # --- the live display ------------------------------------------------------------------------------------

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as Bar

        console = Console(file=self.stream, force_terminal=True)
        self._bar = Bar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._task_id = self._bar.add_task("pages 0, total unknown", total=None, detail="")
        # Log lines go through rich's console, which prints them above the live display.
        for handler in logging.root.handlers:
            if isinstance(handler, logging.StreamHandler) and getattr(handler, "stream", None) in (
                sys.stderr, sys.__stderr__, self.stream
            ):
                self._swapped.append((handler, handler.setStream(_ConsoleStream(console))))
        self._bar.start()
        self._live = self._bar

    def _update_live(self) -> None:
        snap = self.snapshot()
        eta = snap.eta
        detail = f"{snap.records} records, {snap.errors} errors, {snap.rate:.1f} pages/min"
        if eta is not None:
            detail += f", ETA {int(eta // 60)}m{int(eta % 60):02d}s"
        self._bar.update(self._task_id, description=snap.pages(), completed=snap.done, total=snap.total,
                         detail=detail)  # fmt: skip

    def _stop_live(self) -> None:
        with contextlib.suppress(Exception):
            self._bar.stop()
        for handler, stream in self._swapped:
            handler.setStream(stream)
        self._swapped.clear()
        self._live = None


class _ConsoleStream:
    """A file-like object for a log handler: each complete line is printed through rich's console (above the
    live display), never written raw onto the display's line."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        if "\n" in self._buffer:
            lines, self._buffer = self._buffer.rsplit("\n", 1)
            for line in lines.split("\n"):
                self.console.print(line, markup=False, highlight=False, emoji=False, soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        pass


def is_terminal(settings: Any, stream: TextIO) -> bool:
    """Whether ``stream`` is a person's terminal (``HARVESTER_PROGRESS_TTY`` forces it either way)."""
    forced = settings.get("HARVESTER_PROGRESS_TTY")  # None: ask the stream
    if forced is not None:
        return settings.getbool("HARVESTER_PROGRESS_TTY")
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
