"""A replay server: serves a fixture site on 127.0.0.1 with the real site's URL grammar.

The site is described by ``site.toml`` in its folder (see ``fixtures/wilson/site.toml``):

* ``[[listing]]``: a ``path`` (``/search``), the ``query`` parameters other than ``page`` (compared as a
  multiset, in any order) and the ``pages`` files, page 0 first; optional ``status``.
* ``[[old_listing]]``: the old site's ``/search-results/{page}/{json}``: ``filter`` (the JSON) and ``pages``,
  page 1 first.
* ``[[document]]``: ``slug`` and ``file``, served at ``/document/<slug>``.
* ``documents``: a folder of ``<slug>.html`` document pages, served at ``/document/<slug>`` (after ``[[document]]``);
  a slug with no page answers 404, as the real site does for a document that is gone.
* ``empty_listing``: the page the site shows for a search with no results, and past the last page.

A search that the manifest does not know answers like the real site: an empty listing, status 200.

``ReplayServer(site, faults=...)`` (``harvester serve DIR --faults PLAN.toml``) makes chosen URLs misbehave:
see :mod:`harvester.devtools.faults`. The server counts every request (``requests``, ``log``) and the most requests
to one host it was answering at once (``max_in_flight``), for politeness assertions.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from harvester.devtools.faults import Fault, FaultPlan, apply_fault, page_of, send, synthetic_page
from harvester.errors import SiteError

logger = logging.getLogger(__name__)


@dataclass
class Listing:
    path: str
    query: tuple[tuple[str, str], ...]
    pages: list[Path]
    status: int = 200


@dataclass
class Site:
    root: Path
    listings: list[Listing] = field(default_factory=list)
    old_listings: list[tuple[Any, list[Path]]] = field(default_factory=list)
    documents: dict[str, Path] = field(default_factory=dict)
    empty_listing: Path | None = None
    document_folder: Path | None = None

    @classmethod
    def load(cls, root: Path) -> Site:
        root = Path(root)
        manifest = root / "site.toml"
        if not root.is_dir():
            raise SiteError(f"{root}: not a folder (expected a fixture site with a site.toml)")
        if not manifest.is_file():
            raise SiteError(f"{root}: no site.toml (the manifest that maps URLs to fixture pages)")
        try:
            data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SiteError(f"{manifest}: not valid TOML: {error}") from None

        def page(name: str) -> Path:
            path = (root / name).resolve()
            if root.resolve() not in path.parents or not path.is_file():
                raise SiteError(f"{manifest}: page {name!r} is not a file inside {root}")
            return path

        site = cls(root=root)
        for entry in data.get("listing", []):
            query = tuple(sorted((str(k), str(v)) for k, v in entry.get("query", {}).items()))
            pages = [page(p) for p in entry["pages"]]
            site.listings.append(Listing(entry.get("path", "/search"), query, pages, int(entry.get("status", 200))))
        for entry in data.get("old_listing", []):
            site.old_listings.append((json.loads(entry["filter"]), [page(p) for p in entry["pages"]]))
        for entry in data.get("document", []):
            site.documents[entry["slug"]] = page(entry["file"])
        if data.get("documents"):
            folder = (root / data["documents"]).resolve()
            if root.resolve() not in folder.parents or not folder.is_dir():
                raise SiteError(f"{manifest}: documents {data['documents']!r} is not a folder inside {root}")
            site.document_folder = folder
        if data.get("empty_listing"):
            site.empty_listing = page(data["empty_listing"])
        return site

    def resolve(self, target: str) -> tuple[int, Path | None]:
        """The status and file for a request target (path and query)."""
        parts = urlsplit(target)
        path = parts.path
        if path == "/robots.txt":
            robots = self.root / "robots.txt"
            return (200, robots) if robots.is_file() else (404, None)
        if path.startswith("/document/"):
            slug = unquote(path[len("/document/") :]).strip("/")
            doc = self.documents.get(slug)
            if doc is None and self.document_folder is not None and "/" not in slug and not slug.startswith("."):
                candidate = self.document_folder / f"{slug}.html"
                doc = candidate if candidate.is_file() else None
            return (200, doc) if doc else (404, None)
        if path.startswith("/search-results/"):
            return self._old(path)
        params = parse_qsl(parts.query, keep_blank_values=True)
        page = next((int(v) for k, v in params if k == "page" and v.isdigit()), 0)
        query = tuple(sorted((k, v) for k, v in params if k != "page"))
        for listing in self.listings:
            if listing.path == path and listing.query == query:
                if page < len(listing.pages):
                    return listing.status, listing.pages[page]
                return 200, self.empty_listing
        if path in {listing.path for listing in self.listings}:
            return 200, self.empty_listing
        return 404, None

    def _old(self, path: str) -> tuple[int, Path | None]:
        _, _, rest = path.partition("/search-results/")
        number, _, raw_filter = rest.partition("/")
        try:
            wanted = json.loads(unquote(raw_filter))
        except ValueError:
            return 404, None
        for filter_, pages in self.old_listings:
            if filter_ == wanted and number.isdigit():
                index = int(number) - 1
                return (200, pages[index]) if 0 <= index < len(pages) else (200, self.empty_listing)
        return 200, self.empty_listing


NOT_FOUND_PAGE = (
    b"<!DOCTYPE html><html><head><title>Page not found</title></head>"
    b"<body><h1>Page not found</h1></body></html>"
)


class _Handler(BaseHTTPRequestHandler):
    server: _ReplayHTTPServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        host = self.headers.get("Host", "")
        self.server.begin(self.path, host, self.headers.items())
        try:
            if self.server.delay:  # a slow site, so that tests can stop a crawl half-way (harvester serve --delay)
                self.server.stopping.wait(self.server.delay)
            fault = self.server.faults.pick(self.path) if self.server.faults else None
            if fault is None:
                send(self, *self.server.render(self.path))
            else:
                apply_fault(fault, self, self.server.render, self.server.stopping)
        finally:
            self.server.end(host)

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("replay: " + format, *args)


@dataclass(frozen=True)
class RequestLog:
    """One request as the server saw it: when it arrived, where to, and its headers."""

    target: str
    host: str
    started: float  # time.monotonic()
    headers: tuple[tuple[str, str], ...]
    in_flight: int  # requests to this host being answered when it arrived, itself included


class _ReplayHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    delay = 0.0  # seconds before each answer

    def __init__(self, address: tuple[str, int], site: Site, faults: FaultPlan | None = None) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.faults = faults
        self.requests: Counter[str] = Counter()
        self.log: list[RequestLog] = []
        self.in_flight: Counter[str] = Counter()
        self.max_in_flight: Counter[str] = Counter()
        self.stopping = threading.Event()
        self._lock = threading.Lock()

    def begin(self, target: str, host: str, headers: Any) -> None:
        with self._lock:
            self.requests[target] += 1
            self.in_flight[host] += 1
            self.max_in_flight[host] = max(self.max_in_flight[host], self.in_flight[host])
            self.log.append(RequestLog(target, host, time.monotonic(), tuple(headers), self.in_flight[host]))

    def end(self, host: str) -> None:
        with self._lock:
            self.in_flight[host] -= 1

    def render(self, target: str) -> tuple[int, bytes, str]:
        """What the site answers for a request target: status, body and content type."""
        generated = self.faults.content_for(target) if self.faults else None
        if generated is not None:
            return 200, synthetic_page(generated, page_of(target)), "text/html; charset=utf-8"
        status, path = self.site.resolve(target)
        if path is None:
            return status, NOT_FOUND_PAGE, "text/html; charset=utf-8"
        ctype = "text/plain; charset=utf-8" if path.suffix == ".txt" else "text/html; charset=utf-8"
        return status, path.read_bytes(), ctype

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("replay: error while answering %s", client_address, exc_info=True)


class ReplayServer:
    """Serve a fixture site in a background thread: ``with ReplayServer(path) as base_url: ...``."""

    def __init__(
        self,
        site_dir: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: FaultPlan | Iterable[Fault] | Path | str | None = None,
        delay: float = 0.0,
    ) -> None:
        self.site = Site.load(Path(site_dir))
        self.delay = delay
        self.host = host
        self.port = port
        if faults is None or isinstance(faults, FaultPlan):
            self.faults = faults
        elif isinstance(faults, Path | str):
            self.faults = FaultPlan.load(faults)
        else:
            self.faults = FaultPlan(faults)
        self._server: _ReplayHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> Counter[str]:
        """How many times each request target (path and query) was asked for."""
        assert self._server is not None
        return self._server.requests

    @property
    def log(self) -> list[RequestLog]:
        """Every request in arrival order, with its arrival time and headers."""
        assert self._server is not None
        return self._server.log

    @property
    def max_in_flight(self) -> Counter[str]:
        """The most requests to one host (``Host`` header) being answered at the same time."""
        assert self._server is not None
        return self._server.max_in_flight

    def start(self) -> str:
        self._server = _ReplayHTTPServer((self.host, self.port), self.site, self.faults)
        self._server.delay = self.delay
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="replay-server", daemon=True
        )  # a short poll: stop() returns at once
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stopping.set()  # releases hanging and slow fault handlers
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        self._server = _ReplayHTTPServer((self.host, self.port), self.site, self.faults)
        self._server.delay = self.delay
        self._server.serve_forever()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
