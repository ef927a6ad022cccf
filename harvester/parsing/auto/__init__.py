"""Zero-configuration listing extractor: find the repeated result blocks of an unseen page.

Pure functions: a parsel ``Selector`` in, records out (no Scrapy, no network).

How it works
------------
1. The document is linearised once into text segments in reading order, with "breaks" where a
   block-level element starts or ends or a ``<br>`` stands. Every element knows its segment range;
   every segment knows its enclosing link, heading, table cell and whether it lies in page
   furniture (``nav``/``footer``/``aside`` or a class/id such as ``menu``, ``sidebar``,
   ``breadcrumb``, ``pagination``).
2. Candidate groups of blocks:

   * ``elements`` - children of one parent with the same tag + class signature (table rows, list
     items, ``div.row`` cards, repeated paragraphs);
   * ``br-lines`` - the ``<br>``-separated lines of an element with inline content only;
   * ``heading-sections`` - a heading plus the siblings that follow it, up to the next heading of
     the same level.

   Groups with the same structural key (the tag/class path from the root) are merged, so that a
   listing split into one table or list per year counts as one listing.
3. Each group is scored: number of blocks showing a date, times the share of dated blocks,
   penalties for several different dates per block (a container, not an item), for page furniture,
   for near-empty or article-length blocks, for dates inside running text (prose, not items) and
   for repeated identical texts. Groups whose blocks show many dates each are skipped early.
4. The best group is *promoted* to an enclosing group when its blocks are parts of larger records:
   a post whose heading was chosen, a table row made of a name cell and a date cell, a meeting card
   holding document links that repeat the meeting's date (the larger block shows one date only).
   Other dated, non-overlapping groups are added when they score at least `SECONDARY_SHARE` of the
   best, or at least `NEAR_MIN_SCORE` in the same content region (an "upcoming" table above an
   "archive" table, a schedule above a minutes list).
5. From each block: the date (first date expression that is not a "Posted on"/"Updated" date; a
   month-only date gives way to a later full date of the same month), read at the precision shown
   through `harvester.normalize.dates.normalize_date`. A date shown without a year takes the year
   of the nearest preceding year heading or dated text on the page (``year_source="context"``);
   without one its ISO date stays None - never today's year. A block whose whole text is a month
   name under a year heading is month-precise; a line that is only a year ("1948") is
   year-precise. Title: the table column headed "name/title/meeting/event", else the block's
   heading, else an element whose class says title/name, else the first link that is neither a
   document label ("Agenda", "Minutes", "PDF", ...) nor a text repeated across the group ("Open
   Video"), else bold text, else the block's first line without its dates, times and trailing
   document labels. A title that would be only a date is ``None``. URL: the title's link, else the
   first usable link, else the first link. Summary: the remaining text.
6. Blocks showing no date are dropped by default (in dated listings they are notes: "No meeting in
   August", year headings); a page whose best group is weak (`MIN_CONFIDENCE`) or has fewer than
   two dated blocks raises `NotAListingError`.

Nothing here is tuned to one site: the same rules run on every page.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import urljoin

import parsel

from harvester.model import ChallengePageError, ListingPage, NotAListingError, RawBlock
from harvester.normalize.datefind import (
    MONTH_NAMES,
    DateMatch,
    find_dates,
    find_years,
    month_number,
    strip_dates_and_times,
)
from harvester.normalize.dates import normalize_date

__all__ = ["AutoBlock", "AutoResult", "GroupSummary", "extract_blocks"]

#: Below this confidence the page is not taken for a listing (see `extract_blocks`).
MIN_CONFIDENCE = 0.1
#: Secondary groups must score at least this share of the best group's score.
SECONDARY_SHARE = 0.3
#: ... or score at least this and sit next to the best group (same content region).
NEAR_MIN_SCORE = 4.0
#: Groups whose dated blocks show more date expressions than this on average are containers.
MAX_DATES_PER_BLOCK = 8
#: A date in a longer line than this is part of running text.
PROSE_LINE = 150
#: A block longer than this is an article, not a listing item (soft penalty above it).
LONG_BLOCK = 400

_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "head", "iframe", "select", "option", "object",
     "canvas", "textarea", "input", "math"}
)  # fmt: skip
_BLOCK_TAGS = frozenset(
    {"address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details", "dialog",
     "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
     "h6", "header", "hgroup", "hr", "html", "li", "main", "menu", "nav", "ol", "p", "pre", "section",
     "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul"}
)  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BOILER_TAGS = frozenset({"nav", "footer", "aside"})
_BOILER_WORDS = frozenset(
    {"nav", "navbar", "navigation", "menu", "menus", "submenu", "megamenu", "dropdown", "footer", "sidebar",
     "breadcrumb", "breadcrumbs", "pagination", "pager", "masthead", "topbar", "toolbar", "skip", "social",
     "share", "sharing", "cookie", "cookies", "banner", "offcanvas"}
)  # fmt: skip
_NEGATIONS = frozenset({"not", "no", "non", "without", "has", "with", "hide", "hidden", "show"})
_TITLE_WORDS = frozenset({"title", "name", "heading", "headline", "subject"})
_STATE_CLASS = re.compile(r"^(?:odd|even|first|last|active|current|selected|alt|alternate|clearfix|is-.*|has-.*)$")
_CLASS_SPLIT = re.compile(r"[-_\s]+|(?<=[a-z])(?=[A-Z])")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_GENERIC = frozenset(
    {"agenda", "agendas", "minutes", "minute", "mins", "notice", "notices", "public", "video", "videos",
     "audio", "pdf", "doc", "docx", "download", "downloads", "view", "more", "read", "learn", "details",
     "detail", "click", "here", "presentation", "presentations", "summary", "transcript", "transcripts",
     "packet", "packets", "material", "materials", "attachment", "attachments", "document", "documents",
     "file", "files", "recording", "recordings", "livestream", "live", "stream", "watch", "listen",
     "podcast", "map", "directions", "get", "register", "rsvp", "calendar", "add", "ical", "ics", "google",
     "outlook", "share", "print", "revised", "amended", "draft", "approved", "final", "meeting", "board",
     "and", "the", "of", "a", "to", "for", "in", "on", "at", "with", "kb", "mb", "size", "link", "open",
     "new", "window", "opens", "tab", "see", "full", "report", "x", "icon", "image", "photo", "s"}
)  # fmt: skip
_DOC_WORDS = frozenset(
    {"agenda", "agendas", "minutes", "notice", "notices", "video", "audio", "pdf", "download", "presentation",
     "presentations", "transcript", "packet", "materials", "attachments", "documents", "recording", "podcast"}
)  # fmt: skip
_NAME_HEADER = re.compile(r"\b(?:name|title|meeting|event|subject|description|committee|hearing|body)\b", re.I)
_NOT_NAME_HEADER = re.compile(
    r"\b(?:date|time|when|location|where|place|attach\w*|document\w*|agenda|minutes|video|file\w*|type|categor\w*)\b",
    re.I,
)
_META_LABEL = re.compile(
    r"(?:posted|updated|modified|published|created|printed|retrieved|accessed|copyright|©)\W{0,3}(?:\w+\W+){0,2}$",
    re.I,
)
_MONTH_ONLY = re.compile(
    r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?:\s+[\w.()'-]+){0,3}",
    re.I,
)
_YEAR_ONLY = re.compile(r"(?:(?:ca?|circa)\.?\s*)?\[?(1[5-9]\d\d|20\d\d)\]?\??", re.I)
_EDGE_JUNK = re.compile(r"^[\s\-–—|:;,.@/·•*]+|[\s\-–—|:;,@/·•*]+$")
_LEADING_CONNECTOR = re.compile(r"^(?:(?:at|on|@|from|-)\s+)+", re.I)
_CHALLENGE_TITLES = ("just a moment", "attention required", "access denied", "please verify you are a human")

_HEADING, _STRONG = 1, 2


# --- results ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AutoBlock:
    """One result block found without configuration."""

    position: int  # 1-based rank on the page (document order)
    url: str | None  # absolute when base_url was given
    title: str | None
    date_text: str | None  # the date as shown (time not included)
    summary: str | None
    date_iso: str | None  # "2019-03-07" | "2019-03" | None
    date_precision: str | None  # "day" | "month" | None
    year_source: str | None = None  # "text" | "context" (year taken from a heading above) | None
    path: str = ""  # CSS-like path of the block element ("... > p ::line" for <br>-lines)

    def to_raw_block(self) -> RawBlock:
        return RawBlock(self.position, self.url, self.date_text, self.title, self.summary)


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One group of sibling blocks the result was built from (enough to draft a profile)."""

    kind: str  # "elements" | "br-lines" | "heading-sections"
    container: str  # CSS-like path of the lowest common ancestor of the group's blocks
    block: str  # the block signature, e.g. "tr", "li.views-row", "p ::line", "h3 + siblings"
    blocks: int
    dated: int
    score: float


