"""The registry data files: what they hold, and the loader's refusal of contradictory or malformed entries."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

import pytest

from harvester.normalize.names import (
    PERSON_ALIAS_KINDS,
    Registry,
    RegistryError,
    default_registry,
)

REG = default_registry()


def write(tmp_path: Path, body: str, name: str = "persons.toml") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    return path


def load(tmp_path: Path, body: str) -> Registry:
    return Registry.load(write(tmp_path, body))


# --- the packaged data ----------------------------------------------------------------------------------
def test_default_registry_is_cached_and_complete():
    assert default_registry() is REG
    assert len(REG.persons) >= 60
    assert sum(len(p.aliases) for p in REG.persons) >= 50
    assert len(REG.organisations) >= 10


def test_verified_wikidata_ids():
    assert REG.person("Q855").name == "Joseph Stalin"
    assert REG.person("Q5816").name == "Mao Zedong"
    assert REG.person("Q35314").name == "Nikita Khrushchev"
    # every other id is a project id: no QID is given without certainty
    assert {p.id for p in REG.persons if not p.id.startswith("hv:")} == {"Q855", "Q5816", "Q35314"}


def test_every_alias_kind_is_used():
    used = {a.kind for p in REG.persons for a in p.aliases}
    assert used == PERSON_ALIAS_KINDS


def test_the_cable_pseudonyms():
    stalin = REG.person("Q855")
    names = {a.name: a for a in stalin.aliases}
    assert {"Filippov", "Feng Xi", "Fyn Si", "Kuznetsov"} <= set(names)
    assert (names["Kuznetsov"].start, names["Kuznetsov"].until) == ("1947", "1949")
    assert [a.name for a in REG.person("hv:andrei-orlov").aliases] == ["Terebin"]


def test_the_file_documents_its_format():
    text = resources.files("harvester").joinpath("data", "persons", "core.toml").read_text(encoding="utf-8")
    header = text.split("\n[[person]]")[0]
    for word in ("FORMAT", "id =", "name =", "aliases", "kind", "from", "until", "pseudonym", "library"):
        assert word in header
    tomllib.loads(text)  # plain TOML, read by the standard library


def test_an_explicit_path_reads_only_that_persons_file(tmp_path):
    reg = load(tmp_path, '[[person]]\nid = "hv:ivan-kovalev"\nname = "Ivan Kovalev"\ninitials = "I.V."\n')
    assert len(reg.persons) == 1
    assert reg.resolve("I.V. Kovalev").id == "hv:ivan-kovalev"
    assert reg.resolve("I.V. Stalin").id is None
    assert reg.resolve("USSR Foreign Ministry").id == "hv:ussr-mfa"  # the packaged organisations still load
    assert Registry.load(str(tmp_path / "persons.toml")).persons == reg.persons  # a str path works too


def test_adding_a_person_or_an_alias_is_a_line_or_a_block(tmp_path):
    reg = load(
        tmp_path,
        """
