"""What the crawl's worker process runs (:mod:`harvester.crawl.workers`): pure jobs, and no Scrapy.

A worker imports this module and what its jobs need (parsel, the profile parser, the normalisers), never
Scrapy or Twisted: a third of a second of start-up that a worker has no use for. The crawl hands the worker
its registry (pickled, at the pool's start) instead of letting it read the TOML files again: that is faster,
and the worker then resolves names with the very registry the crawl loaded, whatever happened to its files
since.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from harvester.model import ListingPage
from harvester.normalize.names import Registry

#: A record job's answer: the record, the fields whose mojibake was repaired, the fields holding U+FFFD.
Built = tuple[dict[str, Any], list[str], list[str]]
#: A row of a page job's answer: the raw item the worker made of the block, and its record (None: not built).
Row = tuple[dict[str, Any], Built | None]


@dataclass(frozen=True, slots=True)
class RowRecipe:
    """How the spider turns this page's blocks into raw items (:func:`harvester.records.raw_item`), so that the
    worker can build the page's records in the same trip as it reads the page. The crawl's process checks each
    raw item the worker made against the one its spider yields and uses the record only when they are equal."""

    source: str
    page: int
    first_page: int
    page_size: int


_REGISTRY: list[Registry] = []  # this worker's registry, set once by start_worker


def start_worker(crawl: int, registry: Registry | None = None) -> None:
    """A worker ignores Ctrl-C (the crawl finishes what is in flight) and exits when the crawl is gone: the
    pool's queues do not tell it (every worker holds both ends of them), so it watches the crawl's pid."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if registry is not None:
        _REGISTRY[:] = [registry]
    gc.freeze()  # the registry and the modules live as long as the worker: no collection walks them again
    threading.Thread(target=_watch, args=(crawl,), name="harvester-crawl-watch", daemon=True).start()


def _watch(crawl: int) -> None:
    while True:
        time.sleep(0.5)
        try:
            os.kill(crawl, 0)
        except ProcessLookupError:
            os._exit(0)
        except PermissionError:  # the pid now belongs to another user's process: the crawl is gone
            os._exit(0)


def _registry(registry_path: str | None) -> Registry:
    if _REGISTRY:
        return _REGISTRY[0]
    from harvester.normalize.names import default_registry

    return Registry.load(registry_path) if registry_path else default_registry()


def build_job(raw: Mapping[str, Any], crawled_at: str | None, registry_path: str | None) -> Built:
    from harvester.records import build_record, repair_fields

    item, repaired, unreadable = repair_fields(raw)
    return build_record(item, crawled_at=crawled_at, registry=_registry(registry_path)), repaired, unreadable


def page_job(
    profile: tuple[str, int, int], page: str | bytes, url: str, recipe: RowRecipe | None, registry_path: str | None
) -> tuple[ListingPage, list[Row]] | None:
    """Read a listing page (its text, or the bytes of a UTF-8 page: :mod:`harvester.parsing.utf8_page`) with its
    profile; with a ``recipe``, also build its records (``crawled_at`` None: the crawl's process sets it). A
    record that cannot be built here is None: the crawl builds it itself; so is a page whose bytes are not
    UTF-8 after all, or whose profile file changed."""
    from parsel import Selector

    from harvester.parsing.profile import parse_with_profile
    from harvester.parsing.utf8_page import page_selector, page_text
    from harvester.profiles import load_profile_key
    from harvester.records import page_offset, raw_item

    loaded = load_profile_key(profile)
    if loaded is None:  # the file changed since the crawl loaded it: the crawl parses this page itself
        return None
    if isinstance(page, bytes):
        text = page_text(page)
        if text is None:  # not UTF-8: the crawl reads it (with Scrapy's replacement characters) itself
            return None
        selector = page_selector(text, page, url)  # (never `or`: a Selector's truth serialises the page)
        if selector is None:
            selector = Selector(text=text, base_url=url)
    else:
        selector = Selector(text=page, base_url=url)
    listing = parse_with_profile(selector, loaded, url)
    rows: list[Row] = []
    if recipe is not None:
        offset = page_offset(listing, recipe.page, first_page=recipe.first_page, page_size=recipe.page_size)
        for block in listing.blocks:
            raw = raw_item(block, source=recipe.source, listing_url=url, page=recipe.page, offset=offset,
                           profile=loaded)  # fmt: skip
            try:
                built: Built | None = build_job(raw, None, registry_path)
            except Exception:  # built again, and raised, in the crawl's process
                built = None
            rows.append((raw, built))
    return listing, rows


def run_batch(jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Any]:
    out = []
    for function, args in jobs:
        try:
            out.append(function(*args))
        except Exception:  # done again, and raised, in the crawl's process
            out.append(None)
    return out


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
