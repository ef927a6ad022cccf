"""Helpers for the fault-injection tests: a replica site with a fault plan, and a crawl of it."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from harvester.devtools.faults import Fault, FaultPlan
from harvester.devtools.replay import ReplayServer
from tests.support.cli import Result, harvester, read_jsonl
from tests.support.paths import WILSON_SITE

MAO = "search_api_fulltext=mao%20zedong"  # 21 results: pages 0, 1, 2 with 10 + 10 + 1 rows
MAO_PAGES = [f"/search?{MAO}", f"/search?{MAO}&page=1", f"/search?{MAO}&page=2"]
MAO_QUERY = {"search_api_fulltext": "mao zedong"}

# Fast and impolite on purpose: the politeness tests turn each knob back on and measure it.
FAST = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    "DOWNLOAD_TIMEOUT": "2",
    "RETRY_TIMES": "1",
    "HARVESTER_RETRY_BACKOFF": "0.2",
    "HARVESTER_RETRY_BACKOFF_MAX": "1",
    "HARVESTER_MAX_RETRY_AFTER": "5",
}


@contextlib.contextmanager
def fault_site(*faults: Fault, site: Path = WILSON_SITE) -> Iterator[ReplayServer]:
    server = ReplayServer(site, faults=FaultPlan(faults))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Crawl:
    result: Result
    records: list[dict] | None
    out: Path

    @property
    def code(self) -> int:
        return self.result.code

    @property
    def log(self) -> str:
        return self.result.stdout + self.result.stderr

    def positions(self) -> list[int]:
        return sorted(r["position"] for r in self.records or [])


def crawl(
    server: ReplayServer,
    tmp_path: Path,
    *args: str,
    query: str | None = "mao zedong",
    start: str | None = None,
    settings: dict[str, str | None] | None = None,
    timeout: float = 90,
) -> Crawl:
    """``harvester crawl wilson`` against the server, FAST settings overridden by ``settings``."""
    out = tmp_path / "out.jsonl"
    merged = {k: v for k, v in {**FAST, **(settings or {})}.items() if v is not None}  # None: project default
    opts = [x for name, value in merged.items() for x in ("-s", f"{name}={value}")]
    what = ["--start-url", server.base_url + start] if start else ["--query", query] if query is not None else []
    result = harvester(
        "crawl", "wilson", *what, *args, "--out", str(out), "-s", f"WILSON_BASE_URL={server.base_url}", *opts,
        timeout=timeout,
    )
    return Crawl(result, read_jsonl(out) if out.exists() else None, out)


def searches(server: ReplayServer) -> dict[str, int]:
    """How often each listing URL was requested."""
    return {t: n for t, n in server.requests.items() if not t.startswith("/robots.txt")}


def search_times(server: ReplayServer, target: str | None = None) -> list[float]:
    return [r.started for r in server.log if r.target != "/robots.txt" and (target is None or r.target == target)]


MAO_FILES = ["search-mao-zedong-page-0", "search-mao-zedong-page-1", "search-mao-zedong-page-2"]
FIELDS = ("url", "position", "node_id", "date_raw", "title", "summary")


def expected_mao() -> list[dict]:
    """The 21 records of the "mao zedong" search, from the hand-written oracles in fixtures/wilson/expected."""
    out = []
    for stem in MAO_FILES:
        page = json.loads((WILSON_SITE / "expected" / f"{stem}.json").read_text(encoding="utf-8"))
        first = page["counts"]["first"]
        out += [
            {"url": b["url"], "position": first + b["position"] - 1, "node_id": b["node_id"],
             "date_raw": b["date_text"], "title": b["title"], "summary": b["summary"]}
            for b in page["blocks"]
        ]
    return sorted(out, key=lambda r: r["position"])


def comparable(records: list[dict] | None, base_url: str) -> list[dict]:
    """Records reduced to the oracle's fields, URLs relative, in position order."""
    out = [{k: r[k] for k in FIELDS} | {"url": (r["url"] or "").removeprefix(base_url)} for r in records or []]
    return sorted(out, key=lambda r: r["position"])


def start_of(query: str) -> str:
    return f"/search?search_api_fulltext={quote(query)}"
