"""Hostile sites, damaged state and untrusted files (issue 16): each fault class, bounded in time and count.
docs/reliability.md lists each with the behaviour these tests prove."""

from __future__ import annotations

import pytest

from harvester.devtools.faults import EMPTY_LISTING, Fault
from tests.support.faults import MAO_QUERY, comparable, crawl, expected_mao, fault_site, searches

pytestmark = pytest.mark.e2e

PAGE1 = {**MAO_QUERY, "page": "1"}


def _q(query: str, page: int | None = None) -> dict[str, str]:
    return {"search_api_fulltext": query} | ({"page": str(page)} if page is not None else {})


# --- 1. a count header that lies ---------------------------------------------------------------------------

@pytest.mark.parametrize("total", ["99999999999", "1000000"])
def test_a_lying_count_header_costs_a_few_requests_and_is_named(tmp_path, total):
    liar = Fault("listing", path="/search", query=_q("liar"), total=10, count=f"1 - 10 of {total}")
    with fault_site(liar) as server:
        run = crawl(server, tmp_path, query="liar", timeout=60)
    assert run.code == 1, run.log
    assert len(run.records or []) == 10
    assert "count header lied" in run.log
    assert sum(searches(server).values()) <= 15, searches(server)  # a window of 4, each asked twice


def test_max_pages_is_honoured_before_a_lying_count_is_scheduled(tmp_path):
    liar = Fault("listing", path="/search", query=_q("liar"), total=40, count="1 - 10 of 99999999999")
    with fault_site(liar) as server:
        run = crawl(server, tmp_path, "--max-pages", "3", query="liar", timeout=60)
    assert run.code == 0, run.log
    assert len(run.records or []) == 30
    assert sum(searches(server).values()) == 3, searches(server)


# --- 4. a page that is briefly (or persistently) empty inside the count ---------------------------------------

def test_a_briefly_empty_page_is_asked_again_and_nothing_is_lost(tmp_path):
    empty = Fault("body", path="/search", query=PAGE1, body=EMPTY_LISTING, content_type="text/html; charset=utf-8",
                  times=1)
    with fault_site(empty) as server:
        run = crawl(server, tmp_path)
    assert run.code == 0, run.log
    assert comparable(run.records, server.base_url) == expected_mao()


def test_a_page_that_stays_empty_inside_the_count_is_a_failed_page(tmp_path):
    with fault_site(Fault("listing", path="/search", query=PAGE1, total=0)) as server:
        run = crawl(server, tmp_path)
    assert run.code == 1, run.log
    assert "page failed: " in run.log
    assert "no rows although the count header promised" in run.log
    assert len(run.records or []) == 11


# --- 8. results that shift during the crawl -----------------------------------------------------------------

def test_a_count_that_changes_during_the_crawl_is_reported(tmp_path):
    with fault_site(Fault("count", path="/search", query=PAGE1, count="11 - 20 of 20")) as server:
        run = crawl(server, tmp_path)
    assert run.code == 1, run.log
    assert "the count header changed from 21 to 20" in run.log


# --- 9. a site that repeats its last page past the end ------------------------------------------------------

def test_a_site_that_repeats_its_last_page_past_the_end_is_not_a_loop(tmp_path):
    repeat = Fault("loop", path="/search", query=_q("edge", 2), target="/search?search_api_fulltext=edge&page=1")
    with fault_site(repeat, Fault("listing", path="/search", query=_q("edge"), total=20)) as server:
        run = crawl(server, tmp_path, query="edge")
    assert run.code == 0, run.log
    assert len(run.records or []) == 20


# --- 10. failed pages within HARVESTER_MAX_FAILED_PAGE_RATIO -------------------------------------------------

def test_pages_that_failed_after_retries_count_against_the_ratio_not_as_errors(tmp_path):
    with fault_site(Fault("status", path="/search", query=PAGE1, status=500)) as server:
        run = crawl(server, tmp_path, settings={"HARVESTER_MAX_FAILED_PAGE_RATIO": "0.5"})
    assert run.code == 0, run.log
    assert "Gave up retrying" in run.log
    assert len(run.records or []) == 11
