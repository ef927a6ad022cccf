"""The ``harvester`` command: crawl, parse, serve, demo, names, profile (--suggest), score; for data users
export, report, diff, status (harvester/products/); for many nodes jobs and schedule (harvester/scheduling/).

Exit codes: 0 success; 1 the run failed (no records, a challenge page, failed pages, errors, its files could not
be written); 2 bad usage or bad input (unknown spider, facet or sort, a missing file, a file that is not a
listing, a damaged state store or job dir, a job that is already running); 130 interrupted (Ctrl-C or SIGTERM:
resumable). Every failure is one clear line on stderr.

``crawl`` without ``--out`` is a tracked run (output/<source>/runs/, state.sqlite, dataset.jsonl; incremental
unless ``--full``; ``--resume`` continues an interrupted one); with ``--out FILE`` it is a one-off harvest into
FILE only. See docs/scheduling.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from harvester import __version__
from harvester.errors import INTERRUPTED, HarvesterError, UsageError

DEMO_QUERY = "mao zedong"


def _print_error(message: str) -> None:
    print(f"harvester: error: {message}", file=sys.stderr)


# --- crawl --------------------------------------------------------------------------------------------------


def _spider_classes() -> dict[str, type]:
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    loader = SpiderLoader.from_settings(settings)
    return {name: loader.load(name) for name in loader.list()}


def _setting_pairs(pairs: Sequence[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"-s expects NAME=VALUE, got {pair!r}")
        out[name.strip()] = value
    return out


def _check_output(path: Path) -> None:
    """Fail before crawling, not after, when the output cannot be written."""
    if path.exists() and path.is_dir():
        raise UsageError(f"--out {path} is a directory; give a file name such as {path / 'records.jsonl'}")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        what = "a symbolic link" if path.is_symlink() else "not a regular file (a device, a pipe or a socket)"
        raise UsageError(f"--out {path} is {what}: the output replaces a regular file, give a file name")
    parent = path.parent
    existing = parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UsageError(f"--out {path}: {existing} is a file, not a directory")
    import os

    if not os.access(existing, os.W_OK):
        raise UsageError(f"--out {path}: {existing} is not writable")


def run_crawl(spider: str, spider_args: dict[str, Any], overrides: dict[str, Any]) -> int:
    """Run one crawl in this process and return its exit code (0 ok, 1 failed, 2 usage)."""
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    from harvester.crawl.interrupts import Interrupts
    from harvester.setting_checks import check_settings

    interrupts = Interrupts().install()  # from here on a Ctrl-C never raises inside the crawl's start-up

    classes = _spider_classes()
    if spider not in classes:
        if "://" in spider:  # a URL where the spider's name belongs: say how a URL is crawled
            raise UsageError(
                f"{spider!r} is a URL, not a spider: crawl a Wilson search with `crawl wilson --start-url URL`, "
                "another listing with `crawl --auto URL`"
            )
        raise UsageError(f"unknown spider {spider!r}; known: {', '.join(sorted(classes))}")
    spidercls = classes[spider]
    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    check_settings(overrides, settings)  # types and ranges, before anything is written
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    if settings.get("HARVESTER_CONTACT_URL"):
        settings.set(
            "USER_AGENT", f"harvester/{__version__} (+{settings.get('HARVESTER_CONTACT_URL')})", priority="cmdline"
        )
    spider_args = {k: v for k, v in spider_args.items() if v is not None}
    check_args = dict(spider_args)
    if hasattr(spidercls, "settings_arguments"):  # e.g. a profile's base URL setting
        check_args = spidercls.settings_arguments(settings, check_args)
    checked = spidercls(**check_args)  # validate the arguments before any network or file activity
    if settings.get("HARVESTER_OUTPUT_PATH"):
        _check_output(Path(settings.get("HARVESTER_OUTPUT_PATH")))
    _check_run(settings, checked)

    from harvester.crawl.logs import install_cli_logging
    from harvester.crawl.memory import crawl_collector
    from harvester.crawl.progress import is_terminal

    install_cli_logging(settings, terminal=is_terminal(settings, sys.stderr))
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")  # install_cli_logging did it
    interrupts.check()
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(spidercls)
    failures: list[Any] = []
    # The run starts with its keeper, inside crawl(); a run that cannot start fails this Deferred at once (the
    # same job started a moment ago, a full disk) and the reactor is never started.
    process.crawl(crawler, **spider_args).addErrback(failures.append)
    from twisted.internet import reactor  # installed by crawl() (TWISTED_REACTOR)

    interrupts.watch(crawler, reactor)
    try:
        with crawl_collector(settings.getint("HARVESTER_GC_THRESHOLD")):
            process.start(install_signal_handlers=False)  # Interrupts has SIGINT and SIGTERM
        return _report(crawler, failures, interrupts)
    finally:
        interrupts.done()



def _report(crawler: Any, failures: list[Any], interrupts: Any) -> int:
    """The crawl's outcome on stdout and stderr; its exit code."""
    from harvester.crawl.run_keeper import RunKeeper

    try:
        keeper = crawler.get_extension(RunKeeper)
    except RuntimeError:  # the crawl never got as far as its extensions
        keeper = None
    outcome = keeper.outcome if keeper is not None else None
    if outcome is None and failures and isinstance(failures[0].value, HarvesterError):
        raise failures[0].value
    if outcome is None and interrupts.count:
        print("harvester: interrupted before the run could finish -> what was done is kept: continue with --resume")
        _print_error("interrupted (stopped at once)")
        return INTERRUPTED
    if outcome is None:
        if failures:
            failures[0].raiseException()  # a bug: its traceback
        print("harvester: the crawl ended before it could report")
        _print_error("the crawl ended without a report")
        return 1
    print(f"harvester: {outcome.summary}")
    for problem in outcome.problems:
        _print_error(problem)
    return outcome.code


