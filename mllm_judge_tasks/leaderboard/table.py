"""The leaderboard table as JSON, CSV and Markdown."""

from __future__ import annotations

import csv
import io
import json

from mllm_judge_tasks import schema

from .board import HEADLINE_LABELS, Row


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def _rank(cell) -> str:
    return "" if cell.rank is None else f"{cell.rank}{'=' if cell.tied else ''}"


def table_records(rows: list[Row]) -> list[dict]:
    records = []
    for row in rows:
        record = {"judge": row.name, "setting": row.setting, "reference": row.reference}
        for task in schema.TASKS:
            cell = row.cells.get(task)
            record[task] = None if cell is None else {
                "headline": HEADLINE_LABELS[task], "value": cell.value, "ci95": cell.ci95, "rank": cell.rank,
                "tied": cell.tied, "parse_rate": cell.parse_rate, "n": cell.n,
                "verdict_routes": row.report["tasks"][task]["verdict_routes"],
            }
        records.append(record)
    return records


def to_json(rows: list[Row]) -> str:
    return json.dumps(table_records(rows), indent=2, ensure_ascii=False) + "\n"


def to_csv(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["judge", "setting", "reference"]
    for task in schema.TASKS:
        header += [f"{task}_value", f"{task}_ci_low", f"{task}_ci_high", f"{task}_rank", f"{task}_parse_rate"]
    writer.writerow(header)
    for row in rows:
        line = [row.name, row.setting, row.reference]
        for task in schema.TASKS:
            cell = row.cells.get(task)
            line += ["", "", "", "", ""] if cell is None else [
                _number(cell.value), _number(cell.ci95[0]), _number(cell.ci95[1]), _rank(cell), _number(cell.parse_rate)]
        writer.writerow(line)
    return buffer.getvalue()


def _markdown_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_cell(cell) -> str:
    if cell is None:
        return "–"
    if cell.value is None:
        return f"n/a (parse {_number(cell.parse_rate)})"
    low, high = cell.ci95
    interval = f" [{_number(low)}, {_number(high)}]" if low is not None else ""
    return f"{_number(cell.value)}{interval} #{_rank(cell)}"


def to_markdown(rows: list[Row]) -> str:
    lines = ["| judge | setting | " + " | ".join(HEADLINE_LABELS[t] for t in schema.TASKS) + " |",
             "|---|---|" + "---|" * len(schema.TASKS)]
    for row in rows:
        name = f"*{_markdown_text(row.name)}*" if row.reference else _markdown_text(row.name)
        cells = " | ".join(format_cell(row.cells.get(task)) for task in schema.TASKS)
        lines.append(f"| {name} | {_markdown_text(row.setting)} | {cells} |")
    return "\n".join(lines) + "\n"