@dataclass(slots=True)
class AutoResult:
    blocks: list[AutoBlock]
    confidence: float  # 0..1, heuristic (dated share, block count, penalties of the chosen group)
    container_path: str  # of the best group
    block_signature: str  # of the best group
    layout: str  # kind of the best group
    groups: list[GroupSummary] = field(default_factory=list)
    dropped_undated: int = 0  # blocks of the chosen groups left out for showing no date

    def to_listing_page(self) -> ListingPage:
        return ListingPage(layout=f"auto-{self.layout}", blocks=[b.to_raw_block() for b in self.blocks])


# --- linearised document -----------------------------------------------------------------------------


class _Doc:
    """Elements in document order and their text as a sequence of segments and breaks."""

    def __init__(self, root) -> None:
        self.els: list = []
        self.parent: list[int] = []
        self.start: list[int] = []
        self.end: list[int] = []
        self.boiler: list[bool] = []  # page furniture (nav, footer, menus, sidebars, ...)
        self.block_desc: list[bool] = []  # has a block-level descendant (br not counted)
        self.seg_text: list[str | None] = []  # None = break
        self.seg_owner: list[int] = []  # innermost element of the segment
        self.seg_link: list[int] = []  # element index of the enclosing <a href>, or -1
        self.seg_head: list[int] = []  # enclosing heading element, or -1
        self.seg_flags: list[int] = []
        self.seg_boiler: list[bool] = []
        self.index: dict = {}
        self._walk(root, -1, -1, -1, 0, False)
        self.sig = [_sig(el) for el in self.els]
        path_ids: dict[tuple[int, tuple], int] = {}
        self.path = [0] * len(self.els)  # the same id <=> the same tag/class path from the root
        for i, p in enumerate(self.parent):
            key = (self.path[p] if p >= 0 else -1, self.sig[i])
            self.path[i] = path_ids.setdefault(key, len(path_ids))
        for i in range(len(self.els) - 1, 0, -1):
            p = self.parent[i]
            if p >= 0 and (self.block_desc[i] or self.els[i].tag in _BLOCK_TAGS):
                self.block_desc[p] = True
        self._mark_boiler()

    def _mark_boiler(self) -> None:
        """Furniture by tag or class/id, unless the element wraps the main content.

        A wrapper such as ``<div class="page has-sidebar">`` holds most of the page's text and the
        ``<main>``/``<article>``/``<h1>``: it is not furniture.
        """
        lengths = [0] * (len(self.seg_text) + 1)
        for i, text in enumerate(self.seg_text):
            lengths[i + 1] = lengths[i] + (len(text.strip()) if text else 0)
        total = lengths[-1] or 1
        for i, flagged in enumerate(self.boiler):
            inherited = self.parent[i] >= 0 and self.boiler[self.parent[i]]
            own = flagged and not ((lengths[self.end[i]] - lengths[self.start[i]]) * 2 >= total and self._wraps_main(i))
            self.boiler[i] = inherited or own
        self.seg_boiler = [self.boiler[owner] for owner in self.seg_owner]

    def _wraps_main(self, idx: int) -> bool:
        el = self.els[idx]
        return any(True for _ in el.iter("main", "article", "h1"))

    def _emit(self, text: str | None, owner: int, link: int, head: int, flags: int) -> None:
        if text is None:
            if self.seg_text and self.seg_text[-1] is None:
                return
        else:
            text = text.translate(_ZERO_WIDTH)
            if not text:
                return
        self.seg_text.append(text)
        self.seg_owner.append(owner)
        self.seg_link.append(link)
        self.seg_head.append(head)
        self.seg_flags.append(flags)

    def _walk(self, el, parent: int, link: int, head: int, flags: int, in_main: bool) -> None:
        tag = el.tag
        idx = len(self.els)
        self.els.append(el)
        self.index[el] = idx
        self.parent.append(parent)
        self.block_desc.append(False)
        self.start.append(len(self.seg_text))
        self.end.append(len(self.seg_text))
        if tag in ("main", "article"):
            in_main = True
        self.boiler.append(
            tag in _BOILER_TAGS
            or (tag == "header" and not in_main)
            or (tag not in ("html", "body", "main", "article") and _is_boiler_el(el))
        )
        if tag == "a" and el.get("href"):
            link = idx
        if tag in _HEADINGS:
            head = idx
            flags |= _HEADING
        elif tag in ("strong", "b"):
            flags |= _STRONG
        block = tag in _BLOCK_TAGS
        if block or tag == "br":
            self._emit(None, idx, link, head, flags)
        if el.text:
            self._emit(el.text, idx, link, head, flags)
        for child in el:
            ctag = child.tag
            if isinstance(ctag, str) and ctag not in _SKIP_TAGS:
                self._walk(child, idx, link, head, flags, in_main)
            if child.tail:
                self._emit(child.tail, idx, link, head, flags)
        if block:
            self._emit(None, idx, link, head, flags)
        self.end[idx] = len(self.seg_text)


