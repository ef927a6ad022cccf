"""Candidate groups of repeated blocks, their scores, and promotion to the enclosing record."""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

from harvester.normalize.datefind import (
    strip_dates_and_times,
)
from harvester.parsing.auto.document import _css_path, _Doc, _lca, _sig_text
from harvester.parsing.auto.fields import _Extractor, _has_words, _Info, _is_title_text
from harvester.parsing.auto.result import GroupSummary
from harvester.parsing.auto.vocabulary import _HEADINGS

#: Secondary groups must score at least this share of the best group's score.
SECONDARY_SHARE = 0.3
#: ... or score at least this and sit next to the best group (same content region).
NEAR_MIN_SCORE = 4.0
#: Groups whose dated blocks show more date expressions than this on average are containers.
MAX_DATES_PER_BLOCK = 8
#: A date in a longer line than this is part of running text.
PROSE_LINE = 150
#: A block longer than this is an article, not a listing item (soft penalty above it).
LONG_BLOCK = 400


@dataclass(slots=True)
class _Block:
    start: int
    end: int
    el: int  # representative element


@dataclass(slots=True)
class _Group:
    kind: str
    key: tuple
    blocks: list[_Block]
    score: float = 0.0
    dated: int = 0
    share: float = 0.0
    penalty: float = 1.0


def _path_key(doc: _Doc, idx: int) -> int:
    return doc.path[idx]


def _candidates(ex: _Extractor) -> list[_Group]:
    doc = ex.doc
    date_pos = ex.date_positions
    link_pos = [i for i, lk in enumerate(doc.seg_link) if lk >= 0 and doc.seg_text[i] and doc.seg_text[i].strip()]

    def count(positions: list[int], start: int, end: int) -> int:
        return bisect_left(positions, end) - bisect_left(positions, start)

    groups: dict[tuple, _Group] = {}

    def add(kind: str, key: tuple, blocks: list[_Block]) -> None:
        group = groups.get(key)
        if group is None:
            groups[key] = _Group(kind, key, list(blocks))
        else:
            group.blocks.extend(blocks)

    children: dict[int, list[int]] = {}
    for i in range(1, len(doc.els)):
        children.setdefault(doc.parent[i], []).append(i)

    for parent, kids in children.items():
        if not count(date_pos, doc.start[parent], doc.end[parent]) and not count(
            link_pos, doc.start[parent], doc.end[parent]
        ):
            continue
        by_sig: dict[tuple, list[int]] = {}
        by_tag: dict[str, list[int]] = {}
        for k in kids:
            if doc.start[k] == doc.end[k]:
                continue
            by_sig.setdefault(doc.sig[k], []).append(k)
            by_tag.setdefault(doc.els[k].tag, []).append(k)
        parent_key = None
        for sig, members in by_sig.items():
            # single members count too: the same path elsewhere (one table per year) merges with them
            useful = [
                k
                for k in members
                if count(date_pos, doc.start[k], doc.end[k]) or count(link_pos, doc.start[k], doc.end[k])
            ]
            if not useful or (
                len(members) == 1 and len(kids) > 1 and not count(date_pos, doc.start[members[0]], doc.end[members[0]])
            ):
                continue
            parent_key = parent_key or _path_key(doc, parent)
            add("elements", ("elements", parent_key, sig), [_Block(doc.start[k], doc.end[k], k) for k in members])
        for tag, members in by_tag.items():
            if len(members) < 3 or len({doc.sig[k] for k in members}) < 2:
                continue
            dated = sum(1 for k in members if count(date_pos, doc.start[k], doc.end[k]))
            if dated < 2:
                continue
            parent_key = parent_key or _path_key(doc, parent)
            add("elements", ("elements-tag", parent_key, tag), [_Block(doc.start[k], doc.end[k], k) for k in members])
        # heading + following siblings; in a definition list, a term with the descriptions after it
        in_dl = doc.els[parent].tag == "dl"
        heads = [k for k in kids if doc.els[k].tag in _HEADINGS or (in_dl and doc.els[k].tag == "dt")]
        if len(heads) >= 2:
            for htag in {doc.els[h].tag for h in heads}:
                same = [h for h in heads if doc.els[h].tag == htag]
                if len(same) < 2:
                    continue
                blocks = []
                for n, h in enumerate(same):
                    stop = doc.start[same[n + 1]] if n + 1 < len(same) else doc.end[parent]
                    if stop > doc.end[h]:
                        blocks.append(_Block(doc.start[h], stop, h))
                if len(blocks) >= 2 and sum(1 for b in blocks if count(date_pos, b.start, b.end)) >= 2:
                    parent_key = parent_key or _path_key(doc, parent)
                    add("heading-sections", ("heading-sections", parent_key, htag), blocks)

    # <br>-separated lines of elements with inline content only
    for idx, el in enumerate(doc.els):
        if doc.block_desc[idx] or el.tag in ("a", "span", "br") or count(date_pos, doc.start[idx], doc.end[idx]) < 2:
            continue
        if not any(True for _ in el.iter("br")):
            continue
        blocks = []
        line_start = None
        for i in range(doc.start[idx], doc.end[idx] + 1):
            if i == doc.end[idx] or doc.seg_text[i] is None:
                if line_start is not None:
                    blocks.append(_Block(line_start, i, idx))
                line_start = None
            elif line_start is None and doc.seg_text[i].strip():
                line_start = i
        if sum(1 for b in blocks if count(date_pos, b.start, b.end)) >= 2:
            add("br-lines", ("br-lines", _path_key(doc, _slot(doc, idx))), blocks)
    return list(groups.values())


