#!/usr/bin/env python3
"""Set up the project's virtual environment if needed, then run one task in it.

    python3 run.py demo     # set up .venv, then harvest the bundled replica site into output/
    python3 run.py test     # set up .venv, then lint and run the whole test suite (on every usable CPU)
    python3 run.py bench    # set up .venv (with benchmark extras), then run the benchmark
    python3 run.py -- ARGS  # set up .venv, then run `harvester ARGS`

Only the standard library is used here, so this works on a fresh clone with nothing but Python 3.11+.
The environment is (re)installed whenever pyproject.toml or constraints.txt change: every dependency
is pinned by constraints.txt, so every machine gets the same versions.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".harvester-installed"
EXTRAS = "test,scrapyd,bench,postgres"


def _fingerprint() -> str:
    digest = hashlib.sha256(EXTRAS.encode())
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"harvester needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = _fingerprint()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print(f"run.py: creating virtual environment in {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=False).create(VENV)
    print("run.py: installing pinned dependencies (constraints.txt)", file=sys.stderr)
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "--quiet"]
    _quietly([*pip, "install", "--constraint", "constraints.txt", "pip"])
    _quietly([*pip, "install", "--constraint", "constraints.txt", "--editable", f".[{EXTRAS}]"])
    STAMP.write_text(wanted + "\n")


def compile_sources() -> None:
    """Byte-compile the checkout's own code (quick when it is up to date). An editable install leaves that to the
    first import, which writes nothing under ``PYTHONDONTWRITEBYTECODE``: then every ``harvester`` command, every
    subprocess of the test suite and every worker process compiles some 100 modules from source again (a
    fifth of a second of CPU a process)."""
    subprocess.run([str(PYTHON), "-m", "compileall", "-q", "harvester", "benchmarks", "tests"], cwd=ROOT,
                   stdout=subprocess.DEVNULL, check=False)  # fmt: skip


def _quietly(cmd: list[str]) -> None:
    """Run an install step; show its output only when it fails (build back-ends are chatty)."""
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        sys.exit(f"run.py: {' '.join(cmd[3:6])} failed (exit {proc.returncode}); see above")


def _usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may run on (a container's or taskset's share)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def pytest_args(user: list[str]) -> list[str]:
    """The suite spread over the usable CPUs by pytest-xdist, unless the arguments already say how to run it:
    ``-n N`` (``-n 0``: serially, in this process), ``-p no:xdist``, or a debugger (``--pdb``, ``--trace``)."""
    def says(arg: str) -> bool:
        return (arg in ("-n", "--numprocesses", "--pdb", "--trace", "no:xdist", "-pno:xdist")
                or arg.startswith(("--numprocesses=", "--dist", "-n")))

    if any(says(arg) for arg in user):
        return user
    # worksteal: each worker starts on its own half of the suite (a module's tests stay together, so a module's
    # fixtures are built once) and an idle worker takes tests from a busy one's queue; the slow tests go first
    # (tests/conftest.py), so that none of them is left to the end.
    return ["-n", str(_usable_cpus()), "--dist", "worksteal", *user]


def run(cmd: list[str]) -> int:
    return subprocess.run(cmd, cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    task = argv[0] if argv else "demo"
    ensure_venv()
    compile_sources()
    if task == "demo":
        return run([str(BIN / "harvester"), "demo", *argv[1:]])
    if task == "test":
        lint = run([str(BIN / "ruff"), "check", "."])
        if lint:
            print("run.py: ruff found problems (see above)", file=sys.stderr)
            return lint
        return run([str(PYTHON), "-m", "pytest", *pytest_args(argv[1:])])
    if task == "bench":
        return run([str(PYTHON), "-m", "benchmarks.run", *argv[1:]])
    if task == "--":
        return run([str(BIN / "harvester"), *argv[1:]])
    print(f"run.py: unknown task {task!r} (demo, test, bench, or -- ARGS)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
