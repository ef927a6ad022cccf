"""A run's journal in the shared database, keyed by its job key: the PostgreSQL twin of
:class:`harvester.storage.journal.Journal` (same methods, same commit grouping).

Because the key is the job key and not a folder on one node, a run killed on one node is resumed by the same job
on any other (``--resume``): done pages are skipped, records already staged are dropped, none lost, none twice.
Staged and quarantined rows go into the session's open transaction, which the next page-done mark commits (or
:meth:`commit`, :meth:`close`, every :attr:`MAX_PENDING` rows); a page's records are committed with or before its
mark, never after.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from psycopg.types.json import Jsonb

from harvester.errors import RunSetupError
from harvester.model import Counts, PageSummary
from harvester.storage.journal import JOURNAL_FORMAT
from harvester.storage.jsontext import dumps, loads
from harvester.storage.plan import RunPlan, ordered

BATCH = 1000


class PgJournal:
    MAX_PENDING = 1000

    def __init__(self, conn: Any, job_key: str) -> None:
        self.conn = conn  # its own session, not autocommit: the grouping transaction
        self.job_key = job_key
        self._pending = 0

    @classmethod
    def create(cls, conn: Any, plan: RunPlan, meta: dict[str, Any], where: str) -> PgJournal:
        try:
            conn.execute(
                "INSERT INTO harvester_journals(job_key, source, meta) VALUES (%s, %s, %s)",
                (plan.job_key, plan.source, Jsonb({**meta, "format": JOURNAL_FORMAT})),
            )
            conn.commit()
        except BaseException:
            conn.close()
            raise
        return cls(conn, plan.job_key)

    @classmethod
    def open(cls, conn: Any, plan: RunPlan, where: str) -> PgJournal:
        hint = f"run without --resume to start over (or delete job {plan.job_key} from {where})"
        try:
            row = conn.execute("SELECT meta FROM harvester_journals WHERE job_key = %s", (plan.job_key,)).fetchone()
            conn.commit()
        except BaseException:
            conn.close()
            raise
        if row is None:
            conn.close()
            raise RunSetupError(f"job {plan.job_key} has no journal in {where}; {hint}")
        meta = row[0]
        if not isinstance(meta, dict) or meta.get("format") != JOURNAL_FORMAT or "run_id" not in meta:
            conn.close()
            raise RunSetupError(f"job {plan.job_key} in {where} is not a harvester journal of this version; {hint}")
        return cls(conn, plan.job_key)

    def _write(self) -> None:
        self._pending += 1

    def commit(self) -> None:
        self.conn.commit()
        self._pending = 0

    def close(self) -> None:
        if self.conn.closed:
            return
        try:
            self.commit()
        finally:
            self.conn.close()

    def _rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql, (self.job_key, *params)).fetchall()

    @property
    def meta(self) -> dict[str, Any]:
        return dict(self._rows("SELECT meta FROM harvester_journals WHERE job_key = %s")[0][0])

    def set_meta(self, key: str, value: Any) -> None:
        self.conn.execute(
            "UPDATE harvester_journals SET meta = meta || jsonb_build_object(%s::text, %s::jsonb) WHERE job_key = %s",
            (key, Jsonb(value), self.job_key),
        )
        self.commit()

    def done_pages(self) -> list[PageSummary]:
        out = []
        for page, url, blocks, fresh, first, last, total in self._rows(
            "SELECT page, url, blocks, fresh, first, last, total FROM harvester_pages WHERE job_key = %s ORDER BY page"
        ):
            counts = Counts(first, last, total) if total is not None else None
            out.append(PageSummary(page, url, blocks, bool(fresh), counts))
        return out

    def mark_done(self, summary: PageSummary) -> None:
        counts = summary.counts
        self._write()
        self.conn.execute(
            "INSERT INTO harvester_pages(job_key, page, url, blocks, fresh, first, last, total) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (job_key, page) DO UPDATE SET url = excluded.url, "
            "blocks = excluded.blocks, fresh = excluded.fresh, first = excluded.first, last = excluded.last, "
            "total = excluded.total",
            (
                self.job_key,
                summary.page,
                summary.url,
                summary.blocks,
                bool(summary.fresh),
                counts.first if counts else None,
                counts.last if counts else None,
                counts.total if counts else None,
            ),
        )
        self.commit()

    def stage(self, key: str, record: dict[str, Any], status: str | None, digest: str | None) -> bool:
        self._write()
        cursor = self.conn.execute(
            "INSERT INTO harvester_items(job_key, key, id, status, hash, record) VALUES (%s, %s, %s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (self.job_key, key, record.get("id"), status, digest, dumps(ordered(record))),
        )
        if self._pending >= self.MAX_PENDING:
            self.commit()
        return cursor.rowcount == 1

    def quarantine(self, key: str, record: dict[str, Any], errors: list[str]) -> bool:
        self._write()
        cursor = self.conn.execute(
            "INSERT INTO harvester_invalid(job_key, key, record, errors) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            (self.job_key, key, dumps(ordered(record)), dumps(errors)),
        )
        return cursor.rowcount == 1

    def keep_details(self, record_id: str, url: str, details: dict[str, Any] | None, failure: str | None) -> None:
        """What a record's document page gave, committed at once (with whatever was staged before it)."""
        self._write()
        self.conn.execute(
            "INSERT INTO harvester_details(job_key, id, url, details, failure) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (job_key, id) DO UPDATE SET url = excluded.url, details = excluded.details, "
            "failure = excluded.failure",
            (self.job_key, record_id, url, None if details is None else dumps(details), failure),
        )
        self.commit()

    def kept_details(self, ids: Iterable[str]) -> dict[str, tuple[str, dict[str, Any] | None, str | None]]:
        wanted = list(dict.fromkeys(ids))
        out: dict[str, tuple[str, dict[str, Any] | None, str | None]] = {}
        for start in range(0, len(wanted), BATCH):
            for record_id, url, details, failure in self._rows(
                "SELECT id, url, details, failure FROM harvester_details WHERE job_key = %s AND id = ANY(%s)",
                wanted[start : start + BATCH],
            ):
                out[record_id] = (url, None if details is None else loads(details), failure)
        return out

    def status_counts(self) -> dict[str | None, int]:
        return dict(self._rows("SELECT status, COUNT(*) FROM harvester_items WHERE job_key = %s GROUP BY status"))

    def item_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM harvester_items WHERE job_key = %s")[0][0])

    def invalid_count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM harvester_invalid WHERE job_key = %s")[0][0])

    def _in_order(self, table: str, columns: str) -> Iterator[tuple[Any, ...]]:
        """Rows of ``table`` (harvester_items or harvester_invalid) in staging order, a batch at a time."""
        last = 0
        while True:
            rows = self._rows(
                f"SELECT seq, {columns} FROM {table} WHERE job_key = %s AND seq > %s ORDER BY seq LIMIT %s",  # noqa: S608
                last,
                BATCH,
            )
            for row in rows:
                yield row[1:]
            if len(rows) < BATCH:
                return
            last = rows[-1][0]

    def records(self, statuses: Iterable[str] | None = None) -> Iterator[dict[str, Any]]:
        for line in self.record_lines(statuses):
            yield loads(line)

    def record_lines(self, statuses: Iterable[str] | None = None) -> Iterator[str]:
        wanted = set(statuses) if statuses is not None else None
        for status, record in self._in_order("harvester_items", "status, record"):
            if wanted is None or status in wanted:
                yield record

    def state_rows(self, default_seen: str) -> Iterator[tuple[str, str, str, str]]:
        for record_id, digest, record in self._in_order("harvester_items", "id, hash, record"):
            seen = loads(record).get("crawled_at") or default_seen
            yield record_id, digest, record, seen

    def invalid(self) -> Iterator[dict[str, Any]]:
        for record, errors in self._in_order("harvester_invalid", "record, errors"):
            yield {"record": loads(record), "errors": json.loads(errors)}
