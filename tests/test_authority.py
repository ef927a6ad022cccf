"""The archive's people pills as evidence for the title's people (``normalize/authority.py``) and
``records.with_details``, on the real Mikoyan cable page (``../shared/realworld/wilson/document-main/``)."""

from __future__ import annotations

from harvester.model import Pill
from harvester.normalize.authority import archive_id, disagreements, with_archive_people
from harvester.normalize.names import default_registry
from harvester.parsing.document import parse_document_page
from harvester.profiles import find_profile, load_profile
from harvester.records import build_record, details_of, with_details
from tests.support.paths import shared_file

SITE = "https://digitalarchive.wilsoncenter.org"


def real_page(stem: str):
    path = shared_file("realworld", "wilson", "document-main", f"{stem}.html")
    rules = load_profile(find_profile("wilson")).details
    return parse_document_page(path.read_text(encoding="utf-8"), f"{SITE}/document/{stem}", rules)


def record(title: str, date: str = "February 4, 1949") -> dict:
    raw = {"source": "wilson", "url": f"{SITE}/document/x", "title": title, "date_raw": date, "summary": None}
    return build_record(raw, crawled_at="2026-01-01T00:00:00Z")


def test_archive_id_is_the_pill_link_path():
    assert archive_id("wilson", f"{SITE}/people/stalin-joseph") == "wilson:people/stalin-joseph"
    assert archive_id("wilson", None) is None


def test_the_cable_page_confirms_the_titles_people():
    got = with_details(
        record("Cable, Anastas Mikoyan to Joseph Stalin"), real_page("cable-anastas-mikoyan-joseph-stalin")
    )
    people = {p["name"]: p for p in got["people"]}
    stalin = people["Joseph Stalin"]
    assert stalin["id"] == "Q855"  # the registry's id stays
    assert stalin["archive"] == {"id": "wilson:people/stalin-joseph", "name": "Stalin, Joseph",
                                 "url": f"{SITE}/people/stalin-joseph"}  # fmt: skip
    assert stalin["agrees"] is True
    assert people["Anastas Mikoyan"]["archive"]["name"] == "Mikoyan, Anastas Ivanovich"  # an author pill
    assert people["Anastas Mikoyan"]["agrees"] is True
    assert got["doc_type"] == "Cable"  # the title grammar's
    assert got["doc_type_archive"] == "Cable"  # the archive's Type, beside it
    assert got["details"]["record_id"] == "121770"
    assert disagreements(got) == []


def test_a_pseudonym_in_the_title_resolves_to_the_archives_pill():
    got = with_details(record("Letter from Cde. Mao Zedong to Cde. Filippov [Stalin] via Kovalev", "October 25, 1949"),
                       real_page("cable-anastas-mikoyan-joseph-stalin"))  # fmt: skip
    filippov = next(p for p in got["people"] if p["as_written"] == "Cde. Filippov [Stalin]")
    assert filippov["archive"]["name"] == "Stalin, Joseph"
    assert filippov["agrees"] is True
    mao = next(p for p in got["people"] if p["name"] == "Mao Zedong")
    assert mao["archive"]["id"] == "wilson:people/mao-zedong"
    kovalev = next(p for p in got["people"] if p["as_written"] == "Kovalev")
    assert "archive" not in kovalev  # no pill names him: left as the title gave him


def test_a_person_the_registry_does_not_know_gets_the_archives_id_and_name():
    people = [{"name": "Edward Page", "id": None, "role": "participant", "as_written": "Edward Page"}]
    pills = [{"name": p.name, "url": p.url} for p in real_page("battle-warsaw").authors]
    got = with_archive_people(people, pills, source="wilson", registry=default_registry())
    assert got[0]["id"] == "wilson:people/page-edward"
    assert got[0]["name"] == "Page, Edward"
    assert got[0]["agrees"] is None
    assert with_archive_people(got, pills, source="wilson", registry=default_registry()) == got  # idempotent


def test_registry_and_archive_disagree():
    people = [{"name": "Joseph Stalin", "id": "Q855", "role": "sender", "as_written": "Stalin"}]
    pills = [{"name": "Stalin, Vasily Iosifovich", "url": f"{SITE}/people/stalin-vasily"}]
    got = with_archive_people(people, pills, source="wilson", registry=default_registry())
    assert got[0]["agrees"] is False
    assert got[0]["id"] == "Q855"  # the record says so; it does not pick a side
    assert disagreements({"people": got}) == got


def test_no_page_means_no_details_and_people_as_the_title_gave_them():
    base = record("Cable, Anastas Mikoyan to Joseph Stalin")
    got = with_details(base, None)
    assert got["details"] is None
    assert got["doc_type_archive"] is None
    assert got["people"] == base["people"]


def test_stored_details_rebuild_the_same_record():
    page = real_page("cable-anastas-mikoyan-joseph-stalin")
    base = record("Cable, Anastas Mikoyan to Joseph Stalin")
    assert with_details(base, details_of(page)) == with_details(base, page)
    again = with_details(with_details(base, page), details_of(page))  # idempotent: evidence is not stacked
    assert again == with_details(base, page)


def test_pills_keep_their_order_and_links():
    page = real_page("battle-warsaw")
    assert page.authors[3] == Pill("Page, Edward", f"{SITE}/people/page-edward")


def test_harvester_names_reports_where_registry_and_archive_disagree(tmp_path):
    import json

    from harvester import names_report
    from tests.support.cli import harvester

    people = [{"name": "Joseph Stalin", "id": "Q855", "role": "sender", "as_written": "Stalin"}]
    pills = [{"name": "Stalin, Vasily Iosifovich", "url": f"{SITE}/people/stalin-vasily"}]
    got = with_archive_people(people, pills, source="wilson", registry=default_registry())
    dataset = tmp_path / "dataset.jsonl"
    dataset.write_text(json.dumps({"id": "wilson:x", "people": got, "organisations": []}) + "\n", encoding="utf-8")
    assert names_report.disagreements(dataset) == {
        ("Joseph Stalin", "Q855", "Stalin, Vasily Iosifovich", "wilson:people/stalin-vasily"): 1
    }
    result = harvester("names", str(dataset))
    assert result.code == 0
    assert (
        "1\tdisagrees\tJoseph Stalin (Q855)\tarchive: Stalin, Vasily Iosifovich (wilson:people/stalin-vasily)"
        in result.stdout
    )
