"""Property tests (hypothesis): parsers never fail in an unplanned way, dates agree with their precision,
resolving a name is idempotent. Kept fast: few examples, no deadline, no example database."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from harvester.devtools.faults import listing_html, row_html
from harvester.normalize.dates import normalize_date
from harvester.normalize.names import Registry, default_registry
from harvester.parsing import ListingPage, PageError
from harvester.parsing.detect import challenge_reason
from harvester.parsing.files import decode, parse_listing
from harvester.parsing.html_text import clean

FAST = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Text as a page could carry it: any printable character (no controls, no surrogates), with spaces and NBSPs.
printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")), max_size=60)
dates = st.one_of(
    printable,
    st.sampled_from(["October 21, 1954", "August 1949", "1948", "", "June 07, 1951", "ca. 1950", "1949-1950"]),
)
rows = st.lists(
    st.tuples(st.from_regex(r"[1-9][0-9]{0,6}", fullmatch=True), st.from_regex(r"[a-z0-9-]{1,40}", fullmatch=True),
              dates, printable, st.one_of(st.none(), printable)),
    max_size=12,
)


def parse_or_page_error(text: str, base_url: str | None = None) -> ListingPage | None:
    try:
        page = parse_listing(text, base_url)
    except PageError:
        return None
    assert isinstance(page, ListingPage)
    return page


@FAST
@given(rows)
def test_template_pages_parse_back_to_their_rows(generated):
    html = listing_html([row_html(*row) for row in generated], f"1 - {len(generated)} of {len(generated)}"
                        if generated else None)
    # A page whose own text is a bot-challenge phrase is (rightly) refused as a challenge.
    assume(not any(challenge_reason(" ".join(filter(None, row))) for row in generated))
    page = parse_or_page_error(html, "https://digitalarchive.wilsoncenter.org/search")
    if not generated:
        return  # no rows, no count, no "no results" message: not a listing either way
    assert page is not None
    assert [(b.node_id, b.url, b.date_text, b.title, b.summary) for b in page.blocks] == [
        (nid, f"https://digitalarchive.wilsoncenter.org/document/{slug}", clean(date), clean(title),
         clean(summary))
        for nid, slug, date, title, summary in generated
    ]


@FAST
@given(st.text(max_size=400))
def test_any_text_gives_a_listing_or_a_page_error(text):
    parse_or_page_error(text)
    parse_or_page_error(text, "http://127.0.0.1/search")


html_soup = st.lists(
    st.one_of(
        st.sampled_from(["<table>", "</table>", "<tr>", "</tr>", "<td class='document'>", "<td class='date'>",
                         "</td>", "<p>", "</p>", "<a href='/document/x'>", "</a>", "<h3 class='sub-title'>",
                         "<div class='text'>", "</div>", "<br>", "<!--", "-->", "<script>", "</script>",
                         "1 - 10 of 21", "No results found", "&amp;", "&#0;", "&#xD800;", "\x00", "<title>",
                         "Just a moment...", "<main>", "<ul class='search-res'>", "<li>", "<a class='lnk-res'>",
                         "<![CDATA[", "]]>", "<?xml version='1.0'?>", "<svg>", "<math>"]),
        printable,
    ),
    max_size=40,
).map("".join)


@FAST
@given(html_soup)
def test_any_markup_gives_a_listing_or_a_page_error(body):
    parse_or_page_error("<!DOCTYPE html><html><body>" + body)
    parse_or_page_error("<div>" + body)


@FAST
@given(st.binary(max_size=300))
def test_any_bytes_decode_to_text_or_a_page_error(data):
    try:
        text = decode(data)
    except PageError:
        assert not data.strip()
        return
    assert isinstance(text, str)
    parse_or_page_error(text)


# --- dates: the ISO form always agrees with its precision --------------------------------------------------
# tests/test_dates.py holds the main properties (any text, re-normalising the ISO form, every valid day); this
# adds dates built in the site's own formats with random parts, valid or not.

_ISO_SHAPE = {"day": r"\d{4}-\d{2}-\d{2}", "month": r"\d{4}-\d{2}", "year": r"\d{4}"}
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December", "Sept.", "Oct.", "Febuary", ""]
site_dates = st.builds(
    lambda month, day, year, form: form.format(m=month, d=day, y=year),
    st.sampled_from(_MONTHS), st.integers(0, 40), st.integers(900, 2200),
    st.sampled_from(["{m} {d}, {y}", "{m} {d:02d}, {y}", "{m} {y}", "{m}, {y}", "{y}", "{d} {m} {y}", "ca. {y}",
                     "{y}-{d:02d}", "{m} {d}-{d}, {y}"]),
)


@FAST
@given(site_dates)
def test_a_dates_iso_form_agrees_with_its_precision(text):
    result = normalize_date(text)
    assert (result.iso is None) == (result.precision is None)
    if result.iso is not None:
        assert re.fullmatch(_ISO_SHAPE[result.precision], result.iso), result
        year = int(result.iso[:4])
        assert str(year) in text  # never a year the text does not show
    if result.end is not None:
        assert re.fullmatch(_ISO_SHAPE[result.end_precision], result.end), result


# --- names: resolving twice is resolving once ---------------------------------------------------------------

_REGISTRY = default_registry()
_FORMS = sorted({p.name for p in _REGISTRY.persons} | {a.name for p in _REGISTRY.persons for a in p.aliases})
name_text = st.one_of(
    st.builds(lambda d, n, t: d + n + t,
              st.sampled_from(["", "Cde. ", "Comrade ", "Soviet Ambassador ", "Chairman ", "Premier "]),
              st.sampled_from(_FORMS), st.sampled_from(["", " [Stalin]", " (1)", "'s", " in Moscow"])),
    printable,
)
record_dates = st.one_of(st.none(), st.sampled_from(["1948", "1950-10", "1953-03-05", "1965-01-01"]))


@FAST
@given(name_text, record_dates)
def test_resolving_a_name_twice_gives_the_same_result_as_once(text, date):
    once = _REGISTRY.resolve(text, date=date)
    assert _REGISTRY.resolve(text, date=date) == once  # the cache changes nothing
    fresh = Registry(list(_REGISTRY.persons), list(_REGISTRY.organisations)).resolve(text, date=date)
    assert fresh == once
    if once.id is not None:
        twice = _REGISTRY.resolve(once.name, date=date)
        assert (twice.id, twice.name) == (once.id, once.name)
