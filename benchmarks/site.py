"""A synthetic Wilson-like search site, generated on the fly, and a fast HTTP server for it.

Every listing page is a pure function of ``(seed, page)``: 20,000 pages need no disk and every run of a
benchmark sees exactly the same bytes. The markup follows the verified template in
``/work/shared/docs/wilson-site.md`` (count header, ``table.table-striped`` rows, mega-menu header with
``/document/`` links outside the table), padded with a realistic header, facet sidebar and footer so that a
page weighs ~40 KB like a real one.

    python -m benchmarks.site serve --pages 2000 --latency-ms 0      # prints {"port": ...}, serves until killed
    python -m benchmarks.site loadtest --pages 2000 --seconds 3      # the server's own ceiling, pages/s
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import html
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import parse_qs, urlsplit

PAGE_SIZE = 10
QUERY = "bench"

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Names as archive titles write them (see /work/shared/docs/names.md): pseudonyms with glosses, honorifics,
# initials, transliteration variants, diacritics.
PEOPLE = (
    "Filippov [Stalin]", "Filippov (Stalin)", "Feng Xi (Stalin)", "Roshchin", "Roschin", "Mao Zedong",
    "Cde. Mao Zedong", "Chairman Mao", "N.S. Khrushchev", "Nikita Khrushchev", "Zhou Enlai", "Chou En-lai",
    "Kim Il Sung", "Kim Il-sung", "Shtykov", "T.F. Shtykov", "Vyshinsky", "A.Ya. Vyshinskii", "Kovalev",
    "I.V. Kovalev", "I.V. Stalin", "Ambassador S.F. Antonov", "Terebin (Andrei Orlov)", "Molotov",
    "V.M. Molotov", "A.A. Gromyko", "Gromyko", "Ho Chi Minh", "Liu Shaoqi", "Deng Xiaoping", "Pak Hon-yong",
    "Zimianin", "Zimyanin", "Mikoyan", "Anastas Mikoyan", "Peng Dehuai", "Chen Yi", "Chen Yun", "Tito",
    "Władysław Gomułka", "Walter Ulbricht", "János Kádár", "Satō Eisaku", "Jiang Jieshi [Chiang Kai-shek]",
    "Alekseev", "Alekseyev", "Yu.V. Andropov", "Brezhnev", "L.I. Brezhnev", "Kuznetsov", "Stalin [Kuznetsov]",
)  # fmt: skip
ORGANISATIONS = (
    "CPSU CC Presidium", "USSR Foreign Ministry", "CCP Central Committee", "Korean Workers' Party CC",
    "Soviet Embassy in Beijing", "Chinese Foreign Ministry", "Hungarian Foreign Ministry",
    "Polish Ministry of Foreign Affairs", "East German Politburo", "Romanian Embassy in Pyongyang",
)  # fmt: skip
TOPICS = (
    "the Korean Question", "Soviet-Yugoslav Relations", "the Situation in Indochina", "Taiwan",
    "the Geneva Conference", "Economic Aid to the DPRK", "the Sino-Soviet Treaty", "the Berlin Crisis",
    "the “Great Leap Forward”", "Nuclear Weapons Tests", "the Hungarian Events", "Armistice Negotiations",
    "Recent Yugoslav Foreign Policy (second half of 1954)", "Repatriation of Prisoners of War",
    "Trade with Japan", "the Warsaw Pact", "Sino-American Ambassadorial Talks in Geneva",
)  # fmt: skip
_SENTENCES = (
    "{a} reports on {topic}.",
    "{a} informs {b} about the decisions of the {org} concerning {topic}.",
    "{a} and {b} discuss {topic} and the international situation.",
    "The telegram conveys {a}'s views on {topic}.",
    "{a} requests instructions regarding {topic}.",
    "{b} agrees with the proposals of {a} and asks for further information on {topic}.",
    "Includes a draft resolution of the {org}.",
    "{a} describes a conversation with {b}, who expressed concern about {topic}.",
    "The document summarizes the position of the {org} on {topic}.",
    "{a} writes on {topic} and relations with the {org}.",
)  # fmt: skip


def _slugify(text: str, max_words: int = 9) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    stop = {"of", "the", "and", "to", "on", "from", "a", "no", "in", "with", "between", "by"}
    return "-".join([w for w in words if w not in stop][:max_words]) or "document"


def make_date(rng: random.Random, form: str) -> str:
    """One date string in a given form: ``day``, ``day0`` (zero-padded), ``month``, ``year`` or ``empty``."""
    year = rng.randint(1945, 1991)
    month = rng.randrange(12)
    day = rng.randint(1, _DAYS_IN_MONTH[month])
    if form == "day":
        return f"{MONTHS[month]} {day}, {year}"
    if form == "day0":
        return f"{MONTHS[month]} {day:02d}, {year}"
    if form == "month":
        return f"{MONTHS[month]} {year}"
    if form == "year":
        return str(year)
    return ""


def pick_date_form(rng: random.Random) -> str:
    """The listing's mix: mostly ``Month D, YYYY``, some month-only, some year-only, a few empty."""
    r = rng.random()
    if r < 0.78:
        return "day"
    if r < 0.88:
        return "month"
    if r < 0.95:
        return "year"
    return "empty"


