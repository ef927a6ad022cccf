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
    empty = Fault("body", path="/search", query=PAGE1, body=EMPTY_LISTING, content_type="text/html; charset=utf-8",
                  times=1)
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
    run = harvester("crawl", "wilson", "--query", "x", "--out", str(out), "-s", "WILSON_BASE_URL=http://127.0.0.1:9",
                    timeout=60)
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
    ["DOWNLOAD_DELAY=abc", "ROBOTSTXT_OBEY=maybe", "DOWNLOAD_TIMEOUT=-1", "CONCURRENT_REQUESTS=0",
     "RETRY_TIMES=three", "HARVESTER_MAX_FAILED_PAGE_RATIO=2", "RETRY_HTTP_CODES=5xx", "LOG_LEVEL=LOUD",
     "DOWNLOAD_MAXSIZE=inf", "ITEM_PIPELINES=[1]"],
)
def test_a_bad_setting_value_is_one_line_and_exit_2_before_anything_is_written(tmp_path, setting):
    from tests.support.cli import harvester

    out = tmp_path / "sub" / "out.jsonl"
    run = harvester("crawl", "wilson", "--query", "x", "--out", str(out), "-s", "WILSON_BASE_URL=http://127.0.0.1:9",
                    "-s", setting, timeout=60)
    assert run.code == 2, run.stdout + run.stderr
    assert run.stderr.startswith(f"harvester: error: -s {setting}: ")
    assert len(run.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_good_setting_values_pass_the_check():
    from scrapy.settings import Settings

    from harvester.setting_checks import check_settings

    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    check_settings({"DOWNLOAD_TIMEOUT": "0.5", "ROBOTSTXT_OBEY": "False", "RETRY_HTTP_CODES": "500,503",
                    "HARVESTER_PROGRESS_TTY": "", "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "debug",
                    "ITEM_PIPELINES": "{}", "SOMETHING_ELSE": "anything"}, settings)


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
    result = harvester("crawl", "wilson", "--query", query, "--out", str(out), "-s",
                       f"WILSON_BASE_URL={site.base_url}", *opts, *args, timeout=60)
    return result, out


def _every_file_text(root) -> str:
    return "".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())


def test_a_password_in_a_redirect_or_a_link_never_reaches_logs_summary_or_records(tmp_path):
    from harvester.devtools.faults import listing_html
    from tests.support.hostile import hostile_site

    with hostile_site() as site:
        secret = f"http://user:hunter2@127.0.0.1:{site.port}"
        site.html("/search?search_api_fulltext=secret", "", status=302, Location=f"{secret}/list")
        site.html("/search?search_api_fulltext=links",
                  listing_html(_rows(2, href=f"http://reader:s3cret@127.0.0.1:{site.port}"), "1 - 2 of 2"))
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

    run = harvester("crawl", "wilson", "--query", "x", "--out", str(tmp_path / "o.jsonl"), "--contact",
                    "https://user:pass@example.org/", "-s", "WILSON_BASE_URL=http://127.0.0.1:9", timeout=60)
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

    raw = {"source": "wilson", "url": "http://127.0.0.1/document/1", "summary": "a\x00b\x1b[2Jc\x7fd",
           "title": "Telegram from\x1b[8m Mao Zedong\x07 to Stalin", "date_raw": "1950"}
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
    rows = [row_html(str(800000 + i), f"doc-{i}", "June 1, 1950", f"{title} {i}", "A plain summary.")
            for i in range(1, 3)]
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


# --- 15. two identical starts at once -----------------------------------------------------------------------

