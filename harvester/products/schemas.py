"""The published JSON Schemas (``harvester/schema/*.schema.json``), loaded as package data, and validation.

``record`` is the contract of a run file's line, ``dataset`` a line of ``dataset.jsonl`` (a record plus
``first_seen``/``last_seen``, its fields ``$ref``-ed into the record schema), ``manifest`` a run's ``.json``.
Every packaged schema goes into one registry under its ``$id``, so references between them resolve without
the network or the file system.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema_rs

SCHEMAS = ("record", "dataset", "manifest")


@functools.cache
def load(name: str) -> dict[str, Any]:
    """The parsed schema ``harvester/schema/<name>.schema.json``."""
    if name not in SCHEMAS:
        raise KeyError(f"unknown schema {name!r}; known: {', '.join(SCHEMAS)}")
    text = resources.files("harvester").joinpath("schema", f"{name}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)


@functools.cache
def registry() -> Any:
    return jsonschema_rs.Registry([(load(name)["$id"], load(name)) for name in SCHEMAS])


@functools.cache
def validator(name: str) -> Any:
    """A compiled validator for one schema. Formats are not checked (the patterns carry the checks), as in the
    crawl's own validation pipeline."""
    return jsonschema_rs.validator_for(load(name), registry=registry(), validate_formats=False)


def errors(name: str, instance: Any) -> list[str]:
    """Every way ``instance`` breaks schema ``name``, as ``"$.path: message"``, sorted; empty when valid."""
    check = validator(name)
    if check.is_valid(instance):
        return []
    found = []
    for error in check.iter_errors(instance):
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
        found.append(f"${path}: {error.message}")
    return sorted(found)
