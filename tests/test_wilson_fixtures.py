"""Every replica page in fixtures/wilson against its hand-written expectation in fixtures/wilson/expected/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parsel import Selector

from harvester.parsing import ChallengePageError, Counts, NotAListingError
from harvester.parsing.files import decode, parse_listing, parse_listing_file
from harvester.parsing.profile import parse_with_profile
from harvester.profiles import load_profile
from tests.support.paths import DOCUMENT_PAGES, WILSON_SITE

BASE = "https://digitalarchive.wilsoncenter.org/search"
EXPECTED = sorted((WILSON_SITE / "expected").glob("*.json"))


def page_for(expected: Path) -> Path:
    for suffix in (".html", ".txt"):
        page = WILSON_SITE / f"{expected.stem}{suffix}"
        if page.exists():
            return page
    raise AssertionError(f"no page for {expected.name}")


@pytest.mark.parametrize("expected_file", EXPECTED, ids=lambda p: p.stem)
def test_fixture_page_parses_as_expected(expected_file):
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    page = parse_listing(decode(page_for(expected_file).read_bytes()), None)
    assert page.layout == expected["layout"]
    assert page.counts == (Counts(**expected["counts"]) if expected["counts"] else None)
    got = [
        {
            "position": b.position,
            "url": b.url,
            "node_id": b.node_id,
            "date_text": b.date_text,
            "title": b.title,
            "summary": b.summary,
        }
        for b in page.blocks
    ]
    assert got == expected["blocks"]
    for block in page.blocks:  # a missing field is None, never ""
        assert "" not in (block.url, block.date_text, block.title, block.summary)


def test_links_become_absolute_with_a_base_url():
    page, _ = parse_listing_file(WILSON_SITE / "search-mao-zedong-page-0.html", base_url=BASE)
    assert all(b.url.startswith("https://digitalarchive.wilsoncenter.org/document/") for b in page.blocks)


def test_mega_menu_document_links_are_not_results():
    html = (WILSON_SITE / "search-mao-zedong-page-0.html").read_text(encoding="utf-8")
    selector = Selector(text=html)
    menu_links = set(selector.css("header a::attr(href), nav a::attr(href)").getall())
    assert any(link.startswith("/document/") for link in menu_links), "the fixture must exercise the mega-menu"
    page = parse_with_profile(selector, load_profile("wilson"), None)
    assert not menu_links & {b.url for b in page.blocks}


def test_missing_fields_are_counted():
    page, _ = parse_listing_file(WILSON_SITE / "search-mao-zedong-page-1.html")
    assert page.missing.get("date_text", 0) >= 1
    assert page.missing.get("summary", 0) >= 1
    assert page.missing == {
        name: sum(getattr(b, name) is None for b in page.blocks)
        for name in ("url", "date_text", "title", "summary")
        if any(getattr(b, name) is None for b in page.blocks)
    }


def test_cloudflare_challenge_raises():
    html = (WILSON_SITE / "challenge-cloudflare.html").read_text(encoding="utf-8")
    with pytest.raises(ChallengePageError, match="challenge"):
        parse_listing(html, BASE)
    with pytest.raises(ChallengePageError):
        parse_with_profile(Selector(text=html), load_profile("wilson"), BASE)


@pytest.mark.parametrize("name", DOCUMENT_PAGES)
def test_document_page_is_not_a_listing(name):
    with pytest.raises(NotAListingError, match="document page"):
        parse_listing((WILSON_SITE / name).read_text(encoding="utf-8"), BASE)


def test_empty_listing_is_a_listing_with_no_blocks():
    page = parse_listing((WILSON_SITE / "search-empty.html").read_text(encoding="utf-8"), BASE)
    assert page.blocks == []


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>Page not found</title></head><body><h1>Page not found</h1></body></html>",
        "<html><body><main><p>Welcome to our archive.</p><a href='/document/x'>A document</a></main></body></html>",
        "<html><body></body></html>",
    ],
)
def test_other_pages_are_not_listings(html):
    with pytest.raises(NotAListingError, match="not a search listing"):
        parse_listing(html, BASE)


def test_old_list_parser_rejects_a_current_page():
    html = (WILSON_SITE / "search-mao-zedong-page-0.html").read_text(encoding="utf-8")
    with pytest.raises(NotAListingError):
        parse_with_profile(Selector(text=html), load_profile("wilson-old"), BASE)


@pytest.mark.parametrize(
    "markup",
    [
        '<div class="results"><span>11</span> - <span>20</span> of <span>21</span></div>',
        "<p>Displaying 11 - 20 of 21 results</p>",
        "<div><strong>11 - 20</strong> of 21</div>",
    ],
)
def test_count_header_split_over_elements(markup):
    """The real header's markup was never seen: the count is found by its text, however it is wrapped."""
    from harvester.parsing.profile import parse_with_profile
    from harvester.profiles import load_profile

    html = (WILSON_SITE / "search-mao-zedong-page-1.html").read_text(encoding="utf-8")
    first, _, rest = html.partition("11 - 20 of 21")
    assert rest, "fixture changed: no count header"
    page_html = first.rsplit("<", 1)[0] + markup + "<" + rest.split("<", 2)[2]
    assert parse_with_profile(Selector(text=page_html), load_profile("wilson"), BASE).counts == Counts(11, 20, 21)
    assert parse_with_profile(Selector(text=page_html), load_profile("wilson"), BASE).counts == Counts(11, 20, 21)
