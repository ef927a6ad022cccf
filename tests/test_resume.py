"""Kill a crawl (SIGKILL, SIGINT) at several points and resume it: the run's records are those of an
uninterrupted run, none lost, none twice. On both state backends (``state_backend``), and with PostgreSQL on
another node (another output folder) than the one killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support.backends import StateBackendUnderTest
from tests.support.cli import read_jsonl
from tests.support.paths import REPO, WILSON_SITE
from tests.support.runs import MAO, SwitchableSite, comparable, crawl, run_files, site_copy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DELAY = 0.15  # seconds per request: pages arrive one by one (one request at a time), so a kill lands between
SEQUENTIAL = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
SQLITE = StateBackendUnderTest("sqlite", "")


@pytest.fixture(scope="module")
def slow_site():
    site = SwitchableSite(WILSON_SITE, delay=DELAY)
    yield site
    site.stop()


@pytest.fixture(scope="module")
def baseline(slow_site, tmp_path_factory):
    """An uninterrupted run: records, manifest and dataset."""
    out = tmp_path_factory.mktemp("baseline")
    result = crawl(slow_site.base_url, out, "--query", MAO, settings=SEQUENTIAL)
    assert result.code == 0, result.stderr
    records, manifest = run_files(out)
    return records, manifest, read_jsonl(out / "wilson" / "dataset.jsonl")


def start(base_url: str, out: Path, *args: str, backend: StateBackendUnderTest = SQLITE) -> subprocess.Popen:
    command = [sys.executable, "-m", "harvester.cli", "crawl", "wilson", "--query", MAO, "--output-dir", str(out),
               "-s", f"WILSON_BASE_URL={base_url}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
               *SEQUENTIAL, *backend.settings, *args]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def done_pages(out: Path, journals: str = "wilson/jobs/*/journal.sqlite") -> int:
    return SQLITE.done_pages(out, journals)


def wait_for(condition, proc: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the crawl ended before the kill point: {proc.communicate()}"
        assert time.monotonic() < deadline, "kill point never reached"
        time.sleep(0.01)


def kill(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    assert proc.poll() is None, "the crawl had already ended: the kill point is too late"
    os.kill(proc.pid, sig)
    proc.communicate(timeout=30)


def assert_same_as_uninterrupted(out: Path, baseline, backend: StateBackendUnderTest = SQLITE) -> None:
    records, manifest, dataset = baseline
    got, got_manifest = run_files(out)
    assert len(got) == len({r["id"] for r in got}), "a record was written twice"
    assert comparable(got) == comparable(records)
    for key in ("pages", "records", "new", "changed", "unchanged", "invalid"):
        assert got_manifest["counts"][key] == manifest["counts"][key], key
    assert got_manifest["sessions"] == 2
    drop = ("crawled_at", "first_seen", "last_seen")
    strip = lambda rows: [{k: v for k, v in r.items() if k not in drop} for r in rows]  # noqa: E731
    assert strip(read_jsonl(out / "wilson" / "dataset.jsonl")) == strip(dataset)
    assert backend.journals(out) == 0


def assert_nothing_final(out: Path) -> None:
    """A killed run leaves no file under a final name: no run file, no manifest, no dataset."""
    runs = out / "wilson" / "runs"
    assert not runs.exists() or not [p for p in runs.iterdir() if not p.name.startswith(".")]
    assert not (out / "wilson" / "dataset.jsonl").exists()


@pytest.mark.parametrize(
    ("point", "condition"),
    [
        ("first page requested, not answered", lambda site, out: site.search_requests() >= 1),
        ("first page done", lambda site, out: done_pages(out) >= 1),
        ("two pages done", lambda site, out: done_pages(out) >= 2),
    ],
)
def test_kill_9_and_resume_gives_the_uninterrupted_records(slow_site, baseline, tmp_path, point, condition):
    out = tmp_path / "out"
    before = slow_site.search_requests()
    proc = start(slow_site.base_url, out)
    wait_for(lambda: condition_after(slow_site, out, before, condition), proc)
    kill(proc)
    assert_nothing_final(out)
    result = crawl(slow_site.base_url, out, "--query", MAO, "--resume", settings=SEQUENTIAL)
    assert result.code == 0, result.stderr
    assert_same_as_uninterrupted(out, baseline)


def condition_after(site, out, before, condition):
    class Since:
        def search_requests(self):
            return site.search_requests() - before

    return condition(Since(), out)


def test_kill_in_the_middle_of_a_page_loses_nothing(slow_site, baseline, tmp_path, state_backend):
    """A kill between staging a page's records and marking the page done: simulated on the journal of a
    run killed after its first page, by forgetting that page and some of its records."""
    out = tmp_path / "out"
    proc = start(slow_site.base_url, out, backend=state_backend)
    wait_for(lambda: state_backend.done_pages(out) >= 1, proc)
    kill(proc)
    left = state_backend.forget_pages_and_last_items(out, 4)
    assert 0 < left < 10
    result = crawl(slow_site.base_url, out, "--query", MAO, "--resume", settings=(*SEQUENTIAL, *state_backend.settings))
    assert result.code == 0, result.stderr
    assert_same_as_uninterrupted(out, baseline, state_backend)


def test_ctrl_c_keeps_the_run_resumable(slow_site, baseline, tmp_path, state_backend):
    out = tmp_path / "out"
    proc = start(slow_site.base_url, out, backend=state_backend)
    wait_for(lambda: state_backend.done_pages(out) >= 1, proc)
    os.kill(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr  # interrupted: resumable (harvester.crawl.interrupts)
    assert "continue with --resume" in stdout
    assert_nothing_final(out)
    again = crawl(slow_site.base_url, out, "--query", MAO, "--resume", settings=(*SEQUENTIAL, *state_backend.settings))
    assert again.code == 0, again.stderr
    assert_same_as_uninterrupted(out, baseline, state_backend)


def test_a_run_killed_on_one_node_resumes_on_another(slow_site, baseline, tmp_path, postgres_server):
    """Shared state: the journal is the job's (its key), not a folder's. Node A is killed after two pages;
    node B (its own output folder) resumes the run: the records of an uninterrupted run, pages done on A not
    fetched again; B's output folder gets the run file, the manifest and the whole dataset."""
    backend = StateBackendUnderTest("postgresql", postgres_server.create_database())
    node_a, node_b = tmp_path / "node-a", tmp_path / "node-b"
    before = slow_site.search_requests()
    proc = start(slow_site.base_url, node_a, backend=backend)
    wait_for(lambda: backend.done_pages(node_a) >= 2, proc)
    kill(proc)
    killed_after = slow_site.search_requests() - before
    result = crawl(slow_site.base_url, node_b, "--query", MAO, "--resume", settings=(*SEQUENTIAL, *backend.settings))
    assert result.code == 0, result.stderr
    assert_same_as_uninterrupted(node_b, baseline, backend)
    assert slow_site.search_requests() - before - killed_after <= 1  # B fetched only the page A had not done
    assert_nothing_final(node_a)


