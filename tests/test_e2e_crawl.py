"""End to end: crawl the replica Wilson site over real HTTP (127.0.0.1) and check every record."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from urllib.parse import quote

import pytest

from tests.support.cli import LOCAL, harvester, read_jsonl
from tests.support.paths import REPO, WILSON_SITE

pytestmark = pytest.mark.e2e

MANIFEST = tomllib.loads((WILSON_SITE / "site.toml").read_text(encoding="utf-8"))


def listing_pages(query: dict) -> list[str]:
    for entry in MANIFEST["listing"]:
        if entry["query"] == query:
            return entry["pages"]
    raise AssertionError(f"no listing for {query} in site.toml")


def expected_blocks(page_file: str) -> dict:
    stem = page_file.rsplit(".", 1)[0]
    return json.loads((WILSON_SITE / "expected" / f"{stem}.json").read_text(encoding="utf-8"))


def expected_records(query: dict, base_url: str) -> list[dict]:
    """What the crawl must emit, from the hand-written expectations of each page (not from the parser)."""
    out = []
    for page_number, page_file in enumerate(listing_pages(query)):
        expected = expected_blocks(page_file)
        first = expected["counts"]["first"] if expected["counts"] else page_number * 10 + 1
        for block in expected["blocks"]:
            out.append(
                {
                    "url": base_url + block["url"],
                    "page": page_number,
                    "position": first + block["position"] - 1,
                    "node_id": block["node_id"],
                    "date_raw": block["date_text"],
                    "title": block["title"],
                    "summary": block["summary"],
                }
            )
    return out


def crawl(base_url: str, tmp_path, *args: str):
    out = tmp_path / "out.jsonl"
    result = harvester("crawl", "wilson", *args, "--out", str(out), "-s", f"WILSON_BASE_URL={base_url}", *LOCAL)
    return result, (read_jsonl(out) if out.exists() else None)


def test_multi_page_query_every_record_once(replay_site, tmp_path):
    base = replay_site.base_url
    result, records = crawl(base, tmp_path, "--query", "mao zedong")
    assert result.code == 0, result.stderr
    expected = expected_records({"search_api_fulltext": "mao zedong"}, base)
    got = sorted(
        ({k: r[k] for k in ("url", "page", "position", "node_id", "date_raw", "title", "summary")} for r in records),
        key=lambda r: r["position"],
    )
    assert got == expected
    assert [r["position"] for r in got] == list(range(1, len(expected) + 1))
    assert len({r["id"] for r in records}) == len(records)
    assert all(r["source"] == "wilson" and r["id"].startswith("wilson:") for r in records)
    assert all(r["listing_url"].startswith(f"{base}/search?") for r in records)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["crawled_at"]) for r in records)
    # Each listing page was fetched exactly once; nothing outside the results table was followed.
    searches = {t: n for t, n in replay_site.requests.items() if t.startswith("/search")}
    assert sorted(searches.values()) == [1] * len(listing_pages({"search_api_fulltext": "mao zedong"}))
    assert not any(t.startswith("/document/") for t in replay_site.requests)
    assert "21 records from 3 pages" in result.stdout
    assert str(tmp_path / "out.jsonl") in result.stdout


def test_dates_are_normalised_at_the_precision_shown(replay_site, tmp_path):
    _, records = crawl(replay_site.base_url, tmp_path, "--query", "mao zedong")
    for record in records:
        raw, iso, precision = record["date_raw"], record["date"], record["date_precision"]
        if raw is None:
            assert iso is None
            assert precision is None
        elif re.fullmatch(r"[A-Z][a-z]+ \d{1,2}, \d{4}", raw):
            assert precision == "day"
            assert re.fullmatch(r"\d{4}-\d\d-\d\d", iso)
        elif re.fullmatch(r"[A-Z][a-z]+,? \d{4}", raw):
            assert precision == "month"
            assert re.fullmatch(r"\d{4}-\d\d", iso)
        elif re.fullmatch(r"\d{4}", raw):
            assert (iso, precision) == (raw, "year")
    first = min(records, key=lambda r: r["position"])
    assert (first["date"], first["date_precision"]) == ("1949-10-25", "day")


def test_facet_query_pages_to_the_end(replay_site, tmp_path):
    base = replay_site.base_url
    result, records = crawl(base, tmp_path, "--people", "81716")
    assert result.code == 0, result.stderr
    query = {"f[0]": "people:81716", "fo[0]": "81716", "search_api_fulltext": ""}
    assert sorted(r["position"] for r in records) == [r["position"] for r in expected_records(query, base)]


def test_sorted_facet_query(replay_site, tmp_path):
    base = replay_site.base_url
    result, records = crawl(base, tmp_path, "--people", "81716", "--sort", "date")
    assert result.code == 0, result.stderr
    query = {
        "f[0]": "people:81716",
        "fo[0]": "81716",
        "search_api_fulltext": "",
        "sort_bef_combine": "field_document_date_unix_DESC",
    }
    assert [r["url"] for r in sorted(records, key=lambda r: r["position"])] == [
        r["url"] for r in expected_records(query, base)
    ]


def test_start_url_keeps_host_path_and_query(replay_site, tmp_path):
    base = replay_site.base_url
    start = f"{base}/search?search_api_fulltext={quote('mao zedong')}"
    result, records = crawl(base, tmp_path, "--start-url", start)
    assert result.code == 0, result.stderr
    assert len(records) == len(expected_records({"search_api_fulltext": "mao zedong"}, base))
    assert {r["listing_url"].split("&page=")[0] for r in records} == {start}


def test_max_pages_stops_early(replay_site, tmp_path):
    result, records = crawl(replay_site.base_url, tmp_path, "--query", "mao zedong", "--max-pages", "2")
    assert result.code == 0, result.stderr
    assert sorted(r["page"] for r in records) == [0] * 10 + [1] * 10


def test_old_site_listing_walks_pages_without_a_count(replay_site, tmp_path):
    base = replay_site.base_url
    entry = MANIFEST["old_listing"][0]
    start = f"{base}/search-results/1/{quote(entry['filter'])}"
    result, records = crawl(base, tmp_path, "--start-url", start)
    assert result.code == 0, result.stderr
    expected = [b for name in entry["pages"] for b in expected_blocks(name)["blocks"]]
    assert [r["title"] for r in sorted(records, key=lambda r: r["position"])] == [b["title"] for b in expected]
    assert all(r["url"].startswith(f"{base}/document/") for r in records)
    # It walked one page past the last (which came back empty) and stopped there.
    assert any(t.startswith(f"/search-results/{len(entry['pages']) + 1}/") for t in replay_site.requests)


def test_challenge_page_fails_the_run_with_a_clear_message(replay_site, tmp_path):
    result, records = crawl(replay_site.base_url, tmp_path, "--query", "challenge")
    assert result.code == 1
    assert "challenge" in result.stderr.lower()
    assert records is None  # no record: no (empty) output file either


def test_a_saved_search_with_no_results_is_a_result_for_cron(replay_site, tmp_path):
    result, records = crawl(replay_site.base_url, tmp_path, "--query", "no such thing anywhere")
    assert result.code == 0, result.stderr
    assert "0 records from 1 pages: the listing shows no results" in result.stdout
    assert "harvester: error" not in result.stderr
    assert records == []


def test_demo_writes_a_complete_dataset(tmp_path):
    out = tmp_path / "demo.jsonl"
    result = harvester("demo", "--out", str(out))
    assert result.code == 0, result.stderr
    records = read_jsonl(out)
    assert len(records) == MANIFEST_TOTAL
    assert result.stdout.strip().splitlines()[-1].startswith("harvester: 21 records from 3 pages")


MANIFEST_TOTAL = len(expected_records({"search_api_fulltext": "mao zedong"}, ""))


def test_scrapy_crawl_with_feed_option_works(replay_site, tmp_path):
    out = tmp_path / "feed.jsonl"
    start = f"{replay_site.base_url}/search?search_api_fulltext={quote('mao zedong')}"
    proc = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "wilson", "-a", f"start_url={start}", "-O", str(out),
         "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", f"HARVESTER_OUTPUT_DIR={tmp_path}"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    records = read_jsonl(out)
    assert len(records) == MANIFEST_TOTAL
    assert {r["date_precision"] for r in records} >= {"day"}