def _class_words(value: str) -> list[str]:
    return [w.lower() for w in _CLASS_SPLIT.split(value) if w]


def _is_boiler_el(el) -> bool:
    """A class, id or role naming page furniture ("site-footer", "nav-menu", "sidebar").

    Tokens that negate or merely announce it ("wsite-not-footer", "no-sidebar", "has-sidebar",
    "with-menu") are layout flags of a wrapper, not furniture.
    """
    for token in f"{el.get('class') or ''} {el.get('id') or ''} {el.get('role') or ''}".split():
        words = _class_words(token)
        if any(w in _BOILER_WORDS for w in words) and not any(w in _NEGATIONS for w in words):
            return True
    return False


_DIGIT = re.compile(r"\d")


def _class_sig(el) -> tuple[str, ...]:
    value = el.get("class")
    if not value:
        return ()
    return tuple(sorted({t for t in value.split() if not _DIGIT.search(t) and not _STATE_CLASS.match(t.lower())}))


def _sig(el) -> tuple[str, tuple[str, ...]]:
    return el.tag, _class_sig(el)


def _sig_text(el) -> str:
    classes = _class_sig(el)[:2]
    return el.tag + "".join("." + c for c in classes)


def _css_step(el) -> str:
    step = _sig_text(el)
    el_id = el.get("id")
    if el_id and not any(ch.isdigit() for ch in el_id) and " " not in el_id:
        step = f"{el.tag}#{el_id}" + step[len(el.tag) :]
    return step


@lru_cache(maxsize=65536)
def _dates_in(text: str) -> tuple[DateMatch, ...]:
    return tuple(find_dates(text))


# --- per-block analysis ------------------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    text: str
    seg_offsets: list[tuple[int, int]]  # (char offset in text, segment index)

    def seg_at(self, offset: int) -> int:
        pos = bisect_left(self.seg_offsets, (offset + 1, -1)) - 1
        return self.seg_offsets[max(pos, 0)][1]


@dataclass(slots=True)
class _Date:
    match: DateMatch
    seg: int
    offset: int  # char offset in its line
    line: int
    meta: bool  # "Posted on ..." and the like


@dataclass(slots=True)
class _Info:
    start: int
    end: int
    lines: list[_Line]
    dates: list[_Date]
    text: str
    links: list[int]
    boiler: bool
    link_share: float  # share of the text inside links