def _popen_crawl(base_url, *args, **kwargs):
    import subprocess
    import sys

    from tests.support.faults import FAST
    from tests.support.paths import REPO

    opts = [x for name, value in FAST.items() for x in ("-s", f"{name}={value}")]
    command = [sys.executable, "-m", "harvester.cli", "crawl", "wilson", "--query", "mao zedong", "-L", "WARNING",
               "-s", f"WILSON_BASE_URL={base_url}", *opts, *args]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def _assert_refused_as_running(code, stderr):
    assert code == 2, stderr
    assert stderr.strip().splitlines() == [stderr.strip()], stderr  # one line
    assert stderr.startswith("harvester: error: this job is already running: "), stderr


def test_two_identical_starts_at_once_one_runs_and_the_other_is_refused_in_one_line(tmp_path):
    """Started together 5 times: before the fix the loser passed the preflight in most tries and failed in the
    engine (a 99-line traceback, exit 1)."""
    with fault_site() as server:
        for attempt in range(5):
            out = tmp_path / str(attempt) / "output"
            crawls = [_popen_crawl(server.base_url, "--output-dir", str(out)) for _ in range(2)]
            results = [(proc.wait(timeout=90), *proc.communicate()) for proc in crawls]
            codes = sorted(code for code, _, _ in results)
            assert codes == [0, 2], results
            (_, won, _), (lost_code, _, lost_err) = sorted(results, key=lambda r: r[0])
            _assert_refused_as_running(lost_code, lost_err)
            assert "21 records from 3 pages" in won
            assert len(read_jsonl(out / "wilson" / "dataset.jsonl")) == 21
            assert sorted(p.name for p in (out / "wilson").iterdir()) == [
                ".dataset.lock", "dataset.jsonl", "jobs", "pages", "runs", "state.sqlite"]
            assert list((out / "wilson" / "jobs").iterdir()) == []  # no job dir, no lock file


