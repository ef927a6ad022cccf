"""What one crawled page costs the harvester, step by step, in one process and without a profiler.

    python -m benchmarks.stages                 # 1,000 pages of the benchmark site (seed 1)
    python -m benchmarks.stages --pages 2000 --json stages.json

Every step of the path of one record (docs/architecture.md) that is the harvester's own runs over the same
pages of the synthetic site (benchmarks/site.py) in the crawl's order, and its CPU time (``time.process_time``)
is reported in ms per page, beside the bare spider's own extraction on the same selectors. Profilers inflate
small Python calls unevenly (cProfile about 2x, pyinstrument more on the bare side): these are plain timings.
What this leaves out is Scrapy's side of the harvester's extra work (four pipelines and their signals, the
start-up): the crawl's CPU (``benchmarks.run``) minus the bare spider's minus the sum here.

Steps run one after another over all the pages (page-major within a step), so caches warm as in a crawl:
a title or a name seen on an earlier page is found in them.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from parsel import Selector

from benchmarks import bare_spider
from benchmarks import site as bench_site

BASE = "http://127.0.0.1:8000/search?search_api_fulltext=bench"


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


def run(pages: int, seed: int = 1) -> dict[str, Any]:
    start = time.process_time()
    from harvester.normalize import names as names_module
    from harvester.normalize import titles as titles_module

    imports = time.process_time() - start
    from harvester.crawl.worker_jobs import run_batch  # noqa: F401  (what a worker imports too)
    from harvester.parsing.profile import parse_with_profile
    from harvester.pipelines.dedupe import dedupe_key
    from harvester.pipelines.normalize import StatsTally, count_normalisation, repair_text, utc_now
    from harvester.pipelines.output import item_key
    from harvester.pipelines.validate import fast_validator
    from harvester.profiles import load_profile
    from harvester.records import FIELDS, build_record, raw_item
    from harvester.storage.journal import Journal
    from harvester.storage.state import content_hash

    imports = time.process_time() - start
    site = bench_site.Site(seed=seed, pages=pages)
    texts = [(bench_site_url(page), site.listing(page).decode("utf-8")) for page in range(pages)]
    steps: dict[str, float] = {"harvester imports (once a process)": imports}

    steps["registry load (once a process)"], registry = timed(names_module.Registry.load)
    steps["profile load (once a process)"], profile = timed(lambda: load_profile("wilson"))

    cost, selectors = timed(lambda: [Selector(text=text, base_url=url) for url, text in texts])
    steps["page: Selector (lxml parse; bare too)"] = cost
    cost, _ = timed(lambda: [(bare_spider.extract_rows(s, url), bare_spider.extract_total(s))
                             for s, (url, _) in zip(selectors, texts, strict=True)])  # fmt: skip
    bare_extract = cost
    cost, listings = timed(lambda: [parse_with_profile(s, profile, url)
                                    for s, (url, _) in zip(selectors, texts, strict=True)])  # fmt: skip
    steps["page: parse_with_profile"] = cost

    def raw_items() -> list[list[dict[str, Any]]]:
        return [
            [raw_item(block, source="wilson", listing_url=url, page=page, offset=page * 10, profile=profile)
             for block in listing.blocks]
            for page, (listing, (url, _)) in enumerate(zip(listings, texts, strict=True))
        ]  # fmt: skip

    steps["record: raw_item"], raws = timed(raw_items)
    flat = [item for page in raws for item in page]
    tally = StatsTally(None)
    steps["record: repair_text"], repaired = timed(lambda: [repair_text(item, tally) for item in flat])
    titles_module._parse_text.cache_clear()
    registry_records = registry

    def build() -> list[dict[str, Any]]:
        crawled_at = utc_now()
        return [build_record(item, crawled_at=crawled_at, registry=registry_records) for item in repaired]

    steps["record: build_record (dates, titles, names)"], records = timed(build)
    titles_module._parse_text.cache_clear()
    steps["  of which parse_title"], parts = timed(lambda: [titles_module.parse_title(r["title"]) for r in records])
    fresh = names_module.Registry.load()
    steps["  of which people_and_organisations"], _ = timed(
        lambda: [
            names_module.people_and_organisations(r["title"], date=r["date"], registry=fresh, parts=p)
            for r, p in zip(records, parts, strict=True)
        ]
    )
    steps["record: count_normalisation"], _ = timed(lambda: [count_normalisation(r, tally) for r in records])

    def validate() -> None:
        check = fast_validator().is_valid
        for record in records:
            assert check(record)
            for name in FIELDS:
                value = record.get(name)
                if value is not None and value != "" and value != []:
                    pass

    steps["record: validate (jsonschema-rs, coverage)"], _ = timed(validate)
    steps["record: dedupe key"], _ = timed(lambda: {dedupe_key(r) for r in records})
    steps["record: content_hash (tracked runs only)"], digests = timed(lambda: [content_hash(r) for r in records])
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal.create(Path(tmp) / "job", {"job_key": "bench", "run_id": "bench"})

        def stage() -> None:
            from harvester.model import PageSummary

            i = 0
            for page, listing in enumerate(listings):
                for _ in listing.blocks:
                    record = records[i]
                    journal.stage(item_key(record), record, None, digests[i])
                    i += 1
                journal.mark_done(PageSummary(page, texts[page][0], len(listing.blocks), True, listing.counts))

        steps["record: journal (key, JSON, SQLite; a commit a page)"], _ = timed(stage)
        out = Path(tmp) / "run.jsonl"
        from harvester.storage.files import write_lines_atomically

        steps["end: run file from the journal"], _ = timed(lambda: write_lines_atomically(out, journal.record_lines()))
        journal.close()
    per_page = {name: seconds * 1000 / pages for name, seconds in steps.items()}
    once = {name: seconds for name, seconds in steps.items() if "once" in name}
    loop = sum(v for k, v in per_page.items() if "once" not in k and not k.startswith("  "))
    loop -= per_page["page: Selector (lxml parse; bare too)"]
    return {
        "pages": pages,
        "records": len(records),
        "ms_per_page": per_page,
        "once_s": once,
        "bare_extraction_ms_per_page": bare_extract * 1000 / pages,
        "harvester_steps_ms_per_page": loop,
    }


def bench_site_url(page: int) -> str:
    return BASE if page == 0 else f"{BASE}&page={page}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.stages", description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", metavar="OUT")
    args = parser.parse_args(argv)
    result = run(args.pages, args.seed)
    print(f"{args.pages:,} pages, {result['records']:,} records, CPU ms per page (process_time)")
    for name, ms in result["ms_per_page"].items():
        if "once" in name:
            print(f"  {name:<52} {result['once_s'][name]:7.3f} s")
        else:
            print(f"  {name:<52} {ms:7.3f}")
    print(f"  {'bare spider: its parsel extraction':<52} {result['bare_extraction_ms_per_page']:7.3f}")
    print(
        f"  {'harvester steps per page (Selector and once excluded)':<52} {result['harvester_steps_ms_per_page']:7.3f}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
