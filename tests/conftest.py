"""Fixtures shared by the tests (helpers are plain imports from ``tests.support``)."""

from __future__ import annotations

import os

import pytest

from tests.support.paths import WILSON_SITE


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``python3 run.py test``): the modules that hold a slow test run first, each module's
    tests still together and in order, so that no worker is left with a 60-second test at the end while the
    others are idle. A serial run (plain ``pytest``, ``-n 0``) keeps the usual order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    slow = {item.module.__name__ for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.module.__name__ not in slow)  # stable: the order within each part is kept


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


@pytest.fixture(scope="session")
def source_copy(tmp_path_factory):
    """The tracked files of this checkout (what a fresh clone has), copied outside it once for the run."""
    from tests.support.builds import built_once, copy_tracked_files

    return built_once(tmp_path_factory, "src", lambda folder: copy_tracked_files(folder / "harvester-src"))


@pytest.fixture(scope="session")
def egg(source_copy, tmp_path_factory):
    """The package as a zipped egg (what scrapyd-deploy uploads), built once for the run."""
    from tests.support.builds import build_egg, built_once

    return built_once(tmp_path_factory, "egg", lambda folder: build_egg(source_copy, folder))
