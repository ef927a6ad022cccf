"""Emit each document once per crawl: the site's default order shifts while documents are added, so a
paginated crawl can see a row twice."""

from __future__ import annotations

import hashlib
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector


def dedupe_key(record: dict[str, Any]) -> tuple[str, ...]:
    if record.get("id"):
        return ("id", record["id"])
    return ("content", record.get("title") or "", record.get("date_raw") or "", record.get("summary") or "")


def compact_key(key: tuple[str, ...]) -> bytes:
    """A key in 16 bytes (a 128-bit BLAKE2b digest): a crawl of 200,000 records keeps 200,000 of these, not their
    ids or texts. Two different keys share a digest with a probability of about 2^-128 per pair."""
    digest = hashlib.blake2b(digest_size=16)
    for part in key:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.digest()


class DigestSet:
    """A set of 16-byte digests at 16 bytes each (a Python set of bytes takes about 90): 4,096 buckets, each one
    bytearray of digests, searched with ``find`` (exact: all 16 bytes, at a 16-byte boundary)."""

    def __init__(self) -> None:
        self._buckets = [bytearray() for _ in range(4096)]
        self._count = 0

    def _bucket(self, digest: bytes) -> bytearray:
        return self._buckets[((digest[0] << 8) | digest[1]) & 0xFFF]

    def __contains__(self, digest: object) -> bool:
        if not isinstance(digest, bytes) or len(digest) != 16:
            return False
        bucket = self._bucket(digest)
        at = bucket.find(digest)
        while at != -1 and at % 16:
            at = bucket.find(digest, at + 1)
        return at != -1

    def add(self, digest: bytes) -> None:
        if len(digest) != 16:
            raise ValueError("DigestSet holds 16-byte digests")
        if digest not in self:
            self._bucket(digest).extend(digest)
            self._count += 1

    def __len__(self) -> int:
        return self._count


class DedupePipeline:
    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.seen = DigestSet()  # compact_key() of each key seen

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler.stats)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        key = dedupe_key(item)
        compact = compact_key(key)
        if compact in self.seen:
            self.stats.inc_value("harvester/duplicates")
            raise DropItem(f"duplicate of an earlier record in this crawl: {key[1]}", log_level="INFO")
        self.seen.add(compact)
        return item
