"""The person registry and the resolver: a name as a title writes it -> one registry entry, or honestly none.

Matching is exact on normalised keys, never fuzzy. A name is looked up as written, then with honorifics and
offices stripped from the front ("Soviet Ambassador S.F. Antonov" -> "S.F. Antonov"), then with what follows
"of"/"in" dropped ("Deng Xiaoping of the PRC"). Keys ignore case, diacritics, punctuation and spacing (so
"Kim Il-sung" = "Kim Il Sung", "I. V. Stalin" = "I.V. Stalin"). Only for names the registry marks as
given-name-first (Russian and Western) a second, looser key folds transliteration variants (Roshchin/Roschin,
Vyshinsky/Vyshinskii, Alekseev/Alekseyev); Chinese, Korean and Vietnamese names match exactly or not at all.

Brackets: "Filippov [Stalin]" and "Stalin [Kuznetsov]" are glosses (either order), "Chairman Mao [Zedong]" and
"[Richard] Dixon" are completions, "Jiang Jieshi [Chiang Kai-shek]" another romanisation; "[via X]", "(1)"
and "(excerpt)" are dropped here (the title grammar turns "[via X]" into a party of its own).

Several people behind one key, or a date-scoped alias without a date to check, leave the name unresolved:
kept as written (honorifics stripped, whitespace tidied) with id None.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import tomllib
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from harvester.errors import RegistryError
from harvester.normalize import text as tx
from harvester.normalize import tomltext
from harvester.normalize.titles import TitleParts, parse_title

PERSON_ALIAS_KINDS = frozenset(
    {"pseudonym", "transliteration", "initials", "typo", "honorific", "library", "truncation", "other-romanisation"}
)
ORGANISATION_ALIAS_KINDS = PERSON_ALIAS_KINDS | {"abbreviation", "former-name", "variant"}
_ID = re.compile(r"^(?:Q[1-9][0-9]*|hv:[a-z0-9][a-z0-9-]*)$")
_ISO = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_RECORD_DATE = re.compile(r"^\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")
_PATRONYMIC = re.compile(r"(?:ovich|evich|ich|ovna|evna|ichna|inichna)$", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s$|(?<=s)['’]$")
_EDGE = " .,;:\"'“”‘’"
_CACHE_LIMIT = 65536
_ARTICLE = re.compile(r"^(?:the|The|a|an)\s+")
_COMPLEX = re.compile(r"[,()\[\]]|['’]s\b")
_SEAT = re.compile(r"\s+(?:in|at)\s+")

# lookup outcomes
_NONE, _RESOLVED, _AMBIGUOUS, _EXCLUDED = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    kind: str
    start: str | None = None  # "from" in the data file: ISO date, any precision
    until: str | None = None


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    aliases: tuple[Alias, ...] = ()
    family: str | None = None  # the family name as it appears in ``name`` (default: its last word)
    initials: str | None = None  # "I.V.": given name and patronymic initials
    family_first: bool = False  # Chinese, Korean, Vietnamese order: no derived or transliteration-folded forms
    surname_alone: bool = True  # may the bare family name stand for this person?
    note: str | None = None
    country: str | None = None  # a short country string ("USSR", "PRC"), for people reading the data
    offices: tuple[str, ...] = ()  # "Soviet Ambassador to Poland (1957-1961)": provenance, never matched
    source: str | None = None  # where the entry comes from


@dataclass(frozen=True, slots=True)
class Organisation:
    id: str
    name: str
    aliases: tuple[Alias, ...] = ()
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    as_written: str  # exact text from the title
    name: str  # display name if resolved, else the tidied as-written name
    id: str | None  # registry id or None
    kind: str  # "person" | "organisation"
    via_alias: str | None  # alias kind used, e.g. "pseudonym", or None

    @property
    def resolved(self) -> bool:
        return self.id is not None


@dataclass(frozen=True, slots=True)
class _Hit:
    status: int
    entity: int = -1
    via: str | None = None
    tidy: str = ""


#: What :meth:`Registry.date_class` makes of a date: None (no date), () (no reading of it), or where its first
#: and last days fall among the dated entries' bounds.
DateClass = tuple[int, ...] | None

# An index entry: (entity index, alias kind or None, first ordinal day or None, last ordinal day or None, tier).
# Tier 1: display names and the data file's aliases; tier 2: forms derived from them (bare surname, initials).
_Entry = tuple[int, str | None, int | None, int | None, int]


def _span(iso: str, *, strict: bool) -> tuple[int, int] | None:
    """First and last day (proleptic ordinals) an ISO date of any precision covers."""
    match = (_ISO if strict else _RECORD_DATE).match(iso)
    if not match:
        return None
    year, month, day = int(match.group(1)), match.group(2), match.group(3)
    try:
        if month is None:
            return dt.date(year, 1, 1).toordinal(), dt.date(year, 12, 31).toordinal()
        m = int(month)
        if day is None:
            return dt.date(year, m, 1).toordinal(), dt.date(year, m, calendar.monthrange(year, m)[1]).toordinal()
        d = dt.date(year, m, int(day)).toordinal()
        return d, d
    except ValueError:
        return None


def _unpossessed(text: str) -> list[str]:
    """The words of a name with possessives dropped ("Kohl's" -> "Kohl")."""
    return [_POSSESSIVE.sub("", w) for w in text.split()]


class Registry:
    """Persons and organisations with their aliases, indexed by normalised key for fast exact lookup."""

    def __init__(self, persons: list[Person], organisations: list[Organisation] | None = None) -> None:
        self.persons = tuple(persons)
        self.organisations = tuple(organisations or ())
        self._entities: list[Person | Organisation] = [*self.persons, *self.organisations]
        self._strict: dict[str, list[_Entry]] = {}
        self._loose: dict[str, list[_Entry]] = {}
        self._orgs: dict[str, list[_Entry]] = {}
        self._cache: dict[tuple[str, DateClass], Resolution] = {}
        self._kinds: dict[tuple[Resolution, DateClass], Resolution | None] = {}  # _only_people_are_people
        self._classes: dict[str, DateClass] = {}
        self._los: list[int] = []  # the dated entries' first days, sorted (see date_class)
        self._his: list[int] = []  # and their last days
        self._slips: dict[tuple[int, int, str], list[tuple[int, tuple[str, ...], int]]] | None = None
        self._build()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (to the crawl's worker) without what is only remembered: the resolutions and date classes
        met so far and the slip index, which the other side builds when it needs it (pickled, the index
        doubled the registry's size and took longer to unpickle than to build)."""
        state = dict(self.__dict__)
        state.update(_cache={}, _kinds={}, _classes={}, _slips=None)
        return state

    # --- loading and validation -------------------------------------------------------------------------
    @classmethod
    def load(cls, path: Path | str | None = None, *, organisations: Path | str | None = None) -> Registry:
        """Read the persons files and the organisations file. ``path``: one persons file, or a folder whose
        ``*.toml`` files are all read (sorted by name); default: the packaged ``harvester/data/persons/``.
        Organisations default to the packaged ``organisations.toml``. Every persons file is checked against
        ``harvester/schema/persons.schema.json``; a malformed or contradictory entry raises RegistryError
        naming the file and the person."""
        persons: list[Person] = []
        for persons_doc, persons_where in _read_persons(path):
            entries = _table(persons_doc, "person", persons_where)
            persons.extend(_person(entry, persons_where, i) for i, entry in enumerate(entries))
            _check_schema(persons_doc, persons_where)
        orgs_doc, orgs_where = _read(organisations, "organisations.toml")
        orgs = [
            _organisation(entry, orgs_where, i) for i, entry in enumerate(_table(orgs_doc, "organisation", orgs_where))
        ]
        return cls(persons, orgs)

    def _build(self) -> None:
        seen_ids: dict[str, str] = {}
        for entity in self._entities:
            if entity.id in seen_ids:
                raise RegistryError(
                    f"duplicate id {entity.id!r}: {seen_ids[entity.id]!r} and {entity.name!r}"
                    + (f" ({entity.source})" if isinstance(entity, Person) and entity.source else "")
                )
            seen_ids[entity.id] = entity.name
        display: dict[str, int] = {}
        for i, entity in enumerate(self._entities):
            key = tx.strict_key(entity.name)
            if not key:
                raise RegistryError(f"{entity.id}: name {entity.name!r} has no letters")
            if key in display:
                other = self._entities[display[key]]
                raise RegistryError(f"{entity.id} and {other.id} have the same name {entity.name!r}")
            display[key] = i
        self._check_aliases(display)
        alias_keys = {tx.strict_key(a.name) for e in self._entities for a in e.aliases}
        families: dict[str, int] = {}
        for p in self.persons:
            if not p.family_first:
                fam = tx.strict_key(self._family(p))
                families[fam] = families.get(fam, 0) + 1
        for i, entity in enumerate(self._entities):
            if isinstance(entity, Organisation):
                target = self._orgs
                self._add(target, tx.strict_key(entity.name), (i, None, None, None, 1))
                for a in entity.aliases:
                    self._add(target, tx.strict_key(a.name), (i, a.kind, *self._alias_span(a), 1))
                continue
            self._index_person(i, entity, display, alias_keys, families)
        for index in (self._strict, self._loose, self._orgs):
            for entries in index.values():
                for _, _, lo, hi, _ in entries:
                    if lo is not None:
                        self._los.append(lo)
                    if hi is not None:
                        self._his.append(hi)
        self._los, self._his = sorted(set(self._los)), sorted(set(self._his))

    def _index_person(
        self, i: int, p: Person, display: dict[str, int], alias_keys: set[str], families: dict[str, int]
    ) -> None:
        forms: list[tuple[str, _Entry]] = [(p.name, (i, None, None, None, 1))]
        forms += [(a.name, (i, a.kind, *self._alias_span(a), 1)) for a in p.aliases]
        if not p.family_first:
            family = self._family(p)
            fam_key = tx.strict_key(family)
            given = p.name[: p.name.rfind(family)].split() if family in p.name else p.name.split()[:-1]
            shared = fam_key in alias_keys or families.get(fam_key, 0) > 1 or display.get(fam_key, i) != i
            if p.surname_alone and not shared:
                forms.append((family, (i, None, None, None, 2)))
            initials = [p.initials] if p.initials else []
            if given and given[0][:1].isalpha() and not tx.is_initial(given[0]):
                initials.append(given[0][0].upper() + ".")
            if p.initials:
                first = re.match(r"[A-Z][a-z]?\.", p.initials)
                if first:
                    initials.append(first.group(0))
            for ini in dict.fromkeys(initials):
                for form in (f"{ini} {family}", f"{family} {ini}"):
                    if display.get(tx.strict_key(form), i) == i:
                        forms.append((form, (i, "initials", None, None, 2)))
        for form, entry in forms:
            self._add(self._strict, tx.strict_key(form), entry)
            if not p.family_first:
                self._add(self._loose, tx.loose_key(form), entry)

    @staticmethod
    def _family(p: Person) -> str:
        return p.family or p.name.split()[-1]

    @staticmethod
    def _add(index: dict[str, list[_Entry]], key: str, entry: _Entry) -> None:
        if not key:
            return
        bucket = index.setdefault(key, [])
        if entry not in bucket:
            bucket.append(entry)

    @staticmethod
    def _alias_span(alias: Alias) -> tuple[int | None, int | None]:
        lo = _span(alias.start, strict=True)[0] if alias.start else None  # type: ignore[index]
        hi = _span(alias.until, strict=True)[1] if alias.until else None  # type: ignore[index]
        return lo, hi

    def _check_aliases(self, display: dict[str, int]) -> None:
        """An alias may not hide another entry's name, and two people may share an alias only at different,
        stated times ("Kuznetsov": Stalin 1947-1949, Vasily Kuznetsov from 1953-03)."""
        owners: dict[str, list[tuple[int, Alias]]] = {}
        for i, entity in enumerate(self._entities):
            for alias in entity.aliases:
                key = tx.strict_key(alias.name)
                if not key:
                    raise RegistryError(f"{entity.id}: alias {alias.name!r} has no letters")
                if display.get(key, i) != i:
                    other = self._entities[display[key]]
                    raise RegistryError(f"{entity.id}: alias {alias.name!r} is the name of {other.id} ({other.name!r})")
                owners.setdefault(key, []).append((i, alias))
        for group in owners.values():
            people = {i for i, _ in group}
            if len(people) < 2:
                continue
            for x, (i, a) in enumerate(group):
                for j, b in group[x + 1 :]:
                    if i == j:
                        continue
                    names = f"{self._entities[i].id} and {self._entities[j].id}"
                    if not (a.start or a.until) or not (b.start or b.until):
                        raise RegistryError(f"alias {a.name!r} points to {names}; give each a date range (from/until)")
                    (alo, ahi), (blo, bhi) = self._alias_span(a), self._alias_span(b)
                    if (alo or 0) <= (bhi or 10**7) and (blo or 0) <= (ahi or 10**7):
                        raise RegistryError(f"alias {a.name!r} points to {names} at overlapping dates")

    # --- lookup -----------------------------------------------------------------------------------------
    def _pick(self, entries: list[_Entry], span: tuple[int, int] | None) -> _Hit:
        for tier in (1, 2):
            valid: dict[int, str | None] = {}
            possible: set[int] = set()
            any_entry = False
            for ent, via, lo, hi, t in entries:
                if t != tier:
                    continue
                any_entry = True
                if lo is None and hi is None:
                    valid.setdefault(ent, via)
                elif span is None:
                    possible.add(ent)
                else:
                    lo_, hi_ = lo if lo is not None else -(10**9), hi if hi is not None else 10**9
                    if lo_ <= span[0] and span[1] <= hi_:
                        valid.setdefault(ent, via)
                    elif not (span[1] < lo_ or span[0] > hi_):
                        possible.add(ent)
            if valid or possible:
                if len(valid) == 1 and not possible - set(valid):
                    ent, via = next(iter(valid.items()))
                    return _Hit(_RESOLVED, ent, via)
                return _Hit(_AMBIGUOUS)
            if any_entry:
                return _Hit(_EXCLUDED)
        return _Hit(_NONE)

    def _lookup(self, text: str, span: tuple[int, int] | None, *, loose: bool = True) -> _Hit:
        key = tx.strict_key(text)
        if not key:
            return _Hit(_NONE)
        entries = self._strict.get(key)
        if entries:
            return self._pick(entries, span)
        if not loose:
            return _Hit(_NONE)
        entries = self._loose.get(tx.loose_key(text))
        if entries:
            hit = self._pick(entries, span)
            if hit.status == _RESOLVED and hit.via is None:
                return _Hit(_RESOLVED, hit.entity, "transliteration")
            return hit
        return _Hit(_NONE)

    def _org(self, text: str) -> _Hit:
        s = text.strip(_EDGE)
        for candidate in (s, _ARTICLE.sub("", s)):
            entries = self._orgs.get(tx.strict_key(candidate))
            if entries:
                return self._pick(entries, None)
        return _Hit(_NONE)

    def _org_phrase(self, s: str) -> _Hit:
        """An organisation phrase: registry forms of it, or of it without its seat ("the Chinese Communist
        Party in Beijing"); unresolved, it is kept whole, minus a leading article."""
        base, _, _ = _split_brackets(s)
        seat = _SEAT.split(base, maxsplit=1)[0]
        for candidate in (s, base, seat):
            hit = self._org(candidate)
            if hit.status == _RESOLVED:
                return hit
        return _Hit(_NONE, tidy=_ARTICLE.sub("", base or s).strip(_EDGE))

    # --- resolution -------------------------------------------------------------------------------------
    def resolve(self, text: str, *, date: str | None = None) -> Resolution:
        """Resolve one name as written; ``date`` is the record's ISO date (any precision) for dated aliases."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if not isinstance(date, str):
            date = None
        key = (text, self.date_class(date))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        result = self._resolve(text, _span(date, strict=False) if date else None)
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = result
        return result

    def date_class(self, date: str | None) -> DateClass:
        """Which dates resolve every name alike: a date's span is only ever compared with the first and last
        days of the registry's dated entries (:meth:`_pick`), so two spans that fall on the same side of each
        of those days give the same resolutions. A record's names are then found in the cache whatever its
        exact date ("Molotov" in 1952 and in 1954 is one lookup unless an alias of his starts or ends between)."""
        if not date:
            return None
        found = self._classes.get(date)
        if found is None:
            span = _span(date, strict=False)
            if span is None:
                found = ()
            else:
                first, last = span
                los, his = self._los, self._his
                found = (bisect_right(los, first), bisect_left(his, first), bisect_right(los, last),
                         bisect_left(his, last))  # fmt: skip
            if len(self._classes) >= _CACHE_LIMIT:
                self._classes.clear()
            self._classes[date] = found
        return found

    def _resolve(self, as_written: str, span: tuple[int, int] | None) -> Resolution:
        s = _edges(tx.tidy(as_written))
        if not s:
            return Resolution(as_written, "", None, "person", None)
        quick = self._quick(s, span)  # the name exactly as a registry form ("Stalin", "Mao Zedong")
        if quick is not None:
            return self._result(as_written, quick, s)
        hit = self._org(s)
        if hit.status == _RESOLVED:
            return self._result(as_written, hit, s)
        if tx.is_org_like(s):
            return self._result(as_written, self._org_phrase(s), s)
        base, glosses, plain = _split_brackets(s)
        if glosses:
            return self._glossed(as_written, base, glosses[0], span)
        if not base:
            return Resolution(as_written, "", None, "person", None)
        hit = self._core(base, span)
        if hit.status == _NONE and plain != base:  # a completion the registry does not know: "P.F. [Pavel] Yudin"
            without = self._core(plain, span)
            if without.status == _RESOLVED and self._completion_agrees(base, plain, without):
                return self._result(as_written, without, plain)
        return self._result(as_written, hit, base)

    def _completion_agrees(self, base: str, plain: str, hit: _Hit) -> bool:
        """Whether the words an editor completed ("[Pavel]" in "P.F. [Pavel] Yudin") are the found person's own:
        "[Richard] Dixon" must not become Pierson Dixon because the bare "Dixon" would."""
        added = set(tx.ascii_tokens(base)) - set(tx.ascii_tokens(plain))
        entity = self._entities[hit.entity]
        known = set(tx.ascii_tokens(entity.name))
        for alias in getattr(entity, "aliases", ()) or ():
            known.update(tx.ascii_tokens(getattr(alias, "name", "") or ""))
        return added <= known

    def _quick(self, s: str, span: tuple[int, int] | None) -> _Hit | None:
        """A resolved hit when ``s`` is exactly a registry form (the common case), else None."""
        if _COMPLEX.search(s):
            return None
        key = tx.strict_key(s)
        entries = self._orgs.get(key) or self._strict.get(key)
        if not entries:
            return None
        hit = self._pick(entries, span)
        if hit.status == _RESOLVED and (key in self._orgs or not tx.is_org_like(s)):
            return hit
        return None

    def _result(self, as_written: str, hit: _Hit, phrase: str) -> Resolution:
        if hit.status == _RESOLVED:
            entity = self._entities[hit.entity]
            kind = "organisation" if isinstance(entity, Organisation) else "person"
            return Resolution(as_written, entity.name, entity.id, kind, hit.via)
        name = hit.tidy or phrase
        kind = "organisation" if tx.is_org_like(phrase) else "person"
        return Resolution(as_written, name, None, kind, None)

    def _glossed(self, as_written: str, base: str, gloss: str, span: tuple[int, int] | None) -> Resolution:
        if not base:
            return self._result(as_written, self._core(gloss, span), gloss)
        hg = self._org(gloss)
        if hg.status != _RESOLVED:
            hg = self._core(gloss, span)
        hb = self._core(base, span)
        if hg.status == _RESOLVED and hb.status == _RESOLVED and hg.entity == hb.entity:  # "Filippov [Stalin]"
            return self._result(as_written, hb, base)
        if len(gloss.split()) <= 3:  # "Chairman Mao [Zedong]", "Kim Il [Sung]"
            completed = self._core(f"{base} {gloss}", span)
            if completed.status == _RESOLVED:
                return self._result(as_written, completed, base)
        if hg.status == _RESOLVED and hb.status == _RESOLVED:
            # Two different people: trust the one written as a plain name over the one reached via an alias.
            if hb.via is None and hg.via is not None:
                return self._result(as_written, hb, base)
            if hg.via is None and hb.via is not None:
                return self._result(as_written, hg, base)
            return self._result(as_written, _Hit(_AMBIGUOUS, tidy=hb.tidy), base)
        if hg.status == _RESOLVED:
            if isinstance(self._entities[hg.entity], Organisation) and tx.is_org_like(base):
                return self._result(as_written, _Hit(_NONE, tidy=base), base)  # a division glossed by its parent
            return self._result(as_written, hg, base)
        if hb.status == _RESOLVED:
            return self._result(as_written, hb, base)
        # Unresolved either way: keep the name as written, unless the base is only an office ("The
        # Chancellor's [Helmut Kohl's]").
        if not hb.tidy or tx.is_descriptor(base) or not tx.strip_leading(_unpossessed(base)):
            return self._result(as_written, _Hit(_NONE, tidy=hg.tidy or gloss), gloss)
        return self._result(as_written, _Hit(_NONE, tidy=hb.tidy), base)

    def _core(self, s: str, span: tuple[int, int] | None) -> _Hit:
        if tx.is_org_like(s):
            return self._org_phrase(s)
        if "," not in s:
            return self._name_words(s, span)
        segs = [x.strip() for x in s.split(",") if x.strip()]
        if not segs:
            return _Hit(_NONE)
        if len(segs) == 2 and _library_like(*segs):
            family, given = segs
            given_words = given.split()
            forms = [f"{given} {family}", f"{family} {given}"]
            if len(given_words) >= 2 and _PATRONYMIC.search(given_words[-1]):
                forms.insert(1, f"{' '.join(given_words[:-1])} {family}")
            for form in forms:
                hit = self._lookup(form, span)
                if hit.status == _RESOLVED:
                    return _Hit(_RESOLVED, hit.entity, "library" if hit.via in (None, "initials") else hit.via)
                if hit.status != _NONE:
                    return _Hit(hit.status, tidy=tx.tidy(s))
            return _Hit(_NONE, tidy=tx.tidy(s))
        # An appositive ("Prime Minister of the MPR, Comrade Tsedenbal") or a name with descriptors
        # ("Ho Chi Minh, President of the DRV").
        best = ""
        for seg in segs:
            hit = self._name_words(seg, span)
            if hit.status != _NONE:
                return hit
            if not best and hit.tidy and not tx.is_descriptor(seg) and tx.is_name_like(hit.tidy):
                best = hit.tidy
        return _Hit(_NONE, tidy=best or self._name_words(segs[0], span).tidy)

    def _name_words(self, s: str, span: tuple[int, int] | None) -> _Hit:
        """Look a comma-free name up as written, then without leading offices, then its name part."""
        written = s.split()
        words = _unpossessed(s)
        rest = tx.strip_leading(words)
        # (candidate, may fold transliteration): folding only what can be a bare name, not "Chairman of ..."
        candidates: list[tuple[list[str], bool]] = [(words, words == rest)]
        for i in range(1, len(words) - len(rest)):
            candidates.append((words[i:], False))  # "Premier Kim" inside "DPRK Premier Kim"
        left: list[str] = []
        tail: list[str] = []
        if rest:
            candidates.append((rest, True))
            j = next((k for k in range(1, len(rest)) if rest[k] in tx.CONNECTORS), None)
            if j is not None and tx.is_name_like(" ".join(rest[:j])):
                left = rest[:j]  # "Deng Xiaoping of the PRC", "Khrushchev in the CC"
                candidates.append((left, True))
            last = max((k for k, w in enumerate(rest) if tx.is_strippable(w) or w in tx.CONNECTORS), default=-1)
            if 0 <= last < len(rest) - 1:
                tail = rest[last + 1 :]  # "Goodwill Mission Kazami" -> "Kazami"
                candidates.append((tail, True))
            if len(rest) == 3 and _PATRONYMIC.search(rest[1]) and not tx.is_initial(rest[1]):
                candidates.append(([rest[0], rest[2]], True))  # "Nikolai Vasilievich Roshchin"
        tried: set[str] = set()
        for cand, loose in candidates:
            text = " ".join(cand)
            if not text or text in tried:
                continue
            tried.add(text)
            hit = self._lookup(text, span, loose=loose)
            if hit.status != _NONE:
                return _Hit(hit.status, hit.entity, hit.via, _tidy_name(written, rest, left, tail))
        for cand in (rest, left, tail):
            if len(cand) >= 2:
                hit = self._tolerant(cand, span)
                if hit.status != _NONE:
                    return _Hit(hit.status, hit.entity, hit.via, _tidy_name(written, rest, left, tail))
        return _Hit(_NONE, tidy=_tidy_name(written, rest, left, tail))

    # --- tolerance that never guesses -----------------------------------------------------------------
    def _tolerant(self, words: list[str], span: tuple[int, int] | None) -> _Hit:
        """What archives do to a known name, and nothing more:

        * a middle initial or patronymic the registry does not list: "Georgy M. Malenkov", "Henry A.
          Kissinger", "Georgy Maksimilianovich Malenkov" -> the given name and family name;
        * initials the registry does not list, either order: "G.M. Malenkov", "Malenkov G.M." -> "G. Malenkov";
        in both, the person found must agree with every initial written (a recorded patronymic initial that
        differs refuses the match);
        * one slip (one letter changed, added, dropped, or two neighbours swapped: "Deng Xioaping") in one
          word of at least 6 letters, with the same first letter, every other word exactly right, and exactly
          one registry person at that distance; never a feminine -a/-ova form of a surname.
        """
        ws = [w.strip(",;:") for w in words if w.strip(",;:")]
        if len(ws) < 2 or len(ws) > 5:
            return _Hit(_NONE)
        order = ws
        if not tx.is_initial(ws[0]) and all(tx.is_initial(w) for w in ws[1:]):
            order = [*ws[1:], ws[0]]  # "Malenkov G.M." -> "G.M. Malenkov"
        family, given = order[-1], order[:-1]
        if not tx.is_initial(family) and given:
            letters = [x for g in given for x in _initial_letters(g)]
            forms = []
            if not tx.is_initial(given[0]):
                if len(given) > 1 and all(tx.is_initial(g) or _PATRONYMIC.search(g) for g in given[1:]):
                    forms.append(f"{given[0]} {family}")
            elif len(given) > 1 or len(letters) > 1 or order is not ws:
                forms.append(f"{letters[0]}. {family}")
            for form in forms:
                hit = self._lookup(form, span)
                if hit.status == _RESOLVED:
                    entity = self._entities[hit.entity]
                    if isinstance(entity, Person) and _initials_agree(entity, letters):
                        return _Hit(_RESOLVED, hit.entity, "initials")
                    return _Hit(_AMBIGUOUS)
                if hit.status == _AMBIGUOUS:
                    return hit
        return self._one_slip(ws, span)

    def _one_slip(self, ws: list[str], span: tuple[int, int] | None) -> _Hit:
        query = [tx.strict_key(w) for w in ws]
        if not all(query):
            return _Hit(_NONE)
        index = self._slip_index()
        found: set[int] = set()
        for j, token in enumerate(query):
            if len(token) < 6:
                continue
            for variant in {token, *_deletes(token)}:
                for ent, tokens, pos in index.get((len(query), j, variant), ()):
                    cand = tokens[pos]
                    if cand == token or cand[0] != token[0] or _gender_pair(cand, token):
                        continue
                    if all(tokens[k] == query[k] for k in range(len(query)) if k != pos) and _one_edit(cand, token):
                        found.add(ent)
        if len(found) == 1:
            return _Hit(_RESOLVED, found.pop(), "typo")
        return _Hit(_AMBIGUOUS) if found else _Hit(_NONE)

    def _slip_index(self) -> dict[tuple[int, int, str], list[tuple[int, tuple[str, ...], int]]]:
        """(word count, position, a long word or it minus one letter) -> the undated person forms having it.
        Built on first use, so loading stays fast."""
        if self._slips is not None:
            return self._slips
        index: dict[tuple[int, int, str], list[tuple[int, tuple[str, ...], int]]] = {}
        for i, entity in enumerate(self._entities):
            if not isinstance(entity, Person):
                continue
            forms = [entity.name] + [
                a.name for a in entity.aliases if not (a.start or a.until) and a.kind != "pseudonym"
            ]
            if not entity.family_first:
                family = self._family(entity)
                given = entity.name[: entity.name.rfind(family)].split()
                if given and given[0][:1].isalpha() and not tx.is_initial(given[0]):
                    forms.append(f"{given[0][0]}. {family}")
                if entity.initials:
                    forms.append(f"{entity.initials} {family}")
            for form in forms:
                tokens = tuple(tx.strict_key(w) for w in form.split())
                if len(tokens) < 2 or not all(tokens):
                    continue
                for pos, token in enumerate(tokens):
                    if len(token) >= 6:
                        for variant in {token, *_deletes(token)}:
                            index.setdefault((len(tokens), pos, variant), []).append((i, tokens, pos))
        self._slips = index
        return index

    # --- misc -------------------------------------------------------------------------------------------
    def person(self, id: str) -> Person | None:
        return next((p for p in self.persons if p.id == id), None)


def _initial_letters(word: str) -> list[str]:
    """ "G.M." -> ["G", "M"], "Yu.V." -> ["Yu", "V"], "Georgy" -> ["G"], "Maksimilianovich" -> ["M"]."""
    if tx.is_initial(word):
        return [x for x in word.replace(" ", "").split(".") if x]
    return [word[:1].upper()] if word[:1].isalpha() else []


def _initials_agree(p: Person, letters: list[str]) -> bool:
    """Do the initials written fit the person? The first must match the given name; a second must match the
    recorded patronymic initial, if the registry records one."""
    if not letters:
        return True
    family = p.family or p.name.split()[-1]
    given = p.name[: p.name.rfind(family)].split()
    known = _initial_letters(p.initials) if p.initials else [x[:1].upper() for x in given if x[:1].isalpha()]
    if not known:
        return False
    first = tx.strict_key(letters[0])
    starts = {tx.strict_key(known[0])} | {tx.strict_key(given[0][:1])} if given else {tx.strict_key(known[0])}
    if not any(k.startswith(first) or first.startswith(k) for k in starts):  # "I.V." and "Joseph" for Stalin
        return False
    if len(letters) > 1 and p.initials and len(known) > 1:
        return tx.strict_key(known[1])[:1] == tx.strict_key(letters[1])[:1]
    return True


def _deletes(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def _one_edit(a: str, b: str) -> bool:
    """Exactly one substitution, insertion, deletion or swap of two neighbouring letters apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _gender_pair(a: str, b: str) -> bool:
    """Ivanov / Ivanova, Gromyko / Gromyka: a feminine form is another person, not a slip."""
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    if long_ == short + "a":  # Ivanov / Ivanova, Kalinin / Kalinina
        return True
    return len(a) == len(b) and a[:-1] == b[:-1] and "a" in (a[-1], b[-1])  # Petrovsky / Petrovska


