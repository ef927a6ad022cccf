"""Microbenchmarks: the listing parser (pages/s) and the normalisers (µs per record), beside references.

    python -m benchmarks.micro          (or: python3 run.py bench --micro)

* parse: ``harvester.parsing.profile.parse_with_profile`` (``wilson.toml``) on one synthetic listing page (10 rows),
  and without building the Selector, beside the bare spider's plain parsel extraction;
* dates: ``harvester.normalize.dates.normalize_date`` per date form, beside ``dateparser.parse`` on the
  same strings (goal: the common forms >= 100x faster);
* titles: ``harvester.normalize.titles.parse_title``; names:
  ``harvester.normalize.names.people_and_organisations(title, date=...)``.

Harvester functions are imported lazily: a missing one is reported and skipped. Timings are the best of
several repeats (timeit's convention: the least disturbed run), in one process, after a warm-up call.
"""

from __future__ import annotations

import argparse
import importlib
import json
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from parsel import Selector

from benchmarks import site as bench_site
from benchmarks.bare_spider import extract_rows

DATE_FORMS = {
    "day": "Month D, YYYY",
    "day0": "Month DD, YYYY (padded)",
    "month": "Month YYYY",
    "year": "YYYY",
    "empty": "(empty)",
}
COMMON_FORMS = ("day", "day0", "month", "year")
GOAL = 100.0


def per_call_us(fn: Callable[[Any], Any], items: Sequence[Any], min_time: float = 0.3, repeat: int = 5) -> float:
    """Best-of-``repeat`` µs per call of ``fn`` over ``items``, each repeat lasting about ``min_time``/repeat."""
    fn(items[0])  # warm-up (lazy tables, caches of compiled patterns)
    start = time.perf_counter()
    for item in items:
        fn(item)
    once = max(time.perf_counter() - start, 1e-6)
    loops = max(1, int(min_time / repeat / once))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(loops):
            for item in items:
                fn(item)
        best = min(best, (time.perf_counter() - start) / (loops * len(items)))
    return best * 1e6


def _lazy(module: str, name: str) -> tuple[Callable[..., Any] | None, str]:
    try:
        return getattr(importlib.import_module(module), name), ""
    except ImportError as exc:
        return None, f"{module} not importable ({exc})"
    except AttributeError:
        return None, f"{module}.{name} does not exist yet"


def bench_parse(seed: int = 1) -> dict[str, Any]:
    page = bench_site.Site(seed=seed, pages=50).listing(3).decode()
    base = f"http://127.0.0.1/search?search_api_fulltext={bench_site.QUERY}&page=3"
    prebuilt = Selector(text=page)
    result: dict[str, Any] = {"page_kb": len(page.encode()) / 1000}
    result["bare_parsel"] = {
        "pages_per_s_with_selector": 1e6 / per_call_us(lambda t: extract_rows(Selector(text=t), base), [page]),
        "pages_per_s_parse_only": 1e6 / per_call_us(lambda s: extract_rows(s, base), [prebuilt]),
        "rows": len(extract_rows(prebuilt, base)),
    }
    read, why = _lazy("harvester.parsing.profile", "parse_with_profile")
    load, _ = _lazy("harvester.profiles", "load_profile")
    if read is None or load is None:
        result["harvester"] = {"skipped": why}
        return result
    profile = load("wilson")

    def parse(selector: Any, url: str) -> Any:
        return read(selector, profile, url)

    try:
        listing = parse(prebuilt, base)
        result["harvester"] = {
            "pages_per_s_with_selector": 1e6 / per_call_us(lambda t: parse(Selector(text=t), base), [page]),
            "pages_per_s_parse_only": 1e6 / per_call_us(lambda s: parse(s, base), [prebuilt]),
            "rows": len(getattr(listing, "blocks", []) or []),
        }
    except Exception as exc:
        result["harvester"] = {"skipped": f"parse_with_profile raised {type(exc).__name__}: {exc}"}
    return result


def date_samples(seed: int = 1, n: int = 1000) -> dict[str, list[str]]:
    rng = random.Random(seed)
    samples = {form: [bench_site.make_date(rng, form) for _ in range(n)] for form in DATE_FORMS}
    samples["mixed"] = [bench_site.make_date(rng, bench_site.pick_date_form(rng)) for _ in range(n)]
    return samples


def bench_dates(seed: int = 1) -> dict[str, Any]:
    import dateparser

    samples = date_samples(seed)
    normalize, why = _lazy("harvester.normalize.dates", "normalize_date")
    result: dict[str, Any] = {"forms": {}}
    if normalize is None:
        result["skipped"] = why
    for form, strings in samples.items():
        row: dict[str, Any] = {"example": strings[0]}
        if form != "empty":
            row["dateparser_us"] = per_call_us(dateparser.parse, strings[:200], min_time=1.0)
            row["dateparser_en_us"] = per_call_us(
                lambda s: dateparser.parse(s, languages=["en"]), strings[:200], min_time=1.0
            )
        if normalize is not None:
            try:
                row["example_result"] = repr(normalize(strings[0]))[:120]
                row["harvester_us"] = per_call_us(normalize, strings)
            except Exception as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
        if "harvester_us" in row and "dateparser_us" in row:
            row["speedup"] = row["dateparser_us"] / row["harvester_us"]
            row["speedup_en"] = row["dateparser_en_us"] / row["harvester_us"]
        result["forms"][form] = row
    speedups = [result["forms"][f].get("speedup") for f in COMMON_FORMS]
    if all(s is not None for s in speedups):
        result["common_forms_min_speedup"] = min(speedups)  # type: ignore[type-var]
        result["goal_met"] = min(speedups) >= GOAL  # type: ignore[type-var, operator]
    return result


