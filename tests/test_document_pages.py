"""The document-page parser (``parsing/document.py``) by the wilson profile's ``[details]``, on the ``<main>`` of 8
real document pages (``../shared/realworld/wilson/document-main/``, provenance in its README) and on pages that
are not document pages.

Golden files: ``fixtures/documents/wilson/<page>.json`` (the whole DocumentPage). They were written by this parser
and then checked by hand against that README (types, pill counts, languages, donors); regenerate a reviewed one
with ``python -m tests.test_document_pages PAGE``.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest

from harvester.errors import ChallengePageError, NotADocumentError
from harvester.parsing.document import parse_document_page
from harvester.profiles import find_profile, load_profile
from tests.support.paths import shared_file

GOLDEN = Path(__file__).parents[1] / "fixtures" / "documents" / "wilson"
REPLICA = Path(__file__).parents[1] / "fixtures" / "wilson"
SITE = "https://digitalarchive.wilsoncenter.org"
PAGES = sorted(p.stem for p in GOLDEN.glob("*.json"))


def rules():
    return load_profile(find_profile("wilson")).details


def read(stem: str) -> dict:
    path = shared_file("realworld", "wilson", "document-main", f"{stem}.html")
    page = parse_document_page(path.read_text(encoding="utf-8"), f"{SITE}/document/{stem}", rules())
    return json.loads(json.dumps(dataclasses.asdict(page), ensure_ascii=False))


def test_all_eight_real_pages_have_a_golden_file():
    assert len(PAGES) == 8


@pytest.mark.parametrize("stem", PAGES)
def test_real_document_page_reads_as_its_golden_file(stem):
    assert read(stem) == json.loads((GOLDEN / f"{stem}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("stem", PAGES)
def test_transcript_text_has_no_script_style_or_title(stem):
    text = read(stem)["text"] or ""
    assert "__CF$cv$params" not in text
    assert "window." not in text
    assert ".cs" not in text
    assert "font-family" not in text


def test_what_the_readme_says_of_the_real_pages():
    types = {stem: read(stem)["doc_type"] for stem in PAGES}
    assert types["aleksandr-antonov-1917-1921-case-folder-7-chekist-anthology"] == "Summary"
    assert types["cable-anastas-mikoyan-joseph-stalin"] == "Cable"
    assert types["anatoly-chernyaev-notes-meeting-politburo-2"] == "Meeting Notes"
    assert types["additional-instructions-regarding-sino-american-ambassadorial-talks-geneva"] == "Message"
    assert types["battle-warsaw"] is None  # no Type block: None, never ""
    battle = read("battle-warsaw")
    assert len(battle["authors"]) == 4  # split over two template runs in one list (3 + 1)
    assert battle["authors"][0] == {"name": "Stalin, Joseph", "url": f"{SITE}/people/stalin-joseph"}
    assert "\t" not in battle["text"]
    assert len(read("anatoly-chernyaev-notes-meeting-politburo-2")["authors"]) == 6
    cable = read("cable-anastas-mikoyan-joseph-stalin")
    assert [p["name"] for p in cable["people"]] == ["Stalin, Joseph", "Mao, Zedong"]
    assert cable["record_id"] == "121770"
    assert cable["uploaded"] == "2015-03-25"
    assert cable["download_url"] == f"{SITE}/document/96412/download"
    assert cable["citation_url"] == f"{SITE}/document/121770"
    assert cable["citation"].startswith('"Cable, Anastas Mikoyan to Joseph Stalin", February 4, 1949, Wilson')
    assert [p["name"] for p in cable["languages"]] == ["Russian"]
    antonov = read("aleksandr-antonov-1917-1921-case-folder-7-chekist-anthology")
    assert antonov["text"] is None
    assert antonov["pdf_url"].endswith(".pdf")
    assert antonov["original_archives"] == []
    assert antonov["donors"] is None


def test_replica_document_page_reads_like_its_real_main():
    page = (REPLICA / "documents" / "cable-anastas-mikoyan-joseph-stalin.html").read_text(encoding="utf-8")
    got = dataclasses.asdict(parse_document_page(page, f"{SITE}/document/cable-anastas-mikoyan-joseph-stalin", rules()))
    assert json.loads(json.dumps(got)) == json.loads(
        (GOLDEN / "cable-anastas-mikoyan-joseph-stalin.json").read_text(encoding="utf-8")
    )


@pytest.mark.parametrize("listing", ["search-mao-zedong-page-0.html", "search-empty.html"])
def test_a_listing_is_not_a_document_page(listing):
    text = (REPLICA / listing).read_text(encoding="utf-8")
    with pytest.raises(NotADocumentError, match="not a document page"):
        parse_document_page(text, f"{SITE}/search", rules())


def test_a_challenge_page_is_a_challenge_not_empty_details():
    text = (REPLICA / "challenge-cloudflare.html").read_text(encoding="utf-8")
    with pytest.raises(ChallengePageError):
        parse_document_page(text, f"{SITE}/document/x", rules())


def test_a_block_page_is_not_a_document_page():
    text = "<html><head><title>Access denied</title></head><body><h1>Access denied</h1></body></html>"
    with pytest.raises((NotADocumentError, ChallengePageError)):
        parse_document_page(text, f"{SITE}/document/x", rules())


if __name__ == "__main__":  # write a golden file, to be reviewed by hand
    for stem in sys.argv[1:]:
        (GOLDEN / f"{stem}.json").write_text(json.dumps(read(stem), ensure_ascii=False, indent=1) + "\n", "utf-8")
