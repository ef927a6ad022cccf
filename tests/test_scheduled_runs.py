"""Scheduled (tracked) runs over HTTP: run files, manifests, the state store, the dataset, incremental paging.
Incremental paging and changed records are checked on both state backends (``state_backend``)."""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from harvester.pipelines.validate import record_errors
from harvester.records import SCHEMA_VERSION
from tests.support.cli import harvester, read_jsonl
from tests.support.paths import WILSON_SITE
from tests.support.runs import MAO, SwitchableSite, crawl, run_files, site_copy

pytestmark = pytest.mark.e2e


def summary_line(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith("harvester: ")]
    assert len(lines) == 1, stdout
    return lines[0]


def test_first_run_writes_run_file_manifest_state_and_dataset(replay_site, tmp_path):
    out = tmp_path / "out"
    result = crawl(replay_site.base_url, out, "--query", MAO)
    assert result.code == 0, result.stderr
    records, manifest = run_files(out)
    run_path = out / "wilson" / "runs" / f"{manifest['run_id']}.jsonl"
    assert summary_line(result.stdout).startswith("harvester: 21 records from 3 pages, 21 new, 0 failed pages")
    assert summary_line(result.stdout).endswith(f"-> {run_path}")
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{9}", manifest["run_id"])
    # Every record a real crawl produced meets the contract.
    assert len(records) == 21
    assert [e for r in records for e in record_errors(r)] == []
    assert {r["schema_version"] for r in records} == {SCHEMA_VERSION}
    assert manifest["counts"] == {
        "pages": 3, "failed_pages": 0, "records": 21, "new": 21, "changed": 0, "unchanged": 0, "invalid": 0,
        "duplicates": 0, "unresolved_names": manifest["counts"]["unresolved_names"],
        "details_fetched": 0, "details_failed": 0, "details_reused": 0,  # no --details
    }
    assert manifest["failed_details"] == []
    assert manifest["output"]["sha256"] == hashlib.sha256(run_path.read_bytes()).hexdigest()
    assert (manifest["exit_code"], manifest["finish_reason"], manifest["mode"]) == (0, "finished", "incremental")
    assert manifest["arguments"]["query"] == MAO
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["harvester_version"]
    assert manifest["started_at"] <= manifest["ended_at"]
    assert manifest["coverage"]["title"] == 1.0
    # Scrapy's stats are kept in the manifest (the terminal does not get the dump)
    assert manifest["stats"]["downloader/response_status_count/200"] >= 3
    assert manifest["stats"]["finish_time"].startswith("20")
    dataset = read_jsonl(out / "wilson" / "dataset.jsonl")
    assert [r["id"] for r in dataset] == sorted(r["id"] for r in records)
    assert all(r["first_seen"] == r["last_seen"] == r["crawled_at"] for r in dataset)
    assert (out / "wilson" / "state.sqlite").is_file()
    assert list((out / "wilson").rglob("*.part")) == []
    assert list((out / "wilson" / "jobs").iterdir()) == []


def test_rerun_of_an_unchanged_newest_first_search_costs_one_page(tmp_path, state_backend):
    site = SwitchableSite(WILSON_SITE)
    out = tmp_path / "out"
    try:
        first = crawl(site.base_url, out, "--query", MAO, settings=state_backend.settings)
        assert first.code == 0, first.stderr
        before = site.search_requests()
        again = crawl(site.base_url, out, "--query", MAO, settings=state_backend.settings)
        assert again.code == 0, again.stderr
        assert site.search_requests() - before == 1
        assert "0 records from 1 pages, 10 unchanged" in summary_line(again.stdout)
        records, manifest = run_files(out)
        assert records == []
        assert manifest["counts"]["unchanged"] == 10
        assert manifest["stopped_at_known_page"] == 0
        full = crawl(site.base_url, out, "--query", MAO, "--full", settings=state_backend.settings)
        assert full.code == 0, full.stderr
        assert "21 records from 3 pages, 21 unchanged" in summary_line(full.stdout)
    finally:
        site.stop()
    dataset = read_jsonl(out / "wilson" / "dataset.jsonl")
    assert len(dataset) == 21
    assert all(r["first_seen"] <= r["last_seen"] for r in dataset)