def test_a_start_that_loses_the_race_after_its_preflight_is_refused_in_one_line(tmp_path):
    """The interleaving forced: the job's lock is taken by another holder just after this run's preflight
    passed, i.e. where the winner of a race starts. The run is refused by its keeper before the engine."""
    import subprocess
    import sys

    from tests.support.paths import REPO

    driver = (
        "import sys\n"
        "from harvester import cli\n"
        "from harvester.storage.locks import JobLock\n"
        "from harvester.storage.plan import plan_run\n"
        "checked = cli._check_run\n"
        "held = []\n"
        "def check_then_lose(settings, spider):\n"
        "    checked(settings, spider)\n"
        "    held.append(JobLock(plan_run(settings, spider).lock_path, 'the winner'))\n"
        "cli._check_run = check_then_lose\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    out = tmp_path / "output"
    with fault_site() as server:
        proc = subprocess.run([sys.executable, "-c", driver, "crawl", "wilson", "--query", "mao zedong",
                               "--output-dir", str(out), "-L", "WARNING", "-s", f"WILSON_BASE_URL={server.base_url}"],
                              cwd=REPO, capture_output=True, text=True, timeout=90, check=False)
        asked = sum(searches(server).values())
    _assert_refused_as_running(proc.returncode, proc.stderr)
    assert asked == 0  # refused before the engine: nothing fetched
    assert not (out / "wilson" / "state.sqlite").exists() or _state_count(out / "wilson" / "state.sqlite") == 0


# --- 16. disk full, and what SQLite says about it -----------------------------------------------------------

def _file_size_limit(limit: int):
    """A child whose writes past ``limit`` bytes fail with EFBIG (SIGXFSZ ignored): a full disk without root,
    the same for root (CI) and not."""
    import resource
    import signal

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("limit", [0, 30_000, 60_000])  # the state store, its WAL index, the run's journal
def test_a_full_disk_at_start_up_is_said_as_such_in_one_line_and_leaves_nothing_half_made(tmp_path, limit):
    out = tmp_path / "output"
    with fault_site() as server:
        proc = _popen_crawl(server.base_url, "--output-dir", str(out), preexec_fn=_file_size_limit(limit))
        stdout, stderr = proc.communicate(timeout=90)
        asked = sum(searches(server).values())
    assert proc.returncode == 1, stdout + stderr
    assert stderr.strip().splitlines() == [stderr.strip()], stderr
    assert "file size limit (File too large)" in stderr, stderr
    for wrong in ("damaged", "finish reason", "Traceback"):
        assert wrong not in stderr, stderr
    assert asked == 0
    wilson = out / "wilson"
    left = sorted(p.name for p in wilson.rglob("*"))
    assert not [name for name in left if name.endswith((".tmp", ".lock", ".part")) and name != ".dataset.lock"], left
    assert not (wilson / "jobs").exists() or list((wilson / "jobs").iterdir()) == []
    if (wilson / "state.sqlite").exists():  # made whole (a later file failed) or not at all
        assert _state_count(wilson / "state.sqlite") == 0


def test_a_failed_state_commit_reports_the_full_disk_not_cannot_rollback(tmp_path):
    """SQLite rolls a transaction back by itself on SQLITE_FULL; a ROLLBACK after that raised "cannot rollback -
    no transaction is active", which hid why the commit failed."""
    import sqlite3

    from harvester.storage.state import StateStore

    store = StateStore.open(tmp_path / "state.sqlite")

    def disk_full_after_sqlite_rolled_back() -> int:
        store.conn.execute("ROLLBACK")  # what SQLite does itself when the disk fills up
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.raises(sqlite3.OperationalError, match="database or disk is full"):
        store.commit([("wilson:1", "h", "{}", "2025-01-01T00:00:00Z")], then=disk_full_after_sqlite_rolled_back)
    assert len(store) == 0
    store.close()


def test_write_failures_are_named_by_their_cause(tmp_path):
    import errno
    import sqlite3

    from harvester.storage import failures

    full = OSError(errno.ENOSPC, "No space left on device")
    said = failures.describe(full, tmp_path / "x")
    assert said == f"cannot write {tmp_path / 'x'}: the disk is full (No space left on device)"
    assert failures.is_write_failure(full)
    corrupt = sqlite3.DatabaseError("file is not a database")
    assert not failures.is_write_failure(corrupt)  # a damaged file is damaged, not a write failure
    assert failures.probe(tmp_path) is None  # a folder that takes a 1 MiB write


# --- 17. Ctrl-C at any moment -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def slow_replica():
    from harvester.devtools.replay import ReplayServer
    from tests.support.paths import WILSON_SITE

    server = ReplayServer(WILSON_SITE, delay=0.3)  # 3 pages one by one: a crawl of about a second
    server.start()
    yield server
    server.stop()


def _journal_pages(job_dir) -> int:
    import sqlite3

    try:
        conn = sqlite3.connect(job_dir / "journal.sqlite", timeout=5)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0])
        finally:
            conn.close()
    except sqlite3.Error:
        return 0


def _still_before(proc, deadline) -> None:
    """Waiting for a moment of the crawl: it must not end (or take a minute) before that moment comes."""
    import time

    assert proc.poll() is None, proc.communicate()
    assert time.monotonic() < deadline, "the moment never came"
    time.sleep(0.01)


