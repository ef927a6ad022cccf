"""`harvester names`: the unresolved names of a dataset, variants of one person grouped, most frequent first,
and registry entries drafted for review, so the registry can grow."""

from __future__ import annotations

import json
import tomllib

from harvester.names_report import group_variants, registry_entries
from tests.support.cli import harvester
from tests.support.paths import shared_file


def rec(title: str, *names: str) -> dict:
    return {"title": title, "people": [{"name": n, "id": None, "role": "participant"} for n in names]}


HONECKER = [
    rec("Meeting between Erich Honecker and Mikhail Gorbachev", "Erich Honecker", "Mikhail Gorbachev"),
    rec("Letter from E. Honecker to the CC CPSU", "E. Honecker"),
    rec("Note of Honecker E. on the Talks", "Honecker E."),
    rec("Honecker's Remarks at the Politburo", "Honecker"),
    rec("Gorbachev to Kohl", "Gorbachev", "Helmut Kohl"),
]


def test_variants_of_one_person_are_grouped_with_counts_and_examples():
    groups = {g.name: g for g in group_variants(HONECKER)}
    honecker = groups["Erich Honecker"]
    assert dict(honecker.variants) == {"Erich Honecker": 1, "E. Honecker": 1, "Honecker E.": 1, "Honecker": 1}
    assert honecker.count == 4
    assert honecker.titles == [
        "Meeting between Erich Honecker and Mikhail Gorbachev",
        "Letter from E. Honecker to the CC CPSU",
    ]
    assert dict(groups["Mikhail Gorbachev"].variants) == {"Mikhail Gorbachev": 1, "Gorbachev": 1}
    assert group_variants(HONECKER)[0].name == "Erich Honecker"  # most frequent first


def test_a_bare_surname_two_full_names_fit_is_not_merged():
    groups = {g.name: g for g in group_variants([*HONECKER, rec("Letter of Margot Honecker", "Margot Honecker")])}
    assert "Honecker" in groups
    assert groups["Honecker"].ambiguous == ("Erich Honecker", "Margot Honecker")
    assert "Honecker" not in groups["Erich Honecker"].variants
    assert "E. Honecker" in groups["Erich Honecker"].variants  # "E." fits Erich only, not Margot


def test_initials_that_disagree_are_not_merged():
    groups = {g.name: g for g in group_variants([rec("a", "Erich Honecker"), rec("b", "M. Honecker")])}
    assert set(groups) == {"Erich Honecker", "M. Honecker"}


def test_spelling_variants_are_one_form():
    groups = group_variants(
        [rec("a", "Kim Il-sung"), rec("b", "Kim Il Sung"), rec("c", "Roshchin"), rec("d", "Roschin")]
    )
    assert sorted(sorted(g.variants) for g in groups) == [["Kim Il Sung", "Kim Il-sung"], ["Roschin", "Roshchin"]]


def test_resolved_people_are_never_listed():
    records = [{"title": "t", "people": [{"name": "Joseph Stalin", "id": "Q855"}, {"name": "Honecker", "id": None}]}]
    assert [g.name for g in group_variants(records)] == ["Honecker"]


def test_suggested_entries_are_valid_registry_blocks():
    text = registry_entries(group_variants(HONECKER), source="test")
    doc = tomllib.loads(text)
    by_name = {p["name"]: p for p in doc["person"]}
    assert by_name["Erich Honecker"]["id"] == "hv:erich-honecker"
    assert "aliases" not in by_name["Erich Honecker"]  # "E. Honecker", "Honecker": the registry derives them
    assert "seen 4 times" in by_name["Erich Honecker"]["note"]
    assert by_name["Erich Honecker"]["source"] == "test"
    # an id already in the registry is never reused
    assert "hv:erich-honecker" not in registry_entries(
        group_variants(HONECKER), source="t", taken=frozenset({"hv:erich-honecker"})
    )
    # only groups seen often enough
    assert [
        p["name"] for p in tomllib.loads(registry_entries(group_variants(HONECKER), source="t", minimum=3))["person"]
    ] == ["Erich Honecker"]


def test_unresolved_names_of_real_titles_are_listed_with_counts(tmp_path):
    # realworld/wilson/text-pages/11.txt: Argentine-Brazilian nuclear diplomacy; "President Sarney" (named in two
    # titles) is José Sarney, whom the registry holds; Paul Findley (a US congressman) it does not.
    page = shared_file("realworld", "wilson", "text-pages", "11.txt")
    parsed = harvester("parse", str(page))
    assert parsed.code == 0, parsed.stderr
    dataset = tmp_path / "records.jsonl"
    dataset.write_text(parsed.stdout, encoding="utf-8")

    listed = harvester("names", str(dataset), "--flat")
    assert listed.code == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert ["1", "person", "Paul Findley"] in rows
    assert not any(name == "Sarney" for _, _, name in rows)
    counts = [int(count) for count, _, _ in rows]
    assert counts == sorted(counts, reverse=True)
    # Resolved people never appear: every listed name is one whose record entry has no id.
    unresolved = {p["name"] for r in parsed.records() for p in r["people"] if p["id"] is None}
    assert {name for _, kind, name in rows if kind == "person"} == unresolved

    grouped = harvester("names", str(dataset))
    assert grouped.code == 0, grouped.stderr
    lines = grouped.stdout.splitlines()
    findley = next(line.split("\t") for line in lines if "\tPaul Findley\t" in line)
    assert findley[:3] == ["1", "person", "Paul Findley"]
    assert lines[lines.index("\t".join(findley)) + 1].startswith("\te.g. ")
    assert "Sarney" not in grouped.stdout


def test_the_command_groups_and_suggests(tmp_path):
    dataset = tmp_path / "records.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in HONECKER), encoding="utf-8")
    grouped = harvester("names", str(dataset))
    assert grouped.code == 0, grouped.stderr
    assert grouped.stdout.splitlines()[0].startswith("4\tperson\tErich Honecker\t")
    # Both are registry persons now (hv:erich-honecker, hv:mikhail-gorbachev): no entry reuses an id.
    suggested = harvester("names", str(dataset), "--suggest-entries", "--min", "2")
    assert suggested.code == 0, suggested.stderr
    assert suggested.stdout.strip() == ""
    basmanov = [rec("Record of Conversation with Cde. Basmanov", "Basmanov")] * 2  # page 08: not in the registry
    dataset.write_text("".join(json.dumps(r) + "\n" for r in basmanov), encoding="utf-8")
    suggested = harvester("names", str(dataset), "--suggest-entries", "--min", "2")
    assert suggested.code == 0, suggested.stderr
    names = [p["name"] for p in tomllib.loads(suggested.stdout)["person"]]
    assert names == ["Basmanov"]


def test_a_dataset_of_known_people_lists_nothing(tmp_path):
    parsed = harvester("parse", str(shared_file("seed", "wilson-results-page.txt")))
    dataset = tmp_path / "seed.jsonl"
    dataset.write_text(parsed.stdout, encoding="utf-8")
    listed = harvester("names", str(dataset))
    assert listed.code == 0
    assert listed.stdout == ""
