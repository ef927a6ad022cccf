"""Score the zero-config extractor (`harvester.parsing.auto`) against hand-made annotations of real pages.

Run: ``.venv/bin/python -m benchmarks.score [--set NAME | --annotations PATH --pages DIR] [--json OUT]``
(``harvester score`` passes ``--annotations``/``--pages``). Pages an annotation file lists under ``refuse`` must be
refused by the extractor: each is reported as refused (pass), accepted or crashed.

Matching, per page
------------------
* Expected records come from the annotation file: ``{"date": "2019-03-07", "title": "Board of
  Directors"}``; ``title`` may be null (the entry shows no meeting name).
* Predicted records are the extractor's blocks: (``date_iso``, ``title``). Blocks without a date
  are predictions too (they can only be false positives).
* A predicted record matches an expected one when

  - the dates are equal at the annotated precision: the prediction must be at least as precise
    and its ISO date must start with the annotated one ("2019-03-07" matches "2019-03"; "2019-03"
    does not match "2019-03-07");
  - and the titles agree: an annotated null title agrees with any prediction; otherwise both are
    normalised (case-folded; date and time expressions removed with the same finder the
    extractor uses; every run of non-alphanumeric characters turned into one space) and must be
    equal, or the shorter must be contained in the longer at word boundaries and have at least 3
    words. An empty normalised prediction (no title, or only a date) agrees only with null.

* Matching is one-to-one and maximal (augmenting paths), so the counts do not depend on order.
* An unmatched prediction is a *duplicate* - the same meeting listed again (agenda list and
  minutes list, schedule and documents table) - when its (date, normalised title) equals that of
  a matched prediction, or when its date matches (at the annotated precision) a matched record whose
  annotated title is null (the page names no meeting there, so listings of that date cannot be told apart).
  Duplicates are counted separately, neither as true nor as false positives. Every other
  unmatched prediction is a false positive.
* Capped pages (annotation ``cap``: only records dated in [from, to] were annotated): predictions
  dated outside the span are *ignored*; undated predictions still count.
* Page precision = TP / (TP + FP), recall = TP / expected, F1 their harmonic mean (0 when both
  are 0; precision is 0 when nothing is predicted). A page the extractor rejects
  (NotAListingError) has no predictions.

Averages: per site (the annotation's ``site``), the mean of its pages' P, R and F1; the macro
figures are the means over sites (macro F1 is the mean of site F1s, not the harmonic mean of
macro P and R). Micro figures (pooled counts over all pages) are printed too.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import parsel
from w3lib.encoding import html_to_unicode

from harvester.model import PageError
from harvester.normalize.datefind import strip_dates_and_times
from harvester.parsing.auto import AutoBlock, extract_blocks
from harvester.records import build_record, raw_item

__all__ = [
    "PageScore",
    "Report",
    "dates_match",
    "main",
    "match_records",
    "normalize_title",
    "score",
    "titles_match",
]

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ANNOTATIONS = REPO / "benchmarks" / "annotations" / "city-scrapers.json"
DEFAULT_PAGES = REPO.parent / "shared" / "realworld" / "city-scrapers"
#: Named annotation sets: ``--set NAME`` = (annotation file, pages directory).
SETS = {
    "city-scrapers": (DEFAULT_ANNOTATIONS, DEFAULT_PAGES),
    "city-scrapers-heldout": (REPO / "benchmarks" / "annotations" / "city-scrapers-heldout.json", DEFAULT_PAGES),
    "devset-dev": (REPO / "benchmarks" / "annotations" / "devset-dev.json", REPO / "benchmarks" / "pages" / "devset"),
    "devset-heldout": (
        REPO / "benchmarks" / "annotations" / "devset-heldout.json",
        REPO / "benchmarks" / "pages" / "devset",
    ),
    "devset-heldout2": (
        REPO / "benchmarks" / "annotations" / "devset-heldout2.json",
        REPO / "benchmarks" / "pages" / "devset",
    ),
}
#: Whether a set's figures are in sample (rules were changed while looking at its pages) or held out.
SAMPLE = {
    "city-scrapers": "in sample",
    "city-scrapers-heldout": "in sample (held out at first, seen since)",
    "devset-dev": "in sample",
    "devset-heldout": "in sample (held out in the first round, seen since)",
    "devset-heldout2": "held out",
}
MIN_CONTAINED_WORDS = 3
_PAGE_FIELDS = (
    "file", "site", "expected", "predicted", "tp", "fp", "duplicates", "ignored", "precision", "recall", "f1", "error",
)  # fmt: skip

_NON_ALNUM = re.compile(r"[\W_]+", re.UNICODE)

Record = tuple[str | None, str | None]  # (ISO date, title)


def normalize_title(title: str | None) -> str:
    """Case-folded title without dates, times and punctuation; "" for None."""
    if not title:
        return ""
    text = strip_dates_and_times(title).casefold()
    return " ".join(_NON_ALNUM.sub(" ", text).split())


def titles_match(expected: str | None, predicted: str | None) -> bool:
    if expected is None:
        return True
    exp, pred = normalize_title(expected), normalize_title(predicted)
    if not exp or not pred:
        return exp == pred
    if exp == pred:
        return True
    shorter, longer = (exp, pred) if len(exp) <= len(pred) else (pred, exp)
    if len(shorter.split()) < MIN_CONTAINED_WORDS:
        return False
    return f" {shorter} " in f" {longer} "


def dates_match(expected: str, predicted: str | None) -> bool:
    """Equal at the annotated precision; the prediction must be at least as precise."""
    return predicted is not None and len(predicted) >= len(expected) and predicted.startswith(expected)


def _key(record: Record) -> tuple[str | None, str]:
    return record[0], normalize_title(record[1])


def match_records(expected: list[Record], predicted: list[Record]) -> dict[int, int]:
    """Maximum one-to-one matching; returns {expected index: predicted index}."""
    edges = [
        [j for j, p in enumerate(predicted) if dates_match(e[0] or "", p[0]) and titles_match(e[1], p[1])]
        for e in expected
    ]
    owner: dict[int, int] = {}  # predicted index -> expected index

    def augment(i: int, seen: set[int]) -> bool:
        for j in edges[i]:
            if j in seen:
                continue
            seen.add(j)
            if j not in owner or augment(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(expected)):
        if edges[i]:
            augment(i, set())
    return {i: j for j, i in owner.items()}


def _inside(iso: str, lo: str, hi: str) -> bool:
    k_lo, k_hi = min(len(iso), len(lo)), min(len(iso), len(hi))
    return iso[:k_lo] >= lo[:k_lo] and iso[:k_hi] <= hi[:k_hi]


@dataclass(slots=True)
class PageScore:
    file: str
    site: str
    expected: int
    predicted: int  # after removing ignored (outside the cap)
    tp: int
    fp: int
    duplicates: int
    ignored: int
    precision: float
    recall: float
    f1: float
    error: str | None = None
    misses: list[Record] = field(default_factory=list)  # expected records not found
    false_positives: list[Record] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A page that must be refused (annotation ``refuse``): refused = pass."""

    file: str
    outcome: str  # "refused" | "accepted" | "crashed"
    detail: str

    @property
    def passed(self) -> bool:
        return self.outcome == "refused"


