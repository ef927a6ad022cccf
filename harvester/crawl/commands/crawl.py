"""``scrapy crawl``: bad spider arguments are one line (exit 2), and a scrapyd job with one leaves a manifest."""

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
        checked = dict(spargs)
        try:
            if hasattr(spidercls, "settings_arguments"):
                checked = spidercls.settings_arguments(self.settings, checked)
            spidercls(**checked)
        except HarvesterError as error:
            from harvester.storage.run import write_failed_job_manifest

            job = spargs.get("_job") or self.settings.get("HARVESTER_RUN_ID")
            if job:  # scrapyd's job id: a monitor reading manifests sees this job failed, and why
                write_failed_job_manifest(self.settings, getattr(spidercls, "name", name), str(job), spargs,
                                          reason="bad_arguments", problem=str(error), exit_code=USAGE)  # fmt: skip
            return str(error)
        return None
