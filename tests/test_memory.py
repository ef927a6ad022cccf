"""Memory that stays flat with the size of a crawl: pages requested a window at a time; one key per record."""

from __future__ import annotations

import pytest

from harvester.devtools.replay import ReplayServer
from harvester.pipelines.dedupe import DedupePipeline
from tests.support.cli import LOCAL, harvester, read_jsonl
from tests.support.paths import WILSON_SITE
from tests.support.runs import MAO, comparable


def test_dedupe_drops_a_document_seen_twice_by_id_or_by_content():
    from types import SimpleNamespace

    from scrapy.exceptions import DropItem
    from scrapy.settings import Settings
    from scrapy.statscollectors import MemoryStatsCollector

    stats = MemoryStatsCollector(SimpleNamespace(settings=Settings()))
    pipeline = DedupePipeline(stats)
    first = {"id": "wilson:1", "title": "A"}
    assert pipeline.process_item(first) is first
    assert pipeline.process_item({"id": "wilson:10", "title": "A"})  # another id: kept
    with pytest.raises(DropItem, match="wilson:1"):
        pipeline.process_item({"id": "wilson:1", "title": "B"})
    no_id = {"id": None, "title": "T", "date_raw": "1950", "summary": None}
    assert pipeline.process_item(no_id) is no_id
    with pytest.raises(DropItem):
        pipeline.process_item(dict(no_id))
    assert pipeline.process_item({**no_id, "summary": "other"})
    assert stats.get_value("harvester/duplicates") == 2


@pytest.mark.e2e
def test_pages_requested_one_at_a_time_give_the_same_records(tmp_path):
    with ReplayServer(WILSON_SITE) as base_url:
        runs = []
        for ahead in ("1", "256"):
            out = tmp_path / f"ahead-{ahead}.jsonl"
            site = ["-s", f"WILSON_BASE_URL={base_url}", *LOCAL, "-s", "LOG_LEVEL=INFO"]
            result = harvester("crawl", "wilson", "--query", MAO, "--out", str(out), *site,
                               "-s", f"HARVESTER_SCHEDULE_AHEAD={ahead}")  # fmt: skip
            assert result.code == 0, result.stderr
            assert "'harvester/pages_scheduled': 3," in result.stderr
            runs.append(read_jsonl(out))
    assert len(runs[0]) == 21
    assert comparable(runs[0]) == comparable(runs[1])


def test_the_collector_is_set_for_the_crawl_and_given_back_after_it():
    import gc

    from harvester.crawl.memory import crawl_collector

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    with crawl_collector(50_000):
        assert gc.get_threshold() == (50_000, *before[1:])
        assert gc.get_freeze_count() > frozen  # what was alive at the start is out of every collection's way
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen
    with crawl_collector(0):  # 0: Python's own threshold
        assert gc.get_threshold() == before
    assert gc.get_threshold() == before


def test_the_collector_is_given_back_when_the_crawl_raises():
    import gc

    import pytest

    from harvester.crawl.memory import crawl_collector

    before = gc.get_threshold()
    with pytest.raises(RuntimeError), crawl_collector(12_345):
        raise RuntimeError("the reactor failed")
    assert gc.get_threshold() == before
