"""Run the ``harvester`` command on a real terminal (a tmux pane) and read the screen as a person sees it."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.paths import REPO


@dataclass
class Screen:
    code: int | None
    final: list[str]  # the whole pane at the end, scrollback included, trailing blank lines dropped
    snapshots: list[list[str]] = field(default_factory=list)  # the visible pane while the command ran


def on_terminal(*args: str, timeout: float = 90, width: int = 160) -> Screen:
    """``python -m harvester.cli ARGS`` in a fresh tmux server (its own socket), polled while it runs."""
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed: the terminal test needs a real terminal emulator")
    socket = f"harvester-test-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", socket, "-f", os.devnull]
    done = Path(f"/tmp/{socket}.rc")
    command = f"cd {shlex.quote(str(REPO))} && {shlex.quote(sys.executable)} -m harvester.cli " + " ".join(
        shlex.quote(a) for a in args
    ) + f"; echo $? > {done}"
    subprocess.run([*tmux, "new-session", "-d", "-x", str(width), "-y", "40", "sh", "-c", command + "; sleep 600"],
                   check=True, env={**os.environ, "TERM": "xterm-256color"})  # fmt: skip
    snapshots = []
    try:
        deadline = time.monotonic() + timeout
        while not done.exists() or not done.read_text().strip():
            if time.monotonic() > deadline:
                raise AssertionError("the command did not end in time")
            pane = subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, text=True, check=False).stdout
            snapshots.append(pane.splitlines())
            time.sleep(0.1)
        code = int(done.read_text())
        pane = subprocess.run([*tmux, "capture-pane", "-p", "-S", "-", "-J"], capture_output=True, text=True,
                              check=False).stdout  # fmt: skip
    finally:
        subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)
        done.unlink(missing_ok=True)
    final = pane.rstrip("\n").splitlines()
    while final and not final[-1].strip():
        final.pop()
    return Screen(code, final, snapshots)
