"""Hostile sites, damaged state and untrusted files (issue 16): each fault class, bounded in time and count.
docs/reliability.md lists each with the behaviour these tests prove."""

from __future__ import annotations

import re

import pytest

from harvester.devtools.faults import EMPTY_LISTING, Fault
from tests.support.cli import read_jsonl
from tests.support.faults import MAO_QUERY, comparable, crawl, expected_mao, fault_site, searches

pytestmark = pytest.mark.e2e

PAGE1 = {**MAO_QUERY, "page": "1"}


def _q(query: str, page: int | None = None) -> dict[str, str]:
    return {"search_api_fulltext": query} | ({"page": str(page)} if page is not None else {})


# --- 1. a count header that lies ---------------------------------------------------------------------------


@pytest.mark.parametrize("total", ["99999999999", "1000000"])
def test_a_lying_count_header_costs_a_few_requests_and_is_named(tmp_path, total):
    liar = Fault("listing", path="/search", query=_q("liar"), total=10, count=f"1 - 10 of {total}")
    with fault_site(liar) as server:
        run = crawl(server, tmp_path, query="liar", timeout=60)
    assert run.code == 1, run.log
    assert len(run.records or []) == 10
    assert "count header lied" in run.log
    assert sum(searches(server).values()) <= 15, searches(server)  # a window of 4, each asked twice


def test_max_pages_is_honoured_before_a_lying_count_is_scheduled(tmp_path):
    liar = Fault("listing", path="/search", query=_q("liar"), total=40, count="1 - 10 of 99999999999")
    with fault_site(liar) as server:
        run = crawl(server, tmp_path, "--max-pages", "3", query="liar", timeout=60)
    assert run.code == 0, run.log
    assert len(run.records or []) == 30
    assert sum(searches(server).values()) == 3, searches(server)


# --- 4. a page that is briefly (or persistently) empty inside the count ---------------------------------------


def test_a_briefly_empty_page_is_asked_again_and_nothing_is_lost(tmp_path):
    empty = Fault(
        "body", path="/search", query=PAGE1, body=EMPTY_LISTING, content_type="text/html; charset=utf-8", times=1
    )
    with fault_site(empty) as server:
        run = crawl(server, tmp_path)
    assert run.code == 0, run.log
    assert comparable(run.records, server.base_url) == expected_mao()


def test_a_page_that_stays_empty_inside_the_count_is_a_failed_page(tmp_path):
    with fault_site(Fault("listing", path="/search", query=PAGE1, total=0)) as server:
        run = crawl(server, tmp_path)
    assert run.code == 1, run.log
    assert "page failed: " in run.log
    assert "no rows although the count header promised" in run.log
    assert len(run.records or []) == 11


# --- 8. results that shift during the crawl -----------------------------------------------------------------


def test_a_count_that_changes_during_the_crawl_is_reported(tmp_path):
    with fault_site(Fault("count", path="/search", query=PAGE1, count="11 - 20 of 20")) as server:
        run = crawl(server, tmp_path)
    assert run.code == 1, run.log
    assert "the count header changed from 21 to 20" in run.log


# --- 9. a site that repeats its last page past the end ------------------------------------------------------


def test_a_site_that_repeats_its_last_page_past_the_end_is_not_a_loop(tmp_path):
    repeat = Fault("loop", path="/search", query=_q("edge", 2), target="/search?search_api_fulltext=edge&page=1")
    with fault_site(repeat, Fault("listing", path="/search", query=_q("edge"), total=20)) as server:
        run = crawl(server, tmp_path, query="edge")
    assert run.code == 0, run.log
    assert len(run.records or []) == 20


# --- 10. failed pages within HARVESTER_MAX_FAILED_PAGE_RATIO -------------------------------------------------


def test_pages_that_failed_after_retries_count_against_the_ratio_not_as_errors(tmp_path):
    with fault_site(Fault("status", path="/search", query=PAGE1, status=500)) as server:
        run = crawl(server, tmp_path, settings={"HARVESTER_MAX_FAILED_PAGE_RATIO": "0.5"})
    assert run.code == 0, run.log
    assert "Gave up retrying" in run.log
    assert len(run.records or []) == 11


# --- 2. a title built to make name resolution quadratic ---------------------------------------------------------