def make_title(rng: random.Random) -> str:
    a, b = rng.sample(PEOPLE, 2)
    org = rng.choice(ORGANISATIONS)
    topic = rng.choice(TOPICS)
    kind = rng.randrange(12)
    if kind == 0:
        return f"Ciphered Telegram No. {rng.randint(100, 99999)}, {a} to {b}"
    if kind == 1:
        return f"Memorandum of Conversation between {a} and {b}"
    if kind == 2:
        return f"Telegram from {a} to {b}"
    if kind == 3:
        return f"Letter from {a} to {b}, conveying the {org} Telegram from {rng.choice(PEOPLE)} to {a}"
    if kind == 4:
        return f"Record of Conversation between {a} and {b}"
    if kind == 5:
        return f"Cable, {a} to {b} [via {rng.choice(PEOPLE)}]"
    if kind == 6:
        return f"Minutes of Conversation between {a} and {b} on {topic}"
    if kind == 7:
        return f"Report by {a} on {topic}"
    if kind == 8:
        return f"Journal of {a}, Meeting with {b}"
    if kind == 9:
        return f"{org} Resolution on {topic}"
    if kind == 10:
        return f"Excerpt from the Diary of {a}, {MONTHS[rng.randrange(12)]} {rng.randint(1945, 1991)}"
    return f"On {topic}"


def make_summary(rng: random.Random) -> list[str]:
    """1-3 sentences, as one paragraph (sometimes two)."""
    sentences = []
    for _ in range(rng.randint(1, 3)):
        a, b = rng.sample(PEOPLE, 2)
        sentences.append(
            rng.choice(_SENTENCES).format(a=a, b=b, org=rng.choice(ORGANISATIONS), topic=rng.choice(TOPICS))
        )
    if len(sentences) > 1 and rng.random() < 0.1:
        return [sentences[0], " ".join(sentences[1:])]
    return [" ".join(sentences)]


@dataclass(frozen=True, slots=True)
class Row:
    node_id: int
    href: str
    date: str
    title: str
    summary: list[str] | None  # paragraphs; None = no summary block at all


def page_rows(seed: int, page: int, total: int) -> list[Row]:
    """The rows of one listing page: a pure function of (seed, page)."""
    rng = random.Random(seed * 1_000_003 + page)
    rows = []
    for index in range(page * PAGE_SIZE, min(total, (page + 1) * PAGE_SIZE)):
        node_id = 60_000 + index
        title = make_title(rng)
        date = make_date(rng, pick_date_form(rng))
        summary = None if rng.random() < 0.03 else make_summary(rng)
        # Document URLs are unique per row (the harvester dedupes by URL); most are slugs with a
        # numeric suffix, like the real site's "-0"/"-1", some are bare record ids.
        href = f"/document/{node_id}" if rng.random() < 0.15 else f"/document/{_slugify(title)}-{index}"
        rows.append(Row(node_id, href, date, title, summary))
    return rows


