"""The shared backend: one PostgreSQL database (psycopg 3) holds the state of every node.

Tables (created on first use, under an advisory lock so that two nodes starting at once do not race):
``harvester_records`` (each source's records: latest version, hash, first and last seen),
``harvester_journals`` with ``harvester_pages``, ``harvester_items`` and ``harvester_invalid`` (run journals, keyed
by job key, so a run killed on one node resumes on another), ``harvester_leases`` (host leases). Job locks and the
per-source commit lock are advisory locks, held by a session: a node that dies drops them with its connection
(its sessions ask the server for TCP keepalives, so a node that vanishes without closing them is noticed in
about a minute, not the operating system's two hours).

Ids, job keys and hosts are ``COLLATE "C"``: the dataset is exported in the same byte order as from SQLite,
whatever the database's locale.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harvester.errors import RunSetupError, StateError
from harvester.storage.backends import POSTGRES
from harvester.storage.plan import RunPlan

STORE_FORMAT = "1"

try:
    import psycopg
    from psycopg.conninfo import conninfo_to_dict
except ImportError:  # the optional extra: pip install 'harvester[postgres]'
    psycopg = None  # type: ignore[assignment]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS harvester_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS harvester_records (
    source text COLLATE "C" NOT NULL, id text COLLATE "C" NOT NULL, hash text NOT NULL,
    first_seen text COLLATE "C" NOT NULL, last_seen text COLLATE "C" NOT NULL, record text NOT NULL,
    PRIMARY KEY (source, id)
);
CREATE TABLE IF NOT EXISTS harvester_journals (
    job_key text COLLATE "C" PRIMARY KEY, source text NOT NULL, meta jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS harvester_pages (
    job_key text COLLATE "C" NOT NULL REFERENCES harvester_journals ON DELETE CASCADE, page integer NOT NULL,
    url text NOT NULL, blocks integer NOT NULL, fresh boolean NOT NULL, first integer, last integer, total integer,
    PRIMARY KEY (job_key, page)
);
CREATE TABLE IF NOT EXISTS harvester_items (
    job_key text COLLATE "C" NOT NULL REFERENCES harvester_journals ON DELETE CASCADE,
    seq bigint GENERATED ALWAYS AS IDENTITY, key text COLLATE "C" NOT NULL, id text, status text, hash text,
    record text NOT NULL, PRIMARY KEY (job_key, key)
);
CREATE INDEX IF NOT EXISTS harvester_items_order ON harvester_items (job_key, seq);
CREATE TABLE IF NOT EXISTS harvester_invalid (
    job_key text COLLATE "C" NOT NULL REFERENCES harvester_journals ON DELETE CASCADE,
    seq bigint GENERATED ALWAYS AS IDENTITY, key text COLLATE "C" NOT NULL, record text NOT NULL,
    errors text NOT NULL, PRIMARY KEY (job_key, key)
);
CREATE TABLE IF NOT EXISTS harvester_leases (
    host text COLLATE "C" PRIMARY KEY, holder text NOT NULL, job_key text NOT NULL, expires_at timestamptz NOT NULL
);
"""

# The document pages a run fetched (--details): made on every start, also in a database made before --details.
_DETAILS_SCHEMA = """
CREATE TABLE IF NOT EXISTS harvester_details (
    job_key text COLLATE "C" NOT NULL REFERENCES harvester_journals ON DELETE CASCADE, id text COLLATE "C" NOT NULL,
    url text NOT NULL, details text, failure text, PRIMARY KEY (job_key, id)
);
"""

# A session's server-side TCP keepalives: a node that vanishes (power, network) loses its locks in ~60 s.
_KEEPALIVES = (
    "SELECT set_config('tcp_keepalives_idle', '30', false), set_config('tcp_keepalives_interval', '10', false), "
    "set_config('tcp_keepalives_count', '3', false)"
)


def lock_key(kind: str, name: str) -> int:
    """The 64-bit advisory lock key of a job (``kind`` "job") or a source ("source")."""
    digest = hashlib.sha256(f"harvester:{kind}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def describe(url: str) -> str:
    """The state URL without its password, for messages and logs."""
    try:
        parts = conninfo_to_dict(url)
    except psycopg.Error:
        return "postgresql://(an unreadable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


def connect(url: str, *, autocommit: bool = True) -> Any:
    """A session with the settings every harvester connection uses; :class:`StateError` when it cannot be had."""
    if psycopg is None:
        raise StateError(
            "HARVESTER_STATE_URL names PostgreSQL but psycopg is not installed: pip install 'harvester[postgres]'"
        )
    try:
        conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=10, application_name="harvester")
        conn.execute(_KEEPALIVES)
        if not autocommit:
            conn.commit()
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        raise StateError(f"cannot reach the state database {describe(url)}: {reason}") from None
    return conn


