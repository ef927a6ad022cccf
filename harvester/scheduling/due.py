"""When a job is due: a cron expression (five fields, UTC, read by ``cronsim``) or an interval (``6h``).

A job never submitted is due at once. After a submission at time T it is due again at the cron expression's first
time after T, or at T plus the interval: a scheduler run every minute submits each job once per period, and a
period missed while no scheduler ran is made up once, not once per missed period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cronsim import CronSim, CronSimError

from harvester.errors import JobListError

_EVERY = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([smhd])\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Schedule:
    cron: str | None = None
    every: float | None = None  # seconds

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.every is None):
            raise JobListError("a schedule is a cron expression or an interval (every), not both or neither")

    def text(self) -> str:
        return f"cron {self.cron}" if self.cron is not None else f"every {_seconds_text(self.every or 0)}"


def _seconds_text(seconds: float) -> str:
    for unit in ("d", "h", "m"):
        if seconds >= _UNIT[unit] and seconds % _UNIT[unit] == 0:
            return f"{seconds / _UNIT[unit]:g}{unit}"
    return f"{seconds:g}s"


def parse_schedule(cron: str | None, every: str | None, where: str) -> Schedule:
    """A schedule from a job list's ``cron`` or ``every``; :class:`JobListError` naming ``where`` when bad."""
    if cron is not None and every is not None:
        raise JobListError(f"{where}: give cron or every, not both")
    if cron is None and every is None:
        raise JobListError(f"{where}: no schedule: give cron = \"m h dom mon dow\" or every = \"6h\"")
    if every is not None:
        match = _EVERY.match(every)
        if not match or float(match.group(1)) <= 0:
            raise JobListError(f"{where}: every = {every!r} is not an interval such as 90s, 30m, 6h or 1d")
        return Schedule(every=float(match.group(1)) * _UNIT[match.group(2)])
    try:
        next(CronSim(cron, _EPOCH))
    except (CronSimError, StopIteration) as error:
        raise JobListError(f"{where}: cron = {cron!r} is not a cron expression: {error}") from None
    if len(cron.split()) != 5:
        raise JobListError(f"{where}: cron = {cron!r}: give five fields (minute hour day month weekday)")
    return Schedule(cron=cron)


def next_due(schedule: Schedule, last_submitted: datetime | None, now: datetime) -> datetime:
    """When the job is next due: ``now`` when it was never submitted, else the first time after that submission."""
    if last_submitted is None:
        return now
    if schedule.every is not None:
        return last_submitted + timedelta(seconds=schedule.every)
    return next(CronSim(schedule.cron or "", last_submitted))


def is_due(schedule: Schedule, last_submitted: datetime | None, now: datetime) -> bool:
    return next_due(schedule, last_submitted, now) <= now
