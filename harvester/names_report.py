"""Which names in a dataset did the registry not resolve? The to-do list for growing the registry."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import jsonlines


def unresolved_names(path: Path) -> Counter[tuple[str, str]]:
    """Count unresolved ``(name, "person" | "organisation")`` pairs in a JSONL dataset."""
    counts: Counter[tuple[str, str]] = Counter()
    if path.exists() and not path.is_dir() and not path.is_file():
        raise ValueError("not a regular file (a device or a pipe), not a JSONL dataset")
    try:
        with jsonlines.open(path) as reader:
            for line, record in enumerate(reader, start=1):
                if not isinstance(record, dict):
                    raise ValueError(f"line {line} is not a JSON object")
                for kind, key in (("person", "people"), ("organisation", "organisations")):
                    for entry in record.get(key) or []:
                        if entry.get("id") is None:
                            counts[(entry.get("name") or entry.get("as_written") or "", kind)] += 1
    except jsonlines.InvalidLineError as error:
        raise ValueError(f"not JSON Lines: {error}") from None
    return counts