def test_a_huge_title_costs_bounded_time_in_the_title_grammar_and_name_resolution():
    import time

    from harvester.records import build_record

    words = " ".join(["Comrade"] * 5_000) + " Kim"  # office words: every suffix was a candidate name (8 s before)
    raw = {"source": "wilson", "url": "http://127.0.0.1/document/1", "title": "Telegram from " + words}
    build_record({**raw, "title": "Telegram from Mao Zedong"}, crawled_at=None)  # the registry loads once
    started = time.monotonic()
    record = build_record(raw, crawled_at=None)
    assert time.monotonic() - started < 3
    assert record["title"] == raw["title"]  # the record keeps the whole title; only the grammar reads less


# --- tracked runs: state, dataset, layout ---------------------------------------------------------------------


def _tracked(server, output_dir, *args):
    from tests.support.runs import crawl as tracked_crawl

    return tracked_crawl(server.base_url, output_dir, "--query", "mao zedong", *args)


def _state_count(path) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize("damage", ["missing", "empty"])
def test_a_missing_or_empty_state_store_never_shrinks_the_dataset(tmp_path, damage):
    out = tmp_path / "output"
    with fault_site() as server:
        assert _tracked(server, out).code == 0
        state, dataset = out / "wilson" / "state.sqlite", out / "wilson" / "dataset.jsonl"
        before = dataset.read_bytes()
        for extra in (state, state.with_name("state.sqlite-wal"), state.with_name("state.sqlite-shm")):
            extra.unlink(missing_ok=True)
        if damage == "empty":
            state.write_bytes(b"")
        run = _tracked(server, out, "--max-pages", "1")
    assert run.code == 2, run.stdout + run.stderr
    assert f"is {'missing' if damage == 'missing' else 'empty (0 bytes)'} but" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert dataset.read_bytes() == before


def test_a_failed_dataset_export_leaves_the_state_store_as_it_was(tmp_path):
    out = tmp_path / "output"
    with fault_site() as server:
        assert _tracked(server, out, "--max-pages", "1").code == 0
        state, dataset = out / "wilson" / "state.sqlite", out / "wilson" / "dataset.jsonl"
        assert _state_count(state) == 10
        dataset.unlink()
        dataset.mkdir()  # a directory in its place: the export fails after every record was read
        (dataset / "keep").write_text("x")
        run = _tracked(server, out, "--full")
        assert run.code == 1, run.stdout + run.stderr
        assert _state_count(state) == 10
        (dataset / "keep").unlink()
        dataset.rmdir()
        dataset.write_text("")
        again = _tracked(server, out, "--full")
    assert again.code == 0, again.stdout + again.stderr
    assert "11 new" in again.stdout
    assert len(dataset.read_text().splitlines()) == 21


@pytest.mark.parametrize("link", ["runs", "state.sqlite", ".dataset.lock", "jobs"])
def test_a_symlink_inside_the_output_folder_is_refused(tmp_path, link):
    out = tmp_path / "output"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "wilson").mkdir(parents=True)
    target = elsewhere / link
    if link in ("runs", "jobs"):
        target.mkdir()
    (out / "wilson" / link).symlink_to(target)
    with fault_site() as server:
        run = _tracked(server, out, "--max-pages", "1")
    assert run.code == 2, run.stdout + run.stderr
    assert "is a symbolic link" in run.stderr or "is outside the output folder" in run.stderr
    assert sorted(p.name for p in elsewhere.rglob("*")) == sorted([link] if link in ("runs", "jobs") else [])


