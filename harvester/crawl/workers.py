"""A worker process for the crawl's pure, CPU-heavy work, so that it runs beside the reactor, not in it.

At 0 ms latency a crawl is CPU-bound on one core: the reactor's process downloads, parses pages and runs the
pipelines. Two steps are pure and cost about as much as everything else a page needs: reading a listing page
with its profile (:func:`harvester.parsing.profile.parse_with_profile`) and normalising a record (mojibake
repair, title grammar, names, dates: :func:`harvester.records.build_record`). Once a crawl has normalised
``HARVESTER_NORMALIZE_WORKER_AFTER`` records itself (a crawl of a few pages never gets there), both go to one
worker process (``HARVESTER_NORMALIZE_WORKERS``: 1, the default, on a machine with two or more cores; 0 keeps
everything in the crawl's process). Jobs go in batches (whatever was asked in one turn of the event loop: a
page's rows, often several pages'), so the pickling costs little.

The worker is ``python -m harvester.crawl.workers``, spoken to over its stdin and stdout in length-prefixed JSON
(never pickle: nothing that can carry code crosses the pipe), not a :mod:`multiprocessing` pool: a spawned pool
re-imports the crawl's ``__main__``, and a script without a ``__name__ == "__main__"`` guard would run its crawl
again in the worker. A job whose arguments are not plain JSON data is done in the crawl's process.

Nothing is lost to the worker. A job's answer is None when the worker could not do it (it raised): the caller
does it in the crawl's process, where the error is raised and handled as it always was. Until the worker has
said it is ready, and for good once it died or could not be written to, everything is done in the crawl's
process (a warning says so once). Results are identical either way: the same functions on the same inputs
(``crawled_at`` is taken in the crawl's process; profiles are loaded from the same file, checked unchanged).

The worker runs in its own process group (Ctrl-C at a terminal is the crawl's to handle: it finishes what is
in flight) and exits when its stdin closes: when the crawl closes it, or when the crawl's process is gone,
even after ``kill -9``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import struct
import subprocess
import sys
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any, BinaryIO

try:
    import fcntl
except ImportError:  # not on a POSIX system
    fcntl = None  # type: ignore[assignment]

logger = logging.getLogger(__name__)

#: A record job's answer: the record, the fields whose mojibake was repaired, the fields holding U+FFFD.
Built = tuple[dict[str, Any], list[str], list[str]]
#: Jobs go to the worker at the end of the event loop turn they were asked in, or at this many.
MAX_BATCH = 200
PIPE_SIZE = 1 << 20
BLOB_MIN = 1024  # text arguments longer than this travel outside the JSON (encode_request)
_HEADER = struct.Struct("!Q")
_READY = -1  # the sequence number of the worker's first message: warmed up, ready for jobs


# --- in the worker ----------------------------------------------------------------------------------------


class _Jobs:
    """What the worker can do; each job is a pure function of its arguments (and of files checked unchanged)."""

    def __init__(self, registry_path: str | None) -> None:
        from harvester.normalize.names import Registry, default_registry

        self.registry = Registry.load(registry_path) if registry_path else default_registry()

    def record(self, raw: Mapping[str, Any], crawled_at: str | None) -> Built:
        from harvester.records import build_record, repair_fields

        item, repaired, unreadable = repair_fields(raw)
        return build_record(item, crawled_at=crawled_at, registry=self.registry), repaired, unreadable

    def listing(self, profile: tuple[str, int, int], text: str, url: str) -> Any:
        from parsel import Selector

        from harvester.parsing.profile import parse_with_profile
        from harvester.profiles import load_profile_key

        loaded = load_profile_key(tuple(profile))
        if loaded is None:  # the file changed since the crawl loaded it: the crawl parses this page itself
            return None
        return encode_listing(parse_with_profile(Selector(text=text, base_url=url), loaded, url))

    def run(self, batch: list[tuple[str, tuple[Any, ...]]]) -> list[Any]:
        out = []
        for kind, args in batch:
            try:
                out.append(getattr(self, kind)(*args) if kind in ("record", "listing") else None)
            except Exception:  # done again, and raised, in the crawl's process
                out.append(None)
        return out


def encode(message: Any) -> bytes:
    """One frame: the length, then the message as JSON (UTF-8; lone surrogates pass through)."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=True).encode(
        "utf-8", "surrogatepass"
    )
    return _HEADER.pack(len(body)) + body


