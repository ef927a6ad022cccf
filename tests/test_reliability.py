"""Faults and bad input, end to end: crawl the replica through the fault-injection server and check what the
harvester keeps, names and exits with. docs/reliability.md lists each fault with the test that covers it."""

from __future__ import annotations

import re

import pytest

from harvester.devtools.faults import Fault
from tests.support.doubles import PageRecorder
from tests.support.faults import (
    MAO,
    MAO_PAGES,
    comparable,
    crawl,
    expected_mao,
    fault_site,
    search_times,
    searches,
)

pytestmark = pytest.mark.e2e

PAGE1 = {"search_api_fulltext": "mao zedong", "page": "1"}
PAGE2 = {"search_api_fulltext": "mao zedong", "page": "2"}


def assert_fetched_once(server, *, except_: dict[str, int] | None = None) -> None:
    """No listing page was fetched twice (retries of a failing page excepted, as given)."""
    counts = searches(server)
    for target, n in counts.items():
        assert n == (except_ or {}).get(target, 1), f"{target} fetched {n} times: {counts}"


def assert_kept_all_but(run, base_url: str, lost_page: int | None) -> None:
    """Every record of the other pages is there, exactly as the oracle says."""
    lost = range(lost_page * 10 + 1, lost_page * 10 + 11) if lost_page is not None else range(0)
    expected = [r for r in expected_mao() if r["position"] not in lost]
    assert comparable(run.records, base_url) == expected


# --- pages that keep failing: one crawl, one fault per page ------------------------------------------------

MATRIX = {"search_api_fulltext": "matrix"}
MATRIX_FAULTS = {
    1: (Fault("status", status=500), r"HTTP 500; gave up after 2 attempts"),
    2: (Fault("status", status=503), r"HTTP 503: not a search listing.*; gave up after 2 attempts"),
    3: (Fault("status", status=404), r"HTTP 404"),
    4: (Fault("hang", seconds=10), r"DownloadTimeoutError: .*; gave up after 2 attempts"),
    5: (Fault("reset"), r"(DownloadFailedError|ConnectionLost|ConnectionDone|ResponseNeverReceived).*; gave up after"
                        r" 2 attempts"),
    6: (Fault("truncate"), r"ResponseDataLossError: .*; gave up after 2 attempts"),
    7: (Fault("status", status=429, retry_after=3600),
        r"HTTP 429; the server asked to retry after 3600 s, more than HARVESTER_MAX_RETRY_AFTER \(5 s\); not retried"),
    8: (Fault("listing", total=110, size=2_000_000), r"page larger than DOWNLOAD_MAXSIZE, download cancelled"),
    9: (Fault("status", status=502), r"HTTP 502; gave up after 2 attempts"),
}
#: How often each failing page may be asked for: 1 + RETRY_TIMES (1), or once when retrying cannot help.
MATRIX_ATTEMPTS = {1: {2}, 2: {2}, 3: {1}, 4: {2}, 5: {2, 3, 4}, 6: {2}, 7: {1}, 8: {1}, 9: {2}}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    """An 11-page search whose pages 1-9 each fail in their own way; pages 0 and 10 are fine."""
    from dataclasses import replace

    faults = [replace(fault, path="/search", query={**MATRIX, "page": str(page)})
              for page, (fault, _) in MATRIX_FAULTS.items()]
    with fault_site(*faults, Fault("listing", path="/search", query=MATRIX, total=110)) as server:
        run = crawl(server, tmp_path_factory.mktemp("matrix"), query="matrix",
                    settings={"DOWNLOAD_TIMEOUT": "1", "DOWNLOAD_MAXSIZE": str(1024 * 1024)})
    return server, run


def failed_reason(run, page: int) -> str:
    match = re.search(rf"page failed: \S+matrix&page={page}: (.*)", run.log)
    assert match, f"page {page} is not named as failed"
    return match.group(1)


def test_failing_pages_fail_the_run_and_every_other_record_is_kept(matrix):
    _, run = matrix
    assert run.code == 1
    assert sorted(r["page"] for r in run.records) == [0] * 10 + [10] * 10
    assert re.search(r"20 records from \d+ pages, 9 failed pages", run.result.stdout)
    assert re.search(r"9 of \d+ listing pages failed: .* and 4 more", run.result.stderr)  # the summary names them


@pytest.mark.parametrize("page", sorted(MATRIX_FAULTS), ids=[
    "500", "503", "404", "hang", "reset", "truncate", "retry-after-over-cap", "over-maxsize", "502"])
def test_each_failing_page_is_named_with_its_reason(matrix, page):
    server, run = matrix
    assert re.match(MATRIX_FAULTS[page][1], failed_reason(run, page)), failed_reason(run, page)
    # Twisted resends a GET once by itself when a reused keep-alive connection dies before any answer, which
    # is what a reset looks like: hence up to 2 requests per attempt for the reset page.
    assert server.requests[f"/search?search_api_fulltext=matrix&page={page}"] in MATRIX_ATTEMPTS[page]


