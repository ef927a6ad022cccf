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


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server on 127.0.0.1 for the session (tests.support.postgres); skips, saying why, without one."""
    from tests.support.postgres import PostgresServer, why_unavailable

    why = why_unavailable()
    if why is not None:
        pytest.skip(why)
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def state_backend(request):
    """Each state backend in turn: the SQLite files, then a fresh database of the session's PostgreSQL server."""
    from tests.support.backends import StateBackendUnderTest

    if request.param == "sqlite":
        return StateBackendUnderTest("sqlite", "")
    server = request.getfixturevalue("postgres_server")
    return StateBackendUnderTest("postgresql", server.create_database())
