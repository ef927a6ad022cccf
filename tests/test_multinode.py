"""The multi-node fault test, on real parts: PostgreSQL (the shared state), two scrapyd daemons on 127.0.0.1 with
the egg deployed to both, two replica hosts (two ReplayServer instances of the Wilson replica, each counting the
requests it answers at once), and ``harvester schedule`` run again and again, as cron would, every second here.

Six jobs (three searches on each host). While the first job of host A runs on node A, node A is killed with
``kill -9``, its crawl with it. Then: node A is named and the scheduler exits 1 while it is gone; the dead run's
lease on host A ends (taken over by the job's resume, or expired: HARVESTER_HOST_LEASE_SECONDS is short); the job
is resubmitted with resume and continues on node B; no other job of host A is submitted while that lease holds;
every job's final run file holds exactly the replica's
records of its search (none lost, none doubled), and each replica host never answered two requests at once.
The figures are printed (``-s``) for docs/scaling.md. Select it with ``-m multinode``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.paths import WILSON_SITE
from tests.support.scrapyd import children, deploy_egg, scrapyd_daemon, wait

pytestmark = [pytest.mark.slow, pytest.mark.e2e, pytest.mark.multinode]

LEASE_SECONDS = 6
DELAY = 1.0  # each replica answer waits this long: a job takes seconds, so the kill lands mid-job
SEARCHES = {  # name: (spider arguments, the replica's expected pages)
    "mao": ({"query": "mao zedong"}, ["search-mao-zedong-page-0", "search-mao-zedong-page-1",
                                      "search-mao-zedong-page-2"]),
    "people": ({"people": "81716"}, ["search-people-mao-zedong-page-0", "search-people-mao-zedong-page-1"]),
    "people-by-date": ({"people": "81716", "sort": "date"}, ["search-people-mao-zedong-by-date-page-0",
                                                               "search-people-mao-zedong-by-date-page-1"]),
}


def expected_ids(pages: list[str]) -> list[str]:
    ids = []
    for page in pages:
        blocks = json.loads((WILSON_SITE / "expected" / f"{page}.json").read_text(encoding="utf-8"))["blocks"]
        ids += [block["node_id"] for block in blocks]
    return ids


def job_list(path: Path, state_url: str, hosts: dict[str, str]) -> Path:
    body = [f'state_url = "{state_url}"', "[defaults]", 'every = "1d"', 'mode = "full"',
            "settings = { DOWNLOAD_DELAY = 0, AUTOTHROTTLE_ENABLED = false, CONCURRENT_REQUESTS_PER_DOMAIN = 1, "
            f"HARVESTER_HOST_LEASE_SECONDS = {LEASE_SECONDS}, HARVESTER_CAPTURE = false }}"]  # fmt: skip
    for name, base in hosts.items():
        body += ["[[source]]", f'name = "{name}"', 'spider = "wilson"', f'settings = {{ WILSON_BASE_URL = "{base}" }}']
    for name, (arguments, _) in SEARCHES.items():
        args = ", ".join(f'{k} = "{v}"' for k, v in arguments.items())
        body += ["[[search]]", f'name = "{name}"', f"arguments = {{ {args} }}"]
    path.write_text("\n".join(body) + "\n", encoding="utf-8")
    return path


def schedule(jobs: Path, nodes: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "harvester.cli", "schedule", str(jobs), "--scrapyd", ",".join(nodes)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def test_six_jobs_two_nodes_one_killed(tmp_path, postgres_server, egg):
    import psycopg

    from harvester.devtools.replay import ReplayServer
    from harvester.scheduling.jobs import load_jobs

    if not Path("/proc/self/stat").exists():
        pytest.skip("finding scrapyd's crawl processes needs /proc (Linux)")
    state_url = postgres_server.create_database()
    replicas = {name: ReplayServer(WILSON_SITE, delay=DELAY) for name in ("a", "b")}
    for server in replicas.values():
        server.start()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # the project only as the deployed egg
    started = time.monotonic()
    try:
        with scrapyd_daemon(tmp_path / "node-a", env=env, project_cfg=None) as (node_a, proc_a), \
                scrapyd_daemon(tmp_path / "node-b", env=env, project_cfg=None) as (node_b, _proc_b):
            for node in (node_a, node_b):
                assert deploy_egg(node, egg)["status"] == "ok"
            jobs = job_list(tmp_path / "jobs.toml", state_url, {k: s.base_url for k, s in replicas.items()})
            listed = {job.name: job for job in load_jobs(jobs).jobs}
            assert len(listed) == 6
            victim = listed["a/mao"]
            db = psycopg.connect(state_url, autocommit=True)

            first = schedule(jobs, [node_a, node_b])
            assert first.returncode == 0, first.stderr
            assert f"a/mao ({victim.job_key}): due -> {node_a}" in first.stdout, first.stdout

            def victim_mid_job() -> bool:
                row = db.execute("SELECT count(*) FROM harvester_pages WHERE job_key = %s", (victim.job_key,))
                return row.fetchone()[0] >= 1

            wait("the first job to finish a page", victim_mid_job, time.monotonic() + 90)
            lease = db.execute("SELECT holder FROM harvester_leases WHERE job_key = %s", (victim.job_key,)).fetchone()
            assert lease is not None
            crawls = children(proc_a.pid)
            assert crawls, "node A runs no crawl"
            os.kill(proc_a.pid, signal.SIGKILL)  # the node first (it spawns nothing more), then its crawl
            for pid in crawls:
                os.kill(pid, signal.SIGKILL)
            proc_a.wait()
            killed_at = time.monotonic()
            pages_at_kill = db.execute("SELECT count(*) FROM harvester_pages WHERE job_key = %s",
                                       (victim.job_key,)).fetchone()[0]  # fmt: skip
            assert pages_at_kill < len(SEARCHES["mao"][1]), "the kill came after the job was done"

            rounds, node_errors = 0, 0
            lease_gone_after: float | None = None
            lease_end = ""
            deadline = time.monotonic() + 240

            def all_done() -> bool:
                rows = db.execute(
                    "SELECT s.job_key FROM harvester_submissions s JOIN harvester_finishes f USING (job_key) "
                    "WHERE f.job_id = s.job_id AND f.exit_code = 0").fetchall()  # fmt: skip
                return len(rows) == 6

            def check_lease() -> None:
                nonlocal lease_gone_after, lease_end
                if lease_gone_after is not None:
                    return
                holder, key, expired = db.execute(
                    "SELECT holder, job_key, expires_at < now() FROM harvester_leases WHERE host = %s",
                    (victim.host,)).fetchone()  # fmt: skip
                if holder != lease[0] or expired:
                    lease_gone_after = time.monotonic() - killed_at
                    lease_end = "expired" if holder == lease[0] else (
                        "taken over by the job's resume" if key == victim.job_key else "taken by another job")

            while not all_done():
                assert time.monotonic() < deadline, "the six jobs did not all finish"
                check_lease()
                result = schedule(jobs, [node_a, node_b])
                rounds += 1
                assert result.returncode == 1, result.stderr  # node A is gone: said, and exit 1
                assert f"scrapyd {node_a} cannot be reached" in result.stderr
                node_errors += 1
                check_lease()
                others = [line for line in result.stdout.splitlines() if " -> " in line
                          and line.startswith(("harvester: a/people ", "harvester: a/people-by-date "))]
                # no other job of host A is submitted while the dead run's lease holds it
                assert not others or lease_gone_after is not None, others
                time.sleep(1)
            db.close()
            elapsed = time.monotonic() - started

            # where each job's last run ran, and what its run file holds
            manifests = {}
            for node in ("node-a", "node-b"):
                for path in (tmp_path / node / "output").glob("wilson/runs/*.json"):
                    manifest = json.loads(path.read_text(encoding="utf-8"))
                    manifests[manifest["run_id"]] = (node, path, manifest)
            total = 0
            for name, job in listed.items():
                with psycopg.connect(state_url) as conn:
                    job_id = conn.execute("SELECT job_id FROM harvester_finishes WHERE job_key = %s",
                                          (job.job_key,)).fetchone()[0]  # fmt: skip
                node, path, manifest = manifests[job_id]
                assert manifest["exit_code"] == 0, manifest["problems"]
                records = [json.loads(line) for line in path.with_suffix(".jsonl").read_text().splitlines()]
                got = [record["node_id"] for record in records]
                expected = expected_ids(SEARCHES[name.split("/")[1]][1])
                assert sorted(got) == sorted(expected), name  # none lost, none doubled
                assert len(got) == len(set(got)), name
                total += len(got)
                if name == "a/mao":
                    assert node == "node-b"  # resumed on the other node
                    assert manifest["sessions"] >= 2
                    assert manifest["resumed_from"] is not None
            assert lease_gone_after is not None, "the killed run's lease never ended"
            concurrency = {name: max(server.max_in_flight.values()) for name, server in replicas.items()}
            assert concurrency == {"a": 1, "b": 1}
            print(f"\nmultinode: {len(listed)} jobs on 2 scrapyd nodes, 2 replica hosts ({DELAY} s a request), "
                  f"1 node killed (kill -9) mid-job after {pages_at_kill} of 3 pages and survived: "
                  f"{total} records in the six final run files, 0 lost, 0 doubled; the dead run's lease {lease_end} "
                  f"{lease_gone_after:.1f} s after the kill (lease {LEASE_SECONDS} s); {rounds} scheduler rounds "
                  f"after the kill ({node_errors} with exit 1 naming the dead node); max concurrent requests per "
                  f"host {concurrency}; {elapsed:.0f} s in all")  # fmt: skip
    finally:
        for server in replicas.values():
            server.stop()
