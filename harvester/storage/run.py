"""A harvest run's files: where they go, the journal that makes a run resumable, and the finish.

Layout under the output dir (``HARVESTER_OUTPUT_DIR``)::

    <source>/state.sqlite              every record ever seen (harvester.storage.state)
    <source>/dataset.jsonl             the latest version of each, by id, rewritten after each successful run
    <source>/runs/<run id>.jsonl       the run's records (incremental: new and changed; --full: all)
    <source>/runs/<run id>.json        its manifest
    <source>/runs/<run id>.invalid.jsonl   records the contract rejected, with the reasons
    <source>/jobs/<job key>/journal.sqlite the running (or interrupted) run; removed when the run finishes

A one-off run (``--out FILE``, setting ``HARVESTER_OUTPUT_PATH``) writes FILE (and ``FILE-stem.invalid.jsonl``)
and nothing else: no state, no dataset, no run history; its journal lives beside FILE while it runs.

Why a journal of our own rather than Scrapy's JOBDIR: Scrapy persists its request queue index only when it
closes cleanly, so after ``kill -9`` a JOBDIR can hold fingerprints of pages never parsed (they would be
skipped: records lost). The journal is SQLite: every record that passed the pipelines is staged there (the
run's dedupe set), and a page is marked done only after all its records were staged, in the same commit (one
commit a page, not one a record: a kill loses only staged records of pages not marked done). A
resume skips done pages, re-fetches the rest, and drops records already staged: none lost, none twice. The
run file is written from the journal when the run ends, under a temporary name, then renamed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harvester import __version__
from harvester.errors import RunSetupError
from harvester.model import Counts, PageSummary
from harvester.records import FIELDS, SCHEMA_VERSION
from harvester.storage.state import (
    StateError,
    StateStore,
    connect,
    content_hash,
    dumps,
    write_jsonl_atomically,
    write_lines_atomically,
)

logger = logging.getLogger(__name__)

MODES = ("incremental", "full", "one-off")
_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
JOURNAL_FORMAT = "1"
# The finish reason of a run stopped by Ctrl-C or SIGTERM: it stays resumable, nothing final is written.
INTERRUPTED = "shutdown"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id(now: datetime | None = None) -> str:
    """``20250102T030405Z-1a2b3c``: sorts by start time, unique enough for parallel starts, filename-safe."""
    return f"{(now or datetime.now(UTC)):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def safe_name(value: str, what: str) -> str:
    """A single path component: letters, digits, ``_ . -``, not starting with a dot, no ``..``."""
    if not isinstance(value, str) or not _SAFE.match(value) or ".." in value:
        raise RunSetupError(f"{what} {value!r} cannot name a file (letters, digits, '_', '-', '.'; no '/', '..')")
    return value


def confined(root: Path, *parts: str) -> Path:
    """``root/part/...`` after checking each part is a plain name and the result stays inside ``root``."""
    path = root.joinpath(*(safe_name(part, "path component") for part in parts))
    if not path.resolve().is_relative_to(root.resolve()):
        raise RunSetupError(f"{path} is outside the output folder {root}")
    return path


def ordered(record: dict[str, Any]) -> dict[str, Any]:
    """The record with the contract's fields first, in contract order; extra fields after them."""
    out = {name: record.get(name) for name in FIELDS if name in record}
    out.update((k, v) for k, v in record.items() if k not in out)
    return out


