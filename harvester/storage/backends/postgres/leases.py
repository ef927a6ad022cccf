"""Host leases in the shared database: at most one crawl per host across every node.

The twin of :class:`harvester.storage.leases.SqliteLeases`, with the database's clock (``now()``), so that nodes
whose clocks disagree still agree on when a lease expires. Taking a lease is one upsert that overwrites only an
expired lease, the holder's own, or one of a dead run of the same job (the taker holds the job's lock, so that run
is dead: its resume on another node takes the host over at once): two nodes asking at once cannot both get it.
"""

from __future__ import annotations

from typing import Any

_TAKE = (
    "INSERT INTO harvester_leases(host, holder, job_key, expires_at) "
    "VALUES (%s, %s, %s, now() + make_interval(secs => %s)) ON CONFLICT (host) DO UPDATE SET "
    "holder = excluded.holder, job_key = excluded.job_key, expires_at = excluded.expires_at "
    "WHERE harvester_leases.expires_at < now() OR harvester_leases.holder = excluded.holder "
    "OR harvester_leases.job_key = excluded.job_key"
)


class PgLeases:
    def __init__(self, conn: Any, holder: str, job_key: str, seconds: float) -> None:
        self.conn = conn  # a session of its own, autocommit
        self.holder = holder
        self.job_key = job_key
        self.seconds = float(seconds)
        self.held: set[str] = set()

    def acquire(self, host: str) -> str | None:
        if self.conn.execute(_TAKE, (host, self.holder, self.job_key, self.seconds)).rowcount == 1:
            self.held.add(host)
            return None
        row = self.conn.execute(
            "SELECT holder, GREATEST(0, EXTRACT(EPOCH FROM expires_at - now()))::float FROM harvester_leases "
            "WHERE host = %s",
            (host,),
        ).fetchone()
        if row is None:  # given back between the two statements
            return self.acquire(host)
        return f"{row[0]} (its lease runs {row[1]:.0f} s more unless renewed)"

    def renew(self) -> list[str]:
        if not self.held:
            return []
        rows = self.conn.execute(
            "UPDATE harvester_leases SET expires_at = now() + make_interval(secs => %s) "
            "WHERE holder = %s AND host = ANY(%s) RETURNING host",
            (self.seconds, self.holder, sorted(self.held)),
        ).fetchall()
        kept = {row[0] for row in rows}
        lost = sorted(self.held - kept)
        self.held = kept
        return lost

    def release(self) -> None:
        if self.conn.closed:
            return
        try:
            if self.held:
                self.conn.execute(
                    "DELETE FROM harvester_leases WHERE holder = %s AND host = ANY(%s)",
                    (self.holder, sorted(self.held)),
                )
            self.held.clear()
        finally:
            self.conn.close()
