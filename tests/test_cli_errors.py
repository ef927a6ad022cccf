"""Bad arguments and files: one clear line on stderr, exit 2 (1 for failures at run time), and nothing that
was already written is damaged."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from harvester.cli import main
from harvester.devtools.faults import Fault
from tests.support.cli import harvester
from tests.support.faults import crawl, fault_site
from tests.support.paths import WILSON_SITE


def run_main(capsys, *argv: str) -> tuple[int, list[str], str]:
    """``harvester ARGV`` in this process (usage errors never start a crawl): exit code, stderr lines, stdout."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:  # argparse
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.err.strip().splitlines(), captured.out


def assert_one_line(lines: list[str], *fragments: str) -> None:
    assert len(lines) == 1, lines
    assert lines[0].startswith("harvester: error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("argv", "fragments"),
    [
        (["crawl", "nosuch"], ["unknown spider 'nosuch'; known: ", "wilson"]),
        (["crawl", "https://example.org/search?q=x"], ["is a URL, not a spider", "--start-url URL", "--auto URL"]),
        (["crawl", "wilson", "--people", "mao"], ["people: expected ids separated by ','", "got 'mao'"]),
        (["crawl", "wilson", "--places", "1,x2"], ["places: expected ids separated by ','", "got 'x2'"]),
        (["crawl", "wilson", "-a", "colours=red"], ["unknown parameter colours", "declared: query, people"]),
        (["crawl", "wilson", "-a", "sort=oldest"], ["sort must be one of uploaded, date, got 'oldest'"]),
        (["crawl", "wilson", "--sort", "oldest"], ["argument --sort: invalid choice: 'oldest'", "--help"]),
        (["crawl", "wilson", "--start-url", "not a url"], ["start_url must be an http(s) URL with a host"]),
        (["crawl", "wilson", "--start-url", "http://"], ["start_url must be an http(s) URL with a host"]),
        (["crawl", "wilson", "--start-url", "ftp://example.org/search"], ["start_url must be an http(s) URL"]),
        (["crawl", "wilson", "--start-url", "https://u:pw@example.org/search"], ["must not carry credentials"]),
        (["crawl", "wilson", "--query", "x", "--max-pages", "0"], ["max_pages must be a positive whole number"]),
        (["crawl", "wilson", "--query", "x", "-s", "NOVALUE"], ["-s expects NAME=VALUE"]),
        (["crawl", "wilson", "--query", "x", "-a", "novalue"], ["-a expects NAME=VALUE"]),
        (["crawl", "wilson", "--query", "x", "-s", "HARVESTER_RUN_ID=../../etc"], ["run id '../../etc' cannot name"]),
        (["frobnicate"], ["invalid choice: 'frobnicate'"]),
        (["crawl", "wilson", "--log-level", "LOUD"], ["argument -L/--log-level: invalid choice"]),
    ],
)
def test_bad_arguments_exit_2_with_one_line(capsys, tmp_path, monkeypatch, argv, fragments):
    monkeypatch.chdir(tmp_path)
    code, lines, _ = run_main(capsys, *argv)
    assert code == 2
    assert_one_line(lines, *fragments)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_directory_where_a_file_is_expected(capsys, tmp_path):
    cases = [
        (["crawl", "wilson", "--query", "x", "--out", str(tmp_path)], f"--out {tmp_path} is a directory"),
        (["parse", str(tmp_path)], f"{tmp_path}: is a directory, not a saved listing page"),
        (["names", str(tmp_path)], f"{tmp_path}: is a directory, not a JSONL dataset"),
        (["serve", str(WILSON_SITE), "--faults", str(tmp_path)], f"{tmp_path}: is a directory, not a fault plan"),
    ]
    for argv, fragment in cases:
        code, lines, _ = run_main(capsys, *argv)
        assert code == 2, argv
        assert_one_line(lines, fragment)


def test_a_file_where_a_directory_is_expected(capsys, tmp_path):
    a_file = tmp_path / "plain.txt"
    a_file.write_text("not a folder\n", encoding="utf-8")
    cases = [
        (["serve", str(a_file)], "not a folder (expected a fixture site with a site.toml)"),
        (["serve", str(tmp_path)], "no site.toml"),
        (["crawl", "wilson", "--query", "x", "--out", str(a_file / "out.jsonl")], "is a file, not a directory"),
        (["crawl", "wilson", "--query", "x", "--output-dir", str(a_file)], "cannot prepare the output folder"),
        (["parse", str(tmp_path / "missing.html")], "no such file"),
        (["names", str(tmp_path / "missing.jsonl")], "no such file"),
    ]
    for argv, fragment in cases:
        code, lines, _ = run_main(capsys, *argv)
        assert code == 2, argv
        assert_one_line(lines, fragment)
    assert a_file.read_text(encoding="utf-8") == "not a folder\n"


