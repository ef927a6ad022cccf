"""Listing parsers: pure functions from a page (parsel Selector or text) to raw result blocks."""

from harvester.model import (
    ChallengePageError,
    Counts,
    ListingPage,
    NotAListingError,
    PageError,
    RawBlock,
)

__all__ = ["ChallengePageError", "Counts", "ListingPage", "NotAListingError", "PageError", "RawBlock"]
