"""The exit code and summary line cron sees, decided from a run's facts alone (metrics, totals, failed pages)."""

from __future__ import annotations

import pytest

from harvester.crawl.outcome import FAILED, INTERRUPTED, OK, decide_outcome

FAILED_PAGE = {"url": "http://x/search?page=2", "reason": "HTTP 500"}


def stats(**values):
    base = {
        "finish_reason": "finished",
        "harvester/pages_parsed": 3,
        "harvester/blocks": 21,
        "harvester/records": 21,
    }
    base.update({k.replace("__", "/"): v for k, v in values.items()})
    return base


def test_a_complete_run_succeeds_with_one_summary_line():
    outcome = decide_outcome(stats(**{"harvester/new": 4, "harvester/changed": 1, "harvester/unchanged": 16}))
    assert outcome.code == OK
    assert outcome.problems == []
    assert outcome.summary == (
        "21 records from 3 pages, 4 new, 1 changed, 16 unchanged, 0 failed pages"
    )
    assert "\n" not in outcome.summary


def test_nothing_new_in_an_incremental_run_is_success():
    outcome = decide_outcome(stats(**{"harvester/records": 0, "harvester/blocks": 10, "harvester/unchanged": 10}))
    assert outcome.code == OK
    assert "0 records from 3 pages, 10 unchanged" in outcome.summary


def test_no_records_although_the_listing_had_some_fails():
    outcome = decide_outcome(stats(**{"harvester/records": 0, "harvester/invalid": 21}))
    assert outcome.code == FAILED
    assert "21 result blocks were read but no record was written" in outcome.problems[0]
    assert "quarantined" in outcome.problems[0]


def test_a_listing_that_says_it_has_no_results_is_a_result():
    outcome = decide_outcome(stats(**{"harvester/records": 0, "harvester/blocks": 0, "harvester/pages_parsed": 1}))
    assert outcome.code == OK
    assert outcome.problems == []
    assert outcome.summary.startswith("0 records from 1 pages: the listing shows no results")


def test_no_page_read_fails():
    outcome = decide_outcome({"finish_reason": "finished"})
    assert outcome.code == FAILED
    assert outcome.problems == ["no records: no listing page could be read"]


def test_a_challenge_page_fails_and_names_the_page():
    values = {"harvester/challenge_pages": 1, "failed_pages": [FAILED_PAGE]}
    outcome = decide_outcome(stats(**values, finish_reason="challenge_page"))
    assert outcome.code == FAILED
    assert "challenge page at http://x/search?page=2" in outcome.problems[0]


@pytest.mark.parametrize("reason", ["closespider_timeout", "cancelled", "memusage_exceeded"])
def test_any_finish_reason_but_finished_fails(reason):
    outcome = decide_outcome(stats(finish_reason=reason))
    assert outcome.code == FAILED
    assert reason in outcome.problems[0]


def test_an_interrupted_run_exits_130_and_says_how_to_go_on():
    outcome = decide_outcome(stats(finish_reason="shutdown"))
    assert outcome.code == INTERRUPTED == 130
    assert outcome.problems == ["interrupted (Ctrl-C or SIGTERM) before the crawl finished: nothing final was "
                                "written; continue with --resume"]


@pytest.mark.parametrize(("ratio", "code"), [(0.0, FAILED), (0.2, FAILED), (0.25, OK), (1.0, OK)])
def test_failed_pages_fail_the_run_over_the_threshold(ratio, code):
    # 1 failed of 4 attempted = 0.25
    outcome = decide_outcome(stats(failed_pages=[FAILED_PAGE]), max_failed_ratio=ratio)
    assert outcome.code == code
    assert ", 1 failed pages" in outcome.summary


def test_unexplained_errors_fail_the_run():
    outcome = decide_outcome(stats(**{"log_count/ERROR": 2}))
    assert outcome.code == FAILED
    assert outcome.problems == ["2 errors were logged (see the log above)"]


def test_errors_of_failed_pages_are_not_counted_twice():
    outcome = decide_outcome(
        stats(**{"log_count/ERROR": 1, "failed_pages": [FAILED_PAGE]}), max_failed_ratio=0.5
    )
    assert outcome.code == OK


def test_optional_counts_appear_only_when_present():
    outcome = decide_outcome(
        stats(**{"harvester/duplicates": 2, "harvester/invalid": 1, "harvester/names/unresolved": 3})
    )
    assert outcome.summary == (
        "21 records from 3 pages, 0 failed pages, 2 duplicates dropped, 1 invalid (quarantined), "
        "3 unresolved names"
    )
