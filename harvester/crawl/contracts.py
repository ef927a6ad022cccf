"""A Scrapy contract for ``scrapy check``: ``@replica PATH`` runs the callback on a page of the bundled replica.

The real domain no longer resolves, so a ``@url`` contract could not run anywhere; ``@replica`` serves the packaged
replica (``harvester/data/demo/wilson``) on 127.0.0.1 for the rest of the process and asks for ``PATH`` there.
"""

from __future__ import annotations

import atexit
import contextlib
from typing import Any

from scrapy.contracts import Contract

_SERVED: dict[str, str] = {}
_STACK = contextlib.ExitStack()
atexit.register(_STACK.close)


def replica_url() -> str:
    """The base URL of the replica, started on first use."""
    if "base" not in _SERVED:
        from harvester.devtools.packaged import packaged_site
        from harvester.devtools.replay import ReplayServer

        site = _STACK.enter_context(packaged_site())
        _SERVED["base"] = _STACK.enter_context(ReplayServer(site))
    return _SERVED["base"]


class ReplicaContract(Contract):
    """``@replica /search?search_api_fulltext=mao%20zedong``"""

    name = "replica"

    def adjust_request_args(self, args: dict[str, Any]) -> dict[str, Any]:
        path = self.args[0] if self.args else "/"
        args["url"] = replica_url().rstrip("/") + "/" + path.lstrip("/")
        return args
