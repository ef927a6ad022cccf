"""``scrapy crawl``: bad spider arguments, or a run that cannot start (the same job already running, a damaged
state store), are one line (exit 2) before the crawl, and a scrapyd job refused so leaves a manifest."""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl

from harvester.errors import USAGE, HarvesterError


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            problem = self._bad_arguments(args[0], dict(opts.spargs))
            if problem is not None:
                print(f"harvester: error: {problem}", file=sys.stderr)
                self.exitcode = USAGE
                return
        super().run(args, opts)

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