def _row_html(row: Row, rng: random.Random) -> str:
    esc = html.escape
    brs = "<br>" * rng.randint(1, 4)
    if row.summary is None:
        text = ""
    else:
        paragraphs = "".join(f"<p>{esc(p, quote=False)}</p>" for p in row.summary)
        text = f'<div class="text"><p></p>{paragraphs}<p></p></div>'
    return (
        f'<tr><td class="date"><p>{esc(row.date)}</p></td>'
        f'<td data-history-node-id="{row.node_id}" class="document contextual-region">'
        f'<a href="{esc(row.href)}"><h3 class="sub-title"><span>{esc(row.title, quote=False)}{brs}</span></h3>'
        f"{text}</a></td></tr>"
    )


def _chrome(seed: int) -> tuple[bytes, bytes, bytes]:
    """Static parts of every page: <head> + header with mega-menus, facet sidebar, footer."""
    rng = random.Random(seed)
    esc = html.escape
    settings = {
        "path": {"baseUrl": "/", "currentPath": "search", "currentLanguage": "en"},
        "ajaxPageState": {"libraries": ",".join(f"digitalarchive/lib-{i}" for i in range(120)), "theme": "da"},
        "views": {"ajaxViews": {f"views_dom_id:{rng.getrandbits(128):032x}": {"view_name": "search"}}},
        "facets": {f"facet_{i}": {"url": f"/search?f%5B0%5D=people%3A{80000 + i}"} for i in range(60)},
    }
    head = (
        '<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        "<title>Search | Wilson Center Digital Archive</title>"
        + "".join(
            f'<link rel="stylesheet" media="all" href="/sites/default/files/css/css_{i:04x}.css">' for i in range(14)
        )
        + '<script type="application/json" data-drupal-selector="drupal-settings-json">'
        + json.dumps(settings)
        + '</script></head><body><a href="#main-content" class="visually-hidden">Skip to content</a>'
    )
    svg = (
        '<svg class="icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 2C6.48 2 2 6.48 2 12s4.48 10 '
        '10 10 10-4.48 10-10S17.52 2 12 2zm0 18c-4.41 0-8-3.59-8-8s3.59-8 8-8 8 3.59 8 8-3.59 8-8 8z"/></svg>'
    )
    menus = []
    documents = "".join(
        f'<li class="menu-item"><a href="/document/{_slugify(t)}-{rng.randint(0, 2)}">{svg}{esc(t)}</a>'
        f'<p class="teaser">{esc(make_summary(rng)[0])}</p></li>'
        for t in (make_title(rng) for _ in range(12))
    )
    menus.append(f'<li class="mega"><span>Featured Documents</span>{svg}<ul class="mega-menu">{documents}</ul></li>')
    for section, prefix, names in (
        ("Topics", "topics", TOPICS * 3),
        ("People", "people", PEOPLE),
        (
            "Places",
            "places",
            (
                "Soviet Union",
                "China",
                "North Korea",
                "Vietnam",
                "Poland",
                "Hungary",
                "Yugoslavia",
                "Japan",
                "Germany",
                "India",
                "Cuba",
                "Albania",
            )
            * 3,
        ),
        ("Collections", "collection", tuple(f"{t} Collection" for t in TOPICS) * 2),
    ):
        items = "".join(
            f'<li class="menu-item"><a href="/{prefix}/{_slugify(n)}-{i}"><span>{esc(n)}</span></a></li>'
            for i, n in enumerate(names)
        )
        menus.append(f'<li class="mega"><span>{section}</span><ul class="mega-menu">{items}</ul></li>')
    header = (
        '<header class="site-header"><nav class="navbar navbar-expand-lg" aria-label="Main">'
        f'<a class="navbar-brand" href="/">{svg}Wilson Center Digital Archive</a>'
        f'<ul class="navbar-nav">{"".join(menus)}</ul></nav></header>'
    )
    facets = "".join(
        f'<li class="facet-item"><a href="/search?search_api_fulltext={QUERY}&amp;f%5B0%5D={kind}%3A{80000 + i}" '
        f'rel="nofollow" data-drupal-facet-item-id="{kind}-{80000 + i}"><input type="checkbox" class="facets-checkbox">'
        f'<span class="facet-item__value">{esc(name)}</span><span class="facet-item__count">({rng.randint(1, 900)})'
        "</span></a></li>"
        for kind, pool in (("people", PEOPLE[:16]), ("topics", TOPICS[:8]), ("languages", ("Russian", "English")))
        for i, name in enumerate(pool)
    )
    top = (
        head
        + header
        + '<main role="main" id="main-content"><div class="container"><div class="row">'
        + f'<aside class="col-md-3 facets"><h2>Filter</h2><ul class="facets-widget-checkbox">{facets}</ul></aside>'
        + '<div class="col-md-9 search-view">'
        + '<form class="search-form" action="/search" method="get"><input type="text" name="search_api_fulltext" '
        + f'value="{QUERY}"><button type="submit">Search</button></form>'
    )
    footer_links = "".join(
        f'<li><a href="/{_slugify(n)}">{esc(n)}</a></li>'
        for n in ("About", "Donors", "Contact", "Terms of Use", "Privacy Policy", "Accessibility") * 4
    )
    footer = (
        '</div></div></div></main><footer class="site-footer"><div class="container">'
        f'<ul class="footer-menu">{footer_links}</ul><p>Wilson Center Digital Archive. '
        "One Woodrow Wilson Plaza, 1300 Pennsylvania Avenue NW, Washington, DC 20004-3027</p></div></footer>"
        '<script src="/sites/default/files/js/js_main.js"></script></body></html>'
    )
    empty = '<div class="view-empty"><p>No results found.</p></div>'
    return top.encode(), footer.encode(), empty.encode()


