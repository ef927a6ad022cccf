"""Memory that stays flat with the size of a crawl (issue 6): pages requested a window at a time, compact keys."""

from __future__ import annotations

import os
import random

import pytest

from harvester.devtools.replay import ReplayServer
from harvester.pipelines.dedupe import DigestSet, compact_key
from tests.support.cli import LOCAL, harvester, read_jsonl
from tests.support.paths import WILSON_SITE
from tests.support.runs import MAO, comparable


def test_a_digest_set_is_a_set():
    rng = random.Random(6)
    digests = [rng.randbytes(16) for _ in range(5000)]
    digests += [bytes(16), b"\x00\x00" + b"\x01" * 14]
    found, reference = DigestSet(), set()
    for digest in digests + digests[:100]:
        assert (digest in found) == (digest in reference)
        found.add(digest)
        reference.add(digest)
    assert len(found) == len(reference)
    assert all(d in found for d in reference)
    # Bytes 8-23 of two stored digests, in their bucket: a match across the boundary is not a member.
    assert b"\x00" * 10 + b"\x01" * 6 not in found
    assert os.urandom(16) not in found
    assert "not bytes" not in found


def test_compact_keys_differ_where_keys_differ():
    keys = [("id", "wilson:1"), ("id", "wilson:10"), ("content", "a", "b", ""), ("content", "a", "", "b"),
            ("content", "ab", "", ""), ("id", "wilson:1\x00")]  # fmt: skip
    assert len({compact_key(k) for k in keys}) == len(keys)
    assert compact_key(("id", "wilson:1")) == compact_key(("id", "wilson:1"))


@pytest.mark.e2e
def test_pages_requested_one_at_a_time_give_the_same_records(tmp_path):
    with ReplayServer(WILSON_SITE) as base_url:
        runs = []
        for ahead in ("1", "256"):
            out = tmp_path / f"ahead-{ahead}.jsonl"
            site = ["-s", f"WILSON_BASE_URL={base_url}", *LOCAL, "-s", "LOG_LEVEL=INFO"]
            result = harvester("crawl", "wilson", "--query", MAO, "--out", str(out), *site,
                               "-s", f"HARVESTER_SCHEDULE_AHEAD={ahead}")  # fmt: skip
            assert result.code == 0, result.stderr
            assert "'harvester/pages_scheduled': 3," in result.stderr
            runs.append(read_jsonl(out))
    assert len(runs[0]) == 21
    assert comparable(runs[0]) == comparable(runs[1])