def _check_run(settings: Any, spider: Any) -> None:
    """A damaged state store or job dir, a job already running, a bad name: exit 2 before crawling."""
    from harvester.storage.plan import plan_run
    from harvester.storage.run import preflight

    try:
        preflight(plan_run(settings, spider))
    except OSError as error:
        raise UsageError(f"cannot prepare the output folder: {error}") from None


def _crawl_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = _setting_pairs(args.set or [])
    if getattr(args, "full", False):
        overrides["HARVESTER_FULL"] = True
    if getattr(args, "resume", False):
        overrides["HARVESTER_RESUME"] = True
    if args.out:
        overrides["HARVESTER_OUTPUT_PATH"] = str(args.out)
    if args.output_dir:
        overrides["HARVESTER_OUTPUT_DIR"] = str(args.output_dir)
    if args.contact:
        overrides["HARVESTER_CONTACT_URL"] = args.contact
    if getattr(args, "capture", None) is not None:
        overrides["HARVESTER_CAPTURE"] = args.capture
    if args.log_level:
        overrides["LOG_LEVEL"] = args.log_level
    if getattr(args, "log_file", None):
        overrides["LOG_FILE"] = str(args.log_file)
    if getattr(args, "nolog", False):
        overrides["LOG_ENABLED"] = False
    if getattr(args, "feed_append", None) or getattr(args, "feed_overwrite", None):
        from scrapy.settings import Settings
        from scrapy.utils.conf import feed_process_params_from_cli

        try:
            overrides["FEEDS"] = feed_process_params_from_cli(
                Settings(), args.feed_append, overwrite_output=args.feed_overwrite
            )
        except Exception as error:  # scrapy's UsageError: an unknown format
            raise UsageError(f"-o/-O: {error}") from None
    return overrides


def cmd_crawl(args: argparse.Namespace) -> int:
    spider_args = {
        "query": args.query,
        "people": args.people,
        "places": args.places,
        "topics": args.topics,
        "languages": args.languages,
        "sort": args.sort,
        "start_url": args.start_url,
        "max_pages": args.max_pages,
        "details": "1" if args.details else None,
    }
    for pair in args.arg or []:
        name, sep, value = pair.partition("=")
        if not sep:
            raise UsageError(f"-a expects NAME=VALUE, got {pair!r}")
        spider_args[name] = value
    spider = args.spider
    if getattr(args, "auto", None):  # zero-config: the auto spider on any listing URL (docs/auto.md)
        if spider is not None or args.profile or args.param or args.start_url:
            raise UsageError("--auto URL replaces a spider, --profile and --start-url: give one of them")
        spider, spider_args["start_url"] = "auto", args.auto
    elif args.profile or args.param:  # a site profile: the generic spider, with the profile's parameters
        if not args.profile:
            raise UsageError("--param needs --profile FILE.toml")
        if spider not in (None, "profile"):
            raise UsageError(f"give a spider ({spider}) or --profile, not both")
        spider, spider_args["profile"] = "profile", args.profile
        for pair in args.param or []:
            name, sep, value = pair.partition("=")
            if not sep or not name.strip():
                raise UsageError(f"--param expects NAME=VALUE, got {pair!r}")
            spider_args[name.strip()] = value
    elif spider is None:
        raise UsageError("give a spider (wilson) or --profile FILE.toml")
    return run_crawl(spider, spider_args, _crawl_overrides(args))


