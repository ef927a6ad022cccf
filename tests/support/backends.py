"""The state backends a test runs against (``state_backend`` in conftest.py): SQLite files, or a database of the
session's PostgreSQL server; what a test asks of a run's journal from outside the crawl, on either."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

JOURNALS = "wilson/jobs/*/journal.sqlite"


@dataclass(frozen=True)
class StateBackendUnderTest:
    name: str  # "sqlite" or "postgresql"
    url: str  # HARVESTER_STATE_URL: "" for the SQLite files

    def __str__(self) -> str:
        return self.name

    @property
    def settings(self) -> tuple[str, ...]:
        """The ``-s`` options of a crawl on this backend."""
        return ("-s", f"HARVESTER_STATE_URL={self.url}") if self.url else ()

    def _pg(self):
        import psycopg

        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def done_pages(self, out: Path, journals: str = JOURNALS) -> int:
        """Pages the running (or killed) run has marked done; 0 before its journal exists."""
        if self.url:
            import psycopg

            try:
                with self._pg() as conn:
                    return int(conn.execute("SELECT COUNT(*) FROM harvester_pages").fetchone()[0])
            except psycopg.errors.UndefinedTable:  # before the first run made the tables
                return 0
        for journal in out.glob(journals):
            conn = sqlite3.connect(journal, timeout=5)
            try:
                return int(conn.execute("SELECT COUNT(*) FROM pages").fetchone()[0])
            except sqlite3.Error:
                return 0
            finally:
                conn.close()
        return 0

    def kept_details(self, out: Path, journals: str = JOURNALS) -> set[str]:
        """The document URLs whose details (or failure) the running or killed run's journal kept (--details)."""
        if self.url:
            with self._pg() as conn:
                return {url for (url,) in conn.execute("SELECT url FROM harvester_details")}
        found: set[str] = set()
        for journal in out.glob(journals):
            conn = sqlite3.connect(journal, timeout=5)
            try:
                found.update(url for (url,) in conn.execute("SELECT url FROM details"))
            finally:
                conn.close()
        return found

    def forget_pages_and_last_items(self, out: Path, items: int) -> int:
        """What a kill between staging a page's records and marking it done leaves: no done page and the last
        ``items`` staged records missing. The records left."""
        if self.url:
            with self._pg() as conn:
                conn.execute("DELETE FROM harvester_pages")
                conn.execute(
                    "DELETE FROM harvester_items WHERE seq IN (SELECT seq FROM harvester_items ORDER BY seq DESC "
                    "LIMIT %s)",
                    (items,),
                )
                return int(conn.execute("SELECT COUNT(*) FROM harvester_items").fetchone()[0])
        journal = next(out.glob(JOURNALS))
        conn = sqlite3.connect(journal)
        try:
            conn.execute("DELETE FROM pages")
            conn.execute("DELETE FROM items WHERE seq IN (SELECT seq FROM items ORDER BY seq DESC LIMIT ?)", (items,))
            conn.commit()
            return int(conn.execute("SELECT COUNT(*) FROM items").fetchone()[0])
        finally:
            conn.close()

    def journals(self, out: Path) -> int:
        """Journals of unfinished runs (0 once every run finished)."""
        if self.url:
            with self._pg() as conn:
                return int(conn.execute("SELECT COUNT(*) FROM harvester_journals").fetchone()[0])
        return len(list((out / "wilson" / "jobs").glob("*/journal.sqlite")))
