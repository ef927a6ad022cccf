"""The run's one owner: opens it, hears about pages and records, decides the outcome once, finishes it.

Spider and pipelines reach the run the same way, ``RunKeeper.of(crawler).run`` (Scrapy's public
``Crawler.get_extension``): nothing is set on the spider, nothing travels through the stats. The spider tells
the keeper which pages it parsed (:meth:`page_parsed`) or lost (:meth:`page_failed`); the keeper marks a page
done in the journal once every record it yielded has left the pipelines (scraped, dropped or failed), so a
``kill -9`` loses only pages that a resume fetches again. When the spider closes, the keeper decides the
outcome (:func:`harvester.crawl.outcome.decide_outcome`) from the crawl's metrics and its own facts, writes the
run's files, and keeps the final :class:`~harvester.crawl.outcome.Outcome` for whoever started the crawl
(``harvester crawl`` prints it and exits with its code).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from harvester.crawl.outcome import FAILED, Outcome, decide_outcome
from harvester.crawl.redact import redact
from harvester.errors import HarvesterError
from harvester.model import PageSummary
from harvester.storage import failures
from harvester.storage.backends import storage_errors
from harvester.storage.plan import plan_run
from harvester.storage.run import HOST_BUSY, INTERRUPTED, Run

logger = logging.getLogger(__name__)


class RunKeeper:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_failed_ratio = crawler.settings.getfloat("HARVESTER_MAX_FAILED_PAGE_RATIO")
        self.max_failed_detail_ratio = crawler.settings.getfloat("HARVESTER_MAX_FAILED_DETAIL_RATIO")
        self._run: Run | None = None
        self._scratch: Path | None = None
        self.failed_pages: list[dict[str, str]] = []
        self.failed_details: list[dict[str, str]] = []  # document pages (--details) that failed
        self.outcome: Outcome | None = None
        self._host_busy: str | None = None  # why the crawl stopped for lack of a host's lease (crawl/leases.py)
        self._started = time.time()  # a run file older than this is not this run's
        # page -> [summary, records still in the pipelines]; journaled as done when the count reaches 0
        self._pending: dict[int, list[Any]] = {}
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(self.item_done, signal=signal)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunKeeper:
        """The keeper, and with it the run: Scrapy builds extensions after the spider and before the engine, so
        the job's lock is taken here, before any request or record, and held until the run has finished. A run
        that cannot start (the same job started a moment ago, a full disk) fails the crawl here, with the
        :class:`~harvester.errors.HarvesterError` that says why, and the reactor is never started."""
        keeper = cls(crawler)
        if crawler.spider is not None:
            keeper.start()
        return keeper

    @classmethod
    def of(cls, crawler: Crawler) -> RunKeeper:
        keeper = crawler.get_extension(cls)
        if keeper is None:
            raise RuntimeError(f"{cls.__name__} is not in EXTENSIONS: the crawl has no run")
        return keeper

    @property
    def run(self) -> Run:
        """The run (started with the keeper; else on first use)."""
        return self._run if self._run is not None else self.start()

    def start(self) -> Run:
        if self._run is None:
            spider = self.crawler.spider
            plan = plan_run(self.crawler.settings, spider)
            if not self.crawler.settings.getbool("HARVESTER_RUN_FILES"):
                # scrapy parse / scrapy check: the pipelines still run, into a scratch one-off run that is thrown
                # away at the end; nothing is written into the output folder.
                self._scratch = Path(tempfile.mkdtemp(prefix="harvester-scratch-"))
                plan = replace(plan, mode="one-off", output_dir=self._scratch, out=self._scratch / "records.jsonl",
                               resume=False, run_id=None, state_url="")  # fmt: skip
            self._run = Run.start(plan)
            if self._run.resumed:
                self.crawler.stats.set_value("harvester/resumed", True)
        return self._run

    # --- what the spider reports ---------------------------------------------------------------------------

    def page_parsed(self, summary: PageSummary) -> None:
        if summary.blocks == 0:
            self.run.journal.mark_done(summary)
        else:
            self._pending[summary.page] = [summary, summary.blocks]

    def page_failed(self, url: str, reason: str) -> None:
        url, reason = redact(url), redact(reason)  # the summary and the manifest carry these
        self.failed_pages.append({"url": url, "reason": reason})
        self.crawler.stats.inc_value("harvester/failed_pages")
        logger.error("page failed: %s: %s", url, reason)

    def detail_failed(self, url: str, reason: str) -> None:
        """A record's document page failed (``--details``): named and counted; the record is kept (details null).
        A warning, not an error: the outcome weighs these against ``HARVESTER_MAX_FAILED_DETAIL_RATIO``."""
        url, reason = redact(url), redact(reason)
        self.failed_details.append({"url": url, "reason": reason})
        self.crawler.stats.inc_value("harvester/details/failed")
        logger.warning("document page failed: %s: %s (its record is kept, details null)", url, reason)

    def host_busy(self, message: str) -> None:
        """The crawl stops because another crawl holds a host it needs (:mod:`harvester.crawl.leases`)."""
        self._host_busy = message

    def item_done(self, item: Any, **kwargs: Any) -> None:
        page = item.get("page") if isinstance(item, dict) else None
        entry = self._pending.get(page) if isinstance(page, int) else None
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del self._pending[page]
            self.run.journal.mark_done(entry[0])

    # --- the end --------------------------------------------------------------------------------------------

    def facts(self, reason: str) -> dict[str, Any]:
        """What the outcome is decided on: the crawl's metrics, the run's totals, the failed pages."""
        facts = dict(self.crawler.stats.get_stats())
        if self._run is not None:
            facts.update({f"harvester/{name}": value for name, value in self._run.totals().items()})
            facts["harvester/run_id"] = self._run.run_id
        facts["finish_reason"] = reason
        if self._host_busy is not None:
            facts["harvester/host_busy"] = self._host_busy
        facts["failed_pages"] = list(self.failed_pages)
        facts["failed_details"] = list(self.failed_details)
        return facts

    def spider_closed(self, spider: Any, reason: str) -> None:
        facts = self.facts(reason)
        decided = decide_outcome(facts, max_failed_ratio=self.max_failed_ratio,
                                 max_failed_detail_ratio=self.max_failed_detail_ratio)
        if self._scratch is not None:  # no run files: nothing to finish, nothing to report
            if self._run is not None:
                self._run.release()
            shutil.rmtree(self._scratch, ignore_errors=True)
            self.outcome = Outcome(decided.code, f"{decided.summary} -> nothing written (no run files)",
                                   list(decided.problems))  # fmt: skip
            return
        code, problems, target = decided.code, list(decided.problems), "no output file"
        if self._run is not None:
            run = self._run
            target = str(run.run_path)
            try:
                finish = run.finish(reason=reason, exit_code=code, problems=problems, facts=facts,
                                    failed_pages=self.failed_pages, failed_details=self.failed_details)
                if reason == INTERRUPTED:
                    target = "interrupted, nothing written yet: continue with --resume"
                elif reason == HOST_BUSY:
                    target = "nothing written yet: run it again later (with --resume)"
                elif finish.run_path is None and run.run_path.exists():
                    target = f"nothing written: {run.run_path} was left as it was"
                elif finish.run_path is None:
                    target = "nothing written"
            except (*storage_errors(), HarvesterError) as error:
                code = FAILED
                where = run.run_path.parent
                said = failures.describe(error, where) if failures.is_write_failure(error) else str(error)
                problems.append(f"could not write the run's files: {said}")
                written = run.run_path.exists() and run.run_path.stat().st_mtime >= self._started
                target = str(run.run_path) if written else "the run's files could not be written"
        problems = [redact(problem) for problem in problems]
        self.outcome = Outcome(code, f"{decided.summary} -> {target}", problems)
        for problem in problems:
            logger.error("run failed: %s", problem, extra={"harvester_problem": True})
