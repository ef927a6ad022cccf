"""Which names in a dataset did the registry not resolve? The to-do list for growing the registry.

``unresolved_names`` counts them as written; ``group_variants`` gathers the variants of one person
("Erich Honecker", "E. Honecker", "Honecker E.", "Honecker") with their counts and example titles;
``registry_entries`` drafts a ``[[person]]`` block per group for a person to review and paste into a file of
``harvester/data/persons/``. All three are pure functions of the records.

Grouping never guesses either: a bare surname or an initialled form joins a full name only when exactly one
full name of that family fits (its initials agree); "Honecker" with both "Erich Honecker" and "Margot
Honecker" in the data stays a group of its own, marked ``ambiguous``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonlines

from harvester.normalize import text as tx


def _records(path: Path) -> Iterator[dict[str, Any]]:
    if path.exists() and not path.is_dir() and not path.is_file():
        raise ValueError("not a regular file (a device or a pipe), not a JSONL dataset")
    try:
        with jsonlines.open(path) as reader:
            for line, record in enumerate(reader, start=1):
                if not isinstance(record, dict):
                    raise ValueError(f"line {line} is not a JSON object")
                yield record
    except jsonlines.InvalidLineError as error:
        raise ValueError(f"not JSON Lines: {error}") from None


def unresolved_names(path: Path) -> Counter[tuple[str, str]]:
    """Count unresolved ``(name, "person" | "organisation")`` pairs in a JSONL dataset."""
    counts: Counter[tuple[str, str]] = Counter()
    for record in _records(path):
        for kind, key in (("person", "people"), ("organisation", "organisations")):
            for entry in record.get(key) or []:
                if entry.get("id") is None:
                    counts[(entry.get("name") or entry.get("as_written") or "", kind)] += 1
    return counts


def disagreements(path: Path) -> Counter[tuple[str, str, str, str]]:
    """Count the people where the registry and the archive's authority disagree (``"agrees": false``, from a
    ``--details`` crawl): ``(registry name, registry id, archive name, archive id)``."""
    counts: Counter[tuple[str, str, str, str]] = Counter()
    for record in _records(path):
        for entry in record.get("people") or []:
            archive = entry.get("archive") or {}
            if entry.get("agrees") is False:
                key = (
                    entry.get("name") or "",
                    entry.get("id") or "",
                    archive.get("name") or "",
                    archive.get("id") or "",
                )
                counts[key] += 1
    return counts


def format_disagreements(counts: Counter[tuple[str, str, str, str]]) -> str:
    """One line each: ``count<TAB>disagrees<TAB>registry name (id)<TAB>archive: name (id)``."""
    return "\n".join(
        f"{n}\tdisagrees\t{name} ({rid})\tarchive: {aname} ({aid})"
        for (name, rid, aname, aid), n in counts.most_common()
    )


# --- grouping the variants of one person ---------------------------------------------------------------------
@dataclass
class Group:
    """One person's unresolved variants: ``name`` is the fullest form, ``variants`` every form with its count."""

    name: str
    variants: Counter[str] = field(default_factory=Counter)
    titles: list[str] = field(default_factory=list)
    ambiguous: tuple[str, ...] = ()  # the full names a bare or initialled form could belong to

    @property
    def count(self) -> int:
        return sum(self.variants.values())


@dataclass(frozen=True)
class _Shape:
    family: str  # strict key of the family name
    given: tuple[str, ...]  # strict keys of full given names
    initials: tuple[str, ...]  # first letters of given names and initials, in order


def _shape(name: str) -> _Shape | None:
    words = [w.strip(",;:") for w in name.split() if w.strip(",;:")]
    if not words:
        return None
    if len(words) > 1 and not tx.is_initial(words[0]) and all(tx.is_initial(w) for w in words[1:]):
        words = [*words[1:], words[0]]  # "Honecker E." -> "E. Honecker"
    family = words[-1]
    if tx.is_initial(family):
        return None
    given = [w for w in words[:-1] if w.lower() not in tx.PARTICLES]
    initials: list[str] = []
    for w in given:
        if tx.is_initial(w):
            initials += [x[:1].lower() for x in w.split(".") if x]
        else:
            initials.append(tx.strict_key(w)[:1])
    full = tuple(tx.strict_key(w) for w in given if not tx.is_initial(w))
    return _Shape(tx.strict_key(family), full, tuple(initials))


def _fits(short: _Shape, full: _Shape) -> bool:
    """Can ``short`` ("E. Honecker", "Honecker") be written for ``full`` ("Erich Honecker")?"""
    if short.family != full.family:
        return False
    if any(g not in full.given for g in short.given):
        return False
    return all(i < len(full.initials) and full.initials[i] == x for i, x in enumerate(short.initials))


