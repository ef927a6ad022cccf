"""scrapyd runs the wilson spider as a scheduled job: the project from this checkout, no egg, no network."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.cli import read_jsonl
from tests.support.paths import REPO

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=10) as response:
        return json.loads(response.read())


def wait(what: str, check, deadline: float):
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"scrapyd: timed out waiting for {what}")


@pytest.fixture
def scrapyd(tmp_path):
    """scrapyd on 127.0.0.1 with its own folders; the harvester project comes from scrapy.cfg's [settings]."""
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "items_dir =\n"
        "jobs_to_keep = 5\n"
        "poll_interval = 0.2\n"
        "max_proc = 1\n",
        encoding="utf-8",
    )
    # The same [settings] line as this checkout's scrapy.cfg: the project is importable, no egg is deployed.
    (home / "scrapy.cfg").write_text("[settings]\nharvester = harvester.settings\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = (home / "scrapyd.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def ready():
        try:
            return call(base, "daemonstatus.json").get("status") == "ok"
        except OSError:
            assert proc.poll() is None, (home / "scrapyd.log").read_text()
            return False

    try:
        wait("daemonstatus.json", ready, time.monotonic() + 30)
        yield base, home
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


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
