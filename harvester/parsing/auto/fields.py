"""Per-block reading: lines, dates (with the context year), title, link and summary of one block."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import parsel
from w3lib.url import safe_url_string

from harvester.model import NotAListingError
from harvester.normalize.datefind import (
    DateMatch,
    find_dates,
    find_years,
    month_number,
    strip_dates_and_times,
)
from harvester.parsing.auto.dates import is_ambiguous, numeric_evidence, page_order, reorder, uses_roc_calendar
from harvester.parsing.auto.document import _class_words, _dates_in, _Doc
from harvester.parsing.auto.vocabulary import (
    _DOC_WORDS,
    _EDGE_JUNK,
    _EMAIL,
    _GENERIC,
    _LEADING_CONNECTOR,
    _LETTER,
    _META_LABEL,
    _MONTH_ONLY,
    _NAME_HEADER,
    _NOT_NAME_HEADER,
    _ROOM,
    _STATUS,
    _STRONG,
    _TITLE_WORDS,
    _WEAK_NAME_HEADER,
    _WORD,
    _YEAR_ONLY,
    _ZERO_WIDTH,
)
from harvester.parsing.pager import home_host


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
        lang = root.get("lang") if hasattr(root, "get") else None
        self.roc = uses_roc_calendar(" ".join(ln.text for ln in self._page_lines), lang)
        self._line_first = [ln.seg_offsets[0][1] for ln in self._page_lines]
        self._line_last = [ln.seg_offsets[-1][1] for ln in self._page_lines]
        self._info_cache: dict[tuple[int, int], _Info] = {}
        self._markers: list[tuple[int, int, int, str]] = []  # (segment, offset, year, where)
        self._build_markers()
        self.order = page_order(
            [e for ln in self._page_lines for d in _dates_in(ln.text, self.roc) if (e := numeric_evidence(d))],
            lang,
            urlsplit(base_url).hostname if base_url else home_host(selector),
        )
        self._page_year = _page_year(selector, base_url)
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
            dates = _dates_in(text, self.roc)
            for d in dates:
                if d.year is not None:
                    seg = line.seg_at(d.start)
                    self._markers.append((seg, d.start, d.year, self._marker_kind(seg)))
            compact = " ".join(text.split())
            if len(compact) <= 60 and "©" not in compact and "copyright" not in compact.lower():
                rest = strip_dates_and_times(text) if dates else text
                years = find_years(rest)
                if len(set(years)) == 1:
                    pos = max(text.find(str(years[0])), 0)
                    seg = line.seg_at(pos)
                    self._markers.append((seg, pos, years[0], self._marker_kind(seg)))
        self._markers.sort()

    def _marker_kind(self, seg: int) -> str:
        """Where a year marker stands: "heading" (a heading, caption, table header, legend, term) or
        "preceding-text" (any other text above)."""
        doc = self.doc
        if doc.seg_head[seg] >= 0:
            return "heading"
        idx = doc.seg_owner[seg]
        for _ in range(4):
            if idx < 0:
                break
            el = doc.els[idx]
            if el.tag in _HEADING_LIKE or any(w in _TITLE_WORDS for w in _class_words(el.get("class") or "")):
                return "heading"
            idx = doc.parent[idx]
        return "preceding-text"

    def context_year(self, seg: int, offset: int, block_start: int = -1) -> tuple[int, str] | None:
        """The year a yearless date at (seg, offset) takes from the page, and where it came from: the
        nearest year shown before it ("block" when inside the same block, else the marker's kind), else
        the page's selected option, title or URL; None when the page gives none."""
        pos = bisect_left(self._markers, (seg, offset, -1, ""))
        if pos > 0:
            mseg, _off, year, kind = self._markers[pos - 1]
            return year, ("block" if block_start >= 0 and mseg >= block_start else kind)
        return self._page_year

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
            for m in _dates_in(line.text, self.roc):
                m = reorder(m, self.order)
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
        """(date text, year, month, day, where the year came from) of the block's date, or None.

        Where: "text" (the date shows it) or the context the year was taken from (`context_year`).
        The year is None (and so is its source) for a date shown without a year when the page
        gives no year: the date text is kept, the ISO date stays unknown. So is a numeric date with a
        two-digit year whose day/month order the page does not settle ("04-03-24").
        """
        candidates = [d for d in info.dates if not d.meta] or info.dates
        resolved = []

        def line_of(d: _Date) -> str:
            return " ".join(info.lines[d.line].text.split())

        for d in candidates:
            m = d.match
            if m.year is not None:
                if is_ambiguous(m, self.order) and _two_digit_year(m.text):
                    continue
                resolved.append((" ".join(m.text.split()), m.year, m.month, m.day, "text", line_of(d)))
                continue
            found = self.context_year(d.seg, d.offset, info.start)
            if found is not None:
                resolved.append((" ".join(m.text.split()), found[0], m.month, m.day, found[1], line_of(d)))
        if resolved:
            first = resolved[0]
            # a date inside a longer line (a title "... Report 29 October 2019", a file name) gives way to
            # one that stands in a line of its own (the Date column)
            alone = [r for r in resolved if len(r[0]) + 12 >= len(r[-1])]
            if alone and first not in alone and (alone[0][3] is not None or first[3] is None):
                first = alone[0]
            resolved = [r[:5] for r in resolved]
            first = first[:5]
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
                found = self.context_year(line.seg_offsets[0][1], 0)
                number = month_number(mm.group("mon"))
                if found is not None and number is not None:
                    return mm.group("mon"), found[0], number, None, found[1]
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
            column = next(
                (i for i, n in enumerate(names) if _WEAK_NAME_HEADER.search(n) and not _NOT_NAME_HEADER.search(n)),
                None,
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
                    title = _untruncated(text, doc.els[doc.seg_link[_first]].get("title"))
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
        if title is not None and title_link >= 0:
            title = _untruncated(title, doc.els[title_link].get("title"))
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
                url = _absolute(self.base_url, href)
        return title, url

    def other_links(self, info: _Info, url: str | None) -> tuple[tuple[str, str | None], ...]:
        """The block's links besides its own url, once each: (absolute url, label)."""
        out: list[tuple[str, str | None]] = []
        seen = {url}
        for lk in info.links:
            href = (self.doc.els[lk].get("href") or "").strip()
            if not href or href.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
                continue
            absolute = _absolute(self.base_url, href)
            if absolute in seen:
                continue
            seen.add(absolute)
            el = self.doc.els[lk]
            label = self._element_text(lk) or (el.get("title") or el.get("aria-label") or "").strip() or None
            out.append((absolute, label))
        return tuple(out)

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


_HEADING_LIKE = frozenset({"caption", "th", "thead", "legend", "dt", "summary", "label"})
_TWO_DIGIT_YEAR = re.compile(r"\D\d{2}$")
_URL_YEAR = re.compile(r"(?<![\d])(19[5-9]\d|20[0-4]\d)(?![\d])")


def _absolute(base_url: str | None, href: str) -> str:
    """The link as a URL: joined to the base URL, spaces and other unsafe characters percent-encoded."""
    return safe_url_string(urljoin(base_url, href) if base_url else href)


def _two_digit_year(text: str) -> bool:
    return bool(_TWO_DIGIT_YEAR.search(text.strip()))


def _page_year(selector: parsel.Selector, base_url: str | None) -> tuple[int, str] | None:
    """A year the page as a whole is about: the selected option of a select box showing one year, the
    page title naming one year, or the URL naming one."""
    for source, texts in (
        ("select", selector.xpath("//select/option[@selected]/text()").getall()),
        ("page-title", selector.xpath("//title/text()").getall()),
        ("url", [base_url or ""]),
    ):
        years = {int(y) for text in texts for y in _URL_YEAR.findall(text)}
        if len(years) == 1:
            return years.pop(), source
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
    if _EMAIL.search(text) or _STATUS.fullmatch(text.strip()) or _ROOM.fullmatch(text.strip()):
        return False  # an e-mail address, a status line ("Cancelled"), a room ("Room 201"): not a name
    if not _LETTER.search(_SIZE.sub(" ", text)):
        return False
    named = [w.lower() for w in _WORD.findall(strip_dates_and_times(_SIZE.sub(" ", text)))]  # "Download 480 kb"
    short_pdf = len(words) <= 2 and text.lower().endswith(".pdf")
    return bool(named) and not all(w in _GENERIC for w in named) and not short_pdf


_TRUNCATED = re.compile(r"(?:\.\.\.|…)")
_SIZE = re.compile(r"\b\d+(?:[.,]\d+)?\s*(?:kb|mb|gb|bytes|ko|mo)\b", re.I)


def _untruncated(text: str, title_attr: str | None) -> str:
    """A link text cut short ("Taiwan Aviation Master Activit...") is the link's full title attribute when
    that begins with the shown part."""
    if not title_attr or not _TRUNCATED.search(text):
        return text
    shown = _TRUNCATED.split(text, maxsplit=1)[0].strip()
    full = " ".join(title_attr.split())
    return full if len(shown) >= 8 and full.startswith(shown) and len(full) > len(shown) else text


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


def _all_date_segments(ex: _Extractor) -> list[int]:
    """Segments where a date expression (or a bare month name standing alone) starts."""
    segs: list[int] = []
    for line in ex._page_lines:
        text = line.text
        if any(ch.isdigit() for ch in text):
            segs.extend(line.seg_at(d.start) for d in _dates_in(text, ex.roc))
        elif len(text) <= 40 and _MONTH_ONLY.fullmatch(text.strip()):
            segs.append(line.seg_offsets[0][1])
    return segs


def _remaining(text: str, title: str | None, date_text: str | None) -> str | None:
    rest = text
    for part in (title, date_text):
        if part:
            rest = rest.replace(part, " ", 1)
    rest = " ".join(_EDGE_JUNK.sub("", " ".join(rest.split())).split())
    if not rest or not _LETTER.search(rest):
        return None
    return rest
