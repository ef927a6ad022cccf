"""scrapyd runs the wilson spider as a scheduled job: the project from this checkout, no egg, no network."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from harvester.products import schemas
from tests.support.cli import read_jsonl
from tests.support.paths import REPO
from tests.support.scrapyd import call, start_scrapyd, wait

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def scrapyd(tmp_path):
    """scrapyd on 127.0.0.1; the harvester project comes from the same [settings] line as this checkout's
    scrapy.cfg (importable through PYTHONPATH, no egg deployed)."""
    home = tmp_path / "scrapyd"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with start_scrapyd(home, env=env, project_cfg="[settings]\nharvester = harvester.settings\n") as base:
        yield base, home


def test_scrapyd_schedules_a_wilson_job_that_writes_the_dataset(scrapyd, replay_site, tmp_path):
    base, home = scrapyd
    out = tmp_path / "out"
    deadline = time.monotonic() + 50
    assert "harvester" in call(base, "listprojects.json")["projects"]
    assert "wilson" in call(base, "listspiders.json?project=harvester")["spiders"]
    answer = call(base, "schedule.json", [
        ("project", "harvester"),
        ("spider", "wilson"),
        ("query", "mao zedong"),
        ("setting", f"HARVESTER_OUTPUT_DIR={out}"),
        ("setting", f"WILSON_BASE_URL={replay_site.base_url}"),
        ("setting", "DOWNLOAD_DELAY=0"),
        ("setting", "AUTOTHROTTLE_ENABLED=False"),
    ])
    assert answer["status"] == "ok", answer
    job = answer["jobid"]

    def finished():
        jobs = call(base, "listjobs.json?project=harvester")
        return next((j for j in jobs["finished"] if j["id"] == job), None)

    wait(f"job {job} to finish", finished, deadline)
    log = next(Path(home / "logs").rglob(f"{job}.log")).read_text(encoding="utf-8")
    manifest_path = out / "wilson" / "runs" / f"{job}.json"  # the run is named after scrapyd's job
    assert manifest_path.is_file(), log[-3000:]
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    assert (manifest["exit_code"], manifest["counts"]["records"], manifest["counts"]["new"]) == (0, 21, 21)
    assert manifest["arguments"]["query"] == "mao zedong"
    dataset = read_jsonl(out / "wilson" / "dataset.jsonl")
    assert len(dataset) == 21
    assert "run failed" not in log


def schedule(base: str, *fields: tuple[str, str]) -> str:
    answer = call(base, "schedule.json", [("project", "harvester"), ("spider", "wilson"), *fields])
    assert answer["status"] == "ok", answer
    return answer["jobid"]


def finished_job(base: str, job: str, deadline: float) -> dict:
    def finished():
        jobs = call(base, "listjobs.json?project=harvester")
        return next((j for j in jobs["finished"] if j["id"] == job), None)

    return wait(f"job {job} to finish", finished, deadline)


def test_every_scrapyd_job_leaves_a_manifest_under_its_own_id(scrapyd, tmp_path):
    """A job with a bad argument, a job cancelled mid-run and the job that resumes it: three manifests."""
    from harvester.devtools.replay import ReplayServer
    from tests.support.paths import WILSON_SITE

    base, home = scrapyd
    out = tmp_path / "out"
    deadline = time.monotonic() + 100
    settings = [("setting", f"HARVESTER_OUTPUT_DIR={out}"), ("setting", "DOWNLOAD_DELAY=0"),
                ("setting", "AUTOTHROTTLE_ENABLED=False")]  # fmt: skip
    runs = out / "wilson" / "runs"

    bad = schedule(base, ("query", "mao zedong"), ("bogus", "1"), *settings)
    finished_job(base, bad, deadline)
    manifest = json.loads((runs / f"{bad}.json").read_text())
    assert (manifest["exit_code"], manifest["finish_reason"]) == (2, "bad_arguments")
    assert "unknown parameter bogus" in manifest["problems"][0]
    assert schemas.errors("manifest", manifest) == []

    with ReplayServer(WILSON_SITE, delay=1.5) as site:  # slow enough to be cancelled after its first page
        crawl = [("query", "mao zedong"), ("setting", f"WILSON_BASE_URL={site}"), *settings,
                 ("setting", "HARVESTER_RESUME=True")]  # fmt: skip
        first = schedule(base, *crawl)
        wait("the first page journaled", lambda: any((out / "wilson" / "jobs").glob("*/journal.sqlite")), deadline)
        time.sleep(2)
        call(base, "cancel.json", [("project", "harvester"), ("job", first)])
        finished_job(base, first, deadline)
        interrupted = json.loads((runs / f"{first}.json").read_text())
        assert (interrupted["run_id"], interrupted["finish_reason"]) == (first, "shutdown")
        assert interrupted["resumable"] is True
        assert interrupted["output"] is None
        assert not (runs / f"{first}.jsonl").exists()
        assert schemas.errors("manifest", interrupted) == []

        second = schedule(base, *crawl)
        finished_job(base, second, deadline)
    log = next(Path(home / "logs").rglob(f"{second}.log")).read_text(encoding="utf-8")
    resumed = json.loads((runs / f"{second}.json").read_text())
    assert (resumed["run_id"], resumed["exit_code"], resumed["resumed_from"]) == (second, 0, first), log[-3000:]
    assert resumed["sessions"] == 2
    assert resumed["counts"]["records"] == 21
    assert len(read_jsonl(runs / f"{second}.jsonl")) == 21
    assert schemas.errors("manifest", resumed) == []
