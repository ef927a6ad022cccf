"""Tests for harvester.normalize.dates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.normalize import dates
from harvester.normalize.dates import NormalizedDate, normalize_date, parse_fast
from tests.support.paths import shared_file

ISO_BY_PRECISION = {
    "day": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "month": re.compile(r"\d{4}-\d{2}"),
    "year": re.compile(r"\d{4}"),
}
# Two "nows" that differ in year, month and day: a filled-in part would show.
NOWS = (datetime(1999, 1, 1, 12, tzinfo=UTC), datetime(2031, 8, 27, 3, tzinfo=UTC))

# (text, iso, precision, end, approximate); end_precision is checked from the shape of `end`.
FAST = [
    # The forms from the issue.
    ("October 25, 1949", "1949-10-25", "day", None, False),
    ("June 07, 1951", "1951-06-07", "day", None, False),
    ("August 1949", "1949-08", "month", None, False),
    ("1948", "1948", "year", None, False),
    ("1949-10-25", "1949-10-25", "day", None, False),
    ("1949-10", "1949-10", "month", None, False),
    ("25 October 1949", "1949-10-25", "day", None, False),
    ("Oct. 25, 1949", "1949-10-25", "day", None, False),
    ("Sept. 3, 1950", "1950-09-03", "day", None, False),
    ("Sep 3, 1950", "1950-09-03", "day", None, False),
    ("October 25 1949", "1949-10-25", "day", None, False),
    ("October 25th, 1949", "1949-10-25", "day", None, False),
    ("OCTOBER 25, 1949", "1949-10-25", "day", None, False),
    ("3 Sept. 1950", "1950-09-03", "day", None, False),
    ("February 29, 1952", "1952-02-29", "day", None, False),
    ("February 29, 2000", "2000-02-29", "day", None, False),
    ("ca. 1950", "1950", "year", None, True),
    ("ca 1950", "1950", "year", None, True),
    ("c. 1950", "1950", "year", None, True),
    ("circa 1950", "1950", "year", None, True),
    ("Circa June 1950", "1950-06", "month", None, True),
    ("[1949]", "1949", "year", None, True),
    ("1949?", "1949", "year", None, True),
    ("[ca. 1949?]", "1949", "year", None, True),
    ("[June] 1949", "1949-06", "month", None, True),
    # Ranges.
    ("1949-1950", "1949", "year", "1950", False),
    ("1949 - 1950", "1949", "year", "1950", False),
    ("1949\u20131950", "1949", "year", "1950", False),  # en dash
    ("1949/1950", "1949", "year", "1950", False),
    ("June 5-7, 1951", "1951-06-05", "day", "1951-06-07", False),
    ("5-7 June 1951", "1951-06-05", "day", "1951-06-07", False),
    ("June 5 - July 2, 1951", "1951-06-05", "day", "1951-07-02", False),
    ("June 5 to July 2, 1951", "1951-06-05", "day", "1951-07-02", False),
    ("March-April 1952", "1952-03", "month", "1952-04", False),
    ("1949-10-25/1949-10-27", "1949-10-25", "day", "1949-10-27", False),
    ("October 25, 1949 - March 1950", "1949-10-25", "day", "1950-03", False),
    ("August 1949 to 1951", "1949-08", "month", "1951", False),
    ("1949-10/1949-10-27", "1949-10", "month", "1949-10-27", False),  # end inside the start month
    ("ca. 1949-1950", "1949", "year", "1950", True),
    # realworld/wilson/text-pages/01.txt
    ("July 11, 1978", "1978-07-11", "day", None, False),
    ("April 01, 1979", "1979-04-01", "day", None, False),
    ("October 29, 1980", "1980-10-29", "day", None, False),
    # realworld/wilson/text-pages/02.txt ("  • December 10, 1979": the bullet is the parser's)
    ("December 10, 1979", "1979-12-10", "day", None, False),
    # realworld/wilson/text-pages/03.txt
    ("April, 1952", "1952-04", "month", None, False),
    ("January 17, 1952", "1952-01-17", "day", None, False),
    # realworld/wilson/text-pages/04.txt
    ("March 04, 1955", "1955-03-04", "day", None, False),
    # realworld/wilson/text-pages/04.txt, inside a title: "Khrushchev and Bulganin's November-December 1955 trip"
    ("November-December 1955", "1955-11", "month", "1955-12", False),
    # realworld/wilson/text-pages/05.txt
    ("June 05, 1964", "1964-06-05", "day", None, False),
    # realworld/wilson/text-pages/05.txt, inside a title: "... in Beijing, 3-10 March 1964 (excerpts)"
    ("3-10 March 1964", "1964-03-03", "day", "1964-03-10", False),
    # realworld/wilson/text-pages/06.txt
    ("August 02, 1971", "1971-08-02", "day", None, False),
    ("November 06, 1971", "1971-11-06", "day", None, False),
    # realworld/wilson/text-pages/07.txt
    ("April 1984", "1984-04", "month", None, False),
    ("October 1982", "1982-10", "month", None, False),
    ("June 3, 1978", "1978-06-03", "day", None, False),
    # realworld/wilson/text-pages/07.txt, inside a title: "..., 10 September - 2 October 1982"
    ("10 September - 2 October 1982", "1982-09-10", "day", "1982-10-02", False),
    # realworld/wilson/text-pages/08.txt
    ("September 30, 1944", "1944-09-30", "day", None, False),
    # realworld/wilson/text-pages/09.txt
    ("January 8, 1955", "1955-01-08", "day", None, False),
    # realworld/wilson/text-pages/10.txt
    ("March 1, 1979", "1979-03-01", "day", None, False),
    # realworld/wilson/text-pages/11.txt
    ("October 1985", "1985-10", "month", None, False),
    # realworld/wilson/text-pages/12.txt
    ("October 31, 1962", "1962-10-31", "day", None, False),
    # realworld/wilson/text-pages/13.txt
    ("December 1, 1965", "1965-12-01", "day", None, False),
    # realworld/wilson/text-pages/14.txt
    ("August 5, 1957", "1957-08-05", "day", None, False),
    # docs/wilson-site.md (Dates) and realworld/wilson/document-main/ (h2.date)
    ("February 4, 1949", "1949-02-04", "day", None, False),
    ("June 2007", "2007-06", "month", None, False),
    ("November 1980", "1980-11", "month", None, False),
    # Whitespace as pages deliver it: NBSP, newline + indentation, zero-width space.
    ("October\u00a025,\u00a01949", "1949-10-25", "day", None, False),
    ("\n        October 25, 1949\n    ", "1949-10-25", "day", None, False),
    ("October 25,\u200b 1949", "1949-10-25", "day", None, False),
]

# Recognised by the fast path, but impossible: an error, not a silent fix nor a dateparser guess.
INVALID = [
    "February 30, 1950",
    "February 29, 1950",
    "February 29, 1900",  # not a leap year
    "April 31, 1952",
    "June 00, 1951",
    "1949-13",
    "1949-02-30",
    "1949-00-10",
    "0999",
    "2101",
    "October 25, 2150",
    "June 31 - July 2, 1951",
    "1950-1949",  # end before start
    "April-March 1952",
    "June 7-5, 1951",
    "1949-10-27/1949-10-25",
]

# No year shown, relative to today, or not a date at all: no date and a reason.
UNREADABLE = [
    "August",
    "October 25",
    "yesterday",
    "today",
    "now",
    "2 days ago",
    "in 3 days",
    "next week",
    "Monday",
    "12:30",
    "12:30 1950",  # dateparser would take the day and month from "now"
    "3 марта",
    "J",  # realworld/wilson/text-pages/09.txt: a date cut off after its first letter
    "Foo 1949",
    "ca.",
    "[?]",
    "5-7 juin 1951",  # a range dateparser would read as its first day only
    "Results: 1 - 10 of 21",
    "x" * 200,
]

# (text, languages, iso, precision): the dateparser fallback.
OTHER_LANGUAGES = [
    ("25 октября 1949", None, "1949-10-25", "day"),
    ("25 октября 1949", ("ru",), "1949-10-25", "day"),
    ("le 3 mars 1950", None, "1950-03-03", "day"),
    ("le 3 mars 1950", ("fr",), "1950-03-03", "day"),
    ("3. März 1950", None, "1950-03-03", "day"),
    ("3. März 1950", ("de",), "1950-03-03", "day"),
    ("1950年3月3日", None, "1950-03-03", "day"),
    ("1950年3月", None, "1950-03", "month"),
    ("mars 1950", ("fr",), "1950-03", "month"),
    ("октябрь 1949", ("ru",), "1949-10", "month"),
    ("ca. März 1950", ("de",), "1950-03", "month"),
    # realworld/wilson/text-pages/08.txt, inside a title: "..., February 26, 1989, 11:00 a.m. - 12:00 noon"
    ("February 26, 1989, 11:00 a.m.", None, "1989-02-26", "day"),
    ("Tuesday, October 25, 1949", None, "1949-10-25", "day"),
]


def check_invariants(result: NormalizedDate) -> None:
    assert isinstance(result, NormalizedDate)
    assert (result.iso is None) == (result.precision is None)
    assert (result.end is None) == (result.end_precision is None)
    if result.iso is not None:
        assert ISO_BY_PRECISION[result.precision].fullmatch(result.iso)
        assert result.error is None
        assert result.method in ("fast", "dateparser")
    if result.end is not None:
        assert result.iso is not None
        assert ISO_BY_PRECISION[result.end_precision].fullmatch(result.end)
        common = min(len(result.iso), len(result.end))
        assert result.end[:common] >= result.iso[:common]
    if result.iso is None and result.raw is not None and result.raw.strip():
        assert result.error


@pytest.mark.parametrize(("text", "iso", "precision", "end", "approximate"), FAST)
def test_fast_forms(text, iso, precision, end, approximate):
    result = normalize_date(text)
    assert (result.iso, result.precision, result.end, result.approximate) == (iso, precision, end, approximate)
    assert result.end_precision == (None if end is None else {10: "day", 7: "month", 4: "year"}[len(end)])
    assert result.raw == text  # kept exactly as given
    assert result.method == "fast"
    assert result.error is None
    assert parse_fast(text) == result
    check_invariants(result)


def test_fast_path_never_calls_dateparser(monkeypatch):
    def boom(languages):
        raise AssertionError("dateparser used")

    monkeypatch.setattr(dates, "_date_data_parsers", boom)
    for text, *_ in FAST:
        assert normalize_date(text).method == "fast"
    for text in INVALID:
        assert normalize_date(text).method == "fast"


@pytest.mark.parametrize("text", INVALID)
def test_impossible_dates_are_errors(text):
    result = normalize_date(text)
    assert (result.iso, result.precision, result.end) == (None, None, None)
    assert result.error
    assert result.raw == text
    assert result.method == "fast"  # recognised; never handed to dateparser for another reading


@pytest.mark.parametrize("text", UNREADABLE)
def test_unreadable_or_relative_text_gives_no_date(text):
    for now in NOWS:
        with time_machine.travel(now, tick=False):
            result = normalize_date(text)
            assert (result.iso, result.precision, result.end) == (None, None, None)
            assert result.error
            assert result.raw == text
            assert parse_fast(text) is None or parse_fast(text).iso is None


@pytest.mark.parametrize("text", [None, "", "   ", "\u00a0", "\n\t  \n"])
def test_no_date_shown_is_not_an_error(text):
    result = normalize_date(text)
    assert result == NormalizedDate(raw=text, iso=None, precision=None)
    assert result.error is None


@pytest.mark.parametrize(("text", "languages", "iso", "precision"), OTHER_LANGUAGES)
def test_other_forms_via_dateparser(text, languages, iso, precision):
    assert parse_fast(text) is None
    results = []
    for now in NOWS:
        with time_machine.travel(now, tick=False):
            results.append(normalize_date(text, languages=languages))
    assert results[0] == results[1]  # the same under two different "todays"
    result = results[0]
    assert (result.iso, result.precision, result.end) == (iso, precision, None)
    assert result.method == "dateparser"
    assert result.raw == text
    check_invariants(result)


def test_month_and_year_not_filled_from_today():
    for now in NOWS:
        with time_machine.travel(now, tick=False):
            assert normalize_date("August 1949").iso == "1949-08"
            assert normalize_date("1949").iso == "1949"
            assert normalize_date("mars 1950", languages=("fr",)).iso == "1950-03"
            assert normalize_date("August").iso is None


def test_languages_restrict_the_fallback():
    assert normalize_date("le 3 mars 1950", languages=("en",)).iso is None
    assert normalize_date("le 3 mars 1950", languages=("fr", "de")).iso == "1950-03-03"
    assert dates._date_data_parsers(("fr",)) is dates._date_data_parsers(("fr",))  # built once


def test_approximate_is_reported_by_the_fallback_too():
    result = normalize_date("[3. März 1950]", languages=("de",))
    assert (result.iso, result.approximate, result.method) == ("1950-03-03", True, "dateparser")


def test_every_date_line_of_the_real_text_pages():
    pages = shared_file("realworld", "wilson", "text-pages")
    date_line = re.compile(r"\s*(?:•\s*)?([A-Z][a-z]+,? (?:\d{1,2}, )?\d{4})\s*")
    seen = 0
    for page in sorted(pages.glob("*.txt")):
        for line in page.read_text(encoding="utf-8").splitlines():
            m = date_line.fullmatch(line)
            if m:
                seen += 1
                result = normalize_date(m.group(1))
                assert result.method == "fast", (page.name, line)
                assert result.precision in ("day", "month"), (page.name, line)
    assert seen == 68  # every date line of the 14 pages


# --- properties --------------------------------------------------------------------------------

DATEISH_TOKENS = [
    "October", "Oct.", "Sept.", "May", "June", "april", "mars", "октября", "März", "年", "月", "日",
    "ca.", "c.", "circa", "[", "]", "?", "-", "\u2013", "/", ",", ".", " to ", " ", "\u00a0",
    "0", "1", "5", "07", "25", "29", "30", "31", "13", "1949", "1950", "0999", "2101", "10:30",
    "yesterday", "ago", "days", "le", "x",
]  # fmt: skip
dateish = st.lists(st.sampled_from(DATEISH_TOKENS), max_size=7).map("".join)
any_text = st.one_of(st.text(max_size=40), dateish, st.text(alphabet="0123456789-/ ,.", max_size=24))
PROPERTY_SETTINGS = settings(max_examples=250, deadline=None, database=None)


@PROPERTY_SETTINGS
@given(any_text)
def test_any_text_gives_a_consistent_result(text):
    result = normalize_date(text)
    assert result.raw == text
    check_invariants(result)


@PROPERTY_SETTINGS
@given(any_text)
def test_normalising_the_iso_again_is_stable(text):
    result = normalize_date(text)
    if result.iso is not None:
        again = normalize_date(result.iso)
        assert (again.iso, again.precision, again.method) == (result.iso, result.precision, "fast")
    if result.end is not None:
        again = normalize_date(result.end)
        assert (again.iso, again.precision) == (result.end, result.end_precision)


MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


@settings(max_examples=300, deadline=None, database=None)
@given(st.dates(min_value=date(1000, 1, 1), max_value=date(2100, 12, 31)))
def test_every_valid_day_round_trips(day):
    month = MONTH_NAMES[day.month - 1]
    assert normalize_date(f"{month} {day.day}, {day.year}").iso == day.isoformat()
    assert normalize_date(f"{month} {day.day:02d}, {day.year}").iso == day.isoformat()
    assert normalize_date(f"{day.day} {month} {day.year}").iso == day.isoformat()
    assert normalize_date(f"{month} {day.year}").iso == day.isoformat()[:7]