[[person]]
id = "hv:pavel-yudin"
name = "Pavel Yudin"
initials = "P.F."
aliases = [
  { name = "Iudin", kind = "transliteration" },
  { name = "Judin", kind = "transliteration" },
]
""",
    )
    assert reg.resolve("Judin").id == "hv:pavel-yudin"
    assert reg.resolve("P. F. Yudin").via_alias == "initials"


def test_surname_alone_can_be_switched_off(tmp_path):
    reg = load(tmp_path, '[[person]]\nid = "hv:x"\nname = "Sergei Antonov"\nsurname-alone = false\n')
    assert reg.resolve("Antonov").id is None
    assert reg.resolve("S. Antonov").id == "hv:x"


def test_a_shared_family_name_is_not_a_bare_surname(tmp_path):
    reg = load(
        tmp_path,
        '[[person]]\nid = "hv:a"\nname = "Vasily Kuznetsov"\n\n[[person]]\nid = "hv:b"\nname = "Nikolai Kuznetsov"\n',
    )
    assert reg.resolve("Kuznetsov").id is None
    assert reg.resolve("V. Kuznetsov").id == "hv:a"


def test_family_first_names_get_no_derived_forms(tmp_path):
    reg = load(tmp_path, '[[person]]\nid = "hv:chen-yi"\nname = "Chen Yi"\norder = "family-first"\n')
    assert reg.resolve("Chen Yi").id == "hv:chen-yi"
    assert reg.resolve("Chen").id is None
    assert reg.resolve("Yi").id is None
    assert reg.resolve("Chen Yii").id is None  # no transliteration folding for Chinese names


# --- validation -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[[person]]\nid = "hv:a"\nname = "A B"\n\n[[person]]\nid = "hv:a"\nname = "C D"\n', "duplicate id"),
        (
            '[[person]]\nid = "hv:a"\nname = "Ivan Petrov"\n\n[[person]]\nid = "hv:b"\nname = "Ivan Petrov"\n',
            "same name",
        ),
        (
            '[[person]]\nid = "hv:a"\nname = "A B"\naliases = [{ name = "X", kind = "pseudonym" }]\n\n'
            '[[person]]\nid = "hv:b"\nname = "C D"\naliases = [{ name = "X", kind = "pseudonym" }]\n',
            "give each a date range",
        ),
        (
            '[[person]]\nid = "hv:a"\nname = "A B"\naliases = [{ name = "X", kind = "pseudonym", from = "1947" }]\n\n'
            '[[person]]\nid = "hv:b"\nname = "C D"\naliases = [{ name = "X", kind = "pseudonym" }]\n',
            "give each a date range",
        ),
        (
            '[[person]]\nid = "hv:a"\nname = "A B"\n'
            'aliases = [{ name = "X", kind = "pseudonym", from = "1947", until = "1950" }]\n\n'
            '[[person]]\nid = "hv:b"\nname = "C D"\naliases = [{ name = "X", kind = "pseudonym", from = "1950-06" }]\n',
            "overlapping",
        ),
        (
            '[[person]]\nid = "hv:a"\nname = "A B"\naliases = [{ name = "X", kind = "pseudonym", from = "1947-13" }]\n',
            "not an ISO date",
        ),
        (
            '[[person]]\nid = "hv:a"\nname = "A B"\naliases = [{ name = "X", kind = "typo", from = "May 1947" }]\n',
            "not an ISO date",
        ),
        (
            '[[person]]\nid = "hv:a"\nname = "A B"\n'
            'aliases = [{ name = "X", kind = "pseudonym", from = "1950", until = "1949" }]\n',
            "is after",
        ),
        ('[[person]]\nid = "hv:a"\nname = "A B"\naliases = [{ name = "X", kind = "nickname" }]\n', "kind 'nickname'"),
        ('[[person]]\nid = "hv:a"\nname = "A B"\naliases = ["X"]\n', "must be a table"),
        ('[[person]]\nid = "hv:a"\nname = "A B"\naliases = [{ name = "X" }]\n', "missing 'kind'"),
        ('[[person]]\nid = "hv:a"\nname = "A B"\nalias = [{ name = "X", kind = "typo" }]\n', "unknown key"),
        ('[[person]]\nid = "Stalin"\nname = "A B"\n', "must be a Wikidata QID"),
        ('[[person]]\nname = "A B"\n', "missing 'id'"),
        ('[[person]]\nid = "hv:a"\nname = ""\n', "non-empty string"),
        ('[[person]]\nid = "hv:a"\nname = "A B"\norder = "eastern"\n', "order must be"),
        ('[[person]]\nid = "hv:a"\nname = "A B"\nfamily = "C"\n', "not part of name"),
        ('[[person]]\nid = "hv:a"\nname = "A B"\ninitials = "IV"\n', "initials"),
        ('[[person]]\nid = "hv:a"\nname = "A B"\nsurname-alone = "no"\n', "true or false"),
        (
            '[[person]]\nid = "hv:a"\nname = "Ivan Kovalev"\n\n'
            '[[person]]\nid = "hv:b"\nname = "C D"\naliases = [{ name = "Ivan Kovalev", kind = "pseudonym" }]\n',
            "is the name of hv:a",
        ),
        ('[person]\nid = "hv:a"\n', "array of tables"),
        ('[[people]]\nid = "hv:a"\nname = "A B"\n', "unknown top-level key"),
        ('[[person]\nid = "hv:a"\n', "not valid TOML"),
    ],
)
def test_invalid_files_are_refused_with_a_clear_message(tmp_path, body, message):
    with pytest.raises(RegistryError, match=message):
        load(tmp_path, body)


def test_dated_aliases_of_two_people_may_share_a_name(tmp_path):
    reg = load(
        tmp_path,
        """