@dataclass
class Site:
    """A site of ``pages`` listing pages of 10 rows (the last one may be shorter if ``total`` says so)."""

    seed: int = 1
    pages: int = 200
    total: int = 0  # records; 0 = pages * PAGE_SIZE
    _chrome: tuple[bytes, bytes, bytes] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.total:
            self.total = self.pages * PAGE_SIZE
        self._chrome = _chrome(self.seed)

    @property
    def last_page(self) -> int:
        return (self.total + PAGE_SIZE - 1) // PAGE_SIZE - 1

    def listing(self, page: int) -> bytes:
        top, footer, empty = self._chrome
        if page < 0 or page > self.last_page:
            return top + empty + footer
        rows = page_rows(self.seed, page, self.total)
        rng = random.Random(self.seed * 7_919 + page)
        first = page * PAGE_SIZE + 1
        last = first + len(rows) - 1
        body = (
            '<div class="results-label">Results:</div>'
            f'<div class="search-results-count"><span>{first} - {last} of {self.total}</span></div>'
            '<h2 class="results-type">Documents</h2>'
            '<table class="table table-hover table-striped"><tbody>'
            + "".join(_row_html(r, rng) for r in rows)
            + "</tbody></table>"
        )
        return top + body.encode() + footer


# ----------------------------------------------------------------------------------------------- server


@dataclass
class Counters:
    listing: int = 0
    empty: int = 0
    robots: int = 0
    other: int = 0
    bytes: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("listing", "empty", "robots", "other", "bytes")}


def _response(status: str, body: bytes, ctype: bytes = b"text/html; charset=UTF-8", *, close: bool) -> bytes:
    head = (
        b"HTTP/1.1 " + status.encode() + b"\r\nContent-Type: " + ctype
        + b"\r\nContent-Length: " + str(len(body)).encode()
        + (b"\r\nConnection: close" if close else b"\r\nConnection: keep-alive")
        + b"\r\nServer: bench-site\r\n\r\n"
    )  # fmt: skip
    return head + body