@pytest.mark.parametrize("moment", ["0", "0.2", "0.5", "1.0", "mid-crawl"])
def test_ctrl_c_at_any_moment_is_one_line_exit_130_and_leaves_the_run_resumable(tmp_path, slow_replica, moment):
    import os
    import signal
    import time

    from tests.support.faults import crawl as one_off

    target = tmp_path / "out.jsonl"
    job_dir = tmp_path / ".out.jsonl.job"
    settings = ["-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]
    proc = _popen_crawl(slow_replica.base_url, "--out", str(target), *settings, start_new_session=True)
    if moment == "mid-crawl":
        deadline = time.monotonic() + 60
        while not (job_dir.is_dir() and _journal_pages(job_dir) >= 1):
            _still_before(proc, deadline)
    else:
        time.sleep(float(moment))
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does: the whole process group, workers included
    stdout, stderr = proc.communicate(timeout=60)
    before_python = moment != "mid-crawl" and "harvester:" not in stderr and (
        proc.returncode == -signal.SIGINT or "Fatal Python error: init_import_site" in stderr
    )
    if before_python:
        # The interpreter itself was still starting (a loaded machine makes 0.2 s early enough): its default action
        # ends the process before any harvester code ran (the shell's $? is 130 for a death by SIGINT too). Python
        # itself may say so, with the traceback of its own start-up ("Fatal Python error: init_import_site"), and
        # nothing else.
        assert stderr == "" or stderr.startswith("Fatal Python error: init_import_site"), stderr
    else:
        assert proc.returncode == 130, stdout + stderr
        assert len([line for line in stderr.splitlines() if line.startswith("harvester: error:")]) == 1, stderr
        assert "Traceback" not in stderr, stderr
    assert "Unhandled error" not in stderr, stderr
    assert not target.exists()  # nothing final
    assert not (tmp_path / ".out.jsonl.job.lock").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
    resumed = one_off(slow_replica, tmp_path, "--resume", settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    assert resumed.code == 0, resumed.log
    assert len(resumed.records) == 21
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


# --- 20. litter of killed and failed runs ---------------------------------------------------------------------

def test_a_killed_one_off_run_keeps_only_what_resume_uses_and_the_next_start_clears_the_rest(tmp_path, slow_replica):
    import os
    import signal
    import time

    from tests.support.faults import crawl as one_off

    target = tmp_path / "out.jsonl"
    job_dir = tmp_path / ".out.jsonl.job"
    proc = _popen_crawl(slow_replica.base_url, "--out", str(target), "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1")
    deadline = time.monotonic() + 60
    while not (job_dir.is_dir() and _journal_pages(job_dir) >= 1):
        _still_before(proc, deadline)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    (tmp_path / ".out.jsonl.a1b2c3.part").write_text('{"half": ')  # as a kill during the final write leaves
    assert sorted(p.name for p in tmp_path.iterdir()) == [".out.jsonl.a1b2c3.part", ".out.jsonl.job",
                                                          ".out.jsonl.job.lock"]
    resumed = one_off(slow_replica, tmp_path, "--resume", settings={"CONCURRENT_REQUESTS_PER_DOMAIN": "1"})
    assert resumed.code == 0, resumed.log
    assert len(resumed.records) == 21
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


def test_a_failed_one_off_run_leaves_nothing_but_its_file(tmp_path):
    with fault_site(Fault("status", path="/search", query=PAGE1, status=500)) as server:
        run = crawl(server, tmp_path)
    assert run.code == 1, run.log
    assert len(run.records) == 11  # the pages that were read: the file the user asked for
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]  # no job dir, no lock, no .part


def test_out_onto_an_existing_file_says_it_replaces_it_and_keeps_its_mode(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_text('{"an": "earlier export"}\n')
    out.chmod(0o640)
    with fault_site() as server:
        run = crawl(server, tmp_path, "-L", "WARNING")
    assert run.code == 0, run.log
    assert f"replacing the existing {out}" in run.result.stderr
    assert len(run.records) == 21
    assert out.stat().st_mode & 0o777 == 0o640


def test_a_state_store_this_user_cannot_write_is_called_so_not_damaged(tmp_path, monkeypatch):
    """test_an_unreadable_state_store_is_called_unreadable_not_damaged skips as root (CI): the same wording,
    with the permission the OS would refuse."""
    import harvester.storage.state as state_module
    from harvester.errors import StateError
    from harvester.storage.state import StateStore

    path = tmp_path / "state.sqlite"
    StateStore.open(path).close()
    monkeypatch.setattr(state_module.os, "access", lambda *_: False)
    with pytest.raises(StateError, match="permission denied") as caught:
        StateStore.open(path)
    assert "damaged" not in str(caught.value)
