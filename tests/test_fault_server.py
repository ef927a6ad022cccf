"""The fault-injection replay server itself: plans, matching, and what each fault puts on the wire."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from pathlib import Path

import pytest

from harvester.devtools.faults import Fault, FaultPlan, FaultPlanError, listing_html, row_html, synthetic_page
from harvester.devtools.replay import ReplayServer
from harvester.parsing.files import parse_listing
from tests.support.faults import MAO, fault_site
from tests.support.paths import WILSON_SITE

PAGE1 = f"/search?{MAO}&page=1"


def get(server: ReplayServer, target: str, timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
    host, port = server.base_url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# --- plans ---------------------------------------------------------------------------------------------------


def test_a_plan_loads_from_toml(tmp_path):
    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(
        '[[fault]]\npath = "/search"\nquery = { page = "1" }\nkind = "status"\nstatus = 429\nretry_after = 2\n'
        "times = 1\n\n[[fault]]\nkind = \"reset\"\npath = \"/document/*\"\nnth = 2\n",
        encoding="utf-8",
    )
    plan = FaultPlan.load(plan_file)
    assert [f.kind for f in plan.faults] == ["status", "reset"]
    assert plan.faults[0].query == {"page": "1"}
    assert plan.describe() == ["/search?page=1 (first 1): status", "/document/* (request #2): reset"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[fault]]\nkind = 'explode'\n", "unknown fault kind 'explode'"),
        ("[[fault]]\nkind = 'status'\n", "needs a status code"),
        ("[[fault]]\nkind = 'status'\nstatus = 500\ncolour = 'red'\n", "unknown option(s) colour"),
        ("[[fault]]\nkind = 'reset'\nnth = 0\n", "nth must be a positive whole number"),
        ("[[fault]]\nkind = 'charset'\nmode = 'ebcdic'\n", "needs mode = one of"),
        ("[[fault]]\npath = '/'\n", "fault #1 needs a kind"),
        ("[faults]\n", "unknown top-level key(s) faults"),
        ("[[fault]\n", "not valid TOML"),
    ],
)
def test_a_bad_plan_is_refused_with_a_reason(text, message):
    with pytest.raises(FaultPlanError, match=message.replace("(", r"\(").replace(")", r"\)")):
        FaultPlan.from_toml(text)


def test_a_plan_that_is_not_a_file(tmp_path):
    with pytest.raises(FaultPlanError, match="is a directory"):
        FaultPlan.load(tmp_path)
    with pytest.raises(FaultPlanError, match="no such file"):
        FaultPlan.load(tmp_path / "missing.toml")


def test_matching_path_query_nth_and_times():
    plan = FaultPlan([
        Fault("reset", path="/search", query={"page": "0"}, nth=2),
        Fault("status", path="/search", query={"search_api_fulltext": "*"}, status=500, times=2),
    ])
    first, second, third, fourth = (plan.pick("/search?search_api_fulltext=x") for _ in range(4))
    # A search without page= is page 0. Request 1: status (times 1 of 2); 2: reset (nth 2) — the status
    # fault still counts the request; 3: no fault left (status used up); 4: none.
    assert (first.kind, second.kind, third, fourth) == ("status", "reset", None, None)
    assert plan.hits == [4, 4]
    assert plan.applied == [1, 1]
    assert plan.pick("/document/x") is None
    assert plan.pick("/search?search_api_fulltext=x&page=1") is None  # status used up; reset wants page 0


# --- on the wire ---------------------------------------------------------------------------------------------


def test_no_fault_serves_the_site():
    with fault_site() as server:
        status, headers, body = get(server, f"/search?{MAO}")
    assert status == 200
    assert b"1 - 10 of 21" in body
    assert headers["Content-Type"] == "text/html; charset=utf-8"


def test_status_with_retry_after_then_normal():
    with fault_site(Fault("status", path="/search", status=429, retry_after=7, times=1)) as server:
        status, headers, _ = get(server, PAGE1)
        again, _, body = get(server, PAGE1)
    assert (status, headers["Retry-After"]) == (429, "7")
    assert again == 200
    assert b"11 - 20 of 21" in body


def test_hang_sends_nothing_and_stop_releases_it():
    server = ReplayServer(WILSON_SITE, faults=[Fault("hang", seconds=30)])
    server.start()
    try:
        with pytest.raises(TimeoutError):
            get(server, PAGE1, timeout=0.5)
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 3


def test_reset_resets_the_connection():
    with fault_site(Fault("reset")) as server, pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        get(server, PAGE1)


def test_truncate_promises_more_than_it_sends():
    with fault_site(Fault("truncate", fraction=0.25)) as server, pytest.raises(http.client.IncompleteRead) as error:
        get(server, PAGE1)
    assert len(error.value.partial) < error.value.expected * 4


def test_challenge_is_cloudflares_interstitial():
    with fault_site(Fault("challenge")) as server:
        status, headers, body = get(server, PAGE1)
    assert status == 403
    assert headers["cf-mitigated"] == "challenge"
    assert b"<title>Just a moment...</title>" in body


@pytest.mark.parametrize(
    ("mode", "ctype", "utf8_ok"),
    [
        ("cp1252-as-utf8", "text/html; charset=utf-8", False),
        ("utf8-as-cp1252", "text/html; charset=windows-1252", True),
        ("missing", "text/html", False),
        ("double-encoded", "text/html; charset=utf-8", True),
    ],
)
def test_charset_faults(mode, ctype, utf8_ok):
    with fault_site(Fault("charset", mode=mode)) as server:
        _, headers, body = get(server, PAGE1)
    assert headers["Content-Type"] == ctype
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        assert not utf8_ok
        assert "Phạm Văn Đồng".encode() not in body
        assert b"&#7841;" in body  # ạ is not in cp1252: written as a character reference
    else:
        assert utf8_ok
        assert ("Phạm" in text) == (mode == "utf8-as-cp1252")
    if mode == "missing":
        assert b"charset" not in body[:2000].lower()


def test_count_loop_and_malformed_rewrite_the_page():
    faults = [
        Fault("count", path="/search", query={"page": "1"}, count="11 - 20 of 500"),
        Fault("loop", path="/search", query={"page": "2"}),
        Fault("malformed", path="/search", query={"page": "0"}),
    ]
    with fault_site(*faults) as server:
        _, _, counted = get(server, PAGE1)
        _, _, looped = get(server, f"/search?{MAO}&page=2")
        _, _, first = get(server, f"/search?{MAO}&page=3")  # past the end: the site's empty listing
        _, _, malformed = get(server, f"/search?{MAO}")
    assert b"11 - 20 of 500" in counted
    assert b"1 - 10 of 21" in looped
    assert b"No results found" in first
    assert b"</td>" not in malformed
    assert b'<p class="results"><table' in malformed


def test_generated_listings_follow_the_row_template():
    fault = Fault("listing", total=25)
    page = parse_listing(synthetic_page(fault, 2).decode(), "http://replica")
    assert page.layout == "wilson-table"
    assert (page.counts.first, page.counts.last, page.counts.total) == (21, 25, 25)
    assert [b.url for b in page.blocks] == [f"http://replica/document/generated-document-{n}" for n in range(21, 26)]
    assert all(b.node_id and b.title and b.summary for b in page.blocks)
    empty = parse_listing(synthetic_page(fault, 3).decode(), "http://replica")
    assert empty.blocks == []
    assert empty.counts is None


def test_row_html_is_the_verified_markup():
    row = row_html("92961", "recent-yugoslav-foreign-policy-second-half-1954", "October 21, 1954",
                   "On Recent Yugoslav Foreign Policy (second half of 1954)",
                   "Zimianin writes on Yugoslav foreign policy and Soviet-Yugoslav foreign relations.")
    # shared/docs/wilson-site.md, "Row markup (verified)", without the title's trailing <br> run
    assert row == (
        '<tr><td class="date"><p>October 21, 1954</p></td><td data-history-node-id="92961" class="document '
        'contextual-region"><a href="/document/recent-yugoslav-foreign-policy-second-half-1954"><h3 class="sub-'
        'title"><span>On Recent Yugoslav Foreign Policy (second half of 1954)</span></h3><div class="text"><p></p>'
        "<p>Zimianin writes on Yugoslav foreign policy and Soviet-Yugoslav foreign relations.</p><p></p></div></a>"
        "</td></tr>"
    )
    assert parse_listing(listing_html([row], "1 - 1 of 1")).blocks[0].node_id == "92961"


def test_big_and_many_rows():
    big = synthetic_page(Fault("listing", total=10, size=5_000_000), 0)
    assert 5_000_000 <= len(big) < 5_200_000
    many = synthetic_page(Fault("listing", total=10_000, page_size=10_000), 0)
    assert many.count(b"<tr>") == 10_000
    assert b"1 - 10000 of 10000" in many


def test_the_server_counts_requests_and_concurrency_per_host():
    with fault_site(Fault("serve", delay=0.3)) as server:
        threads = [threading.Thread(target=get, args=(server, f"/search?{MAO}&page={n}")) for n in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(5)
        get(server, PAGE1)
    assert server.max_in_flight == {server.base_url.removeprefix("http://"): 3}
    assert server.requests[PAGE1] == 2
    assert len(server.log) == 4
    assert all(entry.headers for entry in server.log)


def test_serve_command_refuses_a_bad_plan(tmp_path: Path):
    from tests.support.cli import harvester

    plan = tmp_path / "plan.toml"
    plan.write_text("[[fault]]\nkind = 'explode'\n", encoding="utf-8")
    result = harvester("serve", str(WILSON_SITE), "--faults", str(plan), "--port", "0", timeout=30)
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        f"harvester: error: {plan}: fault #1: unknown fault kind 'explode'; known: body, challenge, charset, count, "
        "hang, listing, loop, malformed, reset, serve, status, truncate"
    ]


def test_serve_command_with_a_plan(tmp_path: Path):
    import subprocess
    import sys

    from tests.support.paths import REPO

    plan = tmp_path / "plan.toml"
    plan.write_text("[[fault]]\nkind = 'status'\nstatus = 503\npath = '/search'\n", encoding="utf-8")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "harvester.cli", "serve", str(WILSON_SITE), "--faults", str(plan), "--port", str(port)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        while line and "fault:" not in line:  # the fault lines come last, after the listings
            line = proc.stdout.readline()
        assert line.strip() == "fault: /search: status"
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", f"/search?{MAO}")
        assert conn.getresponse().status == 503
        conn.close()
    finally:
        proc.terminate()
        proc.wait(10)