def job_key(source: str, arguments: dict[str, Any], mode: str, out: Path | None = None) -> str:
    """The same spider, arguments and mode give the same key, so ``--resume`` finds the interrupted run."""
    blob = json.dumps(
        {"spider": source, "arguments": arguments, "mode": mode, "out": str(out.resolve()) if out else None},
        sort_keys=True,
        default=str,
    )
    return f"{source}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class RunPlan:
    """Everything about a run that is known before it starts: mode and paths."""

    source: str
    mode: str
    output_dir: Path
    arguments: dict[str, Any]
    resume: bool = False
    out: Path | None = None
    run_id: str | None = None  # fixed by HARVESTER_RUN_ID (scrapyd's job id, say); otherwise made at start
    given_arguments: dict[str, Any] = field(default_factory=dict)  # as the operator gave them (the manifest)
    job_key: str = field(init=False)

    def __post_init__(self) -> None:
        safe_name(self.source, "source")
        if self.mode not in MODES:
            raise RunSetupError(f"unknown run mode {self.mode!r}")
        if self.run_id is not None:
            safe_name(self.run_id, "run id")
        object.__setattr__(self, "job_key", job_key(self.source, self.arguments, self.mode, self.out))

    @property
    def tracked(self) -> bool:
        """Keeps the state store, run history and dataset (every mode but one-off)."""
        return self.out is None

    @property
    def source_dir(self) -> Path:
        return confined(self.output_dir, self.source)

    @property
    def state_path(self) -> Path:
        return self.source_dir / "state.sqlite"

    @property
    def dataset_path(self) -> Path:
        return self.source_dir / "dataset.jsonl"

    @property
    def runs_dir(self) -> Path:
        return self.source_dir / "runs"

    def run_path(self, run_id: str) -> Path:
        return self.out if self.out is not None else confined(self.runs_dir, f"{safe_name(run_id, 'run id')}.jsonl")

    def invalid_path(self, run_id: str) -> Path:
        if self.out is not None:
            stem = self.out.name[: -len(self.out.suffix)] if self.out.suffix else self.out.name
            return self.out.with_name(f"{stem}.invalid.jsonl")
        return confined(self.runs_dir, f"{safe_name(run_id, 'run id')}.invalid.jsonl")

    def manifest_path(self, run_id: str) -> Path:
        return confined(self.runs_dir, f"{safe_name(run_id, 'run id')}.json")

    @property
    def job_dir(self) -> Path:
        if self.out is not None:
            return self.out.with_name(f".{self.out.name}.job")
        return confined(self.source_dir, "jobs", self.job_key)

    @property
    def lock_path(self) -> Path:
        return self.job_dir.with_name(f"{self.job_dir.name}.lock")


def plan_run(settings: Any, spider: Any) -> RunPlan:
    """The plan for ``spider`` under Scrapy ``settings`` (HARVESTER_OUTPUT_DIR/_PATH, HARVESTER_FULL, ...)."""
    out = settings.get("HARVESTER_OUTPUT_PATH") or None
    mode = "one-off" if out else ("full" if settings.getbool("HARVESTER_FULL") else "incremental")
    arguments = spider.job_arguments() if hasattr(spider, "job_arguments") else {}
    return RunPlan(
        source=spider.name,
        mode=mode,
        output_dir=Path(settings.get("HARVESTER_OUTPUT_DIR")),
        arguments=arguments,
        given_arguments=dict(getattr(spider, "arguments", None) or {}),
        resume=settings.getbool("HARVESTER_RESUME"),
        out=Path(out) if out else None,
        # scrapyd passes its job id as the spider argument _job: the run file is then named after the job
        run_id=settings.get("HARVESTER_RUN_ID") or getattr(spider, "_job", None) or None,
    )


# --- the journal ---------------------------------------------------------------------------------------------

