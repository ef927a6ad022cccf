"""The archive's authority list as evidence for the title's people: pure, no Scrapy.

A document page lists its people as the archive's authority writes them ("Stalin, Joseph", "Mao, Zedong",
library order "Family, Given"), each a pill linking to the archive's own page of that person
(``/people/stalin-joseph``). :func:`with_archive_people` matches each person the title names to a pill:

* same family name (the registry's family name and aliases when the title's mention resolved; the words of the
  name as written when not), and
* when the registry knows the person, the pill's name resolves to the same registry id: they **agree**; a pill
  with that family name that resolves to someone else, or to nobody, **disagrees** (the record says so:
  ``"agrees": false``, and ``harvester names`` lists it);
* a person the registry does not know takes the archive's id (``<source>:people/<slug>``, from the pill's link)
  and the pill's name: a stable id and a canonical name, with ``"agrees": null`` (nothing to agree with).

Each matched person gets ``"archive": {"id", "name", "url"}``; a person no pill names is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from harvester.normalize import text as tx
from harvester.normalize.names import Registry


def archive_id(source: str, url: str | None) -> str | None:
    """``wilson:people/stalin-joseph`` for a pill linking to ``/people/stalin-joseph``; None without a link."""
    if not url:
        return None
    path = unquote(urlsplit(url).path).strip("/")
    return f"{source}:{path}" if path else None


def _family_of_pill(name: str) -> str:
    """The family name of an authority form: the part before the comma ("Stalin, Joseph" -> "Stalin")."""
    return name.split(",", 1)[0].strip()


def _families(person: Mapping[str, Any], registry: Registry) -> set[str]:
    keys: set[str] = set()
    known = registry.person(person["id"]) if person.get("id") else None
    if known is not None:
        keys.add(tx.strict_key(known.family or known.name.split()[-1]))
        for word in known.name.split():
            keys.add(tx.strict_key(word))
        for alias in known.aliases:
            keys.add(tx.strict_key(_family_of_pill(alias.name) if "," in alias.name else alias.name.split()[-1]))
    else:
        keys.update(tx.strict_key(word) for word in str(person.get("name") or "").split())
    keys.discard("")
    return keys


def with_archive_people(
    people: Sequence[Mapping[str, Any]],
    pills: Iterable[Mapping[str, Any]],
    *,
    source: str,
    registry: Registry,
    date: str | None = None,
) -> list[dict[str, Any]]:
    """``people`` (a record's, from the title) with the archive's evidence joined (see the module docstring).
    ``pills`` are ``{"name", "url"}`` (the page's authors and people, in that order). Pure."""
    candidates = [(dict(p), tx.strict_key(_family_of_pill(p["name"]))) for p in pills if p.get("name")]
    out = []
    for person in people:
        entry = dict(person)
        if str(entry.get("id") or "").startswith(f"{source}:"):
            entry["id"] = None  # an id the archive gave earlier (a re-run of this function): not the registry's
        families = _families(entry, registry)
        match = next((pill for pill, family in candidates if family in families), None)
        if match is not None:
            found = archive_id(source, match.get("url"))
            entry["archive"] = {"id": found, "name": match["name"], "url": match.get("url")}
            if entry.get("id"):
                entry["agrees"] = registry.resolve(match["name"], date=date).id == entry["id"]
            else:
                entry["agrees"] = None
                if found:
                    entry["id"] = found
                    entry["name"] = match["name"]
        out.append(entry)
    return out


def disagreements(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The people of a record where the registry and the archive disagree."""
    return [p for p in record.get("people") or [] if p.get("agrees") is False]
