"""Fault injection for the replay server: make chosen URLs misbehave the way real sites do.

A *fault plan* maps URL patterns to faults. It is a TOML file (``harvester serve DIR --faults PLAN.toml``) or
a list of :class:`Fault` objects (``ReplayServer(site, faults=FaultPlan([...]))``)::

    # 429 with Retry-After for the first request of page 1, then the page is served normally.
    [[fault]]
    path = "/search"
    query = { page = "1" }
    kind = "status"
    status = 429
    retry_after = 2
    times = 1

A request matches a fault when its path matches ``path`` (a glob: ``*`` matches anything) and every
``query`` parameter is present with that value (``"*"``: any value; a search without ``page`` is page 0).
``nth = N`` applies the fault to the Nth matching request only, ``times = N`` to the first N; otherwise to
every matching request. The first fault that matches and applies wins; no fault, normal service.

Kinds (and their options):

``status``     answer ``status`` (500, 502, 503, 404, 429, ...) with a small error page; ``retry_after``
               (seconds, an HTTP date, or ``"http-date+N"``: the date N s after the answer) adds a
               ``Retry-After`` header
``hang``       send nothing for ``seconds`` (default 30; ends early when the server stops), then close
``reset``      reset the connection (TCP RST) without answering
``truncate``   promise the whole page in ``Content-Length``, send ``fraction`` of it (default 0.5), close
``challenge``  Cloudflare's "Just a moment..." interstitial, status ``status`` (default 403)
``charset``    the page in the wrong encoding: ``mode`` = ``cp1252-as-utf8`` (cp1252 bytes labelled UTF-8),
               ``utf8-as-cp1252`` (UTF-8 bytes labelled windows-1252), ``missing`` (cp1252 bytes, no
               charset anywhere) or ``double-encoded`` (mojibake in the text itself: UTF-8 read as cp1252 and
               saved as UTF-8 again, correctly labelled)
``count``      the page with its count header replaced by ``count`` (e.g. ``"1 - 10 of 50"``)
``loop``       serve ``target``'s content (default: the same search without ``page``, i.e. its first page),
               as the site or a ``listing`` fault would
``malformed``  the page with its cell, row and paragraph end tags removed and the results table inside a
               ``<p>``
``listing``    a generated listing in the verified row template: ``total`` results, ``page_size`` rows a
               page (default 10), each page padded to about ``size`` bytes by longer summaries if given;
               ``count`` replaces the count header's text (``""``: no count header)
``body``       answer ``body`` with ``content_type`` (default text/plain) and ``status`` (default 200)
``serve``      normal service (with ``delay`` and ``headers``: a slow or cookie-setting endpoint)

Every kind also takes ``delay`` (seconds to wait first) and ``headers`` (extra response headers).
"""

from __future__ import annotations

import contextlib
import fnmatch
import html
import re
import socket
import struct
import threading
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit

from harvester.devtools import packaged
from harvester.errors import FaultPlanError

KINDS = frozenset(
    ("status", "hang", "reset", "truncate", "challenge", "charset", "count", "loop", "malformed", "listing",
     "body", "serve")
)
CHARSET_MODES = frozenset(("cp1252-as-utf8", "utf8-as-cp1252", "missing", "double-encoded"))
CHALLENGE_PAGE = "challenge-cloudflare.html"  # in the packaged demo site (harvester/data/demo/wilson)


