"""Normalise archive listing dates to ISO 8601 at the precision the page shows.

Two stages:

* a fast path (compiled regexes + a month table) for the English forms archives use
  ("October 25, 1949", "June 07, 1951", "April, 1952", "1948", ranges, "ca. 1950", ...);
* dateparser as the fallback for other forms and languages.

Nothing is ever filled in: "August 1949" is a month, "1949" a year, and text that needs
today's date to be read ("August", "yesterday", "12:30") has no date. A form the fast
path recognises but whose values are impossible ("February 30, 1950") is an error; it is
not handed to dateparser for a second opinion.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["NormalizedDate", "normalize_date", "parse_fast"]

MIN_YEAR = 1000
MAX_YEAR = 2100
#: Longer text is not a listing date (probably a title or a whole paragraph).
MAX_LENGTH = 80


@dataclass(frozen=True, slots=True)
class NormalizedDate:
    raw: str | None  # the text as given (None if None was given)
    iso: str | None  # "1949-10-25" | "1949-10" | "1949" | None
    precision: str | None  # "day" | "month" | "year" | None
    end: str | None = None  # ISO of the range end, at its own precision
    end_precision: str | None = None
    approximate: bool = False  # "ca.", "c.", "circa", "[1949]" (editorial), "?"
    method: str | None = None  # "fast" | "dateparser" | None
    error: str | None = None  # why it could not be read (None when ok or when the input was empty)


# (year, month, day); month and day are None when the text does not show them.
_Parts = tuple[int, int | None, int | None]


class _InvalidDateError(ValueError):
    """A recognised date whose values are impossible; the message becomes ``error``."""


# --- text clean-up ---------------------------------------------------------------------------

_CLEAN = str.maketrans(
    {
        **dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"), "-"),
        **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"), None),
    }
)
_APPROX_PREFIX = re.compile(r"(?:circa\b|ca\b|c\.|approx\b)\.? ?", re.IGNORECASE)


def _clean(text: str) -> str:
    """Unify dashes, drop zero-width characters, collapse all whitespace (NBSP included)."""
    if not text.isascii():  # the table only maps non-ASCII characters; skip it on the common case
        text = text.translate(_CLEAN)
    return " ".join(text.split())


def _strip_qualifiers(s: str) -> tuple[str, bool]:
    """Remove "[...]" (editorially supplied), a trailing "?" and a leading "ca."/"c."/"circa"/"approx.".

    Returns the remaining text and whether any such qualifier was seen.
    """
    approx = False
    if "[" in s or "]" in s:
        s = s.replace("[", "").replace("]", "").strip()
        approx = True
    if s.endswith("?"):
        s = s.rstrip("?").rstrip()
        approx = True
    if s[:1] in ("c", "C", "a", "A"):
        m = _APPROX_PREFIX.match(s)
        if m:
            s = s[m.end() :]
            approx = True
    return s, approx


# --- fast path ---------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

# Input is already cleaned: single spaces, dashes are "-".
_M = r"([a-z]{3,9})\.?"
_D = r"(\d{1,2})(?:st|nd|rd|th)?"
_Y = r"(\d{4})"
_DY = r"(?:, ?| )"  # between day and year: "25, 1949", "25,1949", "25 1949"
_TO = r"(?: ?- ?| to )"


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.ASCII)


# Single dates, most common first, split by the first character so a call tries few patterns.
# Each kind says what the groups are.
_SINGLE_ALPHA: tuple[tuple[re.Pattern[str], str], ...] = (
    (_rx(rf"{_M} ?{_D}{_DY}{_Y}"), "mdy"),  # October 25, 1949 / Oct. 25, 1949
    (_rx(rf"{_M},? {_Y}"), "my"),  # August 1949 / April, 1952
)
_SINGLE_DIGIT: tuple[tuple[re.Pattern[str], str], ...] = (
    (_rx(_Y), "y"),  # 1948
    (_rx(r"(\d{4})-(\d{2})(?:-(\d{2}))?"), "iso"),  # 1949-10-25 / 1949-10
    (_rx(rf"{_D} {_M},? {_Y}"), "dmy"),  # 25 October 1949
)
# Ranges that share the year (and maybe the month) between both ends.
_RANGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (_rx(rf"{_M} ?{_D}{_TO}{_D}{_DY}{_Y}"), "m d-d y"),  # June 5-7, 1951
    (_rx(rf"{_D}{_TO}{_D} {_M},? {_Y}"), "d-d m y"),  # 5-7 June 1951
    (_rx(rf"{_M} ?{_D}{_TO}{_M} ?{_D}{_DY}{_Y}"), "m d-m d y"),  # June 5 - July 2, 1951
    (_rx(rf"{_D} {_M}{_TO}{_D} {_M},? {_Y}"), "d m-d m y"),  # 10 September - 2 October 1982
    (_rx(rf"{_M}{_TO}{_M},? {_Y}"), "m-m y"),  # March-April 1952
)
# Where two complete dates may be joined: "1949-1950", "1949-10-25/1949-10-27", "May 1950 to June 1951".
_SPLIT = _rx(r" ?[-/] ?| to ")


def _month(token: str) -> int | None:
    return _MONTHS.get(token.lower())


def _match_single(s: str) -> _Parts | None:
    """Parts of a single fast-path date, unvalidated; None if `s` is not one."""
    for rx, kind in _SINGLE_DIGIT if s[:1].isdigit() else _SINGLE_ALPHA:
        m = rx.fullmatch(s)
        if m is None:
            continue
        g = m.groups()
        if kind == "y":
            return int(g[0]), None, None
        if kind == "iso":
            return int(g[0]), int(g[1]), None if g[2] is None else int(g[2])
        if kind == "dmy":
            month = _month(g[1])
            return None if month is None else (int(g[2]), month, int(g[0]))
        month = _month(g[0])
        if month is None:
            return None
        if kind == "mdy":
            return int(g[2]), month, int(g[1])
        return int(g[1]), month, None  # "my"
    return None


def _match_range(s: str) -> tuple[_Parts, _Parts] | None:
    for rx, kind in _RANGES:
        m = rx.fullmatch(s)
        if m is None:
            continue
        g = m.groups()
        year = int(g[-1])
        if kind == "m d-d y":
            month = _month(g[0])
            return None if month is None else ((year, month, int(g[1])), (year, month, int(g[2])))
        if kind == "d-d m y":
            month = _month(g[2])
            return None if month is None else ((year, month, int(g[0])), (year, month, int(g[1])))
        if kind == "m d-m d y":
            m1, d1, m2, d2 = _month(g[0]), int(g[1]), _month(g[2]), int(g[3])
        elif kind == "d m-d m y":
            d1, m1, d2, m2 = int(g[0]), _month(g[1]), int(g[2]), _month(g[3])
        else:  # "m-m y"
            m1, d1, m2, d2 = _month(g[0]), None, _month(g[1]), None
        if m1 is None or m2 is None:
            return None
        return (year, m1, d1), (year, m2, d2)
    # Two complete single dates around a separator; try each separator position.
    for sep in _SPLIT.finditer(s):
        start = _match_single(s[: sep.start()])
        if start is not None:
            end = _match_single(s[sep.end() :])
            if end is not None:
                return start, end
    return None


def _validate(parts: _Parts) -> None:
    year, month, day = parts
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _InvalidDateError(f"year {year} outside {MIN_YEAR}-{MAX_YEAR}")
    if month is None:
        return
    if not 1 <= month <= 12:
        raise _InvalidDateError(f"invalid month {month}")
    if day is None:
        return
    last = _DAYS_IN_MONTH[month - 1]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        last = 29
    if not 1 <= day <= last:
        raise _InvalidDateError(f"invalid day {day} for {year:04d}-{month:02d}")


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(32))


def _iso(parts: _Parts) -> tuple[str, str]:
    """ISO text and precision of validated parts (table look-ups: this is on the hot path)."""
    year, month, day = parts
    if month is None:
        return str(year), "year"
    if day is None:
        return f"{year}-{_TWO_DIGITS[month]}", "month"
    return f"{year}-{_TWO_DIGITS[month]}-{_TWO_DIGITS[day]}", "day"


def _error(raw: str | None, error: str, approximate: bool = False, method: str | None = None) -> NormalizedDate:
    return NormalizedDate(raw, None, None, approximate=approximate, method=method, error=error)


def _result(raw: str | None, start: _Parts, end: _Parts | None, approximate: bool, method: str) -> NormalizedDate:
    """Validate and build; an impossible date or a backwards range gives an error result."""
    try:
        _validate(start)
        if end is not None:
            _validate(end)
    except _InvalidDateError as exc:
        return _error(raw, str(exc), approximate, method)
    iso, precision = _iso(start)
    if end is None:
        return NormalizedDate(raw, iso, precision, None, None, approximate, method)
    end_iso, end_precision = _iso(end)
    common = min(len(iso), len(end_iso))  # compare at the coarser of the two precisions
    if end_iso[:common] < iso[:common]:
        return _error(raw, "range end before start", approximate, method)
    return NormalizedDate(raw, iso, precision, end_iso, end_precision, approximate, method)


def _fast(raw: str | None, core: str, approximate: bool) -> NormalizedDate | None:
    start = _match_single(core)
    if start is not None:
        return _result(raw, start, None, approximate, "fast")
    pair = _match_range(core)
    if pair is not None:
        return _result(raw, pair[0], pair[1], approximate, "fast")
    return None


def parse_fast(text: str) -> NormalizedDate | None:
    """Read `text` with the fast path only; None means it is not a fast-path form.

    A recognised form with impossible values returns an error result (not None).
    """
    core, approximate = _strip_qualifiers(_clean(text))
    if not core:
        return None
    return _fast(text, core, approximate)


# --- dateparser fallback ---------------------------------------------------------------------

_PERIODS = {"day": "day", "month": "month", "year": "year"}
# Two "nows", different in year, month and day. A part dateparser took from the base instead of
# the text differs between them, so comparing both readings catches any filled-in part.
# Both lie outside MIN_YEAR..MAX_YEAR, so a filled-in year is out of range anyway.
_BASES = (datetime(2901, 1, 1), datetime(2952, 12, 28))  # naive on purpose
_ANY_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")  # Unicode digits on purpose ("١٩٥٠")
# "5-7 juin 1951", "3 mars - 5 avril 1950": dateparser would keep one end silently.
_RANGE_HINT = re.compile(r"(?<![\d-])\d{1,2} ?- ?\d{1,2}(?![\d-])| - ")


@functools.lru_cache(maxsize=16)
def _date_data_parsers(languages: tuple[str, ...] | None) -> tuple[Any, Any]:
    """One DateDataParser per base; building them (and their locale data) is costly, so cache."""
    from dateparser.date import DateDataParser  # import lazily: the fast path never needs it

    def build(base: datetime) -> Any:
        settings = {
            "PREFER_DATES_FROM": "past",
            # "current" (the default) takes missing parts from RELATIVE_BASE, which is what makes a
            # filled-in part visible when the two bases are compared.
            "PREFER_DAY_OF_MONTH": "current",
            "PREFER_MONTH_OF_YEAR": "current",
            "REQUIRE_PARTS": ["year"],
            "RETURN_TIME_AS_PERIOD": False,
            "RELATIVE_BASE": base,
            "PARSERS": ["custom-formats", "absolute-time"],  # no "relative-time", no "timestamp"
            "TIMEZONE": "UTC",
            "RETURN_AS_TIMEZONE_AWARE": False,
        }
        return DateDataParser(languages=list(languages) if languages else None, settings=settings)

    return build(_BASES[0]), build(_BASES[1])


def _truncate(date: datetime, precision: str) -> _Parts:
    if precision == "year":
        return date.year, None, None
    if precision == "month":
        return date.year, date.month, None
    return date.year, date.month, date.day


def _read(parser: Any, core: str) -> tuple[_Parts, str] | str:
    """(parts, precision) or an error message."""
    try:
        data = parser.get_date_data(core)
    except Exception as exc:  # dateparser on arbitrary text: never let it crash a crawl
        return f"dateparser failed: {type(exc).__name__}"
    if data.date_obj is None:
        return "not a recognised date"
    precision = _PERIODS.get(data.period)
    if precision is None:
        return f"unsupported precision {data.period!r}"
    return _truncate(data.date_obj, precision), precision


def _with_dateparser(
    raw: str | None, core: str, approximate: bool, languages: tuple[str, ...] | None
) -> NormalizedDate:
    years = {int(y) for y in _ANY_YEAR.findall(core)}
    if not years:
        return _error(raw, "no four-digit year shown", approximate)
    if not any(MIN_YEAR <= y <= MAX_YEAR for y in years):
        return _error(raw, f"year outside {MIN_YEAR}-{MAX_YEAR}", approximate)
    if _RANGE_HINT.search(core):
        return _error(raw, "date range in a form only the fast path could split", approximate)
    first_parser, second_parser = _date_data_parsers(languages)
    first = _read(first_parser, core)
    if isinstance(first, str):
        return _error(raw, first, approximate, "dateparser")
    second = _read(second_parser, core)
    if second != first:
        return _error(raw, "incomplete or relative date (would depend on today)", approximate, "dateparser")
    parts = first[0]
    if parts[0] not in years:  # e.g. the "ja" locale reads "1950年" as 1050
        return _error(raw, f"dateparser read year {parts[0]}, not a year shown", approximate, "dateparser")
    return _result(raw, parts, None, approximate, "dateparser")


# --- entry point -------------------------------------------------------------------------------


def normalize_date(text: str | None, *, languages: tuple[str, ...] | None = None) -> NormalizedDate:
    """Normalise one displayed date. Never raises on any text; never depends on today's date.

    `languages` (ISO 639-1 codes, e.g. ("ru", "fr")) only steers the dateparser fallback;
    None lets dateparser detect the language.
    """
    if text is None:
        return NormalizedDate(None, None, None)
    s = _clean(text)
    if not s:
        return NormalizedDate(text, None, None)
    if len(s) > MAX_LENGTH:
        return _error(text, f"longer than {MAX_LENGTH} characters: not a date")
    core, approximate = _strip_qualifiers(s)
    if not core:
        return _error(text, "no date besides a qualifier", approximate)
    fast = _fast(text, core, approximate)
    if fast is not None:
        return fast
    return _with_dateparser(text, core, approximate, tuple(languages) if languages else None)


# --- a profile's strptime formats ---------------------------------------------------------------------------

DAY_DIRECTIVES = ("%d", "%j", "%-d")
MONTH_DIRECTIVES = ("%m", "%b", "%B", "%-m")


def format_precision(fmt: str) -> str:
    """The precision a strptime format shows: day, month or year."""
    if any(d in fmt for d in DAY_DIRECTIVES):
        return "day"
    if any(d in fmt for d in MONTH_DIRECTIVES):
        return "month"
    return "year"


def date_from_formats(text: str | None, formats: Sequence[str]) -> NormalizedDate | None:
    """Read ``text`` with the first matching strptime format, at the precision its directives show; ``None``
    when no format matches (the date normaliser then has its turn)."""
    if not text or not formats:
        return None
    core = " ".join(text.split())
    for fmt in formats:
        try:
            parsed = datetime.strptime(core, fmt)
        except ValueError:
            continue
        precision = format_precision(fmt)
        iso = {"day": f"{parsed:%Y-%m-%d}", "month": f"{parsed:%Y-%m}", "year": f"{parsed.year:04d}"}[precision]
        return NormalizedDate(raw=text, iso=iso, precision=precision, method="format")
    return None