class _Extractor:
    def __init__(self, selector: parsel.Selector, base_url: str | None) -> None:
        root = selector.root
        if not hasattr(root, "iter"):
            raise NotAListingError("not an HTML document")
        self.base_url = base_url
        self.doc = _Doc(root)
        self._page_lines = self._split_lines(0, len(self.doc.seg_text))
        self._line_first = [ln.seg_offsets[0][1] for ln in self._page_lines]
        self._line_last = [ln.seg_offsets[-1][1] for ln in self._page_lines]
        self._info_cache: dict[tuple[int, int], _Info] = {}
        self._markers: list[tuple[int, int, int]] = []  # (segment, offset, year)
        self._build_markers()
        self._header_cache: dict[int, list[str] | None] = {}
        self.date_positions = sorted(_all_date_segments(self))

    # -- global passes ----------------------------------------------------------------------

    def _lines(self, start: int, end: int) -> list[_Line]:
        """Lines of the segment range; whole lines come from the page-wide split."""
        first, last = self._line_first, self._line_last
        i = bisect_left(first, start)
        if i == 0 or last[i - 1] < start:
            j = bisect_left(first, end)
            if j == i or last[j - 1] < end:
                return self._page_lines[i:j]
        return self._split_lines(start, end)

    def _split_lines(self, start: int, end: int) -> list[_Line]:
        lines: list[_Line] = []
        parts: list[str] = []
        offsets: list[tuple[int, int]] = []
        length = 0
        seg_text = self.doc.seg_text
        for i in range(start, end):
            text = seg_text[i]
            if text is None:
                if parts:
                    lines.append(_Line("".join(parts), offsets))
                    parts, offsets, length = [], [], 0
                continue
            offsets.append((length, i))
            parts.append(text)
            length += len(text)
        if parts:
            lines.append(_Line("".join(parts), offsets))
        return lines

    def _build_markers(self) -> None:
        """Year markers: (position, year) for dated text and short lines showing a year."""
        doc = self.doc
        for line in self._page_lines:
            text = line.text
            if not any(ch.isdigit() for ch in text):
                continue
            first_seg = line.seg_offsets[0][1]
            if doc.seg_boiler[first_seg]:
                continue
            dates = _dates_in(text)
            for d in dates:
                if d.year is not None:
                    self._markers.append((line.seg_at(d.start), d.start, d.year))
            compact = " ".join(text.split())
            if len(compact) <= 60 and "©" not in compact and "copyright" not in compact.lower():
                rest = strip_dates_and_times(text) if dates else text
                years = find_years(rest)
                if len(set(years)) == 1:
                    pos = text.find(str(years[0]))
                    self._markers.append((line.seg_at(max(pos, 0)), max(pos, 0), years[0]))
        self._markers.sort()

    def context_year(self, seg: int, offset: int) -> int | None:
        pos = bisect_left(self._markers, (seg, offset, -1))
        return self._markers[pos - 1][2] if pos > 0 else None

    # -- blocks -------------------------------------------------------------------------------

    def info(self, start: int, end: int) -> _Info:
        key = (start, end)
        cached = self._info_cache.get(key)
        if cached is not None:
            return cached
        doc = self.doc
        lines = [ln for ln in self._lines(start, end) if ln.text.strip()]
        dates: list[_Date] = []
        for n, line in enumerate(lines):
            previous: _Date | None = None
            for m in _dates_in(line.text):
                before = line.text[max(0, m.start - 40) : m.start]
                meta = bool(_META_LABEL.search(before)) or (
                    previous is not None
                    and previous.meta
                    and not _LETTER.search(line.text[previous.match.end : m.start])
                )
                previous = _Date(m, line.seg_at(m.start), m.start, n, meta)
                dates.append(previous)
        links: list[int] = []
        for i in range(start, end):
            link = doc.seg_link[i]
            if link >= 0 and doc.seg_text[i] is not None and doc.seg_text[i].strip() and link not in links:
                links.append(link)
        text = " ".join(" ".join(ln.text.split()) for ln in lines)
        boiler_segs = [doc.seg_boiler[i] for i in range(start, end) if doc.seg_text[i] is not None]
        boiler = bool(boiler_segs) and sum(boiler_segs) * 2 > len(boiler_segs)
        chars = linked = 0
        for i in range(start, end):
            t = doc.seg_text[i]
            if t:
                n = len(t.strip())
                chars += n
                if doc.seg_link[i] >= 0:
                    linked += n
        info = _Info(start, end, lines, dates, text, links, boiler, linked / chars if chars else 0.0)
        self._info_cache[key] = info
        return info

    def primary_date(self, info: _Info) -> tuple[str, int | None, int | None, int | None, str | None] | None:
        """(date text, year, month, day, year source) of the block's date, or None.

        The year is None (and so is its source) for a date shown without a year when the page
        shows no year before it: the date text is kept, the ISO date stays unknown.
        """
        candidates = [d for d in info.dates if not d.meta] or info.dates
        resolved = []
        for d in candidates:
            m = d.match
            if m.year is not None:
                resolved.append((" ".join(m.text.split()), m.year, m.month, m.day, "text"))
                continue
            year = self.context_year(d.seg, d.offset)
            if year is not None:
                resolved.append((" ".join(m.text.split()), year, m.month, m.day, "context"))
        if resolved:
            first = resolved[0]
            if first[3] is None:  # month only: a later date of the same month shows the day
                finer = next((r for r in resolved[1:] if r[1:3] == first[1:3] and r[3] is not None), None)
                if finer is not None:
                    return finer
            return first
        if candidates:
            m = candidates[0].match
            return " ".join(m.text.split()), None, m.month, m.day, None
        if not info.dates and info.lines and len(info.text) <= 40:
            mm = _MONTH_ONLY.fullmatch(info.text.strip())
            if mm:
                line = info.lines[0]
                year = self.context_year(line.seg_offsets[0][1], 0)
                number = month_number(mm.group("mon"))
                if year is not None and number is not None:
                    return mm.group("mon"), year, number, None, "context"
        if not info.dates and len(info.lines) > 1:
            # a line that is only a year ("1948", a date cell) in a block that also shows other text
            for line in info.lines:
                ym = _YEAR_ONLY.fullmatch(line.text.strip())
                if ym:
                    return line.text.strip(), int(ym.group(1)), None, None, "text"
        return None

    # -- titles ---------------------------------------------------------------------------------

    def _text_of(self, info: _Info, pred) -> list[tuple[int, str]]:
        """Runs of consecutive segments satisfying pred(i), as (first segment, text)."""
        doc = self.doc
        runs: list[tuple[int, str]] = []
        current: list[str] = []
        first = -1
        key = None
        pending_break = False
        for i in range(info.start, info.end):
            text = doc.seg_text[i]
            if text is None:
                pending_break = True
                continue
            k = pred(i)
            if k is not None and k == key:
                current.append(" " if pending_break else "")
                current.append(text)
                pending_break = False
                continue
            pending_break = False
            if current:
                runs.append((first, " ".join("".join(current).split())))
            current, key = ([text], k) if k is not None else ([], None)
            first = i
        if current:
            runs.append((first, " ".join("".join(current).split())))
        return [(f, t) for f, t in runs if t]

    def _header_names(self, table_idx: int) -> list[str] | None:
        if table_idx in self._header_cache:
            return self._header_cache[table_idx]
        table = self.doc.els[table_idx]
        names: list[str] | None = None
        for row in table.iter("tr"):
            cells = [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]
            if not cells:
                continue
            texts = [" ".join("".join(c.itertext()).split()) for c in cells]
            is_header = all(c.tag == "th" for c in cells) or row.getparent().tag == "thead"
            if is_header or (not any(find_dates(t) for t in texts) and all(len(t) < 40 for t in texts)):
                names = texts
            break
        self._header_cache[table_idx] = names
        return names

    def _table_title(self, el_idx: int) -> tuple[str, int] | None:
        el = self.doc.els[el_idx]
        if el.tag != "tr":
            return None
        table = el.getparent()
        while table is not None and table.tag != "table":
            table = table.getparent()
        if table is None or table not in self.doc.index:
            return None
        names = self._header_names(self.doc.index[table])
        if not names:
            return None
        column = next(
            (i for i, n in enumerate(names) if _NAME_HEADER.search(n) and not _NOT_NAME_HEADER.search(n)), None
        )
        if column is None:
            return None
        cells = [c for c in el if isinstance(c.tag, str) and c.tag in ("td", "th")]
        if column >= len(cells) or cells[column] not in self.doc.index:
            return None
        cell = self.doc.index[cells[column]]
        text = " ".join("".join(cells[column].itertext()).split()).translate(_ZERO_WIDTH)
        if not _has_words(text):
            return None
        links = [i for i in range(self.doc.start[cell], self.doc.end[cell]) if self.doc.seg_link[i] >= 0]
        return text, (self.doc.seg_link[links[0]] if links else -1)

    def link_texts(self, info: _Info) -> set[str]:
        doc = self.doc
        return {
            t.casefold() for _f, t in self._text_of(info, lambda i: doc.seg_link[i] if doc.seg_link[i] >= 0 else None)
        }

    def title_and_url(
        self, info: _Info, el_idx: int, labels: frozenset[str] = frozenset()
    ) -> tuple[str | None, str | None]:
        """`labels`: link texts repeated across the group ("Open Video", "Details"): not titles."""
        doc = self.doc
        title: str | None = None
        title_link = -1
        table = self._table_title(el_idx)
        if table is not None:
            title, title_link = table
        if title is None:
            for _first, text in self._text_of(info, lambda i: doc.seg_head[i] if doc.seg_head[i] >= 0 else None):
                if _has_words(text):
                    title = text
                    break
        if title is None:
            title_el = self._title_class_element(info, el_idx)
            if title_el is not None:
                text = self._element_text(title_el)
                if _has_words(text):
                    title = text
        if title is None:
            for _first, text in self._text_of(info, lambda i: doc.seg_link[i] if doc.seg_link[i] >= 0 else None):
                if _is_title_text(text) and text.casefold() not in labels:
                    title = text
                    title_link = doc.seg_link[_first]
                    break
        if title is None:
            for _first, text in self._text_of(info, lambda i: 1 if doc.seg_flags[i] & _STRONG else None):
                if _is_title_text(text):
                    title = text
                    break
        if title is None:
            for line in info.lines:
                residual = _residual(line.text)
                if residual and _is_title_text(residual):
                    title = residual
                    break
        if title is not None and title_link < 0:
            # the title's own link, if the title text sits in one
            for i in range(info.start, info.end):
                link = doc.seg_link[i]
                if link >= 0 and doc.seg_text[i] and doc.seg_text[i].strip() and doc.seg_text[i].strip() in title:
                    link_text = self._element_text(link)
                    # a link holding the whole title is the title's, even when its words are generic
                    # ("April 21, 2022 Meeting Minutes and Agenda")
                    if _is_title_text(link_text) or link_text == " ".join(title.split()):
                        title_link = link
                    break
        url_el = title_link
        if url_el < 0:
            usable = [
                lk
                for lk in info.links
                if _is_title_text(text := self._element_text(lk)) and text.casefold() not in labels
            ]
            url_el = usable[0] if usable else (info.links[0] if info.links else -1)
        url = None
        if url_el >= 0:
            href = (doc.els[url_el].get("href") or "").strip()
            if href and not href.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
                url = urljoin(self.base_url, href) if self.base_url else href
        return title, url

    def _element_text(self, idx: int) -> str:
        doc = self.doc
        return " ".join("".join(t for t in doc.seg_text[doc.start[idx] : doc.end[idx]] if t).split())

    def _title_class_element(self, info: _Info, el_idx: int) -> int | None:
        doc = self.doc
        for i in range(el_idx + 1, len(doc.els)):
            if doc.start[i] >= info.end:
                break
            if doc.start[i] < info.start:
                continue
            cls = doc.els[i].get("class")
            if cls and any(w in _TITLE_WORDS for w in _class_words(cls)):
                return i
        return None


