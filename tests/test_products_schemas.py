"""The published schemas: every file a tracked crawl of the replica writes validates against its schema, and
each schema rejects what its file must never hold."""

from __future__ import annotations

import copy
import json

import pytest

from harvester.products import ProductError, data, schemas
from tests.support.cli import read_jsonl
from tests.support.products import harvest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def harvested(tmp_path_factory):
    return harvest(tmp_path_factory.mktemp("products"))


def manifest_files(output):
    return sorted(output.glob("*/runs/*.json"))


def test_every_dataset_line_of_a_real_crawl_is_valid(harvested):
    lines = read_jsonl(harvested.dataset)
    assert len(lines) == 32
    assert [schemas.errors("dataset", line) for line in lines] == [[]] * len(lines)
    # ... and is not a valid plain record: the record contract has no first_seen / last_seen
    assert all(schemas.errors("record", line) for line in lines)


def test_every_run_file_line_is_a_valid_record_and_not_a_dataset_line(harvested):
    for run_id in (harvested.older, harvested.newer, harvested.people):
        for record in harvested.records(run_id):
            assert schemas.errors("record", record) == []
            assert any("first_seen" in e for e in schemas.errors("dataset", record))


def test_every_manifest_of_real_runs_is_valid_including_a_failed_one(harvested):
    paths = manifest_files(harvested.failed_output)
    assert len(paths) == 4
    manifests = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    assert [schemas.errors("manifest", m) for m in manifests] == [[]] * 4
    assert sorted(m["exit_code"] for m in manifests) == [0, 0, 0, 1]


def test_the_dataset_schema_refers_to_every_record_field_and_adds_only_the_two_dates():
    record, dataset = schemas.load("record"), schemas.load("dataset")
    assert dataset["required"] == [*record["required"], "first_seen", "last_seen"]
    assert list(dataset["properties"]) == [*record["properties"], "first_seen", "last_seen"]
    for name in record["properties"]:
        assert dataset["properties"][name] == {"$ref": f"{record['$id']}#/properties/{name}"}
    assert dataset["allOf"] == [{"$ref": f"{record['$id']}#/allOf/{i}"} for i in range(len(record["allOf"]))]
    assert dataset["additionalProperties"] is False


def test_the_manifest_schema_names_exactly_the_fields_a_manifest_has(harvested):
    manifest = json.loads(manifest_files(harvested.output)[0].read_text(encoding="utf-8"))
    schema = schemas.load("manifest")
    assert set(schema["required"]) == set(schema["properties"]) == set(manifest)
    assert set(schema["properties"]["counts"]["required"]) == set(manifest["counts"])
    assert set(manifest["coverage"]) == set(schema["$defs"]["recordField"]["enum"])


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda r: r.pop("last_seen"), "last_seen"),
        (lambda r: r.update(first_seen="2025-01-02"), "first_seen"),
        (lambda r: r.update(extra=1), "extra"),
        (lambda r: r.update(date="1949-02"), "$.date"),  # precision "day" needs a day (the record's allOf)
        (lambda r: r["people"][0].pop("role"), "$.people[0]"),
        (lambda r: r.update(doc_number=12), "$.doc_number"),
    ],
)
def test_the_dataset_schema_rejects_broken_lines(harvested, change, error):
    line = next(r for r in read_jsonl(harvested.dataset) if r["people"] and r["date_precision"] == "day")
    broken = copy.deepcopy(line)
    change(broken)
    found = schemas.errors("dataset", broken)
    assert found
    assert any(error in e for e in found), found


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda m: m.pop("counts"), "counts"),
        (lambda m: m["counts"].update(new=-1), "$.counts.new"),
        (lambda m: m.update(mode="one-off"), "$.mode"),
        (lambda m: m.update(finish_reason="shutdown"), "$.resumable"),  # interrupted: resumable, no output
        (lambda m: m.update(resumable=True), "$.resumable"),  # a finished run is not resumable
        (lambda m: m["output"].update(sha256="abc"), "$.output.sha256"),
        (lambda m: m["coverage"].update(colour=1.0), "$.coverage"),
        (lambda m: m.update(exit_code=2), "$.finish_reason"),  # 2: only a job refused before its run started
        (lambda m: m.update(output=None), "$.output"),  # a finished run has its run file
    ],
)
def test_the_manifest_schema_rejects_broken_manifests(harvested, change, error):
    manifest = json.loads(manifest_files(harvested.output)[0].read_text(encoding="utf-8"))
    change(manifest)
    found = schemas.errors("manifest", manifest)
    assert any(e.startswith(error) or error in e for e in found), found


def test_reading_a_dataset_checks_each_line_and_names_the_bad_one(harvested, tmp_path):
    lines = harvested.dataset.read_text(encoding="utf-8").splitlines()
    assert len(data.read_records(harvested.dataset)) == len(lines)
    broken = json.loads(lines[4])
    broken["date_precision"] = "week"
    path = tmp_path / "dataset.jsonl"
    path.write_text("\n".join([*lines[:4], json.dumps(broken), *lines[5:]]) + "\n", encoding="utf-8")
    with pytest.raises(ProductError, match=r"line 5 is not a harvester record: \$\.date_precision"):
        data.read_records(path)
    path.write_text(lines[0] + "\n{not json\n", encoding="utf-8")
    with pytest.raises(ProductError, match="line 2 is not JSON"):
        data.read_records(path)