def test_an_unreadable_state_store_is_called_unreadable_not_damaged(tmp_path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads any file")
    out = tmp_path / "output"
    with fault_site() as server:
        assert _tracked(server, out, "--max-pages", "1").code == 0
        state = out / "wilson" / "state.sqlite"
        state.chmod(0)
        try:
            run = _tracked(server, out, "--max-pages", "1")
        finally:
            state.chmod(0o644)
    assert run.code == 2
    assert "permission denied" in run.stderr


def test_a_foreign_sqlite_file_is_rejected_untouched(tmp_path):
    import sqlite3

    from harvester.errors import StateError
    from harvester.storage.state import StateStore

    path = tmp_path / "state.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE mine (x)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StateError, match="not a harvester state store"):
        StateStore.open(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.sqlite"]


# --- 5. --out onto what is not a regular file ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_out_never_replaces_what_is_not_a_regular_file(tmp_path, kind):
    import os
    import stat

    from tests.support.cli import harvester

    real = tmp_path / "real.jsonl"
    real.write_text("keep\n")
    out = tmp_path / "out.jsonl"
    if kind == "symlink":
        out.symlink_to(real)
    else:
        os.mkfifo(out)
    run = harvester(
        "crawl", "wilson", "--query", "x", "--out", str(out), "-s", "WILSON_BASE_URL=http://127.0.0.1:9", timeout=60
    )
    assert run.code == 2, run.stdout + run.stderr
    assert "--out" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert real.read_text() == "keep\n"
    mode = os.lstat(out).st_mode
    assert stat.S_ISLNK(mode) if kind == "symlink" else stat.S_ISFIFO(mode)


# --- 12. a catastrophic regex in a profile --------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"id": {"pattern": "^(?P<key>(.*)*)*x$"}},
        {"fields.title": {"css": "h3", "keep": r"(\w+\s?)*$"}},
        {"fields.title": {"css": "h3", "drop": "(a|ab)*c"}},
        {"pagination.path": r"/p/(?P<page>(\d+)+)"},
    ],
)
def test_a_regex_that_can_backtrack_exponentially_is_refused_at_load(change):
    from harvester.errors import ProfileError
    from harvester.profiles import profile_from_data
    from tests.test_profiles import with_

    with pytest.raises(ProfileError, match="can take exponential time") as caught:
        profile_from_data(with_(change), "sites/site.toml")
    assert "\n" not in str(caught.value)


def test_every_packaged_profile_regex_is_accepted():
    from harvester.profiles.regex_bounds import catastrophic

    for pattern in [r"(\d{4}-)+", r"(?:\s|,)+", r"\b(January|May)\b[^<>\n]{0,12}?\b\d{4}\b", r"(?:x+)?y"]:
        assert catastrophic(pattern) is None, pattern


# --- 13. -s values of the wrong type or out of range ---------------------------------------------------------


