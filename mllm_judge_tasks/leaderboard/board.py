"""The leaderboard's rows: every submission and reference scored on the same data, ranked per task.

Ranks, per task column: a row's rank is 1 + the number of rows significantly
better than it, where "significantly better" means the paired bootstrap 95%
interval of the difference in the headline (the paper's per-source average; the
same items resampled for both judges, on the items both gave a verdict for)
excludes 0 in the better direction. Rows that no row beats share rank 1, and a
row is never ranked above one that beats it. This replaces chaining neighbours,
where A ties B and B ties C gave C A's rank even when A clearly beat C.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from mllm_judge_tasks import protocol
from mllm_judge_tasks.protocol import HEADLINE, LOWER_IS_BETTER
from mllm_judge_tasks.judged import JudgedItem, VerdictRoute
from mllm_judge_tasks.metrics.report import DEFAULT_RESAMPLES, paired_difference_interval
from mllm_judge_tasks.reports import Interval, JudgeReport, TaskReport

from .benchmark_index import BenchmarkIndex
from .identity import judge_slug
from .references import reference_submissions
from .scoring import judged_items, score_items
from .submission import Role, Submission

HEADLINE_LABELS = {"score": "Score: Pearson", "pair": "Pair: accuracy without ties", "batch": "Batch: edit distance"}


@dataclass
class Cell:
    """A row's entry in one task column: a view of the task's report plus the rank the board gives it."""

    report: TaskReport = field(repr=False)
    rank: int | None = None
    tied: bool = False  # another row has the same rank

    @property
    def value(self) -> float | None:
        return self.report.value

    @property
    def ci95(self) -> Interval:
        return self.report.ci95_average

    @property
    def parse_rate(self) -> float | None:
        return self.report.parse_rate

    @property
    def n(self) -> int:
        return self.report.n


@dataclass
class Row:
    name: str
    setting: str
    role: Role
    report: JudgeReport
    items: dict[str, list[JudgedItem]] = field(repr=False, default_factory=dict)
    cells: dict[str, Cell] = field(default_factory=dict)
    submission: Submission | None = field(repr=False, default=None)
    slug: str = ""  # identity.judge_slug: names its page, its Hub folder and its results configs

    @property
    def judge_type(self) -> str:
        """"reward model" where the verdicts came from rewards (what the outputs are, not what a file claims),
        with the tie margin its pairs were judged with; else "generative"; nothing for a reference row, a rule
        (random, always A, by length) rather than a judge."""
        if self.role == Role.REFERENCE:
            return ""
        if not any(VerdictRoute.REWARDS.value in result.verdict_routes for result in self.report.tasks.values()):
            return "generative"
        margin = self.report.metadata.get("tie_margin")
        return "reward model" + (f" (tie margin {margin:g})" if protocol.is_real_number(margin) else "")


def _row(submission: Submission, index: BenchmarkIndex, resamples: int) -> Row:
    items, routes = judged_items(submission, index)
    report = score_items(submission, index, items, routes, resamples=resamples)
    row = Row(submission.name, str(submission.metadata.get("judge_setting", "")), submission.role, report, items,
              submission=submission, slug=judge_slug(submission))
    row.cells = {task: Cell(result.full) for task, result in report.tasks.items()}
    return row


def rank_column(rows: list[Row], task: str, resamples: int) -> None:
    ranked = [row for row in rows if task in row.cells and row.cells[task].value is not None]
    lower_better = HEADLINE[task] in LOWER_IS_BETTER

    def beats(first: Row, second: Row) -> bool:
        low, high = paired_difference_interval(task, first.items[task], second.items[task], resamples)
        if low is None:
            return False
        return high < 0 if lower_better else low > 0

    for row in ranked:
        row.cells[task].rank = 1 + sum(beats(other, row) for other in ranked if other is not row)
    shared = Counter(row.cells[task].rank for row in ranked)
    for row in ranked:
        row.cells[task].tied = shared[row.cells[task].rank] > 1


def build_board(submissions: list[Submission], index: BenchmarkIndex, *, resamples: int = DEFAULT_RESAMPLES,
                references: bool = True, papers_judges: list[Submission] = ()) -> list[Row]:
    """Rows of the submissions, the paper's judges (`papers_judges`) and the reference rows, ranked per task."""
    everything = [*submissions, *papers_judges, *(reference_submissions(index) if references else [])]
    rows = [_row(submission, index, resamples) for submission in everything]
    twins = [slug for slug, count in Counter(row.slug for row in rows).items() if count > 1]
    if twins:  # callers leave twins out first (identity.claim_slugs): a link must never point at two judges
        raise ValueError(f"judges share the slugs {', '.join(twins)}")
    for task in protocol.TASKS:
        rank_column(rows, task, resamples)
    # Submissions and the paper's judges by their mean rank over the tasks they entered; the references after them.
    def order(row: Row) -> tuple:
        ranks = [cell.rank for cell in row.cells.values() if cell.rank is not None]
        return (row.role == Role.REFERENCE, sum(ranks) / len(ranks) if ranks else float("inf"), row.name)

    return sorted(rows, key=order)