def _slot(doc: _Doc, idx: int) -> int:
    """The outermost ancestor that holds nothing but this element (a <p> alone in a <td> -> the td)."""
    while True:
        parent = doc.parent[idx]
        if parent < 0 or doc.els[parent].tag in ("body", "html"):
            return idx
        kids = [k for k in doc.els[parent] if isinstance(k.tag, str)]
        if len(kids) != 1 or (doc.els[parent].text or "").strip() or (doc.els[idx].tail or "").strip():
            return idx
        idx = parent


def _score(ex: _Extractor, group: _Group, date_pos: list[int]) -> None:
    # containers (several dates per block on average) are not worth a full analysis
    counts = [bisect_left(date_pos, b.end) - bisect_left(date_pos, b.start) for b in group.blocks]
    dated_counts = [c for c in counts if c]
    if dated_counts and sum(dated_counts) > MAX_DATES_PER_BLOCK * len(dated_counts):
        group.score = 0.0
        return
    blocks = []
    seen = set()
    for b in sorted(group.blocks, key=lambda b: (b.start, b.end)):
        if (b.start, b.end) in seen:
            continue
        seen.add((b.start, b.end))
        if ex.info(b.start, b.end).text:
            blocks.append(b)
    group.blocks = blocks
    n = len(blocks)
    if n < 2:
        group.score = 0.0
        return
    infos = [ex.info(b.start, b.end) for b in blocks]
    dated = [i for i in infos if ex.primary_date(i) is not None]
    group.dated = len(dated)
    share = len(dated) / n
    group.share = share
    distinct = [_distinct_dates(i) for i in dated]
    avg_distinct = sum(distinct) / len(distinct) if distinct else 1.0
    f_multi = min(1.0, 1.3 / avg_distinct) ** 2
    if avg_distinct <= 3 and all(ex.doc.els[b.el].tag == "tr" for b in blocks):
        f_multi = 1.0  # a table row is one record with a date per column (occurred, reported), not a container
    boiler = sum(1 for i in infos if i.boiler) / n
    f_boiler = 0.1 if boiler > 0.5 else 1.0 - boiler
    avg_len = sum(len(i.text) for i in infos) / n
    f_len = 0.7 if avg_len < 6 else min(1.0, LONG_BLOCK / avg_len) if avg_len > LONG_BLOCK else 1.0
    uniq = len({i.text for i in infos}) / n
    f_uniq = min(1.0, 0.3 + uniq)
    link_share = sum(1 for i in infos if i.links) / n
    f_link = 0.85 + 0.15 * link_share
    # dates inside running text ("As of 1 January 1953, 203 foreign companies ...") are prose, not items
    prose = sum(1 for i in dated if _in_prose(i)) / len(dated) if dated else 0.0
    f_prose = 1.0 - 0.8 * prose
    penalty = f_multi * f_boiler * f_len * f_uniq * f_prose
    group.penalty = penalty
    # siblings of one tag but different classes are a listing only when more than two of them show dates
    # (an article's header date and an issue box beside it are not)
    if len(dated) >= 2 and not (group.key[0] == "elements-tag" and len(dated) < 3):
        group.score = len(dated) * share**0.7 * penalty * f_link
    elif n >= 5 and link_share >= 0.8 and avg_len < 200:
        group.score = 0.2 * n * link_share * penalty  # an undated list of links
    else:
        group.score = 0.0