_JOURNAL_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE pages (
    page INTEGER PRIMARY KEY, url TEXT NOT NULL, blocks INTEGER NOT NULL, fresh INTEGER NOT NULL,
    first INTEGER, last INTEGER, total INTEGER
);
CREATE TABLE items (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, id TEXT, status TEXT, hash TEXT,
    record TEXT NOT NULL
);
CREATE TABLE invalid (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, record TEXT NOT NULL, errors TEXT NOT NULL
);
"""


class Journal:
    """The job dir's SQLite file: the run's identity, its done pages, its staged and quarantined records.

    Writes are grouped: staged and quarantined records go into an open transaction that the next page-done
    mark commits (one commit a page instead of one a record), or :meth:`commit` / :meth:`close`, or every
    :attr:`MAX_PENDING` rows. A page's records are therefore committed with or before its mark, never after:
    a kill loses only records of pages not marked done, which a resume fetches again.
    """

    #: Staged rows after which the open transaction is committed even though no page was finished.
    MAX_PENDING = 1000

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn
        self._pending = 0

    @classmethod
    def create(cls, job_dir: Path, meta: dict[str, Any]) -> Journal:
        """Build the journal in a temporary folder and rename it into place: a kill leaves no half job dir."""
        job_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = job_dir.with_name(f".{job_dir.name}.{secrets.token_hex(4)}.tmp")
        tmp.mkdir()
        conn = connect(tmp / "journal.sqlite")
        try:  # no transaction needed: nobody sees the folder before the rename
            conn.executescript(_JOURNAL_SCHEMA)
            conn.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?)",
                [(k, json.dumps(v)) for k, v in {**meta, "format": JOURNAL_FORMAT}.items()],
            )
        finally:
            conn.close()
        os.replace(tmp, job_dir)
        return cls.open(job_dir, meta["job_key"])

    @classmethod
    def open(cls, job_dir: Path, key: str) -> Journal:
        path = job_dir / "journal.sqlite"
        hint = f"delete {job_dir} (or run without --resume) to start over"
        if not path.is_file():
            raise RunSetupError(f"job dir {job_dir} is damaged (no journal.sqlite); {hint}")
        try:
            conn = connect(path)
            check = conn.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise RunSetupError(f"job dir {job_dir} is damaged ({check[0] if check else 'no answer'}); {hint}")
            meta = {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM meta")}
        except (sqlite3.Error, ValueError) as error:
            raise RunSetupError(f"job dir {job_dir} is damaged ({error}); {hint}") from None
        if meta.get("format") != JOURNAL_FORMAT or "run_id" not in meta:
            conn.close()
            raise RunSetupError(f"job dir {job_dir} is not a harvester journal of this version; {hint}")
        if meta.get("job_key") != key:
            conn.close()
            raise RunSetupError(f"job dir {job_dir} belongs to another job ({meta.get('job_key')}); {hint}")
        return cls(path, conn)

    def _write(self) -> None:
        """Open the grouping transaction if none is open (before a staging write)."""
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
        self._pending += 1

    def commit(self) -> None:
        """Make every staged row durable (the grouped transaction, if one is open)."""
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")
        self._pending = 0

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.conn.close()

    @property
    def meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    def set_meta(self, key: str, value: Any) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def done_pages(self) -> list[PageSummary]:
        out = []
        for page, url, blocks, fresh, first, last, total in self.conn.execute(
            "SELECT page, url, blocks, fresh, first, last, total FROM pages ORDER BY page"
        ):
            counts = Counts(first, last, total) if total is not None else None
            out.append(PageSummary(page, url, blocks, bool(fresh), counts))
        return out

    def mark_done(self, summary: PageSummary) -> None:
        """Mark a page done, committing it with the records staged before it (its own among them)."""
        counts = summary.counts
        self._write()
        self.conn.execute(
            "INSERT OR REPLACE INTO pages(page, url, blocks, fresh, first, last, total) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                summary.page,
                summary.url,
                summary.blocks,
                int(summary.fresh),
                counts.first if counts else None,
                counts.last if counts else None,
                counts.total if counts else None,
            ),
        )
        self.commit()

    def stage(self, key: str, record: dict[str, Any], status: str | None, digest: str | None) -> bool:
        """Keep a record for the run; False when this key was staged before (by the run before a resume)."""
        self._write()
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO items(key, id, status, hash, record) VALUES (?, ?, ?, ?, ?)",
            (key, record.get("id"), status, digest, dumps(ordered(record))),
        )
        if self._pending >= self.MAX_PENDING:
            self.commit()
        return cursor.rowcount == 1

    def quarantine(self, key: str, record: dict[str, Any], errors: list[str]) -> bool:
        self._write()
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO invalid(key, record, errors) VALUES (?, ?, ?)",
            (key, dumps(ordered(record)), dumps(errors)),
        )
        return cursor.rowcount == 1

    def status_counts(self) -> dict[str | None, int]:
        return dict(self.conn.execute("SELECT status, COUNT(*) FROM items GROUP BY status").fetchall())

    def item_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])

    def invalid_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM invalid").fetchone()[0])

    def records(self, statuses: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """Staged records in harvest order, optionally only those with one of ``statuses``."""
        for line in self.record_lines(statuses):
            yield json.loads(line)

    def record_lines(self, statuses: Iterable[str] | None = None) -> Iterator[str]:
        """:meth:`records` as staged: each one's JSON text (:func:`harvester.storage.state.dumps`), not decoded."""
        wanted = set(statuses) if statuses is not None else None
        for status, record in self.conn.execute("SELECT status, record FROM items ORDER BY seq"):
            if wanted is None or status in wanted:
                yield record

    def state_rows(self, default_seen: str) -> Iterator[tuple[str, str, str, str]]:
        for record_id, digest, record in self.conn.execute("SELECT id, hash, record FROM items ORDER BY seq"):
            seen = json.loads(record).get("crawled_at") or default_seen
            yield record_id, digest, record, seen

    def invalid(self) -> Iterator[dict[str, Any]]:
        for record, errors in self.conn.execute("SELECT record, errors FROM invalid ORDER BY seq"):
            yield {"record": json.loads(record), "errors": json.loads(errors)}


