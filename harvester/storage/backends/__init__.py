"""Where a run's state lives: the seam between a run and its storage engine, chosen once from the state URL.

``HARVESTER_STATE_URL`` unset (or ``sqlite:``)
    :class:`~harvester.storage.backends.sqlite.SqliteBackend`, the embedded default: per-source SQLite files in
    the node's output folder (``state.sqlite``, ``jobs/<job key>/journal.sqlite``), OS file locks, host leases in
    ``<output dir>/.hosts.sqlite``. One machine.
``postgresql://...``
    :class:`~harvester.storage.backends.postgres.PostgresBackend`: the same things in one shared database (psycopg
    3), journals keyed by job key (a run resumes on any node), job and source locks as advisory locks (released
    when the session dies), host leases as rows with an expiry. Many machines.

Both hold the same things with the same semantics (``docs/state.md``): records' latest versions with first and
last seen; the run journal (identity, done pages, staged and quarantined records); a job lock (one run of a job
at a time, dropped when its process dies); a source lock (commits to one source's state are serialised); host
leases. Run files, manifests and ``dataset.jsonl`` are always written to the node's output folder, atomically.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

from harvester.errors import RunSetupError, StateError
from harvester.model import PageSummary
from harvester.storage.plan import RunPlan

SQLITE, POSTGRES = "sqlite", "postgresql"


class JournalStore(Protocol):
    """A run's journal: identity (``meta``), done pages, staged and quarantined records."""

    def commit(self) -> None: ...
    def close(self) -> None: ...
    @property
    def meta(self) -> dict[str, Any]: ...
    def set_meta(self, key: str, value: Any) -> None: ...
    def done_pages(self) -> list[PageSummary]: ...
    def mark_done(self, summary: PageSummary) -> None: ...
    def stage(self, key: str, record: dict[str, Any], status: str | None, digest: str | None) -> bool: ...
    def quarantine(self, key: str, record: dict[str, Any], errors: list[str]) -> bool: ...
    def status_counts(self) -> dict[str | None, int]: ...
    def item_count(self) -> int: ...
    def invalid_count(self) -> int: ...
    def records(self, statuses: Iterable[str] | None = None) -> Iterator[dict[str, Any]]: ...
    def record_lines(self, statuses: Iterable[str] | None = None) -> Iterator[str]: ...
    def state_rows(self, default_seen: str) -> Iterator[tuple[str, str, str, str]]: ...
    def invalid(self) -> Iterator[dict[str, Any]]: ...
    def keep_details(self, record_id: str, url: str, details: dict[str, Any] | None, failure: str | None) -> None:
        """Keep (and commit at once) what a record's document page gave: its details, or why it failed."""
        ...
    def kept_details(self, ids: Iterable[str]) -> dict[str, tuple[str, dict[str, Any] | None, str | None]]:
        """``id -> (url, details, failure)`` of the document pages this run already fetched (before a resume)."""
        ...


class RecordStore(Protocol):
    """One source's records: latest version, content hash, first and last seen."""

    def close(self) -> None: ...
    def __len__(self) -> int: ...
    def hashes(self, ids: Iterable[str]) -> dict[str, str]: ...
    def known(self, ids: Iterable[str]) -> set[str]: ...
    def records(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]: ...
    def commit(self, rows: Iterable[tuple[str, str, str, str]], *, then: Any = None) -> int: ...
    def dataset(self) -> Iterator[dict[str, Any]]: ...
    def export(self, path: Any) -> int: ...


class Held(Protocol):
    """A lock held until :meth:`release` (or until its process dies)."""

    def release(self) -> None: ...


class HostLeases(Protocol):
    """Per-host leases of one holder (a crawl): taken before a host is requested, renewed, given back."""

    holder: str

    def acquire(self, host: str) -> str | None:
        """None when this holder has (now holds) ``host``; else who holds it, for the message."""
        ...

    def renew(self) -> list[str]:
        """Extend every lease held; the hosts whose lease was lost (expired and taken by another holder)."""
        ...

    def release(self) -> None: ...


