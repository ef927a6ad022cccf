"""A profile, frozen: its parameters, URL templates, pagination, selectors (compiled) and rules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from lxml import etree

STANDARD_FIELDS = ("url", "title", "date", "summary", "node_id")


PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")


@dataclass(frozen=True, slots=True)
class Extractor:
    """One selector and how to turn its matches into text (see docs/profiles.md, "Fields")."""

    key: str  # the key path in the profile, for messages
    kind: str  # "css" | "xpath"
    expr: str
    xpath: etree.XPath = field(compare=False, repr=False)
    attr: str | None = None
    all: bool = False
    join: str = " "
    keep: re.Pattern[str] | None = None
    drop: re.Pattern[str] | None = None
    regex: re.Pattern[str] | None = None


@dataclass(frozen=True, slots=True)
class Field:
    """A field: its extractors, tried in order; the first non-empty value wins."""

    name: str
    alternatives: tuple[Extractor, ...]


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: str = "text"  # text | int | enum | ids
    help: str = ""
    required: bool = False
    default: Any = None
    pattern: re.Pattern[str] | None = None
    choices: tuple[tuple[str, str], ...] = ()  # enum: (value, what goes into the URL)
    separator: str = ","
    minimum: int | None = None
    maximum: int | None = None
    encode: str = "plain"  # plain | json

    def validate(self, value: Any, profile_name: str = "") -> Any:
        """The value as the URL uses it (``None`` when absent); raise ``ValueError`` with a clear message."""
        where = f"profile {profile_name}: " if profile_name else ""
        if value is None:
            return None
        if self.type == "ids":
            items = value if isinstance(value, list) else str(value).split(self.separator)
            ids = [str(i).strip() for i in items if str(i).strip()]
            pattern = self.pattern or re.compile(r"\d+")
            bad = [i for i in ids if not pattern.fullmatch(i)]
            if bad:
                raise ValueError(
                    f"{where}{self.name}: expected ids separated by {self.separator!r}, each matching "
                    f"{pattern.pattern}, got {', '.join(map(repr, bad))}"
                )
            return ids
        text = str(value).strip() if self.type != "text" else str(value)
        if self.type == "int":
            if text == "":
                return None
            if not re.fullmatch(r"[+-]?\d+", text):
                raise ValueError(f"{where}{self.name}: expected a whole number, got {value!r}")
            number = int(text)
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise ValueError(
                    f"{where}{self.name}: {number} is outside {self.minimum if self.minimum is not None else '-∞'}"
                    f"..{self.maximum if self.maximum is not None else '∞'}"
                )
            return str(number)
        if self.type == "enum":
            if text == "":
                return None
            for choice, url_value in self.choices:
                if text == choice:
                    return url_value
            raise ValueError(
                f"{where}{self.name} must be one of {', '.join(c for c, _ in self.choices)}, got {value!r}"
            )
        if self.pattern is not None and not self.pattern.fullmatch(text):
            raise ValueError(f"{where}{self.name}: {value!r} does not match {self.pattern.pattern!r}")
        return text


@dataclass(frozen=True, slots=True)
class QueryPart:
    key: str
    value: str
    keep_empty: bool = False
    counter: str | None = None


@dataclass(frozen=True, slots=True)
class Start:
    url: str
    base_url: str | None = None
    base_url_setting: str | None = None
    query: tuple[QueryPart, ...] = ()


@dataclass(frozen=True, slots=True)
class Count:
    regex: re.Pattern[str]
    nodes: Extractor  # text nodes that know their parents: a header split over several elements is read around them
    max_length: int = 120
    #: The same nodes' text as plain strings, for the first look: a smart string costs over a microsecond to make,
    #: and a page's header is almost always one of them as it is (parsing/profile.read_counts).
    texts: etree.XPath | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Pagination:
    param: str = "page"
    path: re.Pattern[str] | None = None
    first: int = 0
    size: int = 10
    next: Field | None = None
    count: Count | None = None


@dataclass(frozen=True, slots=True)
class IdRule:
    source: str  # "url" or a field name
    pattern: re.Pattern[str]
    template: str = "{key}"


@dataclass(frozen=True, slots=True)
class NotAListing:
    markers: tuple[Extractor, ...]
    min_markers: int = 1
    what: str = "not a listing"


@dataclass(frozen=True, slots=True)
class PillList:
    """A ``[details.lists]`` entry: the pill elements, and each one's name and link (relative to the pill)."""

    items: Extractor
    name: Extractor
    url: Extractor


@dataclass(frozen=True, slots=True)
class Details:
    """A profile's ``[details]``: what makes a page a document page, and where its fields and pill lists are."""

    markers: tuple[Extractor, ...]
    min_markers: int
    fields: tuple[Field, ...]  # names from harvester.model.DOCUMENT_TEXT_FIELDS
    lists: tuple[tuple[str, PillList], ...]  # names from harvester.model.DOCUMENT_LISTS
    what: str = "a document page"


@dataclass(frozen=True, slots=True)
class Empty:
    regex: re.Pattern[str]
    scope: Extractor | None = None


