"""Dates as a listing page shows them: the English forms of `harvester.normalize.datefind`, plus month names of
other languages (``30. März 2024``, ``15 ENE 2024``), ``29-Jul-1898`` and a day and month without a year
(``23 October``), the page's own day/month order, and dates of the Republic of China calendar (``113-11-04``,
``民國113年11月4日``: year + 1911) on pages that use it.

Pure functions. The month vocabulary is data (``harvester/data/auto/months.json``).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache
from importlib import resources

from harvester.normalize.datefind import DateMatch, find_dates

__all__ = [
    "DMY", "MDY", "find_page_dates", "find_roc_dates", "numeric_evidence", "page_order", "reorder",
    "uses_roc_calendar",
]  # fmt: skip

MDY, DMY = "mdy", "dmy"
#: html lang codes whose pages write the month first in numeric dates.
_MONTH_FIRST_LANGS = ("en-us", "en")
#: Host endings only United States bodies use (the .gov and .mil top-level domains, .us).
_US_HOSTS = (".gov", ".mil", ".us")
_YEAR = r"(?P<year>1[6-9]\d\d|20\d\d)"
_DAY = r"(?P<day>[0-3]?\d)"
_NUMERIC = re.compile(r"(\d{1,4})\D+(\d{1,2})\D+(\d{2,4})")
#: The Republic of China calendar (Minguo, Taiwan): year 1 is 1912. ``113-11-04``, ``113/11/04``, ``113.11.04``
#: and ``民國113年11月4日``; a two-digit year only after 民國.
ROC_OFFSET = 1911
_ROC = re.compile(
    r"(?<![\d.\-/])(?:(?P<era>民國|民国)\s*(?P<y2>\d{2,3})|(?P<y3>1\d\d|[89]\d))\s*(?P<sep>[-/.年])\s*"
    r"(?P<mon>[01]?\d)\s*[-/.月]\s*(?P<day>[0-3]?\d)日?(?![\d.\-/])"
)
_ROC_LANGS = ("zh-tw", "zh-hant")
_HAN = re.compile(r"[\u4e00-\u9fff]")


@lru_cache(maxsize=1)
def _months() -> dict[str, int]:
    data = resources.files("harvester").joinpath("data/auto/months.json").read_text(encoding="utf-8")
    return json.loads(data)["months"]


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    names = sorted(_months(), key=len, reverse=True)
    long_names = [n for n in names if len(n) > 4]
    english = (
        "january|february|march|april|may|june|july|august|september|october|november|december"
        "|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
    )
    any_mon = rf"(?P<mon>{'|'.join(map(re.escape, names))}|{english})"
    full_mon = rf"(?P<mon>{'|'.join(map(re.escape, long_names))}|{english})"
    edge, end = r"(?<![\w])", r"(?![\w])"
    flags = re.IGNORECASE
    return (
        # 30. März 2024, 15 ENE 2024, 29-Jul-1898, 3 de marzo de 2024
        (
            re.compile(
                rf"{edge}{_DAY}(?:\.|º)?(?:\s*[-/]\s*|\s+(?:de\s+)?){any_mon}\.?(?:\s*[-/,]\s*|\s+(?:de\s+)?){_YEAR}{end}",
                flags,
            ),
            "dmy",
        ),
        # März 2024 (month and year)
        (re.compile(rf"{edge}{full_mon}\.?,?\s+(?:de\s+)?{_YEAR}{end}", flags), "my"),
        # 23 October (no year: the page gives it)
        (re.compile(rf"{edge}{_DAY}(?:\.|º)?\s+(?:de\s+)?{full_mon}{end}(?!\s*,?\s*\d)", flags), "dm"),
    )


def _month_of(token: str) -> int | None:
    token = token.lower().strip(". ")
    english = {
        m: n
        for n, m in enumerate(
            ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
        )
    }
    return _months().get(token) or english.get(token[:3])


@lru_cache(maxsize=32768)
def find_page_dates(text: str) -> tuple[DateMatch, ...]:
    """The date expressions of `text` in order, non-overlapping: the English finder's first, then the
    other forms where they do not overlap one of those."""
    found = list(find_dates(text))
    if not text or not any(ch.isdigit() for ch in text):
        return tuple(found)
    for rx, kind in _patterns():
        for m in rx.finditer(text):
            overlapping = [d for d in found if m.start() < d.end and d.start < m.end()]
            if any(
                not (m.start() <= d.start and d.end <= m.end() and d.end - d.start < len(m.group(0)))
                for d in overlapping
            ):
                continue  # a longer or equal match of the English finder stands
            if kind == "dm" and len(text.strip()) > len(m.group(0)) + 10:
                continue  # a day and month without a year only where it stands alone (a date cell)
            month = _month_of(m.group("mon"))
            day = int(m.group("day")) if "day" in rx.groupindex else None
            year = int(m.group("year")) if "year" in rx.groupindex else None
            if month is None or (day is not None and not 1 <= day <= 31):
                continue
            found = [d for d in found if d not in overlapping]
            found.append(DateMatch(m.start(), m.end(), m.group(0), year, month, day, None, kind))
    found.sort(key=lambda d: d.start)
    return tuple(found)


def _numbers(match: DateMatch) -> tuple[int, int, str] | None:
    m = _NUMERIC.search(match.text)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2)), m.group(3)


def numeric_evidence(match: DateMatch) -> str | None:
    """What one numeric date proves about the page's order: DMY when its first number cannot be a month,
    MDY when its second cannot; None when both can."""
    if match.kind != "numeric":
        return None
    parts = _numbers(match)
    if parts is None:
        return None
    a, b, _y = parts
    if a > 12 >= b:
        return DMY
    if b > 12 >= a:
        return MDY
    return None


def page_order(evidence: list[str], lang: str | None, host: str | None = None) -> str | None:
    """The page's day/month order: what its unambiguous numeric dates show (when they agree), else its
    language (``<html lang>``: English month first, other languages day first), else its host when that is
    a United States one (``.gov``, ``.mil``, ``.us``: month first), else None (unknown)."""
    kinds = set(evidence)
    if len(kinds) == 1:
        return kinds.pop()
    if kinds:
        return None  # the page shows both orders: each date is read on its own
    if lang:
        lang = lang.lower()
        return MDY if lang.startswith(_MONTH_FIRST_LANGS) else DMY
    if host and host.lower().rstrip(".").split(":")[0].endswith(_US_HOSTS):
        return MDY
    return None


def reorder(match: DateMatch, order: str | None) -> DateMatch:
    """A numeric date read in the page's order (``03/06/2026`` on a day-first page is 3 June)."""
    if match.kind != "numeric" or order != DMY:
        return match
    parts = _numbers(match)
    if parts is None:
        return match
    a, b, _y = parts
    if a > 12 or b > 12:
        return match  # unambiguous already
    return replace(match, month=b, day=a)


