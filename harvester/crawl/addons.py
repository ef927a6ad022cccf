"""Scrapy add-ons of the project (``ADDONS``): settings that follow from what the operator gave."""

from __future__ import annotations

from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES


class OperatorDelay:
    """``-s DOWNLOAD_DELAY=0`` from the operator also sets ``AUTOTHROTTLE_START_DELAY=0``, unless that is given
    too: AutoThrottle starts at the larger of the two, so the project's 5 s start delay would otherwise stay in
    place although the operator asked for no delay. A delay set only in the project (``settings.py``) or by a
    spider changes nothing here."""

    def update_settings(self, settings: Any) -> None:
        given = SETTINGS_PRIORITIES["cmdline"]
        if (
            settings.getpriority("DOWNLOAD_DELAY") >= given
            and settings.getfloat("DOWNLOAD_DELAY") == 0
            and settings.getpriority("AUTOTHROTTLE_START_DELAY") < given
        ):
            settings.set("AUTOTHROTTLE_START_DELAY", 0.0, priority="cmdline")