# --- parse --------------------------------------------------------------------------------------------------


def cmd_parse(args: argparse.Namespace) -> int:
    if getattr(args, "auto", False):
        return cmd_parse_auto(args)
    from harvester.parsing import PageError
    from harvester.parsing.files import read_listing_file
    from harvester.parsing.profile import parse_file_with_profile
    from harvester.profiles import load_profile
    from harvester.records import build_record, raw_item

    chosen = load_profile(args.profile) if args.profile else None
    out = _jsonl_stdout()
    for name in args.files:
        path = _saved_page(name)
        try:
            if chosen is None:
                page, base_url, profile = read_listing_file(path, base_url=args.base_url)
            else:
                page, base_url, profile = parse_file_with_profile(path, chosen, args.base_url), args.base_url, chosen
        except PageError as error:
            raise UsageError(f"{path}: {error}") from None
        except UnicodeDecodeError as error:
            raise UsageError(f"{path}: not text in any known encoding ({error.reason})") from None
        source = args.source or (profile.name if profile else "wilson")  # a text copy is of a Wilson page
        offset = page.counts.first - 1 if page.counts and page.counts.first > 0 else 0
        for block in page.blocks:
            raw = raw_item(block, source=source, listing_url=base_url, page=None, offset=offset, profile=profile)
            record = build_record(raw, crawled_at=None)
            record.pop("_date_error", None)
            out.write(record)
    sys.stdout.flush()
    return 0


# --- reparse --------------------------------------------------------------------------------------------------


def cmd_reparse(args: argparse.Namespace) -> int:
    from harvester.crawl.reparse import Tally, build_spider, capture_info, into_run, reparse
    from harvester.crawl.workers import usable_cpus
    from harvester.normalize.names import Registry, default_registry
    from harvester.storage.files import write_lines_atomically
    from harvester.storage.jsontext import dumps
    from harvester.storage.plan import RunPlan

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers {args.workers}: give 1 or more")
    paths = [Path(name) for name in args.files]
    info = capture_info(paths)
    spider = build_spider(info, _spider_classes())
    registry = Registry.load(args.registry) if args.registry else default_registry()
    tally = Tally()
    records = reparse(paths, spider, registry, tally, arguments=info.get("arguments") or {},
                      registry_path=args.registry, processes=args.workers or usable_cpus())  # fmt: skip
    if args.out:
        _check_output(args.out)
        written = write_lines_atomically(args.out, (dumps(record) for record in records))
        target, code = str(args.out), 1 if tally.failed_pages else 0
    else:
        plan = RunPlan(source=spider.name, mode="reparse", output_dir=args.output_dir or Path("output"),
                       arguments=spider.job_arguments(),
                       given_arguments={**(info.get("arguments") or {}),
                                        "reparsed": [str(path) for path in paths]})  # fmt: skip
        finish = into_run(plan, records, tally, registry=registry, details=spider.details)
        written, code = finish.records, finish.exit_code
        target = str(finish.run_path) if finish.run_path else "nothing written"
    counts = tally.counts
    print(f"harvester: reparse: {written} records from {counts['harvester/pages_parsed']} pages of "
          f"{counts['harvester/captured_responses']} captured responses, {len(tally.failed_pages)} failed pages, "
          f"{len(tally.invalid)} invalid{_reparsed_details(tally) if spider.details else ''} -> {target}",
          file=sys.stderr)  # fmt: skip
    for page in tally.failed_pages:
        print(f"harvester: page not reparsed: {page['url']}: {page['reason']}", file=sys.stderr)
    for page in tally.failed_details:
        print(f"harvester: document page failed: {page['url']}: {page['reason']} (details null)", file=sys.stderr)
    for warning in tally.warnings:
        print(f"harvester: {warning}", file=sys.stderr)
    return code


