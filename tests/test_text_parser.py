"""The text-rendering parser on the seed page and on 14 real text renderings (shared/realworld/wilson)."""

from __future__ import annotations

import pytest

from harvester.parsing import ChallengePageError, Counts, NotAListingError
from harvester.parsing.text_copies import parse_text_listing, split_url_line
from tests.support.paths import shared_file

SEED_EXPECTED = [
    ("October 25, 1949", "Letter from Cde. Mao Zedong to Cde. Filippov [Stalin] via Kovalev"),
    ("October 12, 1950", "Ciphered Telegram No. 25553, Roshchin to Filippov [Stalin]"),
    ("October 8, 1950", "Telegram from Mao Zedong to Filippov (Stalin)"),
    ("May 15, 1949", "Telegram, Shtykov to Vyshinsky"),
    ("July 22, 1950", "Ciphered Telegram No. 22591 from Roschin to Filippov [Stalin]"),
    ("July 5, 1950", "Telegram from Flippov [Stalin] to Mao Zedong and Zhou Enlai"),
    (
        "October 14, 1959",
        "From the Journal of Ambassador S.F. Antonov, Summary of a Conversation with the Chairman of the CC CPC "
        "Mao Zedong",
    ),
    (
        "January 27, 1951",
        "Telegram from Mao Zedong to I.V. Stalin, Conveying the 19 January 1951 Telegram from Peng Dehuai to Mao "
        "Zedong regarding Meetings with Kim Il Sung",
    ),
    ("July 3, 1951", "Ciphered Telegram No. 21405, Mao Zedong to Cde. Filippov [Stalin]"),
    ("January 16, 1951", "Ciphered telegram from Mao Zedong to Filippov (Stalin)"),
]


def seed_paragraphs() -> list[str]:
    """The seed's blocks, read independently of the parser: paragraphs between 'Documents' and 'Pagination'."""
    text = shared_file("seed", "wilson-results-page.txt").read_text(encoding="utf-8")
    body = text.split("\nDocuments\n", 1)[1].split("\nPagination", 1)[0]
    return [p.strip() for p in body.split("\n\n") if p.strip()]


def test_seed_yields_its_ten_records_verbatim():
    text = shared_file("seed", "wilson-results-page.txt").read_text(encoding="utf-8")
    page = parse_text_listing(text)
    assert page.layout == "text-current"
    assert page.counts == Counts(1, 10, 21)
    assert [(b.date_text, b.title) for b in page.blocks] == SEED_EXPECTED
    paragraphs = seed_paragraphs()
    assert [b.summary for b in page.blocks] == paragraphs[2::3]
    assert [b.position for b in page.blocks] == list(range(1, 11))
    assert all(b.url is None and b.node_id is None for b in page.blocks)
    assert page.missing == {"url": 10}


def test_seed_summary_keeps_curly_quotes_and_dashes():
    page = parse_text_listing(shared_file("seed", "wilson-results-page.txt").read_text(encoding="utf-8"))
    assert "China’s displeasure" in page.blocks[6].summary
    assert "every issue—the United States" in page.blocks[6].summary


def test_seed_without_header_lines_parses_the_same():
    text = shared_file("seed", "wilson-results-page.txt").read_text(encoding="utf-8")
    stripped = text.replace("Skip to content\n\nResults:\n\n", "").replace("Documents\n\n", "")
    assert [b.title for b in parse_text_listing(stripped).blocks] == [t for _, t in SEED_EXPECTED]



def test_seed_with_the_count_on_the_results_line_parses_the_same():
    text = shared_file("seed", "wilson-results-page.txt").read_text(encoding="utf-8")
    joined = text.replace("Results:\n\n1 - 10 of 21", "Results: 1 - 10 of 21")
    assert joined != text
    page = parse_text_listing(joined)
    assert page.counts == Counts(1, 10, 21)
    assert [(b.date_text, b.title) for b in page.blocks] == SEED_EXPECTED


def test_seed_copied_without_blank_lines_splits_at_each_date():
    """A copy from a browser window: every line of the seed, no blank line between a result's parts."""
    text = shared_file("seed", "wilson-results-page.txt").read_text(encoding="utf-8")
    single = "\n".join(line for line in text.splitlines() if line.strip())
    page = parse_text_listing(single)
    assert page.layout == "text-current-lines"
    assert page.counts == Counts(1, 10, 21)
    assert [(b.date_text, b.title) for b in page.blocks] == SEED_EXPECTED
    assert [b.summary for b in page.blocks] == seed_paragraphs()[2::3]


def test_single_spaced_result_without_summary_and_with_two_summary_lines():
    text = "\n".join(
        [
            "1 - 2 of 2",
            "August 1949",
            "Telegram, Shtykov to Vyshinsky",
            "March 5, 1953",
            "Cable from Zhou Enlai to Molotov",
            "First paragraph.",
            "Second paragraph.",
        ]
    )
    page = parse_text_listing(text)
    assert [(b.date_text, b.title, b.summary) for b in page.blocks] == [
        ("August 1949", "Telegram, Shtykov to Vyshinsky", None),
        ("March 5, 1953", "Cable from Zhou Enlai to Molotov", "First paragraph. Second paragraph."),
    ]

