"""Live progress: pages done of the total the count header promised, records, errors and an ETA."""

from __future__ import annotations

import io

import pytest
from scrapy.utils.test import get_crawler

from harvester.crawl.progress import Progress
from harvester.devtools.replay import ReplayServer
from tests.support.cli import LOCAL, harvester
from tests.support.paths import WILSON_SITE


def progress(stats: dict, interactive: bool = False) -> tuple[Progress, io.StringIO]:
    crawler = get_crawler()
    crawler.stats.open_spider()
    for key, value in stats.items():
        crawler.stats.set_value(key, value)
    stream = io.StringIO()
    return Progress(crawler, stream, interactive=interactive, interval=1.0), stream


def test_line_counts_pages_of_the_known_total_and_estimates_the_rest():
    meter, _ = progress(
        {
            "harvester/pages_parsed": 3,
            "harvester/failed_pages": 1,
            "harvester/pages_expected": 8,
            "item_scraped_count": 30,
        }
    )
    meter.started = 100.0
    # 4 pages in 20 s, 4 to go at the same pace: 20 s more.
    assert meter.line(now=120.0) == "pages 4/8, records 30, errors 1, elapsed 20s, ETA 0m20s"


def test_line_without_a_count_header_has_no_total_and_no_eta():
    meter, _ = progress({"harvester/pages_parsed": 2, "item_scraped_count": 20})
    meter.started = 0.0
    assert meter.line(now=5.0) == "pages 2/?, records 20, errors 0, elapsed 5s"


def test_terminal_redraws_one_line_and_a_pipe_gets_plain_lines():
    meter, stream = progress({"harvester/pages_parsed": 1, "harvester/pages_expected": 2}, interactive=True)
    meter.report()
    meter.report()
    assert stream.getvalue().count("\r\x1b[2K") == 2
    assert "\n" not in stream.getvalue()
    meter, stream = progress({"harvester/pages_parsed": 1, "harvester/pages_expected": 2}, interactive=False)
    meter.report()
    assert stream.getvalue().startswith("harvester: progress: pages 1/2")
    assert stream.getvalue().endswith("\n")


@pytest.mark.e2e
def test_a_slow_crawl_reports_progress_off_a_terminal(tmp_path):
    with ReplayServer(WILSON_SITE, delay=0.4) as base:
        result = harvester(
            "crawl", "wilson", "--query", "mao zedong", "--out", str(tmp_path / "out.jsonl"),
            "-s", f"WILSON_BASE_URL={base}", "-s", "HARVESTER_PROGRESS_INTERVAL=0.2", *LOCAL,
        )
    assert result.code == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("harvester: progress: ")]
    assert lines, result.stderr
    assert any("/3," in line for line in lines)  # the total came from the count header "1 - 10 of 21"
