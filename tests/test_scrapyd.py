"""scrapyd runs the wilson spider as a scheduled job: the project from this checkout, no egg, no network."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

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
