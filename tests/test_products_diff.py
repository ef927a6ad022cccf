"""``harvester diff`` between real runs of the replica: the listing grew by ten documents and two were edited."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import harvester
from tests.support.products import SUMMARY_EDIT, TITLE_EDIT, harvest

pytestmark = pytest.mark.e2e

SUMMARY_ID = "wilson:cable-joseph-stalin-anastas-mikoyan-2"
TITLE_ID = "wilson:memorandum-iv-kovalev-filippov-stalin-economic-situation-manchuria"


@pytest.fixture(scope="session")
def harvested(tmp_path_factory):
    return harvest(tmp_path_factory.mktemp("products"))


def diff(harvested, *args):
    return harvester("diff", *args, "--output-dir", str(harvested.output))


def test_json_diff_of_two_run_ids_names_added_removed_and_changed_fields(harvested):
    result = diff(harvested, harvested.older, harvested.newer, "--json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    older = {r["id"] for r in harvested.records(harvested.older)}
    newer = {r["id"] for r in harvested.records(harvested.newer)}
    assert report["counts"] == {"added": 10, "removed": 0, "changed": 2, "unchanged": 9}
    assert set(report["added"]) == newer - older
    assert report["removed"] == []
    changes = {c["id"]: c["fields"] for c in report["changed"]}
    assert set(changes) == {SUMMARY_ID, TITLE_ID}
    assert list(changes[SUMMARY_ID]) == ["summary"]
    assert changes[SUMMARY_ID]["summary"]["before"].endswith(SUMMARY_EDIT[0])
    assert changes[SUMMARY_ID]["summary"]["after"].endswith(SUMMARY_EDIT[1])
    assert changes[TITLE_ID] == {
        "title": {"before": TITLE_EDIT[0], "after": TITLE_EDIT[1]},
        "doc_type": {"before": "Memorandum", "after": "Report"},
    }
    assert (report["a"]["run"], report["a"]["mode"], report["a"]["records"]) == (harvested.older, "full", 11)
    assert report["notes"] == []


def test_the_other_way_round_the_new_documents_are_removed(harvested):
    report = json.loads(diff(harvested, harvested.newer, harvested.older, "--json").stdout)
    assert report["counts"] == {"added": 0, "removed": 10, "changed": 2, "unchanged": 9}


def test_text_diff_from_files_and_run_id_prefixes(harvested):
    manifest = harvested.run_file(harvested.older).with_suffix(".json")
    result = diff(harvested, str(manifest), harvested.newer[:18])
    assert result.code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"harvester: diff {harvested.older} (11 records) -> {harvested.newer} (21 records): "
        "10 added, 0 removed, 2 changed, 9 unchanged"
    )
    assert sum(line.startswith("added    wilson:") for line in lines) == 10
    assert f"changed  {TITLE_ID}" in lines
    assert '    doc_type: "Memorandum" -> "Report"' in lines


def test_all_fields_also_compares_where_a_record_was_listed(harvested):
    content = json.loads(diff(harvested, harvested.older, harvested.newer, "--json").stdout)
    everything = json.loads(diff(harvested, harvested.older, harvested.newer, "--json", "--all-fields").stdout)
    # Ten documents came in on top: the old ones moved to later listing pages (their page number changed).
    assert everything["counts"]["changed"] > content["counts"]["changed"]
    moved = {c["id"]: c["fields"] for c in everything["changed"]}
    assert all("crawled_at" not in fields for fields in moved.values())
    assert {"page", "listing_url"} <= set(moved[TITLE_ID])
    assert moved[TITLE_ID]["page"] == {"before": 0, "after": 1}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["20991231T000000Z-ffffff", "{newer}"], "no run 20991231T000000Z-ffffff under"),
        (["{year}", "{newer}"], "names 3 runs"),
        (["../etc/passwd", "{newer}"], "no such file, and not a run id"),
        (["{dataset_dir}", "{newer}"], "not a run id"),
    ],
)
def test_unknown_or_ambiguous_runs_are_one_line_and_exit_2(harvested, args, message):
    values = {"newer": harvested.newer, "year": harvested.newer[:4], "dataset_dir": str(harvested.dataset.parent)}
    result = diff(harvested, *(a.format(**values) for a in args))
    assert result.code == 2
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
