"""Declarative site profiles: a listing site in a small TOML file instead of a new spider.

``load_profile("wilson")`` (a packaged profile, ``harvester/data/profiles/wilson.toml``) or
``load_profile("path/to/site.toml")`` reads a profile with :mod:`tomllib`, validates it against
``harvester/schema/profile.schema.json`` and then semantically (selectors and regexes compile, URL templates
use declared parameters only, defaults are valid), and returns a frozen :class:`Profile` whose selectors are
compiled once (lxml ``XPath`` objects; CSS is translated to XPath by parsel's translator, so ``::text`` and
``::attr(name)`` work). Every problem is reported as ``<file>: <key path>: <what is wrong>``.

The format is described in ``docs/profiles.md``; :func:`harvester.parsing.profile.parse_with_profile` reads a
page with a profile and :class:`harvester.crawl.spiders.profile.ProfileSpider` crawls with one.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from lxml import etree
from parsel import css2xpath

from harvester.errors import ProfileError
from harvester.normalize.dates import MONTH_DIRECTIVES, format_precision

__all__ = [
    "Extractor",
    "Field",
    "Param",
    "Profile",
    "ProfileError",
    "date_from_formats",
    "load_profile",
    "load_profile_key",
    "packaged_profiles",
    "profile_key",
]

PROFILE_DIR = "data/profiles"
SCHEMA_FILE = "schema/profile.schema.json"
RESERVED_PARAMS = frozenset(("profile", "start_url", "max_pages", "base_url", "name", "page", "n"))
STANDARD_FIELDS = ("url", "title", "date", "summary", "node_id")
_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}
def catastrophic(pattern: str, flags: int = 0) -> str | None:
    """Why a regex can backtrack exponentially, or None. Profiles are shared files: a pattern such as
    ``^(.*)*x$`` would hang the crawl on the first page (Python's engine backtracks, with no time limit).

    Rejected: a repeat of a repeat where either is unbounded (``(a+)+``, ``(.*)*``, ``(\\w+\\s?)*``, ``(a{1,9})+``;
    a fixed count inside is fine: ``(\\d{4}-)+``), and alternatives that can start alike inside an unbounded
    repeat (``(a|ab)*``). Possessive repeats and atomic groups never backtrack and are allowed."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    try:
        tree = _parser.parse(pattern, flags)
    except re.error:
        return None
    repeats = (c.MAX_REPEAT, c.MIN_REPEAT)

    def first(items: Any) -> Any:
        for op, av in items:
            if op == c.LITERAL:
                return ("literal", av)
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            return "any" if op == c.ANY else ("class", repr(av))
        return "empty"

    def walk(items: Any, outer: tuple[int, int] | None) -> str | None:
        for op, av in items:
            if op in repeats:
                low, high, body = av
                if high > 1 and outer is not None and c.MAXREPEAT in (high, outer[1]) and low != high:
                    return "a repeated group contains another repeat"
                why = walk(body, (low, high) if high > 1 else outer)
                if why:
                    return why
            elif op == c.BRANCH:
                branches = av[1]
                if outer is not None and outer[1] == c.MAXREPEAT:
                    starts = [first(b) for b in branches]
                    if len(set(starts)) < len(starts) or "empty" in starts or "any" in starts:
                        return "alternatives that can match alike inside a repeat"
                for branch in branches:
                    why = walk(branch, outer)
                    if why:
                        return why
            elif op == c.SUBPATTERN:
                why = walk(av[3], outer)
                if why:
                    return why
            elif op in (c.ASSERT, c.ASSERT_NOT):
                why = walk(av[1], outer)
                if why:
                    return why
            elif op == c.GROUPREF_EXISTS:
                for part in av[1:]:
                    if part is not None:
                        why = walk(part, outer)
                        if why:
                            return why
        return None

    return walk(tree, None)


_BY_ID = re.compile(r"^descendant-or-self::\*\[@id = ('[^']*')\]$")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}|[{}]")
_POLITENESS = {
    "delay": "DOWNLOAD_DELAY",
    "concurrency_per_domain": "CONCURRENT_REQUESTS_PER_DOMAIN",
    "autothrottle": "AUTOTHROTTLE_ENABLED",
    "autothrottle_start_delay": "AUTOTHROTTLE_START_DELAY",
    "autothrottle_max_delay": "AUTOTHROTTLE_MAX_DELAY",
    "autothrottle_target_concurrency": "AUTOTHROTTLE_TARGET_CONCURRENCY",
    "robots_txt": "ROBOTSTXT_OBEY",
    "timeout": "DOWNLOAD_TIMEOUT",
}
# The default scope of a count header: short text nodes anywhere but in scripts and styles.
DEFAULT_COUNT_XPATH = "//body//text()[not(ancestor::script or ancestor::style)]"
_YEAR_DIRECTIVES = ("%Y", "%y")


