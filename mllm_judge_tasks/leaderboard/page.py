"""`mllm-judge leaderboard`: the table (CSV, Markdown, JSON) and a self-contained static HTML page.

Names and settings come from submissions and are untrusted: the page is
rendered with autoescaping, the sorting script reads only `data-sort`
attributes, and the charts are embedded as base64 PNGs (no external files).
Every file is rendered in memory first, then each is written atomically, the
page last: a failure while rendering leaves the previous board as it was.
"""

from __future__ import annotations

import base64
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment

from mllm_judge_tasks import schema
from mllm_judge_tasks.metrics.agreement import HEADLINE, LOWER_IS_BETTER

from .board import HEADLINE_LABELS, Row
from .plots import all_charts
from mllm_judge_tasks.files import write_text_atomic

from .table import _number, _rank, to_csv, to_json, to_markdown


def _cells(row: Row) -> list[dict]:
    cells = []
    for task in schema.TASKS:
        cell = row.cells.get(task)
        if cell is None or cell.value is None:
            # "n/a": judged, but the metric is undefined (no variance, no non-tie verdict); "–": not judged.
            cells.append({"value": None, "shown": "–" if cell is None else "n/a", "sort": ""})
            continue
        low, high = cell.ci95
        cells.append({
            "value": _number(cell.value), "shown": "", "sort": f"{cell.value:.6f}", "rank": _rank(cell),
            "ci": f"{_number(low)}, {_number(high)}" if low is not None else "",
        })
    return cells


def _routes(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        for task, report in row.report["tasks"].items():
            routes = report["verdict_routes"]
            if any(route != "parsed from the text" for route in routes) and row.role != "reference":
                counts = ", ".join(f"{count} {route}" for route, count in sorted(routes.items()))
                lines.append(f"{row.name}, {task}: {counts}")
    return lines


def render_page(rows: list[Row], dataset: str, revision: str) -> str:
    charts = all_charts(rows)
    template = Environment(autoescape=True).from_string(
        files("mllm_judge_tasks.leaderboard").joinpath("page.html").read_text(encoding="utf-8")
    )
    return template.render(
        dataset=dataset,
        revision=revision,
        columns=[{"label": HEADLINE_LABELS[t] + (" ↓" if HEADLINE[t] in LOWER_IS_BETTER else " ↑"), "key": t,
                  "lower_better": HEADLINE[t] in LOWER_IS_BETTER} for t in schema.TASKS],
        rows=[{"name": row.name, "setting": row.setting, "role": row.role, "cells": _cells(row),
               "parse_rates": " / ".join(_number(row.cells[t].parse_rate) if t in row.cells else "–" for t in schema.TASKS)}
              for row in rows],
        routes=_routes(rows),
        charts=[{"title": title, "data": base64.b64encode(png).decode()} for title, png in charts],
    )


def write_leaderboard(rows: list[Row], out: Path, dataset: str, revision: str) -> Path:
    """index.html, leaderboard.{csv,md,json} under `out`; returns the page's path.

    `dataset` and `revision` name the benchmark on the page (a name, never a local path).
    """
    rendered = {
        "leaderboard.json": to_json(rows),
        "leaderboard.csv": to_csv(rows),
        "leaderboard.md": to_markdown(rows),
        "index.html": render_page(rows, dataset, revision),
    }
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in rendered.items():
        write_text_atomic(out / name, text)
    return out / "index.html"
