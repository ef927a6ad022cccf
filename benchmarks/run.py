"""Benchmark the harvester against a bare Scrapy spider on a synthetic Wilson-like site (issue 6).

    python3 run.py bench --quick                 # N = 200, 2,000 pages; 0 and 100 ms latency; 3 pairs
    python3 run.py bench                         # full: N = 200, 2,000, 20,000; 5 pairs (3 at 20,000)
    python3 run.py bench --pages 2000 --latency-ms 0 --pairs 5 --json out.json
    python3 run.py bench --micro                 # parser / normaliser microbenchmarks (benchmarks/micro.py)

Both sides crawl the same local server with the same concurrency and no politeness delay, each run in a
fresh subprocess, alternating bare / harvester (order flipped every pair). Throughput is pages / wall time of
the whole subprocess (interpreter start and Scrapy start-up included, for both sides alike). The number to
read is the harvester/bare ratio, the median over pairs, not the absolute rates.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import datetime as dt
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import site as bench_site

QUICK_PAGES = (200, 2000)
FULL_PAGES = (200, 2000, 20000)
LATENCIES = (0.0, 100.0)
SETTINGS = ("DOWNLOAD_DELAY=0", "AUTOTHROTTLE_ENABLED=False", "ROBOTSTXT_OBEY=False")
ROOT = Path(__file__).resolve().parent.parent

_ACTIVE: set[int] = set()  # process-group ids of running children, killed on exit


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _kill_all() -> None:
    for pgid in list(_ACTIVE):
        _kill_group(pgid)
        _ACTIVE.discard(pgid)


@dataclass
class ChildResult:
    cmd: list[str]
    returncode: int
    wall_s: float
    cpu_user_s: float
    cpu_sys_s: float
    peak_rss_mb: float
    timed_out: bool
    stdout: Path
    stderr: Path
    descendants_cpu_s: float | None = None  # adopted descendants (the pool's forkserver, workers); None: not counted

    @property
    def cpu_s(self) -> float:
        return self.cpu_user_s + self.cpu_sys_s


PR_SET_CHILD_SUBREAPER = 36  # <linux/prctl.h>


def become_subreaper() -> bool:
    """Adopt the orphans of every child (Linux ``PR_SET_CHILD_SUBREAPER``), so that their CPU can be counted.

    The crawl's worker pool is forked by multiprocessing's forkserver, a child of the crawl that reaps the
    workers (their CPU lands in its rusage) and outlives the crawl by a moment. Without this it is reparented to
    init and its CPU, the pool's, is lost to ``wait4``. False where the call does not exist."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _children() -> set[int]:
    """This process's children, from ``/proc`` (Linux, as the subreaper is)."""
    me, found = os.getpid(), set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            # /proc/PID/stat: "pid (comm) state ppid ...", comm may hold spaces and parentheses
            if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == me:
                found.add(int(entry.name))
    return found


def reap_orphans(known: set[int], grace: float = 10.0) -> float:
    """Wait for this process's children that are not in ``known`` (a finished crawl's adopted descendants) to
    exit, killing what is left after ``grace`` seconds, and return their CPU seconds (each one's own and that
    of the children it reaped, as ``wait4`` reports it)."""
    cpu = 0.0
    deadline = time.monotonic() + grace
    while orphans := _children() - known:
        for pid in orphans:
            if time.monotonic() > deadline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            try:
                done, _, usage = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                known.add(pid)  # reaped elsewhere: nothing to count
                continue
            if done:
                cpu += usage.ru_utime + usage.ru_stime
        time.sleep(0.02)
    return cpu


def run_child(cmd: list[str], timeout: float, logdir: Path, tag: str) -> ChildResult:
    """Run one command in its own session; exact wall time, and that child's own rusage via wait4, plus (where
    this process could become a subreaper) the CPU of the descendants it left behind."""
    out, err = logdir / f"{tag}.out", logdir / f"{tag}.err"
    adopts = become_subreaper()
    known = _children() if adopts else set()
    with out.open("wb") as fout, err.open("wb") as ferr:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fout, stderr=ferr, cwd=ROOT, start_new_session=True)
        _ACTIVE.add(proc.pid)
        timed_out = threading.Event()

        def on_timeout() -> None:
            timed_out.set()
            _kill_group(proc.pid)

        timer = threading.Timer(timeout, on_timeout)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            descendants = reap_orphans(known) if adopts else None
        finally:
            timer.cancel()
            _kill_group(proc.pid)  # leftovers of the child's session, if any
            _ACTIVE.discard(proc.pid)
        proc.returncode = os.waitstatus_to_exitcode(status)
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return ChildResult(
        cmd=cmd,
        returncode=proc.returncode,
        wall_s=wall,
        cpu_user_s=usage.ru_utime,
        cpu_sys_s=usage.ru_stime,
        peak_rss_mb=usage.ru_maxrss / scale,
        timed_out=timed_out.is_set(),
        stdout=out,
        stderr=err,
        descendants_cpu_s=descendants,
    )


