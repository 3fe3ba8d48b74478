"""`mllm-judge score`: every metric recomputed from a submission's raw outputs.

Our parser reads each output; a submission cannot carry verdicts. Only for
the paper's judges, read from the release by our own code (`papers_judges`), does
the release's verdict field stand in where the text holds none, and it is
counted. Each task is reported on the full benchmark
and on the HQ and Hard subsets the dataset holds, with bootstrap 95% CIs, per
source dataset, and with the bias figures the submission allows (length
always, position where swapped pairs were judged, self-preference where the
judge's family is known from its name).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from mllm_judge_tasks.judged import JudgedItem, judge_item
from mllm_judge_tasks.metrics.bias import judge_family
from mllm_judge_tasks.metrics.report import DEFAULT_RESAMPLES, task_report
from mllm_judge_tasks.protocol import ORIGINAL, SWAPPED
from mllm_judge_tasks.redaction import public_metadata
from mllm_judge_tasks.reports import JudgeReport, TaskResult

from .benchmark_index import BenchmarkIndex
from .submission import Submission

NO_VERDICT_ROUTE = "no verdict"  # counted beside the VerdictRoute values in a report's verdict_routes


def judged_items(submission: Submission, index: BenchmarkIndex) -> tuple[dict[str, list[JudgedItem]], dict[str, Counter]]:
    """Each task's judged items (predictions of unknown ids are left out) and how verdicts were obtained."""
    items: dict[str, list[JudgedItem]] = defaultdict(list)
    routes: dict[str, Counter] = defaultdict(Counter)
    for prediction in submission.predictions:
        row = index.items.get(prediction.task, {}).get(prediction.id)
        if row is None:
            continue
        shown = row.swapped() if prediction.order == SWAPPED else row
        item = judge_item(shown, [prediction.output], order=prediction.order,
                          release_verdict=submission.release_verdicts.get((prediction.task, prediction.id)))
        routes[prediction.task][item.verdict_from or NO_VERDICT_ROUTE] += 1
        items[prediction.task].append(item)
    return dict(items), dict(routes)


def score_items(submission: Submission, index: BenchmarkIndex, items: dict[str, list[JudgedItem]],
                routes: dict[str, Counter], *, resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> JudgeReport:
    """The report of already judged items (see `judged_items`): each task's once on the full benchmark, once per subset."""
    family = judge_family(submission.name)
    tasks = {}
    for task, task_items in sorted(items.items()):
        original = [item for item in task_items if item.order == ORIGINAL]
        subsets = {
            subset: task_report(task, [i for i in original if i.id in ids_by_task[task]], resamples=resamples, seed=seed,
                                with_bias=False)
            for subset, ids_by_task in sorted(index.subsets.items()) if ids_by_task.get(task)
        }
        tasks[task] = TaskResult(task_report(task, task_items, resamples=resamples, seed=seed, family=family),
                                 subsets, dict(routes.get(task, {})))
    return JudgeReport(submission.name, public_metadata(submission.metadata), family, index.dataset.to_json(),
                       tasks)


def score_submission(submission: Submission, index: BenchmarkIndex, *, resamples: int = DEFAULT_RESAMPLES,
                     seed: int = 0) -> JudgeReport:
    items, routes = judged_items(submission, index)
    return score_items(submission, index, items, routes, resamples=resamples, seed=seed)
