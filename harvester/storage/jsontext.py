"""Record JSON text: how records are written in journals, run files and datasets, and hashed for the state.

:mod:`orjson` writes it (three times faster than the standard library on a record, a cost paid several times a
record), and writes what :func:`json.dumps` with ``ensure_ascii=False`` and compact separators writes, byte for
byte, for everything a record holds: strings (every code point; ``tests/test_jsontext.py`` checks them all),
integers within 64 bits, booleans, ``None``, lists, tuples and dicts with string keys. What orjson refuses (an
integer past 64 bits, a key that is not a string, a lone surrogate, a type it does not know) is handed to
:mod:`json`, which converts or raises ``TypeError`` exactly as before. Floats would be spelled the shorter way
(``1e16``, where json writes ``1e+16``), which is why only records go through here: the record schema has no
number that is not an integer.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

# Subclasses of str/int/dict/list, dataclasses and datetimes go to the fallback, which is json's own behaviour.
_PLAIN = orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME


def dumps(obj: Any) -> str:
    """Compact UTF-8 JSON text: ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``."""
    try:
        return orjson.dumps(obj, option=_PLAIN).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def canonical(obj: Any) -> bytes:
    """The UTF-8 bytes of :func:`dumps` with keys sorted at every level (what content hashes are taken of)."""
    try:
        return orjson.dumps(obj, option=_PLAIN | orjson.OPT_SORT_KEYS)
    except TypeError:
        return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def loads(text: str | bytes) -> Any:
    """A JSON value; what orjson cannot read (``NaN``, an integer past 64 bits) is read, or refused, by json."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