def test_resume_of_an_incremental_run_stops_where_the_uninterrupted_one_would(tmp_path):
    older = site_copy(tmp_path / "older", pages=["search-mao-zedong-page-1.html", "search-mao-zedong-page-2.html"])
    site = SwitchableSite(older, delay=DELAY)
    out = tmp_path / "out"
    try:
        assert crawl(site.base_url, out, "--query", MAO, settings=SEQUENTIAL).code == 0
        site.switch(WILSON_SITE)
        proc = start(site.base_url, out)
        wait_for(lambda: done_pages(out) >= 1, proc)
        kill(proc)
        result = crawl(site.base_url, out, "--query", MAO, "--resume", settings=SEQUENTIAL)
        requests = dict(site.server.requests)
    finally:
        site.stop()
    assert result.code == 0, result.stderr
    records, manifest = run_files(out)
    assert len(records) == len({r["id"] for r in records}) == 10
    assert (manifest["counts"]["new"], manifest["counts"]["unchanged"], manifest["sessions"]) == (10, 10, 2)
    pages = {t: n for t, n in requests.items() if t.startswith("/search")}
    assert len(pages) == 2  # page 0 and page 1 (all known), never page 2
    first = next(t for t in pages if "page=" not in t)
    assert pages[first] == 1  # page 0 was done before the kill: not fetched again (page 1 may have been in flight)
    assert manifest["stopped_at_known_page"] == 1


def test_a_one_off_run_resumes_too(slow_site, baseline, tmp_path):
    target = tmp_path / "export" / "mao.jsonl"
    proc = start(slow_site.base_url, tmp_path / "out", "--out", str(target))
    wait_for(lambda: done_pages(target.parent, ".mao.jsonl.job/journal.sqlite") >= 1, proc)
    kill(proc)
    assert not target.exists()
    result = crawl(slow_site.base_url, tmp_path / "out", "--query", MAO, "--out", str(target), "--resume",
                   settings=SEQUENTIAL)
    assert result.code == 0, result.stderr
    assert comparable(read_jsonl(target)) == comparable(baseline[0])
    assert sorted(p.name for p in target.parent.iterdir()) == ["mao.jsonl"]
    assert not (tmp_path / "out").exists()


@given(st.one_of(st.none(), st.text()), st.text(), st.one_of(st.none(), st.text()))
def test_the_journal_key_is_the_json_text_of_the_dedupe_key(record_id, title, summary):
    # a resumed run finds the records an earlier session staged by this text: its form must never change
    import json

    from harvester.pipelines.dedupe import dedupe_key
    from harvester.pipelines.output import item_key

    record = {"id": record_id, "title": title, "date_raw": None, "summary": summary}
    assert item_key(record) == json.dumps(dedupe_key(record), ensure_ascii=False)