# Real renderings: (file, layout, counts, complete blocks per the README, first date, first title start)
TEXT_PAGES = [
    ("01.txt", "text-old-dashes", None, 3, "July 11, 1978", "Journal of Soviet Ambassador Puzanov"),
    ("02.txt", "text-old-bullets", None, 2, "December 10, 1979", "Summary of a meeting on Afghanistan"),
    ("03.txt", "text-old-bullets", None, 3, "January 17, 1952", "Report to I. V. Stalin on Draft"),
    ("04.txt", "text-old-bullets", None, 3, "March 04, 1955", "Cable from Yuan Zhongxin"),
    ("05.txt", "text-old-bullets", None, 3, "March 03, 1964", "Conversations between Delegations"),
    ("06.txt", "text-old-dashes", None, 3, "August 28, 1968", "Cryptogram No 10456 from Polish"),
    ("07.txt", "text-current", Counts(11, 20, 25), 6, "June 12, 1985", "Letter from South African President"),
    ("08.txt", "text-current", Counts(1, 5, 5), 4, "January 16, 1956", "Gazette of the State Council"),
    ("09.txt", "text-current", Counts(141, 150, 183), 5, "January 30, 1955", "Letter to Cde. Khrushchev"),
    ("10.txt", "text-current", Counts(1, 10, 74), 8, "December 25, 1979", "Cable from the Foreign Ministry"),
    ("11.txt", "text-current", Counts(1, 10, 21), 5, "June 25, 1977", "Ministry of External Affairs"),
    ("12.txt", "text-current", Counts(571, 580, 802), 4, "October 31, 1962", "Cable from Li Jusheng"),
    ("13.txt", "text-current", Counts(11, 14, 14), 3, "November 29, 1954", "Record of Conversation with Prime"),
    ("14.txt", "text-current", Counts(1, 10, 214), 4, "August 5, 1957", "Record of Conversation of N.S."),
]


@pytest.mark.parametrize(("name", "layout", "counts", "complete", "date", "title"), TEXT_PAGES)
def test_real_text_renderings(name, layout, counts, complete, date, title):
    path = shared_file("realworld", "wilson", "text-pages", name)
    page = parse_text_listing(path.read_text(encoding="utf-8"))
    assert page.layout == layout
    assert page.counts == counts
    # The collection cut each page after ~2,000 characters: the complete blocks, plus at most one cut-off block.
    assert complete <= len(page.blocks) <= complete + 1
    assert page.blocks[0].date_text == date
    assert page.blocks[0].title.startswith(title)
    for block in page.blocks[:complete]:
        assert block.title
        assert block.date_text
        assert block.title == " ".join(block.title.split())


def test_real_block_without_summary_is_none_and_counted():
    # realworld/wilson/text-pages/08.txt: the "Letter No. 340 ... Mackenzie King" block has no summary.
    page = parse_text_listing(shared_file("realworld", "wilson", "text-pages", "08.txt").read_text(encoding="utf-8"))
    letter = page.blocks[1]
    assert letter.title.startswith("Letter No. 340 from L.D. Wilgress")
    assert letter.summary is None
    assert page.blocks[2].date_text == "February 26, 1989"
    assert page.missing["summary"] >= 1


def test_real_month_with_comma_and_archive_typos_are_kept():
    # realworld/wilson/text-pages/03.txt: "April, 1952" and the archive's own "the the".
    page = parse_text_listing(shared_file("realworld", "wilson", "text-pages", "03.txt").read_text(encoding="utf-8"))
    assert page.blocks[1].date_text == "April, 1952"
    assert "relating to the the Shah" in page.blocks[0].summary
    # realworld/wilson/text-pages/01.txt: "Ae delegation" opens a summary.
    page = parse_text_listing(shared_file("realworld", "wilson", "text-pages", "01.txt").read_text(encoding="utf-8"))
    assert page.blocks[0].summary.startswith("Ae delegation from the USSR Academy")


def test_url_line_is_split_off():
    url, rest = split_url_line("URL: https://example.org/search?page=1\n\n1 - 1 of 1\n")
    assert url == "https://example.org/search?page=1"
    assert rest.startswith("1 - 1 of 1")


def test_challenge_text_raises():
    text = (
        "Just a moment...\n\nChecking if the site connection is secure\n\n"
        "Enable JavaScript and cookies to continue\n"
    )
    with pytest.raises(ChallengePageError, match="challenge"):
        parse_text_listing(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello world.\n\nThis is a blog post about nothing in particular.\n",
        "Page not found\n\nThe requested page could not be found.\n",
    ],
)
def test_text_that_is_no_listing_raises(text):
    with pytest.raises(NotAListingError):
        parse_text_listing(text)


def test_count_line_without_rows_is_an_empty_page_past_the_end():
    page = parse_text_listing("Skip to content\n\nResults:\n\n21 - 30 of 21\n\nDocuments\n")
    assert page.blocks == []
    assert page.counts == Counts(21, 30, 21)
