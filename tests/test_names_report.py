"""`harvester names`: the unresolved names of a dataset, most frequent first, so the registry can grow."""

from __future__ import annotations

from tests.support.cli import harvester
from tests.support.paths import shared_file


def test_unresolved_names_of_real_titles_are_listed_with_counts(tmp_path):
    # realworld/wilson/text-pages/11.txt: Argentine-Brazilian nuclear diplomacy, people the registry (Soviet,
    # Chinese, Korean, Vietnamese correspondence) does not hold; "President Sarney" is named in two titles.
    page = shared_file("realworld", "wilson", "text-pages", "11.txt")
    parsed = harvester("parse", str(page))
    assert parsed.code == 0, parsed.stderr
    dataset = tmp_path / "records.jsonl"
    dataset.write_text(parsed.stdout, encoding="utf-8")

    listed = harvester("names", str(dataset))
    assert listed.code == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert rows[0] == ["2", "person", "Sarney"]
    assert ["1", "person", "Paul Findley"] in rows
    counts = [int(count) for count, _, _ in rows]
    assert counts == sorted(counts, reverse=True)
    # Resolved people never appear: every listed name is one whose record entry has no id.
    unresolved = {p["name"] for r in parsed.records() for p in r["people"] if p["id"] is None}
    assert {name for _, kind, name in rows if kind == "person"} == unresolved


def test_a_dataset_of_known_people_lists_nothing(tmp_path):
    parsed = harvester("parse", str(shared_file("seed", "wilson-results-page.txt")))
    dataset = tmp_path / "seed.jsonl"
    dataset.write_text(parsed.stdout, encoding="utf-8")
    listed = harvester("names", str(dataset))
    assert listed.code == 0
    assert listed.stdout == ""
