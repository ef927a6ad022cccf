"""Every packaged profile against its golden cases (fixtures/profiles/<profile>/<case>/, see
tests/support/golden.py): the records it makes of each saved page, field by field."""

from __future__ import annotations

import pytest

from harvester.profiles import packaged_profiles
from tests.support.golden import cases, records_of

CASES = list(cases())


def test_every_packaged_profile_has_a_golden_case():
    assert sorted(packaged_profiles()) == sorted({case.profile for case in CASES})


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_profile_still_makes_its_golden_records(case):
    page = (case.folder / "page.html").read_bytes()
    got = records_of(case.profile, page, case.meta()["url"])
    expected = case.expected()
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine == theirs, mine.get("id")
