"""Pages whose declared charset lies.

:class:`CharsetMiddleware`
    A page labelled UTF-8 whose bytes are not UTF-8 but are valid cp1252 (a classic server
    misconfiguration) is decoded as cp1252, counted (``harvester/text/charset_repaired``) and logged.
"""

from __future__ import annotations

import logging
import re

from scrapy.crawler import Crawler
from scrapy.http import Request, Response, TextResponse
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

logger = logging.getLogger(__name__)



_SINGLE_BYTE = frozenset(("cp1252", "windows1252", "latin1", "iso88591", "l1", "ascii", "usascii"))


class CharsetMiddleware:
    """Decode a page whose charset label lies, and say so.

    * labelled UTF-8, but the bytes are not UTF-8 and are valid cp1252 → decoded as cp1252;
    * labelled cp1252/latin-1 (or ASCII), but the bytes are valid UTF-8 with multi-byte sequences → decoded as
      UTF-8 (text in a single-byte charset practically never forms valid UTF-8 sequences by accident);
    * no charset anywhere (header, BOM, ``<meta>``) and not UTF-8 → cp1252, the web's default for unlabelled
      Western pages, when the bytes fit it. Scrapy would otherwise guess with charset-normalizer, which reads
      an English page with a few cp1252 bytes as cp1250 ("naïve" → "naďve") without a word.

    Each repair is counted (``harvester/text/charset_repaired``) and logged with the page. Bytes that fit
    neither are left to Scrapy's decoding (U+FFFD), counted as ``harvester/text/undecodable_pages`` and
    flagged again per record by the normalise pipeline.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CharsetMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, TextResponse):
            return response
        label = re.sub(r"[-_ ]", "", response.encoding.lower())
        body = response.body
        if not body.isascii() and not _declared_encoding(response):
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                try:
                    _as_cp1252(body)
                except UnicodeDecodeError:
                    logger.warning("%s: no charset declared, not UTF-8 nor cp1252: decoded as %s (a guess)",
                                   response.url, response.encoding)
                    self.crawler.stats.inc_value("harvester/text/charset_guessed")
                    return response
                return self._repaired(response, "cp1252", "no charset declared and not UTF-8")
            return response if label == "utf8" else self._repaired(response, "utf-8", "no charset declared")
        if label == "utf8":
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as error:
                try:
                    _as_cp1252(body)
                except UnicodeDecodeError:
                    self.crawler.stats.inc_value("harvester/text/undecodable_pages")
                    logger.warning("%s: labelled UTF-8 but is not (%s), nor provably cp1252: unreadable characters are "
                                   "kept as U+FFFD and flagged", response.url, error.reason)
                    return response
                return self._repaired(response, "cp1252", f"labelled UTF-8 but its bytes are cp1252 (byte "
                                      f"0x{body[error.start]:02x} at {error.start})")
        elif label in _SINGLE_BYTE and not body.isascii():
            try:
                body.decode("utf-8")
            except UnicodeDecodeError:
                return response
            return self._repaired(response, "utf-8", f"labelled {response.encoding} but its bytes are UTF-8")
        return response

    def _repaired(self, response: TextResponse, encoding: str, why: str) -> Response:
        if re.sub(r"[-_ ]", "", response.encoding.lower()) == encoding.replace("-", ""):
            return response
        self.crawler.stats.inc_value("harvester/text/charset_repaired")
        logger.warning("%s: %s; decoded as %s", response.url, why, encoding)
        return response.replace(encoding=encoding)


_HIGH_RUN = re.compile(rb"[\x80-\xff]{3,}")


def _as_cp1252(body: bytes) -> str:
    """``body`` as cp1252 when it provably is: it decodes, and its non-ASCII bytes stand alone or in pairs, as
    accents and typographic quotes do in Western text. A multi-byte charset (Shift-JIS, GBK, EUC) read as
    cp1252 makes runs of them ("“ú–{Œê"): that is not repaired into garbage
    (:class:`UnicodeDecodeError`)."""
    text = body.decode("cp1252")
    high = sum(1 for byte in body if byte >= 0x80)
    in_runs = sum(len(run) for run in _HIGH_RUN.findall(body))
    if high and in_runs > high // 5:
        raise UnicodeDecodeError("cp1252", body, 0, 1, "runs of non-ASCII bytes: a multi-byte charset")
    return text


def _declared_encoding(response: TextResponse) -> str | None:
    """The encoding the response itself states: Content-Type charset, BOM or ``<meta>`` (not a guess)."""
    header = response.headers.get(b"Content-Type", b"").decode("latin-1")
    bom, _ = read_bom(response.body)
    return http_content_type_encoding(header) or bom or html_body_declared_encoding(response.body)
