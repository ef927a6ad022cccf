"""Logging that costs nothing for what is not shown, and the quiet console of ``harvester crawl``."""

from __future__ import annotations

import logging
import sys
from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES

logger = logging.getLogger(__name__)


#: Scrapy's per-page and per-item DEBUG messages ("Crawled (200) ...", "Scraped from ...").
_CHATTY_LOGGERS = ("scrapy.core.engine", "scrapy.core.scraper")


def skip_unshown_debug(log_level: Any) -> None:
    """Scrapy leaves the root logger at NOTSET and filters by LOG_LEVEL in its handler, so every DEBUG message
    is built into a LogRecord and then thrown away: 11 a page here. Above DEBUG, let the two chatty loggers
    drop them before that (what is shown does not change)."""
    level = logging.getLevelName(str(log_level).upper()) if not isinstance(log_level, int) else log_level
    if not isinstance(level, int) or level <= logging.DEBUG:
        return
    for name in _CHATTY_LOGGERS:
        chatty = logging.getLogger(name)
        if chatty.level == logging.NOTSET:
            chatty.setLevel(min(level, logging.INFO))


class _NotRepeatedByTheCli(logging.Filter):
    """The run's problems are logged (for log files) and then printed by ``harvester crawl`` as
    ``harvester: error: ...`` lines: on the console they appear once, as those lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "harvester_problem", False)


def install_cli_logging(settings: Any, *, terminal: bool) -> None:
    """The log of ``harvester crawl``: a quiet console on a terminal, everything asked for in ``LOG_FILE``.

    * On a terminal without ``-L``/``--log-level``: warnings and errors only (with the live display and the
      summary line): Scrapy's start-up lines and its stats dump stay off the screen (the stats are in the
      run's manifest).
    * ``--log-file FILE`` (``LOG_FILE``): the whole log at ``LOG_LEVEL`` (default INFO) goes to FILE; the console
      still shows warnings and errors.
    * Off a terminal without a log file: the log at ``LOG_LEVEL`` on stderr, as Scrapy does (cron, systemd and
      scrapyd keep the record).
    * ``--nolog`` (``LOG_ENABLED=False``): no log at all; the summary and its error lines are still printed.
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.NOTSET)
    level = _level(settings.get("LOG_LEVEL"))
    explicit = settings.getpriority("LOG_LEVEL") >= SETTINGS_PRIORITIES["cmdline"]
    formatter = logging.Formatter(fmt=settings.get("LOG_FORMAT"), datefmt=settings.get("LOG_DATEFORMAT"))
    shown = []
    if not settings.getbool("LOG_ENABLED"):
        root.addHandler(logging.NullHandler())
        return
    log_file = settings.get("LOG_FILE")
    if log_file:
        mode = "a" if settings.getbool("LOG_FILE_APPEND") else "w"
        file_handler = logging.FileHandler(log_file, mode=mode, encoding=settings.get("LOG_ENCODING"))
        file_handler.setLevel(level)
        file_handler.setFormatter(formatter)
        root.addHandler(file_handler)
        shown.append(level)
    console = logging.StreamHandler(sys.stderr)  # the live display points it at rich's console
    console_level = logging.WARNING if log_file or (terminal and not explicit) else level
    console.setLevel(console_level)
    console.setFormatter(formatter)
    console.addFilter(_NotRepeatedByTheCli())
    root.addHandler(console)
    shown.append(console_level)
    skip_unshown_debug(min(shown))


def _level(value: Any) -> int:
    if isinstance(value, int):
        return value
    level = logging.getLevelName(str(value).upper())
    return level if isinstance(level, int) else logging.INFO

