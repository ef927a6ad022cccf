"""``--details`` against a misbehaving site (the fault server): a document page that fails for a while is
retried and read; one that never answers, or is not a document page, is named and its record kept; a challenge
on a document page stops the crawl as one on a listing page does."""

from __future__ import annotations

import pytest

from harvester.devtools.faults import Fault
from tests.support.faults import crawl, fault_site

pytestmark = [pytest.mark.e2e]

CABLE = "/document/ciphered-telegram-no-21405-mao-zedong-cde-filippov-stalin"
TOLERANT = {"HARVESTER_MAX_FAILED_DETAIL_RATIO": "0.5"}


def cable(records: list[dict]) -> dict:
    return next(r for r in records if r["url"].endswith(CABLE))


def test_a_document_page_that_fails_once_is_retried_and_read(tmp_path):
    with fault_site(Fault("status", path=CABLE, status=503, times=1)) as server:
        run = crawl(server, tmp_path, "--details")
        asked = server.requests[CABLE]
    assert run.code == 0, run.log
    assert asked == 2
    assert len(run.records) == 21
    assert cable(run.records)["details"]["record_id"] == "127410"


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault("hang", path=CABLE, seconds=10), "TimeoutError"),
        (Fault("status", path=CABLE, status=500), "HTTP 500"),
        (Fault("body", path=CABLE, body="<html><head><title>Maintenance</title></head><body>Back soon</body></html>",
               content_type="text/html; charset=utf-8"), "not a document page"),
    ],
    ids=["timeout", "server-error", "not-a-document"],
)
def test_a_document_page_that_never_reads_is_named_and_its_record_kept(tmp_path, fault, reason):
    with fault_site(fault) as server:
        run = crawl(server, tmp_path, "--details", settings=TOLERANT)
    assert run.code == 0, run.log
    assert len(run.records) == 21
    lost = cable(run.records)
    assert lost["details"] is None
    assert lost["title"] == "Ciphered Telegram No. 21405, Mao Zedong to Cde. Filippov [Stalin]"
    assert sum(r["details"] is not None for r in run.records) == 20
    named = [line for line in run.log.splitlines() if "document page failed" in line and CABLE in line]
    assert named, run.log
    assert reason in named[0]


def test_a_challenge_on_a_document_page_stops_the_crawl(tmp_path):
    with fault_site(Fault("challenge", path="/document/*")) as server:
        run = crawl(server, tmp_path, "--details", settings=TOLERANT)
        documents = sum(n for target, n in server.requests.items() if target.startswith("/document/"))
    assert run.code == 1
    assert "challenge" in run.result.stderr
    assert documents < 21  # stopped, not one challenge per document
