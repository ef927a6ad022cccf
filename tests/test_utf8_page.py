"""A UTF-8 page handed to the worker as bytes is read into the very tree, from the very text, that the crawl's
own ``response.text`` and ``Selector(text=...)`` give (harvester/parsing/utf8_page.py), or handed back."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from parsel import Selector
from scrapy.http import HtmlResponse

from harvester.crawl.workers import worker_page
from harvester.parsing.utf8_page import page_selector, page_text
from tests.support.paths import FIXTURES, REALWORLD, REPO

URL = "http://127.0.0.1:8000/search?search_api_fulltext=x"


def _pages() -> list[Path]:
    found = sorted({*REPO.joinpath("harvester", "data").rglob("*.html"), *FIXTURES.rglob("*.html")})
    if REALWORLD.is_dir():
        found += sorted(REALWORLD.rglob("*.html"))
    return found


def _same_tree(a: Selector, b: Selector) -> bool:
    return etree.tostring(a.root, encoding="unicode") == etree.tostring(b.root, encoding="unicode") and (
        a.root.getroottree().docinfo.URL == b.root.getroottree().docinfo.URL and a.type == b.type
    )


def _response(body: bytes, ctype: str = "text/html; charset=utf-8") -> HtmlResponse:
    return HtmlResponse(URL, body=body, headers={"Content-Type": ctype})


@pytest.mark.parametrize("path", _pages(), ids=lambda p: str(p.relative_to(p.parents[2])))
def test_every_saved_page_gives_the_same_text_and_tree_from_its_bytes(path):
    body = path.read_bytes()
    response = _response(body)
    text = page_text(body)
    if text is None:  # not UTF-8: the worker hands it back
        with pytest.raises(UnicodeDecodeError):
            body.removeprefix(codecs.BOM_UTF8).decode("utf-8")
        return
    assert text == response.text
    selector = page_selector(text, body, URL)
    if selector is not None:
        assert _same_tree(selector, Selector(text=text, base_url=URL))


def test_a_byte_order_mark_is_not_part_of_the_text():
    body = codecs.BOM_UTF8 + "<html><body><p>Gomułka</p></body></html>".encode()
    text = page_text(body)
    assert text == _response(body).text == "<html><body><p>Gomułka</p></body></html>"
    assert _same_tree(page_selector(text, body, URL), Selector(text=text, base_url=URL))


def test_bytes_that_are_not_utf8_are_handed_back():
    assert page_text("<html><body>naïve</body></html>".encode("cp1252")) is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("<html><body>x</body></html>\u00a0\n", "parsel strips a no-break space too"),
        ("\u00a0<html><body>x</body></html>", "does not start with <"),
        ("<html><body>x\x00y</body></html>", "parsel drops NULs"),
        ('<?xml version="1.0"?><html><body>x</body></html>', "parsel reads it as XML"),
    ],
)
def test_text_parsel_would_change_otherwise_is_read_from_the_text(text, why):
    assert page_selector(text, text.encode(), URL) is None, why


def test_a_utf8_page_crosses_as_bytes_and_any_other_as_text():
    body = "<html><body>Zhou Enlai – Nehru</body></html>".encode()
    assert worker_page(_response(body)) is body
    latin = "<html><body>naïve</body></html>".encode("latin-1")
    assert worker_page(_response(latin, "text/html; charset=iso-8859-1")) == "<html><body>naïve</body></html>"


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80),
    st.text(alphabet=" \t\r\n\x0b\x0c\x1c\x85\u00a0\u2003", max_size=4),
    st.text(alphabet=" \t\r\n\x0b\x0c\x1c\x85\u00a0\u2003", max_size=4),
)
def test_any_text_gives_the_same_tree_or_none(inner, before, after):
    text = f"{before}<html><body><p>{inner}</p></body></html>{after}"
    body = text.encode("utf-8")
    assert page_text(body) == text
    selector = page_selector(text, body, URL)
    if selector is not None:
        assert _same_tree(selector, Selector(text=text, base_url=URL))


def test_the_replicas_pages_take_the_bytes_path():
    from tests.support.paths import WILSON_SITE

    for path in sorted(WILSON_SITE.glob("search-*.html")):
        body = path.read_bytes()
        assert page_selector(page_text(body), body, URL) is not None, path.name
