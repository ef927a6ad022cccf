"""The zero-config listing extractor (harvester.parsing.auto) on synthetic and on real pages."""

from __future__ import annotations

from pathlib import Path

import parsel
import pytest

from benchmarks.score import read_page
from harvester.model import ChallengePageError, ListingPage, NotAListingError
from harvester.normalize.datefind import find_dates, strip_dates_and_times
from harvester.parsing.auto import AutoResult, extract_blocks

REAL = Path(__file__).parents[2] / "shared" / "realworld" / "city-scrapers"
BASE = "https://example.org/meetings/"


def run(html: str, base_url: str | None = BASE, **kwargs) -> AutoResult:
    return extract_blocks(parsel.Selector(text=html), base_url, **kwargs)


def page(body: str, title: str = "Meetings") -> str:
    nav = '<nav class="menu"><ul><li><a href="/">Home</a></li><li><a href="/about">About</a></li></ul></nav>'
    foot = "<footer><p>© 2024 Example Board</p></footer>"
    return f"<html><head><title>{title}</title></head><body>{nav}<main>{body}</main>{foot}</body></html>"


def real(name: str) -> parsel.Selector:
    path = REAL / name
    if not path.is_file():
        pytest.skip(f"real page {path} not available (../shared/realworld/city-scrapers beside the repo)")
    return read_page(path)


# --- date finder --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown", "parts"),
    [
        ("Regular Board Meeting - December 12, 2023", "December 12, 2023", (2023, 12, 12)),
        ("Tuesday, May 25, 2021 @ 8:30 a.m.", "Tuesday, May 25, 2021", (2021, 5, 25)),
        ("July 24th, 2019", "July 24th, 2019", (2019, 7, 24)),
        ("Meeting 56 - Nov. 20th, 2019", "Nov. 20th, 2019", (2019, 11, 20)),
        ("SSA2Mintues04-23-2014", "04-23-2014", (2014, 4, 23)),
        ("Agenda 1-22-19", "1-22-19", (2019, 1, 22)),
        ("04.04.19 Retirement Board", "04.04.19", (2019, 4, 4)),
        ("Board of Directors on 2018-06-21", "2018-06-21", (2018, 6, 21)),
        ("25 October 1949", "25 October 1949", (1949, 10, 25)),
        ("Executive Session Minutes Released March 2018", "March 2018", (2018, 3, None)),
        ("Monday January 11", "Monday January 11", (None, 1, 11)),
        ("Jan. 16 Minutes", "Jan. 16", (None, 1, 16)),
    ],
)
def test_find_dates_forms(text: str, shown: str, parts: tuple) -> None:
    (match,) = find_dates(text)
    assert match.text == shown
    assert (match.year, match.month, match.day) == parts


@pytest.mark.parametrize(
    "text", ["Phone: 312.744.4190", "Chicago, IL 60654-8488", "Version 3.26.0", "Mayor Emanuel", "Suite 165"]
)
def test_find_dates_ignores_numbers_that_are_not_dates(text: str) -> None:
    assert find_dates(text) == []


def test_strip_dates_and_times() -> None:
    assert " ".join(strip_dates_and_times("Finance Committee on 2018-06-21 - 9:00 a.m.").split()) == (
        "Finance Committee on -"
    )


# --- synthetic listings -----------------------------------------------------------------------------


