"""Helpers for tests that run the ``harvester`` command in a subprocess (each crawl gets its own reactor)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.support.paths import REPO

# Politeness off for the local replica: the defaults (delay, AutoThrottle) are for the real site.
LOCAL = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=4"]


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.stdout.splitlines() if line.strip()]


def harvester(*args: str, cwd: Path = REPO, timeout: float = 120) -> Result:
    env = {**os.environ, "PYTHONWARNINGS": "error::DeprecationWarning:harvester"}
    proc = subprocess.run(
        [sys.executable, "-m", "harvester.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]
