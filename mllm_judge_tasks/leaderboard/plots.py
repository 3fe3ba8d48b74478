"""The leaderboard's charts (matplotlib, no display): per-source bars, position and length bias.

Judge names are submitted text: they are drawn with mathtext off (a `$...$`
name would otherwise be parsed as TeX, and a malformed one raises) and cut
to a legend-sized length.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mllm_judge_tasks import protocol  # noqa: E402

from .board import HEADLINE_LABELS, Row  # noqa: E402


LABEL_CHARS = 60
PLAIN_TEXT = {"text.parse_math": False, "text.usetex": False}


def _label(name: str) -> str:
    name = " ".join(name.split())  # tabs and newlines have no glyph
    return name if len(name) <= LABEL_CHARS else name[: LABEL_CHARS - 1] + "…"


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    plt.close(figure)
    return buffer.getvalue()


def _grouped_bars(axis, labels: list[str], series: dict[str, list[float | None]]) -> None:
    width = 0.8 / max(1, len(series))
    positions = np.arange(len(labels))
    for offset, (name, values) in enumerate(series.items()):
        axis.bar(positions + offset * width, [np.nan if v is None else v for v in values], width, label=_label(name))
    axis.set_xticks(positions + width * (len(series) - 1) / 2, [_label(label) for label in labels], rotation=30, ha="right")
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))


def per_source_chart(rows: list[Row], task: str) -> bytes | None:
    reports = {row.name: row.report.tasks[task].full for row in rows if task in row.report.tasks}
    if not reports:
        return None
    sources = sorted({source for report in reports.values() for source in report.per_source})
    series = {name: [report.per_source[s].metrics[report.headline] if s in report.per_source else None for s in sources]
              for name, report in reports.items()}
    figure, axis = plt.subplots(figsize=(10, 3.5))
    _grouped_bars(axis, sources, series)
    axis.set_title(f"{HEADLINE_LABELS[task]}, per source dataset")
    return _png(figure)


def _pair_bias(rows: list[Row], figure: str) -> dict[str, dict]:
    """Each judge's pair bias figure `figure` ("position", "length"), for the judges that have it."""
    found = {}
    for row in rows:
        pair = row.report.tasks.get("pair")
        if pair is not None and figure in (pair.full.bias or {}):
            found[row.name] = pair.full.bias[figure]
    return found


def position_bias_chart(rows: list[Row]) -> bytes | None:
    figures = _pair_bias(rows, "position")
    if not figures:
        return None
    metrics = ("first_slot_rate", "position_consistency", "swap_consistent_accuracy")
    series = {name: [position[m] for m in metrics] for name, position in figures.items()}
    figure, axis = plt.subplots(figsize=(8, 3.2))
    _grouped_bars(axis, list(metrics), series)
    axis.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    axis.set_title("Position bias (pairs judged in both orders)")
    return _png(figure)


def length_bias_chart(rows: list[Row]) -> bytes | None:
    figures = _pair_bias(rows, "length")
    if not figures:
        return None
    names, length = list(figures), list(figures.values())
    figure, axis = plt.subplots(figsize=(8, 3.2))
    _grouped_bars(axis, names, {"judge prefers longer": [l["judge_prefers_longer"] for l in length],
                                "humans prefer longer": [l["human_prefers_longer"] for l in length]})
    axis.set_title("Length bias (pairs)")
    return _png(figure)


def all_charts(rows: list[Row]) -> list[tuple[str, bytes]]:
    """(title, PNG) of every chart the rows allow, drawn with mathtext off."""
    with matplotlib.rc_context(PLAIN_TEXT):
        charts = [(f"{HEADLINE_LABELS[task]} per source dataset", per_source_chart(rows, task)) for task in protocol.TASKS]
        charts += [("Position bias", position_bias_chart(rows)), ("Length bias", length_bias_chart(rows))]
    return [(title, png) for title, png in charts if png]
