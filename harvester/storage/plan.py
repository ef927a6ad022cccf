"""A run's plan: its mode, its job key and where each of its files goes (all known before it starts).

Layout under the output dir (``HARVESTER_OUTPUT_DIR``)::

    <source>/state.sqlite              every record ever seen (harvester.storage.state)
    <source>/dataset.jsonl             the latest version of each, by id, rewritten after each successful run
    <source>/runs/<run id>.jsonl       the run's records (incremental: new and changed; --full: all)
    <source>/runs/<run id>.json        its manifest
    <source>/runs/<run id>.invalid.jsonl   records the contract rejected, with the reasons
    <source>/jobs/<job key>/journal.sqlite the running (or interrupted) run; removed when the run finishes

With ``HARVESTER_STATE_URL=postgresql://...`` the state store, the journals and the locks live in that database
instead (``harvester.storage.backends``); run files, manifests and the dataset are still written here.

A one-off run (``--out FILE``, setting ``HARVESTER_OUTPUT_PATH``) writes FILE (and ``FILE-stem.invalid.jsonl``)
and nothing else: no state, no dataset, no run history; its journal lives beside FILE while it runs.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harvester.errors import RunSetupError
from harvester.records import FIELDS

MODES = ("incremental", "full", "one-off", "reparse")


_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_run_id(now: datetime | None = None) -> str:
    """``20250102T030405Z-07b1a2b3c``: the start's UTC second, then nine hex digits: its millisecond (three, so
    that runs started within one second sort in their order) and 24 random bits (parallel starts). Sorts by
    start time, filename-safe."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{now.microsecond // 1000:03x}{secrets.token_hex(3)}"


def safe_name(value: str, what: str) -> str:
    """A single path component: letters, digits, ``_ . -``, not starting with a dot, no ``..``."""
    if not isinstance(value, str) or not _SAFE.match(value) or ".." in value:
        raise RunSetupError(f"{what} {value!r} cannot name a file (letters, digits, '_', '-', '.'; no '/', '..')")
    return value


def confined(root: Path, *parts: str) -> Path:
    """``root/part/...`` after checking each part is a plain name and the result stays inside ``root``."""
    path = root.joinpath(*(safe_name(part, "path component") for part in parts))
    if not path.resolve().is_relative_to(root.resolve()):
        raise RunSetupError(f"{path} is outside the output folder {root}")
    return path


def ordered(record: dict[str, Any]) -> dict[str, Any]:
    """The record with the contract's fields first, in contract order; extra fields after them. A record that
    is in that order already (as :func:`harvester.records.build_record` makes them) is returned as it is."""
    if tuple(record) == FIELDS:
        return record
    out = {name: record.get(name) for name in FIELDS if name in record}
    out.update((k, v) for k, v in record.items() if k not in out)
    return out


def job_key(source: str, arguments: dict[str, Any], mode: str, out: Path | None = None) -> str:
    """The same spider, arguments and mode give the same key, so ``--resume`` finds the interrupted run."""
    blob = json.dumps(
        {"spider": source, "arguments": arguments, "mode": mode, "out": str(out.resolve()) if out else None},
        sort_keys=True,
        default=str,
    )
    return f"{source}-{hashlib.sha256(blob.encode()).hexdigest()[:16]}"


@dataclass(frozen=True)
class RunPlan:
    """Everything about a run that is known before it starts: mode and paths."""

    source: str
    mode: str
    output_dir: Path
    arguments: dict[str, Any]
    resume: bool = False
    out: Path | None = None
    run_id: str | None = None  # fixed by HARVESTER_RUN_ID (scrapyd's job id, say); otherwise made at start
    given_arguments: dict[str, Any] = field(default_factory=dict)  # as the operator gave them (the manifest)
    state_url: str = ""  # HARVESTER_STATE_URL: "" (or sqlite:) the files below; postgresql://... a shared database
    job_key: str = field(init=False)

    def __post_init__(self) -> None:
        safe_name(self.source, "source")
        if self.mode not in MODES:
            raise RunSetupError(f"unknown run mode {self.mode!r}")
        if self.run_id is not None:
            safe_name(self.run_id, "run id")
        object.__setattr__(self, "job_key", job_key(self.source, self.arguments, self.mode, self.out))

    @property
    def tracked(self) -> bool:
        """Keeps the state store, run history and dataset (every mode but one-off)."""
        return self.out is None

    @property
    def source_dir(self) -> Path:
        return confined(self.output_dir, self.source)

    @property
    def state_path(self) -> Path:
        return self.source_dir / "state.sqlite"

    @property
    def dataset_path(self) -> Path:
        return self.source_dir / "dataset.jsonl"

    @property
    def runs_dir(self) -> Path:
        return self.source_dir / "runs"

    def run_path(self, run_id: str) -> Path:
        return self.out if self.out is not None else confined(self.runs_dir, f"{safe_name(run_id, 'run id')}.jsonl")

    def invalid_path(self, run_id: str) -> Path:
        if self.out is not None:
            stem = self.out.name[: -len(self.out.suffix)] if self.out.suffix else self.out.name
            return self.out.with_name(f"{stem}.invalid.jsonl")
        return confined(self.runs_dir, f"{safe_name(run_id, 'run id')}.invalid.jsonl")

    def manifest_path(self, run_id: str) -> Path:
        return confined(self.runs_dir, f"{safe_name(run_id, 'run id')}.json")

    def capture_path(self, run_id: str, session: int = 1) -> Path:
        """The run session's WARC capture (harvester.storage.warc): ``pages/<run id>.warc.gz`` under the source,
        ``<run id>.<session>.warc.gz`` for a resumed session; ``<out>.warc.gz`` beside a one-off run's file."""
        suffix = "warc.gz" if session <= 1 else f"{session}.warc.gz"
        if self.out is not None:
            return self.out.with_name(f"{self.out.name}.{suffix}")
        return confined(self.source_dir, "pages", f"{safe_name(run_id, 'run id')}.{suffix}")

    def capture_paths(self, run_id: str, sessions: int) -> list[Path]:
        """The captures of a run's sessions that exist on disk, first session first."""
        paths = (self.capture_path(run_id, session) for session in range(1, sessions + 1))
        return [path for path in paths if path.is_file()]

    @property
    def job_dir(self) -> Path:
        if self.out is not None:
            return self.out.with_name(f".{self.out.name}.job")
        return confined(self.source_dir, "jobs", self.job_key)

    @property
    def lock_path(self) -> Path:
        return self.job_dir.with_name(f"{self.job_dir.name}.lock")


def plan_run(settings: Any, spider: Any) -> RunPlan:
    """The plan for ``spider`` under Scrapy ``settings`` (HARVESTER_OUTPUT_DIR/_PATH, HARVESTER_FULL, ...)."""
    out = settings.get("HARVESTER_OUTPUT_PATH") or None
    mode = "one-off" if out else ("full" if settings.getbool("HARVESTER_FULL") else "incremental")
    arguments = spider.job_arguments() if hasattr(spider, "job_arguments") else {}
    return RunPlan(
        source=spider.name,
        mode=mode,
        output_dir=Path(settings.get("HARVESTER_OUTPUT_DIR")),
        arguments=arguments,
        given_arguments=dict(getattr(spider, "arguments", None) or {}),
        resume=settings.getbool("HARVESTER_RESUME"),
        out=Path(out) if out else None,
        # scrapyd passes its job id as the spider argument _job: the run file is then named after the job
        run_id=settings.get("HARVESTER_RUN_ID") or getattr(spider, "_job", None) or None,
        state_url=settings.get("HARVESTER_STATE_URL"),
    )