def decode(body: bytes) -> Any:
    return json.loads(body.decode("utf-8", "surrogatepass"))


def encode_request(seq: int, batch: list[tuple[str, tuple[Any, ...]]]) -> bytes:
    """A batch of jobs as one frame. Long text arguments (a listing page's HTML) travel as raw UTF-8 after the
    JSON, not inside it: JSON-escaping 50 kB of text costs the crawl's process more than the rest of the batch.
    Where each one goes back is in the JSON (job, argument, length), never guessed from the data."""
    blobs: list[bytes] = []
    places: list[list[int]] = []
    jobs = []
    for j, (kind, args) in enumerate(batch):
        values = list(args)
        for a, value in enumerate(values):
            if isinstance(value, str) and len(value) > BLOB_MIN:
                data = value.encode("utf-8", "surrogatepass")
                blobs.append(data)
                places.append([j, a, len(data)])
                values[a] = None
        jobs.append([kind, values])
    head = json.dumps([seq, jobs, places], ensure_ascii=False, separators=(",", ":")).encode(
        "utf-8", "surrogatepass"
    )
    body = b"".join([_HEADER.pack(len(head)), head, *blobs])
    return _HEADER.pack(len(body)) + body


def decode_request(body: bytes) -> tuple[int, list[list[Any]]]:
    (size,) = _HEADER.unpack_from(body)
    seq, jobs, places = json.loads(body[_HEADER.size : _HEADER.size + size].decode("utf-8", "surrogatepass"))
    at = _HEADER.size + size
    for j, a, length in places:
        jobs[j][1][a] = body[at : at + length].decode("utf-8", "surrogatepass")
        at += length
    return seq, jobs


def encode_listing(page: Any) -> list[Any]:
    """A :class:`~harvester.parsing.ListingPage` as JSON data (:func:`decode_listing` reads it back)."""
    counts = page.counts
    return [
        page.layout,
        [
            [b.position, b.url, b.date_text, b.title, b.summary, b.node_id, [list(x) for x in b.extra]]
            for b in page.blocks
        ],
        None if counts is None else [counts.first, counts.last, counts.total],
        page.missing,
        page.next_url,
    ]


def decode_listing(data: list[Any]) -> Any:
    from harvester.parsing import Counts, ListingPage, RawBlock

    layout, blocks, counts, missing, next_url = data
    return ListingPage(
        layout=layout,
        blocks=[RawBlock(p, u, d, t, s, n, tuple((k, v) for k, v in extra)) for p, u, d, t, s, n, extra in blocks],
        counts=None if counts is None else Counts(*counts),
        missing=missing,
        next_url=next_url,
    )


def _send(stream: BinaryIO, message: Any) -> None:
    stream.write(encode(message))
    stream.flush()


def _read_exactly(stream: BinaryIO, size: int) -> bytes | None:
    data = stream.read(size)
    return data if data is not None and len(data) == size else None


def serve(registry_path: str | None) -> int:
    """The worker's loop: ``(seq, jobs)`` in, ``(seq, answers)`` out, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests = sys.stdin.buffer
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a stray print() must not corrupt the replies
    jobs = _Jobs(registry_path)
    try:
        _send(replies, [_READY, os.getpid()])
        while True:
            header = _read_exactly(requests, _HEADER.size)
            if header is None:
                return 0
            body = _read_exactly(requests, _HEADER.unpack(header)[0])
            if body is None:
                return 0
            seq, batch = decode_request(body)
            _send(replies, [seq, jobs.run(batch)])
    except BrokenPipeError:  # the crawl is gone
        return 0


# --- in the crawl's process -------------------------------------------------------------------------------


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class _Replies(asyncio.Protocol):
    """Reads the worker's stdout: length-prefixed JSON."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while len(self.buffer) >= _HEADER.size:
            (size,) = _HEADER.unpack_from(self.buffer)
            end = _HEADER.size + size
            if len(self.buffer) < end:
                return
            body = bytes(self.buffer[_HEADER.size : end])
            del self.buffer[:end]
            try:
                message = decode(body)
            except ValueError as error:
                self.worker.fail(error)
                return
            self.worker.received(message)

    def connection_lost(self, exc: Exception | None) -> None:
        self.worker.fail(exc or EOFError("the worker closed its output"))


