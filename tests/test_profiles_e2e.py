"""End to end with site profiles: ``harvester crawl --profile`` over the replay server (127.0.0.1 only)."""

from __future__ import annotations

import json
import tomllib
from urllib.parse import quote

import pytest

from harvester.devtools.replay import ReplayServer
from tests.support.cli import LOCAL, harvester, read_jsonl
from tests.support.paths import FIXTURES, WILSON_SITE

pytestmark = pytest.mark.e2e

NWHEAP = FIXTURES / "nwheap"
NWHEAP_EXPECTED = json.loads((NWHEAP / "expected.json").read_text(encoding="utf-8"))
WILSON_MANIFEST = tomllib.loads((WILSON_SITE / "site.toml").read_text(encoding="utf-8"))


@pytest.fixture
def nwheap_site():
    server = ReplayServer(NWHEAP)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def crawl(tmp_path, name: str, *args: str):
    out = tmp_path / f"{name}.jsonl"
    result = harvester("crawl", *args, "--out", str(out), *LOCAL, "--log-level", "WARNING")
    return result, (read_jsonl(out) if out.exists() else [])


def without_crawl_time(records: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k != "crawled_at"} for r in records), key=lambda r: r["position"])


def test_wilson_profile_gives_the_same_records_as_the_wilson_spider(replay_site, tmp_path):
    base = ["-s", f"WILSON_BASE_URL={replay_site.base_url}"]
    spider, by_spider = crawl(tmp_path, "spider", "wilson", "--query", "mao zedong", *base)
    profile, by_profile = crawl(tmp_path, "profile", "--profile", "wilson.toml", "--param", "query=mao zedong", *base)
    assert spider.code == 0, spider.stderr
    assert profile.code == 0, profile.stderr
    assert len(by_profile) == 21
    assert without_crawl_time(by_profile) == without_crawl_time(by_spider)
    assert "21 records from 3 pages" in profile.stdout


def test_wilson_old_profile_walks_the_old_site(replay_site, tmp_path):
    base = replay_site.base_url
    result, records = crawl(
        tmp_path, "old", "--profile", "wilson-old", "--param", "query=zedong", "-a", f"base_url={base}"
    )
    assert result.code == 0, result.stderr
    entry = WILSON_MANIFEST["old_listing"][0]
    expected = [
        b
        for name in entry["pages"]
        for b in json.loads((WILSON_SITE / "expected" / name.replace(".html", ".json")).read_text("utf-8"))["blocks"]
    ]
    got = sorted(records, key=lambda r: r["position"])
    assert [r["title"] for r in got] == [b["title"] for b in expected]
    assert [r["date_raw"] for r in got] == [b["date_text"] for b in expected]
    assert all(r["source"] == "wilson" and r["url"].startswith(f"{base}/document/") for r in records)
    # page 3 (past the end) came back as the empty listing and ended the walk
    assert any(t.startswith("/search-results/3/") for t in replay_site.requests)
    assert f"/search-results/1/{quote(entry['filter'], safe='')}" in replay_site.requests  # the site's own URL


def test_profile_challenge_page_fails_the_run(replay_site, tmp_path):
    result, records = crawl(
        tmp_path, "challenge", "--profile", "wilson", "--query", "challenge", "-a", f"base_url={replay_site.base_url}"
    )
    assert result.code == 1
    assert "challenge" in result.stderr.lower()
    assert records == []


def expected_nwheap_records(listing_url: str) -> list[dict]:
    return [
        {
            "id": "nwheap:" + b["url"].rstrip("/").rsplit("/", 1)[-1],
            "source": "nwheap",
            "url": b["url"],
            "listing_url": listing_url,
            "page": 1,
            "position": b["position"],
            "node_id": b["node_id"],
            "title": b["title"],
            "summary": b["summary"],
            "date_raw": b["date_text"],
            "date": b["date"],
            "date_precision": "day",
        }
        for b in NWHEAP_EXPECTED["blocks"]
    ]


def test_nwheap_crawl_gives_the_annotated_records(nwheap_site, tmp_path):
    base = nwheap_site.base_url
    result, records = crawl(tmp_path, "nwheap", "--profile", "nwheap", "-a", f"base_url={base}", "--max-pages", "1")
    assert result.code == 0, result.stderr
    listing_url = f"{base}/category/meet-minutes-and-agendas/"
    keys = list(expected_nwheap_records("")[0])
    got = [{k: r[k] for k in keys} for r in sorted(records, key=lambda r: r["position"])]
    assert got == expected_nwheap_records(listing_url)
    assert "10 records from 1 pages" in result.stdout
    assert not any("/page/2/" in t for t in nwheap_site.requests)  # max_pages 1


def test_nwheap_follows_older_posts_on_the_crawled_host(nwheap_site, tmp_path):
    """Only page 1 was captured: the "Older posts" link (to nwheap.com) is followed on the replica, where page 2
    answers 404, so the run keeps page 1's records, names the failed page and exits 1."""
    base = nwheap_site.base_url
    start = f"{base}/category/meet-minutes-and-agendas/"
    result, records = crawl(tmp_path, "nwheap-all", "--profile", "nwheap", "--start-url", start)
    assert nwheap_site.requests["/category/meet-minutes-and-agendas/page/2/"] == 1
    assert result.code == 1
    assert f"{base}/category/meet-minutes-and-agendas/page/2/ (HTTP 404)" in result.stderr
    assert len(records) == 10