@dataclass(slots=True)
class Report:
    pages: list[PageScore]
    sites: dict[str, tuple[float, float, float]]
    macro_precision: float
    macro_recall: float
    macro_f1: float
    micro_precision: float
    micro_recall: float
    micro_f1: float
    refusals: list[Refusal] = field(default_factory=list)

    def table(self) -> str:
        head = (
            f"{'page':44} {'site':30} {'exp':>4} {'pred':>4} {'tp':>4} {'fp':>4} {'dup':>4} {'ign':>4}  P     R     F1"
        )
        rows = [head, "-" * len(head)]
        for p in self.pages:
            note = f"  ({p.error})" if p.error else ""
            rows.append(
                f"{p.file:44} {p.site[:30]:30} {p.expected:4d} {p.predicted:4d} {p.tp:4d} {p.fp:4d} "
                f"{p.duplicates:4d} {p.ignored:4d}  {p.precision:.2f}  {p.recall:.2f}  {p.f1:.2f}{note}"
            )
        rows.append("-" * len(head))
        rows.append(
            f"macro over {len(self.sites)} sites ({len(self.pages)} pages): "
            f"P {self.macro_precision:.3f}  R {self.macro_recall:.3f}  F1 {self.macro_f1:.3f}"
        )
        rows.append(
            f"micro (pooled records): P {self.micro_precision:.3f}  R {self.micro_recall:.3f}  F1 {self.micro_f1:.3f}"
        )
        if self.refusals:
            passed = sum(1 for r in self.refusals if r.passed)
            rows.append(f"pages that must be refused: {passed} of {len(self.refusals)} refused")
            rows.extend(f"   {r.outcome:8} {r.file}: {r.detail}" for r in self.refusals)
        listings = [p for p in self.pages if p.error]
        rows.append(f"listings refused: {len(listings)} of {len(self.pages)}")
        return "\n".join(rows)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score_page(
    expected: list[Record], blocks: list[AutoBlock], cap: dict | None = None
) -> tuple[int, int, int, int, int, list[Record], list[Record]]:
    """(tp, fp, duplicates, ignored, predicted, misses, false positives) for one page."""
    predicted: list[Record] = []
    ignored = 0
    for b in blocks:
        if cap and b.date_iso is not None and not _inside(b.date_iso, cap["from"], cap["to"]):
            ignored += 1
            continue
        predicted.append((b.date_iso, b.title))
    pairs = match_records(expected, predicted)
    matched = set(pairs.values())
    matched_keys = {_key(predicted[j]) for j in matched}
    # dates of matched records that have no title: any other listing of that date is the same meeting
    untitled_dates = {expected[i][0] for i in pairs if expected[i][1] is None}
    duplicates = [
        j
        for j in range(len(predicted))
        if j not in matched
        and (_key(predicted[j]) in matched_keys or any(dates_match(d or "", predicted[j][0]) for d in untitled_dates))
    ]
    fps = [predicted[j] for j in range(len(predicted)) if j not in matched and j not in set(duplicates)]
    misses = [expected[i] for i in range(len(expected)) if i not in pairs]
    return len(pairs), len(fps), len(duplicates), ignored, len(predicted), misses, fps


