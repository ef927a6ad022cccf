"""scrapyd's HTTP API, the three calls the scheduler needs: ``daemonstatus.json`` (a node's load),
``listjobs.json`` (its pending and running jobs) and ``schedule.json`` (submit one). Standard library only.

Every failure of a node (refused connection, timeout, an answer that is not scrapyd's JSON, ``status: error``) is a
:class:`~harvester.errors.NodeError` naming the node: the scheduler goes on with the other nodes and exits 1.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from harvester.errors import NodeError, UsageError

TIMEOUT = 10.0


@dataclass(frozen=True)
class NodeLoad:
    url: str
    load: int  # pending + running jobs, every project
    jobs: frozenset[str]  # ids of the project's pending and running jobs


def node_urls(text: str) -> list[str]:
    """``--scrapyd URL[,URL...]``: http(s) URLs without a trailing slash, each once, in the order given."""
    urls = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        parsed = urllib.parse.urlsplit(part)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise UsageError(f"--scrapyd: {part!r} is not a scrapyd URL (http://host:6800)")
        if part.rstrip("/") not in urls:
            urls.append(part.rstrip("/"))
    if not urls:
        raise UsageError("--scrapyd: give at least one scrapyd URL (http://host:6800)")
    return urls


def shown(url: str) -> str:
    """A node's URL for messages: no password."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.password is None:
        return url
    return parsed._replace(netloc=f"{parsed.username}@{parsed.hostname}:{parsed.port or ''}".rstrip(":")).geturl()


def call(url: str, endpoint: str, fields: list[tuple[str, str]] | None = None) -> dict[str, Any]:
    """One API call to a node (an http(s) URL, :func:`node_urls`): a GET, or a POST of ``fields``; the answer."""
    parsed = urllib.parse.urlsplit(url)
    headers = {}
    if parsed.username is not None:  # scrapyd's optional HTTP basic auth, given in the URL
        pair = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
        headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        url = parsed._replace(netloc=parsed.hostname + (f":{parsed.port}" if parsed.port else "")).geturl()
    body = urllib.parse.urlencode(fields).encode() if fields is not None else None
    request = urllib.request.Request(f"{url}/{endpoint}", data=body, headers=headers)  # noqa: S310 - http(s) only
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - node_urls: http(s)
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise NodeError(f"scrapyd {shown(url)}: {endpoint} answered HTTP {error.code}") from None
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise NodeError(f"scrapyd {shown(url)} cannot be reached: {reason}") from None
    if not isinstance(answer, dict) or answer.get("status") != "ok":
        message = answer.get("message") if isinstance(answer, dict) else answer
        raise NodeError(f"scrapyd {shown(url)}: {endpoint} refused: {str(message).strip().splitlines()[-1:]}")
    return answer


def node_load(url: str, project: str) -> NodeLoad:
    status = call(url, "daemonstatus.json")
    listed = call(url, "listjobs.json?" + urllib.parse.urlencode({"project": project}))
    ids = frozenset(job["id"] for kind in ("pending", "running") for job in listed.get(kind, []))
    return NodeLoad(url, int(status.get("pending", 0)) + int(status.get("running", 0)), ids)


def submit(url: str, project: str, spider: str, job_id: str, arguments: dict[str, str],
           settings: dict[str, str]) -> str:
    """Schedule one job on the node under ``job_id``; the id scrapyd gives it (the same)."""
    fields = [("project", project), ("spider", spider), ("jobid", job_id)]
    fields += [("setting", f"{name}={value}") for name, value in settings.items()]
    fields += list(arguments.items())
    return call(url, "schedule.json", fields)["jobid"]