def _edges(text: str) -> str:
    """Strip outer punctuation and quotes, but keep the period of a final initial ("Shcherbakov I.S.")."""
    core = text.strip(_EDGE)
    if text.rstrip(" ,;:").endswith(".") and core and tx.is_initial(core.split()[-1] + "."):
        return core + "."
    return core


def _tidy_name(words: list[str], rest: list[str], left: list[str], tail: list[str]) -> str:
    """The name to keep for an unresolved party: offices stripped, descriptors after "of"/"in" dropped."""
    if not rest or tx.has_word(" ".join(rest), tx.ORG_MARKERS):
        # only an office ("the Head of Delegation of Korean Worker's Party"): keep it, minus an article
        kept = words[1:] if words and words[0] in ("the", "The", "a", "an") else words
        return _edges(" ".join(kept))
    if left:
        return _edges(" ".join(left))
    if tail and tx.is_name_like(" ".join(tail)) and not tx.is_org_like(" ".join(rest)):
        return _edges(" ".join(tail))
    return _edges(" ".join(rest))


def _library_like(family: str, given: str) -> bool:
    """ "Stalin, Joseph", "Mao, Zedong", "Kim, Il Sung", "Zimyanin, M.V.", "Mikoyan, Anastas Ivanovich"."""
    fw, gw = family.split(), given.split()
    if not 1 <= len(fw) <= 2 or not 1 <= len(gw) <= 4:
        return False
    if any(tx.is_strippable(w) for w in fw + gw):
        return False
    return all(tx.is_name_word(w) for w in fw + gw)


