"""Records a page declares about itself: schema.org ``Event``, ``Article`` (and its kinds) and the items of an
``ItemList``, in JSON-LD or microdata, read with extruct. Auto mode prefers them to its own heuristics when the
page declares a listing (two or more dated records); one declared record is a detail page, not a listing.

Pure: an lxml document in, :class:`AutoBlock` values out.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from harvester.parsing.auto.result import AutoBlock

__all__ = ["DECLARED_TYPES", "declared_blocks"]

#: schema.org types whose instances are results of a listing.
DECLARED_TYPES = frozenset(
    {"Event", "BusinessEvent", "EducationEvent", "SocialEvent", "PublicationEvent", "Article", "NewsArticle",
     "BlogPosting", "Report", "ScholarlyArticle", "CreativeWork", "DigitalDocument", "Legislation"}
)  # fmt: skip
_DATE_KEYS = ("startDate", "datePublished", "dateCreated", "legislationDate", "dateModified")
_TITLE_KEYS = ("name", "headline", "alternativeHeadline")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _type_names(value: Any) -> set[str]:
    values = value if isinstance(value, list) else [value]
    return {str(v).rsplit("/", 1)[-1] for v in values if v}


def _flatten(item: Any) -> list[dict]:
    """Every declared object, microdata (``{"type", "properties"}``) and JSON-LD (``@type``, ``@graph``) alike,
    as a plain dict with a ``@type`` set."""
    out: list[dict] = []
    if isinstance(item, list):
        for x in item:
            out.extend(_flatten(x))
        return out
    if not isinstance(item, dict):
        return out
    if "properties" in item and "type" in item:  # microdata
        props = dict(item["properties"])
        props["@type"] = _type_names(item["type"])
        out.append(props)
        for v in item["properties"].values():
            if isinstance(v, (dict, list)):
                out.extend(_flatten(v))
        return out
    if "@graph" in item:
        out.extend(_flatten(item["@graph"]))
    if "@type" in item:
        props = dict(item)
        props["@type"] = _type_names(item["@type"])
        out.append(props)
    for key, v in item.items():
        if key != "@graph" and isinstance(v, (dict, list)):
            out.extend(_flatten(v))
    return out


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("@value") or value.get("name") or value.get("@id") or value.get("url")
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _iso(value: str | None) -> tuple[str, str] | None:
    m = _ISO.match(value or "")
    if not m:
        return None
    year, month, day = m.groups()
    if day:
        return f"{year}-{month}-{day}", "day"
    return (f"{year}-{month}", "month") if month else (year, "year")


def declared_blocks(document: Any, base_url: str | None) -> list[AutoBlock]:
    """The dated records the page declares, in declaration order, each once (by url, and by title and date)."""
    from extruct.jsonld import JsonLdExtractor
    from extruct.w3cmicrodata import MicrodataExtractor

    items: list[Any] = []
    for extractor in (JsonLdExtractor(), MicrodataExtractor()):
        try:
            items.extend(extractor.extract_items(document, base_url=base_url))
        except Exception:  # noqa: S112 - a malformed declaration is just not read
            continue
    blocks: list[AutoBlock] = []
    seen: set = set()
    for obj in _flatten(items):
        if not obj["@type"] & DECLARED_TYPES:
            continue
        date_raw = next((t for k in _DATE_KEYS if (t := _text(obj.get(k)))), None)
        read = _iso(date_raw)
        title = next((t for k in _TITLE_KEYS if (t := _text(obj.get(k)))), None)
        if read is None or title is None:
            continue
        url = _text(obj.get("url"))
        if url and base_url:
            url = urljoin(base_url, url)
        keys = {(title.casefold(), read[0])} | ({url} if url else set())
        if keys & seen:
            continue  # the same record declared twice (JSON-LD and microdata, a page's main entity)
        seen |= keys
        summary = _text(obj.get("description"))
        kind = sorted(obj["@type"] & DECLARED_TYPES)[0]
        path = f"schema.org {kind}"
        blocks.append(AutoBlock(len(blocks) + 1, url, title, date_raw, summary, read[0], read[1], "text", path))
    return blocks
