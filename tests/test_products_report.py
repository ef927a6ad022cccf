"""``harvester report`` on the dataset of real crawls, opened in a real browser (Debian's chromium, headless,
with the network blocked): every plot drawn, no script error, a screenshot kept outside the repository (in the
test's own temporary folder, which pytest keeps for the last three runs: no fixed path that two runs share)."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from harvester.products import summary
from tests.support.cli import harvester, read_jsonl
from tests.support.products import harvest

pytestmark = pytest.mark.e2e

PLOTS = ["plot-years", "plot-correspondents", "plot-network", "plot-types", "plot-unresolved", "plot-coverage",
         "plot-runs"]  # fmt: skip


@pytest.fixture(scope="session")
def harvested(tmp_path_factory):
    return harvest(tmp_path_factory.mktemp("products"))


@pytest.fixture(scope="session")
def chromium():
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no chromium here: `apt-get install -y chromium` (.ci/run does where it can) runs the browser test")


def browse(chromium: str, page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess:
    """Open ``page`` headless; every network request goes to a closed port, so only an offline page works."""
    return subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         "--hide-scrollbars", f"--user-data-dir={profile}", "--proxy-server=127.0.0.1:9",
         "--proxy-bypass-list=<-loopback>", "--virtual-time-budget=20000", *args, page.as_uri()],
        capture_output=True, text=True, timeout=100, check=False,
    )  # fmt: skip


def status_of(dom: str) -> dict[str, str]:
    match = re.search(r'<p id="report-status"([^>]*)>(.*?)</p>', dom, re.S)
    assert match, dom[-2000:]
    attributes = dict(re.findall(r'(data-[a-z]+)="([^"]*)"', match.group(1)))
    return {**attributes, "text": match.group(2)}


def plot_chunks(dom: str) -> dict[str, str]:
    """The DOM of each plot's element (up to the next plot)."""
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'<div class="plot[^"]*" id="(plot-[a-z]+)"', dom)]
    ends = [s for s, _ in starts[1:]] + [len(dom)]
    return {name: dom[start:end] for (start, name), end in zip(starts, ends, strict=True)}


@pytest.fixture(scope="session")
def report(harvested, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = harvester("report", str(harvested.dataset), "--out", str(out))
    assert result.code == 0, result.stderr
    assert result.stdout.strip() == f"harvester: report: 32 records, 3 runs -> {out}"
    return out


def test_the_page_is_self_contained(report):
    page = report.read_text(encoding="utf-8")
    assert not re.findall(r"<(?:script|link|img|iframe|object|embed)\b[^>]*\b(?:src|href)\s*=", page, re.I)
    assert "@import" not in page
    assert "Plotly.newPlot" in page
    figures = json.loads(re.search(r'id="report-figures">(.*?)</script>', page, re.S).group(1))
    assert [f["id"] for f in figures] == PLOTS


def test_every_plot_renders_in_a_browser_and_a_screenshot_is_saved(chromium, report, harvested, tmp_path):
    dumped = browse(chromium, report, tmp_path / "profile", "--dump-dom")
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = dumped.stdout
    status = status_of(dom)
    assert status["data-state"] == "rendered", status
    assert status["data-errors"] == ""
    assert status["data-rendered"] == status["data-expected"] == str(len(PLOTS))
    chunks = plot_chunks(dom)
    assert list(chunks) == PLOTS
    for name, chunk in chunks.items():
        assert 'class="main-svg"' in chunk, name
    assert chunks["plot-years"].count('class="point"') >= 1  # bars are drawn as points' paths
    assert "Joseph Stalin" in chunks["plot-network"]
    assert "Mao Zedong" in chunks["plot-correspondents"]
    assert "Ciphered Telegram" in chunks["plot-types"]
    for run_id in (harvested.older, harvested.newer, harvested.people):
        assert run_id in dom
    screenshot = tmp_path / "report.png"
    shot = browse(chromium, report, tmp_path / "profile", "--window-size=1200,4400", f"--screenshot={screenshot}")
    assert shot.returncode == 0, shot.stderr[-2000:]
    png = screenshot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", png[16:24]) == (1200, 4400)
    assert len(png) > 100_000  # a page of plots, not a blank one
    print(f"report screenshot: {screenshot}")


def test_the_status_says_so_when_plots_cannot_be_drawn(chromium, report, tmp_path):
    page = report.read_text(encoding="utf-8")
    start = page.index("<script>") + len("<script>")
    broken = tmp_path / "broken.html"
    broken.write_text(page[:start] + page[page.index("</script>", start):], encoding="utf-8")  # no plotly.js
    status = status_of(browse(chromium, broken, tmp_path / "profile", "--dump-dom").stdout)
    assert status["data-state"] == "failed"
    assert status["data-rendered"] == "0"
    assert "plotly.js did not load" in status["data-errors"]


def test_archive_text_is_shown_as_text_not_markup(chromium, harvested, tmp_path):
    lines = read_jsonl(harvested.dataset)
    record = next(r for r in lines if r["people"] and r["people"][0]["role"] == "sender")
    record["people"][0]["name"] = '<img src=x onerror="document.title=1">Stalin'
    record["doc_type"] = "<b>Cable</b>"
    dataset = tmp_path / "wilson" / "dataset.jsonl"
    dataset.parent.mkdir()
    dataset.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert harvester("report", str(dataset)).code == 0
    out = dataset.with_name("report.html")
    dom = browse(chromium, out, tmp_path / "profile", "--dump-dom").stdout
    assert status_of(dom)["data-state"] == "rendered"
    assert "<img src" not in dom
    assert "<b>Cable</b>" not in dom
    assert "&lt;b&gt;Cable&lt;/b&gt;" in dom  # the label, shown as written


def test_summaries_add_up_on_real_records(harvested):
    records = read_jsonl(harvested.dataset)
    years, undated = summary.per_year(records)
    assert sum(sum(c.values()) for c in years.values()) + undated == len(records)
    assert undated == sum(r["date"] is None for r in records)
    net = summary.correspondence(records)
    names = {name for name, _ in net.nodes}
    assert all(s in names and r in names for s, r, _ in net.edges)
    assert ("Mao Zedong", "Joseph Stalin") in {(s, r) for s, r, _ in net.edges}
    assert sum(n for _, n in summary.doc_types(records)) == len(records)
    coverage = dict(summary.coverage(records))
    assert coverage["id"] == 1.0
    assert coverage["date_end"] == 0.0
    from harvester.names_report import unresolved_names

    expected = {f"{name} ({kind})": n for (name, kind), n in unresolved_names(harvested.dataset).items()}
    assert expected
    assert dict(summary.unresolved(records)) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [(["missing.jsonl"], "missing.jsonl: no such file"), (["{empty}"], "no records to report on")],
)
def test_bad_input_exits_2(tmp_path, args, message):
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    result = harvester("report", *(a.format(empty=tmp_path / "empty.jsonl") for a in args), cwd=tmp_path)
    assert result.code == 2
    assert message in result.stderr
    assert not (tmp_path / "report.html").exists()
