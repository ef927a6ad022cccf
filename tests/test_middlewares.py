"""Unit tests of the downloader components in harvester.crawl.downloader and of text repair."""

from __future__ import annotations

from email.utils import formatdate

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from harvester.crawl.charset import CharsetMiddleware
from harvester.crawl.redact import redact
from harvester.crawl.retry import RetryAfterMiddleware, looks_like_challenge, parse_retry_after
from harvester.parsing.html_text import repair_mojibake
from harvester.pipelines.normalize import repair_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("120", 120.0), (b"0", 0.0), (" 7 ", 7.0), ("soon", None), (None, None), ("-3", None), ("1.5", None)],
)
def test_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_after_http_date():
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 90, usegmt=True), now=now) == pytest.approx(90)
    assert parse_retry_after(formatdate(now - 90, usegmt=True), now=now) == 0.0  # already past: no wait


def middleware(**settings) -> RetryAfterMiddleware:
    crawler = get_crawler(settings_dict={"HARVESTER_RETRY_BACKOFF": 2.0, "HARVESTER_RETRY_BACKOFF_MAX": 10.0,
                                         "HARVESTER_MAX_RETRY_AFTER": 60.0, **settings})
    return RetryAfterMiddleware.from_crawler(crawler)


def test_backoff_doubles_up_to_the_cap():
    assert [middleware().backoff_for(n) for n in range(1, 6)] == [2.0, 4.0, 8.0, 10.0, 10.0]


def response(status: int, headers: dict | None = None, body: bytes = b"<html></html>") -> HtmlResponse:
    return HtmlResponse("http://127.0.0.1/search", status=status, headers=headers or {}, body=body,
                        request=Request("http://127.0.0.1/search"))


def test_the_wait_is_retry_after_capped_or_backoff():
    mw = middleware()
    request = Request("http://127.0.0.1/search")
    assert mw._wait(request, response(429, {"Retry-After": "30"})) == (30.0, "Retry-After 30 s")
    seconds, why = mw._wait(request, response(429, {"Retry-After": "61"}))
    assert seconds is None
    assert "more than HARVESTER_MAX_RETRY_AFTER (60 s); not retried" in why
    assert mw._wait(request, response(503)) == (2.0, "backoff")
    request.meta["retry_times"] = 2
    assert mw._wait(request, None) == (8.0, "backoff")


def test_a_challenge_is_not_retried():
    challenge = response(503, {"cf-mitigated": "challenge"}, b"<html><head><title>Just a moment...</title>")
    assert looks_like_challenge(challenge)
    assert not looks_like_challenge(response(503))
    mw = middleware()
    mw.crawler.spider = object()
    request = Request("http://127.0.0.1/search")
    assert mw.process_response(request, challenge) is challenge
    assert request.meta["harvester_retry_note"] == "a bot challenge; not retried"


def test_charset_repair_both_ways():
    mw = CharsetMiddleware(get_crawler())
    text = "<html><body><p>“Phạm Văn Đồng’s” note — café</p></body></html>"
    lying_utf8 = HtmlResponse("http://x/", body=text.encode("cp1252", "xmlcharrefreplace"),
                              headers={"Content-Type": "text/html; charset=utf-8"})
    fixed = mw.process_response(Request("http://x/"), lying_utf8)
    assert fixed.encoding == "cp1252"
    assert "“Phạm Văn Đồng’s” note — café" in fixed.xpath("string(//p)").get()
    lying_cp1252 = HtmlResponse("http://x/", body=text.encode(), headers={"Content-Type": "text/html; charset=cp1252"})
    assert mw.process_response(Request("http://x/"), lying_cp1252).text == text
    honest = HtmlResponse("http://x/", body=text.encode(), headers={"Content-Type": "text/html; charset=utf-8"})
    assert mw.process_response(Request("http://x/"), honest) is honest
    assert mw.crawler.stats.get_value("harvester/text/charset_repaired") == 2


def test_an_undeclared_charset_is_cp1252_not_a_guess():
    mw = CharsetMiddleware(get_crawler())
    text = "<html><body><p>A report (café, naïve, Étienne) – “quoted”.</p></body></html>"
    unlabelled = HtmlResponse("http://x/", body=text.encode("cp1252"), headers={"Content-Type": "text/html"})
    assert unlabelled.encoding != "cp1252"  # Scrapy's own guess (charset-normalizer) for these bytes
    assert mw.process_response(Request("http://x/"), unlabelled).text == text
    utf8 = HtmlResponse("http://x/", body=text.encode(), headers={"Content-Type": "text/html"})
    assert mw.process_response(Request("http://x/"), utf8).text == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Molotovâ€™s â€œsecretâ€\x9d cable", "Molotov’s “secret” cable"),
        ("GÃ©rard Ã‰tienne", "Gérard Étienne"),
        # Right text stays exactly as it is.
        ("Phạm Văn Đồng, Ceaușescu, Satō — “quoted” ‘single’", None),
        ("Гагарин 5 × 3 ¿Qué? naïve café", None),
        ("plain ASCII", None),
        (None, None),
    ],
)
def test_repair_mojibake(text, expected):
    fixed, changed = repair_mojibake(text)
    assert fixed == (expected if expected is not None else text)
    assert changed == (expected is not None)


def test_repair_text_counts_and_flags():
    class Stats(dict):
        def inc_value(self, key, count=1):
            self[key] = self.get(key, 0) + count

    stats = Stats()
    item = {"title": "Molotovâ€™s cable", "summary": "a lost \ufffd byte", "date_raw": "1950", "url": "u"}
    out = repair_text(item, stats)
    assert out["title"] == "Molotov’s cable"
    assert out["summary"] == "a lost \ufffd byte"  # not repairable: kept, and flagged
    assert stats == {"harvester/text/mojibake_repaired": 1, "harvester/text/unreadable": 1}
    assert item["title"] == "Molotovâ€™s cable"  # the raw item is not modified


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("{'DEFAULT_REQUEST_HEADERS': {'Authorization': 'Bearer s3cr3t-token'}}", "s3cr3t-token"),
        ("{b'Set-Cookie': [b'sessionid=c00kie; Path=/']}", "c00kie"),
        ("Cookie: sessionid=c00kie", "c00kie"),
        ("Proxy-Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("GET https://user:hunter2@example.org/search", "hunter2"),
    ],
)
def test_redact_masks_credentials(line, secret):
    assert secret not in redact(line)
    assert "***" in redact(line)


def test_redact_leaves_ordinary_lines_alone():
    line = "page failed: http://127.0.0.1/search?page=1: HTTP 401 (authorization required)"
    assert redact(line) == line
