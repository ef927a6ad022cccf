"""Golden cases for site profiles: one folder per case, ``fixtures/profiles/<profile>/<case>/``.

Each case holds the saved page (``page.html``; a relative link when the repository already holds that
page), ``meta.json`` (the page's URL and where the page came from) and ``expected.jsonl`` (the records the
profile makes of it, ``crawled_at`` null). The test ``tests/test_profile_golden.py`` reads every case and
checks that the profile still makes exactly those records. Save a new case (then read its expected.jsonl
before committing it: it is what the code does today, not a proof that it is right)::

    python -m tests.support.golden save PROFILE PAGE.html --url URL [--case NAME] [--source "where it came from"]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from parsel import Selector

from harvester.parsing.files import decode
from harvester.parsing.profile import parse_with_profile
from harvester.profiles import load_profile
from harvester.records import build_record, raw_item
from tests.support.paths import FIXTURES

CASES = FIXTURES / "profiles"


@dataclass(frozen=True)
class Case:
    profile: str
    name: str
    folder: Path

    @property
    def id(self) -> str:
        return f"{self.profile}/{self.name}"

    def meta(self) -> dict:
        return json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))

    def expected(self) -> list[dict]:
        lines = (self.folder / "expected.jsonl").read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


def cases() -> Iterator[Case]:
    for folder in sorted(p for p in CASES.glob("*/*") if (p / "meta.json").is_file()):
        yield Case(folder.parent.name, folder.name, folder)


def records_of(profile_name: str, page: bytes, url: str) -> list[dict]:
    """What the profile makes of a page: the crawl's raw items and records (``crawled_at`` null)."""
    profile = load_profile(profile_name)
    listing = parse_with_profile(Selector(text=decode(page), base_url=url), profile, url)
    offset = listing.counts.first - 1 if listing.counts and listing.counts.first > 0 else 0
    out = []
    for block in listing.blocks:
        record = build_record(
            raw_item(block, source=profile.name, listing_url=url, page=None, offset=offset, profile=profile),
            crawled_at=None,
        )
        record.pop("_date_error", None)
        out.append(record)
    return out


def save(profile: str, page: Path, url: str, name: str | None, source: str) -> Path:
    folder = CASES / profile / (name or page.stem)
    folder.mkdir(parents=True, exist_ok=True)
    if page.resolve() != (folder / "page.html").resolve():  # re-saving a case in place keeps its page
        shutil.copyfile(page, folder / "page.html")
    (folder / "meta.json").write_text(
        json.dumps({"url": url, "source": source}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    records = records_of(profile, page.read_bytes(), url)
    with (folder / "expected.jsonl").open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.golden")
    sub = parser.add_subparsers(dest="command", required=True)
    add = sub.add_parser("save", help="save a page as a golden case of a profile")
    add.add_argument("profile")
    add.add_argument("page", type=Path)
    add.add_argument("--url", required=True, help="the page's URL (links are made absolute against it)")
    add.add_argument("--case", help="the case's folder name (default: the page's file name)")
    add.add_argument("--source", default="", help="where the page came from (provenance)")
    args = parser.parse_args(argv)
    folder = save(args.profile, args.page, args.url, args.case, args.source)
    count = len((folder / "expected.jsonl").read_text(encoding="utf-8").splitlines())
    print(f"saved {folder} ({count} records): review expected.jsonl before committing it")
    return 0


if __name__ == "__main__":
    sys.exit(main())