def _has_words(text: str) -> bool:
    """Has letters beyond date and time expressions."""
    return bool(text) and bool(_LETTER.search(strip_dates_and_times(text)))


def _is_title_text(text: str) -> bool:
    """Has words beyond dates, times and document labels ("Agenda", "Minutes", "PDF")."""
    if not text or not _LETTER.search(text):
        return False
    words = [w.lower() for w in _WORD.findall(strip_dates_and_times(text))]
    if not any(_LETTER.search(w) for w in words):
        return False
    return not all(w in _GENERIC for w in words) and not (len(words) <= 2 and text.lower().endswith(".pdf"))


def _residual(text: str) -> str | None:
    """A line without its dates, times, edge punctuation and trailing document labels."""
    rest = " ".join(strip_dates_and_times(text).split())
    for _ in range(3):
        rest = _LEADING_CONNECTOR.sub("", _EDGE_JUNK.sub("", rest))
        words = rest.split()
        while words and words[-1].strip("()[].,:;-").lower() in _DOC_WORDS:
            words.pop()
        rest = " ".join(words)
    return rest or None


# --- candidate groups ----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Block:
    start: int
    end: int
    el: int  # representative element


@dataclass(slots=True)
class _Group:
    kind: str
    key: tuple
    blocks: list[_Block]
    score: float = 0.0
    dated: int = 0
    share: float = 0.0
    penalty: float = 1.0


def _path_key(doc: _Doc, idx: int) -> int:
    return doc.path[idx]