def test_an_unwritable_output_folder(capsys):
    # /proc accepts no new files, not even from root (a chmod'ed folder would not stop root).
    for argv in (["--output-dir", "/proc/harvester-test"], ["--out", "/proc/harvester-test/out.jsonl"]):
        code, lines, _ = run_main(capsys, "crawl", "wilson", "--query", "x", *argv)
        assert code == 2
        assert_one_line(lines, "/proc/harvester-test")


def test_files_that_are_not_what_they_claim(capsys, tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    not_jsonl = tmp_path / "records.jsonl"
    not_jsonl.write_text("{not json\n", encoding="utf-8")
    plan = tmp_path / "plan.toml"
    plan.write_text("[[fault]]\nkind = 'status'\n", encoding="utf-8")
    for argv, fragment in [
        (["parse", str(empty)], "the file is empty"),
        (["names", str(not_jsonl)], "not JSON Lines"),
        (["serve", str(WILSON_SITE), "--faults", str(plan)], "fault #1: a 'status' fault needs a status code"),
    ]:
        code, lines, _ = run_main(capsys, *argv)
        assert code == 2, argv
        assert_one_line(lines, fragment)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_corrupt_state_store_is_refused_and_left_alone(capsys, tmp_path):
    state = tmp_path / "out" / "wilson" / "state.sqlite"
    state.parent.mkdir(parents=True)
    state.write_bytes(b"this is not a database" * 100)
    before = digest(state)
    code, lines, _ = run_main(capsys, "crawl", "wilson", "--query", "x", "--output-dir", str(tmp_path / "out"))
    assert code == 2
    assert_one_line(lines, str(state))
    assert digest(state) == before


def test_a_corrupt_job_directory_is_refused_on_resume_and_left_alone(capsys, tmp_path):
    # A one-off run's job directory sits next to its --out file.
    out = tmp_path / "out.jsonl"
    journal = tmp_path / ".out.jsonl.job" / "journal.sqlite"
    journal.parent.mkdir()
    journal.write_bytes(b"garbage" * 1000)
    before = digest(journal)
    code, lines, _ = run_main(capsys, "crawl", "wilson", "--query", "x", "--out", str(out), "--resume")
    assert code == 2
    assert_one_line(lines, "is damaged")
    assert digest(journal) == before
    assert not out.exists()


def test_an_existing_output_file_survives_a_usage_error(capsys, tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"kept": true}\n')
    code, _, _ = run_main(capsys, "crawl", "wilson", "--people", "mao", "--out", str(out))
    assert code == 2
    assert out.read_bytes() == b'{"kept": true}\n'


@pytest.mark.e2e
def test_an_existing_output_file_survives_a_crawl_that_fails_at_the_start(tmp_path):
    out = tmp_path / "out.jsonl"
    out.write_bytes(b'{"kept": true}\n')
    with fault_site(Fault("challenge", path="/search")) as server:
        run = crawl(server, tmp_path)
    assert run.code == 1
    assert out.read_bytes() == b'{"kept": true}\n'


@pytest.mark.e2e
def test_the_real_entry_point_exits_2_and_1(tmp_path):
    usage = harvester("crawl", "wilson", "--people", "mao", timeout=60)
    assert usage.code == 2
    assert usage.stderr.strip().splitlines() == [
        "harvester: error: profile wilson: people: expected ids separated by ',', each matching \\d+, got 'mao'"
    ]
    # Nothing listens on the port: a failure at run time, exit 1, and the summary says why.
    with fault_site() as server:
        base = server.base_url
    down = harvester("crawl", "wilson", "--query", "x", "--out", str(tmp_path / "o.jsonl"), "-s",
                     f"WILSON_BASE_URL={base}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
                     timeout=60)
    assert down.code == 1
    assert "harvester: error: cannot reach 127.0.0.1:" in down.stderr
    assert "connection refused" in down.stderr


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("host", "said"),
    [("archive.example.invalid", "cannot reach archive.example.invalid: no such host"), (None, "connection refused")],
    ids=["no-such-host", "connection-refused"],
)
def test_an_unreachable_host_fails_within_seconds_with_one_line_that_says_what_to_try(tmp_path, host, said):
    """Not 78 s of retries, a 60-line traceback from the robots.txt fetch and an empty output file."""
    if host is None:
        with fault_site() as server:  # started and stopped: nothing listens on its port any more
            base = server.base_url
    else:
        base = f"http://{host}"
    out = tmp_path / "o.jsonl"
    started = time.monotonic()
    result = harvester("crawl", "wilson", "--query", "mao zedong", "--out", str(out), "-L", "WARNING", "--contact",
                       "mailto:ops@example.org",
                       "-s", f"WILSON_BASE_URL={base}", "-s", "TWISTED_DNS_RESOLVER=tests.support.dns.NoInvalidNames",
                       timeout=60)  # the default retries and robots.txt: as a new user runs it
    elapsed = time.monotonic() - started
    assert result.code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("harvester: error: cannot reach"), line
    assert said in line
    assert "harvester demo" in line
    assert "--start-url" in line
    assert elapsed < 20, elapsed  # the interpreter and Scrapy start-up are most of it
    assert not out.exists()
    assert "nothing written" in result.stdout
