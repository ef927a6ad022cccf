"""Keep every page: each response the crawl receives goes into the run's WARC file (``HARVESTER_CAPTURE``).

Listening to Scrapy's public ``response_received`` signal, this sees every response after the downloader
middlewares (retries, redirects, decompression, charset repair): what the parsers read, robots.txt included.
The file and its format are :mod:`harvester.storage.warc`'s; where it lives is the run plan's
(``RunPlan.capture_path``), and the run's manifest lists it with its SHA-256 (``storage/run.py``).
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

from harvester.crawl.details import DETAIL_OF
from harvester.crawl.redact import redact
from harvester.crawl.run_keeper import RunKeeper
from harvester.storage.warc import CaptureWriter

logger = logging.getLogger(__name__)

#: Request headers whose values never go into a capture (a WARC file is shared more widely than a log).
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})


class WarcCapture:
    def __init__(self, crawler: Crawler, wanted: bool | None) -> None:
        self.crawler = crawler
        self.wanted = wanted
        self.writer: CaptureWriter | None = None
        self.off = False
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        wanted = crawler.settings.get("HARVESTER_CAPTURE")
        if wanted is not None and not crawler.settings.getbool("HARVESTER_CAPTURE"):
            raise NotConfigured("HARVESTER_CAPTURE is off")
        if not crawler.settings.getbool("HARVESTER_RUN_FILES"):
            raise NotConfigured("no run files (scrapy parse / check): nothing to capture into")
        return cls(crawler, None if wanted is None else True)

    def _open(self) -> CaptureWriter | None:
        run = RunKeeper.of(self.crawler).run
        if self.wanted is None and not run.plan.tracked:
            self.off = True  # the default: tracked runs only
            return None
        spider = self.crawler.spider
        path = run.plan.capture_path(run.run_id, run.sessions)
        info = {
            "spider": spider.name if spider is not None else None,
            "spider_name": type(spider).name if spider is not None else None,  # the registered spider (class name)
            "arguments": dict(getattr(spider, "arguments", {}) or {}),
            "source": run.plan.source,
            "run_id": run.run_id,
            "session": run.sessions,
        }
        logger.info("capturing every response into %s", path)
        return CaptureWriter(path, info)

    def response_received(self, response: Response, request: Request, spider: Any = None) -> None:
        if self.off:
            return
        if self.writer is None:
            self.writer = self._open()
            if self.writer is None:
                return
        callback = request.callback
        context = {
            "page": request.cb_kwargs.get("page"),
            "callback": getattr(callback, "__name__", None) if callable(callback) else callback,
        }
        if request.meta.get(DETAIL_OF):  # a document page (--details): the record it was fetched for
            context["record"] = request.meta[DETAIL_OF]
        self.writer.write(
            url=redact(response.url),
            method=request.method,
            request_headers=_pairs(request.headers, secret=SECRET_HEADERS),
            request_body=request.body,
            status=response.status,
            headers=_pairs(response.headers),
            body=response.body,
            context=context,
        )
        self.crawler.stats.inc_value("harvester/captured_responses")

    def spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if self.writer is not None:
            self.writer.close()


def _pairs(headers: Any, secret: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    pairs = []
    for name, values in headers.items():
        text = name.decode("latin-1")
        for value in values:
            pairs.append((text, "[redacted]" if text.lower() in secret else value.decode("latin-1")))
    return pairs
