"""The last pipeline: stage each record in the run's journal; the run's files are written when it ends.

Staging (SQLite, committed with each page's done mark) rather than appending to the output file is what makes a run
resumable after ``kill -9``: see :mod:`harvester.storage.run`. The run itself belongs to
:class:`~harvester.crawl.run_keeper.RunKeeper`, which writes the run file from the journal when the crawl ends.
Scrapy's feed exports (``-O file.jsonl``, ``FEEDS``) get the records too, besides the tracked run.
"""

from __future__ import annotations

import json
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from harvester.crawl.run_keeper import RunKeeper
from harvester.pipelines.dedupe import dedupe_key
from harvester.pipelines.normalize import StatsTally

#: json.dumps(key, ensure_ascii=False) without building an encoder for every call (dumps does, given options)
_KEY_TEXT = json.JSONEncoder(ensure_ascii=False).encode


def item_key(record: dict[str, Any]) -> str:
    """The run's dedupe key as text (the journal's primary key for a record)."""
    return _KEY_TEXT(dedupe_key(record))


class JsonlWriterPipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.tally = StatsTally(crawler.stats)  # two counts a record, added to the stats in bulk

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlWriterPipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.run = RunKeeper.of(self.crawler).run  # started here, before the spider asks for it

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        run = self.run
        status, digest = run.classify(item)
        if not run.journal.stage(item_key(item), item, status, digest):
            self.stats.inc_value("harvester/resume/already_staged")
            raise DropItem("already harvested by this run before it was resumed", log_level="DEBUG")
        tally = self.tally
        if status is not None:
            tally.inc_value(f"harvester/{status}")
        if run.writes(status):
            tally.inc_value("harvester/records")
        tally.record_done()
        return item

    def close_spider(self) -> None:
        self.tally.flush()  # before spider_closed, where the run's outcome reads them
