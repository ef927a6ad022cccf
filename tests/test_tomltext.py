"""normalize/tomltext.py: the fast TOML reader gives tomllib's values, and tomllib's errors."""

import tomllib
from importlib import resources

import pytest

from harvester.errors import RegistryError
from harvester.normalize import tomltext
from harvester.normalize.names import Registry


def _packaged_toml():
    found = []

    def walk(folder, prefix):
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.name.endswith(".toml"):
                found.append((f"{prefix}{entry.name}", entry.read_text("utf-8")))

    walk(resources.files("harvester").joinpath("data"), "")
    return sorted(found)


PACKAGED = _packaged_toml()


def test_the_package_has_toml_data_to_compare():
    names = [name for name, _ in PACKAGED]
    for name in ("genres.toml", "persons/core.toml", "profiles/wilson.toml"):
        assert name in names


@pytest.mark.parametrize(("name", "text"), PACKAGED, ids=[name for name, _ in PACKAGED])
def test_every_packaged_toml_file_reads_as_tomllib_reads_it(name, text):
    assert tomltext.loads(text) == tomllib.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        "a = 1979-04-03\nb = 07:32:00\nc = 1979-05-27T07:32:00Z\n"
        "d = 1979-05-27T00:32:00-07:00\ne = 1979-05-27T07:32:00.999\n",
        'x = """\\\n  multi \\\n  line"""\ny = \'lit\\eral\'\nz = [1, 2.5, "three", true]\n',
        "[t]\n'quoted key' = { inline = [[1], [\"a\"]] }\n[[t.arr]]\nn = 0x1f\n[[t.arr]]\nn = 1_000\nf = inf\n",
        'e = ""\nu = "\\u00e9\\U0001F600 Ceau\u015fescu"\n',
    ],
    ids=["dates-and-times", "strings", "tables-and-numbers", "escapes"],
)
def test_toml_forms_read_as_tomllib_reads_them(text):
    assert tomltext.loads(text) == tomllib.loads(text)


@pytest.mark.parametrize("text", ['a = "unclosed\n', "a = 1\na = 2\n", "[t]\n[t]\n", "a = 01\n"])
def test_invalid_toml_raises_tomllib_error_with_its_position(text):
    with pytest.raises(tomllib.TOMLDecodeError) as raised:
        tomltext.loads(text)
    with pytest.raises(tomllib.TOMLDecodeError) as expected:
        tomllib.loads(text)
    assert str(raised.value) == str(expected.value)


def test_a_broken_registry_file_is_still_named_with_tomllib_words(tmp_path):
    bad = tmp_path / "persons.toml"
    bad.write_text('[[person]]\nid = "hv:x\n', encoding="utf-8")
    with pytest.raises(RegistryError, match=r"persons\.toml: not valid TOML: .*line 2"):
        Registry.load(bad)