def test_table_rows_with_a_name_column() -> None:
    rows = "".join(
        f"<tr><td>{d}<br>10:00 AM</td><td>Board Meetings</td><td>{name}</td>"
        f'<td><a href="/docs/{n}.pdf">Agenda</a></td></tr>'
        for n, (d, name) in enumerate(
            [("06/15/2018", "Finance Committee"), ("05/09/2018", "Regular Board Meeting"), ("04/18/2018", "Audit")]
        )
    )
    html = page(
        "<table><thead><tr><th>Date</th><th>Category</th><th>Meeting name</th><th>Files</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    result = run(html)
    assert [(b.date_iso, b.title) for b in result.blocks] == [
        ("2018-06-15", "Finance Committee"),
        ("2018-05-09", "Regular Board Meeting"),
        ("2018-04-18", "Audit"),
    ]
    first = result.blocks[0]
    assert first.date_text == "06/15/2018"
    assert first.date_precision == "day"
    assert first.url == "https://example.org/docs/0.pdf"
    assert first.position == 1
    assert result.block_signature == "tr"
    assert result.container_path.endswith("table > tbody")
    assert result.layout == "elements"


def test_list_items_with_dated_links() -> None:
    items = "".join(
        f'<li><a href="/minutes/{n}">Board of Trustees - {d}</a></li>'
        for n, d in enumerate(("March 7, 2019", "February 5, 2019", "Jan. 8, 2019"))
    )
    result = run(page(f"<h1>Minutes</h1><ul class='docs'>{items}</ul>"))
    assert [b.date_iso for b in result.blocks] == ["2019-03-07", "2019-02-05", "2019-01-08"]
    assert result.blocks[2].title == "Board of Trustees - Jan. 8, 2019"
    assert result.blocks[2].date_text == "Jan. 8, 2019"
    assert result.blocks[0].url == "https://example.org/minutes/0"


def test_document_labels_are_not_titles() -> None:
    items = "".join(
        f'<li><a href="/m/{n}.pdf">Minutes of {d}</a></li>' for n, d in enumerate(("May 7, 2019", "June 4, 2019"))
    )
    result = run(page(f"<ul>{items}</ul>"))
    assert [(b.date_iso, b.title, b.url) for b in result.blocks] == [
        ("2019-05-07", None, "https://example.org/m/0.pdf"),
        ("2019-06-04", None, "https://example.org/m/1.pdf"),
    ]


def test_div_cards_prefer_the_card_over_its_document_links() -> None:
    cards = "".join(
        f'<div class="views-row"><article class="node"><h3 class="node-title">{t} - {d}</h3>'
        f"<p>The meeting will be held on {d} at 10:00 a.m.</p>"
        f'<ul class="docs"><li><a href="/n.pdf">Notice - {d}.pdf</a></li>'
        f'<li><a href="/a.pdf">Agenda - {d}.pdf</a></li></ul>'
        "</article></div>"
        for t, d in (("Regular Board Meeting", "December 12, 2023"), ("Special Meeting", "November 28, 2023"))
    )
    result = run(page(f'<div class="view-content">{cards}</div>'))
    assert [(b.date_iso, b.title) for b in result.blocks] == [
        ("2023-12-12", "Regular Board Meeting - December 12, 2023"),
        ("2023-11-28", "Special Meeting - November 28, 2023"),
    ]
    assert result.blocks[0].summary
    assert "10:00 a.m." in result.blocks[0].summary


def test_heading_followed_by_paragraphs() -> None:
    body = "".join(
        f"<h3>{d}</h3><p>{t}</p><p>Location: City Hall, Room {n}</p>"
        for n, (d, t) in enumerate(
            [("April 3, 2020", "Budget hearing"), ("May 1, 2020", "Zoning board"), ("June 5, 2020", "Parks committee")]
        )
    )
    result = run(page(f"<section>{body}</section>"))
    assert [(b.date_iso, b.title) for b in result.blocks] == [
        ("2020-04-03", "Budget hearing"),
        ("2020-05-01", "Zoning board"),
        ("2020-06-05", "Parks committee"),
    ]
    assert result.layout == "heading-sections"


def test_br_lines_take_the_year_from_the_heading_above() -> None:
    body = (
        "<p><strong>2019 Agendas</strong><br><a href='/a1.pdf'>January 16</a><br><a href='/a2.pdf'>February 20</a>"
        "<br><a href='/a3.pdf'>March 20</a></p>"
        "<p><strong>2018 Agendas</strong><br><a href='/b1.pdf'>November 14</a><br><a href='/b2.pdf'>December 19</a></p>"
    )
    result = run(page(body))
    assert [b.date_iso for b in result.blocks] == ["2019-01-16", "2019-02-20", "2019-03-20", "2018-11-14", "2018-12-19"]
    assert all(b.year_source == "context" for b in result.blocks)
    assert result.blocks[0].date_text == "January 16"
    assert result.blocks[0].url == "https://example.org/a1.pdf"
    assert result.blocks[0].title is None  # the link shows only the date


def test_month_precision_is_kept() -> None:
    items = "".join(f"<li><a href='/m{n}.pdf'>{m} 2023</a></li>" for n, m in enumerate(["May", "March", "January"]))
    result = run(page(f"<h2>Agendas</h2><ul>{items}</ul>"))
    assert [(b.date_iso, b.date_precision) for b in result.blocks] == [
        ("2023-05", "month"),
        ("2023-03", "month"),
        ("2023-01", "month"),
    ]


def test_a_date_without_any_year_on_the_page_stays_unread() -> None:
    items = "".join(f"<li>{d} - Commission meeting</li>" for d in ("March 5", "April 2", "May 7"))
    result = run(page(f"<ul>{items}</ul>"))
    assert [b.date_text for b in result.blocks] == ["March 5", "April 2", "May 7"]
    assert all(b.date_iso is None and b.date_precision is None and b.year_source is None for b in result.blocks)


def test_posted_on_dates_are_not_the_record_date() -> None:
    posts = "".join(
        f"<article class='post'><div class='meta'>Posted on {p}</div><h2><a href='/p{n}'>{t}</a></h2></article>"
        for n, (p, t) in enumerate(
            [("June 12, 2023", "June 15, 2023 Meeting"), ("April 18, 2023", "April 20, 2023 Meeting")]
        )
    )
    result = run(page(posts))
    assert [b.date_iso for b in result.blocks] == ["2023-06-15", "2023-04-20"]


def test_navigation_lists_are_not_the_listing() -> None:
    nav_items = "".join(f"<li><a href='/n{n}'>News {n}: March {n + 1}, 2020</a></li>" for n in range(8))
    rows = "".join(f"<tr><td>{d}</td><td>Board meeting</td></tr>" for d in ("1/5/2021", "2/2/2021", "3/2/2021"))
    html = (
        f"<html><body><div class='sidebar'><ul>{nav_items}</ul></div>"
        f"<main><table><tbody>{rows}</tbody></table></main></body></html>"
    )
    result = run(html)
    assert [b.date_iso for b in result.blocks] == ["2021-01-05", "2021-02-02", "2021-03-02"]


def test_archive_rows_keep_month_and_year_precision() -> None:
    rows = "".join(
        f'<tr><td class="date"><p>{d}</p></td><td class="document"><a href="/document/{slug}">'
        f'<h3 class="sub-title"><span>{t}<br><br></span></h3>'
        f'<div class="text"><p></p><p>{summary}</p></div></a></td></tr>'
        for d, slug, t, summary in (
            ("October 21, 1954", "recent-policy", "On Recent Foreign Policy", "Zimianin writes on policy."),
            ("August 1949", "cable-1", "Cable to Moscow", "A cable."),
            ("1948", "report-2", "Report on the Harvest", "Figures for the year."),
        )
    )
    result = run(page(f'<p>1 - 3 of 3</p><table class="table table-striped"><tbody>{rows}</tbody></table>'))
    assert [(b.date_iso, b.date_precision, b.title) for b in result.blocks] == [
        ("1954-10-21", "day", "On Recent Foreign Policy"),
        ("1949-08", "month", "Cable to Moscow"),
        ("1948", "year", "Report on the Harvest"),
    ]
    assert result.blocks[0].url == "https://example.org/document/recent-policy"
    assert result.blocks[0].summary == "Zimianin writes on policy."


def test_negated_furniture_classes_are_content() -> None:
    items = "".join(f"<li>Board meeting {d}</li>" for d in ("May 1, 2020", "June 5, 2020", "July 3, 2020"))
    html = f"<html><body><div class='site-not-footer no-sidebar'><ul>{items}</ul></div></body></html>"
    result = run(html)
    assert len(result.blocks) == 3
    assert result.confidence > 0.5


def test_to_listing_page() -> None:
    result = run(page("<ul>" + "".join(f"<li>Meeting {d}</li>" for d in ("May 1, 2020", "June 5, 2020")) + "</ul>"))
    listing = result.to_listing_page()
    assert isinstance(listing, ListingPage)
    assert [b.date_text for b in listing.blocks] == ["May 1, 2020", "June 5, 2020"]
    assert listing.layout == "auto-elements"


def test_an_article_page_is_not_a_listing() -> None:
    html = page(
        "<article><h1>Council approves budget</h1><p class='byline'>Published March 3, 2021</p>"
        "<p>The council voted on Tuesday to approve the budget after a long debate.</p>"
        "<p>Members discussed the <a href='/parks'>parks</a> plan and the library.</p></article>"
    )
    with pytest.raises(NotAListingError):
        run(html)


def test_a_page_with_no_repeated_structure_is_not_a_listing() -> None:
    with pytest.raises(NotAListingError):
        run("<html><body><p>Nothing here.</p></body></html>")


def test_undated_link_lists_only_on_request() -> None:
    items = "".join(f"<li><a href='/doc/{n}'>Report on topic {n}</a></li>" for n in range(6))
    html = page(f"<ul class='results'>{items}</ul>")
    with pytest.raises(NotAListingError):
        run(html)
    result = run(html, allow_undated=True, keep_undated=True)
    assert len(result.blocks) == 6
    assert result.blocks[0].date_text is None
    assert result.blocks[0].title == "Report on topic 0"


def test_challenge_page() -> None:
    html = (
        "<html><head><title>Just a moment...</title></head><body><div id='challenge-form'>"
        "Checking your browser</div></body></html>"
    )
    with pytest.raises(ChallengePageError):
        run(html)


def test_large_synthetic_page_keeps_every_row() -> None:
    """A 700 KB page with 3,700 rows: every row is a block (speed is measured in benchmarks/, not here)."""
    rows = "".join(
        f"<tr><td>{1 + n % 12:02d}/{1 + n % 28:02d}/20{10 + n % 10}</td><td>Committee meeting number {n}</td>"
        f"<td><a href='/d/{n}.pdf'>Agenda</a> <a href='/m/{n}.pdf'>Minutes</a></td>"
        f"<td>Room {n % 7}, City Hall</td></tr>"
        for n in range(3700)
    )
    html = page(f"<table><tbody>{rows}</tbody></table>")
    assert len(html) > 600_000
    result = extract_blocks(parsel.Selector(text=html), BASE)
    assert len(result.blocks) == 3700
    assert result.blocks[-1].title == "Committee meeting number 3699"


# --- real pages (City Bureau test fixtures) -------------------------------------------------------


def test_real_table_with_meeting_name_column() -> None:
    result = extract_blocks(real("chi_transit.html"), "https://www.transitchicago.com/board/notices-agendas-minutes/")
    assert len(result.blocks) == 23
    first = result.blocks[0]
    assert (first.date_iso, first.title) == ("2018-06-15", "Employee Retirement Review Committee Meeting")
    assert first.url is not None
    assert first.url.startswith("https://www.transitchicago.com/")


def test_real_br_lines_with_names_and_year_headings() -> None:
    result = extract_blocks(real("chi_development_fund.html"), None)
    pairs = {(b.date_iso, b.title) for b in result.blocks}
    assert ("2020-05-14", "Advisory Board") in pairs
    assert ("2011-01", "Board of Directors") in pairs  # "January 2011": month precision, no day invented
    assert len(result.blocks) >= 60


def test_real_yearless_dates_under_year_headings() -> None:
    result = extract_blocks(real("chi_ssa_19.html"), "https://rpba.org/ssa-19/")
    dates = {b.date_iso for b in result.blocks}
    assert {"2019-01-16", "2018-02-07", "2014-12-19", "2016-11-17"} <= dates
    assert all(b.year_source == "context" for b in result.blocks)


def test_real_div_rows_with_ordinal_dates() -> None:
    result = extract_blocks(
        real("il_board_of_examiners.html"), "https://www.ilboe.org/board-information/board-meetings/"
    )
    assert len(result.blocks) == 41
    assert result.blocks[0].date_text == "July 24th, 2019"
    assert result.blocks[0].date_iso == "2019-07-24"


def test_real_detail_page_is_not_a_listing() -> None:
    with pytest.raises(NotAListingError):
        extract_blocks(real("il_commerce_detail.html"), None)


def test_real_700kb_page() -> None:
    result = extract_blocks(real("chi_housing_authority_minutes.html"), None)
    assert len(result.blocks) == 237


# --- real single-article pages: "not a listing", not made-up records ------------------------------------------

ARTICLES = Path(__file__).parents[2] / "shared" / "realworld" / "htmldate"
# Article pages that do carry a real dated list beside the article (comments, related articles, a blog's
# archive sidebar): auto mode may take those. Every other page of the corpus must be refused.
ARTICLES_WITH_DATED_LISTS = {
    "uncutnews.ch-ID-Diktat.html",
    "kochbar.de.schneiden.html",
    "france.attc.org-privatisations.html",
    "n-land.de-Simmelsdorf.html",
    "curved.de-Apple.html",
    "industriemagazin.at-Luftfahrtbranche.html",
    "murdeltas.wordpress.com.politcamp.html",
}


def test_single_article_pages_are_refused_with_a_reason():
    """adbar/htmldate's evaluation pages (realworld/htmldate/SOURCES.md): 50 news articles, blog posts and
    homepages from many sites. A page without a dated listing is a NotAListingError that says why."""
    if not ARTICLES.is_dir():
        pytest.skip(f"real pages {ARTICLES} not available beside the repo")
    refused, taken = [], []
    for path in sorted(p for p in ARTICLES.iterdir() if p.name != "SOURCES.md"):
        try:
            result = run_real(path)
        except NotAListingError as error:
            refused.append((path.name, str(error)))
        else:
            assert result.blocks, path.name
            taken.append(path.name)
    assert len(refused) + len(taken) == 50
    assert all(reason.startswith("no repeated blocks") or "weak" in reason for _, reason in refused), refused
    assert set(taken) <= ARTICLES_WITH_DATED_LISTS, set(taken) - ARTICLES_WITH_DATED_LISTS
    assert len(refused) >= 43


def run_real(path: Path) -> AutoResult:
    return extract_blocks(read_page(path), None)
