"""``-s NAME=VALUE`` checked before anything is written: a value of the wrong type or out of range is one line
and exit 2, not a traceback after (or in the middle of) a crawl.

Each value is checked against the type of the setting's default (the harvester's, else Scrapy's) and, for
numbers, a range: nothing negative, and more than 0 or at most 1 where the setting needs it. Settings with no
default (a spider's own) are passed through as Scrapy would.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from harvester.errors import UsageError

_BOOLS = {"true": True, "false": False, "1": True, "0": False}
#: Numbers that must be more than 0 (a timeout, a concurrency, a window)
_POSITIVE = frozenset({
    "DOWNLOAD_TIMEOUT", "CONCURRENT_REQUESTS", "CONCURRENT_REQUESTS_PER_DOMAIN", "CONCURRENT_REQUESTS_PER_IP",
    "CONCURRENT_ITEMS", "AUTOTHROTTLE_TARGET_CONCURRENCY", "AUTOTHROTTLE_MAX_DELAY", "HARVESTER_SCHEDULE_AHEAD",
})
#: Shares: from 0 to 1
_SHARES = frozenset({"HARVESTER_MAX_FAILED_PAGE_RATIO", "HARVESTER_MAX_FAILED_DETAIL_RATIO", "DOWNLOAD_DELAY_JITTER"})
#: Numbers where Scrapy gives a negative value a meaning of its own
_SIGNED = frozenset({"DEPTH_PRIORITY", "RETRY_PRIORITY_ADJUST", "REDIRECT_PRIORITY_ADJUST"})


def check_settings(overrides: Mapping[str, Any], defaults: Any) -> None:
    """Raise :class:`UsageError` for the first ``-s`` value that cannot work (``defaults``: Scrapy Settings
    with the project's settings, before the overrides)."""
    for name, value in overrides.items():
        if name == "HARVESTER_CONTACT_URL" and isinstance(value, str) and _has_credentials(value):
            raise UsageError("the contact URL (--contact, HARVESTER_CONTACT_URL) must not carry credentials "
                             "(user:password@): it is sent in the User-Agent to every site crawled")
        if isinstance(value, str):
            problem = _problem(name, value, defaults.get(name))
            if problem:
                raise UsageError(f"-s {name}={value}: {problem}")


def _has_credentials(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return bool(parts.netloc) and "@" in parts.netloc


def _problem(name: str, value: str, default: Any) -> str | None:
    text = value.strip()
    if name == "LOG_LEVEL":
        level = logging.getLevelName(text.upper())
        return None if isinstance(level, int) else "not a log level (DEBUG, INFO, WARNING, ERROR, CRITICAL)"
    if isinstance(default, bool) or name == "HARVESTER_PROGRESS_TTY":
        if name == "HARVESTER_PROGRESS_TTY" and text == "":
            return None
        return None if text.lower() in _BOOLS else "expects True or False (or 1, 0)"
    if isinstance(default, int | float):
        # Scrapy reads timeouts and delays with getfloat whatever their default looks like
        whole = isinstance(default, int) and not any(w in name for w in ("TIMEOUT", "DELAY", "INTERVAL"))
        try:
            number = int(text) if whole else float(text)
        except ValueError:
            kind = "a whole number" if whole else "a number"
            return f"expects {kind}"
        if not math.isfinite(number):
            return "expects a finite number"
        if name in _SIGNED:
            return None
        if number < 0:
            return "must not be negative"
        if name in _POSITIVE and number <= 0:
            return "must be more than 0"
        if name in _SHARES and number > 1:
            return "is a share: from 0 to 1"
        return None
    if isinstance(default, list | tuple) and default and all(isinstance(x, int) for x in default):
        items = [x.strip() for x in text.split(",") if x.strip()]
        if not all(x.isdigit() for x in items):
            return "expects whole numbers separated by commas"
        return None
    if isinstance(default, dict | BaseSettings):
        try:
            parsed = json.loads(text)
        except ValueError:
            return "expects a JSON object"
        return None if isinstance(parsed, dict) else "expects a JSON object"
    return None
