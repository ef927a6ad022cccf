"""The baseline: a bare Scrapy spider that reads the same four fields as the harvester, and nothing more.

Default Scrapy stack, no item pipelines, no output (unless ``--out``, used only to stand in for the
harvester when testing the harness). It crawls like the harvester: page 0 first, then every other page at
once as soon as the "1 - 10 of N" count is known. At the end it prints one JSON line with its own stats.

    python -m benchmarks.bare_spider --url 'http://127.0.0.1:PORT/search?search_api_fulltext=bench' --pages 200
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urljoin

import scrapy
from parsel import Selector

_COUNT = re.compile(r"(\d[\d,]*)\s*-\s*(\d[\d,]*)\s+of\s+(\d[\d,]*)")


def _text(nodes: list[str]) -> str | None:
    text = " ".join(" ".join(nodes).split())
    return text or None


def extract_rows(selector: Selector, base_url: str) -> list[dict[str, str | None]]:
    """date, title, summary, url of every result row (rows scoped to the results table)."""
    rows = []
    for row in selector.css("table.table-striped tr"):
        link = row.css("td.document > a")
        if not link:
            continue
        href = link.attrib.get("href")
        rows.append(
            {
                "date": _text(row.css("td.date p::text").getall()),
                "title": _text(link.css("h3.sub-title span ::text").getall()),
                "summary": _text(link.css("div.text ::text").getall()),
                "url": urljoin(base_url, href) if href else None,
            }
        )
    return rows


def extract_total(selector: Selector) -> int | None:
    text = " ".join(selector.css("div.search-results-count ::text").getall())
    match = _COUNT.search(text)
    return int(match.group(3).replace(",", "")) if match else None


def page_url(start_url: str, page: int) -> str:
    return start_url if page == 0 else f"{start_url}&page={page}"


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, url: str, max_pages: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start_url = url
        self.max_pages = max_pages
        self.listing_pages = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url, callback=self.parse_first)

    def parse_first(self, response: scrapy.http.TextResponse) -> Iterator[Any]:
        yield from self.parse_page(response)
        total = extract_total(response.selector)
        if not total:
            self.logger.error("no result count on the first page: %s", response.url)
            return
        pages = (total + 9) // 10
        if self.max_pages:
            pages = min(pages, self.max_pages)
        for page in range(1, pages):
            yield scrapy.Request(page_url(self.start_url, page), callback=self.parse_page)

    def parse_page(self, response: scrapy.http.TextResponse) -> Iterator[dict[str, str | None]]:
        rows = extract_rows(response.selector, response.url)
        if rows:
            self.listing_pages += 1
        yield from rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bare_spider", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="first listing page (page 0)")
    parser.add_argument("--pages", type=int, default=0, help="crawl at most this many pages (0: all)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--out", help="write items as JSON lines here (only to impersonate the harvester)")
    args = parser.parse_args(argv)

    from scrapy.crawler import CrawlerProcess

    settings: dict[str, Any] = {
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": False,
        "LOG_LEVEL": "WARNING",
        "HTTPCACHE_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
    }
    if args.out:
        settings["FEEDS"] = {args.out: {"format": "jsonlines", "encoding": "utf-8", "overwrite": True}}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, url=args.url, max_pages=args.pages)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    spider = crawler.spider
    print(
        json.dumps(
            {
                "pages": getattr(spider, "listing_pages", 0),
                "records": stats.get("item_scraped_count", 0),
                "responses": stats.get("response_received_count", 0),
                "crawl_s": stats.get("elapsed_time_seconds"),
                "errors": stats.get("log_count/ERROR", 0),
            }
        ),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
