"""Zero-configuration listing extractor: find the repeated result blocks of an unseen page.

Pure functions: a parsel ``Selector`` in, records out (no Scrapy, no network).

How it works
------------
1. The document is linearised once into text segments in reading order, with "breaks" where a
   block-level element starts or ends or a ``<br>`` stands. Every element knows its segment range;
   every segment knows its enclosing link, heading, table cell and whether it lies in page
   furniture (``nav``/``footer``/``aside`` or a class/id such as ``menu``, ``sidebar``,
   ``breadcrumb``, ``pagination``).
2. Candidate groups of blocks:

   * ``elements`` - children of one parent with the same tag + class signature (table rows, list
     items, ``div.row`` cards, repeated paragraphs);
   * ``br-lines`` - the ``<br>``-separated lines of an element with inline content only;
   * ``heading-sections`` - a heading plus the siblings that follow it, up to the next heading of
     the same level.

   Groups with the same structural key (the tag/class path from the root) are merged, so that a
   listing split into one table or list per year counts as one listing.
3. Each group is scored: number of blocks showing a date, times the share of dated blocks,
   penalties for several different dates per block (a container, not an item), for page furniture,
   for near-empty or article-length blocks, for dates inside running text (prose, not items) and
   for repeated identical texts. Groups whose blocks show many dates each are skipped early.
4. The best group is *promoted* to an enclosing group when its blocks are parts of larger records:
   a post whose heading was chosen, a table row made of a name cell and a date cell, a meeting card
   holding document links that repeat the meeting's date (the larger block shows one date only).
   Other dated, non-overlapping groups are added when they score at least `SECONDARY_SHARE` of the
   best, or at least `NEAR_MIN_SCORE` in the same content region (an "upcoming" table above an
   "archive" table, a schedule above a minutes list).
5. From each block: the date (first date expression that is not a "Posted on"/"Updated" date; a
   month-only date gives way to a later full date of the same month), read at the precision shown
   through `harvester.normalize.dates.normalize_date`. A date shown without a year takes the year
   of the nearest preceding year heading or dated text on the page (``year_source="context"``);
   without one its ISO date stays None - never today's year. A block whose whole text is a month
   name under a year heading is month-precise; a line that is only a year ("1948") is
   year-precise. Title: the table column headed "name/title/meeting/event", else the block's
   heading, else an element whose class says title/name, else the first link that is neither a
   document label ("Agenda", "Minutes", "PDF", ...) nor a text repeated across the group ("Open
   Video"), else bold text, else the block's first line without its dates, times and trailing
   document labels. A title that would be only a date is ``None``. URL: the title's link, else the
   first usable link, else the first link. Summary: the remaining text.
6. Blocks showing no date are dropped by default (in dated listings they are notes: "No meeting in
   August", year headings); a page whose best group is weak (`MIN_CONFIDENCE`) or has fewer than
   two dated blocks raises `NotAListingError`.

Nothing here is tuned to one site: the same rules run on every page.
"""

from __future__ import annotations

from dataclasses import replace

import parsel

from harvester.model import ChallengePageError, NotAListingError
from harvester.normalize.datefind import MONTH_NAMES
from harvester.normalize.dates import normalize_date
from harvester.parsing.auto.declared import declared_blocks
from harvester.parsing.auto.document import _css_path
from harvester.parsing.auto.empty import raise_if_empty_result
from harvester.parsing.auto.fields import _Extractor, _has_words, _remaining
from harvester.parsing.auto.groups import (
    NEAR_MIN_SCORE,
    SECONDARY_SHARE,
    _candidates,
    _near,
    _overlaps,
    _promote,
    _repeated_links,
    _score,
    _summary,
)
from harvester.parsing.auto.result import AutoBlock, AutoResult, GroupSummary
from harvester.parsing.auto.vocabulary import _CHALLENGE_TITLES
from harvester.parsing.detect import raise_if_wilson_document

__all__ = ["AutoBlock", "AutoResult", "GroupSummary", "extract_blocks"]

#: Below this confidence the page is not taken for a listing (see `extract_blocks`).
MIN_CONFIDENCE = 0.1
#: The confidence of a page read by the signature of the listing's earlier pages (`extract_blocks` expect).
EXPECTED_CONFIDENCE = 0.5
#: A page's declared schema.org records are its listing when they are at least this share of what the
#: heuristics find (a page may declare only some of its results: then the heuristics' fuller list wins).
DECLARED_SHARE = 0.5
DECLARED_CONFIDENCE = 0.9


def _check_challenge(selector: parsel.Selector) -> None:
    title = " ".join((selector.xpath("string(//title)").get() or "").split()).lower()
    if any(title.startswith(t) for t in _CHALLENGE_TITLES) and (
        selector.xpath("//*[@id='challenge-form' or @id='cf-wrapper' or contains(@class, 'cf-')]")
        or "cloudflare" in (selector.get() or "")[:20000].lower()
    ):
        raise ChallengePageError(f"bot-protection challenge page ({title!r})")


