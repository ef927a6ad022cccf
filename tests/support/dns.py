"""A DNS resolver for tests: names under ``.invalid`` (RFC 6761) fail at once, without asking any DNS server."""

from __future__ import annotations

from typing import Any

from scrapy.resolver import CachingThreadedResolver
from twisted.internet import defer
from twisted.internet.error import DNSLookupError


class NoInvalidNames(CachingThreadedResolver):
    def getHostByName(self, name: str, timeout: Any = ()) -> Any:
        if name.endswith(".invalid"):
            return defer.fail(DNSLookupError(f"no such host: {name}"))
        return super().getHostByName(name, timeout)