[[person]]
id = "hv:a"
name = "Joseph Stalin"
aliases = [{ name = "Kuznetsov", kind = "pseudonym", from = "1947", until = "1949" }]

[[person]]
id = "hv:b"
name = "Vasily Kuznetsov"
aliases = [{ name = "Kuznetsov", kind = "truncation", from = "1953-03" }]
""",
    )
    assert reg.resolve("Kuznetsov", date="1949-12-31").id == "hv:a"
    assert reg.resolve("Kuznetsov", date="1953-03-05").id == "hv:b"
    assert reg.resolve("Kuznetsov", date="1950-01-01").id is None


def test_organisations_file_is_validated_too(tmp_path):
    persons = write(tmp_path, '[[person]]\nid = "hv:a"\nname = "A B"\n')
    orgs = write(tmp_path, '[[organisation]]\nid = "hv:a"\nname = "Some Ministry"\n', "orgs.toml")
    with pytest.raises(RegistryError, match="duplicate id"):
        Registry.load(persons, organisations=orgs)
    orgs = write(tmp_path, '[[organisation]]\nid = "hv:m"\nname = "Some Ministry"\nfamily = "x"\n', "orgs.toml")
    with pytest.raises(RegistryError, match="unknown key"):
        Registry.load(persons, organisations=orgs)
    orgs = write(
        tmp_path,
        '[[organisation]]\nid = "hv:m"\nname = "Some Ministry"\naliases = [{ name = "SM", kind = "abbreviation" }]\n',
        "orgs.toml",
    )
    assert Registry.load(persons, organisations=orgs).resolve("SM").id == "hv:m"


def test_a_missing_file_is_a_registry_error(tmp_path):
    with pytest.raises(RegistryError, match="cannot read"):
        Registry.load(tmp_path / "nope.toml")


# --- several files, the schema, the new keys ----------------------------------------------------------------
def test_the_packaged_registry_is_every_file_of_the_persons_folder():
    folder = resources.files("harvester").joinpath("data", "persons")
    files = sorted(f.name for f in folder.iterdir() if f.name.endswith(".toml"))
    assert "core.toml" in files
    count = sum(len(tomllib.loads(folder.joinpath(f).read_text("utf-8")).get("person", [])) for f in files)
    assert len(REG.persons) == count


def test_a_folder_is_read_file_by_file_in_name_order(tmp_path):
    (tmp_path / "b.toml").write_text('[[person]]\nid = "hv:b"\nname = "Boris Petrov"\n', encoding="utf-8")
    (tmp_path / "a.toml").write_text('[[person]]\nid = "hv:a"\nname = "Anna Ivanova"\n', encoding="utf-8")
    (tmp_path / "README.md").write_text("not a persons file", encoding="utf-8")
    reg = Registry.load(tmp_path)
    assert [p.id for p in reg.persons] == ["hv:a", "hv:b"]
    assert reg.resolve("Petrov").id == "hv:b"


def test_an_error_names_the_file_and_the_person(tmp_path):
    (tmp_path / "a.toml").write_text('[[person]]\nid = "hv:a"\nname = "Anna Ivanova"\n', encoding="utf-8")
    (tmp_path / "b.toml").write_text(
        '[[person]]\nid = "hv:b"\nname = "Boris Petrov"\n\n'
        '[[person]]\nid = "hv:c"\nname = "C D"\noffices = "Minister"\n',
        encoding="utf-8",
    )
    with pytest.raises(RegistryError, match=r"b\.toml: person #2 \(hv:c\): 'offices' must be a list"):
        Registry.load(tmp_path)
    (tmp_path / "b.toml").write_text('[[person]]\nid = "hv:a"\nname = "Boris Petrov"\n', encoding="utf-8")
    with pytest.raises(RegistryError, match="duplicate id 'hv:a'"):
        Registry.load(tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RegistryError, match=r"no \*\.toml"):
        Registry.load(tmp_path / "empty")


def test_country_offices_and_source_are_kept(tmp_path):
    reg = load(
        tmp_path,
        '[[person]]\nid = "hv:pyotr-abrasimov"\nname = "Pyotr Abrasimov"\ncountry = "USSR"\n'
        'offices = ["Soviet Ambassador to Poland (1957-1961)"]\nsource = "office-holder lists"\n',
    )
    p = reg.person("hv:pyotr-abrasimov")
    assert (p.country, p.offices, p.source) == (
        "USSR",
        ("Soviet Ambassador to Poland (1957-1961)",),
        "office-holder lists",
    )
    # an office is provenance, never a name: it does not resolve
    assert reg.resolve("Soviet Ambassador to Poland").id is None


def test_the_schema_check_reports_file_person_and_field(tmp_path):
    from harvester.normalize import names

    doc = {"person": [{"id": "hv:a", "name": "A B"}, {"id": "hv:b", "name": "C D", "offices": [""]}]}
    with pytest.raises(RegistryError, match=r"x\.toml: person #2 \(hv:b\): offices/0: .*persons\.schema\.json"):
        names._check_schema(doc, "x.toml")
    names._check_schema({"person": [{"id": "hv:a", "name": "A B", "country": "USSR", "offices": ["x"]}]}, "x.toml")


@pytest.mark.parametrize(
    "body",
    [
        '[[person]]\nid = "hv:a"\nname = "A B"\naliases = [{ name = "X", kind = "nickname" }]\n',
        '[[person]]\nid = "hv:a"\nname = "A B"\nalias = [{ name = "X", kind = "typo" }]\n',
        '[[person]]\nid = "Stalin"\nname = "A B"\n',
        '[[person]]\nname = "A B"\n',
        '[[person]]\nid = "hv:a"\nname = "A B"\norder = "eastern"\n',
        '[[person]]\nid = "hv:a"\nname = "A B"\ninitials = "IV"\n',
        '[[person]]\nid = "hv:a"\nname = "A B"\nsurname-alone = "no"\n',
        '[[person]]\nid = "hv:a"\nname = "A B"\naliases = [{ name = "X", kind = "typo", from = "May 1947" }]\n',
        '[[people]]\nid = "hv:a"\nname = "A B"\n',
    ],
)
def test_the_schema_refuses_what_the_loader_refuses(body):
    from harvester.normalize import names

    with pytest.raises(RegistryError, match=r"persons\.schema\.json"):
        names._check_schema(tomllib.loads(body), "x.toml")


def test_every_packaged_persons_file_passes_the_schema():
    from harvester.normalize import names

    folder = resources.files("harvester").joinpath("data", "persons")
    for f in folder.iterdir():
        if f.name.endswith(".toml"):
            names._check_schema(tomllib.loads(f.read_text("utf-8")), f.name)


def test_loading_is_fast_and_cached_per_process():
    import time

    start = time.perf_counter()
    Registry.load()
    assert time.perf_counter() - start < 2.0  # measured: about 0.08 s for 133 persons, 0.3 s for 630
    assert default_registry() is default_registry()
