"""Raw capture (every response into the run's WARC file) and ``harvester reparse`` (records rebuilt from it).

Over real HTTP from the replica: a tracked crawl captures by default; its WARC is read back with warcio's own
reader; ``harvester reparse`` of it, with no server running, gives the crawl's records (all fields but
``crawled_at``, which is the response's WARC-Date); a registry change followed by a reparse changes exactly the
records it should; a crawl killed mid-way leaves a WARC that reparse reads.
"""

from __future__ import annotations

import gzip
import hashlib
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
from warcio.archiveiterator import ArchiveIterator

from harvester.devtools.replay import ReplayServer
from tests.support.cli import LOCAL, harvester, read_jsonl
from tests.support.paths import REPO, WILSON_SITE
from tests.support.runs import MAO, crawl, run_files

pytestmark = [pytest.mark.e2e]


def without_crawled_at(records: list[dict]) -> list[dict]:
    return sorted(({k: v for k, v in r.items() if k != "crawled_at"} for r in records), key=lambda r: r["id"])


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    """A tracked crawl of "mao zedong" (3 pages, 21 records) with the default capture, the server then stopped."""
    out = tmp_path_factory.mktemp("captured")
    server = ReplayServer(WILSON_SITE)
    base_url = server.start()
    try:
        result = crawl(base_url, out, "--query", MAO)
    finally:
        server.stop()
    assert result.code == 0, result.stderr
    records, manifest = run_files(out)
    return out, records, manifest


def test_a_tracked_run_keeps_every_response_in_a_warc_file_named_in_its_manifest(captured):
    out, _records, manifest = captured
    [entry] = manifest["captures"]
    path = out / "wilson" / entry["path"]
    assert entry["path"] == f"pages/{manifest['run_id']}.warc.gz"
    assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert entry["bytes"] == path.stat().st_size
    with path.open("rb") as stream:  # any WARC reader: warcio's own
        kinds, responses, requests, metadata = [], {}, {}, {}
        for record in ArchiveIterator(stream):
            kinds.append(record.rec_type)
            headers = record.rec_headers
            if record.rec_type == "response":
                responses[headers.get_header("WARC-Record-ID")] = record.http_headers
                assert record.http_headers.get_statuscode() == "200"
                assert record.http_headers.get_header("Content-Type")
            elif record.rec_type == "request":
                requests[headers.get_header("WARC-Concurrent-To")] = record.http_headers
            elif record.rec_type == "metadata":
                metadata[headers.get_header("WARC-Concurrent-To")] = json.loads(record.content_stream().read())
    assert kinds[0] == "warcinfo"
    assert set(requests) == set(responses) == set(metadata)  # each response paired with its request
    assert len(responses) == 4  # robots.txt and the three listing pages
    assert sorted(m["page"] for m in metadata.values() if m["page"] is not None) == [0, 1, 2]
    assert all(r.protocol == "GET" for r in requests.values())
    assert all(r.get_header("User-Agent") for r in requests.values())


def test_reparse_without_the_site_gives_the_crawls_records(captured, tmp_path):
    out, records, manifest = captured
    warc = out / "wilson" / manifest["captures"][0]["path"]
    target = tmp_path / "reparsed.jsonl"
    result = harvester("reparse", str(warc), "--out", str(target))  # the replica is not running any more
    assert result.code == 0, result.stderr
    assert "21 records from 3 pages of 4 captured responses" in result.stderr
    reparsed = read_jsonl(target)
    assert without_crawled_at(reparsed) == without_crawled_at(records)
    # crawled_at is when the page was fetched (its WARC-Date), not when it was re-read
    assert all(manifest["started_at"] <= r["crawled_at"] <= manifest["ended_at"] for r in reparsed)


def test_a_registry_change_reaches_exactly_the_records_it_concerns(captured, tmp_path):
    out, records, manifest = captured
    warc = out / "wilson" / manifest["captures"][0]["path"]
    registry = tmp_path / "persons"
    shutil.copytree(Path(str(resources.files("harvester").joinpath("data/persons"))), registry)
    core = registry / "core.toml"
    text = core.read_text(encoding="utf-8")
    assert text.count('\nid = "hv:ivan-kovalev"') == 1
    renamed = text.replace('\nid = "hv:ivan-kovalev"', '\nid = "hv:ivan-vladimirovich-kovalev"')
    core.write_text(renamed, encoding="utf-8")
    target = tmp_path / "reparsed.jsonl"
    result = harvester("reparse", str(warc), "--out", str(target), "--registry", str(registry))
    assert result.code == 0, result.stderr
    before = {r["id"]: r for r in records}
    after = {r["id"]: r for r in read_jsonl(target)}
    assert set(before) == set(after)
    changed = {i for i in before if without_crawled_at([before[i]]) != without_crawled_at([after[i]])}
    concerned = {i for i, r in before.items() if any(p["id"] == "hv:ivan-kovalev" for p in r["people"])}
    assert concerned
    assert changed == concerned
    for record_id in concerned:
        ids = [p["id"] for p in after[record_id]["people"]]
        assert "hv:ivan-vladimirovich-kovalev" in ids
        assert "hv:ivan-kovalev" not in ids


