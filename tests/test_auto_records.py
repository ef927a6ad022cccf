"""One result = one record, with its own link, its name as title and its other links kept (issue 13, causes 2
and 7), on the development set's real pages and on small pages shaped like the failures."""

from __future__ import annotations

from tests.test_auto_dates import DEVSET, records


def test_a_row_whose_cells_each_carry_a_date_is_one_record():
    rows = "".join(
        f"<tr><td>{n}/CAAV</td><td><a href='/doc/{n}'>Report on the incident of {d}.0{n}.2022 at Noi Bai</a></td>"
        f"<td>{d + 1}.0{n}.2022</td><td>{d + 2}.0{n}.2022</td></tr>"
        for n, d in ((1, 14), (2, 15), (3, 16), (4, 17))
    )
    html = f"<html lang='vi'><body><main><table><tbody>{rows}</tbody></table></main></body></html>"
    got = records(html)
    assert len(got) == 4
    assert all(r["url"].startswith("https://example.org/doc/") for r in got)


def test_a_meeting_with_three_document_links_is_one_record_that_keeps_them():
    items = "".join(
        f"<li><h3>Board Meeting</h3><p>March {d}, 2024</p><a href='/a{d}.pdf'>Agenda</a> "
        f"<a href='/m{d}.pdf'>Minutes</a> <a href='/n{d}.pdf'>Notice</a></li>"
        for d in (5, 12, 19)
    )
    got = records(f"<html><body><main><ul>{items}</ul></main></body></html>")
    assert [r["date"] for r in got] == ["2024-03-05", "2024-03-12", "2024-03-19"]
    assert all(r["title"] == "Board Meeting" for r in got)
    first = got[0]
    labels = [link["label"] for link in first["links"]]
    assert {first["url"].rsplit("/", 1)[1], *(link["url"].rsplit("/", 1)[1] for link in first["links"])} == {
        "a5.pdf", "m5.pdf", "n5.pdf"}  # fmt: skip
    assert len(labels) == 2


def test_the_name_column_is_the_title_not_the_link_label():
    """ca7: Case # | Caption | Case Type | Date Argued | Description ('oral argument' link)."""
    titles = {r["title"] for r in records(DEVSET / "ca7-oralargs.html")}
    assert "USA v. Dione Joyce" in titles
    assert "oral argument" not in titles


def test_a_truncated_link_text_gives_way_to_its_title_attribute():
    titles = {r["title"] for r in records(DEVSET / "ttsb-taiwan-list.html")}
    assert "Apex Aviation B-86002, Unveiled Substantial Damage After Landing at Kinmen Airport" in titles


def test_button_labels_status_lines_mail_and_rooms_are_not_titles():
    assert not any((r["title"] or "").startswith("Download") for r in records(DEVSET / "sacaa-main.html"))
    items = "".join(
        f"<li><a href='/m{d}'>Cancelled</a> <span>March {d}, 2024</span> <span>Room 201</span> "
        f"<a href='mailto:clerk@example.org'>clerk@example.org</a></li>"
        for d in (5, 12, 19)
    )
    got = records(f"<html><body><main><ul>{items}</ul></main></body></html>")
    assert len(got) == 3
    assert all(r["title"] not in ("Cancelled", "Room 201", "clerk@example.org") for r in got), got


def test_the_date_column_wins_over_a_date_inside_the_title():
    """araib: a report titled '... Report 29 October 2019' listed on 2021.11.25."""
    got = {(r["date"], r["title"]) for r in records(DEVSET / "araib-reports.html")}
    assert any(d == "2021-11-25" and "29 October 2019" in (t or "") for d, t in got), got


def test_month_captions_and_a_year_link_table_beside_the_opinions_are_not_results():
    """maine-law-court-2014: opinions in month tables captioned 'June 2014' and a 'previous years' table."""
    got = records(DEVSET / "maine-law-court-2014.html")
    assert all(r["date_precision"] == "day" and r["title"] for r in got), [(r["date"], r["title"]) for r in got]


def test_rows_with_an_occurrence_date_and_a_report_date_link_are_the_records():
    """ueim-turkey-reports: each row shows the accident date and a report-date link; the last row has no report
    yet ('Raporu bekleniyor'). The rows are the records, dated by their first (standalone) date."""
    got = records(DEVSET / "ueim-turkey-reports.html")
    assert len(got) == 11
    assert got[0]["date"] == "2024-09-03"
    assert got[-1]["date"] == "2020-01-01"


def test_dates_wrapped_in_font_elements_inside_cells_are_parts_of_their_rows():
    """jtsb-japan-reports: each row shows its occurrence and publication dates in <font> elements inside the
    cells; the fonts are not records, their rows are, dated by the first column."""
    got = records(DEVSET / "jtsb-japan-reports.html")
    assert len(got) == 12
    assert [r["date"] for r in got[:3]] == ["2025-07-02", "2025-03-20", "2025-03-15"]


def test_many_br_lines_in_one_cell_are_not_promoted_to_the_row():
    """A cell holding a <br> list of meetings: each line is a record, the row holding them is not."""
    lines = "<br>".join(f"Board of Directors Jan. {d}, 2017 <a href='/a{d}.pdf'>Agenda</a>" for d in (3, 10, 17, 24))
    html = f"<html><body><main><table><tr><td>{lines}</td></tr><tr><td>{lines}</td></tr></table></main></body></html>"
    assert len(records(html)) == 8


def test_a_definition_list_entry_is_a_term_with_its_descriptions():
    """indiana-supreme: <dt> the case link, <dd> two docket numbers and the date (09/03/14, a US court: its
    host is a .gov one, so month first): one record per term, titled by it."""
    got = records(DEVSET / "indiana-supreme.html", base_url="https://www.in.gov/judiciary/opinions/")
    assert [(r["date"], r["title"]) for r in got][:1] == [("2014-09-03", "Christopher Cross v. State of Indiana")]
    assert len(got) == 2