def _in_prose(info: _Info) -> bool:
    """Every date of the block sits in a long line of running text."""
    lengths = [len(info.lines[d.line].text.strip()) for d in info.dates if not d.meta]
    return bool(lengths) and min(lengths) > PROSE_LINE


def _distinct_dates(info: _Info) -> int:
    """Different dates a block shows ("Posted on" dates and a month that a full date refines do not count)."""
    parts = {(d.match.year, d.match.month, d.match.day) for d in info.dates if not d.meta}
    days = {(y, m) for y, m, d in parts if d is not None}
    return max(1, sum(1 for y, m, d in parts if d is not None or (y, m) not in days))


def _summary(ex: _Extractor, group: _Group) -> GroupSummary:
    doc = ex.doc
    els = sorted({b.el for b in group.blocks})
    if group.kind == "br-lines":
        container = _lca(doc, els)
        block = _sig_text(doc.els[els[0]]) + " ::line"
    elif group.kind == "heading-sections":
        container = _lca(doc, els)
        block = _sig_text(doc.els[els[0]]) + " + siblings"
    else:
        container = _lca(doc, [doc.parent[e] for e in els])
        block = _sig_text(doc.els[els[0]])
    return GroupSummary(
        group.kind, _css_path(doc, container), block, len(group.blocks), group.dated, round(group.score, 3)
    )


def _date_key(ex: _Extractor, info: _Info) -> tuple | None:
    date = ex.primary_date(info)
    return None if date is None else (date[1], date[2], date[3])


def _compatible(a: tuple, b: tuple) -> bool:
    """Equal where both show a part (a month-only or year-only date does not contradict a fuller one)."""
    return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))


#: A record row shows a date in a few of its cells (occurred, reported, effective), not dozens.
MAX_NESTED_PER_ROW = 3


def _cell_of(doc: _Doc, idx: int) -> int:
    """The table cell holding element ``idx`` (itself, or its nearest td/th ancestor); -1 when none."""
    while idx >= 0 and doc.els[idx].tag not in ("td", "th"):
        if doc.els[idx].tag in ("tr", "table"):
            return -1
        idx = doc.parent[idx]
    return idx


def _rows_of_cells(ex: _Extractor, group: _Group) -> _Group | None:
    """Table cells chosen as blocks (a title cell with its own date, an issue-date cell, an effective-date
    cell), or elements inside cells (a ``<font>`` or ``<span>`` round a date), are parts of their rows:
    one row is one record. The group of those rows, scored, or None."""
    doc = ex.doc
    if group.kind == "br-lines":  # lines of a <br> list inside one cell are records of their own
        return None
    cells = [_cell_of(doc, b.el) for b in group.blocks]
    if not group.blocks or any(c < 0 for c in cells):
        return None
    rows = sorted({doc.parent[c] for c in cells})
    if any(r < 0 or doc.els[r].tag != "tr" for r in rows) or len(rows) < 2:
        return None
    # a grid of dates (one meeting per cell, months across, years down) is not: its cells name nothing.
    # Elements inside cells (a date in a <font>) are parts of rows that name something in other cells,
    # a few to a row (occurred, reported); many to a row make the row a container, not a record.
    if all(c == b.el for c, b in zip(cells, group.blocks, strict=True)):
        named = sum(1 for b in group.blocks if _has_words(ex.info(b.start, b.end).text))
    elif len(group.blocks) > MAX_NESTED_PER_ROW * len(rows):
        return None
    else:
        named = sum(1 for r in rows if _has_words(ex.info(doc.start[r], doc.end[r]).text))
    if named < 0.5 * len(rows):
        return None
    out = _Group("elements", ("rows-of-cells", *group.key[1:]), [_Block(doc.start[r], doc.end[r], r) for r in rows])
    _score(ex, out, ex.date_positions)
    return out if out.score > 0 else None


