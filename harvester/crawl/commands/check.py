"""``scrapy check``: the spiders' contracts (against the bundled replica), with no run written into ``output/``."""

from __future__ import annotations

import argparse

from scrapy.commands.check import Command as ScrapyCheck

from harvester.crawl.commands import no_run_files


class Command(ScrapyCheck):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        no_run_files(self.settings)
