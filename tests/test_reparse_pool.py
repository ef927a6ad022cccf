"""Reparse on every core (harvester.crawl.reparse_pages): the same records, counts and failures as in one
process, in the same order, and a pool that breaks hands the rest of the pages back to this process."""

from __future__ import annotations

from concurrent.futures.process import BrokenProcessPool

import pytest

from harvester.cli import _spider_classes
from harvester.crawl import reparse_pages
from harvester.crawl.reparse import Tally, build_spider, capture_info, reparse
from harvester.normalize.names import default_registry
from tests.support.runs import captured_details_crawl, run_files

pytestmark = [pytest.mark.e2e]


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    """A tracked ``--details`` crawl of "mao zedong" (3 listing pages, 21 document pages), captured."""
    out = tmp_path_factory.mktemp("pool")
    result, _requests = captured_details_crawl(out)
    assert result.code == 0, result.stderr
    _records, manifest = run_files(out)
    return out / "wilson" / manifest["captures"][0]["path"]


def _reparse(warc, processes):
    info = capture_info([warc])
    tally = Tally()
    spider = build_spider(info, _spider_classes())
    records = list(reparse([warc], spider, default_registry(), tally, arguments=info.get("arguments") or {},
                           processes=processes))  # fmt: skip
    return records, tally


@pytest.mark.parametrize("method", ["fork", "forkserver"])
def test_a_pool_gives_the_records_counts_and_failures_of_one_process(capture, monkeypatch, method):
    monkeypatch.setattr(reparse_pages, "MIN_PAGES_FOR_POOL", 1)  # the replica's search has 3 pages
    monkeypatch.setattr(reparse_pages, "_start_method", lambda: method)
    alone, alone_tally = _reparse(capture, 1)
    pooled, pooled_tally = _reparse(capture, 2)
    assert len(alone) == 21
    assert pooled == alone  # every field, crawled_at included (both from the WARC), in page order
    assert pooled_tally.counts == alone_tally.counts
    assert pooled_tally.counts["harvester/details/fetched"] == 21
    assert (pooled_tally.failed_pages, pooled_tally.failed_details) == (alone_tally.failed_pages,
                                                                      alone_tally.failed_details)


def test_a_capture_of_few_pages_is_read_without_a_pool(capture, monkeypatch):
    def no_pool(*args, **kwargs):
        raise AssertionError("a pool was started for 3 pages")

    monkeypatch.setattr(reparse_pages, "ProcessPoolExecutor", no_pool)
    records, _ = _reparse(capture, 8)
    assert len(records) == 21


class _Pool:
    def __init__(self):
        self.shut = False

    def shutdown(self, **kwargs):
        self.shut = True


def test_a_pool_that_breaks_hands_the_other_pages_to_this_process(capture, caplog):
    info = capture_info([capture])
    spider = build_spider(info, _spider_classes())
    registry = default_registry()
    from harvester.crawl.reparse import listing_pages
    from harvester.storage.warc import read_exchanges

    pages = listing_pages(read_exchanges(capture, lambda _warning: None))
    first = reparse_pages.read_listing(spider, registry, *pages[0])

    def broken_after_one():
        yield first
        raise BrokenProcessPool("a worker was killed")

    pool = _Pool()
    reads = list(reparse_pages._closing(pool, broken_after_one(), pages, spider, registry))
    expected = [reparse_pages.read_listing(spider, registry, *page) for page in pages]
    assert [[r for _, r, _, _ in read.built] for read in reads] == [[r for _, r, _, _ in e.built] for e in expected]
    assert pool.shut
    assert "this process reads the other 2 pages" in caplog.text
