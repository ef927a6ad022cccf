"""Check every record against the dataset contract (``harvester/schema/record.schema.json``).

A record the contract rejects is not written to the run file: it is quarantined in the run's journal and
written to ``<run id>.invalid.jsonl`` beside the run file, one ``{"record": ..., "errors": [...]}`` a line,
each error prefixed with its JSON path. The stats hold ``harvester/invalid`` and, per field,
``harvester/coverage/<field>``: the share of valid records where the field is present (not null, not empty).
"""

from __future__ import annotations

import functools
import json
import logging
from collections import Counter
from importlib import resources
from typing import Any

import jsonschema_rs
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from harvester.crawl.run_keeper import RunKeeper
from harvester.pipelines.output import item_key
from harvester.records import FIELDS

logger = logging.getLogger(__name__)


@functools.cache
def load_schema() -> dict[str, Any]:
    return json.loads(resources.files("harvester").joinpath("schema/record.schema.json").read_text("utf-8"))


@functools.cache
def validator() -> Any:
    """Built once per process, when first needed (an invalid record): compiling the schema costs far more than
    checking a record, and importing jsonschema is a measurable share of a crawl's start-up."""
    from jsonschema import Draft202012Validator

    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


@functools.cache
def fast_validator() -> Any:
    """The same schema compiled by jsonschema-rs: ~5 µs a record instead of ~650 µs, so checking every
    record costs next to nothing. The pure-Python validator only explains the (rare) invalid ones."""
    # Formats stay unchecked, as in the pure-Python validator without its optional format packages: the
    # schema's patterns carry the checks that matter, and the two validators must agree.
    return jsonschema_rs.validator_for(load_schema(), validate_formats=False)


def record_errors(record: dict[str, Any]) -> list[str]:
    """Every way ``record`` breaks the contract, as ``"<JSON path>: <message>"``; empty when it is valid."""
    if fast_validator().is_valid(record):
        return []
    found = sorted(validator().iter_errors(record), key=lambda e: (e.json_path, e.message))
    if not found:  # the two validators disagree on a format: report the fast one's words
        return [
            f"$.{'.'.join(map(str, error.instance_path))}: {error.message}"
            for error in fast_validator().iter_errors(record)
        ]
    return [f"{error.json_path}: {error.message}" for error in found]


_NO_ITEMS: list[Any] = []  # compared with, never changed: `value != []` would build a list each time


def present(value: Any) -> bool:
    return value is not None and value != "" and value != _NO_ITEMS


def coverage(present_counts: Counter[str], total: int) -> dict[str, float]:
    return {name: round(present_counts[name] / total, 4) for name in FIELDS} if total else {}


class ValidatePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.valid = 0
        self.present: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        errors = record_errors(item)
        if not errors:
            self.valid += 1
            counts = self.present
            get = item.get
            for name in FIELDS:  # present(), inline: this runs for every field of every record
                value = get(name)
                if value is not None and value != "" and value != _NO_ITEMS:
                    counts[name] += 1
            return item
        self.stats.inc_value("harvester/invalid")
        run = RunKeeper.of(self.crawler).run
        run.journal.quarantine(item_key(item), item, errors)
        where = f"quarantined in {run.plan.invalid_path(run.run_id).name}"
        raise DropItem(
            f"record {item.get('id') or item.get('url')!r} breaks the contract, {where}: {'; '.join(errors[:5])}",
            log_level="WARNING",
        )

    def close_spider(self) -> None:
        valid, counts = self.valid, self.present
        run = RunKeeper.of(self.crawler).run
        if run.resumed:
            # The run's records were validated across sessions: count them all, from the journal.
            counts = Counter()
            valid = 0
            for record in run.journal.records():
                valid += 1
                counts.update(name for name in FIELDS if present(record.get(name)))
        self.stats.set_value("harvester/valid", valid)
        for name, share in coverage(counts, valid).items():
            self.stats.set_value(f"harvester/coverage/{name}", share)
