"""The title grammar's scanning patterns, rewritten so that ``re`` can skip to where they may start, find exactly
what their plain forms (kept here) find."""

from __future__ import annotations

import re
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.normalize import titles

_NUMBER_BODY = r"((?:[A-Za-z]{1,4}[-/]?)?\d[\w./\-]*)"
PLAIN = {
    "_KW": (r"(?<![\w'\-])(from|to|via|between|with|by|for)\s+", re.IGNORECASE),
    "_TOPIC": (
        r"(?<![\w'\-])(?:on|regarding|concerning|about|re|in\s+connection\s+with|requesting|asking|informing"
        r"|reporting|proposing|expressing|discussing|referring\s+to|relating\s+to|with\s+regard\s+to"
        r"|in\s+regard\s+to|dated|including)(?=\s)",
        re.IGNORECASE,
    ),
    "_NUMBER": (r"(?:\bNo\b\.?|\bNr\b\.?|\bNum\b\.?|N°|№|#)\s*" + _NUMBER_BODY, re.IGNORECASE),
    "_TRAIL": (r"\s+(?:of|for|at|in|on)\s+(?=\d)|\s+dated\s+", re.IGNORECASE),
    "_MENTION_CDE": (r"(?<![\w'\-])(?:Cdes?\.|Comrades?)\s+", 0),
    "_MENTION_CONV": (
        r"(?<![\w'\-])(?:meetings?|conversations?|talks?|discussions?|negotiations?|interviews?|audience)\s+"
        r"(?:of\s+[^,;]{1,60}?\s+)?(?:with|between)\s+",
        re.IGNORECASE,
    ),
    "_WORD_START": (r"(?<![\w'\-])[^\W\d_][\w\-]*", 0),
    "_DASH_CHARS": (r" -|[–—]", 0),
    "_FORWARD": (r"(?:,\s*|\s+)" + titles._FORWARD.pattern[len(r"[,\s]\s*") :], re.IGNORECASE),
}

_WORDS = (
    "from to via between with by for on re regarding concerning about in connection requesting informing dated "
    "including referring relating regard No no. NO Nr nr. Num N° n° № # 12 7/3 K-5 of at Cde. Cdes. Comrade "
    "Comrades conveying transmitting the letter Telegram Memorandum Mao Zedong İn ın ſ K x's meeting Meetings "
    "conversation talks discussion negotiations interview audience 2nd"
)
_PIECES = [*_WORDS.split(" "), " ", "  ", ",", ", ", "'", "-", " - ", "–", "—", "\n", "\xa0", "(", "[", ".", "É", "ß"]
_PIECES += ["_", "\x00"]


def _found(pattern: re.Pattern[str], text: str, a: int, b: int) -> list[tuple[tuple[int, int], tuple]]:
    return [(m.span(), m.groups()) for m in pattern.finditer(text, a, b)]


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_the_plain_form_compiles_to_the_same_flags(name):
    assert getattr(titles, name).flags == re.compile(*PLAIN[name]).flags


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=30), st.data())
def test_each_rewritten_pattern_finds_what_its_plain_form_finds(pieces, data):
    text = "".join(pieces)
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    for name, (source, flags) in PLAIN.items():
        plain, fast = re.compile(source, flags), getattr(titles, name)
        assert _found(fast, text, a, b) == _found(plain, text, a, b), name
        assert (fast.match(text, a, b) is None) == (plain.match(text, a, b) is None), name


def test_the_case_extras_are_every_other_spelling_of_an_ascii_letter():
    # _word_led's first-letter sets are complete only if these are all the characters IGNORECASE lets match
    letters = re.compile("[a-z]", re.IGNORECASE)
    extras: dict[str, str] = {}
    for code in range(128, sys.maxunicode + 1):
        char = chr(code)
        if letters.fullmatch(char):
            letter = next(c for c in "abcdefghijklmnopqrstuvwxyz" if re.fullmatch(c, char, re.IGNORECASE))
            extras[letter] = extras.get(letter, "") + char
    assert extras == titles._CASE_EXTRAS


def test_the_patterns_give_re_characters_to_skip_to():
    # the point of the rewrite: re's compiled pattern starts with a charset (the INFO block's charset flag)
    from re import _compiler, _constants, _parser

    for name in PLAIN:
        pattern = getattr(titles, name)
        code = _compiler._code(_parser.parse(pattern.pattern, pattern.flags), pattern.flags)
        assert code[0] == _constants.INFO, name
        assert code[2] & (_constants.SRE_INFO_CHARSET | _constants.SRE_INFO_PREFIX), name