def _reparsed_details(tally: Any) -> str:
    counts = tally.counts
    return (f", {counts['harvester/details/fetched']} document pages read, {counts['harvester/details/failed']} "
            f"failed, {counts['harvester/details/not_captured']} not captured")


# --- zero-config mode: parse --auto, profile --suggest, score (docs/auto.md) --------------------------------


def _jsonl_stdout() -> Any:
    """Records to stdout as JSON Lines, one a line, non-ASCII as is."""
    import jsonlines

    return jsonlines.Writer(sys.stdout, dumps=functools.partial(json.dumps, ensure_ascii=False))


def _saved_page(name: str) -> Path:
    path = Path(name)
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a saved listing page")
    if not path.is_file():  # /dev/zero, a pipe: read without end
        raise UsageError(f"{path}: not a regular file (a device or a pipe), not a saved listing page")
    if path.stat().st_size > _MAX_SAVED_PAGE:
        raise UsageError(f"{path}: {path.stat().st_size} bytes, more than a listing page ({_MAX_SAVED_PAGE} bytes)")
    return path


_MAX_SAVED_PAGE = 64 * 1024 * 1024  # a listing page is 20-200 kB; the crawl's DOWNLOAD_MAXSIZE is 16 MiB


def cmd_parse_auto(args: argparse.Namespace) -> int:
    """Records of the blocks the auto extractor finds; its confidence and choice on stderr, one line a page."""
    from parsel import Selector

    from harvester.parsing import PageError
    from harvester.parsing.auto import extract_blocks
    from harvester.parsing.files import decode
    from harvester.parsing.pager import home_host, source_name
    from harvester.records import build_record, raw_item

    if args.profile:
        raise UsageError("give --auto or --profile, not both")
    out = _jsonl_stdout()
    for name in args.files:
        path = _saved_page(name)
        try:
            selector = Selector(text=decode(path.read_bytes()), base_url=args.base_url)
            result = extract_blocks(selector, args.base_url)
        except PageError as error:
            raise UsageError(f"{path}: not a listing: {error}") from None
        except UnicodeDecodeError as error:
            raise UsageError(f"{path}: not text in any known encoding ({error.reason})") from None
        host = home_host(selector)
        source = args.source or source_name(args.base_url or (f"//{host}/" if host else None))
        print(f"harvester: auto: {path}: {len(result.blocks)} blocks, confidence {result.confidence:.2f}, "
              f"{result.layout}: {result.block_signature} in {result.container_path}", file=sys.stderr)  # fmt: skip
        for block in result.blocks:
            raw = raw_item(block.to_raw_block(), source=source, listing_url=args.base_url, page=None, titles="none")
            record = build_record(raw, crawled_at=None)
            record.pop("_date_error", None)
            out.write(record)
    sys.stdout.flush()
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from harvester.parsing import PageError
    from harvester.profiles.draft import SuggestError, suggest_file

    path = _saved_page(args.suggest)
    try:
        draft = suggest_file(path, base_url=args.base_url, name=args.name)
    except (PageError, SuggestError) as error:
        raise UsageError(f"{path}: {error}") from None
    if args.output:
        _check_output(Path(args.output))
        Path(args.output).write_text(draft.text, encoding="utf-8")
    else:
        sys.stdout.write(draft.text)
    where = f" to {args.output}" if args.output else ""
    print(f"harvester: profile {draft.name}: draft written{where}; it selects {draft.selected} blocks and gives back "
          f"{draft.reproduced} of auto mode's {draft.auto_blocks} (date, title) records on this page; "
          f"{len(draft.notes)} point(s) to review (see its comments)", file=sys.stderr)  # fmt: skip
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    checkout = Path(__file__).resolve().parents[1]  # a clone (or an editable install of one) has benchmarks/
    if (checkout / "benchmarks" / "score.py").is_file() and str(checkout) not in sys.path:
        sys.path.insert(0, str(checkout))
    try:
        from benchmarks import score as scoring
    except ImportError:
        raise UsageError(
            "score evaluates auto mode on the annotated pages of a checkout (benchmarks/annotations): "
            "run it from a clone of the repository"
        ) from None

    if args.all:
        if args.annotations or args.pages or args.set:
            raise UsageError("--all scores every named set: give it without --set, --annotations or --pages")
        return scoring.main(["--all"])
    default_annotations, default_pages = scoring.SETS[args.set] if args.set else (None, None)
    annotations = Path(args.annotations) if args.annotations else default_annotations or scoring.DEFAULT_ANNOTATIONS
    pages = Path(args.pages) if args.pages else default_pages or scoring.DEFAULT_PAGES
    if not annotations.is_file():
        raise UsageError(f"{annotations}: no such annotation file")
    if not pages.is_dir():
        raise UsageError(f"{pages}: pages directory not found (give --pages DIR: the saved pages the annotations name)")
    argv = ["--annotations", str(annotations), "--pages", str(pages)]
    argv += ["--json", str(args.json)] if args.json else []
    argv += ["--details"] if args.details else []
    try:
        return scoring.main(argv)
    except (ValueError, KeyError) as error:  # JSON that is not an annotation file
        raise UsageError(f"{annotations}: not an annotation file ({type(error).__name__}: {error})") from None


