"""The benchmark's tasks as the Hub declares them: `eval.yaml` in the benchmark's dataset repo.

One task per headline, on the full benchmark and on each scored subset the
dataset holds. The Hub ranks higher values first, so a lower-is-better
headline (the batch edit distance) is published as its complement under a task
id that says so: `batch_one_minus_edit_distance`.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from mllm_judge_tasks import protocol
from mllm_judge_tasks.protocol import HEADLINE, LOWER_IS_BETTER
from mllm_judge_tasks.reports import FULL, JudgeReport, TaskReport

from .benchmark_index import BenchmarkIndex

SPLIT = "test"
# The published metric: the headline, a lower-is-better one as its complement (the Hub sorts higher as better).
_METRIC_IDS = {task: f"one_minus_{name}" if name in LOWER_IS_BETTER else name for task, name in HEADLINE.items()}
_METRIC_TEXT = {
    "score": "Pearson correlation of the judge's 1-5 scores with the human scores, averaged over source datasets",
    "pair": "agreement with the human verdict on pairs neither calls a tie, averaged over source datasets",
    "batch": "1 - the normalized Levenshtein distance between the judge's and the human ranking, averaged over "
             "source datasets (1 = the human ranking)",
}



@dataclass(frozen=True)
class HubTask:
    """One reported number: a task's headline on the full benchmark or on a subset."""

    task: str  # score, pair or batch
    subset: str  # FULL, or the display name of one of protocol.SCORED_SUBSETS ("HQ", "Hard")
    config: str  # the dataset config it is computed on

    @property
    def complemented(self) -> bool:
        """Whether the published number is 1 − the headline (a lower-is-better one; the Hub ranks higher first)."""
        return HEADLINE[self.task] in LOWER_IS_BETTER

    @property
    def id(self) -> str:
        return f"{self.config}_{_METRIC_IDS[self.task]}"

    def report(self, report: JudgeReport) -> TaskReport | None:
        """The section of a judge's report this number is read from."""
        result = report.tasks.get(self.task)
        return None if result is None else result.section(self.subset)

    def value(self, report: JudgeReport) -> float | None:
        """The published value from a score report: the headline, the batch distance as its complement."""
        section = self.report(report)
        value = None if section is None else section.value
        if value is None:
            return None
        return round(1.0 - value if self.complemented else value, 4)


def hub_tasks(index: BenchmarkIndex) -> list[HubTask]:
    """The tasks the benchmark declares: each task it holds, on the full data and on each subset it has."""
    prefixes = {protocol.SUBSETS[prefix]: prefix for prefix in protocol.SCORED_SUBSETS}
    tasks = []
    for task in protocol.TASKS:
        if task in index.items:
            tasks.append(HubTask(task, FULL, task))
        for subset, ids_by_task in sorted(index.subsets.items()):
            if task in ids_by_task:
                tasks.append(HubTask(task, subset, prefixes[subset] + task))
    return tasks


def eval_yaml(index: BenchmarkIndex) -> str:
    """The benchmark repo's `eval.yaml`."""
    tasks = hub_tasks(index)
    lines = [f"{task.id}: {_METRIC_TEXT[task.task]}" + ("" if task.subset == FULL else f", {task.subset} subset")
             for task in tasks]
    document = {
        "name": "MLLM-as-a-Judge",
        "description": "How well multimodal LLMs judge answers about an image, against human judges "
                       "(Chen et al., ICML 2024, arXiv:2402.04788). Higher is better for every task:\n"
                       + "\n".join(lines) + "\n",
        "tasks": [{"id": task.id, "config": task.config, "split": SPLIT} for task in tasks],
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
