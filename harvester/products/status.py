"""``harvester status``: the last run of every job, read from the run manifests, for a person or a monitor.

A job is what ``job_key`` names in a manifest (same spider, arguments and mode). Its status is its latest run
(by start): when it ended, its outcome and exit code, its records, its age. A job needs attention when that run
failed or, given a maximum age, ended longer ago than that. Pure functions but :func:`unfinished_runs`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harvester.errors import OK, RETRY_LATER

# Spider arguments that say where, not what: left out of the one-line description of a job when others exist.
_WHERE = ("base_url", "start_url")


@dataclass(frozen=True)
class JobStatus:
    job_key: str
    source: str
    job: str  # the arguments that name the job, "query=mao zedong"
    mode: str
    runs: int
    run_id: str
    started_at: str
    ended_at: str
    age_hours: float
    exit_code: int
    outcome: str  # "ok" or "failed: <first problem>"
    records: int
    failed: bool
    stale: bool

    @property
    def attention(self) -> bool:
        return self.failed or self.stale

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "attention": self.attention}


def parse_utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def describe_job(arguments: dict[str, Any]) -> str:
    given = {k: v for k, v in arguments.items() if v not in (None, "", [])}
    named = {k: v for k, v in given.items() if k not in _WHERE} or given
    return ", ".join(f"{k}={v}" for k, v in sorted(named.items())) or "(no arguments)"


def job_statuses(
    manifests: list[dict[str, Any]], now: datetime, max_age_hours: float | None = None
) -> list[JobStatus]:
    """One status a job, from its latest run; jobs in source, then job order."""
    by_job: dict[str, list[dict[str, Any]]] = {}
    for manifest in manifests:
        # a job refused before its run started (bad arguments) has no job key: it stands alone
        by_job.setdefault(manifest["job_key"] or f"refused-{manifest['run_id']}", []).append(manifest)
    out = []
    for key, runs in by_job.items():
        last = max(runs, key=lambda m: (m["started_at"], m["run_id"]))
        age = (now - parse_utc(last["ended_at"])).total_seconds() / 3600
        # 75: its host was leased by another crawl; not a failure (--max-age still catches a job that never runs)
        failed = last["exit_code"] not in (OK, RETRY_LATER)
        outcome = f"failed: {last['problems'][0]}" if failed and last["problems"] else ("failed" if failed else "ok")
        if last["exit_code"] == RETRY_LATER:
            outcome = "retry later: " + (last["problems"][0] if last["problems"] else "host busy")
        out.append(
            JobStatus(
                job_key=key, source=last["source"], job=describe_job(last["arguments"]), mode=last["mode"],
                runs=len(runs), run_id=last["run_id"], started_at=last["started_at"], ended_at=last["ended_at"],
                age_hours=round(age, 2), exit_code=last["exit_code"], outcome=outcome,
                records=last["counts"]["records"], failed=failed,
                stale=max_age_hours is not None and age > max_age_hours,
            )
        )
    return sorted(out, key=lambda s: (s.source, s.job, s.job_key))


def age_text(hours: float) -> str:
    if hours < 1:
        return f"{max(hours * 60, 0):.0f} min"
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} d"


def table(statuses: list[JobStatus]) -> str:
    """The statuses as an aligned text table, one job a line."""
    header = ("SOURCE", "JOB", "MODE", "RUNS", "LAST RUN ENDED", "AGE", "EXIT", "RECORDS", "OUTCOME")
    rows = [
        (s.source, s.job, s.mode, str(s.runs), s.ended_at, age_text(s.age_hours) + (" (too old)" if s.stale else ""),
         str(s.exit_code), str(s.records), s.outcome)
        for s in statuses
    ]  # fmt: skip
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
             for row in [header, *rows]]  # fmt: skip
    return "\n".join(line.rstrip() for line in lines) + "\n"


def unfinished_runs(output_dir: Path) -> list[dict[str, str]]:
    """Runs that started and have not finished (running now, or interrupted: ``--resume`` continues them),
    from the job folders' journals."""
    found = []
    for journal in sorted(output_dir.glob("*/jobs/*/journal.sqlite")):
        with contextlib.suppress(sqlite3.Error):
            conn = sqlite3.connect(f"{journal.resolve().as_uri()}?mode=ro", uri=True)
            try:
                meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            finally:
                conn.close()
            found.append(
                {
                    "job_key": journal.parent.name,
                    "source": journal.parents[2].name,
                    "run_id": meta.get("run_id", "").strip('"'),
                    "started_at": meta.get("started_at", "").strip('"'),
                }
            )
    return found
