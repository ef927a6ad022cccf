"""The Wilson Center Digital Archive's URL grammar (see ``shared/docs/wilson-site.md``).

Current site: ``/search?search_api_fulltext=Q&f[0]=people:81716&fo[0]=81716&sort_bef_combine=...&page=N``
with a zero-based ``page``. Old site: ``/search-results/{page}/{urlencoded JSON}`` with a one-based page
in the path.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from harvester.errors import SpiderArgumentError as WilsonUrlError

DEFAULT_BASE_URL = "https://digitalarchive.wilsoncenter.org"
FACETS = ("people", "places", "topics", "languages")
SORTS = {"uploaded": "created_DESC", "date": "field_document_date_unix_DESC"}
PAGE_SIZE = 10
_OLD_PATH = re.compile(r"^(?P<prefix>.*/search-results/)(?P<page>\d+)(?P<rest>/.*)?$")
_ID = re.compile(r"^\d+$")


def parse_ids(value: str | None, facet: str) -> list[str]:
    """``"81716, 85925"`` → ``["81716", "85925"]``; anything but comma-separated numbers is an error."""
    if value is None or not value.strip():
        return []
    ids = [part.strip() for part in value.split(",") if part.strip()]
    bad = [i for i in ids if not _ID.match(i)]
    if bad:
        raise WilsonUrlError(f"{facet}: facet ids are numbers (node ids), got {', '.join(map(repr, bad))}")
    return ids


def search_url(
    base_url: str = DEFAULT_BASE_URL,
    *,
    query: str | None = None,
    facets: dict[str, list[str]] | None = None,
    sort: str | None = None,
) -> str:
    """The first results page of a search, in the site's own parameter order."""
    params: list[tuple[str, str]] = [("search_api_fulltext", query or "")]
    index = 0
    for facet in FACETS:
        for node_id in (facets or {}).get(facet, []):
            params.append((f"f[{index}]", f"{facet}:{node_id}"))
            index += 1
    for index, node_id in enumerate(i for f in FACETS for i in (facets or {}).get(f, [])):
        params.append((f"fo[{index}]", node_id))
    if sort is not None:
        if sort not in SORTS:
            raise WilsonUrlError(f"sort must be one of {', '.join(SORTS)}, got {sort!r}")
        params.append(("sort_bef_combine", SORTS[sort]))
    return f"{base_url.rstrip('/')}/search?{urlencode(params, quote_via=quote)}"


def is_old_search(url: str) -> bool:
    return bool(_OLD_PATH.match(urlsplit(url).path))


def page_number(url: str) -> int:
    """The page a search URL shows: zero-based for ``/search`` (absent = 0), one-based for the old site."""
    parts = urlsplit(url)
    old = _OLD_PATH.match(parts.path)
    if old:
        return int(old.group("page"))
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key == "page" and value.isdigit():
            return int(value)
    return 0


def with_page(url: str, page: int) -> str:
    """The same search on another page; every other parameter is kept byte for byte."""
    parts = urlsplit(url)
    old = _OLD_PATH.match(parts.path)
    if old:
        path = f"{old.group('prefix')}{page}{old.group('rest') or ''}"
        return urlunsplit(parts._replace(path=path))
    kept = [p for p in parts.query.split("&") if p and not p.startswith("page=")] if parts.query else []
    return urlunsplit(parts._replace(query="&".join([*kept, f"page={page}"])))


def first_page(url: str) -> int:
    return 1 if is_old_search(url) else 0


def validate_start_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WilsonUrlError(f"start_url must be an http(s) URL with a host, got {url!r}")
    return url.strip()
