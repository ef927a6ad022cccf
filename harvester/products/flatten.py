"""Records as flat rows: the CSV record table and the long table of name mentions. Pure functions.

A record's lists (``people``, ``organisations``) do not fit a spreadsheet cell, so the record table carries
readable joins of them (``"Joseph Stalin (sender) | Mao Zedong (recipient)"``, with the ids aligned in a
column of their own) and the exact data goes to a long table: one row per mention, with its record id.
Cells a spreadsheet would run as a formula are defused here too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from harvester.records import FIELDS

#: How list items are joined in one cell: a bar (names contain commas, brackets and semicolons far more often).
JOIN = " | "

_LISTS = ("people", "organisations")
_SCALARS = tuple(name for name in FIELDS if name not in (*_LISTS, "extra", "links", "details"))
#: The record table's columns: the record's scalar fields, the lists joined, then the dataset's dates.
RECORD_COLUMNS = (
    *_SCALARS[: _SCALARS.index("crawled_at")],
    "people", "people_ids", "senders", "recipients", "organisations", "organisation_ids", "extra", "links",
    "details", "crawled_at", "first_seen", "last_seen",
)  # fmt: skip
#: The long tables' columns (``<name>.people.csv``, ``<name>.organisations.csv``).
MENTION_COLUMNS = ("record_id", "order", "role", "name", "id", "as_written")

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Google Sheets (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _names(entries: Iterable[dict[str, Any]], role: str | None = None) -> str:
    return JOIN.join(e["name"] for e in entries if role is None or e["role"] == role)


def record_row(record: dict[str, Any]) -> dict[str, Any]:
    """One record as the record table's row (values still typed: None, bool, int, str)."""
    row: dict[str, Any] = {name: record.get(name) for name in _SCALARS}
    people, organisations = record.get("people") or [], record.get("organisations") or []
    row["people"] = JOIN.join(f"{p['name']} ({p['role']})" for p in people)
    row["people_ids"] = JOIN.join(p["id"] or "" for p in people)
    row["senders"] = _names(people, "sender")
    row["recipients"] = _names(people, "recipient")
    row["organisations"] = JOIN.join(f"{o['name']} ({o['role']})" for o in organisations)
    row["organisation_ids"] = JOIN.join(o["id"] or "" for o in organisations)
    extra = record.get("extra")
    row["extra"] = None if extra is None else json.dumps(extra, ensure_ascii=False, sort_keys=True)
    row["links"] = JOIN.join(f"{link.get('label') or ''} <{link['url']}>".strip() for link in record.get("links") or [])
    details = record.get("details")  # --details: the document page, as JSON (its lists do not fit a cell)
    row["details"] = None if details is None else json.dumps(details, ensure_ascii=False, sort_keys=True)
    row["first_seen"] = record.get("first_seen")
    row["last_seen"] = record.get("last_seen")
    return {name: row[name] for name in RECORD_COLUMNS}


def mention_rows(records: Iterable[dict[str, Any]], key: str = "people") -> Iterator[dict[str, Any]]:
    """One row per entry of each record's ``key`` list, in record and title order (``order`` from 1)."""
    for record in records:
        for order, entry in enumerate(record.get(key) or [], start=1):
            yield {
                "record_id": record["id"], "order": order, "role": entry["role"], "name": entry["name"],
                "id": entry["id"], "as_written": entry["as_written"],
            }  # fmt: skip


def defuse(text: str) -> str:
    """Text a spreadsheet shows as text: a leading ``'`` before a cell that would start a formula."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def cell(value: Any) -> str:
    """A CSV cell: empty for null, ``true``/``false``, digits for integers, defused text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return defuse(str(value))