# --- the frozen tree ------------------------------------------------------------------------------------------


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
    nodes: Extractor
    max_length: int = 120


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
    names = [n for n in _placeholders(part.key) + _placeholders(part.value) if n != "n"]
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


def _placeholders(template: str) -> list[str]:
    return [m.group(1) for m in _PLACEHOLDER.finditer(template) if m.group(1)]


def _render(template: str, lookup: Any) -> str:
    def replace(match: re.Match[str]) -> str:
        literal = match.group(0)
        if literal == "{{":
            return "{"
        if literal == "}}":
            return "}"
        return lookup(match.group(1))

    return _PLACEHOLDER.sub(replace, template)


# --- loading --------------------------------------------------------------------------------------------------


def packaged_profiles() -> dict[str, Traversable]:
    """The profiles shipped in ``harvester/data/profiles``: name -> resource (a file in a checkout or a wheel,
    an entry inside a zipped egg: read it with ``read_text``/``read_bytes``, never through a path)."""
    folder = resources.files("harvester").joinpath(*PROFILE_DIR.split("/"))
    if not folder.is_dir():
        return {}
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".toml")), key=lambda e: e.name)
    return {e.name.removesuffix(".toml"): e for e in entries}


def find_profile(ref: str | Path) -> Path | Traversable:
    """A profile file. A bare name (``wilson``) is a packaged profile; a path (``sites/x.toml``) is a file; a
    bare file name (``wilson.toml``) is that file if it exists, else the packaged profile of that name."""
    text = str(ref)
    path = Path(text).expanduser()
    packaged = packaged_profiles()
    bare = len(path.parts) == 1 and "/" not in text and "\\" not in text
    name = path.name.removesuffix(".toml")
    if bare and not text.endswith(".toml") and name in packaged:
        return packaged[name]
    if path.is_file():
        return path.resolve()
    if path.is_dir():
        raise ProfileError(f"{ref}: is a folder, not a profile file")
    if bare and name in packaged:
        return packaged[name]
    raise ProfileError(
        f"{ref}: no such profile file, and no packaged profile of that name (packaged: {', '.join(packaged) or 'none'})"
    )


def load_profile(ref: str | Path) -> Profile:
    """Find, read, validate and compile a profile (cached: per name when packaged, per file and modification
    time otherwise)."""
    return load_profile_key(profile_key(ref)) or _load_key(profile_key(ref))


def profile_key(ref: str | Path) -> tuple[str, int, int]:
    """What identifies a profile as loaded now: ``("packaged:<name>", 0, 0)`` for a packaged one (it cannot
    change under a running process), else its file, modification time and size."""
    found = find_profile(ref)
    if not isinstance(found, Path):
        return f"{_PACKAGED}{found.name.removesuffix('.toml')}", 0, 0
    stat = found.stat()
    return str(found), stat.st_mtime_ns, stat.st_size


def load_profile_key(key: tuple[str, int, int]) -> Profile | None:
    """The profile of :func:`profile_key`, or None when its file has changed since (another process, such as
    the crawl's worker, must read pages with the very profile the crawl loaded)."""
    path, mtime_ns, size = key
    if not path.startswith(_PACKAGED):
        stat = Path(path).stat()
        if (stat.st_mtime_ns, stat.st_size) != (mtime_ns, size):
            return None
    return _load_key(key)


_PACKAGED = "packaged:"


def _load_key(key: tuple[str, int, int]) -> Profile:
    path = key[0]
    if path.startswith(_PACKAGED):
        name = path.removeprefix(_PACKAGED)
        return _load_cached(packaged_profiles()[name].read_bytes(), f"{PROFILE_DIR}/{name}.toml (packaged)")
    return _load_cached(Path(path).read_bytes(), _label(Path(path)))