def _tail(path: Path, lines: int = 12) -> str:
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return "\n".join("      | " + line for line in text[-lines:])


def _count_lines(path: Path) -> int | None:
    if not path.is_file():
        return None
    with path.open("rb") as f:
        return sum(1 for line in f if line.strip())


@dataclass
class Run:
    side: str
    pages: int
    latency_ms: float
    pair: int
    ok: bool
    wall_s: float
    pages_per_s: float
    records: int | None
    records_per_s: float | None
    cpu_s: float
    cpu_user_s: float
    cpu_sys_s: float
    peak_rss_mb: float
    descendants_cpu_s: float | None = None  # in cpu_s: the crawl's descendants (its worker pool); None: not counted
    requests: dict[str, int] = field(default_factory=dict)
    server_cpu_share: float | None = None
    crawl_s: float | None = None  # the bare spider's own Scrapy elapsed time (start-up excluded)
    note: str = ""


class Harness:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.python = sys.executable
        self.harvester_bin = str(Path(sys.executable).parent / "harvester")
        self.counter = 0
        self.output_dir_option = False

    # -- commands -----------------------------------------------------------------------------------

    def start_url(self, base_url: str) -> str:
        return f"{base_url}/search?search_api_fulltext={bench_site.QUERY}"

    def bare_cmd(self, base_url: str, pages: int) -> list[str]:
        return [
            self.python, "-m", "benchmarks.bare_spider", "--url", self.start_url(base_url),
            "--pages", str(pages), "--concurrency", str(self.args.concurrency),
        ]  # fmt: skip

    def harvester_cmd(self, base_url: str, pages: int, out: Path) -> list[str]:
        c = str(self.args.concurrency)
        if self.args.harvester_cmd:
            values = {
                "python": self.python, "harvester": self.harvester_bin, "url": self.start_url(base_url),
                "out": str(out), "pages": str(pages), "concurrency": c,
            }  # fmt: skip
            return [token.format(**values) for token in shlex.split(self.args.harvester_cmd)]
        cmd = [self.harvester_bin, "crawl", "wilson", "--start-url", self.start_url(base_url), "--out", str(out)]
        if self.output_dir_option:
            # A fresh dataset root per run: no run registry or state carried over from an earlier run,
            # and nothing written into the repository's output/.
            cmd += ["--output-dir", str(out.with_suffix(".d"))]
        settings = (*SETTINGS, f"CONCURRENT_REQUESTS={c}", f"CONCURRENT_REQUESTS_PER_DOMAIN={c}", "LOG_LEVEL=WARNING",
                    *self.args.setting)  # fmt: skip
        for setting in settings:
            cmd += ["-s", setting]
        return cmd

    def harvester_available(self) -> tuple[bool, str]:
        if self.args.harvester_cmd:
            return True, f"--harvester-cmd override: {self.args.harvester_cmd}"
        if self.args.bare_only:
            return False, "--bare-only"
        if not Path(self.harvester_bin).exists():
            return False, f"{self.harvester_bin} not found"
        try:
            probe = subprocess.run(
                [self.harvester_bin, "crawl", "--help"], capture_output=True, text=True, timeout=60, cwd=ROOT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return False, f"`harvester crawl --help` failed: {exc}"
        if probe.returncode != 0:
            why = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or [""]
            return False, f"`harvester crawl --help` exited {probe.returncode}: {why[0][:200]}"
        self.output_dir_option = "--output-dir" in probe.stdout
        if "--start-url" not in probe.stdout:
            return True, "harvester crawl --help does not mention --start-url; trying anyway"
        return True, "harvester crawl"

    # -- one run ------------------------------------------------------------------------------------

    def run_side(self, side: str, base_url: str, server_pid: int, pages: int, latency: float, pair: int) -> Run:
        import psutil

        self.counter += 1
        tag = f"{self.counter:03d}-{side}-{pages}-{int(latency)}ms-{pair}"
        out = self.workdir / f"{tag}.jsonl"
        cmd = self.bare_cmd(base_url, pages) if side == "bare" else self.harvester_cmd(base_url, pages, out)
        timeout = self.args.run_timeout or (120 + pages * 0.05 + pages * latency / 1000 / self.args.concurrency * 4)
        server = psutil.Process(server_pid)
        before, cpu0 = bench_site.server_stats(base_url), server.cpu_times()
        child = run_child(cmd, timeout, self.workdir, tag)
        after, cpu1 = bench_site.server_stats(base_url), server.cpu_times()
        requests = {k: after[k] - before[k] for k in ("listing", "empty", "robots", "other")}
        server_cpu = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
        crawl_s = None
        records: int | None
        if side == "bare":
            records = None
            with contextlib.suppress(ValueError, IndexError):
                summary = json.loads(child.stdout.read_text().strip().splitlines()[-1])
                records, crawl_s = summary["records"], summary["crawl_s"]
        else:
            records = _count_lines(out)
            if not self.args.keep:
                with contextlib.suppress(OSError):
                    out.unlink()
                shutil.rmtree(out.with_suffix(".d"), ignore_errors=True)
        ok = child.returncode == 0 and not child.timed_out
        notes = []
        if child.timed_out:
            notes.append(f"timed out after {timeout:.0f} s")
        elif child.returncode != 0:
            notes.append(f"exit {child.returncode}")
        if records is None:
            notes.append("no record count" if side == "bare" else f"no output file {out.name}")
        elif records != pages * bench_site.PAGE_SIZE:
            notes.append(f"records {records} != {pages * bench_site.PAGE_SIZE} expected")
        if requests["listing"] != pages:
            notes.append(f"server saw {requests['listing']} listing requests for {pages} pages")
        run = Run(
            side=side,
            pages=pages,
            latency_ms=latency,
            pair=pair,
            ok=ok,
            wall_s=child.wall_s,
            pages_per_s=pages / child.wall_s,
            records=records,
            records_per_s=None if records is None else records / child.wall_s,
            cpu_s=child.cpu_s + (child.descendants_cpu_s or 0.0),
            cpu_user_s=child.cpu_user_s,
            cpu_sys_s=child.cpu_sys_s,
            peak_rss_mb=child.peak_rss_mb,
            descendants_cpu_s=child.descendants_cpu_s,
            requests=requests,
            server_cpu_share=server_cpu / child.wall_s,
            crawl_s=crawl_s,
            note="; ".join(notes),
        )
        rec = f"{'-':>8}" if run.records_per_s is None else f"{run.records_per_s:8.0f}"
        label = "warm-up" if pair < 0 else f"pair {pair + 1:<2}"
        pool = "    -   " if run.descendants_cpu_s is None else f"{run.descendants_cpu_s:6.2f} s"
        print(
            f"  {label:<7} {side:<9} {run.wall_s:7.2f} s {run.pages_per_s:8.1f} pages/s {rec} rec/s"
            f"  cpu {run.cpu_s:6.2f} s (pool {pool})  rss {run.peak_rss_mb:6.0f} MB"
            f"  server cpu {run.server_cpu_share:4.0%}" + (f"  ! {run.note}" if run.note else ""),
            flush=True,
        )
        if not ok:
            print(f"    command: {shlex.join(cmd)}\n{_tail(child.stderr)}", flush=True)
        return run

    # -- one configuration --------------------------------------------------------------------------

    def run_config(self, pages: int, latency: float, pairs: int, with_harvester: bool) -> dict[str, Any]:
        print(f"\n== N = {pages:,} pages, latency {latency:g} ms, concurrency {self.args.concurrency}, "
              f"{pairs} {'pairs' if with_harvester else 'runs (bare only)'}", flush=True)  # fmt: skip
        runs: list[Run] = []
        harvester_ok = with_harvester
        max_seconds = 4 * 3600
        with bench_site.server_process(pages, latency, self.args.seed, max_seconds) as (base_url, proc):
            for pair in range(pairs):
                order = ["bare", "harvester"] if pair % 2 == 0 else ["harvester", "bare"]
                for side in order:
                    if side == "harvester" and not harvester_ok:
                        continue
                    run = self.run_side(side, base_url, proc.pid, pages, latency, pair)
                    runs.append(run)
                    if side == "harvester" and not run.ok:
                        harvester_ok = False
                        print("    harvester failed: no more harvester runs in this configuration", flush=True)
        return {"pages": pages, "latency_ms": latency, "pairs": pairs, "runs": [asdict(r) for r in runs],
                "summary": summarise(runs)}  # fmt: skip


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarise(runs: list[Run]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for side in ("bare", "harvester"):
        ok = [r for r in runs if r.side == side and r.ok]
        if not ok:
            continue
        result[side] = {
            "runs": len(ok),
            "pages_per_s": _median([r.pages_per_s for r in ok]),
            "records_per_s": _median([r.records_per_s for r in ok if r.records_per_s is not None]),
            "wall_s": _median([r.wall_s for r in ok]),
            "cpu_s": _median([r.cpu_s for r in ok]),
            "cpu_ms_per_page": _median([r.cpu_s / r.pages * 1000 for r in ok]),
            "pool_cpu_s": _median([r.descendants_cpu_s for r in ok if r.descendants_cpu_s is not None]),
            "peak_rss_mb": max(r.peak_rss_mb for r in ok),
            "server_cpu_share": _median([r.server_cpu_share or 0.0 for r in ok]),
            "startup_s": _median([r.wall_s - r.crawl_s for r in ok if r.crawl_s is not None]),
        }
    pairs = {}
    for r in runs:
        if r.ok:
            pairs.setdefault(r.pair, {})[r.side] = r
    both = [p for p in pairs.values() if "bare" in p and "harvester" in p]
    if both:
        ratios = [p["harvester"].pages_per_s / p["bare"].pages_per_s for p in both]
        cpu = [p["harvester"].cpu_s / p["bare"].cpu_s for p in both]
        result["ratio"] = {
            "throughput_median": statistics.median(ratios),
            "throughput_pairs": ratios,
            "cpu_median": statistics.median(cpu),
            "rss_median": statistics.median([p["harvester"].peak_rss_mb / p["bare"].peak_rss_mb for p in both]),
        }
    return result


def print_table(configs: list[dict[str, Any]]) -> None:
    print("\nSummary (medians over runs; throughput = pages / wall time of the whole subprocess, start-up included)")
    header = (
        f"{'N':>6} {'lat ms':>6}  {'side':<9} {'pages/s':>8} {'rec/s':>8} {'wall s':>7} {'CPU s':>7} "
        f"{'CPU ms/pg':>9} {'RSS MB':>7} {'srv cpu':>7}  {'harv/bare thr':>13} {'CPU x':>6}"
    )
    print(header)
    print("-" * len(header))
    for config in configs:
        summary = config["summary"]
        ratio = summary.get("ratio")
        for side in ("bare", "harvester"):
            s = summary.get(side)
            if s is None and not any(r["side"] == side for r in config["runs"]):
                continue
            if s is None:
                print(f"{config['pages']:>6} {config['latency_ms']:>6g}  {side:<9} {'(no successful run)':>30}")
                continue
            rec = f"{s['records_per_s']:8.0f}" if s["records_per_s"] is not None else f"{'-':>8}"
            extra = ""
            if side == "harvester" and ratio:
                spread = f"{min(ratio['throughput_pairs']):.2f}-{max(ratio['throughput_pairs']):.2f}"
                extra = f"  {ratio['throughput_median']:5.2f} ({spread}) {ratio['cpu_median']:5.2f}x"
            print(
                f"{config['pages']:>6} {config['latency_ms']:>6g}  {side:<9} {s['pages_per_s']:8.1f} {rec} "
                f"{s['wall_s']:7.2f} {s['cpu_s']:7.2f} {s['cpu_ms_per_page']:9.2f} {s['peak_rss_mb']:7.0f} "
                f"{s['server_cpu_share']:7.0%}{extra}"
            )
    startups = [c["summary"]["bare"]["startup_s"] for c in configs if c["summary"].get("bare", {}).get("startup_s")]
    if startups:
        print(
            f"Start-up + shut-down of a crawl subprocess (bare: wall - Scrapy elapsed_time_seconds): "
            f"{statistics.median(startups):.2f} s median, counted in both sides' wall times."
        )
    print(
        "harv/bare thr = median over pairs of harvester pages/s / bare pages/s (min-max of the pairs);"
        " CPU x = median of harvester CPU s / bare CPU s.\nCPU s = user + system time of the crawl process and"
        " (Linux) of its descendants (the worker pool, adopted as a subreaper: 'pool' per run).\n"
        "srv cpu = the test server's CPU share during the"
        " run (near 100% would mean the server, not the crawler, was the limit)."
    )


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",") if x.strip()]


