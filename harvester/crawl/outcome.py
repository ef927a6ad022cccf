"""A run's outcome from its facts: the exit code cron sees and the one summary line a person reads.

The facts are the crawl's metrics (Scrapy's stats: pages parsed, blocks, errors logged), the run's totals
and the failed pages, put together by :class:`harvester.crawl.run_keeper.RunKeeper`; this module is pure.

Scrapy itself exits 0 even when every request failed; the harvester does not. Exit codes: 0 success; 1 the
run failed (no records although the listing had some, a challenge page, failed pages over
``HARVESTER_MAX_FAILED_PAGE_RATIO``, failed document pages (``--details``) over
``HARVESTER_MAX_FAILED_DETAIL_RATIO``, errors in the log, any finish reason but "finished"); 2 bad usage (the CLI);
130 interrupted (finish reason "shutdown": Ctrl-C or SIGTERM; nothing final is written and ``--resume`` continues).
75 the host was leased by another crawl (finish reason ``host_busy``): nothing was written, retry later.
An incremental run that wrote nothing because every record was unchanged succeeded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harvester.errors import FAILED, INTERRUPTED, OK, RETRY_LATER, USAGE
from harvester.storage.run import HOST_BUSY

__all__ = ["FAILED", "INTERRUPTED", "OK", "RETRY_LATER", "USAGE", "Outcome", "decide_outcome"]


@dataclass(frozen=True)
class Outcome:
    code: int
    summary: str
    problems: list[str] = field(default_factory=list)


def decide_outcome(
    stats: Mapping[str, Any], *, max_failed_ratio: float = 0.0, max_failed_detail_ratio: float = 0.05
) -> Outcome:
    records = int(stats.get("harvester/records", stats.get("item_scraped_count", 0)))
    blocks = int(stats.get("harvester/blocks", 0))
    pages = int(stats.get("harvester/pages_parsed", 0))
    failed = list(stats.get("failed_pages", []))
    reason = stats.get("finish_reason", "unknown")
    errors = int(stats.get("log_count/ERROR", 0))
    problems: list[str] = []

    if reason == HOST_BUSY:  # nothing was fetched for lack of the host's lease: not a failure, a "not now"
        busy = str(stats.get("harvester/host_busy") or "the host is leased by another crawl")
        return Outcome(RETRY_LATER, f"{records} records from {pages} pages: {busy}", [f"{busy}; retry later"])
    if stats.get("harvester/unreachable"):  # first contact failed (harvester.crawl.first_contact): one line
        problems.append(str(stats["harvester/unreachable"]))
    elif stats.get("harvester/challenge_pages"):
        where = failed[-1]["url"] if failed else "a listing page"
        problems.append(f"blocked by a bot-protection challenge page at {where}; stopped early")
    elif reason == "shutdown":
        problems.append("interrupted (Ctrl-C or SIGTERM) before the crawl finished: nothing final was written; "
                        "continue with --resume")
    elif reason != "finished":
        problems.append(f"the crawl did not finish normally (finish reason: {reason})")
    attempted = pages + len(failed)
    if failed and not stats.get("harvester/challenge_pages"):
        ratio = len(failed) / attempted if attempted else 1.0
        named = "; ".join(f"{f['url']} ({f['reason']})" for f in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        if ratio > max_failed_ratio:
            problems.append(f"{len(failed)} of {attempted} listing pages failed: {named}{more}")
    failed_details = list(stats.get("failed_details", []))
    tried = int(stats.get("harvester/details/fetched", 0)) + len(failed_details)
    if failed_details and len(failed_details) / tried > max_failed_detail_ratio:
        named = "; ".join(f"{f['url']} ({f['reason']})" for f in failed_details[:5])
        more = f" and {len(failed_details) - 5} more" if len(failed_details) > 5 else ""
        problems.append(f"{len(failed_details)} of {tried} document pages failed (over "
                        f"HARVESTER_MAX_FAILED_DETAIL_RATIO {max_failed_detail_ratio:g}): {named}{more}")
    if records == 0 and not problems:
        if blocks:
            if not stats.get("harvester/unchanged"):
                invalid = int(stats.get("harvester/invalid", 0))
                why = f" ({invalid} broke the record contract and were quarantined)" if invalid else ""
                problems.append(f"{blocks} result blocks were read but no record was written{why}")
        elif not pages:
            problems.append("no records: no listing page could be read")
    unexplained = errors - len(failed)
    if unexplained > 0 and not problems:
        problems.append(f"{unexplained} errors were logged (see the log above)")

    # A listing that says it has no results is an answer, not a failure: a saved search that matches nothing
    # tonight is a result for cron (exit 0), said in the summary. Pages that fail or are not listings are not.
    empty = not problems and records == 0 and blocks == 0 and pages > 0
    summary = (
        f"{records} records from {pages} pages"
        f"{': the listing shows no results' if empty else ''}"
        f"{_optional(stats, 'harvester/new', 'new')}{_optional(stats, 'harvester/changed', 'changed')}"
        f"{_optional(stats, 'harvester/unchanged', 'unchanged')}"
        f", {len(failed)} failed pages"
        f"{_optional(stats, 'harvester/details/fetched', 'document pages read')}"
        f"{_optional(stats, 'harvester/details/reused', 'details reused')}"
        f"{_optional(stats, 'harvester/details/failed', 'document pages failed')}"
        f"{_optional(stats, 'harvester/duplicates', 'duplicates dropped')}"
        f"{_optional(stats, 'harvester/invalid', 'invalid (quarantined)')}"
        f"{_optional(stats, 'harvester/names/unresolved', 'unresolved names')}"
    )
    code = (INTERRUPTED if reason == "shutdown" else FAILED) if problems else OK
    return Outcome(code, summary, problems)


def _optional(stats: Mapping[str, Any], key: str, label: str) -> str:
    value = stats.get(key)
    return f", {value} {label}" if value else ""
