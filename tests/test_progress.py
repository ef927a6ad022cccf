"""Live progress: pages done of the total the count header promised, records, errors and an ETA."""

from __future__ import annotations

import io
import re

import pytest
from scrapy.utils.test import get_crawler

from harvester.crawl.progress import Progress
from harvester.devtools.faults import Fault
from harvester.devtools.replay import ReplayServer
from tests.support.cli import LOCAL, harvester
from tests.support.paths import WILSON_SITE
from tests.support.terminal import on_terminal


def progress(stats: dict, interactive: bool = False) -> tuple[Progress, io.StringIO]:
    crawler = get_crawler()
    crawler.stats.open_spider()
    for key, value in stats.items():
        crawler.stats.set_value(key, value)
    stream = io.StringIO()
    return Progress(crawler, stream, interactive=interactive, interval=1.0), stream


def test_line_counts_pages_of_the_known_total_with_a_rate_and_an_eta():
    meter, _ = progress(
        {
            "harvester/pages_parsed": 3,
            "harvester/failed_pages": 1,
            "harvester/pages_expected": 8,
            "item_scraped_count": 30,
        }
    )
    meter.started = 100.0
    # 4 pages in 20 s (12 a minute), 4 to go at the same pace: 20 s more.
    assert meter.line(now=120.0) == "pages 4/8, records 30, errors 1, 12.0 pages/min, elapsed 20s, ETA 0m20s"


def test_line_without_a_count_header_says_the_total_is_unknown():
    meter, _ = progress({"harvester/pages_parsed": 2, "item_scraped_count": 20})
    meter.started = 0.0
    assert meter.line(now=5.0) == "pages 2, total unknown, records 20, errors 0, 24.0 pages/min, elapsed 5s"
    meter, _ = progress({})
    assert meter.line(now=meter.started).startswith("pages 0, total unknown,")  # never "0/?"


def test_the_count_never_runs_past_the_total():
    """A full last page is followed by one more request (pages_scheduled 81 of the 80 promised)."""
    meter, _ = progress({"harvester/pages_parsed": 81, "harvester/pages_expected": 80,
                         "harvester/pages_scheduled": 81})  # fmt: skip
    assert meter.line(now=meter.started + 10).startswith("pages 81/81,")


def test_a_pipe_gets_plain_lines_and_interval_0_none():
    meter, stream = progress({"harvester/pages_parsed": 1, "harvester/pages_expected": 2}, interactive=False)
    meter.report()
    assert stream.getvalue().startswith("harvester: progress: pages 1/2")
    assert stream.getvalue().endswith("\n")
    meter.interval = 0
    meter.spider_opened(None)  # 0: no periodic line (and no error: a LoopingCall refuses interval 0)
    assert meter.task is None


@pytest.mark.e2e
def test_progress_interval_0_does_not_fail_a_successful_crawl(replay_site, tmp_path):
    out = tmp_path / "out.jsonl"
    result = harvester("crawl", "wilson", "--query", "mao zedong", "--out", str(out),
                       "-s", f"WILSON_BASE_URL={replay_site.base_url}", "-s", "HARVESTER_PROGRESS_INTERVAL=0", *LOCAL)
    assert result.code == 0, result.stderr
    assert len(out.read_text().splitlines()) == 21
    assert "harvester: progress:" not in result.stderr


PROGRESS = re.compile(r"pages (\d+)(?:/(\d+)|, total unknown)")
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[[\w.]+\] (DEBUG|INFO|WARNING|ERROR)")


@pytest.mark.e2e
@pytest.mark.slow
def test_a_real_crawl_on_a_terminal_shows_a_live_bar_log_lines_apart_and_the_summary_last(tmp_path):
    """80 results in 8 full pages: the last full page is followed by a 9th request (the "81/80" of old)."""
    walk = Fault("listing", path="/search", query={"search_api_fulltext": "walk"}, total=80)
    with ReplayServer(WILSON_SITE, faults=[walk], delay=0.25) as base:
        common = ("crawl", "wilson", "--query", "walk", "-s", f"WILSON_BASE_URL={base}", *LOCAL,
                  "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2")  # fmt: skip
        loud = on_terminal(*common, "--out", str(tmp_path / "loud.jsonl"), "-L", "INFO")
        quiet = on_terminal(*common, "--out", str(tmp_path / "quiet.jsonl"))
    for screen in (loud, quiet):
        assert screen.code == 0, "\n".join(screen.final)
        assert screen.final[-1].startswith("harvester: 80 records from 9 pages"), screen.final[-5:]  # summary last
        seen = [line for snap in screen.snapshots for line in snap] + screen.final
        counts = [(int(m[1]), int(m[2])) for line in seen for m in PROGRESS.finditer(line) if m[2]]
        assert counts, seen
        assert all(done <= total for done, total in counts), [c for c in counts if c[0] > c[1]]
        assert not any(line.strip().startswith("pages 0/") or "/?" in line for line in seen)
        for line in seen:  # no log line glued onto the live display's line, none starting mid-line
            if LOG_LINE.search(line):
                assert LOG_LINE.match(line), line
                assert not PROGRESS.search(line.split("]", 1)[0]), line
    loud_text = "\n".join(loud.final)
    assert "Spider opened" in loud_text  # -L INFO: the log scrolls above the display
    assert not any(LOG_LINE.match(line) for line in quiet.final), quiet.final  # quiet: no start-up, no stats dump
    assert "Dumping Scrapy stats" not in "\n".join(quiet.final)
    assert any("━" in line and "pages 9/9" in line for line in quiet.final)  # a bar, ended at its total


@pytest.mark.e2e
def test_a_slow_crawl_reports_progress_off_a_terminal(tmp_path):
    with ReplayServer(WILSON_SITE, delay=0.4) as base:
        result = harvester(
            "crawl", "wilson", "--query", "mao zedong", "--out", str(tmp_path / "out.jsonl"), "-L", "INFO",
            "-s", f"WILSON_BASE_URL={base}", "-s", "HARVESTER_PROGRESS_INTERVAL=0.2", *LOCAL,
        )
    assert result.code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("harvester: progress: ")]
    assert lines, result.stderr
    assert any("/3," in line for line in lines)  # the total came from the count header "1 - 10 of 21"
