"""The pieces of ``--details`` that need no crawl: the spider argument, "did this row change?", the journal's
kept document pages, the state's stored records, the content hash, the outcome's rule and reading 1.2.0
records as 1.3.0 ones."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
import scrapy
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from harvester.crawl.details import listing_unchanged, wanted
from harvester.crawl.outcome import FAILED, OK, decide_outcome
from harvester.crawl.spiders.auto import AutoSpider
from harvester.crawl.spiders.wilson import WilsonSpider
from harvester.errors import SpiderArgumentError
from harvester.model import DOCUMENT_LISTS, DOCUMENT_TEXT_FIELDS
from harvester.pipelines.validate import record_errors
from harvester.products.data import read_manifest, read_records
from harvester.records import FIELDS, SCHEMA_VERSION, build_record, repair_fields, upgraded
from harvester.storage.journal import Journal
from harvester.storage.state import StateStore, content_hash
from tests.support.paths import REPO

RAW = {
    "source": "wilson",
    "id": "wilson:telegram-shtykov-vyshinsky",
    "url": "https://digitalarchive.wilsoncenter.org/document/telegram-shtykov-vyshinsky",
    "listing_url": "https://digitalarchive.wilsoncenter.org/search?search_api_fulltext=korea",
    "page": 0,
    "position": 1,
    "node_id": "112130",
    "date_raw": "June 26, 1950",
    "title": "Telegram from Shtykov to Vyshinsky",
    "summary": "Shtykov reports the start of the war.",
}
HOST = "https://digitalarchive.wilsoncenter.org"


def details(host: str = HOST) -> dict:
    out = {"url": f"{host}/document/telegram-shtykov-vyshinsky", **dict.fromkeys(DOCUMENT_TEXT_FIELDS)}
    out.update({name: [] for name in DOCUMENT_LISTS})
    out.update(doc_type="Telegram", record_id="112130", title=RAW["title"])
    out["people"] = [{"name": "Shtykov, Terenty", "url": f"{host}/people/shtykov-terenty"}]
    return out


@pytest.mark.parametrize(("given", "flag"), [(None, False), ("", False), ("0", False), ("false", False),
                                             ("1", True), ("true", True), ("Yes", True), (True, True)])
def test_the_details_argument_is_a_flag(given, flag):
    assert wanted(given) is flag


def test_a_details_argument_that_is_no_flag_is_refused():
    with pytest.raises(SpiderArgumentError, match="details must be 1 or 0"):
        wanted("please")


def test_details_is_refused_for_a_spider_without_document_pages_and_keys_its_own_job():
    with pytest.raises(SpiderArgumentError, match=r"declares its document pages \(\[details\]"):
        AutoSpider(start_url="http://127.0.0.1:9/listing", details="1")
    with pytest.raises(SpiderArgumentError, match=r"\[details\]"):  # the old site's profile has none
        WilsonSpider(start_url="http://127.0.0.1:9/search-results/1/%7B%7D", details="1")
    plain, detailed = WilsonSpider(query="mao"), WilsonSpider(query="mao", details="1")
    assert "details" not in plain.job_arguments()  # jobs without --details keep the keys they had
    assert detailed.job_arguments() == {**plain.job_arguments(), "details": True}


def test_a_row_is_unchanged_when_its_listing_fields_are():
    stored = build_record(RAW, crawled_at="2025-01-02T03:04:05Z")
    assert listing_unchanged({**RAW, "page": 3, "position": 7, "url": "http://127.0.0.1:8000/x"}, stored)
    assert not listing_unchanged({**RAW, "title": RAW["title"] + "."}, stored)
    assert not listing_unchanged({**RAW, "summary": None}, stored)
    assert not listing_unchanged({**RAW, "extra": {"box": "3"}}, stored)
    mojibake = {**RAW, "summary": RAW["summary"].replace("war", "warâ€™s")}
    fixed, repaired, _ = repair_fields(mojibake)
    assert repaired == ["summary"]
    assert listing_unchanged(mojibake, build_record(fixed, crawled_at=None))  # after the repair the record had


def test_a_record_with_details_is_valid_and_one_without_has_them_null():
    plain = build_record(RAW, crawled_at="2025-01-02T03:04:05Z")
    assert (plain["details"], plain["doc_type_archive"]) == (None, None)
    assert list(plain) == [*FIELDS, *(["_date_error"] if "_date_error" in plain else [])]
    joined = build_record({**RAW, "details": details()}, crawled_at="2025-01-02T03:04:05Z")
    assert joined["doc_type_archive"] == "Telegram"
    assert joined["details"]["people"][0]["name"] == "Shtykov, Terenty"
    assert record_errors(plain) == []
    assert record_errors(joined) == []
    broken = {**joined, "details": {**joined["details"], "surprise": "x"}}
    assert any(e.startswith("$.details") for e in record_errors(broken))


def test_the_content_hash_of_a_record_without_details_is_what_it_was_and_ignores_hosts():
    plain = build_record(RAW, crawled_at=None)
    before = {k: v for k, v in plain.items() if k not in ("details", "doc_type_archive")}
    assert content_hash(plain) == content_hash(before)  # records of 1.2.0 runs stay "unchanged"
    here = build_record({**RAW, "details": details()}, crawled_at=None)
    mirror = build_record({**RAW, "details": details("http://127.0.0.1:8765")}, crawled_at=None)
    assert content_hash(here) == content_hash(mirror)
    assert content_hash(here) != content_hash(plain)
    other = build_record({**RAW, "details": {**details(), "doc_type": "Cable"}}, crawled_at=None)
    assert content_hash(other) != content_hash(here)


def test_the_journal_keeps_each_document_page_at_once_and_after_a_reopen(tmp_path):
    journal = Journal.create(tmp_path / "job", {"job_key": "k", "run_id": "r", "started_at": "x"})
    journal.keep_details("wilson:a", "http://h/document/a", details(), None)
    journal.keep_details("wilson:b", "http://h/document/b", None, "HTTP 404")
    journal.conn.close()  # no close(): what a kill leaves
    again = Journal.open(tmp_path / "job", "k")
    kept = again.kept_details(["wilson:a", "wilson:b", "wilson:c"])
    assert kept == {"wilson:a": ("http://h/document/a", details(), None),
                    "wilson:b": ("http://h/document/b", None, "HTTP 404")}
    again.close()


def test_a_journal_made_before_details_gets_the_table_when_opened(tmp_path):
    journal = Journal.create(tmp_path / "job", {"job_key": "k", "run_id": "r", "started_at": "x"})
    journal.conn.execute("DROP TABLE details")
    journal.close()
    again = Journal.open(tmp_path / "job", "k")
    assert again.kept_details(["wilson:a"]) == {}
    again.close()


def test_the_state_store_gives_back_stored_records(tmp_path):
    store = StateStore.open(tmp_path / "state.sqlite")
    record = build_record({**RAW, "details": details()}, crawled_at="2025-01-02T03:04:05Z")
    store.commit([(record["id"], content_hash(record), json.dumps(record), record["crawled_at"])])
    assert store.records([record["id"], "wilson:unknown"]) == {record["id"]: record}
    store.close()


def test_detail_failures_fail_the_run_only_above_their_ratio():
    failed = [{"url": "http://x/document/a", "reason": "HTTP 404"}]
    facts = {"finish_reason": "finished", "harvester/pages_parsed": 3, "harvester/blocks": 21,
             "harvester/records": 21, "harvester/details/fetched": 20, "harvester/details/failed": 1,
             "failed_details": failed}  # fmt: skip
    tolerated = decide_outcome(facts, max_failed_detail_ratio=0.05)
    assert tolerated.code == OK
    assert tolerated.summary.endswith("20 document pages read, 1 document pages failed")
    strict = decide_outcome(facts, max_failed_detail_ratio=0.0)
    assert strict.code == FAILED
    assert strict.problems == ["1 of 21 document pages failed (over HARVESTER_MAX_FAILED_DETAIL_RATIO 0): "
                               "http://x/document/a (HTTP 404)"]


def test_products_read_the_records_and_manifests_of_1_2_0_runs(tmp_path):
    current = build_record(RAW, crawled_at="2025-01-02T03:04:05Z")
    old = {k: v for k, v in current.items() if k not in ("details", "doc_type_archive")}
    old["schema_version"] = "1.2.0"
    assert upgraded(old) == current
    assert list(upgraded({**old, "first_seen": "a", "last_seen": "b"}))[-2:] == ["first_seen", "last_seen"]
    assert upgraded({**current, "schema_version": "1.0.0"})["schema_version"] == "1.0.0"  # not ours to guess
    run = tmp_path / "run.jsonl"
    run.write_text(json.dumps(old) + "\n", encoding="utf-8")
    assert read_records(run) == [current]
    assert SCHEMA_VERSION == "1.3.0"


def test_products_read_a_manifest_of_a_1_2_0_run(tmp_path):
    from scrapy.settings import Settings

    from harvester.storage.run import write_failed_job_manifest

    settings = Settings({"HARVESTER_OUTPUT_DIR": str(tmp_path), "HARVESTER_OUTPUT_PATH": "", "HARVESTER_FULL": False})
    path = write_failed_job_manifest(settings, "wilson", "r1", {}, reason="refused", problem="busy", exit_code=2)
    manifest = json.loads(path.read_text(encoding="utf-8"))
    assert read_manifest(path)["failed_details"] == []
    for name in ("details_fetched", "details_failed", "details_reused"):
        del manifest["counts"][name]
    del manifest["failed_details"]
    manifest["schema_version"] = "1.2.0"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    assert read_manifest(path)["counts"]["details_reused"] == 0


# --- the stage itself, with a stand-in run ------------------------------------------------------------------


class _Journal:
    def __init__(self, kept=None):
        self.kept = dict(kept or {})

    def kept_details(self, ids):
        return {i: self.kept[i] for i in ids if i in self.kept}

    def keep_details(self, record_id, url, details, failure):
        self.kept[record_id] = (url, details, failure)


class _Keeper:
    def __init__(self, stored=None, kept=None):
        self.failed = []
        self.run = SimpleNamespace(stored=lambda ids: {i: stored[i] for i in ids if i in (stored or {})},
                                   journal=_Journal(kept))

    def detail_failed(self, url, reason):
        self.failed.append((url, reason))


def _stage(stored=None, kept=None):
    spider = WilsonSpider(query="mao", details="1")
    spider.keeper = _Keeper(stored, kept)
    spider.crawler = SimpleNamespace(stats=MemoryStatsCollector(SimpleNamespace(settings=Settings())))
    return spider, spider._details


def _item(**changes):
    return {**RAW, **changes}


def test_follow_reuses_stored_details_of_an_unchanged_row_and_follows_a_changed_one():
    stored = {RAW["id"]: build_record({**RAW, "details": details()}, crawled_at="2025-01-02T03:04:05Z")}
    spider, stage = _stage(stored)
    [reused] = list(stage.follow([_item()]))
    assert reused["details"] == details()
    [request] = list(stage.follow([_item(title="Telegram from Shtykov to Vyshinsky, 26 June")]))
    assert isinstance(request, scrapy.Request)
    assert (request.url, request.priority, request.dont_filter) == (RAW["url"], 10, True)
    assert request.callback == spider.parse_document
    assert request.meta["harvester_detail_of"] == RAW["id"]
    assert spider.crawler.stats.get_value("harvester/details/reused") == 1


def test_a_row_listed_twice_waits_for_the_same_page_and_a_kept_page_is_not_fetched_again():
    spider, stage = _stage()
    first, second = _item(page=0), _item(page=1, position=11)
    outputs = list(stage.follow([first])) + list(stage.follow([second]))
    assert len(outputs) == 1  # one request; the second row waits for it
    page = (REPO / "harvester/data/demo/wilson/documents/telegram-shtykov-vyshinsky.html").read_bytes()
    response = HtmlResponse(RAW["url"], body=page, encoding="utf-8", request=outputs[0])
    rows = list(spider.parse_document(response, item=first))
    assert [r["page"] for r in rows] == [0, 1]
    assert rows[0]["details"]["record_id"]
    assert rows[0]["details"] == rows[1]["details"]
    assert spider.keeper.run.journal.kept[RAW["id"]][1] == rows[0]["details"]
    [late] = list(stage.follow([_item(page=2)]))  # listed once more, after its page was read: no second request
    assert isinstance(late, dict)
    assert late["details"] == rows[0]["details"]
    assert spider.crawler.stats.get_value("harvester/details/resumed") is None
    _spider, again = _stage(kept=spider.keeper.run.journal.kept)  # a resumed run
    [resumed] = list(again.follow([first]))
    assert resumed["details"] == rows[0]["details"]


def test_a_document_page_redirected_to_another_host_is_not_read():
    spider, stage = _stage()
    [request] = list(stage.follow([_item()]))
    elsewhere = HtmlResponse("https://example.org/landing", body=b"<html><h1>hi</h1></html>", encoding="utf-8",
                             request=request)
    [row] = list(spider.parse_document(elsewhere, item=_item()))
    assert row["details"] is None
    assert spider.keeper.failed == [(RAW["url"], "redirected to another host (example.org): not read")]
