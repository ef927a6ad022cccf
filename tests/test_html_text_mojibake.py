"""``looks_bad`` gives ftfy's own answer (``ftfy.badness.is_bad``) while reading only around non-ASCII characters
(harvester/parsing/html_text.py): what that rests on is read off ftfy's pattern, and the answers are compared."""

from __future__ import annotations

import re._constants as sre_constants  # the parsed form of ftfy's pattern: what the shortcut relies on
import re._parser as sre_parse

import pytest
from ftfy.badness import BADNESS_RE, is_bad
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from harvester.parsing.html_text import MOJIBAKE_REACH, looks_bad, repair_mojibake
from tests.support.paths import FIXTURES, REALWORLD, REPO


def _branches() -> list:
    (op, (_, branches)), *rest = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    assert op is sre_constants.BRANCH
    assert not rest
    return branches


def _only_non_ascii(op, arg) -> bool:
    """Does this element match non-ASCII characters only?"""
    if op is sre_constants.LITERAL:
        return arg >= 0x80
    if op is sre_constants.IN:
        ranges = []
        for kind, value in arg:
            if kind is sre_constants.LITERAL:
                ranges.append((value, value))
            elif kind is sre_constants.RANGE:
                ranges.append(value)
            else:  # a category (\s, \w...) or a negated set: may match ASCII
                return False
        return all(lo >= 0x80 for lo, _ in ranges)
    return False


def test_every_pattern_of_ftfy_holds_a_non_ascii_character_and_is_short():
    for branch in _branches():
        assert any(_only_non_ascii(op, arg) for op, arg in branch), branch
        assert branch.getwidth()[1] <= MOJIBAKE_REACH + 1, branch


def _texts() -> list[str]:
    pages = [*REPO.joinpath("harvester", "data").rglob("*.html"), *FIXTURES.rglob("*.html")]
    if REALWORLD.is_dir():
        pages += list(REALWORLD.rglob("*.html"))
    parser = etree.HTMLParser(recover=True, encoding="utf-8")
    texts = []
    for path in sorted(pages):
        root = etree.fromstring(path.read_bytes(), parser)
        if root is not None:
            texts += [t for t in root.itertext() if not t.isascii()]
    return texts


def test_saved_pages_text_gets_ftfys_answer():
    texts = _texts()
    assert len(texts) > 100
    assert [looks_bad(t) for t in texts] == [is_bad(t) for t in texts]


_MOJIBAKE_PRONE = "ÃÂâ€™œ“”–—é©®°±²³µ¶·¹º»¼½¾¿×÷ÐÑØÜàáñöüćłńśźżВГЂў‚Ä†€ ­\x85\x8d\x9d"


@settings(max_examples=1500, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(_MOJIBAKE_PRONE) + list("ab .,?!AZ\n\t")), max_size=40))
def test_any_text_gets_ftfys_answer(text):
    assert looks_bad(text) == is_bad(text)


@pytest.mark.parametrize(
    ("text", "fixed"),
    [("cafÃ© Ã  Paris", "café à Paris"), ("Mao’s", "Mao’s"), ("Itâ€™s", "It’s"), ("Gomułka", "Gomułka")],
)
def test_repair_still_repairs(text, fixed):
    assert repair_mojibake(text) == (fixed, fixed != text)


def test_a_pattern_at_the_start_of_the_text_only_counts_there():
    # ftfy's "^[ÃÂ][ ]": true at the start, not after another non-ASCII character further in
    assert looks_bad("Ã no") is is_bad("Ã no") is True
    text = "x" * 30 + "é Ã no"
    assert looks_bad(text) is is_bad(text) is False