# --- serve and demo -----------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    from harvester.devtools.replay import ReplayServer

    server = ReplayServer(args.directory, host=args.host, port=args.port, faults=args.faults, delay=args.delay)
    try:
        url = server.start()
    except OSError as error:
        _print_error(f"cannot serve on {args.host}:{args.port}: {error.strerror or error}")
        return 1
    print(f"harvester: serving {args.directory} at {url} (Ctrl-C stops)", flush=True)
    for listing in server.site.listings:
        query = "&".join(f"{k}={v}" for k, v in listing.query)
        print(f"  {url}{listing.path}?{query}  ({len(listing.pages)} pages)", flush=True)
    for line in server.faults.describe() if server.faults else []:
        print(f"  fault: {line}", flush=True)
    try:
        import time

        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from harvester.devtools.packaged import packaged_site

    if args.site:
        return _demo(Path(args.site), args)
    with packaged_site() as site:
        return _demo(site, args)


def _demo(site: Path, args: argparse.Namespace) -> int:
    from harvester.devtools.replay import ReplayServer, SiteError

    try:
        server = ReplayServer(site)
    except SiteError as error:
        raise UsageError(f"demo site: {error}") from None
    with server as base_url:
        print(f"harvester: demo: replica of the Wilson Center Digital Archive served at {base_url}", flush=True)
        overrides: dict[str, Any] = {
            "WILSON_BASE_URL": base_url,
            "DOWNLOAD_DELAY": 0,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 4,
            "LOG_LEVEL": args.log_level or "WARNING",
        }
        if args.out:
            overrides["HARVESTER_OUTPUT_PATH"] = str(args.out)
        overrides["HARVESTER_FULL"] = True  # the demo shows the whole dataset every time
        return run_crawl("wilson", {"query": args.query}, overrides)


# --- names --------------------------------------------------------------------------------------------------


def cmd_names(args: argparse.Namespace) -> int:
    from harvester import names_report

    path = Path(args.file)
    try:
        counts = names_report.unresolved_names(path)
        groups = names_report.group_file(path, examples=args.examples)
        disagree = names_report.disagreements(path)
    except FileNotFoundError:
        raise UsageError(f"{args.file}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{args.file}: is a directory, not a JSONL dataset") from None
    except PermissionError:
        raise UsageError(f"{args.file}: not readable (permission denied)") from None
    except ValueError as error:
        raise UsageError(f"{args.file}: {error}") from None
    if args.suggest_entries:
        from harvester.normalize.names import default_registry

        taken = frozenset(p.id for p in default_registry().persons)
        text = names_report.registry_entries(
            groups, source=f"harvester names --suggest-entries {path.name}", minimum=args.min, taken=taken
        )
        if text:
            print(text, end="")
        return 0
    if args.flat:
        for (name, kind), count in counts.most_common():
            print(f"{count}\t{kind}\t{name}")
        return 0
    shown = [g for g in groups if g.count >= args.min]
    if shown:
        print(names_report.format_groups(shown))
    for (name, kind), count in counts.most_common():
        if kind == "organisation" and count >= args.min:
            print(f"{count}\t{kind}\t{name}")
    if disagree:  # registry and archive name different people: a registry entry to check
        print(names_report.format_disagreements(disagree))
    return 0


