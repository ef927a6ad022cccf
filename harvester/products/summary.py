"""What a dataset holds, counted for the report: pure functions over records and run manifests."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from harvester.products.status import describe_job
from harvester.records import FIELDS

PRECISIONS = ("day", "month", "year")
UNTYPED = "(no type in the title)"


def per_year(records: list[dict[str, Any]]) -> tuple[dict[int, Counter[str]], int]:
    """``({year: Counter(precision)}, undated)``: a record counts in its (start) date's year, at the precision
    the archive gave; ``undated`` counts records without a date."""
    years: dict[int, Counter[str]] = {}
    undated = 0
    for record in records:
        if record.get("date") is None:
            undated += 1
            continue
        years.setdefault(int(record["date"][:4]), Counter())[record["date_precision"]] += 1
    return dict(sorted(years.items())), undated


def _person(entry: dict[str, Any]) -> str:
    return entry["name"]


def top_people(records: list[dict[str, Any]], role: str, limit: int = 15) -> list[tuple[str, int]]:
    """The persons most often named in ``role`` (sender, recipient, ...), by the number of records."""
    counts: Counter[str] = Counter()
    for record in records:
        counts.update({_person(p) for p in record.get("people") or [] if p["role"] == role})
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


@dataclass(frozen=True)
class Network:
    nodes: list[tuple[str, int]]  # (person, documents sent or received among the edges kept)
    edges: list[tuple[str, str, int]]  # (sender, recipient, documents)


def correspondence(records: list[dict[str, Any]], limit: int = 12) -> Network:
    """Who wrote to whom: an edge sender → recipient per record naming both, between the ``limit`` persons
    with the most such documents."""
    edges: Counter[tuple[str, str]] = Counter()
    for record in records:
        people = record.get("people") or []
        senders = {_person(p) for p in people if p["role"] == "sender"}
        recipients = {_person(p) for p in people if p["role"] == "recipient"}
        edges.update((s, r) for s in senders for r in recipients if s != r)
    weight: Counter[str] = Counter()
    for (sender, recipient), n in edges.items():
        weight[sender] += n
        weight[recipient] += n
    kept = [name for name, _ in sorted(weight.items(), key=lambda item: (-item[1], item[0]))[:limit]]
    chosen = set(kept)
    kept_edges = sorted(
        ((s, r, n) for (s, r), n in edges.items() if s in chosen and r in chosen), key=lambda e: (-e[2], e[0], e[1])
    )
    return Network([(name, weight[name]) for name in kept], kept_edges)


def doc_types(records: list[dict[str, Any]]) -> list[tuple[str, int]]:
    counts = Counter(record.get("doc_type") or UNTYPED for record in records)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def unresolved(records: list[dict[str, Any]], limit: int = 20) -> list[tuple[str, int]]:
    """Names the person registry did not resolve (no id), by the number of mentions: as ``harvester names``."""
    counts: Counter[str] = Counter()
    for record in records:
        for key, kind in (("people", "person"), ("organisations", "organisation")):
            counts.update(f"{e['name']} ({kind})" for e in record.get(key) or [] if e["id"] is None)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


def coverage(records: list[dict[str, Any]]) -> list[tuple[str, float]]:
    """Per record field, the share of records where it is present (not null, not empty), in field order."""
    if not records:
        return [(name, 0.0) for name in FIELDS]
    return [(name, sum(_present(r.get(name)) for r in records) / len(records)) for name in FIELDS]


def date_range(records: list[dict[str, Any]]) -> tuple[str, str] | None:
    dates = sorted(r["date"] for r in records if r.get("date"))
    return (dates[0], dates[-1]) if dates else None


def run_rows(manifests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row a run, oldest first: what the report's runs plot and table show."""
    rows = []
    for m in manifests:
        counts = m["counts"]
        rows.append({
            "run_id": m["run_id"], "started_at": m["started_at"], "ended_at": m["ended_at"], "mode": m["mode"],
            "job": describe_job(m["arguments"]),
            "exit_code": m["exit_code"], "records": counts["records"], "new": counts["new"],
            "changed": counts["changed"], "unchanged": counts["unchanged"], "pages": counts["pages"],
            "failed_pages": counts["failed_pages"], "invalid": counts["invalid"],
            "problem": m["problems"][0] if m["problems"] else "",
        })  # fmt: skip
    return rows
