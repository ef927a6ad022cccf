"""What the shared state says of each job of a list: running (its lock is held), unfinished (its journal), its
last submission and how its last run ended, and which hosts are leased. Read through the state backend the job
list names (``state_url``), the same one the nodes' crawls write."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from harvester.scheduling.decide import JobState
from harvester.scheduling.jobs import JobList
from harvester.storage.backends import open_backend


@contextlib.contextmanager
def state_of(listed: JobList) -> Iterator[Any]:
    """The backend and the scheduler's book of the job list's state, closed at the end."""
    plan = listed.jobs[0].plan
    backend = open_backend(plan)
    try:
        book = backend.schedule_book(plan)
        try:
            yield backend, book
        finally:
            book.close()
    finally:
        backend.close()


def job_states(listed: JobList, backend: Any, book: Any) -> dict[str, JobState]:
    submissions, finishes = book.submissions(), book.finishes()
    out = {}
    for job in listed.jobs:
        running = backend.job_running(job.plan)
        out[job.job_key] = JobState(
            running=running,
            unfinished=not running and backend.journal_exists(job.plan),
            submission=submissions.get(job.job_key),
            finish=finishes.get(job.job_key),
        )
    return out
