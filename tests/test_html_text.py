"""html_text.clean: whitespace collapsed as ``re.sub(r"\\s+", " ", text).strip()`` would, by ``str.split``."""

from __future__ import annotations

import re
import sys

from hypothesis import given
from hypothesis import strategies as st

from harvester.parsing.html_text import clean

_SPACES = re.compile(r"\s+")


def _by_regex(text: str) -> str | None:
    return _SPACES.sub(" ", text).strip() or None


def test_split_and_the_regex_agree_on_what_whitespace_is():
    # clean splits where the regex it replaced matched; the two sets must be one, code point by code point
    differ = [c for c in range(sys.maxunicode + 1) if (_SPACES.fullmatch(chr(c)) is None) == chr(c).isspace()]
    assert differ == []


_ALPHABET = "ab. \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2007\u2028\u200b\u3000"


@given(st.text(alphabet=st.sampled_from(_ALPHABET), max_size=60))
def test_clean_collapses_whitespace_as_the_regex_did(text):
    assert clean(text) == _by_regex(text)


def test_clean_of_nothing_is_none():
    assert clean(None) is None
    assert clean(" \n\xa0 ") is None
    assert clean("  Mao\nZedong ") == "Mao Zedong"