def title_samples(seed: int = 1, n: int = 1000) -> list[tuple[str, str]]:
    rng = random.Random(seed + 1)
    return [(bench_site.make_title(rng), bench_site.make_date(rng, bench_site.pick_date_form(rng))) for _ in range(n)]


def _first_sight(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` with the title parser's cache (if it has one) emptied before each call: the cost of a title seen
    for the first time, which is what a crawl of unique documents pays."""
    cache, _ = _lazy("harvester.normalize.titles", "_parse_text")
    clear = getattr(cache, "cache_clear", None)
    if clear is None:
        return fn

    def call(*args: Any, **kwargs: Any) -> Any:
        clear()
        return fn(*args, **kwargs)

    return call


def bench_titles_and_names(seed: int = 1) -> dict[str, Any]:
    samples = title_samples(seed)
    titles = [t for t, _ in samples]
    result: dict[str, Any] = {}
    parse_title, why = _lazy("harvester.normalize.titles", "parse_title")
    if parse_title is None:
        result["titles"] = {"skipped": why}
    else:
        try:
            result["titles"] = {"us_per_record": per_call_us(_first_sight(parse_title), titles),
                                "example": repr(parse_title(titles[0]))[:200]}  # fmt: skip
        except Exception as exc:
            result["titles"] = {"skipped": f"parse_title raised {type(exc).__name__}: {exc}"}

    people, why = _lazy("harvester.normalize.names", "people_and_organisations")
    if people is None:
        result["names"] = {"skipped": why}
        return result
    normalize, _ = _lazy("harvester.normalize.dates", "normalize_date")
    # What ``date=`` takes is the names module's business: try the normaliser's result, then the raw text,
    # then None, and report which one worked.
    candidates: list[tuple[str, Callable[[str], Any]]] = []
    if normalize is not None:
        candidates.append(("normalize_date(date_text)", normalize))
    candidates += [("raw date text", lambda d: d or None), ("None", lambda d: None)]
    errors = []
    for label, make in candidates:
        try:
            args = [(t, make(d)) for t, d in samples]
            people(*args[0][:1], date=args[0][1])
            result["names"] = {
                "us_per_record": per_call_us(_first_sight(lambda a: people(a[0], date=a[1])), args),
                "date_argument": label,
                "example": repr(people(args[0][0], date=args[0][1]))[:200],
            }
            return result
        except Exception as exc:
            errors.append(f"date={label}: {type(exc).__name__}: {exc}")
    result["names"] = {"skipped": "; ".join(errors)}
    return result


def _fmt(value: float | None, spec: str) -> str:
    width = int(spec.split(".")[0] or 0)
    return f"{'-':>{width}}" if value is None else format(value, spec)


def run_all(seed: int = 1) -> dict[str, Any]:
    print("Microbenchmarks (best of 5 repeats, one process)\n")
    parse = bench_parse(seed)
    print(f"Listing parse, one synthetic page ({parse['page_kb']:.0f} KB, 10 rows): pages/s")
    print(f"  {'':<34} {'Selector+parse':>14} {'parse only':>11} {'rows':>5}")
    labels = (("bare_parsel", "bare spider's parsel extraction"), ("harvester", "parse_with_profile (wilson)"))
    for key, label in labels:
        r = parse[key]
        if "skipped" in r:
            print(f"  {label:<34} skipped: {r['skipped']}")
        else:
            print(f"  {label:<34} {r['pages_per_s_with_selector']:14.0f} {r['pages_per_s_parse_only']:11.0f}"
                  f" {r['rows']:>5}")  # fmt: skip

    dates = bench_dates(seed)
    print("\nDates: µs per call (dateparser.parse default / with languages=['en'])")
    if "skipped" in dates:
        print(f"  normalize_date skipped: {dates['skipped']}")
    print(f"  {'form':<24} {'example':<20} {'normalize':>9} {'dateparser':>10} {'dp en':>8} {'speed-up':>9}")
    for form, row in dates["forms"].items():
        label = DATE_FORMS.get(form, "mixed (listing mix)")
        speed = row.get("speedup")
        mark = "" if speed is None or form not in COMMON_FORMS else ("  ok" if speed >= GOAL else "  < goal")
        print(
            f"  {label:<24} {row['example']!r:<20} {_fmt(row.get('harvester_us'), '9.2f')} "
            f"{_fmt(row.get('dateparser_us'), '10.1f')} {_fmt(row.get('dateparser_en_us'), '8.1f')} "
            f"{_fmt(speed, '8.0f')}x{mark}" + (f"  error: {row['error']}" if "error" in row else "")
        )
    if "common_forms_min_speedup" in dates:
        print(f"  common forms: at least {dates['common_forms_min_speedup']:.0f}x faster than dateparser.parse "
              f"(goal {GOAL:.0f}x: {'met' if dates['goal_met'] else 'NOT met'})")  # fmt: skip

    names = bench_titles_and_names(seed)
    print("\nTitles and names: µs per record (1,000 synthetic titles, each parsed as if seen for the first time)")
    for key, label in (("titles", "parse_title"), ("names", "people_and_organisations")):
        r = names[key]
        if "skipped" in r:
            print(f"  {label:<26} skipped: {r['skipped']}")
        else:
            how = f"  (date= {r['date_argument']})" if "date_argument" in r else ""
            print(f"  {label:<26} {r['us_per_record']:8.1f} µs{how}")
    return {"parse": parse, "dates": dates, "titles_names": names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.micro", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", metavar="OUT", help="write the results as JSON here")
    args = parser.parse_args(argv)
    results = run_all(args.seed)
    if args.json:
        Path(args.json).write_text(json.dumps({"micro": results}, indent=2, default=str))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
