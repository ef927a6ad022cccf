"""The dataset contract: the JSON Schema, its version, its documentation and the validation pipeline."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from types import SimpleNamespace
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from harvester.pipelines.validate import ValidatePipeline, coverage, load_schema, record_errors
from harvester.records import FIELDS, SCHEMA_VERSION, build_record
from harvester.storage.plan import RunPlan
from harvester.storage.run import Run
from tests.support.paths import REPO, WILSON_SITE

# The schema's fingerprint for each contract version. A change to the schema's meaning (not to its
# descriptions) changes the fingerprint: bump records.SCHEMA_VERSION (and the schema's $id and
# schema_version const), then add the new version's fingerprint here. Old entries stay as history.
FINGERPRINTS = {
    "1.0.0": "ff21d5b0440defde69b76772592b46f14597a0ab012f561cc3df1d6b9f64530e",
    "1.1.0": "04786a239323cf8fbd486f9b8976d85800fcdae0e4f9f88f6d6ed600577390b1",  # + extra (a profile's [fields.extra])
    "1.2.0": "a8c9f0b940ae9cfe79aebe829b4d602efc067ba7dd444bc96e71013ab5b7fc97",  # + date_year_from, links
    # + details, doc_type_archive, people's archive and agrees (--details)
    "1.3.0": "8a42b8c5907ca948d76bdccd8bdcea42c2268963633e3068b7fefab2e2c7afa9",
}
ANNOTATIONS = {"title", "description", "$comment", "examples"}


def fingerprint(schema: Any, parent: str | None = None) -> Any:
    """The schema without annotations (keys named like annotations inside ``properties`` are fields: kept)."""
    if isinstance(schema, dict):
        keep_all = parent in ("properties", "$defs")
        return {k: fingerprint(v, k) for k, v in schema.items() if keep_all or k not in ANNOTATIONS}
    if isinstance(schema, list):
        return [fingerprint(v) for v in schema]
    return schema


def schema_fingerprint() -> str:
    blob = json.dumps(fingerprint(load_schema()), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def valid_record(**changes: Any) -> dict[str, Any]:
    record = build_record(
        {
            "source": "wilson",
            "url": "https://digitalarchive.wilsoncenter.org/document/cable-anastas-mikoyan-joseph-stalin",
            "listing_url": "https://digitalarchive.wilsoncenter.org/search?search_api_fulltext=mao",
            "page": 0,
            "position": 1,
            "node_id": "96413",
            "date_raw": "February 4, 1949",
            "title": "Cable, Anastas Mikoyan to Joseph Stalin",
            "summary": "Mikoyan reports to Stalin.",
        },
        crawled_at="2025-01-02T03:04:05Z",
    )
    record.pop("_date_error", None)
    record.update(changes)
    return record


def test_schema_is_a_valid_draft_2020_12_schema():
    schema = load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_schema_version_is_the_records_version():
    schema = load_schema()
    assert schema["$id"].endswith(f":{SCHEMA_VERSION}")
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}


def test_schema_change_without_a_version_bump_is_caught():
    assert SCHEMA_VERSION in FINGERPRINTS, f"record a fingerprint for contract {SCHEMA_VERSION}"
    assert schema_fingerprint() == FINGERPRINTS[SCHEMA_VERSION], (
        "record.schema.json changed but SCHEMA_VERSION did not: bump the version (records.py, $id, "
        f"schema_version const) and record the new fingerprint {schema_fingerprint()}"
    )


def test_fingerprint_ignores_descriptions_but_not_fields():
    schema = load_schema()
    described = json.loads(json.dumps(schema))
    described["description"] = "reworded"
    assert fingerprint(described) == fingerprint(schema)
    assert "title" in fingerprint(schema)["properties"]
    narrowed = json.loads(json.dumps(schema))
    narrowed["properties"]["title"] = {"type": "string"}
    assert fingerprint(narrowed) != fingerprint(schema)


def test_schema_fields_are_exactly_the_records_fields():
    schema = load_schema()
    assert list(schema["properties"]) == list(FIELDS)
    assert schema["required"] == list(FIELDS)
    assert schema["additionalProperties"] is False
    assert set(valid_record()) == set(FIELDS)


def test_docs_describe_every_field():
    text = (REPO / "docs" / "record.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### `([a-z_]+)`", text, flags=re.MULTILINE)
    assert headings[: len(FIELDS)] == list(FIELDS)
    assert f"`{SCHEMA_VERSION}`" in text


def test_a_built_record_is_valid():
    assert record_errors(valid_record()) == []


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"date": "1949-02", "date_precision": "day"}, "$.date"),
        ({"date": "1949-02-04", "date_precision": "month"}, "$.date"),
        ({"date": "1949", "date_precision": None}, "$.date"),
        ({"date_precision": "week"}, "$.date_precision"),
        ({"date": "1949-13-01"}, "$.date"),
        ({"id": None}, "$.id"),
        ({"url": "ftp://example.org/x"}, "$.url"),
        ({"node_id": "n1"}, "$.node_id"),
        ({"schema_version": "0.9.0"}, "$.schema_version"),
        ({"title": ""}, "$.title"),
        ({"crawled_at": "2025-01-02 03:04"}, "$.crawled_at"),
        ({"people": [{"name": "Mao Zedong", "id": None, "role": "author", "as_written": "Mao"}]}, "$.people[0].role"),
        ({"people": [{"name": "Mao Zedong", "id": None, "role": "sender"}]}, "$.people[0]"),
        ({"extra": 1}, "$.extra"),
        ({"extra": {"Bad Name": "x"}}, "$.extra"),
        ({"surprise": 1}, "$"),
    ],
)
def test_contract_violations_name_their_json_path(changes, path):
    errors = record_errors(valid_record(**changes))
    assert errors, changes
    assert any(e.startswith(f"{path}: ") for e in errors), errors


def test_every_fixture_block_makes_a_valid_record():
    for expected in sorted((WILSON_SITE / "expected").glob("search-*.json")):
        data = json.loads(expected.read_text(encoding="utf-8"))
        for block in data["blocks"]:
            raw = {
                "source": "wilson",
                "url": "https://digitalarchive.wilsoncenter.org" + block["url"],
                "listing_url": "https://digitalarchive.wilsoncenter.org/search",
                "page": 0,
                "position": block["position"],
                "node_id": block["node_id"],
                "date_raw": block["date_text"],
                "title": block["title"],
                "summary": block["summary"],
            }
            record = build_record(raw, crawled_at="2025-01-02T03:04:05Z")
            record.pop("_date_error", None)
            assert record_errors(record) == [], (expected.name, block["title"])


class FakeCrawler:
    """Enough of a crawler for a pipeline outside a crawl: settings, stats and a run's keeper."""

    def __init__(self, output_dir) -> None:
        self.settings = Settings({"STATS_DUMP": False})
        self.stats = MemoryStatsCollector(self)
        plan = RunPlan(source="wilson", mode="full", output_dir=output_dir, arguments={})
        self.keeper = SimpleNamespace(run=Run.start(plan))

    def get_extension(self, cls):
        return self.keeper


