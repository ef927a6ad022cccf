"""schema.org records a page declares (JSON-LD, microdata) come first; one declared record is no listing."""

from __future__ import annotations

import json

import parsel

from harvester.parsing.auto import extract_blocks
from tests.test_auto_dates import DEVSET, records

EVENTS = [
    {"@type": "Event", "name": "Board of Trustees", "startDate": "2024-05-06T19:00", "url": "/events/1"},
    {"@type": "Event", "name": "Finance Committee", "startDate": "2024-05-13", "url": "/events/2"},
    {"@type": "Event", "name": "Public Hearing", "startDate": "2024-06-03T18:30", "url": "/events/3"},
]


def page(script: object, body: str = "<p>Upcoming meetings</p>") -> str:
    return (f"<html><head><script type='application/ld+json'>{json.dumps(script)}</script></head>"
            f"<body><main>{body}</main></body></html>")  # fmt: skip


def test_a_declared_event_list_is_read_from_json_ld():
    got = records(page({"@context": "https://schema.org", "@graph": EVENTS}))
    assert [(r["date"], r["title"], r["url"]) for r in got] == [
        ("2024-05-06", "Board of Trustees", "https://example.org/events/1"),
        ("2024-05-13", "Finance Committee", "https://example.org/events/2"),
        ("2024-06-03", "Public Hearing", "https://example.org/events/3"),
    ]


def test_an_item_list_of_articles():
    items = {"@context": "https://schema.org", "@type": "ItemList", "itemListElement": [
        {"@type": "ListItem", "position": n, "item": {"@type": "NewsArticle", "headline": f"Release {n}",
                                                      "datePublished": f"2023-0{n}-01", "url": f"/news/{n}"}}
        for n in (1, 2, 3)]}  # fmt: skip
    result = extract_blocks(parsel.Selector(text=page(items)), "https://example.org/")
    assert result.layout == "declared"
    assert [b.title for b in result.blocks] == ["Release 1", "Release 2", "Release 3"]


def test_the_heuristics_win_when_the_page_declares_only_a_few_of_its_results():
    rows = "".join(f"<li><a href='/m{d}'>Council Meeting</a> March {d}, 2024</li>" for d in range(1, 25))
    result = extract_blocks(parsel.Selector(text=page(EVENTS[:2], f"<ul>{rows}</ul>")), "https://example.org/")
    assert result.layout != "declared"
    assert len(result.blocks) == 24


def test_one_declared_event_is_a_detail_page():
    """extruct's own sample: one Event in microdata; refused (no listing)."""
    import pytest

    from harvester.model import NotAListingError

    with pytest.raises(NotAListingError):
        extract_blocks(parsel.Selector(text=(DEVSET / "schemaorg-event-single.html").read_text()), None)
