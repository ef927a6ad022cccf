"""The crawl's worker process (harvester/offload.py): same answers as the crawl's own process, nothing lost when
it fails, gone when the crawl is gone."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from parsel import Selector

from harvester.crawl.workers import Worker, decode_listing
from harvester.devtools.replay import ReplayServer
from harvester.parsing.profile import parse_with_profile
from harvester.profiles import load_profile, profile_key
from harvester.records import build_record, repair_fields
from tests.support.cli import LOCAL, harvester, read_jsonl
from tests.support.paths import REPO, WILSON_SITE
from tests.support.runs import MAO, comparable

RAW = [
    {"source": "wilson", "url": "https://example.org/document/118951", "listing_url": "https://example.org/search",
     "page": 0, "position": 1, "node_id": "118951", "date_raw": "October 28, 1953",
     "title": "Ciphered Telegram, Filippov [Stalin] to Mao Zedong", "summary": "On the armistice."},
    {"source": "wilson", "url": "https://example.org/document/2", "listing_url": "https://example.org/search",
     "page": 0, "position": 2, "node_id": None, "date_raw": "1956",
     "title": "Molotovâ€™s cable to Zhou Enlai", "summary": "a lost \ufffd byte"},
    {"source": "wilson", "url": None, "listing_url": None, "page": None, "position": 3, "node_id": None,
     "date_raw": None, "title": None, "summary": None},
]  # fmt: skip


def here(raw: dict) -> tuple:
    item, repaired, unreadable = repair_fields(raw)
    return build_record(item, crawled_at="2025-01-02T03:04:05Z"), repaired, unreadable


async def started() -> Worker:
    worker = Worker(enabled=True, after=0)
    worker.count(0)
    deadline = time.monotonic() + 60
    while not worker.ready and not worker.broken and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert worker.usable
    return worker


def test_the_worker_answers_as_the_crawls_own_process_would():
    page = (WILSON_SITE / "search-mao-zedong-page-0.html").read_text(encoding="utf-8")
    url = "http://127.0.0.1:8000/search?search_api_fulltext=mao+zedong"

    async def main() -> tuple[list, object]:
        worker = await started()
        try:
            records = await asyncio.gather(*(worker.call("record", raw, "2025-01-02T03:04:05Z") for raw in RAW))
            listing = await worker.call("listing", profile_key("wilson"), page, url)
        finally:
            worker.close()
        return records, listing

    records, answer = asyncio.run(main())
    listing = decode_listing(answer)
    assert [tuple(r) for r in records] == [here(raw) for raw in RAW]
    assert records[1][1] == ["title"]  # the mojibake repair ran there, and says so
    assert listing == parse_with_profile(Selector(text=page, base_url=url), load_profile("wilson"), url)
    assert len(listing.blocks) == 10


def test_a_job_the_worker_cannot_do_is_answered_none_and_the_others_are_not_lost():
    async def main() -> list:
        worker = await started()
        try:
            return await asyncio.gather(
                worker.call("record", RAW[0], None),
                worker.call("record", {"title": "no source: build_record raises"}, None),
                worker.call("no such job"),
                worker.call("record", RAW[2], None),
            )
        finally:
            worker.close()

    first, failed, unknown, last = asyncio.run(main())
    assert failed is None  # the crawl builds it itself, where the KeyError is raised and logged as before
    assert unknown is None
    assert first == [build_record(RAW[0], crawled_at=None), [], []]
    assert last == [build_record(RAW[2], crawled_at=None), [], []]


def test_a_dead_worker_hands_everything_back(caplog):
    async def main() -> tuple[object, object, Worker]:
        worker = await started()
        pending = worker.call("record", RAW[0], None)
        assert worker.proc is not None
        worker.proc.kill()
        answer = await pending  # given to the worker, never answered: handed back
        while not worker.broken:  # the end of its output is noticed on the event loop
            await asyncio.sleep(0.01)
        later = await worker.call("record", RAW[0], None)
        worker.close()
        return answer, later, worker

    with caplog.at_level(logging.WARNING, logger="harvester.crawl.workers"):
        answer, later, worker = asyncio.run(main())
    assert worker.broken
    assert not worker.usable
    assert answer in (None, [build_record(RAW[0], crawled_at=None), [], []])  # it may have answered first
    assert later is None
    assert "worker process failed" in caplog.text
    assert worker.proc is not None
    assert worker.proc.poll() is not None  # reaped


@pytest.mark.e2e
def test_a_crawl_through_the_worker_writes_the_same_records(tmp_path):
    server = ReplayServer(WILSON_SITE, delay=0.5)  # the worker is up before the first page arrives
    base_url = server.start()
    try:
        runs = {}
        for name, settings in (("worker", ["-s", "HARVESTER_NORMALIZE_WORKER_AFTER=0"]),
                               ("here", ["-s", "HARVESTER_NORMALIZE_WORKERS=0"])):  # fmt: skip
            out = tmp_path / f"{name}.jsonl"
            site = ["-s", f"WILSON_BASE_URL={base_url}", *LOCAL, "-s", "LOG_LEVEL=INFO"]
            result = harvester("crawl", "wilson", "--query", MAO, "--out", str(out), *site, *settings)
            assert result.code == 0, result.stderr
            runs[name] = (read_jsonl(out), result.stderr)
    finally:
        server.stop()
    (worker_records, worker_log), (here_records, here_log) = runs["worker"], runs["here"]
    assert len(here_records) == 21  # three pages: 10, 10 and 1
    assert comparable(worker_records) == comparable(here_records)
    jobs = re.search(r"'harvester/worker/jobs': (\d+)", worker_log)
    assert jobs is not None
    assert int(jobs.group(1)) > 0, worker_log
    assert "harvester/worker/jobs" not in here_log
    assert "worker process failed" not in worker_log


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"harvester.crawl.workers" in cmdline:
                out.append(int(entry.name))
    return out


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker through /proc")
def test_the_worker_goes_when_the_crawl_is_killed(tmp_path):
    server = ReplayServer(WILSON_SITE, delay=1.0)
    base_url = server.start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "harvester.cli", "crawl", "wilson", "--query", MAO, "--out", str(tmp_path / "o.jsonl"),
         "-s", f"WILSON_BASE_URL={base_url}", *LOCAL, "-s", "HARVESTER_NORMALIZE_WORKER_AFTER=0"],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not workers and time.monotonic() < deadline and proc.poll() is None:
            workers = _children(proc.pid)
            time.sleep(0.05)
        assert workers, "the crawl started no worker"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 60
        while Path(f"/proc/{workers[0]}").exists() and time.monotonic() < deadline:
            # an orphan is re-parented (to init, or a subreaper that reaps it): gone or a zombie is fine
            try:
                if Path(f"/proc/{workers[0]}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
                    break
            except OSError:
                break
            time.sleep(0.05)
        alive = Path(f"/proc/{workers[0]}/stat")
        assert not alive.exists() or alive.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    finally:
        if proc.poll() is None:
            proc.kill()
        server.stop()