def _split_brackets(s: str) -> tuple[str, list[str], str]:
    """Separate a name from its bracket groups: drops via markers and markers, inlines completions
    (a group in front of or inside the name), returns trailing groups as glosses. Also returns the name
    without its completions ("P.F. [Pavel] Yudin" -> "P.F. Yudin")."""
    groups: list[tuple[int, int]] = []
    depth, start = 0, -1
    for i, ch in enumerate(s):
        if ch in "([":
            if depth == 0:
                start = i
            depth += 1
        elif ch in ")]" and depth:
            depth -= 1
            if depth == 0:
                groups.append((start, i + 1))
    if not groups:
        return s, [], s
    kept: list[str] = []
    plain: list[str] = []
    glosses: list[str] = []
    pos = 0
    # the last character of real name text: groups after it are trailing
    outside = [(a, b) for a, b in zip([0] + [g[1] for g in groups], [g[0] for g in groups] + [len(s)], strict=True)]
    last_text = max((b for a, b in outside if s[a:b].strip()), default=0)
    for a, b in groups:
        kept.append(s[pos:a])
        plain.append(s[pos:a])
        pos = b
        content = s[a + 1 : b - 1].strip()
        if not content or re.match(r"via\b", content, re.IGNORECASE) or tx.is_marker(content):
            continue
        if a < last_text:
            kept.append(f" {content} ")  # "[Richard] Dixon", "P.F. [Pavel] Yudin"
        else:
            glosses.append(content)
    kept.append(s[pos:])
    plain.append(s[pos:])
    return _edges(" ".join("".join(kept).split())), glosses, _edges(" ".join("".join(plain).split()))


