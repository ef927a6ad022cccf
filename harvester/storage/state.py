"""The state store: every record a source has ever yielded, in one SQLite file (``output/<source>/state.sqlite``).

It remembers each record's id, a hash of its content, when it was first and last seen, and its latest
version. Incremental runs classify records against it (new, changed, unchanged); the spider reads it to stop
paging a newest-first listing at the first page of known records; ``dataset.jsonl`` is exported from it.

Only a run's finish writes here (one transaction, after a successful run), so a killed or failed run leaves
the store as it was and a resumed run classifies its records exactly as the uninterrupted run would have.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from harvester.errors import StateError, StorageError
from harvester.storage import failures
from harvester.storage.files import write_jsonl_atomically
from harvester.storage.jsontext import canonical, loads

STORE_FORMAT = "1"


# The fields whose change makes a record "changed": what the archive says about the document. Where it
# showed up (page, position, listing_url), when it was crawled, the host in its URL and the contract version
# are not content.
CONTENT_FIELDS = (
    "node_id",
    "title",
    "summary",
    "date_raw",
    "date",
    "date_precision",
    "date_end",
    "date_approximate",
    "doc_type",
    "doc_number",
    "people",
    "organisations",
    "extra",  # compared only when present: records of sources without extras hash as they did before 1.1.0
    # compared only when present (--details): records without a document page hash as they did before 1.3.0
    "doc_type_archive",
    "details",
)
#: Content fields left out of the hash while they are null (records of earlier contracts hash as they did).
_WHEN_PRESENT = ("extra", "doc_type_archive", "details")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    record TEXT NOT NULL
);
"""


def _hostless(value: Any) -> Any:
    """``value`` with every http(s) URL cut to its path and query: the host a page was fetched from (a mirror,
    the replica on another port) is not content, as for a record's own ``url``."""
    if isinstance(value, str):
        if value.startswith(("http://", "https://")):
            parts = urlsplit(value)
            return urlunsplit(("", "", parts.path, parts.query, parts.fragment))
        return value
    if isinstance(value, dict):
        return {k: _hostless(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hostless(v) for v in value]
    return value


def content_hash(record: dict[str, Any]) -> str:
    content = {name: record.get(name) for name in CONTENT_FIELDS}
    for name in _WHEN_PRESENT:
        if content[name] is None:
            del content[name]
    if "details" in content:  # the document page's links and the archive's evidence on people carry the host
        content["details"] = _hostless(content["details"])
        content["people"] = _hostless(content["people"])
    return hashlib.sha256(canonical(content)).hexdigest()


def _open_error(error: sqlite3.Error, path: Path) -> StateError | StorageError:
    """A store that cannot be written (full disk, permission) is not called damaged."""
    if failures.is_write_failure(error):
        return StorageError(f"the state store {failures.describe(error, path)}")
    return StateError(f"{path}: the state store is damaged or not SQLite ({error})")


def _remove_store(path: Path) -> None:
    for leftover in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        with contextlib.suppress(OSError):
            leftover.unlink()


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the settings every harvester SQLite file uses (WAL, autocommit, a busy timeout)."""
    if readonly:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None, timeout=30)
    else:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class StateStore:
    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> StateStore:
        """Open (and with ``create``, make) the store; :class:`StateError` when it is damaged or foreign,
        :class:`StorageError` when it cannot be written (a full disk is not a damaged store). A store this call
        began to create and could not finish is removed again."""
        path = Path(path)
        new = not path.exists()
        if new and not create:
            raise StateError(f"{path}: no state store")
        if not new and not os.access(path, os.R_OK | os.W_OK):
            raise StateError(f"{path}: cannot read and write the state store: permission denied")
        try:
            return cls(path, cls._connect(path))
        except (StateError, StorageError):
            if new:
                _remove_store(path)
            raise

    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            # WAL only once the file is known to be a harvester store: a foreign file is left as it was.
            conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        except OSError as error:
            raise StorageError(f"the state store {failures.describe(error, path)}") from None
        except sqlite3.Error as error:
            raise _open_error(error, path) from None
        try:
            check = conn.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise StateError(f"{path}: the state store is damaged ({check[0] if check else 'no answer'})")
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if tables and not {"meta", "records"} <= tables:
                raise StateError(f"{path}: not a harvester state store (tables: {', '.join(sorted(tables))})")
            if tables:  # an existing store: check its format before anything is written to it
                row = conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
                if row is not None and row[0] != STORE_FORMAT:
                    raise StateError(f"{path}: state store format {row[0]!r}, this harvester reads {STORE_FORMAT!r}")
            conn.executescript(_SCHEMA)
            row = conn.execute("SELECT value FROM meta WHERE key='format'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta(key, value) VALUES ('format', ?)", (STORE_FORMAT,))
            elif row[0] != STORE_FORMAT:
                raise StateError(f"{path}: state store format {row[0]!r}, this harvester reads {STORE_FORMAT!r}")
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as error:
            conn.close()
            raise _open_error(error, path) from None
        except StateError:
            conn.close()
            raise
        return conn

    def close(self) -> None:
        self.conn.close()

    def __len__(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def hashes(self, ids: Iterable[str]) -> dict[str, str]:
        """The stored content hash of each of ``ids`` that the store knows."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            out.update(self.conn.execute(f"SELECT id, hash FROM records WHERE id IN ({marks})", chunk))  # noqa: S608
        return out

    def known(self, ids: Iterable[str]) -> set[str]:
        return set(self.hashes(ids))

    def records(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The latest stored version of each of ``ids`` that the store knows."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(f"SELECT id, record FROM records WHERE id IN ({marks})", chunk)  # noqa: S608
            out.update((record_id, loads(record)) for record_id, record in rows)
        return out

    def commit(self, rows: Iterable[tuple[str, str, str, str]], *, then: Callable[[], int] | None = None) -> int:
        """Record a run's records in one transaction: ``(id, hash, record_json, seen_at)`` each; the number of
        rows, or what ``then`` returns: ``then`` runs inside the transaction (it sees the new rows) and the
        transaction commits only if it returns.

        Idempotent: committing the same rows again changes nothing (a run killed after this step and resumed
        commits again)."""
        count = 0
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for record_id, digest, record_json, seen_at in rows:
                self.conn.execute(
                    "INSERT INTO records(id, hash, first_seen, last_seen, record) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET hash=excluded.hash, record=excluded.record, "
                    "last_seen=max(last_seen, excluded.last_seen), first_seen=min(first_seen, excluded.first_seen)",
                    (record_id, digest, seen_at, seen_at, record_json),
                )
                count += 1
            if then is not None:
                count = then()
            self.conn.execute("COMMIT")
        except BaseException:
            # SQLite may have rolled back already (disk full): the original error is the one to report.
            if self.conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            raise
        return count

    def dataset(self) -> Iterator[dict[str, Any]]:
        """Every record's latest version with ``first_seen`` and ``last_seen``, in id order."""
        for record_json, first_seen, last_seen in self.conn.execute(
            "SELECT record, first_seen, last_seen FROM records ORDER BY id"
        ):
            record = loads(record_json)
            record["first_seen"] = first_seen
            record["last_seen"] = last_seen
            yield record

    def export(self, path: Path) -> int:
        """Rewrite ``path`` (the consolidated dataset) atomically from the store; the number of lines."""
        return write_jsonl_atomically(path, self.dataset())
