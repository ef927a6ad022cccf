"""Every HARVESTER_* setting the code reads is declared once in harvester/settings.py, and read without a
literal fallback (so the default in settings.py is the one in force)."""

from __future__ import annotations

import re

from harvester import settings
from tests.support.paths import REPO

READ = re.compile(
    r"""settings\.(?:get|getint|getfloat|getbool|getdict|getlist)\(\s*["'](HARVESTER_[A-Z_]+)["']\s*(,)?"""
)


def _reads() -> list[tuple[str, str, bool]]:
    out = []
    for path in (REPO / "harvester").rglob("*.py"):
        for match in READ.finditer(path.read_text(encoding="utf-8")):
            out.append((str(path.relative_to(REPO)), match.group(1), bool(match.group(2))))
    return out


def test_every_setting_read_is_declared():
    undeclared = sorted({(where, name) for where, name, _ in _reads() if not hasattr(settings, name)})
    assert undeclared == []


def test_no_setting_is_read_with_a_literal_fallback():
    assert sorted((where, name) for where, name, fallback in _reads() if fallback) == []


def test_the_reads_are_found():
    names = {name for _, name, _ in _reads()}
    assert {"HARVESTER_RETRY_BACKOFF", "HARVESTER_SCHEDULE_AHEAD", "HARVESTER_OUTPUT_DIR"} <= names
