"""Reading TOML: the person registry, the vocabularies, the profiles.

:mod:`rtoml` (a Rust parser) reads the packaged person registry in about 15 ms, where the standard library's
pure-Python :mod:`tomllib` takes 180 ms, in every process that resolves names (each crawl, each worker, each
``harvester parse``). It gives the same values (``tests/test_tomltext.py`` checks every packaged TOML file).
Text that rtoml refuses is read by tomllib, whose verdict and error (:class:`tomllib.TOMLDecodeError`, with line
and column) are the ones that count: callers catch what they always caught.
"""

from __future__ import annotations

import tomllib
from typing import Any

import rtoml


def loads(text: str) -> dict[str, Any]:
    """The TOML document ``text`` as a dict, as :func:`tomllib.loads` reads it."""
    try:
        return rtoml.loads(text)
    except rtoml.TomlParsingError:
        return tomllib.loads(text)