@pytest.mark.parametrize(
    "setting",
    [
        "DOWNLOAD_DELAY=abc",
        "ROBOTSTXT_OBEY=maybe",
        "DOWNLOAD_TIMEOUT=-1",
        "CONCURRENT_REQUESTS=0",
        "RETRY_TIMES=three",
        "HARVESTER_MAX_FAILED_PAGE_RATIO=2",
        "RETRY_HTTP_CODES=5xx",
        "LOG_LEVEL=LOUD",
        "DOWNLOAD_MAXSIZE=inf",
        "ITEM_PIPELINES=[1]",
    ],
)
def test_a_bad_setting_value_is_one_line_and_exit_2_before_anything_is_written(tmp_path, setting):
    from tests.support.cli import harvester

    out = tmp_path / "sub" / "out.jsonl"
    run = harvester(
        "crawl",
        "wilson",
        "--query",
        "x",
        "--out",
        str(out),
        "-s",
        "WILSON_BASE_URL=http://127.0.0.1:9",
        "-s",
        setting,
        timeout=60,
    )
    assert run.code == 2, run.stdout + run.stderr
    assert run.stderr.startswith(f"harvester: error: -s {setting}: ")
    assert len(run.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_good_setting_values_pass_the_check():
    from scrapy.settings import Settings

    from harvester.setting_checks import check_settings

    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    check_settings(
        {
            "DOWNLOAD_TIMEOUT": "0.5",
            "ROBOTSTXT_OBEY": "False",
            "RETRY_HTTP_CODES": "500,503",
            "HARVESTER_PROGRESS_TTY": "",
            "DOWNLOAD_DELAY": "0",
            "LOG_LEVEL": "debug",
            "ITEM_PIPELINES": "{}",
            "SOMETHING_ELSE": "anything",
        },
        settings,
    )


# --- a hostile site of the tests' own -----------------------------------------------------------------------


def _rows(n: int, href=None) -> list[str]:
    from harvester.devtools.faults import synthetic_row

    rows = [synthetic_row(i) for i in range(1, n + 1)]
    return [r.replace('href="/document/', f'href="{href}/document/') for r in rows] if href else rows


def _hostile_crawl(site, tmp_path, query, *args, settings=()):
    from tests.support.cli import harvester
    from tests.support.faults import FAST

    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / "out.jsonl"
    opts = [x for name, value in {**FAST, **dict(settings)}.items() for x in ("-s", f"{name}={value}")]
    result = harvester(
        "crawl",
        "wilson",
        "--query",
        query,
        "--out",
        str(out),
        "-s",
        f"WILSON_BASE_URL={site.base_url}",
        *opts,
        *args,
        timeout=60,
    )
    return result, out


def _every_file_text(root) -> str:
    return "".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


def test_a_password_in_a_redirect_or_a_link_never_reaches_logs_summary_or_records(tmp_path):
    from harvester.devtools.faults import listing_html
    from tests.support.hostile import hostile_site

    with hostile_site() as site:
        secret = f"http://user:hunter2@127.0.0.1:{site.port}"
        site.html("/search?search_api_fulltext=secret", "", status=302, Location=f"{secret}/list")
        site.html(
            "/search?search_api_fulltext=links",
            listing_html(_rows(2, href=f"http://reader:s3cret@127.0.0.1:{site.port}"), "1 - 2 of 2"),
        )
        redirected, _ = _hostile_crawl(site, tmp_path / "a", "secret", settings={"LOG_LEVEL": "DEBUG"})
        linked, out = _hostile_crawl(site, tmp_path / "b", "links", settings={"LOG_LEVEL": "DEBUG"})
    text = redirected.stdout + redirected.stderr + linked.stdout + linked.stderr + _every_file_text(tmp_path)
    assert "/list" in redirected.stderr  # the redirect was followed (and failed: Scrapy refuses user:pass@ hosts)
    assert "hunter2" not in text
    assert "s3cret" not in text
    assert linked.code == 0, linked.stdout + linked.stderr
    assert [r["url"] for r in read_jsonl(out)] == [f"{site.base_url}/document/generated-document-{i}" for i in (1, 2)]


def test_a_contact_url_with_credentials_is_refused(tmp_path):
    from tests.support.cli import harvester

    run = harvester(
        "crawl",
        "wilson",
        "--query",
        "x",
        "--out",
        str(tmp_path / "o.jsonl"),
        "--contact",
        "https://user:pass@example.org/",
        "-s",
        "WILSON_BASE_URL=http://127.0.0.1:9",
        timeout=60,
    )
    assert run.code == 2
    assert "must not carry credentials" in run.stderr
    assert "pass@" not in run.stderr


def test_a_redirect_to_another_host_is_not_merged(tmp_path):
    from harvester.devtools.faults import listing_html
    from tests.support.hostile import hostile_site

    with hostile_site() as elsewhere, hostile_site() as site:
        elsewhere.html("/list", listing_html(_rows(3), "1 - 3 of 3"))
        other = f"http://localhost:{elsewhere.port}/list"  # another host name for the same machine
        site.html("/search?search_api_fulltext=moved", "", status=301, Location=other)
        result, out = _hostile_crawl(site, tmp_path, "moved")
    assert result.code == 1
    assert "redirected to another host (localhost)" in result.stderr
    assert not out.exists() or out.read_text() == ""


@pytest.mark.parametrize(
    ("body", "ctype"),
    [(b'{"results": []}', "application/json"), (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "application/pdf")],
)
def test_a_non_html_response_is_a_named_failed_page(tmp_path, body, ctype):
    from tests.support.hostile import hostile_site

    with hostile_site() as site:
        site.routes["/search?search_api_fulltext=odd"] = (200, {"Content-Type": ctype}, body)
        result, _ = _hostile_crawl(site, tmp_path, "odd")
    assert result.code == 1
    assert "page failed: " in result.stderr + result.stdout
    assert "1 failed pages" in result.stdout
    assert "Traceback" not in result.stderr


def test_a_count_without_blocks_says_the_selector_matches_nothing(tmp_path):
    from harvester.devtools.faults import listing_html
    from tests.support.hostile import hostile_site

    rows = [r.replace('class="document', 'class="doc') for r in _rows(10)]  # the markup changed under the parser
    with hostile_site() as site:
        site.html("/search?search_api_fulltext=changed", listing_html(rows, "1 - 10 of 30"))
        result, _ = _hostile_crawl(site, tmp_path, "changed")
    assert result.code == 1
    assert re.search(r"shows (results )?1 - 10 of 30 but .*(no result block was found|matches none)", result.stderr)
    assert "the listing shows no results" not in result.stderr


def test_ids_tell_schemes_apart():
    from harvester.records import record_id

    assert record_id("wilson", "file:///etc/passwd") != record_id("wilson", "http://host/etc/passwd")
    assert record_id("wilson", "file:///document/x") != record_id("wilson", "https://host/document/x")
    assert record_id("wilson", "http://a/document/x") == record_id("wilson", "https://b/document/x") == "wilson:x"


# --- 23. control characters and escape sequences in text ---------------------------------------------------


def test_control_characters_and_escape_sequences_never_reach_a_record():
    from harvester.records import build_record, repair_fields

    raw = {
        "source": "wilson",
        "url": "http://127.0.0.1/document/1",
        "summary": "a\x00b\x1b[2Jc\x7fd",
        "title": "Telegram from\x1b[8m Mao Zedong\x07 to Stalin",
        "date_raw": "1950",
    }
    fixed, _, _ = repair_fields(raw)
    record = build_record(fixed, crawled_at=None)
    assert record["title"] == "Telegram from Mao Zedong to Stalin"
    assert record["summary"] == "abcd"
    assert {p["role"] for p in record["people"]} == {"sender", "recipient"}


# --- 28 and 20. modes and litter of the files a run writes ---------------------------------------------------


def test_written_files_follow_the_umask_or_keep_their_mode(tmp_path):
    import os

    from harvester.storage.files import write_json_atomically, write_jsonl_atomically

    old = os.umask(0o022)
    try:
        write_jsonl_atomically(tmp_path / "new.jsonl", [{"a": 1}])
        write_json_atomically(tmp_path / "new.json", {"a": 1})
        kept = tmp_path / "kept.jsonl"
        kept.write_text("")
        kept.chmod(0o640)
        write_jsonl_atomically(kept, [{"a": 1}])
    finally:
        os.umask(old)
    assert (tmp_path / "new.jsonl").stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "new.json").stat().st_mode & 0o777 == 0o644
    assert kept.stat().st_mode & 0o777 == 0o640


