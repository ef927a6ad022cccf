"""``harvester status`` over real run manifests: the last run of each job, and an exit code for monitoring."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from harvester.products import data, status
from tests.support.cli import harvester
from tests.support.products import harvest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def harvested(tmp_path_factory):
    return harvest(tmp_path_factory.mktemp("products"))


def test_the_last_run_of_each_job_is_reported_and_healthy_jobs_exit_0(harvested):
    result = harvester("status", "--output-dir", str(harvested.output), "--json")
    assert result.code == 0, result.stderr
    jobs = {job["job"]: job for job in json.loads(result.stdout)["jobs"]}
    assert set(jobs) == {"query=mao zedong", "people=81716"}
    mao = jobs["query=mao zedong"]
    assert (mao["runs"], mao["run_id"], mao["records"], mao["exit_code"]) == (2, harvested.newer, 21, 0)
    assert (mao["outcome"], mao["failed"], mao["stale"], mao["attention"]) == ("ok", False, False, False)
    assert jobs["people=81716"]["run_id"] == harvested.people
    assert result.stderr.strip() == "harvester: status: 2 jobs, 0 failed"


def test_a_failed_last_run_exits_1_and_says_why(harvested):
    result = harvester("status", "--output-dir", str(harvested.failed_output))
    assert result.code == 1
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["SOURCE", "JOB", "MODE", "RUNS", "LAST", "RUN", "ENDED", "AGE", "EXIT", "RECORDS",
                                "OUTCOME"]  # fmt: skip
    failed = next(line for line in lines if "query=challenge" in line)
    assert "failed: blocked by a bot-protection challenge page" in failed
    assert result.stderr.strip() == "harvester: status: 3 jobs, 1 failed"


def test_a_last_run_older_than_max_age_exits_1(harvested):
    fresh = harvester("status", "--output-dir", str(harvested.output), "--max-age", "24")
    assert fresh.code == 0, fresh.stdout + fresh.stderr
    old = harvester("status", "--output-dir", str(harvested.output), "--max-age", "0.0001")
    assert old.code == 1
    assert old.stdout.count("(too old)") == 2
    assert old.stderr.strip() == "harvester: status: 2 jobs, 0 failed, 2 older than 0.0001 h"


def test_job_statuses_is_a_pure_function_of_manifests_and_now(harvested):
    manifests = data.manifests(harvested.output / "wilson" / "runs")
    ended = max(status.parse_utc(m["ended_at"]) for m in manifests)
    later = status.job_statuses(manifests, ended + timedelta(hours=30), max_age_hours=24)
    assert [(s.job, s.stale, round(s.age_hours)) for s in later] == [
        ("people=81716", True, 30), ("query=mao zedong", True, 30),
    ]  # fmt: skip
    assert not any(s.stale for s in status.job_statuses(manifests, ended + timedelta(hours=1), 24))


def test_an_interrupted_run_is_listed_as_unfinished(harvested, tmp_path):
    import shutil
    import sqlite3

    output = tmp_path / "output"
    shutil.copytree(harvested.output, output)
    job = output / "wilson" / "jobs" / "wilson-0123456789abcdef"
    job.mkdir(parents=True)
    conn = sqlite3.connect(job / "journal.sqlite")
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.executemany("INSERT INTO meta VALUES (?, ?)", [("run_id", '"20261202T000000Z-abcdef"'),
                                                        ("started_at", '"2026-12-02T00:00:00Z"')])  # fmt: skip
    conn.commit()
    conn.close()
    result = harvester("status", "--output-dir", str(output))
    assert result.code == 0
    assert ("unfinished: wilson job wilson-0123456789abcdef: run 20261202T000000Z-abcdef started "
            "2026-12-02T00:00:00Z has not finished") in result.stdout  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--output-dir", "{missing}"], 2, "no such folder"),
        (["--output-dir", "{empty}"], 1, "no finished runs under"),
        (["--output-dir", "{output}", "--max-age", "0"], 2, "give a number of hours above 0"),
        (["--output-dir", "{output}", "--max-age", "soon"], 2, "invalid float value"),
    ],
)
def test_bad_arguments_exit_2_and_no_runs_exits_1(harvested, tmp_path, args, code, message):
    (tmp_path / "empty").mkdir()
    values = {"missing": str(tmp_path / "missing"), "empty": str(tmp_path / "empty"), "output": str(harvested.output)}
    result = harvester("status", *(a.format(**values) for a in args))
    assert result.code == code
    assert message in result.stderr
