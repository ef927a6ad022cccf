"""Reparse against the crawl that captured it (issue 15): the same synthetic site, the same machine, one run.

For each pair: a capturing one-off crawl of N pages of the synthetic site at the given latency
(``harvester crawl wilson --start-url ... --out FILE --capture``, politeness off as in benchmarks.run), then
``harvester reparse FILE.warc.gz --out OTHER`` of its WARC with no server involved. Both are child processes
timed the same way (wall clock, and their own CPU through ``wait4``); the figure is the ratio of their rates.
``--profile`` runs one more reparse in this process under pyinstrument and prints where its time goes.

    python -m benchmarks.reparse --pages 1000 --pairs 3 [--latency-ms 0] [--workers 1,default] [--profile]
        [--details]

``--details``: the crawl follows every result to its document page (the synthetic site answers each with the
replica's page built from a real one), so the capture holds 11 responses a listing page and reparse re-reads
them all; the rates stay per listing page.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks import site as bench_site
from benchmarks.run import SETTINGS, run_child


def _records(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--profile", action="store_true", help="profile one reparse in-process (pyinstrument)")
    parser.add_argument("--details", action="store_true",
                        help="crawl with --details: every result's document page too (one real page's markup)")
    parser.add_argument("--workers", type=lambda text: text.split(","), default=["default"],
                        help="reparse with each of these --workers values, comma-separated ('default': the "
                             "harvester's, one a usable CPU), e.g. 1,default")
    args = parser.parse_args(argv)
    harvester = str(Path(sys.executable).parent / "harvester")
    work = Path(tempfile.mkdtemp(prefix="harvester-reparse-bench-"))
    c = str(args.concurrency)
    settings = [token for s in (*SETTINGS, f"CONCURRENT_REQUESTS={c}", f"CONCURRENT_REQUESTS_PER_DOMAIN={c}",
                                "LOG_LEVEL=WARNING") for token in ("-s", s)]  # fmt: skip
    ratios: dict[str, list[float]] = {}
    warc = None
    print(f"N = {args.pages:,} pages, latency {args.latency_ms:g} ms, {args.pairs} pairs; work dir {work}")
    with bench_site.server_process(args.pages, args.latency_ms) as (base_url, _proc):
        url = f"{base_url}/search?search_api_fulltext={bench_site.QUERY}"
        for pair in range(args.pairs):
            out = work / f"crawl-{pair}.jsonl"
            details = ["--details", "-s", "HARVESTER_MAX_FAILED_DETAIL_RATIO=1"] if args.details else []
            crawl = run_child([harvester, "crawl", "wilson", "--start-url", url, "--out", str(out), "--capture",
                               *details, *settings], 600 + 3 * args.pages, work, f"crawl-{pair}")  # fmt: skip
            warc = out.with_name(out.name + ".warc.gz")
            n_crawl, crawl_rate = _records(out), args.pages / crawl.wall_s
            print(f"  pair {pair + 1}: crawl {crawl.wall_s:6.2f} s {crawl_rate:7.1f} pages/s "
                  f"{n_crawl / crawl.wall_s:7.0f} rec/s cpu {crawl.cpu_s:6.2f} s "
                  f"(WARC {warc.stat().st_size / 1e6:.1f} MB)")  # fmt: skip
            if crawl.returncode:
                print(f"  pair {pair + 1}: crawl exit {crawl.returncode}: see {work}")
                return 1
            for workers in args.workers:
                again = work / f"reparse-{pair}-{workers}.jsonl"
                given = [] if workers == "default" else ["--workers", workers]
                reparse = run_child([harvester, "reparse", str(warc), "--out", str(again), *given],
                                    600 + args.pages, work, f"reparse-{pair}-{workers}")  # fmt: skip
                if reparse.returncode:
                    print(f"  pair {pair + 1}: reparse exit {reparse.returncode}: see {work}")
                    return 1
                n_again, reparse_rate = _records(again), args.pages / reparse.wall_s
                ratios.setdefault(workers, []).append(reparse_rate / crawl_rate)
                print(f"          reparse (workers {workers}) {reparse.wall_s:6.2f} s {reparse_rate:7.1f} pages/s "
                      f"{n_again / reparse.wall_s:7.0f} rec/s cpu {reparse.cpu_s:6.2f} s | "
                      f"{ratios[workers][-1]:.2f}x  (records {n_crawl}/{n_again})")  # fmt: skip
    for workers, found in ratios.items():
        print(f"reparse (workers {workers}) / crawl rate: median {statistics.median(found):.2f}x "
              f"(range {min(found):.2f}-{max(found):.2f})")
    if args.profile and warc is not None:
        _profile(warc)
    return 0


def _profile(warc: Path) -> None:
    from pyinstrument import Profiler

    from harvester.cli import _spider_classes
    from harvester.crawl.reparse import Tally, build_spider, capture_info, reparse
    from harvester.normalize.names import default_registry

    spider = build_spider(capture_info([warc]), _spider_classes())
    registry = default_registry()
    profiler = Profiler()
    with profiler:
        count = sum(1 for _ in reparse([warc], spider, registry, Tally()))
    print(f"\nprofile of one in-process reparse ({count} records):")
    print(profiler.output_text(unicode=False, color=False, show_all=False))


if __name__ == "__main__":
    sys.exit(main())
