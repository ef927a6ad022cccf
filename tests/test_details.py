"""``--details`` end to end over the replica (real HTTP): document pages followed, joined, captured, reparsed,
reused by incremental runs, failures named and counted, and a ``kill -9`` during the detail phase resumed with
nothing lost, nothing doubled and no document page fetched twice once its details were kept."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from importlib import resources
from pathlib import Path

import pytest

from harvester.devtools.replay import ReplayServer
from tests.support import replica_documents as gen
from tests.support.cli import LOCAL, harvester, read_jsonl
from tests.support.paths import REPO, WILSON_SITE
from tests.support.runs import MAO, SwitchableSite, captured_details_crawl, comparable, crawl, run_files, site_copy

pytestmark = [pytest.mark.e2e]

MONGOLIA = ("/search?search_api_fulltext=Mongolia--Foreign%20relations--Soviet%20Union"
            "&f%5B0%5D=places%3A86050&fo%5B0%5D=86050")
TOLERANT = ("-s", "HARVESTER_MAX_FAILED_DETAIL_RATIO=0.5")


def documents(requests) -> dict[str, int]:
    return {target: n for target, n in requests.items() if target.startswith("/document/")}


@pytest.fixture(scope="module")
def detailed(tmp_path_factory):
    """A tracked ``--details`` crawl of "mao zedong" (3 pages, 21 records), captured; the server then stopped."""
    out = tmp_path_factory.mktemp("detailed")
    result, requests = captured_details_crawl(out)
    assert result.code == 0, result.stderr
    records, manifest = run_files(out)
    return out, records, manifest, requests


def test_a_details_crawl_joins_each_document_page_onto_its_record(detailed):
    _out, records, manifest, requests = detailed
    assert len(records) == 21
    assert all(r["schema_version"] == "1.3.0" for r in records)
    assert all(r["details"] is not None and r["details"]["record_id"] for r in records)
    assert len(documents(requests)) == 21
    assert set(documents(requests).values()) == {1}
    assert manifest["counts"]["details_fetched"] == 21
    assert (manifest["counts"]["details_failed"], manifest["failed_details"]) == (0, [])
    by_id = {r["id"]: r for r in records}
    cable = by_id["wilson:ciphered-telegram-no-21405-mao-zedong-cde-filippov-stalin"]
    assert cable["doc_type"] == cable["doc_type_archive"] == "Ciphered Telegram"
    assert cable["details"]["title"] == cable["title"]
    assert cable["details"]["download_url"].endswith("/document/97410/download")
    stalin = next(p for p in cable["people"] if p["as_written"] == "Cde. Filippov [Stalin]")
    assert (stalin["id"], stalin["agrees"]) == ("Q855", True)
    assert stalin["archive"]["id"] == "wilson:people/stalin-joseph"
    assert stalin["archive"]["name"] == "Stalin, Joseph"
    assert any(p["name"] == "Stalin, Joseph" for p in cable["details"]["people"])


def test_the_capture_holds_the_document_pages_and_reparse_gives_the_same_records(detailed, tmp_path):
    out, records, manifest, _requests = detailed
    warc = out / "wilson" / manifest["captures"][0]["path"]
    target = tmp_path / "again.jsonl"
    result = harvester("reparse", str(warc), "--out", str(target))  # the server is stopped: no network
    assert result.code == 0, result.stderr
    assert "21 document pages read, 0 failed, 0 not captured" in result.stderr
    assert comparable(read_jsonl(target)) == comparable(records)


def test_a_registry_change_then_reparse_gives_unknown_people_the_archives_id(detailed, tmp_path):
    """Ivan Kovalev taken out of the registry: the records that name him take the archive's id and authority
    form from the document page's pill (agrees null); every other record is unchanged."""
    out, records, manifest, _requests = detailed
    warc = out / "wilson" / manifest["captures"][0]["path"]
    registry = without_kovalev(tmp_path)
    target = tmp_path / "reparsed.jsonl"
    result = harvester("reparse", str(warc), "--out", str(target), "--registry", str(registry))
    assert result.code == 0, result.stderr
    before = {r["id"]: r for r in records}
    after = {r["id"]: r for r in read_jsonl(target)}
    concerned = {i for i, r in before.items() if any(p["id"] == "hv:ivan-kovalev" for p in r["people"])}
    changed = {i for i in before if comparable([before[i]]) != comparable([after[i]])}
    assert concerned
    assert changed == concerned
    mentions = [p for i in concerned for p in after[i]["people"] if p["as_written"] == "Kovalev"]
    assert len(mentions) == 2  # "... via Kovalev" twice ("I.V. Kovalev" is no name the grammar reads unaided)
    for kovalev in mentions:
        assert (kovalev["id"], kovalev["name"], kovalev["agrees"]) == ("wilson:people/kovalev-ivan", "Kovalev, Ivan",
                                                                        None)
    assert all(after[i]["details"] == before[i]["details"] for i in concerned)


