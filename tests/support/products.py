"""Real output for the product tests (schemas, export, report, diff, status): crawls of the replica site.

One harvest per test process, built on first use and shared (read-only) by the test modules:

* ``older``: a tracked --full run of "mao zedong" while the listing held only its last 11 documents;
* ``newer``: the same job once the archive showed all 21, with one summary and one title edited
  (so against ``older``: 10 added, 2 changed; against ``newer`` the other way round: 10 removed);
* ``people``: another job (the Mao Zedong people facet, 13 records) into the same output folder;
* ``failed``: a copy of that output folder plus a run blocked by a challenge page (exit 1).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.support.cli import read_jsonl
from tests.support.runs import MAO, MAO_PAGES, SwitchableSite, crawl, site_copy

SUMMARY_EDIT = ("Stalin has not heard an answer, and demands an immediate one.", "Stalin has heard no answer yet.")
TITLE_EDIT = (
    "Memorandum, I.V. Kovalev to Filippov [Stalin] on the Economic Situation in Manchuria",
    "Report, I.V. Kovalev to Filippov [Stalin] on the Economic Situation in Manchuria",
)


@dataclass(frozen=True)
class Harvest:
    output: Path  # output folder of the three good runs
    failed_output: Path  # a copy of it with a failed run on top
    older: str  # run ids
    newer: str
    people: str
    failed: str

    @property
    def dataset(self) -> Path:
        return self.output / "wilson" / "dataset.jsonl"

    def run_file(self, run_id: str) -> Path:
        return self.output / "wilson" / "runs" / f"{run_id}.jsonl"

    def records(self, run_id: str) -> list[dict]:
        return read_jsonl(self.run_file(run_id))


_CACHE: dict[str, Harvest] = {}


def _last_run(output: Path, before: set[str]) -> str:
    ids = {p.stem for p in (output / "wilson" / "runs").glob("*.json")} - before
    assert len(ids) == 1, ids
    return ids.pop()


def _run(site: SwitchableSite, output: Path, *args: str, expect: int = 0) -> str:
    runs = output / "wilson" / "runs"
    before = {p.stem for p in runs.glob("*.json")} if runs.is_dir() else set()
    result = crawl(site.base_url, output, *args)
    assert result.code == expect, result.stdout + result.stderr
    return _last_run(output, before)


def harvest(root: Path) -> Harvest:
    """The shared harvest (made in ``root`` the first time)."""
    if "harvest" in _CACHE:
        return _CACHE["harvest"]
    older_site = site_copy(root / "site-older", pages=MAO_PAGES[1:])
    newer_site = site_copy(root / "site-newer", edits={"search-mao-zedong-page-1.html": SUMMARY_EDIT})
    text = (newer_site / "search-mao-zedong-page-1.html").read_text(encoding="utf-8")
    assert TITLE_EDIT[0] in text
    (newer_site / "search-mao-zedong-page-1.html").write_text(text.replace(*TITLE_EDIT), encoding="utf-8")
    output = root / "output"
    site = SwitchableSite(older_site)
    try:
        older = _run(site, output, "--query", MAO, "--full")
        site.switch(newer_site)
        newer = _run(site, output, "--query", MAO, "--full")
        people = _run(site, output, "--people", "81716", "--full")
        failed_output = root / "output-with-failure"
        shutil.copytree(output, failed_output)
        failed = _run(site, failed_output, "--query", "challenge", expect=1)
    finally:
        site.stop()
    _CACHE["harvest"] = Harvest(output, failed_output, older, newer, people, failed)
    return _CACHE["harvest"]
