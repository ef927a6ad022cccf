"""Text renderings of Wilson results pages (what a browser's "save as text" or a web archive keeps).

Three forms are known from real pages (``shared/realworld/wilson/text-pages``):

* current site: optional ``Skip to content`` / ``Results:`` / ``a - b of n`` / ``Documents`` header, then
  date, title and summary paragraphs separated by blank lines (the summary may be missing); the count may
  share the ``Results:`` line; a copy without blank lines is split at its date lines instead;
* old site, bullets: ``  • <date>`` lines, then indented title and summary paragraphs;
* old site, dashes: a line holding only ``-`` before each result's date, title and summary lines.

A text rendering carries no links, so ``url`` is ``None`` for every block.
"""

from __future__ import annotations

import re

from harvester.model import ChallengePageError, Counts, ListingPage, NotAListingError, RawBlock
from harvester.parsing.detect import challenge_reason
from harvester.parsing.html_text import clean

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)\.?"
)
# The date lines listings show: "October 25, 1949", "June 07, 1951", "August 1949", "April, 1952", "1948".
_DATE_LINE = re.compile(rf"(?:{_MONTH}(?:\s+\d{{1,2}})?,?\s+)?\d{{4}}", re.IGNORECASE)
# "1 - 10 of 21", also run together with the header words around it: "Results: 1 - 10 of 21", "Showing 1 - 10 of
# 21 results".
_COUNT_LINE = re.compile(
    r"(?:(?:Results|Showing|Displaying)\s*:?\s*)?(\d[\d,]*)\s*[-–—]\s*(\d[\d,]*)\s+of\s+(\d[\d,]*)"
    r"(?:\s+(?:results?|documents?|items?))?",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*[•·▪*]\s*(.*)$")
_HEADER_LINES = frozenset(
    s.casefold()
    for s in (
        "Skip to content",
        "Results:",
        "Results",
        "Documents",
        "SEARCH RESULTS",
        "Search in",
        "Digital Archive International History Declassified",
        "ADD SEARCH FILTER CANCEL SEARCH FILTER",
    )
)
_FOOTER_LINES = re.compile(
    r"^(Pagination|Pager|Next page|Next ›|Next|Last »|Last|‹ Previous|« First|First|Previous)$", re.IGNORECASE
)
_URL_LINE = re.compile(r"^URL:\s*(https?://\S+)\s*$")


def is_date_line(text: str) -> bool:
    return bool(_DATE_LINE.fullmatch(text.strip()))


def split_url_line(text: str) -> tuple[str | None, str]:
    """A saved rendering may start with ``URL: <address>`` and a blank line; return both parts."""
    first, _, rest = text.partition("\n")
    match = _URL_LINE.match(first.strip())
    if match:
        return match.group(1), rest.lstrip("\n")
    return None, text


def parse_text_listing(text: str, base_url: str | None = None) -> ListingPage:
    """Parse a text rendering of a results page. Raises on challenge pages and on text that is no listing."""
    url, text = split_url_line(text)
    del base_url, url  # text renderings carry no links to resolve
    reason = challenge_reason(text[:5000])
    if reason and len(text) < 5000:
        raise ChallengePageError(f"text is a bot-protection challenge page ({reason!r}), not a listing")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = _drop_footer(lines)
    counts, body = _take_header(lines)
    if any(_bullet_date(line) for line in body):
        layout, blocks = "text-old-bullets", _parse_bullets(body)
    elif any(line.strip() == "-" for line in body):
        layout, blocks = "text-old-dashes", _parse_dashes(body)
    elif _single_spaced(body):
        layout, blocks = "text-current-lines", _parse_lines(body)
    else:
        layout, blocks = "text-current", _parse_paragraphs(body)
    if not blocks and not (counts and counts.total == 0):
        if counts is not None:
            layout = "text-current"  # a page past the end: header, no rows
        else:
            raise NotAListingError(
                "text is not a results listing: no 'a - b of n' count line and no date/title result blocks"
            )
    if not any(b.date_text for b in blocks) and counts is None and blocks:
        raise NotAListingError("text is not a results listing: no count line and no result has a date line")
    return ListingPage(layout=layout, blocks=blocks, counts=counts)


def _take_header(lines: list[str]) -> tuple[Counts | None, list[str]]:
    counts = None
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.casefold() in _HEADER_LINES:
            continue
        match = _COUNT_LINE.fullmatch(stripped)
        if match and counts is None:
            first, last, total = (int(g.replace(",", "")) for g in match.groups())
            counts = Counts(first, last, total)
            continue
        return counts, lines[index:]
    return counts, []


def _drop_footer(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if line.strip() == "Pagination":
            return lines[:index]
    while lines and (not lines[-1].strip() or _FOOTER_LINES.fullmatch(lines[-1].strip())):
        lines = lines[:-1]
    return lines


def _paragraphs(lines: list[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(clean(" ".join(current)) or "")
            current = []
    return paragraphs


def _parse_paragraphs(lines: list[str]) -> list[RawBlock]:
    """Date / title / optional summary paragraphs. A paragraph where a date is due but absent starts an
    undated result."""
    blocks: list[dict[str, str | None]] = []
    expecting = "date"
    for paragraph in _paragraphs(lines):
        if is_date_line(paragraph) and expecting != "title":
            blocks.append({"date_text": paragraph, "title": None, "summary": None})
            expecting = "title"
        elif expecting == "title":
            blocks[-1]["title"] = paragraph
            expecting = "summary"
        elif expecting == "summary":
            blocks[-1]["summary"] = paragraph
            expecting = "date"
        else:
            blocks.append({"date_text": None, "title": paragraph, "summary": None})
            expecting = "summary"
    return _blocks(blocks)


def _single_spaced(lines: list[str]) -> bool:
    """A rendering with no blank lines between a result's date, title and summary (a copy from a browser
    window does this): some date line then sits inside a paragraph instead of standing alone."""
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line)
            continue
        if len(current) > 1 and any(is_date_line(x) for x in current):
            return True
        current = []
    return False


def _parse_lines(lines: list[str]) -> list[RawBlock]:
    """Date-led results on consecutive lines: each date line starts a result; the next text is its title and
    the rest up to the next date line its summary. (An undated result cannot be told from a summary's second
    paragraph here, so it stays part of the result before it; text before the first date is an undated
    result.)"""
    blocks: list[dict[str, str | None]] = []
    chunk: list[str] = []
    date: str | None = None
    for line in [*lines, None]:
        if line is None or is_date_line(line):
            if date is not None or any(x.strip() for x in chunk):
                blocks.append(_title_and_summary(date, _texts(chunk)))
            date, chunk = (clean(line) if line is not None else None), []
        else:
            chunk.append(line)
    return _blocks(blocks)


def _texts(chunk: list[str]) -> list[str]:
    """A result's texts: its paragraphs, or its lines when nothing separates them."""
    paragraphs = _paragraphs(chunk)
    lines = [clean(x) or "" for x in chunk if x.strip()]
    return lines if len(paragraphs) == 1 and len(lines) > 1 else paragraphs


def _bullet_date(line: str) -> str | None:
    match = _BULLET.match(line)
    if match and is_date_line(match.group(1)):
        return clean(match.group(1))
    return None


def _parse_bullets(lines: list[str]) -> list[RawBlock]:
    blocks: list[dict[str, str | None]] = []
    chunk: list[str] = []
    date: str | None = None
    started = False
    for line in [*lines, "• 0000"]:  # a sentinel bullet flushes the last result
        bullet = _bullet_date(line)
        if bullet is not None:
            if started:
                blocks.append(_title_and_summary(date, _paragraphs(chunk)))
            date, chunk, started = (bullet if bullet != "0000" else None), [], True
        elif started:
            chunk.append(line)
    return _blocks(blocks)


def _parse_dashes(lines: list[str]) -> list[RawBlock]:
    blocks: list[dict[str, str | None]] = []
    chunk: list[str] | None = None
    for line in [*lines, "-"]:
        if line.strip() == "-":
            if chunk:
                texts = [clean(x) or "" for x in chunk if x.strip()]
                date = texts.pop(0) if texts and is_date_line(texts[0]) else None
                blocks.append(_title_and_summary(date, texts))
            chunk = []
        elif chunk is not None:
            chunk.append(line)
    return _blocks(blocks)


def _title_and_summary(date: str | None, texts: list[str]) -> dict[str, str | None]:
    return {
        "date_text": date,
        "title": texts[0] if texts else None,
        "summary": clean(" ".join(texts[1:])) if len(texts) > 1 else None,
    }


def _blocks(raw: list[dict[str, str | None]]) -> list[RawBlock]:
    return [
        RawBlock(position=i, url=None, date_text=b["date_text"], title=b["title"], summary=b["summary"])
        for i, b in enumerate(raw, start=1)
    ]