@dataclass(frozen=True, slots=True)
class Dates:
    languages: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Profile:
    """A validated site profile with its selectors compiled."""

    source: str  # the file it was read from
    name: str
    title: str
    description: str
    layout: str
    start: Start
    params: tuple[Param, ...]
    pagination: Pagination
    blocks: Extractor
    fields: tuple[Field, ...]  # the standard fields that are declared, in STANDARD_FIELDS order
    extras: tuple[Field, ...]
    dates: Dates
    ids: tuple[IdRule, ...]
    not_a_listing: NotAListing | None
    empty: Empty | None
    politeness: tuple[tuple[str, Any], ...]
    titles: str = "none"  # [normalize] titles: "archival" (title grammar, person registry) or "none"
    details: Details | None = None  # [details]: the results' document pages, for --details

    @property
    def label(self) -> str:
        """How messages name the profile: its file's stem (``wilson-old``), else its name."""
        stem = Path(self.source).stem if self.source and not self.source.startswith("<") else ""
        return stem or self.name

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def settings(self) -> dict[str, Any]:
        """The Scrapy settings the profile asks for (applied below ``-s`` on the command line)."""
        return dict(self.politeness)

    # --- URLs ---------------------------------------------------------------------------------------------

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Validate user values (strings from the command line) against the declared parameters.

        Raises ``ValueError`` naming the parameter; unknown names are an error too.
        """
        unknown = sorted(set(given) - set(self.param_names))
        if unknown:
            declared = ", ".join(self.param_names) or "none"
            raise ValueError(f"profile {self.label}: unknown parameter {', '.join(unknown)} (declared: {declared})")
        values: dict[str, Any] = {}
        for param in self.params:
            value = param.validate(given.get(param.name), self.label)
            if value is None or value == []:
                value = param.validate(param.default, self.label) if param.default is not None else value
            if param.required and (value is None or value == [] or value == ""):
                help_ = f" ({param.help})" if param.help else ""
                raise ValueError(f"profile {self.label}: parameter {param.name} is required{help_}")
            values[param.name] = value
        return values

    def build_url(self, values: Mapping[str, Any], base_url: str | None = None) -> str:
        """The first page's URL from validated parameter values (see :meth:`resolve_params`)."""
        base = (base_url or self.start.base_url or "").rstrip("/")
        path_values = {"base_url": base, "page": str(self.pagination.first)}
        url = _render(
            self.start.url,
            lambda name: path_values[name] if name in path_values else _quoted(self, name, values.get(name)),
        )
        pairs: list[tuple[str, str]] = []
        counters: dict[str, int] = {}
        for part in self.start.query:
            for item in _expand(self, part, values):
                index = counters.get(part.counter, 0) if part.counter else 0
                lookup = {**item, "n": str(index)}
                pairs.append((_render(part.key, lookup.__getitem__), _render(part.value, lookup.__getitem__)))
                if part.counter:
                    counters[part.counter] = index + 1
        if pairs:
            url += ("&" if "?" in url else "?") + urlencode(pairs, quote_via=quote)
        return url

    def page_number(self, url: str) -> int | None:
        """The page number a URL shows, or ``None`` when it shows none."""
        parts = urlsplit(url)
        if self.pagination.path is not None:
            match = self.pagination.path.search(parts.path)
            return int(match.group("page")) if match else None
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == self.pagination.param and value.isdigit():
                return int(value)
        return None

    def with_page(self, url: str, page: int) -> str:
        """The same listing on another page; everything else in the URL is kept byte for byte."""
        parts = urlsplit(url)
        if self.pagination.path is not None:
            match = self.pagination.path.search(parts.path)
            if match is None:
                raise ValueError(
                    f"profile {self.label}: {url} has no page number matching {self.pagination.path.pattern!r}"
                )
            start, end = match.span("page")
            return urlunsplit(parts._replace(path=f"{parts.path[:start]}{page}{parts.path[end:]}"))
        prefix = f"{self.pagination.param}="
        kept = [p for p in parts.query.split("&") if p and not p.startswith(prefix)] if parts.query else []
        return urlunsplit(parts._replace(query="&".join([*kept, f"{prefix}{page}"])))

    # --- ids ----------------------------------------------------------------------------------------------

    def record_key(self, values: Mapping[str, str | None]) -> str | None:
        """The key of a record's id (``<source>:<key>``) by the first id rule that matches, else ``None``."""
        for rule in self.ids:
            value = values.get(rule.source)
            if not value:
                continue
            match = rule.pattern.search(value)
            if match:
                groups = {k: v or "" for k, v in match.groupdict().items()}
                return _render(rule.template, groups.__getitem__)
        return None


def _expand(profile: Profile, part: QueryPart, values: Mapping[str, Any]) -> Iterator[dict[str, str]]:
    names = [n for n in placeholders(part.key) + placeholders(part.value) if n != "n"]
    lists = [n for n in names if isinstance(values.get(n), list)]
    scalars = {n: values.get(n) for n in names if n not in lists}
    if any(v is None for v in scalars.values()):
        if not part.keep_empty:
            return
        scalars = {n: "" if v is None else v for n, v in scalars.items()}
    encoded = {n: _encoded(profile, n, v) for n, v in scalars.items()}
    if not lists:
        yield encoded
        return
    for item in values[lists[0]]:
        yield {**encoded, lists[0]: _encoded(profile, lists[0], item)}


def _encoded(profile: Profile, name: str, value: Any) -> str:
    param = profile.param(name)
    if param is not None and param.encode == "json":
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _quoted(profile: Profile, name: str, value: Any) -> str:
    if value is None:
        return ""
    return quote(_encoded(profile, name, value), safe="")


def placeholders(template: str) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(template) if m.group(1)]


def _render(template: str, lookup: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        literal = match.group(0)
        if literal == "{{":
            return "{"
        if literal == "}}":
            return "}"
        return lookup(match.group(1))

    return PLACEHOLDER.sub(replace, template)
