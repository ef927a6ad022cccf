"""Draft a site profile from what auto mode finds on one saved page: ``harvester profile --suggest FILE``.

The auto extractor (:mod:`harvester.parsing.auto`) says which blocks are results and what their date, title and link
are; this module turns that into selectors a profile can hold, and checks them on the same page:

* ``[blocks]``: the result elements, found again from each block's path and its texts; the selector is the
  shortest of a few readable forms (``#main article.post``, ``tbody > tr``, the path's tail) that selects
  every result element and as few others as possible;
* ``[fields]``: for title, date, url and summary, the element inside the block (or, for a heading-led section,
  in the siblings after the heading) whose text is the value; several selector forms are tried on every block
  and the one right for most blocks wins. A date shown inside longer text gets a ``regex`` built from the
  shape of the dates shown ("August 17, 2023" -> month name, day, four-digit year);
* ``[dates] formats``: strptime formats that read every date exactly as the date normaliser does;
* ``[pagination]``: the next-page link (:mod:`harvester.parsing.pager`) as a selector, and the page number's place
  in its URL;
* ``[start]``: the page's URL (``--base-url``, else its canonical URL).

The draft is written with comments saying what to review, loaded back with :func:`harvester.profiles.
profile_from_data` and run on the page: :class:`Draft` says how many of auto mode's (date, title) pairs it
gives back. A listing of ``<br>``-separated lines cannot be described by a profile (it selects elements):
:class:`SuggestError`.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import parsel
import tomlkit
from lxml import etree
from parsel import css2xpath

from benchmarks.score import normalize_title
from harvester.errors import DraftError as SuggestError
from harvester.normalize.datefind import strip_dates_and_times
from harvester.normalize.dates import date_from_formats, normalize_date
from harvester.parsing.auto import AutoBlock, AutoResult, extract_blocks
from harvester.parsing.html_text import element_text
from harvester.parsing.pager import NextLink, find_next_link, home_host, page_param, source_name
from harvester.profiles import Extractor, profile_from_data

__all__ = ["Draft", "SuggestError", "suggest_file", "suggest_profile"]

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_IDENT = re.compile(r"-?[_a-zA-Z][_a-zA-Z0-9-]*")
_STATE = re.compile(r"^(?:odd|even|first|last|active|current|selected|alt|alternate|clearfix|is-.*|has-.*)$", re.I)
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SUMMARY_WORDS = re.compile(r"summary|excerpt|content|description|teaser|abstract|body|text|desc", re.I)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_WEEKDAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?"
_MONTHS = re.compile(r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?", re.I)
_WEEKDAYS = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?", re.I)
#: Formats tried for ``[dates] formats``: four-digit years only (the normaliser needs one anyway).
DATE_FORMATS = (
    "%B %d, %Y", "%b %d, %Y", "%b. %d, %Y", "%A, %B %d, %Y", "%a, %b %d, %Y", "%d %B %Y", "%d %b %Y",
    "%B %d %Y", "%m/%d/%Y", "%m-%d-%Y", "%m.%d.%Y", "%Y-%m-%d", "%Y/%m/%d", "%B %Y", "%b %Y", "%Y",
)  # fmt: skip


@dataclass
class Draft:
    text: str  # the profile, TOML with review comments
    data: dict[str, Any]  # what the TOML holds
    name: str
    auto_blocks: int  # blocks auto mode found
    selected: int  # elements the draft's block selector selects on the page
    reproduced: int  # auto mode's (date, title) pairs the draft gives back on the page
    notes: list[str] = field(default_factory=list)  # what a person should review


# --- texts and steps ----------------------------------------------------------------------------------------


def _squash(text: str | None) -> str:
    return re.sub(r"\s+", "", (text or "").translate(_ZERO_WIDTH)).casefold()


def _text(node: etree._Element) -> str:
    return element_text(node) or ""


def _classes(el: etree._Element) -> list[str]:
    """Classes usable in a selector: CSS identifiers, no digits (post-1275), no state (odd, active)."""
    return [
        c
        for c in dict.fromkeys((el.get("class") or "").split())
        if _IDENT.fullmatch(c) and not re.search(r"\d", c) and not _STATE.match(c)
    ]


def _safe_id(el: etree._Element) -> str | None:
    value = el.get("id")
    return value if value and _IDENT.fullmatch(value) and not re.search(r"\d", value) else None


def _step(el: etree._Element, *, classes: int = 1) -> str:
    return el.tag + "".join(f".{c}" for c in _classes(el)[:classes])


def _nth_of_type(el: etree._Element) -> tuple[int, int]:
    parent = el.getparent()
    if parent is None:
        return 1, 1
    same = [s for s in parent if s.tag == el.tag]
    return same.index(el) + 1, len(same)


def _elements(nodes: Iterable[Any]) -> list[etree._Element]:
    return [n for n in nodes if isinstance(n, etree._Element)]


def _css(root: etree._Element, expr: str) -> list[etree._Element]:
    try:
        return _elements(etree.XPath(css2xpath(expr))(root))
    except Exception:  # an expression cssselect cannot translate: not a candidate
        return []


def _safe_path(path: str) -> str:
    """An auto block path ("html > body.x > div#main > tr") with every step CSS can read."""
    steps = []
    for raw in path.removesuffix(" ::line").split(" > "):
        match = re.fullmatch(r"(?P<tag>[A-Za-z][\w-]*)(?:#(?P<id>[^.]+))?(?P<cls>(?:\.[^.]+)*)", raw.strip())
        if match is None:
            steps.append("*")
            continue
        step = match["tag"]
        if match["id"] and _IDENT.fullmatch(match["id"]):
            step += f"#{match['id']}"
        step += "".join(f".{c}" for c in match["cls"].split(".") if c and _IDENT.fullmatch(c))
        steps.append(step)
    return " > ".join(steps)


# --- blocks: auto blocks back to elements -------------------------------------------------------------------


@dataclass
class _Pair:
    block: AutoBlock
    el: etree._Element
    section: bool  # a heading-led section: the heading and the siblings up to the next heading

    def scope(self) -> list[etree._Element]:
        """Elements whose text belongs to the block (the heading's siblings for a section)."""
        nodes = [self.el]
        if self.section:
            for sibling in self.el.itersiblings():
                if not isinstance(sibling.tag, str):
                    continue
                if sibling.tag == self.el.tag:
                    break
                nodes.append(sibling)
        return nodes

    def scope_text(self) -> str:
        return " ".join(_text(n) for n in self.scope())

    def nodes(self) -> Iterable[etree._Element]:
        for top in self.scope():
            yield from (n for n in top.iter() if isinstance(n.tag, str))


def _pairs(selector: parsel.Selector, result: AutoResult) -> tuple[list[_Pair], int]:
    """(block, element) for each block auto mode found as an element; also the number of line blocks.

    Each block's path (without positions) selects its element and its look-alikes; the block's element is the
    first unused one, in page order, that shows the block's date and title (a title auto mode cut from a line
    around the date is looked for in the line without its dates), else the first unused one showing the date.
    """
    root = selector.root
    section_tags = {g.block.split(" ")[0].split(".")[0] for g in result.groups if g.kind == "heading-sections"}
    lines = 0
    found: dict[str, list[tuple[_Pair, str, str]]] = {}
    used: set[etree._Element] = set()
    pairs = []
    for block in result.blocks:
        if block.path.endswith("::line"):
            lines += 1
            continue
        path = _safe_path(block.path)
        if path not in found:
            tag = block.path.rsplit(" > ", 1)[-1].split(".")[0].split("#")[0]
            section = tag in section_tags and tag in _HEADINGS
            found[path] = []
            for el in _css(root, path):
                pair = _Pair(block, el, section)
                text = pair.scope_text()
                found[path].append((pair, _squash(text), _squash(strip_dates_and_times(text))))
        date, title = _squash(block.date_text), _squash(block.title)
        fallback = None
        for pair, text, undated in found[path]:
            if pair.el in used or date not in text:
                continue
            if not title or title in text or title in undated:
                fallback = pair
                break
            fallback = fallback or pair
        if fallback is not None:
            used.add(fallback.el)
            pairs.append(_Pair(block, fallback.el, fallback.section))
    pairs.sort(key=lambda p: p.block.position)
    return pairs, lines


def _block_selector(root: etree._Element, targets: list[etree._Element]) -> tuple[str, list[etree._Element]]:
    """The readable selector that selects every target and the fewest other elements."""
    wanted = set(targets)
    by_tag: dict[str, list[etree._Element]] = {}
    for el in targets:
        by_tag.setdefault(el.tag, []).append(el)
    parts = []
    for tag, els in by_tag.items():
        parts.append(_one_tag_selector(root, tag, els))
    expr = ", ".join(parts)
    selected = _css(root, expr)
    assert wanted <= set(selected)
    return expr, selected


def _one_tag_selector(root: etree._Element, tag: str, els: list[etree._Element]) -> str:
    wanted = set(els)
    shared = set(_classes(els[0]))
    for el in els[1:]:
        shared &= set(_classes(el))
    lasts = [tag, *(f"{tag}.{c}" for c in sorted(shared, key=lambda c: (len(c), c)))]
    parents = {el.getparent() for el in els}
    parent_steps = {_step(p) for p in parents if p is not None}
    anchors: list[str] = []
    common = set.intersection(*(set(el.iterancestors()) for el in els)) if els else set()
    for anc in els[0].iterancestors():
        if anc in common and _safe_id(anc):
            anchors.append(f"#{_safe_id(anc)}")
    candidates: list[tuple[str, bool]] = []
    for last in lasts:
        candidates.extend((f"{anchor} {last}", True) for anchor in anchors[:2])
        if len(parent_steps) == 1:
            candidates.append((f"{next(iter(parent_steps))} > {last}", False))
        candidates.append((last, False))
    full = [_safe_path(_css_path(el)) for el in els[:1]]
    steps = full[0].split(" > ")
    candidates.extend((" > ".join(steps[-k:]), False) for k in range(2, len(steps) + 1))
    best: tuple[int, int, int, int, str] | None = None
    for expr, anchored in candidates:
        got = set(_css(root, expr))
        if not wanted <= got:
            continue
        key = (len(got - wanted), 0 if anchored else 1, 0 if "." in expr.rsplit(" ", 1)[-1] else 1, len(expr), expr)
        if best is None or key < best:
            best = key
    if best is None:  # cannot happen: the full path selects its own element
        raise SuggestError(f"no selector selects the result blocks ({tag})")
    return best[4]


def _css_path(el: etree._Element) -> str:
    steps = []
    node: etree._Element | None = el
    while node is not None:
        step = node.tag + (f"#{_safe_id(node)}" if _safe_id(node) else "") + "".join(f".{c}" for c in _classes(node))
        steps.append(step)
        node = node.getparent()
    return " > ".join(reversed(steps))


# --- fields -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    kind: str  # css | xpath
    expr: str
    attr: str | None = None
    regex: str | None = None

    def extractor(self) -> Extractor | None:
        source = self.expr
        try:
            if self.kind == "css":
                source = css2xpath(self.expr)
            compiled = etree.XPath(source, namespaces={"re": "http://exslt.org/regular-expressions"})
        except Exception:  # not expressible: not a candidate
            return None
        return Extractor(
            key="draft", kind=self.kind, expr=self.expr, xpath=compiled, attr=self.attr,
            regex=re.compile(self.regex) if self.regex else None,
        )  # fmt: skip

    def toml(self) -> Any:
        if self.kind == "css" and self.attr is None and self.regex is None:
            return self.expr
        spec: dict[str, Any] = {self.kind: self.expr}
        if self.attr:
            spec["attr"] = self.attr
        if self.regex:
            spec["regex"] = self.regex
        return spec


def _relative(pair: _Pair, target: etree._Element) -> tuple[int, list[etree._Element]] | None:
    """(following-sibling index or 0, the elements from the block (exclusive) down to the target)."""
    chain = []
    node: etree._Element | None = target
    while node is not None and node is not pair.el:
        if pair.section and node.getparent() is pair.el.getparent():
            siblings = [s for s in pair.el.itersiblings() if isinstance(s.tag, str)]
            return siblings.index(node) + 1, [*reversed(chain)]
        chain.append(node)
        node = node.getparent()
    if node is None:
        return None
    return 0, list(reversed(chain))


def _candidates(sibling: int, chain: list[etree._Element], attr: str | None) -> list[_Spec]:
    specs: list[_Spec] = []
    if sibling:
        head = f"following-sibling::*[{sibling}]"
        if not chain:
            return [_Spec("xpath", head, attr)]
        exact = "/".join(f"{el.tag}[{_nth_of_type(el)[0]}]" for el in chain)
        specs.append(_Spec("xpath", f"{head}/{exact}", attr))
        specs.append(_Spec("xpath", f"{head}//{chain[-1].tag}", attr))
        return specs
    if not chain:
        return [_Spec("xpath", ".", attr)]
    last = chain[-1]
    specs.append(_Spec("css", last.tag, attr))
    specs.extend(_Spec("css", f"{last.tag}.{c}", attr) for c in _classes(last))
    if len(chain) >= 2:
        specs.append(_Spec("css", f"{_step(chain[-2])} > {_step(last)}", attr))
        specs.append(_Spec("css", f"{_step(chain[-2])} {last.tag}", attr))
    specs.append(_Spec("css", " > ".join(_step(el) for el in chain), attr))
    tight = []
    for el in chain:
        n, count = _nth_of_type(el)
        tight.append(_step(el) + (f":nth-of-type({n})" if count > 1 else ""))
    specs.append(_Spec("css", " > ".join(tight), attr))
    specs.append(_Spec("xpath", "./" + "/".join(f"{el.tag}[{_nth_of_type(el)[0]}]" for el in chain), attr))
    return specs


def _innermost(nodes: Iterable[etree._Element], keep: Callable[[etree._Element], bool]) -> etree._Element | None:
    best = None
    for node in nodes:
        if keep(node) and (best is None or len(_text(node)) <= len(_text(best))):
            best = node
    return best


@dataclass
class _FieldChoice:
    spec: _Spec
    right: int  # blocks for which it gives auto mode's value
    wanted: int  # blocks that show the value


def _same_text_up(pair: _Pair, node: etree._Element | None) -> list[etree._Element]:
    """The node and its ancestors inside the block that show exactly the same text (h2 > a: both)."""
    if node is None:
        return []
    out = [node]
    text = _squash(_text(node))
    scope = set(pair.scope())
    while node not in scope and (parent := node.getparent()) is not None and _squash(_text(parent)) == text:
        out.append(parent)
        node = parent
    return out


def _choose(
    pairs: list[_Pair],
    targets: Callable[[_Pair], list[etree._Element]],
    good: Callable[[_Pair, str | None], bool],
    shown: Callable[[_Pair], bool],
    attr: str | None = None,
    regexes: tuple[str | None, ...] = (None,),
    keep: Callable[[_Spec], bool] = lambda spec: True,
) -> _FieldChoice | None:
    """The selector (among forms derived from each block's target elements) right for the most blocks; ties go
    to selectors without a regex, CSS over XPath, with a class, shorter."""
    from harvester.parsing.profile import extract

    pool: dict[_Spec, None] = {}
    for pair in pairs:
        for node in targets(pair):
            rel = _relative(pair, node)
            if rel is None:
                continue
            for spec in _candidates(*rel, attr):
                if not keep(spec):
                    continue
                for regex in regexes:
                    pool.setdefault(_Spec(spec.kind, spec.expr, spec.attr, regex), None)
    best: tuple[tuple[int, int, int, int, int], _Spec] | None = None
    for spec in pool:
        extractor = spec.extractor()
        if extractor is None:
            continue
        right = sum(1 for pair in pairs if good(pair, extract(extractor, pair.el)))
        key = (
            -right, 0 if spec.regex is None else 1, 0 if spec.kind == "css" else 1, 0 if "." in spec.expr else 1,
            len(spec.expr),
        )  # fmt: skip
        if best is None or key < best[0]:
            best = (key, spec)
    if best is None or best[0][0] == 0:
        return None
    return _FieldChoice(best[1], -best[0][0], sum(1 for pair in pairs if shown(pair)))


def _date_regex(texts: Iterable[str]) -> str | None:
    """A regex for dates shown like these ("August 17, 2023" -> month name, day, 4-digit year)."""
    shapes: dict[str, None] = {}
    for text in texts:
        shape = _shape(text)
        if shape:
            shapes.setdefault(shape, None)
    if not shapes or len(shapes) > 4:
        return None
    body = "|".join(shapes)
    return f"(?i)(?P<value>{body})" if len(shapes) == 1 else f"(?i)(?P<value>(?:{body}))"


def _shape(text: str) -> str:
    out = []
    pos = 0
    token = re.compile(rf"(?P<wd>{_WEEKDAYS.pattern})(?![a-z])|(?P<mon>{_MONTHS.pattern})(?![a-z])|(?P<num>\d+)"
                       r"(?P<ord>st|nd|rd|th)?|(?P<sp>\s+)|(?P<other>.)", re.I)  # fmt: skip
    for match in token.finditer(text.strip()):
        if match.start() != pos:
            return ""
        pos = match.end()
        if match["wd"]:
            out.append(_WEEKDAY)
        elif match["mon"]:
            out.append(_MONTH)
        elif match["num"]:
            n = len(match["num"])
            out.append(r"\d{4}" if n == 4 else r"\d{1,2}" if n <= 2 else rf"\d{{{n}}}")
            if match["ord"]:
                out.append(r"(?:st|nd|rd|th)?")
        elif match["sp"]:
            out.append(r"\s*")
        else:
            out.append(re.escape(match["other"]))
    return "".join(out)


# --- the draft ----------------------------------------------------------------------------------------------


def suggest_file(path: str | Path, *, base_url: str | None = None, name: str | None = None) -> Draft:
    """Draft a profile from a saved listing page (decoded as ``harvester parse`` decodes it)."""
    from harvester.parsing.files import decode

    path = Path(path)
    selector = parsel.Selector(text=decode(path.read_bytes()), base_url=base_url)
    return suggest_profile(selector, base_url, name=name, origin=path.name)


def suggest_profile(
    selector: parsel.Selector, page_url: str | None = None, *, name: str | None = None, origin: str | None = None
) -> Draft:
    """Draft a profile for the listing on this page. Raises NotAListingError (not a listing, as for
    ``parse --auto``) or :class:`SuggestError` (a listing no profile can describe)."""
    if name is not None and not _NAME.fullmatch(name):
        raise SuggestError(f"--name {name!r}: a profile name is [a-z0-9][a-z0-9_-]* (lower case, digits, - and _)")
    result = extract_blocks(selector, page_url)
    root = selector.root
    pairs, lines = _pairs(selector, result)
    if not pairs and not lines:
        raise SuggestError(
            f"auto mode's blocks ({result.block_signature} in {result.container_path}) could not be found again "
            "as elements of the page; no profile was drafted"
        )
    if not pairs:
        raise SuggestError(
            f"auto mode read this listing as <br>-separated lines ({result.block_signature} in "
            f"{result.container_path}); a profile selects elements, so it cannot describe them: use "
            "`harvester parse --auto` or `harvester crawl --auto`"
        )
    notes: list[str] = []
    if lines:
        notes.append(f"{lines} of auto mode's {len(result.blocks)} blocks are <br>-separated lines; a profile "
                     "cannot select them, so the draft leaves them out")  # fmt: skip
    unmatched = len(result.blocks) - lines - len(pairs)
    if unmatched:
        notes.append(f"{unmatched} blocks could not be found again as elements; the draft leaves them out")
    block_expr, selected = _block_selector(root, [p.el for p in pairs])
    extra = len(selected) - len(pairs)
    if extra:
        notes.append(f"blocks: the selector also selects {extra} element(s) auto mode did not keep (rows or "
                     "notes without a date, e.g. a header row): they become records without a date")  # fmt: skip
    if any(p.section for p in pairs):
        notes.append("blocks: each result is a heading and the elements after it; fields outside the heading "
                     "are read from its following siblings (following-sibling::*[n]) - check other pages")  # fmt: skip

    chosen = _fields(pairs, page_url, notes)
    date = chosen["date"]
    n = len(pairs)

    # dates: formats that read every value exactly as the normaliser does
    formats = _formats(pairs, date.spec if date else None)

    # start URL and name
    start_url = page_url or _canonical(selector)
    nxt = find_next_link(selector, start_url, exclude=[p.el for p in pairs])
    start_note = None
    if start_url is None:
        start_url = _start_from_next(nxt, home_host(selector))
        start_note = "REVIEW: the page's URL was not given (--base-url) and the page names no canonical URL: " + (
            "guessed from the next-page link" if start_url else "a placeholder"
        )
        notes.append(f"start: {start_note.removeprefix('REVIEW: ')}")
    name = name or source_name(start_url, default="draft")
    pagination = _pagination(root, nxt, start_url, len(selected), notes)

    data = _data(name, start_url, pagination, block_expr, chosen, formats)
    text = _render(data, result, origin, page_url, chosen, n, len(selected), nxt, notes, start_note)
    loaded = tomllib.loads(text)
    if loaded != data:  # the emitter wrote what was meant
        raise AssertionError(f"TOML round trip differs: {loaded} != {data}")
    profile = profile_from_data(loaded, f"<draft {name}>")
    reproduced = _reproduced(selector, profile, page_url, result)
    return Draft(text, data, name, len(result.blocks), len(selected), reproduced, notes)


def _fields(pairs: list[_Pair], page_url: str | None, notes: list[str]) -> dict[str, _FieldChoice | None]:
    """A selector for each of url, title, date and summary (None where none gives auto mode's values)."""

    def url_of(value: str | None) -> str | None:
        return urljoin(page_url, value) if value and page_url else value

    def equal_text(pair: _Pair, value: str | None) -> list[etree._Element]:
        if value is None:
            return []
        return _same_text_up(pair, _innermost(pair.nodes(), lambda n: _squash(_text(n)) == _squash(value)))

    def links_to(pair: _Pair) -> list[etree._Element]:
        url = pair.block.url
        return [a for a in pair.nodes() if a.tag == "a" and url and url_of((a.get("href") or "").strip()) == url]

    def date_node(pair: _Pair) -> list[etree._Element]:
        shown = _squash(pair.block.date_text)
        return _same_text_up(pair, _innermost(pair.nodes(), lambda n: shown in _squash(_text(n))))

    chosen = {
        "url": _choose(
            pairs, links_to, lambda p, v: p.block.url is not None and url_of(v) == p.block.url,
            lambda p: p.block.url is not None, attr="href",
        ),
        # a title agrees with auto mode's as the scorer sees it: "May 2024" is no title, like None
        "title": _choose(
            pairs, lambda p: equal_text(p, p.block.title),
            lambda p, v: normalize_title(v) == normalize_title(p.block.title), lambda p: True,
        ),
        "date": _choose(
            pairs, date_node, lambda p, v: v is not None and _squash(v) == _squash(p.block.date_text),
            lambda p: p.block.date_text is not None,
            regexes=(None, _date_regex(p.block.date_text for p in pairs if p.block.date_text)),
        ),
        "summary": _choose(  # a guess at best: auto mode's summary is the block's remaining text
            pairs, lambda p: _same_text_up(p, _summary_node(p)), _summary_ok, lambda p: p.block.summary is not None,
            keep=lambda spec: bool(_SUMMARY_WORDS.search(re.split(r"[ >/]", spec.expr)[-1])),
        ),
    }  # fmt: skip
    for key in ("url", "title", "date"):
        choice = chosen[key]
        attribute = {"url": "url", "date": "date_text"}.get(key)
        shown = sum(1 for p in pairs if attribute is None or getattr(p.block, attribute))
        if choice is None and shown:
            notes.append(f"fields.{key}: no selector gives auto mode's {key} (it is not the text of one element: "
                         "auto mode may have cut it from a longer line); add one by hand")  # fmt: skip
        elif choice is not None and choice.right < shown:
            notes.append(f"fields.{key}: gives auto mode's {key} for {choice.right} of {shown} blocks")
    if chosen["url"] is None and chosen["title"] is None:
        chosen["title"] = _FieldChoice(_Spec("xpath", "."), 0, len(pairs))
        notes.append("fields.title: the whole block's text (no element holds the title alone); narrow it")
    return chosen


def _summary_node(pair: _Pair) -> etree._Element | None:
    summary = pair.block.summary
    if not summary:
        return None
    exact = _innermost(pair.nodes(), lambda n: _squash(_text(n)) == _squash(summary))
    if exact is not None:
        return exact
    inside = [
        n
        for n in pair.nodes()
        if n is not pair.el and _text(n) and _squash(_text(n)) in _squash(summary)
        and _SUMMARY_WORDS.search(f"{n.get('class') or ''} {n.get('id') or ''}")
    ]  # fmt: skip
    return max(inside, key=lambda n: len(_text(n)), default=None)


def _summary_ok(pair: _Pair, value: str | None) -> bool:
    summary = pair.block.summary
    return bool(summary and value) and _squash(value) in _squash(summary)


def _formats(pairs: list[_Pair], spec: _Spec | None) -> list[str]:
    if spec is None:
        return []
    from harvester.parsing.profile import extract

    extractor = spec.extractor()
    values = [v for p in pairs if extractor is not None and (v := extract(extractor, p.el))]
    if not values:
        return []
    expected = {v: normalize_date(v).iso for v in values}
    chosen: list[str] = []
    covered: set[str] = set()
    for fmt in DATE_FORMATS:
        read = {v: d.iso for v in values if (d := date_from_formats(v, [fmt])) is not None}
        if not read or any(expected[v] != iso for v, iso in read.items()):
            continue
        if set(read) - covered:
            chosen.append(fmt)
            covered |= set(read)
        if covered == set(values):
            break
    return chosen


def _start_from_next(nxt: NextLink | None, home: str | None) -> str | None:
    """The first page's URL from an absolute next-page link on the page's own host: ``.../page/2/`` -> ``.../``."""
    if nxt is None or home is None:
        return None
    parts = urlsplit(nxt.url)
    if parts.scheme not in ("http", "https") or parts.netloc.lower() != home:
        return None
    path = re.sub(r"/[A-Za-z][\w-]*/\d+/?$", "/", parts.path) if not parts.query else parts.path
    return f"{parts.scheme}://{parts.netloc}{path}"


def _canonical(selector: parsel.Selector) -> str | None:
    for expr in ("//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        value = (selector.xpath(expr).get() or "").strip()
        if urlsplit(value).scheme in ("http", "https") and urlsplit(value).netloc:
            return value
    return None


def _pagination(
    root: etree._Element, nxt: NextLink | None, page_url: str | None, size: int, notes: list[str]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    current = page_param(page_url) if page_url else None
    if nxt is not None:
        number = page_param(nxt.url)
        path = urlsplit(nxt.url).path
        found = re.search(r"/([A-Za-z][\w-]*)/(\d+)/?$", path)
        if number is not None:
            out["param"] = "page"
            first = current if current is not None else number - 1
            if first in (0, 1):
                out["first"] = first
        elif found and not re.search(r"/([A-Za-z][\w-]*)/(\d+)/?$", urlsplit(page_url or "").path):
            out["path"] = f"/{re.escape(found[1])}/(?P<page>\\d+)/?$"
            if int(found[2]) - 1 in (0, 1):
                out["first"] = int(found[2]) - 1
        out["size"] = size
        out["next"] = _next_spec(root, nxt).toml()
    elif current is not None:
        out.update({"param": "page", "size": size})
        if current in (0, 1):
            out["first"] = current
        notes.append("pagination: no next link on the page; its URL has page=N, so the crawl walks page=N+1 "
                     "until a page has no blocks - check that the site numbers pages this way")  # fmt: skip
    else:
        out["size"] = size
        notes.append("pagination: no next-page link was found: the crawl will walk page=N+1 (the default "
                     "grammar) until a page is empty; describe the site's pager if it has one")  # fmt: skip
    return out


def _next_spec(root: etree._Element, nxt: NextLink) -> _Spec:
    el = nxt.element
    href = el.get("href")
    if nxt.how == "rel=next":
        return _Spec("css", f"{el.tag}[rel~=next]", "href")
    options = []
    own = _classes(el)
    lasts = [f"a.{c}" for c in own] + ["a"]
    for anc in [el, *list(el.iterancestors())[:4]]:
        if anc is el:
            options.extend(lasts[:-1])
            continue
        anchor = f"#{_safe_id(anc)}" if _safe_id(anc) else None
        for step in ([anchor] if anchor else []) + [f"{anc.tag}.{c}" for c in _classes(anc)]:
            options.extend(f"{step} {last}" for last in lasts)
    for expr in sorted(dict.fromkeys(options), key=len):
        got = _css(root, expr)
        if got and all(g.get("href") == href for g in got):
            return _Spec("css", expr, "href")
    words = (nxt.text or "").split()
    label = " ".join(w for w in words if any(ch.isalnum() for ch in w))
    if label and '"' not in label:
        return _Spec("xpath", f'//a[starts-with(normalize-space(.), "{label}")]', "href")
    return _Spec("xpath", f"//a[@href={json.dumps(href)}]", "href")


def _data(
    name: str,
    start_url: str | None,
    pagination: dict[str, Any],
    block_expr: str,
    chosen: dict[str, _FieldChoice | None],
    formats: list[str],
) -> dict[str, Any]:
    parts = urlsplit(start_url or "https://example.org/")
    rest = parts.path or "/"
    if parts.query:
        rest += "?" + parts.query
    data: dict[str, Any] = {
        "format": 1,
        "name": name,
        "title": f"{parts.netloc} (draft by harvester profile --suggest)",
        "start": {"base_url": f"{parts.scheme}://{parts.netloc}", "url": "{base_url}" + _braces(rest)},
        "pagination": pagination,
        "blocks": {"css": block_expr},
        "fields": {k: c.spec.toml() for k, c in chosen.items() if c is not None},
    }  # fmt: skip
    if formats:
        data["dates"] = {"formats": formats}
    data["politeness"] = {"delay": 5.0, "concurrency_per_domain": 1, "autothrottle": True, "robots_txt": True}
    return data


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _reproduced(selector: parsel.Selector, profile: Any, page_url: str | None, result: AutoResult) -> int:
    """How many of auto mode's records the draft gives back on the page: the same date (as the record normaliser
    reads it) and title (compared as the scorer does: case, punctuation and dates aside)."""
    from harvester.parsing import PageError
    from harvester.parsing.profile import parse_with_profile
    from harvester.records import build_record, raw_item

    try:
        page = parse_with_profile(selector, profile, page_url)
    except PageError:
        return 0

    def pair(raw: dict[str, Any]) -> tuple[str | None, str]:
        record = build_record(raw, crawled_at=None)
        return record["date"], normalize_title(record["title"])

    got = Counter(
        pair(raw_item(b, source=profile.name, listing_url=page_url, page=None, profile=profile)) for b in page.blocks
    )
    want = Counter(
        pair(raw_item(b.to_raw_block(), source=profile.name, listing_url=page_url, page=None, titles="none"))
        for b in result.blocks
    )
    return sum((want & got).values())


# --- TOML with comments (tomlkit) ------------------------------------------------------------------------------


def _value(value: Any) -> Any:
    """A TOML item for ``value``: strings literal ('...') when they can be (regexes and XPath stay readable)."""
    if isinstance(value, str):
        literal = "'" not in value and "\n" not in value and not any(ord(c) < 32 or ord(c) == 127 for c in value)
        return tomlkit.string(value, literal=literal)
    if isinstance(value, dict):
        table = tomlkit.inline_table()
        for key, item in value.items():
            table.append(key, _value(item))
        return table
    if isinstance(value, list):
        array = tomlkit.array()
        for item in value:
            array.append(_value(item))
        return array
    return tomlkit.item(value)


def _commented(value: Any, comment: str) -> Any:
    item = _value(value)
    item.comment(comment)
    return item


def _render(
    data: dict[str, Any],
    result: AutoResult,
    origin: str | None,
    page_url: str | None,
    chosen: dict[str, _FieldChoice | None],
    matched: int,
    selected: int,
    nxt: NextLink | None,
    notes: list[str],
    start_note: str | None,
) -> str:
    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"DRAFT profile written by `harvester profile --suggest` from {origin or 'a saved page'}"
                            + (f" ({page_url})" if page_url else "") + "."))  # fmt: skip
    doc.add(tomlkit.comment(f"Auto mode found {len(result.blocks)} result blocks (confidence {result.confidence:.2f}, "
                            f"layout {result.layout}): {result.block_signature}"))  # fmt: skip
    doc.add(tomlkit.comment(f"  in {result.container_path}"))
    for line in (
        "Everything below was derived from this one page. Review it before use:",
        "  1. the block selector and each field on a second page of the site (page 2, another search);",
        "  2. [start]: put the listing's parameters under [params] if it has any (docs/profiles.md);",
        "  3. add [not_a_listing] (a marker of detail pages) and [empty] (the 'no results' message);",
        "  4. check: harvester parse --profile THIS.toml saved.html --base-url URL",
    ):
        doc.add(tomlkit.comment(line))
    if notes:
        doc.add(tomlkit.comment("REVIEW:"))
        for note in notes:
            doc.add(tomlkit.comment(f"  - {note}"))
    doc.add(tomlkit.nl())
    for key in ("format", "name", "title"):
        doc.add(key, _value(data[key]))

    start = tomlkit.table()
    if start_note:
        start.add(tomlkit.comment(start_note))
    start.add("base_url", _value(data["start"]["base_url"]))
    start.add("url", _value(data["start"]["url"]))
    doc.add("start", start)

    pagination = tomlkit.table()
    pag = data["pagination"]
    if nxt is not None:
        pagination.add(tomlkit.comment(
            f"next page seen on this page: {nxt.url} ({nxt.how}" + (f", {nxt.text!r})" if nxt.text else ")")
        ))  # fmt: skip
    for key in ("param", "path", "first", "size", "next"):
        if key in pag:
            item = _commented(pag[key], "results per page on this page") if key == "size" else _value(pag[key])
            pagination.add(key, item)
    doc.add("pagination", pagination)

    blocks = tomlkit.table()
    blocks.add(tomlkit.comment(f"selects {selected} elements on the page; auto mode kept {matched} of them as results"))
    blocks.add("css", _value(data["blocks"]["css"]))
    doc.add("blocks", blocks)

    fields = tomlkit.table()
    for key in ("url", "title", "date", "summary"):
        choice = chosen.get(key)
        if choice is None:
            fields.add(tomlkit.comment(f"{key}: not derived" + (" (review)" if key != "summary" else " (optional)")))
            continue
        how = f"gives auto mode's {key} for {choice.right} of {choice.wanted} blocks"
        if key == "summary":
            how = f"holds (part of) auto mode's summary for {choice.right} of {choice.wanted} blocks; review"
        if key == "date" and choice.spec.regex:
            how += "; the regex cuts the date out of longer text"
        fields.add(key, _commented(data["fields"][key], how))
    doc.add("fields", fields)

    if "dates" in data:
        dates = tomlkit.table()
        dates.add(tomlkit.comment("strptime formats that read every date on this page as the date normaliser does"))
        dates.add("formats", _value(data["dates"]["formats"]))
        doc.add("dates", dates)

    doc.add(tomlkit.nl())
    for line in (
        "Not derivable from one page; fill in when you know the site:",
        "[not_a_listing]",
        'markers = ["body.single"]   # something only a detail page has',
        'what = "a single document page"',
        "[empty]",
        "regex = 'no results|nothing found'",
    ):
        doc.add(tomlkit.comment(line))

    politeness = tomlkit.table()
    politeness.comment("the project's defaults; a site may ask for more (robots.txt Crawl-delay)")
    for key, value in data["politeness"].items():
        politeness.add(key, _value(value))
    doc.add("politeness", politeness)
    return tomlkit.dumps(doc)