class _Requests(asyncio.Protocol):
    """The write end of the worker's stdin."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            self.worker.fail(exc)


class Worker:
    """The crawl's worker process (one per crawler: :meth:`of`). :meth:`call` gives a future of the answer, or
    of None: do it yourself. Started by :meth:`count` once the crawl did ``after`` jobs itself."""

    def __init__(self, *, enabled: bool, after: int = 0, registry_path: str | None = None) -> None:
        self.enabled = enabled
        self.after = after
        self.registry_path = registry_path
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready = False
        self.broken = False
        self.done_here = 0  # jobs the crawl did itself (before the worker was ready, or after it failed)
        self.sent = 0  # jobs the worker was given
        self.batches = 0
        self._closing = False
        self._stats: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._writer: asyncio.WriteTransport | None = None
        self._reader: asyncio.ReadTransport | None = None
        self._batch: list[tuple[str, tuple[Any, ...]]] = []
        self._waiting: list[asyncio.Future[Any]] = []
        self._sent: dict[int, list[asyncio.Future[Any]]] = {}
        self._seq = 0

    @classmethod
    def of(cls, crawler: Any) -> Worker:
        """The crawler's worker, made from its settings on first use and stopped when the spider closes."""
        worker = _WORKERS.get(crawler)
        if worker is None:
            settings = crawler.settings
            enabled = settings.getint("HARVESTER_NORMALIZE_WORKERS") > 0 and usable_cpus() >= 2
            if enabled:
                from scrapy.utils.asyncio import is_asyncio_available

                enabled = is_asyncio_available()  # the answers are awaited on the asyncio loop
            worker = cls(
                enabled=enabled,
                after=max(0, settings.getint("HARVESTER_NORMALIZE_WORKER_AFTER")),
                registry_path=str(settings.get("HARVESTER_PERSON_REGISTRY") or "") or None,
            )
            _WORKERS[crawler] = worker
            from scrapy import signals

            crawler.signals.connect(worker._spider_closed, signal=signals.spider_closed, weak=False)
            worker._stats = crawler.stats
        return worker

    @property
    def usable(self) -> bool:
        return self.ready and not self.broken

    def count(self, jobs: int = 1) -> None:
        """The crawl did ``jobs`` itself; start the worker once that reaches ``after``."""
        self.done_here += jobs
        if self.enabled and self.proc is None and not self.broken and self.done_here >= self.after:
            self.start()

    def start(self) -> None:
        """Start the worker; it is :attr:`usable` once it said it is ready (until then, work in-process)."""
        self._loop = asyncio.get_running_loop()
        root = str(Path(__file__).resolve().parent.parent)  # where this harvester is imported from
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "harvester.crawl.workers", self.registry_path or ""],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=env,
                process_group=0,  # Ctrl-C at a terminal is the crawl's to handle, not the worker's
            )
        except OSError as error:
            self.fail(error)
            return
        for pipe in (self.proc.stdin, self.proc.stdout):
            _widen(pipe)
        self._loop.create_task(self._connect())

    async def _connect(self) -> None:
        assert self._loop is not None
        assert self.proc is not None
        try:
            self._writer, _ = await self._loop.connect_write_pipe(lambda: _Requests(self), self.proc.stdin)
            self._reader, _ = await self._loop.connect_read_pipe(lambda: _Replies(self), self.proc.stdout)
        except Exception as error:
            self.fail(error)

    def received(self, message: Any) -> None:
        try:
            seq, answers = message
        except (TypeError, ValueError):
            self.fail(RuntimeError("unreadable answer from the worker"))
            return
        if seq == _READY:
            if not self.broken:
                self.ready = True
            return
        waiting = self._sent.pop(seq, None)
        if waiting is None or not isinstance(answers, list) or len(answers) != len(waiting):
            if waiting is not None:
                _resolve(waiting, None)
            self.fail(RuntimeError(f"unexpected answer {seq} from the worker"))
            return
        for future, answer in zip(waiting, answers, strict=True):
            if not future.done():
                future.set_result(answer)

    def call(self, kind: str, *args: Any) -> asyncio.Future[Any]:
        """A future of job ``kind`` (``record``, ``listing``) on ``args``; of None when the caller must do it."""
        assert self._loop is not None
        future: asyncio.Future[Any] = self._loop.create_future()
        self._batch.append((kind, args))
        self._waiting.append(future)
        if len(self._batch) == 1:
            self._loop.call_soon(self._flush)
        elif len(self._batch) >= MAX_BATCH:
            self._flush()
        return future

    def _flush(self) -> None:
        batch, waiting = self._batch, self._waiting
        if not batch:
            return
        self._batch, self._waiting = [], []
        if self.broken or self._writer is None or self._writer.is_closing():
            _resolve(waiting, None)
            return
        self._seq += 1
        try:
            frame = encode_request(self._seq, batch)
        except (TypeError, ValueError) as error:  # not plain JSON data: this batch is done in-process
            logger.debug("cannot send a batch to the worker: %s", error)
            _resolve(waiting, None)
            return
        self._sent[self._seq] = waiting
        self.batches += 1
        self.sent += len(batch)
        self._writer.write(frame)

    def fail(self, error: BaseException) -> None:
        """The worker cannot be used any more: what it was given is done in-process, and so is the rest."""
        if self.broken:
            return
        self.broken = True
        if not self._closing:
            logger.warning(
                "worker process failed (%s: %s): pages and records are processed in the crawl's process from now on",
                type(error).__name__,
                error,
            )
            if self._stats is not None:
                self._stats.set_value("harvester/worker/failed", f"{type(error).__name__}: {error}")
        was_ready = self.ready
        self.ready = False
        for waiting in self._sent.values():
            _resolve(waiting, None)
        self._sent.clear()
        # Failed, or closed while still starting (a short crawl): no reason to wait for it. Closed when ready: it
        # has answered everything and exits at the end of its input.
        self._stop(kill=not (self._closing and was_ready))

    def close(self) -> None:
        """Stop the worker; anything not answered yet is done in-process."""
        self._closing = True
        _resolve(self._waiting, None)
        self._batch, self._waiting = [], []
        self.fail(EOFError("closed"))

    def _spider_closed(self, spider: Any = None, reason: str | None = None) -> None:
        if self._stats is not None and self.proc is not None:
            self._stats.set_value("harvester/worker/jobs", self.sent)
            self._stats.set_value("harvester/worker/batches", self.batches)
        self.close()

    def _stop(self, *, kill: bool) -> None:
        for transport in (self._writer, self._reader):
            if transport is not None:
                transport.close()
        proc = self.proc
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()  # now, not when the transport gets to it: EOF, the worker exits
        if kill:  # it failed: do not wait for it to notice
            proc.kill()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _widen(pipe: Any) -> None:
    """Make a pipe hold a batch of pages (1 MB, Linux's default limit for this) instead of 64 kB: otherwise a
    batch goes over in 64 kB pieces, each waiting for a turn of the crawl's event loop, and the worker waits."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl is not None else None
    if pipe is None or set_size is None:
        return
    with contextlib.suppress(OSError):
        fcntl.fcntl(pipe.fileno(), set_size, PIPE_SIZE)


def _resolve(waiting: list[asyncio.Future[Any]], value: Any) -> None:
    for future in waiting:
        if not future.done():
            future.set_result(value)


_WORKERS: weakref.WeakKeyDictionary[Any, Worker] = weakref.WeakKeyDictionary()


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1] if len(sys.argv) > 1 and sys.argv[1] else None))
