"""The scheduler's book in the shared database: the twin of :mod:`harvester.storage.schedule`.

``harvester_submissions`` (the last submission of each job key) and ``harvester_finishes`` (how each job's last
run ended, written by the run), created on first use; and the unexpired host leases (``harvester_leases``), with
the database's clock.
"""

from __future__ import annotations

from typing import Any

from harvester.storage.backends.postgres import lock_key
from harvester.storage.schedule import Submission, _finishes, _submissions

_SCHEMA = """
CREATE TABLE IF NOT EXISTS harvester_submissions (
    job_key text COLLATE "C" PRIMARY KEY, job_id text NOT NULL, node text NOT NULL, submitted_at text NOT NULL,
    reason text NOT NULL
);
CREATE TABLE IF NOT EXISTS harvester_finishes (
    job_key text COLLATE "C" PRIMARY KEY, job_id text, run_id text NOT NULL, exit_code integer NOT NULL,
    reason text NOT NULL, finished_at text NOT NULL
);
"""


class PgScheduleBook:
    def __init__(self, conn: Any) -> None:
        self.conn = conn  # the backend's autocommit session
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("schema", "schedule"),))
            conn.execute(_SCHEMA)

    def submissions(self) -> dict[str, Submission]:
        return _submissions(self.conn.execute(
            "SELECT job_key, job_id, node, submitted_at, reason FROM harvester_submissions").fetchall())

    def finishes(self) -> dict[str, Any]:
        return _finishes(self.conn.execute(
            "SELECT job_key, job_id, run_id, exit_code, reason, finished_at FROM harvester_finishes").fetchall())

    def record_submission(self, job_key: str, submission: Submission) -> None:
        self.conn.execute(
            "INSERT INTO harvester_submissions VALUES (%s, %s, %s, %s, %s) ON CONFLICT (job_key) DO UPDATE SET "
            "job_id = excluded.job_id, node = excluded.node, submitted_at = excluded.submitted_at, "
            "reason = excluded.reason",
            (job_key, submission.job_id, submission.node, submission.submitted_at, submission.reason),
        )

    def record_finish(self, job_key: str, job_id: str | None, run_id: str, exit_code: int, reason: str) -> None:
        self.conn.execute(
            "INSERT INTO harvester_finishes VALUES (%s, %s, %s, %s, %s, to_char(now() AT TIME ZONE 'UTC', "
            "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) ON CONFLICT (job_key) DO UPDATE SET job_id = excluded.job_id, "
            "run_id = excluded.run_id, exit_code = excluded.exit_code, reason = excluded.reason, "
            "finished_at = excluded.finished_at",
            (job_key, job_id, run_id, exit_code, reason),
        )

    def leased_hosts(self) -> dict[str, str]:
        rows = self.conn.execute("SELECT host, job_key FROM harvester_leases WHERE expires_at >= now()").fetchall()
        return dict(rows)

    def close(self) -> None:
        return None  # the backend's session: closed with the backend