# --- products: export, report, diff, status (harvester/products/) ------------------------------------------


def _product(command: str, args: argparse.Namespace) -> int:
    """Run a product command (harvester.products.commands); its bad input is a usage error (exit 2)."""
    from harvester.products import ProductError, commands

    try:
        return int(getattr(commands, command)(args))
    except ProductError as error:
        raise UsageError(str(error)) from None


def cmd_export(args: argparse.Namespace) -> int:
    return _product("export", args)


def cmd_report(args: argparse.Namespace) -> int:
    return _product("report", args)


def cmd_diff(args: argparse.Namespace) -> int:
    return _product("diff", args)


def cmd_status(args: argparse.Namespace) -> int:
    if args.jobs is not None:  # every node's jobs, from the shared state (harvester/scheduling/)
        from harvester.scheduling.commands import cmd_job_status

        if args.max_age is not None and args.max_age <= 0:
            raise UsageError(f"--max-age {args.max_age}: give a number of hours above 0")
        return cmd_job_status(args.jobs, args.max_age, args.json)
    return _product("status", args)


# --- many jobs on many nodes (harvester/scheduling/, docs/scaling.md) ---------------------------------------


def cmd_jobs(args: argparse.Namespace) -> int:
    from harvester.scheduling.commands import cmd_jobs as run

    return run(args.file, args.json)


def cmd_schedule(args: argparse.Namespace) -> int:
    from harvester.scheduling.commands import cmd_schedule as run

    return run(args.file, args.scrapyd, args.dry_run)