def record_dates(blocks: list[AutoBlock]) -> list[AutoBlock]:
    """The blocks with the date their records get (``harvester parse --auto``): what a user sees."""
    out = []
    for b in blocks:
        record = build_record(raw_item(b.to_raw_block(), source="score", listing_url=None, page=None,
                                       titles="none"), crawled_at=None)  # fmt: skip
        out.append(replace(b, date_iso=record["date"], date_precision=record["date_precision"]))
    return out


def read_page(path: Path) -> parsel.Selector:
    _encoding, text = html_to_unicode(None, path.read_bytes())
    return parsel.Selector(text=text, type="html")


def check_refusal(path: Path) -> Refusal:
    """Run the extractor on a page that is not a listing: a clean refusal (a PageError) passes."""
    try:
        result = extract_blocks(read_page(path))
    except PageError as exc:
        return Refusal(path.name, "refused", f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        return Refusal(path.name, "crashed", f"{type(exc).__name__}: {exc}")
    return Refusal(path.name, "accepted", f"{len(result.blocks)} blocks, confidence {result.confidence:.2f}")


def score(annotations_path: str | Path = DEFAULT_ANNOTATIONS, pages_dir: str | Path = DEFAULT_PAGES) -> Report:
    data = json.loads(Path(annotations_path).read_text(encoding="utf-8"))
    pages: list[PageScore] = []
    for page in data["pages"]:
        expected: list[Record] = [(r["date"], r.get("title")) for r in page["records"]]
        error = None
        try:
            blocks = record_dates(extract_blocks(read_page(Path(pages_dir) / page["file"]), page.get("url")).blocks)
        except PageError as exc:
            blocks, error = [], f"{type(exc).__name__}: {exc}"
        tp, fp, dup, ign, npred, misses, fps = score_page(expected, blocks, page.get("cap"))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / len(expected) if expected else 0.0
        pages.append(
            PageScore(page["file"], page["site"], len(expected), npred, tp, fp, dup, ign, precision, recall,
                      _f1(precision, recall), error, misses, fps)
        )  # fmt: skip
    by_site: dict[str, list[PageScore]] = {}
    for p in pages:
        by_site.setdefault(p.site, []).append(p)
    sites = {
        site: (
            sum(p.precision for p in ps) / len(ps),
            sum(p.recall for p in ps) / len(ps),
            sum(p.f1 for p in ps) / len(ps),
        )
        for site, ps in by_site.items()
    }
    n = len(sites) or 1
    tp = sum(p.tp for p in pages)
    fp = sum(p.fp for p in pages)
    exp = sum(p.expected for p in pages)
    micro_p = tp / (tp + fp) if tp + fp else 0.0
    micro_r = tp / exp if exp else 0.0
    refusals = [check_refusal(Path(pages_dir) / r["file"]) for r in data.get("refuse", [])]
    return Report(
        pages,
        sites,
        sum(s[0] for s in sites.values()) / n,
        sum(s[1] for s in sites.values()) / n,
        sum(s[2] for s in sites.values()) / n,
        micro_p,
        micro_r,
        _f1(micro_p, micro_r),
        refusals,
    )


def summary(names: list[str] | None = None) -> str:
    """One line per named set: its macro figures, listings refused, pages to refuse refused, crashes; labelled
    in sample or held out."""
    head = f"{'set':24} {'sample':52} {'sites':>5} {'pages':>5}  P      R      F1     refused  refusals  crashed"
    rows = [head, "-" * len(head)]
    for name in names or list(SETS):
        annotations, pages = SETS[name]
        if not pages.is_dir():
            rows.append(f"{name:24} {SAMPLE[name]:52} (pages directory not found: {pages})")
            continue
        r = score(annotations, pages)
        refused = sum(1 for p in r.pages if p.error)
        passed = sum(1 for x in r.refusals if x.passed)
        crashed = sum(1 for x in r.refusals if x.outcome == "crashed")
        figures = f"{r.macro_precision:.3f}  {r.macro_recall:.3f}  {r.macro_f1:.3f}"
        counts = f"{refused:3d}/{len(r.pages):<3d}  {passed:3d}/{len(r.refusals):<3d}   {crashed}"
        rows.append(f"{name:24} {SAMPLE[name]:52} {len(r.sites):5d} {len(r.pages):5d}  {figures}  {counts}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.score", description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", choices=sorted(SETS), help="a named set (annotation file and pages directory)")
    parser.add_argument("--annotations", type=Path)
    parser.add_argument("--pages", type=Path)
    parser.add_argument("--json", type=Path, help="also write the per-page figures as JSON here")
    parser.add_argument("--details", action="store_true", help="list misses and false positives per page")
    parser.add_argument("--all", action="store_true", help="one summary line per set (in sample and held out)")
    args = parser.parse_args(argv)
    if args.all:
        print(summary())
        return 0
    annotations, pages = SETS[args.set or "city-scrapers"]
    args.annotations = args.annotations or annotations
    args.pages = args.pages or pages
    if not args.pages.is_dir():
        print(f"pages directory not found: {args.pages}", file=sys.stderr)
        return 2
    report = score(args.annotations, args.pages)
    print(report.table())
    if args.details:
        for p in report.pages:
            if p.misses or p.false_positives:
                print(f"\n{p.file}:")
                for m in p.misses:
                    print(f"   miss {m}")
                for f in p.false_positives:
                    print(f"   fp   {f}")
    if args.json:
        payload = {
            "macro": {"precision": report.macro_precision, "recall": report.macro_recall, "f1": report.macro_f1},
            "micro": {"precision": report.micro_precision, "recall": report.micro_recall, "f1": report.micro_f1},
            "sites": {s: dict(zip(("precision", "recall", "f1"), v, strict=True)) for s, v in report.sites.items()},
            "pages": [{k: getattr(p, k) for k in _PAGE_FIELDS} for p in report.pages],
            "refusals": [{"file": r.file, "outcome": r.outcome, "detail": r.detail} for r in report.refusals],
        }
        args.json.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
