"""Reading what the harvester wrote: a dataset or run file (JSON Lines of records), run manifests, run ids.

Everything read is checked against its published schema, so the commands built on these functions can trust
the shape of what they get; a file that is not what it should be is a :class:`ProductError` naming the file,
the line and the first thing wrong with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harvester.products import ProductError, schemas
from harvester.records import UPGRADABLE, upgraded

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _lines(path: Path, what: str) -> Iterator[tuple[int, str]]:
    try:
        handle = path.open(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ProductError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ProductError(f"{path}: is a directory, not {what}") from None
    except PermissionError:
        raise ProductError(f"{path}: not readable (permission denied)") from None
    with handle:
        try:
            yield from enumerate(handle, start=1)
        except UnicodeDecodeError as error:
            raise ProductError(f"{path}: not UTF-8 text ({error.reason}), not {what}") from None


def schema_of(record: dict[str, Any]) -> str:
    """A line of ``dataset.jsonl`` carries ``first_seen``; a run file's line is a plain record."""
    return "dataset" if "first_seen" in record or "last_seen" in record else "record"


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every record of a dataset or run file, in file order, each valid against its schema."""
    records = []
    for number, line in _lines(path, "a JSONL dataset"):
        try:
            record = json.loads(line)
        except ValueError as error:
            raise ProductError(f"{path}: line {number} is not JSON ({error.msg})") from None
        if not isinstance(record, dict):
            raise ProductError(f"{path}: line {number} is not a JSON object, not a harvester record")
        record = upgraded(record)  # a 1.2.0 record of an earlier run reads as a 1.3.0 one (details null)
        problems = schemas.errors(schema_of(record), record)
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            raise ProductError(f"{path}: line {number} is not a harvester record: {problems[0]}{more}")
        records.append(record)
    return records


def read_manifest(path: Path) -> dict[str, Any]:
    """One run manifest, valid against ``manifest.schema.json``."""
    text = "".join(line for _, line in _lines(path, "a run manifest"))
    try:
        manifest = json.loads(text)
    except ValueError as error:
        raise ProductError(f"{path}: not JSON ({error.msg} at line {error.lineno}), not a run manifest") from None
    if isinstance(manifest, dict):
        manifest = _upgraded_manifest(manifest)
    problems = schemas.errors("manifest", manifest)
    if problems:
        raise ProductError(f"{path}: not a harvester run manifest: {problems[0]}")
    return manifest


def _upgraded_manifest(manifest: dict[str, Any]) -> dict[str, Any]:
    """A manifest of a run whose records were contract 1.2.0 (before ``--details``), with the 1.3.0 manifest's
    details fields empty; any other manifest as it is."""
    if manifest.get("schema_version") not in UPGRADABLE:
        return manifest
    counts = manifest.get("counts")
    if isinstance(counts, dict):
        counts = {**counts, **{k: counts.get(k, 0) for k in ("details_fetched", "details_failed", "details_reused")}}
    return {**manifest, "counts": counts, "failed_details": manifest.get("failed_details", [])}


def manifests(runs_dir: Path) -> list[dict[str, Any]]:
    """The manifests in a ``runs/`` folder, oldest first (by start, then run id); none when there is no folder."""
    if not runs_dir.is_dir():
        return []
    found = [read_manifest(path) for path in runs_dir.glob("*.json") if not path.name.startswith(".")]
    return sorted(found, key=lambda m: (m["started_at"], m["run_id"]))


def runs_beside(dataset: Path) -> list[dict[str, Any]]:
    """The runs that built ``output/<source>/dataset.jsonl``: the manifests in ``output/<source>/runs/``."""
    return manifests(dataset.parent / "runs")


@dataclass(frozen=True)
class RunFile:
    """A run's records file and its manifest (None for a file that has none, such as a one-off ``--out``)."""

    label: str
    path: Path
    manifest: dict[str, Any] | None


def resolve_run(ref: str, output_dir: Path) -> RunFile:
    """A run named by a file (``.jsonl`` run file or ``.json`` manifest) or by its run id (or a unique prefix
    of one) under ``output_dir/<source>/runs/``."""
    path = Path(ref)
    if path.is_file():
        if path.suffix == ".json":
            manifest = read_manifest(path)
            return RunFile(manifest["run_id"], path.with_name(manifest["output"]["path"]), manifest)
        beside = path.with_suffix(".json")
        manifest = read_manifest(beside) if path.suffix == ".jsonl" and beside.is_file() else None
        return RunFile(manifest["run_id"] if manifest else str(path), path, manifest)
    if not _RUN_ID.match(ref) or ".." in ref:
        raise ProductError(f"{ref}: no such file, and not a run id")
    exact = sorted(output_dir.glob(f"*/runs/{ref}.jsonl"))
    candidates = exact or sorted(
        p for p in output_dir.glob(f"*/runs/{ref}*.jsonl") if not p.name.endswith(".invalid.jsonl")
    )
    if not candidates:
        raise ProductError(f"{ref}: no such file, and no run {ref} under {output_dir}/<source>/runs/")
    if len(candidates) > 1:
        names = ", ".join(p.stem for p in candidates[:4])
        raise ProductError(f"{ref}: names {len(candidates)} runs ({names}); give more of the run id or a file")
    return resolve_run(str(candidates[0]), output_dir)