class _HttpProtocol(asyncio.Protocol):
    """Minimal HTTP/1.1 keep-alive server for GET requests, one request at a time per connection."""

    def __init__(self, server: BenchServer) -> None:
        self.server = server
        self.buffer = b""
        self.busy = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > 65_536:
            self._close()
            return
        self._next()

    def _close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def _next(self) -> None:
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            request_line, _, headers = head.partition(b"\r\n")
            parts = request_line.split(b" ")
            if len(parts) != 3:
                self._close()
                return
            method, target, version = parts
            close = version != b"HTTP/1.1" or b"connection: close" in headers.lower()
            payload = self.server.respond(method, target.decode("latin-1"), close=close)
            if self.server.latency > 0:
                self.busy = True
                asyncio.get_running_loop().call_later(self.server.latency, self._send, payload, close)
                return
            self._send(payload, close)

    def _send(self, payload: bytes, close: bool) -> None:
        self.busy = False
        if self.transport is None or self.transport.is_closing():
            return
        self.transport.write(payload)
        if close:
            self.transport.close()
            return
        self._next()


class BenchServer:
    def __init__(self, site: Site, latency_ms: float = 0.0) -> None:
        self.site = site
        self.latency = latency_ms / 1000.0
        self.counters = Counters()

    def respond(self, method: bytes, target: str, *, close: bool) -> bytes:
        c = self.counters
        if method not in (b"GET", b"HEAD"):
            c.other += 1
            return _response("405 Method Not Allowed", b"", close=close)
        url = urlsplit(target)
        if url.path == "/search":
            values = parse_qs(url.query).get("page", ["0"])
            try:
                page = int(values[0])
            except ValueError:
                page = -1
            body = self.site.listing(page)
            if 0 <= page <= self.site.last_page:
                c.listing += 1
            else:
                c.empty += 1
            c.bytes += len(body)
            return _response("200 OK", b"" if method == b"HEAD" else body, close=close)
        if url.path.startswith("/document/"):  # --details: every result's document page is one real page's markup
            c.other += 1
            body = _document_page()
            c.bytes += len(body)
            return _response("200 OK", b"" if method == b"HEAD" else body, close=close)
        if url.path == "/robots.txt":
            c.robots += 1
            return _response("200 OK", b"User-agent: *\nAllow: /\n", b"text/plain", close=close)
        if url.path == "/__bench/stats":
            return _response("200 OK", json.dumps(c.as_dict()).encode(), b"application/json", close=close)
        c.other += 1
        return _response("404 Not Found", b"<html><body><h1>Page not found</h1></body></html>", close=close)


@functools.cache
def _document_page() -> bytes:
    """The replica's document page built from a real one's <main> (fixtures/README.md), for every document."""
    page = "data/demo/wilson/documents/cable-anastas-mikoyan-joseph-stalin.html"
    return resources.files("harvester").joinpath(page).read_bytes()


async def serve(site: Site, latency_ms: float, port: int, max_seconds: float, parent: int | None) -> None:
    loop = asyncio.get_running_loop()
    bench = BenchServer(site, latency_ms)
    server = await loop.create_server(lambda: _HttpProtocol(bench), "127.0.0.1", port, backlog=1024)
    sockname = server.sockets[0].getsockname()
    print(json.dumps({"port": sockname[1], "pid": os.getpid()}), flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    deadline = loop.time() + max_seconds
    async with server:
        while not stop.is_set() and loop.time() < deadline:
            if parent is not None and os.getppid() != parent:
                break  # the harness died: do not outlive it
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)