def test_pages_that_did_not_fail_were_fetched_once(matrix):
    server, _ = matrix
    counts = searches(server)
    assert counts["/search?search_api_fulltext=matrix"] == 1
    assert counts["/search?search_api_fulltext=matrix&page=10"] == 1


# --- transient errors: retried with backoff, Retry-After honoured ------------------------------------------


def test_transient_errors_are_retried_with_backoff_and_nothing_is_lost(tmp_path):
    faults = (
        # page 0: one hang past DOWNLOAD_TIMEOUT; page 1: two 503s (backoff 0.3 s, then 0.6 s); page 2: a 503
        # whose Retry-After is an HTTP date 3 s after the answer (whole seconds: a wait of 2-3 s).
        Fault("hang", path="/search", query={"search_api_fulltext": "mao zedong", "page": "0"}, seconds=10, times=1),
        Fault("status", path="/search", query=PAGE1, status=503, times=2),
        Fault("status", path="/search", query=PAGE2, status=503, retry_after="http-date+3",
              times=1),
    )
    with fault_site(*faults) as server:
        run = crawl(server, tmp_path, settings={"RETRY_TIMES": "2", "HARVESTER_RETRY_BACKOFF": "0.3",
                                                "DOWNLOAD_TIMEOUT": "1", "HARVESTER_MAX_RETRY_AFTER": "10"})
    assert run.code == 0, run.log
    assert_kept_all_but(run, server.base_url, None)
    assert_fetched_once(server, except_={MAO_PAGES[0]: 2, MAO_PAGES[1]: 3, MAO_PAGES[2]: 2})
    page1 = search_times(server, MAO_PAGES[1])
    assert page1[1] - page1[0] >= 0.3 * 0.9
    assert page1[2] - page1[1] >= 0.6 * 0.9
    page2 = search_times(server, MAO_PAGES[2])
    assert 1.5 <= page2[1] - page2[0] <= 4.5


