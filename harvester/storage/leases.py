"""Host leases in a local SQLite table (the embedded backend): one crawl at a time per host on this machine.

A lease is a row ``(host, holder, job_key, expires_at)``. A crawl takes the lease of a host before its first
request there (:class:`harvester.crawl.leases.HostLeaseMiddleware`), renews it while it runs and gives it back at
the end; a crawl that dies without giving it back loses it when it expires. Taking is one statement (an upsert that only
overwrites an expired lease, the holder's own, or one of a dead run of the same job), so two crawls can never both
think they hold a host. A run of the same job: the new run holds the job's lock, so the earlier one is dead (killed,
its node lost) and its resume takes the host over at once instead of waiting for the lease to expire. The
PostgreSQL backend keeps the same table in the shared database (``harvester.storage.backends.postgres.leases``),
with the database's clock; here the clock is this machine's.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

_SCHEMA = """CREATE TABLE IF NOT EXISTS leases (
    host TEXT PRIMARY KEY, holder TEXT NOT NULL, job_key TEXT NOT NULL, expires_at REAL NOT NULL
)"""


class SqliteLeases:
    """The leases of one holder, in ``path`` (a table shared by every crawl of one output folder)."""

    def __init__(self, path: Path, holder: str, job_key: str, seconds: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.holder = holder
        self.job_key = job_key  # whose run holds the job's lock: a lease of the same job is a dead run's
        self.seconds = seconds
        self.held: set[str] = set()
        # One holder's calls never overlap, but they may come from another thread than the one that opened it.
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(_SCHEMA)

    def acquire(self, host: str) -> str | None:
        now = time.time()
        cursor = self.conn.execute(
            "INSERT INTO leases(host, holder, job_key, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT(host) DO UPDATE "
            "SET holder=excluded.holder, job_key=excluded.job_key, expires_at=excluded.expires_at "
            "WHERE leases.expires_at < ? OR leases.holder = excluded.holder OR leases.job_key = excluded.job_key",
            (host, self.holder, self.job_key, now + self.seconds, now),
        )
        if cursor.rowcount == 1:
            self.held.add(host)
            return None
        row = self.conn.execute("SELECT holder, expires_at FROM leases WHERE host = ?", (host,)).fetchone()
        if row is None:  # given back between the two statements: try once more
            return self.acquire(host)
        left = max(0.0, row[1] - time.time())
        return f"{row[0]} (its lease runs {left:.0f} s more unless renewed)"

    def renew(self) -> list[str]:
        if not self.held:
            return []
        now = time.time()
        kept = set()
        for host in sorted(self.held):
            cursor = self.conn.execute(
                "UPDATE leases SET expires_at = ? WHERE host = ? AND holder = ?",
                (now + self.seconds, host, self.holder),
            )
            if cursor.rowcount == 1:
                kept.add(host)
        lost = sorted(self.held - kept)
        self.held = kept
        return lost

    def release(self) -> None:
        try:
            for host in sorted(self.held):
                self.conn.execute("DELETE FROM leases WHERE host = ? AND holder = ?", (host, self.holder))
            self.held.clear()
        finally:
            self.conn.close()