def is_ambiguous(match: DateMatch, order: str | None) -> bool:
    """A numeric date both of whose first numbers could be the month, on a page whose order is unknown."""
    if match.kind != "numeric" or order is not None:
        return False
    parts = _numbers(match)
    return parts is not None and parts[0] <= 12 and parts[1] <= 12 and parts[0] != parts[1]


def uses_roc_calendar(text: str, lang: str | None) -> bool:
    """Whether a page writes Republic of China years: it says 民國, its ``<html lang>`` is Taiwanese Chinese,
    or it is written in Chinese characters (at least 30% of its letters). Elsewhere ``113-11-04`` is no date."""
    if "民國" in text or "民国" in text or (lang or "").lower().startswith(_ROC_LANGS):
        return True
    letters = sum(1 for ch in text if ch.isalpha())
    return letters > 0 and len(_HAN.findall(text)) >= 0.3 * letters


@lru_cache(maxsize=32768)
def find_roc_dates(text: str) -> tuple[DateMatch, ...]:
    """The Republic of China calendar dates of `text` (on a page that `uses_roc_calendar`), as Gregorian dates."""
    found = []
    for m in _ROC.finditer(text):
        year = int(m.group("y2") or m.group("y3"))
        month, day = int(m.group("mon")), int(m.group("day"))
        if not (1 <= month <= 12 and 1 <= day <= 31) or (m.group("era") is None and m.group("sep") == "年"):
            continue
        found.append(DateMatch(m.start(), m.end(), m.group(0), year + ROC_OFFSET, month, day, None, "roc"))
    return tuple(found)
