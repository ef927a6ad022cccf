"""The replica's document pages (``fixtures/wilson/documents/``): reproducible, served for every result of the
replica's listings but one (a 404, for failure tests), and read by the wilson profile's ``[details]``."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from harvester.devtools.replay import ReplayServer
from harvester.parsing.document import parse_document_page
from harvester.profiles import find_profile, load_profile
from tests.support import replica_documents as gen


def test_committed_pages_are_what_the_generator_builds():
    wanted = gen.pages()
    on_disk = {p.stem: p.read_text(encoding="utf-8") for p in gen.OUT.glob("*.html")}
    assert set(on_disk) == set(wanted)
    assert all(on_disk[slug] == html for slug, html in wanted.items()), "run python -m tests.support.replica_documents"


def test_real_pages_are_served_byte_for_byte_in_the_replica_chrome():
    served = (gen.OUT / "cable-anastas-mikoyan-joseph-stalin.html").read_bytes()
    assert served == gen.TEMPLATE.read_bytes()  # the replica's hand-made copy of the same real <main>


def test_every_result_but_one_has_a_document_page_that_reads():
    rules = load_profile(find_profile("wilson")).details
    results = gen.results()
    assert len(results) >= 30
    for slug, row in results.items():
        path = gen.OUT / f"{slug}.html"
        if slug == gen.FAILING:
            assert not path.exists()
            continue
        page = parse_document_page(path.read_text(encoding="utf-8"), f"http://127.0.0.1/document/{slug}", rules)
        assert page.title == row["title"]
        assert page.date_text == row["date_text"]
        assert page.summary == row["summary"]
        assert page.record_id is not None
        assert page.download_url.endswith(f"/document/{row['node_id']}/download") or slug in gen._NODE


def test_the_server_answers_document_pages_and_a_404():
    with ReplayServer(gen.REPLICA) as base:
        with urllib.request.urlopen(f"{base}/document/telegram-shtykov-vyshinsky") as answer:
            assert answer.status == 200
            assert b"Shtykov, Terenty" in answer.read()
        with urllib.request.urlopen(
            f"{base}/document/ciphered-telegram-no-21405-mao-zedong-cde-filippov-stalin?lang=en&tab=translation"
        ) as answer:
            assert answer.status == 200
        for missing in (gen.FAILING, "../site.toml", "%2e%2e%2fsite"):
            with pytest.raises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(f"{base}/document/{missing}")
            assert caught.value.code == 404