@dataclass(frozen=True)
class Fault:
    kind: str
    path: str = "*"
    query: Mapping[str, str] = field(default_factory=dict)
    nth: int | None = None
    times: int | None = None
    delay: float = 0.0
    headers: Mapping[str, str] = field(default_factory=dict)
    status: int | None = None
    retry_after: int | float | str | None = None
    seconds: float = 30.0
    fraction: float = 0.5
    mode: str | None = None
    count: str | None = None
    target: str | None = None
    total: int = 10
    page_size: int = 10
    size: int | None = None
    body: str | None = None
    content_type: str = "text/plain; charset=utf-8"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise FaultPlanError(f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(KINDS))}")
        if self.kind == "status" and self.status is None:
            raise FaultPlanError("a 'status' fault needs a status code")
        if self.kind == "charset" and self.mode not in CHARSET_MODES:
            raise FaultPlanError(f"a 'charset' fault needs mode = one of {', '.join(sorted(CHARSET_MODES))}")
        if self.kind == "count" and not self.count:
            raise FaultPlanError("a 'count' fault needs count = \"first - last of total\"")
        if self.kind == "body" and self.body is None:
            raise FaultPlanError("a 'body' fault needs a body")
        for name in ("nth", "times"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise FaultPlanError(f"{name} must be a positive whole number, got {value!r}")
        if not 0 <= self.fraction < 1:
            raise FaultPlanError(f"fraction must be at least 0 and below 1, got {self.fraction!r}")
        object.__setattr__(self, "query", {str(k): str(v) for k, v in dict(self.query).items()})
        object.__setattr__(self, "headers", {str(k): str(v) for k, v in dict(self.headers).items()})

    def matches(self, path: str, params: list[tuple[str, str]]) -> bool:
        if not fnmatch.fnmatchcase(path, self.path):
            return False
        values: dict[str, list[str]] = {}
        for key, value in params:
            values.setdefault(key, []).append(value)
        values.setdefault("page", ["0"])
        return all(key in values and (want == "*" or want in values[key]) for key, want in self.query.items())


_FIELD_NAMES = frozenset(f.name for f in fields(Fault))


class FaultPlan:
    """An ordered list of faults and how often each pattern was requested (thread-safe)."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self.faults = list(faults)
        self.hits = [0] * len(self.faults)  # requests that matched each fault's pattern
        self.applied = [0] * len(self.faults)  # ... and how many of them got the fault
        self._lock = threading.Lock()

    @classmethod
    def load(cls, path: Path | str) -> FaultPlan:
        path = Path(path)
        if path.is_dir():
            raise FaultPlanError(f"{path}: is a directory, not a fault plan (a .toml file)")
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FaultPlanError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise FaultPlanError(f"{path}: cannot read the fault plan: {error}") from None
        try:
            return cls.from_toml(text)
        except FaultPlanError as error:
            raise FaultPlanError(f"{path}: {error}") from None

    @classmethod
    def from_toml(cls, text: str) -> FaultPlan:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise FaultPlanError(f"not valid TOML: {error}") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultPlan:
        extra = set(data) - {"fault"}
        if extra:
            raise FaultPlanError(f"unknown top-level key(s) {', '.join(sorted(extra))}; faults go in [[fault]]")
        faults = []
        for index, entry in enumerate(data.get("fault", []), start=1):
            if not isinstance(entry, Mapping) or "kind" not in entry:
                raise FaultPlanError(f"fault #{index} needs a kind")
            unknown = set(entry) - _FIELD_NAMES
            if unknown:
                raise FaultPlanError(f"fault #{index}: unknown option(s) {', '.join(sorted(unknown))}")
            try:
                faults.append(Fault(**entry))
            except FaultPlanError as error:
                raise FaultPlanError(f"fault #{index}: {error}") from None
            except TypeError as error:
                raise FaultPlanError(f"fault #{index}: {error}") from None
        return cls(faults)

    def pick(self, target: str) -> Fault | None:
        """The fault for this request, counting it against every pattern it matches."""
        parts = urlsplit(target)
        params = parse_qsl(parts.query, keep_blank_values=True)
        chosen = None
        with self._lock:
            for index, fault in enumerate(self.faults):
                if not fault.matches(parts.path, params):
                    continue
                self.hits[index] += 1
                hit = self.hits[index]
                applies = (fault.nth is None or hit == fault.nth) and (fault.times is None or hit <= fault.times)
                if applies and chosen is None:
                    self.applied[index] += 1
                    chosen = fault
        return chosen

    def content_for(self, target: str) -> Fault | None:
        """The ``listing`` fault that generates ``target``'s content, if any (not counted as a request)."""
        parts = urlsplit(target)
        params = parse_qsl(parts.query, keep_blank_values=True)
        return next((f for f in self.faults if f.kind == "listing" and f.matches(parts.path, params)), None)

    def describe(self) -> list[str]:
        out = []
        for fault in self.faults:
            query = "&".join(f"{k}={v}" for k, v in fault.query.items())
            when = f" (request #{fault.nth})" if fault.nth else f" (first {fault.times})" if fault.times else ""
            out.append(f"{fault.path}{'?' + query if query else ''}{when}: {fault.kind}")
        return out


# --- pages in the verified Wilson row template -------------------------------------------------------------

_DATES = ("October 21, 1954", "August 1949", "1948", "", "February 4, 1949", "June 7, 1951")


def row_html(node_id: str, slug: str, date: str, title: str, summary: str | None) -> str:
    """One result row, exactly as the site writes it (see ``shared/docs/wilson-site.md``)."""
    text = "" if summary is None else f'<div class="text"><p></p><p>{html.escape(summary)}</p><p></p></div>'
    return (
        f'<tr><td class="date"><p>{html.escape(date)}</p></td>'
        f'<td data-history-node-id="{html.escape(node_id)}" class="document contextual-region">'
        f'<a href="/document/{html.escape(slug)}"><h3 class="sub-title"><span>{html.escape(title)}</span></h3>'
        f"{text}</a></td></tr>"
    )


def listing_html(rows: Iterable[str], count: str | None, *, title: str = "Search") -> str:
    """A results page: a replica shell (as in the fixtures) around the count header and the rows."""
    header = (
        '<div class="view-header"><div class="results-label">Results:</div>'
        f'<div class="search-results-count"><span>{html.escape(count)}</span></div></div>'
        if count
        else ""
    )
    return (
        '<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8" />'
        f"<title>{html.escape(title)} | Wilson Center Digital Archive</title></head>"
        '<body><main id="main"><div class="search-results"><div class="view view-search">'
        f'{header}<div class="view-content"><h2 class="title">Documents</h2><div class="card table-responsive">'
        '<table class="table table-hover table-striped"><tbody>\n'
        + "\n".join(rows)
        + "\n</tbody></table></div></div></div></div></main></body></html>\n"
    )


EMPTY_LISTING = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8" /><title>Search | Wilson Center Digital Archive'
    '</title></head><body><main id="main"><div class="view view-search"><div class="view-empty">'
    "<p>No results found for your search.</p></div></div></main></body></html>\n"
)


