"""A scrapyd daemon on 127.0.0.1 with its own folders, and calls to its JSON API."""

from __future__ import annotations

import contextlib
import json
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
    home.mkdir(parents=True, exist_ok=True)
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
        "max_proc = 1\n",
        encoding="utf-8",
    )
    if project_cfg is not None:
        (home / "scrapy.cfg").write_text(project_cfg, encoding="utf-8")
    log = (home / "scrapyd.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home, env=dict(env), stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return call(base, "daemonstatus.json").get("status") == "ok"
        except OSError:
            assert proc.poll() is None, (home / "scrapyd.log").read_text()
            return False

    try:
        wait("daemonstatus.json", ready, time.monotonic() + 30)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
