"""Finding, reading and checking profiles: packaged ones through importlib.resources, files by path; cached."""

from __future__ import annotations

import functools
import json
import tomllib
from collections.abc import Mapping
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from harvester.errors import ProfileError
from harvester.normalize import tomltext
from harvester.profiles.build import ProfileBuilder, key_path
from harvester.profiles.model import Profile

PROFILE_DIR = "data/profiles"


SCHEMA_FILE = "schema/profile.schema.json"


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


@functools.lru_cache(maxsize=32)
def _load_key(key: tuple[str, int, int]) -> Profile:
    """A file's key holds its modification time and size, checked by the caller: one read a key, not a page."""
    path = key[0]
    if path.startswith(_PACKAGED):
        name = path.removeprefix(_PACKAGED)
        return _load_cached(packaged_profiles()[name].read_bytes(), f"{PROFILE_DIR}/{name}.toml (packaged)")
    return _load_cached(Path(path).read_bytes(), _label(Path(path)))


@functools.lru_cache(maxsize=32)
def _load_cached(data: bytes, label: str) -> Profile:
    try:
        parsed = tomltext.loads(data.decode("utf-8"))
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
    builder = ProfileBuilder(data, label)
    profile = builder.build()
    if builder.problems:
        raise ProfileError(_joined(label, builder.problems))
    assert profile is not None
    return profile


def _joined(label: str, problems: list[str]) -> str:
    shown = problems[:8]
    more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
    return "; ".join(f"{label}: {p}" for p in shown) + more


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