def test_429_retry_after_is_honoured_for_the_whole_host(tmp_path):
    with fault_site(Fault("status", path="/search", query=PAGE1, status=429, retry_after=2, times=1)) as server:
        run = crawl(server, tmp_path, settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    assert run.code == 0, run.log
    assert_kept_all_but(run, server.base_url, None)
    assert_fetched_once(server, except_={MAO_PAGES[1]: 2})
    log = [r for r in server.log if r.target != "/robots.txt"]
    first_429 = next(i for i, r in enumerate(log) if r.target == MAO_PAGES[1])
    # Nothing at all went to the host for the 2 seconds after the 429: not the retry, not page 2.
    assert log[first_429 + 1].started - log[first_429].started >= 2.0 * 0.95
    assert "Retry-After 2 s" in run.log


# --- bot challenge -----------------------------------------------------------------------------------------


def test_a_challenge_mid_run_stops_the_run_with_a_clear_message(tmp_path):
    # Served as a 503, which is otherwise retried: a challenge is not (and 403, the usual status, never is).
    with fault_site(Fault("challenge", path="/search", query=PAGE1, status=503)) as server:
        run = crawl(server, tmp_path, settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    assert run.code == 1
    assert re.search(r"blocked by a bot-protection challenge page at \S+page=1; stopped early", run.result.stderr)
    assert searches(server)[MAO_PAGES[1]] == 1
    # What was read before the challenge is kept.
    assert {r["page"] for r in run.records} <= {0, 2}
    assert len(run.records) >= 10


# --- charset and mojibake ----------------------------------------------------------------------------------


CHARSET = {"search_api_fulltext": "charset"}
CHARSET_PAGES = {  # page: (mode, what the log says about it)
    1: ("cp1252-as-utf8", r"labelled UTF-8 but its bytes are cp1252 \(byte 0x\w\w at \d+\); decoded as cp1252"),
    2: ("utf8-as-cp1252", r"labelled cp1252 but its bytes are UTF-8; decoded as utf-8"),
    3: ("double-encoded", r"mojibake repaired"),
    # no charset anywhere: Scrapy's guess (charset-normalizer) would read it as cp1250, "naïve" → "naďve"
    4: ("missing", r"no charset declared and not UTF-8; decoded as cp1252"),
}


def test_a_wrong_or_missing_charset_gives_the_right_text_and_says_so(tmp_path):
    from harvester.devtools.faults import synthetic_page
    from harvester.parsing.files import parse_listing

    listing = Fault("listing", path="/search", query=CHARSET, total=50)
    faults = [Fault("charset", path="/search", query={**CHARSET, "page": str(page)}, mode=mode)
              for page, (mode, _) in CHARSET_PAGES.items()]
    with fault_site(*faults, listing) as server:
        run = crawl(server, tmp_path, query="charset")
    assert run.code == 0, run.log
    # Every page carries curly quotes, dashes and diacritics (Phạm Văn Đồng, Ceaușescu, Satō): exact again.
    expected = [(b.title, b.summary) for page in range(5)
                for b in parse_listing(synthetic_page(listing, page).decode()).blocks]
    got = [(r["title"], r["summary"]) for r in sorted(run.records, key=lambda r: r["position"])]
    assert got == expected
    for page, (_, message) in CHARSET_PAGES.items():
        assert re.search(rf"charset&page={page}: {message}", run.log), (page, message)
    assert "U+FFFD" not in run.log


# --- count header, pagination loop -------------------------------------------------------------------------


def test_a_count_header_that_disagrees_with_its_rows_is_not_trusted(tmp_path):
    # Page 0 says "1 - 10 of 10" (10 rows: all there is?) and page 1 "11 - 15 of 15" over 10 rows.
    faults = (
        Fault("count", path="/search", query={"search_api_fulltext": "mao zedong", "page": "0"}, count="1 - 10 of 10"),
        Fault("count", path="/search", query=PAGE1, count="11 - 15 of 15"),
    )
    with fault_site(*faults) as server:
        run = crawl(server, tmp_path)
    assert run.code == 0, run.log
    assert_kept_all_but(run, server.base_url, None)  # all 21: the crawl walked past the promised end
    assert "the count header says 11 - 15 of 15 but the page has 10 rows" in run.log
    assert f"/search?{MAO}&page=3" in searches(server)  # ... until an empty page
    assert_fetched_once(server)


def test_a_pagination_loop_is_detected_and_named(tmp_path):
    # Page 2 serves page 0's content.
    with fault_site(Fault("loop", path="/search", query=PAGE2)) as server:
        run = crawl(server, tmp_path)
    assert run.code == 1
    assert re.search(r"page=2 \(repeats the rows of page 0: the site's pagination loops\)", run.log)
    assert len(run.records) == 20
    assert_fetched_once(server)


def test_a_pagination_loop_without_a_count_header_ends(tmp_path):
    # A search whose pages have no count header is walked page by page; page 2 serves page 1 again, forever.
    loop = Fault("loop", path="/search", query={"search_api_fulltext": "walk", "page": "2"},
                 target="/search?search_api_fulltext=walk&page=1")
    walk = Fault("listing", path="/search", query={"search_api_fulltext": "walk"}, total=1000, count="")
    with fault_site(loop, walk) as server:
        run = crawl(server, tmp_path, query="walk")
    assert run.code == 1
    assert "repeats the rows of page 1" in run.log
    assert max(int(t.rsplit("page=", 1)[1]) for t in searches(server) if "page=" in t) <= 3


# --- size: big pages, many rows, too big -------------------------------------------------------------------


def test_a_5_mb_page_still_parses_in_bounded_memory(tmp_path):
    with fault_site(Fault("listing", path="/search", query={"search_api_fulltext": "big"}, total=10,
                          size=5_000_000)) as server:
        run = crawl(server, tmp_path, query="big")
    assert run.code == 0, run.log
    assert len(run.records) == 10
    assert sum(len(r["summary"]) for r in run.records) >= 4_900_000
    # The crawl's own peak (VmHWM): Scrapy's memusage/max is ru_maxrss, which a process inherits from the
    # (large, by now) pytest process that started it.
    peak = int(re.search(r"'harvester/peak_rss_bytes': (\d+)", run.log).group(1))
    assert peak < 400 * 1024 * 1024  # the page is read once and parsed once


def test_a_page_with_10000_rows():
    """At the spider (parser and pagination), in this process: the per-record pipelines are exercised by every
    other crawl here, and at 10,000 records they only multiply the run time."""
    from scrapy.http import HtmlResponse
    from scrapy.utils.test import get_crawler

    from harvester.crawl.spiders.wilson import WilsonSpider
    from harvester.devtools.faults import synthetic_page

    crawler = get_crawler(WilsonSpider)
    spider = WilsonSpider.from_crawler(crawler, query="many", base_url="http://127.0.0.1")
    crawler.spider = spider
    spider.keeper = keeper = PageRecorder()
    body = synthetic_page(Fault("listing", total=10_000, page_size=10_000), 0)
    assert len(body) > 4_000_000
    response = HtmlResponse(spider.start_url, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    out = list(spider.parse(response, page=0))
    items = [o for o in out if isinstance(o, dict)]
    assert [i["position"] for i in items] == list(range(1, 10_001))
    assert all(i["url"] and i["title"] and i["summary"] for i in items)
    # The page is full and the last the count promises: one more page is asked for, to be sure it is empty.
    assert [r.url for r in out if not isinstance(r, dict)] == [f"{spider.start_url}&page=1"]
    assert keeper.failed == []
    assert [(s.page, s.blocks) for s in keeper.parsed] == [(0, 10_000)]


def test_malformed_html_still_gives_every_record(tmp_path):
    with fault_site(Fault("malformed", path="/search", query={"search_api_fulltext": "mao zedong"})) as server:
        run = crawl(server, tmp_path)
    assert run.code == 0, run.log
    assert comparable(run.records, server.base_url) == expected_mao()
