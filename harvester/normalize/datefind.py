"""Find date-like expressions inside free text (listing blocks, headings, link texts).

`harvester.normalize.dates.normalize_date` reads a string that *is* a date; this module finds
where dates are in longer text ("Regular Board Meeting - December 12, 2023", "SSA2Minutes
10-2-2018", "Tuesday, May 25, 2021 @ 8:30 a.m.") and says which parts each one shows. It never
fills anything in: a match without a year has ``year=None``; a month-and-year match has
``day=None``. Reading a yearless date needs a year from elsewhere on the page (the caller's job).

Forms found (English month names and abbreviations, optional weekday in front):

* ``Month D, YYYY`` / ``Mon. Dth YYYY`` / ``Month D``  (``mdy`` / ``md``)
* ``D Month YYYY`` / ``Dth of Month, YYYY``  (``dmy``)
* ``YYYY Month D``  (``ymd``)
* ``Month YYYY`` / ``Month, YYYY``  (``my``)
* ``YYYY-MM-DD``, ``YYYY/MM/DD``  (``iso``)
* ``M/D/YYYY``, ``M-D-YY``, ``MM.DD.YY`` - month first unless the first number cannot be a
  month  (``numeric``); two-digit years are read as 1970-2069.

Times ("10:00 AM", "9 a.m.", "3:pm", "14:30", "noon") are found by `find_times`; they are not
part of a `DateMatch`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "MONTH_NAMES",
    "DateMatch",
    "find_dates",
    "find_times",
    "find_years",
    "month_number",
    "strip_dates_and_times",
]

MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_MONTH_TOKENS: dict[str, int] = {}
for _number, _name in enumerate(MONTH_NAMES, start=1):
    _MONTH_TOKENS[_name.lower()] = _number
    _MONTH_TOKENS[_name[:3].lower()] = _number
_MONTH_TOKENS.update({"sept": 9, "febuary": 2, "feburary": 2})

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|febuary|feburary|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?"
_WD = rf"(?:(?P<wd>{_WEEKDAY})\.?,?\s+)?"
_MON = rf"(?<![a-z])(?P<mon>{_MONTH})(?![a-z])\.?"
_DAY = r"(?<!\d)(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?!\d)"
_YEAR = r"(?<!\d)(?P<year>1[6-9]\d\d|20\d\d)(?!\d)"

_FLAGS = re.IGNORECASE

# (regex, kind). Overlaps are resolved by preferring the earliest start, then the longest match.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"{_WD}{_MON}\s*{_DAY}(?:\s*,\s*|\s+)(?:of\s+)?{_YEAR}", _FLAGS), "mdy"),
    (re.compile(rf"{_WD}{_DAY}\s+(?:of\s+)?{_MON},?\s+{_YEAR}", _FLAGS), "dmy"),
    (re.compile(rf"{_YEAR}\s+{_MON}\s*{_DAY}(?![:.]\d)", _FLAGS), "ymd"),
    (
        re.compile(
            r"(?<![\d/.-])(?P<year>1[6-9]\d\d|20\d\d)(?P<sep>[-/.])(?P<mm>[01]?\d)(?P=sep)(?P<dd>[0-3]?\d)(?![\d])",
            _FLAGS,
        ),
        "iso",
    ),
    (
        re.compile(
            rf"{_WD}(?<![\d/.:-])(?P<a>[01]?\d|[23]\d)(?P<sep>[-/.])(?P<b>[0-3]?\d)(?P=sep)"
            r"(?P<y>\d{4}|\d{2})(?![\d/]|\.\d|-\d)",
            _FLAGS,
        ),
        "numeric",
    ),
    (re.compile(rf"{_MON},?\s*{_YEAR}", _FLAGS), "my"),
    (re.compile(rf"{_WD}{_MON}\s*{_DAY}(?![:.]?\d)", _FLAGS), "md"),
)

_TIME = re.compile(
    r"(?<![\d:.])(?:[01]?\d|2[0-3])(?:[:.](?:[0-5]\d|oo))?:?\s*[ap]\.?\s?m\b\.?"
    r"|(?<![\d:])(?:[01]?\d|2[0-3]):[0-5]\d(?![\d])"
    r"|\bnoon\b|\bmidnight\b",
    _FLAGS,
)
# Every form above contains a month name (or abbreviation) or two numbers joined by - / .
_QUICK = re.compile(r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|\d[-/.]\d", re.IGNORECASE)
_YEAR_TOKEN = re.compile(r"(?<![\d.,/-])(19[5-9]\d|20[0-4]\d)(?![\d])")


@dataclass(frozen=True, slots=True)
class DateMatch:
    """One date expression found in a text: where it is and which parts it shows."""

    start: int
    end: int
    text: str  # as shown (a slice of the searched text)
    year: int | None  # None: the text shows no year
    month: int
    day: int | None  # None: the text shows no day
    weekday: str | None  # the weekday name as shown, if any
    kind: str  # "mdy" | "dmy" | "ymd" | "iso" | "numeric" | "my" | "md"

    @property
    def precision(self) -> str:
        return "month" if self.day is None else "day"


def month_number(token: str) -> int | None:
    """1-12 for an English month name or abbreviation ("Sept", "dec."), else None."""
    return _MONTH_TOKENS.get(token.strip(". ").lower())


def _two_digit_year(text: str) -> int:
    value = int(text)
    if len(text) == 4:
        return value
    return 1900 + value if value >= 70 else 2000 + value


def _parts(m: re.Match[str], kind: str) -> tuple[int | None, int, int | None] | None:
    g = m.groupdict()
    if kind == "numeric":
        a, b = int(g["a"]), int(g["b"])
        month, day = (a, b) if a <= 12 else (b, a)
        year: int | None = _two_digit_year(g["y"])
    elif kind == "iso":
        year, month, day = int(g["year"]), int(g["mm"]), int(g["dd"])
    else:
        number = month_number(g["mon"])
        if number is None:
            return None
        month = number
        day = int(g["day"]) if g.get("day") else None
        year = int(g["year"]) if g.get("year") else None
    if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
        return None
    return year, month, day


def find_dates(text: str) -> list[DateMatch]:
    """All date expressions in `text`, in order, non-overlapping."""
    if not text or not any(ch.isdigit() for ch in text) or not _QUICK.search(text):
        return []
    return list(_find_dates(text))


@lru_cache(maxsize=32768)
def _find_dates(text: str) -> tuple[DateMatch, ...]:
    found: list[tuple[int, int, DateMatch]] = []
    for rx, kind in _PATTERNS:
        for m in rx.finditer(text):
            parts = _parts(m, kind)
            if parts is None:
                continue
            year, month, day = parts
            weekday = m.groupdict().get("wd")
            found.append(
                (
                    m.start(),
                    -(m.end() - m.start()),
                    DateMatch(m.start(), m.end(), m.group(0), year, month, day, weekday, kind),
                )
            )
    found.sort(key=lambda item: (item[0], item[1]))
    result: list[DateMatch] = []
    last_end = -1
    for start, _neg_len, match in found:
        if start >= last_end:
            result.append(match)
            last_end = match.end
    return tuple(result)


def find_times(text: str) -> list[tuple[int, int]]:
    """Spans of clock times ("10:00 AM", "9 a.m.", "3:pm", "14:30", "noon")."""
    return [(m.start(), m.end()) for m in _TIME.finditer(text)]


def find_years(text: str) -> list[int]:
    """Stand-alone four-digit years 1950-2049 in `text` (not parts of numbers or numeric dates)."""
    return [int(y) for y in _YEAR_TOKEN.findall(text)]


def strip_dates_and_times(text: str) -> str:
    """`text` with every date and time expression removed (used to compare titles)."""
    spans = [(d.start, d.end) for d in find_dates(text)] + find_times(text)
    if not spans:
        return text
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if start >= pos:
            out.append(text[pos:start])
            out.append(" ")
            pos = end
        elif end > pos:
            pos = end
    out.append(text[pos:])
    return "".join(out)
