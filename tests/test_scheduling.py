"""Job lists, due times and the submit decision (pure), the scheduler's book on both backends, and the two
commands end to end against a stand-in scrapyd (the multi-node fault test uses real ones: test_multinode.py)."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from harvester.cli import main
from harvester.errors import JobListError
from harvester.scheduling.decide import SUBMIT, WAIT, JobState, decide, job_of
from harvester.scheduling.due import is_due, next_due, parse_schedule
from harvester.scheduling.jobs import load_jobs
from harvester.scheduling.scrapyd import NodeLoad, node_urls
from harvester.storage.plan import RunPlan
from harvester.storage.schedule import Finished, Submission
from tests.support.cli import LOCAL, harvester

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def write_list(tmp_path: Path, body: str, name: str = "jobs.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


LIST = """
output_dir = "{out}"
[defaults]
every = "6h"
settings = {{ WILSON_BASE_URL = "{base}", DOWNLOAD_DELAY = 0, AUTOTHROTTLE_ENABLED = false }}
[[source]]
name = "wilson"
spider = "wilson"
[[source]]
name = "mirror"
spider = "wilson"
settings = {{ WILSON_BASE_URL = "http://127.0.0.2:8001" }}
[[search]]
name = "mao"
arguments = {{ query = "mao zedong" }}
[[search]]
name = "korea"
cron = "*/10 * * * *"
mode = "full"
sources = ["wilson"]
arguments = {{ query = "korea" }}
"""


def test_a_job_list_is_sources_times_searches_with_layered_values(tmp_path):
    listed = load_jobs(write_list(tmp_path, LIST.format(out=tmp_path / "out", base="http://127.0.0.1:8000")))
    by_name = {job.name: job for job in listed.jobs}
    assert sorted(by_name) == ["mirror/mao", "wilson/korea", "wilson/mao"]
    assert by_name["wilson/korea"].schedule.text() == "cron */10 * * * *"
    assert by_name["wilson/mao"].schedule.text() == "every 6h"
    assert by_name["wilson/korea"].mode == "full"
    assert by_name["wilson/mao"].mode == "incremental"
    assert by_name["mirror/mao"].settings["WILSON_BASE_URL"] == "http://127.0.0.2:8001"  # the source's wins
    assert by_name["wilson/mao"].settings["DOWNLOAD_DELAY"] == "0"
    assert (by_name["wilson/mao"].host, by_name["mirror/mao"].host) == ("127.0.0.1:8000", "127.0.0.2:8001")
    assert len({job.job_key for job in listed.jobs}) == 3
    # the key is the one storage/plan.py computes for the same spider arguments and mode
    mao = by_name["wilson/mao"]
    assert mao.job_key == RunPlan("wilson", "incremental", tmp_path, mao.plan.arguments).job_key
    assert mao.job_key.startswith("wilson-")


@pytest.mark.e2e
def test_the_job_key_is_the_one_the_crawl_computes(tmp_path, replay_site):
    out = tmp_path / "out"
    listed = load_jobs(write_list(tmp_path, LIST.format(out=out, base=replay_site.base_url)))
    job = next(job for job in listed.jobs if job.name == "wilson/mao")
    result = harvester("crawl", "wilson", "--query", "mao zedong", "--output-dir", str(out), *LOCAL,
                       "-s", f"WILSON_BASE_URL={replay_site.base_url}", "--nolog")  # fmt: skip
    assert result.code == 0, result.stderr
    manifest = json.loads(next((out / "wilson" / "runs").glob("*.json")).read_text(encoding="utf-8"))
    assert manifest["job_key"] == job.job_key


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("[[source]]\nname = 'a'\n", "source.0: 'spider' is a required property"),
        ("[[source]]\nname = 'a'\nspider = 'wilson'\nevery = '6x'\n", "source.0.every"),
        ("[[source]]\nname = 'a'\nspider = 'wilson'\ncron = 'sixty * * * *'\n", "is not a cron expression"),
        ("[[source]]\nname = 'a'\nspider = 'wilson'\n", "no schedule"),
        ("[[source]]\nname = 'a'\nspider = 'nope'\nevery = '1h'\n", "unknown spider 'nope'"),
        ("[[source]]\nname = 'a'\nspider = 'wilson'\nevery = '1h'\narguments = { bogus = 1 }\n", "bogus"),
        ("[[source]]\nname = 'a'\nspider = 'wilson'\nevery = '1h'\nsettings = { HARVESTER_RESUME = true }\n",
         "HARVESTER_RESUME is not a job's to give"),
        ("[[source]]\nname = 'a'\nspider = 'wilson'\nevery = '1h'\nsettings = { DOWNLOAD_DELAY = 'soon' }\n",
         "DOWNLOAD_DELAY"),
        ("[[source]]\nname = 'a'\nspider = 'wilson'\nevery = '1h'\n[[search]]\nname = 's'\nsources = ['b']\n",
         "unknown source b"),
        ("source = [\n", "not valid TOML"),
    ],
)
def test_a_bad_job_list_is_one_line_and_exit_2(tmp_path, capsys, body, expected):
    path = write_list(tmp_path, body)
    with pytest.raises(JobListError, match=r"jobs\.toml"):
        load_jobs(path)
    assert main(["jobs", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("harvester: error: "), err
    assert expected in err, err
    assert err.count("\n") == 1


def test_a_missing_job_list_is_exit_2(tmp_path, capsys):
    assert main(["schedule", str(tmp_path / "none.toml"), "--scrapyd", "http://127.0.0.1:1"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_due_times_of_cron_and_interval_schedules():
    cron = parse_schedule("15 4 * * *", None, "job")
    assert next_due(cron, None, NOW) == NOW  # never submitted: due at once
    submitted = datetime(2026, 12, 2, 4, 15, 20, tzinfo=UTC)
    assert next_due(cron, submitted, NOW) == datetime(2026, 12, 3, 4, 15, tzinfo=UTC)
    assert is_due(cron, submitted, NOW)
    assert not is_due(cron, datetime(2026, 12, 3, 4, 15, 5, tzinfo=UTC), NOW)
    # days missed while no scheduler ran: made up once, not once a day
    assert next_due(cron, datetime(2026, 11, 1, 4, 15, tzinfo=UTC), NOW) < NOW
    every = parse_schedule(None, "90m", "job")
    assert next_due(every, NOW - timedelta(minutes=30), NOW) == NOW + timedelta(minutes=60)
    assert every.text() == "every 90m"


def test_node_urls_are_checked():
    assert node_urls("http://a:6800/, http://b:6800,http://a:6800") == ["http://a:6800", "http://b:6800"]
    for bad in ("", "a:6800", "ftp://a"):
        with pytest.raises(Exception, match="--scrapyd"):
            node_urls(bad)


# --- the decision -------------------------------------------------------------------------------------------


@pytest.fixture
def six_jobs(tmp_path):
    body = f'output_dir = "{tmp_path}"\n[defaults]\nevery = "1h"\nsettings = {{ DOWNLOAD_DELAY = 0 }}\n'
    for host in ("a", "b"):
        body += f"[[source]]\nname = '{host}'\nspider = 'wilson'\narguments = {{ base_url = 'http://{host}.test' }}\n"
    for query in ("one", "two", "three"):
        body += f"[[search]]\nname = '{query}'\narguments = {{ query = '{query}' }}\n"
    return load_jobs(write_list(tmp_path, body)).jobs


def nodes(*loads: int, jobs: tuple[frozenset, ...] = ()) -> list[NodeLoad]:
    return [NodeLoad(f"http://n{i}", load, jobs[i] if i < len(jobs) else frozenset()) for i, load in enumerate(loads)]


def submitted(minutes_ago: int, job_id: str = "x", reason: str = "due") -> Submission:
    at = (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Submission(job_id, "http://n0", at, reason)


def test_first_round_one_job_per_host_to_the_least_loaded_nodes(six_jobs):
    decisions = decide(six_jobs, {}, nodes(3, 1), {}, NOW)
    submit = [d for d in decisions if d.action == SUBMIT]
    assert [(d.job.host, d.node) for d in submit] == [("a.test", "http://n1"), ("b.test", "http://n1")]
    waits = [d for d in decisions if d.action == WAIT]
    assert len(waits) == 4
    assert all("is busy: job" in d.reason for d in waits)


def test_a_job_pending_or_running_anywhere_is_never_submitted_again(six_jobs):
    job = six_jobs[0]
    listed = frozenset({f"{job.job_key}-20261203T075900Z-abcdef"})
    assert job_of(next(iter(listed))) == job.job_key
    by_lists = decide([job], {}, nodes(0, 0, jobs=(frozenset(), listed)), {}, NOW)
    assert (by_lists[0].action, by_lists[0].reason) == (WAIT, "pending or running on http://n1")
    by_lock = decide([job], {job.job_key: JobState(running=True, unfinished=True)}, nodes(0), {}, NOW)
    assert by_lock[0].action == WAIT
    assert "job lock" in by_lock[0].reason
    # and its host is then busy for the other jobs of that host
    others = decide(six_jobs[:3], {job.job_key: JobState(running=True)}, nodes(0), {}, NOW)
    assert all(d.action == WAIT for d in others)


def test_interrupted_lost_retried_due_and_not_due(six_jobs):
    a1, a2, _a3, b1, b2, b3 = six_jobs
    done = Finished("x", "r", 0, "finished", "2026-12-03T07:30:00Z")
    states = {
        a1.job_key: JobState(unfinished=True, submission=submitted(5)),  # killed: resume
        b1.job_key: JobState(submission=submitted(5, "y"), finish=done),  # its submission never finished: lost
        a2.job_key: JobState(submission=submitted(10), finish=done),  # finished 10 min ago, every 1h: not due
        b2.job_key: JobState(submission=submitted(61), finish=done),  # due again
        b3.job_key: JobState(submission=submitted(2), finish=Finished("x", "r", 75, "host_busy", "")),  # retry
    }
    decisions = {d.job.name: d for d in decide(six_jobs, states, nodes(0, 0), {}, NOW)}
    assert (decisions["a/one"].action, decisions["a/one"].reason) == (SUBMIT, "resume")
    assert (decisions["b/one"].action, decisions["b/one"].reason) == (SUBMIT, "lost")
    assert decisions["a/two"].action == WAIT
    assert decisions["a/two"].reason == "next due 2026-12-03 08:50:00Z"
    assert decisions["b/two"].reason.startswith("due, but its host b.test is busy")
    assert decisions["b/three"].reason.startswith("retry, but its host b.test is busy")
    assert decisions["a/three"].action == WAIT  # due, host a busy with the resume
    # a run of the job started by hand after the submission, finished: the submission is not lost
    by_hand = JobState(submission=submitted(5, "y"), finish=Finished(None, "r", 0, "finished", "2026-12-03T07:58:00Z"))
    assert decide([b1], {b1.job_key: by_hand}, nodes(0), {}, NOW)[0].reason.startswith("next due")
    # a resubmission of a lost job that is lost too waits for the next due time, saying why
    twice = JobState(submission=submitted(5, "y", reason="lost"), finish=done)
    waits = decide([b1], {b1.job_key: twice}, nodes(0), {}, NOW)[0]
    assert waits.action == WAIT
    assert waits.reason.startswith("lost twice: submitted as y to http://n0")
    assert decide([b1], {b1.job_key: twice}, nodes(0), {}, NOW + timedelta(hours=1))[0].reason == "due"
    # resumes go first: the least-loaded node first, then the other
    assert (decisions["a/one"].node, decisions["b/one"].node) == ("http://n0", "http://n1")


def test_a_host_leased_by_another_job_waits_but_its_own_job_resumes_at_once(six_jobs):
    a1, a2 = six_jobs[0], six_jobs[1]
    leased = {"a.test": a1.job_key}
    states = {a1.job_key: JobState(unfinished=True)}
    decisions = {d.job.name: d for d in decide(six_jobs[:2], states, nodes(0), leased, NOW)}
    assert decisions["a/one"].action == SUBMIT
    alone = decide([a2], {}, nodes(0), leased, NOW)[0]
    assert alone.action == WAIT
    assert f"leased by job {a1.job_key}" in alone.reason


def test_no_node_no_submission(six_jobs):
    decisions = decide(six_jobs[:1], {}, [], {}, NOW)
    assert decisions[0].action == WAIT
    assert "no scrapyd node can be reached" in decisions[0].reason


# --- the book, on both backends -------------------------------------------------------------------------------


def test_the_book_and_the_job_lock_probe_on_both_backends(tmp_path, state_backend):
    from harvester.storage.backends import open_backend

    plan = RunPlan("wilson", "incremental", tmp_path / "out", {"query": "q"}, state_url=state_backend.url)
    backend = open_backend(plan)
    try:
        book = backend.schedule_book(plan)
        assert (book.submissions(), book.finishes(), book.leased_hosts()) == ({}, {}, {})
        book.record_submission(plan.job_key, Submission("j1", "http://n0", "2026-12-03T08:00:00Z", "due"))
        book.record_submission(plan.job_key, Submission("j2", "http://n1", "2026-12-03T09:00:00Z", "resume"))
        book.record_finish(plan.job_key, "j2", "j2", 0, "finished")
        assert book.submissions() == {plan.job_key: Submission("j2", "http://n1", "2026-12-03T09:00:00Z", "resume")}
        finish = book.finishes()[plan.job_key]
        assert (finish.job_id, finish.exit_code, finish.reason) == ("j2", 0, "finished")
        assert finish.finished_at.endswith("Z")
        assert not backend.job_running(plan)
        held = backend.job_lock(plan)
        assert backend.job_running(plan)
        held.release()  # PostgreSQL: the server drops the lock when it has seen the session end, a moment later
        deadline = time.monotonic() + 5
        while backend.job_running(plan) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not backend.job_running(plan)
        leases = backend.leases(plan, "node/1/run", 30)
        assert leases.acquire("a.test") is None
        assert book.leased_hosts() == {"a.test": plan.job_key}
        leases.release()
        assert book.leased_hosts() == {}
        book.close()
    finally:
        backend.close()


# --- the commands against a stand-in scrapyd ----------------------------------------------------------------


class FakeScrapyd(BaseHTTPRequestHandler):
    scheduled: list[list[tuple[str, str]]]
    pending: list[str]

    def log_message(self, *args):
        pass

    def _answer(self, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.startswith("/daemonstatus.json"):
            self._answer({"status": "ok", "pending": len(self.server.pending), "running": 0, "finished": 0})
        elif self.path.startswith("/listjobs.json"):
            self._answer({"status": "ok", "pending": [{"id": i} for i in self.server.pending], "running": [],
                          "finished": []})
        else:
            self.send_error(404)

    def do_POST(self):
        fields = urllib.parse.parse_qsl(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.server.scheduled.append(fields)
        job_id = dict(fields)["jobid"]
        self.server.pending.append(job_id)
        self._answer({"status": "ok", "jobid": job_id})


@pytest.fixture
def fake_scrapyd():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeScrapyd)
    server.scheduled, server.pending = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_schedule_submits_due_jobs_once_and_jobs_shows_them(tmp_path, fake_scrapyd, capsys):
    server, url = fake_scrapyd
    path = write_list(tmp_path, LIST.format(out=tmp_path / "out", base="http://127.0.0.1:8000"))
    keys = {job.name: job.job_key for job in load_jobs(path).jobs}
    assert main(["schedule", str(path), "--scrapyd", url, "--dry-run"]) == 0
    assert server.scheduled == []
    assert "(dry run)" in capsys.readouterr().out
    assert main(["schedule", str(path), "--scrapyd", url]) == 0
    out, err = capsys.readouterr()
    assert err == ""  # cron mails stderr: nothing when all went well
    # two hosts: wilson's two jobs share one, so one of them waits for the other
    assert len(server.scheduled) == 2, out
    fields = dict(server.scheduled[0])
    settings = [value for name, value in server.scheduled[0] if name == "setting"]
    assert fields["project"] == "harvester"
    assert fields["spider"] == "wilson"
    assert "HARVESTER_RESUME=True" in settings
    assert f"HARVESTER_OUTPUT_DIR={tmp_path / 'out'}" in settings
    assert fields["jobid"].rsplit("-", 2)[0] in keys.values()
    # a second round: the submitted jobs are pending on the node, nothing is submitted twice
    assert main(["schedule", str(path), "--scrapyd", url]) == 0
    assert len(server.scheduled) == 2
    capsys.readouterr()
    assert main(["jobs", str(path), "--json"]) == 0
    rows = {row["job"]: row for row in json.loads(capsys.readouterr().out)}
    assert {row["job_key"] for row in rows.values()} == set(keys.values())
    assert sum(row["status"].startswith("submitted to") for row in rows.values()) == 2


def test_an_unreachable_node_is_named_and_exit_1_the_others_still_get_jobs(tmp_path, fake_scrapyd, capsys):
    server, url = fake_scrapyd
    path = write_list(tmp_path, LIST.format(out=tmp_path / "out", base="http://127.0.0.1:8000"))
    assert main(["schedule", str(path), "--scrapyd", f"http://127.0.0.1:1,{url}"]) == 1
    captured = capsys.readouterr()
    assert captured.err == "harvester: error: scrapyd http://127.0.0.1:1 cannot be reached: [Errno 111] " \
        "Connection refused\n"
    assert "2 submitted, 3 jobs, 1 of 2 nodes reachable" in captured.out
    assert len(server.scheduled) == 2


@pytest.mark.e2e
def test_a_run_books_its_finish_where_a_scheduler_keeps_a_book(tmp_path, replay_site, state_backend):
    from harvester.storage.backends import open_backend

    out = tmp_path / "out"
    crawl = ("crawl", "wilson", "--query", "mao zedong", "--output-dir", str(out), *LOCAL, *state_backend.settings,
             "-s", f"WILSON_BASE_URL={replay_site.base_url}", "--nolog")  # fmt: skip
    assert harvester(*crawl).code == 0
    assert not (out / ".schedule.sqlite").exists()  # no scheduler: no book, nothing more written
    plan = RunPlan("wilson", "incremental", out, {}, state_url=state_backend.url)
    backend = open_backend(plan)
    try:
        assert backend.schedule_book(plan, create=False) is None
        backend.schedule_book(plan).close()  # a scheduler made it
        assert harvester(*crawl, "-s", "HARVESTER_RUN_ID=job-1").code == 0
        book = backend.schedule_book(plan, create=False)
        (key, finish), = book.finishes().items()
        book.close()
    finally:
        backend.close()
    manifest = json.loads((out / "wilson" / "runs" / "job-1.json").read_text(encoding="utf-8"))
    assert key == manifest["job_key"]
    assert (finish.job_id, finish.run_id, finish.exit_code, finish.reason) == ("job-1", "job-1", 0, "finished")


def test_status_of_a_job_list_reads_every_nodes_runs_from_the_shared_state(tmp_path, capsys):
    from harvester.scheduling.standing import state_of

    path = write_list(tmp_path, LIST.format(out=tmp_path / "out", base="http://127.0.0.1:8000"))
    listed = load_jobs(path)
    assert main(["status", "--jobs", str(path)]) == 0  # nothing ran yet, and no age was asked for
    assert "0 need attention" in capsys.readouterr().err
    assert main(["status", "--jobs", str(path), "--max-age", "1"]) == 1
    assert capsys.readouterr().out.count("never ran") == len(listed.jobs)
    first, second, *rest = listed.jobs
    with state_of(listed) as (_backend, book):  # what the nodes' runs book when they finish
        book.record_finish(first.job_key, "j1", "r1", 0, "finished")
        book.record_finish(second.job_key, "j2", "r2", 1, "finished")
        for job in rest:
            book.record_finish(job.job_key, "j3", "r3", 75, "host_busy")  # retried by the scheduler: no failure
    assert main(["status", "--jobs", str(path), "--json"]) == 1
    rows = {row["job"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows[first.name]["attention"] is None
    assert rows[second.name]["attention"] == "last run failed (exit 1, finished)"
    assert all(rows[job.name]["attention"] is None for job in rest)
    assert main(["status", "--jobs", str(path), "--max-age", "0"]) == 2  # bad input: one line, exit 2