def extract_blocks(
    selector: parsel.Selector,
    base_url: str | None = None,
    *,
    keep_undated: bool = False,
    allow_undated: bool = False,
    min_confidence: float = MIN_CONFIDENCE,
    expect: tuple[str, str] | None = None,
) -> AutoResult:
    """Find the result blocks of a listing page; raise NotAListingError if there are none.

    A listing needs at least two repeated blocks showing a date. `allow_undated` also accepts a
    repeated list of links without dates (five or more short items) when no dated group exists.
    `keep_undated` keeps blocks of the chosen groups that show no date (dropped by default: in a
    dated listing they are notes such as "No meeting in August" or year headings).
    A best group whose confidence is below `min_confidence` is not taken for a listing either.
    Raises ChallengePageError for a bot-protection page.

    `expect` is the (container path, block signature) of the listing's earlier pages (a crawl): a page
    that is no listing on its own - the short last page, one result - is read when a group of exactly that
    signature shows a date (confidence `EXPECTED_CONFIDENCE`).
    """
    if (selector.type != "html" and selector.type != "xml") or not hasattr(selector.root, "iter"):
        raise NotAListingError(f"a {selector.type.upper()} document, not an HTML page")
    _check_challenge(selector)
    raise_if_wilson_document(selector)
    raise_if_empty_result(selector)
    ex = _Extractor(selector, base_url)
    candidates = _candidates(ex)
    date_pos = ex.date_positions
    for g in candidates:
        _score(ex, g, date_pos)
    declared = _declared(selector, base_url)
    try:
        result = _extract(ex, candidates, keep_undated, allow_undated, min_confidence)
    except NotAListingError:
        if declared is not None:
            return declared
        if expect is None:
            raise
        found = _expected(ex, candidates, expect, keep_undated)
        if found is None:
            raise
        return found
    if declared is not None and len(declared.blocks) >= DECLARED_SHARE * len(result.blocks):
        return declared
    return result


def _declared(selector: parsel.Selector, base_url: str | None) -> AutoResult | None:
    """The listing the page declares in schema.org terms (two or more dated records), or None."""
    if not selector.xpath("//script[contains(@type, 'ld+json')] | //*[@itemscope]"):
        return None
    blocks = declared_blocks(selector.root, base_url)
    if len(blocks) < 2:
        return None  # one declared event or article is a detail page
    signature = blocks[0].path
    summary = GroupSummary("declared", "schema.org", signature, len(blocks), len(blocks), float(len(blocks)))
    return AutoResult(blocks, DECLARED_CONFIDENCE, "schema.org", signature, "declared", [summary])


def _expected(ex: _Extractor, candidates: list, expect: tuple[str, str], keep_undated: bool) -> AutoResult | None:
    """The group of the earlier pages' signature, read on its own (a short last page)."""
    for g in candidates:
        summary = _summary(ex, g)
        if (summary.container, summary.block) != expect:
            continue
        if not any(ex.primary_date(ex.info(b.start, b.end)) is not None for b in g.blocks):
            continue
        g.dated = 2  # undated blocks of it are notes, as on the full pages
        blocks, dropped = _read_blocks(ex, [g], keep_undated)
        if blocks:
            return AutoResult(blocks, EXPECTED_CONFIDENCE, summary.container, summary.block, g.kind,
                              [summary], dropped)  # fmt: skip
    return None


def _extract(ex: _Extractor, candidates: list, keep_undated: bool, allow_undated: bool,
             min_confidence: float) -> AutoResult:  # fmt: skip
    groups = candidates
    groups = sorted((g for g in groups if g.score > 0 and (g.dated >= 2 or allow_undated)), key=lambda g: -g.score)
    if not groups:
        raise NotAListingError("no repeated blocks showing dates" + (" or links" if allow_undated else ""))
    best = _promote(ex, groups[0], groups)
    chosen = [best]
    taken = [(b.start, b.end) for b in best.blocks]
    for g in groups:
        if g.dated < 2 or g.share < 0.5 or g.penalty < 0.5:
            continue
        g = _promote(ex, g, groups)
        if g in chosen:
            continue
        if g.score < SECONDARY_SHARE * best.score and not (
            g.score >= NEAR_MIN_SCORE and g.share >= 0.8 and g.penalty >= 0.8 and _near(ex, best, g)
        ):
            continue
        if any(_overlaps(b.start, b.end, taken) for b in g.blocks):
            continue
        if _named_share(ex, best) >= 0.5 and _named_share(ex, g) < 0.2 and _day_share(ex, g) < 0.5:
            continue  # months or years that name nothing (month captions, a year-link table) beside named results
        chosen.append(g)
        taken.extend((b.start, b.end) for b in g.blocks)

    blocks, dropped = _read_blocks(ex, chosen, keep_undated)
    if not blocks:
        raise NotAListingError("repeated blocks found, but none shows a date")
    summaries = [_summary(ex, g) for g in chosen]
    if best.dated >= 2:
        confidence = min(1.0, best.dated / 4) * best.share * best.penalty
    else:  # an undated list of links (allow_undated): less certain by nature
        confidence = 0.5 * min(1.0, len(best.blocks) / 10) * best.penalty
    rival = next(
        (g for g in groups if g not in chosen and not any(_overlaps(b.start, b.end, taken) for b in g.blocks)), None
    )
    if rival is not None:
        confidence *= 1 - 0.5 * min(1.0, rival.score / best.score)  # a close independent runner-up lowers it
    if confidence < min_confidence:
        raise NotAListingError(
            f"best repeated group is weak (confidence {confidence:.3f}): {summaries[0].block} "
            f"in {summaries[0].container}"
        )
    return AutoResult(
        blocks=blocks,
        confidence=round(confidence, 3),
        container_path=summaries[0].container,
        block_signature=summaries[0].block,
        layout=best.kind,
        groups=summaries,
        dropped_undated=dropped,
    )


