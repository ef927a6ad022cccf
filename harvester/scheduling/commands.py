"""``harvester jobs FILE.toml`` and ``harvester schedule FILE.toml --scrapyd URL[,URL...]``: the work behind the
two commands (``cli.py`` only parses their arguments).

``schedule`` exit codes, for cron: 0 every node answered and every submission was accepted (also when nothing
was due); 1 a node could not be reached or refused a submission (one ``harvester: error:`` line each, naming the
node; the other nodes still got their jobs); 2 a bad job list or ``--scrapyd`` value (nothing submitted).
"""

from __future__ import annotations

import json
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harvester.errors import OK, RETRY_LATER, NodeError
from harvester.scheduling import scrapyd
from harvester.scheduling.decide import SUBMIT, Decision, JobState, decide, finished_since
from harvester.scheduling.due import next_due
from harvester.scheduling.jobs import JobList, load_jobs
from harvester.scheduling.standing import job_states, state_of
from harvester.storage.schedule import Submission

_STAMP = "%Y-%m-%dT%H:%M:%SZ"


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _status(state: JobState) -> str:
    if state.running:
        return "running"
    if state.unfinished:
        return "interrupted (resumable)"
    if state.submission and not finished_since(state.finish, state.submission):
        return f"submitted to {scrapyd.shown(state.submission.node)}"
    return "idle"


def job_rows(listed: JobList, states: dict[str, JobState], now: datetime) -> list[dict[str, Any]]:
    rows = []
    for job in listed.jobs:
        state = states.get(job.job_key, JobState())
        last = state.submission
        submitted = datetime.strptime(last.submitted_at, _STAMP).replace(tzinfo=UTC) if last else None
        due = next_due(job.schedule, submitted, now)
        finish = state.finish
        rows.append({
            "job": job.name, "job_key": job.job_key, "spider": job.spider, "host": job.host,
            "schedule": job.schedule.text(), "next_due": "now" if due <= now else due.strftime(_STAMP),
            "last_submitted": last.submitted_at if last else None, "node": last.node if last else None,
            "last_run": None if finish is None else {
                "run_id": finish.run_id, "finished_at": finish.finished_at, "exit_code": finish.exit_code,
                "finish_reason": finish.reason,
            },
            "status": _status(state),
        })  # fmt: skip
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    header = ("JOB", "JOB KEY", "SCHEDULE", "NEXT DUE", "LAST RUN", "STATUS")
    cells = [
        (r["job"], r["job_key"], r["schedule"], r["next_due"],
         f"{r['last_run']['finished_at']} exit {r['last_run']['exit_code']}" if r["last_run"] else "never",
         r["status"])
        for r in rows
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in [header, *cells]) + "\n"  # fmt: skip


def cmd_jobs(path: Path, as_json: bool) -> int:
    listed = load_jobs(path)
    now = _now()
    with state_of(listed) as (backend, book):
        rows = job_rows(listed, job_states(listed, backend, book), now)
    sys.stdout.write(json.dumps(rows, indent=2) + "\n" if as_json else _table(rows))
    return 0


def needs_attention(row: dict[str, Any], now: datetime, max_age_hours: float | None) -> str | None:
    """Why a job of the list needs a person (its last run failed; with a maximum age, it is too old or never
    ran), or None. Exit 75 (host busy: retried by the scheduler) is not a failure, as in ``harvester status``."""
    last = row["last_run"]
    if last is not None and last["exit_code"] not in (OK, RETRY_LATER):
        return f"last run failed (exit {last['exit_code']}, {last['finish_reason']})"
    if max_age_hours is None:
        return None
    if last is None:
        return "never ran"
    age = (now - datetime.strptime(last["finished_at"], _STAMP).replace(tzinfo=UTC)).total_seconds() / 3600
    return f"last run ended {age:.1f} h ago (more than {max_age_hours:g} h)" if age > max_age_hours else None


def cmd_job_status(path: Path, max_age_hours: float | None, as_json: bool) -> int:
    """``harvester status --jobs FILE.toml``: every job of the list, on whichever node ran it, from the shared
    state; exit 1 when one needs attention (a monitor's check)."""
    listed = load_jobs(path)
    now = _now()
    with state_of(listed) as (backend, book):
        rows = job_rows(listed, job_states(listed, backend, book), now)
    for row in rows:
        row["attention"] = needs_attention(row, now, max_age_hours)
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
    else:
        sys.stdout.write(_table(rows))
        for row in rows:
            if row["attention"]:
                print(f"attention: {row['job']} ({row['job_key']}): {row['attention']}")
    flagged = sum(1 for row in rows if row["attention"])
    print(f"harvester: status: {len(rows)} jobs, {flagged} need attention", file=sys.stderr)
    return 1 if flagged else 0


def _line(decision: Decision) -> str:
    job = decision.job
    if decision.action == SUBMIT:
        return f"harvester: {job.name} ({job.job_key}): {decision.reason} -> {scrapyd.shown(decision.node or '')}"
    return f"harvester: {job.name} ({job.job_key}): waits: {decision.reason}"


def cmd_schedule(path: Path, nodes_text: str, dry_run: bool) -> int:
    listed = load_jobs(path)
    urls = scrapyd.node_urls(nodes_text)
    errors: list[str] = []
    loads = []
    for url in urls:
        try:
            loads.append(scrapyd.node_load(url, listed.project))
        except NodeError as error:
            errors.append(str(error))
    now = _now()
    with state_of(listed) as (backend, book):
        decisions = decide(listed.jobs, job_states(listed, backend, book), loads, book.leased_hosts(), now)
        submitted = 0
        for decision in decisions:
            if decision.action == SUBMIT and not dry_run:
                job_id = f"{decision.job.job_key}-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
                try:
                    _submit(listed, decision, job_id)
                except NodeError as error:
                    errors.append(str(error))
                    continue
                book.record_submission(decision.job.job_key, Submission(
                    job_id, decision.node or "", now.strftime(_STAMP), decision.reason))  # fmt: skip
                submitted += 1
            print(_line(decision) + (" (dry run)" if dry_run and decision.action == SUBMIT else ""))
    # stdout: what was decided (cron: > /dev/null); stderr: only what needs a person, so cron mails only then
    print(f"harvester: schedule: {submitted} submitted, {len(listed.jobs)} jobs, {len(loads)} of {len(urls)} "
          "nodes reachable")  # fmt: skip
    for error in errors:
        print(f"harvester: error: {error}", file=sys.stderr)
    return 1 if errors else 0


def _submit(listed: JobList, decision: Decision, job_id: str) -> None:
    job = decision.job
    settings = dict(job.settings)
    if listed.state_url:
        settings["HARVESTER_STATE_URL"] = listed.state_url
    if listed.output_dir:
        settings["HARVESTER_OUTPUT_DIR"] = listed.output_dir
    if job.mode == "full":
        settings["HARVESTER_FULL"] = "True"
    settings["HARVESTER_RESUME"] = "True"  # an interrupted run of the job continues; else a new run starts
    scrapyd.submit(decision.node or "", listed.project, job.spider, job_id, job.arguments, settings)
