"""``harvester report``: one self-contained HTML page about a dataset, with plots a historian can look at.

Everything is inline (plotly.js, the figures as JSON, the styles): the page opens offline and can be mailed.
The page draws the figures itself and then writes how many it drew into ``#report-status`` (``data-state``
``rendered`` or ``failed``, with any script errors), which the browser test reads.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from harvester import __version__
from harvester.products import plots, summary
from harvester.products.files import replacing


def figures(records: list[dict[str, Any]], manifests: list[dict[str, Any]]) -> list[tuple[str, str, Any]]:
    """``(id, note, figure)`` for each plot, in page order."""
    years, undated = summary.per_year(records)
    net = summary.correspondence(records)
    unresolved = summary.unresolved(records)
    return [
        ("plot-years", "A range counts in the year it starts. Day, month or year: as precisely as the archive "
         "dates the document; nothing is filled in.", plots.records_per_year(years, undated)),
        ("plot-correspondents", "Persons as the registry resolved them (one person however the title spells the "
         "name); a record counts once per person.",
         plots.senders_and_recipients(summary.top_people(records, "sender"), summary.top_people(records, "recipient"))),
        ("plot-network", f"The {len(net.nodes)} persons with the most letters, cables and telegrams between them; "
         "arrow width: number of documents.", plots.network(net)),
        ("plot-types", "The document type read from the title.",
         plots.bars(summary.doc_types(records), "Document types", "#6c5b7b", "no records")),
        ("plot-unresolved", "Names in titles that the person registry (harvester/data/persons/) does not know: "
         "the list to grow it from (`harvester names`).",
         plots.bars(unresolved, "Unresolved names, by mentions", "#e67e22", "every name in the titles is resolved")),
        ("plot-coverage", "Computed from the dataset's records.", plots.coverage(summary.coverage(records))),
        ("plot-runs", "From the run manifests in runs/ beside the dataset; a full run sees every record, an "
         "incremental one stops at the first page of known ones.", plots.runs(summary.run_rows(manifests))),
    ]  # fmt: skip


def _fact(value: Any, what: str) -> str:
    return f"<li><b>{html.escape(str(value))}</b>{html.escape(what)}</li>"


def _run_row(row: dict[str, Any]) -> str:
    cells = [
        f"<td><code>{html.escape(row['run_id'])}</code></td>", f"<td>{html.escape(row['job'])}</td>",
        f"<td>{html.escape(row['mode'])}</td>", f"<td>{html.escape(row['started_at'])}</td>",
        *(f'<td class="n">{row[k]}</td>' for k in ("exit_code", "pages", "records", "new", "changed", "unchanged",
                                                     "invalid")),
        f"<td>{html.escape(row['problem'])}</td>",
    ]  # fmt: skip
    return f'<tr class="{"failed" if row["exit_code"] else "ok"}">{"".join(cells)}</tr>'


def _script_json(text: str) -> str:
    """JSON safe inside a <script> element: no ``</`` that could close it, no ``<!--``."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def render(records: list[dict[str, Any]], manifests: list[dict[str, Any]], dataset: str, now: datetime) -> str:
    """The whole page as a string."""
    from plotly.offline import get_plotlyjs

    figs = figures(records, manifests)
    sources = sorted({r["source"] for r in records})
    span = summary.date_range(records)
    people = {p["id"] or p["name"] for r in records for p in r["people"]}
    facts = [
        _fact(len(records), " records"),
        _fact(f"{span[0][:4]}–{span[1][:4]}" if span else "–", " documents' years"),
        _fact(len(people), " persons named"),
        _fact(len(manifests), " runs"),
        _fact(", ".join(sources) or "–", " source"),
    ]
    sections = "\n".join(
        f'  <section>\n    <div class="plot" id="{fid}"></div>\n    <p class="note">{html.escape(note)}</p>\n'
        "  </section>"
        for fid, note, _ in figs
    )
    payload = "[" + ",".join(f'{{"id": {json.dumps(fid)}, "figure": {fig.to_json()}}}' for fid, _, fig in figs) + "]"
    title = f"What {Path(dataset).name} holds: {', '.join(sources) or 'no records'}"
    values = {
        "title": html.escape(title),
        "lead": html.escape(
            f"{len(records)} records harvested from archive search listings; each plot below is drawn from "
            f"the dataset itself and the manifests of the runs that built it."
        ),
        "facts": "".join(facts),
        "sections": sections,
        "run_rows": "".join(_run_row(row) for row in summary.run_rows(manifests)),
        "version": html.escape(__version__),
        "generated": now.strftime("%Y-%m-%d %H:%M UTC"),
        "dataset": html.escape(dataset),
        "plot_count": str(len(figs)),
        "figures": _script_json(payload),
        "plotly_js": get_plotlyjs(),
    }
    page = resources.files("harvester.products").joinpath("templates", "report.html").read_text(encoding="utf-8")
    for key in ("title", "lead", "facts", "sections", "run_rows", "version", "generated", "dataset",
                "plot_count", "figures"):  # fmt: skip
        page = page.replace("{{" + key + "}}", values[key])
    return page.replace("{{plotly_js}}", values["plotly_js"])  # last: the library's text is not a template


def write_report(records: list[dict[str, Any]], manifests: list[dict[str, Any]], dataset: Path, out: Path) -> Path:
    page = render(records, manifests, str(dataset), datetime.now(UTC))
    with replacing(out) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return out
