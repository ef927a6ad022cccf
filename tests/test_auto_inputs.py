"""Auto mode on bad inputs and on a listing's short last page (issue 13, cause 6)."""

from __future__ import annotations

import pytest

from harvester.devtools.replay import ReplayServer
from tests.support.cli import LOCAL, harvester, read_jsonl
from tests.support.paths import DOCUMENT_PAGES, WILSON_SITE
from tests.test_auto_dates import DEVSET, records


def test_a_json_document_saved_as_html_is_a_clear_refusal():
    result = harvester("parse", "--auto", str(DEVSET / "arizona-appeals-api-json.html"))
    assert result.code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "not a listing: a JSON document" in result.stderr


@pytest.mark.parametrize("page", DOCUMENT_PAGES)
def test_a_wilson_document_page_is_refused_as_the_profile_parsers_refuse_it(page):
    result = harvester("parse", "--auto", str(WILSON_SITE / page))
    assert result.code == 2, result.stdout
    assert "this is a document page" in result.stderr
    assert result.stdout == ""


@pytest.mark.e2e
def test_crawl_auto_keeps_the_one_row_last_page(tmp_path):
    """The replica's 'mao zedong' listing is 10 + 10 + 1 rows: the last page is no listing on its own, but
    its one row has the earlier pages' signature. One undated document is a result too (it links)."""
    out = tmp_path / "w.jsonl"
    with ReplayServer(WILSON_SITE) as base:
        result = harvester("crawl", "--auto", f"{base}/search?search_api_fulltext=mao+zedong", "--out", str(out),
                           *LOCAL, "-s", "ROBOTSTXT_OBEY=False", "--log-level", "WARNING")  # fmt: skip
    assert result.code == 0, result.stderr
    records = read_jsonl(out)
    assert len(records) == 21
    assert [r["page"] for r in records].count(3) == 1
    assert [r["position"] for r in records] == list(range(1, 22))
    assert sum(1 for r in records if r["date"] is None) == 1


def test_an_empty_search_result_is_refused_though_a_dated_news_box_stands_beside_it():
    """ca10-oralargs-empty: '0 documents found', one 'No results were returned' row, and five dated notices."""
    result = harvester("parse", "--auto", str(DEVSET / "ca10-oralargs-empty.html"))
    assert result.code == 2
    assert "Traceback" not in result.stderr
    assert "not a listing: an empty result: 'No results were returned from your search.'" in result.stderr


def test_a_table_with_a_spanning_note_row_among_its_results_is_still_a_listing():
    rows = "".join(f"<tr><td>Board meeting</td><td>May {d}, 2024</td></tr>" for d in (2, 9, 16))
    html = (
        "<html><body><main><table><tr><th>Name</th><th>Date</th></tr>"
        f"<tr><td colspan='2'>No meetings found before May.</td></tr>{rows}</table></main></body></html>"
    )
    assert len(records(html)) == 3