def ensure_schema(conn: Any, where: str) -> None:
    """Create the tables if this database has none; refuse a database of another format."""
    with conn.transaction():
        if conn.execute("SELECT to_regclass('harvester_meta')").fetchone()[0] is None:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("schema", "harvester"),))
            conn.execute(_SCHEMA)
            conn.execute(
                "INSERT INTO harvester_meta(key, value) VALUES ('format', %s) ON CONFLICT DO NOTHING", (STORE_FORMAT,)
            )
        row = conn.execute("SELECT value FROM harvester_meta WHERE key = 'format'").fetchone()
        if row is not None and row[0] == STORE_FORMAT and conn.execute(
            "SELECT to_regclass('harvester_details')"
        ).fetchone()[0] is None:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("schema", "harvester"),))
            conn.execute(_DETAILS_SCHEMA)
    if row is None or row[0] != STORE_FORMAT:
        found = row[0] if row else None
        raise StateError(f"{where}: state database format {found!r}, this harvester reads {STORE_FORMAT!r}")


class PgJobLock:
    """``pg_try_advisory_lock`` on the job key, in a session of its own: dropped when that session ends."""

    def __init__(self, url: str, where: str, job: str) -> None:
        self.conn = connect(url)
        try:
            held = self.conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key("job", job),)).fetchone()[0]
        except BaseException:
            self.conn.close()
            raise
        if not held:
            self.conn.close()
            raise RunSetupError(f"job {job} is in use by another harvester run (its lock is held in {where})")

    def release(self) -> None:
        self.conn.close()


class PostgresBackend:
    name = POSTGRES

    def __init__(self, url: str, conn: Any) -> None:
        self.url = url
        self.where = describe(url)
        self.conn = conn  # autocommit: state reads and commits, the source lock, journal bookkeeping

    @classmethod
    def connect(cls, url: str) -> PostgresBackend:
        conn = connect(url)
        try:
            ensure_schema(conn, describe(url))
        except psycopg.Error as error:
            conn.close()
            raise StateError(f"{describe(url)}: cannot set up the state tables: {error}") from None
        except BaseException:
            conn.close()
            raise
        return cls(url, conn)

    def describe(self) -> str:
        return f"the state database {self.where}"

    def job_lock(self, plan: RunPlan) -> PgJobLock:
        return PgJobLock(self.url, self.where, plan.job_key)

    @contextlib.contextmanager
    def source_lock(self, plan: RunPlan) -> Iterator[None]:
        key = lock_key("source", plan.source)
        self.conn.execute("SELECT pg_advisory_lock(%s)", (key,))
        try:
            yield
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (key,))

    def local_paths(self, plan: RunPlan) -> list[Path]:
        return []

    def open_state(self, plan: RunPlan) -> Any:
        from harvester.storage.backends.postgres.state import PgStateStore

        return PgStateStore(self.conn, plan.source)

    def check_state(self, plan: RunPlan) -> None:
        return None  # the tables and their format were checked when the backend connected

    def state_missing(self, plan: RunPlan) -> str | None:
        row = self.conn.execute("SELECT 1 FROM harvester_records WHERE source = %s LIMIT 1", (plan.source,)).fetchone()
        return None if row else f"{self.describe()} holds no records of {plan.source}"

    def journal_exists(self, plan: RunPlan) -> bool:
        row = self.conn.execute("SELECT 1 FROM harvester_journals WHERE job_key = %s", (plan.job_key,)).fetchone()
        return row is not None

    def create_journal(self, plan: RunPlan, meta: dict[str, Any]) -> Any:
        from harvester.storage.backends.postgres.journal import PgJournal

        return PgJournal.create(connect(self.url, autocommit=False), plan, meta, self.describe())

    def open_journal(self, plan: RunPlan) -> Any:
        from harvester.storage.backends.postgres.journal import PgJournal

        return PgJournal.open(connect(self.url, autocommit=False), plan, self.describe())

    def discard_journal(self, plan: RunPlan) -> None:
        self.conn.execute("DELETE FROM harvester_journals WHERE job_key = %s", (plan.job_key,))

    def clean_stale(self, plan: RunPlan) -> None:
        return None  # a journal is one row, inserted in one transaction: never half made

    def leases(self, plan: RunPlan, holder: str, seconds: float) -> Any:
        from harvester.storage.backends.postgres.leases import PgLeases

        return PgLeases(connect(self.url), holder, plan.job_key, seconds)

    def job_running(self, plan: RunPlan) -> bool:
        """Whether some session holds the job's advisory lock (``pg_locks``: looked at, not taken)."""
        key = lock_key("job", plan.job_key) & 0xFFFFFFFFFFFFFFFF
        row = self.conn.execute(
            "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s AND objid = %s "
            "AND objsubid = 1 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (key >> 32, key & 0xFFFFFFFF),
        ).fetchone()
        return row is not None

    def schedule_book(self, plan: RunPlan, create: bool = True) -> Any:
        from harvester.storage.backends.postgres.schedule import PgScheduleBook

        if not create and self.conn.execute("SELECT to_regclass('harvester_finishes')").fetchone()[0] is None:
            return None  # no scheduler has used this database: a run books nothing
        return PgScheduleBook(self.conn)

    def close(self) -> None:
        self.conn.close()
