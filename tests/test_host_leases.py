"""Per-host leases on both state backends: two holders, renewal, expiry, release, a holder killed with -9; and
crawls that hold them (a busy host exits 75 with nothing written, a crawl renews its lease while it runs)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harvester.devtools.replay import ReplayServer
from harvester.errors import RETRY_LATER
from harvester.storage.backends import open_backend
from harvester.storage.plan import RunPlan
from tests.support.paths import REPO, WILSON_SITE
from tests.support.runs import MAO, SwitchableSite, crawl

HOST = "archive.example.org"


def leases(out: Path, backend, holder: str, seconds: float, job: str | None = None):
    """The leases of ``holder``, a run of job ``job`` (by default a job of its own)."""
    plan = RunPlan(source="wilson", mode="incremental", output_dir=out, arguments={"job": job or holder},
                   state_url=backend.url)  # fmt: skip
    store = open_backend(plan)
    held = store.leases(plan, holder, seconds)
    store.close()  # the leases keep a session (or file) of their own
    return held


def eventually(condition, timeout: float = 15.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} never came true"
        time.sleep(0.05)


def test_one_holder_at_a_time_until_released(tmp_path, state_backend):
    a = leases(tmp_path, state_backend, "node-a/1/run-a", 30)
    b = leases(tmp_path, state_backend, "node-b/2/run-b", 30)
    try:
        assert a.acquire(HOST) is None
        assert a.acquire(HOST) is None  # its own lease: taken again
        busy = b.acquire(HOST)
        assert busy is not None
        assert busy.startswith("node-a/1/run-a")
        assert b.acquire("other.example.org") is None  # another host is free
        assert a.renew() == []
        assert b.acquire(HOST) is not None
        a.release()
        assert b.acquire(HOST) is None
    finally:
        b.release()


def test_an_expired_lease_goes_to_the_next_holder_and_its_old_holder_learns_it_lost_it(tmp_path, state_backend):
    a = leases(tmp_path, state_backend, "node-a/1/run-a", 0.5)
    b = leases(tmp_path, state_backend, "node-b/2/run-b", 30)
    try:
        assert a.acquire(HOST) is None
        assert b.acquire(HOST) is not None
        eventually(lambda: b.acquire(HOST) is None, what="the lease expiring")
        assert a.renew() == [HOST]  # taken by b meanwhile: a must stop requesting the host
        assert a.held == set()
        assert a.acquire(HOST) is not None
    finally:
        a.release()
        b.release()
    c = leases(tmp_path, state_backend, "node-c/3/run-c", 30)
    try:
        assert c.acquire(HOST) is None  # b gave it back
    finally:
        c.release()


def test_a_run_of_the_same_job_takes_over_the_lease_of_the_dead_one_it_resumes(tmp_path, state_backend):
    """The job lock guarantees one live run of a job: a lease held in that job's name is a dead run's."""
    dead = leases(tmp_path, state_backend, "node-a/1/run-1", 60, job="job-1")
    assert dead.acquire(HOST) is None
    other_job = leases(tmp_path, state_backend, "node-b/2/run-2", 60, job="job-2")
    resumed = leases(tmp_path, state_backend, "node-b/3/run-1", 60, job="job-1")
    try:
        assert other_job.acquire(HOST) is not None
        assert resumed.acquire(HOST) is None
        assert other_job.acquire(HOST).startswith("node-b/3/run-1")
        assert dead.renew() == [HOST]
    finally:
        for held in (dead, other_job, resumed):
            held.release()


def test_renewal_keeps_a_lease_past_its_first_expiry(tmp_path, state_backend):
    # Renewed every 0.1 s, a lease of 1.2 s outlives two of its expiries within the loop; the slack (1.1 s) is for
    # a test process that is not given the CPU for a moment (other tests run beside it under pytest-xdist).
    a = leases(tmp_path, state_backend, "node-a/1/run-a", 1.2)
    b = leases(tmp_path, state_backend, "node-b/2/run-b", 30)
    try:
        assert a.acquire(HOST) is None
        end = time.monotonic() + 2.5
        while time.monotonic() < end:
            assert a.renew() == []
            assert b.acquire(HOST) is not None
            time.sleep(0.1)
    finally:
        a.release()
        b.release()


def test_the_lease_of_a_killed_holder_expires(tmp_path, state_backend):
    script = (
        "import sys, time; from pathlib import Path; from tests.test_host_leases import leases; "
        "from tests.support.backends import StateBackendUnderTest as B; "
        "held = leases(Path(sys.argv[1]), B(sys.argv[2], sys.argv[3]), 'killed/9/run', 1.5); "
        "assert held.acquire(sys.argv[4]) is None; print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path), state_backend.name, state_backend.url, HOST],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    other = leases(tmp_path, state_backend, "node-b/2/run-b", 30)
    try:
        assert holder.stdout.readline().strip() == "held"
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        killed_at = time.monotonic()
        assert (other.acquire(HOST) or "").startswith("killed/9/run")  # dying does not give it back...
        eventually(lambda: other.acquire(HOST) is None, what="the dead holder's lease expiring")
        assert time.monotonic() - killed_at >= 1.0  # ...its expiry does
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        other.release()


# --- crawls ---


def site_key(base_url: str) -> str:
    return base_url.split("://", 1)[1]


@pytest.mark.e2e
def test_a_crawl_of_a_busy_host_exits_75_writes_nothing_and_runs_once_the_host_is_free(tmp_path, state_backend):
    out = tmp_path / "out"
    server = ReplayServer(WILSON_SITE)
    base_url = server.start()
    other = leases(out, state_backend, "node-b/2/run-b", 60)
    try:
        assert other.acquire(site_key(base_url)) is None
        busy = crawl(base_url, out, "--query", MAO, "--resume", settings=state_backend.settings)
        assert busy.code == RETRY_LATER, busy.stderr
        assert "is being crawled by another harvester: node-b/2/run-b" in busy.stderr
        assert "retry later" in busy.stderr
        assert "Traceback" not in busy.stderr
        assert sum(server.requests.values()) == 0  # not even robots.txt
        assert not (out / "wilson" / "runs").exists() or list((out / "wilson" / "runs").iterdir()) == []
        assert not (out / "wilson" / "dataset.jsonl").exists()
        assert state_backend.journals(out) == 0  # nothing was fetched: no empty journal left behind
        # the other crawl ends while this one waits (HARVESTER_HOST_LEASE_WAIT): it then runs to the end
        threading.Timer(1.0, other.release).start()
        waited = crawl(base_url, out, "--query", MAO, "--resume",
                       settings=(*state_backend.settings, "-s", "HARVESTER_HOST_LEASE_WAIT=30"))  # fmt: skip
    finally:
        server.stop()
    assert waited.code == 0, waited.stderr
    assert len((out / "wilson" / "dataset.jsonl").read_text().splitlines()) == 21
    after = leases(out, state_backend, "node-c/3/run-c", 60)
    try:
        assert after.acquire(site_key(base_url)) is None  # the crawl gave its lease back
    finally:
        after.release()


@pytest.mark.e2e
def test_a_scrapyd_job_on_a_busy_host_leaves_a_resumable_manifest_with_exit_code_75(tmp_path, state_backend):
    from harvester.products import schemas

    out = tmp_path / "out"
    server = ReplayServer(WILSON_SITE)
    base_url = server.start()
    other = leases(out, state_backend, "node-b/2/run-b", 60)
    try:
        assert other.acquire(site_key(base_url)) is None
        busy = crawl(base_url, out, "--query", MAO,
                     settings=(*state_backend.settings, "-s", "HARVESTER_RUN_ID=job-1"))  # fmt: skip
    finally:
        other.release()
        server.stop()
    assert busy.code == RETRY_LATER, busy.stderr
    manifest = json.loads((out / "wilson" / "runs" / "job-1.json").read_text())
    assert (manifest["finish_reason"], manifest["exit_code"], manifest["resumable"]) == ("host_busy", 75, True)
    assert manifest["output"] is None
    assert schemas.errors("manifest", manifest) == []


@pytest.mark.e2e
@pytest.mark.slow
def test_a_crawl_renews_its_lease_so_no_other_holder_gets_the_host_while_it_runs(tmp_path, state_backend):
    out = tmp_path / "out"
    site = SwitchableSite(WILSON_SITE, delay=0.4)  # three pages and robots.txt: well past two lease periods
    key = site_key(site.base_url)
    other = leases(out, state_backend, "node-b/2/run-b", 60)
    got_it: list[int] = []  # the requests the site had seen when the other holder got the host
    stop = threading.Event()

    def compete() -> None:
        while not stop.is_set():
            if site.server.requests and other.acquire(key) is None:
                got_it.append(sum(site.server.requests.values()))
                return  # and keeps it: a crawl that had lost it would stop (exit 75)
            time.sleep(0.05)

    competitor = threading.Thread(target=compete)
    try:
        competitor.start()
        result = crawl(site.base_url, out, "--query", MAO,
                       settings=(*state_backend.settings, "-s", "HARVESTER_HOST_LEASE_SECONDS=0.6",
                                 "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"))  # fmt: skip
    finally:
        stop.set()
        competitor.join()
        site.stop()
        other.release()
    assert result.code == 0, result.stderr
    # the other holder got the host only once the crawl had given it back, after its last request
    assert got_it in ([], [sum(site.server.requests.values())])
    assert site.search_requests() == 3
