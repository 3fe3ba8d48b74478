"""The leaderboard table as JSON, CSV and Markdown.

Names and settings come from submissions: they reach no other parser. In the
CSV a text cell that a spreadsheet would read as a formula (starting with
`=`, `+`, `-`, `@`, a tab or a carriage return) is prefixed with `'`; in
Markdown every character with a meaning (HTML, emphasis, links, code, table
pipes) is escaped, so a name renders as the text it is.
"""

from __future__ import annotations

import csv
import io
import json
import re

from mllm_judge_tasks import protocol

from .board import HEADLINE_LABELS, Row
from .submission import Role


def number_text(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def rank_text(cell) -> str:
    return "" if cell.rank is None else f"{cell.rank}{'=' if cell.tied else ''}"


def table_records(rows: list[Row]) -> list[dict]:
    records = []
    for row in rows:
        # slug and submission folder: which folder holds each published identity (identity.published_slugs)
        record = {"judge": row.name, "setting": row.setting, "judge_type": row.judge_type, "role": row.role,
                  "slug": row.slug, "submission": row.submission.directory.name if row.role == Role.SUBMISSION and row.submission else None}
        for task in protocol.TASKS:
            cell = row.cells.get(task)
            record[task] = None if cell is None else {
                "headline": HEADLINE_LABELS[task], "value": cell.value, "ci95": cell.ci95, "rank": cell.rank,
                "tied": cell.tied, "parse_rate": cell.parse_rate, "n": cell.n,
                "verdict_routes": row.report.tasks[task].verdict_routes,
            }
        records.append(record)
    return records


def to_json(rows: list[Row]) -> str:
    return json.dumps(table_records(rows), indent=2, ensure_ascii=False) + "\n"


def to_csv(rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["judge", "setting", "role", "judge_type"]
    for task in protocol.TASKS:
        header += [f"{task}_value", f"{task}_ci_low", f"{task}_ci_high", f"{task}_rank", f"{task}_parse_rate"]
    writer.writerow(header)
    for row in rows:
        line = [spreadsheet_text(row.name), spreadsheet_text(row.setting), row.role, row.judge_type]
        for task in protocol.TASKS:
            cell = row.cells.get(task)
            line += ["", "", "", "", ""] if cell is None else [
                number_text(cell.value), number_text(cell.ci95[0]), number_text(cell.ci95[1]), rank_text(cell), number_text(cell.parse_rate)]
        writer.writerow(line)
    return buffer.getvalue()


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")


def spreadsheet_text(text: str) -> str:
    """`text` as a CSV cell no spreadsheet evaluates."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def markdown_text(text: str) -> str:
    """`text` as literal Markdown: HTML entities for <, >, &, a backslash before every Markdown character."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def format_cell(cell) -> str:
    if cell is None:
        return "–"
    if cell.value is None:
        return f"n/a (parse {number_text(cell.parse_rate)})"
    low, high = cell.ci95
    interval = f" [{number_text(low)}, {number_text(high)}]" if low is not None else ""
    return f"{number_text(cell.value)}{interval} #{rank_text(cell)}"


def to_markdown(rows: list[Row]) -> str:
    lines = ["| judge | setting | type | " + " | ".join(HEADLINE_LABELS[t] for t in protocol.TASKS) + " |",
             "|---|---|---|" + "---|" * len(protocol.TASKS)]
    for row in rows:
        name = f"*{markdown_text(row.name)}*" if row.role == Role.REFERENCE else markdown_text(row.name)
        cells = " | ".join(format_cell(row.cells.get(task)) for task in protocol.TASKS)
        lines.append(f"| {name} | {markdown_text(row.setting)} | {markdown_text(row.judge_type)} | {cells} |")
    return "\n".join(lines) + "\n"