# --- parser -------------------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line on stderr (``harvester: error: ...``), exit 2; ``--help`` shows the usage."""

    def error(self, message: str) -> NoReturn:
        _print_error(f"{message} (see: {self.prog} --help)")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="harvester", description="Harvest archive search-result listings into JSONL datasets."
    )
    parser.add_argument("--version", action="version", version=f"harvester {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    crawl = sub.add_parser("crawl", help="crawl a search to its last page and write JSONL")
    crawl.add_argument("spider", nargs="?", help="the site's spider: wilson (omit it with --profile)")
    crawl.add_argument("--profile", metavar="FILE.toml", help="a site profile (a file or a packaged name)")
    crawl.add_argument("--auto", metavar="URL", help="zero-config: any listing URL, read by the auto extractor")
    crawl.add_argument("--param", action="append", metavar="NAME=VALUE", help="a parameter the profile declares")
    crawl.add_argument("--query", help="full-text query")
    for facet in ("people", "places", "topics", "languages"):
        crawl.add_argument(f"--{facet}", metavar="IDS", help=f"{facet} facet node ids, comma-separated")
    crawl.add_argument("--sort", choices=["uploaded", "date"], help="newest upload (default) or newest document date")
    crawl.add_argument("--start-url", help="any search URL (a mirror, the replica); paged with page=N")
    crawl.add_argument("--max-pages", help="stop after this many listing pages")
    crawl.add_argument("-a", "--arg", action="append", metavar="NAME=VALUE", help="another spider argument")
    crawl.add_argument("--details", action="store_true",
                       help="follow each new or changed result to its document page (a profile's [details])")
    _add_output_options(crawl)
    crawl.set_defaults(handler=cmd_crawl)

    parse = sub.add_parser("parse", help="parse saved listing pages (HTML or text) to JSON records on stdout")
    parse.add_argument("files", nargs="+", metavar="FILE")
    parse.add_argument("--base-url", help="the page's URL, to make links absolute")
    parse.add_argument("--profile", metavar="FILE.toml", help="read the pages with a site profile (docs/profiles.md)")
    parse.add_argument("--auto", action="store_true", help="zero-config: find the result blocks (docs/auto.md)")
    parse.add_argument("--source", help="source name for the records (default: the profile's name, else wilson)")
    parse.set_defaults(handler=cmd_parse)

    reparse = sub.add_parser("reparse", help="rebuild a captured run's records from its WARC files, no network")
    reparse.add_argument("files", nargs="+", metavar="WARC",
                         help="the run's capture(s): output/<source>/pages/*.warc.gz")
    reparse.add_argument("--out", type=Path, help="write the records to this file only (else: a new tracked run)")
    reparse.add_argument("--output-dir", type=Path, help="root folder of the tracked layout (default: output)")
    reparse.add_argument("--registry", metavar="FILE|DIR", help="a person registry instead of the packaged one")
    reparse.add_argument("--workers", type=int, default=None, metavar="N",
                         help="processes that read pages (default: one a usable CPU; 1: none, all in this one)")
    reparse.set_defaults(handler=cmd_reparse)

    serve = sub.add_parser("serve", help="serve a fixture site (folder with site.toml) on 127.0.0.1")
    serve.add_argument("directory", type=Path)
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "localhost", "::1"])
    serve.add_argument("--faults", type=Path, metavar="PLAN.toml", help="fault plan (see harvester/faults.py)")
    serve.add_argument("--delay", type=float, default=0.0, metavar="SECONDS", help="wait before each answer")
    serve.set_defaults(handler=cmd_serve)

    demo = sub.add_parser("demo", help="harvest the bundled replica site into output/")
    demo.add_argument("--site", help="fixture site folder (default: the packaged replica, harvester/data/demo)")
    demo.add_argument("--query", default=DEMO_QUERY, help=f"query to harvest (default: {DEMO_QUERY!r})")
    demo.add_argument("--out", type=Path, help="one output file (default: output/wilson/runs/<run id>.jsonl)")
    demo.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    demo.set_defaults(handler=cmd_demo)

    names = sub.add_parser(
        "names",
        help="the unresolved names of a JSONL dataset, variants of one person grouped, most frequent first",
    )
    names.add_argument("file")
    names.add_argument("--suggest-entries", action="store_true", help="print [[person]] registry blocks to review")
    names.add_argument("--flat", action="store_true", help="one line per name as written, no grouping")
    names.add_argument("--min", type=int, default=1, metavar="N", help="only names seen at least N times")
    names.add_argument("--examples", type=int, default=2, metavar="N", help="example titles per group")
    names.set_defaults(handler=cmd_names)

    profile = sub.add_parser("profile", help="draft a site profile from a saved listing page (auto mode)")
    profile.add_argument("--suggest", metavar="FILE", required=True, help="the saved listing page")
    profile.add_argument("--base-url", help="the page's URL (links, start URL; else its canonical URL)")
    profile.add_argument("--name", help="the profile's name (default: from the host)")
    profile.add_argument("-o", "--output", metavar="OUT.toml", help="write the draft here (default: stdout)")
    profile.set_defaults(handler=cmd_profile)

    score = sub.add_parser("score", help="score auto mode against annotated real pages (benchmarks.score)")
    score.add_argument("--set", choices=["city-scrapers", "city-scrapers-heldout", "devset-dev", "devset-heldout",
                                         "devset-heldout2"], help="a named annotation set (pages and gold)")
    score.add_argument("--all", action="store_true",
                       help="one line per named set, labelled in sample or held out (dev and held-out figures)")
    score.add_argument("--annotations", metavar="FILE", help="annotation JSON (default: the development set)")
    score.add_argument("--pages", metavar="DIR", help="the saved pages (default: ../shared/realworld/city-scrapers)")
    score.add_argument("--json", type=Path, metavar="OUT", help="also write the figures as JSON")
    score.add_argument("--details", action="store_true", help="list misses and false positives per page")
    score.set_defaults(handler=cmd_score)

    export = sub.add_parser("export", help="a dataset or run file as CSV (flat, spreadsheet-safe) or Parquet")
    export.add_argument("dataset", metavar="DATASET", help="dataset.jsonl or a run file")
    export.add_argument("--format", choices=["csv", "parquet"], required=True)
    export.add_argument("--out", metavar="FILE", help="default: beside DATASET (dataset.csv, dataset.parquet)")
    export.add_argument("--bom", action="store_true", help="CSV: start with a UTF-8 byte order mark (for Excel)")
    export.set_defaults(handler=cmd_export)

    report = sub.add_parser("report", help="one self-contained HTML page of plots about a dataset")
    report.add_argument("dataset", metavar="DATASET", help="dataset.jsonl (its runs are read from runs/ beside it)")
    report.add_argument("--out", metavar="FILE", help="default: report.html beside DATASET")
    report.set_defaults(handler=cmd_report)

    diff = sub.add_parser("diff", help="records added, removed and changed (field by field) between two runs")
    diff.add_argument("run_a", metavar="RUN_A", help="a run id (or unique prefix) under --output-dir, or a file")
    diff.add_argument("run_b", metavar="RUN_B")
    diff.add_argument("--output-dir", type=Path, help="where run ids are looked up (default: output)")
    diff.add_argument("--all-fields", action="store_true", help="compare every field but crawled_at, not only content")
    diff.add_argument("--json", action="store_true", help="JSON instead of text")
    diff.set_defaults(handler=cmd_diff)

    status = sub.add_parser("status", help="the last run of every job; exit 1 when one failed or is too old")
    status.add_argument("--output-dir", type=Path, help="the output folder (default: output)")
    status.add_argument("--max-age", type=float, metavar="HOURS", help="a last run older than this needs attention")
    status.add_argument("--json", action="store_true", help="JSON instead of a table")
    status.add_argument("--jobs", type=Path, metavar="FILE.toml",
                        help="the jobs of a job list, on whichever node ran them, from the shared state")
    status.set_defaults(handler=cmd_status)

    jobs = sub.add_parser("jobs", help="the jobs of a job list: job keys, next due time, last run (docs/scaling.md)")
    jobs.add_argument("file", type=Path, metavar="FILE.toml")
    jobs.add_argument("--json", action="store_true", help="JSON instead of a table")
    jobs.set_defaults(handler=cmd_jobs)

    schedule = sub.add_parser("schedule", help="submit a job list's due jobs to scrapyd nodes (run it from cron)")
    schedule.add_argument("file", type=Path, metavar="FILE.toml")
    schedule.add_argument("--scrapyd", required=True, metavar="URL[,URL...]", help="the scrapyd nodes")
    schedule.add_argument("--dry-run", action="store_true", help="say what would be submitted, submit nothing")
    schedule.set_defaults(handler=cmd_schedule)
    return parser


