"""The report: every number reported for a judge, as one typed object that every view renders.

`metrics.report.task_report` computes a `TaskReport`; `leaderboard.scoring`
gathers a judge's into a `JudgeReport`. score.json, the Hub's per-judge
results.json and lmms-eval's `*_details` entries are `to_json()` of these
objects; the leaderboard's cells, pages, charts and `.eval_results` entries
read their fields. No view keeps a copy of a number, so no two views can
disagree about one.

Stdlib only, like the protocol: reading a report needs no numpy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from mllm_judge_tasks.protocol import HEADLINE


class Interval(NamedTuple):
    """A 95% bootstrap interval; (None, None) where it is undefined. A JSON list [low, high]."""

    low: float | None
    high: float | None


NO_INTERVAL = Interval(None, None)


@dataclass(frozen=True)
class SourceResult:
    """A task's metrics on the items of one source dataset."""

    metrics: dict[str, float | None]  # every metric of the task (metrics.agreement.METRICS), None where undefined
    n: int
    parse_rate: float

    def to_json(self) -> dict:
        return {**self.metrics, "n": self.n, "parse_rate": self.parse_rate}


@dataclass(frozen=True)
class Confusion:
    """Pair verdicts counted by (human verdict, judge verdict)."""

    labels: tuple[str, ...]
    counts: list[list[int]]  # rows: the human's verdict, columns: the judge's

    def to_json(self) -> dict:
        return {"labels": list(self.labels), "rows_human_columns_judge": self.counts}


@dataclass(frozen=True)
class TaskReport:
    """Everything reported for one task on one set of items (the full benchmark or a subset)."""

    task: str
    n: int  # items as released (pairs judged again in swapped order are not counted twice)
    parsed: int  # items whose output gave a verdict
    no_verdict_reasons: dict[str, int]
    average: dict[str, float | None]  # each metric averaged over source datasets: the paper's number
    pooled: dict[str, float | None]  # each metric over all items at once
    per_source: dict[str, SourceResult]
    ci95_pooled: Interval
    ci95_average: Interval
    bias: dict | None  # consistency and bias figures (metrics.report.bias_report); None on a subset
    confusion: Confusion | None = None  # pairs only

    @property
    def headline(self) -> str:
        return HEADLINE[self.task]

    @property
    def value(self) -> float | None:
        """The headline: the paper's metric averaged over source datasets."""
        return self.average[self.headline]

    @property
    def parse_rate(self) -> float | None:
        return self.parsed / self.n if self.n else None

    def to_json(self) -> dict:
        document = {
            "headline": self.headline, "n": self.n, "parsed": self.parsed, "parse_rate": self.parse_rate,
            "no_verdict_reasons": self.no_verdict_reasons, "average": self.average, "pooled": self.pooled,
            "per_source": {source: result.to_json() for source, result in self.per_source.items()},
            "ci95": {"pooled": list(self.ci95_pooled), "average": list(self.ci95_average)},
        }
        if self.bias is not None:
            document["bias"] = self.bias
        if self.confusion is not None:
            document["confusion"] = self.confusion.to_json()
        return document


FULL = "full"  # the section of a TaskResult computed on the whole benchmark


@dataclass(frozen=True)
class TaskResult:
    """A task's reports on the full benchmark and on each scored subset, and how its verdicts were obtained."""

    full: TaskReport
    subsets: dict[str, TaskReport] = field(default_factory=dict)  # by display name ("HQ", "Hard")
    verdict_routes: dict[str, int] = field(default_factory=dict)  # judged.VerdictRoute values and "no verdict"

    def section(self, name: str) -> TaskReport | None:
        """The report on `name`: FULL or a subset's display name."""
        return self.full if name == FULL else self.subsets.get(name)

    def to_json(self) -> dict:
        return {FULL: self.full.to_json(), **{name: report.to_json() for name, report in self.subsets.items()},
                "verdict_routes": self.verdict_routes}


@dataclass(frozen=True)
class JudgeReport:
    """A judge's whole report on one benchmark: score.json and the Hub's `<judge>/results.json`."""

    judge: str
    metadata: dict  # as it may be published (redaction.public_metadata): no contact, no secret
    judge_family: str | None
    dataset: dict[str, str]  # {"name", "revision"} of the benchmark it was scored on
    tasks: dict[str, TaskResult]

    def to_json(self) -> dict:
        return {"judge": self.judge, "metadata": self.metadata, "judge_family": self.judge_family,
                "dataset": self.dataset, "tasks": {task: result.to_json() for task, result in self.tasks.items()}}
