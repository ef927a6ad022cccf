"""Recognise pages that are not listings, so that they fail loudly instead of parsing as "0 results"."""

from __future__ import annotations

import re

from lxml import etree
from lxml.cssselect import CSSSelector
from parsel import Selector

from harvester.model import ChallengePageError, NotAListingError
from harvester.parsing.html_text import clean

# Phrases of bot-protection interstitials and block pages (Cloudflare, Akamai, DataDome, Sucuri, generic WAFs).
_CHALLENGE_PHRASES = re.compile(
    r"just a moment\.\.\.|checking (if the site connection is secure|your browser)"
    r"|enable javascript and cookies to continue|attention required! \| cloudflare"
    r"|verify(ing)? you are (a )?human|cf-browser-verification|cf_chl_opt|challenge-platform"
    r"|access denied.{0,80}(reference #|cloudflare|akamai)|sorry, you have been blocked"
    r"|request unsuccessful\. incapsula|please complete the security check",
    re.IGNORECASE | re.DOTALL,
)


_TITLE_TEXT = etree.XPath("(/html/head/title | //title)[1]//text()")
_CHALLENGE_MARKUP = CSSSelector(
    "#challenge-running, #challenge-form, #challenge-stage, #cf-error-details, #cf-wrapper, .cf-browser-verification"
)
_DOCUMENT_MARKS = {
    css: CSSSelector(css)
    for css in ("#documentTabs", "#citation-text", "div.information-block", "h1.title", "object.pdf-preview")
}


def challenge_reason(text: str) -> str | None:
    """The challenge phrase found in a page's text or markup, or ``None``."""
    match = _CHALLENGE_PHRASES.search(text[:200_000])
    return match.group(0) if match else None


def raise_if_challenge(selector: Selector, *, what: str = "page", deep: bool = True) -> None:
    """Raise :class:`ChallengePageError` when the page is a bot challenge or block page.

    Only the title, known challenge markup and (when ``deep``) the visible text of small pages count: real
    pages carry Cloudflare's injected scripts (``challenge-platform``) too, so script contents prove nothing.
    A parser that already found result rows can skip the deep look.
    """
    title = clean(" ".join(_TITLE_TEXT(selector.root))) or ""
    reason = challenge_reason(title)
    if reason is None and deep and _CHALLENGE_MARKUP(selector.root):
        reason = "challenge markup"
    if reason is None and deep:
        visible = " ".join(selector.xpath("//body//text()[not(ancestor::script) and not(ancestor::style)]").getall())
        if len(visible) < 3000:  # only small pages: a real listing may quote such a phrase in a summary
            reason = challenge_reason(visible)
    if reason:
        raise ChallengePageError(
            f"{what} is a bot-protection challenge or block page ({reason!r}, title {title!r}), not a listing"
        )


def raise_if_wilson_document(selector: Selector) -> None:
    """A Wilson document page carries listing rows ("Related Documents"); it must not pass for a listing."""
    marks = [css for css, match in _DOCUMENT_MARKS.items() if match(selector.root)]
    if len(marks) >= 2:
        title = clean(" ".join(selector.css("h1.title ::text").getall()))
        raise NotAListingError(
            f"this is a document page ({title!r}; has {', '.join(marks)}), not a search listing: "
            "its rows are 'Related Documents'"
        )