def _ints(text: str) -> list[int]:
    return [int(x.replace("_", "")) for x in text.split(",") if x.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 run.py bench",
        description="Harvester vs bare Scrapy spider throughput on a synthetic Wilson-like site (issue 6).",
        epilog="Method and caveats: benchmarks/README.md",
    )
    parser.add_argument("--quick", action="store_true", help="N = 200 and 2,000 only, 3 pairs")
    parser.add_argument("--pages", type=_ints, help="comma-separated page counts (default: by mode)")
    parser.add_argument("--latency-ms", type=_floats, help="comma-separated per-request latencies (default 0,100)")
    parser.add_argument("--pairs", type=int, help="bare/harvester pairs per configuration (quick 3, full 5/3)")
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN), both sides")
    parser.add_argument("--seed", type=int, default=1, help="synthetic site seed")
    parser.add_argument("--json", metavar="OUT", help="write all results (every run) as JSON here")
    parser.add_argument("--micro", action="store_true", help="run the microbenchmarks (benchmarks/micro.py) only")
    parser.add_argument("--bare-only", action="store_true", help="skip the harvester side")
    parser.add_argument("--no-warmup", action="store_true", help="skip the unmeasured warm-up run of each side")
    parser.add_argument("--no-ceiling", action="store_true", help="skip measuring the server's own ceiling")
    parser.add_argument("--run-timeout", type=float, help="seconds before a crawl subprocess is killed")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, harvester output)")
    parser.add_argument(
        "-s", "--setting", action="append", default=[], metavar="NAME=VALUE",
        help="a setting for the harvester's crawls only (repeatable), e.g. HARVESTER_NORMALIZE_WORKERS=0",
    )  # fmt: skip
    # Testing the harness itself: a command template standing in for the harvester, with {python},
    # {harvester}, {url}, {out}, {pages}, {concurrency} placeholders.
    parser.add_argument("--harvester-cmd", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.micro:
        from benchmarks import micro

        results = micro.run_all()
        if args.json:
            Path(args.json).write_text(json.dumps({"micro": results}, indent=2, default=str))
            print(f"\nwrote {args.json}")
        return 0

    pages_list = args.pages or list(QUICK_PAGES if args.quick else FULL_PAGES)
    latencies = args.latency_ms if args.latency_ms is not None else list(LATENCIES)

    def pairs_for(pages: int) -> int:
        if args.pairs:
            return args.pairs
        if args.quick:
            return 3
        return 3 if pages >= 20000 else 5

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # Measure the steady state an installed copy has: bytecode compiled once (a checkout under
    # PYTHONDONTWRITEBYTECODE would compile its modules from source in every crawl and every worker).
    compileall.compile_dir(ROOT / "harvester", quiet=1)
    compileall.compile_dir(ROOT / "benchmarks", quiet=1)
    workdir = Path(tempfile.mkdtemp(prefix="harvester-bench-"))
    harness = Harness(args, workdir)
    meta: dict[str, Any] = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "concurrency": args.concurrency,
        "seed": args.seed,
        "method": "pages / wall seconds of each crawl subprocess (start-up included), fresh process per run, "
        "bare/harvester alternated with the order flipped every pair; ratio = median over pairs",
    }
    with contextlib.suppress(ImportError):
        import scrapy

        meta["scrapy"] = scrapy.__version__
    configs: list[dict[str, Any]] = []
    try:
        available, why = harness.harvester_available()
        meta["harvester"] = {"available": available, "how": why}
        print(f"harvester side: {'yes' if available else 'harvester CLI not available'} ({why})", flush=True)
        if not args.no_ceiling:
            ceiling = bench_site.measure_ceiling(pages=2000, seconds=2.0, concurrency=args.concurrency,
                                                 seed=args.seed)  # fmt: skip
            meta["server_ceiling"] = ceiling
            print(
                f"server alone (keep-alive client, {args.concurrency} connections, 0 ms): "
                f"{ceiling['pages_per_s']:.0f} pages/s, {ceiling['mb_per_s']:.0f} MB/s, "
                f"{ceiling['avg_page_kb']:.0f} KB/page, server CPU {ceiling['server_cpu_share']:.0%}",
                flush=True,
            )
        for latency in latencies:
            if latency > 0:
                print(f"latency {latency:g} ms caps any crawler at {args.concurrency / latency * 1000:.0f} pages/s "
                      f"(concurrency / latency)")  # fmt: skip
        if not args.no_warmup:
            print("\nwarm-up (not measured): one run of each side on a 50-page site", flush=True)
            with bench_site.server_process(50, 0.0, args.seed, 600) as (base_url, proc):
                harness.run_side("bare", base_url, proc.pid, 50, 0.0, -1)
                if available:
                    harness.run_side("harvester", base_url, proc.pid, 50, 0.0, -1)
        for latency in latencies:
            for pages in pages_list:
                configs.append(harness.run_config(pages, latency, pairs_for(pages), available))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
    finally:
        _kill_all()
        if args.keep:
            print(f"work directory kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if configs:
        print_table(configs)
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "configs": configs}, indent=2, default=str))
        print(f"\nwrote {args.json}")
    return 0 if configs else 1


if __name__ == "__main__":
    sys.exit(main())
