"""No traceback on any saved page (issue 13): every real page the repository and ../shared hold, listing or
not, is either read by auto mode or refused with a PageError, and each record it gives keeps the contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.score import read_page, record_dates
from harvester.errors import PageError
from harvester.parsing.auto import extract_blocks

REPO = Path(__file__).resolve().parents[1]
SAVED = sorted(
    [*(REPO / "benchmarks" / "pages" / "devset").glob("*.html"),
     *(REPO.parent / "shared" / "realworld" / "city-scrapers").glob("*.html"),
     *(REPO / "fixtures").rglob("*.html")]
)  # fmt: skip


@pytest.mark.parametrize("page", SAVED, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_a_saved_page_is_read_or_refused_never_a_traceback(page: Path):
    try:
        result = extract_blocks(read_page(page))
    except PageError as exc:
        refusal = str(exc)
    else:
        refusal = None
    if refusal is not None:
        assert refusal.strip(), page  # one line saying what the page is instead
        return
    blocks = record_dates(result.blocks)
    assert blocks
    assert 0.0 < result.confidence <= 1.0
    for b in blocks:
        assert b.date_iso is None or b.date_iso[:4].isdigit(), (page.name, b)
        assert b.title is None or b.title.strip(), (page.name, b)


def test_every_saved_page_is_found():
    assert len(SAVED) >= 100
