"""The project's ``scrapy`` commands (``COMMANDS_MODULE``): Scrapy's own ``crawl``, ``parse`` and ``check``, made
to fit a harvester project.

* ``crawl`` checks the spider arguments before the crawl starts: a bad one is one line and exit 2, not a
  traceback, and under scrapyd (``-a _job=ID``) the job still leaves a manifest that says why it failed.
* ``parse`` and ``check`` look at pages; they write no run into ``output/`` (``HARVESTER_RUN_FILES`` off), and
  ``parse`` hands Scrapy a callback that does not return a Deferred (Scrapy's own wraps one, deprecated).
"""

from __future__ import annotations

from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES


def no_run_files(settings: Any) -> None:
    """``HARVESTER_RUN_FILES`` off above the project's setting (a command's ``default_settings`` rank below it),
    unless the operator gave it with ``-s``."""
    if settings.getpriority("HARVESTER_RUN_FILES") < SETTINGS_PRIORITIES["cmdline"]:
        settings.set("HARVESTER_RUN_FILES", False, priority="cmdline")