def group_variants(records: Iterable[dict[str, Any]], *, examples: int = 2) -> list[Group]:
    """The unresolved people of ``records`` grouped by person, most frequent first."""
    counts: Counter[str] = Counter()
    seen_in: dict[str, list[str]] = {}
    for record in records:
        for entry in record.get("people") or []:
            if entry.get("id") is not None:
                continue
            name = entry.get("name") or entry.get("as_written") or ""
            if not name:
                continue
            counts[name] += 1
            titles = seen_in.setdefault(name, [])
            title = record.get("title")
            if title and title not in titles and len(titles) < examples:
                titles.append(title)
    # one form per spelling: "Kim Il-sung" = "Kim Il Sung", "Roshchin" = "Roschin"
    forms: dict[str, list[str]] = {}
    for name in counts:
        forms.setdefault(tx.loose_key(name), []).append(name)
    heads = {key: max(names, key=lambda n: (counts[n], len(n), n)) for key, names in forms.items()}
    shapes = {key: _shape(heads[key]) for key in forms}
    full = [k for k, s in shapes.items() if s is not None and s.given]
    owner: dict[str, str] = {}
    ambiguous: dict[str, tuple[str, ...]] = {}
    for key, s in shapes.items():
        if s is None or key in full:
            continue
        fits = [k for k in full if _fits(s, shapes[k])]  # type: ignore[arg-type]
        if len(fits) == 1:
            owner[key] = fits[0]
        elif fits:
            ambiguous[key] = tuple(sorted(heads[k] for k in fits))
    # initialled forms with no full name: "E. Honecker" gathers a bare "Honecker" when it is the only one
    for key, s in shapes.items():
        if s is None or key in owner or key in full or not s.initials:
            continue
        for other, o in shapes.items():
            if other == key or other in owner or o is None or o.initials or o.given or o.family != s.family:
                continue
            rivals = [k for k, r in shapes.items() if r and r.family == s.family and r.initials and k not in owner]
            if len(rivals) == 1:
                owner[other] = key
    groups: dict[str, Group] = {}
    for key, names in forms.items():
        root = owner.get(key, key)
        while root in owner:
            root = owner[root]
        group = groups.setdefault(root, Group(heads[root]))
        for n in names:
            group.variants[n] += counts[n]
            group.titles.extend(t for t in seen_in[n] if t not in group.titles)
        if key in ambiguous:
            group.ambiguous = ambiguous[key]
    for group in groups.values():
        group.titles = group.titles[:examples]
    return sorted(groups.values(), key=lambda g: (-g.count, g.name))


def group_file(path: Path, *, examples: int = 2) -> list[Group]:
    return group_variants(_records(path), examples=examples)


# --- drafting registry entries ---------------------------------------------------------------------------
def _slug(name: str) -> str:
    return "-".join(tx.ascii_tokens(name)) or "person"


def registry_entries(
    groups: Iterable[Group], *, source: str, minimum: int = 1, taken: frozenset[str] = frozenset()
) -> str:
    """``[[person]]`` blocks, one per group seen at least ``minimum`` times, for review: the fullest form as
    ``name``; other spellings as aliases (kind "transliteration" for the reviewer to correct); forms the
    registry derives itself (the bare surname, initials) left out. Checked against the registry schema."""
    blocks = []
    for g in groups:
        if g.count < minimum or g.ambiguous:
            continue
        head = _shape(g.name)
        pid = f"hv:{_slug(g.name)}"
        if pid in taken:  # an id is never reused: another person of that name is in the registry
            continue
        entry: dict[str, Any] = {"id": pid, "name": g.name}
        aliases = []
        for variant in sorted(g.variants, key=lambda v: (-g.variants[v], v)):
            s = _shape(variant)
            derived = s is not None and head is not None and _fits(s, head) and not s.given[len(head.given) :]
            if variant == g.name or tx.strict_key(variant) == tx.strict_key(g.name) or derived:
                continue
            aliases.append({"name": variant, "kind": "transliteration"})
        if aliases:
            entry["aliases"] = aliases
        forms = ", ".join(f"{v} ×{n}" for v, n in g.variants.most_common())
        times = "once" if g.count == 1 else f"{g.count} times"
        example = f"; e.g. {g.titles[0]!r}" if g.titles else ""
        entry["note"] = f"REVIEW (order, initials, aliases' kinds): seen {times} ({forms}){example}"
        entry["source"] = source
        blocks.append(_person_block(entry))
    text = "\n".join(blocks)
    _check(text)
    return text


def _person_block(entry: dict[str, Any]) -> str:
    """One ``[[person]]`` block in the registry's own layout (aliases one inline table a line), via tomlkit."""
    import tomlkit

    table = tomlkit.table()
    for key, value in entry.items():
        if key == "aliases":
            aliases = tomlkit.array()
            for alias in value:
                item = tomlkit.inline_table()
                item.update(alias)
                aliases.append(item)
            aliases.multiline(True)
            table.add(key, aliases)
        else:
            table.add(key, value)
    people = tomlkit.aot()
    people.append(table)
    document = tomlkit.document()
    document.add("person", people)
    return tomlkit.dumps(document)


def _check(text: str) -> None:
    import tomllib

    from harvester.normalize import names

    if text:
        names._check_schema(tomllib.loads(text), "suggested entries")


_TAB = re.compile(r"\t")


def format_groups(groups: Iterable[Group]) -> str:
    """One line per group, ``count<TAB>person<TAB>name<TAB>variants``, then its example titles indented."""
    lines = []
    for g in groups:
        variants = "; ".join(f"{_TAB.sub(' ', v)} ×{n}" for v, n in g.variants.most_common())
        if g.ambiguous:
            variants += f"; ambiguous: {' / '.join(g.ambiguous)}"
        lines.append(f"{g.count}\tperson\t{g.name}\t{variants}")
        lines.extend(f"\te.g. {t}" for t in g.titles)
    return "\n".join(lines)
