"""``harvester export``: a dataset (or run file) as CSV for spreadsheets or Parquet for data tools.

Parquet keeps the record's types: ``date``/``date_end`` stay ISO text at their precision (with
``date_precision`` beside them) and are never turned into timestamps that would invent a day or a month;
``doc_number`` and ``node_id`` are strings; ``people`` and ``organisations`` are lists of structs;
``crawled_at``, ``first_seen`` and ``last_seen`` are UTC timestamps (they are exact to the second).

CSV is flat (:mod:`harvester.products.flatten`): the record table, plus long tables of the name mentions
beside it (``<name>.people.csv``, ``<name>.organisations.csv``).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harvester import __version__
from harvester.model import DOCUMENT_LISTS, DOCUMENT_TEXT_FIELDS
from harvester.products import flatten, schemas
from harvester.products.files import replacing
from harvester.records import FIELDS

FORMATS = ("csv", "parquet")
_SEEN = ("first_seen", "last_seen")
_TIMESTAMPS = ("crawled_at", *_SEEN)
_INTEGERS = ("page", "position")
_DATE_NOTE = "ISO 8601 text at date_precision (YYYY, YYYY-MM or YYYY-MM-DD): no day or month is ever invented"


def default_out(dataset: Path, fmt: str) -> Path:
    """``output/wilson/dataset.jsonl`` → ``output/wilson/dataset.parquet`` (or ``.csv``)."""
    return dataset.with_name(f"{dataset.name.removesuffix('.jsonl')}.{fmt}")


def mention_path(out: Path, key: str) -> Path:
    """The long table beside a CSV export: ``dataset.csv`` → ``dataset.people.csv``."""
    return out.with_name(f"{out.name.removesuffix('.csv')}.{key}.csv")


def has_seen(records: list[dict[str, Any]]) -> bool:
    return any(name in record for record in records for name in _SEEN)


# --- CSV ---------------------------------------------------------------------------------------------------


def _write_csv(path: Path, columns: Iterable[str], rows: Iterable[dict[str, Any]], *, bom: bool) -> int:
    columns = list(columns)
    count = 0
    with replacing(path) as tmp, tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([flatten.cell(row[name]) for name in columns])
            count += 1
    return count


def export_csv(records: list[dict[str, Any]], out: Path, *, bom: bool = False) -> dict[Path, int]:
    """The record table at ``out`` and the mention tables beside it; rows written per file."""
    columns = [c for c in flatten.RECORD_COLUMNS if has_seen(records) or c not in _SEEN]
    written = {out: _write_csv(out, columns, map(flatten.record_row, records), bom=bom)}
    for key in ("people", "organisations"):
        path = mention_path(out, key)
        written[path] = _write_csv(path, flatten.MENTION_COLUMNS, flatten.mention_rows(records, key), bom=bom)
    return written


# --- Parquet -----------------------------------------------------------------------------------------------


def arrow_schema(*, seen: bool) -> Any:
    """The Arrow schema of an export: every record field (plus first_seen/last_seen for a dataset)."""
    import pyarrow as pa

    mention = [
        pa.field("name", pa.string(), nullable=False),
        pa.field("id", pa.string()),
        pa.field("role", pa.string(), nullable=False),
        pa.field("as_written", pa.string(), nullable=False),
    ]
    name = pa.struct(mention)
    person = pa.struct([
        *mention,
        # --details: the archive's pill for the person, and whether the registry agrees (docs/record.md)
        pa.field("archive", pa.struct([pa.field("id", pa.string()), pa.field("name", pa.string()),
                                       pa.field("url", pa.string())])),
        pa.field("agrees", pa.bool_()),
    ])  # fmt: skip
    record = schemas.load("record")
    required_non_null = {"schema_version", "id", "source", "date_approximate", "people", "organisations"}

    def field(column: str) -> Any:
        if column in _TIMESTAMPS:
            kind = pa.timestamp("s", tz="UTC")
        elif column in _INTEGERS:
            kind = pa.int64()
        elif column == "date_approximate":
            kind = pa.bool_()
        elif column in ("people", "organisations"):
            kind = pa.list_(pa.field("item", person if column == "people" else name, nullable=False))
        elif column == "extra":
            kind = pa.map_(pa.string(), pa.string())
        elif column == "details":
            kind = _details_type(pa)
        elif column == "links":
            kind = pa.list_(pa.field("item", pa.struct([pa.field("url", pa.string(), nullable=False),
                                                       pa.field("label", pa.string())]), nullable=False))
        else:
            kind = pa.string()
        note = _DATE_NOTE if column in ("date", "date_end") else None
        if column in record["properties"] and note is None:
            note = f"harvester record field {column} (docs/record.md)"
        meta = {"description": note or "UTC, to the second (dataset.jsonl)"}
        return pa.field(column, kind, nullable=column not in required_non_null, metadata=meta)

    columns = [*FIELDS, *(_SEEN if seen else ())]
    return pa.schema(
        [field(c) for c in columns],
        metadata={
            "harvester.schema": schemas.load("dataset" if seen else "record")["$id"],
            "harvester.version": __version__,
        },
    )


def _details_type(pa: Any) -> Any:
    """``details`` (--details) as a struct: its text fields, then its pill lists of ``{name, url}``."""
    pill = pa.struct([pa.field("name", pa.string(), nullable=False), pa.field("url", pa.string())])
    return pa.struct(
        [pa.field("url", pa.string(), nullable=False)]
        + [pa.field(name, pa.string()) for name in DOCUMENT_TEXT_FIELDS]
        + [pa.field(name, pa.list_(pa.field("item", pill, nullable=False))) for name in DOCUMENT_LISTS]
    )


def _timestamp(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def arrow_table(records: list[dict[str, Any]]) -> Any:
    import pyarrow as pa

    schema = arrow_schema(seen=has_seen(records))
    columns = {
        name: [_timestamp(r.get(name)) if name in _TIMESTAMPS else r.get(name) for r in records]
        for name in schema.names
    }
    return pa.Table.from_pydict(columns, schema=schema)


def export_parquet(records: list[dict[str, Any]], out: Path) -> dict[Path, int]:
    import pyarrow.parquet as pq

    table = arrow_table(records)
    with replacing(out) as tmp:
        pq.write_table(table, tmp, compression="zstd")
    return {out: table.num_rows}
