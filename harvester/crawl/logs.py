"""Logging that costs nothing for what is not shown."""

from __future__ import annotations

import logging
from typing import Any

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
