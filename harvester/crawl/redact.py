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


def redact(text: str) -> str:
    """The text with header credentials (Authorization, Cookie, Set-Cookie) and URL passwords masked."""
    text = _SECRET_HEADER.sub(lambda m: f"{m['name']}{m['sep']}***", text)
    return _URL_PASSWORD.sub(lambda m: f"{m['scheme']}***@", text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class RedactSecrets:
    """Extension: mask credentials in every log line, as a second line of defence (the harvester itself never
    logs headers; Scrapy logs settings, URLs and errors, which may carry an ``Authorization`` or ``Cookie``
    value or a URL's password). Installed on the root log handlers before the crawl logs anything."""

    filter = _RedactingFilter()

    def __init__(self, crawler: Crawler) -> None:
        for handler in logging.root.handlers:
            if self.filter not in handler.filters:
                handler.addFilter(self.filter)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedactSecrets:
        return cls(crawler)
