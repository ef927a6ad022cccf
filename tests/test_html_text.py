"""html_text.clean: whitespace collapsed as ``re.sub(r"\\s+", " ", text).strip()`` would, by ``str.split``."""

from __future__ import annotations

import re
import sys

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from harvester.parsing import html_text
from harvester.parsing.html_text import clean, element_text

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


def _walk_before(element, parts, *, tail=True):
    # element_text's walk as it was written first, kept to check the faster one against
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in html_text._DROPPED_TAGS:
        if tail and element.tail:
            parts.append(element.tail)
        return
    breaking = tag.lower() in html_text._BREAKING_TAGS
    if breaking:
        parts.append(" ")
    if element.text and tag:
        parts.append(element.text)
    for child in element:
        _walk_before(child, parts)
    if breaking:
        parts.append(" ")
    if tail and element.tail:
        parts.append(element.tail)


_MARKUP = st.sampled_from(
    ["a", " b ", "<br>", "<p>", "</p>", "<span>", "</span>", "<script>x()</script>", "<!-- c -->", "<em>ş</em>",
     "<DIV>", "</DIV>", "<td>", "<style>p{}</style>", "<?pi x?>", "&amp;", "\n", "<noscript>n</noscript>"]
)  # fmt: skip


@given(st.lists(_MARKUP, max_size=25))
def test_element_text_reads_as_the_first_walk_did(pieces):
    root = etree.fromstring("<div>" + "".join(pieces) + "</div>", etree.HTMLParser())
    for element in root.iter():
        parts: list[str] = []
        _walk_before(element, parts, tail=False)
        assert element_text(element) == clean("".join(parts))
