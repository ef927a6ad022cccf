"""A job list: sources x searches, each job with its schedule, spider arguments and settings (TOML).

::

    state_url = "postgresql://harvester@db.example.org/harvester"   # shared by the nodes and the scheduler
    output_dir = "/srv/harvester/output"                             # HARVESTER_OUTPUT_DIR on the nodes

    [defaults]
    cron = "15 4 * * *"                       # or every = "6h"; UTC
    settings = { HARVESTER_CONTACT_URL = "mailto:archives@example.org" }

    [[source]]
    name = "wilson"
    spider = "wilson"

    [[search]]
    name = "mao"
    arguments = { query = "mao zedong" }
    sources = ["wilson"]                      # default: every source

A job is a source with a search (``wilson/mao``), or a source alone when the list has no search for it. A
search's values override its source's, which override ``[defaults]`` (arguments and settings are merged key by
key). The file is checked against ``schema/jobs.schema.json``, then every job is built the way its crawl will be
(the spider instantiated with its arguments, its settings checked) and given the job key the crawl computes
(:func:`harvester.storage.plan.plan_run`): a bad job list is one line and exit 2 before anything is submitted.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from harvester.errors import HarvesterError, JobListError
from harvester.scheduling.due import Schedule, parse_schedule
from harvester.storage.plan import RunPlan, plan_run

SCHEMA_FILE = "schema/jobs.schema.json"
# Settings the scheduler or the job list's top level decides: refused in a job's settings.
_RESERVED = {
    "HARVESTER_STATE_URL": "state_url at the top of the file",
    "HARVESTER_OUTPUT_DIR": "output_dir at the top of the file",
    "HARVESTER_OUTPUT_PATH": "nothing: a scheduled job is a tracked run",
    "HARVESTER_RESUME": "nothing: the scheduler always asks for a resume",
    "HARVESTER_RUN_ID": "nothing: the run is named after its scrapyd job",
    "HARVESTER_FULL": 'mode = "full"',
}

# schedule.json's own fields: an argument of that name would not reach the spider
_SCRAPYD_FIELDS = {"project", "spider", "setting", "jobid", "priority", "_version"}


@dataclass(frozen=True)
class Job:
    name: str  # "source/search" or "source"
    spider: str
    arguments: dict[str, str]  # as scrapyd passes them: text
    settings: dict[str, str]
    mode: str
    schedule: Schedule
    plan: RunPlan = field(compare=False)
    host: str  # what its crawl takes a lease on (crawl.leases.lease_key of its start URL)

    @property
    def job_key(self) -> str:
        return self.plan.job_key


@dataclass(frozen=True)
class JobList:
    path: Path
    jobs: list[Job]
    state_url: str
    output_dir: str
    project: str


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value) if not isinstance(value, bool) else str(value)


def _schema_problem(data: dict[str, Any]) -> str | None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    schema = json.loads((resources.files("harvester") / SCHEMA_FILE).read_text(encoding="utf-8"))
    error = best_match(Draft202012Validator(schema).iter_errors(data))
    if error is None:
        return None
    where = ".".join(str(part) for part in error.absolute_path) or "(top level)"
    return f"{where}: {error.message}"


def load_jobs(path: Path) -> JobList:
    """The jobs of a job list file; :class:`JobListError` (one line naming the file) when it cannot be used."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise JobListError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise JobListError(f"{path}: cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise JobListError(f"{path}: not valid TOML: {error}") from None
    problem = _schema_problem(data)
    if problem:
        raise JobListError(f"{path}: {problem}")
    defaults = data.get("defaults", {})
    sources = {source["name"]: source for source in data["source"]}
    if len(sources) != len(data["source"]):
        raise JobListError(f"{path}: two sources have the same name")
    searches = data.get("search", [])
    if len({search["name"] for search in searches}) != len(searches):
        raise JobListError(f"{path}: two searches have the same name")
    for search in searches:
        unknown = sorted(set(search.get("sources", [])) - set(sources))
        if unknown:
            raise JobListError(f"{path}: search {search['name']}: unknown source {', '.join(unknown)}")
    listed = JobList(Path(path), [], data.get("state_url", ""), data.get("output_dir", ""),
                     data.get("project", "harvester"))
    for source in data["source"]:
        mine = [s for s in searches if source["name"] in s.get("sources", sources)]
        for search in mine or [None]:
            listed.jobs.append(_job(listed, defaults, source, search))
    return listed


def _job(listed: JobList, defaults: dict, source: dict, search: dict | None) -> Job:
    layers = [defaults, source, search or {}]
    name = source["name"] + (f"/{search['name']}" if search else "")
    where = f"{listed.path}: job {name}"
    arguments = {k: _text(v) for layer in layers for k, v in layer.get("arguments", {}).items()}
    settings = {k: _text(v) for layer in layers for k, v in layer.get("settings", {}).items()}
    for argument in sorted(set(arguments) & _SCRAPYD_FIELDS):
        raise JobListError(f"{where}: argument {argument!r} is one of scrapyd's own fields: rename it")
    for setting in sorted(set(settings) & set(_RESERVED)):
        raise JobListError(f"{where}: setting {setting} is not a job's to give (instead: {_RESERVED[setting]})")
    mode = next((layer["mode"] for layer in reversed(layers) if "mode" in layer), "incremental")
    timed = next((layer for layer in reversed(layers) if "cron" in layer or "every" in layer), {})
    schedule = parse_schedule(timed.get("cron"), timed.get("every"), where)
    try:
        plan, host = _plan(listed, source["spider"], arguments, settings, mode)
    except HarvesterError as error:
        raise JobListError(f"{where}: {error}") from None
    return Job(name, source["spider"], arguments, settings, mode, schedule, plan, host)


def _plan(listed: JobList, spider: str, arguments: dict[str, str], given: dict[str, str], mode: str) -> tuple:
    """The job's run plan, computed as its crawl computes it: the spider built from its arguments under the
    job's settings, then :func:`plan_run` (the job key). Also the host its crawl will lease."""
    from scrapy.settings import Settings
    from scrapy.spiderloader import SpiderLoader

    from harvester.crawl.leases import lease_key
    from harvester.setting_checks import check_settings

    settings = Settings()
    settings.setmodule("harvester.settings", priority="project")
    overrides = dict(given)
    if listed.state_url:
        overrides["HARVESTER_STATE_URL"] = listed.state_url
    if listed.output_dir:
        overrides["HARVESTER_OUTPUT_DIR"] = listed.output_dir
    if mode == "full":
        overrides["HARVESTER_FULL"] = "True"
    check_settings(overrides, settings)
    for name, value in overrides.items():
        settings.set(name, value, priority="cmdline")
    loader = SpiderLoader.from_settings(settings)
    if spider not in loader.list():
        raise JobListError(f"unknown spider {spider!r}; known: {', '.join(sorted(loader.list()))}")
    spidercls = loader.load(spider)
    kwargs: dict[str, Any] = dict(arguments)
    if hasattr(spidercls, "settings_arguments"):
        kwargs = spidercls.settings_arguments(settings, kwargs)
    built = spidercls(**kwargs)
    return plan_run(settings, built), lease_key(built.start_url)
