"""Regexes from profiles (shared files, untrusted input) that Python's backtracking engine could take
exponential time on: refused when the profile loads (docs/reliability.md)."""

from __future__ import annotations

import re
from typing import Any


def catastrophic(pattern: str, flags: int = 0) -> str | None:
    """Why a regex can backtrack exponentially, or None. Profiles are shared files: a pattern such as
    ``^(.*)*x$`` would hang the crawl on the first page (Python's engine backtracks, with no time limit).

    Rejected: a repeat of a repeat where either is unbounded (``(a+)+``, ``(.*)*``, ``(\\w+\\s?)*``, ``(a{1,9})+``;
    a fixed count inside is fine: ``(\\d{4}-)+``), and alternatives that can start alike inside an unbounded
    repeat (``(a|ab)*``). Possessive repeats and atomic groups never backtrack and are allowed."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    try:
        tree = _parser.parse(pattern, flags)
    except re.error:
        return None
    repeats = (c.MAX_REPEAT, c.MIN_REPEAT)

    def first(items: Any) -> Any:
        for op, av in items:
            if op == c.LITERAL:
                return ("literal", av)
            if op in (c.AT, c.ASSERT, c.ASSERT_NOT):
                continue
            return "any" if op == c.ANY else ("class", repr(av))
        return "empty"

    def walk(items: Any, outer: tuple[int, int] | None) -> str | None:
        for op, av in items:
            if op in repeats:
                low, high, body = av
                if high > 1 and outer is not None and c.MAXREPEAT in (high, outer[1]) and low != high:
                    return "a repeated group contains another repeat"
                why = walk(body, (low, high) if high > 1 else outer)
                if why:
                    return why
            elif op == c.BRANCH:
                branches = av[1]
                if outer is not None and outer[1] == c.MAXREPEAT:
                    starts = [first(b) for b in branches]
                    if len(set(starts)) < len(starts) or "empty" in starts or "any" in starts:
                        return "alternatives that can match alike inside a repeat"
                for branch in branches:
                    why = walk(branch, outer)
                    if why:
                        return why
            elif op == c.SUBPATTERN:
                why = walk(av[3], outer)
                if why:
                    return why
            elif op in (c.ASSERT, c.ASSERT_NOT):
                why = walk(av[1], outer)
                if why:
                    return why
            elif op == c.GROUPREF_EXISTS:
                for part in av[1:]:
                    if part is not None:
                        why = walk(part, outer)
                        if why:
                            return why
        return None

    return walk(tree, None)