def without_kovalev(tmp_path: Path) -> Path:
    """A copy of the person registry without Ivan Kovalev."""
    registry = tmp_path / "persons"
    shutil.copytree(Path(str(resources.files("harvester").joinpath("data/persons"))), registry)
    core = registry / "core.toml"
    text = core.read_text(encoding="utf-8")
    entry = text[text.index('[[person]]\nid = "hv:ivan-kovalev"'):]
    core.write_text(text.replace(entry[: entry.index("\n[[person]]") + 1], ""), encoding="utf-8")
    return registry


def test_the_crawls_worker_pool_joins_details_with_the_crawls_registry(detailed, tmp_path):
    """Every record built in the worker process (HARVESTER_NORMALIZE_WORKER_AFTER=0) with the registry of
    HARVESTER_PERSON_REGISTRY: the same records as a reparse of the first crawl's capture with that registry."""
    out, _records, manifest, _requests = detailed
    registry = without_kovalev(tmp_path)
    reparsed = tmp_path / "reparsed.jsonl"
    warc = out / "wilson" / manifest["captures"][0]["path"]
    assert harvester("reparse", str(warc), "--out", str(reparsed), "--registry", str(registry)).code == 0
    server = ReplayServer(WILSON_SITE)
    base_url = server.start()
    try:
        # the same port as the first crawl is not available: compare without the host
        result = crawl(base_url, tmp_path / "out", "--query", MAO, "--details",
                       settings=("-s", f"HARVESTER_PERSON_REGISTRY={registry}",
                                 "-s", "HARVESTER_NORMALIZE_WORKER_AFTER=0"))
    finally:
        server.stop()
    assert result.code == 0, result.stderr
    records, crawled = run_files(tmp_path / "out")
    assert crawled["stats"]["harvester/worker/records"] == 21
    hostless = lambda rows, base: json.loads(json.dumps(comparable(rows)).replace(base, "HOST"))  # noqa: E731
    first_base = read_jsonl(reparsed)[0]["url"].split("/document/")[0]
    assert hostless(records, base_url) == hostless(read_jsonl(reparsed), first_base)
    assert any(p["id"] == "wilson:people/kovalev-ivan" for r in records for p in r["people"])


def test_a_failed_document_page_is_named_and_counted_and_its_record_kept(tmp_path):
    """The replica's one result without a document page (404): the record is written with details null."""
    server = ReplayServer(WILSON_SITE)
    base_url = server.start()
    try:
        strict = harvester("crawl", "wilson", "--start-url", base_url + MONGOLIA, "--details",
                           "--output-dir", str(tmp_path / "strict"), *LOCAL)
        tolerant = harvester("crawl", "wilson", "--start-url", base_url + MONGOLIA, "--details",
                             "--output-dir", str(tmp_path / "tolerant"), *LOCAL, *TOLERANT)
    finally:
        server.stop()
    failing = f"/document/{gen.FAILING}"
    # 1 of 5 failed: over the default HARVESTER_MAX_FAILED_DETAIL_RATIO (0.05), so the run fails, saying which
    assert strict.code == 1
    assert "1 of 5 document pages failed" in strict.stderr
    assert failing in strict.stderr
    assert tolerant.code == 0, tolerant.stderr
    records, manifest = run_files(tmp_path / "tolerant")
    assert len(records) == 5
    [lost] = [r for r in records if r["url"].endswith(failing)]
    assert (lost["details"], lost["doc_type_archive"]) == (None, None)
    assert lost["title"]
    assert lost["date"]
    assert all(r["details"] is not None for r in records if r is not lost)
    assert manifest["failed_details"] == [{"url": base_url + failing, "reason": "HTTP 404"}]
    assert (manifest["counts"]["details_fetched"], manifest["counts"]["details_failed"]) == (4, 1)
    assert manifest["failed_pages"] == []
    assert manifest["stats"]["harvester/details/failed"] == 1


def test_an_incremental_run_fetches_the_details_of_new_and_changed_records_only(tmp_path):
    """Run 1 sees pages 1 and 2 of "mao zedong"; run 2 the whole listing, one row of page 1 retitled: only the
    ten new rows of page 0 and the changed row are followed; the unchanged rows keep their stored details."""
    older = site_copy(tmp_path / "older", pages=["search-mao-zedong-page-1.html", "search-mao-zedong-page-2.html"])
    page1 = (WILSON_SITE / "search-mao-zedong-page-1.html").read_text(encoding="utf-8")
    title = "Memorandum, I.V. Kovalev to Filippov [Stalin] on the Economic Situation in Manchuria"
    assert page1.count(f">{title}<") == 1
    newer = site_copy(tmp_path / "newer", edits={"search-mao-zedong-page-1.html": (f">{title}<", f">{title}.<")})
    site = SwitchableSite(older)
    out = tmp_path / "out"
    try:
        first = crawl(site.base_url, out, "--query", MAO, "--details", "--full")
        assert first.code == 0, first.stderr
        before = dict(site.server.requests)
        site.switch(newer)
        second = crawl(site.base_url, out, "--query", MAO, "--details", "--full")
        assert second.code == 0, second.stderr
        during = documents(site.server.requests)
    finally:
        site.stop()
    assert len(documents(before)) == 11
    records, manifest = run_files(out)
    assert len(records) == 21
    changed = next(r for r in records if r["title"] == f"{title}.")
    path = lambda record: record["url"].split(site.base_url, 1)[1]  # noqa: E731
    assert set(during) == {path(r) for r in records if r["page"] == 0} | {path(changed)}
    assert set(during.values()) == {1}
    assert (manifest["counts"]["details_fetched"], manifest["counts"]["details_reused"]) == (11, 10)
    assert (manifest["counts"]["new"], manifest["counts"]["changed"], manifest["counts"]["unchanged"]) == (10, 1, 10)
    assert all(r["details"] is not None for r in records)