def _candidates(ex: _Extractor) -> list[_Group]:
    doc = ex.doc
    date_pos = ex.date_positions
    link_pos = [i for i, lk in enumerate(doc.seg_link) if lk >= 0 and doc.seg_text[i] and doc.seg_text[i].strip()]

    def count(positions: list[int], start: int, end: int) -> int:
        return bisect_left(positions, end) - bisect_left(positions, start)

    groups: dict[tuple, _Group] = {}

    def add(kind: str, key: tuple, blocks: list[_Block]) -> None:
        group = groups.get(key)
        if group is None:
            groups[key] = _Group(kind, key, list(blocks))
        else:
            group.blocks.extend(blocks)

    children: dict[int, list[int]] = {}
    for i in range(1, len(doc.els)):
        children.setdefault(doc.parent[i], []).append(i)

    for parent, kids in children.items():
        if not count(date_pos, doc.start[parent], doc.end[parent]) and not count(
            link_pos, doc.start[parent], doc.end[parent]
        ):
            continue
        by_sig: dict[tuple, list[int]] = {}
        by_tag: dict[str, list[int]] = {}
        for k in kids:
            if doc.start[k] == doc.end[k]:
                continue
            by_sig.setdefault(doc.sig[k], []).append(k)
            by_tag.setdefault(doc.els[k].tag, []).append(k)
        parent_key = None
        for sig, members in by_sig.items():
            # single members count too: the same path elsewhere (one table per year) merges with them
            useful = [
                k
                for k in members
                if count(date_pos, doc.start[k], doc.end[k]) or count(link_pos, doc.start[k], doc.end[k])
            ]
            if not useful or (
                len(members) == 1 and len(kids) > 1 and not count(date_pos, doc.start[members[0]], doc.end[members[0]])
            ):
                continue
            parent_key = parent_key or _path_key(doc, parent)
            add("elements", ("elements", parent_key, sig), [_Block(doc.start[k], doc.end[k], k) for k in members])
        for tag, members in by_tag.items():
            if len(members) < 3 or len({doc.sig[k] for k in members}) < 2:
                continue
            dated = sum(1 for k in members if count(date_pos, doc.start[k], doc.end[k]))
            if dated < 2:
                continue
            parent_key = parent_key or _path_key(doc, parent)
            add("elements", ("elements-tag", parent_key, tag), [_Block(doc.start[k], doc.end[k], k) for k in members])
        # heading + following siblings
        heads = [k for k in kids if doc.els[k].tag in _HEADINGS]
        if len(heads) >= 2:
            for htag in {doc.els[h].tag for h in heads}:
                same = [h for h in heads if doc.els[h].tag == htag]
                if len(same) < 2:
                    continue
                blocks = []
                for n, h in enumerate(same):
                    stop = doc.start[same[n + 1]] if n + 1 < len(same) else doc.end[parent]
                    if stop > doc.end[h]:
                        blocks.append(_Block(doc.start[h], stop, h))
                if len(blocks) >= 2 and sum(1 for b in blocks if count(date_pos, b.start, b.end)) >= 2:
                    parent_key = parent_key or _path_key(doc, parent)
                    add("heading-sections", ("heading-sections", parent_key, htag), blocks)

    # <br>-separated lines of elements with inline content only
    for idx, el in enumerate(doc.els):
        if doc.block_desc[idx] or el.tag in ("a", "span", "br") or count(date_pos, doc.start[idx], doc.end[idx]) < 2:
            continue
        if not any(True for _ in el.iter("br")):
            continue
        blocks = []
        line_start = None
        for i in range(doc.start[idx], doc.end[idx] + 1):
            if i == doc.end[idx] or doc.seg_text[i] is None:
                if line_start is not None:
                    blocks.append(_Block(line_start, i, idx))
                line_start = None
            elif line_start is None and doc.seg_text[i].strip():
                line_start = i
        if sum(1 for b in blocks if count(date_pos, b.start, b.end)) >= 2:
            add("br-lines", ("br-lines", _path_key(doc, _slot(doc, idx))), blocks)
    return list(groups.values())


def _slot(doc: _Doc, idx: int) -> int:
    """The outermost ancestor that holds nothing but this element (a <p> alone in a <td> -> the td)."""
    while True:
        parent = doc.parent[idx]
        if parent < 0 or doc.els[parent].tag in ("body", "html"):
            return idx
        kids = [k for k in doc.els[parent] if isinstance(k.tag, str)]
        if len(kids) != 1 or (doc.els[parent].text or "").strip() or (doc.els[idx].tail or "").strip():
            return idx
        idx = parent


def _all_date_segments(ex: _Extractor) -> list[int]:
    """Segments where a date expression (or a bare month name standing alone) starts."""
    segs: list[int] = []
    for line in ex._page_lines:
        text = line.text
        if any(ch.isdigit() for ch in text):
            segs.extend(line.seg_at(d.start) for d in _dates_in(text))
        elif len(text) <= 40 and _MONTH_ONLY.fullmatch(text.strip()):
            segs.append(line.seg_offsets[0][1])
    return segs


# --- scoring -------------------------------------------------------------------------------------------


def _score(ex: _Extractor, group: _Group, date_pos: list[int]) -> None:
    # containers (several dates per block on average) are not worth a full analysis
    counts = [bisect_left(date_pos, b.end) - bisect_left(date_pos, b.start) for b in group.blocks]
    dated_counts = [c for c in counts if c]
    if dated_counts and sum(dated_counts) > MAX_DATES_PER_BLOCK * len(dated_counts):
        group.score = 0.0
        return
    blocks = []
    seen = set()
    for b in sorted(group.blocks, key=lambda b: (b.start, b.end)):
        if (b.start, b.end) in seen:
            continue
        seen.add((b.start, b.end))
        if ex.info(b.start, b.end).text:
            blocks.append(b)
    group.blocks = blocks
    n = len(blocks)
    if n < 2:
        group.score = 0.0
        return
    infos = [ex.info(b.start, b.end) for b in blocks]
    dated = [i for i in infos if ex.primary_date(i) is not None]
    group.dated = len(dated)
    share = len(dated) / n
    group.share = share
    distinct = [_distinct_dates(i) for i in dated]
    avg_distinct = sum(distinct) / len(distinct) if distinct else 1.0
    f_multi = min(1.0, 1.3 / avg_distinct) ** 2
    boiler = sum(1 for i in infos if i.boiler) / n
    f_boiler = 0.1 if boiler > 0.5 else 1.0 - boiler
    avg_len = sum(len(i.text) for i in infos) / n
    f_len = 0.7 if avg_len < 6 else min(1.0, LONG_BLOCK / avg_len) if avg_len > LONG_BLOCK else 1.0
    uniq = len({i.text for i in infos}) / n
    f_uniq = min(1.0, 0.3 + uniq)
    link_share = sum(1 for i in infos if i.links) / n
    f_link = 0.85 + 0.15 * link_share
    # dates inside running text ("As of 1 January 1953, 203 foreign companies ...") are prose, not items
    prose = sum(1 for i in dated if _in_prose(i)) / len(dated) if dated else 0.0
    f_prose = 1.0 - 0.8 * prose
    penalty = f_multi * f_boiler * f_len * f_uniq * f_prose
    group.penalty = penalty
    if len(dated) >= 2:
        group.score = len(dated) * share**0.7 * penalty * f_link
    elif n >= 5 and link_share >= 0.8 and avg_len < 200:
        group.score = 0.2 * n * link_share * penalty  # an undated list of links
    else:
        group.score = 0.0


