"""Helpers for tests of scheduled runs: crawls into an output folder, modified copies of the replica site."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harvester.devtools.replay import ReplayServer
from tests.support.cli import LOCAL, Result, harvester, read_jsonl
from tests.support.paths import WILSON_SITE

MAO = "mao zedong"
MAO_PAGES = ["search-mao-zedong-page-0.html", "search-mao-zedong-page-1.html", "search-mao-zedong-page-2.html"]
VOLATILE = ("crawled_at",)


def crawl(base_url: str, output_dir: Path, *args: str, settings: tuple[str, ...] = ()) -> Result:
    return harvester(
        "crawl", "wilson", *args, "--output-dir", str(output_dir), "-s", f"WILSON_BASE_URL={base_url}",
        *LOCAL, *settings,
    )


def captured_details_crawl(output_dir: Path) -> tuple[Result, dict[str, int]]:
    """A tracked ``--details --capture`` crawl of "mao zedong" on the replica (3 listing pages, 21 document
    pages, 21 records), the server stopped after it: the crawl's result and the requests the server answered."""
    server = ReplayServer(WILSON_SITE)
    base_url = server.start()
    try:
        result = crawl(base_url, output_dir, "--query", MAO, "--details", "--capture")
        return result, dict(server.requests)
    finally:
        server.stop()


def site_copy(root: Path, pages: list[str] | None = None, edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """The replica site in ``root`` with the "mao zedong" listing made of ``pages`` and text replaced in
    files (``{file: (old, new)}``)."""
    shutil.copytree(WILSON_SITE, root)
    for name, (old, new) in (edits or {}).items():
        path = root / name
        text = path.read_text(encoding="utf-8")
        assert old in text, (name, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
    if pages is not None:
        manifest = (root / "site.toml").read_text(encoding="utf-8")
        listed = json.dumps(MAO_PAGES).replace('","', '", "')
        assert listed in manifest
        manifest = manifest.replace(listed, json.dumps(pages).replace('","', '", "'))
        (root / "site.toml").write_text(manifest, encoding="utf-8")
    return root


class SwitchableSite:
    """Serve one site, then another on the same port: record ids (and URLs) stay the same across them."""

    def __init__(self, site: Path, delay: float = 0.0) -> None:
        self.delay = delay
        self.server = ReplayServer(site, delay=delay)
        self.base_url = self.server.start()
        self.port = int(self.base_url.rsplit(":", 1)[1])

    def switch(self, site: Path) -> None:
        self.server.stop()
        self.server = ReplayServer(site, port=self.port, delay=self.delay)
        self.server.start()

    def search_requests(self) -> int:
        return sum(n for target, n in self.server.requests.items() if target.startswith("/search"))

    def stop(self) -> None:
        self.server.stop()


def run_files(output_dir: Path) -> tuple[list[dict], dict]:
    """The records and the manifest of the only (or latest) run in ``output_dir``."""
    manifests = sorted((output_dir / "wilson" / "runs").glob("*.json"))
    manifest = json.loads(manifests[-1].read_text(encoding="utf-8"))
    return read_jsonl(manifests[-1].with_suffix(".jsonl")), manifest


def comparable(records: list[dict]) -> list[dict]:
    """Records without what differs between two runs of the same crawl (when), in id order."""
    return sorted(({k: v for k, v in r.items() if k not in VOLATILE} for r in records), key=lambda r: r["id"])
