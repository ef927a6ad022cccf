"""The scheduler's book in a local SQLite file (the embedded backend): what was submitted, how runs ended.

``<output dir>/.schedule.sqlite`` holds two small tables, one row a job key:

``submissions``
    the last time ``harvester schedule`` handed the job to a scrapyd node: the scrapyd job id (which names the
    run), the node, when (the scheduler's clock), and why (resume, lost, retry, due).
``finishes``
    how the job's last run ended, written by the run itself when it finishes (:meth:`harvester.storage.run.Run.finish`):
    the name it was given (the scrapyd job id), its run id, exit code and finish reason. A run killed with
    ``kill -9`` writes nothing: its journal says it is unfinished.

A submission whose job id has a finish is done; one without is still pending, running, or lost (its node died
before the run started). The PostgreSQL twin is :mod:`harvester.storage.backends.postgres.schedule`.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from harvester.storage.plan import utc_now

BOOK_FILE = ".schedule.sqlite"

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS submissions (job_key TEXT PRIMARY KEY, job_id TEXT NOT NULL, node TEXT NOT NULL, "
    "submitted_at TEXT NOT NULL, reason TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS finishes (job_key TEXT PRIMARY KEY, job_id TEXT, run_id TEXT NOT NULL, "
    "exit_code INTEGER NOT NULL, reason TEXT NOT NULL, finished_at TEXT NOT NULL)",
)


@dataclass(frozen=True)
class Submission:
    job_id: str
    node: str
    submitted_at: str  # %Y-%m-%dT%H:%M:%SZ, UTC
    reason: str  # why it was submitted: resume, lost, retry or due (harvester.scheduling.decide)


@dataclass(frozen=True)
class Finished:
    job_id: str | None  # the name the run was given (scrapyd's job id), None for a run started by hand
    run_id: str
    exit_code: int
    reason: str
    finished_at: str


def _submissions(rows: list[tuple]) -> dict[str, Submission]:
    return {row[0]: Submission(row[1], row[2], row[3], row[4]) for row in rows}


def _finishes(rows: list[tuple]) -> dict[str, Finished]:
    return {row[0]: Finished(row[1], row[2], int(row[3]), row[4], row[5]) for row in rows}


class SqliteScheduleBook:
    def __init__(self, output_dir: Path) -> None:
        self.output_dir = Path(output_dir)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.output_dir / BOOK_FILE, isolation_level=None, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        for statement in _SCHEMA:
            self.conn.execute(statement)

    def submissions(self) -> dict[str, Submission]:
        return _submissions(self.conn.execute("SELECT * FROM submissions").fetchall())

    def finishes(self) -> dict[str, Finished]:
        return _finishes(self.conn.execute("SELECT * FROM finishes").fetchall())

    def record_submission(self, job_key: str, submission: Submission) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO submissions VALUES (?, ?, ?, ?, ?)",
            (job_key, submission.job_id, submission.node, submission.submitted_at, submission.reason),
        )

    def record_finish(self, job_key: str, job_id: str | None, run_id: str, exit_code: int, reason: str) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO finishes VALUES (?, ?, ?, ?, ?, ?)",
            (job_key, job_id, run_id, exit_code, reason, utc_now()),
        )

    def leased_hosts(self) -> dict[str, str]:
        """Hosts whose lease has not expired (``.hosts.sqlite``, :mod:`harvester.storage.leases`): host -> job key."""
        path = self.output_dir / ".hosts.sqlite"
        if not path.is_file():
            return {}
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            rows = conn.execute("SELECT host, job_key FROM leases WHERE expires_at >= ?", (time.time(),)).fetchall()
        except sqlite3.OperationalError:  # no table yet
            rows = []
        finally:
            conn.close()
        return dict(rows)

    def close(self) -> None:
        self.conn.close()