def test_new_records_on_top_are_harvested_up_to_the_first_known_page(tmp_path, state_backend):
    older = site_copy(tmp_path / "older", pages=["search-mao-zedong-page-1.html", "search-mao-zedong-page-2.html"])
    site = SwitchableSite(older)
    out = tmp_path / "out"
    try:
        first = crawl(site.base_url, out, "--query", MAO, settings=state_backend.settings)
        assert first.code == 0, first.stderr
        assert "11 records from 2 pages, 11 new" in summary_line(first.stdout)
        site.switch(WILSON_SITE)  # ten documents were added on top
        second = crawl(site.base_url, out, "--query", MAO, settings=state_backend.settings)
    finally:
        site.stop()
    assert second.code == 0, second.stderr
    assert site.search_requests() == 2  # page 0 (new) and page 1 (all known): page 2 never asked for
    records, manifest = run_files(out)
    assert len(records) == 10
    assert {r["page"] for r in records} == {0}
    assert (manifest["counts"]["new"], manifest["counts"]["unchanged"]) == (10, 10)
    assert len(read_jsonl(out / "wilson" / "dataset.jsonl")) == 21


def test_a_changed_record_is_reported_and_replaces_the_old_version(tmp_path, state_backend):
    old, new = "Telegram from Mao Zedong to Filippov (Stalin)", "Telegram from Mao Zedong to Filippov [Stalin] (2)"
    edited = site_copy(tmp_path / "edited", edits={"search-mao-zedong-page-0.html": (old, new)})
    site = SwitchableSite(WILSON_SITE)
    out = tmp_path / "out"
    try:
        assert crawl(site.base_url, out, "--query", MAO, settings=state_backend.settings).code == 0
        before = {r["id"]: r for r in read_jsonl(out / "wilson" / "dataset.jsonl")}
        site.switch(edited)
        result = crawl(site.base_url, out, "--query", MAO, settings=state_backend.settings)
    finally:
        site.stop()
    assert result.code == 0, result.stderr
    assert "0 new, 1 changed" not in summary_line(result.stdout)  # zero counts are left out
    assert "1 records from 1 pages, 1 changed, 9 unchanged" in summary_line(result.stdout)
    records, _ = run_files(out)
    assert [r["title"] for r in records] == [new]
    after = {r["id"]: r for r in read_jsonl(out / "wilson" / "dataset.jsonl")}
    changed = records[0]["id"]
    assert after[changed]["title"] == new
    assert after[changed]["first_seen"] == before[changed]["first_seen"]


def test_a_search_sorted_by_document_date_is_paged_to_the_end(tmp_path):
    site = SwitchableSite(WILSON_SITE)
    out = tmp_path / "out"
    try:
        assert crawl(site.base_url, out, "--people", "81716", "--sort", "date").code == 0
        before = site.search_requests()
        result = crawl(site.base_url, out, "--people", "81716", "--sort", "date")
        assert site.search_requests() - before == 2
    finally:
        site.stop()
    assert result.code == 0, result.stderr
    assert "0 records from 2 pages, 13 unchanged" in summary_line(result.stdout)


