"""Files written whole or not at all: a temporary name beside the target, fsync, rename.

A killed process never leaves a half file under the final name; JSON lines go through :mod:`jsonlines`.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonlines

from harvester.storage.jsontext import dumps


def write_jsonl_atomically(path: Path, records: Iterable[dict[str, Any]]) -> int:
    """Write JSON Lines (the jsonlines package, one compact UTF-8 record a line) under a temporary name beside
    ``path``, fsync, then rename: readers see the old file or the new one, never half of one."""
    return _write_atomically(path, records, dumps)


def write_lines_atomically(path: Path, lines: Iterable[str]) -> int:
    """:func:`write_jsonl_atomically` of records already encoded by :func:`dumps` (the journal keeps them so):
    written as they are, not decoded and encoded again."""
    return _write_atomically(path, lines, str)


def _mode_for(path: Path) -> int:
    """The permissions a rewritten file gets: those it had, or what the umask gives a new file (mkstemp's
    temporary file is 0600 whatever the umask)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        mask = os.umask(0o022)
        os.umask(mask)
        return 0o666 & ~mask


def _write_atomically(path: Path, items: Iterable[Any], encode: Any) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    count = 0
    try:
        os.fchmod(fd, _mode_for(path))
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            with jsonlines.Writer(handle, dumps=encode) as writer:
                for item in items:
                    writer.write(item)
                    count += 1
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def write_json_atomically(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    try:
        with tmp.open("w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=2)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no .part litter after a failed write (disk full)
        raise