# --- the data file ---------------------------------------------------------------------------------------
_PERSON_KEYS = frozenset(
    {"id", "name", "family", "initials", "order", "surname-alone", "aliases", "note", "country", "offices", "source"}
)
_ORG_KEYS = frozenset({"id", "name", "aliases", "note"})
_ALIAS_KEYS = frozenset({"name", "kind", "from", "until", "note"})


def _read(path: Path | str | None, default: str) -> tuple[dict[str, Any], str]:
    try:
        if path is None:
            data = resources.files("harvester").joinpath("data", default).read_bytes()
            where = f"harvester/data/{default}"
        else:
            data = Path(path).read_bytes()
            where = str(path)
    except OSError as error:
        raise RegistryError(f"cannot read registry file: {error}") from None
    return _parse(data, where)


def _parse(data: bytes, where: str) -> tuple[dict[str, Any], str]:
    try:
        return tomltext.loads(data.decode("utf-8")), where
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise RegistryError(f"{where}: not valid TOML: {error}") from None


def _read_persons(path: Path | str | None) -> list[tuple[dict[str, Any], str]]:
    """The persons files: one file, every ``*.toml`` in a folder (sorted), or the packaged folder."""
    if path is None:
        folder = resources.files("harvester").joinpath("data", "persons")
        files = sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
        if not files:
            raise RegistryError("harvester/data/persons/ holds no *.toml file")
        return [_parse(f.read_bytes(), f"harvester/data/persons/{f.name}") for f in files]
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("*.toml"))
        if not files:
            raise RegistryError(f"{p}: no *.toml persons file in this folder")
        return [_read(f, "") for f in files]
    return [_read(p, "")]