def _read_blocks(ex: _Extractor, chosen: list, keep_undated: bool) -> tuple[list[AutoBlock], int]:
    """The records of the chosen groups, in page order, and how many undated blocks were left out."""
    records: list[tuple[int, AutoBlock]] = []
    dropped = 0
    for g in chosen:
        labels = _repeated_links(ex, g)
        infos = [ex.info(b.start, b.end) for b in g.blocks]
        dated = [i for i in infos if ex.primary_date(i) is not None]
        linked = bool(dated) and sum(1 for i in dated if i.links) == len(dated) and len(dated) >= 0.8 * len(infos)
        days = sum(1 for i in dated if ex.primary_date(i)[3] is not None)
        by_day = len(dated) >= 3 and days >= 0.7 * len(dated)
        for b in g.blocks:
            info = ex.info(b.start, b.end)
            date = ex.primary_date(info)
            if date is None and not keep_undated and g.dated >= 2 and not _like_the_dated(ex, info, b.el, linked):
                dropped += 1
                continue
            if by_day and date is not None and date[3] is None and not keep_undated and _a_note(ex, info, b.el):
                dropped += 1  # a year or month heading inside a list of dated results ("2013", a month caption)
                continue
            title, url = ex.title_and_url(info, b.el, labels)
            links = ex.other_links(info, url)
            iso = precision = date_text = year_source = year_from = None
            if date is not None:
                date_text, year, month, day, year_from = date
                year_source = None if year_from is None else "text" if year_from == "text" else "context"
                year_from = None if year_from == "text" else year_from
                if year is not None:  # read at the precision shown; nothing filled in
                    if month is None:
                        shown = str(year)
                    else:
                        shown = f"{MONTH_NAMES[month - 1]} {day}, {year}" if day else f"{MONTH_NAMES[month - 1]} {year}"
                    normalized = normalize_date(shown)
                    iso, precision = normalized.iso, normalized.precision
            summary = _remaining(info.text, title, date_text)
            path = _css_path(ex.doc, b.el) + (" ::line" if g.kind == "br-lines" else "")
            block = AutoBlock(0, url, title, date_text, summary, iso, precision, year_source, path, year_from, links)
            records.append((b.start, block))
    records.sort(key=lambda r: r[0])
    blocks = [replace(b, position=n) for n, (_start, b) in enumerate(records, start=1)]
    return blocks, dropped


def _like_the_dated(ex: _Extractor, info, el: int, linked: bool) -> bool:
    """An undated block that is a result all the same: in a group whose dated blocks all link to their
    result (and are most of it), an undated block with a titled link of its own (a document whose date is
    unknown). Notes ("No meeting in August") and year headings link nowhere."""
    if not linked or not info.links:
        return False
    node = ex.doc.els[el]
    if node.tag == "tr" and (node.getparent().tag == "thead" or any(c.tag == "th" for c in node)):
        return False  # a table's header row
    title, url = ex.title_and_url(info, el)
    return url is not None and title is not None and len(info.text) > 20


def _named_share(ex: _Extractor, group) -> float:
    """Share of a group's blocks that show words besides their dates."""
    if not group.blocks:
        return 0.0
    return sum(1 for b in group.blocks if _has_words(ex.info(b.start, b.end).text)) / len(group.blocks)


def _day_share(ex: _Extractor, group) -> float:
    """Share of a group's blocks whose date shows a day."""
    dates = [ex.primary_date(ex.info(b.start, b.end)) for b in group.blocks]
    return sum(1 for d in dates if d is not None and d[3] is not None) / (len(dates) or 1)


def _a_note(ex: _Extractor, info, el: int) -> bool:
    """A block that only marks a period: no words besides its date, or a heading-like element."""
    node = ex.doc.els[el]
    heading = node.tag in ("h1", "h2", "h3", "h4", "h5", "h6", "caption", "th", "dt", "legend")
    return heading or not _has_words(info.text) or (len(info.text) <= 40 and "quarter" in info.text.lower())
