"""``harvester diff``: what changed between two runs (or any two record files), by record id. Pure functions.

A record is *added* when only the second file has its id, *removed* when only the first has it, *changed* when
both have it and a compared field differs. By default the compared fields are the content fields that make a
record "changed" for the incremental runs (``harvester.storage.state.CONTENT_FIELDS``: not where the record was listed,
nor when it was crawled); ``all_fields`` compares every field but ``crawled_at``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from harvester.products.data import RunFile
from harvester.storage.state import CONTENT_FIELDS

_NEVER_COMPARED = ("crawled_at",)


@dataclass(frozen=True)
class Change:
    id: str
    fields: dict[str, tuple[Any, Any]]  # name -> (before, after)


@dataclass(frozen=True)
class Diff:
    added: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    unchanged: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added), "removed": len(self.removed), "changed": len(self.changed),
            "unchanged": self.unchanged,
        }  # fmt: skip


def compared_fields(before: dict[str, Any], after: dict[str, Any], *, all_fields: bool) -> list[str]:
    if not all_fields:
        return list(CONTENT_FIELDS)
    names = list(before) + [name for name in after if name not in before]
    return [name for name in names if name not in _NEVER_COMPARED]


def compare(before: list[dict[str, Any]], after: list[dict[str, Any]], *, all_fields: bool = False) -> Diff:
    """Records of ``after`` against those of ``before``, by id; added/changed in ``after``'s order."""
    old = {record["id"]: record for record in before}
    new_ids = {record["id"] for record in after}
    diff = Diff(removed=[record for record in before if record["id"] not in new_ids])
    unchanged = 0
    for record in after:
        previous = old.get(record["id"])
        if previous is None:
            diff.added.append(record)
            continue
        fields = {
            name: (previous.get(name), record.get(name))
            for name in compared_fields(previous, record, all_fields=all_fields)
            if previous.get(name) != record.get(name)
        }
        if fields:
            diff.changed.append(Change(record["id"], fields))
        else:
            unchanged += 1
    return Diff(diff.added, diff.removed, diff.changed, unchanged)


def _describe(run: RunFile, count: int) -> dict[str, Any]:
    manifest = run.manifest or {}
    return {"run": run.label, "path": str(run.path), "mode": manifest.get("mode"), "records": count}


def caveats(a: RunFile, b: RunFile) -> list[str]:
    """What the diff cannot tell: an incremental run file holds only the run's new and changed records."""
    notes = []
    for which, run in (("A", a), ("B", b)):
        if run.manifest and run.manifest["mode"] == "incremental":
            notes.append(
                f"{which} ({run.label}) is an incremental run: its file holds only new and changed records, so "
                "records missing from it were not necessarily removed from the listing (compare --full runs)"
            )
    return notes


def as_json(diff: Diff, a: RunFile, b: RunFile, sizes: tuple[int, int]) -> dict[str, Any]:
    return {
        "a": _describe(a, sizes[0]),
        "b": _describe(b, sizes[1]),
        "counts": diff.counts(),
        "added": [record["id"] for record in diff.added],
        "removed": [record["id"] for record in diff.removed],
        "changed": [
            {"id": change.id, "fields": {k: {"before": v[0], "after": v[1]} for k, v in change.fields.items()}}
            for change in diff.changed
        ],
        "notes": caveats(a, b),
    }


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _line(record: dict[str, Any]) -> str:
    return f"{record['id']}  {record.get('date') or '-'}  {record.get('title') or ''}"


def as_text(diff: Diff, a: RunFile, b: RunFile, sizes: tuple[int, int]) -> str:
    counts = diff.counts()
    lines = [
        f"harvester: diff {a.label} ({sizes[0]} records) -> {b.label} ({sizes[1]} records): "
        + ", ".join(f"{n} {name}" for name, n in counts.items())
    ]
    lines += [f"note: {note}" for note in caveats(a, b)]
    lines += [f"added    {_line(record)}" for record in diff.added]
    lines += [f"removed  {_line(record)}" for record in diff.removed]
    for change in diff.changed:
        lines.append(f"changed  {change.id}")
        lines += [f"    {name}: {_value(old)} -> {_value(new)}" for name, (old, new) in change.fields.items()]
    return "\n".join(lines) + "\n"
