"""A result's own document page -> :class:`~harvester.model.DocumentPage`: pure, by a profile's ``[details]``.

Nothing here knows Scrapy: the crawl (``--details``) and anything that re-reads a saved page call
:func:`parse_document_page` alike. Scripts, styles and ``<title>`` elements are dropped before anything is read
(Cloudflare injected a script into the Wilson transcripts, and the transcript HTML carries its own ``<style>``
and empty ``<title>``). A page without the profile's document marks (a listing, a challenge or block page, an
error page) raises :class:`~harvester.errors.NotADocumentError` or
:class:`~harvester.errors.ChallengePageError`: never empty details.
"""

from __future__ import annotations

from urllib.parse import urljoin

from lxml import etree
from parsel import Selector

from harvester.errors import NotADocumentError
from harvester.model import DocumentPage, Pill
from harvester.parsing.detect import raise_if_challenge
from harvester.parsing.html_text import clean
from harvester.parsing.profile import extract
from harvester.profiles.model import Details, Field

_NOT_READ = ("script", "style", "title", "noscript", "template")
_LINK_FIELDS = frozenset(("pdf_url", "download_url"))


def parse_document_page(text: str, url: str, rules: Details) -> DocumentPage:
    """Read a document page by its profile's ``[details]`` rules. ``url`` is where it was fetched (links are
    made absolute against it)."""
    selector = Selector(text=text)
    raise_if_challenge(selector, what="document page", deep=False)  # the title: cheap
    root = selector.root
    found = sum(1 for marker in rules.markers if extract(marker, root) is not None or _present(marker, root))
    if found < rules.min_markers:
        # The deep look (challenge markup, the visible text) only for a page without the document marks: it wraps
        # every text node of the page, half of reading a document page that has them (docs/capture.md, Speed).
        raise_if_challenge(selector, what="document page")
        title = _page_title(root)
        shown = f" (its title: {title!r})" if title else ""
        raise NotADocumentError(f"{url}: not {rules.what}: {found} of the {rules.min_markers} marks of one{shown}")
    for element in list(root.iter(*_NOT_READ)):
        _drop(element)
    values: dict[str, object] = {"url": url}
    for field in rules.fields:
        value = _value(field, root)
        if value is not None and field.name in _LINK_FIELDS:
            value = urljoin(url, value)
        values[field.name] = value
    for name, spec in rules.lists:
        pills = []
        for item in _elements(spec.items, root):
            label = extract(spec.name, item)
            if label is None:
                continue  # an empty pill is left out, as the site leaves out empty blocks
            link = extract(spec.url, item, default_attr="href")
            pills.append(Pill(label, urljoin(url, link) if link else None))
        values[name] = tuple(pills)
    return DocumentPage(**values)  # type: ignore[arg-type]


def _value(field: Field, root: etree._Element) -> str | None:
    for extractor in field.alternatives:
        value = extract(extractor, root)
        if value is not None:
            return value
    return None


def _elements(extractor: object, root: etree._Element) -> list[etree._Element]:
    result = extractor.xpath(root)  # type: ignore[attr-defined]
    return [node for node in result if isinstance(node, etree._Element)] if isinstance(result, list) else []


def _present(extractor: object, root: etree._Element) -> bool:
    """A marker counts when it matches an element, even one with no text (``<object class="pdf-preview">``)."""
    return bool(_elements(extractor, root))


def _drop(element: etree._Element) -> None:
    """Remove an element but keep its tail text."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def _page_title(root: etree._Element) -> str | None:
    titles = root.xpath("//head/title/text()")
    return clean(titles[0]) if titles else None
