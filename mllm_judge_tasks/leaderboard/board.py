"""The leaderboard's rows: every submission and reference scored on the same data, ranked per task.

Ranks: within a task column, rows are sorted by the headline (the paper's
per-source average); two neighbours share a rank when the paired bootstrap 95%
interval of their difference (the same items resampled for both) holds 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mllm_judge_tasks import schema
from mllm_judge_tasks.metrics.agreement import HEADLINE, LOWER_IS_BETTER
from mllm_judge_tasks.metrics.report import DEFAULT_RESAMPLES, JudgedItem, paired_difference_interval

from .benchmark_index import BenchmarkIndex
from .references import reference_submissions
from .scoring import judged_items, score_items
from .submission import Submission

HEADLINE_LABELS = {"score": "Score: Pearson", "pair": "Pair: accuracy without ties", "batch": "Batch: edit distance"}


@dataclass
class Cell:
    value: float | None
    ci95: list
    parse_rate: float | None
    n: int
    rank: int | None = None
    tied: bool = False  # shares its rank with a neighbour


@dataclass
class Row:
    name: str
    setting: str
    role: str  # "submission", "reference" or "official" (the paper's judges), set by our code
    report: dict
    items: dict[str, list[JudgedItem]] = field(repr=False, default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)


def _row(submission: Submission, index: BenchmarkIndex, resamples: int) -> Row:
    items, routes = judged_items(submission, index)
    report = score_items(submission, index, items, routes, resamples=resamples)
    row = Row(submission.name, str(submission.metadata.get("judge_setting", "")), submission.role, report, items)
    for task, task_report in report["tasks"].items():
        full = task_report["full"]
        row.cells[task] = Cell(full["average"][HEADLINE[task]], full["ci95"]["average"], full["parse_rate"], full["n"])
    return row


def _rank(rows: list[Row], task: str, resamples: int) -> None:
    ranked = [row for row in rows if task in row.cells and row.cells[task].value is not None]
    lower_better = HEADLINE[task] in LOWER_IS_BETTER
    ranked.sort(key=lambda row: row.cells[task].value, reverse=not lower_better)
    for position, row in enumerate(ranked):
        if position == 0:
            row.cells[task].rank = 1
            continue
        previous = ranked[position - 1]
        low, high = paired_difference_interval(task, previous.items[task], row.items[task], resamples)
        if low is not None and low <= 0 <= high:
            row.cells[task].rank = previous.cells[task].rank
            row.cells[task].tied = previous.cells[task].tied = True
        else:
            row.cells[task].rank = position + 1


def build_board(submissions: list[Submission], index: BenchmarkIndex, *, resamples: int = DEFAULT_RESAMPLES,
                references: bool = True, official: list[Submission] = ()) -> list[Row]:
    """Rows of the submissions, the paper's judges (`official`) and the reference rows, ranked per task."""
    everything = [*submissions, *official, *(reference_submissions(index) if references else [])]
    rows = [_row(submission, index, resamples) for submission in everything]
    for task in schema.TASKS:
        _rank(rows, task, resamples)
    # Submissions and the paper's judges by their mean rank over the tasks they entered; the references after them.
    def order(row: Row) -> tuple:
        ranks = [cell.rank for cell in row.cells.values() if cell.rank is not None]
        return (row.role == "reference", sum(ranks) / len(ranks) if ranks else float("inf"), row.name)

    return sorted(rows, key=order)
