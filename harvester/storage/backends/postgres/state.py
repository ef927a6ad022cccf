"""One source's records in the shared database: the PostgreSQL twin of :class:`harvester.storage.state.StateStore`.

Same rows (id, content hash, first and last seen, the latest version as the JSON text a run staged), same rules:
only a successful run's finish writes, in one transaction that also exports the dataset and writes the manifest
(``then``), so a killed or failed run leaves the state as it was; committing the same rows again changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

from harvester.storage.files import write_jsonl_atomically
from harvester.storage.jsontext import loads

BATCH = 1000

_UPSERT = (
    "INSERT INTO harvester_records(source, id, hash, first_seen, last_seen, record) VALUES (%s, %s, %s, %s, %s, %s) "
    "ON CONFLICT (source, id) DO UPDATE SET hash = excluded.hash, record = excluded.record, "
    "last_seen = GREATEST(harvester_records.last_seen, excluded.last_seen), "
    "first_seen = LEAST(harvester_records.first_seen, excluded.first_seen)"
)


class PgStateStore:
    def __init__(self, conn: Any, source: str) -> None:
        self.conn = conn  # the backend's autocommit session (not closed here)
        self.source = source

    def close(self) -> None:
        return None

    def __len__(self) -> int:
        row = self.conn.execute("SELECT COUNT(*) FROM harvester_records WHERE source = %s", (self.source,)).fetchone()
        return int(row[0])

    def hashes(self, ids: Iterable[str]) -> dict[str, str]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        for start in range(0, len(wanted), BATCH):
            rows = self.conn.execute(
                "SELECT id, hash FROM harvester_records WHERE source = %s AND id = ANY(%s)",
                (self.source, wanted[start : start + BATCH]),
            )
            out.update(rows.fetchall())
        return out

    def known(self, ids: Iterable[str]) -> set[str]:
        return set(self.hashes(ids))

    def records(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The latest stored version of each of ``ids`` that the store knows."""
        wanted = list(dict.fromkeys(ids))
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(wanted), BATCH):
            rows = self.conn.execute(
                "SELECT id, record FROM harvester_records WHERE source = %s AND id = ANY(%s)",
                (self.source, wanted[start : start + BATCH]),
            )
            out.update((record_id, loads(record)) for record_id, record in rows.fetchall())
        return out

    def commit(self, rows: Iterable[tuple[str, str, str, str]], *, then: Callable[[], int] | None = None) -> int:
        """Record a run's ``(id, hash, record_json, seen_at)`` rows in one transaction; ``then`` runs inside it
        (it sees the new rows) and the transaction commits only if it returns."""
        count = 0
        source = self.source
        with self.conn.transaction(), self.conn.cursor() as cursor:
            iterator = iter(rows)
            while batch := list(islice(iterator, BATCH)):
                cursor.executemany(_UPSERT, [(source, i, h, seen, seen, record) for i, h, record, seen in batch])
                count += len(batch)
            if then is not None:
                count = then()
        return count

    def dataset(self) -> Iterator[dict[str, Any]]:
        """Every record's latest version with ``first_seen`` and ``last_seen``, in id order (byte order)."""
        last = None
        while True:
            rows = self.conn.execute(
                "SELECT id, record, first_seen, last_seen FROM harvester_records WHERE source = %s "
                "AND (%s::text IS NULL OR id > %s) ORDER BY id LIMIT %s",
                (self.source, last, last, BATCH),
            ).fetchall()
            for record_id, record_json, first_seen, last_seen in rows:
                record = loads(record_json)
                record["first_seen"] = first_seen
                record["last_seen"] = last_seen
                yield record
                last = record_id
            if len(rows) < BATCH:
                return

    def export(self, path: Path) -> int:
        return write_jsonl_atomically(path, self.dataset())
