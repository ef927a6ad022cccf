"""``scrapy parse``: the spider's callback on one page, with no run written into ``output/`` and no Deferred."""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from typing import Any

from scrapy.commands.parse import Command as ScrapyParse
from scrapy.http import Request, Response
from scrapy.spiders import Spider
from scrapy.utils.defer import maybe_deferred_to_future

from harvester.crawl.commands import no_run_files


class Command(ScrapyParse):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        no_run_files(self.settings)

    def prepare_request(self, spider: Spider, request: Request, opts: argparse.Namespace) -> Request:
        request = super().prepare_request(spider, request, opts)
        scrapy_callback = request.callback  # returns a Deferred: deprecated as a callback's result

        async def callback(response: Response, **cb_kwargs: Any) -> AsyncIterator[Any]:
            for output in await maybe_deferred_to_future(scrapy_callback(response, **cb_kwargs)) or []:
                yield output

        request.callback = callback
        return request