def test_invalid_records_are_quarantined_beside_the_run_file(tmp_path):
    link = '<a href="/document/cable-anastas-mikoyan-joseph-stalin-0">'
    broken = site_copy(tmp_path / "site", edits={
        "search-mao-zedong-page-2.html": (link, '<a href="ftp://files.example/document/x">'),
    })
    site = SwitchableSite(broken)
    out = tmp_path / "out"
    try:
        result = crawl(site.base_url, out, "--query", MAO)
    finally:
        site.stop()
    assert result.code == 0, result.stderr
    assert "20 records from 3 pages, 20 new, 0 failed pages, 1 invalid (quarantined)" in summary_line(result.stdout)
    records, manifest = run_files(out)
    assert len(records) == 20
    assert manifest["counts"]["invalid"] == 1
    quarantine = read_jsonl(out / "wilson" / "runs" / f"{manifest['run_id']}.invalid.jsonl")
    assert len(quarantine) == 1
    assert quarantine[0]["record"]["url"] == "ftp://files.example/document/x"
    assert any(error.startswith("$.url: ") for error in quarantine[0]["errors"])
    assert manifest["invalid"] == {"path": f"{manifest['run_id']}.invalid.jsonl", "records": 1}


def test_out_is_a_one_off_harvest_that_touches_no_state(replay_site, tmp_path):
    out_dir, target = tmp_path / "out", tmp_path / "export" / "mao.jsonl"
    for _ in range(2):  # a one-off harvest is complete every time
        result = crawl(replay_site.base_url, out_dir, "--query", MAO, "--out", str(target))
        assert result.code == 0, result.stderr
        assert summary_line(result.stdout).endswith(f"-> {target}")
        assert len(read_jsonl(target)) == 21
    assert not out_dir.exists()
    assert sorted(p.name for p in target.parent.iterdir()) == ["mao.jsonl"]


def test_a_damaged_state_store_exits_2_and_nothing_is_written(replay_site, tmp_path):
    state = tmp_path / "out" / "wilson" / "state.sqlite"
    state.parent.mkdir(parents=True)
    state.write_bytes(b"not a database at all\n" * 200)
    result = crawl(replay_site.base_url, tmp_path / "out", "--query", MAO)
    assert result.code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("harvester: error:")]
    assert len(errors) == 1
    assert "state.sqlite" in errors[0]
    assert "damaged" in errors[0]
    assert state.read_bytes() == b"not a database at all\n" * 200
    assert not (tmp_path / "out" / "wilson" / "runs").exists()
    assert not any(t.startswith("/search") for t in replay_site.requests)


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://harvester:s3cret@127.0.0.1:1/state", "cannot reach the state database "
         "postgresql://harvester@127.0.0.1:1/state"),
        ("mysql://db.example.org/state", "is not a state URL"),
    ],
)  # fmt: skip
def test_a_state_database_that_cannot_be_used_exits_2_in_one_line(replay_site, tmp_path, url, said):
    setting = ("-s", f"HARVESTER_STATE_URL={url}")
    result = crawl(replay_site.base_url, tmp_path / "out", "--query", MAO, settings=setting)
    assert result.code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("harvester: error:")]
    assert len(errors) == 1
    assert said in errors[0]
    assert "s3cret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr
    assert not any(t.startswith("/search") for t in replay_site.requests)


@pytest.mark.parametrize("run_id", ["../../escape", "a/b", ".hidden"])
def test_a_run_id_that_would_leave_the_output_folder_exits_2(replay_site, tmp_path, run_id):
    setting = ("-s", f"HARVESTER_RUN_ID={run_id}")
    result = crawl(replay_site.base_url, tmp_path / "out", "--query", MAO, settings=setting)
    assert result.code == 2
    assert "cannot name a file" in result.stderr
    assert not (tmp_path / "escape").exists()


def test_demo_without_out_writes_a_run_and_prints_one_summary(tmp_path):
    result = harvester("demo", cwd=tmp_path)
    assert result.code == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("harvester: 21 records from 3 pages, 21 new")
    path = last.rsplit("-> ", 1)[1]
    assert path.startswith("output/wilson/runs/")
    assert len(read_jsonl(tmp_path / path)) == 21
    again = harvester("demo", cwd=tmp_path)  # the demo always shows the whole dataset
    assert again.stdout.strip().splitlines()[-1].startswith("harvester: 21 records from 3 pages")
    assert len(json.loads(next((tmp_path / "output" / "wilson" / "runs").glob("*.json")).read_text())) > 5
