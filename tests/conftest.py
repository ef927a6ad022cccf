"""Shared test fixtures: paths to the replica site and to the real material in ``../shared``."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "fixtures"
WILSON_SITE = FIXTURES / "wilson"
SHARED = REPO.parent / "shared"
REALWORLD = SHARED / "realworld"
SEED = SHARED / "seed" / "wilson-results-page.txt"


def shared_file(*parts: str) -> Path:
    """A file from ``../shared`` (CI has it beside the clone); skip clearly if this checkout lacks it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real material {path} is not present beside this checkout")
    return path


@pytest.fixture
def replay_site():
    """The replica Wilson site served on 127.0.0.1 for the duration of a test."""
    from harvester.devtools.replay import ReplayServer

    server = ReplayServer(WILSON_SITE)
    server.start()
    try:
        yield server
    finally:
        server.stop()