@functools.lru_cache(maxsize=32)
def _load_cached(data: bytes, label: str) -> Profile:
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ProfileError(f"{label}: not UTF-8 text ({error.reason})") from None
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{label}: not valid TOML: {error}") from None
    return profile_from_data(parsed, label)


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


@functools.cache
def _schema_validator() -> Any:
    from jsonschema import Draft202012Validator

    schema = json.loads((resources.files("harvester") / SCHEMA_FILE).read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def profile_from_data(data: Mapping[str, Any], label: str = "<profile>") -> Profile:
    """Validate parsed TOML and build the frozen profile; every problem in one :class:`ProfileError`."""
    problems = schema_problems(data)
    if problems:
        raise ProfileError(_joined(label, problems))
    builder = _Builder(data, label)
    profile = builder.build()
    if builder.problems:
        raise ProfileError(_joined(label, builder.problems))
    assert profile is not None
    return profile


def _joined(label: str, problems: list[str]) -> str:
    shown = problems[:8]
    more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
    return "; ".join(f"{label}: {p}" for p in shown) + more


def key_path(parts: Sequence[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


@functools.cache
def _fast_schema_validator() -> Any:
    """The profile schema compiled by jsonschema-rs: a valid profile (the usual case) is known valid without
    importing the pure-Python validator, which only explains what is wrong."""
    import jsonschema_rs

    schema = json.loads((resources.files("harvester") / SCHEMA_FILE).read_text(encoding="utf-8"))
    return jsonschema_rs.validator_for(schema, validate_formats=False)


def schema_problems(data: Mapping[str, Any]) -> list[str]:
    """JSON Schema problems as ``key.path: message`` lines, in document order."""
    if _fast_schema_validator().is_valid(data):
        return []
    from jsonschema.exceptions import best_match

    problems = []
    for error in sorted(_schema_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        while error.context:  # an anyOf: the reason from the branch of the right type, else the likeliest
            relevant = [e for e in error.context if not (e.validator == "type" and not e.relative_path)]
            error = best_match(relevant or error.context)
        problems.append(f"{key_path(list(error.absolute_path))}: {_schema_message(error)}")
    return problems


def _schema_message(error: Any) -> str:
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(allowed)) if isinstance(error.instance, dict) else []
        known = f" (known: {', '.join(allowed)})" if allowed else ""
        return f"unknown key {', '.join(map(repr, extra))}{known}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is missing (required)")
    if error.validator == "type":
        return f"{error.instance!r} is not of type {error.validator_value}"
    return error.message


class _Builder:
    """Semantic checks and compilation; collects problems instead of stopping at the first."""

    def __init__(self, data: Mapping[str, Any], label: str) -> None:
        self.data = data
        self.label = label
        self.problems: list[str] = []

    def problem(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    # -- primitives

    def regex(
        self, key: str, pattern: str | None, *, groups: Sequence[str] = (), flags: int = 0
    ) -> re.Pattern[str] | None:
        if pattern is None:
            return None
        try:
            compiled = re.compile(pattern, flags)
        except re.error as error:
            self.problem(key, f"not a valid regular expression ({error})")
            return None
        unbounded = catastrophic(pattern, flags)
        if unbounded:
            self.problem(key, f"the regex can take exponential time on a hostile page ({unbounded}); rewrite it "
                              "so that no repeated part can match the same text in two ways, e.g. (a+)+ as a+")
            return None
        missing = [g for g in groups if g not in compiled.groupindex]
        if missing:
            self.problem(key, f"the regex needs the named group(s) {', '.join(f'(?P<{g}>...)' for g in missing)}")
        return compiled

    def xpath(self, key: str, expr: str, kind: str) -> etree.XPath | None:
        source = expr
        if kind == "css":
            try:
                source = css2xpath(expr)
            except Exception as error:  # cssselect raises SelectorSyntaxError / ExpressionError
                self.problem(key, f"not a valid CSS selector ({type(error).__name__}: {error})")
                return None
            # "#x" becomes descendant-or-self::*[@id = 'x'], which libxml2 evaluates by collecting every element
            # first; the same node-set through the id attributes is ten times faster on a listing page.
            source = _BY_ID.sub(r"descendant-or-self::*/@id[. = \1]/..", source)
        try:
            return etree.XPath(source, namespaces=_NAMESPACES)
        except etree.XPathSyntaxError as error:
            self.problem(key, f"not a valid XPath expression ({error})")
        except etree.XPathError as error:
            self.problem(key, f"not a valid XPath expression ({error})")
        return None

    def extractor(self, key: str, spec: Any) -> Extractor | None:
        shorthand = isinstance(spec, str)
        if shorthand:
            spec = {"css": spec}
        kinds = [k for k in ("css", "xpath") if k in spec]
        if len(kinds) != 1:
            self.problem(key, "give exactly one of css or xpath" if kinds else "needs css or xpath")
            return None
        kind = kinds[0]
        compiled = self.xpath(key if shorthand else f"{key}.{kind}", spec[kind], kind)
        keep = self.regex(f"{key}.keep", spec.get("keep"))
        drop = self.regex(f"{key}.drop", spec.get("drop"))
        regex = self.regex(f"{key}.regex", spec.get("regex"))
        if compiled is None:
            return None
        return Extractor(
            key=key,
            kind=kind,
            expr=spec[kind],
            xpath=compiled,
            attr=spec.get("attr"),
            all=bool(spec.get("all", False)),
            join=spec.get("join", " "),
            keep=keep,
            drop=drop,
            regex=regex,
        )

    def field_(self, key: str, name: str, spec: Any) -> Field | None:
        specs = spec if isinstance(spec, list) else [spec]
        alternatives = []
        for index, item in enumerate(specs):
            extractor = self.extractor(f"{key}[{index}]" if isinstance(spec, list) else key, item)
            if extractor is not None:
                alternatives.append(extractor)
        return Field(name, tuple(alternatives)) if len(alternatives) == len(specs) else None

    # -- sections

    def build(self) -> Profile | None:
        data = self.data
        name = data["name"]
        params = self.params(data.get("params", {}))
        start = self.start(data["start"], params)
        pagination = self.pagination(data.get("pagination", {}), start)
        blocks = self.extractor("blocks", data["blocks"])
        fields_spec = data["fields"]
        fields = tuple(
            f for n in STANDARD_FIELDS if n in fields_spec if (f := self.field_(f"fields.{n}", n, fields_spec[n]))
        )
        extras = tuple(
            f for n, spec in fields_spec.get("extra", {}).items() if (f := self.field_(f"fields.extra.{n}", n, spec))
        )
        if not any(n in fields_spec for n in ("url", "title")):
            self.problem("fields", "declare at least url or title: a record needs something to show")
        overlap = sorted(set(fields_spec.get("extra", {})) & {*STANDARD_FIELDS, *_RECORD_FIELDS})
        if overlap:
            self.problem("fields.extra", f"{', '.join(overlap)}: already a record field; choose another name")
        field_names = {"url", *fields_spec, *fields_spec.get("extra", {})} - {"extra"}
        ids = self.ids(data.get("id"), field_names)
        not_a_listing = self.not_a_listing(data.get("not_a_listing"))
        empty = self.empty(data.get("empty"))
        dates = self.dates(data.get("dates", {}))
        politeness = tuple((_POLITENESS[k], v) for k, v in data.get("politeness", {}).items())
        if self.problems or start is None or pagination is None or blocks is None:
            return None
        return Profile(
            source=self.label,
            name=name,
            title=data.get("title", name),
            description=data.get("description", ""),
            layout=data.get("layout", f"profile:{name}"),
            start=start,
            params=params,
            pagination=pagination,
            blocks=blocks,
            fields=fields,
            extras=extras,
            dates=dates,
            ids=ids,
            not_a_listing=not_a_listing,
            empty=empty,
            politeness=politeness,
            titles=data.get("normalize", {}).get("titles", "none"),
        )

    def params(self, specs: Mapping[str, Any]) -> tuple[Param, ...]:
        out = []
        for name, spec in specs.items():
            key = f"params.{name}"
            if name in RESERVED_PARAMS:
                self.problem(key, f"{name!r} is reserved (reserved: {', '.join(sorted(RESERVED_PARAMS))})")
                continue
            kind = spec.get("type", "text")
            allowed = {
                "text": {"pattern"},
                "int": {"min", "max"},
                "enum": {"choices"},
                "ids": {"pattern", "separator"},
            }[kind]
            for option in ("pattern", "choices", "separator", "min", "max"):
                if option in spec and option not in allowed:
                    self.problem(f"{key}.{option}", f"does not apply to a parameter of type {kind}")
            if kind == "enum" and "choices" not in spec:
                self.problem(key, "an enum parameter needs choices")
            choices_spec = spec.get("choices", [])
            choices = (
                tuple((str(k), str(v)) for k, v in choices_spec.items())
                if isinstance(choices_spec, dict)
                else tuple((str(c), str(c)) for c in choices_spec)
            )
            if spec.get("required") and "default" in spec:
                self.problem(key, "a required parameter cannot have a default")
            param = Param(
                name=name,
                type=kind,
                help=spec.get("help", ""),
                required=bool(spec.get("required", False)),
                default=spec.get("default"),
                pattern=self.regex(f"{key}.pattern", spec.get("pattern")),
                choices=choices,
                separator=spec.get("separator", ","),
                minimum=spec.get("min"),
                maximum=spec.get("max"),
                encode=spec.get("encode", "plain"),
            )
            if param.default is not None:
                try:
                    param.validate(param.default)
                except ValueError as error:
                    self.problem(f"{key}.default", str(error).removeprefix(f"{name}: "))
            out.append(param)
        return tuple(out)

    def start(self, spec: Mapping[str, Any], params: tuple[Param, ...]) -> Start | None:
        by_name = {p.name: p for p in params}
        used: set[str] = set()
        ok = True

        def check(key: str, template: str, allowed_builtins: set[str]) -> list[str]:
            nonlocal ok
            names = []
            for match in _PLACEHOLDER.finditer(template):
                literal = match.group(0)
                if literal in ("{", "}"):
                    self.problem(key, f"unbalanced brace in {template!r} (write {{{{ or }}}} for a literal brace)")
                    ok = False
                elif match.group(1):
                    name = match.group(1)
                    if name not in by_name and name not in allowed_builtins:
                        builtins = ", ".join(sorted(allowed_builtins))
                        self.problem(
                            key,
                            f"{{{name}}} is not a declared parameter (declare [params.{name}]; built in: {builtins})",
                        )
                        ok = False
                    names.append(name)
            return names

        url = spec["url"]
        for name in check("start.url", url, {"base_url", "page"}):
            used.add(name)
            if name in by_name and by_name[name].type == "ids":
                self.problem("start.url", f"{{{name}}} is a list of ids: put it in start.query, not in the path")
                ok = False
        if "{base_url}" in url and "base_url" not in spec:
            self.problem("start.base_url", "is missing: start.url uses {base_url}")
            ok = False
        if not url.startswith("{base_url}") and not re.match(r"^https?://[^/{}]+", url):
            self.problem("start.url", "must start with {base_url} or an http(s) URL with a host")
            ok = False
        parts = []
        for index, item in enumerate(spec.get("query", [])):
            key = f"start.query[{index}]"
            names = check(f"{key}.key", item["key"], {"n"}) + check(f"{key}.value", item["value"], {"n"})
            used.update(names)
            lists = [n for n in set(names) if n in by_name and by_name[n].type == "ids"]
            if len(lists) > 1:
                self.problem(key, f"uses more than one list parameter ({', '.join(sorted(lists))}); use one per entry")
                ok = False
            if "n" in names and not item.get("counter"):
                self.problem(key, "uses {n} but names no counter")
                ok = False
            if item.get("keep_empty") and lists:
                self.problem(f"{key}.keep_empty", "does not apply to a list parameter")
                ok = False
            parts.append(QueryPart(item["key"], item["value"], bool(item.get("keep_empty")), item.get("counter")))
        for name in sorted(set(by_name) - used):
            self.problem(f"params.{name}", "is declared but the start URL (start.url, start.query) never uses it")
            ok = False
        if not ok:
            return None
        return Start(
            url=url, base_url=spec.get("base_url"), base_url_setting=spec.get("base_url_setting"), query=tuple(parts)
        )

    def pagination(self, spec: Mapping[str, Any], start: Start | None) -> Pagination | None:
        if "param" in spec and "path" in spec:
            self.problem("pagination", "give param (a query parameter) or path (a regex over the path), not both")
            return None
        path = self.regex("pagination.path", spec.get("path"), groups=("page",))
        nxt = self.field_("pagination.next", "next", spec["next"]) if "next" in spec else None
        count = None
        if "count" in spec:
            count_spec = spec["count"]
            regex = self.regex("pagination.count.regex", count_spec["regex"], groups=("first", "last", "total"))
            kinds = [k for k in ("css", "xpath") if k in count_spec]
            if len(kinds) > 1:
                self.problem("pagination.count", "give css or xpath, not both")
            nodes_spec = {kinds[0]: count_spec[kinds[0]]} if kinds else {"xpath": DEFAULT_COUNT_XPATH}
            nodes = self.extractor("pagination.count", nodes_spec)
            if regex is not None and nodes is not None:
                count = Count(regex=regex, nodes=nodes, max_length=count_spec.get("max_length", 120))
        param = spec.get("param", "page")
        return Pagination(
            param=param,
            path=path,
            first=spec.get("first", 0),
            size=spec.get("size", 10),
            next=nxt,
            count=count,
        )

    def ids(self, spec: Any, field_names: set[str]) -> tuple[IdRule, ...]:
        if spec is None:
            return ()
        rules = spec if isinstance(spec, list) else [spec]
        out = []
        for index, rule in enumerate(rules):
            key = f"id[{index}]" if isinstance(spec, list) else "id"
            source = rule.get("from", "url")
            if source not in field_names:
                self.problem(
                    f"{key}.from", f"{source!r} is not a declared field (declared: {', '.join(sorted(field_names))})"
                )
            template = rule.get("template", "{key}")
            pattern = self.regex(f"{key}.pattern", rule["pattern"])
            if pattern is None:
                continue
            missing = [n for n in _placeholders(template) if n not in pattern.groupindex]
            if missing:
                self.problem(
                    f"{key}.template" if "template" in rule else f"{key}.pattern",
                    f"{', '.join('{' + n + '}' for n in missing)} needs a named group (?P<{missing[0]}>...)",
                )
                continue
            out.append(IdRule(source=source, pattern=pattern, template=template))
        return tuple(out)

    def not_a_listing(self, spec: Mapping[str, Any] | None) -> NotAListing | None:
        if spec is None:
            return None
        markers = tuple(
            m for i, s in enumerate(spec["markers"]) if (m := self.extractor(f"not_a_listing.markers[{i}]", s))
        )
        minimum = spec.get("min_markers", 1)
        if minimum > len(spec["markers"]):
            self.problem("not_a_listing.min_markers", f"{minimum} is more than the {len(spec['markers'])} markers")
        return NotAListing(markers=markers, min_markers=minimum, what=spec.get("what", "not a listing"))

    def empty(self, spec: Mapping[str, Any] | None) -> Empty | None:
        if spec is None:
            return None
        regex = self.regex("empty.regex", spec["regex"], flags=re.IGNORECASE)
        scope = self.extractor("empty.scope", spec["scope"]) if "scope" in spec else None
        return Empty(regex=regex, scope=scope) if regex is not None else None

    def dates(self, spec: Mapping[str, Any]) -> Dates:
        formats = tuple(spec.get("formats", ()))
        for index, fmt in enumerate(formats):
            key = f"dates.formats[{index}]"
            if not any(d in fmt for d in _YEAR_DIRECTIVES):
                self.problem(key, f"{fmt!r} has no year (%Y or %y): a listing date needs one")
            elif format_precision(fmt) == "day" and not any(d in fmt for d in (*MONTH_DIRECTIVES, "%j")):
                self.problem(key, f"{fmt!r} has a day but no month")
            else:
                try:
                    datetime.strptime(datetime(1949, 10, 25).strftime(fmt), fmt)
                except ValueError as error:
                    self.problem(key, f"{fmt!r} is not a usable strptime format ({error})")
        return Dates(languages=tuple(spec.get("languages", ())), formats=formats)


# Record fields an extra must not shadow (the record contract; see harvester.records.FIELDS).
_RECORD_FIELDS = (
    "schema_version", "id", "source", "listing_url", "page", "position", "date_raw", "date_precision",
    "date_end", "date_approximate", "doc_type", "doc_number", "people", "organisations", "crawled_at", "extra",
)  # fmt: skip
