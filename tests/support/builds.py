"""Installable copies of the package, built from a copy of the tracked files (what a fresh clone has), outside the
checkout, offline (the pinned setuptools, ``--no-build-isolation``): no build/ or *.egg-info litter in it.

Under pytest-xdist each worker is a session of its own, so a session fixture would build once a worker:
:func:`built_once` builds once for the whole run (the first worker to ask, under a file lock in the folder the
run's workers share) and hands the others its result (xdist's documented pattern); without xdist it just builds.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

from tests.support.paths import REPO


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], Path]) -> Path:
    """``build(folder)`` once for the run (``folder`` empty, its own); every caller gets the path it returned."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent  # this run's, shared by its workers (popen-gw0, popen-gw1...)
    done = shared / f"{name}.path"
    with FileLock(str(shared / f"{name}.lock")):
        if not done.is_file():
            folder = shared / name
            shutil.rmtree(folder, ignore_errors=True)  # a build that failed in another worker left it
            folder.mkdir()
            done.write_text(str(build(folder)), encoding="utf-8")
        return Path(done.read_text(encoding="utf-8"))


def copy_tracked_files(target: Path) -> Path:
    """The tracked files of this checkout, copied under ``target``."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        source = REPO / name
        if source.is_symlink() or not source.is_file():
            continue
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target / name)
    return target


def run_build(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def build_wheel(source: Path, out: Path) -> Path:
    run_build([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
               str(source)], source)  # fmt: skip
    return next(out.glob("harvester-*.whl"))


def build_egg(source: Path, out: Path) -> Path:
    run_build([sys.executable, "-c", "import setuptools; setuptools.setup()", "-q", "bdist_egg", "--dist-dir",
               str(out)], source)  # fmt: skip
    return next(out.glob("harvester-*.egg"))
