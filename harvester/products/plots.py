"""The report's figures (plotly), each built from :mod:`harvester.products.summary` counts. Pure: counts in,
figures out; nothing is drawn here (the page draws them in the browser from the figures' JSON)."""

from __future__ import annotations

import html
import math
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from harvester.products.summary import PRECISIONS, Network

COLOURS = {"day": "#1f5f8b", "month": "#5aa0c8", "year": "#b8d8ea"}
RUN_COLOURS = {"new": "#2e7d32", "changed": "#f9a825", "unchanged": "#9e9e9e"}
_FONT = {"family": "DejaVu Sans, Helvetica, Arial, sans-serif", "size": 13}


def label(text: str) -> str:
    """Archive text as a plotly label: plotly reads <b>, <a href> and <br> in labels, so they are escaped."""
    return html.escape(text, quote=False)


def _layout(fig: go.Figure, title: str, height: int = 420, **extra: Any) -> go.Figure:
    fig.update_layout(
        title={"text": label(title), "x": 0, "xanchor": "left"}, height=height, font=_FONT,
        margin={"l": 10, "r": 10, "t": 60, "b": 40}, plot_bgcolor="white", paper_bgcolor="white", **extra,
    )  # fmt: skip
    return fig


def _empty(fig: go.Figure, message: str) -> go.Figure:
    fig.add_annotation(text=label(message), showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5,
                       font={"size": 16, "color": "#555"})  # fmt: skip
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def records_per_year(years: dict[int, Any], undated: int) -> go.Figure:
    fig = go.Figure()
    xs = list(years)
    for precision in PRECISIONS:
        ys = [years[y].get(precision, 0) for y in xs]
        if any(ys):
            fig.add_bar(x=xs, y=ys, name=f"dated to the {precision}", marker_color=COLOURS[precision],
                        hovertemplate="%{x}: %{y} records<extra>" + precision + "</extra>")  # fmt: skip
    note = f" ({undated} undated not shown)" if undated else ""
    _layout(fig, f"Records per year, by the precision of their date{note}", barmode="stack",
            legend={"orientation": "h", "y": -0.15}, bargap=0.15)  # fmt: skip
    fig.update_xaxes(title="year of the document (start of a range)", dtick=1 if len(xs) <= 25 else None)
    fig.update_yaxes(title="records", gridcolor="#eee")
    return _empty(fig, "no dated records") if not xs else fig


def _hbar(fig: go.Figure, items: list[tuple[str, float]], colour: str, row: int | None = None,
          col: int | None = None, text: list[str] | None = None) -> None:  # fmt: skip
    names = [label(name) for name, _ in reversed(items)]
    values = [value for _, value in reversed(items)]
    fig.add_trace(
        go.Bar(x=values, y=names, orientation="h", marker_color=colour, showlegend=False,
               text=list(reversed(text)) if text else values, textposition="auto", cliponaxis=False),
        row=row, col=col,
    )  # fmt: skip


def senders_and_recipients(senders: list[tuple[str, int]], recipients: list[tuple[str, int]]) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, subplot_titles=("senders", "recipients"), horizontal_spacing=0.25)
    _hbar(fig, senders, "#1f5f8b", 1, 1)
    _hbar(fig, recipients, "#c0392b", 1, 2)
    rows = max(len(senders), len(recipients), 1)
    _layout(fig, "Top senders and recipients (records naming them)", height=max(300, 60 + 26 * rows))
    fig.update_xaxes(gridcolor="#eee", rangemode="tozero")
    if not senders and not recipients:
        return _empty(fig, "no titles name a sender or recipient")
    return fig


def circle_layout(names: list[str]) -> dict[str, tuple[float, float]]:
    """Positions on a circle, the first (busiest) correspondent at the top, clockwise."""
    n = max(len(names), 1)
    return {
        name: (math.cos(math.pi / 2 - 2 * math.pi * i / n), math.sin(math.pi / 2 - 2 * math.pi * i / n))
        for i, name in enumerate(names)
    }


