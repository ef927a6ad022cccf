"""Auto mode's dates: the year from the page's context reaches the record, the page's own day/month order,
month names of other languages, and no year invented (issue 13, causes 1 and 4)."""

from __future__ import annotations

from pathlib import Path

import parsel
import pytest

from benchmarks.score import read_page
from harvester.parsing.auto import extract_blocks
from harvester.parsing.auto.dates import DMY, MDY, find_page_dates, find_roc_dates, page_order, uses_roc_calendar
from harvester.pipelines.validate import record_errors
from harvester.records import build_record, raw_item

DEVSET = Path(__file__).parents[1] / "benchmarks" / "pages" / "devset"


def records(html_or_path, base_url: str | None = "https://example.org/list") -> list[dict]:
    selector = read_page(html_or_path) if isinstance(html_or_path, Path) else parsel.Selector(text=html_or_path)
    result = extract_blocks(selector, base_url)
    out = []
    for block in result.blocks:
        raw = raw_item(block.to_raw_block(), source="t", listing_url=base_url, page=None, titles="none")
        record = build_record(raw, crawled_at=None)
        record.pop("_date_error", None)
        if record["url"]:
            assert record_errors(record) == [], record
        out.append(record)
    return out


def test_year_from_a_heading_reaches_the_record():
    html = """<html><body><main><h2>2024 Meeting Schedule</h2><ul>
      <li>Apr 22 <a href="/a">Board Meeting</a></li><li>May 20 <a href="/b">Board Meeting</a></li>
      <li>Jun 17 <a href="/c">Board Meeting</a></li></ul></main></body></html>"""
    got = records(html)
    assert [(r["date_raw"], r["date"], r["date_precision"], r["date_year_from"]) for r in got] == [
        ("Apr 22", "2024-04-22", "day", "heading"),
        ("May 20", "2024-05-20", "day", "heading"),
        ("Jun 17", "2024-06-17", "day", "heading"),
    ]


def test_no_context_year_no_date():
    html = """<html><body><ul><li>Apr 22 <a href="/a">Board</a></li><li>May 20 <a href="/b">Board</a></li>
      <li>Jun 17 <a href="/c">Board</a></li></ul></body></html>"""
    got = records(html)
    assert [r["date"] for r in got] == [None, None, None]
    assert {r["date_year_from"] for r in got} == {None}


def test_year_from_the_page_title_and_the_url():
    body = """<ul><li>Apr 22 <a href="/a">Board</a></li><li>May 20 <a href="/b">Board</a></li>
      <li>Jun 17 <a href="/c">Board</a></li></ul>"""
    titled = records(f"<html><head><title>Meetings 2019</title></head><body>{body}</body></html>")
    assert {(r["date"][:4], r["date_year_from"]) for r in titled} == {("2019", "page-title")}
    by_url = records(f"<html><body>{body}</body></html>", "https://example.org/meetings/2021/")
    assert {(r["date"][:4], r["date_year_from"]) for r in by_url} == {("2021", "url")}


def test_year_in_another_cell_of_the_row():
    """sacaa-archive: 'Year | 23 October' rows; the year is the row's own ('block')."""
    got = records(DEVSET / "sacaa-archive.html")
    from_block = [r for r in got if r["date_year_from"] == "block"]
    assert from_block, [(r["date_raw"], r["date"]) for r in got]
    assert all(r["date"] and r["date_raw"] and r["date"][:4] not in r["date_raw"] for r in from_block)


@pytest.mark.parametrize(
    ("page", "raw", "iso"),
    [
        ("bea-notified-events.html", "03/06/2026", "2026-06-03"),  # other dates on the page show d/m
        ("aerocivil-colombia-2008.html", "03/12/2008", "2008-12-03"),
        ("sub-austria-2024.html", "30. März 2024", "2024-03-30"),  # German month name
        ("dspace-nplg-search.html", "29-Jul-1898", "1898-07-29"),
        ("dgac-chile-2024.html", "15 ENE 2024", "2024-01-15"),  # Spanish abbreviation
    ],
)
def test_dates_read_in_the_pages_own_way(page, raw, iso):
    got = {(r["date_raw"], r["date"]) for r in records(DEVSET / page)}
    assert (raw, iso) in got, sorted(got, key=str)


def test_ambiguous_two_digit_year_is_not_guessed():
    """'04/03/24' on a page that never shows its order: the text is kept, the date is unknown; the same
    page with one unambiguous date (day 13) is read day first."""
    rows = "<li>04/03/24 <a href='/a'>Hearing A</a></li><li>05/06/24 <a href='/b'>Hearing B</a></li>"
    assert [r["date"] for r in records(f"<html><body><ul>{rows}</ul></body></html>")] == [None, None]
    settled = records(f"<html><body><ul>{rows}<li>13/06/24 <a href='/c'>Hearing C</a></li></ul></body></html>")
    assert [r["date"] for r in settled] == ["2024-03-04", "2024-06-05", "2024-06-13"]


def test_page_order():
    assert page_order([DMY, DMY], None) == DMY
    assert page_order([MDY], "fr") == MDY  # the page's own dates before its language
    assert page_order([DMY, MDY], None) is None
    assert page_order([], "es") == DMY
    assert page_order([], "en-US") == MDY
    assert page_order([], None) is None
    assert page_order([], None, "www.in.gov") == MDY  # a United States host: month first
    assert page_order([], None, "caa.gov.vn") is None  # .gov inside another country's domain says nothing
    assert page_order([DMY], None, "www.in.gov") == DMY  # the page's own dates first


def test_other_language_forms_and_prose():
    assert [(d.year, d.month, d.day) for d in find_page_dates("12. November 2022")] == [(2022, 11, 12)]
    assert [(d.year, d.month, d.day) for d in find_page_dates("23 October")] == [(None, 10, 23)]
    # a day and month without a year inside running text is not a date cell
    assert find_page_dates("Das Reparaturcafé öffnet wieder am 31. Januar im Bürgerhaus am Markt") == ()


def test_republic_of_china_dates_are_read_on_a_chinese_page():
    """ttsb-taiwan-list-zh: 事故時間 '113-11-04' is 2024-11-04 (ROC year + 1911); the closing date is a second
    date of the row. The page is written in Chinese characters: that marks its calendar."""
    got = records(DEVSET / "ttsb-taiwan-list-zh.html")
    assert [(r["date"], r["date_raw"]) for r in got][:1] == [("2024-11-04", "113-11-04")]
    assert len(got) == 2


def test_roc_years_only_where_the_page_uses_that_calendar():
    assert [(d.year, d.month, d.day) for d in find_roc_dates("民國113年11月4日 公告")] == [(2024, 11, 4)]
    assert uses_roc_calendar("民國113年11月4日", None)
    assert uses_roc_calendar("Report 113-11-04", "zh-TW")
    assert not uses_roc_calendar("Case 113-11-04 filed by the clerk", "en")
    rows = "".join(f"<tr><td>Case 113-11-0{d}</td><td>May {d}, 2024</td></tr>" for d in (2, 3, 4))
    got = records(f"<html lang='en'><body><main><table>{rows}</table></main></body></html>")
    assert [r["date"] for r in got] == ["2024-05-02", "2024-05-03", "2024-05-04"]