def _in_prose(info: _Info) -> bool:
    """Every date of the block sits in a long line of running text."""
    lengths = [len(info.lines[d.line].text.strip()) for d in info.dates if not d.meta]
    return bool(lengths) and min(lengths) > PROSE_LINE


def _distinct_dates(info: _Info) -> int:
    """Different dates a block shows ("Posted on" dates and a month that a full date refines do not count)."""
    parts = {(d.match.year, d.match.month, d.match.day) for d in info.dates if not d.meta}
    days = {(y, m) for y, m, d in parts if d is not None}
    return max(1, sum(1 for y, m, d in parts if d is not None or (y, m) not in days))


# --- entry point ---------------------------------------------------------------------------------------


def _check_challenge(selector: parsel.Selector) -> None:
    title = " ".join((selector.xpath("string(//title)").get() or "").split()).lower()
    if any(title.startswith(t) for t in _CHALLENGE_TITLES) and (
        selector.xpath("//*[@id='challenge-form' or @id='cf-wrapper' or contains(@class, 'cf-')]")
        or "cloudflare" in (selector.get() or "")[:20000].lower()
    ):
        raise ChallengePageError(f"bot-protection challenge page ({title!r})")


def _lca(doc: _Doc, idxs: list[int]) -> int:
    def chain(i: int) -> list[int]:
        out = []
        while i >= 0:
            out.append(i)
            i = doc.parent[i]
        return out[::-1]

    common = chain(idxs[0])
    for i in idxs[1:]:
        other = chain(i)
        n = 0
        while n < min(len(common), len(other)) and common[n] == other[n]:
            n += 1
        common = common[:n]
    return common[-1] if common else 0


def _css_path(doc: _Doc, idx: int) -> str:
    steps = []
    while idx >= 0:
        steps.append(_css_step(doc.els[idx]))
        idx = doc.parent[idx]
    return " > ".join(reversed(steps))


def _summary(ex: _Extractor, group: _Group) -> GroupSummary:
    doc = ex.doc
    els = sorted({b.el for b in group.blocks})
    if group.kind == "br-lines":
        container = _lca(doc, els)
        block = _sig_text(doc.els[els[0]]) + " ::line"
    elif group.kind == "heading-sections":
        container = _lca(doc, els)
        block = _sig_text(doc.els[els[0]]) + " + siblings"
    else:
        container = _lca(doc, [doc.parent[e] for e in els])
        block = _sig_text(doc.els[els[0]])
    return GroupSummary(
        group.kind, _css_path(doc, container), block, len(group.blocks), group.dated, round(group.score, 3)
    )


def extract_blocks(
    selector: parsel.Selector,
    base_url: str | None = None,
    *,
    keep_undated: bool = False,
    allow_undated: bool = False,
    min_confidence: float = MIN_CONFIDENCE,
) -> AutoResult:
    """Find the result blocks of a listing page; raise NotAListingError if there are none.

    A listing needs at least two repeated blocks showing a date. `allow_undated` also accepts a
    repeated list of links without dates (five or more short items) when no dated group exists.
    `keep_undated` keeps blocks of the chosen groups that show no date (dropped by default: in a
    dated listing they are notes such as "No meeting in August" or year headings).
    A best group whose confidence is below `min_confidence` is not taken for a listing either.
    Raises ChallengePageError for a bot-protection page.
    """
    _check_challenge(selector)
    ex = _Extractor(selector, base_url)
    groups = _candidates(ex)
    date_pos = ex.date_positions
    for g in groups:
        _score(ex, g, date_pos)
    groups = sorted((g for g in groups if g.score > 0 and (g.dated >= 2 or allow_undated)), key=lambda g: -g.score)
    if not groups:
        raise NotAListingError("no repeated blocks showing dates" + (" or links" if allow_undated else ""))
    best = _promote(ex, groups[0], groups)
    chosen = [best]
    taken = [(b.start, b.end) for b in best.blocks]
    for g in groups:
        if g.dated < 2 or g.share < 0.5 or g.penalty < 0.5:
            continue
        g = _promote(ex, g, groups)
        if g in chosen:
            continue
        if g.score < SECONDARY_SHARE * best.score and not (
            g.score >= NEAR_MIN_SCORE and g.share >= 0.8 and g.penalty >= 0.8 and _near(ex, best, g)
        ):
            continue
        if any(_overlaps(b.start, b.end, taken) for b in g.blocks):
            continue
        chosen.append(g)
        taken.extend((b.start, b.end) for b in g.blocks)

    records: list[tuple[int, AutoBlock]] = []
    dropped = 0
    for g in chosen:
        labels = _repeated_links(ex, g)
        for b in g.blocks:
            info = ex.info(b.start, b.end)
            date = ex.primary_date(info)
            if date is None and not keep_undated and g.dated >= 2:
                dropped += 1
                continue
            title, url = ex.title_and_url(info, b.el, labels)
            iso = precision = date_text = year_source = None
            if date is not None:
                date_text, year, month, day, year_source = date
                if year is not None:  # read at the precision shown; nothing filled in
                    if month is None:
                        shown = str(year)
                    else:
                        shown = f"{MONTH_NAMES[month - 1]} {day}, {year}" if day else f"{MONTH_NAMES[month - 1]} {year}"
                    normalized = normalize_date(shown)
                    iso, precision = normalized.iso, normalized.precision
            summary = _remaining(info.text, title, date_text)
            path = _css_path(ex.doc, b.el) + (" ::line" if g.kind == "br-lines" else "")
            records.append((b.start, AutoBlock(0, url, title, date_text, summary, iso, precision, year_source, path)))
    records.sort(key=lambda r: r[0])
    blocks = [
        AutoBlock(n, b.url, b.title, b.date_text, b.summary, b.date_iso, b.date_precision, b.year_source, b.path)
        for n, (_start, b) in enumerate(records, start=1)
    ]
    if not blocks:
        raise NotAListingError("repeated blocks found, but none shows a date")
    summaries = [_summary(ex, g) for g in chosen]
    if best.dated >= 2:
        confidence = min(1.0, best.dated / 4) * best.share * best.penalty
    else:  # an undated list of links (allow_undated): less certain by nature
        confidence = 0.5 * min(1.0, len(best.blocks) / 10) * best.penalty
    rival = next(
        (g for g in groups if g not in chosen and not any(_overlaps(b.start, b.end, taken) for b in g.blocks)), None
    )
    if rival is not None:
        confidence *= 1 - 0.5 * min(1.0, rival.score / best.score)  # a close independent runner-up lowers it
    if confidence < min_confidence:
        raise NotAListingError(
            f"best repeated group is weak (confidence {confidence:.3f}): {summaries[0].block} "
            f"in {summaries[0].container}"
        )
    return AutoResult(
        blocks=blocks,
        confidence=round(confidence, 3),
        container_path=summaries[0].container,
        block_signature=summaries[0].block,
        layout=best.kind,
        groups=summaries,
        dropped_undated=dropped,
    )