def _offset(start: tuple[float, float], end: tuple[float, float], by: float = 0.025) -> tuple[tuple[float, float], ...]:
    """The segment moved sideways (to its right): letters A → B and B → A then run side by side."""
    (x0, y0), (x1, y1) = start, end
    length = math.hypot(x1 - x0, y1 - y0) or 1.0
    dx, dy = (y1 - y0) / length * by, -(x1 - x0) / length * by
    return (x0 + dx, y0 + dy), (x1 + dx, y1 + dy)


def network(net: Network) -> go.Figure:
    fig = go.Figure()
    position = circle_layout([name for name, _ in net.nodes])
    heaviest = max((n for _, _, n in net.edges), default=1)
    for sender, recipient, n in net.edges:
        (x0, y0), (x1, y1) = _offset(position[sender], position[recipient])
        fig.add_annotation(
            x=x1 * 0.93 + x0 * 0.07, y=y1 * 0.93 + y0 * 0.07, ax=x0, ay=y0, xref="x", yref="y", axref="x",
            ayref="y", showarrow=True, arrowhead=2, arrowsize=1, arrowwidth=1 + 4 * n / heaviest,
            arrowcolor="rgba(31, 95, 139, 0.45)", text="", hovertext=label(f"{sender} → {recipient}: {n}"),
        )  # fmt: skip
    names = [name for name, _ in net.nodes]
    sizes = [12 + 30 * math.sqrt(w / max((w for _, w in net.nodes), default=1)) for _, w in net.nodes]
    fig.add_scatter(
        x=[position[n][0] for n in names], y=[position[n][1] for n in names], mode="markers+text",
        text=[label(n) for n in names], textposition="top center", marker={"size": sizes, "color": "#c0392b"},
        hovertext=[label(f"{n}: {w} documents sent or received") for n, w in net.nodes], hoverinfo="text",
        showlegend=False, cliponaxis=False,
    )  # fmt: skip
    _layout(fig, "Who wrote to whom: the most frequent correspondents (arrow: sender → recipient)", height=560)
    fig.update_xaxes(visible=False, range=[-1.45, 1.45])
    fig.update_yaxes(visible=False, range=[-1.25, 1.3], scaleanchor="x")
    return fig if net.edges else _empty(fig, "no title names both a sender and a recipient")


def bars(items: list[tuple[str, int]], title: str, colour: str, empty: str) -> go.Figure:
    fig = go.Figure()
    _hbar(fig, items, colour)
    _layout(fig, title, height=max(260, 80 + 26 * len(items)))
    fig.update_xaxes(gridcolor="#eee", rangemode="tozero")
    return fig if items else _empty(fig, empty)


def coverage(shares: list[tuple[str, float]]) -> go.Figure:
    fig = go.Figure()
    _hbar(fig, [(name, share * 100) for name, share in shares], "#5d6d7e",
          text=[f"{share:.0%}" for _, share in shares])  # fmt: skip
    _layout(fig, "Field coverage: share of records where the field is present (not null, not empty)",
            height=80 + 24 * len(shares))  # fmt: skip
    fig.update_xaxes(range=[0, 105], ticksuffix="%", gridcolor="#eee")
    return fig


def _when(stamp: str) -> str:
    return stamp.replace("T", " ").removesuffix("Z")


def runs(rows: list[dict[str, Any]]) -> go.Figure:
    fig = go.Figure()
    xs = [f"{_when(r['started_at'])} ({r['run_id'][-6:]})<br>{label(r['job'])}" for r in rows]
    for kind in ("new", "changed", "unchanged"):
        fig.add_bar(x=xs, y=[r[kind] for r in rows], name=kind, marker_color=RUN_COLOURS[kind])
    failed = [x for x, r in zip(xs, rows, strict=True) if r["exit_code"] != 0]
    if failed:
        fig.add_scatter(x=failed, y=[0] * len(failed), mode="markers", name="failed run (exit 1)",
                        marker={"symbol": "x", "size": 14, "color": "#b71c1c"})  # fmt: skip
    _layout(fig, "The runs that built the dataset: records each run saw", barmode="stack",
            legend={"orientation": "h", "y": -0.3}, height=460)  # fmt: skip
    fig.update_yaxes(title="records", gridcolor="#eee")
    return fig if rows else _empty(fig, "no run manifests beside the dataset")
