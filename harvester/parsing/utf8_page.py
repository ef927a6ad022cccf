"""A page that crossed to the worker process as its UTF-8 bytes, read into the same tree as its text would be.

The crawl hands a UTF-8 page to its worker as the bytes it downloaded rather than as ``response.text``: a
text crosses the process boundary encoded to UTF-8 and decoded again, and parsel encodes it a third time for
lxml; bytes cross as they are and go to lxml as they are. :func:`page_text` gives the text Scrapy decodes
(``response.text``) and :func:`page_selector` the tree ``Selector(text=...)`` builds (node for node, of lxml's
plain element class), or ``None`` where the bytes are not exactly that text's UTF-8 (then the text is read the
usual way).
"""

from __future__ import annotations

import codecs

from lxml import etree
from parsel import Selector

__all__ = ["page_selector", "page_text"]


def page_text(body: bytes) -> str | None:
    """What Scrapy's ``response.text`` is for a response whose encoding is UTF-8 and whose bytes are valid
    UTF-8 (a UTF-8 byte order mark is not part of the text); ``None`` for bytes that are not valid UTF-8, which
    Scrapy would decode with replacement characters."""
    try:
        return _without_bom(body).decode("utf-8")
    except UnicodeDecodeError:
        return None


def page_selector(text: str, body: bytes, base_url: str | None) -> Selector | None:
    """``Selector(text=text, base_url=base_url)``, built from ``body``, the UTF-8 bytes of ``text`` (a BOM before
    them allowed), without encoding the text again. parsel strips the text, drops NULs and encodes it; the same
    bytes are ``body`` without the ASCII whitespace at its ends, as long as no other whitespace (a no-break
    space) stands next to it and there is no NUL. ``None`` where that is not so, or where the text does not
    start with ``<`` or starts an XML declaration (parsel reads those as XML or tries them as JSON)."""
    body = _without_bom(body)
    lead = len(body) - len(body.lstrip())  # ASCII whitespace: one byte, one character
    trail = len(body) - len(body.rstrip())
    end = len(text) - trail
    if end <= lead or text[lead] != "<" or text.startswith("<?xml", lead) or text[end - 1].isspace():
        return None
    if b"\x00" in body:
        return None
    # parsel's own steps for text (parsel.selector.create_root_node): libxml2's HTML parser, these options, and
    # an empty <html/> when lxml returns no root. lxml's plain parser, not lxml.html's: the same tree, but its
    # elements are not looked up in Python each time one is first touched (lxml.html's HtmlElement methods
    # are not used on a listing: 0.3 M instructions a page).
    parser = etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True)
    root = etree.fromstring(body[lead : len(body) - trail], parser=parser, base_url=base_url)
    if root is None:
        root = etree.fromstring(b"<html/>", parser=parser, base_url=base_url)
    return Selector(root=root, type="html")


def _without_bom(body: bytes) -> bytes:
    return body[len(codecs.BOM_UTF8) :] if body.startswith(codecs.BOM_UTF8) else body
