"""What a Scrapy user types works on a harvester project: -O/-o, -L, --nolog, --logfile on ``harvester crawl``;
``-s DOWNLOAD_DELAY=0``; ``scrapy parse``, ``scrapy check`` and ``scrapy crawl`` with a bad argument."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from harvester.crawl.spiders.wilson import WilsonSpider
from harvester.products import schemas
from tests.support.cli import LOCAL, harvester
from tests.support.paths import REPO

MAO = "mao zedong"


def scrapy(*args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONWARNINGS": "default"}
    return subprocess.run([sys.executable, "-m", "scrapy", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env=env, check=False)  # fmt: skip


@pytest.mark.e2e
def test_harvester_crawl_takes_scrapys_feed_and_log_options(replay_site, tmp_path):
    feed, log = tmp_path / "feed.jsonl", tmp_path / "crawl.log"
    site = ["-s", f"WILSON_BASE_URL={replay_site.base_url}", *LOCAL]
    result = harvester("crawl", "wilson", "--query", MAO, "--output-dir", str(tmp_path / "out"), "-O", str(feed),
                       "--logfile", str(log), *site)  # fmt: skip
    assert result.code == 0, result.stderr
    assert len(feed.read_text().splitlines()) == 21  # the feed, as Scrapy writes it
    assert len(list((tmp_path / "out" / "wilson" / "runs").glob("*.json"))) == 1  # and the tracked run as well
    assert "Spider opened" in log.read_text()
    assert "Dumping Scrapy stats" in log.read_text()
    assert "] INFO:" not in result.stderr  # with a log file the console shows warnings only
    quiet = harvester("crawl", "wilson", "--query", MAO, "--out", str(tmp_path / "q.jsonl"), "--nolog", *site)
    assert quiet.code == 0
    assert quiet.stderr == ""
    assert quiet.stdout.startswith("harvester: 21 records")
    both = harvester("crawl", "wilson", "--query", MAO, "-o", "a.jsonl", "-O", "b.jsonl", "-L", "DEBUG", *site)
    assert both.code == 2
    assert "only one of -o/--output and -O/--overwrite-output" in both.stderr


def crawler_settings(**cmdline: object) -> Settings:
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    for name, value in cmdline.items():
        settings.set(name, value, priority="cmdline")
    settings.set("TWISTED_REACTOR_ENABLED", False)  # settings only: no reactor needed
    crawler = Crawler(WilsonSpider, settings)
    crawler._apply_settings()  # the add-ons run here, as in every crawl
    return crawler.settings


def test_download_delay_0_from_the_operator_also_removes_autothrottles_start_delay():
    assert crawler_settings(DOWNLOAD_DELAY="0").getfloat("AUTOTHROTTLE_START_DELAY") == 0
    given = crawler_settings(DOWNLOAD_DELAY="0", AUTOTHROTTLE_START_DELAY="2")
    assert given.getfloat("AUTOTHROTTLE_START_DELAY") == 2  # given too: kept
    assert crawler_settings().getfloat("AUTOTHROTTLE_START_DELAY") == 5  # the polite defaults stay
    assert crawler_settings(DOWNLOAD_DELAY="1").getfloat("AUTOTHROTTLE_START_DELAY") == 5


@pytest.mark.e2e
def test_scrapy_parse_writes_no_run_and_warns_of_no_deferred(replay_site, tmp_path):
    out = tmp_path / "output"
    url = f"{replay_site.base_url}/search?search_api_fulltext=mao%20zedong"
    result = scrapy("parse", "--spider", "wilson", "-s", f"HARVESTER_OUTPUT_DIR={out}", "-s", "DOWNLOAD_DELAY=0",
                    "--nolinks", url)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.count("'title':") == 10
    assert "Deferred" not in result.stderr
    assert not out.exists() or not any(out.rglob("*"))  # no tracked run, no state store


@pytest.mark.e2e
def test_scrapy_check_runs_the_wilson_contract_on_the_replica(tmp_path):
    out = tmp_path / "output"
    result = scrapy("check", "wilson", "-s", f"HARVESTER_OUTPUT_DIR={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ran 3 contracts" in result.stderr
    assert "OK" in result.stderr
    assert not out.exists() or not any(out.rglob("*"))


def test_scrapy_crawl_with_a_bad_argument_ends_in_one_line(tmp_path):
    result = scrapy("crawl", "wilson", "-a", "bogus=1", "-s", f"HARVESTER_OUTPUT_DIR={tmp_path}")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("harvester: error: profile wilson: unknown parameter bogus")
    assert [line for line in result.stderr.splitlines() if "rror" in line] == result.stderr.strip().splitlines()[-1:]
    assert not any(tmp_path.rglob("*.json"))  # no scrapyd job id: no manifest


def test_a_scrapyd_job_with_a_bad_argument_leaves_a_manifest_under_its_job_id(tmp_path):
    result = scrapy("crawl", "wilson", "-a", "bogus=1", "-a", "_job=3f2a9c", "-s", f"HARVESTER_OUTPUT_DIR={tmp_path}")
    assert result.returncode == 2
    manifest = json.loads((tmp_path / "wilson" / "runs" / "3f2a9c.json").read_text())
    assert (manifest["run_id"], manifest["exit_code"], manifest["finish_reason"]) == ("3f2a9c", 2, "bad_arguments")
    assert "unknown parameter bogus" in manifest["problems"][0]
    assert manifest["arguments"] == {"bogus": "1"}
    assert schemas.errors("manifest", manifest) == []  # harvester status and report read it like any other


HOLD_THE_JOB = """
import sys, time
from scrapy.settings import Settings
from harvester.crawl.spiders.wilson import WilsonSpider
from harvester.products import schemas
from harvester.storage.locks import JobLock
from harvester.storage.plan import plan_run
settings = Settings()
settings.setmodule("harvester.settings", priority="project")
settings.set("HARVESTER_OUTPUT_DIR", sys.argv[1])
lock = JobLock(plan_run(settings, WilsonSpider(query="mao zedong")).lock_path, "job")
print("held", flush=True)
time.sleep(60)
"""


def test_a_scrapyd_job_refused_because_the_job_is_running_leaves_a_manifest(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_JOB, str(tmp_path)], cwd=REPO, stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        result = scrapy("crawl", "wilson", "-a", "query=mao zedong", "-a", "_job=job2", "-s",
                        f"HARVESTER_OUTPUT_DIR={tmp_path}")  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "is in use by another harvester run" in result.stderr.strip().splitlines()[-1]
    manifest = json.loads((tmp_path / "wilson" / "runs" / "job2.json").read_text())
    assert (manifest["exit_code"], manifest["finish_reason"]) == (2, "refused")
    assert schemas.errors("manifest", manifest) == []
