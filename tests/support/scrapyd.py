"""A scrapyd daemon on 127.0.0.1 with its own folders, and calls to its JSON API."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def call(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=10) as response:
        return json.loads(response.read())


def wait(what: str, check: Callable[[], Any], deadline: float) -> Any:
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"scrapyd: timed out waiting for {what}")


@contextlib.contextmanager
def start_scrapyd(home: Path, *, env: Mapping[str, str], project_cfg: str | None) -> Iterator[str]:
    """scrapyd in ``home`` (its eggs, logs and dbs there), bound to 127.0.0.1; yields its base URL.
    ``project_cfg``: a scrapy.cfg for scrapyd's folder (a project importable without an egg), or None."""
    with scrapyd_daemon(home, env=env, project_cfg=project_cfg) as (base, _proc):
        yield base


def deploy_egg(base: str, egg: Path, project: str = "harvester", version: str = "1") -> dict:
    """``addversion.json`` with the egg, as scrapyd-deploy does (multipart form)."""
    import uuid

    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
             for k, v in (("project", project), ("version", version))]
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="egg"; filename="{egg.name}"\r\n'
                 "Content-Type: application/octet-stream\r\n\r\n".encode() + egg.read_bytes() + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    request = urllib.request.Request(f"{base}/addversion.json", data=body,
                                     headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def _serving(base: str, proc: subprocess.Popen, deadline: float) -> bool:
    """scrapyd answers at ``base`` (True), or it exited (False: its log says why)."""
    while time.monotonic() < deadline:
        try:
            if call(base, "daemonstatus.json").get("status") == "ok":
                return True
        except OSError:
            if proc.poll() is not None:
                return False
        time.sleep(0.2)
    raise AssertionError("scrapyd: timed out waiting for daemonstatus.json")


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc): a scrapyd's crawls."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@contextlib.contextmanager
def scrapyd_daemon(home: Path, *, env: Mapping[str, str], project_cfg: str | None,
                   max_proc: int = 1) -> Iterator[tuple[str, subprocess.Popen]]:
    """:func:`start_scrapyd`, also yielding the daemon's process (a test that kills it)."""
    home.mkdir(parents=True, exist_ok=True)
    if project_cfg is not None:
        (home / "scrapy.cfg").write_text(project_cfg, encoding="utf-8")
    # The free port may be taken (another test, another xdist worker) before scrapyd binds it: then scrapyd exits
    # saying so, and it is started again on another free port, as tests.support.postgres does for postgres.
    for _ in range(5):
        port = free_port()
        (home / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            "bind_address = 127.0.0.1\n"
            f"http_port = {port}\n"
            f"eggs_dir = {home / 'eggs'}\n"
            f"logs_dir = {home / 'logs'}\n"
            f"dbs_dir = {home / 'dbs'}\n"
            "items_dir =\n"
            "jobs_to_keep = 5\n"
            "poll_interval = 0.2\n"
            f"max_proc = {max_proc}\n",
            encoding="utf-8",
        )
        log = (home / "scrapyd.log").open("w")
        proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=dict(env), stdout=log,
                                stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            if _serving(base, proc, time.monotonic() + 30):
                break
        except AssertionError:
            proc.kill()
            proc.wait()
            log.close()
            raise
        log.close()
        text = (home / "scrapyd.log").read_text(errors="replace")
        assert "Address already in use" in text, text[-3000:]
    else:
        raise AssertionError(f"scrapyd found no free port: {text[-3000:]}")

    try:
        yield base, proc
    finally:
        for child in children(proc.pid):  # its crawls, so that none outlives the test
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