class StateBackend(Protocol):
    name: str

    def describe(self) -> str:
        """Where the state is, for messages (no password)."""
        ...

    def job_lock(self, plan: RunPlan) -> Held:
        """The job's lock, not waiting: :class:`RunSetupError` when another run of the job holds it."""
        ...

    def source_lock(self, plan: RunPlan) -> AbstractContextManager[None]:
        """Serialise state commits and dataset exports of one source (waits)."""
        ...

    def local_paths(self, plan: RunPlan) -> list[Path]:
        """The files and folders of the output folder the backend writes (none must be a symbolic link)."""
        ...

    def open_state(self, plan: RunPlan) -> RecordStore: ...

    def check_state(self, plan: RunPlan) -> None:
        """:class:`StateError` when the source's state is damaged or foreign (a missing one is fine)."""
        ...

    def state_missing(self, plan: RunPlan) -> str | None:
        """Why the source's state is missing or empty ("missing", "empty ..."), or None when it holds records."""
        ...

    def journal_exists(self, plan: RunPlan) -> bool: ...
    def create_journal(self, plan: RunPlan, meta: dict[str, Any]) -> JournalStore: ...
    def open_journal(self, plan: RunPlan) -> JournalStore: ...
    def discard_journal(self, plan: RunPlan) -> None: ...
    def clean_stale(self, plan: RunPlan) -> None: ...
    def leases(self, plan: RunPlan, holder: str, seconds: float) -> HostLeases | None:
        """The leases of ``holder``, a run of ``plan``'s job that holds the job's lock (so a lease of the same job
        is a dead run's, and is taken over); None where this backend keeps none for the plan."""
        ...
    def job_running(self, plan: RunPlan) -> bool:
        """Whether a run of the plan's job holds its lock now (read by the scheduler, never waits)."""
        ...

    def schedule_book(self, plan: RunPlan, create: bool = True) -> Any:
        """The scheduler's book (submissions, finishes, leased hosts: :mod:`harvester.storage.schedule`); None
        when ``create`` is false and there is none (a run books its finish only where a scheduler keeps a book)."""
        ...

    def close(self) -> None: ...


def scheme(url: str) -> str:
    """:data:`SQLITE` or :data:`POSTGRES` for a ``HARVESTER_STATE_URL``; :class:`RunSetupError` for anything else."""
    text = (url or "").strip()
    if text in ("", "sqlite:", "sqlite://"):
        return SQLITE
    if text.startswith(("postgresql://", "postgres://")):
        return POSTGRES
    raise RunSetupError(
        f"HARVESTER_STATE_URL {text.split('@')[-1]!r} is not a state URL: leave it empty (or 'sqlite:') for the "
        "embedded SQLite files, or give postgresql://user@host:port/database"
    )


def open_backend(plan: RunPlan) -> StateBackend:
    """The backend the plan's state URL names (chosen once, by :meth:`harvester.storage.run.Run.start`)."""
    if scheme(plan.state_url) == POSTGRES:
        from harvester.storage.backends.postgres import PostgresBackend

        return PostgresBackend.connect(plan.state_url)
    from harvester.storage.backends.sqlite import SqliteBackend

    return SqliteBackend()


def database_errors() -> tuple[type[BaseException], ...]:
    """What the database engines raise (a damaged file, a lost connection, a refused statement). psycopg's errors
    only once psycopg is loaded: a process that never used PostgreSQL cannot meet them, and importing psycopg
    just to name them cost every SQLite crawl 70 ms."""
    psycopg = sys.modules.get("psycopg")
    return (sqlite3.Error,) if psycopg is None else (sqlite3.Error, psycopg.Error)


def storage_errors() -> tuple[type[BaseException], ...]:
    """What storage raises when it fails under a run: the engines' errors, the disk's (full, read-only)."""
    return (OSError, StateError, *database_errors())
