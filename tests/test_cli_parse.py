"""`harvester parse`: saved listing pages (HTML or text, detected) to normalised records on stdout."""

from __future__ import annotations

from harvester.records import FIELDS
from tests.support.cli import harvester
from tests.support.paths import WILSON_SITE, shared_file

SEED_DATES = [
    "1949-10-25", "1950-10-12", "1950-10-08", "1949-05-15", "1950-07-22",
    "1950-07-05", "1959-10-14", "1951-01-27", "1951-07-03", "1951-01-16",
]  # fmt: skip


def test_seed_prints_its_ten_normalised_records():
    result = harvester("parse", str(shared_file("seed", "wilson-results-page.txt")))
    assert result.code == 0, result.stderr
    records = result.records()
    assert [r["date"] for r in records] == SEED_DATES
    assert {r["date_precision"] for r in records} == {"day"}
    assert [r["position"] for r in records] == list(range(1, 11))
    assert all(tuple(r) == FIELDS for r in records)  # the crawl's fields, in the contract's order
    first = records[0]
    assert first["doc_type"] == "Letter"
    assert [(p["name"], p["role"], p["as_written"]) for p in first["people"]] == [
        ("Mao Zedong", "sender", "Cde. Mao Zedong"),
        ("Joseph Stalin", "recipient", "Cde. Filippov [Stalin]"),
        ("Ivan Kovalev", "via", "Kovalev"),
    ]
    assert records[1]["doc_number"] == "25553"
    assert all(r["url"] is None and r["id"] is None for r in records)  # a text rendering has no links


def test_saved_html_with_a_base_url_gets_absolute_links_and_ids():
    base = "https://digitalarchive.wilsoncenter.org/search?search_api_fulltext=mao%20zedong&page=1"
    result = harvester("parse", str(WILSON_SITE / "search-mao-zedong-page-1.html"), "--base-url", base)
    assert result.code == 0, result.stderr
    records = result.records()
    assert [r["position"] for r in records] == list(range(11, 21))  # "11 - 20 of 21"
    assert all(r["url"].startswith("https://digitalarchive.wilsoncenter.org/document/") for r in records)
    assert all(r["id"].startswith("wilson:") for r in records)
    assert all(r["listing_url"] == base for r in records)


def test_several_files_print_in_page_order():
    pages = [str(WILSON_SITE / f"search-mao-zedong-page-{n}.html") for n in range(3)]
    records = harvester("parse", *pages).records()
    assert [r["position"] for r in records] == list(range(1, 22))
