"""The benchmark harness counts the CPU of what a crawl leaves behind (its worker pool's forkserver and workers
outlive it by a moment), not only the crawl process's own."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).parents[1]

# A "crawl" that starts a child and exits at once; the child, orphaned, then burns 0.4 s of CPU.
ORPHANING_CHILD = textwrap.dedent(
    """
    import subprocess, sys
    burn = "import time\\nt = time.process_time()\\nwhile time.process_time() - t < 0.4: pass"
    subprocess.Popen([sys.executable, "-c", burn])
    """
)

# The harness runs in a process of its own: becoming a subreaper would make pytest adopt every orphan.
HARNESS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from benchmarks.run import run_child
    child = run_child([sys.executable, "-c", sys.argv[1]], 60, Path(sys.argv[2]), "t")
    print(json.dumps({"own": child.cpu_s, "descendants": child.descendants_cpu_s, "code": child.returncode}))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_CHILD_SUBREAPER is Linux's")
def test_run_child_counts_the_cpu_of_descendants_orphaned_by_the_child(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", HARNESS, ORPHANING_CHILD, str(tmp_path)], capture_output=True, text=True, cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["code"] == 0
    assert result["descendants"] >= 0.35  # the orphan's 0.4 s of CPU, which wait4 of the child alone misses
    assert result["own"] < result["descendants"]


def test_a_setting_given_to_the_harness_reaches_only_the_harvester_crawl(tmp_path: Path) -> None:
    from benchmarks.run import Harness, build_parser

    args = build_parser().parse_args(["-s", "HARVESTER_NORMALIZE_WORKERS=0", "--setting", "LOG_LEVEL=INFO"])
    harness = Harness(args, tmp_path)
    cmd = harness.harvester_cmd("http://127.0.0.1:1", 10, tmp_path / "out.jsonl")
    settings = [cmd[i + 1] for i, part in enumerate(cmd) if part == "-s"]
    assert settings[-2:] == ["HARVESTER_NORMALIZE_WORKERS=0", "LOG_LEVEL=INFO"]  # after the defaults: they win
    assert "HARVESTER_NORMALIZE_WORKERS=0" not in harness.bare_cmd("http://127.0.0.1:1", 10)
