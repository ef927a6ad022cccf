"""Fixtures shared by the tests (helpers are plain imports from ``tests.support``)."""

from __future__ import annotations

import pytest

from tests.support.paths import WILSON_SITE


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