def _add_output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        help="one-off harvest: write every record to this file only (no state, run history or dataset)",
    )
    parser.add_argument(
        "--output-dir", type=Path, help="root folder for runs, state and datasets (default: output)"
    )
    parser.add_argument(
        "--full", action="store_true", help="put every record in the run file, not only new and changed ones"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue this job's interrupted run (else start a new one)"
    )
    parser.add_argument("--contact", metavar="URL", help="operator contact URL for the user agent")
    parser.add_argument("--capture", action=argparse.BooleanOptionalAction, default=None,
                        help="keep every response in a WARC file (default: on for tracked runs; docs/capture.md)")
    parser.add_argument(
        "-L", "--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        help="log level (default INFO; on a terminal only warnings are shown unless this is given)",
    )
    parser.add_argument("--log-file", "--logfile", type=Path, metavar="FILE",
                        help="write the whole log to FILE (the console then shows warnings and errors only)")
    parser.add_argument("--nolog", action="store_true", help="no log at all (the summary is still printed)")
    parser.add_argument("-o", "--output", dest="feed_append", action="append", metavar="FILE",
                        help="also export the records as a Scrapy feed, appending to FILE (FILE:FORMAT works)")
    parser.add_argument("-O", "--overwrite-output", dest="feed_overwrite", action="append", metavar="FILE",
                        help="also export the records as a Scrapy feed, overwriting FILE")
    parser.add_argument("-s", "--set", action="append", metavar="NAME=VALUE", help="a Scrapy setting")


def _ignore_interrupts() -> None:
    import signal

    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except HarvesterError as error:
        _print_error(str(error))
        return error.exit_code
    except BrokenPipeError:
        return 0
    except OSError as error:  # a file or folder that cannot be used, found at run time
        where = f"{error.filename}: " if error.filename else ""
        _print_error(f"{where}{error.strerror or error}")
        return 1
    except KeyboardInterrupt:  # before a crawl was built (harvester.crawl.interrupts has the signals after that)
        _print_error("interrupted")
        _ignore_interrupts()  # decided and said: a signal during the exit must not turn 130 into a death by SIGINT
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
