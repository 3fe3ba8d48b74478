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
from mllm_judge_tasks.protocol import HEADLINE  # noqa: E402

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
    judged = [row for row in rows if task in row.report["tasks"]]
    if not judged:
        return None
    sources = sorted({s for row in judged for s in row.report["tasks"][task]["full"]["per_source"]})
    series = {row.name: [row.report["tasks"][task]["full"]["per_source"].get(s, {}).get(HEADLINE[task]) for s in sources]
              for row in judged}
    figure, axis = plt.subplots(figsize=(10, 3.5))
    _grouped_bars(axis, sources, series)
    axis.set_title(f"{HEADLINE_LABELS[task]}, per source dataset")
    return _png(figure)


def position_bias_chart(rows: list[Row]) -> bytes | None:
    judged = [row for row in rows if "position" in row.report["tasks"].get("pair", {}).get("full", {}).get("bias", {})]
    if not judged:
        return None
    metrics = ("first_slot_rate", "position_consistency", "swap_consistent_accuracy")
    series = {row.name: [row.report["tasks"]["pair"]["full"]["bias"]["position"][m] for m in metrics] for row in judged}
    figure, axis = plt.subplots(figsize=(8, 3.2))
    _grouped_bars(axis, list(metrics), series)
    axis.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    axis.set_title("Position bias (pairs judged in both orders)")
    return _png(figure)


def length_bias_chart(rows: list[Row]) -> bytes | None:
    judged = [row for row in rows if "length" in row.report["tasks"].get("pair", {}).get("full", {}).get("bias", {})]
    if not judged:
        return None
    names = [row.name for row in judged]
    length = [row.report["tasks"]["pair"]["full"]["bias"]["length"] for row in judged]
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
