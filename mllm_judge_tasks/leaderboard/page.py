"""`mllm-judge leaderboard`: the table (CSV, Markdown, JSON), a static HTML page and a page per judge.

Names and settings come from submissions and are untrusted: the page is
rendered with autoescaping, the sorting script reads only `data-sort`
attributes, and the charts are embedded as base64 PNGs (no external files).
Every file is rendered in memory first, then each is written atomically, the
page last: a failure while rendering leaves the previous board as it was.
"""

from __future__ import annotations

import base64
import json
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment

from mllm_judge_tasks import protocol
from mllm_judge_tasks.protocol import HEADLINE, LOWER_IS_BETTER
from mllm_judge_tasks.reports import TaskResult

from mllm_judge_tasks.judged import VerdictRoute

from .board import HEADLINE_LABELS, Row
from .submission import Role
from .plots import all_charts
from mllm_judge_tasks.files import write_text_atomic

from .table import number_text, rank_text, to_csv, to_json, to_markdown
from .usage import cost_per_1000_verdicts


def _cells(row: Row) -> list[dict]:
    cells = []
    for task in protocol.TASKS:
        cell = row.cells.get(task)
        if cell is None or cell.value is None:
            # "n/a": judged, but the metric is undefined (no variance, no non-tie verdict); "–": not judged.
            cells.append({"value": None, "shown": "–" if cell is None else "n/a", "sort": ""})
            continue
        low, high = cell.ci95
        cells.append({
            "value": number_text(cell.value), "shown": "", "sort": f"{cell.value:.6f}", "rank": rank_text(cell),
            "ci": f"{number_text(low)}, {number_text(high)}" if low is not None else "",
        })
    return cells


def _routes(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        for task, result in row.report.tasks.items():
            routes = result.verdict_routes
            if any(route != VerdictRoute.TEXT for route in routes) and row.role != Role.REFERENCE:
                counts = ", ".join(f"{count} {route}" for route, count in sorted(routes.items()))
                lines.append(f"{row.name}, {task}: {counts}")
    return lines


@lru_cache(maxsize=None)
def _template(name: str):
    """Read and compiled once per process: a board renders the judge page template once per judge."""
    return Environment(autoescape=True).from_string(
        files("mllm_judge_tasks.leaderboard").joinpath(name).read_text(encoding="utf-8"))


def render_page(rows: list[Row], dataset: str, revision: str) -> str:
    charts = all_charts(rows)
    return _template("page.html").render(
        dataset=dataset,
        revision=revision,
        columns=[{"label": HEADLINE_LABELS[t] + (" ↓" if HEADLINE[t] in LOWER_IS_BETTER else " ↑"), "key": t,
                  "lower_better": HEADLINE[t] in LOWER_IS_BETTER} for t in protocol.TASKS],
        rows=[{"name": row.name, "slug": row.slug, "setting": row.setting, "type": row.judge_type, "role": row.role,
               "cells": _cells(row),
               "parse_rates": " / ".join(number_text(row.cells[t].parse_rate) if t in row.cells else "–" for t in protocol.TASKS)}
              for row in rows],
        routes=_routes(rows),
        charts=[{"title": title, "data": base64.b64encode(png).decode()} for title, png in charts],
    )


def _figure_text(value) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _flatten(figures: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Nested bias figures as ("position: first_slot_rate", "0.283") lines."""
    lines = []
    for key, value in figures.items():
        if isinstance(value, dict):
            lines += _flatten(value, f"{prefix}{key}: ")
        else:
            lines.append((prefix + key, _figure_text(value)))
    return lines


SHOWN_METADATA = ("judge_model", "revision", "parameters", "judge_setting", "tie_margin", "date", "license", "usage")


def _task_section(task: str, result: TaskResult) -> dict:
    full = result.full
    low, high = full.ci95_average
    metrics = list(next(iter(full.per_source.values())).metrics) if full.per_source else []
    confusion = full.confusion
    return {
        "key": task, "label": HEADLINE_LABELS[task] + (" (lower is better)" if full.headline in LOWER_IS_BETTER else ""),
        "value": _figure_text(full.value), "ci": "" if low is None else f"{low:.3f}, {high:.3f}",
        "parse_rate": _figure_text(full.parse_rate), "n": full.n,
        "subsets": [{"name": name, "value": _figure_text(section.value), "n": section.n}
                    for name, section in result.subsets.items()],
        "metrics": metrics,
        "sources": [{"name": source, "figures": [_figure_text(values.metrics[m]) for m in metrics], "n": values.n,
                     "parse_rate": _figure_text(values.parse_rate)} for source, values in full.per_source.items()],
        "confusion": None if confusion is None else {
            "labels": confusion.labels,
            "rows": [{"label": label, "counts": counts} for label, counts in zip(confusion.labels, confusion.counts)]},
        "reasons": sorted(full.no_verdict_reasons.items(), key=lambda pair: -pair[1]),
        "bias": _flatten(full.bias or {}),
    }


def render_judge_page(row: Row, dataset: str, revision: str) -> str:
    """One judge's page: its submission's metadata and, per task, every number the board has for it."""
    metadata = row.report.metadata
    shown = [(key, "not given" if metadata[key] is None else metadata[key] if isinstance(metadata[key], str)
              else json.dumps(metadata[key], indent=1, ensure_ascii=False))
             for key in SHOWN_METADATA if key in metadata]
    cost = cost_per_1000_verdicts(metadata.get("usage"))
    return _template("judge.html").render(
        name=row.name, role=row.role, dataset=dataset, revision=revision, metadata=shown,
        cost=None if cost is None else f"{cost:.4g}",
        tasks=[_task_section(task, row.report.tasks[task]) for task in protocol.TASKS if task in row.report.tasks],
    )


JUDGES_FOLDER = "judges"


def write_leaderboard(rows: list[Row], out: Path, dataset: str, revision: str) -> Path:
    """index.html, leaderboard.{csv,md,json} and judges/<slug>.html under `out`; returns the page's path.

    `dataset` and `revision` name the benchmark on the page (a name, never a local path). `out` is a
    fresh folder: `board_dir.write_board` swaps the whole board in, so no page of an earlier board remains.
    """
    judge_pages = {f"{row.slug}.html": render_judge_page(row, dataset, revision) for row in rows}
    rendered = {
        "leaderboard.json": to_json(rows),
        "leaderboard.csv": to_csv(rows),
        "leaderboard.md": to_markdown(rows),
        "index.html": render_page(rows, dataset, revision),
    }
    out = Path(out)
    judges = out / JUDGES_FOLDER
    judges.mkdir(parents=True)
    for name, text in judge_pages.items():
        write_text_atomic(judges / name, text)
    for name, text in rendered.items():
        write_text_atomic(out / name, text)
    return out / "index.html"