def test_a_failed_json_write_leaves_no_part_file(tmp_path):
    from harvester.storage.files import write_json_atomically

    with pytest.raises(TypeError):
        write_json_atomically(tmp_path / "m.json", {"x": object()})
    assert list(tmp_path.iterdir()) == []


# --- 25. parse, names and profile --suggest on what is not a regular file -----------------------------------


@pytest.mark.parametrize("command", [("parse",), ("names",), ("profile", "--suggest")])
def test_reading_a_device_is_refused_at_once(command):
    from tests.support.cli import harvester

    run = harvester(*command, "/dev/zero", timeout=30)
    assert run.code == 2, run.stdout + run.stderr
    assert "not a regular file" in run.stderr


# --- 14. the summary names only files that were written --------------------------------------------------------


def test_the_summary_does_not_name_a_run_file_that_was_never_written(tmp_path):
    out = tmp_path / "output"
    (out / "wilson" / "runs" / "r1.jsonl").mkdir(parents=True)  # the run file cannot be written (as root too)
    with fault_site() as server:
        run = _tracked(server, out, "--max-pages", "1", "-s", "HARVESTER_RUN_ID=r1")
    assert run.code == 1, run.stdout + run.stderr
    summary = run.stdout.strip().splitlines()[-1]
    assert "r1.jsonl" not in summary, summary
    assert "could not be written" in summary


# --- 19. a multi-byte charset mislabelled UTF-8 -----------------------------------------------------------------


def test_shift_jis_labelled_utf8_is_not_repaired_into_cp1252_garbage(tmp_path):
    from harvester.devtools.faults import row_html
    from tests.support.hostile import hostile_site

    title = "日本語東京北京電報会談首相大使外務報記録文中朝鮮"  # Shift-JIS bytes that cp1252 also decodes
    rows = [
        row_html(str(800000 + i), f"doc-{i}", "June 1, 1950", f"{title} {i}", "A plain summary.") for i in range(1, 3)
    ]
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8" /><title>Search | Wilson Center Digital Archive</title>'
        '</head><body><main id="main"><div class="view view-search"><div class="view-header"><div '
        'class="search-results-count"><span>1 - 2 of 2</span></div></div><div class="view-content"><table '
        'class="table"><tbody>' + "".join(rows) + "</tbody></table></div></div></main></body></html>"
    )
    body = page.encode("shift_jis")
    body.decode("cp1252")  # the trap: it "works"
    with hostile_site() as site:
        site.routes["/search?search_api_fulltext=sjis"] = (200, {"Content-Type": "text/html; charset=utf-8"}, body)
        result, out = _hostile_crawl(site, tmp_path, "sjis")
    log = result.stdout + result.stderr
    assert "nor provably cp1252" in log
    garbage = title.encode("shift_jis").decode("cp1252")
    assert garbage[:6] not in (out.read_text(encoding="utf-8") if out.exists() else "")