@lru_cache(maxsize=1)
def _persons_validator() -> Any:
    import json

    import jsonschema_rs

    schema = json.loads(resources.files("harvester").joinpath("schema", "persons.schema.json").read_text("utf-8"))
    return jsonschema_rs.validator_for(schema)


def _check_schema(doc: dict[str, Any], where: str) -> None:
    """The schema check, after the loader's own (more specific) messages: anything else malformed."""
    error = next(iter(_persons_validator().iter_errors(doc)), None)
    if error is None:
        return
    at = list(error.instance_path)
    if len(at) >= 2 and at[0] == "person" and isinstance(at[1], int):
        entry = doc["person"][at[1]]
        pid = entry.get("id") if isinstance(entry, dict) else None
        who = f"person #{at[1] + 1}" + (f" ({pid})" if isinstance(pid, str) else "")
        field = "/".join(str(x) for x in at[2:])
        raise RegistryError(f"{where}: {who}: {field + ': ' if field else ''}{error.message} (persons.schema.json)")
    raise RegistryError(f"{where}: {error.message} (persons.schema.json)")


def _table(doc: dict[str, Any], name: str, where: str) -> list[dict[str, Any]]:
    unknown = set(doc) - {name}
    if unknown:
        raise RegistryError(f"{where}: unknown top-level key(s) {sorted(unknown)}; expected [[{name}]] tables")
    entries = doc.get(name, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RegistryError(f"{where}: {name!r} must be an array of tables ([[{name}]])")
    return entries


def _text(entry: dict[str, Any], key: str, where: str, *, required: bool = False) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise RegistryError(f"{where}: missing {key!r}")
        return None
    if not isinstance(value, str) or not value.strip():
        raise RegistryError(f"{where}: {key!r} must be a non-empty string")
    return value.strip()


def _aliases(entry: dict[str, Any], where: str, kinds: frozenset[str]) -> tuple[Alias, ...]:
    raw = entry.get("aliases", [])
    if not isinstance(raw, list):
        raise RegistryError(f"{where}: 'aliases' must be a list of {{ name = ..., kind = ... }} tables")
    out = []
    for k, item in enumerate(raw):
        at = f"{where}, alias #{k + 1}"
        if not isinstance(item, dict):
            raise RegistryError(f'{at}: must be a table like {{ name = "Filippov", kind = "pseudonym" }}')
        unknown = set(item) - _ALIAS_KEYS
        if unknown:
            raise RegistryError(f"{at}: unknown key(s) {sorted(unknown)}")
        name = _text(item, "name", at, required=True)
        kind = _text(item, "kind", at, required=True)
        if kind not in kinds:
            raise RegistryError(f"{at} ({name!r}): kind {kind!r} is not one of {sorted(kinds)}")
        start, until = _text(item, "from", at), _text(item, "until", at)
        for label, value in (("from", start), ("until", until)):
            if value is not None and _span(value, strict=True) is None:
                raise RegistryError(f"{at} ({name!r}): {label} = {value!r} is not an ISO date (YYYY[-MM[-DD]])")
        if start and until and _span(start, strict=True)[0] > _span(until, strict=True)[1]:  # type: ignore[index]
            raise RegistryError(f"{at} ({name!r}): from {start} is after until {until}")
        out.append(Alias(name, kind, start, until))  # type: ignore[arg-type]
    return tuple(out)


def _person(entry: dict[str, Any], file: str, i: int) -> Person:
    where = f"{file}: person #{i + 1}" + (f" ({entry['id']})" if isinstance(entry.get("id"), str) else "")
    unknown = set(entry) - _PERSON_KEYS
    if unknown:
        raise RegistryError(f"{where}: unknown key(s) {sorted(unknown)}")
    pid = _text(entry, "id", where, required=True)
    if not _ID.match(pid):  # type: ignore[arg-type]
        raise RegistryError(f"{where}: id {pid!r} must be a Wikidata QID (Q855) or a project id (hv:ivan-kovalev)")
    name = _text(entry, "name", where, required=True)
    order = _text(entry, "order", where) or "given-first"
    if order not in ("given-first", "family-first"):
        raise RegistryError(f"{where}: order must be 'given-first' or 'family-first', not {order!r}")
    family = _text(entry, "family", where)
    if family and family not in name:  # type: ignore[operator]
        raise RegistryError(f"{where}: family {family!r} is not part of name {name!r}")
    initials = _text(entry, "initials", where)
    if initials and not re.fullmatch(r"(?:[A-Z][a-z]?\.)+", initials):
        raise RegistryError(f"{where}: initials {initials!r} must look like 'I.V.' or 'Yu.V.'")
    alone = entry.get("surname-alone", True)
    if not isinstance(alone, bool):
        raise RegistryError(f"{where}: surname-alone must be true or false")
    return Person(
        id=pid,  # type: ignore[arg-type]
        name=name,  # type: ignore[arg-type]
        aliases=_aliases(entry, where, PERSON_ALIAS_KINDS),
        family=family,
        initials=initials,
        family_first=order == "family-first",
        surname_alone=alone,
        note=_text(entry, "note", where),
        country=_text(entry, "country", where),
        offices=_offices(entry, where),
        source=_text(entry, "source", where),
    )


def _offices(entry: dict[str, Any], where: str) -> tuple[str, ...]:
    raw = entry.get("offices", [])
    if not isinstance(raw, list) or not all(isinstance(o, str) and o.strip() for o in raw):
        raise RegistryError(f"{where}: 'offices' must be a list of non-empty strings")
    return tuple(o.strip() for o in raw)


def _organisation(entry: dict[str, Any], file: str, i: int) -> Organisation:
    where = f"{file}: organisation #{i + 1}" + (f" ({entry['id']})" if isinstance(entry.get("id"), str) else "")
    unknown = set(entry) - _ORG_KEYS
    if unknown:
        raise RegistryError(f"{where}: unknown key(s) {sorted(unknown)}")
    oid = _text(entry, "id", where, required=True)
    if not _ID.match(oid):  # type: ignore[arg-type]
        raise RegistryError(f"{where}: id {oid!r} must be a Wikidata QID or a project id (hv:...)")
    return Organisation(
        id=oid,  # type: ignore[arg-type]
        name=_text(entry, "name", where, required=True),  # type: ignore[arg-type]
        aliases=_aliases(entry, where, ORGANISATION_ALIAS_KINDS),
        note=_text(entry, "note", where),
    )


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The packaged registry, loaded once."""
    return Registry.load()


# --- the glue the pipeline calls -------------------------------------------------------------------------
def people_and_organisations(
    title: str | None, *, date: str | None, registry: Registry | None = None, parts: TitleParts | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The people and organisations a title names, each ``{"name", "id", "role", "as_written"}``, in title
    order. A person met twice in one role is listed once. Forwarded messages ("Conveying the ... Telegram
    from D to E") give D and E the role "mentioned". A via that is the sender or recipient themself (a cover
    name glossed as the channel: "Terebin to Stalin [via Kuznetsov]" in 1948) is dropped."""
    reg = registry or default_registry()
    people: list[dict[str, Any]] = []
    organisations: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()
    for party in (parts if parts is not None else parse_title(title)).parties:
        r = _only_people_are_people(reg, reg.resolve(party.as_written, date=date), date)
        if r is None or not r.name:
            continue
        key = (r.id or "~" + tx.strict_key(r.name), party.role, r.kind)
        if key in seen:
            continue
        seen.add(key)
        entry = {"name": r.name, "id": r.id, "role": party.role, "as_written": party.as_written}
        (organisations if r.kind == "organisation" else people).append(entry)
    ends = {e["id"] for e in people if e["id"] and e["role"] in ("sender", "recipient")}
    people = [e for e in people if not (e["role"] == "via" and e["id"] in ends)]
    return people, organisations


def _only_people_are_people(reg: Registry, r: Resolution, date: str | None) -> Resolution | None:
    key = (r, reg.date_class(date))
    if key in reg._kinds:
        return reg._kinds[key]
    if len(reg._kinds) >= _CACHE_LIMIT:
        reg._kinds.clear()
    found = reg._kinds[key] = _person_or_not(reg, r, date)
    return found


def _person_or_not(reg: Registry, r: Resolution, date: str | None) -> Resolution | None:
    """An unresolved party is a person only if it is shaped like a name (tx.party_kind): an office or an
    organisation goes to ``organisations``, a place too (a place that sends or receives stands for its
    government), a meeting or topic word ("Meeting", "Talks", "Others") nowhere. A fragment with a name in it
    gives that name: "Leaders of the Polish Socialist Party E. Osubka-Morawski" -> "E. Osubka-Morawski",
    "Khrushchev's Comments at Conference ..." -> "Khrushchev", "Regarding Pham Van Dong" -> "Pham Van Dong"."""
    if r.id is not None:
        return r
    kind = tx.party_kind(r.name)
    if kind == "person":
        return r if r.kind == "person" else Resolution(r.as_written, r.name, None, "person", None)
    inner = _name_inside(tx.tidy(r.as_written))
    if inner and inner != r.as_written:
        found = reg.resolve(inner, date=date)
        if (found.id is not None and found.kind == "person") or tx.party_kind(found.name) == "person":
            return Resolution(r.as_written, found.name, found.id, "person", found.via_alias)
    if kind == "none":
        return None
    return Resolution(r.as_written, r.name, None, "organisation", None)


def _name_inside(text: str) -> str:
    """The personal name inside a fragment: the possessor before "'s", else the name ending it."""
    possessor = re.match(r"^(.+?)['’]s\s+(\S+)(?:\s+(\S+))?", text)
    if possessor and any(tx.in_lexicon(w, tx.POSSESSIVE_NOUNS) for w in possessor.groups()[1:] if w):
        words = possessor.group(1).split()
        tail = tx.name_tail(words)
        if tail and tx.is_person_shaped(" ".join(tail)):
            return " ".join(tail)
    words = [w for w in text.split() if w]
    tail = tx.name_tail(words)
    if tail and len(tail) < len(words) and tx.is_person_shaped(" ".join(tail)):
        return " ".join(tail)
    return ""
