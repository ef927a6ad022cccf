"""The journal that makes a run resumable: its identity, done pages, staged and quarantined records (SQLite).

Why a journal of our own rather than Scrapy's JOBDIR: Scrapy persists its request queue index only when it
closes cleanly, so after ``kill -9`` a JOBDIR can hold fingerprints of pages never parsed (they would be
skipped: records lost). Every record that passed the pipelines is staged here (the run's dedupe set), and a
page is marked done only after all its records were staged, in the same commit (one commit a page, not one a
record: a kill loses only staged records of pages not marked done). A resume skips done pages, re-fetches the
rest, and drops records already staged: none lost, none twice.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from harvester.errors import RunSetupError, StorageError
from harvester.model import Counts, PageSummary
from harvester.storage import failures
from harvester.storage.jsontext import dumps, loads
from harvester.storage.plan import ordered
from harvester.storage.state import connect

JOURNAL_FORMAT = "1"


# The document pages a run fetched (--details), kept the moment each one is read, so that a resumed run never
# fetches one twice. IF NOT EXISTS: made on open too, in a journal of a harvester that had no --details.
_DETAILS_TABLE = (
    "CREATE TABLE IF NOT EXISTS details (id TEXT PRIMARY KEY, url TEXT NOT NULL, details TEXT, failure TEXT);"
)

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
""" + _DETAILS_TABLE


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
        tmp = job_dir.with_name(f".{job_dir.name}.{secrets.token_hex(4)}.tmp")
        try:
            job_dir.parent.mkdir(parents=True, exist_ok=True)
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
        except (OSError, sqlite3.Error) as error:
            shutil.rmtree(tmp, ignore_errors=True)  # a journal that could not be made leaves nothing behind
            if not failures.is_write_failure(error):
                raise
            raise StorageError(f"the run's journal {failures.describe(error, job_dir.parent)}") from None
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
        try:
            conn.execute(_DETAILS_TABLE)
        except sqlite3.Error as error:
            conn.close()
            raise RunSetupError(f"job dir {job_dir} is damaged ({error}); {hint}") from None
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
        """Keep a record for the run; False when this key was staged before (by the run before a resume).
        ``digest`` (the content hash for the state store) is None in a run without one."""
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

    def keep_details(self, record_id: str, url: str, details: dict[str, Any] | None, failure: str | None) -> None:
        """What a record's document page gave (its details, or why it failed), committed at once with whatever
        was staged before it: a kill after this never fetches the page again."""
        self._write()
        self.conn.execute(
            "INSERT OR REPLACE INTO details(id, url, details, failure) VALUES (?, ?, ?, ?)",
            (record_id, url, None if details is None else dumps(details), failure),
        )
        self.commit()

    def kept_details(self, ids: Iterable[str]) -> dict[str, tuple[str, dict[str, Any] | None, str | None]]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, tuple[str, dict[str, Any] | None, str | None]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for record_id, url, details, failure in self.conn.execute(
                f"SELECT id, url, details, failure FROM details WHERE id IN ({marks})", chunk  # noqa: S608
            ):
                out[record_id] = (url, None if details is None else loads(details), failure)
        return out

    def status_counts(self) -> dict[str | None, int]:
        return dict(self.conn.execute("SELECT status, COUNT(*) FROM items GROUP BY status").fetchall())

    def item_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])

    def invalid_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM invalid").fetchone()[0])

    def records(self, statuses: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        """Staged records in harvest order, optionally only those with one of ``statuses``."""
        for line in self.record_lines(statuses):
            yield loads(line)

    def record_lines(self, statuses: Iterable[str] | None = None) -> Iterator[str]:
        """:meth:`records` as staged: each one's JSON text (:func:`harvester.storage.state.dumps`), not decoded."""
        wanted = set(statuses) if statuses is not None else None
        for status, record in self.conn.execute("SELECT status, record FROM items ORDER BY seq"):
            if wanted is None or status in wanted:
                yield record

    def state_rows(self, default_seen: str) -> Iterator[tuple[str, str, str, str]]:
        for record_id, digest, record in self.conn.execute("SELECT id, hash, record FROM items ORDER BY seq"):
            seen = loads(record).get("crawled_at") or default_seen
            yield record_id, digest, record, seen

    def invalid(self) -> Iterator[dict[str, Any]]:
        for record, errors in self.conn.execute("SELECT record, errors FROM invalid ORDER BY seq"):
            yield {"record": loads(record), "errors": json.loads(errors)}
