"""The Wilson HTML parser on real markup: the <main> of 8 real document pages (shared/realworld/wilson/
document-main, saved January 2025), whose "Related Documents" tables use the listing's row template."""

from __future__ import annotations

import re

import pytest
from parsel import Selector

from harvester.parsing import NotAListingError
from harvester.parsing.profile import parse_with_profile
from harvester.profiles import load_profile
from tests.support.paths import REALWORLD, shared_file

BASE = "https://digitalarchive.wilsoncenter.org/search?search_api_fulltext=mikoyan"
DOCUMENT_PAGES = sorted(p.name for p in (REALWORLD / "wilson" / "document-main").glob("*.html"))
PAGES_WITH_RELATED_ROWS = [
    name
    for name in DOCUMENT_PAGES
    if 'td class="date"' in (REALWORLD / "wilson" / "document-main" / name).read_text(encoding="utf-8")
]


def related_table(name: str) -> str | None:
    main = shared_file("realworld", "wilson", "document-main", name).read_text(encoding="utf-8")
    tables = Selector(text=main).css("table.table-striped").getall()
    return tables[0] if tables else None


def as_listing(table: str, count: str) -> str:
    """A results page around a real table: the layout the search page has (header text, count, table)."""
    return (
        "<!DOCTYPE html><html><head><title>Search | Wilson Center Digital Archive</title></head><body>"
        '<header><nav><a href="/document/not-a-result">Featured</a></nav></header>'
        f'<main id="main"><p>Results:</p><div>{count}</div><h2>Documents</h2>{table}</main></body></html>'
    )


@pytest.mark.parametrize("name", DOCUMENT_PAGES)
def test_real_document_page_is_not_a_listing(name):
    main = shared_file("realworld", "wilson", "document-main", name).read_text(encoding="utf-8")
    with pytest.raises(NotAListingError, match="document page"):
        parse_with_profile(Selector(text=f"<html><body>{main}</body></html>"), load_profile("wilson"), BASE)


@pytest.mark.parametrize("name", PAGES_WITH_RELATED_ROWS)
def test_real_related_rows_parse_as_listing_rows(name):
    table = related_table(name)
    rows = Selector(text=table).css("tr")
    listing = as_listing(table, f"1 - {len(rows)} of {len(rows)}")
    page = parse_with_profile(Selector(text=listing), load_profile("wilson"), BASE)
    assert len(page.blocks) == len(rows)
    for block, row in zip(page.blocks, rows, strict=True):
        href = row.css("td.document > a::attr(href)").get()
        assert block.url == "https://digitalarchive.wilsoncenter.org" + href
        assert block.node_id == row.css("td.document::attr(data-history-node-id)").get()
        # Whitespace-normalised text, otherwise exactly what the markup holds.
        raw_title = " ".join(row.css("h3.sub-title ::text").getall())
        assert block.title == " ".join(raw_title.split())
        raw_date = " ".join(row.css("td.date ::text").getall())
        assert block.date_text == (" ".join(raw_date.split()) or None)
        summary = " ".join(" ".join(row.css("div.text p ::text").getall()).split())
        assert block.summary == (summary or None)


def test_real_rows_of_the_mikoyan_cable_page():
    table = related_table("cable-anastas-mikoyan-joseph-stalin.html")
    page = parse_with_profile(Selector(text=as_listing(table, "1 - 4 of 4")), load_profile("wilson"), BASE)
    assert [b.title for b in page.blocks] == [
        "Memorandum of Conversation between Anastas Mikoyan and Mao Zedong",
        "Cable, Anastas Mikoyan to Joseph Stalin",
        "Cable, Joseph Stalin to Anastas Mikoyan",
        "Cable, Joseph Stalin to Anastas Mikoyan",
    ]
    assert {b.date_text for b in page.blocks} == {"February 4, 1949"}
    assert page.blocks[1].url.endswith("/document/cable-anastas-mikoyan-joseph-stalin-0")
    # The archive's own typos stay ("commisssion", "expsoe") and a double space inside a summary is collapsed.
    assert "preparatory commisssion" in page.blocks[0].summary
    assert "and the Sino-Soviet treaty." in page.blocks[0].summary
    assert re.search(r"\s{2}", page.blocks[0].summary) is None
    assert "to expsoe the network" in page.blocks[2].summary
    assert "/document/not-a-result" not in {b.url for b in page.blocks}