# --- the run -------------------------------------------------------------------------------------------------


class _Lock:
    """An exclusive ``flock`` on a file: the OS drops it when the process dies, so a kill never leaves it."""

    def __init__(self, path: Path, what: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        for _ in range(10):
            self.handle = open(path, "a+")  # noqa: SIM115 - held for the run's lifetime
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.handle.close()
                raise RunSetupError(f"{what} is in use by another harvester run ({path} is locked)") from None
            # The holder before us may have removed the file while we waited for it: lock the file on disk.
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(self.handle.fileno()).st_ino:
                    return
            self.handle.close()
        raise RunSetupError(f"{what}: cannot lock {path}")

    def release(self, *, remove: bool = False) -> None:
        if not self.handle.closed:
            if remove:
                with contextlib.suppress(OSError):
                    self.path.unlink()
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()


def preflight(plan: RunPlan) -> None:
    """Check before crawling what :meth:`Run.start` would refuse: a damaged state store or job dir, a job that
    is already running. Creates no file but the output folders."""
    lock = _Lock(plan.lock_path, f"job {plan.job_key}")
    try:
        if plan.tracked and plan.state_path.exists():
            try:
                StateStore.open(plan.state_path, create=False).close()
            except StateError as error:
                raise RunSetupError(str(error)) from None
        if plan.resume and plan.job_dir.exists():
            Journal.open(plan.job_dir, plan.job_key).close()
    finally:
        lock.release(remove=not plan.job_dir.exists())


@dataclass
class Finish:
    """What a finished (or interrupted) run wrote."""

    exit_code: int
    problems: list[str]
    run_path: Path | None = None
    manifest_path: Path | None = None
    records: int = 0


class Run:
    """A started run: the spider's read-only view (known ids, done pages) and the pipelines' journal."""

    def __init__(
        self, plan: RunPlan, journal: Journal, state: StateStore | None, lock: _Lock, resumed: bool
    ) -> None:
        self.plan = plan
        self.journal = journal
        self.state = state
        self.lock = lock
        self.resumed = resumed
        meta = journal.meta
        self.run_id: str = meta["run_id"]
        self.started_at: str = meta["started_at"]
        self.sessions: int = int(meta.get("sessions", 1))
        # Decided when the run started and kept across a resume, so that both sessions page alike.
        self.incremental = bool(meta.get("incremental"))

    @classmethod
    def start(cls, plan: RunPlan) -> Run:
        lock = _Lock(plan.lock_path, f"job {plan.job_key}")
        try:
            state = None
            if plan.tracked:
                try:
                    state = StateStore.open(plan.state_path)
                except StateError as error:
                    raise RunSetupError(str(error)) from None
            resumed = False
            for stale in plan.job_dir.parent.glob(f".{plan.job_dir.name}.*.tmp"):
                shutil.rmtree(stale, ignore_errors=True)
            if plan.job_dir.exists():
                if plan.resume:
                    journal = Journal.open(plan.job_dir, plan.job_key)
                    journal.set_meta("sessions", int(journal.meta.get("sessions", 1)) + 1)
                    resumed = True
                    logger.info("resuming run %s from %s", journal.meta["run_id"], plan.job_dir)
                else:
                    logger.warning(
                        "discarding the interrupted run in %s (pass --resume to continue it instead)", plan.job_dir
                    )
                    shutil.rmtree(plan.job_dir)
            if not resumed:
                if plan.resume:
                    logger.info("nothing to resume for job %s: starting a new run", plan.job_key)
                run_id = plan.run_id or new_run_id()
                journal = Journal.create(
                    plan.job_dir,
                    {
                        "job_key": plan.job_key,
                        "run_id": run_id,
                        "started_at": utc_now(),
                        "mode": plan.mode,
                        "arguments": plan.arguments,
                        "sessions": 1,
                        # Early stop needs something to stop at: with an empty store every record is new anyway.
                        "incremental": plan.mode == "incremental" and state is not None and len(state) > 0,
                    },
                )
        except BaseException:
            lock.release()
            raise
        return cls(plan, journal, state, lock, resumed)

    # --- the spider's view (read-only) ---

    def known(self, ids: Iterable[str]) -> set[str]:
        return self.state.known(ids) if self.state is not None else set()

    def done_pages(self) -> list[PageSummary]:
        return self.journal.done_pages()

    # --- the pipelines' side ---

    @property
    def run_path(self) -> Path:
        return self.plan.run_path(self.run_id)

    def classify(self, record: dict[str, Any]) -> tuple[str | None, str]:
        """``(status, hash)``: new, changed or unchanged against the state store (None without one)."""
        digest = content_hash(record)
        if self.state is None:
            return None, digest
        stored = self.state.hashes([record["id"]]).get(record["id"])
        if stored is None:
            return "new", digest
        return ("unchanged" if stored == digest else "changed"), digest

    def writes(self, status: str | None) -> bool:
        """Whether a record of this status goes to the run file."""
        return self.plan.mode != "incremental" or status in ("new", "changed")

    def totals(self) -> dict[str, int]:
        counts = self.journal.status_counts()
        written = sum(n for status, n in counts.items() if self.writes(status))
        out = {"records": written, "invalid": self.journal.invalid_count()}
        if self.state is not None:
            out.update({s: counts.get(s, 0) for s in ("new", "changed", "unchanged")})
        return out

    def finish(
        self,
        *,
        reason: str,
        exit_code: int,
        problems: list[str],
        facts: dict[str, Any],
        failed_pages: list[dict[str, str]],
    ) -> Finish:
        """Write the run's files (or, when interrupted, keep the journal for ``--resume``) and let go.

        Every step can be repeated: a run killed while finishing and then resumed finishes the same way."""
        try:
            if reason == INTERRUPTED:
                logger.warning(
                    "run %s interrupted: nothing final was written; continue it with --resume (journal: %s)",
                    self.run_id,
                    self.plan.job_dir,
                )
                return Finish(exit_code, problems)
            return self._finish(reason, exit_code, list(problems), facts, failed_pages)
        finally:
            self.release()

    def _finish(
        self,
        reason: str,
        exit_code: int,
        problems: list[str],
        facts: dict[str, Any],
        failed_pages: list[dict[str, str]],
    ) -> Finish:
        plan = self.plan
        statuses = ("new", "changed") if plan.mode == "incremental" else None
        run_path = self.run_path
        if not plan.tracked and exit_code != 0 and run_path.exists():
            # A failed one-off run does not replace an earlier export with its partial result.
            logger.warning("the run failed: %s was left as it was", run_path)
            self._remove_job()
            return Finish(exit_code, problems, None, None, 0)
        written = write_lines_atomically(run_path, self.journal.record_lines(statuses))
        invalid = self.journal.invalid_count()
        invalid_path = plan.invalid_path(self.run_id)
        if invalid:
            write_jsonl_atomically(invalid_path, self.journal.invalid())
        elif not plan.tracked:
            invalid_path.unlink(missing_ok=True)  # an earlier export's quarantine does not describe this one
        logger.info("wrote %d records to %s", written, run_path)
        if not plan.tracked:
            self._remove_job()
            return Finish(exit_code, problems, run_path, None, written)
        if exit_code == 0 and self.state is not None:
            with _source_lock(plan):
                self.state.commit(self.journal.state_rows(self.started_at))
                total = self.state.export(plan.dataset_path)
            logger.info("dataset: %d records in %s", total, plan.dataset_path)
        elif self.state is not None:
            logger.warning("the run failed: the state store and %s were left as they were", plan.dataset_path.name)
        manifest = self._manifest(
            reason, exit_code, problems, facts, failed_pages, run_path, written, invalid_path, invalid
        )
        manifest_path = plan.manifest_path(self.run_id)
        _write_json_atomically(manifest_path, manifest)
        self._remove_job()
        return Finish(exit_code, problems, run_path, manifest_path, written)

    def _manifest(
        self,
        reason: str,
        exit_code: int,
        problems: list[str],
        stats: dict[str, Any],
        failed: list[dict[str, str]],
        run_path: Path,
        written: int,
        invalid_path: Path,
        invalid: int,
    ) -> dict[str, Any]:
        totals = self.totals()
        unresolved = sum(
            1 for record in self.journal.records() for person in record.get("people") or [] if person.get("id") is None
        )
        return {
            "run_id": self.run_id,
            "source": self.plan.source,
            "mode": self.plan.mode,
            "arguments": {**self.plan.given_arguments, **self.plan.arguments},
            "job_key": self.plan.job_key,
            "started_at": self.started_at,
            "ended_at": utc_now(),
            "sessions": self.sessions,
            "finish_reason": reason,
            "exit_code": exit_code,
            "problems": problems,
            "counts": {
                "pages": len(self.journal.done_pages()),
                "failed_pages": len(failed),
                "records": written,
                "new": totals.get("new"),
                "changed": totals.get("changed"),
                "unchanged": totals.get("unchanged"),
                "invalid": invalid,
                "duplicates": int(stats.get("harvester/duplicates", 0)),
                "unresolved_names": unresolved,
            },
            "stopped_at_known_page": stats.get("harvester/stopped_at_known_page"),
            "coverage": {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("harvester/coverage/")},
            "failed_pages": failed,
            "output": {"path": run_path.name, "sha256": _sha256(run_path), "records": written},
            "invalid": {"path": invalid_path.name, "records": invalid} if invalid else None,
            "schema_version": SCHEMA_VERSION,
            "harvester_version": __version__,
        }

    def _remove_job(self) -> None:
        self.journal.close()
        shutil.rmtree(self.plan.job_dir, ignore_errors=True)

    def release(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.journal.close()
        if self.state is not None:
            self.state.close()
        self.lock.release(remove=not self.plan.job_dir.exists())


@contextlib.contextmanager
def _source_lock(plan: RunPlan) -> Iterator[None]:
    """Serialise state commits and dataset rewrites of concurrent jobs of one source (blocking)."""
    path = plan.source_dir / ".dataset.lock"
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