# Text as the archive writes it: curly quotes, dashes, diacritics (some outside cp1252, some inside).
_SUMMARIES = (
    "Zhou Enlai’s “note” on the talks with Phạm Văn Đồng — in brief.",
    "Ceaușescu and Satō: a report on Sino-Soviet relations, with an annex (café, naïve, Étienne).",
    "A plain report on the Soviet specialists in Manchuria.",
)


def synthetic_row(number: int, summary_size: int | None = None) -> str:
    summary = f"Generated document {number}. {_SUMMARIES[number % len(_SUMMARIES)]}"
    if summary_size and summary_size > len(summary):
        words = " Zhou Enlai met the Soviet ambassador to discuss the treaty."
        summary += words * ((summary_size - len(summary)) // len(words) + 1)
    return row_html(
        str(700000 + number),
        f"generated-document-{number}",
        _DATES[number % len(_DATES)],
        f"Telegram No. {number} from the Soviet Embassy in Beijing",
        summary,
    )


def synthetic_page(fault: Fault, page: int) -> bytes:
    """Page ``page`` (zero-based) of a generated search of ``fault.total`` results."""
    first = page * fault.page_size + 1
    last = min(fault.total, first + fault.page_size - 1)
    if first > fault.total:
        return EMPTY_LISTING.encode()
    per_row = fault.size // max(last - first + 1, 1) if fault.size else None
    rows = [synthetic_row(n, per_row) for n in range(first, last + 1)]
    count = f"{first} - {last} of {fault.total}" if fault.count is None else fault.count  # "": no header
    return listing_html(rows, count).encode("utf-8")


# --- applying a fault to one request ----------------------------------------------------------------------


class _Handler(Protocol):
    """What a fault needs from the HTTP request handler (``http.server.BaseHTTPRequestHandler``)."""

    path: str
    connection: socket.socket
    close_connection: bool
    wfile: Any

    def send_response(self, code: int, message: str | None = None) -> None: ...
    def send_header(self, keyword: str, value: str) -> None: ...
    def end_headers(self) -> None: ...


Normal = Callable[[str], tuple[int, bytes, str]]  # request target -> (status, body, content type)
_COUNT = re.compile(rb"\d[\d,]*\s*-\s*\d[\d,]*\s+of\s+\d[\d,]*")
_META_CHARSET = re.compile(rb"<meta\s+charset=[\"']?[\w-]+[\"']?\s*/?>", re.IGNORECASE)
_ERROR_PAGE = "<!DOCTYPE html><html><head><title>{status} Error</title></head><body><h1>{status}</h1></body></html>"


def apply_fault(fault: Fault, handler: _Handler, normal: Normal, stopping: threading.Event) -> None:
    """Answer the handler's request according to ``fault``; ``normal`` renders what the site would send."""
    if fault.delay and stopping.wait(fault.delay):
        return
    target = handler.path
    kind = fault.kind
    if kind == "hang":
        stopping.wait(fault.seconds)
        handler.close_connection = True
        _close(handler.connection)
        return
    if kind == "reset":
        handler.close_connection = True
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()
        return
    if kind == "status":
        retry = {} if fault.retry_after is None else {"Retry-After": _retry_after(fault.retry_after)}
        body = fault.body.encode() if fault.body is not None else _ERROR_PAGE.format(status=fault.status).encode()
        send(handler, fault.status or 500, body, "text/html; charset=utf-8", {**retry, **fault.headers})
        return
    if kind == "challenge":
        body = packaged.read_bytes(packaged.DEMO_SITE, CHALLENGE_PAGE)
        headers = {"cf-mitigated": "challenge", "Server": "cloudflare", **fault.headers}
        send(handler, fault.status or 403, body, "text/html; charset=UTF-8", headers)
        return
    if kind == "body":
        send(handler, fault.status or 200, (fault.body or "").encode(), fault.content_type, fault.headers)
        return
    if kind == "loop":
        status, body, ctype = normal(fault.target or _without_page(target))
        send(handler, status, body, ctype, fault.headers)
        return
    if kind == "listing":
        page = page_of(target)
        send(handler, fault.status or 200, synthetic_page(fault, page), "text/html; charset=utf-8", fault.headers)
        return
    status, body, ctype = normal(target)
    if kind == "truncate":
        handler.close_connection = True
        handler.send_response(status)
        handler.send_header("Content-Type", ctype)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body[: int(len(body) * fault.fraction)])
        handler.wfile.flush()
        _close(handler.connection)
        return
    if kind == "charset":
        body, ctype = _recode(body, fault.mode or "")
    elif kind == "count":
        body = _COUNT.sub(fault.count.encode(), body, count=1) if fault.count else body
    elif kind == "malformed":
        body = _malform(body)
    send(handler, fault.status or status, body, ctype, fault.headers)