@contextlib.contextmanager
def server_process(
    pages: int, latency_ms: float = 0.0, seed: int = 1, max_seconds: float = 4 * 3600
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Run the site server in its own process (so it never competes for the crawler's GIL).

    Yields ``(base_url, process)``; the server is terminated on exit, and exits by itself after
    ``max_seconds`` or when its parent dies.
    """
    cmd = [
        sys.executable, "-m", "benchmarks.site", "serve", "--pages", str(pages), "--latency-ms", str(latency_ms),
        "--seed", str(seed), "--max-seconds", str(max_seconds), "--parent", str(os.getpid()),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("benchmark site server did not start")
        port = json.loads(line)["port"]
        yield f"http://127.0.0.1:{port}", proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def server_stats(base_url: str) -> dict[str, int]:
    import http.client

    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        conn.request("GET", "/__bench/stats")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


# -------------------------------------------------------------------------------------------- load test


async def _load(host: str, port: int, pages: int, concurrency: int, seconds: float) -> tuple[int, int, float]:
    done = 0
    received = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds

    async def worker(k: int) -> None:
        nonlocal done, received
        reader, writer = await asyncio.open_connection(host, port)
        page = k
        try:
            while loop.time() < deadline:
                writer.write(
                    f"GET /search?search_api_fulltext={QUERY}&page={page % pages} HTTP/1.1\r\n"
                    f"Host: {host}:{port}\r\nAccept-Encoding: identity\r\n\r\n".encode()
                )
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
                await reader.readexactly(length)
                done += 1
                received += length
                page += concurrency
        finally:
            writer.close()

    start = loop.time()
    await asyncio.wait_for(asyncio.gather(*(worker(k) for k in range(concurrency))), seconds + 30)
    return done, received, loop.time() - start


def measure_ceiling(pages: int = 2000, seconds: float = 3.0, concurrency: int = 16, seed: int = 1) -> dict:
    """Hammer a fresh server process with keep-alive GETs: the server's pages/s ceiling at 0 ms latency.

    The client is Python too; if the server's CPU share stays under ~90% the client was the limit and the
    real ceiling is higher.
    """
    import psutil

    with server_process(pages, 0.0, seed, max_seconds=seconds + 120) as (base_url, proc):
        server = psutil.Process(proc.pid)
        url = urlsplit(base_url)
        asyncio.run(_load(url.hostname or "127.0.0.1", url.port or 80, pages, concurrency, 0.5))  # warm-up
        cpu0 = server.cpu_times()
        done, received, elapsed = asyncio.run(
            _load(url.hostname or "127.0.0.1", url.port or 80, pages, concurrency, seconds)
        )
        cpu1 = server.cpu_times()
    server_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    return {
        "pages_per_s": done / elapsed,
        "mb_per_s": received / elapsed / 1e6,
        "avg_page_kb": received / max(done, 1) / 1000,
        "server_cpu_share": server_cpu / elapsed,
        "concurrency": concurrency,
        "seconds": elapsed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.site", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_serve = sub.add_parser("serve", help="serve the synthetic site on 127.0.0.1 (prints the port as JSON)")
    p_serve.add_argument("--pages", type=int, default=200)
    p_serve.add_argument("--latency-ms", type=float, default=0.0)
    p_serve.add_argument("--seed", type=int, default=1)
    p_serve.add_argument("--port", type=int, default=0)
    p_serve.add_argument("--max-seconds", type=float, default=3600.0, help="exit after this long (a bound)")
    p_serve.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)
    p_load = sub.add_parser("loadtest", help="measure the server alone: pages/s with a keep-alive client")
    p_load.add_argument("--pages", type=int, default=2000)
    p_load.add_argument("--seconds", type=float, default=3.0)
    p_load.add_argument("--concurrency", type=int, default=16)
    p_load.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.cmd == "serve":
        site = Site(seed=args.seed, pages=args.pages)
        asyncio.run(serve(site, args.latency_ms, args.port, args.max_seconds, args.parent))
        return 0
    t0 = time.perf_counter()
    result = measure_ceiling(args.pages, args.seconds, args.concurrency, args.seed)
    result["wall_s"] = time.perf_counter() - t0
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
