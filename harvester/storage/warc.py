"""Raw capture: every fetched response of a run, with its request, in a standard WARC file (warcio).

One file per run session: ``output/<source>/pages/<run id>.warc.gz`` (a resumed session adds
``<run id>.<session>.warc.gz``), or ``<out>.warc.gz`` beside a one-off run's file. It opens with a ``warcinfo``
record saying which spider and arguments read the pages; then, per response, a ``request``, a ``response`` and a
``metadata`` record (``application/json``: what the crawl knew about the request, e.g. its page number), tied
together by ``WARC-Concurrent-To``. Each record is its own gzip member and is flushed as it is written, so after a
``kill -9`` the file holds every response up to the last one, and any WARC tool reads it.

Bodies are stored as the crawl read them: after Scrapy's decompression (``Content-Encoding`` and
``Content-Length`` are then rewritten to describe the stored bytes, the original values kept as
``X-Harvester-Original-*`` headers), because that is what the parsers saw and what a re-parse must read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import Any, BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from harvester.errors import CaptureError

#: The ``warcinfo`` field that marks a harvester capture, and its format version.
FORMAT = "harvester-capture/1"

_REWRITTEN = ("content-encoding", "content-length", "transfer-encoding")


@dataclass(frozen=True)
class Captured:
    """One captured exchange, as read back."""

    url: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    date: str  # WARC-Date of the response: when it was received (UTC, ISO 8601)
    context: dict[str, Any] = field(default_factory=dict)


class CaptureWriter:
    """Appends exchanges to one WARC file, a flushed gzip member per record."""

    def __init__(self, path: Path, info: dict[str, Any]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.handle: BinaryIO = open(path, "ab")  # noqa: SIM115 - held for the run's lifetime
        self.writer = WARCWriter(self.handle, gzip=True)
        self.responses = 0
        record = self.writer.create_warcinfo_record(path.name, {"format": FORMAT, "harvester": json.dumps(info)})
        self._write(record)

    def write(
        self,
        *,
        url: str,
        method: str,
        request_headers: Iterable[tuple[str, str]],
        request_body: bytes,
        status: int,
        headers: Iterable[tuple[str, str]],
        body: bytes,
        context: dict[str, Any],
    ) -> None:
        kept = []
        for name, value in headers:
            if name.lower() in _REWRITTEN:
                kept.append((f"X-Harvester-Original-{name}", value))
            else:
                kept.append((name, value))
        kept.append(("Content-Length", str(len(body))))
        response_headers = StatusAndHeaders(f"{status} {_reason(status)}", kept, protocol="HTTP/1.1")
        response = self.writer.create_warc_record(url, "response", payload=BytesIO(body),
                                                  http_headers=response_headers)  # fmt: skip
        response_id = response.rec_headers.get_header("WARC-Record-ID")
        date = response.rec_headers.get_header("WARC-Date")
        path = url.split("://", 1)[-1].partition("/")[2]
        request_http = StatusAndHeaders(f"{method} /{path} HTTP/1.1", list(request_headers), is_http_request=True)
        request = self.writer.create_warc_record(url, "request", payload=BytesIO(request_body),
                                                 http_headers=request_http,
                                                 warc_headers_dict={"WARC-Concurrent-To": response_id,
                                                                    "WARC-Date": date})  # fmt: skip
        metadata = self.writer.create_warc_record(
            url, "metadata", payload=BytesIO(json.dumps(context, sort_keys=True).encode()),
            warc_content_type="application/json",
            warc_headers_dict={"WARC-Concurrent-To": response_id, "WARC-Date": date},
        )  # fmt: skip
        for record in (response, request, metadata):
            self._write(record)
        self.responses += 1

    def _write(self, record: Any) -> None:
        self.writer.write_record(record)
        self.handle.flush()

    def close(self) -> None:
        if not self.handle.closed:
            self.handle.close()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def read_info(path: Path) -> dict[str, Any]:
    """What the capture's ``warcinfo`` record says: spider, arguments, source, run id."""
    for kind, record in _records(path):
        if kind != "warcinfo":
            break
        fields = dict(_fields(record.content_stream().read()))
        if fields.get("format") != FORMAT:
            break
        return json.loads(fields["harvester"])
    raise CaptureError(f"{path}: not a harvester capture (no harvester warcinfo record at its start)")


def read_exchanges(path: Path, warn: Callable[[str], None] | None = None) -> Iterator[Captured]:
    """The captured responses in the order they arrived, each with its metadata's context. A truncated file
    (a crawl killed while writing) yields every complete exchange before the cut, then stops, and says so
    through ``warn``."""
    pending: dict[str, Captured] = {}
    order: list[str] = []
    count = 0

    cut = []

    def truncated() -> None:
        cut.append(True)
        if warn is not None:
            warn(f"{path} is cut off after {count} responses (a crawl killed while writing?): those were read")

    for kind, record in _records(path, truncated):
        try:
            key = _read_one(kind, record, pending, order)
        except (AttributeError, TypeError, ValueError) as error:  # a record without the headers it must have
            raise CaptureError(f"{path}: a damaged {kind} record ({error})") from None
        count += key is not None
        while order and (order[0] not in pending or pending[order[0]].context):
            # an exchange is complete once its metadata has been read (written last)
            yield pending.pop(order.pop(0))
    if order and warn is not None and not cut:
        # the metadata record is written last: a response without one was cut off (its body may be too)
        warn(f"{path} is cut off after {count - len(order)} complete responses (a crawl killed while writing?): "
             "those were read")


def _read_one(kind: str, record: Any, pending: dict[str, Captured], order: list[str]) -> str | None:
    """Add one WARC record to the exchanges being assembled; the response's key when it was a response."""
    headers = record.rec_headers
    if kind == "response":
        http = record.http_headers
        captured = Captured(
            url=headers.get_header("WARC-Target-URI"),
            status=int(http.get_statuscode()),
            headers=[(name, value) for name, value in http.headers if not name.startswith("X-Harvester-")],
            body=record.content_stream().read(),
            date=headers.get_header("WARC-Date"),
        )
        key = headers.get_header("WARC-Record-ID")
        pending[key] = captured
        order.append(key)
        return key
    if kind == "metadata":
        key = headers.get_header("WARC-Concurrent-To")
        if key in pending:
            context = json.loads(record.content_stream().read() or b"{}")
            pending[key] = Captured(**{**pending[key].__dict__, "context": context})
    return None


def _records(path: Path, truncated: Callable[[], None] | None = None) -> Iterator[tuple[str, Any]]:
    try:
        with open(path, "rb") as stream:
            try:
                for record in ArchiveIterator(stream):
                    yield record.rec_type, record
            except (ArchiveLoadFailed, EOFError, OSError, ValueError, AttributeError, KeyError) as error:
                # (warcio raises AttributeError / KeyError on records that lack mandatory headers)
                if _is_truncation(error):
                    if truncated is not None:
                        truncated()
                    return
                raise CaptureError(f"{path}: not a readable WARC file ({error})") from None
    except FileNotFoundError:
        raise CaptureError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise CaptureError(f"{path}: is a directory, not a WARC file") from None


def _is_truncation(error: Exception) -> bool:
    return isinstance(error, EOFError) or "truncat" in str(error).lower() or "end of stream" in str(error).lower()


def _fields(content: bytes) -> Iterator[tuple[str, str]]:
    for line in content.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep:
            yield name.strip(), value.strip()