def _promote(ex: _Extractor, group: _Group, groups: list[_Group]) -> _Group:
    """Prefer an enclosing group whose blocks are single records made of the chosen blocks.

    A post whose heading is the chosen block, a table row made of a name cell and a date cell, a
    meeting card holding three document links that repeat the meeting's date: the larger block
    is the record when it shows one date only and, where it holds several chosen blocks, they
    share that date and at most one of them has a text besides dates and document labels.
    """
    group = _rows_of_cells(ex, group) or group
    for _round in range(4):
        inner = group.blocks
        starts = [b.start for b in inner]
        best_outer = None
        for outer in groups:
            if outer is group or outer.dated < 2 or outer.share < 0.5 or outer.penalty < 0.5:
                continue
            holders = covered = consistent = 0
            for ob in outer.blocks:
                lo = bisect_left(starts, ob.start)
                held = []
                while lo < len(inner) and inner[lo].start < ob.end:
                    if inner[lo].end <= ob.end and (inner[lo].start, inner[lo].end) != (ob.start, ob.end):
                        held.append(inner[lo])
                    lo += 1
                if not held:
                    continue
                holders += 1
                covered += len(held)
                row = ex.doc.els[ob.el].tag == "tr" and len(held) == 1  # a table row is one record, however dated
                if _distinct_dates(ex.info(ob.start, ob.end)) > 1 and not row:
                    continue
                if len(held) > 1:
                    infos = [ex.info(h.start, h.end) for h in held]
                    keys = [k for k in (_date_key(ex, i) for i in infos) if k is not None]
                    named = {
                        " ".join(strip_dates_and_times(i.text).split()).lower()
                        for i in infos
                        if _is_title_text(i.text) and i.link_share < 0.9  # several document links are parts
                    }
                    if not keys or not all(_compatible(keys[0], k) for k in keys[1:]) or len(named) > 1:
                        continue
                consistent += 1
            if holders < 2 or covered < 0.8 * len(inner) or consistent < 0.8 * holders:
                continue
            size = sum(b.end - b.start for b in outer.blocks) / len(outer.blocks)
            if best_outer is None or size < best_outer[0]:
                best_outer = (size, outer)
        if best_outer is None:
            return group
        group = best_outer[1]
    return group


def _near(ex: _Extractor, a: _Group, b: _Group) -> bool:
    """Two groups in the same content region: their common ancestor holds little besides them."""
    doc = ex.doc
    ca = _lca(doc, [blk.el for blk in a.blocks])
    cb = _lca(doc, [blk.el for blk in b.blocks])
    common = _lca(doc, [ca, cb])
    if doc.els[common].tag in ("html", "body"):
        return False

    def size(idx: int) -> int:
        return sum(len(t.strip()) for t in doc.seg_text[doc.start[idx] : doc.end[idx]] if t)

    return size(common) <= 1.5 * (size(ca) + size(cb))


def _repeated_links(ex: _Extractor, group: _Group) -> frozenset[str]:
    """Link texts found in at least 60% of a group's blocks (of 3 or more): labels, not titles."""
    if len(group.blocks) < 3:
        return frozenset()
    counts: dict[str, int] = {}
    for b in group.blocks:
        for text in ex.link_texts(ex.info(b.start, b.end)):
            counts[text] = counts.get(text, 0) + 1
    return frozenset(t for t, c in counts.items() if c >= 0.6 * len(group.blocks))


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < t_end and t_start < end for t_start, t_end in taken)
