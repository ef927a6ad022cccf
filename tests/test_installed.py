"""Installed copies work: a wheel in a fresh venv run from an empty folder, and a zipped egg in scrapyd.

Both are built offline from a copy of the tracked files (``--no-build-isolation`` with the pinned setuptools), so
the checkout gets no build/ or *.egg-info litter; each once for the whole run (tests.support.builds, conftest.py).
The fresh venv gets the wheel only; its dependencies come from this environment's site-packages through a ``.pth``
line (plain path lines do not run this environment's ``.pth`` hooks, so its editable install of harvester stays
out of sight).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import pytest

from tests.support.builds import build_wheel, built_once, run_build
from tests.support.cli import read_jsonl
from tests.support.paths import REPO
from tests.support.scrapyd import call, deploy_egg, start_scrapyd, wait

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="session")
def wheel(source_copy, tmp_path_factory) -> Path:
    return built_once(tmp_path_factory, "wheel", lambda folder: build_wheel(source_copy, folder))


def test_the_wheel_carries_everything_a_command_needs(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("harvester/data/demo/wilson/site.toml", "harvester/data/demo/wilson/challenge-cloudflare.html",
                   "harvester/data/profiles/wilson.toml", "harvester/schema/record.schema.json"):
        assert needed in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[scrapy]\nsettings = harvester.settings" in text
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)


def test_the_wheel_is_versioned_from_the_package(wheel):
    """pyproject.toml takes the version from harvester/__init__.py: the wheel's metadata says the same."""
    import harvester

    metadata = next(n for n in zipfile.ZipFile(wheel).namelist() if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert f"\nVersion: {harvester.__version__}\n" in text
    assert wheel.name.startswith(f"harvester-{harvester.__version__}-")


def test_an_installed_wheel_runs_the_demo_from_an_empty_folder(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    (Path(site) / "harvester-test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run_build([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "-q",
            str(wheel)], tmp_path)
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([str(python), "-c", "import harvester; print(harvester.__file__)"], cwd=empty,
                           capture_output=True, text=True, env=env, check=True).stdout
    assert str(env_dir) in where  # the installed copy,
    assert str(REPO) not in where  # not this checkout
    harvester = env_dir / ("Scripts/harvester.exe" if os.name == "nt" else "bin/harvester")
    demo = subprocess.run([str(harvester), "demo"], cwd=empty, capture_output=True, text=True, env=env,
                          timeout=180, check=False)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "21 records from 3 pages" in demo.stdout
    assert len(read_jsonl(empty / "output" / "wilson" / "dataset.jsonl")) == 21


def test_a_zipped_egg_deployed_to_scrapyd_runs_a_job_that_writes_a_dataset(egg, replay_site, tmp_path):
    home = tmp_path / "scrapyd"
    # No scrapy.cfg and no PYTHONPATH: the project exists only as the deployed egg.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    with start_scrapyd(home, env=env, project_cfg=None) as base:
        added = deploy_egg(base, egg)
        assert added["status"] == "ok", added
        assert added["spiders"] >= 3  # wilson, profile, auto
        out = tmp_path / "out"
        answer = call(base, "schedule.json", [
            ("project", "harvester"), ("spider", "wilson"), ("query", "mao zedong"),
            ("setting", f"HARVESTER_OUTPUT_DIR={out}"), ("setting", f"WILSON_BASE_URL={replay_site.base_url}"),
            ("setting", "DOWNLOAD_DELAY=0"), ("setting", "AUTOTHROTTLE_ENABLED=False"),
        ])
        assert answer["status"] == "ok", answer
        job = answer["jobid"]

        def finished():
            jobs = call(base, "listjobs.json?project=harvester")
            return next((j for j in jobs["finished"] if j["id"] == job), None)

        wait(f"job {job} to finish", finished, time.monotonic() + 90)
        log = next((home / "logs").rglob(f"{job}.log")).read_text(encoding="utf-8")
        manifest_path = out / "wilson" / "runs" / f"{job}.json"
        assert manifest_path.is_file(), log[-3000:]
        assert json.loads(manifest_path.read_text(encoding="utf-8"))["counts"]["records"] == 21
        assert len(read_jsonl(out / "wilson" / "dataset.jsonl")) == 21
        assert "run failed" not in log
