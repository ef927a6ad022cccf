"""A search that found nothing: its results table holds one row, one cell across the columns, saying so."""

from __future__ import annotations

import parsel

from harvester.model import NotAListingError
from harvester.parsing.auto.vocabulary import _NO_RESULTS

#: The empty-results row: the only body row of a table with a header, one cell spanning columns.
_EMPTY_ROW = (
    "//table[.//th][count(.//tr[td]) = 1]//tr[count(td) = 1]/td[@colspan > 1 and normalize-space()]"
    "[not(ancestor::nav or ancestor::footer or ancestor::aside)]"
)


def raise_if_empty_result(selector: parsel.Selector) -> None:
    """Raise NotAListingError when the page's results table says it found nothing.

    The dated blocks such a page still shows (a news box beside the empty table) are not its results.
    """
    for cell in selector.xpath(_EMPTY_ROW):
        text = " ".join(cell.xpath("string(.)").get().split())
        if _NO_RESULTS.search(text):
            raise NotAListingError(f"an empty result: {text[:80]!r}")
