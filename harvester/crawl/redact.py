"""Secrets stay out of the log: passwords in URLs and credential headers are masked."""

from __future__ import annotations

import logging
import re

from scrapy.crawler import Crawler

_SECRET_HEADER = re.compile(
    r"""(?P<name>\b(?:proxy-)?authorization|\bset-cookie|\bcookie)(?P<sep>['"]?\s*[:=]\s*\[?\s*(?:b?['"])?)"""
    r"""(?P<value>[^'"\],\r\n]+)""",
    re.IGNORECASE,
)


_URL_PASSWORD = re.compile(r"(?P<scheme>//[^/\s:@'\"]+:)[^@\s/'\"]+@")
# user:password@host without the "//" in front (a netloc or host name in an error message)
_NETLOC_PASSWORD = re.compile(
    r"(?<![\w.%+/-])(?P<user>(?!mailto:)[\w.%+-]+:)[^@\s/'\":]+@(?=[\w.-]+[:/\s'\"]|[\w.-]+$)"
)


def redact(text: str) -> str:
    """The text with header credentials (Authorization, Cookie, Set-Cookie) and URL passwords masked."""
    text = _SECRET_HEADER.sub(lambda m: f"{m['name']}{m['sep']}***", text)
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}***@", text)
    return _NETLOC_PASSWORD.sub(lambda m: f"{m['user']}***@", text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:  # a traceback quotes URLs and hosts too
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


_FILTER = _RedactingFilter()


def mask_at_source() -> None:
    """Mask every log record as it is made (a record factory), whatever handler shows it later: Scrapy
    installs its own root handler when the crawl starts, after any filter put on the handlers before."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "harvester_redacts", False):
        return

    def redacting(*args: object, **kwargs: object) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    redacting.harvester_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting)


class RedactSecrets:
    """Extension: mask credentials in every log line, as a second line of defence (the harvester itself never
    logs headers; Scrapy logs settings, URLs and errors, which may carry an ``Authorization`` or ``Cookie``
    value or a URL's password). Masks each record as it is made (:func:`mask_at_source`), and on the root
    handlers present before the crawl logs anything."""

    filter = _FILTER

    def __init__(self, crawler: Crawler) -> None:
        mask_at_source()
        for handler in logging.root.handlers:
            if self.filter not in handler.filters:
                handler.addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedactSecrets:
        return cls(crawler)
