"""A started run: the spider's read-only view (known ids, done pages), the pipelines' journal, and the finish.

The run file is written from the journal when the run ends, under a temporary name, then renamed; then the
state store is committed and the dataset exported (successful tracked runs only); the manifest last. Where the
state store, the journal and the locks live is the backend's business (:mod:`harvester.storage.backends`: SQLite
files by default, or a shared PostgreSQL database), chosen once from the plan's state URL by :meth:`Run.start`.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvester import __version__
from harvester.errors import RunSetupError, StateError, StorageError
from harvester.model import PageSummary
from harvester.records import SCHEMA_VERSION
from harvester.storage import failures
from harvester.storage.backends import (
    HostLeases,
    JournalStore,
    RecordStore,
    StateBackend,
    database_errors,
    open_backend,
    storage_errors,
)
from harvester.storage.files import write_json_atomically, write_jsonl_atomically, write_lines_atomically
from harvester.storage.plan import RunPlan, new_run_id, utc_now
from harvester.storage.state import content_hash

logger = logging.getLogger(__name__)


# The finish reason of a run stopped by Ctrl-C or SIGTERM: it stays resumable, nothing final is written.
INTERRUPTED = "shutdown"
# The finish reason of a crawl whose host another crawl holds (harvester.crawl.leases): resumable, nothing final
# written, exit code 75 (harvester.errors.RETRY_LATER).
HOST_BUSY = "host_busy"
RESUMABLE = (INTERRUPTED, HOST_BUSY)


def check_layout(plan: RunPlan, backend: StateBackend) -> None:
    """Refuse a layout a run must not write into: a symbolic link inside the output folder (it would send files
    elsewhere), and a state store that is missing or empty while the dataset holds records (a new store would
    replace the dataset with this run's records alone)."""
    paths = backend.local_paths(plan)
    if plan.tracked:
        paths = [plan.source_dir, plan.runs_dir, plan.dataset_path, *paths]
    for path in paths:
        if path.is_symlink():
            raise RunSetupError(
                f"{path} is a symbolic link: a run writes only real files and folders inside its output folder; "
                "replace the link with what it points to"
            )
    if not plan.tracked:
        return
    dataset = plan.dataset_path
    if dataset.is_file() and dataset.stat().st_size > 0:
        missing = backend.state_missing(plan)
        if missing:
            raise RunSetupError(
                f"{missing} but {dataset} holds records: a new state store would replace the dataset with "
                f"this run's records alone. Put the state store back (from a backup), or move {dataset.name} away "
                "as well to start this source afresh"
            )


def preflight(plan: RunPlan) -> None:
    """Check before crawling what :meth:`Run.start` would refuse: a damaged state store or job dir, a job that
    is already running, a state database that cannot be reached. Creates no file but the output folders."""
    backend = _backend(plan)
    try:
        check_layout(plan, backend)
        lock = backend.job_lock(plan)
        try:
            if plan.tracked:
                try:
                    backend.check_state(plan)
                except StateError as error:
                    raise RunSetupError(str(error)) from None
            if plan.resume and backend.journal_exists(plan):
                backend.open_journal(plan).close()
        finally:
            lock.release()
    except database_errors() as error:
        if isinstance(error, OSError | sqlite3.Error) and failures.is_write_failure(error):
            raise StorageError(f"the run cannot start: {failures.describe(error, plan.output_dir)}") from None
        raise RunSetupError(f"{backend.describe()}: {error}") from None
    finally:
        backend.close()


def remove_litter(plan: RunPlan, backend: StateBackend) -> None:
    """Remove what an earlier run of this job left when it was killed (``kill -9``, a power cut) while writing:
    a half-made journal (``backend.clean_stale``) and the ``.part`` files of its run file, quarantine, manifest
    and of the dataset export. Called with the job's lock held; the dataset's under the source lock, since
    another job of the source may be exporting it right now."""
    backend.clean_stale(plan)
    targets: list[Path] = []
    if not plan.tracked:
        targets = [plan.run_path(""), plan.invalid_path("")]
    elif backend.journal_exists(plan):
        with contextlib.suppress(RunSetupError, *storage_errors()):  # a damaged journal: reported by the start
            journal = backend.open_journal(plan)
            try:
                run_id = journal.meta["run_id"]
            finally:
                journal.close()
            targets = [plan.run_path(run_id), plan.invalid_path(run_id), plan.manifest_path(run_id)]
    for target in targets:
        for part in target.parent.glob(f".{target.name}.*.part"):
            part.unlink(missing_ok=True)
    if plan.tracked and plan.source_dir.is_dir():
        with backend.source_lock(plan):
            for part in plan.source_dir.glob(f".{plan.dataset_path.name}.*.part"):
                part.unlink(missing_ok=True)


def _backend(plan: RunPlan) -> StateBackend:
    try:
        return open_backend(plan)
    except StateError as error:
        raise RunSetupError(str(error)) from None


@dataclass
class Finish:
    """What a finished (or interrupted) run wrote."""

    exit_code: int
    problems: list[str]
    run_path: Path | None = None
    manifest_path: Path | None = None
    records: int = 0


class Run:
    """A started run: the spider's read-only view (known ids, done pages) and the pipelines' journal."""

    def __init__(
        self,
        plan: RunPlan,
        backend: StateBackend,
        journal: JournalStore,
        state: RecordStore | None,
        lock: Any,
        resumed: bool,
    ) -> None:
        self.plan = plan
        self.backend = backend
        self.journal = journal
        self.state = state
        self.lock = lock
        self.resumed = resumed
        self._leases: HostLeases | None = None
        meta = journal.meta
        self.run_id: str = meta["run_id"]
        self.started_at: str = meta["started_at"]
        self.sessions: int = int(meta.get("sessions", 1))
        self.resumed_from: str | None = meta.get("resumed_from")  # the run id of the job this one resumed
        # Decided when the run started and kept across a resume, so that both sessions page alike.
        self.incremental = bool(meta.get("incremental"))

    @classmethod
    def start(cls, plan: RunPlan) -> Run:
        backend = _backend(plan)
        try:
            check_layout(plan, backend)
            lock = backend.job_lock(plan)
        except BaseException:
            backend.close()
            raise
        state = None
        try:
            if plan.tracked:
                try:
                    state = backend.open_state(plan)
                except StateError as error:
                    raise RunSetupError(str(error)) from None
            resumed = False
            remove_litter(plan, backend)
            if backend.journal_exists(plan):
                if plan.resume:
                    journal = backend.open_journal(plan)
                    journal.set_meta("sessions", int(journal.meta.get("sessions", 1)) + 1)
                    resumed = True
                    earlier = journal.meta["run_id"]
                    if plan.run_id and plan.run_id != earlier:
                        # A new scrapyd job (or HARVESTER_RUN_ID) resuming: the run takes the new job's name, so
                        # this job has files of its own; the manifest says which run it resumed.
                        journal.set_meta("run_id", plan.run_id)
                        journal.set_meta("resumed_from", earlier)
                        journal.set_meta("earlier_run_ids", [*journal.meta.get("earlier_run_ids", []), earlier])
                    logger.info("resuming run %s of job %s (%s)", journal.meta["run_id"], plan.job_key,
                                backend.describe())  # fmt: skip
                else:
                    logger.warning(
                        "discarding the interrupted run of job %s (%s; pass --resume to continue it instead)",
                        plan.job_key, backend.describe(),
                    )  # fmt: skip
                    backend.discard_journal(plan)
            if not resumed:
                if plan.resume:
                    logger.info("nothing to resume for job %s: starting a new run", plan.job_key)
                run_id = plan.run_id or _unused_run_id(plan)
                journal = backend.create_journal(
                    plan,
                    {
                        "job_key": plan.job_key,
                        "run_id": run_id,
                        "started_at": utc_now(),
                        "mode": plan.mode,
                        "arguments": plan.arguments,
                        "sessions": 1,
                        # Early stop needs something to stop at: with an empty store every record is new anyway.
                        "incremental": plan.mode == "incremental" and state is not None and len(state) > 0,
                    },
                )
        except BaseException as error:
            if state is not None:
                state.close()
            lock.release()
            backend.close()
            if isinstance(error, OSError | sqlite3.Error) and failures.is_write_failure(error):
                # a file of the run that cannot be made: the disk, permissions
                where = Path(error.filename) if isinstance(error, OSError) and error.filename else plan.job_dir.parent
                raise StorageError(f"the run cannot start: {failures.describe(error, where)}") from None
            if isinstance(error, database_errors()):
                raise RunSetupError(f"{backend.describe()}: {error}") from None
            raise
        return cls(plan, backend, journal, state, lock, resumed)

    # --- the spider's view (read-only) ---

    def known(self, ids: Iterable[str]) -> set[str]:
        return self.state.known(ids) if self.state is not None else set()

    def done_pages(self) -> list[PageSummary]:
        return self.journal.done_pages()

    def stored(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """The state store's latest version of each of ``ids`` it knows (none in a one-off run): what the
        ``--details`` stage compares a listing row with before it follows the row to its document page."""
        return self.state.records(ids) if self.state is not None else {}

    def host_leases(self, seconds: float) -> HostLeases | None:
        """This run's host leases (made on first use, given back by :meth:`release`); None where the backend
        keeps none for this run (a one-off run with the SQLite files)."""
        if self._leases is None:
            holder = f"{socket.gethostname()}/{os.getpid()}/{self.run_id}"
            self._leases = self.backend.leases(self.plan, holder, seconds)
        return self._leases

    # --- the pipelines' side ---

    @property
    def run_path(self) -> Path:
        return self.plan.run_path(self.run_id)

    def classify(self, record: dict[str, Any]) -> tuple[str | None, str | None]:
        """``(status, hash)``: new, changed or unchanged against the state store, and the content hash the store
        keeps; ``(None, None)`` without a store (a one-off run: no state is committed, the hash has no use)."""
        if self.state is None:
            return None, None
        digest = content_hash(record)
        stored = self.state.hashes([record["id"]]).get(record["id"])
        if stored is None:
            return "new", digest
        return ("unchanged" if stored == digest else "changed"), digest

    def writes(self, status: str | None) -> bool:
        """Whether a record of this status goes to the run file."""
        return self.plan.mode != "incremental" or status in ("new", "changed")

    def totals(self) -> dict[str, int]:
        counts = self.journal.status_counts()
        written = sum(n for status, n in counts.items() if self.writes(status))
        out = {"records": written, "invalid": self.journal.invalid_count()}
        if self.state is not None:
            out.update({s: counts.get(s, 0) for s in ("new", "changed", "unchanged")})
        return out

    def finish(
        self,
        *,
        reason: str,
        exit_code: int,
        problems: list[str],
        facts: dict[str, Any],
        failed_pages: list[dict[str, str]],
        failed_details: list[dict[str, str]] | None = None,
    ) -> Finish:
        """Write the run's files (or, when interrupted, keep the journal for ``--resume``) and let go.

        Every step can be repeated: a run killed while finishing and then resumed finishes the same way."""
        try:
            if reason in RESUMABLE:
                logger.warning(
                    "run %s %s: nothing final was written; continue it with --resume (job %s, %s)",
                    self.run_id,
                    "interrupted" if reason == INTERRUPTED else "stopped: its host is leased by another crawl",
                    self.plan.job_key,
                    self.backend.describe(),
                )
                manifest_path = None
                if self.plan.tracked and self.plan.run_id == self.run_id:
                    # Named by its job (scrapyd's job id, HARVESTER_RUN_ID): the job leaves a manifest that says it
                    # was interrupted and can be resumed. A run named at random keeps its id for --resume instead.
                    manifest = self._manifest(reason, exit_code, problems, facts, failed_pages, None, 0, None, 0,
                                              failed_details or [])
                    manifest_path = self.plan.manifest_path(self.run_id)
                    write_json_atomically(manifest_path, manifest)
                if reason == HOST_BUSY and not self.resumed and not self.journal.item_count() \
                        and not self.journal.done_pages():
                    self._remove_job()  # nothing was fetched: no empty journal left to discard or resume
                self._book_finish(reason, exit_code)
                return Finish(exit_code, problems, None, manifest_path)
            done = self._finish(reason, exit_code, list(problems), facts, failed_pages, failed_details or [])
            self._book_finish(reason, exit_code)
            return done
        finally:
            self.release()

    def _book_finish(self, reason: str, exit_code: int) -> None:
        """Tell the scheduler's book how the job's run ended (``harvester schedule`` reads it; a run started by
        hand is booked too, without a job id). A book that cannot be written costs the scheduler a resubmission,
        never the run."""
        if not self.plan.tracked:
            return
        try:
            book = self.backend.schedule_book(self.plan, create=False)
            if book is None:
                return
            try:
                book.record_finish(self.plan.job_key, self.plan.run_id, self.run_id, exit_code, reason)
            finally:
                book.close()
        except storage_errors() as error:
            logger.warning("the scheduler's book was not told how job %s ended: %s", self.plan.job_key, error)

    def _finish(
        self,
        reason: str,
        exit_code: int,
        problems: list[str],
        facts: dict[str, Any],
        failed_pages: list[dict[str, str]],
        failed_details: list[dict[str, str]],
    ) -> Finish:
        plan = self.plan
        statuses = ("new", "changed") if plan.mode == "incremental" else None
        run_path = self.run_path
        if not plan.tracked and exit_code != 0 and (run_path.exists() or not self.totals()["records"]):
            # A failed one-off run does not replace an earlier export with its partial result, and a failed one
            # with no record at all leaves no empty file behind.
            if run_path.exists():
                logger.warning("the run failed: %s was left as it was", run_path)
            self._remove_job()
            return Finish(exit_code, problems, None, None, 0)
        if not plan.tracked and run_path.exists():  # --out onto an existing file: replaced, but not silently
            logger.warning("replacing the existing %s with this run's records (its mode is kept)", run_path)
        written = write_lines_atomically(run_path, self.journal.record_lines(statuses))
        invalid = self.journal.invalid_count()
        invalid_path = plan.invalid_path(self.run_id)
        if invalid:
            write_jsonl_atomically(invalid_path, self.journal.invalid())
        elif not plan.tracked:
            invalid_path.unlink(missing_ok=True)  # an earlier export's quarantine does not describe this one
        logger.info("wrote %d records to %s", written, run_path)
        if not plan.tracked:
            self._remove_job()
            return Finish(exit_code, problems, run_path, None, written)
        manifest = self._manifest(
            reason, exit_code, problems, facts, failed_pages, run_path, written, invalid_path, invalid, failed_details
        )
        manifest_path = plan.manifest_path(self.run_id)
        if exit_code == 0 and self.state is not None:
            # One step: the dataset and the manifest are written inside the state store's transaction, which
            # commits only when both are; a failed export (disk full, a directory in its place) leaves the store
            # as it was, so the next run sees these records as new again.
            def publish() -> int:
                total = self.state.export(plan.dataset_path)
                write_json_atomically(manifest_path, manifest)
                return total

            with self.backend.source_lock(plan):
                total = self.state.commit(self.journal.state_rows(self.started_at), then=publish)
            logger.info("dataset: %d records in %s", total, plan.dataset_path)
        else:
            if self.state is not None:
                logger.warning("the run failed: the state store and %s were left as they were",
                               plan.dataset_path.name)
            write_json_atomically(manifest_path, manifest)
        self._remove_job()
        return Finish(exit_code, problems, run_path, manifest_path, written)

    def _manifest(
        self,
        reason: str,
        exit_code: int,
        problems: list[str],
        stats: dict[str, Any],
        failed: list[dict[str, str]],
        run_path: Path | None,
        written: int,
        invalid_path: Path | None,
        invalid: int,
        failed_details: list[dict[str, str]],
    ) -> dict[str, Any]:
        totals = self.totals()
        unresolved = sum(
            1 for record in self.journal.records() for person in record.get("people") or [] if person.get("id") is None
        )
        return {
            "run_id": self.run_id,
            "source": self.plan.source,
            "mode": self.plan.mode,
            "arguments": {**self.plan.given_arguments, **self.plan.arguments},
            "job_key": self.plan.job_key,
            "started_at": self.started_at,
            "ended_at": utc_now(),
            "sessions": self.sessions,
            "resumed_from": self.resumed_from,
            "resumable": reason in RESUMABLE,
            "finish_reason": reason,
            "exit_code": exit_code,
            "problems": problems,
            "counts": {
                "pages": len(self.journal.done_pages()),
                "failed_pages": len(failed),
                "records": written,
                "new": totals.get("new"),
                "changed": totals.get("changed"),
                "unchanged": totals.get("unchanged"),
                "invalid": invalid,
                "duplicates": int(stats.get("harvester/duplicates", 0)),
                "unresolved_names": unresolved,
                "details_fetched": int(stats.get("harvester/details/fetched", 0)),
                "details_failed": int(stats.get("harvester/details/failed", 0)),
                "details_reused": int(stats.get("harvester/details/reused", 0)),
            },
            "stopped_at_known_page": stats.get("harvester/stopped_at_known_page"),
            "coverage": {k.rsplit("/", 1)[1]: v for k, v in stats.items() if k.startswith("harvester/coverage/")},
            "failed_pages": failed,
            "failed_details": failed_details,
            "output": {"path": run_path.name, "sha256": sha256_of(run_path), "records": written} if run_path else None,
            "invalid": {"path": invalid_path.name, "records": invalid} if invalid and invalid_path else None,
            "captures": [
                {"path": path.relative_to(self.plan.source_dir).as_posix(), "sha256": sha256_of(path),
                 "bytes": path.stat().st_size}
                for path in self.plan.capture_paths(self.run_id, self.sessions)
            ],
            "schema_version": SCHEMA_VERSION,
            "harvester_version": __version__,
            # Scrapy's stats (requests, responses, retries, timings): here, not dumped onto the operator's screen
            "stats": {k: _jsonable(v) for k, v in sorted(stats.items()) if k not in _NOT_STATS},
        }

    def _remove_job(self) -> None:
        self.journal.close()
        self.backend.discard_journal(self.plan)

    def release(self) -> None:
        """Give back everything the run holds: its journal session, host leases, state store, job lock."""
        try:
            with contextlib.suppress(*storage_errors()):
                self.journal.close()
            if self._leases is not None:
                with contextlib.suppress(*storage_errors()):
                    self._leases.release()
            if self.state is not None:
                self.state.close()
        finally:
            self.lock.release()
            self.backend.close()


def write_failed_job_manifest(
    settings: Any,
    source: str,
    run_id: str,
    arguments: dict[str, Any],
    *,
    reason: str,
    problem: str,
    exit_code: int,
    job_key: str | None = None,
) -> Path | None:
    """The manifest of a job refused before its run could start (a bad spider argument under scrapyd, the same
    job already running): a monitor that reads manifests sees every job. Written only where a tracked run's
    manifest would be, never over one; None when not written (the problem is then only in the job's log)."""
    from harvester.storage.plan import confined

    if settings.get("HARVESTER_OUTPUT_PATH"):
        return None  # a one-off run writes no manifest
    try:
        path = confined(Path(settings.get("HARVESTER_OUTPUT_DIR")), source, "runs", f"{run_id}.json")
    except RunSetupError:
        return None
    if path.exists():  # the job's own manifest (another session of it wrote one): not replaced by a refusal
        return None
    now = utc_now()
    counts = dict.fromkeys(("pages", "failed_pages", "records", "new", "changed", "unchanged", "invalid",
                            "duplicates", "unresolved_names", "details_fetched", "details_failed",
                            "details_reused"), 0)  # fmt: skip
    write_json_atomically(path, {
        "run_id": run_id, "source": source, "mode": "full" if settings.getbool("HARVESTER_FULL") else "incremental",
        "arguments": {k: v for k, v in arguments.items() if not k.startswith("_")},
        "job_key": job_key, "started_at": now, "ended_at": now, "sessions": 0,
        "finish_reason": reason, "exit_code": exit_code, "problems": [problem], "counts": counts,
        "stopped_at_known_page": None, "coverage": {}, "failed_pages": [], "failed_details": [], "output": None,
        "invalid": None,
        "schema_version": SCHEMA_VERSION, "harvester_version": __version__,
        "resumed_from": None, "resumable": False, "stats": {}, "captures": [],
    })  # fmt: skip
    return path


#: Facts that are not Scrapy stats (the manifest has them under their own names).
_NOT_STATS = ("failed_pages", "failed_details", "finish_reason")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _unused_run_id(plan: RunPlan) -> str:
    """A new run id whose files the plan's runs folder does not hold yet (ids of runs started in the same
    millisecond differ in 14 random bits only)."""
    while True:
        run_id = new_run_id()
        if not plan.tracked or not (plan.manifest_path(run_id).exists() or plan.run_path(run_id).exists()):
            return run_id
