"""From checked TOML data to a frozen Profile: compile selectors and regexes, cross-check the keys."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from lxml import etree
from parsel import css2xpath

from harvester.normalize.dates import MONTH_DIRECTIVES, format_precision
from harvester.profiles.model import (
    PLACEHOLDER,
    STANDARD_FIELDS,
    Count,
    Dates,
    Details,
    Empty,
    Extractor,
    Field,
    IdRule,
    NotAListing,
    Pagination,
    Param,
    PillList,
    Profile,
    QueryPart,
    Start,
    placeholders,
)
from harvester.profiles.regex_bounds import catastrophic

RESERVED_PARAMS = frozenset(("profile", "start_url", "max_pages", "base_url", "name", "page", "n"))


_NAMESPACES = {"re": "http://exslt.org/regular-expressions"}


_BY_ID = re.compile(r"^descendant-or-self::\*\[@id = ('[^']*')\]$")


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


def key_path(parts: Sequence[str | int]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


class ProfileBuilder:
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

    def xpath(self, key: str, expr: str, kind: str, *, parents: bool = False) -> etree.XPath | None:
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
            # Text and attribute values come back as plain strings unless ``parents``: lxml's default "smart"
            # strings, which know their parent element, cost about 1.5 µs each to make, and only the count
            # header's nodes need a parent (a header split over several elements is read around them).
            # EXSLT's regular expressions only where the expression may call them: lxml sets them up for every
            # evaluation otherwise (a fifth of a short field expression's cost).
            if "re:" in source:
                return etree.XPath(source, namespaces=_NAMESPACES, smart_strings=parents)
            return etree.XPath(source, regexp=False, smart_strings=parents)
        except etree.XPathSyntaxError as error:
            self.problem(key, f"not a valid XPath expression ({error})")
        except etree.XPathError as error:
            self.problem(key, f"not a valid XPath expression ({error})")
        return None

    def extractor(self, key: str, spec: Any, *, parents: bool = False) -> Extractor | None:
        shorthand = isinstance(spec, str)
        if shorthand:
            spec = {"css": spec}
        kinds = [k for k in ("css", "xpath") if k in spec]
        if len(kinds) != 1:
            self.problem(key, "give exactly one of css or xpath" if kinds else "needs css or xpath")
            return None
        kind = kinds[0]
        compiled = self.xpath(key if shorthand else f"{key}.{kind}", spec[kind], kind, parents=parents)
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
        details = self.details(data.get("details"))
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
            details=details,
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
            for match in PLACEHOLDER.finditer(template):
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
            nodes = self.extractor("pagination.count", nodes_spec, parents=True)
            if regex is not None and nodes is not None:
                texts = self.xpath("pagination.count", nodes.expr, nodes.kind, parents=False)
                count = Count(regex=regex, nodes=nodes, max_length=count_spec.get("max_length", 120), texts=texts)
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
            missing = [n for n in placeholders(template) if n not in pattern.groupindex]
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

    def details(self, spec: Mapping[str, Any] | None) -> Details | None:
        if spec is None:
            return None
        markers = tuple(m for i, s in enumerate(spec["markers"]) if (m := self.extractor(f"details.markers[{i}]", s)))
        minimum = spec.get("min_markers", len(spec["markers"]))
        if minimum > len(spec["markers"]):
            self.problem("details.min_markers", f"{minimum} is more than the {len(spec['markers'])} markers")
        fields = tuple(f for n, s in spec.get("fields", {}).items() if (f := self.field_(f"details.fields.{n}", n, s)))
        lists = []
        for name, item in spec.get("lists", {}).items():
            key = f"details.lists.{name}"
            parts = [self.extractor(f"{key}.{part}", item[part]) for part in ("items", "name", "url")]
            if all(parts):
                lists.append((name, PillList(*parts)))  # type: ignore[arg-type]
        return Details(markers, minimum, fields, tuple(lists), spec.get("what", "a document page"))

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