def test_a_tracked_reparse_is_a_run_of_its_own_that_updates_the_dataset(captured, tmp_path):
    out, records, manifest = captured
    layout = tmp_path / "output"
    shutil.copytree(out, layout)
    warc = layout / "wilson" / manifest["captures"][0]["path"]
    result = harvester("reparse", str(warc), "--output-dir", str(layout))
    assert result.code == 0, result.stderr
    manifests = [json.loads(p.read_text()) for p in (layout / "wilson" / "runs").glob("*.json")]
    [again] = [m for m in manifests if m["mode"] == "reparse"]
    assert again["counts"]["records"] == 21
    assert again["counts"]["unchanged"] == 21
    assert again["exit_code"] == 0
    assert again["captures"] == []
    assert harvester("status", "--output-dir", str(layout)).code == 0
    dataset = read_jsonl(layout / "wilson" / "dataset.jsonl")
    seen = {r["id"]: (r.pop("first_seen"), r.pop("last_seen")) for r in dataset}
    assert without_crawled_at(dataset) == without_crawled_at(records)
    # last seen on the site when the page was fetched, not when it was re-read
    assert {last for _, last in seen.values()} <= {r["crawled_at"] for r in records}


def test_a_one_off_run_captures_only_when_asked(tmp_path, replay_site):
    plain = tmp_path / "plain.jsonl"
    result = crawl(replay_site.base_url, tmp_path, "--query", MAO, "--out", str(plain))
    assert result.code == 0, result.stderr
    assert not list(tmp_path.glob("*.warc.gz"))
    kept = tmp_path / "kept.jsonl"
    result = crawl(replay_site.base_url, tmp_path, "--query", MAO, "--out", str(kept), "--capture")
    assert result.code == 0, result.stderr
    warc = tmp_path / "kept.jsonl.warc.gz"
    again = tmp_path / "again.jsonl"
    assert harvester("reparse", str(warc), "--out", str(again)).code == 0
    assert without_crawled_at(read_jsonl(again)) == without_crawled_at(read_jsonl(kept))


def test_a_killed_crawl_leaves_a_warc_that_reparse_reads(tmp_path):
    server = ReplayServer(WILSON_SITE, delay=0.4)
    base_url = server.start()
    try:
        command = [sys.executable, "-m", "harvester.cli", "crawl", "wilson", "--query", MAO, "--output-dir",
                   str(tmp_path), "-s", f"WILSON_BASE_URL={base_url}", *LOCAL,
                   "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]  # fmt: skip
        proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while server.requests.get("/search?search_api_fulltext=mao%20zedong&page=1", 0) == 0:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        server.stop()
    [warc] = (tmp_path / "wilson" / "pages").glob("*.warc.gz")
    target = tmp_path / "salvaged.jsonl"
    result = harvester("reparse", str(warc), "--out", str(target))
    assert result.code == 0, result.stderr
    assert len(read_jsonl(target)) >= 10  # page 0 at least: it was captured before page 1 was asked for


def test_a_cut_off_warc_gives_what_it_holds_and_says_so(captured, tmp_path):
    out, _records, manifest = captured
    data = (out / "wilson" / manifest["captures"][0]["path"]).read_bytes()
    cut = tmp_path / "cut.warc.gz"
    cut.write_bytes(data[: len(data) - 200])
    target = tmp_path / "cut.jsonl"
    result = harvester("reparse", str(cut), "--out", str(target))
    assert result.code == 0, result.stderr
    assert "is cut off after" in result.stderr
    assert 0 < len(read_jsonl(target)) <= 21


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"<html>not a warc</html>", "not a readable WARC"),
        # mtime fixed: a gzip header holds the time, and pytest-xdist's workers must collect the same test ids
        (gzip.compress(b"WARC/1.1\r\nWARC-Type: response\r\n\r\n", mtime=0), "not a"),
        (b"", "not a harvester capture"),
    ],
    ids=["html", "gzip-not-warc", "empty"],
)
def test_a_file_that_is_not_a_capture_is_one_line_and_exit_2(tmp_path, content, says):
    path = tmp_path / "bad.warc.gz"
    path.write_bytes(content)
    result = harvester("reparse", str(path), "--out", str(tmp_path / "x.jsonl"))
    assert result.code == 2
    assert says in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "x.jsonl").exists()