def _date_key(ex: _Extractor, info: _Info) -> tuple | None:
    date = ex.primary_date(info)
    return None if date is None else (date[1], date[2], date[3])


def _compatible(a: tuple, b: tuple) -> bool:
    """Equal where both show a part (a month-only or year-only date does not contradict a fuller one)."""
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


def _promote(ex: _Extractor, group: _Group, groups: list[_Group]) -> _Group:
    """Prefer an enclosing group whose blocks are single records made of the chosen blocks.

    A post whose heading is the chosen block, a table row made of a name cell and a date cell, a
    meeting card holding three document links that repeat the meeting's date: the larger block
    is the record when it shows one date only and, where it holds several chosen blocks, they
    share that date and at most one of them has a text besides dates and document labels.
    """
    for _round in range(4):
        inner = group.blocks
        starts = [b.start for b in inner]
        best_outer = None
        for outer in groups:
            if outer is group or outer.dated < 2 or outer.share < 0.5 or outer.penalty < 0.5:
                continue
            holders = covered = consistent = 0
            for ob in outer.blocks:
                lo = bisect_left(starts, ob.start)
                held = []
                while lo < len(inner) and inner[lo].start < ob.end:
                    if inner[lo].end <= ob.end and (inner[lo].start, inner[lo].end) != (ob.start, ob.end):
                        held.append(inner[lo])
                    lo += 1
                if not held:
                    continue
                holders += 1
                covered += len(held)
                if _distinct_dates(ex.info(ob.start, ob.end)) > 1:
                    continue
                if len(held) > 1:
                    infos = [ex.info(h.start, h.end) for h in held]
                    keys = [k for k in (_date_key(ex, i) for i in infos) if k is not None]
                    named = {
                        " ".join(strip_dates_and_times(i.text).split()).lower()
                        for i in infos
                        if _is_title_text(i.text) and i.link_share < 0.9  # several document links are parts
                    }
                    if not keys or not all(_compatible(keys[0], k) for k in keys[1:]) or len(named) > 1:
                        continue
                consistent += 1
            if holders < 2 or covered < 0.8 * len(inner) or consistent < 0.8 * holders:
                continue
            size = sum(b.end - b.start for b in outer.blocks) / len(outer.blocks)
            if best_outer is None or size < best_outer[0]:
                best_outer = (size, outer)
        if best_outer is None:
            return group
        group = best_outer[1]
    return group


def _near(ex: _Extractor, a: _Group, b: _Group) -> bool:
    """Two groups in the same content region: their common ancestor holds little besides them."""
    doc = ex.doc
    ca = _lca(doc, [blk.el for blk in a.blocks])
    cb = _lca(doc, [blk.el for blk in b.blocks])
    common = _lca(doc, [ca, cb])
    if doc.els[common].tag in ("html", "body"):
        return False

    def size(idx: int) -> int:
        return sum(len(t.strip()) for t in doc.seg_text[doc.start[idx] : doc.end[idx]] if t)

    return size(common) <= 1.5 * (size(ca) + size(cb))


def _repeated_links(ex: _Extractor, group: _Group) -> frozenset[str]:
    """Link texts found in at least 60% of a group's blocks (of 3 or more): labels, not titles."""
    if len(group.blocks) < 3:
        return frozenset()
    counts: dict[str, int] = {}
    for b in group.blocks:
        for text in ex.link_texts(ex.info(b.start, b.end)):
            counts[text] = counts.get(text, 0) + 1
    return frozenset(t for t, c in counts.items() if c >= 0.6 * len(group.blocks))


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)


def _remaining(text: str, title: str | None, date_text: str | None) -> str | None:
    rest = text
    for part in (title, date_text):
        if part:
            rest = rest.replace(part, " ", 1)
    rest = " ".join(_EDGE_JUNK.sub("", " ".join(rest.split())).split())
    if not rest or not _LETTER.search(rest):
        return None
    return rest
