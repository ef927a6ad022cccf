"""The submit decision: a pure function of the jobs, what the shared state says of each, the nodes' loads and the
time. Nothing here talks to a node or a database (``standing.py`` reads the state, ``commands.py`` submits).

A job is submitted when it is not already pending or running (on a node's lists, or its job lock is held) and:

* its run journal is unfinished (the run was killed, or stopped by a busy host after some pages): **resume**;
* its last submission never finished (its node died before the run started, or it was refused) and is on no
  node's list: **lost**, submitted again, once: a resubmission that is lost too (a job that dies before its run
  starts: the egg or a dependency missing on the node) waits for the job's next due time, saying so, instead of
  being submitted every minute;
* its last run stopped because its host was busy (exit 75) before it fetched anything: **retry**;
* or it is **due** by its schedule (``due.py``) since its last submission.

Never two jobs of one host at once: a job whose host is leased by another job (the shared leases), or belongs to
a job pending, running or submitted in this round, waits (the lease would stop it with exit 75 anyway; this keeps
the node's slot for a job that can run). Each submission goes to the least-loaded reachable node, whose load then
counts it. Resumes first, then lost and retried jobs, then due jobs by due time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from harvester.errors import RETRY_LATER
from harvester.scheduling.due import next_due
from harvester.scheduling.jobs import Job
from harvester.scheduling.scrapyd import NodeLoad
from harvester.storage.schedule import Finished, Submission

SUBMIT, WAIT = "submit", "wait"
_ORDER = {"resume": 0, "lost": 1, "retry": 1, "due": 2}


@dataclass(frozen=True)
class JobState:
    """What the shared state says of one job."""

    running: bool = False  # a run holds the job's lock
    unfinished: bool = False  # its run journal exists
    submission: Submission | None = None
    finish: Finished | None = None


@dataclass(frozen=True)
class Decision:
    job: Job
    action: str  # SUBMIT or WAIT
    reason: str  # submit: resume | lost | retry | due; wait: why, for a person
    node: str | None = None
    due_at: datetime | None = None


def job_of(scrapyd_job_id: str) -> str:
    """The job key a scheduler's scrapyd job id names (``<job key>-<UTC time>-<hex>``)."""
    return scrapyd_job_id.rsplit("-", 2)[0]


def finished_since(finish: Finished | None, submission: Submission) -> bool:
    """Whether a run of the job ended after the submission: the submitted one, or one started by hand later."""
    if finish is None:
        return False
    return finish.job_id == submission.job_id or finish.finished_at >= submission.submitted_at


def _why(job: Job, state: JobState, listed: dict[str, str], now: datetime) -> tuple[str | None, str, datetime]:
    """(a reason to submit, or None; why it waits; when it is due)."""
    last = state.submission
    submitted = datetime.strptime(last.submitted_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=now.tzinfo) if last else None
    due_at = next_due(job.schedule, submitted, now)
    if job.job_key in listed:
        return None, f"pending or running on {listed[job.job_key]}", due_at
    if state.running:
        return None, "running (its job lock is held)", due_at
    if state.unfinished:
        return "resume", "", due_at
    if last is not None and not finished_since(state.finish, last):
        if last.reason != "lost":
            return "lost", "", due_at
        if due_at > now:
            return None, (f"lost twice: submitted as {last.job_id} to {last.node}, which never ran it to the end "
                          f"(see that node's log of the job); next due {due_at:%Y-%m-%d %H:%M:%S}Z"), due_at
    if last is not None and state.finish is not None and state.finish.exit_code == RETRY_LATER:
        return "retry", "", due_at
    if due_at <= now:
        return "due", "", due_at
    return None, f"next due {due_at:%Y-%m-%d %H:%M:%S}Z", due_at


def decide(
    jobs: list[Job],
    states: dict[str, JobState],
    nodes: list[NodeLoad],
    leased: dict[str, str],
    now: datetime,
) -> list[Decision]:
    """One decision a job, in the order they are to be carried out (submissions first)."""
    listed = {job_of(job_id): node.url for node in nodes for job_id in node.jobs}
    loads = {node.url: node.load for node in nodes}
    busy: dict[str, str] = {host: f"leased by job {key}" for host, key in leased.items()}
    keyed = {job.job_key: job for job in jobs}
    for key, state in states.items():
        if key in keyed and (state.running or key in listed):
            busy[keyed[key].host] = f"job {keyed[key].name} is running there"
    wanted, waiting = [], []
    for job in jobs:
        reason, why, due_at = _why(job, states.get(job.job_key, JobState()), listed, now)
        if reason is None:
            waiting.append(Decision(job, WAIT, why, due_at=due_at))
        else:
            wanted.append((_ORDER[reason], due_at, job.name, reason, job))
    out = []
    for _, due_at, _, reason, job in sorted(wanted, key=lambda w: w[:3]):
        holder = busy.get(job.host)
        if holder is not None and holder != f"leased by job {job.job_key}":
            out.append(Decision(job, WAIT, f"{reason}, but its host {job.host} is busy: {holder}", due_at=due_at))
            continue
        if not loads:
            out.append(Decision(job, WAIT, f"{reason}, but no scrapyd node can be reached", due_at=due_at))
            continue
        node = min(loads, key=lambda url: loads[url])  # ties: the order the nodes were given
        loads[node] += 1
        busy[job.host] = f"job {job.name} was just submitted"
        out.append(Decision(job, SUBMIT, reason, node, due_at))
    return out + waiting
