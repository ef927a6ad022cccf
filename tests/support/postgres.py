"""A throwaway PostgreSQL server for the tests: ``initdb`` in a temporary folder, ``postgres`` on 127.0.0.1 at a
free port with its unix socket in that folder, stopped and removed at the end.

PostgreSQL refuses to run as root, and ``.ci/run`` runs as root: there the server runs as the unprivileged
``nobody`` user (``subprocess``'s ``user=``/``group=``), its folder handed to that user. :func:`find_bindir` finds
Debian's binaries (``/usr/lib/postgresql/<version>/bin``) or ``initdb`` on the PATH; :func:`why_unavailable` says
why the PostgreSQL tests must skip (no binaries, no psycopg, no unprivileged user).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from itertools import count
from pathlib import Path

UNPRIVILEGED = "nobody"


def find_bindir() -> Path | None:
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]), reverse=True)
    return versions[0].parent if versions else None


def why_unavailable() -> str | None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (the `postgres` extra): the PostgreSQL backend is not tested"
    if find_bindir() is None:
        return ("PostgreSQL's server binaries (initdb, postgres) were not found: install Debian's `postgresql` "
                "package (.ci/run does) to test the PostgreSQL backend")  # fmt: skip
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(UNPRIVILEGED)
        except KeyError:
            return f"running as root and there is no {UNPRIVILEGED!r} user to run postgres as (it refuses root)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    def __init__(self) -> None:
        bindir = find_bindir()
        assert bindir is not None, why_unavailable()
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="harvester-pg-"))
        self.data = self.root / "data"
        self.sockets = self.root / "sockets"
        self.log = self.root / "postgres.log"
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._names = count(1)
        self._as: dict = {}
        if os.geteuid() == 0:
            user = pwd.getpwnam(UNPRIVILEGED)
            self._as = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
            self._check_reachable_by_others(self.root.parent)

    @staticmethod
    def _check_reachable_by_others(folder: Path) -> None:
        for part in [folder, *folder.parents]:
            if not part.stat().st_mode & stat.S_IXOTH:
                raise RuntimeError(f"{part} is not searchable by {UNPRIVILEGED}: set TMPDIR to a folder that is")

    def _run(self, *args: str) -> None:
        subprocess.run(args, check=True, capture_output=True, text=True, **self._as)

    def start(self) -> PostgresServer:
        self.sockets.mkdir()
        if self._as:
            for path in (self.root, self.sockets):
                os.chown(path, self._as["user"], self._as["group"])
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "harvester", "--auth=trust",
                  "--encoding=UTF8", "--no-sync", *self._locale())  # fmt: skip
        for _ in range(5):  # the free port may be taken by someone else before postgres binds it
            self.port = _free_port()
            log = open(self.log, "ab")  # noqa: SIM115 - postgres writes it until stop()
            if self._as:
                os.chown(self.log, self._as["user"], self._as["group"])
            self.proc = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(self.data), "-h", "127.0.0.1", "-p", str(self.port),
                 "-k", str(self.sockets), "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=200"],
                stdout=log, stderr=subprocess.STDOUT, **self._as,
            )  # fmt: skip
            log.close()
            if self._wait_ready():
                return self
            self._stop_process()
        raise RuntimeError(f"postgres did not start: {self.log.read_text(errors='replace')[-2000:]}")

    @staticmethod
    def _locale() -> list[str]:
        """A locale that sorts unlike bytes, when the machine has one: the dataset's order must not follow it."""
        found = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False).stdout.split()
        for name in ("en_US.utf8", "en_US.UTF-8", "C.utf8", "C.UTF-8"):
            if name in found:
                return [f"--locale={name}"]
        return ["--no-locale"]

    def _wait_ready(self, timeout: float = 30.0) -> bool:
        import psycopg

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            with contextlib.suppress(psycopg.OperationalError):
                psycopg.connect(self.url("postgres"), connect_timeout=2).close()
                return True
            time.sleep(0.1)
        return False

    def url(self, database: str) -> str:
        return f"postgresql://harvester@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database (one a test): its URL."""
        import psycopg

        name = f"test_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def _stop_process(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown: disconnects the sessions
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        self._stop_process()
        shutil.rmtree(self.root, ignore_errors=True)