def _pipeline(output_dir) -> tuple[ValidatePipeline, FakeCrawler]:
    crawler = FakeCrawler(output_dir)
    return ValidatePipeline(crawler), crawler


def test_pipeline_counts_coverage_and_drops_invalid_records_loudly(tmp_path):
    pipeline, crawler = _pipeline(tmp_path)
    stats = crawler.stats
    assert pipeline.process_item(valid_record()) is not None
    assert pipeline.process_item(valid_record(summary=None, id="wilson:other")) is not None
    with pytest.raises(DropItem, match=r"breaks the contract.*\$\.people\[0\]\.role"):
        pipeline.process_item(valid_record(people=[{"name": "A", "id": None, "role": "x", "as_written": "A"}]))
    pipeline.close_spider()
    assert crawler.keeper.run.journal.invalid_count() == 1  # quarantined in the run's journal
    crawler.keeper.run.release()
    assert stats.get_value("harvester/invalid") == 1
    assert stats.get_value("harvester/valid") == 2
    assert stats.get_value("harvester/coverage/summary") == 0.5
    assert stats.get_value("harvester/coverage/title") == 1.0
    assert stats.get_value("harvester/coverage/date_end") == 0.0


def test_coverage_of_no_records_is_empty():
    assert coverage(Counter(), 0) == {}
