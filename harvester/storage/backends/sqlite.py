"""The embedded backend: SQLite files and OS file locks in the node's output folder (the default).

``<source>/state.sqlite`` (:mod:`harvester.storage.state`), ``<source>/jobs/<job key>/journal.sqlite``
(:mod:`harvester.storage.journal`), ``<source>/jobs/<job key>.lock`` and ``<source>/.dataset.lock``
(:mod:`harvester.storage.locks`), ``<output dir>/.hosts.sqlite`` (:mod:`harvester.storage.leases`). Everything is
local to one machine: never on NFS or another network file system (``docs/state.md`` says why).
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from harvester.errors import RunSetupError, StateError
from harvester.storage.backends import SQLITE
from harvester.storage.journal import Journal
from harvester.storage.leases import SqliteLeases
from harvester.storage.locks import JobLock, source_lock
from harvester.storage.plan import RunPlan
from harvester.storage.schedule import BOOK_FILE, SqliteScheduleBook
from harvester.storage.state import StateStore

LEASES_FILE = ".hosts.sqlite"


class _JobLockHandle:
    """The job's file lock (its lock file goes when the run ends: storage/locks.py)."""

    def __init__(self, plan: RunPlan) -> None:
        self.plan = plan
        self.lock = JobLock(plan.lock_path, f"job {plan.job_key}")

    def release(self) -> None:
        self.lock.release()


class SqliteBackend:
    name = SQLITE

    def describe(self) -> str:
        return "the SQLite files of the output folder"

    def job_lock(self, plan: RunPlan) -> _JobLockHandle:
        return _JobLockHandle(plan)

    def source_lock(self, plan: RunPlan) -> AbstractContextManager[None]:
        return source_lock(plan)

    def local_paths(self, plan: RunPlan) -> list[Path]:
        paths = [plan.job_dir, plan.lock_path]
        if plan.tracked:
            paths += [plan.state_path, plan.source_dir / ".dataset.lock", plan.job_dir.parent]
        return paths

    def open_state(self, plan: RunPlan) -> StateStore:
        return StateStore.open(plan.state_path)

    def check_state(self, plan: RunPlan) -> None:
        if plan.state_path.exists():
            StateStore.open(plan.state_path, create=False).close()

    def state_missing(self, plan: RunPlan) -> str | None:
        state = plan.state_path
        size = state.stat().st_size if state.is_file() else None
        if size:
            return None
        return f"{state} is " + ("empty (0 bytes)" if size == 0 else "missing")

    def journal_exists(self, plan: RunPlan) -> bool:
        return plan.job_dir.exists()

    def create_journal(self, plan: RunPlan, meta: dict[str, Any]) -> Journal:
        return Journal.create(plan.job_dir, meta)

    def open_journal(self, plan: RunPlan) -> Journal:
        return Journal.open(plan.job_dir, plan.job_key)

    def discard_journal(self, plan: RunPlan) -> None:
        shutil.rmtree(plan.job_dir, ignore_errors=True)

    def clean_stale(self, plan: RunPlan) -> None:
        """Half-built job dirs of runs killed while creating their journal."""
        for stale in plan.job_dir.parent.glob(f".{plan.job_dir.name}.*.tmp"):
            shutil.rmtree(stale, ignore_errors=True)

    def leases(self, plan: RunPlan, holder: str, seconds: float) -> SqliteLeases | None:
        """Leases shared by the tracked runs of one output folder; a one-off run (``--out FILE``) writes nothing
        but its file, so it holds none."""
        if not plan.tracked:
            return None
        path = Path(plan.output_dir) / LEASES_FILE
        if path.is_symlink():
            raise RunSetupError(f"{path} is a symbolic link: replace the link with what it points to")
        try:
            return SqliteLeases(path, holder, plan.job_key, seconds)
        except (OSError, sqlite3.Error) as error:
            raise StateError(f"{path}: cannot open the host leases: {error}") from None

    def job_running(self, plan: RunPlan) -> bool:
        """Try the job's file lock and give it straight back: a lock held means a run of the job is alive. No
        lock file: no run holds it (a run keeps its lock file while it runs)."""
        if not plan.lock_path.exists():
            return False
        try:
            JobLock(plan.lock_path, f"job {plan.job_key}").release()
        except RunSetupError:
            return True
        return False

    def schedule_book(self, plan: RunPlan, create: bool = True) -> SqliteScheduleBook | None:
        """None when ``create`` is false and no scheduler has made the book (a run never litters the folder)."""
        if not create and not (Path(plan.output_dir) / BOOK_FILE).is_file():
            return None
        return SqliteScheduleBook(plan.output_dir)

    def close(self) -> None:
        return None
