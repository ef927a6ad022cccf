"""The crawl's worker pool (harvester/crawl/workers.py): same answers as the crawl's own process, nothing lost when
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

from harvester.crawl import workers as workers_module
from harvester.crawl.worker_jobs import RowRecipe
from harvester.crawl.workers import Workers
from harvester.devtools.replay import ReplayServer
from harvester.parsing.profile import parse_with_profile
from harvester.profiles import load_profile, profile_key
from harvester.records import build_record, page_offset, raw_item, repair_fields
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


def started() -> Workers:
    workers = Workers(processes=1, after=0, registry_path=None)
    workers.count(0)
    assert workers.usable
    return workers


def test_the_pool_answers_as_the_crawls_own_process_would():
    page = (WILSON_SITE / "search-mao-zedong-page-0.html").read_text(encoding="utf-8")
    url = "http://127.0.0.1:8000/search?search_api_fulltext=mao+zedong"

    async def main() -> tuple[list, object]:
        workers = started()
        try:
            records = await asyncio.gather(*(workers.build(raw, "2025-01-02T03:04:05Z") for raw in RAW))
            listing = await workers.listing(profile_key("wilson"), page, url)
        finally:
            workers.close()
        return records, listing

    records, listing = asyncio.run(main())
    assert [tuple(r) for r in records] == [here(raw) for raw in RAW]
    assert records[1][1] == ["title"]  # the mojibake repair ran there, and says so
    assert listing == parse_with_profile(Selector(text=page, base_url=url), load_profile("wilson"), url)
    assert len(listing.blocks) == 10


def test_a_utf8_page_sent_as_bytes_reads_as_its_text_and_other_bytes_come_back_unread():
    body = (WILSON_SITE / "search-mao-zedong-page-0.html").read_bytes()
    url = "http://127.0.0.1:8000/search?search_api_fulltext=mao+zedong"

    async def main() -> tuple[object, object, object]:
        workers = started()
        try:
            as_bytes = await workers.listing(profile_key("wilson"), body, url)
            as_text = await workers.listing(profile_key("wilson"), body.decode("utf-8"), url)
            not_utf8 = await workers.listing(profile_key("wilson"), body.replace(b"Mao", b"M\xe4o"), url)
        finally:
            workers.close()
        return as_bytes, as_text, not_utf8

    as_bytes, as_text, not_utf8 = asyncio.run(main())
    assert as_bytes == as_text
    assert len(as_bytes.blocks) == 10
    assert not_utf8 is None  # the crawl reads it itself, as Scrapy decoded it


def test_a_page_crosses_to_the_crawl_with_every_field_it_holds():
    """What the pool sends back is pickled: every field of a block and of a page survives, in its type."""
    import pickle

    from harvester.model import Counts, ListingPage, RawBlock

    block = RawBlock(3, "http://x/d/1", "May 1950", "Telegram", None, "77", (("collection", "KGB"),), "1950-05",
                     "heading", (("http://x/pdf", "PDF"),))  # fmt: skip
    page = ListingPage("auto-rows", [block, RawBlock(4, None, None, None, None)], Counts(21, 22, 22),
                       next_url="http://x/?page=3")  # fmt: skip
    back = pickle.loads(pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))  # noqa: S301 (our own bytes)
    assert back == page
    assert back.missing == {"url": 1, "date_text": 1, "title": 1, "summary": 2}
    assert [type(b) for b in back.blocks] == [RawBlock, RawBlock]
    assert type(back.counts) is Counts


def _page_rows(page: str, url: str) -> list[dict]:
    """The raw items the wilson spider yields for ``page`` (page 0 of its search)."""
    profile = load_profile("wilson")
    listing = parse_with_profile(Selector(text=page, base_url=url), profile, url)
    offset = page_offset(listing, 0, first_page=0, page_size=10)
    return [raw_item(block, source="wilson", listing_url=url, page=0, offset=offset, profile=profile)
            for block in listing.blocks]  # fmt: skip


def test_a_pages_records_come_back_in_the_same_trip_as_the_page():
    page = (WILSON_SITE / "search-mao-zedong-page-0.html").read_text(encoding="utf-8")
    url = "http://127.0.0.1:8000/search?search_api_fulltext=mao+zedong"
    raws = _page_rows(page, url)

    async def main() -> tuple[object, list, list[bool], int]:
        workers = started()
        try:
            listing = await workers.listing(profile_key("wilson"), page, url, RowRecipe("wilson", 0, 0, 10))
            futures = [workers.build(raw, "2025-01-02T03:04:05Z") for raw in raws]
            at_once = [future.done() for future in futures]  # no second trip: answered before any await
            return listing, [await future for future in futures], at_once, len(workers._rows)
        finally:
            workers.close()

    listing, records, at_once, left = asyncio.run(main())
    assert len(listing.blocks) == 10
    assert at_once == [True] * 10
    assert [tuple(r) for r in records] == [here(raw) for raw in raws]  # crawled_at is the crawl's, too
    assert left == 0


def test_a_raw_item_unlike_the_one_the_page_trip_made_is_built_on_its_own():
    page = (WILSON_SITE / "search-mao-zedong-page-0.html").read_text(encoding="utf-8")
    url = "http://127.0.0.1:8000/search?search_api_fulltext=mao+zedong"
    changed = {**_page_rows(page, url)[0], "title": "Letter from Mao Zedong to Kim Il Sung"}  # a middleware, say

    async def main() -> tuple[bool, object]:
        workers = started()
        try:
            await workers.listing(profile_key("wilson"), page, url, RowRecipe("wilson", 0, 0, 10))
            future = workers.build(changed, "2025-01-02T03:04:05Z")
            return future.done(), await future
        finally:
            workers.close()

    at_once, record = asyncio.run(main())
    assert not at_once  # a job of its own, not the row the page trip built from the original title
    assert tuple(record) == here(changed)
    assert record[0]["people"][-1]["name"] == "Kim Il Sung"


def test_rows_nobody_asks_for_are_not_kept_for_ever(monkeypatch):
    monkeypatch.setattr(workers_module, "MAX_KEPT_ROWS", 15)
    page = (WILSON_SITE / "search-mao-zedong-page-0.html").read_text(encoding="utf-8")

    async def main() -> list[tuple]:
        workers = started()
        try:
            for n in range(3):  # three pages' rows, never asked for (pages that failed after they were read)
                url = f"http://127.0.0.1:8000/search?search_api_fulltext=mao+zedong&n={n}"
                await workers.listing(profile_key("wilson"), page, url, RowRecipe("wilson", 0, 0, 10))
            return list(workers._rows)
        finally:
            workers.close()

    kept = asyncio.run(main())
    assert len(kept) == 15
    assert {url.rsplit("=", 1)[1] for url, _ in kept} == {"1", "2"}  # the oldest went first


def test_a_job_the_pool_cannot_do_is_answered_none_and_the_others_are_not_lost():
    async def main() -> list:
        workers = started()
        try:
            return await asyncio.gather(
                workers.build(RAW[0], None),
                workers.build({"title": "no source: build_record raises"}, None),
                workers.build(RAW[2], None),
            )
        finally:
            workers.close()

    first, failed, last = asyncio.run(main())
    assert failed is None  # the crawl builds it itself, where the KeyError is raised and logged as before
    assert tuple(first) == (build_record(RAW[0], crawled_at=None), [], [])
    assert tuple(last) == (build_record(RAW[2], crawled_at=None), [], [])


def test_a_broken_pool_hands_everything_back(caplog):
    async def main() -> tuple[object, object, Workers]:
        workers = started()
        await workers.build(RAW[0], None)  # the pool is up
        for process in list(workers.pool._processes.values()):  # a worker killed under the crawl
            process.kill()
        answer = await workers.build(RAW[0], None)
        later = await workers.build(RAW[0], None)
        workers.close()
        return answer, later, workers

    with caplog.at_level(logging.WARNING, logger="harvester.crawl.workers"):
        answer, later, workers = asyncio.run(main())
    assert workers.broken
    assert not workers.usable
    assert answer is None
    assert later is None
    assert "worker pool failed" in caplog.text


def test_a_pool_that_refuses_the_job_at_once_hands_it_back():
    # a pool that already knows a worker died (or was shut down) raises in submit, not in the future: the
    # batch must still be answered, never left waiting (this hung a crawl's pipeline in a CI-like run)
    async def main() -> tuple[object, Workers]:
        workers = started()
        await workers.build(RAW[0], None)  # the pool is up
        workers.pool.shutdown(wait=True)  # submit now raises RuntimeError at once
        answer = await asyncio.wait_for(workers.build(RAW[1], None), timeout=30)
        workers.close()
        return answer, workers

    answer, workers = asyncio.run(main())
    assert answer is None
    assert workers.broken


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
    jobs = re.search(r"'harvester/worker/records': (\d+)", worker_log)
    assert jobs is not None
    assert int(jobs.group(1)) > 0, worker_log
    assert "harvester/worker/records" not in here_log
    assert "worker pool failed" not in worker_log


def _descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (the forkserver, and the pool's workers it forked)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    found, frontier = [], [pid]
    while frontier:
        below = [child for child, parent in parents.items() if parent in frontier]
        found += below
        frontier = below
    return found


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.e2e
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker through /proc")
def test_the_pool_goes_when_the_crawl_is_killed(tmp_path):
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
        while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
            workers = _descendants(proc.pid)  # the forkserver and at least one worker
            time.sleep(0.05)
        assert len(workers) >= 2, "the crawl started no worker pool"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 60
        while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in workers if not _gone(pid)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
        server.stop()


def test_a_worker_imports_no_scrapy():
    """What a worker runs (harvester.crawl.worker_jobs and the jobs' own imports) needs neither Scrapy nor
    Twisted: a third of a second of every pool's start."""
    code = (
        "import sys\n"
        "from harvester.crawl.worker_jobs import RowRecipe, page_job, run_batch\n"
        "from harvester.profiles import profile_key\n"
        f"page = open({str(WILSON_SITE / 'search-mao-zedong-page-0.html')!r}, encoding='utf-8').read()\n"
        "args = (profile_key('wilson'), page, 'http://127.0.0.1/search', RowRecipe('wilson', 0, 0, 10), None)\n"
        "[(listing, rows)] = run_batch([(page_job, args)])\n"
        "assert len(rows) == 10 and all(built is not None for _, built in rows), rows\n"
        "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_the_worker_resolves_names_with_the_registry_the_crawl_loaded(tmp_path):
    """HARVESTER_PERSON_REGISTRY: the crawl loads the file once and hands the registry to the worker when the pool
    starts. The worker never reads the file itself: not once a record (0.27 s each for the packaged one), and
    not after it has changed."""
    path = tmp_path / "persons.toml"
    path.write_text('[[person]]\nid = "hv:petrovsky"\nname = "Ivan Petrovsky"\n', encoding="utf-8")
    raw = {**RAW[0], "title": "Letter from Ivan Petrovsky to Mao Zedong"}

    async def main() -> list:
        workers = Workers(processes=1, after=0, registry_path=str(path))
        workers.count(0)
        try:
            first = await workers.build(raw, None)
            path.write_text("not a registry any more [", encoding="utf-8")  # a worker reading it would fail
            return [first, await workers.build(raw, None)]
        finally:
            workers.close()

    answers = asyncio.run(main())
    assert all(answer is not None for answer in answers)  # None: the worker failed, the crawl built it itself
    for record, _, _ in answers:
        assert (record["people"][0]["name"], record["people"][0]["id"]) == ("Ivan Petrovsky", "hv:petrovsky")


def test_a_registry_that_broke_before_the_pool_started_leaves_the_work_to_the_crawl(tmp_path, caplog):
    path = tmp_path / "persons.toml"
    path.write_text("not a registry [", encoding="utf-8")  # changed after the crawl's own load
    workers = Workers(processes=1, after=0, registry_path=str(path))

    async def main() -> object:
        workers.count(0)
        return await workers.build(RAW[0], None)

    with caplog.at_level(logging.WARNING, logger="harvester.crawl.workers"):
        answer = asyncio.run(main())
    workers.close()
    assert answer is None  # the normalise pipeline builds it, with the registry it loaded
    assert not workers.usable
    assert "no worker pool" in caplog.text