def test_a_tracked_reparse_of_a_capture_without_the_document_pages_keeps_the_stored_details(tmp_path):
    """Run 2 reused every stored detail (its capture holds no document page): reparsing it as a tracked run
    keeps the details in the dataset instead of turning them into null."""
    server = ReplayServer(WILSON_SITE)
    base_url = server.start()
    out = tmp_path / "out"
    try:
        assert crawl(base_url, out, "--query", MAO, "--details").code == 0
        second = crawl(base_url, out, "--query", MAO, "--details", "--full")
        assert second.code == 0, second.stderr
    finally:
        server.stop()
    records, manifest = run_files(out)
    assert manifest["counts"]["details_reused"] == 21
    warc = out / "wilson" / manifest["captures"][0]["path"]
    one_off = harvester("reparse", str(warc), "--out", str(tmp_path / "alone.jsonl"))
    assert "0 document pages read, 0 failed, 21 not captured" in one_off.stderr
    assert all(r["details"] is None for r in read_jsonl(tmp_path / "alone.jsonl"))  # nothing to read them from
    tracked = harvester("reparse", str(warc), "--output-dir", str(out))
    assert tracked.code == 0, tracked.stderr
    again, reparsed = run_files(out)
    assert reparsed["mode"] == "reparse"
    assert (reparsed["counts"]["unchanged"], reparsed["counts"]["changed"]) == (21, 0)
    assert comparable(again) == comparable(records)
    assert all(r["details"] is not None for r in read_jsonl(out / "wilson" / "dataset.jsonl"))


def test_details_needs_a_profile_that_declares_document_pages(tmp_path):
    result = harvester("crawl", "--auto", "http://127.0.0.1:9/listing", "--details", "--output-dir", str(tmp_path))
    assert result.code == 2
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert "details needs a site profile that declares its document pages" in result.stderr


# --- kill -9 during the detail phase ---------------------------------------------------------------------------

DELAY = 0.1
SEQUENTIAL = ("-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")


@pytest.mark.slow
def test_kill_9_during_the_detail_phase_then_resume_loses_doubles_and_refetches_nothing(tmp_path, state_backend):
    site = SwitchableSite(WILSON_SITE, delay=DELAY)
    try:
        baseline_out = tmp_path / "baseline"
        assert crawl(site.base_url, baseline_out, "--query", MAO, "--details", settings=SEQUENTIAL).code == 0
        baseline, baseline_manifest = run_files(baseline_out)
        site.server.requests.clear()
        out = tmp_path / "out"
        command = [sys.executable, "-m", "harvester.cli", "crawl", "wilson", "--query", MAO, "--details",
                   "--output-dir", str(out), "-s", f"WILSON_BASE_URL={site.base_url}", *LOCAL, *SEQUENTIAL,
                   *state_backend.settings]
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while len(documents(site.server.requests)) < 8:  # page 0's document pages are being followed
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
        kept = {url.split(site.base_url, 1)[1] for url in state_backend.kept_details(out)}
        assert 5 <= len(kept) < 21
        resumed = crawl(site.base_url, out, "--query", MAO, "--details", "--resume",
                        settings=(*SEQUENTIAL, *state_backend.settings))
        requests = documents(site.server.requests)
    finally:
        site.stop()
    assert resumed.code == 0, resumed.stderr
    records, manifest = run_files(out)
    assert len(records) == len({r["id"] for r in records}) == 21, "a record lost or written twice"
    assert comparable(records) == comparable(baseline)
    assert manifest["sessions"] == 2
    assert set(requests) == {r["url"].split(site.base_url, 1)[1] for r in records}
    assert all(requests[target] == 1 for target in kept), "a document page kept before the kill was fetched again"
    # fetched twice: only pages not yet kept at the kill (the one in flight, and one answered but not yet read)
    assert sum(n - 1 for n in requests.values()) <= 2
    assert manifest["counts"]["details_fetched"] == 21 - len(kept)  # this session fetched only what was not kept
    assert baseline_manifest["counts"]["details_fetched"] == 21
