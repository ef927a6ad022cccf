"""Site profiles: loading and validation, URL building, the generic parser on the Wilson replica and a real
WordPress page, and the generic spider's arguments and settings (no network here: see test_profiles_e2e.py)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from urllib.parse import quote

import pytest
from parsel import Selector
from scrapy.crawler import Crawler
from scrapy.settings import Settings

from harvester import cli
from harvester.crawl.spider import SpiderArgumentError
from harvester.crawl.spiders.profile import ProfileSpider
from harvester.normalize.dates import date_from_formats
from harvester.parsing import ChallengePageError, Counts, NotAListingError, RawBlock
from harvester.parsing.files import decode, parse_listing
from harvester.parsing.profile import parse_with_profile
from harvester.profiles import (
    ProfileError,
    find_profile,
    load_profile,
    packaged_profiles,
    profile_from_data,
)
from harvester.records import build_record, raw_item
from tests.support.paths import DOCUMENT_PAGES, FIXTURES, REALWORLD, WILSON_SITE, shared_file

BASE = "https://digitalarchive.wilsoncenter.org/search"
WILSON_SEARCH = f"{BASE}?search_api_fulltext="
EXPECTED = sorted((WILSON_SITE / "expected").glob("*.json"))
NWHEAP = FIXTURES / "nwheap"
NWHEAP_EXPECTED = json.loads((NWHEAP / "expected.json").read_text(encoding="utf-8"))
WILSON = load_profile("wilson")
WILSON_OLD = load_profile("wilson-old")


def page_for(expected: Path) -> Path:
    pages = (WILSON_SITE / f"{expected.stem}{suffix}" for suffix in (".html", ".txt"))
    return next(page for page in pages if page.exists())


def profile_for_layout(layout: str):
    return {"wilson-table": WILSON, "wilson-old-list": WILSON_OLD}.get(layout)


def as_dicts(blocks: list[RawBlock]) -> list[dict]:
    keys = ("position", "url", "node_id", "date_text", "title", "summary")
    return [{k: getattr(b, k) for k in keys} for b in blocks]


# --- the packaged profiles ----------------------------------------------------------------------------------


def test_every_packaged_profile_loads():
    assert {"wilson", "wilson-old", "nwheap"} <= set(packaged_profiles())
    for name in packaged_profiles():
        profile = load_profile(name)
        assert profile.fields, name


def test_profiles_are_frozen_and_cached():
    assert load_profile("wilson") is WILSON
    with pytest.raises(AttributeError):
        WILSON.name = "other"  # type: ignore[misc]


def test_find_profile_by_name_file_name_and_path(tmp_path):
    assert find_profile("wilson") == find_profile("wilson.toml") == packaged_profiles()["wilson"]
    copy = tmp_path / "mine.toml"
    copy.write_bytes(packaged_profiles()["nwheap"].read_bytes())
    assert find_profile(str(copy)) == copy
    with pytest.raises(ProfileError, match=r"no-such-site: no such profile file.*packaged: .*wilson"):
        find_profile("no-such-site")


# --- the Wilson profiles give exactly the hand-written expectations -----------------------------------------


@pytest.mark.parametrize("expected_file", EXPECTED, ids=lambda p: p.stem)
def test_wilson_profile_parses_every_fixture_page_as_expected(expected_file):
    expected = json.loads(expected_file.read_text(encoding="utf-8"))
    text = decode(page_for(expected_file).read_bytes())
    profile = profile_for_layout(expected["layout"])
    if profile is None:  # a text rendering (seed page): no markup, so no profile reads it; the text parser does
        assert expected["layout"].startswith("text-")
        with pytest.raises(NotAListingError, match="not a search listing of wilson"):
            parse_with_profile(Selector(text=text), WILSON, None)
        return
    page = parse_with_profile(Selector(text=text), profile, None)
    assert page.layout == expected["layout"]
    assert page.counts == (Counts(**expected["counts"]) if expected["counts"] else None)
    assert as_dicts(page.blocks) == expected["blocks"]
    for block in page.blocks:
        assert "" not in (block.url, block.date_text, block.title, block.summary)


@pytest.mark.parametrize("name", sorted(p.name for p in WILSON_SITE.glob("*.html")))
def test_wilson_profile_agrees_with_the_hand_written_parser(name):
    text = (WILSON_SITE / name).read_text(encoding="utf-8")
    profile = WILSON_OLD if name.startswith("old-") else WILSON

    def outcome(parse):
        try:
            page = parse()
        except (ChallengePageError, NotAListingError) as error:
            return type(error)
        return page.layout, page.counts, as_dicts(page.blocks)

    assert outcome(lambda: parse_with_profile(Selector(text=text), profile, BASE)) == outcome(
        lambda: parse_listing(text, BASE)
    )


def test_links_become_absolute_and_menu_links_are_not_results():
    html = (WILSON_SITE / "search-mao-zedong-page-0.html").read_text(encoding="utf-8")
    selector = Selector(text=html)
    page = parse_with_profile(selector, WILSON, BASE)
    assert all(b.url.startswith("https://digitalarchive.wilsoncenter.org/document/") for b in page.blocks)
    menu = {BASE.rsplit("/", 1)[0] + h for h in selector.css("header a::attr(href), nav a::attr(href)").getall()}
    assert not menu & {b.url for b in page.blocks}


def test_challenge_page_raises():
    html = (WILSON_SITE / "challenge-cloudflare.html").read_text(encoding="utf-8")
    for profile in (WILSON, WILSON_OLD, load_profile("nwheap")):
        with pytest.raises(ChallengePageError, match="challenge"):
            parse_with_profile(Selector(text=html), profile, BASE)


@pytest.mark.parametrize("name", DOCUMENT_PAGES)
def test_document_page_is_not_a_listing(name):
    html = (WILSON_SITE / name).read_text(encoding="utf-8")
    with pytest.raises(NotAListingError, match="this is a document page"):
        parse_with_profile(Selector(text=html), WILSON, BASE)


def test_empty_listing_is_a_listing_with_no_blocks():
    html = (WILSON_SITE / "search-empty.html").read_text(encoding="utf-8")
    for profile in (WILSON, WILSON_OLD):  # past the old site's last page the replica serves this page too
        page = parse_with_profile(Selector(text=html), profile, BASE)
        assert (page.blocks, page.counts) == ([], None)


@pytest.mark.parametrize(
    "html",
    [
        "<html><head><title>Page not found</title></head><body><h1>Page not found</h1></body></html>",
        "<html><body><main><p>Welcome to our archive.</p><a href='/document/x'>A document</a></main></body></html>",
        "<html><body></body></html>",
        # "no results" inside the header chrome does not make an empty listing
        "<html><body><header><p>No results? Try again</p></header><main><p>Welcome</p></main></body></html>",
    ],
)
def test_other_pages_are_not_listings(html):
    with pytest.raises(NotAListingError, match="not a search listing of wilson"):
        parse_with_profile(Selector(text=html), WILSON, BASE)


DOCUMENT_MAIN = REALWORLD / "wilson" / "document-main"


@pytest.mark.parametrize("name", sorted(p.name for p in DOCUMENT_MAIN.glob("*.html")))
def test_real_document_markup_agrees_with_the_hand_written_parser(name):
    """The <main> of real document pages: not listings; their real "Related Documents" rows, put in a results
    page, parse exactly as the hand-written parser reads them."""
    main = shared_file("realworld", "wilson", "document-main", name).read_text(encoding="utf-8")
    with pytest.raises(NotAListingError, match="document page"):
        parse_with_profile(Selector(text=f"<html><body>{main}</body></html>"), WILSON, BASE)
    tables = Selector(text=main).css("table.table-striped").getall()
    if not tables:
        return
    rows = len(Selector(text=tables[0]).css("tr"))
    page = (
        "<html><head><title>Search</title></head><body><header><nav><a href='/document/x'>F</a></nav></header>"
        f"<main><div>1 - {rows} of {rows}</div>{tables[0]}</main></body></html>"
    )
    mine = parse_with_profile(Selector(text=page), WILSON, BASE)
    assert mine.counts == Counts(1, rows, rows)
    assert len(mine.blocks) == rows
    assert all(block.url and block.url.startswith("https://digitalarchive.wilsoncenter.org/") for block in mine.blocks)


# --- a second site from a profile alone: a real WordPress category page ------------------------------------


def test_nwheap_fixture_is_the_real_page_byte_for_byte():
    import hashlib

    digest = hashlib.sha256((NWHEAP / "chi_northwest_home_equity.html").read_bytes()).hexdigest()
    assert digest == "4762192645d343d11c4602a2772d09466c75858b204355be7865e10c21c375d6"
    assert "4762192645d343d1" in (REALWORLD / "city-scrapers" / "SOURCES.md").read_text(encoding="utf-8")


def test_nwheap_page_parses_as_annotated():
    expected = NWHEAP_EXPECTED
    profile = load_profile("nwheap")
    html = (NWHEAP / expected["page"]).read_text(encoding="utf-8")
    page = parse_with_profile(Selector(text=html), profile, expected["url"])
    assert page.layout == expected["layout"]
    assert page.counts is None
    assert page.next_url == expected["next_url"]
    got = []
    for block in page.blocks:
        record = build_record(
            raw_item(block, source="nwheap", listing_url=expected["url"], page=None, profile=profile), crawled_at=None
        )
        extra = dict(block.extra)
        got.append(
            {
                "position": block.position,
                "url": block.url,
                "node_id": block.node_id,
                "date_text": block.date_text,
                "date": record["date"],
                "title": block.title,
                "summary": block.summary,
                "extra": {k: extra[k] for k in ("meeting_date", "categories")},
            }
        )
        assert record["date_precision"] == "day"
        assert extra["published"].startswith(record["date"])  # the <time datetime> agrees with the text
    assert got == expected["blocks"]


def test_nwheap_single_post_page_is_not_a_listing():
    html = shared_file("realworld", "city-scrapers", "chi_northwest_home_equity", "1.html").read_text(encoding="utf-8")
    with pytest.raises(NotAListingError, match="single post or event page"):
        parse_with_profile(Selector(text=html), load_profile("nwheap"), "https://nwheap.com/events/x/")


def test_nwheap_empty_archive_is_a_listing_with_no_blocks():
    html = (
        "<html><head><title>Category – NWHEAP</title></head><body class='archive category'><main id='main'>"
        "<section class='no-results not-found'><h1 class='page-title'>Nothing Found</h1></section></main></body></html>"
    )
    page = parse_with_profile(Selector(text=html), load_profile("nwheap"), "https://nwheap.com/category/x/")
    assert (page.blocks, page.next_url) == ([], None)


# --- URLs and parameters -----------------------------------------------------------------------------------


# Expected URLs as shared/docs/wilson-site.md gives the grammar: the text, each facet (f[i]), the facets again
# (fo[i]), the sort; percent-encoded as the site's own links are.
@pytest.mark.parametrize(
    ("given", "url"),
    [
        ({"query": "mao zedong"}, "W=mao%20zedong"),
        ({"people": "81716"}, "W=&f%5B0%5D=people%3A81716&fo%5B0%5D=81716"),
        ({"people": "81716", "sort": "date"},
         "W=&f%5B0%5D=people%3A81716&fo%5B0%5D=81716&sort_bef_combine=field_document_date_unix_DESC"),
        ({"query": "Mongolia--Foreign relations--Soviet Union", "places": "86050"},
         "W=Mongolia--Foreign%20relations--Soviet%20Union&f%5B0%5D=places%3A86050&fo%5B0%5D=86050"),
        ({"query": "a&b=c/d", "people": "1,2", "topics": "3", "languages": "4", "sort": "uploaded"},
         "W=a%26b%3Dc%2Fd&f%5B0%5D=people%3A1&f%5B1%5D=people%3A2&f%5B2%5D=topics%3A3&f%5B3%5D=languages%3A4"
         "&fo%5B0%5D=1&fo%5B1%5D=2&fo%5B2%5D=3&fo%5B3%5D=4&sort_bef_combine=created_DESC"),
    ],
)
def test_wilson_profile_builds_the_sites_search_urls(given, url):
    assert WILSON.build_url(WILSON.resolve_params(given)) == url.replace("W=", WILSON_SEARCH, 1)


def test_wilson_paging_keeps_every_other_parameter():
    assert WILSON.with_page(f"{BASE}?search_api_fulltext=x", 2) == f"{BASE}?search_api_fulltext=x&page=2"
    assert WILSON.page_number(f"{BASE}?search_api_fulltext=x") is None  # page 0, the first
    paged = f"{BASE}?search_api_fulltext=x&page=3&f%5B0%5D=people%3A1"
    assert WILSON.with_page(paged, 2) == f"{BASE}?search_api_fulltext=x&f%5B0%5D=people%3A1&page=2"
    assert WILSON.page_number(paged) == 3
    old = load_profile("wilson-old").build_url({"query": "zedong"}, "http://127.0.0.1:1")
    manifest = tomllib.loads((WILSON_SITE / "site.toml").read_text(encoding="utf-8"))
    filter_ = json.loads(manifest["old_listing"][0]["filter"])
    encoded = quote(json.dumps(filter_, separators=(",", ":")), safe="")
    assert old == f"http://127.0.0.1:1/search-results/1/{encoded}"
    assert WILSON_OLD.page_number(old) == 1
    assert WILSON_OLD.with_page(old, 2) == f"http://127.0.0.1:1/search-results/2/{encoded}"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"bogus": "1"}, "unknown parameter bogus"),
        ({"people": "81716, mao"}, r"people: expected ids .*'mao'"),
        ({"sort": "newest"}, "sort must be one of uploaded, date"),
        ({"items_per_page": "ten"}, "items_per_page: expected a whole number"),
        ({"items_per_page": "0"}, "outside 1"),
    ],
)
def test_bad_parameters_are_refused(given, message):
    with pytest.raises(ValueError, match=message):
        WILSON.resolve_params(given)


def test_required_parameter():
    with pytest.raises(ValueError, match="parameter query is required"):
        WILSON_OLD.resolve_params({})


# --- validation: the file, the key path and what is wrong ---------------------------------------------------

MINIMAL = {
    "format": 1,
    "name": "site",
    "start": {"url": "https://example.org/list?q={q}", "query": []},
    "params": {"q": {}},
    "blocks": {"css": "li.result"},
    "fields": {"title": "h3", "url": {"css": "a", "attr": "href"}},
}


def with_(change: dict) -> dict:
    data = json.loads(json.dumps(MINIMAL))
    for path, value in change.items():
        node = data
        *parents, last = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def test_minimal_profile_is_valid():
    profile = profile_from_data(MINIMAL, "site.toml")
    assert profile.layout == "profile:site"
    assert profile.build_url(profile.resolve_params({"q": "a b"})) == "https://example.org/list?q=a%20b"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fields.titel": "h3"}, r"fields: unknown key 'titel' \(known: date, extra, node_id, summary, title, url\)"),
        ({"name": "Bad Name"}, r"name: 'Bad Name' does not match"),
        ({"format": 2}, "format: 1 was expected"),
        ({"blocks": None}, "'blocks' is missing"),
        ({"fields.title": "h3[", "fields.url": None}, r"fields\.title: not a valid CSS selector"),
        ({"fields.title": {"xpath": "//h3["}}, r"fields\.title\.xpath: not a valid XPath expression"),
        ({"fields.title": {"css": "h3", "xpath": "//h3"}}, r"fields\.title: give exactly one of css or xpath"),
        ({"fields.title": ["h3", {"css": "h4", "keep": "(x"}]}, r"fields\.title\[1\]\.keep: not a valid regular"),
        ({"fields.title": {"css": "h3", "colour": "red"}}, r"fields\.title: unknown key 'colour'"),
        ({"start.url": "https://example.org/list?q={query}"}, r"start\.url: \{query\} is not a declared parameter"),
        ({"start.url": "https://example.org/{q"}, r"start\.url: unbalanced brace"),
        ({"params.other": {"type": "text"}}, r"params\.other: is declared but the start URL .* never uses it"),
        ({"params.q": {"type": "enum"}}, r"params\.q: an enum parameter needs choices"),
        ({"params.q": {"type": "enum", "choices": ["a"], "default": "b"}}, r"params\.q\.default: q must be one of a"),
        ({"params.q": {"type": "ids"}, "start.url": "https://example.org/{q}"}, r"start\.url: \{q\} is a list of ids"),
        ({"params.q": {"type": "int", "pattern": "x"}}, r"params\.q\.pattern: does not apply to a parameter of type"),
        ({"params.page": {}}, r"params\.page: 'page' is reserved"),
        ({"pagination.count": {"regex": r"(\d+) of (\d+)"}}, r"pagination\.count\.regex: the regex needs the named"),
        ({"pagination.path": r"/p/\d+"}, r"pagination\.path: the regex needs the named group\(s\) \(\?P<page>"),
        ({"id": {"pattern": "/x/(?P<slug>.+)"}}, r"id\.pattern: \{key\} needs a named group"),
        ({"id": {"from": "author", "pattern": "(?P<key>.+)"}}, r"id\.from: 'author' is not a declared field"),
        ({"dates": {"formats": ["%d %B"]}}, r"dates\.formats\[0\]: '%d %B' has no year"),
        ({"not_a_listing": {"markers": ["body.single"], "min_markers": 2}}, r"not_a_listing\.min_markers: 2 is more"),
        ({"politeness": {"delay": -1}}, r"politeness\.delay: -1 is less than the minimum of 0"),
        ({"politeness": {"user_agent": "x"}}, r"politeness: unknown key 'user_agent'"),
        ({"fields.extra": {"title": "h4"}}, r"fields\.extra: title: already a record field"),
        ({"start.query": [{"key": "f[{n}]", "value": "{q}"}]}, r"start\.query\[0\]: uses \{n\} but names no counter"),
    ],
)
def test_invalid_profiles_name_file_key_and_problem(change, message):
    with pytest.raises(ProfileError, match=message) as caught:
        profile_from_data(with_(change), "sites/site.toml")
    text = str(caught.value)
    assert text.startswith("sites/site.toml: ")
    assert "\n" not in text


def test_all_problems_are_reported_at_once():
    data = with_({"fields.title": "h3[", "start.url": "https://example.org/?a={a}&q={q}", "blocks": {"xpath": "//li["}})
    with pytest.raises(ProfileError) as caught:
        profile_from_data(data, "x.toml")
    assert str(caught.value).count("x.toml: ") == 3


def test_file_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nformat = 1\n[start\n', encoding="utf-8")
    with pytest.raises(ProfileError, match=r"bad\.toml: not valid TOML"):
        load_profile(bad)
    with pytest.raises(ProfileError, match="is a folder"):
        load_profile(tmp_path)


def test_the_schema_documents_every_key_the_loader_reads():
    schema = json.loads((Path(cli.__file__).parent / "schema" / "profile.schema.json").read_text(encoding="utf-8"))
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    assert set(schema["properties"]) == {
        "format", "name", "title", "description", "layout", "start", "params", "pagination", "blocks", "fields",
        "dates", "normalize", "id", "not_a_listing", "empty", "details", "politeness",
    }  # fmt: skip


# --- dates ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "formats", "iso", "precision"),
    [
        ("8.17.23", ["%m.%d.%y"], "2023-08-17", "day"),
        ("08/1949", ["%m/%Y"], "1949-08", "month"),
        ("Jahr 1950", ["Jahr %Y"], "1950", "year"),
        ("August 15, 2023", ["%d.%m.%Y", "%B %d, %Y"], "2023-08-15", "day"),
    ],
)
def test_date_formats(text, formats, iso, precision):
    date = date_from_formats(text, formats)
    assert (date.iso, date.precision, date.raw) == (iso, precision, text)


def test_date_hints_reach_the_record_and_the_normaliser_still_runs():
    raw = {"source": "s", "url": None, "date_raw": "17.8.1923", "_date_hints": {"formats": ["%d.%m.%Y"]}}
    assert build_record(raw, crawled_at=None)["date"] == "1923-08-17"
    raw = {"source": "s", "url": None, "date_raw": "August 1949", "_date_hints": {"formats": ["%d.%m.%Y"]}}
    record = build_record(raw, crawled_at=None)
    assert (record["date"], record["date_precision"]) == ("1949-08", "month")
    assert "_date_hints" not in record


# --- the generic spider -------------------------------------------------------------------------------------


def test_spider_arguments():
    spider = ProfileSpider(profile="wilson", query="mao zedong")
    assert spider.name == "wilson"  # records' source
    assert spider.start_url == "https://digitalarchive.wilsoncenter.org/search?search_api_fulltext=mao%20zedong"
    assert ProfileSpider(profile="nwheap", base_url="http://127.0.0.1:9").start_url == (
        "http://127.0.0.1:9/category/meet-minutes-and-agendas/"
    )
    with pytest.raises(SpiderArgumentError, match=r"profile wilson: unknown parameter colour \(declared: query"):
        ProfileSpider(profile="wilson", colour="red")
    with pytest.raises(SpiderArgumentError, match="start_url excludes the profile's parameters"):
        ProfileSpider(profile="wilson", query="x", start_url="http://127.0.0.1:9/search")
    with pytest.raises(SpiderArgumentError, match="profile: give a profile file"):
        ProfileSpider()
    with pytest.raises(SpiderArgumentError, match="people: expected ids"):
        ProfileSpider(profile="wilson", people="mao")
    with pytest.raises(SpiderArgumentError, match="max_pages must be a positive whole number"):
        ProfileSpider(profile="wilson", max_pages="0")


def test_spider_items_carry_the_profile_id_date_hints_title_mode_and_extras():
    spider = ProfileSpider(profile="nwheap")
    url = "https://nwheap.com/2023/08/15/august-17/"
    block = RawBlock(1, url, "August 15, 2023", "T", None, "1275", (("author", "A"),))
    item = raw_item(block, source="nwheap", listing_url=None, page=0, profile=spider.profile_for(url))
    assert item["id"] == "nwheap:august-17"
    assert item["read"] == {"titles": "none", "date_languages": ["en"], "date_formats": ["%B %d, %Y"]}
    assert item["extra"] == {"author": "A"}
    record = build_record(item, crawled_at=None)
    assert record["extra"] == {"author": "A"}  # delivered, not dropped
    assert (record["doc_type"], record["people"]) == (None, [])  # a meeting post is not an archival title
    wilson = ProfileSpider(profile="wilson")
    assert wilson.profile.titles == "archival"
    expected = {"https://h/document/slug": "wilson:slug", "https://h/node/12": "wilson:node-12",
                "https://h/document/slug?lang=en": "wilson:slug", None: None}  # fmt: skip
    for url, wanted in expected.items():
        item = raw_item(RawBlock(1, url, None, None, None), source="wilson", listing_url=None, page=0,
                        profile=wilson.profile)
        assert item["id"] == wanted


def test_next_links_to_the_profile_host_stay_on_the_crawled_host():
    spider = ProfileSpider(profile="nwheap", start_url="http://127.0.0.1:9/category/meet-minutes-and-agendas/")
    assert spider._on_crawled_host("https://nwheap.com/category/x/page/2/") == "http://127.0.0.1:9/category/x/page/2/"
    assert spider._on_crawled_host("https://other.org/page/2/") == "https://other.org/page/2/"
    real = ProfileSpider(profile="nwheap")
    assert real._on_crawled_host("https://nwheap.com/category/x/page/2/") == "https://nwheap.com/category/x/page/2/"


def _crawler(cmdline: dict) -> Crawler:
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    for name, value in cmdline.items():
        settings.set(name, value, priority="cmdline")
    return Crawler(ProfileSpider, settings)


def test_politeness_becomes_settings_but_the_command_line_wins():
    crawler = _crawler({"DOWNLOAD_DELAY": 0})
    spider = ProfileSpider.from_crawler(crawler, profile="nwheap")
    assert spider.name == "nwheap"
    assert crawler.settings.getfloat("DOWNLOAD_DELAY") == 0  # -s wins
    assert crawler.settings.getpriority("AUTOTHROTTLE_ENABLED") == 30  # "spider" priority, from the profile
    assert crawler.settings.getbool("ROBOTSTXT_OBEY") is True
    assert crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1


def test_base_url_setting_is_honoured():
    crawler = _crawler({"WILSON_BASE_URL": "http://127.0.0.1:9"})
    spider = ProfileSpider.from_crawler(crawler, profile="wilson", query="x")
    assert spider.start_url == "http://127.0.0.1:9/search?search_api_fulltext=x"


# --- the command line (fails before any crawl) ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["crawl"], "give a spider (wilson) or --profile FILE.toml"),
        (["crawl", "--param", "query=x"], "--param needs --profile"),
        (["crawl", "wilson", "--profile", "wilson"], "give a spider (wilson) or --profile, not both"),
        (["crawl", "--profile", "no-such-site.toml"], "no-such-site.toml: no such profile file"),
        (["crawl", "--profile", "wilson", "--param", "colour=red"], "unknown parameter colour"),
        (["crawl", "--profile", "wilson", "--param", "query"], "--param expects NAME=VALUE"),
        (["crawl", "--profile", "wilson-old"], "parameter query is required"),
    ],
)
def test_cli_usage_errors(argv, message, capsys):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_cli_parse_with_a_profile(capsys):
    page = str(NWHEAP / "chi_northwest_home_equity.html")
    assert cli.main(["parse", "--profile", "nwheap", page, "--base-url", NWHEAP_EXPECTED["url"]]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["source"], r["title"], r["date"]) for r in records] == [
        ("nwheap", b["title"], b["date"]) for b in NWHEAP_EXPECTED["blocks"]
    ]
    assert records[0]["id"] == "nwheap:august-17-2023-meeting-minutes-and-agenda"
    assert cli.main(["parse", "--profile", "nwheap", str(WILSON_SITE / "search-mao-zedong-page-0.html")]) == 2
    assert "not a search listing of nwheap" in capsys.readouterr().err


def test_wilson_start_url_with_items_per_page_sets_the_page_size():
    """Positions and the last-page rule need the page size when a page shows no count header."""
    from scrapy.utils.test import get_crawler

    from harvester.crawl.spiders.wilson import WilsonSpider

    url = "http://127.0.0.1:9/search?search_api_fulltext=x"
    hundred = WilsonSpider.from_crawler(get_crawler(WilsonSpider), start_url=f"{url}&items_per_page=100")
    assert hundred.page_size == 100
    assert WilsonSpider.from_crawler(get_crawler(WilsonSpider), start_url=url).page_size == 10
    assert WilsonSpider.from_crawler(get_crawler(WilsonSpider), start_url=f"{url}&items_per_page=abc").page_size == 10


def test_xpath_may_use_exslt_regular_expressions_and_has_class():
    # regexp functions are set up only for expressions that name them (a fifth of a short expression's cost)
    from parsel import Selector

    from harvester.parsing.profile import parse_with_profile

    data = with_({"blocks": {"xpath": "//li[re:test(@class, '^res')]"},
                  "fields.title": {"xpath": "./h3[has-class('t')]"}})  # fmt: skip
    profile = profile_from_data(data, "site.toml")
    page = Selector(text='<ul><li class="result"><h3 class="t">One</h3><a href="/1">x</a></li><li class="other">'
                         '<h3 class="t">Two</h3></li></ul>')  # fmt: skip
    listing = parse_with_profile(page, profile, "https://example.org/list")
    assert [(b.title, b.url) for b in listing.blocks] == [("One", "https://example.org/1")]


@pytest.mark.parametrize("name", ["wilson", "wilson-old"])
def test_the_count_is_read_alike_from_plain_text_first(name):
    # read_counts looks in the nodes' plain text first; it must give what the full look over nodes that know
    # their parents gives, on every saved listing (the repository's and the real-world pages)
    from parsel import Selector

    from harvester.parsing.counts import find_counts
    from harvester.parsing.profile import read_counts
    from tests.support.paths import FIXTURES, REALWORLD

    count = load_profile(name).pagination.count
    pages = sorted(FIXTURES.rglob("*.html")) + (sorted(REALWORLD.rglob("*.html")) if REALWORLD.is_dir() else [])
    seen = 0
    for path in pages:
        root = Selector(text=path.read_text(encoding="utf-8", errors="replace")).root
        expected = find_counts(count.nodes.xpath(root), count.regex, count.max_length)
        assert read_counts(root, count) == expected, path
        seen += expected is not None
    assert seen  # some pages have a header