def send(handler: _Handler, status: int, body: bytes, ctype: str, headers: Mapping[str, str] | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def _close(connection: socket.socket) -> None:
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


def _retry_after(value: int | float | str) -> str:
    """The header's value: seconds as given, a string as given, or ``"http-date+N"``: the HTTP date N seconds
    after this answer (so a test's wait does not depend on how long the crawl took to start)."""
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if value.startswith("http-date+"):
        from email.utils import formatdate
        from time import time

        return formatdate(time() + float(value.removeprefix("http-date+")), usegmt=True)
    return value


def page_of(target: str) -> int:
    for key, value in parse_qsl(urlsplit(target).query, keep_blank_values=True):
        if key == "page" and value.isdigit():
            return int(value)
    return 0


def _without_page(target: str) -> str:
    parts = urlsplit(target)
    params = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "page"]
    return f"{parts.path}?{urlencode(params)}" if params else parts.path


def _recode(body: bytes, mode: str) -> tuple[bytes, str]:
    text = body.decode("utf-8")
    if mode == "double-encoded":
        import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252: cp1252 with its 5 holes filled)

        return text.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8"), "text/html; charset=utf-8"
    if mode == "utf8-as-cp1252":
        return _META_CHARSET.sub(b'<meta charset="windows-1252" />', body), "text/html; charset=windows-1252"
    data = text.encode("cp1252", errors="xmlcharrefreplace")
    if mode == "missing":
        return _META_CHARSET.sub(b"", data), "text/html"
    return data, "text/html; charset=utf-8"  # cp1252-as-utf8: the bytes lie about their encoding


def _malform(body: bytes) -> bytes:
    body = re.sub(rb"</(td|tr|p)>", b"", body)
    body = body.replace(b"<table", b"<p class=\"results\"><table", 1)
    return body.replace(b"</tbody>", b"", 1)

