"""Paths of the test material: the replica site, the fixtures, the real pages in ``../shared``."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"
WILSON_SITE = REPO / "harvester" / "data" / "demo" / "wilson"  # the replica (fixtures/wilson links here)
# The replica's two document pages whose quirks fixtures/README.md describes (Related Documents rows, a script in a
# transcript): they are not listings.
DOCUMENT_PAGES = (
    "documents/cable-anastas-mikoyan-joseph-stalin.html",
    "documents/about-situation-yugoslavia-and-its-foreign-policy.html",
)
SHARED = REPO.parent / "shared"
REALWORLD = SHARED / "realworld"
SEED = SHARED / "seed" / "wilson-results-page.txt"


def shared_file(*parts: str) -> Path:
    """A file from ``../shared`` (CI has it beside the clone); skip clearly if this checkout lacks it."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real material {path} is not present beside this checkout")
    return path
