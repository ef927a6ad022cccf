"""``scrapy crawl``: bad spider arguments, or a run that cannot start (the same job already running, a damaged
state store), are one line (exit 2) before the crawl, and a scrapyd job refused so leaves a manifest."""

from __future__ import annotations

import argparse
import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from twisted.internet.defer import Deferred

from harvester.crawl.memory import crawl_collector
from harvester.errors import USAGE, HarvesterError

logger = logging.getLogger(__name__)


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            problem = self._bad_arguments(args[0], dict(opts.spargs))
            if problem is not None:
                print(f"harvester: error: {problem}", file=sys.stderr)
                self.exitcode = USAGE
                return
            self._crawl(args[0], opts)
            return
        super().run(args, opts)

    def _crawl(self, name: str, opts: argparse.Namespace) -> None:
        """Scrapy's run, except that a run that cannot start after all (the same job started a moment after the
        check above) is one line and exit 2, as for `harvester crawl`, not a traceback."""
        errors: list[BaseException] = []
        started = self.crawler_process.crawl(self._create_crawler(name), **opts.spargs)
        if isinstance(started, Deferred):
            started.addErrback(lambda failure: errors.append(failure.value))
        else:  # AsyncCrawlerProcess: an asyncio task
            started.add_done_callback(lambda task: task.cancelled() or not task.exception()
                                      or errors.append(task.exception()))  # fmt: skip
        with crawl_collector(self.settings.getint("HARVESTER_GC_THRESHOLD")):
            self.crawler_process.start()
        if errors and isinstance(errors[0], HarvesterError):
            print(f"harvester: error: {errors[0]}", file=sys.stderr)
            self.exitcode = errors[0].exit_code
        elif errors or self.crawler_process.bootstrap_failed:
            for error in errors:  # a bug: its traceback
                logger.error("the crawl failed", exc_info=error)
            self.exitcode = 1

    def _bad_arguments(self, name: str, spargs: dict) -> str | None:
        try:
            spidercls = self.crawler_process.spider_loader.load(name)
        except KeyError:
            return None  # Scrapy says so itself
        from harvester.storage.plan import plan_run
        from harvester.storage.run import preflight, write_failed_job_manifest

        checked = dict(spargs)
        reason, job_key = "bad_arguments", None
        try:
            if hasattr(spidercls, "settings_arguments"):
                checked = spidercls.settings_arguments(self.settings, checked)
            spider = spidercls(**checked)
            reason = "refused"  # the arguments are fine; the run cannot start (as `harvester crawl` checks)
            if self.settings.getbool("HARVESTER_RUN_FILES"):
                plan = plan_run(self.settings, spider)
                job_key = plan.job_key
                preflight(plan)
        except (HarvesterError, OSError) as error:
            problem = str(error) if isinstance(error, HarvesterError) else f"cannot prepare the output folder: {error}"
            job = spargs.get("_job") or self.settings.get("HARVESTER_RUN_ID")
            if job:  # scrapyd's job id: a monitor reading manifests sees this job failed, and why
                write_failed_job_manifest(self.settings, getattr(spidercls, "name", name), str(job), spargs,
                                          reason=reason, problem=problem, exit_code=USAGE, job_key=job_key)  # fmt: skip
            return problem
        return None
